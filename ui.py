"""Streamlit glue shared by the pages: the one copy of the data, the session's runs and the
model the pages look at. (core/ holds the maths and never imports streamlit.)"""

from __future__ import annotations

import os
from dataclasses import dataclass

import streamlit as st

from core.data import BUNDLED_MNIST, FASHION_MNIST_DEBIAN, Dataset, DataError, load_source
from core.jobs import RunSlots, TrainingJob
from core.metrics import Evaluation, evaluate
from core.model import ModelFileError, SoftmaxRegression

DEFAULT_MODEL = BUNDLED_MNIST.parent / "default_model.npz"
MAX_KEPT_RUNS = 5
SOURCES = {"mnist": "MNIST (bundled)", "fashion": "Fashion-MNIST (Debian)"}


# ------------------------------------------------------------------ process-wide, read-only


@st.cache_resource(show_spinner="Loading the dataset (once per server)...")
def dataset(source: str = "mnist") -> Dataset:
    data = load_source(source)
    for split in ("train", "valid", "test"):
        data.features(split)  # convert once, before any session asks
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


def _owner_alive_check():
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
    return TrainingJob(run, run_slots(), owner_alive=_owner_alive_check())


@dataclass
class ModelChoice:
    key: str
    label: str
    model: SoftmaxRegression


def model_choices() -> list[ModelChoice]:
    """The models the Results and Draw pages can use, for the current dataset."""
    data = current_data()
    choices = []
    job = current_job()
    if job is not None and job.run.history:
        r = job.run
        state = "training" if job.alive else r.status.value
        choices.append(ModelChoice("current", f"This run: epoch {r.snapshot_epoch} ({state})",
                                   r.snapshot))
    for i, old in enumerate(reversed(kept_runs()), start=1):
        r = old.run
        c = r.config
        choices.append(ModelChoice(
            f"run-{old.ticket}", f"Earlier run {i}: {r.snapshot_epoch} epochs, lr {c.learning_rate:g}, "
            f"lambda {c.l2:g}", r.snapshot))
    default = default_model()
    if default is not None and default.config.get("dataset") == data.name:
        choices.append(ModelChoice("default", "Pre-trained: the tutorial's 200 epochs", default))
    return [c for c in choices if c.model.n_classes == data.n_classes]


def chosen_model() -> ModelChoice | None:
    choices = model_choices()
    if not choices:
        return None
    wanted = st.session_state.get("model_choice", "current")
    return next((c for c in choices if c.key == wanted), choices[0])


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


def _on_source_change() -> None:
    st.session_state["source"] = st.session_state["_source_select"]
    st.session_state["model_choice"] = "current"


def sidebar() -> None:
    sources = available_sources()
    active = job_active()
    with st.sidebar:
        st.selectbox("Dataset", list(sources), format_func=sources.get, key="_source_select",
                     index=list(sources).index(current_source()), on_change=_on_source_change,
                     disabled=active,
                     help="Stop the current run to switch dataset." if active else None)
        try:
            current_data()
        except DataError as exc:
            st.error(f"This dataset cannot be loaded: {exc}")
            st.session_state["source"] = "mnist"
            return
        choices = model_choices()
        if choices:
            keys = [c.key for c in choices]
            chosen = chosen_model()
            st.selectbox("Model shown on Results and Draw", keys, index=keys.index(chosen.key),
                         format_func={c.key: c.label for c in choices}.get, key="_model_select",
                         on_change=lambda: st.session_state.update(
                             model_choice=st.session_state["_model_select"]))
        else:
            st.info("No model for this dataset yet: train one on the Train page.")
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


def show_why(model: SoftmaxRegression, x, proba, names, key: str) -> None:
    """"Why p and not q?" for one image: a class picker (runner-up by default), the exact
    per-pixel map and the numbers that add up to the score gap."""
    from core.explain import explain, runner_up
    from core.figures import why_figure

    pred = int(proba.argmax())
    others = [k for k in range(len(names)) if k != pred]
    q = st.selectbox(f"Why {names[pred]} and not...", others, index=others.index(runner_up(proba)),
                     format_func=lambda k: f"{names[k]} ({proba[k]:.1%})", key=key)
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
