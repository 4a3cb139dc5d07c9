"""The translations' maintenance: ``python -m tools.i18n extract``.

It collects every message the code sends through the translator (``tr("...")``,
``t("...")``, ``Msg("...")`` in app.py, views/, ui/ and core/) into
``locale/messages.pot`` and merges them into each language's ``messages.po``: new messages
come in untranslated, translations of messages the code no longer has are dropped (kept as
obsolete entries at the end of the file). Then translate the empty ``msgstr`` entries;
tests/test_i18n.py fails while one is missing or loses a ``{placeholder}``. The .po files
are read as they are at run time (core/i18n.py): no compile step.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po, write_po

from core.i18n import LANGUAGES, LOCALE_DIR, SOURCE_LANGUAGE, catalog_path

ROOT = LOCALE_DIR.parent
SOURCES = ("app.py", "views/**/*.py", "ui/**/*.py", "core/**/*.py")
# each takes its message id first; ``t`` is a translator a page holds for its format_funcs
KEYWORDS = {"tr": None, "t": None, "Msg": None, "N_": None}
TEMPLATE = LOCALE_DIR / "messages.pot"


def source_files() -> list[Path]:
    """The files whose messages are translated."""
    return sorted({p for pattern in SOURCES for p in ROOT.glob(pattern)})


def messages() -> dict[str, list[tuple[str, int]]]:
    """Every message id in the code -> where it appears (file, line)."""
    found: dict[str, list[tuple[str, int]]] = {}
    for path in source_files():
        for line, msgid, _comments, _context in extract_from_file(
                "python", str(path), keywords=KEYWORDS, comment_tags=()):
            if isinstance(msgid, str) and msgid:
                found.setdefault(msgid, []).append((str(path.relative_to(ROOT)), line))
    return found


def template() -> Catalog:
    catalog = Catalog(project="Watch a classifier learn", fuzzy=False)
    for msgid, where in messages().items():
        catalog.add(msgid, locations=where)
    return catalog


def extract() -> None:
    """Write locale/messages.pot and update every language's messages.po."""
    pot = template()
    with TEMPLATE.open("wb") as f:
        write_po(f, pot, width=100, omit_header=False, sort_output=False)
    for language in LANGUAGES:
        if language != SOURCE_LANGUAGE:
            _update(language, pot)


def _update(language: str, pot: Catalog) -> None:
    path = catalog_path(language)
    if path.exists():
        with path.open("rb") as f:
            po = read_po(f, locale=language)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        po = Catalog(locale=language, project=pot.project, fuzzy=False)
    po.update(pot, no_fuzzy_matching=True)
    with path.open("wb") as f:
        write_po(f, po, width=100, include_previous=False)
    missing = sum(1 for m in po if m.id and not m.string)
    print(f"{path.relative_to(ROOT)}: {len(po)} messages, {missing} to translate")


def main(argv: list[str]) -> int:
    if argv[1:] != ["extract"]:
        print(__doc__, file=sys.stderr)
        return 2
    extract()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
