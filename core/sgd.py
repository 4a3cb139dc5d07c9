"""The SGD step of softmax regression, arranged for speed: the weights and their update.

For a batch of B examples x (B x n_features) with classes y, one step is the tutorial's
(see :mod:`core.model` for the maths):

    p     = softmax(x W + b)                 forward pass, (B, K)
    delta = p - onehot(y)                    error at the logits, (B, K)
    W    -= lr * (x^T delta / B + lambda W)  gradient step with L2 penalty, (n_features, K)
    b    -= lr * mean(delta)                 (K,)

:class:`SGD` computes the same numbers, arranged for speed:

- each batch is gathered by index from the stored examples (for MNIST the uint8 images: a
  quarter of the memory traffic of float32, and no shuffled copy of the training set);
- the pixel scale (1/255 for uint8 images, 1 for float features) is applied to the small
  logits and folded into the step size, so x / 255 is never built;
- it works on W^T (K x n_features), so both products are plain row-major matrix products
  (which OpenBLAS runs fastest) and the softmax reductions run along contiguous memory;
- the one-hot matrix is never built (1 is subtracted at the true class instead);
- all arithmetic is float32 in buffers allocated once per chunk size, but the weights
  themselves are kept in float64 (a master copy that the updates go to; the products read
  a float32 copy of it): a step of lr * lambda * W = 1e-8 W is lost entirely when added to
  float32 weights.

``python -m bench.epoch_speed`` measures it against the tutorial's own loop (:mod:`core.tutorial`).
:meth:`SGD.steps` runs a block of steps with the compiled kernel (:mod:`core.kernel`: the
same arithmetic with the interpreter lock released) when numba is there, and with
:meth:`SGD.step` otherwise; :meth:`SGD.step` stays the readable reference the lesson shows.
"""

from __future__ import annotations

import logging

import numpy as np

# OpenBLAS switches to a slower general kernel once M*N*K of a product exceeds 1e6, i.e. for
# batches over ~127 images at 784 x 10. Larger batches are therefore split into chunks of at
# most this many rows; the gradient is the sum of the chunks' gradients, so nothing changes.
MAX_CHUNK = 120


