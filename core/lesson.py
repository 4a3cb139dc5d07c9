"""The numbers behind the "How it works" page: every step of softmax regression, worked
through on one real test image with the current model.

The page walks a class through the method in the order the data flows:

    load and scale -> flatten -> one-hot -> split -> z = xW + b -> softmax -> cross-entropy
    -> L2 term -> gradient -> SGD update -> evaluation

For each step it shows a formula, a few lines of this project's own code
(:func:`code_snippets`, read with :mod:`inspect`, so they can never drift from what really
runs) and live values for the chosen image (:func:`walkthrough`). :func:`overflow_demo`
shows why the softmax subtracts the largest logit first.

The walkthrough calls the project's own functions (``SoftmaxWeights.logits``,
``softmax``, ``cross_entropy``, ``SoftmaxWeights.gradients``), on a float64 copy of the
model: training runs in float32, which agrees to about 7 digits, but after one SGD step the
loss of a digit the model already gets right may change only in the 8th digit, and float64
keeps that change visible.

Pure Python + NumPy: nothing here imports streamlit.
"""

from __future__ import annotations

import ast
import inspect
import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from core import data, metrics, model, sgd, tutorial
from core.config import TrainConfig
from core.data import IMAGE_SIDE, PROJECT_ROOT, Dataset
from core.metrics import Evaluation, evaluate
from core.model import LOG_CLIP, SoftmaxWeights, cross_entropy, softmax

# exp(x) is the largest finite float32 (3.4e38) at x = 88.72: any larger logit overflows.
FLOAT32_EXP_LIMIT = float(np.log(np.finfo(np.float32).max))
ROW_SHOWN = 8  # how many pixels of one image row the lesson shows (8 fit the column)


# --------------------------------------------------------------------------- live values


@dataclass(frozen=True)
class Walkthrough:
    """Every intermediate value of the method for one test image, in the order of the lesson.

    Vectors of length K (the number of classes) are indexed by class. Arrays are float64
    unless said otherwise.
    """

    index: int  # which test image
    label: int  # its true class y
    class_names: tuple[str, ...]

    # 1. load and scale: MNIST stores 0-255 bytes; the model reads 0-1 floats
    raw: np.ndarray  # (784,) uint8, as stored
    x: np.ndarray  # (784,) the same pixels divided by 255
    n_ink: int  # pixels that are not pure black
    # 2. flatten: the 28x28 grid read row by row; one row of it, and one pixel
    row: int  # the image row with the most ink
    row_cols: np.ndarray  # ROW_SHOWN columns of that row, from where its ink starts
    pixel: tuple[int, int]  # (row, col) of the brightest pixel of that row
    pixel_index: int  # its position in the 784-long vector: 28 * row + col
    # 3. one-hot
    onehot: np.ndarray  # (K,) 1 at the true class, 0 elsewhere
    # 4. the split
    n_train: int
    n_valid: int
    n_test: int
    # 5. the linear model
    n_parameters: int  # 784 * K weights + K biases
    logits: np.ndarray  # (K,) z = x W + b
    # 6. softmax
    shifted: np.ndarray  # (K,) z - max(z): the largest is 0
    exp_shifted: np.ndarray  # (K,) exp(z - max(z)): all in (0, 1]
    proba: np.ndarray  # (K,) probabilities, summing to 1
    # 7. cross-entropy
    p_true: float  # p[y], the probability given to the true class
    cross_entropy: float  # -log(max(p[y], 1e-10))
    clipped: bool  # True if p[y] < 1e-10, so the clip decided the loss
    # 8. the L2 term
    l2: float  # lambda, from the model's config
    w_squared: float  # ||W||^2, the sum of all 7,840 squared weights
    l2_term: float  # (lambda / 2) ||W||^2
    objective: float  # cross_entropy + l2_term: what SGD minimises
    # 9. the gradient (of the objective, for this one image)
    delta: np.ndarray  # (K,) p - onehot(y): the error at the logits
    dW: np.ndarray  # (784, K) x^T delta + lambda W
    db: np.ndarray  # (K,) delta
    # 10. one SGD step on this image alone
    learning_rate: float
    proba_after: np.ndarray  # (K,) the probabilities after the step
    cross_entropy_after: float
    objective_after: float
    # 11. evaluation
    prediction: int  # argmax of proba
    test_accuracy: float  # of the model on the whole test set
    test_loss: float  # its mean test cross-entropy
    n_test_wrong: int

    @property
    def correct(self) -> bool:
        return self.prediction == self.label

    @property
    def row_raw(self) -> np.ndarray:
        """The shown stretch of :attr:`row` as stored (0-255)."""
        return self.raw.reshape(IMAGE_SIDE, IMAGE_SIDE)[self.row, self.row_cols]

    @property
    def row_scaled(self) -> np.ndarray:
        """The same stretch after dividing by 255."""
        return self.x.reshape(IMAGE_SIDE, IMAGE_SIDE)[self.row, self.row_cols]


