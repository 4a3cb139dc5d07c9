"""How well do the models read digits drawn on the Draw page's canvas, by a hand they never saw?

MNIST's test set is written by the same kind of writers as its training set; a drawing on the
dashboard's canvas is not. This check draws digits from stroke paths, the way a mouse draws
them: white lines with round ends on the 280x280 black canvas, in several styles (upright,
slanted left and right, thin, medium and thick strokes, a few "writers" who each place the
points a little differently, two shapes for most digits: a 1 with and without its flag, a 7
with and without its bar, an open and a closed 4, ...). Each drawing goes through the Draw
page's own preprocessing (:func:`core.canvas.preprocess_canvas`, then
:func:`core.preprocess.prepare_images` for the model's own preprocessing) and each model reads
it. It prints the accuracy of each model, overall and by slant and by stroke width.

    python -m bench.drawn_digits                       # the bundled models
    python -m bench.drawn_digits --models a.npz b.npz  # any saved models

No model has seen these drawings, and nothing here was tuned on them: the paths were
written once, before the first measurement.
"""

from __future__ import annotations

import argparse
import math
from collections import defaultdict
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from core.canvas import preprocess_canvas
from core.data import PROJECT_ROOT
from core.model import SoftmaxWeights
from core.model_file import load_model

CANVAS = 280  # the Draw page's canvas
BOX = (120, 190)  # an upright digit's width and height on it, in canvas pixels
SLANTS = (-20, 0, 15, 30)  # degrees; positive leans right (the top moves right), as most do
WIDTHS = {"thin": 10, "medium": 20, "thick": 32}  # the Draw page's brush is 20
WRITERS = 3  # each moves every point by up to 4 % of the box, at random (seeded)
MODELS = {"shipped (plain digits)": PROJECT_ROOT / "data" / "default_model.npz",
          "deskewed": PROJECT_ROOT / "data" / "deskewed_model.npz"}


def arc(cx: float, cy: float, rx: float, ry: float, start: float, end: float,
        n: int = 24) -> list[tuple[float, float]]:
    """Points of an elliptic arc in the unit box, y downwards: angle 0 is right, 90 down."""
    return [(cx + rx * math.cos(math.radians(a)), cy + ry * math.sin(math.radians(a)))
            for a in np.linspace(start, end, n)]


# Each digit: one or more shapes; each shape: its strokes; each stroke: points in the unit
# box (x right, y down), as a hand would draw them with the mouse button held.
SHAPES: dict[int, list[list[list[tuple[float, float]]]]] = {
    0: [[arc(0.5, 0.5, 0.45, 0.5, -90, 270)],
        [arc(0.5, 0.5, 0.38, 0.5, -100, 255)]],
    1: [[[(0.5, 0.0), (0.5, 1.0)]],
        [[(0.2, 0.25), (0.55, 0.0), (0.55, 1.0)]]],
    2: [[arc(0.5, 0.3, 0.4, 0.3, -170, 30) + [(0.05, 1.0), (0.95, 1.0)]],
        [arc(0.45, 0.28, 0.4, 0.28, -160, 45) + [(0.1, 0.95), (0.3, 0.85), (0.95, 1.0)]]],
    3: [[arc(0.5, 0.25, 0.4, 0.25, -160, 90) + arc(0.5, 0.75, 0.45, 0.25, -90, 160)]],
    4: [[[(0.65, 0.0), (0.0, 0.68), (1.0, 0.68)], [(0.7, 0.25), (0.7, 1.0)]],
        [[(0.15, 0.0), (0.1, 0.55), (0.95, 0.55)], [(0.75, 0.05), (0.75, 1.0)]]],
    5: [[[(0.9, 0.0), (0.2, 0.0), (0.15, 0.45)] + arc(0.5, 0.7, 0.42, 0.3, -140, 150)]],
    6: [[[(0.8, 0.0), (0.45, 0.2), (0.2, 0.5)] + arc(0.5, 0.73, 0.35, 0.27, 180, 540)]],
    7: [[[(0.0, 0.0), (1.0, 0.0), (0.4, 1.0)]],
        [[(0.0, 0.0), (1.0, 0.0), (0.4, 1.0)], [(0.3, 0.5), (0.85, 0.5)]]],
    8: [[arc(0.5, 0.26, 0.35, 0.25, 0, 360), arc(0.5, 0.74, 0.42, 0.26, -90, 270)]],
    9: [[arc(0.5, 0.28, 0.42, 0.28, 0, 360), [(0.92, 0.28), (0.85, 1.0)]],
        [arc(0.5, 0.28, 0.42, 0.28, 10, 370), [(0.92, 0.3), (0.8, 0.75), (0.5, 1.0)]]],
}


