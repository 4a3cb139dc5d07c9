"""The translations' maintenance: ``python -m tools.i18n extract``.

It collects every message the code sends through the translator (``tr("...")``,
``t("...")``, ``Msg("...")`` in app.py, views/, ui/ and core/) into
``locale/messages.pot`` and merges them into each language's ``messages.po``: new messages
come in untranslated, and translations of messages the code no longer has are dropped (git's
history keeps them). Then translate the empty ``msgstr`` entries; tests/test_i18n.py fails
while one is missing or loses a ``{placeholder}``, and while the catalogue's messages are not
the code's. The .po files are read as they are at run time (core/i18n.py): no compile step.

Extraction is stable: a file is rewritten only when its messages, translations or the files
they come from change, never for the date alone; locations name the file without a line
number, so moving a message within its file (or editing lines above it) leaves the catalogue
as it is.
"""

from __future__ import annotations

import re
import sys
from io import BytesIO
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po, write_po

from core.i18n import LANGUAGES, LOCALE_DIR, SOURCE_LANGUAGE

ROOT = LOCALE_DIR.parent
SOURCES = ("app.py", "views/**/*.py", "ui/**/*.py", "core/**/*.py")
# each takes its message id first; ``t`` is a translator a page holds for its format_funcs
KEYWORDS = {"tr": None, "t": None, "Msg": None, "N_": None}
TEMPLATE_NAME = "messages.pot"
TEMPLATE = LOCALE_DIR / TEMPLATE_NAME
PROJECT = "Watch a classifier learn"
# the header lines that change with the clock, not with the messages
_DATE_LINE = re.compile(rb'^"(POT-Creation-Date|PO-Revision-Date): [^"]*"$', re.M)
_WRITE = {"width": 100, "include_lineno": False, "ignore_obsolete": True}


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
    """The code's messages as a catalogue, in the order the sorted source files hold them."""
    catalog = Catalog(project=PROJECT, fuzzy=False, header_comment=(
        f"# Translations template for {PROJECT}: python -m tools.i18n extract writes it.\n#"))
    for msgid, where in messages().items():
        catalog.add(msgid, locations=where)
    return catalog


def catalogue_path(language: str, locale_dir: Path = LOCALE_DIR) -> Path:
    return locale_dir / language / "LC_MESSAGES" / "messages.po"


def catalogue_ids(path: Path) -> set[str]:
    """The message ids a .po or .pot file holds (not its header, not obsolete entries)."""
    with path.open("rb") as f:
        return {m.id for m in read_po(f) if m.id and isinstance(m.id, str)}


def extract(locale_dir: Path = LOCALE_DIR) -> list[Path]:
    """Write ``locale_dir``'s messages.pot and update every language's messages.po from the
    code; returns the files it rewrote (none when the catalogue already says what the code
    says)."""
    pot = template()
    written = [path for path in [locale_dir / TEMPLATE_NAME] if _write(path, _render(pot))]
    for language in LANGUAGES:
        if language != SOURCE_LANGUAGE:
            path = catalogue_path(language, locale_dir)
            po = _updated(path, language, pot)
            if _write(path, _render(po)):
                written.append(path)
            missing = sum(1 for m in po if m.id and not m.string)
            shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
            print(f"{shown}: {len(po)} messages, {missing} to translate")
    return written


def _updated(path: Path, language: str, pot: Catalog) -> Catalog:
    """``language``'s catalogue at ``path`` (a new one if missing) merged with ``pot``."""
    if path.exists():
        with path.open("rb") as f:
            po = read_po(f, locale=language)
    else:
        po = Catalog(locale=language, project=pot.project, fuzzy=False)
    po.update(pot, no_fuzzy_matching=True)
    return po


def _render(catalog: Catalog) -> bytes:
    out = BytesIO()
    write_po(out, catalog, **_WRITE)
    return out.getvalue()


def _write(path: Path, data: bytes) -> bool:
    """Write ``data`` unless ``path`` already holds it, dates apart; True if written."""
    if path.exists() and _DATE_LINE.sub(b"", path.read_bytes()) == _DATE_LINE.sub(b"", data):
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return True


def main(argv: list[str]) -> int:
    if argv[1:] != ["extract"]:
        print(__doc__, file=sys.stderr)
        return 2
    extract()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
