"""Softmax regression (multinomial logistic regression), written out in NumPy.

The model has one weight matrix ``W`` (n_features x K; 784 x 10 for MNIST) and one bias
vector ``b`` (K). For an example ``x`` (a row of n_features numbers: for an image, its 784
pixel values in [0, 1]) it computes K scores, the *logits*

    z = x W + b,

and turns them into probabilities with the softmax

    p_k = exp(z_k) / sum_j exp(z_j).

Training minimises the mean cross-entropy between ``p`` and the true class ``y``,

    L = -(1/B) sum_n log p_{n, y_n}  +  (lambda / 2) ||W||^2,

whose gradient has a famously simple form: with ``delta = p - onehot(y)``,

    dL/dW = x^T delta / B + lambda W,      dL/db = mean over the batch of delta.

:class:`SoftmaxRegression` is a scikit-learn classifier: ``fit(X, y)`` runs that SGD through
the dashboard's own engine (:mod:`core.train`, :mod:`core.sgd`), then ``predict_proba``,
``predict`` and ``score``; it works in a Pipeline and in GridSearchCV. The dashboard makes
its models from weights (:meth:`SoftmaxRegression.from_weights`, :meth:`~SoftmaxRegression.load`)
and reads them as ``W``, ``b``, ``class_names`` and ``config``.

It is a scikit-learn estimator *without* importing scikit-learn. Importing ``sklearn.base``
takes about a second (it loads scipy and more), and the command line and the dashboard, which
build their models from weights and never call ``fit``, should not wait for it. What
scikit-learn asks of an estimator is a protocol, not a base class, and a small one:

* the hyperparameters are ``__init__``'s keyword arguments, stored unchanged under their own
  names; ``get_params`` and ``set_params`` read and write them (``clone`` and GridSearchCV
  use nothing else);
* ``__sklearn_tags__`` says what kind of estimator it is (a classifier: y is required);
* what ``fit`` learns ends in ``_`` (``coef_``, ``classes_``, ``n_features_in_``);
* ``fit`` returns self; a classifier has ``predict`` and ``score`` (accuracy);
* with metadata routing on, ``get_metadata_routing`` says that ``score`` can take a
  ``sample_weight``.

So the class writes those out, and imports scikit-learn's helpers (its input checks, its
error types, its tags) inside the methods that need them: ``fit``, ``score``, the tags, and
the errors. ``predict_proba`` checks the dashboard's own arrays itself, and hands anything
else (lists, DataFrames, sparse matrices, NaN) to scikit-learn's ``validate_data``.
"""

from __future__ import annotations

import copy
import inspect
import io
import json
import os
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np

from core.config import TrainConfig
from core.data import Dataset
from core.i18n import Msg
from core.preprocess import NO_PREPROCESSING, check_preprocessing

LOG_CLIP = 1e-10  # log(p) is taken of max(p, 1e-10), so a confident mistake costs <= 23.03
MAX_MODEL_BYTES = 5_000_000  # a 784x10 float32 model is 32 KB; refuse anything absurd
_UNCHANGED = "$UNCHANGED$"  # scikit-learn's value for "leave this metadata request as it is"


class ModelFileError(ValueError):
    """A model file could not be loaded. The message says what is wrong with it."""


def softmax(z: np.ndarray) -> np.ndarray:
    """Row-wise softmax, computed stably.

    ``exp`` overflows for logits above ~88 in float32. Subtracting each row's maximum first
    changes nothing mathematically (the factor exp(-max) cancels between numerator and
    denominator) but makes the largest exponent exp(0) = 1, so nothing overflows.
    """
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):  # exp(-huge) = 0 is right
        big = np.finfo(z.dtype).max if z.dtype.kind == "f" else np.finfo(np.float64).max
        z = np.nan_to_num(z, nan=0.0, posinf=big, neginf=-big)  # a last guard for absurd input
        z = z - z.max(axis=-1, keepdims=True)
        np.exp(z, out=z)
    z /= z.sum(axis=-1, keepdims=True)
    return z


