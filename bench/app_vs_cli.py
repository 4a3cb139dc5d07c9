"""Does watching slow training down? The app's speed against the command line's.

    python -m bench.app_vs_cli [--epochs 40] [--repeats 3]

Alternates, in one run: the command line (``python -m core.train``) and the dashboard in
headless chromium (Train page, Start, live chart refreshing once a second until the end),
with the same settings. Both report their median seconds per epoch; the ratio CLI / app is
the app's relative speed (1.0 = as fast as the command line; the target is >= 0.9).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from support.e2e import ROOT, chromium, open_page, set_number, streamlit_server

PER_EPOCH = re.compile(r"\(median ([\d.]+) s per epoch\)")


def cli_seconds_per_epoch(epochs: int) -> float:
    out = Path(tempfile.mkdtemp()) / "m.npz"
    result = subprocess.run([sys.executable, "-m", "core.train", "--epochs", str(epochs),
                             "--out", str(out)], cwd=ROOT, capture_output=True, text=True,
                            env={**os.environ, "OPENBLAS_NUM_THREADS": "1"}, check=True)
    return float(PER_EPOCH.search(result.stdout).group(1))


def app_seconds_per_epoch(browser, url: str, epochs: int) -> float:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        open_page(page, url)
        set_number(page, "Epochs", epochs)
        page.get_by_role("button", name="Start").click()
        done = page.get_by_text(re.compile(r"s per epoch\)"))
        done.wait_for(timeout=600_000)
        return float(PER_EPOCH.search(done.inner_text()).group(1))
    finally:
        page.close()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--epochs", type=int, default=40)
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args()
    cli, app = [], []
    with streamlit_server() as (url, _, _), chromium() as browser:
        for _ in range(args.repeats):
            cli.append(cli_seconds_per_epoch(args.epochs))
            app.append(app_seconds_per_epoch(browser, url, args.epochs))
            print(f"cli {cli[-1]:.4f} s/epoch   app {app[-1]:.4f} s/epoch", flush=True)
    c, a = statistics.median(cli), statistics.median(app)
    print(f"median: cli {c:.4f} s/epoch, app {a:.4f} s/epoch; app speed = {c / a:.2f}x the CLI's")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
