"""What the whole server shares, read-only, loaded once: the datasets, the pre-trained model
and the training slots; and which of the datasets this session looks at."""

from __future__ import annotations

import os
import threading

import streamlit as st

from core.data import BUNDLED_MNIST, FASHION_MNIST_DEBIAN, Dataset, load_source
from core.jobs import RunSlots
from core.model import ModelFileError, SoftmaxRegression
from ui.state import session

DEFAULT_MODEL = BUNDLED_MNIST.parent / "default_model.npz"
SOURCES = {"mnist": "MNIST (bundled)", "fashion": "Fashion-MNIST (Debian)"}
# Set when a page has been drawn for the first time in this process: the server's warm-up
# (serve.py) loads the compiled training step after that, not while the first visitor waits.
PAGE_DRAWN = threading.Event()


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


def current_data() -> Dataset:
    """The dataset this session looks at (from the shared cache)."""
    return dataset(session().source)