def cross_entropy(proba: np.ndarray, y: np.ndarray) -> float:
    """Mean of -log p[n, y_n], with the log clipped at 1e-10 so it never returns inf."""
    picked = proba[np.arange(len(y)), y]
    return float(-np.mean(np.log(np.maximum(picked, LOG_CLIP))))


def _check_x(x: np.ndarray, n_features: int) -> np.ndarray:
    """``x`` as (n, n_features); a 1-D ``x`` is one example (the lesson's maths uses it)."""
    x = np.asarray(x)
    if x.ndim == 1:
        x = x[None, :]
    if x.ndim != 2 or x.shape[1] != n_features:
        raise ValueError(
            f"expected examples of shape (n, {n_features}), one a row (an image flattened: "
            f"28x28 -> 784 values 0-1), got {x.shape}; reshape with x.reshape(len(x), -1)"
        )
    return x


def _plain(value):
    """A NumPy scalar (np.int64(20) from a parameter grid) as the Python number it holds."""
    return value.item() if isinstance(value, np.generic) else value


class SoftmaxRegression:
    """Softmax regression trained by mini-batch SGD, as a scikit-learn classifier.

    ``fit`` trains on every sample, with the features as they are (scale images to 0-1
    first), and monitors each epoch on the training data itself (see :meth:`fit`).

    Parameters
    ----------
    learning_rate : float, default 0.1
        The SGD step size: W -= learning_rate * dL/dW.
    l2 : float, default 1e-4
        lambda, the weight of the (lambda / 2) ||W||^2 penalty. scikit-learn's
        ``LogisticRegression(C=1 / (l2 * n_samples))`` minimises the same objective.
    epochs : int, default 20
        Passes over the training data. The tutorial (and the dashboard) train 200; on
        MNIST's 50,000 training images 20 epochs reach 92.2 % test accuracy against the
        200 epochs' 92.5 %, in a tenth of the time, so ``fit`` defaults to 20.
    batch_size : int, default 100
        Examples per SGD step; clipped to the number of samples.
    random_state : int, RandomState instance or None, default 34
        Seeds the initial weights, W ~ U(-0.08, 0.08), and the order of the batches
        (34 is the tutorial's seed).

    Attributes
    ----------
    coef_ : ndarray of shape (n_classes, n_features), float32
        W^T: one row of weights per class (two rows for two classes, where
        LogisticRegression keeps one).
    intercept_ : ndarray of shape (n_classes,), float32
        b.
    classes_ : ndarray of shape (n_classes,)
        The labels, sorted; ``predict`` returns them.
    n_features_in_ : int
        The number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        The column names, when X had them (a DataFrame).
    n_iter_ : int
        The epochs trained (fewer than ``epochs`` if the run diverged).
    history_ : list of core.train.EpochMetrics
        Each epoch's losses and accuracies (``valid_*``: measured on the training data).

    The dashboard's models come from :meth:`from_weights` (or :meth:`load`): W is
    (n_features, K), b (K,), both float32 unless you pass float64 arrays (the gradient check
    does, for precision); their ``classes_`` are 0..K-1, so ``predict`` returns class
    indices, and ``class_names`` says what the classes are.
    """

    # What scikit-learn before 1.6 (and tools written for it) read to tell a classifier;
    # scikit-learn 1.6 and later read the tags (:meth:`__sklearn_tags__`).
    _estimator_type = "classifier"

    def __init__(self, *, learning_rate: float = 0.1, l2: float = 1e-4, epochs: int = 20,
                 batch_size: int = 100, random_state=34):
        # Stored as given, not checked or converted: clone() and GridSearchCV rebuild the
        # estimator from get_params() and expect the very same objects back. fit checks them.
        self.learning_rate = learning_rate
        self.l2 = l2
        self.epochs = epochs
        self.batch_size = batch_size
        self.random_state = random_state

    # ----------------------------------------------------------------- the estimator protocol

    @classmethod
    def _get_param_names(cls) -> list[str]:
        """The hyperparameters: the names of ``__init__``'s arguments, sorted (as
        scikit-learn's BaseEstimator finds them)."""
        init = inspect.signature(cls.__init__).parameters.values()
        return sorted(p.name for p in init if p.name != "self")

    def get_params(self, deep: bool = True) -> dict:
        """The hyperparameters as a dict, ``{"batch_size": 100, "epochs": 20, ...}``.

        ``deep``: a parameter that is itself an estimator also contributes its own parameters
        as ``name__param`` (none of these is, but that is the protocol).
        """
        params = {}
        for name in self._get_param_names():
            value = getattr(self, name)
            if deep and hasattr(value, "get_params") and not isinstance(value, type):
                params.update((f"{name}__{k}", v) for k, v in value.get_params().items())
            params[name] = value
        return params

    def set_params(self, **params) -> SoftmaxRegression:
        """Set hyperparameters by name (``set_params(epochs=5)``), or a nested estimator's
        as ``name__param``; returns self. Values are checked by ``fit``, not here."""
        valid = self.get_params(deep=True)
        for key, value in params.items():
            name, nested, sub_key = key.partition("__")
            if name not in valid:
                raise ValueError(f"Invalid parameter {name!r} for estimator {self}. "
                                 f"Valid parameters are: {self._get_param_names()!r}.")
            if nested:
                valid[name].set_params(**{sub_key: value})
            else:
                setattr(self, name, value)
                valid[name] = value
        return self

    def __repr__(self) -> str:
        """``SoftmaxRegression(epochs=5)``: the hyperparameters that differ from their
        defaults, as scikit-learn prints its estimators."""
        init = inspect.signature(type(self).__init__).parameters
        changed = [f"{name}={value!r}" for name, value in self.get_params(deep=False).items()
                   if repr(value) != repr(init[name].default)]
        return f"{type(self).__name__}({', '.join(changed)})"

    def __sklearn_tags__(self):
        """The estimator's tags, scikit-learn's description of what it is and accepts: a
        classifier, which needs y, takes a dense 2-D X without NaN, and predicts one label
        per sample (the defaults of ClassifierMixin on BaseEstimator).

        Imported here rather than at the top: only scikit-learn calls this, so it is loaded.
        """
        from sklearn.utils import ClassifierTags, Tags, TargetTags

        return Tags(estimator_type="classifier", target_tags=TargetTags(required=True),
                    transformer_tags=None, regressor_tags=None,
                    classifier_tags=ClassifierTags())

    def __sklearn_is_fitted__(self) -> bool:
        """Fitted, or made from weights: it has ``coef_``. (scikit-learn's check_is_fitted
        asks this instead of looking for attributes ending in ``_``.)"""
        return hasattr(self, "coef_")

    def _check_fitted(self) -> None:
        """Raise scikit-learn's NotFittedError if the model has no weights yet; the common
        case, a fitted model, costs one attribute look-up and no import."""
        if not self.__sklearn_is_fitted__():
            from sklearn.utils.validation import check_is_fitted

            check_is_fitted(self)  # raises NotFittedError, with scikit-learn's message

    def get_metadata_routing(self):
        """What metadata the methods take, for scikit-learn's metadata routing (when it is
        on: ``sklearn.set_config(enable_metadata_routing=True)``, a Pipeline or
        cross_validate asks each step): only ``score``'s ``sample_weight``, not passed to it
        unless :meth:`set_score_request` asks for it."""
        from sklearn.utils.metadata_routing import MetadataRequest, get_routing_for_object

        if hasattr(self, "_metadata_request"):  # set_score_request's; clone() copies it
            return get_routing_for_object(self._metadata_request)
        request = MetadataRequest(owner=self)
        request.score.add_request(param="sample_weight", alias=None)  # None: error if given
        return request

    def set_score_request(self, *, sample_weight=_UNCHANGED) -> SoftmaxRegression:
        """With metadata routing on, whether a meta-estimator passes its ``sample_weight``
        to :meth:`score`: True (yes), False (no), None (an error if given; the default), or
        the name of the metadata to pass as ``sample_weight``. Returns self."""
        import sklearn

        if not sklearn.get_config()["enable_metadata_routing"]:
            raise RuntimeError("This method is only available when metadata routing is "
                               "enabled. You can enable it using "
                               "sklearn.set_config(enable_metadata_routing=True).")
        if sample_weight != _UNCHANGED:
            request = self.get_metadata_routing()
            request.score.add_request(param="sample_weight", alias=sample_weight)
            self._metadata_request = request
        return self

    @classmethod
    def from_weights(cls, W: np.ndarray, b: np.ndarray,
                     class_names: tuple[str, ...] | None = None,
                     config: dict | None = None,
                     preprocessing: str = NO_PREPROCESSING) -> SoftmaxRegression:
        """A model with these weights: ``W`` (n_features, K) and ``b`` (K,), used as they
        are (not copied); ``class_names`` (K; default "0".."K-1"); ``config``, the settings
        it was trained with, and ``preprocessing``, what its training images went through
        ("none" or "deskew"), both saved with it. Its hyperparameters are the defaults."""
        W, b = np.asarray(W), np.asarray(b)
        if W.ndim != 2 or b.shape != (W.shape[1],):
            raise ValueError(f"W must be (features, classes) and b (classes,): "
                             f"got {W.shape}, {b.shape}")
        names = tuple(class_names) if class_names else tuple(str(k) for k in range(W.shape[1]))
        if len(names) != W.shape[1]:
            raise ValueError(f"{len(names)} class names for {W.shape[1]} classes")
        model = cls()
        model._set_weights(W.T, b, np.arange(W.shape[1]), names, config or {})
        model._preprocessing = check_preprocessing(preprocessing)
        return model

    def _set_weights(self, coef: np.ndarray, intercept: np.ndarray, classes: np.ndarray,
                     class_names: tuple[str, ...], config: dict) -> None:
        self.coef_, self.intercept_, self.classes_ = coef, intercept, classes
        self.n_features_in_ = coef.shape[1]
        self._class_names, self._config = tuple(class_names), dict(config)

    # ----------------------------------------------------------------- the weights

    @property
    def W(self) -> np.ndarray:
        """The weights as the maths writes them, (n_features, K): ``coef_.T`` (a view)."""
        self._check_fitted()
        return self.coef_.T

    @W.setter
    def W(self, value: np.ndarray) -> None:
        self.coef_ = np.asarray(value).T
        self.n_features_in_ = self.coef_.shape[1]

    @property
    def b(self) -> np.ndarray:
        """The biases, (K,): ``intercept_``."""
        self._check_fitted()
        return self.intercept_

    @b.setter
    def b(self, value: np.ndarray) -> None:
        self.intercept_ = np.asarray(value)

    @property
    def class_names(self) -> tuple[str, ...]:
        """What each class is, as text: ("0", ..., "9"), or Fashion-MNIST's clothes."""
        self._check_fitted()
        return self._class_names

    @property
    def config(self) -> dict:
        """The settings the weights were trained with (TrainConfig's, plus "dataset")."""
        self._check_fitted()
        return self._config

    @config.setter
    def config(self, value: dict) -> None:
        self._config = dict(value)

    @property
    def preprocessing(self) -> str:
        """What the images it was trained on went through, so what its inputs must go
        through too (:func:`core.preprocess.prepare_images`): "none", or "deskew" for a
        model trained on deskewed digits. A model fitted on arrays, or loaded from a file
        saved before models recorded it, has "none"."""
        return getattr(self, "_preprocessing", NO_PREPROCESSING)

    @staticmethod
    def initial_weights(n_features: int, n_classes: int,
                        rng: np.random.RandomState) -> tuple[np.ndarray, np.ndarray]:
        """The tutorial's start, in float64 as drawn: W ~ U(-0.08, 0.08), shape
        (n_features, n_classes), and b = 0, shape (n_classes,)."""
        return rng.uniform(-0.08, 0.08, size=(n_features, n_classes)), np.zeros(n_classes)

    @classmethod
    def initialise(cls, n_features: int = 784, n_classes: int = 10, seed: int = 34,
                   class_names: tuple[str, ...] | None = None,
                   rng: np.random.RandomState | None = None) -> SoftmaxRegression:
        """An untrained model: :meth:`initial_weights` from ``rng`` (by default NumPy's
        legacy generator seeded with ``seed``), as float32."""
        rng = rng if rng is not None else np.random.RandomState(seed)
        W, b = cls.initial_weights(n_features, n_classes, rng)
        return cls.from_weights(W.astype(np.float32), b.astype(np.float32), class_names)

    @property
    def n_features(self) -> int:
        return self.W.shape[0]

    @property
    def n_classes(self) -> int:
        return self.W.shape[1]

    # ----------------------------------------------------------------- the maths

    def logits(self, x: np.ndarray) -> np.ndarray:
        """z = x W + b, one row of K scores per example (a 1-D ``x`` is one example).

        Pixels are expected in [0, 1]; absurdly large inputs are computed in float64 so that
        the scores stay finite instead of overflowing float32.
        """
        x = _check_x(x, self.n_features)
        if x.size and np.abs(x).max() > 1e6:
            return x.astype(np.float64) @ self.W.astype(np.float64) + self.b
        return x.astype(self.W.dtype, copy=False) @ self.W + self.b

    def loss(self, x: np.ndarray, y: np.ndarray, l2: float = 0.0) -> float:
        """Mean cross-entropy on (x, y), plus (l2 / 2) ||W||^2 when l2 > 0."""
        ce = cross_entropy(softmax(self.logits(x)), np.asarray(y))
        return ce + 0.5 * l2 * float(np.sum(self.W.astype(np.float64) ** 2))

    def gradients(self, x: np.ndarray, y: np.ndarray, l2: float = 0.0):
        """Return ``(loss, dW, db)`` for one batch: x (B, n_features), y (B,) class indices;
        dW (n_features, K), db (K,).

        ``delta = p - onehot(y)`` is the derivative of the cross-entropy with respect to the
        logits; the chain rule through z = x W + b gives dW = x^T delta / B + l2 W and
        db = mean(delta). (The one-hot matrix is never built: subtracting 1 at the true
        class is the same thing.)
        """
        x = _check_x(x, self.n_features).astype(self.W.dtype, copy=False)
        y = np.asarray(y)
        proba = self.predict_proba(x)
        loss = cross_entropy(proba, y) + 0.5 * l2 * float(np.sum(self.W.astype(np.float64) ** 2))
        delta = proba
        delta[np.arange(len(y)), y] -= 1
        dW = x.T @ delta / len(y) + l2 * self.W
        db = delta.mean(axis=0)
        return loss, dW, db

    def copy(self) -> SoftmaxRegression:
        """An independent copy: weights, classes, class names and config."""
        return copy.deepcopy(self)

    def is_finite(self) -> bool:
        return bool(np.isfinite(self.W).all() and np.isfinite(self.b).all())

    # ----------------------------------------------------------------- scikit-learn

    def fit(self, X, y) -> SoftmaxRegression:
        """Train on ``X`` (n_samples, n_features) and ``y`` (n_samples,): labels of at least
        two classes, numbers or strings. Features are used as they are (scale images to
        0-1 first, as ``Dataset.features`` does). Returns self.

        It runs the dashboard's engine (:class:`core.train.TrainingRun`, whose steps are
        :class:`core.sgd.SGD`'s) from weights drawn as the tutorial draws them. Every sample
        is trained on, and each epoch is monitored on the training data itself
        (:attr:`history_`): a run that diverges (a loss or weight NaN or infinite, or the
        loss far above its best) is rolled back to its best epoch with a
        ``ConvergenceWarning`` that says what to change.
        """
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.utils.multiclass import check_classification_targets
        from sklearn.utils.validation import validate_data

        from core.train import RunStatus, TrainingRun  # core.train builds on this module

        X, y = validate_data(self, X, y, dtype=[np.float32, np.float64])
        check_classification_targets(y)
        classes, y_index = np.unique(y, return_inverse=True)
        if len(classes) < 2:
            raise ValueError(f"{type(self).__name__} needs samples of at least 2 classes; "
                             f"y has 1 class ({classes[0]!r})")
        data = Dataset.from_arrays(X, y_index, tuple(str(c) for c in classes), name="fit")
        run = TrainingRun(data, self._train_config(len(y)))
        if run.run() is RunStatus.DIVERGED:
            warnings.warn(run.message, ConvergenceWarning, stacklevel=2)
        self._set_weights(run.model.coef_, run.model.intercept_, classes,
                          run.model.class_names, run.model.config)
        self.n_iter_, self.history_ = run.epochs_done, run.history
        return self

    def _train_config(self, n_samples: int) -> TrainConfig:
        """The hyperparameters as the engine's TrainConfig (which checks them), the batch
        clipped to ``n_samples`` and ``random_state`` turned into a seed."""
        seed = _plain(self.random_state)
        if seed is None or isinstance(seed, np.random.RandomState):
            from sklearn.utils.validation import check_random_state

            seed = int(check_random_state(seed).randint(np.iinfo(np.int32).max))
        config = TrainConfig(epochs=_plain(self.epochs), learning_rate=_plain(self.learning_rate),
                             l2=_plain(self.l2), batch_size=_plain(self.batch_size), seed=seed)
        return replace(config, batch_size=min(config.batch_size, n_samples))

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities, shape (n, K), the columns in the order of :attr:`classes_`;
        each row sums to 1."""
        return softmax(self.logits(self._validate_X(X)))

    def predict(self, X) -> np.ndarray:
        """The most probable class of each example: labels from :attr:`classes_` (for the
        dashboard's models, class indices)."""
        best = self.predict_proba(X).argmax(axis=1)  # checks X (and that it is fitted) first
        return self.classes_[best]

    def score(self, X, y, sample_weight=None) -> float:
        """Accuracy: the fraction of ``X`` whose :meth:`predict` equals ``y`` (weighted by
        ``sample_weight`` if given), as scikit-learn's classifiers score."""
        from sklearn.metrics import accuracy_score

        return accuracy_score(y, self.predict(X), sample_weight=sample_weight)

    def _validate_X(self, X) -> np.ndarray:
        """X checked as scikit-learn checks it: fitted, 2-D (n, n_features_in_), finite,
        as float32 or float64.

        The dashboard's and the trainer's arrays (a NumPy array of numbers, 2-D, the right
        width, no NaN or infinity, a model fitted without column names) are checked here,
        without scikit-learn; anything else (lists, DataFrames, sparse matrices, wrong
        shapes, NaN) goes to scikit-learn's ``validate_data``, for its conversions and its
        error messages.
        """
        self._check_fitted()
        if (type(X) is np.ndarray and X.dtype.kind in "biuf" and X.ndim == 2
                and X.shape[0] > 0 and X.shape[1] == self.n_features_in_
                and not hasattr(self, "feature_names_in_")):
            if X.dtype not in (np.float32, np.float64):
                X = X.astype(np.float32)  # as validate_data converts: to the first dtype asked
            with np.errstate(over="ignore", invalid="ignore"):
                finite = np.isfinite(X.sum())  # no NaN or inf (a sum that overflows: below)
            if finite:
                return X
        if len(getattr(X, "shape", ())) > 2:  # the 1-D case gets scikit-learn's message
            raise ValueError(f"expected a 2-D array (n, {self.n_features_in_}), one example a "
                             f"row, got shape {X.shape}; flatten images with "
                             "x.reshape(len(x), -1)")
        from sklearn.utils.validation import validate_data

        return validate_data(self, X, reset=False, dtype=[np.float32, np.float64])

    # ----------------------------------------------------------------- save / load

    def to_bytes(self) -> bytes:
        """The model as the bytes of an .npz file (W, b, class names, config as JSON, and
        its preprocessing)."""
        buf = io.BytesIO()
        np.savez_compressed(
            buf, W=self.W, b=self.b, class_names=np.array(self.class_names),
            config=np.array(json.dumps(self.config)),
            preprocessing=np.array(self.preprocessing),
        )
        return buf.getvalue()

    def save(self, path: str | os.PathLike) -> None:
        Path(path).write_bytes(self.to_bytes())

    @classmethod
    def from_bytes(cls, data: bytes, name: str = "model file",
                   expect_features: int | None = None,
                   expect_classes: int | None = None) -> SoftmaxRegression:
        """Load and validate a model saved by :meth:`save`.

        A file without ``preprocessing`` (saved before models recorded it) loads as a model
        of plain images ("none"), as it was trained. Raises :class:`ModelFileError` if the
        file is too large, not an .npz, lacks W / b / class_names / config, names an unknown
        preprocessing, has shapes that do not fit together (or do not fit
        ``expect_features`` / ``expect_classes``), or holds NaN or infinite weights.
        """
        if len(data) > MAX_MODEL_BYTES:
            raise ModelFileError(Msg("{name}: {size:,} bytes, too large for a model file (limit "
                                     "{limit:,})", name=name, size=len(data),
                                     limit=MAX_MODEL_BYTES))
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as npz:
                arrays = {k: npz[k] for k in npz.files}
        except Exception:
            raise ModelFileError(Msg("{name}: not a valid .npz model file", name=name)) from None
        W, b, names, config = _model_arrays(arrays, name, expect_features, expect_classes)
        preprocessing = _preprocessing_of(arrays, name)
        return cls.from_weights(W.astype(np.float32), b.astype(np.float32), names, config,
                                preprocessing)

    @classmethod
    def load(cls, path: str | os.PathLike, **expect) -> SoftmaxRegression:
        path = Path(path)
        try:
            size = path.stat().st_size
            if size > MAX_MODEL_BYTES:
                raise ModelFileError(f"{path}: {size:,} bytes, too large for a model file")
            data = path.read_bytes()
        except OSError as exc:
            raise ModelFileError(f"{path}: cannot read it ({exc.strerror})") from None
        return cls.from_bytes(data, str(path), **expect)


def _model_arrays(arrays: dict[str, np.ndarray], name: str, expect_features: int | None,
                  expect_classes: int | None) -> tuple[np.ndarray, np.ndarray, tuple, dict]:
    """Check the arrays of a model file (see :meth:`SoftmaxRegression.from_bytes`) and return
    ``(W, b, class_names, config)``, or raise :class:`ModelFileError` saying what is wrong."""
    missing = {"W", "b", "class_names", "config"} - arrays.keys()
    if missing:
        raise ModelFileError(Msg("{name}: missing {missing}; expected a file saved by this app",
                                 name=name, missing=", ".join(sorted(missing))))
    W, b = arrays["W"], arrays["b"]
    if W.ndim != 2 or b.shape != (W.shape[1],) or W.dtype.kind != "f" or b.dtype.kind != "f":
        raise ModelFileError(f"{name}: W {W.shape} and b {b.shape} must be float arrays "
                             "of shapes (features, classes) and (classes,)")
    if expect_features is not None and W.shape[0] != expect_features:
        raise ModelFileError(Msg("{name}: made for {model} pixels, this data has {data}",
                                 name=name, model=W.shape[0], data=expect_features))
    if expect_classes is not None and W.shape[1] != expect_classes:
        raise ModelFileError(Msg("{name}: has {model} classes, this data has {data}",
                                 name=name, model=W.shape[1], data=expect_classes))
    if not (np.isfinite(W).all() and np.isfinite(b).all()):
        raise ModelFileError(Msg("{name}: weights contain NaN or infinity", name=name))
    names = tuple(str(s) for s in arrays["class_names"].reshape(-1))
    if len(names) != W.shape[1]:
        raise ModelFileError(f"{name}: {len(names)} class names for {W.shape[1]} classes")
    try:
        config = json.loads(str(arrays["config"]))
    except (ValueError, RecursionError):
        config = None
    if not isinstance(config, dict):
        raise ModelFileError(f"{name}: its config is not a JSON object")
    return W, b, names, config


def _preprocessing_of(arrays: dict[str, np.ndarray], name: str) -> str:
    """The preprocessing a model file records, "none" when it records none (older files);
    :class:`ModelFileError` when it is not one this project knows."""
    if "preprocessing" not in arrays:
        return NO_PREPROCESSING
    value = str(arrays["preprocessing"])
    try:
        return check_preprocessing(value)
    except ValueError as exc:
        raise ModelFileError(f"{name}: {exc}") from None
