"""Predict, then run (issue 25, item 1): scoring a prediction (core.prediction) and the Train
page's form, verdict and "How good is my intuition?" table (ui.prediction), in AppTest."""

from __future__ import annotations

import pytest

from apptest_support import TIMEOUT, app, click, session_of  # noqa: F401 (app: a fixture)
from core import prediction as pr
from core.i18n import Translator, read_catalog


def test_a_number_is_scored_by_how_many_points_it_was_off():
    made = pr.make_prediction(pr.ACCURACY, 92.0)
    verdict = pr.score(made, 0.932)
    assert verdict.text == "off by 1.2 points" and verdict.points == pytest.approx(1.2)
    assert pr.score(made, 0.92).text == "spot on"


@pytest.mark.parametrize("direction, result, text, right", [
    ("higher", 0.93, "right: higher", True),
    ("higher", 0.90, "wrong: it was lower", False),
    ("same", 0.913, "right: about the same", True),  # 0.3 points: within half a point
    ("lower", 0.92, "wrong: it was higher", False),
])
def test_higher_lower_or_the_same_is_right_or_wrong(direction, result, text, right):
    made = pr.make_prediction(pr.RELATIVE, direction=direction, baseline=0.91)
    verdict = pr.score(made, result)
    assert (verdict.text, verdict.right) == (text, right)


def test_the_verdict_is_translated():
    ja = Translator("ja", read_catalog("ja"))
    made = pr.make_prediction(pr.RELATIVE, direction="higher", baseline=0.91)
    assert ja(pr.score(made, 0.95).text) != "right: higher"
    assert ja(pr.score(pr.make_prediction(pr.ACCURACY, 90.0), 0.912).text).count("1.2") == 1


@pytest.mark.parametrize("kind, value, direction, baseline", [
    (pr.ACCURACY, 101.0, None, None), (pr.ACCURACY, -1.0, None, None),
    (pr.ACCURACY, float("nan"), None, None), (pr.ACCURACY, None, None, None),
    (pr.RELATIVE, None, "sideways", 0.9), (pr.RELATIVE, None, "higher", None),
    ("guess", 50.0, None, None),
])
def test_a_bad_prediction_is_refused_with_a_message(kind, value, direction, baseline):
    with pytest.raises(ValueError):
        pr.make_prediction(kind, value, direction, baseline=baseline)


def test_a_reason_is_one_bounded_line():
    made = pr.make_prediction(pr.ACCURACY, 90.0, reason="because\n# heading " + "x" * 500)
    assert "\n" not in made.reason and len(made.reason) == pr.REASON_CHARS


def test_the_pending_prediction_goes_to_the_next_run_and_the_table_keeps_scored_ones():
    kept = pr.attach([pr.make_prediction(pr.ACCURACY, 90.0, reason="a guess")], ticket=7)
    assert kept[0].ticket == 7
    assert pr.attach(kept, ticket=8) == kept  # none pending: nothing changes
    kept = pr.resolve(kept, 7, 0.9)
    rows = pr.table_rows(kept + [pr.make_prediction(pr.ACCURACY, 50.0)], {7: "run 1"}, str)
    assert rows == [{"Run": "run 1", "My prediction": "90.0 %", "Validation accuracy": "90.0 %",
                     "Verdict": "spot on", "Why I thought so": "a guess"}]
    many = [pr.Prediction(pr.ACCURACY, 1.0, ticket=i) for i in range(200)]
    assert len(pr.attach(many + [pr.Prediction(pr.ACCURACY, 1.0)], 999)) == pr.KEPT


def _train(at, epochs: int = 1):
    at.number_input(key="epochs").set_value(epochs)
    at.number_input(key="batch").set_value(500)
    at.run()
    click(at, "Start")
    job = session_of(at).job
    job.join(TIMEOUT)
    assert not job.alive
    at.run()
    assert not at.exception, at.exception
    return job


def test_predict_then_run_on_the_train_page(app):
    app.number_input(key="prediction_value").set_value(97.5)
    app.text_input(key="prediction_reason").set_value("**bold** [x](http://e.vil)")
    click(app, "Commit the prediction")
    assert any("97.5 %" in m.value for m in app.markdown)
    assert not any("[x](http" in c.value for c in app.caption)  # shown as text, not a link
    job = _train(app)
    acc = 100 * job.run.history[-1].valid_acc
    beside = [i.value for i in app.info if i.value.startswith("You predicted 97.5 %")]
    assert beside == [f"You predicted 97.5 %; it reached {acc:.1f} %: "
                      f"off by {abs(97.5 - acc):.1f} points."]
    table = [d for d in app.dataframe if "My prediction" in d.value.columns]
    assert len(table) == 1 and list(table[0].value["My prediction"]) == ["97.5 %"]

    # a second run: "lower than my last run" (a run of 1 epoch at batch 500 again: the same)
    app.radio(key="prediction_kind").set_value(pr.RELATIVE).run()
    app.radio(key="prediction_direction").set_value("lower").run()
    click(app, "Commit the prediction")
    _train(app)
    table = [d for d in app.dataframe if "My prediction" in d.value.columns][0].value
    assert list(table["Verdict"])[1] == "wrong: it was about the same"
    assert len(session_of(app).predictions) == 2
