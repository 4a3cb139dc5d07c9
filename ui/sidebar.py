"""The sidebar every page shares: the dataset, the model the pages show, the run's status."""

from __future__ import annotations

import streamlit as st

from core.data import DataError
from core.model_file import model_to_bytes
from core.run_state import STATUS_WORDS
from ui.caches import available_sources, current_data, dataset
from ui.i18n import language_picker, tr
from ui.models import add_upload, chosen_model, model_choices
from ui.refresh import STATUS_SECONDS
from ui.runs import current_job, job_active, retire_current_job
from ui.state import session

FOLDER = "folder"
SOURCE_WIDGET, FOLDER_WIDGET, UPLOAD_WIDGET = "_source_select", "_folder", "_upload"


def sidebar(run_status: bool = True) -> None:
    """Draw the sidebar; ``run_status=False`` leaves out the run's status line (the Train
    page shows the run in full, refreshed by its own live view; see ui.refresh)."""
    active = job_active()
    with st.sidebar:
        language_picker()
        _dataset_picker(active)
        _model_picker()  # not in the timed fragment: at 40 users that froze the live charts
        if run_status:
            st.fragment(_training_status, run_every=STATUS_SECONDS if active else None)()


def _on_source_change() -> None:
    choice = st.session_state[SOURCE_WIDGET]
    if choice != FOLDER:
        _switch_source(choice)


def _on_folder_entered() -> None:
    path = st.session_state.get(FOLDER_WIDGET, "").strip()
    if path:
        _switch_source(path)


def _switch_source(source: str) -> None:
    """Load ``source``; on failure keep the current dataset and say why."""
    state = session()
    try:
        dataset(source)
    except (DataError, OSError) as exc:
        state.source_error = str(exc)
        return
    state.source_error = None
    if source != state.source:
        retire_current_job()  # a run belongs to its dataset: put it aside
        state.source = source
        state.model_choice = "current"


def _on_upload() -> None:
    upload = st.session_state.get(UPLOAD_WIDGET)
    if upload is not None:
        add_upload(upload.getvalue(), upload.name)


def _dataset_picker(active: bool) -> None:
    state = session()
    sources = {k: tr(name) for k, name in available_sources().items()}
    sources[FOLDER] = tr("Another folder of IDX files...")
    shown = state.source if state.source in sources else FOLDER
    st.selectbox(tr("Dataset"), list(sources), format_func=sources.get,
                 key=SOURCE_WIDGET, index=list(sources).index(shown),
                 on_change=_on_source_change, disabled=active,
                 help=tr("Stop the current run to switch dataset.") if active else None)
    if st.session_state.get(SOURCE_WIDGET) == FOLDER:
        st.text_input(tr("Folder holding the four MNIST-format IDX files"), key=FOLDER_WIDGET,
                      value=state.source if shown == FOLDER else "", on_change=_on_folder_entered,
                      disabled=active, placeholder="/path/to/idx/files")
    if state.source_error:
        st.error(tr("That dataset could not be loaded, so {name} stays: {error}",
                    name=tr(current_data().name), error=tr(state.source_error)))


def _model_picker() -> None:
    choices = model_choices()
    if choices:
        keys = [c.key for c in choices]
        chosen = chosen_model()
        # A new widget whenever the set of choices changes (a run or an upload appears: it is
        # then shown chosen), rather than setting a widget's value from code, which races
        # with the browser sending back the value it still shows. A person's pick is what
        # the widget returns; the fallback shown while a new run has no epoch is not a pick.
        widget = f"_model_select:{'|'.join(keys)}"
        picked = st.selectbox(tr("Model shown on Results and Draw"), keys, key=widget,
                              index=keys.index(chosen.key),
                              format_func={c.key: tr(c.label) for c in choices}.get)
        if picked != chosen.key:  # only a person changes it; the fallback is no choice
            session().model_choice = picked
            chosen = next(c for c in choices if c.key == picked)
        st.download_button(tr("Download this model (.npz)"), model_to_bytes(chosen.model),
                           file_name=f"softmax-{chosen.key}.npz", mime="application/octet-stream",
                           icon=":material/download:", width="stretch")
    else:
        st.info(tr("No model for this dataset yet: train one on the Train page."))
    st.file_uploader(tr("Upload a model (.npz)"), type=["npz"], key=UPLOAD_WIDGET,
                     on_change=_on_upload,
                     help=tr("A model saved by this app or by `python -m core.train --out`."))
    if session().upload_error:
        st.error(tr("Upload refused, nothing changed: {error}", error=tr(session().upload_error)))


def _training_status() -> None:
    """One line on the session's run, refreshed while it trains."""
    job = current_job()
    if job is None:
        return
    r = job.run
    if job.queued:
        st.caption(tr("Training: queued, {ahead} ahead of you", ahead=job.ahead() or 0))
    else:
        st.caption(tr("Training: {status}, epoch {done}/{total}", status=tr(STATUS_WORDS[r.status]),
                      done=r.epochs_done, total=r.target_epochs))
