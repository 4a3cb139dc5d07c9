"""core.class_board: the class board's figure, table, curves and class-set score."""

from __future__ import annotations

import json

import numpy as np
import plotly.graph_objects as go
import pytest

from core.class_board import (
    ZERO_LAMBDA_AT,
    board_figure,
    board_rows,
    class_set_evaluation,
    history_from_curves,
    markdown_literal,
    meeting_challenge,
    runs_deleted,
)
from core.classroom import Challenge, Condition, RunEntry, SharedRun
from core.figures import curves_figure
from core.i18n import translator
from core.style import REFERENCE_ACCURACIES

CHALLENGE = Challenge("lambda-too-high", "", Condition("test_acc", ">=", 0.92),
                      (Condition("l2", ">=", 1e-3),))


def _entry(nick: str, run_id: str, lr=0.1, l2=1e-4, acc=0.9, diverged=False) -> RunEntry:
    return RunEntry(nick, 1.0, SharedRun(run_id, "mnist", "none", lr, l2, 100, 5, 34, 5,
                                         test_acc=acc, diverged=diverged))


ENTRIES = [_entry("ana", "a"), _entry("bo", "b", l2=1e-3, acc=0.925),
           _entry("cy", "c", lr=5.0, acc=None, diverged=True), _entry("di", "d", l2=0.0)]


@pytest.mark.parametrize("text, shown", [
    ("**bold**", r"\*\*bold\*\*"), ("<script>", r"\<script\>"),
    ("[x](javascript:alert(1))", r"\[x\]\(javascript\:" "\u2060" r"alert\(1\)\)"),
    ("$x$ :red[a]", r"\$x\$ \:" "\u2060" r"red\[a\]"), ("はなこ", "はなこ"), ("a\nb", "a b")])
def test_markdown_literal_escapes_every_markup_character(text, shown):
    assert markdown_literal(text) == shown


def test_board_figure_marks_challenge_and_diverged_runs_on_a_log_axis():
    fig = board_figure(ENTRIES, "learning_rate", CHALLENGE, selected="a")
    go.Figure(fig)  # valid for plotly
    json.dumps(fig, allow_nan=False)
    by_name = {t["name"]: t for t in fig["data"]}
    assert set(by_name) == {"run", "meets the challenge", "diverged"}
    assert by_name["meets the challenge"]["customdata"] == ["b"]
    bottom = fig["layout"]["yaxis"]["range"][0]
    assert by_name["diverged"]["customdata"] == ["c"] and by_name["diverged"]["y"] == [bottom]
    assert fig["layout"]["xaxis"]["type"] == "log"
    low, high = fig["layout"]["xaxis"]["range"]  # decades: every offered learning rate
    assert low < -4 < 1 < high
    assert fig["layout"]["yaxis"]["tickformat"] == ".0%"
    levels = sorted(s["y0"] for s in fig["layout"]["shapes"])
    assert levels == sorted(r.accuracy for r in REFERENCE_ACCURACIES)
    runs = by_name["run"]
    assert runs["marker"]["line"]["width"][runs["customdata"].index("a")] == 4  # selected
    # three runs share lr 0.1: spread a little around it, the first exactly on it
    assert runs["x"][0] == 0.1 and len(set(runs["x"])) == 2
    assert all(0.07 < x < 0.14 for x in runs["x"])


def test_board_figure_on_lambda_puts_zero_at_its_own_tick():
    fig = board_figure(ENTRIES, "l2")
    x = {c: x for t in fig["data"] for c, x in zip(t["customdata"], t["x"], strict=True)}
    assert x["d"] == ZERO_LAMBDA_AT and x["b"] == pytest.approx(1e-3)
    axis = fig["layout"]["xaxis"]
    assert axis["ticktext"][0] == "0" and axis["tickvals"][0] == ZERO_LAMBDA_AT


def test_an_empty_board_is_a_valid_figure_that_says_so():
    fig = board_figure([])
    go.Figure(fig)
    assert any("appear here" in a["text"] for a in fig["layout"]["annotations"])
    with pytest.raises(ValueError):
        board_figure([], "batch_size")


def test_hover_escapes_html_in_nicknames():
    fig = board_figure([_entry("<b>x</b>", "a")])
    assert fig["data"][0]["text"][0].startswith("&lt;b&gt;x&lt;/b&gt;<br>")


def test_board_rows_keep_the_order_and_mark_the_challenge():
    rows = board_rows(ENTRIES, CHALLENGE)
    assert [r["student"] for r in rows] == ["ana", "bo", "cy", "di"]
    assert [r["meets challenge"] for r in rows] == [False, True, False, False]
    assert "meets challenge" not in board_rows(ENTRIES)[0]


def test_history_from_curves_draws_with_curves_figure():
    curves = {"epoch": [1, 2], "train_loss": [0.5, None], "valid_acc": [0.8, 0.85]}
    history = history_from_curves(curves)
    assert [h.epoch for h in history] == [1, 2] and history[1].train_loss is None
    assert history[0].train_acc is None  # not shared: a gap
    go.Figure(curves_figure(history, references=True))


def test_class_set_evaluation_prepares_the_drawings_as_the_model_expects(trained_run, mnist):
    model = trained_run.model
    images, labels = mnist.x_test[:50], mnist.y_test[:50]
    ev = class_set_evaluation(model, images, labels)
    assert ev.accuracy == pytest.approx(np.mean(model.predict(images / 255.0) == labels))
    assert class_set_evaluation(model, images[:0], labels[:0]) is None


@pytest.mark.parametrize(("n", "english", "japanese"), [
    (0, "No run meets it yet.", "達成した学習はまだありません。"),
    (1, "1 run meets it: the gold star.", "達成した学習は 1 件（金色の星）。"),
    (3, "3 runs meet it: the gold stars.", "達成した学習は 3 件（金色の星）。"),
])
def test_the_challenges_count_reads_naturally(n, english, japanese):
    assert meeting_challenge(n) == english and "(s)" not in english
    assert translator("ja")(meeting_challenge(n)) == japanese


@pytest.mark.parametrize(("n", "english", "japanese"), [
    (0, "The board had no runs to delete; drawings stay.",
     "削除する学習はありませんでした。手書き数字は残ります。"),
    (1, "1 run deleted; drawings stay.", "学習を 1 件削除しました。手書き数字は残ります。"),
    (12, "12 runs deleted; drawings stay.", "学習を 12 件削除しました。手書き数字は残ります。"),
])
def test_clearing_the_board_says_how_many_runs_went_in_words(n, english, japanese):
    assert runs_deleted(n) == english
    assert translator("ja")(runs_deleted(n)) == japanese
