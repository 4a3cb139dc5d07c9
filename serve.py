"""Start the dashboard: ``streamlit run app.py``, with the server's caches warmed meanwhile.

    python serve.py [streamlit options, e.g. --server.port 8501]

Streamlit imports nothing of ours until the first browser connects, so the first visitor
would wait for the imports (pandas, plotly, the pages' helpers) and for MNIST to be read.
Here a background thread does that work as soon as the server listens (not before:
competing for the interpreter lock, it delayed the server's start by 0.45 s), while the
browser loads Streamlit's scripts: the first page is drawn sooner, and no session ever pays
for it. It only fills process-wide caches (``sys.modules`` and core.data's dataset cache);
it never calls Streamlit. ``bash run.sh app`` and the tests start the server this way.
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

# What the pages import: ui (pandas, streamlit's plotly glue) and every core module a page
# uses, plotly's graph objects among them (half a second on its own).
WARM_MODULES = ("ui", "ui.run_view", "ui.settings_form", "core.figures", "core.explain",
                "core.lesson", "core.lesson_steps", "core.preprocess", "core.presets",
                "core.runs", "core.sweep", "core.sweep_report", "core.weights_view")


def _server_started() -> bool:
    from streamlit.runtime import Runtime, RuntimeState

    return Runtime.exists() and Runtime.instance().state is not RuntimeState.INITIAL


def warm_up() -> None:
    """Once the server listens (so that it starts as fast as without this), import what
    every page imports and load the bundled MNIST; once the first page is drawn, load the
    compiled training step.

    Not done here, to keep the server small (issue 24: a free app host gives 690 MB): the
    deskewed digits (55 MB, made in 1.5-3 s when a student first picks them, by
    core.data.Dataset.prepared) and float32 copies of the images (scaled when asked)."""
    while not _server_started():
        time.sleep(0.02)
    import importlib

    for module in WARM_MODULES:
        importlib.import_module(module)
    from core.data import load_mnist

    load_mnist()
    # The compiled step, from numba's cache (or compiled, if the cache is gone), so that no
    # student's first Start waits for it: once the first page has been drawn (importing
    # numba and loading the step take the interpreter for 0.75 s, which the first page then
    # waited for), or after half a minute with no visitor.
    import ui

    ui.PAGE_DRAWN.wait(timeout=30)
    from core.kernel import warm

    warm()


def main(argv: list[str]) -> int:
    from streamlit.web import cli

    threading.Thread(target=warm_up, name="warm-up", daemon=True).start()
    sys.argv = ["streamlit", "run", str(Path(__file__).with_name("app.py")), *argv]
    return cli.main()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
