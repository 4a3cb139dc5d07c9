"""Widgets several pages draw: live charts, the right/wrong verdict, "why p and not q"."""

from __future__ import annotations

import hashlib

import numpy as np
import streamlit as st

from core.describe import why_alt
from core.explain import explain, runner_up
from core.figures import why_figure
from core.i18n import Msg
from core.live_figure import LiveFigure
from core.model import SoftmaxWeights
from core.style import VERDICTS
from ui.a11y import still
from ui.i18n import current, tr
from ui.state import tab

# Every chart's toolbar: only "download as PNG" and "reset the axes" (plotly's own shows nine
# buttons, which on a 768-px tablet, where there is no hover to hide it, sat over the chart
# titles; Streamlit adds its full-screen button beside it).
CHART_CONFIG = {
    "displaylogo": False,
    "modeBarButtonsToRemove": ["zoom2d", "pan2d", "select2d", "lasso2d", "zoomIn2d",
                               "zoomOut2d", "autoScale2d", "toggleSpikelines",
                               "hoverClosestCartesian", "hoverCompareCartesian"],
}


def chart(spec, key: str, summary: Msg, rows: list[dict] | None = None,
          alt: Msg | None = None, **options):
    """A plotly chart that every student can read: ``summary`` (core.describe) is its text
    alternative (the chart's ``alt``, or a longer ``alt``) and a caption under it, and
    ``rows`` its numbers as a table behind an expander. Returns what ``st.plotly_chart``
    returns (its selection)."""
    text = tr(summary)
    event = st.plotly_chart(still(spec) if isinstance(spec, dict) else spec, key=key,
                            config=CHART_CONFIG, alt=tr(alt) if alt else text, **options)
    if text:
        st.caption(text)
    if rows:
        with st.expander(tr("The chart's numbers as a table")):
            st.dataframe(rows, hide_index=True, width="stretch")
    return event


def live_figure(key: str, spec: dict):
    """A figure redrawn while training, validated once per session and structure (see
    core.live_figure.LiveFigure): keeps the training thread's interpreter time for training."""
    return tab().live_figures.setdefault(key, LiveFigure()).update(spec)


def verdict(correct: bool) -> str:
    """"✓ right" or "✗ wrong" in the dashboard's colour-blind-safe pair (core.figures.VERDICTS),
    as HTML for ``st.markdown(..., unsafe_allow_html=True)``."""
    v = VERDICTS[bool(correct)]
    label = tr(v.label)
    return f'<span style="color:{v.colour}; font-weight:700; font-size:1.25rem">{label}</span>'


def image_key(x) -> str:
    """A short fingerprint of an image's pixels: equal images, equal keys."""
    return hashlib.blake2b(np.ascontiguousarray(x).tobytes(), digest_size=8).hexdigest()


def show_why(model: SoftmaxWeights, x, proba, names, key: str) -> None:
    """"Why p and not q?" for one image: a class picker, the exact per-pixel map and the
    numbers that add up to the score gap.

    q starts at the image's runner-up (its second most probable class). The picker is a new
    widget for each image and prediction (its key holds a fingerprint of the pixels): a new
    drawing or another test digit asks a new question and starts at its own runner-up,
    while a q the student picks stays as long as that image is shown. (With one fixed key
    Streamlit would keep the old image's q whenever it is still among the options.)
    """
    pred = int(proba.argmax())
    others = [k for k in range(len(names)) if k != pred]
    q = st.selectbox(tr("Why {p} and not...", p=names[pred]), others,
                     index=others.index(runner_up(proba)),
                     format_func=lambda k: f"{names[k]} ({proba[k]:.1%})",
                     key=f"{key}:{image_key(x)}:{pred}")
    why = explain(model, x, pred, q)
    chart(why_figure(why.contributions, names[pred], names[q], height=320, tr=current()),
          f"{key}-map", why_alt(why.contributions, names[pred], names[q]))
    p_, q_ = names[pred], names[q]
    rows = [(tr("score gap, exactly"), ""), ("---", "---:"),
            (tr("pixels for {p} (red)", p=p_), f"{why.for_p:+.3f}"),
            (tr("pixels for {q} (blue)", q=q_), f"{why.for_q:+.3f}"),
            (tr("bias b{p} - b{q}", p=p_, q=q_), f"{why.bias_difference:+.3f}"),
            (f"**= z{p_} - z{q_}**", f"**{why.logit_gap:+.3f}**")]
    st.markdown("\n".join(f"| {label} | {value} |" for label, value in rows))
    st.caption(tr("A score is a sum of pixel x weight, so these parts add up exactly. "
                  "Pixels without ink vote nothing."))
