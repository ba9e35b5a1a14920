"""Time `jindu export` over the synthetic district as whole processes, with their peak memory.

    python benchmarks/bench_export.py [--db benchmarks/out/district.db] [--street 盐务街] [--kinds cases,tests]

The register (100,000 people, 26 columns) as CSV and as xlsx, and the tests (2.4 million rows, as
xlsx three sheets: a sheet holds 1,048,576 rows; or, with --street, one street's) as CSV and as
xlsx. Each runs once: a run takes from seconds to minutes. Peak memory is the process's own maximum
resident set (wait4's ru_maxrss). `jindu --version` is timed in the same run, before and after, as
the yardstick of the machine's speed at the time.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_due import HERE, district_env, jindu, timed  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=HERE / "out" / "district.db")
    parser.add_argument("--street", help="export only this street's tests (the register is exported whole)")
    parser.add_argument("--kinds", default="cases,tests", help="which exports, by comma: cases, visits, tests")
    args = parser.parse_args()
    env = district_env(args.db)
    out = Path(tempfile.mkdtemp())
    version = timed(["--version"], env, 5)[0]
    print(f"{'command':<52}{'rows':>10}{'s':>8}{'peak MB':>9}{'file MB':>9}")
    for kind in args.kinds.split(","):
        for fmt in ("csv", "xlsx"):
            target = out / f"{kind}.{fmt}"
            argv = ["export", kind, "-f", fmt, "-o", str(target)]
            if args.street and kind != "cases":
                argv[2:2] = ["--street", args.street]
            with tempfile.TemporaryFile() as stderr:
                started = time.perf_counter()
                child = subprocess.Popen(jindu() + argv, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
                _, status, usage = os.wait4(child.pid, 0)  # this child's own peak, in KiB on Linux
                seconds = time.perf_counter() - started
                stderr.seek(0)
                said = stderr.read().decode()
            if os.waitstatus_to_exitcode(status):
                sys.exit(said)
            rows = said.split("已导出 ")[1].split(" 行")[0]
            shown = "jindu " + " ".join(a for a in argv if a not in ("-o", str(target)))
            print(f"{shown:<52}{rows:>10}{seconds:>8.1f}{usage.ru_maxrss / 1024:>9.0f}"
                  f"{target.stat().st_size / 1e6:>9.1f}")
            target.unlink()
    after = timed(["--version"], env, 5)[0]
    print(f"{'jindu --version (median of 5, before / after)':<52}{'':>10}{version:>8.2f}   /  {after:.2f}")


if __name__ == "__main__":
    main()
