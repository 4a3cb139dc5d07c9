"""Softmax regression as a scikit-learn classifier, trained by the dashboard's own engine.

:class:`SoftmaxRegression` inherits scikit-learn's ``ClassifierMixin`` and ``BaseEstimator``,
so ``get_params``, ``set_params``, ``clone``, its repr, its tags and metadata routing are
scikit-learn's own. ``fit(X, y)`` runs a :class:`core.train.TrainingRun` (mini-batch SGD,
:mod:`core.sgd`) on any features and labels; the weights it learns are a
:class:`core.model.SoftmaxWeights` (:attr:`SoftmaxRegression.weights_`), which the dashboard
can show and :func:`core.model_file.save_model` can save.

Importing scikit-learn takes about a second (scipy and more), so only this module imports
it: the dashboard and the command line, which never call ``fit``, use
:class:`core.model.SoftmaxWeights` directly and start without it.
"""

from __future__ import annotations

import warnings
from dataclasses import replace

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, check_random_state, validate_data

from core.config import TrainConfig
from core.data import Dataset
from core.model import SoftmaxWeights
from core.run_state import RunStatus
from core.train import TrainingRun


def _plain(value):
    """A NumPy scalar (np.int64(20) from a parameter grid) as the Python number it holds."""
    return value.item() if isinstance(value, np.generic) else value


class SoftmaxRegression(ClassifierMixin, BaseEstimator):
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
    weights_ : core.model.SoftmaxWeights
        The learnt model: W (n_features, K), b (K,), class names, the settings it was
        trained with (``config``); what the dashboard shows and ``save_model`` saves.
    coef_ : ndarray of shape (n_classes, n_features), float32
        W^T (a view of ``weights_.W``): one row of weights per class (two rows for two
        classes, where LogisticRegression keeps one).
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
    """

    def __init__(self, *, learning_rate: float = 0.1, l2: float = 1e-4, epochs: int = 20,
                 batch_size: int = 100, random_state=34):
        # Stored as given, not checked or converted: clone() and GridSearchCV rebuild the
        # estimator from get_params() and expect the very same objects back. fit checks them.
        self.learning_rate = learning_rate
        self.l2 = l2
        self.epochs = epochs
        self.batch_size = batch_size
        self.random_state = random_state

    @classmethod
    def from_weights(cls, weights: SoftmaxWeights) -> SoftmaxRegression:
        """An estimator holding ``weights`` (a model the dashboard or ``python -m core.train``
        trained, or :func:`core.model_file.load_model` loaded), with the hyperparameters it
        was trained with (its ``config``), so that ``get_params`` tells the truth and a
        ``clone(...).fit`` trains the same way. It predicts class indices, 0..K-1."""
        trained = weights.hyperparameters
        params = {} if trained is None else dict(
            learning_rate=trained.learning_rate, l2=trained.l2, epochs=trained.epochs,
            batch_size=trained.batch_size, random_state=trained.seed)
        model = cls(**params)
        model._set_weights(weights, np.arange(weights.n_classes))
        return model

    def _set_weights(self, weights: SoftmaxWeights, classes: np.ndarray) -> None:
        self.weights_, self.classes_ = weights, classes
        self.coef_, self.intercept_ = weights.W.T, weights.b
        self.n_features_in_ = weights.n_features

    # The learnt weights under the dashboard's names (NotFittedError before fit).

    @property
    def W(self) -> np.ndarray:
        """The weights as the maths writes them, (n_features, K): ``coef_.T`` (a view)."""
        check_is_fitted(self)
        return self.weights_.W

    @property
    def b(self) -> np.ndarray:
        """The biases, (K,): ``intercept_``."""
        check_is_fitted(self)
        return self.weights_.b

    @property
    def class_names(self) -> tuple[str, ...]:
        """The classes as text, in the order of :attr:`classes_`."""
        check_is_fitted(self)
        return self.weights_.class_names

    @property
    def config(self) -> dict:
        """The settings of the training run (TrainConfig's, plus "dataset")."""
        check_is_fitted(self)
        return self.weights_.config

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
        self._set_weights(run.model, classes)
        self.n_iter_, self.history_ = run.epochs_done, run.history
        return self

    def _train_config(self, n_samples: int) -> TrainConfig:
        """The hyperparameters as the engine's TrainConfig (which checks them), the batch
        clipped to ``n_samples`` and ``random_state`` turned into a seed."""
        seed = _plain(self.random_state)
        if seed is None or isinstance(seed, np.random.RandomState):
            seed = int(check_random_state(seed).randint(np.iinfo(np.int32).max))
        config = TrainConfig(epochs=_plain(self.epochs), learning_rate=_plain(self.learning_rate),
                             l2=_plain(self.l2), batch_size=_plain(self.batch_size), seed=seed)
        return replace(config, batch_size=min(config.batch_size, n_samples))

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities, shape (n, K), the columns in the order of :attr:`classes_`;
        each row sums to 1."""
        check_is_fitted(self)
        if len(getattr(X, "shape", ())) > 2:  # the 1-D case gets scikit-learn's message
            raise ValueError(f"expected a 2-D array (n, {self.n_features_in_}), one example a "
                             f"row, got shape {X.shape}; flatten images with "
                             "x.reshape(len(x), -1)")
        X = validate_data(self, X, reset=False, dtype=[np.float32, np.float64])
        return self.weights_.predict_proba(X)

    def predict(self, X) -> np.ndarray:
        """The most probable class of each example, as labels from :attr:`classes_`."""
        best = self.predict_proba(X).argmax(axis=1)  # checks X (and that it is fitted) first
        return self.classes_[best]
