"""The SGD step compiled with numba: the same arithmetic as :class:`core.sgd.SGD`, with the
interpreter lock released.

An epoch at batch 100 is 500 steps of about twenty NumPy calls each. Each call is quick, but
between them the interpreter runs, holding Python's global interpreter lock (GIL): two runs
training at once, or one run and forty students' pages refreshing, take turns on it. Here a
whole block of steps (gather the batch from the uint8 images, logits, stable softmax,
delta, the two products, the L2 term, the update, p(true class) and hits) is one call to
machine code that runs with the lock released (``nogil=True``), so other threads run
beside it on the other core.

What it keeps from the NumPy step, so the two agree to float32 rounding (the tests compare
them weight for weight): the products are float32 through BLAS (``np.dot``, which numba
sends to SciPy's OpenBLAS) on chunks of at most ``max_chunk`` examples (core.sgd's
MAX_CHUNK, 120: above that OpenBLAS switches to a slower kernel), the pixel scale folded
into the logits and the step size, and the
float64 master weights that the update goes to. It is compiled without ``fastmath``: the
divergence check needs NaN and infinity to come out as they should.

One signature is compiled (uint8 images, read-only as core.data stores them) and cached on
disk (``cache=True``) where core.paths says: ``NUMBA_CACHE_DIR``, else beside this file when
the checkout is writable, else XDG's cache folder, else the temporary folder. With no
writable place (or when numba finds none), it compiles in memory each start, after a
one-line warning, never a traceback; :func:`warm` loads or
compiles it before anyone trains (``bash run.sh`` and the server's start call it), because
a compile takes seconds and a server would stall for them. Float features (the scikit-learn
estimator) compile a second signature on their first use.
"""

from __future__ import annotations

import logging
import sys

import numpy as np

from core.paths import numba_cache_dir

CACHE = numba_cache_dir() is not None  # sets NUMBA_CACHE_DIR, which numba reads at import
if "numba" in sys.modules:  # imported before us: read the variable again
    from numba.core.config import reload_config

    reload_config()
from numba import njit  # noqa: E402 (after NUMBA_CACHE_DIR is set)

_log = logging.getLogger(__name__)
if not CACHE:
    _log.warning("No writable folder for numba's cache (NUMBA_CACHE_DIR, XDG_CACHE_HOME, the "
                 "temporary folder): the training step is compiled in memory at each start")


def _compiled(func):
    """``func`` compiled with the lock released and cached on disk where :data:`CACHE` says
    it can be; compiled in memory when numba finds no place for its cache (a read-only
    checkout and no writable folder: numba's RuntimeError "no locator available")."""
    global CACHE
    try:
        return njit(nogil=True, cache=CACHE)(func)
    except RuntimeError as error:
        if CACHE:
            _log.warning("numba cannot cache the training step (%s): compiling it in memory",
                         str(error).splitlines()[0])
            CACHE = False
        return njit(nogil=True, cache=False)(func)


