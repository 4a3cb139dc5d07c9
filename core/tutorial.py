"""The tutorial's own program, transcribed: the reference our trainer is measured against.

This is the article's code as it is written there, line for line. Where a line differs from
the article, a comment marked ``# not the article:`` says how and why; there are three such
places:

- the images come from IDX files (the project's bundled copy, passed in as arrays) instead
  of ``mnist.load_data()``, which needs the internet;
- the settings (learning rate, lambda, batch size, seed) are arguments instead of literals;
- ``batch_size = 100``: the article uses ``batch_size`` without defining it in the code it
  shows; 100 is the value its text gives.

What the article does, and so what this does:

- ``np.random.seed(34)``, then scikit-learn's ``train_test_split`` holds out 10,000 of the
  60,000 training images (it draws its permutation from that global generator);
- pixels / 255 as float32, one-hot labels from ``np.eye`` (float64);
- W ~ U(-0.08, 0.08) of shape (784, 10) and b = 0 of shape (10,), both cast to **float32**:
  the in-place updates ``W -= eps * dW`` keep them float32;
- every epoch ``perm = np.random.permutation(n)`` and ``x_train = x_train[perm]``: the
  shuffle permutes the order the *previous* epoch left, so epoch e trains in the order
  ``order[e] = order[e - 1][perm_e]`` (the shuffle is cumulative);
- then a loop over slices of ``batch_size`` images, each a step of

      y_hat = softmax(x W + b)
      dW    = x^T (y_hat - t) / B + lambda W
      W    -= eps * dW,   b -= eps * mean(y_hat - t)

  with the article's stable softmax and its log clipped to [1e-10, 1e+10].

It seeds NumPy's *global* generator, as the article does, so it belongs in benchmarks and
tests, never in the dashboard's server. :mod:`core.train` computes the same numbers, its
steps arranged for speed by :mod:`core.sgd`; the tests compare the two weight for weight,
and line for line over the article's 200 epochs.
"""

from __future__ import annotations

import numpy as np


def softmax(x):
    x -= x.max(axis=1, keepdims=True)
    x_exp = np.exp(x)
    return x_exp / np.sum(x_exp, axis=1, keepdims=True)


def np_log(x):
    return np.log(np.clip(a=x, a_min=1e-10, a_max=1e+10))


def prints_epoch(epoch: int) -> bool:
    """The article prints the first epoch and every tenth."""
    return epoch == 1 or epoch % 10 == 0


def epoch_line(epoch: int, valid_loss: float, valid_acc: float) -> str:
    """The article's progress line, e.g. ``EPOCH 1: Valid Loss=0.389, Valid Acc=0.894``."""
    return f"EPOCH {epoch}: Valid Loss={valid_loss:.3f}, Valid Acc={valid_acc:.3f}"


def test_line(test_acc: float) -> str:
    """The article's last line, the accuracy on the 10,000 test images: ``Test Acc=0.9252``."""
    return f"Test Acc={test_acc:.4f}"


class TutorialLoop:
    """The article's training program. ``images`` (60000, 28, 28) and ``labels`` (60000,)
    are the training IDX files as read; :meth:`epoch` trains one epoch and returns the
    validation ``(cost, accuracy)``; :meth:`test` the accuracy on test images."""

    def __init__(self, images, labels, eps=0.1, lam=1e-4, batch_size=100, seed=34,
                 n_classes=10):
        # not the article: the settings are arguments, and batch_size = 100 is the value
        # the article's text gives (its code leaves batch_size undefined)
        from sklearn.model_selection import train_test_split  # the article's split

        np.random.seed(seed)
        # not the article: the images come from the IDX files, not mnist.load_data()
        x_mnist = images.reshape(len(images), -1).astype("float32") / 255
        t_mnist = np.eye(n_classes)[labels.astype("int32")]
        self.x_train, self.x_valid, self.t_train, self.t_valid = train_test_split(
            x_mnist, t_mnist, test_size=10000)
        self.W = np.random.uniform(low=-0.08, high=0.08,
                                   size=(x_mnist.shape[1], n_classes)).astype("float32")
        self.b = np.zeros(shape=(n_classes,)).astype("float32")
        self.eps, self.lam, self.batch_size = eps, lam, batch_size

    def train(self, x, t):
        batch_size = x.shape[0]
        y_hat = softmax(np.matmul(x, self.W) + self.b)
        cost = (- t * np_log(y_hat)).sum(axis=1).mean()
        delta = y_hat - t
        dW = np.matmul(x.T, delta) / batch_size + self.lam * self.W
        db = delta.mean(axis=0)
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
        self.x_train = self.x_train[perm]  # the article shuffles the shuffled set again
        self.t_train = self.t_train[perm]
        for i in range(0, len(self.x_train), self.batch_size):
            self.train(self.x_train[i:i + self.batch_size],
                       self.t_train[i:i + self.batch_size])
        return self.valid()

    def test(self, images, labels):
        """The accuracy on ``images`` (n, 28, 28) uint8 with ``labels`` (n,), as the article
        scores the test set: pixels / 255 as float32, the argmax of the softmax."""
        x = images.reshape(len(images), -1).astype("float32") / 255
        y_hat = softmax(np.matmul(x, self.W) + self.b)
        return np.mean(y_hat.argmax(axis=1) == labels)


def article_lines(images, labels, test_images, test_labels, epochs=200, **settings):
    """What the article's program prints, line by line as it trains: ``EPOCH n: ...`` at
    epoch 1 and every tenth, then the test accuracy (:func:`test_line`). ``images`` /
    ``labels`` are the 60,000 training images (n, 28, 28) and labels (n,), ``test_*`` the
    test set's; ``settings`` go to :class:`TutorialLoop`."""
    loop = TutorialLoop(images, labels, **settings)
    for epoch in range(1, epochs + 1):
        cost, accuracy = loop.epoch()
        if prints_epoch(epoch):
            yield epoch_line(epoch, cost, accuracy)
    yield test_line(loop.test(test_images, test_labels))


def main(argv=None) -> int:
    """``python -m core.tutorial [--epochs 200]``: run the article's program on the bundled
    MNIST and print its lines (about 0.4 s an epoch), to set beside ``python -m core.train``."""
    import argparse

    from core.data import BUNDLED_MNIST
    from core.idx import read_idx_folder

    parser = argparse.ArgumentParser(prog="python -m core.tutorial", description=main.__doc__)
    parser.add_argument("--epochs", type=int, default=200)
    args = parser.parse_args(argv)
    for line in article_lines(*read_idx_folder(BUNDLED_MNIST), epochs=args.epochs):
        print(line, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
