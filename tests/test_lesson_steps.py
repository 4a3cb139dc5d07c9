"""The "How it works" lesson as data (core.lesson_steps): every step in order with its code,
its words computed from the data (another dataset's counts read right), both branches of
the words that depend on the image, and the numbers formatted for a projector."""

from __future__ import annotations

import ast
import re

import numpy as np
import pytest

from conftest import ROOT
from core.data import FASHION_NAMES, SPLIT_SEED, make_dataset
from core.lesson import code_snippets, walkthrough
from core.lesson_steps import (
    Caption,
    Chart,
    Markdown,
    MetricRow,
    Table,
    fmt,
    in_words,
    lesson_steps,
    power_of_ten,
)
from core.model import SoftmaxWeights
from core.model_file import load_model

NUMBERS = ("1", "2", "3", "4", "5", "6", "6b", "7", "8", "9", "10", "11")


def _words(step) -> str:
    """Everything a step says: title, explanation, formula, and its live text and labels."""
    parts = [step.title, step.explanation, step.latex, *step.captions]
    for block in step.live:
        if isinstance(block, Markdown | Caption):
            parts.append(block.text)
        elif isinstance(block, MetricRow):
            parts += [f"{m.label} {m.value} {m.delta or ''}" for m in block.metrics]
        elif isinstance(block, Table):
            parts += list(block.columns)
    return "\n".join(parts)


@pytest.fixture(scope="module")
def mnist_steps(mnist):
    model = load_model(ROOT / "data" / "default_model.npz")
    return {s.number: s for s in lesson_steps(walkthrough(model, mnist, 0))}


@pytest.fixture(scope="module")
def other_data():
    """A made-up Fashion-MNIST-like dataset with other counts: 10,500 training images (so
    500 to train on, 10,000 held out) and 300 test images."""
    rng = np.random.RandomState(0)
    images = lambda n: rng.randint(0, 256, (n, 28, 28)).astype(np.uint8)  # noqa: E731
    return make_dataset("other", images(10_500), rng.randint(0, 10, 10_500), images(300),
                        rng.randint(0, 10, 300), class_names=FASHION_NAMES)


def test_every_step_in_order_with_its_own_code(mnist_steps):
    assert tuple(mnist_steps) == NUMBERS
    snippets = code_snippets()
    used = [s.code for s in mnist_steps.values() if s.code is not None]
    assert used == list(snippets), "each step of code_snippets() shown once, in order"
    assert mnist_steps["6b"].code is None
    for step in mnist_steps.values():
        assert step.title and step.explanation and step.latex and step.live, step.number
        if step.code is not None:
            assert len(step.captions) <= len(snippets[step.code]), step.number
    assert mnist_steps["4"].captions == ("The tutorial's way:",
                                         "This project's way, the same numbers:")


def test_mnist_reads_as_before(mnist_steps):
    split = mnist_steps["4"].explanation
    assert "Of the 60,000 training images, 10,000 are" in split
    assert f"(fixed seed {SPLIT_SEED})" in split and SPLIT_SEED == 34
    assert "The 10,000 test images are used only at the end" in split
    assert mnist_steps["2"].title == "Flatten the 28 x 28 grid into 784 numbers"
    assert "784 x 10 + 10 = **7,850 numbers**" in mnist_steps["5"].explanation
    assert "becomes ten numbers" in mnist_steps["3"].explanation
    assert "(100 with the tutorial's settings)" in mnist_steps["10"].explanation
    assert "**clipped at 10⁻¹⁰** first" in mnist_steps["7"].explanation
    assert r"10^{-10}\right)" in mnist_steps["7"].latex
    assert "Add 100 to every score" in mnist_steps["6b"].explanation
    assert "**10,000 test images**" in mnist_steps["11"].explanation


def test_other_counts_come_from_the_data(other_data):
    model = SoftmaxWeights.initialise(class_names=FASHION_NAMES)
    w = walkthrough(model, other_data, 7)
    steps = {s.number: s for s in lesson_steps(w)}
    assert (w.n_train, w.n_valid, w.n_test) == (500, 10_000, 300)
    assert "Of the 10,500 training images, 10,000 are" in steps["4"].explanation
    assert "The 300 test images" in steps["4"].explanation
    assert "10{,}500 = " in steps["4"].latex
    assert "**300 test images**" in steps["11"].explanation
    assert "of 300 wrong" in steps["11"].live[0].metrics[1].delta
    everything = "\n".join(_words(s) for s in steps.values())
    assert not re.search(r"60,000|50,000|60\{,\}000", everything)


@pytest.mark.parametrize("clipped", [False, True])
def test_the_words_follow_the_image(other_data, clipped):
    model = SoftmaxWeights.initialise(class_names=FASHION_NAMES)
    y = int(other_data.y_test[0])
    if clipped:  # the true class scored so low that p[y] < 1e-10: the clip decides the loss
        model.b[y] = -100
    w = walkthrough(model, other_data, 0)
    steps = {s.number: s for s in lesson_steps(w)}
    assert w.clipped == clipped
    said = steps["7"].live[-1].text
    assert ("The clip decided this loss" in said) == clipped
    assert "10⁻¹⁰" in said
    tables = [b for s in steps.values() for b in s.live if isinstance(b, Table)]
    for t in tables:
        assert all(len(cells) == len(t.index) for cells in t.columns.values())
        if t.highlight is not None:
            assert t.index == FASHION_NAMES and t.highlight == FASHION_NAMES[y]
    charts = [b for s in steps.values() for b in s.live if isinstance(b, Chart)]
    assert [c.key for c in charts] == ["lesson-proba"]
    verdicts = [m.verdict for s in steps.values() for b in s.live if isinstance(b, MetricRow)
                for m in b.metrics if m.verdict is not None]
    assert verdicts == [w.correct]


def test_numbers_for_a_projector():
    assert [fmt(v) for v in (3.0, -12.14472, 0.00316, 4.2e-6, 373505.2, float("nan"),
                             float("inf"), -float("inf"))] == [
        "3", "-12.1447", "0.0032", "4.20e-06", "3.74e+05", "NaN", "inf", "-inf"]
    assert power_of_ten(1e-10) == "10⁻¹⁰" and power_of_ten(1e-10, latex=True) == "10^{-10}"
    assert power_of_ten(1000) == "10³" and power_of_ten(2e-10) == "2e-10"
    assert in_words(10) == "ten" and in_words(7) == "seven" and in_words(26) == "26"


def _longest_function(path) -> tuple[int, str]:
    tree = ast.parse(path.read_text())
    return max((node.end_lineno - node.lineno + 1, node.name) for node in ast.walk(tree)
               if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef))


def test_the_page_is_short_and_so_are_the_functions():
    assert len((ROOT / "views" / "how_it_works.py").read_text().splitlines()) < 150
    for name in ("core/lesson.py", "core/lesson_steps.py", "views/how_it_works.py"):
        length, function = _longest_function(ROOT / name)
        assert length <= 40, f"{name}: {function} has {length} lines"
