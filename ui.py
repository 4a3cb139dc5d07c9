"""Streamlit glue shared by the pages: the one copy of the data, the session's runs and the
model the pages look at. (core/ holds the maths and never imports streamlit.)"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

import numpy as np
import pandas  # noqa: F401  (see below)
import streamlit as st

from core.data import BUNDLED_MNIST, FASHION_MNIST_DEBIAN, Dataset, DataError, load_source
from core.jobs import RunSlots, TrainingJob
from core.metrics import Evaluation, evaluate
from core.model import ModelFileError, SoftmaxRegression

# pandas is imported here, once, while the first session imports this module (the others
# wait for it): Streamlit looks pandas up in sys.modules when it draws a table, and ten
# sessions drawing their first table at once saw it half-imported ("partially initialized
# module 'pandas' has no attribute 'Series'", caught by the load test).
DEFAULT_MODEL = BUNDLED_MNIST.parent / "default_model.npz"
MAX_KEPT_RUNS = 5
SOURCES = {"mnist": "MNIST (bundled)", "fashion": "Fashion-MNIST (Debian)"}


# ------------------------------------------------------------------ process-wide, read-only


@st.cache_resource(show_spinner="Loading the dataset (once per server)...", max_entries=4)
def dataset(source: str = "mnist") -> Dataset:
    data = load_source(source)
    for split in ("valid", "test"):
        data.features(split)  # scaled once, shared; training reads the uint8 images directly
    return data


@st.cache_resource
def default_model() -> SoftmaxRegression | None:
    try:
        return SoftmaxRegression.load(DEFAULT_MODEL, expect_features=784, expect_classes=10)
    except ModelFileError:
        return None


@st.cache_resource
def run_slots() -> RunSlots:
    """At most one training run per core at a time, server-wide; the rest wait in a queue."""
    return RunSlots(int(os.environ.get("TRAINING_SLOTS", 0)) or None)


def available_sources() -> dict[str, str]:
    found = {"mnist": SOURCES["mnist"]}
    if FASHION_MNIST_DEBIAN.is_dir():
        found["fashion"] = SOURCES["fashion"]
    return found


# ------------------------------------------------------------------ this session


def current_source() -> str:
    return st.session_state.setdefault("source", "mnist")


def current_data() -> Dataset:
    return dataset(current_source())


def current_job() -> TrainingJob | None:
    return st.session_state.get("job")


def job_active(job: TrainingJob | None = None) -> bool:
    job = job if job is not None else current_job()
    return job is not None and job.alive


def kept_runs() -> list[TrainingJob]:
    """Earlier runs of this session (newest last), kept so Results can show them."""
    return st.session_state.setdefault("kept_runs", [])


def retire_current_job() -> None:
    """Stop the current run and put it aside (kept for Results if it trained at all)."""
    old = current_job()
    if old is not None:
        old.stop()
        if old.run.history:
            old.join(5)
            old.run.weights.trim_to(1)  # a put-aside run keeps its final weights only
            runs = kept_runs()
            runs.append(old)
            del runs[:-MAX_KEPT_RUNS]
    st.session_state["job"] = None


def start_job(job: TrainingJob) -> None:
    """Make ``job`` the session's current run, keeping the previous one if it trained."""
    retire_current_job()
    st.session_state["job"] = job
    st.session_state["model_choice"] = "current"
    job.start()


def owner_alive_check():
    """A callable telling whether this browser session is still connected (None outside a
    real server, e.g. under AppTest)."""
    try:
        from streamlit.runtime import Runtime
        from streamlit.runtime.scriptrunner import get_script_run_ctx

        ctx = get_script_run_ctx()
        if ctx is None or not Runtime.exists():
            return None
        runtime, session_id = Runtime.instance(), ctx.session_id
        return lambda: runtime.is_active_session(session_id)
    except Exception:
        return None


def new_job(run) -> TrainingJob:
    """A job for ``run`` in the server-wide queue, stopped if this tab goes away."""
    return TrainingJob(run, run_slots(), owner_alive=owner_alive_check())


def run_name(job: TrainingJob) -> str:
    return f"run {job.ticket}"


def run_record(job: TrainingJob) -> dict:
    """A run as core.runs expects it: name, settings, status, history, the settings changed
    mid-run, test accuracy."""
    r = job.run
    return {"name": run_name(job), "settings": {**r.config.to_dict(), "dataset": r.data.name},
            "status": "training" if job.alive else r.status.value, "history": list(r.history),
            "changes": list(r.changes), "test_accuracy": job.test_accuracy}


def session_runs() -> list[TrainingJob]:
    """All runs of this session that trained at least one epoch, oldest first."""
    job = current_job()
    return [*kept_runs(), *([job] if job is not None and job.run.history else [])]


