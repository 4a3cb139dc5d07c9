"""core.class_board: the class board's figure, table, curves and class-set score."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import pytest

from core.board_scatter import LABEL_PX
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
from core.i18n import display_width, translator
from core.style import REFERENCE_ACCURACIES

ROOT = Path(__file__).resolve().parent.parent
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
    below = "below the axis (diverged or far lower)"
    assert set(by_name) == {"run", "meets the challenge", below}
    assert by_name["meets the challenge"]["customdata"] == ["b"]
    bottom = fig["layout"]["yaxis"]["range"][0]
    assert by_name[below]["customdata"] == ["c"] and by_name[below]["y"] == [bottom]
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


# ------------------------------------------------------------------ issue 21, items 15 and 16


def _ranges(fig: dict) -> tuple[float, float]:
    return tuple(fig["layout"]["yaxis"]["range"])


def test_one_diverged_run_does_not_squash_the_axis_and_sits_on_its_edge():
    """Issue 21, item 15: lr 10 at 12 % once stretched the axis to 9 %-95 %."""
    fine = [_entry(f"s{i}", f"r{i}", acc=0.90 + i * 0.004) for i in range(6)]
    wild = _entry("wild", "w", lr=10.0, acc=0.12, diverged=True)
    fig = board_figure([*fine, wild], "learning_rate")
    bottom, top = _ranges(fig)
    assert 0.80 < bottom < 0.88 and top < 0.96  # the useful range: runs and references
    edge = [t for t in fig["data"] if "w" in t["customdata"]]
    assert len(edge) == 1 and edge[0]["y"] == [bottom]
    assert edge[0]["marker"]["symbol"] == "triangle-down"
    assert edge[0]["texttemplate"] == ["12%"]  # its real accuracy, printed at the edge
    assert "test 12.00%" in edge[0]["text"][0]  # and in its hover
    ja = board_figure([*fine, wild], tr=translator("ja"))
    assert all(t["name"] and not t["name"].isascii() for t in ja["data"])


def test_reference_labels_never_print_over_each_other():
    """A run at 74 % widens the axis so the 91.6 % and 92.5 % lines are ~14 px apart."""
    fig = board_figure([_entry("a", "a", acc=0.74), _entry("b", "b", acc=0.93)], height=520)
    bottom, top = _ranges(fig)
    px_per_unit = (520 - 150) / (top - bottom)
    labels = sorted(a["y"] for a in fig["layout"]["annotations"] if a.get("hovertext"))
    assert len(labels) == len(REFERENCE_ACCURACIES)
    assert all((b - a) * px_per_unit >= LABEL_PX - 0.01 for a, b in itertools.pairwise(labels))
    assert all(bottom <= y <= top for y in labels)
    levels = sorted(s["y0"] for s in fig["layout"]["shapes"])  # the lines stay where they are
    assert levels == sorted(r.accuracy for r in REFERENCE_ACCURACIES)


def test_runs_with_the_same_setting_and_score_spread_apart_the_same_way_every_time():
    """Issue 21, item 16: 30 runs at lambda 1e-4 with the same accuracy once stacked."""
    same = [_entry(f"s{i}", f"r{i}", acc=0.92) for i in range(30)]
    fig = board_figure(same, "l2")
    xs = [x for t in fig["data"] for x in t["x"]]
    assert len(set(xs)) == 30 and xs[0] == 1e-4  # all apart, the first on its setting
    assert all(abs(np.log10(x) + 4) <= 0.14 + 1e-9 for x in xs)
    assert board_figure(same, "l2") == fig  # deterministic
    far = board_figure([_entry("a", "a", acc=0.85), _entry("b", "b", acc=0.93)], "l2")
    assert [x for t in far["data"] for x in t["x"]] == [1e-4, 1e-4]  # no overlap: in place


def test_a_student_sees_their_own_runs_marked_you_and_names_on_hover_are_large():
    entries = [_entry("ana", "a"), _entry("bo", "b", acc=0.925), _entry("ana", "a2", lr=1.0)]
    fig = board_figure(entries, me="ana")
    you = [t for t in fig["data"] if t["name"] == "you"]
    assert len(you) == 1 and you[0]["customdata"] == ["a", "a2"]
    assert you[0]["texttemplate"] == ["you", "you"] and "text" in you[0]["mode"]
    others = {t["marker"]["symbol"] for t in fig["data"] if t["name"] != "you"}
    assert you[0]["marker"]["symbol"] not in others  # a shape of its own, not colour alone
    assert fig["layout"]["hoverlabel"]["font"]["size"] >= 16
    assert not any(t["name"] == "you" for t in board_figure(entries)["data"])  # teacher
    ja = board_figure(entries, me="ana", tr=translator("ja"))
    assert [t for t in ja["data"] if t["customdata"] == ["a", "a2"]][0]["texttemplate"][0] \
        == "あなた"


# ------------------------------------------------------------------ issue 21, items 10, 20, 22


def test_a_challenge_on_accuracy_reads_as_a_percentage_in_both_languages():
    ch = Challenge("", "", Condition("test_acc", ">=", 0.915), (Condition("l2", ">=", 1e-3),))
    assert ch.describe() == "test accuracy ≥ 91.5 % with lambda ≥ 0.001"
    assert translator("ja")(ch.describe()).startswith("テストデータの正解率 ≥ 91.5 %")
    assert Condition("valid_acc", ">", 0.9).describe() == "validation accuracy > 90 %"
    assert Condition("epochs_done", "<=", 20).describe() == "epochs done ≤ 20"


BOARD_FIGURES = ("Runs shared", "Students", "Training now", "Best test accuracy",
                 "Median test accuracy")


def test_the_boards_figures_fit_a_fifth_of_a_tablet_in_japanese():
    """Issue 21, item 20: at 768 px each of the five figures has ~130 px, 16 half-width
    characters of 14 px type; "テスト正解率の中央値" (20) was cut."""
    ja = translator("ja")
    assert all(display_width(ja(m)) <= 16 for m in BOARD_FIGURES), [ja(m) for m in BOARD_FIGURES]
    by = ja("by {who}", who="たろう")
    assert by != "たろう" and "たろう" in by  # "by" is said, not dropped


def test_no_message_puts_a_or_an_before_a_number_it_does_not_know():
    """Issue 21, item 22: "Added as a 8" (the article depends on the digit)."""
    catalogue = (ROOT / "locale" / "ja" / "LC_MESSAGES" / "messages.po").read_text("utf-8")
    msgids = re.findall(r'^msgid "(.*)"$', catalogue, re.M)
    assert len(msgids) > 100
    assert not [m for m in msgids if re.search(r"\ban? \{(label|digit|n|k|true|pred)\b", m)]
