"""Watch a classifier learn: the dashboard's entry point (page config and navigation)."""

import streamlit as st

import ui
from ui import a11y, classroom, cookies, i18n
from ui.i18n import tr

st.set_page_config(page_title=tr("Watch a classifier learn"), page_icon=":material/school:",
                   layout="wide")

train = st.Page("views/train.py", title=tr("Train"), icon=":material/model_training:", default=True)
pages = [
    train,
    st.Page("views/results.py", title=tr("Results"), icon=":material/grid_view:"),
    st.Page("views/draw.py", title=tr("Draw"), icon=":material/draw:"),
    st.Page("views/weights.py", title=tr("Weights"), icon=":material/texture:"),
    st.Page("views/sweep.py", title=tr("Sweep"), icon=":material/tune:"),
    st.Page("views/how_it_works.py", title=tr("How it works"), icon=":material/school:"),
    st.Page("views/classroom.py", title=tr("Class"), icon=":material/groups:"),
]
# The projector view (/projector?class=CODE): not in the menu, no sidebar, no class session.
projector = st.Page("views/projector.py", title=tr("Projector"), icon=":material/co_present:",
                    visibility="hidden")
navigation = st.navigation([*pages, projector])
i18n.keep_in_url()  # ?lang=ja: a link opens in the same language
a11y.page_setup()  # <html lang> follows the session's language; the browser's reduced motion
if navigation.url_path != projector.url_path:
    ui.sidebar(run_status=navigation.url_path != train.url_path,  # Train shows the run itself
               page=navigation.url_path)  # the Draw page has its own default model
    classroom.sync()  # Classroom mode: rejoin from the link, share finished runs
    ui.reclaim()  # a browser back after a reload: its run paused while nobody watched goes on
navigation.run()
if navigation.url_path != projector.url_path:  # the projector has no sidebar, sets no cookie
    with st.sidebar:
        cookies.render()  # the cookies this run asked for (ui.workspace, ui.class_session)
ui.PAGE_DRAWN.set()
