"""Keystroke to painted results in the running workstation, against the search alone.

The workstation runs headless (Textual's test driver, 80x24) on a generated ledger, signed in as a
branch teller and on the lookup screen. Queries drawn from the ledger's customers (name, pinyin, ID
prefix, mobile, account number) are typed one character at a time: each key is posted to the app as a
`textual.events.Key` (as the terminal driver does), and the clock stops when the results table has
been painted with the answer to what is now in the box: the lookup screen handled the search worker's
`Found` message for exactly that text, and the table's lines were rendered by the compositor after it.
The next key is sent only then, so each figure is one keystroke's latency. `Pilot.press` is not used:
it waits on purpose after each key.

Besides wall time, each key's CPU time (this process, all threads; SQLite runs in it) is shown: on a
machine shared with other work it is the steadier measure of what a key costs.

The floor is `customers.search` alone for the same texts, called directly: the ratio is what the
screen, its worker and the repaint add to the database work.

Run from the repository root on a generated ledger (bench/generate.py)::

    python -m bench.keystroke --database sqlite:////work/benchdata/teller-1m.sqlite3
"""

import argparse
import asyncio
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # `python bench/keystroke.py` finds teller

from bench.lookup import open_ledger, query_kinds, samples  # noqa: E402
from bench.measure import machine, median, p95  # noqa: E402
from models import StaffUser  # noqa: E402
from screens.lookup import LookupScreen  # noqa: E402
from teller import customers, staff  # noqa: E402
from teller.db import Database  # noqa: E402
from teller.ui.app import TellerApp  # noqa: E402
from teller.ui.widgets.table import Table  # noqa: E402

TARGET_P95_MS = 50.0
TERMINAL = "bench-terminal"
TYPED_KINDS = ("full name (2 Chinese chars)", "substring (3+ chars)", "pinyin full", "ID prefix", "mobile prefix",
               "account number")


@dataclass
class PaintProbe:
    """Notices when the results table is painted after the lookup screen handled the answer to `expected`."""

    expected: str | None = None
    handled: bool = False
    painted: asyncio.Event = field(default_factory=asyncio.Event)

    def expect(self, query: str) -> None:
        self.expected, self.handled = query, False
        self.painted.clear()

    def install(self) -> None:
        handle_found, render_lines = LookupScreen.on_lookup_screen_found, Table.render_lines
        probe = self

        def on_found(screen, message) -> None:
            handle_found(screen, message)
            if message.query == probe.expected:
                probe.handled = True

        def render(table, crop):
            lines = render_lines(table, crop)
            if probe.handled and table.id == "results":
                probe.painted.set()
            return lines

        # Textual looks handlers up on the class when it dispatches, so the wrappers take effect at once.
        LookupScreen.on_lookup_screen_found = on_found
        Table.render_lines = render


def signed_in(db: Database):
    """The session of the first branch's teller (as the login screen would start it)."""

    def work(session):
        user = session.scalar(select(StaffUser).where(StaffUser.username.like("teller%")).order_by(StaffUser.id))
        return staff.actor_for(user, TERMINAL)

    return staff.session_info(db, db.run(work, readonly=True))


async def wait_for(condition, timeout: float = 30.0) -> None:
    deadline = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > deadline:
            raise TimeoutError("the workstation did not get there in time")
        await asyncio.sleep(0.001)


def key_event(character: str):
    from textual import events

    return events.Key("space" if character == " " else character, character)


