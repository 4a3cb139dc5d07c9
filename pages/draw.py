"""Draw page: draw a digit, see it prepared the way MNIST digits were, and classified."""

import numpy as np
import streamlit as st
from streamlit_drawable_canvas import st_canvas  # imported here only: it needs a running app

import ui
from core.figures import probability_figure, upscale
from core.preprocess import NothingDrawn, preprocess_canvas

CANVAS = 280  # 10x the 28 px MNIST frame
# MNIST strokes are about 2-3 px wide in the 20 px box that holds a digit; a digit drawn to
# fill most of this canvas is scaled by ~20/220, so a 20 px brush lands at ~2 px.
BRUSH = 20

st.title("Draw a digit")
st.caption("Draw one digit with the mouse, large and centred or not: it is cropped, scaled "
           "and centred the way MNIST digits were before the model sees it.")
choice = ui.chosen_model()
data = ui.current_data()
if data.class_names[0] != "0":
    st.warning(f"The model on this page classifies {data.name} ({', '.join(data.class_names[:3])}, "
               "...). Drawing is meant for digits: pick MNIST in the sidebar for that.")
if choice is None:
    st.info("There is no model for this dataset yet. Train one on the Train page.")
    st.stop()

st.session_state.setdefault("canvas_generation", 0)


def _clear() -> None:
    st.session_state["canvas_generation"] += 1  # a new key gives a fresh, empty canvas


left, middle, right = st.columns([1.3, 0.8, 1.6])
with left:
    result = st_canvas(
        fill_color="rgba(0, 0, 0, 0)", stroke_width=BRUSH, stroke_color="#FFFFFF",
        background_color="#000000", update_streamlit=True, height=CANVAS, width=CANVAS,
        drawing_mode="freedraw", return_image_data=True,
        key=f"canvas-{st.session_state['canvas_generation']}",
    )
    st.button("Clear", on_click=_clear, icon=":material/delete:")
    st.caption(f"Model: {choice.label}")

image = None if result is None else result.image_data
try:
    x = None if image is None else preprocess_canvas(np.asarray(image))
except NothingDrawn:
    x = None
except ValueError as exc:
    x = None
    st.error(f"This drawing could not be read: {exc}")

if x is None:
    middle.info("Draw a digit on the black square. It is classified after every stroke.")
else:
    proba = choice.model.predict_proba(x.reshape(1, -1))[0]
    pred = int(proba.argmax())
    with middle:
        st.image(upscale(x, 6), caption="What the model sees: 28x28, centred like MNIST")
        st.metric("Prediction", data.class_names[pred], f"{proba[pred]:.0%} sure",
                  delta_color="off", delta_arrow="off")
    right.plotly_chart(probability_figure(proba, data.class_names), key="draw-proba")
