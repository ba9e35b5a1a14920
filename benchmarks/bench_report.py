"""Time the monthly report over the synthetic district as whole processes.

    python benchmarks/bench_report.py [--db benchmarks/out/district.db] [--runs 3]

jindu's compiled bytecode is cached (in a folder of its own) as an installed jindu has it, even
where PYTHONDONTWRITEBYTECODE is set: otherwise every run would also compile jindu's source.
The first, untimed run of each command warms that cache. Beside the median wall time, the mean
CPU time (user + system) of the runs (on a machine shared with other work it varies less), and the
largest peak memory of a run. The report is counted in one snapshot, in one thread.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_due import HERE, district_env, timed  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=HERE / "out" / "district.db")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    env = district_env(args.db)
    out = tempfile.mkdtemp()
    cases = [
        ("jindu --version", ["--version"]),
        ("jindu report (month, table)", ["report", "--period", "2026-10", "--as-of", "2026-11-28"]),
        ("jindu report -f xlsx (3 breakdowns)", ["report", "--period", "2026-10", "--as-of", "2026-11-28", "-f", "xlsx",
                                                 "-o", f"{out}/r.xlsx"]),
        ("jindu report -f html (12-month charts)", ["report", "--period", "2026-10", "--as-of", "2026-11-28", "-f", "html",
                                                    "-o", f"{out}/r.html"]),
        ("jindu report --street 盐务街", ["report", "--period", "2026-10", "--as-of", "2026-11-28", "--street", "盐务街"]),
    ]
    print(f"{'command':<40}{'median s':>10}{'cpu s':>8}{'peak MB':>9}")
    for label, argv in cases:
        timed(argv, env, 1)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        seconds, _, peak = timed(argv, env, args.runs)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) / args.runs
        print(f"{label:<40}{seconds:>10.2f}{cpu:>8.2f}{peak:>9}")


if __name__ == "__main__":
    main()