def as_float64(model: SoftmaxWeights) -> SoftmaxWeights:
    """A float64 copy of ``model`` (same class names and config)."""
    return SoftmaxWeights(model.W.astype(np.float64), model.b.astype(np.float64),
                          model.class_names, model.config, model.preprocessing)


def _check(model: SoftmaxWeights, data: Dataset, index: int) -> None:
    """Raise ValueError unless ``index`` names a test image and the model fits the data."""
    n_test = len(data.y_test)
    if not 0 <= index < n_test:
        raise ValueError(f"index must be between 0 and {n_test - 1}, got {index}")
    if model.n_features != data.n_features or model.n_classes != data.n_classes:
        raise ValueError(f"the model is {model.n_features} x {model.n_classes}, the data "
                         f"{data.n_features} pixels x {data.n_classes} classes")


def _settings(model: SoftmaxWeights, learning_rate: float | None,
              l2: float | None) -> tuple[float, float]:
    """The learning rate and lambda to use: the caller's, else the model's own config (the
    values it was trained with), else the tutorial's 0.1 and 1e-4."""
    defaults = TrainConfig()
    lr = learning_rate if learning_rate is not None else model.config.get(
        "learning_rate", defaults.learning_rate)
    lam = l2 if l2 is not None else model.config.get("l2", defaults.l2)
    return float(lr), float(lam)


def _pixels(data: Dataset, index: int) -> dict[str, Any]:
    """1-2. Load and scale, flatten: test image ``index`` as the lesson shows it.

    The stored image is already a flat row of 784 bytes (``raw``, uint8, 0-255); dividing
    by 255 scales it to ``x``, 784 float64 values in [0, 1]. Read as the 28 x 28 grid it
    was, pixel (row r, column c) sits at position 28 r + c of that row. Shown: the image row
    with the most ink, ROW_SHOWN columns of it from just before its ink starts, and the
    brightest pixel of that stretch.
    """
    raw = np.asarray(data.x_test[index])
    grid = raw.reshape(IMAGE_SIDE, IMAGE_SIDE)
    row = int(np.argmax((grid > 0).sum(axis=1)))
    inked = np.flatnonzero(grid[row])
    first = max(int(inked[0]) - 1, 0) if len(inked) else IMAGE_SIDE // 2 - ROW_SHOWN // 2
    first = min(first, IMAGE_SIDE - ROW_SHOWN)
    row_cols = np.arange(first, first + ROW_SHOWN)  # from just before the ink starts
    col = int(row_cols[np.argmax(grid[row, row_cols])])
    return dict(raw=raw, x=raw.astype(np.float64) / 255.0, n_ink=int(np.count_nonzero(raw)),
                row=row, row_cols=row_cols, pixel=(row, col),
                pixel_index=row * IMAGE_SIDE + col)


def _onehot(y: int, n_classes: int) -> np.ndarray:
    """3. One-hot: the label ``y`` as a (K,) vector, 1 at the true class and 0 elsewhere.
    (The trainer never builds it: it subtracts 1 at the true class directly; see the lesson.)"""
    onehot = np.zeros(n_classes)
    onehot[y] = 1.0
    return onehot


def _forward(m: SoftmaxWeights, x: np.ndarray, y: int) -> dict[str, Any]:
    """5-7. The forward pass of the float64 model ``m`` on one image ``x`` (784,) of class
    ``y``, with the project's own functions.

    The logits z = x W + b, shape (K,), from 784 K weights and K biases. The softmax
    subtracts max(z) first (the largest exponent is then e^0 = 1, so exp cannot overflow):
    p = exp(z - max z) / sum(exp(z - max z)), (K,), summing to 1. The cross-entropy is
    -log(max(p[y], 1e-10)): the clip keeps log(0) = -inf away.
    """
    z = m.logits(x[None, :])[0]
    shifted = z - z.max()
    proba = softmax(z[None, :])[0]
    return dict(n_parameters=m.W.size + m.b.size, logits=z, shifted=shifted,
                exp_shifted=np.exp(shifted), proba=proba, p_true=float(proba[y]),
                cross_entropy=cross_entropy(proba[None, :], np.array([y])),
                clipped=bool(proba[y] < LOG_CLIP))


