"""Time `jindu due` over the synthetic district as whole processes, beside `jindu --version`.

    python benchmarks/bench_due.py [--db benchmarks/out/district.db] [--runs 5]

Builds the district first when the file is missing (benchmarks/make_district.py). Each command
runs --runs times with its output going to a file, as cron would run it; the median wall time
is printed, with the number of rows listed and the ratio to `jindu --version`; then `jindu due`
and `jindu --version` once more, in turn, twice --runs times, with the median of the ratio within
each pair (steadier on a noisy machine than the ratio of two medians taken apart). The kept list
(due_items) is brought up to date by a first, untimed run; the last lines time what happens
when it is not: worked out afresh for every case (the first run after an upgrade or a change of
the office's rules, or after an import touching every case), and a list asked for with other
rules, which is worked out without the kept list.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
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


def alternated(base: list[str], args: list[str], env: dict, runs: int) -> tuple[float, float, float]:
    """`base` and `args` timed in turn, run after run, so that both see the same spells of a noisy
    machine: the median of each, and the median of the ratio within each pair."""
    pairs = [(timed(base, env, 1)[0], timed(args, env, 1)[0]) for _ in range(runs)]
    return (statistics.median(a for a, _ in pairs), statistics.median(b for _, b in pairs),
            statistics.median(b / a for a, b in pairs))


def district_env(db: Path) -> dict:
    """The environment the timed processes run in, over the district (built when missing)."""
    if not db.exists():
        subprocess.run([sys.executable, str(HERE / "make_district.py"), str(db)], check=True)
    env = dict(os.environ, JINDU_DB=str(db))
    env.pop("JINDU_TODAY", None)
    # as installed by pip, which caches the compiled modules (here in a folder of their own): a
    # setting that forbids the cache would time Python compiling jindu's source on every run
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = tempfile.mkdtemp(prefix="jindu-pycache-")
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=HERE / "out" / "district.db")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    env = district_env(args.db)
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
    print(f"{'command':<44}{'median s':>10}{'x version':>11}{'output lines':>14}")
    for label, argv in cases:
        seconds, lines = timed(argv, env, args.runs)
        base = base or seconds
        print(f"{label:<44}{seconds:>10.2f}{seconds / base:>11.1f}{lines:>14}")
    version, listed, ratio = alternated(["--version"], ["due", "--as-of", AS_OF], env, 2 * args.runs)
    print(f"{'jindu due, alternated with --version':<44}{listed:>10.2f}{ratio:>11.1f}"
          f"{f'(--version {version:.2f} s)':>26}")
    started = time.perf_counter()
    with sqlite3.connect(args.db) as conn:
        conn.execute("UPDATE due_state SET fingerprint = NULL")  # as after an upgrade of jindu
    subprocess.run(jindu() + ["due", "--as-of", AS_OF], env=env, stdout=subprocess.DEVNULL, check=True)
    seconds = time.perf_counter() - started
    print(f"{'jindu due, kept list worked out afresh':<44}{seconds:>10.2f}{seconds / base:>11.1f}{'(one run)':>14}")
    with tempfile.TemporaryDirectory() as folder:
        other = Path(folder) / "rules.toml"
        shipped = subprocess.run(jindu() + ["rules", "template"], capture_output=True, text=True, check=True).stdout
        other.write_text(shipped.replace('interval = "6m"', 'interval = "5m"'), encoding="utf-8")
        seconds, lines = timed(["due", "--as-of", AS_OF, "--rules", str(other)], env, args.runs)
    print(f"{'jindu due --rules OTHER (worked out)':<44}{seconds:>10.2f}{seconds / base:>11.1f}{lines:>14}")


if __name__ == "__main__":
    main()
