"""PostgreSQL with 16 and 64 terminals posting at once, against pgbench's TPC-B-like script at the same
client counts, and the ledger verified afterwards.

A terminal is an OS process of its own, as a workstation is: it opens the ledger and, when told, posts
transfers for a fixed window through the production path, `instructions.submit` as a branch teller and
`instructions.approve` as a supervisor (holds, the approval, the entry and its postings, balances moved
by the database, audit rows). One posting in ten goes into or out of one shared hot account; the others
move money between two customer accounts picked at random. Every process stays up for all the runs;
the parent tells the first 16 or all 64 to post from the same instant until the same deadline and sums
what was committed in the window.

The peer is `pgbench` (its built-in TPC-B-like script: three updates, a select and an insert per
transaction) on a database of its own initialised at ``--pgbench-scale``, with the same client counts,
window and number of runs, on the same machine. The floor is pgbench too, running `posting_floor.sql`: the
statements one Teller posting sends, in its two transactions, from pgbench's C client with prepared
statements, on a copy of the freshly prepared ledger. It is the most any terminal could post with those
statements on this machine. pgbench's runs come first, then the floor's, then the terminals' (64 clients of
each at once would pass PostgreSQL's default max_connections of 100).

After the runs the ledger is verified: `ledger.verify` (every balance recomputed from its postings,
every entry balanced and four-eyes approved), the audit chain and the trial balance. Refusals a teller
would see (insufficient funds) are counted, not hidden; any other error is reported.

Run from the repository root::

    python -m bench.concurrency_pg --database postgresql://postgres@127.0.0.1/teller_bench_concurrency
"""

import argparse
import json
import os
import random
import re
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # `python bench/concurrency_pg.py` finds bench

from bench import generate  # noqa: E402
from bench.measure import key_file_for, ledger_url, machine, median, p95, raw_url  # noqa: E402
from models import Account, Branch  # noqa: E402
from teller import keys  # noqa: E402
from teller.actor import Actor  # noqa: E402
from teller.ledger import Leg  # noqa: E402

TARGET_RATIO_16 = 0.30
TARGET_SCALING_64 = 0.80
CLIENT_COUNTS = (16, 64)
HOT_SHARE = 10  # one posting in ten touches the hot account
MAX_AMOUNT = 50_00
REPO_ROOT = Path(__file__).resolve().parent.parent
FLOOR_SCRIPT = Path(__file__).resolve().parent / "posting_floor.sql"


# --- A terminal -------------------------------------------------------------------------------------------

def _legs(rng: random.Random, accounts: list[str], hot: str) -> tuple[Leg, Leg]:
    amount = rng.randint(1, MAX_AMOUNT)
    if rng.randrange(HOT_SHARE) == 0:
        payer, payee = (hot, rng.choice(accounts)) if rng.random() < 0.5 else (rng.choice(accounts), hot)
    else:
        payer, payee = rng.sample(accounts, 2)
    return Leg(payer, debit=amount), Leg(payee, credit=amount)


def terminal(spec: dict) -> None:
    """A worker: ready, then for each "run START STOP" line on stdin post until STOP and report."""
    from teller import bootstrap, instructions
    from teller.config import LedgerLocation
    from teller.errors import TellerError
    from teller.instructions import InstructionRequest

    db = bootstrap.open_database(LedgerLocation(ledger_url(spec["url"]), "bench"))
    maker, checker = Actor(**spec["maker"]), Actor(**spec["checker"])
    rng = random.Random(spec["name"])
    posted = 0
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        command = line.split()
        if command[0] == "quit":
            break
        start, stop = float(command[1]), float(command[2])
        time.sleep(max(0.0, start - time.time()))
        latencies, refused, errors = [], 0, []
        while time.time() < stop:
            posted += 1
            request = InstructionRequest(kind="transfer", legs=_legs(rng, spec["accounts"], spec["hot"]),
                                         narrative="bench transfer", idempotency_key=f"{spec['name']}-{posted}")
            began = time.perf_counter()
            try:
                view = instructions.submit(db, maker, request)
                instructions.approve(db, view.id, checker)
            except TellerError as error:
                if "insufficient" in str(error):
                    refused += 1
                else:
                    errors.append(str(error))
                continue
            if time.time() <= stop:
                latencies.append((time.perf_counter() - began) * 1000)
        print(json.dumps({"latencies": latencies, "refused": refused, "errors": errors[:5]}), flush=True)
    db.dispose()


