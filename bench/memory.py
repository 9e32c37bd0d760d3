"""Resident memory of the workstation while it searches a generated ledger, against a minimal Textual app.

Each side runs in a process of its own (a child of this one), so that nothing else shares its memory.
The workstation child opens the ledger, runs the app headless at 80x24 signed in on the lookup screen
and types queries into the search box (bench/keystroke.py's driver; the queries are drawn here and
handed over, since drawing them takes pypinyin, which the workstation's search does not load), sampling its resident set size
(VmRSS in /proc/self/status) after each query; it reports the peak sample and the process's high-water
mark (VmHWM). The peer child runs a minimal Textual app of one line to its first frame and reports the
same. Linux only (/proc).

Run from the repository root::

    python -m bench.memory --database sqlite:////work/benchdata/teller-1m.sqlite3 --queries 40
"""

import argparse
import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # `python bench/memory.py` finds bench

from bench.measure import key_file_for, ledger_url, machine, median  # noqa: E402

TARGET_MB = 200
REPO_ROOT = Path(__file__).resolve().parent.parent


def resident_mb() -> dict[str, float]:
    """This process's resident set now and its high-water mark, in MB (10^6 bytes, as the target)."""
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0]) * 1024 / 1_000_000
    return fields


def child_teller(database: str, key_file: Path | None, typed: list[str]) -> dict:
    from bench.keystroke import type_queries
    from bench.lookup import open_ledger

    db = open_ledger(database, key_file)
    samples: list[float] = []
    asyncio.run(type_queries(db, typed, 0, on_searched=lambda: samples.append(resident_mb()["VmRSS"])))
    return {"queries": len(typed), "rss_median": median(samples), "rss_peak": max(samples),
            "hwm": resident_mb()["VmHWM"]}


def child_minimal() -> dict:
    from textual.app import App
    from textual.widgets import Static

    samples: list[float] = []

    class Minimal(App):
        def compose(self):
            yield Static("Hello")

        def on_ready(self) -> None:
            self.call_after_refresh(lambda: (samples.append(resident_mb()["VmRSS"]), self.exit()))

    Minimal().run(headless=True, size=(80, 24))
    return {"queries": 0, "rss_median": samples[0], "rss_peak": samples[0], "hwm": resident_mb()["VmHWM"]}


def run_child(arguments: list[str], environment: dict[str, str], queries: list[str] = ()) -> dict:
    done = subprocess.run([sys.executable, "-m", "bench.memory", *arguments], cwd=REPO_ROOT, env=environment,
                          input=json.dumps(list(queries)), capture_output=True, text=True, timeout=3600)
    if done.returncode != 0:
        raise SystemExit(f"memory child failed: {done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True, help="SQLAlchemy URL of a generated ledger")
    parser.add_argument("--key-file", type=Path, help="the ledger's key file (default: next to a SQLite file)")
    parser.add_argument("--queries", type=int, default=40, help="sampled customers whose keys are typed (default 40)")
    parser.add_argument("--child", choices=("teller", "minimal"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        result = child_teller(args.database, args.key_file, json.load(sys.stdin)) if args.child == "teller" else child_minimal()
        print(json.dumps(result))
        return 0
    url = ledger_url(args.database)
    environment = dict(os.environ, TELLER_KEY_FILE=str(key_file_for(url, args.key_file)))
    from bench.keystroke import typed_queries
    from bench.lookup import open_ledger

    db = open_ledger(args.database, args.key_file)
    queries = typed_queries(db, args.queries, seed=17)  # here: pinyin keys would load pypinyin in the child
    db.dispose()
    minimal = run_child(["--database", args.database, "--child", "minimal"], environment)
    teller = run_child(["--database", args.database, "--child", "teller",
                        "--key-file", str(key_file_for(url, args.key_file))], environment, queries)
    print(f"Memory benchmark on {url.get_backend_name()}; {machine()}")
    print(f"workstation: {teller['queries']} queries typed into the lookup screen, RSS sampled after each\n")
    print(f"{'process':<22} {'RSS median MB':>14} {'RSS peak MB':>12} {'VmHWM MB':>10}")
    for name, figures in (("minimal Textual app", minimal), ("teller workstation", teller)):
        print(f"{name:<22} {figures['rss_median']:>14.1f} {figures['rss_peak']:>12.1f} {figures['hwm']:>10.1f}")
    print(f"\nratio teller / minimal (peak RSS): {teller['rss_peak'] / minimal['rss_peak']:.2f}")
    print(f"workstation peak resident memory: {teller['hwm']:.1f} MB (target < {TARGET_MB} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
