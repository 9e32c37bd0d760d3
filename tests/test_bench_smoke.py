"""The benchmarks still run end to end at a tiny scale and report every figure; the posting one's ledgers verify."""

import re
import subprocess
import sys

from tests.workers import REPO_ROOT

LOOPS = ("raw sqlite3 floor", "teller post_entry", "teller approve")


def test_posting_benchmark_reports_every_loop_and_its_ratio(tmp_path):
    done = subprocess.run(
        [sys.executable, "bench/posting.py", "--postings", "3", "--runs", "2", "--warmup", "1", "--dir", str(tmp_path)],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=300,
    )

    assert done.returncode == 0, done.stderr
    rows = {loop: re.search(rf"^{loop}\s+(\d+)\s+([\d.]+)\s+([\d.]+)$", done.stdout, re.MULTILINE) for loop in LOOPS}
    assert all(rows.values()), done.stdout
    assert all(int(row[1]) > 0 for row in rows.values())
    ratios = re.findall(r"^ratio (teller \w+) / floor: ([\d.]+)", done.stdout, re.MULTILINE)
    assert [loop for loop, _ in ratios] == ["teller post_entry", "teller approve"]
    assert all(float(ratio) > 0 for _, ratio in ratios)


SCHEDULE_CASES = ("equal_installment", "equal_principal", "interest_only", "bullet", "equal_installment actual/365")


def test_schedule_benchmark_reports_every_method_against_the_target():
    done = subprocess.run([sys.executable, "bench/schedule.py", "--quick"], cwd=REPO_ROOT, capture_output=True,
                          text=True, timeout=300)

    assert done.returncode == 0, done.stderr
    rows = {case: re.search(rf"^{case}\s+([\d.]+)\s+([\d.]+)\s+(yes|no)$", done.stdout, re.MULTILINE)
            for case in SCHEDULE_CASES}
    assert all(rows.values()), done.stdout
    assert all(float(row[1]) > 0 and float(row[2]) >= float(row[1]) for row in rows.values())
    assert "median under 1 ms" in done.stdout
