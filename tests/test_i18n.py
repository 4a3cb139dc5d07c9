"""The translations: every message the code sends through the translator has a Japanese
translation with the same placeholders, and the translator itself (core/i18n.py)."""

from __future__ import annotations

import io
import pickle
import re
import tokenize

import pytest

from core.i18n import ENGLISH, Msg, language_from_locale, placeholders, read_catalog, translator
from tools.i18n import messages, source_files

LANGUAGES_TO_CHECK = ("ja",)


@pytest.fixture(scope="module")
def code_messages():
    found = messages()
    assert len(found) > 50, "the extraction found almost nothing: is the keyword list right?"
    return found


@pytest.mark.parametrize("language", LANGUAGES_TO_CHECK)
def test_every_message_in_the_code_is_translated(code_messages, language):
    catalog = read_catalog(language)
    missing = [f"{where[0][0]}:{where[0][1]}: {msgid!r}" for msgid, where in code_messages.items()
               if not catalog.get(msgid, "").strip()]
    assert not missing, (f"{len(missing)} messages without a {language} translation "
                         "(python -m tools.i18n extract, then translate):\n" + "\n".join(missing))


@pytest.mark.parametrize("language", LANGUAGES_TO_CHECK)
def test_translations_keep_every_placeholder(code_messages, language):
    catalog = read_catalog(language)
    wrong = [f"{msgid!r} -> {text!r}" for msgid, text in catalog.items()
             if msgid in code_messages and placeholders(msgid) != placeholders(text)]
    assert not wrong, "placeholders dropped or added:\n" + "\n".join(wrong)


def _f_string_calls(path) -> list[str]:
    """Where ``path`` calls the translator with an f-string, or inside an f-string."""
    names, call = {"tr", "t", "Msg", "N_"}, re.compile(r"\b(tr|t|Msg|N_)\(")
    tokens = list(tokenize.generate_tokens(io.StringIO(path.read_text()).readline))
    found = []
    for k, token in enumerate(tokens):
        text = token.string
        if token.type != tokenize.STRING or "f" not in text[:text.index(text[-1])].lower():
            continue
        called_with = k >= 2 and tokens[k - 1].string == "(" and tokens[k - 2].string in names
        if called_with or call.search(text):
            found.append(f"{path}:{token.start[0]}")
    return found


def test_messages_are_literals_not_f_strings():
    """The extraction reads string literals: tr(f"...") would never be translated, nor a
    tr("...") inside an f-string's braces (one token for Python 3.11's tokenizer)."""
    offenders = [where for p in source_files() for where in _f_string_calls(p)]
    assert not offenders, offenders


def test_english_is_the_identity_and_fills_fields():
    assert ENGLISH("Epoch {n}", n=3) == "Epoch 3"
    assert ENGLISH("100 {percent}") == "100 {percent}"  # no fields given: not formatted
    assert translator("xx") is ENGLISH and translator("en") is ENGLISH


def test_a_msg_is_its_english_and_translates_later_with_its_fields():
    inner = Msg("Learning rate")
    msg = Msg("{what}: {value:g}", what=inner, value=0.5)
    assert msg == "Learning rate: 0.5" and isinstance(msg, str)
    ja = translator("ja")
    assert ja(msg) == f"{ja('Learning rate')}: 0.5" != msg
    assert pickle.loads(pickle.dumps(msg)).fields == msg.fields


def test_a_missing_translation_falls_back_to_english():
    assert translator("ja")("A sentence nobody translated, {n}", n=2) == (
        "A sentence nobody translated, 2")


@pytest.mark.parametrize(("locale", "language"), [
    ("ja-JP", "ja"), ("ja", "ja"), ("en-US", "en"), ("fr-FR", "en"), (None, "en"), ("", "en")])
def test_language_from_the_browsers_locale(locale, language):
    assert language_from_locale(locale) == language


def test_placeholders():
    assert placeholders("Epoch {n} of {total:,}, {{literal}}") == {"n", "total"}
