"""Settings for the Train page: the choices offered, classic lessons, and sharing by URL.

A teacher shares a link such as ``?preset=lr-too-high`` or ``?lr=0.5&l2=0&epochs=30``.
:func:`settings_from_query` turns the address's parameters into settings, ignoring anything
malformed or out of range with a note that says why, never an error. Whether the digits are
deskewed before training is not a hyperparameter but a choice of data (``?deskew=1``, or a
lesson that deskews): :func:`preprocessing_from_query` reads it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from core.config import LAMBDAS, LEARNING_RATES, SETTINGS, TrainConfig
from core.i18n import Msg
from core.preprocess import DESKEW, NO_PREPROCESSING

__all__ = ["DEFAULTS", "DESKEW_QUERY", "LAMBDAS", "LEARNING_RATES", "PRESETS", "Preset",
           "nearest_choice", "preprocessing_from_query", "query_from_settings",
           "settings_from_query"]
DEFAULTS = TrainConfig()
DESKEW_QUERY = "deskew"  # ?deskew=1: train on deskewed digits
YES, NO = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


@dataclass(frozen=True)
class Preset:
    key: str
    title: Msg
    watch: Msg  # what to look for while it trains
    settings: dict = field(default_factory=dict)
    preprocessing: str = NO_PREPROCESSING  # what the training digits go through first

    def config(self) -> TrainConfig:
        return TrainConfig(**{**DEFAULTS.to_dict(), **self.settings})


PRESETS = {p.key: p for p in [
    Preset("tutorial", Msg("The tutorial's settings"),
           Msg("Validation accuracy climbs fast, then flattens near 92.5 %: a linear "
               "model's ceiling."),
           dict(epochs=200, learning_rate=0.1, l2=1e-4, batch_size=100, seed=34)),
    Preset("lr-too-high", Msg("Learning rate too high"),
           Msg("With steps this large the loss jumps about instead of falling; the coach "
               "pauses the run when it keeps rising, or it diverges."),
           dict(epochs=30, learning_rate=5.0)),
    Preset("lambda-too-high", Msg("Lambda too high"),
           Msg("A strong L2 penalty keeps the weights small: train and validation accuracy "
               "stay low together (underfitting), and the weight templates turn smooth."),
           dict(epochs=30, l2=0.1)),
    Preset("too-few-epochs", Msg("Too few epochs"),
           Msg("With a small learning rate, two epochs are not enough: the curves are still "
               "falling steeply when training stops."),
           dict(epochs=2, learning_rate=0.01)),
    Preset("tiny-batches", Msg("Tiny batches"),
           Msg("One image per step: 50,000 noisy updates an epoch. Each epoch is much slower, and "
               "the loss is noisier than with batches of 100."),
           dict(epochs=3, batch_size=1, learning_rate=0.01)),
    Preset("deskewing", Msg("Deskewing: LeCun's 88.0 -> 91.6 %"),
           Msg("Every digit is first sheared upright (its slant taken out), in training and in the "
               "test. LeCun et al. saw a linear classifier go from 88.0 % to 91.6 % (the dotted "
               "line) that way; here validation accuracy passes 91.6 % in the first epoch and ends "
               "near 95.4 % after 20, where the plain digits give 92.3 %: pin a plain run with the "
               "same settings to see the gap. On the Weights page the templates stand upright and "
               "sharper; on the Draw page slanted digits are read better."),
           dict(epochs=20), preprocessing=DESKEW),
]}


def nearest_choice(value: float, choices: Sequence[float]) -> float:
    """The offered choice closest to ``value`` on a log scale (0 only matches 0)."""
    if value == 0:
        return min(choices, key=abs)
    positive = [c for c in choices if c > 0]
    return min(positive, key=lambda c: abs(math.log(c) - math.log(value)))


def _number(name: str, raw: str, whole: bool) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(Msg("{name}={raw!r} is not a number", name=name, raw=raw)) from None
    if not math.isfinite(value):
        raise ValueError(Msg("{name}={raw!r} is not a finite number", name=name, raw=raw))
    if whole and value != int(value):
        raise ValueError(Msg("{name}={raw!r} is not a whole number", name=name, raw=raw))
    return int(value) if whole else value


def settings_from_query(params: dict[str, str],
                        n_train: int | None = None) -> tuple[dict, str | None, list[Msg]]:
    """Read Train settings from URL query parameters (names from core.config.SETTINGS).

    Returns ``(settings, preset_key, notes)``: the TrainConfig fields that were given and
    valid (a preset's settings first, then individual parameters on top), the preset's key
    if one was given and known, and a note for every parameter that was ignored or adjusted.
    Values must lie in the range the Train page offers; a batch larger than ``n_train`` (the
    training set) is ignored too.
    """
    settings: dict = {}
    notes: list[str] = []
    preset = params.get("preset")
    if preset is not None:
        if preset in PRESETS:
            settings.update(PRESETS[preset].settings)
        else:
            notes.append(Msg("preset={preset!r} is not a known lesson; choices: {choices}",
                             preset=preset, choices=", ".join(PRESETS)))
            preset = None
    for setting in SETTINGS.values():
        name = setting.query
        if name not in params:
            continue
        lo, hi = setting.offered
        hi = n_train if hi is None else hi
        try:
            value = _number(name, params[name], setting.whole)
            if not lo <= value <= (math.inf if hi is None else hi):
                fmt = (lambda v: f"{v:,}") if setting.whole else (lambda v: f"{v:g}")
                shown = (Msg("{lo} to {hi}", lo=fmt(lo), hi=fmt(hi)) if hi is not None
                         else Msg("{lo} and up", lo=fmt(lo)))
                raise ValueError(Msg("{name}={raw} is outside {shown}", name=name,
                                     raw=params[name], shown=shown))
        except ValueError as exc:
            notes.append(Msg("ignored {why}", why=exc.args[0]))
            continue
        if setting.choices is not None and value not in setting.choices:
            snapped = nearest_choice(value, setting.choices)
            notes.append(Msg("{name}={raw} is not offered; using the nearest, {snapped:g}",
                             name=name, raw=params[name], snapped=snapped))
            value = snapped
        settings[setting.field] = value
    return settings, preset, notes


def preprocessing_from_query(params: dict[str, str],
                             preset: str | None = None) -> tuple[str, list[str]]:
    """What the training digits go through, from a link: the lesson ``preset``'s choice,
    then ``?deskew=1`` / ``?deskew=0`` on top (also true/false, yes/no, on/off). Returns
    ``(preprocessing, notes)``; a value that is none of those is ignored with a note."""
    chosen = PRESETS[preset].preprocessing if preset in PRESETS else NO_PREPROCESSING
    raw = params.get(DESKEW_QUERY)
    if raw is None:
        return chosen, []
    if raw.strip().lower() in YES:
        return DESKEW, []
    if raw.strip().lower() in NO:
        return NO_PREPROCESSING, []
    return chosen, [Msg("ignored {name}={raw!r}: use 1 (deskew the digits) or 0",
                        name=DESKEW_QUERY, raw=raw)]


def query_from_settings(config: TrainConfig, preset: str | None = None,
                        preprocessing: str = NO_PREPROCESSING) -> dict[str, str]:
    """The URL query parameters that reproduce ``config`` (and name the preset, if any;
    ``deskew=1`` when the digits are deskewed)."""
    q = {s.query: str(getattr(config, s.field)) if s.whole else f"{getattr(config, s.field):g}"
         for s in SETTINGS.values()}
    if preprocessing == DESKEW:
        q[DESKEW_QUERY] = "1"
    if preset:
        q["preset"] = preset
    return q
