"""Posting throughput on SQLite (WAL, synchronous=FULL): Teller against raw sqlite3 doing the same writes.

Three loops, each with one transaction per posting, measured after a warm-up over several counted runs:

- ``teller approve``: `instructions.approve` of pre-submitted transfers. This is what a posting costs in
  production: the instruction becomes APPROVED, its hold is consumed, the entry and its postings are
  written, the balances move (trigger), two audit rows are chained.
- ``teller post_entry``: `ledger.post_entry` in a `Database.run` unit of work, for instructions already
  approved: only the entry, its postings, the balances and its audit row. The API posts only inside an
  approval, so this loop inserts its instructions as APPROVED directly; it shows how much of the gap to
  the floor is the posting itself rather than the approval around it.
- ``raw sqlite3 floor``: the same statements that ``post_entry`` and the audit seal send (read and lock the
  accounts, next entry id, the postings, the entry header whose trigger checks it and moves the balances,
  the chain head, the HMAC-chained audit row, the new head), sent through the sqlite3 module on a Teller
  ledger of its own: same schema, same triggers, same durability settings. The gap to it is Teller's own
  Python (SQLAlchemy, the unit of work, the session guard), which is what the target ratio bounds.

Run from the repository root: ``python -m bench.posting --postings 500 --runs 5``. It prints figures and
ratios and never fails on absolute times; it exits non-zero only if a ledger it wrote does not verify.
"""

import argparse
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # `python bench/posting.py` finds tests.helpers

from bench.measure import machine  # noqa: E402
from models import Instruction  # noqa: E402
from teller import audit, bootstrap, clock, instructions, keys, ledger  # noqa: E402
from teller.actor import system_actor  # noqa: E402
from teller.config import LedgerLocation  # noqa: E402
from teller.ledger import Leg  # noqa: E402
from tests.helpers import deposit, new_key, seed_bank, submit  # noqa: E402

TARGET_RATIO = 0.30
TRANSFER_AMOUNT = 1_00
OPENING_BALANCE = 10_000_000


@dataclass(frozen=True)
class Figures:
    name: str
    throughputs: list[float]
    latencies_ms: list[float]

    @property
    def postings_per_s(self) -> float:
        return statistics.median(self.throughputs)

    @property
    def median_ms(self) -> float:
        return statistics.median(self.latencies_ms)

    @property
    def p95_ms(self) -> float:
        return statistics.quantiles(self.latencies_ms, n=100)[94]


def measure(name: str, prepare: Callable[[int], list], post: Callable[[object], None], args) -> Figures:
    """Warm up, then time `post` over each counted run's prepared items; preparation is not timed."""
    for item in prepare(args.warmup):
        post(item)
    throughputs, latencies = [], []
    for _ in range(args.runs):
        items = prepare(args.postings)
        run_started = time.perf_counter()
        for item in items:
            started = time.perf_counter()
            post(item)
            latencies.append((time.perf_counter() - started) * 1000)
        throughputs.append(len(items) / (time.perf_counter() - run_started))
    return Figures(name, throughputs, latencies)


# --- Teller ------------------------------------------------------------------------------------------

