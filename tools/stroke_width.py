"""Measure MNIST's stroke width on the bundled training images (train + validation):
``python -m tools.stroke_width``. The median it prints is core.stroke.MNIST_STROKE_WIDTH,
the width the Draw page's pen gives a drawing's strokes."""

from __future__ import annotations

import numpy as np

from core.data import load_mnist
from core.stroke import MNIST_STROKE_WIDTH, measure_mnist


def main() -> None:
    data = load_mnist()
    stats = measure_mnist(np.concatenate([data.x_train, data.x_valid]))
    print(f"MNIST training images: {stats['n']}")
    print(f"stroke width (2 ink / perimeter), MNIST pixels: median {stats['median']:.3f} "
          f"(quartiles {stats['q1']:.3f}, {stats['q3']:.3f})")
    print(f"ink per image, median: {stats['ink']:.1f} pixels of full ink")
    print(f"MNIST_STROKE_WIDTH in core/stroke.py: {MNIST_STROKE_WIDTH}")


if __name__ == "__main__":
    main()
