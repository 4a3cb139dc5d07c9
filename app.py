"""Watch a classifier learn: the dashboard's entry point (page config and navigation)."""

import streamlit as st

import ui
from ui import classroom

st.set_page_config(page_title="Watch a classifier learn", page_icon=":material/school:",
                   layout="wide")

train = st.Page("views/train.py", title="Train", icon=":material/model_training:", default=True)
pages = [
    train,
    st.Page("views/results.py", title="Results", icon=":material/grid_view:"),
    st.Page("views/draw.py", title="Draw", icon=":material/draw:"),
    st.Page("views/weights.py", title="Weights", icon=":material/texture:"),
    st.Page("views/sweep.py", title="Sweep", icon=":material/tune:"),
    st.Page("views/how_it_works.py", title="How it works", icon=":material/school:"),
    st.Page("views/classroom.py", title="Class", icon=":material/groups:"),
]
navigation = st.navigation(pages)
ui.sidebar(run_status=navigation.url_path != train.url_path)  # Train shows the run itself
classroom.sync()  # Classroom mode: rejoin from the link, share finished runs
navigation.run()
ui.PAGE_DRAWN.set()