@_compiled
def sgd_batches(examples, labels, order, first, last, batch, max_chunk, master_WT, master_b,
                WT, b, learning_rate, l2, pixel_scale, p_true, hit):  # pragma: no cover
    """Steps ``first`` .. ``last - 1`` of an epoch whose example order is ``order`` (n,):
    step k trains on ``order[k * batch:(k + 1) * batch]``, its products on chunks of at most
    ``max_chunk`` examples (:data:`core.sgd.MAX_CHUNK`, passed in). Shapes: ``examples``
    (n_all, F), ``labels`` (n_all,), ``master_WT`` (K, F) float64 and ``WT`` its float32
    copy, ``master_b`` / ``b`` (K,); ``p_true`` and ``hit`` (n,) are written for the
    examples of these steps, in ``order``'s positions, before each step's update."""
    n = order.shape[0]
    K, F = WT.shape
    to_unit = np.float32(1.0 / pixel_scale)
    from_unit = np.float32(pixel_scale)
    x = np.empty((max_chunk, F), np.float32)
    zT = np.empty((K, 1), np.float32)  # (K, m) logits, then delta; made for each chunk size
    chunk_grad = np.empty((K, F), np.float32)
    grad_WT = np.empty((K, F), np.float32)
    grad_b = np.empty(K, np.float32)
    for k in range(first, last):
        start = k * batch
        B = min(batch, n - start)
        step = np.float32(learning_rate / B / pixel_scale)
        n_chunks = -(-B // max_chunk)
        size = -(-B // n_chunks)  # equal chunks, each at most max_chunk examples
        grad_WT[:] = 0
        grad_b[:] = 0
        for c in range(start, start + B, size):
            m = min(size, start + B - c)
            if zT.shape[1] != m:
                zT = np.empty((K, m), np.float32)
            xm = _gather(examples, order, c, m, x)
            np.dot(WT, xm.T, zT)  # pixel_scale * logits^T: one column per example
            for i in range(m):
                _softmax_delta(zT[:, i], labels[order[c + i]], b, to_unit, step,
                               p_true, hit, c + i)
            np.dot(zT, xm, chunk_grad)  # lr/B * (x^T delta)^T, (K, F)
            grad_WT += chunk_grad
            for kk in range(K):
                grad_b[kk] += zT[kk].sum() * from_unit
        _update(master_WT, master_b, WT, b, grad_WT, grad_b, learning_rate, l2)


@_compiled
def _gather(examples, order, start, m, x):  # pragma: no cover (compiled)
    """The stored values of examples ``order[start:start + m]`` as float32 rows of ``x``:
    returns the (m, F) block."""
    F = examples.shape[1]
    for i in range(m):
        row = order[start + i]
        for j in range(F):
            x[i, j] = examples[row, j]
    return x[:m]


@_compiled
def _softmax_delta(z, y, b, to_unit, step, p_true, hit, at):  # pragma: no cover (compiled)
    """One example's logits ``z`` (K,) (times the pixel scale) become its step-scaled
    delta = (p - onehot(y)) * step, in place; p(y) and whether y had the top score are
    written at position ``at``."""
    K = z.shape[0]
    for kk in range(K):
        z[kk] = z[kk] * to_unit + b[kk]
    top = z[0]  # float32, like z: a float64 here would turn the softmax into float64
    for kk in range(1, K):
        if z[kk] > top:
            top = z[kk]
    hit[at] = z[y] >= top
    total = np.float32(0.0)
    for kk in range(K):  # stable softmax: the largest logit becomes 0
        z[kk] = np.exp(z[kk] - top)
        total += z[kk]
    for kk in range(K):
        z[kk] /= total
    p_true[at] = z[y]
    z[y] -= np.float32(1.0)  # delta = p - onehot(y), without a one-hot matrix
    for kk in range(K):
        z[kk] *= step


@_compiled
def _update(master_WT, master_b, WT, b, grad_WT, grad_b, learning_rate,
            l2):  # pragma: no cover (compiled)
    """W -= lr * (x^T delta / B + lambda W) on the float64 master weights (see
    core.sgd.SGD.update), then the float32 copy the products read."""
    K, F = master_WT.shape
    shrink = 1.0 - learning_rate * l2
    for kk in range(K):
        for j in range(F):
            w = master_WT[kk, j]
            if l2 != 0.0:
                w *= shrink
            w -= grad_WT[kk, j]
            master_WT[kk, j] = w
            WT[kk, j] = np.float32(w)
        master_b[kk] -= grad_b[kk]
        b[kk] = np.float32(master_b[kk])


def warm() -> None:
    """Load the compiled step from the cache (compile it if there is none): the dashboard's
    signature, on a tiny problem, so that no student waits for a compile."""
    examples = np.zeros((4, 3), np.uint8)
    examples.setflags(write=False)
    labels = np.array([0, 1, 0, 1], np.int64)
    labels.setflags(write=False)
    WT = np.zeros((2, 3), np.float32)
    sgd_batches(examples, labels, np.arange(4, dtype=np.int64), 0, 2, 2, 2,  # any chunk size
                np.zeros((2, 3)), np.zeros(2), WT, np.zeros(2, np.float32), 0.1, 1e-4, 255.0,
                np.empty(4, np.float32), np.empty(4, np.bool_))