class TellerLedger:
    """A fresh SQLite ledger, with its own key file, one branch, its staff and two funded customer accounts."""

    def __init__(self, directory: Path) -> None:
        os.environ["TELLER_KEY_FILE"] = str(directory / "ledger.key")
        os.environ["TELLER_FAST_PASSWORD_HASH"] = "1"  # staff seeding only; nothing timed hashes passwords
        location = LedgerLocation(make_url(f"sqlite:///{directory / 'teller.sqlite3'}"), "bench")
        self.db, _ = bootstrap.upgrade(location, system_actor("bench"))
        self.bank = seed_bank(self.db)
        for number in (self.bank.alice, self.bank.bob):
            deposit(self.db, self.bank, number, OPENING_BALANCE)
        self.directions = [
            (Leg(self.bank.alice, debit=TRANSFER_AMOUNT), Leg(self.bank.bob, credit=TRANSFER_AMOUNT)),
            (Leg(self.bank.bob, debit=TRANSFER_AMOUNT), Leg(self.bank.alice, credit=TRANSFER_AMOUNT)),
        ]

    def submitted(self, count: int) -> list[int]:
        return [submit(self.db, self.bank, self.directions[i % 2]).id for i in range(count)]

    def approve(self, instruction_id: int) -> None:
        instructions.approve(self.db, instruction_id, self.bank.supervisor)

    def approved_unposted(self, count: int) -> list[tuple[int, tuple[Leg, ...]]]:
        """Instructions inserted as APPROVED (the state `post_entry` expects), copying submitted ones' payloads."""
        template_ids = self.submitted(2)
        templates = self.db.run(lambda s: [s.get(Instruction, i) for i in template_ids], readonly=True)

        def work(session) -> list[tuple[int, tuple[Leg, ...]]]:
            now = clock.now()
            made = []
            for i in range(count):
                template = templates[i % 2]
                instruction = Instruction(
                    kind=template.kind, status="APPROVED", branch_id=template.branch_id,
                    business_date=template.business_date, maker_id=template.maker_id,
                    checker_id=self.bank.supervisor.staff_id, required_checkers=1, currency=template.currency,
                    amount=template.amount, narrative=template.narrative, payload=template.payload,
                    payload_hash=template.payload_hash, idempotency_key=new_key(), terminal="bench",
                    created_at=now, expires_at=now, decided_at=now,
                )
                session.add(instruction)
                session.flush()
                made.append((instruction.id, self.directions[i % 2]))
            return made

        return self.db.run(work)

    def post_entry(self, item: tuple[int, tuple[Leg, ...]]) -> None:
        instruction_id, legs = item
        self.db.run(lambda s: ledger.post_entry(s, self.bank.supervisor, s.get(Instruction, instruction_id), legs,
                                                ledger.lock_accounts(s, {leg.account_number for leg in legs})))

    def problem(self) -> str | None:
        report = self.db.run(ledger.verify, readonly=True)
        chain = self.db.run(lambda s: audit.verify_chain(s, s.info["audit_key"]), readonly=True)
        return report.problem or chain.problem


# --- The raw sqlite3 floor -------------------------------------------------------------------------------

