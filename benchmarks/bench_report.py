"""Time the monthly report over the synthetic district as whole processes.

    python benchmarks/bench_report.py [--db benchmarks/out/district.db] [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_due import HERE, timed  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=HERE / "out" / "district.db")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if not args.db.exists():
        subprocess.run([sys.executable, str(HERE / "make_district.py"), str(args.db)], check=True)
    env = dict(os.environ, JINDU_DB=str(args.db))
    env.pop("JINDU_TODAY", None)
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
    print(f"{'command':<40}{'median s':>10}")
    for label, argv in cases:
        seconds, _ = timed(argv, env, args.runs)
        print(f"{label:<40}{seconds:>10.2f}")


if __name__ == "__main__":
    main()