@dataclass
class ModelChoice:
    key: str
    label: str
    model: SoftmaxRegression


def model_choices() -> list[ModelChoice]:
    """The models the Results and Draw pages can use: only those made for the current
    dataset's shape and classes (runs trained on other data are left out), newest first."""
    data = current_data()
    choices = []
    job = current_job()
    if job is not None and job.run.snapshot_epoch and job.run.data is data:
        r = job.run
        state = "training" if job.alive else r.status.value
        choices.append(ModelChoice("current", f"This run: epoch {r.snapshot_epoch} ({state})",
                                   r.snapshot))
    for old in reversed(kept_runs()):
        r, c = old.run, old.run.config
        if r.data is data and r.snapshot_epoch:  # a run diverged in epoch 1 has nothing to show
            choices.append(ModelChoice(
                f"run-{old.ticket}", f"{run_name(old)}: {r.snapshot_epoch} epochs, lr "
                f"{c.learning_rate:g}, lambda {c.l2:g}", r.snapshot))
    for key, label, model in reversed(st.session_state.get("uploaded", [])):
        choices.append(ModelChoice(key, label, model))
    default = default_model()
    if default is not None and default.config.get("dataset") == data.name:
        choices.append(ModelChoice("default", "Pre-trained: the tutorial's 200 epochs", default))
    return [c for c in choices
            if c.model.n_classes == data.n_classes and c.model.n_features == data.n_features]


def chosen_model() -> ModelChoice | None:
    choices = model_choices()
    if not choices:
        return None
    wanted = st.session_state.get("model_choice", "current")
    fallback = next((c for c in choices if c.key == "default"), choices[0])
    return next((c for c in choices if c.key == wanted), fallback)


def require_model(then: str = "") -> ModelChoice:
    """The model the pages show; without one (a dataset nothing was trained on yet) the page
    says so and stops here. ``then`` is added to the message (what to do after training)."""
    choice = chosen_model()
    if choice is None:
        st.info(f"There is no model for this dataset yet. Train one on the Train page{then}.")
        st.stop()
    return choice


def test_evaluation(model: SoftmaxRegression) -> Evaluation:
    """The model's predictions on the test set, computed once per model snapshot."""
    cache = st.session_state.setdefault("_eval_cache", {})
    key = id(model)
    if key not in cache:
        data = current_data()
        cache.clear()  # keep one: snapshots change every epoch
        cache[key] = (model, evaluate(model, data.features("test"), data.y_test))
    return cache[key][1]


# ------------------------------------------------------------------ shared sidebar

FOLDER = "folder"


def _on_source_change() -> None:
    choice = st.session_state["_source_select"]
    if choice != FOLDER:
        _switch_source(choice)


def _on_folder_entered() -> None:
    path = st.session_state.get("_folder", "").strip()
    if path:
        _switch_source(path)


def _switch_source(source: str) -> None:
    """Load ``source``; on failure keep the current dataset and say why."""
    try:
        dataset(source)
    except (DataError, OSError) as exc:
        st.session_state["source_error"] = str(exc)
        return
    st.session_state.pop("source_error", None)
    if source != current_source():
        retire_current_job()  # a run belongs to its dataset: put it aside
        st.session_state["source"] = source
        st.session_state["model_choice"] = "current"


def _on_upload() -> None:
    """Validate an uploaded .npz model; on any problem say what and change nothing."""
    upload = st.session_state.get("_upload")
    if upload is None:
        return
    data = current_data()
    try:
        model = SoftmaxRegression.from_bytes(upload.getvalue(), upload.name,
                                             expect_features=data.n_features,
                                             expect_classes=data.n_classes)
    except ModelFileError as exc:
        st.session_state["upload_error"] = str(exc)
        return
    st.session_state.pop("upload_error", None)
    uploaded = st.session_state.setdefault("uploaded", [])
    key = f"upload-{len(uploaded) + 1}"
    uploaded.append((key, f"Uploaded: {upload.name}", model))
    del uploaded[:-MAX_KEPT_RUNS]
    st.session_state["model_choice"] = key


