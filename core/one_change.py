"""Change one thing: a run and its twin that differs in exactly one setting, and the caption
that says, from the data, what that one change did.

A run's seed fixes everything random in it (core.train.tutorial_stream draws the initial
weights, then each epoch's shuffle), so two runs with the same seed that differ in one
setting differ *only* by that setting's effect: a controlled experiment. Two runs that
differ in several settings cannot say which one did what, and the caption says so.

A run is described by a record as core.runs uses it (ui.runs.run_record): a dict with
"name", "settings" (dict of TrainConfig fields plus "dataset", "preprocessing"), "history"
(list of EpochMetrics), "changes" (settings changed mid-run), "test_accuracy" (float or
None), and here also "weights_norm", ||W|| of its final weights (float or None).
"""

from __future__ import annotations

from collections.abc import Sequence

from core.config import LAMBDAS, LEARNING_RATES, SETTINGS, TrainConfig
from core.i18n import ENGLISH, Msg, Translator
from core.runs import SETTING_LABELS, differing_settings

# the settings a student may change, and the values offered for each
CHOICES: dict[str, tuple[float, ...]] = {
    "l2": LAMBDAS,
    "learning_rate": LEARNING_RATES,
    "batch_size": (1, 10, 20, 50, 100, 200, 500, 1000),
    "epochs": (1, 2, 3, 5, 10, 20, 50, 100, 200),
}


def changed_config(config: TrainConfig, setting: str, value: float) -> TrainConfig:
    """``config`` with ``setting`` set to ``value`` and everything else, the seed above all,
    kept. ValueError for a setting that is not offered, a value out of its range, or a
    value equal to the current one (that would change nothing)."""
    if setting not in CHOICES:
        raise ValueError(f"only {', '.join(CHOICES)} can be changed here, not {setting!r}")
    value = SETTINGS[setting].check(value)
    if value == getattr(config, setting):
        raise ValueError(f"{setting} is already {value:g}: pick another value")
    return TrainConfig.from_dict({**config.to_dict(), setting: value})


def other_values(config: TrainConfig, setting: str) -> list[float]:
    """The values offered for ``setting``, without the one ``config`` already has."""
    return [v for v in CHOICES[setting] if v != getattr(config, setting)]


def best_accuracy(record: dict) -> float | None:
    """The run's best validation accuracy (NaN epochs skipped), None before any epoch."""
    accs = [m.valid_acc for m in record["history"] if m.valid_acc == m.valid_acc]
    return max(accs, default=None)


def _value(value) -> str:
    """1e-4, 0.01, 100: numbers short, words as they are."""
    return f"{value:g}" if isinstance(value, (int, float)) else str(value)


def _outcome(a: dict, b: dict, tr: Translator) -> str:
    """"test accuracy 92.3 % -> 89.1 %, weights norm 8.7 -> 2.1" (validation accuracy when a
    run has no test accuracy yet; the norm when both have one)."""
    if a.get("test_accuracy") is not None and b.get("test_accuracy") is not None:
        parts = [tr("test accuracy {a:.1%} -> {b:.1%}", a=a["test_accuracy"],
                    b=b["test_accuracy"])]
    elif best_accuracy(a) is not None and best_accuracy(b) is not None:
        parts = [tr("best validation accuracy {a:.1%} -> {b:.1%}", a=best_accuracy(a),
                    b=best_accuracy(b))]
    else:
        parts = []
    if a.get("weights_norm") is not None and b.get("weights_norm") is not None:
        parts.append(tr("weights norm {a:.2g} -> {b:.2g}", a=a["weights_norm"],
                        b=b["weights_norm"]))
    return ", ".join(parts)


def compare_caption(a: dict, b: dict, tr: Translator = ENGLISH) -> str:
    """What changed from run ``a`` to run ``b`` and what it did, written from their records:

    - one setting: "only lambda changed, 0.0001 -> 0.01: test accuracy 92.3 % -> 89.1 %,
      weights norm 8.7 -> 2.1";
    - several: "3 settings differ (lambda 0.0001 -> 0.01; seed 34 -> 1; ...): the runs
      cannot tell which one did what";
    - none: "the same settings: ..." (a run repeated with its seed gives the same curves).

    A run whose learning rate or lambda was changed while it trained is said to be so: its
    curves are no longer the effect of its starting settings alone."""
    settings = [a["settings"], b["settings"]]
    keys = differing_settings(settings)
    outcome = _outcome(a, b, tr)
    if len(keys) == 1:
        k = keys[0]
        text = tr("only {setting} changed, {a} -> {b}: {outcome}", setting=SETTING_LABELS[k],
                  a=_word(settings[0].get(k), tr), b=_word(settings[1].get(k), tr),
                  outcome=outcome)
    elif keys:
        listed = "; ".join(tr("{setting} {a} -> {b}", setting=SETTING_LABELS[k],
                              a=_word(settings[0].get(k), tr), b=_word(settings[1].get(k), tr))
                           for k in keys)
        text = tr("{n} settings differ ({listed}): these two runs cannot tell which one did "
                  "what. {outcome}", n=len(keys), listed=listed, outcome=outcome)
    else:
        text = tr("the same settings: {outcome}", outcome=outcome)
    if a.get("changes") or b.get("changes"):
        text += tr(" (a setting was changed mid-run, so the curves are not the starting "
                   "settings' alone)")
    return text


def _word(value, tr: Translator) -> str:
    return tr(value) if isinstance(value, Msg) else _value(value)


def captions(current: dict, pinned: Sequence[dict], tr: Translator = ENGLISH) -> list[str]:
    """"run 3 against run 2: only lambda changed, ...": one caption per pinned run."""
    return [tr("{b} against {a}: {caption}", a=_word(p["name"], tr), b=_word(current["name"], tr),
               caption=compare_caption(p, current, tr)) for p in pinned]