def canvas_strokes(strokes, slant_degrees: float,
                   rng: np.random.Generator | None = None) -> list[list[tuple[float, float]]]:
    """The strokes in canvas pixels: the unit box becomes BOX canvas pixels, centred; a
    slant shears x by tan(slant) times the height above the middle; with ``rng``, each point
    moves by up to 4 % of the box (the writer). The browser test moves the mouse along them."""
    w, h = BOX
    lean = math.tan(math.radians(slant_degrees))
    jitter = (lambda: rng.uniform(-0.04, 0.04)) if rng is not None else (lambda: 0.0)
    out = []
    for stroke in strokes:
        points = []
        for x, y in stroke:
            x, y = x + jitter(), y + jitter()
            points.append(((CANVAS - w) / 2 + x * w + lean * h * (0.5 - y),
                           (CANVAS - h) / 2 + y * h))
        out.append(points)
    return out


def render(strokes, slant_degrees: float, width: int, rng: np.random.Generator) -> np.ndarray:
    """One drawing as the canvas returns it: (280, 280, 4) uint8 RGBA, white on black, its
    strokes placed by :func:`canvas_strokes`."""
    image = Image.new("L", (CANVAS, CANVAS), 0)
    pen = ImageDraw.Draw(image)
    for points in canvas_strokes(strokes, slant_degrees, rng):
        pen.line(points, fill=255, width=width, joint="curve")
        for px, py in (points[0], points[-1]):  # round ends, as the canvas's brush draws
            pen.ellipse((px - width / 2, py - width / 2, px + width / 2, py + width / 2), fill=255)
    grey = np.asarray(image)
    return np.dstack([grey, grey, grey, np.full_like(grey, 255)])


def drawings(seed: int = 12):
    """Every (digit, shape, slant, width, writer) drawing: ((28, 28) float image, labels)."""
    rng = np.random.default_rng(seed)
    for digit, shapes in SHAPES.items():
        for shape, strokes in enumerate(shapes):
            for slant in SLANTS:
                for width_name, width in WIDTHS.items():
                    for writer in range(WRITERS):
                        rgba = render(strokes, slant, width, rng)
                        yield preprocess_canvas(rgba), dict(digit=digit, shape=shape, slant=slant,
                                                            width=width_name, writer=writer)


def score(models: dict[str, SoftmaxWeights], seed: int = 12) -> dict[str, dict]:
    """For each model: the fraction right, overall and per slant and per width."""
    images, labels = zip(*drawings(seed), strict=True)
    x = np.stack(images).reshape(len(images), -1)
    digits = np.array([lab["digit"] for lab in labels])
    out = {}
    for name, model in models.items():
        right = model.read(x)[1].argmax(axis=1) == digits
        groups = defaultdict(list)
        for ok, lab in zip(right, labels, strict=True):
            groups[f"slant {lab['slant']:+d}"].append(ok)
            groups[lab["width"]].append(ok)
            groups[f"digit {lab['digit']}"].append(ok)
        out[name] = {"all": float(right.mean()), "n": len(right),
                     **{k: float(np.mean(v)) for k, v in groups.items()}}
    return out


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench.drawn_digits",
                                description=__doc__.split("\n")[0])
    p.add_argument("--models", nargs="*", type=Path, help="saved .npz models (default: bundled)")
    args = p.parse_args(argv)
    paths = {str(path): path for path in args.models} if args.models else MODELS
    models = {name: load_model(path) for name, path in paths.items()
              if Path(path).exists()}
    results = score(models)
    keys = ([f"slant {s:+d}" for s in SLANTS] + list(WIDTHS)
            + [f"digit {d}" for d in SHAPES])
    print(f"{'':>18}" + "".join(f"{name[:24]:>26}" for name in results))
    print(f"{'all drawings':>18}" + "".join(f"{r['all']:>19.1%} of {r['n']:<4}"
                                            for r in results.values()))
    for key in keys:
        print(f"{key:>18}" + "".join(f"{r[key]:>26.1%}" for r in results.values()))


if __name__ == "__main__":
    main()
