"""Cold start of the workstation to its login screen, against a minimal Textual app started the same way.

Each start is a new Python process (so nothing is imported or cached in it yet), timed by this process
from launching it until the child says its first screen is on display. The workstation child does what
the `teller` command does with no sub-command: imports the command line, resolves and opens the ledger
(schema revision and key checks), and runs `TellerApp` to the login screen. The peer child imports
Textual and runs an app of one `Static` line. Both run headless at 80x24 and report once their screen
has been painted (Textual's `Ready` event, then the next refresh with the wanted screen showing); the
process exit afterwards is not timed. Several counted runs follow a warm-up run of each (the operating
system's file cache is warm, as on a workstation used every day).

Run from the repository root::

    python -m bench.startup --database sqlite:////work/benchdata/teller-1m.sqlite3 --runs 10
"""

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # `python bench/startup.py` finds bench

from bench.measure import key_file_for, ledger_url, machine, median, p95  # noqa: E402

TARGET_RATIO = 1.5
REPO_ROOT = Path(__file__).resolve().parent.parent
READY = "painted"


def _report_when_showing(app, screen_class) -> None:
    """Print READY once `screen_class` is the screen on display and has been refreshed, then exit."""

    def check() -> None:
        if isinstance(app.screen, screen_class):
            print(READY, flush=True)
            app.exit()
        else:
            app.set_timer(0.001, lambda: app.call_after_refresh(check))

    app.call_after_refresh(check)


def child_teller() -> None:
    """As `teller` with no command: the command line's imports, the ledger opened, the app run."""
    from teller import cli  # noqa: F401  (what the `teller` entry point imports first)
    from teller import bootstrap, config

    location = config.resolve_ledger()
    database = bootstrap.open_database(location)
    from screens.login import LoginScreen
    from teller.ui.app import TellerApp

    class Timed(TellerApp):
        def on_ready(self) -> None:
            _report_when_showing(self, LoginScreen)

    Timed(database, location.describe()).run(headless=True, size=(80, 24))


def child_minimal() -> None:
    from textual.app import App
    from textual.screen import Screen
    from textual.widgets import Static

    class Minimal(App):
        def compose(self):
            yield Static("Hello")

        def on_ready(self) -> None:
            _report_when_showing(self, Screen)

    Minimal().run(headless=True, size=(80, 24))


def start_once(kind: str, environment: dict[str, str]) -> float:
    """Seconds from launching a child until it reports its first screen painted."""
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-m", "bench.startup", "--child", kind], cwd=REPO_ROOT, env=environment,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for line in child.stdout:
        if line.strip() == READY:
            elapsed = time.perf_counter() - started
            break
    else:
        raise SystemExit(f"the {kind} child never showed its screen: {child.stderr.read()}")
    child.wait(timeout=60)
    return elapsed


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
    url = ledger_url(args.database)
    environment = dict(os.environ, TELLER_DATABASE_URL=url.render_as_string(hide_password=False),
                       TELLER_KEY_FILE=str(key_file_for(url, args.key_file)))
    figures: dict[str, list[float]] = {"minimal Textual app": [], "teller workstation": []}
    for kind in ("minimal", "teller"):  # warm-up: the file cache, compiled bytecode
        start_once(kind, environment)
    for _ in range(args.runs):  # alternate, so that a busy moment weighs on both alike
        figures["minimal Textual app"].append(start_once("minimal", environment) * 1000)
        figures["teller workstation"].append(start_once("teller", environment) * 1000)
    print(f"Cold start benchmark ({url.get_backend_name()} ledger); {machine()}")
    print(f"1 warm-up start of each, then {args.runs} counted starts of each, alternating; headless 80x24\n")
    print(f"{'process':<22} {'median ms':>9} {'p95 ms':>8}")
    for name, times in figures.items():
        print(f"{name:<22} {median(times):>9.0f} {p95(times):>8.0f}")
    ratio = median(figures["teller workstation"]) / median(figures["minimal Textual app"])
    print(f"\nratio teller / minimal Textual app (medians): {ratio:.2f} (target <= {TARGET_RATIO})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