def _dataset_picker(active: bool) -> None:
    sources = {**available_sources(), FOLDER: "Another folder of IDX files..."}
    source = current_source()
    shown = source if source in sources else FOLDER
    st.selectbox("Dataset", list(sources), format_func=sources.get, key="_source_select",
                 index=list(sources).index(shown), on_change=_on_source_change, disabled=active,
                 help="Stop the current run to switch dataset." if active else None)
    if st.session_state.get("_source_select") == FOLDER:
        st.text_input("Folder holding the four MNIST-format IDX files", key="_folder",
                      value=source if shown == FOLDER else "", on_change=_on_folder_entered,
                      disabled=active, placeholder="/path/to/idx/files")
    if "source_error" in st.session_state:
        st.error(f"That dataset could not be loaded, so {current_data().name} stays: "
                 f"{st.session_state['source_error']}")


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
        picked = st.selectbox("Model shown on Results and Draw", keys, key=widget,
                              index=keys.index(chosen.key),
                              format_func={c.key: c.label for c in choices}.get)
        if picked != chosen.key:  # only a person changes it; the fallback is no choice
            st.session_state["model_choice"] = picked
            chosen = next(c for c in choices if c.key == picked)
        st.download_button("Download this model (.npz)", chosen.model.to_bytes(),
                           file_name=f"softmax-{chosen.key}.npz", mime="application/octet-stream",
                           icon=":material/download:", width="stretch")
    else:
        st.info("No model for this dataset yet: train one on the Train page.")
    st.file_uploader("Upload a model (.npz)", type=["npz"], key="_upload", on_change=_on_upload,
                     help="A model saved by this app or by `python -m core.train --out`.")
    if "upload_error" in st.session_state:
        st.error(f"Upload refused, nothing changed: {st.session_state['upload_error']}")


def sidebar() -> None:
    active = job_active()
    with st.sidebar:
        _dataset_picker(active)
        _model_picker()  # not in the timed fragment: at 40 users that froze the live charts
        st.fragment(_training_status, run_every=1.0 if active else None)()


def _training_status() -> None:
    """One line on the session's run, refreshed while it trains."""
    job = current_job()
    if job is None:
        return
    r = job.run
    if job.queued:
        st.caption(f"Training: queued, {job.ahead() or 0} ahead of you")
    else:
        st.caption(f"Training: {r.status.value}, epoch {r.epochs_done}/{r.target_epochs}")


# ------------------------------------------------------------------ shared rendering


def live_figure(key: str, spec: dict):
    """A figure redrawn while training, validated once per session and structure (see
    core.figures.LiveFigure): keeps the training thread's interpreter time for training."""
    from core.figures import LiveFigure

    figures = st.session_state.setdefault("_live_figures", {})
    return figures.setdefault(key, LiveFigure()).update(spec)


def verdict(correct: bool) -> str:
    """"✓ right" or "✗ wrong" in the dashboard's colour-blind-safe pair (core.figures.VERDICTS),
    as HTML for ``st.markdown(..., unsafe_allow_html=True)``."""
    from core.style import VERDICTS

    v = VERDICTS[bool(correct)]
    return f'<span style="color:{v.colour}; font-weight:700; font-size:1.25rem">{v.label}</span>'


def _image_key(x) -> str:
    """A short fingerprint of an image's pixels: equal images, equal keys."""
    return hashlib.blake2b(np.ascontiguousarray(x).tobytes(), digest_size=8).hexdigest()


def show_why(model: SoftmaxRegression, x, proba, names, key: str) -> None:
    """"Why p and not q?" for one image: a class picker, the exact per-pixel map and the
    numbers that add up to the score gap.

    q starts at the image's runner-up (its second most probable class). The picker is a new
    widget for each image and prediction (its key holds a fingerprint of the pixels): a new
    drawing or another test digit asks a new question and starts at its own runner-up,
    while a q the student picks stays as long as that image is shown. (With one fixed key
    Streamlit would keep the old image's q whenever it is still among the options.)
    """
    from core.explain import explain, runner_up
    from core.figures import why_figure

    pred = int(proba.argmax())
    others = [k for k in range(len(names)) if k != pred]
    q = st.selectbox(f"Why {names[pred]} and not...", others, index=others.index(runner_up(proba)),
                     format_func=lambda k: f"{names[k]} ({proba[k]:.1%})",
                     key=f"{key}:{_image_key(x)}:{pred}")
    why = explain(model, x, pred, q)
    st.plotly_chart(why_figure(why.contributions, names[pred], names[q], height=320),
                    key=f"{key}-map")
    p_, q_ = names[pred], names[q]
    st.markdown(
        f"| score gap, exactly | |\n|---|---:|\n"
        f"| pixels for {p_} (red) | {why.for_p:+.3f} |\n"
        f"| pixels for {q_} (blue) | {why.for_q:+.3f} |\n"
        f"| bias b{p_} - b{q_} | {why.bias_difference:+.3f} |\n"
        f"| **= z{p_} - z{q_}** | **{why.logit_gap:+.3f}** |")
    st.caption("A score is a sum of pixel x weight, so these parts add up exactly. "
               "Pixels without ink vote nothing.")
