"""Time `jindu due` over the synthetic district as whole processes, beside `jindu --version`.

    python benchmarks/bench_due.py [--db benchmarks/out/district.db] [--runs 5]

Builds the district first when the file is missing (benchmarks/make_district.py). Each command
runs --runs times with its output going to a file, as cron would run it: the median wall time, the
ratio to `jindu --version` timed in the same run, the lines written, and the process's own peak
memory (wait4's ru_maxrss). Then `jindu due` and `jindu --version` in turn, twice --runs times, with
the median of the ratio within each pair (steadier on a noisy machine than two medians taken apart).
Nothing of the list is stored: every run works it out from the records.
"""

from __future__ import annotations

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


def run_once(args: list[str], env: dict, sink) -> tuple[float, int]:
    """One process: its wall time and its own peak memory in MB."""
    sink.seek(0)
    sink.truncate()
    started = time.perf_counter()
    child = subprocess.Popen(jindu() + args, env=env, stdout=sink, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)  # this child's own peak, in KiB on Linux
    seconds = time.perf_counter() - started
    if status:
        raise SystemExit(f"jindu {' '.join(args)} failed ({status})")
    return seconds, usage.ru_maxrss // 1024


def timed(args: list[str], env: dict, runs: int) -> tuple[float, int, int]:
    """The median wall time, the lines written and the largest peak memory (MB) of `runs` runs."""
    times, peaks, lines = [], [], 0
    with tempfile.TemporaryFile() as sink:
        for _ in range(runs):
            seconds, peak = run_once(args, env, sink)
            times.append(seconds)
            peaks.append(peak)
            sink.seek(0)
            lines = sum(1 for _ in sink)
    return statistics.median(times), lines, max(peaks)


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
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=HERE / "out" / "district.db")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    env = district_env(args.db)
    subprocess.run(jindu() + ["due", "--as-of", AS_OF, "--within", "0"], env=env, stdout=subprocess.DEVNULL,
                   check=True)  # warm the page cache and apply any pending migration
    cases = [
        ("jindu --version", ["--version"]),
        ("jindu due (the default list)", ["due", "--as-of", AS_OF]),
        ("jindu due -f json", ["due", "--as-of", AS_OF, "-f", "json"]),
        ("jindu due --within 36500 (every item)", ["due", "--as-of", AS_OF, "--within", "36500"]),
        ("jindu due --within 36500 -f json", ["due", "--as-of", AS_OF, "--within", "36500", "-f", "json"]),
        ("jindu due --street 盐务街 (one street)", ["due", "--as-of", AS_OF, "--street", "盐务街"]),
        ("jindu due --within 0", ["due", "--as-of", AS_OF, "--within", "0"]),
    ]
    base = None
    print(f"{'command':<42}{'median s':>9}{'x version':>10}{'lines':>9}{'peak MB':>9}")
    for label, argv in cases:
        seconds, lines, peak = timed(argv, env, args.runs)
        base = base or seconds
        print(f"{label:<42}{seconds:>9.2f}{seconds / base:>10.1f}{lines:>9}{peak:>9}")
    version, listed, ratio = alternated(["--version"], ["due", "--as-of", AS_OF], env, 2 * args.runs)
    print(f"{'jindu due, alternated with --version':<42}{listed:>9.2f}{ratio:>10.1f}"
          f"   (--version {version:.2f} s)")


if __name__ == "__main__":
    main()