def _backward(m: SoftmaxWeights, x: np.ndarray, y: int, lam: float,
              lr: float) -> dict[str, Any]:
    """8-10. The L2 term, the gradient and one SGD step, for one image (a batch of size 1).

    The objective is L = cross-entropy + (lambda / 2) ||W||^2; the biases are not penalised.
    Its gradient: dL/dW = x^T delta + lambda W, shape (784, K), and dL/db = delta, (K,),
    where delta = p - onehot(y) is the error at the logits. The step W -= lr dL/dW,
    b -= lr dL/db is taken on a copy of ``m``: the model itself is not touched.
    """
    w_squared = float(np.sum(m.W ** 2))
    objective, dW, db = m.gradients(x[None, :], np.array([y]), lam)
    stepped = m.copy()
    stepped.W -= lr * dW
    stepped.b -= lr * db
    proba_after = stepped.predict_proba(x[None, :])[0]
    return dict(l2=lam, w_squared=w_squared, l2_term=0.5 * lam * w_squared,
                objective=float(objective), dW=dW, db=db, learning_rate=lr,
                proba_after=proba_after,
                cross_entropy_after=cross_entropy(proba_after[None, :], np.array([y])),
                objective_after=stepped.loss(x[None, :], np.array([y]), lam))


def walkthrough(model: SoftmaxWeights, data: Dataset, index: int = 0,
                learning_rate: float | None = None, l2: float | None = None,
                evaluation: Evaluation | None = None) -> Walkthrough:
    """Work test image ``index`` through every step of the method with ``model``.

    ``learning_rate`` and ``l2`` (lambda) default to the model's own config (the values it
    was trained with), else to the tutorial's 0.1 and 1e-4. ``evaluation`` is the model's
    :class:`Evaluation` on the test set if the caller already has it; otherwise it is
    computed (one pass over the 10,000 test images, a few milliseconds).
    """
    _check(model, data, index)
    lr, lam = _settings(model, learning_rate, l2)
    y = int(data.y_test[index])
    pixels = _pixels(data, index)
    onehot = _onehot(y, model.n_classes)
    m = as_float64(model)  # 5-10 in float64: one step's change to the loss stays visible
    forward = _forward(m, pixels["x"], y)
    if evaluation is None:  # 11. on the whole test set
        evaluation = evaluate(model, data.features("test"), data.y_test)
    return Walkthrough(
        index=int(index), label=y, class_names=tuple(data.class_names), **pixels,
        onehot=onehot,  # 4. the split:
        n_train=len(data.x_train), n_valid=len(data.x_valid), n_test=len(data.x_test),
        **forward, delta=forward["proba"] - onehot, **_backward(m, pixels["x"], y, lam, lr),
        prediction=int(np.argmax(forward["proba"])), test_accuracy=evaluation.accuracy,
        test_loss=evaluation.loss, n_test_wrong=evaluation.n_wrong,
    )


# --------------------------------------------------------------------------- why max is subtracted


def naive_softmax(z: np.ndarray) -> np.ndarray:
    """The softmax exactly as the formula reads, exp(z) / sum(exp(z)): correct on paper,
    but exp overflows to infinity for logits above ~88.7 in float32, and inf / inf = NaN.
    (For the demonstration only; the warnings NumPy would print are silenced.)"""
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(z)
        return e / e.sum(axis=-1, keepdims=True)


@dataclass(frozen=True)
class OverflowDemo:
    """The same logits, all raised by ``shift``, through the naive and the stable softmax.

    Adding a constant to every logit must not change the probabilities (the factor
    exp(shift) cancels), so the right answer is the softmax of the original logits.
    """

    logits: np.ndarray  # float32, the original logits
    shift: float
    big: np.ndarray  # float32, logits + shift
    naive_exp: np.ndarray  # exp(big): inf wherever big > 88.7
    naive: np.ndarray  # naive_softmax(big): NaN (and zeros)
    stable: np.ndarray  # softmax(big), the project's stable version
    expected: np.ndarray  # softmax(logits): what both should have given

    @property
    def naive_failed(self) -> bool:
        return not bool(np.isfinite(self.naive).all())


def overflow_demo(logits: np.ndarray | None = None, shift: float = 100.0) -> OverflowDemo:
    """Raise every logit by ``shift`` and compare the naive softmax with the stable one, in
    float32, the type the model trains in. Without ``logits``, three made-up scores are used.
    """
    z = np.asarray(logits if logits is not None else [3.0, 1.0, -2.0], dtype=np.float32)
    big = z + np.float32(shift)
    with np.errstate(over="ignore"):
        naive_exp = np.exp(big)
    return OverflowDemo(logits=z, shift=float(shift), big=big, naive_exp=naive_exp,
                        naive=naive_softmax(big), stable=softmax(big[None, :])[0],
                        expected=softmax(z[None, :])[0])