# --- The parent -------------------------------------------------------------------------------------------

def prepare_ledger(url, customers: int) -> tuple[list[dict], list[str], str, dict[str, object]]:
    """A fresh generated ledger; the branch tellers and supervisors, the customer accounts, the hot one, and
    the floor script's variables (the same accounts by id, the first branch's people and business date)."""
    generate.recreate(url)
    db, branches = generate.create_ledger(url, 2)
    network = generate.Network(db, branches, seed=16, transfers_per_customer=0)
    generate.load_with_teller(db, network.chunk(customers))
    generate.advance_sequences(db)
    generate.analyse(db)
    rows = db.run(lambda session: session.execute(
        select(Account.id, Account.number).where(Account.customer_id.is_not(None)).order_by(Account.id)).all(),
        readonly=True)
    numbers = [row.number for row in rows]
    if rows[-1].id - rows[0].id + 1 != len(rows):
        raise SystemExit("the customer accounts' ids are not contiguous: the floor script picks ids in a range")
    day = db.run(lambda session: session.scalar(select(Branch.business_date).where(Branch.id == branches[0].id)),
                 readonly=True)
    floor_variables = {"hot": rows[0].id, "first": rows[1].id, "last": rows[-1].id, "branch": branches[0].id,
                       "maker": branches[0].teller_id, "checker": branches[0].supervisor_id, "day": day.isoformat()}
    people = []
    for branch in branches:
        people.append({
            "maker": {"staff_id": branch.teller_id, "username": f"teller{branch.code}", "roles": ["teller"],
                      "branch_id": branch.id, "terminal": "bench"},
            "checker": {"staff_id": branch.supervisor_id, "username": f"super{branch.code}", "roles": ["supervisor"],
                        "branch_id": branch.id, "terminal": "bench"},
        })
    db.dispose()
    return people, numbers[1:], numbers[0], floor_variables


class Terminals:
    def __init__(self, url, count: int, people: list[dict], accounts: list[str], hot: str) -> None:
        self.processes = []
        for index in range(count):
            pair = people[index % len(people)]
            name = f"terminal-{index:02d}"
            spec = {"url": url.render_as_string(hide_password=False), "name": name, "accounts": accounts, "hot": hot,
                    "maker": {**pair["maker"], "roles": tuple(pair["maker"]["roles"]), "terminal": name},
                    "checker": {**pair["checker"], "roles": tuple(pair["checker"]["roles"]), "terminal": name}}
            self.processes.append(subprocess.Popen(
                [sys.executable, "-m", "bench.concurrency_pg", "--terminal", json.dumps(spec)], cwd=REPO_ROOT,
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=os.environ.copy()))
        for process in self.processes:
            if not json.loads(process.stdout.readline()).get("ready"):
                raise SystemExit("a terminal did not start")

    def run(self, clients: int, seconds: float) -> dict:
        start = time.time() + 1.0
        active = self.processes[:clients]
        for process in active:
            process.stdin.write(f"run {start} {start + seconds}\n")
            process.stdin.flush()
        reports = [json.loads(process.stdout.readline()) for process in active]
        latencies = [latency for report in reports for latency in report["latencies"]]
        return {"tps": len(latencies) / seconds, "latencies": latencies,
                "refused": sum(report["refused"] for report in reports),
                "errors": [error for report in reports for error in report["errors"]]}

    def close(self) -> None:
        for process in self.processes:
            process.stdin.write("quit\n")
            process.stdin.flush()
        for process in self.processes:
            process.wait(timeout=60)


