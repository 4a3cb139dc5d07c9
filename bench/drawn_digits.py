"""How well do the models read digits drawn on the Draw page's canvas, by a hand they never saw?

MNIST's test set is written by the same kind of writers as its training set; a drawing on the
dashboard's canvas is not. This check draws digits from stroke paths, the way a mouse draws
them: white lines with round ends on the 280x280 black canvas, in several styles (upright,
slanted left and right, thin, medium and thick strokes, a few "writers" who each place the
points a little differently, two shapes for most digits: a 1 with and without its flag, a 7
with and without its bar, an open and a closed 4, ...). Each drawing goes through the Draw
page's own preprocessing (:func:`core.canvas.preprocess_canvas`, then
:func:`core.preprocess.prepare_images` for the model's own preprocessing) and each model reads
it. It prints the accuracy of each model, overall and by slant and by stroke width, with the
strokes as drawn and redrawn with MNIST's pen (:mod:`core.stroke`, the Draw page's default).

A second set, "other hands", draws the same shapes as many more writers would: each writer
(seeded) has a slant of their own (-25 to +35 degrees), a brush from 5 to 45 px, a digit from
80 to 250 px tall and 0.5 to 0.8 as wide, placed anywhere on the canvas, and a hand that
wobbles (a smooth random drift along every stroke) as well as misplacing points. It is there
so that a change is not fitted to the first set's few styles. A third, "MNIST test writers",
is real handwriting by writers the models never saw (MNIST's test writers are not its training
writers): 500 test digits enlarged onto the canvas at random sizes and places, made binary as
a brush draws and thinned or thickened at random.

    python -m bench.drawn_digits                       # the bundled models
    python -m bench.drawn_digits --models a.npz b.npz  # any saved models
    python -m bench.drawn_digits --markdown            # and the README's table

No model has seen these drawings, and nothing here was tuned on them: the first set's paths
were written once, before the first measurement; the second set's ranges before its first.
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
from core.stroke import MNIST_STROKE_WIDTH

CANVAS = 280  # the Draw page's canvas
BOX = (120, 190)  # an upright digit's width and height on it, in canvas pixels
SLANTS = (-20, 0, 15, 30)  # degrees; positive leans right (the top moves right), as most do
WIDTHS = {"thin": 10, "medium": 20, "thick": 32}  # the Draw page's brush is 20
WRITERS = 3  # each moves every point by up to 4 % of the box, at random (seeded)
HANDS = 20  # writers of the "other hands" set, for each shape
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


def drawings(seed: int = 12, stroke: float | None = MNIST_STROKE_WIDTH):
    """Every (digit, shape, slant, width, writer) drawing: ((28, 28) float image, labels),
    framed with strokes ``stroke`` MNIST pixels wide (None: as drawn)."""
    rng = np.random.default_rng(seed)
    for digit, shapes in SHAPES.items():
        for shape, strokes in enumerate(shapes):
            for slant in SLANTS:
                for width_name, width in WIDTHS.items():
                    for writer in range(WRITERS):
                        rgba = render(strokes, slant, width, rng)
                        yield preprocess_canvas(rgba, stroke=stroke), dict(
                            digit=digit, shape=shape, slant=slant, width=width_name,
                            writer=writer)


def wobble(strokes, rng: np.random.Generator, amount: float = 0.03):
    """Strokes in the unit box, each resampled every 2 % of the box and moved by a smooth
    random drift (a random walk, smoothed, at most about ``amount`` of the box): a hand that
    does not follow the path exactly."""
    out = []
    for stroke in strokes:
        pts = np.asarray(stroke, dtype=float)
        steps = np.maximum(1, np.ceil(np.hypot(*np.diff(pts, axis=0).T) / 0.02)).astype(int)
        dense = np.concatenate([np.linspace(a, b, k, endpoint=False)
                                for a, b, k in zip(pts[:-1], pts[1:], steps, strict=True)]
                               + [pts[-1:]])
        drift = np.cumsum(rng.normal(0, 1, dense.shape), axis=0)
        drift = np.apply_along_axis(lambda c: np.convolve(c, np.ones(9) / 9, "same"), 0, drift)
        drift *= amount / max(np.abs(drift).max(), 1e-9)
        out.append([tuple(p) for p in dense + drift])
    return out


def render_hand(strokes, rng: np.random.Generator) -> tuple[np.ndarray, dict]:
    """One drawing by a random writer of the "other hands" set: (280, 280, 4) uint8 RGBA and
    the writer's slant, brush, height."""
    brush = int(rng.integers(5, 46))
    height = rng.uniform(80, min(250, CANVAS - brush - 10))
    width = height * rng.uniform(0.5, 0.8)
    slant = rng.uniform(-25, 35)
    lean = math.tan(math.radians(slant))
    reach = abs(lean) * height / 2 + width / 2 + brush / 2
    cx = rng.uniform(reach, CANVAS - reach) if reach < CANVAS / 2 else CANVAS / 2
    cy = rng.uniform(height / 2 + brush / 2, CANVAS - height / 2 - brush / 2)
    image = Image.new("L", (CANVAS, CANVAS), 0)
    pen = ImageDraw.Draw(image)
    for stroke in wobble(strokes, rng):
        points = [(cx + (x + rng.uniform(-0.03, 0.03) - 0.5) * width + lean * height * (0.5 - y),
                   cy + (y + rng.uniform(-0.03, 0.03) - 0.5) * height) for x, y in stroke]
        pen.line(points, fill=255, width=brush, joint="curve")
        for px, py in (points[0], points[-1]):
            pen.ellipse((px - brush / 2, py - brush / 2, px + brush / 2, py + brush / 2), fill=255)
    grey = np.asarray(image)
    rgba = np.dstack([grey, grey, grey, np.full_like(grey, 255)])
    return rgba, dict(slant=slant, brush=brush, height=height)


