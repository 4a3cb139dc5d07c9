"""Accessibility checks in a real browser: axe-core (the engine behind Lighthouse, bundled by
the ``axe-playwright-python`` package) run on a playwright page against the WCAG 2.0, 2.1
and 2.2 rules of levels A and AA.

A finding is one element that breaks one rule. axe rates each by its impact on a person
(minor, moderate, serious, critical); the tests fail on serious and critical ones.
"""

from __future__ import annotations

from dataclasses import dataclass

WCAG_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa")
BLOCKING = ("serious", "critical")
HTML_CHARS = 240  # an element's HTML is cut to this many characters in a report


@dataclass(frozen=True)
class Finding:
    """One element breaking one axe rule: ``rule`` ("image-alt"), ``impact`` ("critical"),
    ``target`` (axe's CSS path to the element) and the start of its ``html``."""

    rule: str
    impact: str
    target: str
    html: str
    help: str

    def __str__(self) -> str:
        return f"[{self.impact}] {self.rule}: {self.help}\n    at {self.target}\n    {self.html}"


def axe_findings(page) -> list[Finding]:
    """Every WCAG 2.x A/AA violation axe finds on the page as it is now (frames included
    only where axe can reach them: Streamlit's component iframes are not scanned)."""
    from axe_playwright_python.sync_playwright import Axe

    options = {"runOnly": {"type": "tag", "values": list(WCAG_TAGS)},
               "resultTypes": ["violations"]}
    response = Axe().run(page, options=options).response
    return [Finding(rule["id"], node.get("impact") or rule.get("impact") or "minor",
                    " ".join(map(str, node["target"])), node["html"][:HTML_CHARS], rule["help"])
            for rule in response["violations"] for node in rule["nodes"]]


def blocking(findings: list[Finding]) -> list[Finding]:
    """The serious and critical findings: the ones a test fails on."""
    return [f for f in findings if f.impact in BLOCKING]


def counts(findings: list[Finding]) -> dict[str, int]:
    """Findings per impact, e.g. {"critical": 3, "serious": 1}."""
    out: dict[str, int] = {}
    for f in findings:
        out[f.impact] = out.get(f.impact, 0) + 1
    return out