def pgbench_database(url, scale: int) -> str:
    """pgbench's own database, initialised at `scale` (dropped and made again)."""
    bench_url = url.set(database=f"{url.database}_pgbench")
    generate.recreate(bench_url)
    subprocess.run(["pgbench", "-i", "-q", "-s", str(scale), raw_url(bench_url)], check=True,
                   capture_output=True, text=True)
    return raw_url(bench_url)


def floor_database(url) -> str:
    """A copy of the prepared ledger for the floor script, whose audit rows carry no real hashes."""
    floor_url = url.set(database=f"{url.database}_floor")
    generate.recreate(floor_url, template=url.database)
    return raw_url(floor_url)


def pgbench_tps(conninfo: str, clients: int, seconds: float, script_arguments: tuple[str, ...] = ()) -> float:
    """Transactions (of the script given, else TPC-B-like) a second; a failed or aborted client fails the run."""
    done = subprocess.run(["pgbench", "-c", str(clients), "-j", "2", "-T", str(int(seconds)), "-n",
                           *script_arguments, conninfo], capture_output=True, text=True)
    failed = re.search(r"number of failed transactions: (\d+)", done.stdout)
    if done.returncode or (failed and int(failed[1])):
        raise SystemExit(f"pgbench failed (exit status {done.returncode}):\n{done.stdout}{done.stderr}")
    return float(re.search(r"tps = ([\d.]+)", done.stdout)[1])


def floor_arguments(variables: dict[str, object]) -> tuple[str, ...]:
    """pgbench's arguments for the floor script: prepared statements, as the terminals' psycopg prepares."""
    defines = [argument for name, value in variables.items() for argument in ("-D", f"{name}={value}")]
    return ("-M", "prepared", "-f", str(FLOOR_SCRIPT), *defines)


_SHAPES = (
    (re.compile(r"(BEGIN|COMMIT)\b"), lambda match: (match[1],)),
    (re.compile(r"SELECT nextval\('(\w+)'\)"), lambda match: ("nextval", match[1])),
    (re.compile(r"SELECT\s.*?\sFROM\s+(\w+)", re.DOTALL), lambda match: ("SELECT", match[1])),
    (re.compile(r"INSERT\s+INTO\s+(\w+)"), lambda match: ("INSERT", match[1])),
    (re.compile(r"UPDATE\s+(\w+)"), lambda match: ("UPDATE", match[1])),
)


def statement_shape(statement: str) -> tuple[str, ...]:
    """What a statement does, to compare the floor script with Teller: its verb, its table, and FOR UPDATE."""
    for pattern, shape in _SHAPES:
        if match := pattern.match(statement.strip()):
            return shape(match) + (("FOR UPDATE",) if "FOR UPDATE" in statement else ())
    raise ValueError(f"no shape for {statement[:60]!r}")


