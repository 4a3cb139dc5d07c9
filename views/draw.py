"""Draw page: draw a digit, see it prepared the way MNIST digits were, classified, and why."""

import numpy as np
import streamlit as st
from streamlit_drawable_canvas import st_canvas  # imported here only: it needs a running app

import ui
from core.canvas import NothingDrawn, drawing_warnings, model_inputs_per_step, preprocess_steps
from core.describe import SEEN, drawing_alt, probability_summary, probability_table
from core.figures import probability_figure, upscale
from core.i18n import Msg
from core.preprocess import NO_PREPROCESSING
from ui import classroom, draw_input, flip_view, i18n
from ui.i18n import tr
from ui.models import page_model

CANVAS = 280  # 10x the 28 px MNIST frame
# MNIST strokes are about 2-3 px wide in the 20 px box that holds a digit; a digit drawn to
# fill most of this canvas is scaled by ~20/220, so a 20 px brush lands at ~2 px.
BRUSH = 20
STEP_TITLES = {"grey": Msg("1. the whole canvas, shrunk"), "cropped": Msg("2. cropped to the ink"),
               "fitted": Msg("3. MNIST's pen, longer side 20 px"),
               "centred": Msg("4. centred by mass (MNIST)"),
               "deskewed": Msg("5. deskewed, as this model's training digits")}

st.title(tr("Draw a digit"))
st.caption(tr("Draw one digit with the mouse or a finger. It is cropped, scaled and centred the "
              "way MNIST digits were, then classified after every stroke."))
data = ui.current_data()
names = data.class_names
if not data.is_digits:
    st.warning(tr("The model here classifies {data} ({examples}, ...). Drawing is meant for "
                  "digits: pick MNIST in the sidebar for that.", data=tr(data.name),
                  examples=", ".join(names[:3])))
DRAW_MODEL = page_model("draw")  # the shipped model that reads drawn digits best
choice = ui.require_model(default=DRAW_MODEL)
model = choice.model


def _clear() -> None:
    ui.session().canvas_generation += 1  # a new key gives a fresh, empty canvas


# The canvas column holds the 280-px canvas at 768 px wide (a tablet): 1.9 / 4.3 of the page.
# Where the page is narrower (768 px with the sidebar open), the columns wrap instead of
# squeezing: the canvas's keeps 290 px, the others 120 px (CSS on this row only).
st.html("<style>.st-key-draw_top [data-testid='stHorizontalBlock'] {flex-wrap: wrap;}"
        ".st-key-draw_top [data-testid='stColumn'] {min-width: 120px;}"
        ".st-key-draw_top [data-testid='stColumn']:first-child {min-width: 290px;}</style>")
left, middle, right = st.container(key="draw_top").columns([1.9, 0.8, 1.6])
with left:
    source = draw_input.source_picker()  # the canvas, or without a mouse: a photo, a test digit
    image = None
    if source == "draw":
        st.markdown("&nbsp;")  # room for the canvas's own toolbar, which floats above it
        result = st_canvas(
            fill_color="rgba(0, 0, 0, 0)", stroke_width=BRUSH, stroke_color="#FFFFFF",
            background_color="#000000", update_streamlit=True, height=CANVAS, width=CANVAS,
            drawing_mode="freedraw", return_image_data=True,
            key=f"canvas-{ui.session().canvas_generation}",
        )
        image = None if result is None else result.image_data
        st.button(tr("Clear"), on_click=_clear, icon=":material/delete:")
    else:
        image = draw_input.other_image(source, ui.current_data().x_test)
    st.caption(tr("Model: {model}", model=choice.label))
    if choice.key == DRAW_MODEL:
        st.caption(tr("This page reads drawings with this model by default: of the pre-trained "
                      "models it reads drawn digits best (README, 'Which pre-trained model'). "
                      "The other pages show the article's model; pick another in the sidebar."))

steps = None
try:
    steps = None if image is None else preprocess_steps(np.asarray(image))
except NothingDrawn:
    pass
except ValueError as exc:
    st.error(tr("This drawing could not be read: {error}", error=str(exc)))

if steps is None:
    middle.info(tr("Draw a digit on the black square.") if source == "draw" else
                tr("Upload a photo of a digit, or choose a test digit."))
    st.stop()

deskews = model.preprocessing != NO_PREPROCESSING
x, probas = model.read(steps["centred"])  # (1, 784): prepared as this model's digits were
seen, proba = x.reshape(28, 28), probas[0]
pred = int(proba.argmax())
with middle:
    st.image(upscale(seen, 6), caption=tr(
        "What the model sees: 28x28, centred like MNIST{deskewed}",
        deskewed=Msg(", then deskewed (this model learnt from deskewed digits)") if deskews
        else ""), alt=tr(drawing_alt(SEEN, names[pred], proba[pred])))
    st.metric(tr("Prediction"), names[pred], tr("{p:.0%} sure", p=proba[pred]),
              delta_color="off", delta_arrow="off")
with right:
    ui.chart(probability_figure(proba, names, tr=i18n.current()), "draw-proba",
             probability_summary(proba, names), probability_table(proba, names, i18n.current()))
if not deskews and any(c.key == DRAW_MODEL for c in ui.model_choices()):
    right.caption(tr("Digits that lean are read better by the pre-trained model of deskewed "
                     "digits, this page's default (pick it in the sidebar; README, 'Which "
                     "pre-trained model')."))
for warning in drawing_warnings(steps["grey"]):
    st.warning(tr(warning))
if source != "test":  # a class's set is its own handwriting, never MNIST's
    classroom.draw_share(steps["grey"], steps["centred"], pred)  # in a class: add to its set

st.header(tr("Why {p}?", p=names[pred]))
map_col, flip_col = st.columns([1.3, 1])
with map_col:
    ui.show_why(model, x[0], proba, names, key="draw-why")
with flip_col:  # the smallest change that makes it another digit (issue 25, item 4)
    flip_view.flip_lesson(model, x[0], names, key="draw-flip")

st.header(tr("Preprocessing, step by step"))
st.caption(tr("The model's answer if preprocessing stopped after each step: the last step is what "
              "the training digits looked like.{deskewed}",
              deskewed=Msg(" This model learnt from deskewed digits, so the last step shears the "
                           "slant away.") if deskews else ""))
inputs = model_inputs_per_step(steps) | ({"deskewed": seen} if deskews else {})  # deskewed once
for col, (step, img) in zip(st.columns(len(inputs)), inputs.items(), strict=True):
    p = model.predict_proba(img.reshape(1, -1))[0]
    k = int(p.argmax())
    col.image(upscale(img, 5), caption=tr(STEP_TITLES[step]),
              alt=tr(drawing_alt(STEP_TITLES[step], names[k], p[k])))
    col.markdown(tr("model says **{name}** ({p:.0%})", name=names[k], p=p[k]))
