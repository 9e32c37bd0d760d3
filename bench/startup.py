"""Cold start of the workstation to its login screen, against a minimal Textual app started the same way.

Each start is a new Python process (so nothing is imported or cached in it yet), timed by this process
from launching it until the child says its first screen is on display. The workstation child does what
the `teller` command does with no sub-command: imports the command line and runs `TellerApp` with the
configured ledger, which it opens (resolving it, checking its schema revision and key) on a thread once
the login screen shows. The peer child imports Textual and runs an app of one `Static` line. Both run
headless at 80x24 and report once their screen has been painted (Textual's `Ready` event, then the next
refresh with the wanted screen showing). The workstation child reports a second moment too: when the
ledger has opened and the login screen names it (a teller can type before it, but signing in waits for
it). The process exit afterwards is not timed. Several counted runs follow a warm-up run of each (the
operating system's file cache is warm, as on a workstation used every day). The child imports nothing
of the benchmark's own helpers (they load SQLAlchemy), only what it starts.

Run from the repository root::

    python -m bench.startup --database sqlite:////work/benchdata/teller-1m.sqlite3 --runs 10
"""

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

TARGET_RATIO = 1.5
REPO_ROOT = Path(__file__).resolve().parent.parent
PAINTED, LEDGER_OPEN = "painted", "ledger open"


def _report_when_showing(app, screen_class, *, then_exit: bool) -> None:
    """Print PAINTED once `screen_class` is the screen on display and has been refreshed."""

    def check() -> None:
        if isinstance(app.screen, screen_class):
            print(PAINTED, flush=True)
            if then_exit:
                app.exit()
        else:
            app.set_timer(0.001, lambda: app.call_after_refresh(check))

    app.call_after_refresh(check)


def child_teller() -> None:
    """As `teller` with no command: the command line's imports, then the app, which opens the ledger."""
    from teller import cli  # what the `teller` entry point imports first
    from screens.login import LoginScreen
    from teller.ui.app import TellerApp

    class Timed(TellerApp):
        def on_ready(self) -> None:
            _report_when_showing(self, LoginScreen, then_exit=False)

        def watch_ledger_line(self, line: str) -> None:
            if line:
                self.call_after_refresh(lambda: (print(LEDGER_OPEN, flush=True), self.exit()))

    refusal = Timed(cli.open_configured_ledger, idle_seconds=3600).run(headless=True, size=(80, 24))
    if refusal is not None:
        raise SystemExit(f"the ledger did not open: {refusal}")


def child_minimal() -> None:
    from textual.app import App
    from textual.screen import Screen
    from textual.widgets import Static

    class Minimal(App):
        def compose(self):
            yield Static("Hello")

        def on_ready(self) -> None:
            _report_when_showing(self, Screen, then_exit=True)

    Minimal().run(headless=True, size=(80, 24))


def start_once(kind: str, environment: dict[str, str]) -> dict[str, float]:
    """Seconds from launching a child until each moment it reports (its first screen painted; for the
    workstation also its ledger open)."""
    wanted = (PAINTED, LEDGER_OPEN) if kind == "teller" else (PAINTED,)
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-m", "bench.startup", "--child", kind], cwd=REPO_ROOT, env=environment,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    moments: dict[str, float] = {}
    for line in child.stdout:
        if line.strip() in wanted:
            moments[line.strip()] = time.perf_counter() - started
            if len(moments) == len(wanted):
                break
    else:
        raise SystemExit(f"the {kind} child reported only {sorted(moments)}: {child.stderr.read()}")
    child.wait(timeout=60)
    return moments


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", help="SQLAlchemy URL of the ledger the workstation opens")
    parser.add_argument("--key-file", type=Path, help="the ledger's key file (default: next to a SQLite file)")
    parser.add_argument("--runs", type=int, default=10, help="counted starts of each (default 10)")
    parser.add_argument("--child", choices=("teller", "minimal"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child == "teller":
        child_teller()
        return 0
    if args.child == "minimal":
        child_minimal()
        return 0
    if not args.database or args.runs < 1:
        parser.error("give --database and --runs >= 1")
    sys.path.insert(0, str(REPO_ROOT))  # `python bench/startup.py` finds bench
    from bench.measure import key_file_for, ledger_url, machine, median, p95

    url = ledger_url(args.database)
    environment = dict(os.environ, TELLER_DATABASE_URL=url.render_as_string(hide_password=False),
                       TELLER_KEY_FILE=str(key_file_for(url, args.key_file)))
    minimal, teller, teller_ledger = "minimal Textual app", "teller workstation", "teller, ledger open"
    figures: dict[str, list[float]] = {minimal: [], teller: [], teller_ledger: []}
    for kind in ("minimal", "teller"):  # warm-up: the file cache, compiled bytecode
        start_once(kind, environment)
    for _ in range(args.runs):  # alternate, so that a busy moment weighs on both alike
        figures[minimal].append(start_once("minimal", environment)[PAINTED] * 1000)
        moments = start_once("teller", environment)
        figures[teller].append(moments[PAINTED] * 1000)
        figures[teller_ledger].append(moments[LEDGER_OPEN] * 1000)
    print(f"Cold start benchmark ({url.get_backend_name()} ledger); {machine()}")
    print(f"1 warm-up start of each, then {args.runs} counted starts of each, alternating; headless 80x24\n")
    print(f"{'process':<22} {'median ms':>9} {'p95 ms':>8}")
    for name, times in figures.items():
        print(f"{name:<22} {median(times):>9.0f} {p95(times):>8.0f}")
    ratio = median(figures[teller]) / median(figures[minimal])
    print(f"\nratio teller login screen / minimal Textual app (medians): {ratio:.2f} (target <= {TARGET_RATIO})")
    print(f"ratio teller ledger open / minimal Textual app (medians): "
          f"{median(figures[teller_ledger]) / median(figures[minimal]):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