def floor_statements() -> list[str]:
    """The floor script's SQL statements (one a line; comments and pgbench meta-commands left out)."""
    lines = FLOOR_SCRIPT.read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.strip() and not line.startswith(("--", "\\"))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", help="PostgreSQL URL of the ledger to create for the run (replaced)")
    parser.add_argument("--key-file", type=Path, help="the new ledger's key file (default: in the user's data)")
    parser.add_argument("--customers", type=int, default=5000, help="customer accounts to post between (default 5000)")
    parser.add_argument("--seconds", type=float, default=15, help="window of each run (default 15)")
    parser.add_argument("--runs", type=int, default=3, help="counted runs per client count (default 3)")
    parser.add_argument("--clients", type=int, nargs="+", default=list(CLIENT_COUNTS))
    parser.add_argument("--pgbench-scale", type=int, default=16, help="pgbench -i scale factor (default 16)")
    parser.add_argument("--terminal", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.terminal:
        terminal(json.loads(args.terminal))
        return 0
    if not args.database or ledger_url(args.database).get_backend_name() != "postgresql":
        parser.error("give --database, a PostgreSQL URL")
    url = ledger_url(args.database)
    key_file = key_file_for(url, args.key_file)
    os.environ[keys.KEY_FILE_ENV] = str(key_file)
    key_file.unlink(missing_ok=True)  # a new ledger, a new key
    people, accounts, hot, floor_variables = prepare_ledger(url, args.customers)
    results = {clients: {"teller": [], "pgbench": [], "floor": [], "latencies": [], "refused": 0, "errors": []}
               for clients in args.clients}
    # pgbench first, then the floor, then the terminals: 64 of each at once would pass max_connections.
    conninfo = pgbench_database(url, args.pgbench_scale)
    pgbench_tps(conninfo, min(args.clients), 3)  # warm-up
    for _ in range(args.runs):
        for clients in args.clients:
            results[clients]["pgbench"].append(pgbench_tps(conninfo, clients, args.seconds))
    generate.drop(url.set(database=f"{url.database}_pgbench"))
    conninfo, script = floor_database(url), floor_arguments(floor_variables)
    pgbench_tps(conninfo, min(args.clients), 3, script)  # warm-up
    for _ in range(args.runs):
        for clients in args.clients:
            results[clients]["floor"].append(pgbench_tps(conninfo, clients, args.seconds, script))
    generate.drop(url.set(database=f"{url.database}_floor"))
    terminals = Terminals(url, max(args.clients), people, accounts, hot)
    terminals.run(min(args.clients), 3)  # warm-up
    for _ in range(args.runs):
        for clients in args.clients:
            run = terminals.run(clients, args.seconds)
            result = results[clients]
            result["teller"].append(run["tps"])
            result["latencies"] += run["latencies"]
            result["refused"] += run["refused"]
            result["errors"] += run["errors"]
    terminals.close()

    from tests.workers import ledger_problems
    from teller import bootstrap
    from teller.config import LedgerLocation

    db = bootstrap.open_database(LedgerLocation(url, "bench"))
    problems = ledger_problems(db)
    db.dispose()

    print(f"PostgreSQL concurrency benchmark; {machine()}")
    print(f"{args.customers} customer accounts, one posting in {HOT_SHARE} to a shared hot account;"
          f" warm-up, then {args.runs} runs of {args.seconds:.0f} s per client count; pgbench scale {args.pgbench_scale}\n")
    print(f"{'clients':>7} {'teller postings/s':>18} {'pgbench tps':>12} {'ratio':>6} {'floor postings/s':>17}"
          f" {'floor ratio':>12} {'of floor':>9} {'median ms':>10} {'p95 ms':>8} {'refused':>8}")
    for clients, result in results.items():
        teller, peer, floor = median(result["teller"]), median(result["pgbench"]), median(result["floor"])
        print(f"{clients:>7} {teller:>18.0f} {peer:>12.0f} {teller / peer:>6.3f} {floor:>17.0f} {floor / peer:>12.3f}"
              f" {teller / floor:>9.3f} {median(result['latencies']):>10.1f} {p95(result['latencies']):>8.1f}"
              f" {result['refused']:>8}")
    low, high = min(args.clients), max(args.clients)
    print(f"\nratio teller / pgbench at {low} clients: {median(results[low]['teller']) / median(results[low]['pgbench']):.3f}"
          f" (target >= {TARGET_RATIO_16}); the floor (Teller's statements from pgbench) reaches"
          f" {median(results[low]['floor']) / median(results[low]['pgbench']):.3f}")
    if high != low:
        print(f"{high} terminals / {low} terminals: {median(results[high]['teller']) / median(results[low]['teller']):.3f}"
              f" (target >= {TARGET_SCALING_64})")
    errors = [error for result in results.values() for error in result["errors"]]
    for error in errors[:10]:
        print(f"POSTING ERROR: {error}")
    print("ledger verified after the runs: 0 invariant violations" if not problems
          else f"INVARIANT VIOLATIONS: {problems}")
    return 1 if problems or errors else 0


if __name__ == "__main__":
    sys.exit(main())
