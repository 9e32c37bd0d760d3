"""Schedule generation: the time to build a 360-period loan schedule with each repayment method.

Each case builds the same loan (1,000,000.00 at 4.35% over 360 months) with `teller.schedule.build_schedule`,
after a warm-up, over several counted runs; every build is timed on its own. The figures are the median and
95th percentile of those builds, against the target (median under 1 ms). Equal installment is also timed
with actual/365 interest (a broken first period from the start date).

Run from the repository root: ``python -m bench.schedule`` (``--quick`` for a tiny run that only checks it
works). It never fails on times; it exits non-zero only if a schedule it built does not repay the principal.
"""

import argparse
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # `python bench/schedule.py` finds teller

from bench.posting import machine  # noqa: E402
from teller.schedule import METHODS, Schedule, build_schedule  # noqa: E402

TARGET_MS = 1.0
PRINCIPAL = 1_000_000_00
RATE = Decimal("0.0435")
MONTHS = 360
FIRST_DUE = date(2027, 1, 31)  # day 31: every short month clamps
START = date(2026, 12, 10)


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    options: dict

    def build(self) -> Schedule:
        return build_schedule(PRINCIPAL, RATE, MONTHS, self.method, FIRST_DUE, **self.options)


CASES = [Case(method, method, {}) for method in METHODS] + [
    Case("equal_installment actual/365", "equal_installment", {"day_count": "actual/365", "start_date": START}),
]


@dataclass(frozen=True)
class Figures:
    name: str
    latencies_ms: list[float]

    @property
    def median_ms(self) -> float:
        return statistics.median(self.latencies_ms)

    @property
    def p95_ms(self) -> float:
        return statistics.quantiles(self.latencies_ms, n=20)[-1] if len(self.latencies_ms) > 1 else self.latencies_ms[0]


def measure(case: Case, args) -> tuple[Figures, Schedule]:
    """Warm up, then time each build of each counted run."""
    for _ in range(args.warmup):
        case.build()
    latencies = []
    for _ in range(args.runs):
        for _ in range(args.builds):
            started = time.perf_counter()
            schedule = case.build()
            latencies.append((time.perf_counter() - started) * 1000)
    return Figures(case.name, latencies), schedule


def problem(case: Case, schedule: Schedule) -> str | None:
    repaid = sum(installment.principal for installment in schedule.installments)
    if repaid != PRINCIPAL or schedule.installments[-1].balance_after:
        return f"{case.name}: repays {repaid} of {PRINCIPAL}"
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--builds", type=int, default=200, help="builds per counted run (default 200)")
    parser.add_argument("--runs", type=int, default=5, help="counted runs per case (default 5)")
    parser.add_argument("--warmup", type=int, default=100, help="warm-up builds per case (default 100)")
    parser.add_argument("--quick", action="store_true", help="a tiny run (2 x 3 builds, 1 warm-up) to check it works")
    args = parser.parse_args(argv)
    if args.quick:
        args.builds, args.runs, args.warmup = 3, 2, 1
    if args.builds < 1 or args.runs < 1 or args.warmup < 0:
        parser.error("use --builds >= 1, --runs >= 1 and --warmup >= 0")

    print(f"Schedule benchmark, {MONTHS}-period loan; {machine()}")
    print(f"{args.warmup} warm-up builds, then {args.runs} runs x {args.builds} builds per case\n")
    print(f"{'case':<30} {'median ms':>10} {'p95 ms':>8}  median under {TARGET_MS:.0f} ms")
    problems = []
    for case in CASES:
        figures, schedule = measure(case, args)
        verdict = "yes" if figures.median_ms < TARGET_MS else "no"
        print(f"{figures.name:<30} {figures.median_ms:>10.3f} {figures.p95_ms:>8.3f}  {verdict}")
        problems.append(problem(case, schedule))
    for found in filter(None, problems):
        print(f"SCHEDULE PROBLEM: {found}", file=sys.stderr)
    return 1 if any(problems) else 0


if __name__ == "__main__":
    sys.exit(main())
