"""Right and wrong are never told by colour alone, nor by green against red.

Every page that says whether a prediction is right uses the pair in core.figures.VERDICTS
(Okabe-Ito blue "✓ right", vermillion "✗ wrong"): the symbol and the word carry the answer
for a reader who cannot tell the colours apart. Run by Streamlit's own test driver (see
tests/apptest_support.py).
"""

from __future__ import annotations

import json

import ui
from apptest_support import app, click, go  # noqa: F401
from core.figures import PROBABILITY_KEY
from core.style import VERDICTS


def _bars(at, key: str) -> dict:
    charts = [c for c in at.get("plotly_chart") if c.key == key]
    assert len(charts) == 1, [c.key for c in at.get("plotly_chart")]
    return json.loads(charts[0].proto.spec)["data"][0]


def _predicted_bar(bars: dict) -> tuple[str, str]:
    """(colour, text) of the one bar that is not the neutral grey of the other classes."""
    colours = bars["marker"]["color"]
    odd = [k for k, c in enumerate(colours) if colours.count(c) == 1]
    assert len(odd) == 1, colours
    return colours[odd[0]], bars["text"][odd[0]]


def _shown_verdicts(at) -> list[str]:
    return [m.value for m in at.markdown if m.value in (ui.verdict(True), ui.verdict(False))]


def _check_how_it_works(at) -> bool:
    metrics = {m.label: m.value for m in at.metric}
    correct = metrics["True class"] == metrics["Prediction"]
    verdict = VERDICTS[correct]
    assert _shown_verdicts(at) == [ui.verdict(correct)] * 2  # at the top and in step 11
    assert verdict.label in ui.verdict(correct) and verdict.colour in ui.verdict(correct)
    assert not [m for m in at.metric if m.proto.delta in ("right", "wrong")]  # no green/red pill
    colour, text = _predicted_bar(_bars(at, "lesson-proba"))
    assert colour == verdict.colour and text.startswith(verdict.symbol)
    assert PROBABILITY_KEY in [c.value for c in at.caption]
    return correct


def test_how_it_works_says_right_and_wrong_with_a_symbol_and_a_safe_colour(app):
    go(app, "views/how_it_works.py")
    seen = {_check_how_it_works(app)}
    click(app, "Next mistake")
    assert _check_how_it_works(app) is False
    seen.add(False)
    app.number_input(key="lesson_index").set_value(0).run()  # MNIST's first test digit, a 7
    seen.add(_check_how_it_works(app))
    assert seen == {True, False}, "the model got test digit 0 wrong: pick a right one"


def test_results_probability_bars_say_right_and_wrong(app):
    go(app, "views/results.py")
    colour, text = _predicted_bar(_bars(app, "selected-proba"))  # mistakes are shown first
    assert (colour, text[0]) == (VERDICTS[False].colour, VERDICTS[False].symbol)
    ticks = json.loads([c for c in app.get("plotly_chart") if c.key == "selected-proba"][0]
                       .proto.spec)["layout"]["xaxis"]["ticktext"]
    assert sum("true" in t for t in ticks) == 1  # the true class is marked under its bar
    assert PROBABILITY_KEY in [c.value for c in app.caption]

    app.segmented_control(key="kind").set_value("Correct").run()
    first = next(b for b in app.button if (b.key or "").startswith("digit-"))
    first.click().run()  # a digit the model gets right
    assert first.label[2] == first.label[6]  # "T:k P:k"
    colour, text = _predicted_bar(_bars(app, "selected-proba"))
    assert (colour, text[0]) == (VERDICTS[True].colour, VERDICTS[True].symbol)