def other_hands(seed: int = 25, stroke: float | None = MNIST_STROKE_WIDTH):
    """HANDS writers for every shape of every digit: ((28, 28) float image, labels)."""
    rng = np.random.default_rng(seed)
    for digit, shapes in SHAPES.items():
        for shape, strokes in enumerate(shapes):
            for _ in range(HANDS):
                rgba, hand = render_hand(strokes, rng)
                width = "thin" if hand["brush"] < 15 else "medium" if hand["brush"] < 28 \
                    else "thick"
                slant = min(SLANTS, key=lambda s: abs(s - hand["slant"]))  # nearest of the set's
                yield preprocess_canvas(rgba, stroke=stroke), dict(
                    digit=digit, shape=shape, slant=slant, width=width)


def mnist_writers(n: int = 500, seed: int = 7, stroke: float | None = MNIST_STROKE_WIDTH):
    """Real handwriting on the canvas: the first ``n`` MNIST *test* digits (their writers are
    not the training set's), each enlarged to a random height of 80-250 px at a random place,
    made binary like a canvas brush at a random grey level (0.2-0.7) and thickened or thinned
    by up to 12 px on each side (distance transforms): ((28, 28) float image, labels)."""
    from scipy.ndimage import distance_transform_edt  # noqa: PLC0415

    from core.data import load_mnist  # noqa: PLC0415

    data, rng = load_mnist(), np.random.default_rng(seed)
    for digit, row in zip(data.y_test[:n], data.x_test[:n], strict=True):
        height = int(rng.uniform(80, 250))
        big = np.asarray(Image.fromarray(row.reshape(28, 28)).resize(
            (height * 28 // 20,) * 2, Image.Resampling.BILINEAR)) / 255
        ink = big > rng.uniform(0.2, 0.7)
        grow = rng.uniform(-12, 12) * height / 190
        thinned = distance_transform_edt(ink) > -grow
        ink = (distance_transform_edt(~ink) <= grow if grow > 0
               else thinned if thinned.any() else ink)  # a stroke thinned away stays as it was
        rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
        ink = ink[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
        canvas = np.zeros((CANVAS, CANVAS), np.uint8)
        top = int(rng.integers(0, CANVAS - ink.shape[0] + 1))
        left = int(rng.integers(0, CANVAS - ink.shape[1] + 1))
        canvas[top:top + ink.shape[0], left:left + ink.shape[1]] = ink * 255
        width = "thin" if grow < -4 else "medium" if grow < 4 else "thick"
        yield preprocess_canvas(canvas, stroke=stroke), dict(digit=int(digit), width=width)


def score(models: dict[str, SoftmaxWeights], seed: int = 12,
          stroke: float | None = MNIST_STROKE_WIDTH, hands: bool | str = False
          ) -> dict[str, dict]:
    """For each model: the fraction right, overall and per slant and per width, on the
    first set (or, ``hands``, the "other hands" set; ``hands="mnist"``, MNIST's test writers
    on the canvas), strokes ``stroke`` wide (None: as drawn)."""
    made = (mnist_writers(stroke=stroke) if hands == "mnist"
            else other_hands(stroke=stroke) if hands else drawings(seed, stroke))
    images, labels = zip(*made, strict=True)
    x = np.stack(images).reshape(len(images), -1)
    digits = np.array([lab["digit"] for lab in labels])
    out = {}
    for name, model in models.items():
        right = model.read(x)[1].argmax(axis=1) == digits
        groups = defaultdict(list)
        for ok, lab in zip(right, labels, strict=True):
            if "slant" in lab:
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
    p.add_argument("--markdown", action="store_true", help="also print the README's table")
    args = p.parse_args(argv)
    paths = {str(path): path for path in args.models} if args.models else MODELS
    models = {name: load_model(path) for name, path in paths.items()
              if Path(path).exists()}
    tables = {}
    for title, hands in (("our drawings", False), ("other hands", True),
                         ("MNIST test writers", "mnist")):
        results = {f"{name.split(' (')[0]}, {how}": r
                   for how, stroke in (("as drawn", None), ("restroked", MNIST_STROKE_WIDTH))
                   for name, r in score(models, stroke=stroke, hands=hands).items()}
        _table(title, results)
        tables[title] = results
    if args.markdown:
        _markdown(tables)


README_ROWS = [("our drawings", "all", "our drawings, all"),
               ("our drawings", "slant -20", "... leaning 20 deg. left"),
               ("our drawings", "slant +0", "... upright"),
               ("our drawings", "slant +30", "... leaning 30 deg. right"),
               ("our drawings", "thin", "... thin strokes (10 px)"),
               ("other hands", "all", "other hands"),
               ("MNIST test writers", "all", "MNIST's test writers")]


def _markdown(tables: dict[str, dict[str, dict]]) -> None:
    """The README's table: a row a set (or group), a column a (model, strokes)."""
    names = list(next(iter(tables.values())))
    print("\n| drawn digits | " + " | ".join(names) + " |")
    print("|---|" + "---:|" * len(names))
    for title, key, label in README_ROWS:
        n = f" ({tables[title][names[0]]['n']})" if key == "all" else ""
        print(f"| {label}{n} | "
              + " | ".join(f"{tables[title][name][key]:.1%}".replace("%", " %") for name in names)
              + " |")


def _table(title: str, results: dict[str, dict]) -> None:
    """Print one set's accuracies: a column a (model, strokes), a row a group."""
    keys = ([f"slant {s:+d}" for s in SLANTS] + list(WIDTHS)
            + [f"digit {d}" for d in SHAPES])
    print(f"\n{title:>18}" + "".join(f"{name[:25]:>26}" for name in results))
    print(f"{'all drawings':>18}" + "".join(f"{r['all']:>19.1%} of {r['n']:<4}"
                                            for r in results.values()))
    for key in keys:
        if any(key in r for r in results.values()):
            print(f"{key:>18}" + "".join(f"{r[key]:>26.1%}" if key in r else f"{'-':>26}"
                                         for r in results.values()))


if __name__ == "__main__":
    main()
