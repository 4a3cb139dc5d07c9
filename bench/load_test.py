"""Load test: N simulated users train at once on one dashboard server.

    python -m bench.load_test [--users 40] [--epochs 20] [--timeout SECONDS] [--stagger 0]
                              [--class] [--boards 1] [--reloads]
    python -m bench.load_test --abuse [--users 20] [--greedy 30] [--bombers 3] [--flood 60]

Starts the dashboard (serve.py, as ``bash run.sh app`` does) on a free loopback port
(support/e2e.py), then drives ``--users`` simulated browser tabs over Streamlit's own
websocket protocol (support/load_protocol.py; the scenarios in support/load_client.py):
each opens the Train page, sets Epochs, clicks Start and watches
the live chart (its fragment re-run once a second, as the browser asks) until the run has
finished. Prints runs finished, chart-refresh latency (median, p95), the server's memory
before and after, its CPU use, the errors seen and the total time.

With ``--class`` (Classroom mode) a class is opened first, in a class database of the run's
own (a temporary SQLite file; ``CLASSROOM_DB_URL`` when set): the users are its students
(``?class=CODE&nick=student-N`` in their address, as after a reload), so every finished run
is shared, and ``--boards`` more tabs keep the Class page open; it also prints the board's
refresh latency and how many runs the board showed at the end. Exit status 0 when every
run finished without an error, 1 otherwise.

With ``--abuse`` (issue 19) the ``--users`` (default 20) honest students train while a
greedy client (``--greedy`` tabs from one address, each forging X-Forwarded-For, asking
for 10,000 epochs and then ``--greedy-epochs``), bomb uploads (``--bombers`` tabs uploading
a bzip2 zip bomb .npz declaring ``--bomb-mb`` MB, ``--bomb-uploads`` times each) and a class
flood (``--flood`` joins of one class from one address) go on at once
(support/load_abuse.py). The server believes X-Forwarded-For from 127.0.0.1 only
(TRUSTED_PROXIES), and every tab connects from a loopback address of its own. It prints
whether the students' runs finished, their chart refresh p95 (goal < 1 s), the server's
peak memory (goal < 1.5 GB), the load average and what each attacker was told; exit status
0 when every student's run finished without an error, p95 < 1 s and peak < 1.5 GB.
``--linger S`` measures the memory again S seconds after everyone left (closed sessions
are dropped after Streamlit's server.disconnectedSessionTTL, 120 s).

With ``--reloads`` every user presses F5 once, half-way through its run (a browser with its
workspace cookie, ui.workspace): the page must come back to the same run, live, and see it
finish; the summary says how many did.

CI runs the same thing at N = 10 with assertions: tests/test_load.py (and a small abuse
scenario).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile

from core.jobs import usable_cores
from support.e2e import server_exceptions, streamlit_server
from support.load_client import run_load


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--users", type=int, default=40)
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--timeout", type=float, default=None,
                   help="seconds each user may take at most (default: 120 + 2 s per "
                        "user-epoch, shared by the training slots)")
    p.add_argument("--stagger", type=float, default=0.0,
                   help="seconds between two users' arrivals (default 0: all at once)")
    p.add_argument("--class", dest="classroom", action="store_true",
                   help="the users join a class and share their runs; --boards tabs watch "
                        "its board")
    p.add_argument("--boards", type=int, default=1,
                   help="with --class: how many tabs keep the class board open (default 1)")
    p.add_argument("--slots", type=int, default=None,
                   help="TRAINING_SLOTS for the server (default: $TRAINING_SLOTS, else one per "
                        "usable core)")
    p.add_argument("--reloads", action="store_true",
                   help="every user presses F5 once, half-way through its run (issue 22)")
    p.add_argument("--abuse", action="store_true",
                   help="honest students train while a greedy client, bomb uploads and a class "
                        "flood attack the server")
    p.add_argument("--greedy", type=int, default=30, help="with --abuse: greedy tabs")
    p.add_argument("--greedy-epochs", type=int, default=500,
                   help="with --abuse: the epochs of the greedy client's second request")
    p.add_argument("--bombers", type=int, default=3, help="with --abuse: bomb-uploading tabs")
    p.add_argument("--bomb-uploads", type=int, default=2, help="with --abuse: bombs per tab")
    p.add_argument("--bomb-mb", type=int, default=2048,
                   help="with --abuse: what a bomb declares, in MB (default 2048)")
    p.add_argument("--flood", type=int, default=60, help="with --abuse: class joins")
    p.add_argument("--linger", type=float, default=0.0,
                   help="with --abuse: measure the memory again this many s after the end")
    args = p.parse_args()
    if args.users < 1 or args.epochs < 1:
        p.error("--users and --epochs must be at least 1")
    if args.abuse:
        return _abuse(args)
    # what the server will use: --slots, else an inherited TRAINING_SLOTS, else one per core
    slots = args.slots or int(os.environ.get("TRAINING_SLOTS", 0)) or usable_cores()
    timeout = args.timeout or 120 + 2.0 * args.users * args.epochs / slots
    env = {"TRAINING_SLOTS": str(args.slots)} if args.slots else {}
    code = _open_class(env) if args.classroom else None
    print(f"{args.users} users x {args.epochs} epochs, {slots} training slots, "
          f"{usable_cores()} cores, per-user timeout {timeout:.0f} s"
          + (f", class {code} with {args.boards} board tab(s)" if code else ""), flush=True)
    with streamlit_server(env) as (url, proc, log):
        report = asyncio.run(run_load(url, proc.pid, args.users, args.epochs, timeout,
                                      stagger=args.stagger, class_code=code,
                                      boards=args.boards if code else 0,
                                      reload_after=max(1, args.epochs // 2)
                                      if args.reloads else None))
        print(report.summary())
        text = log.read_text()
        problems = server_exceptions(text)
        benign = len(server_exceptions(text, ignore=())) - len(problems)
        print(f"server log {log}: {len(problems)} exceptions"
              + (f" (and {benign} known harmless websocket-close ones)" if benign else ""))
        print("\n".join(f"  {line}" for line in problems[:10]))
    shared = all(n == args.users for n in report.board_runs)
    return 0 if report.finished == args.users and not report.errors and not problems \
        and shared else 1


def _abuse(args) -> int:
    from support.load_abuse import run_abuse

    users = args.users if "--users" in sys.argv else 20
    env = {"TRUSTED_PROXIES": "127.0.0.1", **({"TRAINING_SLOTS": str(args.slots)}
                                             if args.slots else {})}
    code = _open_class(env) if args.flood else None
    timeout = args.timeout or 300 + 4.0 * users * args.epochs / usable_cores()
    print(f"abuse: {users} students x {args.epochs} epochs; greedy {args.greedy} tabs; "
          f"bombs {args.bombers} x {args.bomb_uploads} of {args.bomb_mb} MB; flood "
          f"{args.flood}; {usable_cores()} cores; uptime: {_uptime()}", flush=True)
    with streamlit_server(env) as (url, proc, log):
        report = asyncio.run(run_abuse(
            url, proc.pid, users, args.epochs, timeout, args.greedy, args.greedy_epochs,
            args.bombers, args.bomb_uploads, args.bomb_mb, code, args.flood,
            linger=args.linger))
        print(report.summary())
        problems = server_exceptions(log.read_text())
        print(f"server log {log}: {len(problems)} exceptions")
        print("\n".join(f"  {line}" for line in problems[:10]))
    print(f"uptime: {_uptime()}")
    h = report.honest
    return 0 if h.finished == users and not h.errors and h.p95 < 1.0 \
        and h.rss_peak_mb < 1536 else 1


def _uptime() -> str:
    with open("/proc/loadavg") as f:
        return "load average " + ", ".join(f.read().split()[:3])


def _open_class(env: dict) -> str:
    """Open a class in the server's class database (a new temporary SQLite folder, put in
    ``env``, unless CLASSROOM_DB_URL is set); its join code."""
    from core.classroom import ClassroomStore

    if not os.environ.get("CLASSROOM_DB_URL", "").strip():
        env["CLASSROOM_DIR"] = tempfile.mkdtemp(prefix="classroom-load-")
        os.environ["CLASSROOM_DIR"] = env["CLASSROOM_DIR"]
    store = ClassroomStore()
    try:
        return store.create_class().code
    finally:
        store.dispose()


if __name__ == "__main__":
    sys.exit(main())
