"""The house's size rules (README, Layout): every page in views/ stays thin, under 150 lines,
and no module in core/ or ui/ grows past 400 lines. A page that grows moves its logic into ui/
or core/; a module that grows splits along its jobs.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGE_LIMIT = 150  # lines of a page in views/: under it
MODULE_LIMIT = 400  # lines of a module in core/ or ui/: at most


def _lines(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def _modules() -> dict[str, int]:
    """Every Python module of core/ and ui/ (subpackages included) -> its number of lines."""
    return {str(p.relative_to(ROOT)): _lines(p)
            for folder in ("core", "ui") for p in sorted((ROOT / folder).rglob("*.py"))}


def test_every_page_is_under_150_lines():
    pages = {p.name: _lines(p) for p in sorted((ROOT / "views").glob("*.py"))}
    assert len(pages) >= 7, "no pages found: has views/ moved?"
    long = {name: n for name, n in pages.items() if n >= PAGE_LIMIT}
    assert not long, (f"pages of {PAGE_LIMIT} lines or more (move their logic into ui/ or "
                      f"core/): {long}")


def test_no_module_is_over_400_lines():
    modules = _modules()
    assert len(modules) > 30, "no modules found: have core/ and ui/ moved?"
    long = {m: n for m, n in modules.items() if n > MODULE_LIMIT}
    assert not long, (f"modules over {MODULE_LIMIT} lines (split them along their jobs): {long}")


def test_the_readmes_layout_names_every_module():
    """README's Layout section matches the tree: every module of core/ and ui/ is named."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    layout = readme[readme.index("## Layout"):readme.index("## ", readme.index("## Layout") + 3)]
    names = {Path(m).stem for m in _modules()} - {"__init__"}
    missing = sorted(n for n in names if not re.search(rf"\b{n}\b", layout))
    assert not missing, f"README's Layout does not name: {missing}"
