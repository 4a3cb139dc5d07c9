"""The tutorial's own program, transcribed: the reference our trainer is measured against.

This is the article's code as it is written there, line for line: NumPy's global generator
seeded with ``np.random.seed(34)``; scikit-learn's ``train_test_split`` holding out 10,000
of the 60,000 training images (it draws its permutation from that global generator); one-
hot labels from ``np.eye``; W drawn from U(-0.08, 0.08) in float64 and b = 0; then, every
epoch, one ``np.random.permutation`` of the training set and a plain loop over slices of
it, each a step of

    y_hat = softmax(x W + b)
    dW    = x^T (y_hat - t) / B + lambda W
    W    -= eps * dW,   b -= eps * mean(y_hat - t)

with the article's stable softmax and clipped log. Only two things differ from the
article: the images come from IDX files (ours, bundled) instead of a download, and the
settings are arguments. It seeds NumPy's *global* generator, as the article does, so it
belongs in benchmarks and tests, never in the dashboard's server.

:mod:`core.train` computes the same numbers, its steps arranged for speed by :mod:`core.sgd`;
the tests compare the two weight for weight, and ``python -m core.train`` prints the lines
this prints.
"""

from __future__ import annotations

import numpy as np


def softmax(x):
    x -= x.max(axis=1, keepdims=True)
    x_exp = np.exp(x)
    return x_exp / np.sum(x_exp, axis=1, keepdims=True)


def np_log(x):
    return np.log(np.clip(a=x, a_min=1e-10, a_max=x.max()))


def prints_epoch(epoch: int) -> bool:
    """The article prints the first epoch and every tenth."""
    return epoch == 1 or epoch % 10 == 0


def epoch_line(epoch: int, valid_loss: float, valid_acc: float) -> str:
    """The article's progress line, e.g. ``EPOCH 1: Valid Loss=0.389, Valid Acc=0.894``."""
    return f"EPOCH {epoch}: Valid Loss={valid_loss:.3f}, Valid Acc={valid_acc:.3f}"


class TutorialLoop:
    """The article's training program. ``images`` (60000, 28, 28) and ``labels`` (60000,)
    are the training IDX files as read; :meth:`epoch` trains one epoch and returns the
    validation ``(cost, accuracy)``."""

    def __init__(self, images, labels, eps=0.1, lam=1e-4, batch_size=100, seed=34,
                 n_classes=10):
        from sklearn.model_selection import train_test_split  # the article's split

        np.random.seed(seed)
        x_mnist = images.reshape(len(images), -1).astype("float32") / 255
        t_mnist = np.eye(n_classes)[labels.astype("int32")]
        self.x_train, self.x_valid, self.t_train, self.t_valid = train_test_split(
            x_mnist, t_mnist, test_size=10000)
        self.W = np.random.uniform(low=-0.08, high=0.08, size=(x_mnist.shape[1], n_classes))
        self.b = np.zeros(shape=(n_classes,))
        self.eps, self.lam, self.batch_size = eps, lam, batch_size

    def train(self, x, t):
        batch_size = x.shape[0]
        y_hat = softmax(np.matmul(x, self.W) + self.b)
        cost = (- t * np_log(y_hat)).sum(axis=1).mean()
        delta = y_hat - t
        dW = np.matmul(x.T, delta) / batch_size + self.lam * self.W
        db = np.matmul(np.ones(shape=(batch_size,)), delta) / batch_size
        self.W -= self.eps * dW
        self.b -= self.eps * db
        return cost

    def valid(self):
        y_hat = softmax(np.matmul(self.x_valid, self.W) + self.b)
        cost = (- self.t_valid * np_log(y_hat)).sum(axis=1).mean()
        accuracy = np.mean(y_hat.argmax(axis=1) == self.t_valid.argmax(axis=1))
        return cost, accuracy

    def epoch(self):
        perm = np.random.permutation(len(self.x_train))
        x_train, t_train = self.x_train[perm], self.t_train[perm]
        for i in range(0, len(x_train), self.batch_size):
            self.train(x_train[i:i + self.batch_size], t_train[i:i + self.batch_size])
        return self.valid()
