"""The board's figures at a glance (the Class page's board and the projector view): the
counts, the best and median test accuracy, the best run on the class's own handwriting, and
the challenge, in large type. Nicknames only as escaped markdown (ui.classroom)."""

from __future__ import annotations

import streamlit as st

from core.class_board import markdown_literal, meeting_challenge
from core.presets import PRESETS
from ui.classroom import nickname_markdown
from ui.i18n import tr


def board_summary(summary, hand_best=None, best=None, wide: bool = False) -> None:
    """Counts, best and median test accuracy, the best run on the class's handwriting
    (``hand_best``: (entry, HandScore), core.class_scores; under the best on MNIST, or in a
    sixth column beside it when ``wide``, as on the projector), the challenge: large, for
    a projector. ``best`` stands for the board's best run (e.g. anonymised)."""
    if summary.closed:
        st.warning(tr("This class is closed: the board is read-only."))
    c = st.columns(6 if wide else 5)
    c[0].metric(tr("Runs shared"), summary.runs)
    c[1].metric(tr("Students"), summary.students)
    c[2].metric(tr("Training now"), summary.training_now)
    best = best or summary.best
    c[3].metric(tr("Best test accuracy"), "-" if best is None else f"{best.run.test_acc:.2%}")
    c[4].metric(tr("Median test accuracy"), "-" if summary.median_test_acc is None
                else f"{summary.median_test_acc:.2%}")
    if best is not None:
        c[3].markdown(tr("by {who}", who=nickname_markdown(best.nickname)))
    if hand_best is not None:
        entry, score = hand_best
        where = c[5] if wide else c[3]
        where.metric(tr("Best on handwriting"), f"{score.accuracy:.1%}",
                    help=tr("The best shared run on the class's own drawings ({n} when it was "
                            "shared), beside the best on MNIST's test digits.", n=score.n))
        where.markdown(tr("by {who}", who=nickname_markdown(entry.nickname)))
    if summary.challenge is not None:
        ch = summary.challenge
        lesson = tr(PRESETS[ch.preset].title) if ch.preset in PRESETS else ""
        text = tr("**Challenge{lesson}: {target}**", target=markdown_literal(tr(ch.describe())),
                  lesson=tr(" ({lesson})", lesson=markdown_literal(lesson)) if lesson else "")
        if ch.text.strip():
            text += f"  \n{markdown_literal(ch.text)}"
        meeting = tr(meeting_challenge(summary.meeting_challenge))
        st.info(f"{text}  \n{meeting}", icon=":material/flag:")
