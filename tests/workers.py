"""Worker processes for the concurrency, crash and idempotency tests, and the tests' side of running them.

A worker is a separate OS process, like a second terminal on the same ledger: it opens the ledger with
the key file named in the inherited environment, prints ``{"ready": true}``, waits for the go file (so
that all workers start together), then prints one JSON line per posting, flushed only after the unit of
work has returned, so a printed line is an acknowledged, committed posting.

Run as ``python -m tests.workers COMMAND SPEC_JSON`` from the repository root:

- ``post``: post the plan's postings ``start`` .. ``stop`` (forever when ``stop`` is null): submit as the
  maker, approve as the checker. The n-th posting always has the same key and legs, so a restarted worker
  retries an unacknowledged posting with the same idempotency key and payload. A worker that finishes
  prints every database error it met, including those the unit of work retried.
- ``race``: submit the given posting numbers, then try to approve each instruction; other workers race
  for the same keys, so a refused approval is an expected outcome and is reported as such.
"""

import dataclasses
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import make_url

from teller import audit, bootstrap, instructions, ledger
from teller.actor import Actor
from teller.config import LedgerLocation
from teller.db import Database
from teller.errors import ApprovalError
from teller.instructions import InstructionRequest
from teller.ledger import Leg

REPO_ROOT = Path(__file__).resolve().parent.parent


# --- The plan: which posting number n means -------------------------------------------------------

def posting_key(plan: dict, n: int) -> str:
    return f"{plan['prefix']}-{n:06d}"


def planned_legs(plan: dict, n: int) -> tuple[Leg, ...]:
    """The n-th transfer of a plan, the same every time it is asked for.

    With a ``hot`` account, every transfer goes into or out of it; otherwise between two of ``accounts``.
    """
    rng = random.Random(posting_key(plan, n))
    amount = rng.randint(1, plan["max_amount"])
    if plan.get("hot"):
        source, target = plan["hot"], rng.choice(plan["accounts"])
        if rng.random() < 0.5:
            source, target = target, source
    else:
        source, target = rng.sample(plan["accounts"], 2)
    return (Leg(source, debit=amount), Leg(target, credit=amount))


def planned_request(plan: dict, n: int) -> InstructionRequest:
    return InstructionRequest(
        kind="transfer", legs=planned_legs(plan, n), narrative=f"worker transfer {n}",
        idempotency_key=posting_key(plan, n),
    )


def deposit_deltas(legs: tuple[Leg, ...]) -> dict[str, int]:
    """How legs move customer deposit accounts (liabilities: a credit raises the balance)."""
    deltas: dict[str, int] = {}
    for leg in legs:
        deltas[leg.account_number] = deltas.get(leg.account_number, 0) + leg.credit - leg.debit
    return deltas


# --- The worker process -----------------------------------------------------------------------------

def _report(line: dict) -> None:
    sys.stdout.write(json.dumps(line) + "\n")
    sys.stdout.flush()


def _count_database_errors(db: Database) -> dict[str, int]:
    """Count every error the database raised, by SQLSTATE or SQLite message, including those `run` retried."""
    seen: dict[str, int] = {}

    @event.listens_for(db.engine, "handle_error")
    def _count(context) -> None:
        error = context.original_exception
        kind = getattr(error, "sqlstate", None) or str(error)
        seen[kind] = seen.get(kind, 0) + 1

    return seen


def _start(spec: dict) -> tuple[Database, Actor, Actor]:
    db = bootstrap.open_database(LedgerLocation(make_url(spec["url"]), "worker"))
    maker = Actor(**{**spec["maker"], "roles": tuple(spec["maker"]["roles"])})
    checker = Actor(**{**spec["checker"], "roles": tuple(spec["checker"]["roles"])})
    _report({"ready": True})
    if spec.get("go"):
        while not Path(spec["go"]).exists():
            time.sleep(0.005)
    return db, maker, checker


def _post(spec: dict) -> None:
    db, maker, checker = _start(spec)
    database_errors = _count_database_errors(db)
    plan, n = spec["plan"], spec["start"]
    while spec["stop"] is None or n < spec["stop"]:
        key = posting_key(plan, n)
        try:
            view = instructions.submit(db, maker, planned_request(plan, n))
            if view.status == "PENDING":
                view = instructions.approve(db, view.id, checker)
            _report({"n": n, "key": key, "instruction": view.id, "entry": view.entry_id, "status": view.status})
        except Exception as error:  # every failure is reported: the test decides which are acceptable
            _report({"n": n, "key": key, "error": f"{type(error).__name__}: {error}"})
        n += 1
    _report({"database_errors": database_errors})


