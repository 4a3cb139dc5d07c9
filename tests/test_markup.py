"""core.markup.markdown_literal: any text shown in Streamlit's markdown reads as typed.

What the browser makes of the escaped text was checked in chromium (Streamlit 1.67): none
of HOSTILE below drew a link, an image, an icon, a colour or LaTeX, and no request left for
an outside address. These tests pin the rules that made it so.
"""

from __future__ import annotations

import re

import pytest

from core.markup import SHOWN_CHARS, WORD_JOINER, file_label, markdown_literal, plain

HOSTILE = [
    "[Your session expired - click here](http://evil/phish)", "![](//evil/img)",
    "<img src=//evil/i onerror=alert(1)>", ":red[alarm]", ":material/home:", "$x^2$",
    "see http://evil.example/phish", "www.evil.example", "WWW.evil.example", "a@evil.example",
    "**bold** _it_ ~~gone~~", "# heading", "| a | b |", "&lt;b&gt;", "[x]: http://evil.example",
]
# What would start markup once the escapes are read: an unescaped special character...
UNESCAPED = re.compile(r"(?<!\\)[\[\]()<>!*_~$:`#|&]")
# ... or an address GitHub's link finder would make into a link (it reads the text after
# escapes are undone): a scheme's "://", "www." or name@domain with nothing in between.
BARE_ADDRESS = re.compile(r"(?i)(https?://|www\.|\w@\w)")


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_keeps_no_markup_and_reads_as_typed(text):
    shown = markdown_literal(text)
    assert not UNESCAPED.search(shown.replace("\\\\", "")), shown
    assert not BARE_ADDRESS.search(shown.replace("\\", "")), shown
    assert plain(shown) == text


def test_control_characters_and_new_lines_keep_the_text_on_one_line():
    shown = markdown_literal("a\x00b\nc\r\n# d\t\u202eevil")
    assert plain(shown) == "a b c # d evil"
    assert "\n" not in shown and "\x00" not in shown


def test_long_text_is_cut_with_an_ellipsis():
    shown = markdown_literal("a" * 100_000)
    assert plain(shown) == "a" * SHOWN_CHARS + "…"
    assert plain(markdown_literal("abcdef", limit=3)) == "abc…"


def test_ordinary_text_is_left_alone():
    assert markdown_literal("はなこ 42") == "はなこ 42"
    assert WORD_JOINER not in markdown_literal("my digits 2024")


@pytest.mark.parametrize("name", HOSTILE + ["x" * 500 + ".npz"])
def test_an_uploaded_files_name_is_made_safe_for_markdown_and_plain_widgets(name):
    label = file_label(name)
    assert len(label) <= 61
    assert not re.search(r"[\[\]()<>!*~$:`#|&@\\]", label), label
    assert not BARE_ADDRESS.search(label), label
    assert file_label("モデル_1 v2.npz") == "モデル_1 v2.npz"
