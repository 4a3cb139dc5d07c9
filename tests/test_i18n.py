"""The translations: every message the code sends through the translator has a Japanese
translation with the same placeholders, and the translator itself (core/i18n.py)."""

from __future__ import annotations

import io
import pickle
import re
import shutil
import tokenize

import pytest
from babel.messages.pofile import read_po

from core.i18n import (
    ENGLISH,
    LOCALE_DIR,
    Msg,
    language_from_locale,
    placeholders,
    read_catalog,
    translator,
)
from tools.i18n import TEMPLATE, catalogue_ids, catalogue_path, extract, messages, source_files

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


@pytest.mark.parametrize("path", [TEMPLATE, *(catalogue_path(lang) for lang in LANGUAGES_TO_CHECK)],
                         ids=lambda p: p.name)
def test_the_catalogue_holds_exactly_the_code_messages(code_messages, path):
    """What extraction would find now, compared by message id only (not dates, not where)."""
    held = catalogue_ids(path)
    new, gone = sorted(set(code_messages) - held), sorted(held - set(code_messages))
    assert not new and not gone, (
        f"{path.relative_to(LOCALE_DIR.parent)} is not the code's catalogue: run "
        f"python -m tools.i18n extract.\nIn the code only: {new}\nIn the catalogue only: {gone}")


def test_extraction_is_stable(tmp_path, code_messages):
    """Into a copy of locale/: extraction keeps the translations, and a second extraction, a
    day later as far as the header knows, rewrites nothing."""
    locale = shutil.copytree(LOCALE_DIR, tmp_path / "locale")
    extract(locale)
    po = catalogue_path("ja", locale)
    assert catalogue_ids(po) == catalogue_ids(locale / TEMPLATE.name) == set(code_messages)
    ja = read_catalog("ja")
    kept = {m: ja[m] for m in code_messages if m in ja}
    with po.open("rb") as f:
        extracted = {m.id: m.string for m in read_po(f) if m.id}
    assert kept and all(extracted[m] == text for m, text in kept.items())
    for path in (po, locale / TEMPLATE.name):
        text = re.sub(r"POT-Creation-Date: [^\\]*", "POT-Creation-Date: 2001-01-01 00:00+0000",
                      path.read_text())
        path.write_text(text)
    before = {p: p.read_bytes() for p in (po, locale / TEMPLATE.name)}
    assert extract(locale) == []
    assert {p: p.read_bytes() for p in before} == before
