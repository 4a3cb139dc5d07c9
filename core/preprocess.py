"""Which preparation a model's inputs get, and the one place that applies it.

A model remembers what its training images went through (its ``preprocessing``): the images
as they are (``"none"``) or deskewed (``"deskew"``, :mod:`core.deskew`). Every image it reads
afterwards, the test set on the Results page, a drawing framed like MNIST
(:mod:`core.canvas`), the lesson's digits, must be prepared the same way:
:func:`prepare_images` is that rule, :data:`PREPROCESSINGS` the registry of the known
preparations (with their names in words), :func:`check_preprocessing` the check of a name
and :func:`preprocessing_note` what a label adds for it.

NumPy only here (the deskewing imports SciPy where it needs it); nothing imports streamlit.
"""

from __future__ import annotations

import numpy as np

from core.canvas import MNIST_SIDE
from core.deskew import deskew_pixels
from core.i18n import Msg

NO_PREPROCESSING, DESKEW = "none", "deskew"  # what a model's inputs went through
PREPROCESSINGS = {NO_PREPROCESSING: Msg("as they are"), DESKEW: Msg("deskewed")}  # and in words


def preprocessing_note(preprocessing: str) -> str:
    """What a label adds for a model or run of this preprocessing, so that it is never a
    surprise: ", deskewed digits" for "deskew", nothing for "none"."""
    if check_preprocessing(preprocessing) == NO_PREPROCESSING:
        return ""
    return Msg(", {how} digits", how=PREPROCESSINGS[preprocessing])


def check_preprocessing(preprocessing: str) -> str:
    """``preprocessing`` if it is one this project knows (:data:`PREPROCESSINGS`), else
    ValueError."""
    if preprocessing not in PREPROCESSINGS:
        raise ValueError(f"unknown preprocessing {preprocessing!r}; "
                         f"choose {' or '.join(map(repr, PREPROCESSINGS))}")
    return preprocessing


def prepare_images(x: np.ndarray, preprocessing: str, side: int = MNIST_SIDE) -> np.ndarray:
    """Images prepared the way a model trained on ``preprocessing`` images expects them.

    This is the one place where that rule lives: a model that learnt from deskewed digits
    must read deskewed digits, whoever hands them to it (the test set on the Results page,
    a drawing, the lesson), and a model that learnt from the images as they are must never
    get a deskewed one. ``x``: one (side, side) image, one flattened row (side * side,), or
    rows (n, side * side); uint8 0-255 or float 0-1. Returns the same shape, as uint8 for
    uint8 input and float32 otherwise: ``x`` itself for ``"none"``,
    :func:`core.deskew.deskew_pixels`'s result for ``"deskew"``.
    """
    check_preprocessing(preprocessing)
    if preprocessing == NO_PREPROCESSING:
        return x
    return deskew_pixels(x, side)