async def type_queries(db: Database, queries: list[str], warmup: int, on_searched=None,
                       cpu: list[float] | None = None) -> list[float]:
    """Type every query into the lookup screen one key at a time; each key's latency in ms (after the
    first `warmup` queries), and into `cpu` if given the process's CPU time (all threads) per key.
    `on_searched`, if given, is called after each query (memory benchmark)."""
    probe = PaintProbe()
    probe.install()
    app = TellerApp(lambda: (db, "bench ledger"), terminal=TERMINAL, idle_seconds=3600)
    latencies: list[float] = []
    async with app.run_test(size=(80, 24)):
        await wait_for(lambda: app.db is not None)
        app.start_session(signed_in(db))
        await wait_for(lambda: isinstance(app.screen, LookupScreen) and app.focused is not None
                       and app.focused.id == "search")
        screen = app.screen
        table = screen.query_one("#results", Table)
        for number, query in enumerate(queries):
            screen.action_clear()
            await wait_for(lambda: table.row_count == 0)
            for length in range(1, len(query) + 1):
                typed = query[:length].strip()
                if not typed:
                    continue
                probe.expect(typed)
                started, cpu_started = time.perf_counter(), time.process_time()
                app.post_message(key_event(query[length - 1]))
                await asyncio.wait_for(probe.painted.wait(), timeout=30)
                if number >= warmup:
                    latencies.append((time.perf_counter() - started) * 1000)
                    if cpu is not None:
                        cpu.append((time.process_time() - cpu_started) * 1000)
            if on_searched is not None:
                on_searched()
    return latencies


def search_alone(db: Database, queries: list[str], warmup: int, cpu: list[float]) -> list[float]:
    latencies = []
    for number, query in enumerate(queries):
        for length in range(1, len(query) + 1):
            typed = query[:length].strip()
            if not typed:
                continue
            started, cpu_started = time.perf_counter(), time.process_time()
            customers.search(db, typed)
            if number >= warmup:
                latencies.append((time.perf_counter() - started) * 1000)
                cpu.append((time.process_time() - cpu_started) * 1000)
    return latencies


def typed_queries(db: Database, count: int, seed: int) -> list[str]:
    """Queries of the kinds a teller types, interleaved (one of each kind in turn)."""
    kinds = query_kinds(samples(db, count, seed))
    columns = [kinds[kind] for kind in TYPED_KINDS]
    return [column[row] for row in range(max(len(column) for column in columns))
            for column in columns if row < len(column)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True, help="SQLAlchemy URL of a generated ledger")
    parser.add_argument("--key-file", type=Path, help="the ledger's key file (default: next to a SQLite file)")
    parser.add_argument("--queries", type=int, default=20, help="sampled customers (default 20)")
    parser.add_argument("--warmup", type=int, default=3, help="queries typed before counting (default 3)")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args(argv)
    if args.queries < 1 or args.warmup < 0:
        parser.error("use --queries >= 1 and --warmup >= 0")
    db = open_ledger(args.database, args.key_file)
    count = db.run(lambda s: s.scalar(text("SELECT count(*) FROM customer")), readonly=True)
    queries = typed_queries(db, args.queries, args.seed)
    warmup = min(args.warmup, len(queries) - 1)
    keystrokes_cpu, floor_cpu = [], []
    keystrokes = asyncio.run(type_queries(db, queries, warmup, cpu=keystrokes_cpu))
    floor = search_alone(db, queries, warmup, floor_cpu)
    db.dispose()
    print(f"Keystroke benchmark on {db.engine.dialect.name} ({count} customers); {machine()}")
    print(f"{len(queries)} queries typed one key at a time ({warmup} for warm-up), 80x24 headless workstation\n")
    print(f"{'measure':<34} {'keys':>5} {'median ms':>9} {'p95 ms':>8} {'CPU median ms':>13} {'CPU p95 ms':>10}")
    for name, wall, used in (("keystroke to painted results", keystrokes, keystrokes_cpu),
                             ("search alone (floor)", floor, floor_cpu)):
        print(f"{name:<34} {len(wall):>5} {median(wall):>9.2f} {p95(wall):>8.2f} {median(used):>13.2f} {p95(used):>10.2f}")
    print(f"\nratio keystroke / search alone (medians): {median(keystrokes) / median(floor):.2f}")
    print(f"p95 keystroke to painted results: {p95(keystrokes):.2f} ms (target <= {TARGET_P95_MS:.0f} ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
