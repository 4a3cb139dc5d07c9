"""The dashboard's languages: English (the language of the code) and Japanese.

Every text a person reads is written in English in the code and looked up in a catalog,
``locale/<lang>/LC_MESSAGES/messages.po`` (in git), read at run time with Babel's
pure-Python reader: nothing to compile. A missing translation falls back to the English.

Two ways a text goes through the catalog, one rule for each:

- a function that builds what is shown (a figure, a caption) takes ``tr``, a
  :class:`Translator`, defaulting to :data:`ENGLISH`, and calls ``tr("Accuracy")``;
- a text that is made now and shown later, in whichever language the reader has then (a
  run's message from its training thread, a lesson's title, an error), is a :class:`Msg`:
  a ``str`` holding its English (so logs, the CLI and tests read it as before) that
  remembers its message id and fields, so that ``tr(msg)`` translates it.

Placeholders are ``str.format`` named fields: ``tr("Epoch {n}", n=3)``. A field may be a
:class:`Msg` itself; it is translated too. The language belongs to a session (ui.i18n):
nothing here is process-wide, so one server speaks both languages at once.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from pathlib import Path

__all__ = ["ENGLISH", "LANGUAGES", "LOCALE_DIR", "Msg", "Translator", "display_width",
           "language_from_locale", "placeholders", "translator"]

LANGUAGES = {"en": "English", "ja": "日本語"}
SOURCE_LANGUAGE = "en"  # the code's own language: its translator is the identity
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
_FIELD = re.compile(r"(?<!\{)\{([A-Za-z_][A-Za-z_0-9]*)[^{}]*\}")


class Msg(str):
    """A text to translate when it is shown: its English, formatted, as a ``str``; its
    message id and fields kept for :class:`Translator`. Join Msgs with a Msg (a field),
    never with ``+``: a plain ``str`` forgets what to translate."""

    msgid: str
    fields: dict

    def __new__(cls, msgid: str, **fields) -> Msg:
        text = super().__new__(cls, msgid.format(**fields) if fields else msgid)
        text.msgid, text.fields = msgid, fields
        return text

    def __reduce__(self):
        return _remake, (self.msgid, self.fields)


def _remake(msgid: str, fields: dict) -> Msg:
    return Msg(msgid, **fields)


class Translator:
    """``tr(text, **fields)``: ``text`` in this language, its fields filled in."""

    def __init__(self, language: str, catalog: dict[str, str]):
        self.language = language
        self.catalog = catalog

    def __call__(self, text: str, **fields) -> str:
        if isinstance(text, Msg):
            text, fields = text.msgid, {**text.fields, **fields}
        fields = {k: self(v) if isinstance(v, Msg) else v for k, v in fields.items()}
        shown = self.catalog.get(text) or text
        return shown.format(**fields) if fields else shown

    def __repr__(self) -> str:
        return f"Translator({self.language!r}, {len(self.catalog)} messages)"


ENGLISH = Translator(SOURCE_LANGUAGE, {})


def catalog_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"


def read_catalog(language: str) -> dict[str, str]:
    """The translated, non-fuzzy messages of ``language``'s .po file (msgid -> msgstr)."""
    from babel.messages.pofile import read_po  # only a session in another language pays it

    with catalog_path(language).open("rb") as f:
        catalog = read_po(f)
    return {m.id: m.string for m in catalog
            if m.id and isinstance(m.id, str) and m.string and not m.fuzzy}


@cache
def translator(language: str) -> Translator:
    """The translator of ``language`` (one per language and process); English for an
    unknown language."""
    if language not in LANGUAGES or language == SOURCE_LANGUAGE:
        return ENGLISH
    return Translator(language, read_catalog(language))


def language_from_locale(locale: str | None) -> str:
    """The offered language of a browser's locale ("ja-JP" -> "ja"), else English."""
    code = (locale or "").replace("_", "-").split("-")[0].lower()
    return code if code in LANGUAGES else SOURCE_LANGUAGE


def placeholders(text: str) -> set[str]:
    """The named fields of a message: "Epoch {n} of {total:,}" -> {"n", "total"}."""
    return set(_FIELD.findall(text))


def display_width(text: str) -> int:
    """How wide ``text`` is on screen, in Latin characters: a Japanese character (wide or
    full-width) takes two. Layout rules that count characters use it."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in str(text))
