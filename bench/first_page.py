"""How long from `bash run.sh app` (already installed) to the first page drawn in a browser?

    python -m bench.first_page [--repeats 3] [--root DIR]

Starts `bash run.sh app` in ``--root`` (default: this checkout, whose .venv must be set up),
and at once points headless chromium at the address it prints, retrying until the server
answers; the clock stops when the Train page's title and its Start button are drawn. Also
times the command line's start (`--help`) and a 1-epoch run, and, on the fresh server, a
click on Start (1 epoch) until "Finished" (no compile pause). The goals: first page < 3 s,
command line start < 0.5 s. The figures are medians; run it on a quiet machine and report
the load (printed).
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import time
from pathlib import Path

from support.e2e import ROOT, chromium, free_port, set_number


def first_page_seconds(browser, root: Path) -> tuple[float, float]:
    """Seconds to the first page drawn, then from a click on Start (1 epoch) to "Finished":
    the first run of a fresh server, which must not wait for the kernel to compile."""
    port = free_port()
    started = time.perf_counter()
    proc = subprocess.Popen(["bash", "run.sh", "app", "--server.port", str(port),
                             "--server.address", "127.0.0.1", "--server.headless", "true"],
                            cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        while True:  # the server is not listening yet: try again at once
            try:
                page.goto(f"http://127.0.0.1:{port}/", timeout=30_000)
                break
            except Exception as err:
                if proc.poll() is not None or time.perf_counter() - started > 60:
                    raise RuntimeError("the dashboard did not start") from err
        page.get_by_role("heading", name="Train a softmax regression").wait_for(timeout=60_000)
        page.get_by_role("button", name="Start").wait_for(timeout=60_000)
        drawn = time.perf_counter() - started
        set_number(page, "Epochs", 1)
        clicked = time.perf_counter()
        page.get_by_role("button", name="Start").click()
        page.get_by_text("Finished 1 epochs").wait_for(timeout=120_000)
        return drawn, time.perf_counter() - clicked
    finally:
        page.close()
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)


def command_seconds(args: list[str], root: Path) -> float:
    started = time.perf_counter()
    subprocess.run([str(root / ".venv" / "bin" / "python"), "-m", "core.train", *args],
                   cwd=root, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--root", type=Path, default=ROOT)
    args = p.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    out = f"/tmp/first-page-{os.getpid()}.npz"
    rows = {"CLI --help": ["--help"], "CLI 1 epoch": ["--epochs", "1", "--out", out]}
    for name, cli_args in rows.items():
        times = [command_seconds(cli_args, args.root) for _ in range(args.repeats)]
        print(f"{name:<12} median {statistics.median(times):.2f} s  "
              f"({', '.join(f'{t:.2f}' for t in times)})")
    with chromium() as browser:
        pairs = [first_page_seconds(browser, args.root) for _ in range(args.repeats)]
    for name, times in (("first page", [p[0] for p in pairs]),
                        ("first Start", [p[1] for p in pairs])):
        print(f"{name:<12} median {statistics.median(times):.2f} s  "
              f"({', '.join(f'{t:.2f}' for t in times)})")
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