def _race(spec: dict) -> None:
    db, maker, checker = _start(spec)
    plan = spec["plan"]
    submitted = [(n, instructions.submit(db, maker, planned_request(plan, n)).id) for n in spec["numbers"]]
    for n, instruction_id in submitted:
        try:
            view = instructions.approve(db, instruction_id, checker)
            outcome = {"approved": True, "entry": view.entry_id}
        except ApprovalError as error:
            outcome = {"approved": False, "refusal": str(error)}
        _report({"n": n, "key": posting_key(plan, n), "instruction": instruction_id, **outcome})


COMMANDS = {"post": _post, "race": _race}


# --- The tests' side ----------------------------------------------------------------------------------

def worker_spec(url, maker: Actor, checker: Actor, plan: dict, **options) -> dict:
    terminal = f"worker-{plan['prefix']}"
    return {
        "url": make_url(url).render_as_string(hide_password=False),
        "maker": dataclasses.asdict(dataclasses.replace(maker, terminal=terminal)),
        "checker": dataclasses.asdict(dataclasses.replace(checker, terminal=terminal)),
        "plan": plan,
        **options,
    }


class WorkerProcess:
    """One worker process whose output goes to a file, so that it can be read after a SIGKILL."""

    def __init__(self, command: str, spec: dict, directory: Path, name: str) -> None:
        self.out_path = directory / f"{name}.out"
        self.err_path = directory / f"{name}.err"
        with self.out_path.open("wb") as out, self.err_path.open("wb") as err:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "tests.workers", command, json.dumps(spec)],
                cwd=REPO_ROOT, stdout=out, stderr=err, env=os.environ.copy(),
            )

    def _lines(self) -> list[dict]:
        text = self.out_path.read_text(encoding="utf-8")
        complete = text[: text.rfind("\n") + 1]
        return [json.loads(line) for line in complete.splitlines()]

    def wait_ready(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while not any(line.get("ready") for line in self._lines()):
            if self.process.poll() is not None:
                raise RuntimeError(f"worker exited before it was ready: {self.stderr()}")
            if time.monotonic() > deadline:
                raise RuntimeError("worker was not ready in time")
            time.sleep(0.01)

    def reports(self) -> list[dict]:
        """One line per posting (or racing key) the worker finished, in order."""
        return [line for line in self._lines() if "n" in line]

    def database_errors(self) -> dict[str, int]:
        """Every database error a finished `post` worker met, retried or not (deadlocks, "database is locked")."""
        return next(line["database_errors"] for line in self._lines() if "database_errors" in line)

    def stderr(self) -> str:
        return self.err_path.read_text(encoding="utf-8", errors="replace")

    def wait(self, timeout: float = 600) -> int:
        return self.process.wait(timeout)

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()


def ledger_problems(db: Database) -> list[str]:
    """Everything an auditor would flag: the ledger check, the audit chain, an unbalanced trial balance."""

    def work(session) -> list[str]:
        problems = []
        report = ledger.verify(session)
        if not report.ok:
            problems.append(f"ledger verify: {report.problem}")
        chain = audit.verify_chain(session, session.info["audit_key"])
        if not chain.ok:
            problems.append(f"audit chain: {chain.problem}")
        totals: dict[str, list[int]] = {}
        for row in ledger.trial_balance(session):
            debit_credit = totals.setdefault(row.currency, [0, 0])
            debit_credit[0] += row.debit
            debit_credit[1] += row.credit
        problems += [
            f"trial balance in {currency}: debits {debit} != credits {credit}"
            for currency, (debit, credit) in totals.items()
            if debit != credit
        ]
        return problems

    return db.run(work, readonly=True)


def cli_problems(url) -> list[str]:
    """Run the operator's checks, `teller ledger verify` and `teller audit verify`; name any that fail."""
    environment = {**os.environ, "TELLER_DATABASE_URL": make_url(url).render_as_string(hide_password=False)}
    problems = []
    for command in (["ledger", "verify"], ["audit", "verify"]):
        done = subprocess.run(
            [sys.executable, "-m", "teller", *command], cwd=REPO_ROOT, env=environment,
            capture_output=True, text=True, timeout=300,
        )
        if done.returncode != 0:
            problems.append(f"teller {' '.join(command)} exited {done.returncode}: {done.stdout}{done.stderr}")
    return problems


if __name__ == "__main__":
    COMMANDS[sys.argv[1]](json.loads(sys.argv[2]))