class RawFloor:
    """The statements `post_entry` and the audit seal send, through the sqlite3 module, on a Teller ledger of
    its own (same schema, same triggers, same approved instructions, same HMAC-chained audit row)."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir()
        self.teller = TellerLedger(directory)  # seeded exactly like the measured ledger
        self.path = directory / "teller.sqlite3"
        self.audit_key = keys.derive(self.teller.db.secret_key, "audit")
        self.connection = sqlite3.connect(self.path, isolation_level=None)
        for pragma in ("busy_timeout = 60000", "journal_mode = WAL", "synchronous = FULL", "foreign_keys = ON"):
            self.connection.execute(f"PRAGMA {pragma}")

    def approved_unposted(self, count: int) -> list[tuple[int, tuple[Leg, ...]]]:
        return self.teller.approved_unposted(count)

    def post(self, item: tuple[int, tuple[Leg, ...]]) -> None:
        instruction_id, legs = item
        execute = self.connection.execute
        execute("BEGIN IMMEDIATE")
        accounts = {row[1]: row for row in execute(
            "SELECT id, number, currency, status, normal_side, no_negative, balance, held FROM account"
            " WHERE number IN (?, ?) ORDER BY id", [leg.account_number for leg in legs])}
        entry_id = execute("SELECT coalesce(max(id), 0) + 1 FROM journal_entry").fetchone()[0]
        self.connection.executemany(
            "INSERT INTO posting (entry_id, account_id, currency, debit, credit) VALUES (?, ?, ?, ?, ?)",
            [(entry_id, accounts[leg.account_number][0], accounts[leg.account_number][2], leg.debit, leg.credit)
             for leg in legs],
        )
        posted_at = clock.now()
        execute(
            "INSERT INTO journal_entry (id, instruction_id, branch_id, business_date, posted_at, narrative,"
            " reverses_entry_id) VALUES (?, ?, ?, ?, ?, ?, NULL)",
            (entry_id, instruction_id, self.teller.bank.branch_id, "2026-11-24", posted_at.isoformat(" "),
             "bench posting"),
        )
        seq, prev_hash = execute("SELECT seq, row_hash FROM audit_head WHERE id = 1").fetchone()
        draft = audit.AuditDraft(
            occurred_at=posted_at, business_date=None, branch_id=self.teller.bank.branch_id, staff_id=None,
            role="bench", terminal="bench", action="entry.posted", object_type="journal_entry",
            object_id=str(entry_id), detail=f'{{"legs":{[leg.as_list() for leg in legs]}}}'.replace("'", '"'),
        )
        row_hash = audit._row_hash(self.audit_key, prev_hash, seq + 1, draft)
        execute(
            "INSERT INTO audit_event (seq, occurred_at, business_date, branch_id, staff_id, role, terminal, action,"
            " object_type, object_id, detail, prev_hash, row_hash) VALUES (?, ?, NULL, ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?)",
            (seq + 1, posted_at.isoformat(" "), draft.branch_id, draft.role, draft.terminal, draft.action,
             draft.object_type, draft.object_id, draft.detail, prev_hash, row_hash),
        )
        execute("UPDATE audit_head SET seq = ?, row_hash = ?, head_mac = ? WHERE id = 1",
                (seq + 1, row_hash, audit._head_mac(self.audit_key, seq + 1, row_hash)))
        execute("COMMIT")

    def problem(self) -> str | None:
        self.connection.close()
        return self.teller.problem()


# --- Report --------------------------------------------------------------------------------------------

def report(figures: list[Figures], args) -> None:
    print(f"Posting benchmark, SQLite WAL synchronous=FULL, one transaction per posting; {machine()}")
    print(f"{args.warmup} warm-up postings, then {args.runs} runs x {args.postings} postings per loop\n")
    print(f"{'loop':<20} {'postings/s (median)':>20} {'median ms':>10} {'p95 ms':>8}")
    for figure in figures:
        print(f"{figure.name:<20} {figure.postings_per_s:>20.0f} {figure.median_ms:>10.2f} {figure.p95_ms:>8.2f}")
    floor = figures[0].postings_per_s
    print()
    for figure in figures[1:]:
        print(f"ratio {figure.name} / floor: {figure.postings_per_s / floor:.3f} (target >= {TARGET_RATIO:.2f})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postings", type=int, default=500, help="postings per counted run (default 500)")
    parser.add_argument("--runs", type=int, default=5, help="counted runs per loop (default 5)")
    parser.add_argument("--warmup", type=int, default=100, help="warm-up postings per loop (default 100)")
    parser.add_argument("--dir", type=Path, help="where to create the ledgers (default: a new temporary directory)")
    args = parser.parse_args(argv)
    if args.postings < 2 or args.runs < 1 or args.warmup < 0:
        parser.error("use --postings >= 2, --runs >= 1 and --warmup >= 0")

    with tempfile.TemporaryDirectory(prefix="teller-bench-", dir=args.dir) as scratch:
        directory = Path(scratch)
        floor, teller = RawFloor(directory / "floor"), TellerLedger(directory)
        figures = [
            measure("raw sqlite3 floor", floor.approved_unposted, floor.post, args),
            measure("teller post_entry", teller.approved_unposted, teller.post_entry, args),
            measure("teller approve", teller.submitted, teller.approve, args),
        ]
        report(figures, args)
        problems = [problem for problem in (floor.problem(), teller.problem()) if problem]
        teller.db.dispose()
        floor.teller.db.dispose()
    for problem in problems:
        print(f"LEDGER PROBLEM: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