class SGD:
    """The weights of a softmax regression and the mini-batch SGD step that trains them.

    ``W`` (n_features, K) and ``b`` (K,) are the starting weights (any float dtype; they are
    copied). ``examples`` (n, n_features) are the stored training examples, uint8 or
    float32, which are divided by ``pixel_scale`` (255 or 1) to give the model's features;
    ``labels`` (n,) their class indices. :attr:`learning_rate` and :attr:`l2` (lambda) may
    be changed between steps.

    :attr:`WT` (K, n_features) and :attr:`b` (K,) are the float32 weights the products read
    (a model may show them: they change in place at every step); :attr:`master_WT` and
    :attr:`master_b` the float64 master weights the updates go to.
    """

    def __init__(self, W: np.ndarray, b: np.ndarray, examples: np.ndarray, labels: np.ndarray,
                 pixel_scale: float = 1.0, learning_rate: float = 0.1, l2: float = 0.0,
                 compiled: bool | None = None):
        self._master_WT = np.array(W, np.float64).T.copy()  # C-contiguous (K, n_features)
        self._master_b = np.array(b, np.float64)
        self.WT = self._master_WT.astype(np.float32)
        self.b = self._master_b.astype(np.float32)
        self.examples, self.labels = examples, labels
        self.pixel_scale = float(pixel_scale)
        self._to_unit = np.float32(1.0 / self.pixel_scale)  # pixel values -> features
        self._from_unit = np.float32(self.pixel_scale)
        self.learning_rate, self.l2 = float(learning_rate), float(l2)
        self._bufs: dict[int, tuple[np.ndarray, ...]] = {}
        self._kernel = compiled_kernel() if compiled is not False else None
        if compiled and self._kernel is None:
            raise RuntimeError("the compiled step needs numba: pip install -r requirements.txt")
        if self._kernel is not None:  # one signature for the kernel: int64 labels, read-only
            self.examples = _read_only(np.ascontiguousarray(examples))
            self.labels = _read_only(np.ascontiguousarray(labels, np.int64))

    @property
    def compiled(self) -> bool:
        """Does :meth:`steps` run the compiled kernel?"""
        return self._kernel is not None

    def steps(self, order: np.ndarray, first: int, last: int, batch: int,
              p_true: np.ndarray, hit: np.ndarray) -> None:
        """Steps ``first`` .. ``last - 1`` of an epoch: step k trains on the examples
        ``order[k * batch:(k + 1) * batch]`` ((n,) int64 indices). ``p_true`` and ``hit``
        (n,) receive, at ``order``'s positions, each example's p(true class) and hit."""
        if self._kernel is not None:
            self._kernel(self.examples, self.labels, order, first, last, batch, MAX_CHUNK,
                         self._master_WT, self._master_b, self.WT, self.b,
                         self.learning_rate, self.l2, self.pixel_scale, p_true, hit)
            return
        for k in range(first, last):
            s = slice(k * batch, (k + 1) * batch)
            self.step(order[s], p_true[s], hit[s])

    @property
    def master_WT(self) -> np.ndarray:
        """The float64 master copy of W^T, (K, n_features): what the updates go to."""
        return self._master_WT

    @property
    def master_b(self) -> np.ndarray:
        """The float64 master copy of b, (K,)."""
        return self._master_b

    def step(self, idx: np.ndarray, p_true: np.ndarray, hit: np.ndarray) -> None:
        """One SGD update on the training examples ``idx`` (B indices). Writes, for each of
        them, the probability the model gave its true class into ``p_true`` (B,) and whether
        that class had the top score into ``hit`` (B,), both before the update."""
        B = len(idx)
        step = np.float32(self.learning_rate / B / self.pixel_scale)
        n_chunks = -(-B // MAX_CHUNK)
        size = -(-B // n_chunks)  # equal chunks, each at most MAX_CHUNK examples
        grad_WT = grad_b = None
        for c in range(0, B, size):
            zT, x = self._delta(idx[c:c + size], p_true[c:c + size], hit[c:c + size])
            zT *= step  # lr / B / 255, folded into the small delta
            if grad_WT is None:  # lr/B * (x^T delta)^T  and  lr * mean(delta)
                grad_WT, grad_b = zT @ x, zT.sum(axis=1) * self._from_unit
            else:
                grad_WT += zT @ x
                grad_b += zT.sum(axis=1) * self._from_unit
        self.update(grad_WT, grad_b)

    def _delta(self, rows: np.ndarray, p_true: np.ndarray,
               hit: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The forward pass of one chunk of m examples: returns delta^T = (p - onehot(y))^T
        (K, m) and the chunk's stored values x (m, n_features, float32, unscaled), both in
        reused buffers; records p(true class) and hits."""
        raw, x, zT, r = self._buffers(len(rows))
        np.take(self.examples, rows, axis=0, out=raw, mode="clip")
        if raw is not x:
            np.copyto(x, raw)  # pixel values 0..255 as float32
        y = self.labels[rows]
        np.matmul(self.WT, x.T, out=zT)  # 255 * logits^T: one column per example
        zT *= self._to_unit
        zT += self.b[:, None]
        top = zT.max(axis=0)
        hit[:] = zT[y, r] >= top
        zT -= top  # stable softmax: the largest logit becomes 0
        np.exp(zT, out=zT)
        zT /= zT.sum(axis=0)
        p_true[:] = zT[y, r]
        zT[y, r] -= 1  # delta = p - onehot(y), without building the one-hot matrix
        return zT, x

    def update(self, grad_WT: np.ndarray, grad_b: np.ndarray) -> None:
        """W -= lr * (x^T delta / B + lambda W) and b -= lr * mean(delta), on the float64
        master weights; the steps (already times lr) arrive as float32. The L2 term is the
        factor (1 - lr * lambda): in float32 it would round to exactly 1 for lr * lambda
        below 3e-8, and be 14-19 % off at lr 0.01, lambda 1e-5. Then the float32 copy
        that the products read is refreshed."""
        if self.l2:
            self._master_WT *= 1.0 - self.learning_rate * self.l2
        self._master_WT -= grad_WT
        self._master_b -= grad_b
        self._refresh()

    def restore(self, master_WT: np.ndarray, master_b: np.ndarray) -> None:
        """Put back weights kept earlier (copies of :attr:`master_WT` and :attr:`master_b`)."""
        self._master_WT[...] = master_WT
        self._master_b[...] = master_b
        self._refresh()

    def _refresh(self) -> None:
        """The float32 weights the products read := the float64 master weights, rounded."""
        np.copyto(self.WT, self._master_WT, casting="same_kind")
        np.copyto(self.b, self._master_b, casting="same_kind")

    def _buffers(self, m: int) -> tuple[np.ndarray, ...]:
        """Work arrays for a chunk of ``m`` examples, allocated once per size: the gathered
        stored values, them as float32 (the same array for float32 examples), the (K, m)
        logits, and 0..m-1."""
        bufs = self._bufs.get(m)
        if bufs is None:
            K, n_features = self.WT.shape
            x = np.empty((m, n_features), np.float32)
            raw = x if self.examples.dtype == np.float32 else np.empty((m, n_features),
                                                                        self.examples.dtype)
            bufs = self._bufs[m] = (raw, x, np.empty((K, m), np.float32), np.arange(m))
        return bufs


def _read_only(a: np.ndarray) -> np.ndarray:
    """``a`` as a read-only array (a view if it is writable): the kernel's one signature."""
    if a.flags.writeable:
        a = a.view()
        a.setflags(write=False)
    return a


def compiled_kernel():
    """The compiled step (core.kernel.sgd_batches), or None without numba. Imported on first
    use: numba takes a few tenths of a second to import, which a command line printing its
    help should not pay. A numba that cannot set the step up (no cache place it accepts, a
    broken install) is one line in the log, and the NumPy step trains instead."""
    try:
        from core.kernel import sgd_batches
    except ImportError:
        return None
    except (RuntimeError, OSError) as error:
        logging.getLogger(__name__).warning("The compiled step is unavailable (%s): training "
                                            "with the NumPy step",
                                            str(error).splitlines()[0] if str(error) else error)
        return None
    return sgd_batches
