"""Time `jindu due` over the synthetic district as whole processes, beside `jindu --version`.

    python benchmarks/bench_due.py [--db benchmarks/out/district.db] [--runs 5]

Builds the district first when the file is missing (benchmarks/make_district.py). Each command
runs --runs times with its output going to a file, as cron would run it; the median wall time
is printed, with the number of rows listed and the ratio to `jindu --version`.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
AS_OF = "2026-11-28"


def jindu() -> list[str]:
    found = shutil.which("jindu")
    return [found] if found else [sys.executable, "-m", "jindu_cli"]


def timed(args: list[str], env: dict, runs: int) -> tuple[float, int]:
    times, lines = [], 0
    with tempfile.TemporaryFile() as sink:
        for _ in range(runs):
            sink.seek(0)
            sink.truncate()
            started = time.perf_counter()
            subprocess.run(jindu() + args, env=env, stdout=sink, stderr=subprocess.DEVNULL, check=True)
            times.append(time.perf_counter() - started)
            sink.seek(0)
            lines = sum(1 for _ in sink)
    return statistics.median(times), lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=HERE / "out" / "district.db")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if not args.db.exists():
        subprocess.run([sys.executable, str(HERE / "make_district.py"), str(args.db)], check=True)
    env = dict(os.environ, JINDU_DB=str(args.db))
    env.pop("JINDU_TODAY", None)
    subprocess.run(jindu() + ["due", "--as-of", AS_OF, "--within", "0"], env=env, stdout=subprocess.DEVNULL,
                   check=True)  # warm the page cache and apply any pending migration
    cases = [
        ("jindu --version", ["--version"]),
        ("jindu due", ["due", "--as-of", AS_OF]),
        ("jindu due -f json", ["due", "--as-of", AS_OF, "-f", "json"]),
        ("jindu due --street 盐务街", ["due", "--as-of", AS_OF, "--street", "盐务街"]),
        ("jindu due --within 0", ["due", "--as-of", AS_OF, "--within", "0"]),
    ]
    base = None
    print(f"{'command':<28}{'median s':>10}{'x version':>11}{'output lines':>14}")
    for label, argv in cases:
        seconds, lines = timed(argv, env, args.runs)
        base = base or seconds
        print(f"{label:<28}{seconds:>10.2f}{seconds / base:>11.1f}{lines:>14}")


if __name__ == "__main__":
    main()
