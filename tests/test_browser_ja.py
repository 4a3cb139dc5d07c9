"""The dashboard in Japanese in a real browser: every page opened from a ``?lang=ja`` link
shows no English left in its visible text (names such as MNIST or NumPy, the article's
"T:x P:y" titles, numbers, units and code excepted), at 1280 px and on a 768-px tablet,
and nothing Japanese is cut. Screenshots go to ``screenshots/ja/`` (ignored by git) for a
person to look at; Debian's fonts-noto-cjk gives them their glyphs (``bash run.sh test``
installs it). Without /usr/bin/chromium these tests fail, they do not skip.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from support.e2e import ROOT, checked_server, drawn, settle

SHOTS = ROOT / "screenshots" / "ja"
PAGES = ("", "results", "draw", "weights", "sweep", "how_it_works", "classroom")
WIDTHS = (1280, 768)

# Words that stay as they are in Japanese: names, units, symbols of the maths, file types.
KEPT = {
    "MNIST", "Fashion-MNIST", "NumPy", "IDX", "SGD", "LeCun", "et", "al", "float", "exp",
    "log", "NaN", "npz", "NPZ", "CSV", "README", "Deskewing", "one-hot", "max", "px", "lr", "inf",
}
# Streamlit's own words, which it does not translate (the file uploader's drop zone, the
# link for keyboard users).
STREAMLIT = ("Upload", "10MB per file", "Drag and drop file here", "Browse files",
             "Skip to main content")
WORD = re.compile(r"[A-Za-z][A-Za-z'-]*[A-Za-z]")
# the article's titles ("T:7 P:9"), the code's names (`python -m core.train --out`), a
# class's join code ("K7QMXD": six capitals or digits)
EXCEPT = re.compile(r"T:\S+ P:\S+|`[^`]*`|\S+\.(?:py|npz|png|csv)\b|(?<!\S)--?[a-z][a-z-]*"
                    r"|https?://\S+|\b[A-Z0-9]{6}\b")

VISIBLE_TEXT = """() => {
    const skip = 'pre, code, .katex, script, style, [data-testid="stIconMaterial"], '
        + '.st-key-_language';  // icons, "English / 日本語"
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    const texts = [];
    while (walker.nextNode()) {
        const node = walker.currentNode, el = node.parentElement;
        if (!el || el.closest(skip) || !node.textContent.trim()) continue;
        const box = el.getBoundingClientRect(), style = getComputedStyle(el);
        if (!el.closest('svg') && (box.width === 0 || box.height === 0)) continue;
        if (style.visibility === 'hidden' || style.display === 'none') continue;
        if (style.fontFamily.includes('Material')) continue;  // an icon's name
        texts.push(node.textContent.trim());
    }
    for (const box of document.querySelectorAll('input[role="combobox"]')) {
        if (box.value) texts.push(box.value);  // a select box shows its choice in an input
    }
    return texts;
}"""

# A text cut to "..." by its box: any element that ends its overflow with an ellipsis (labels
# of buttons, metrics, tabs; Streamlit's ".stMarkdownEllipsis") whose text is wider than it,
# and the pages' select boxes (the sidebar's model picker shows long names cut in both
# languages, and in full when opened).
CUT_TEXT = """() => {
    const cut = el => el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1;
    const all = document.querySelectorAll('[data-testid="stMain"] *, [data-testid="stSidebar"] *');
    const ellipsis = [...all].filter(
        el => getComputedStyle(el).textOverflow === 'ellipsis' && cut(el));
    const boxes = [...document.querySelectorAll('[data-testid="stMain"] input[role="combobox"]')]
        .filter(cut);
    return [...ellipsis, ...boxes].map(el => (el.innerText || el.value).trim()
        + ' (' + el.scrollWidth + ' > ' + el.clientWidth + ')');
}"""


def english_left(texts: list[str]) -> list[str]:
    """The texts that still hold an English word (other than the kept ones)."""
    left = []
    for text in texts:
        if text in STREAMLIT or any(text.startswith(s) for s in STREAMLIT):
            continue
        words = [w for w in WORD.findall(EXCEPT.sub(" ", text)) if w not in KEPT]
        if words:
            left.append(text)
    return left


def test_the_english_check_finds_english():
    assert english_left(["学習率 0.1", "T:7 P:9", "MNIST の数字", "`python -m core.train`",
                         "float32 の one-hot"]) == []
    assert english_left(["Start", "学習 Learning rate"]) == ["Start", "学習 Learning rate"]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    classes = tmp_path_factory.mktemp("classes")  # a class database of these tests' own
    with checked_server({"CLASSROOM_DIR": str(classes)}) as url:
        yield url


def _open(page, url: str, path: str) -> None:
    page.goto(f"{url}/{path}?lang=ja")
    page.get_by_role("heading", level=1).first.wait_for(timeout=30_000)
    drawn(page)


def _check(page, name: str) -> None:
    assert page.locator("[data-testid='stException']").count() == 0, page.inner_text("body")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    left = english_left(page.evaluate(VISIBLE_TEXT))
    assert not left, f"English left on {name}: {left}"
    cut = page.evaluate(CUT_TEXT)
    assert not cut, f"text cut on {name}: {cut}"


@pytest.mark.parametrize("width", WIDTHS)
def test_every_page_in_japanese(server, browser, width):
    context = browser.new_context(viewport={"width": width, "height": 1000}, locale="ja-JP")
    page = context.new_page()
    try:
        for path in PAGES:
            _open(page, server, path)
            _check(page, f"{path or 'train'}-{width}")
    finally:
        context.close()


@pytest.mark.parametrize("width", (1120, 768))
def test_a_run_in_japanese(server, browser, width):
    """A short run: the status, the numbers, the curves and the table of runs in Japanese
    (1120 px: the sidebar open on a small laptop leaves the metrics their narrowest)."""
    context = browser.new_context(viewport={"width": width, "height": 1000})
    page = context.new_page()
    try:
        _open(page, server, "")
        box = page.get_by_label("エポック数", exact=True)
        box.fill("2")
        box.press("Enter")
        settle(page)
        page.get_by_role("button", name="開始").click()
        page.get_by_text("エポックの学習が終わりました").first.wait_for(timeout=60_000)
        drawn(page)
        _check(page, f"train-finished-{width}")
    finally:
        context.close()


def test_what_a_click_shows_in_japanese(server, browser):
    """What only a click shows: the confusion matrix tab, a digit drawn on the Draw page (its
    prediction, why, the preprocessing steps), and a class opened by its teacher (the key,
    the board, the teacher's tools)."""
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    try:
        _open(page, server, "results")
        tab = page.get_by_role("tab", name="混同行列とクラスごとの正解率")
        tab.click()
        expect(tab).to_have_attribute("aria-selected", "true")
        drawn(page)
        _check(page, "results-confusion-1280")
        _open(page, server, "draw")
        canvas = page.locator("canvas.upper-canvas")
        canvas.wait_for(state="visible", timeout=30_000)
        box = canvas.bounding_box()
        x0, y0 = box["x"], box["y"]
        page.mouse.move(x0 + 70, y0 + 60)  # a "7": the top bar, then the long diagonal
        page.mouse.down()
        page.mouse.move(x0 + 210, y0 + 60, steps=12)
        page.mouse.move(x0 + 120, y0 + 240, steps=15)
        page.mouse.up()
        page.get_by_role("heading", name="なぜ 7 なのか？").wait_for(timeout=30_000)
        drawn(page)
        _check(page, "draw-seven-1280")
        _open(page, server, "classroom")
        page.get_by_role("button", name="クラスを開く").click()
        page.get_by_text("先生の道具").wait_for(timeout=30_000)
        drawn(page)
        _check(page, "class-teacher-1280")
    finally:
        context.close()
