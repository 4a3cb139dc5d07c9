"""The dashboard's look, defined once: colours, the font size, the red-blue palette, and the
published accuracies drawn as reference lines. Every figure module reads them from here."""

from __future__ import annotations

from dataclasses import dataclass

from core.i18n import ENGLISH, Msg, Translator

FONT = dict(size=16)  # readable from the back of a classroom on a projector

TRAIN_COLOUR, VALID_COLOUR = "#1f77b4", "#ff7f0e"  # plotly's blue and orange
CHANGE_COLOUR = "#6a3d9a"  # a setting changed mid-run: a purple line, apart from both curves


@dataclass(frozen=True)
class Verdict:
    """How the dashboard shows that a prediction is right or wrong: a colour, a symbol, a word."""

    colour: str
    symbol: str
    word: Msg

    @property
    def label(self) -> Msg:
        return Msg("{symbol} {word}", symbol=self.symbol, word=self.word)


# Right and wrong, everywhere in the dashboard. Green against red is the pair that about 1 in
# 12 men cannot tell apart (red-green colour blindness). Okabe and Ito's blue and vermillion
# ("Color Universal Design", 2008) differ in lightness as well as hue, so they stay apart for
# every common kind of colour blindness and in greyscale; and the symbol and the word say it
# again, so that colour is never the only cue.
VERDICTS = {True: Verdict("#0072B2", "✓", Msg("right")),
            False: Verdict("#D55E00", "✗", Msg("wrong"))}
PREDICTION_COLOUR = "#4d4d4d"  # the prediction when the true class is unknown (a drawing)
OTHER_CLASS_COLOUR = "#c5cbd3"
TRUE_CLASS_OUTLINE = "#1a1a1a"

# ColorBrewer's "RdBu" (11 classes; Cynthia Brewer, colorbrewer2.org, where it is marked
# colour-blind safe: it varies in lightness as well as hue, so readers who cannot tell red
# from green still see dark-light-dark), ordered blue -> red so that negative values are
# blue and positive ones red. Its midpoint #f7f7f7 is replaced by pure white: exactly 0.
# Weights, "why" maps and their pictures all use it.
DIVERGING_SCALE: list[list] = [
    [0.0, "#053061"], [0.1, "#2166ac"], [0.2, "#4393c3"], [0.3, "#92c5de"], [0.4, "#d1e5f0"],
    [0.5, "#ffffff"],
    [0.6, "#fddbc7"], [0.7, "#f4a582"], [0.8, "#d6604d"], [0.9, "#b2182b"], [1.0, "#67001f"],
]


@dataclass(frozen=True)
class Reference:
    """A published test accuracy on MNIST for this kind of model."""

    accuracy: float
    what: Msg
    source: str = ""

    @property
    def label(self) -> Msg:
        source = f" ({self.source})" if self.source else ""
        return Msg("{accuracy:.1%} {what}{source}", accuracy=self.accuracy, what=self.what,
                   source=source)


REFERENCE_ACCURACIES = (
    Reference(0.880, Msg("linear classifier"), "LeCun et al. 1998"),
    Reference(0.916, Msg("the same, deskewed"), "LeCun et al. 1998"),
    Reference(0.925, Msg("well-tuned softmax regression")),
)


def references_caption(tr: Translator = ENGLISH) -> str:
    """The sentence under a chart that draws :data:`REFERENCE_ACCURACIES`."""
    listed = "; ".join(tr(r.label) for r in REFERENCE_ACCURACIES)
    return tr("Dotted lines: published test accuracies on MNIST: {listed}. Far above {limit:.0%} "
              "from this model would mean a bug or test data leaking into training.",
              listed=listed, limit=max(r.accuracy for r in REFERENCE_ACCURACIES) + 0.005)
