"""Text from outside (a link's value, a nickname, a folder path, a file name) shown inside
Streamlit's markdown exactly as it was typed, never read as markup.

Everything Streamlit shows in ``st.markdown``, ``st.warning``, ``st.error``, ``st.info``,
``st.caption``, ``st.success``, ``st.toast``... is markdown, and more than CommonMark: GitHub's
tables and strike-through, bare addresses made into links (``www.x.org``, ``http://...``,
``name@x.org``), ``:red[...]`` colour and ``:material/icon:`` directives, and ``$...$``
LaTeX. A link's value put there as it is can therefore draw a live link inside the app's own
warning (``[Your session expired](http://evil/phish)``), or an image the browser fetches
from elsewhere (``![](//evil/img)``).

:func:`markdown_literal` makes any text safe for all of those, one rule each:

- every ASCII punctuation mark that markdown, a directive or LaTeX could read is
  backslash-escaped (CommonMark lets any ASCII punctuation be escaped; it then shows as
  itself);
- a bare address cannot form: GitHub's link finder runs on the text after escapes are
  undone, so an invisible WORD JOINER (U+2060) goes after every ``:`` and ``@`` and between
  ``www`` and its dot, which the finder's patterns (and the ``:material/...:`` icon
  pattern) cannot cross; it shows as nothing;
- control characters (NUL, new lines, tabs...) become spaces and runs of spaces one space,
  so the text stays on its line (a new line could start a heading, a list or a code block);
  the direction overrides that make text read backwards (U+202A-U+202E, U+2066-U+2069) are
  dropped;
- it is cut to ``limit`` characters (an ellipsis says so): a 100 KB value is shown as its
  first few hundred characters, not sent to every browser in full.
"""

from __future__ import annotations

import re

__all__ = ["WORD_JOINER", "file_label", "markdown_literal", "plain"]

WORD_JOINER = "\u2060"
SHOWN_CHARS = 1000  # the most of a text shown (a class challenge's text is at most 1,000)
MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$&:=^\"'@])")
_LINK_START = re.compile(r"(:|@|(?i:www)(?=\.))")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_DIRECTION = re.compile(r"[\u202a-\u202e\u2066-\u2069]")


def markdown_literal(text: object, limit: int = SHOWN_CHARS) -> str:
    """``text`` escaped for Streamlit's markdown so that it reads exactly as typed, on one
    line, at most ``limit`` characters of it (then "…"). See the module's docstring."""
    text = _DIRECTION.sub("", _CONTROL.sub(" ", str(text)))
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[:limit] + "…"
    return MARKDOWN_SPECIAL.sub(r"\\\1", _LINK_START.sub(r"\1" + WORD_JOINER, text))


def file_label(name: object, limit: int = 60) -> str:
    """An uploaded file's name made safe to show anywhere, in markdown and in plain widgets
    (a select box's options are not markdown, so escapes would show there): letters and
    digits of any script, spaces, "-", "_" and "." are kept, anything else becomes "-",
    "www." loses its dot, and it is cut to ``limit`` characters. "[x](http://e.vil).npz"
    becomes "-x--http---e.vil-.npz": no link, image, tag, directive or LaTeX can form."""
    kept = "".join(c if c.isalnum() or c in " -_." else "-" for c in " ".join(str(name).split()))
    kept = re.sub(r"(?i)(www)\.", r"\1-", kept)
    return kept[:limit] + ("…" if len(kept) > limit else "")


def plain(shown: str) -> str:
    """What :func:`markdown_literal`'s output reads as on the page (its escapes and word
    joiners taken out): for tests and logs."""
    return re.sub(r"\\(.)", r"\1", shown).replace(WORD_JOINER, "")
