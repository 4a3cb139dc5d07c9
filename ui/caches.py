"""What the whole server shares, read-only, loaded once: the datasets (and their deskewed
copies), the pre-trained models and the training slots; and which of the datasets this
session looks at."""

from __future__ import annotations

import os
import threading

import streamlit as st

from core.data import BUNDLED_MNIST, FASHION_MNIST_DEBIAN, Dataset, load_source
from core.i18n import Msg
from core.jobs import RunSlots
from core.model import SoftmaxWeights
from core.model_file import ModelFileError, load_model
from core.preprocess import NO_PREPROCESSING
from ui import janitor
from ui.state import UPLOAD_SOURCE, session

DEFAULT_MODEL = BUNDLED_MNIST.parent / "default_model.npz"  # the article's: plain digits
DESKEWED_MODEL = BUNDLED_MNIST.parent / "deskewed_model.npz"  # the same, on deskewed digits
SOURCES = {"mnist": Msg("MNIST (bundled)"), "fashion": Msg("Fashion-MNIST (Debian)")}
# Set when a page has been drawn for the first time in this process: the server's warm-up
# (serve.py) loads the compiled training step after that, not while the first visitor waits.
PAGE_DRAWN = threading.Event()


@st.cache_resource(show_spinner="Loading the dataset (once per server)...", max_entries=4)
def dataset(source: str = "mnist") -> Dataset:
    return load_source(source)  # uint8 images only: pages scale what they read when they read it


@st.cache_resource(show_spinner="Deskewing the digits (once per server)...", max_entries=4)
def prepared_dataset(source: str, preprocessing: str) -> Dataset:
    """``dataset(source)`` with its images prepared as ``preprocessing`` says (deskewing
    70,000 MNIST digits takes a second or two, once)."""
    return dataset(source).prepared(preprocessing)


@st.cache_resource
def default_model() -> SoftmaxWeights | None:
    """The article's pre-trained model (200 epochs on the plain digits)."""
    return _bundled(DEFAULT_MODEL)


@st.cache_resource
def deskewed_model() -> SoftmaxWeights | None:
    """The same settings trained on deskewed digits (``--deskew``)."""
    return _bundled(DESKEWED_MODEL)


def _bundled(path) -> SoftmaxWeights | None:
    try:
        return load_model(path, expect_features=784, expect_classes=10)
    except ModelFileError:
        return None


@st.cache_resource
def run_slots() -> RunSlots:
    """At most one training run per core at a time, server-wide (``TRAINING_SLOTS``); the
    rest wait in a queue fair between clients: each has at most ``RUNS_PER_CLIENT`` (1) runs
    training and as many waiting (see core.tasks.RunSlots). Made once per process, which
    also starts the janitor that lets go of closed tabs' sessions (ui.janitor)."""
    janitor.ensure_started()
    return RunSlots(_env_int("TRAINING_SLOTS") or None, per_client=_env_int("RUNS_PER_CLIENT") or 1)


def _env_int(name: str) -> int:
    try:
        return int(os.environ.get(name, 0))
    except ValueError:
        return 0


def available_sources() -> dict[str, str]:
    found = {"mnist": SOURCES["mnist"]}
    if FASHION_MNIST_DEBIAN.is_dir():
        found["fashion"] = SOURCES["fashion"]
    return found


def current_data(preprocessing: str = NO_PREPROCESSING) -> Dataset:
    """The dataset this session looks at (from the shared cache, or the session's own
    upload), its images prepared as ``preprocessing`` says."""
    state = session()
    if state.source == UPLOAD_SOURCE and state.uploaded_data is not None:
        return state.uploaded_data.prepared(preprocessing)  # deskewed once, in the session
    source = state.source if state.source != UPLOAD_SOURCE else "mnist"
    return dataset(source) if preprocessing == NO_PREPROCESSING else \
        prepared_dataset(source, preprocessing)


def data_for(model: SoftmaxWeights) -> Dataset:
    """The dataset this session looks at, prepared as ``model``'s training images were: what
    it must be scored and explained on (a deskewing model reads deskewed test digits, a
    plain one never does)."""
    return current_data(model.preprocessing)
