"""The sidebar every page shares: the dataset, the model the pages show, the run's status.

The dataset comes from the server's own choices (bundled MNIST, Debian's Fashion-MNIST), a
folder the visitor types (only when the admin lists allowed folders in ``DATA_FOLDERS``:
core.web_data.allowed_folder), or the four IDX files the visitor uploads (kept in the session,
size-capped: core.web_data.dataset_from_upload). Whatever a visitor typed or uploaded is quoted
back as text (core.markup), never a resolved path.
"""

from __future__ import annotations

import logging
from pathlib import Path

import streamlit as st

from core.data import DataError, source_folder
from core.i18n import Msg
from core.markup import markdown_literal
from core.model_file import model_to_bytes
from core.run_state import STATUS_WORDS
from core.web_data import PATH_CHARS, allowed_folder, allowed_folders, dataset_from_upload
from ui.a11y import motion_setting
from ui.caches import available_sources, current_data, dataset
from ui.i18n import language_picker, tr
from ui.models import add_upload, chosen_model, model_choices, page_model
from ui.refresh import STATUS_SECONDS
from ui.runs import current_job, job_active, retire_current_job
from ui.state import UPLOAD_SOURCE, session

FOLDER = "folder"
SOURCE_WIDGET, FOLDER_WIDGET, UPLOAD_WIDGET = "_source_select", "_folder", "_upload"
DATA_UPLOAD_WIDGET = "_data_upload"
UPLOAD_FILE_MB = 30  # per file, compressed (Fashion-MNIST's training images: 26 MB)
UNREADABLE = Msg("its files could not be read")
log = logging.getLogger(__name__)


def sidebar(run_status: bool = True, page: str | None = None) -> None:
    """Draw the sidebar; ``run_status=False`` leaves out the run's status line (the Train
    page shows the run in full, refreshed by its own live view; see ui.refresh). ``page``
    (its url path) decides which model the picker shows while none is picked
    (:func:`ui.models.page_model`: the Draw page's own default)."""
    active = job_active()
    with st.sidebar:
        language_picker()
        _say_if_work_was_lost()
        motion_setting()  # "Reduce motion" (issue 23)
        _dataset_picker(active)
        # not in the timed fragment: at 40 users that froze the live charts
        _model_picker(page_model(page))
        if run_status:
            st.fragment(_training_status, run_every=STATUS_SECONDS if active else None)()


def _say_if_work_was_lost() -> None:
    """Once, to a browser whose earlier workspace the server no longer has: what is gone."""
    state = session()
    if state.work_lost:
        state.work_lost = False
        st.info(tr("Welcome back. The server was restarted, or this browser was away for more "
                   "than 2 hours: the runs of your earlier visit are gone. Runs shared with "
                   "a class are kept on its board."), icon=":material/history:")


def _on_source_change() -> None:
    choice = st.session_state[SOURCE_WIDGET]
    if choice not in (FOLDER, UPLOAD_SOURCE):
        _switch_source(choice)
    elif choice == UPLOAD_SOURCE and session().uploaded_data is not None:
        _adopt(UPLOAD_SOURCE)  # back to the upload this session made


def _on_folder_entered() -> None:
    """A typed folder: loaded only if it lies within the allowed folders."""
    typed = st.session_state.get(FOLDER_WIDGET) or ""
    if len(typed) > PATH_CHARS:  # the browser caps it (max_chars); a crafted message may not
        st.session_state[FOLDER_WIDGET] = ""
    if not typed.strip():
        return
    try:
        real = allowed_folder(typed, allowed_folders())
    except DataError as exc:
        session().source_error = exc.args[0]
        return
    session().folder_text = typed.strip()
    _switch_source(str(real), shown=typed.strip())


def _switch_source(source: str, shown: str | None = None) -> None:
    """Load ``source``; on failure keep the current dataset and say why (naming the folder
    as ``shown``, as the visitor typed it, never where it really is)."""
    state = session()
    try:
        dataset(source)
    except (DataError, OSError) as exc:
        state.source_error = _without_path(exc, source, shown)
        return
    except Exception:  # a bad input gets a message, never a traceback
        log.exception("dataset %r could not be loaded", source)
        state.source_error = UNREADABLE
        return
    _adopt(source)