# --------------------------------------------------------------------------- the project's code


_NOQA = re.compile(r"\s+# noqa\b[^\n]*")  # linter notes: noise on a projector


@dataclass(frozen=True)
class Snippet:
    """A few lines of the project's source: what runs, shown on the page."""

    name: str  # e.g. "core.model.softmax"
    path: str  # the file, relative to the project, e.g. "core/model.py"
    line: int  # the file's line number of the first line of ``code``
    code: str


def _without_docstring(lines: list[str], first: int) -> list[tuple[int, str]]:
    """Number ``lines`` (starting at ``first``) and drop the docstring of the function or
    class they define, found with :mod:`ast` rather than by guessing at quotes."""
    numbered = list(enumerate(lines, start=first))
    try:
        node = ast.parse(textwrap.dedent("".join(lines))).body[0]
    except (SyntaxError, IndexError):
        return numbered
    body = getattr(node, "body", None)
    if (body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)):
        start, end = body[0].lineno, body[0].end_lineno  # 1-based, within ``lines``
        numbered = numbered[:start - 1] + numbered[end:]
    return numbered


def source_snippet(obj: Callable[..., Any], start: str | None = None, end: str | None = None,
                   max_lines: int = 14) -> Snippet:
    """The source of ``obj`` without its docstring, for showing on a page.

    With ``start`` (and ``end``), only the lines from the first one containing ``start``
    through the next one containing ``end`` are kept, dedented: the relevant part of a long
    function. If a marker is not found (someone rewrote the function), the whole function
    is shown instead. Longer results are cut at ``max_lines`` with a ``...`` line.
    """
    obj = inspect.unwrap(getattr(obj, "fget", obj))  # properties: their getter
    lines, first = inspect.getsourcelines(obj)
    numbered = _without_docstring(lines, first)
    if start is not None:
        i = next((k for k, (_, s) in enumerate(numbered) if start in s), None)
        if i is not None:
            j = i if end is None else next(
                (k for k in range(i, len(numbered)) if end in numbered[k][1]), None)
            if j is not None:
                numbered = numbered[i:j + 1]
    while numbered and not numbered[-1][1].strip():
        numbered.pop()
    cut = len(numbered) > max_lines
    numbered = numbered[:max_lines]
    code = textwrap.dedent("".join(_NOQA.sub("", s) for _, s in numbered)).rstrip("\n")
    if cut:
        code += "\n..."
    module = inspect.getmodule(obj)
    path = Path(inspect.getsourcefile(obj) or "")
    try:
        path = path.resolve().relative_to(PROJECT_ROOT)
    except ValueError:
        pass
    name = f"{module.__name__ if module else '?'}.{obj.__qualname__}"
    return Snippet(name=name, path=path.as_posix(), line=numbered[0][0] if numbered else first,
                   code=code)


def code_snippets() -> dict[str, tuple[Snippet, ...]]:
    """The project's code for each step of the lesson, keyed like the page's sections:
    scale, flatten, onehot, split, linear, softmax, cross_entropy, l2, gradient, sgd,
    evaluate."""
    Reg = model.SoftmaxWeights
    return {
        "scale": (source_snippet(data.Dataset.features, "x = self._split(split)",
                                 "return x"),),
        "flatten": (source_snippet(data.make_dataset, "flat = ", "x_tr, y_tr, x_va, y_va ="),),
        "onehot": (source_snippet(tutorial.TutorialLoop.__init__, "t_mnist = ", "t_mnist = "),
                   source_snippet(Reg.gradients, "delta = proba", "-= 1")),
        "split": (source_snippet(tutorial.TutorialLoop.__init__, "np.random.seed", "test_size="),
                  source_snippet(data.split_validation)),
        "linear": (source_snippet(Reg.logits),),
        "softmax": (source_snippet(model.softmax),),
        "cross_entropy": (source_snippet(model.cross_entropy),),
        "l2": (source_snippet(Reg.loss),),
        "gradient": (source_snippet(Reg.gradients, "proba = self.predict_proba", "return"),),
        "sgd": (source_snippet(tutorial.TutorialLoop.train, "dW = ", "self.b -="),
                source_snippet(sgd.SGD.update, "if self.l2", "self._master_b -=")),
        "evaluate": (source_snippet(metrics.evaluate), source_snippet(metrics.Evaluation.accuracy)),
    }
