"""Which model the pages show: this session's runs, uploaded files, the pre-trained models."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from core.i18n import Msg
from core.markup import file_label
from core.metrics import Evaluation, evaluate_split
from core.model import SoftmaxWeights
from core.model_file import ModelFileError, model_from_bytes
from core.preprocess import preprocessing_note
from core.run_state import STATUS_WORDS
from ui.caches import current_data, data_for, default_model, deskewed_model
from ui.i18n import tr
from ui.runs import MAX_KEPT_RUNS, current_job, kept_runs, run_name
from ui.state import session

# The pre-trained model each page shows until the student picks one: the article's (the
# project promises its numbers: README, "Which pre-trained model"), except on the Draw page,
# which reads drawings with the shipped model that reads drawn digits best (python -m
# bench.drawn_digits: the deskewed one; tests/test_deskew.py checks that it still is).
PAGE_MODELS = {"draw": "deskewed"}  # page (its url path) -> key of its default model
DEFAULT_MODEL = "default"


def page_model(page: str | None) -> str:
    """The key of the model ``page`` (a url path such as "draw") shows by default."""
    return PAGE_MODELS.get(page or "", DEFAULT_MODEL)


@dataclass
class ModelChoice:
    key: str
    label: str
    model: SoftmaxWeights


def model_choices() -> list[ModelChoice]:
    """The models the Results and Draw pages can use: only those made for the current
    dataset's shape and classes (runs trained on other data are left out; runs on its
    deskewed copy are in), newest first."""
    data = current_data()
    choices = []
    job = current_job()
    if job is not None and job.run.snapshot_epoch and job.run.data.plain is data:
        r = job.run
        state = Msg("training") if job.alive else STATUS_WORDS[r.status]
        choices.append(ModelChoice("current", Msg(
            "This run: epoch {epoch} ({state}){note}", epoch=r.snapshot_epoch, state=state,
            note=preprocessing_note(r.snapshot.preprocessing)), r.snapshot))
    for old in reversed(kept_runs()):
        r, c = old.run, old.run.config
        if r.data.plain is data and r.snapshot_epoch:  # diverged in epoch 1: nothing to show
            note = preprocessing_note(r.data.preprocessing)
            choices.append(ModelChoice(f"run-{old.ticket}", Msg(
                "{run}: {epochs} epochs, lr {lr:g}, lambda {l2:g}{note}", run=run_name(old),
                epochs=r.snapshot_epoch, lr=c.learning_rate, l2=c.l2, note=note), r.snapshot))
    for key, label, model in reversed(session().uploaded):
        choices.append(ModelChoice(key, Msg("{label}{note}", label=label,
                                            note=preprocessing_note(model.preprocessing)), model))
    choices += _bundled_choices(data.name)
    return [c for c in choices
            if c.model.n_classes == data.n_classes and c.model.n_features == data.n_features]


def _bundled_choices(dataset_name: str) -> list[ModelChoice]:
    """The pre-trained models shipped with the project that were trained on this dataset."""
    bundled = [("default", Msg("Pre-trained: the tutorial's 200 epochs"), default_model()),
               ("deskewed", Msg("Pre-trained: the same on deskewed digits (draws better)"),
                deskewed_model())]
    return [ModelChoice(key, label, model) for key, label, model in bundled
            if model is not None and model.config.get("dataset") == dataset_name]


def chosen_model(default: str = DEFAULT_MODEL) -> ModelChoice | None:
    """The model picked in the sidebar; while none is picked (or the pick is gone), the
    page's ``default`` (a key: :func:`page_model`), else the article's, else the newest."""
    choices = model_choices()
    if not choices:
        return None
    wanted = session().model_choice
    fallback = next((c for c in choices if c.key == default),
                    next((c for c in choices if c.key == DEFAULT_MODEL), choices[0]))
    return next((c for c in choices if c.key == wanted), fallback)


def require_model(then: str = "", default: str = DEFAULT_MODEL) -> ModelChoice:
    """The model the pages show; without one (a dataset nothing was trained on yet) the page
    says so and stops here. ``then`` is added to the message (what to do after training: a
    sentence that starts with a space); ``default``: the page's default (:func:`page_model`)."""
    choice = chosen_model(default)
    if choice is None:
        st.info(tr("There is no model for this dataset yet. Train one on the Train page.{then}",
                   then=tr(then)))
        st.stop()
    return choice


def add_upload(data: bytes, name: str) -> None:
    """Validate an uploaded .npz model and make it the chosen one; on any problem record
    what is wrong (shown by the sidebar) and change nothing."""
    state, dataset = session(), current_data()
    try:
        model = model_from_bytes(data, name, expect_features=dataset.n_features,
                                 expect_classes=dataset.n_classes)
    except ModelFileError as exc:
        state.upload_error = exc.args[0]  # a core.i18n.Msg where the message is translated
        return
    state.upload_error = None
    key = f"upload-{len(state.uploaded) + 1}"
    # the file's name, which anyone can choose, is shown in captions (markdown): made safe
    state.uploaded.append((key, Msg("Uploaded: {name}", name=file_label(name)), model))
    del state.uploaded[:-MAX_KEPT_RUNS]
    state.model_choice = key


def test_evaluation(model: SoftmaxWeights) -> Evaluation:
    """The model's predictions on the test set, prepared as the model expects (deskewed for
    a deskewing model), computed once per model snapshot."""
    cache = session().eval_cache
    key = id(model)
    if key not in cache:
        data = data_for(model)
        cache.clear()  # keep one: snapshots change every epoch
        cache[key] = (model, evaluate_split(model, data))
    return cache[key][1]