def _adopt(source: str) -> None:
    """Make ``source`` this session's dataset (a run on another one is put aside)."""
    state = session()
    state.source_error = None
    if source != state.source or source == UPLOAD_SOURCE:
        retire_current_job()  # a run belongs to its dataset: put it aside
        state.source = source
        state.model_choice = "current"


def _without_path(exc: Exception, source: str, shown: str | None) -> str:
    """The error's message with the folder's real path replaced by how it was named."""
    message = exc.args[0] if isinstance(exc, DataError) and exc.args else str(exc)
    folder = source_folder(source)
    if isinstance(message, Msg) or folder is None:
        return message
    return message.replace(str(folder), shown or Path(folder).name)


def _data_upload_key() -> str:
    """The dataset uploader's key: a new one after each try, so that Streamlit lets go of
    the uploaded files (up to 4 x UPLOAD_FILE_MB) once they are read or refused."""
    return f"{DATA_UPLOAD_WIDGET}-{session().data_upload_generation}"


def _on_dataset_upload() -> None:
    """The four IDX files uploaded: made this session's dataset, or refused with a reason.
    Fewer than four: the uploader waits for the rest."""
    files = st.session_state.get(_data_upload_key()) or []
    if len(files) < 4:
        return
    state = session()
    state.data_upload_generation += 1  # the files are dropped after this run
    try:
        data = dataset_from_upload([(f.name, f.getvalue()) for f in files])
    except DataError as exc:
        state.source_error = exc.args[0]
        return
    state.uploaded_data = data
    _adopt(UPLOAD_SOURCE)


def _on_upload() -> None:
    upload = st.session_state.get(UPLOAD_WIDGET)
    if upload is not None:
        add_upload(upload.getvalue(), upload.name)


def _dataset_picker(active: bool) -> None:
    state = session()
    sources = {k: tr(name) for k, name in available_sources().items()}
    folders = allowed_folders()
    if folders:  # the admin's DATA_FOLDERS: else no visitor can type a server path
        sources[FOLDER] = tr("Another folder of IDX files...")
    sources[UPLOAD_SOURCE] = tr("Upload IDX files...")
    shown = state.source if state.source in sources else FOLDER if folders else "mnist"
    st.selectbox(tr("Dataset"), list(sources), format_func=sources.get,
                 key=SOURCE_WIDGET, index=list(sources).index(shown),
                 on_change=_on_source_change, disabled=active,
                 help=tr("Stop the current run to switch dataset.") if active else None)
    if st.session_state.get(SOURCE_WIDGET) == FOLDER and folders:
        st.text_input(tr("Folder holding the four MNIST-format IDX files"), key=FOLDER_WIDGET,
                      value=state.folder_text if shown == FOLDER else "", max_chars=PATH_CHARS,
                      on_change=_on_folder_entered, disabled=active,
                      placeholder="/path/to/idx/files")
    if st.session_state.get(SOURCE_WIDGET) == UPLOAD_SOURCE:
        _dataset_uploader(active)
    if state.source_error:
        st.error(tr("That dataset could not be loaded, so {name} stays: {error}",
                    name=tr(current_data().name), error=markdown_literal(tr(state.source_error))))


def _dataset_uploader(active: bool) -> None:
    files = st.file_uploader(
        tr("The four IDX files (.gz or plain)"), accept_multiple_files=True,
        key=_data_upload_key(), on_change=_on_dataset_upload, disabled=active,
        max_upload_size=UPLOAD_FILE_MB,
        help=tr("Training and test images and labels, named as MNIST's are "
                "(train-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz, ...). Only your "
                "session sees them."))
    if files and len(files) < 4:
        st.caption(tr("{n} of the 4 files so far.", n=len(files)))


def _model_picker(default: str) -> None:
    choices = model_choices()
    if choices:
        keys = [c.key for c in choices]
        chosen = chosen_model(default)
        # A new widget whenever the set of choices changes (a run or an upload appears: it is
        # then shown chosen), rather than setting a widget's value from code, which races
        # with the browser sending back the value it still shows. A person's pick is what
        # the widget returns; the fallback shown while a new run has no epoch is not a pick.
        widget = f"_model_select:{default}:{'|'.join(keys)}"  # and per page default
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
        st.error(tr("Upload refused, nothing changed: {error}",
                    error=markdown_literal(tr(session().upload_error))))


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
