"""Flip a digit (Results and Draw pages): the smallest change to an image's pixels that makes
the model answer q instead of p (core.flip), with a slider from "as it is" to "just flipped",
the image at the flip point, the change itself, and what it took."""

from __future__ import annotations

import numpy as np
import streamlit as st

from core.explain import runner_up
from core.figures import diverging_rgb, upscale
from core.flip import FRAMES, flip
from core.i18n import Msg
from core.model import SoftmaxWeights
from ui.i18n import current, tr
from ui.widgets import image_key

AS_IT_IS, JUST_FLIPPED = Msg("as it is"), Msg("just flipped")


def flip_lesson(model: SoftmaxWeights, x: np.ndarray, names, key: str) -> None:
    """The lesson for one image ``x`` (n_features,) as ``model`` reads it (deskewed for a
    deskewing model): a target picker (the runner-up first), the slider and three images."""
    t = current()
    proba = model.predict_proba(x)[0]
    p = int(proba.argmax())
    others = [k for k in range(len(names)) if k != p]
    st.markdown(tr("**Flip it.** The smallest change to the pixels that makes the model "
                   "answer another class:"))
    q = st.selectbox(tr("Make it read as"), others, index=others.index(runner_up(proba)),
                     format_func=lambda k: f"{names[k]} ({proba[k]:.1%})",
                     key=f"{key}-q:{image_key(x)}:{p}")
    f = flip(model, x, q)
    if not f.reached:
        st.warning(tr("No image in the pixel range makes this model answer {q}: every pixel "
                      "that would help is already black or white.", q=names[q]))
        return
    frame = st.select_slider(
        tr("From as it is to just flipped"), list(range(FRAMES)), value=0,
        key=f"{key}-frame", format_func=lambda i: t(AS_IT_IS) if i == 0 else t(JUST_FLIPPED)
        if i == FRAMES - 1 else f"{i / (FRAMES - 1):.0%}")
    image = f.frames[frame]
    seen = int(model.predict(image.astype(np.float32))[0])
    c = st.columns(3)
    c[0].image(upscale(image, 5), width=120, caption=tr(
        "{step}: read as {a}", step=_step_word(frame), a=names[seen]), alt=tr(
        "The image at {step} of the way to the flip point; the model reads it as {a}.",
        step=_step_word(frame), a=names[seen]))
    c[1].image(upscale(f.flipped, 5), width=120,
               caption=tr("just flipped: read as {q}", q=names[q]),
               alt=tr("The image at the flip point, read as {q}.", q=names[q]))
    c[2].image(diverging_rgb(f.flipped - f.frames[0], 5), width=120,
               caption=tr("the change: red ink added, blue removed"),
               alt=tr("The change from the image to the flip point: {n} pixels changed.",
                      n=f.pixels_changed))
    st.markdown(tr("It took **{n} pixels** changed by a grey level or more, {added:.1f} pixels' "
                   "worth of ink added and {removed:.1f} removed (the digit has {ink:.0f}): "
                   "a distance of {distance:.2f}, for a score gap z{p} - z{q} of "
                   "{gap:+.2f}.", n=f.pixels_changed, added=f.ink_added, removed=f.ink_removed,
                   ink=f.ink_before, distance=f.distance, p=names[p], q=names[q],
                   gap=f.gaps[0]))
    st.caption(tr("The gap z{p} - z{q} is the sum of pixel x (w{p} - w{q}), so nudging every "
                  "pixel a little against the difference of the two templates closes it "
                  "fastest. Many faint changes add up: that is why a linear model is easy to "
                  "fool, and why the change looks like the two templates' difference.",
                  p=names[p], q=names[q]))


def _step_word(frame: int) -> str:
    """"as it is", "40 %", "just flipped" for a slider position."""
    if frame == 0:
        return tr(AS_IT_IS)
    if frame == FRAMES - 1:
        return tr(JUST_FLIPPED)
    return f"{frame / (FRAMES - 1):.0%}"
