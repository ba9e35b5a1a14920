"""Time `jindu export` over the synthetic district as whole processes, with their peak memory.

    python benchmarks/bench_export.py [--db benchmarks/out/district.db]

The register (100,000 people, 26 columns) as CSV and as xlsx, and every test (2.4 million rows)
as CSV and as xlsx (three sheets: a sheet holds 1,048,576 rows). Each runs once: a run takes
from seconds to minutes. Peak memory is the process's own maximum resident set (wait4's ru_maxrss).
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

from bench_due import HERE, district_env, jindu  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=HERE / "out" / "district.db")
    args = parser.parse_args()
    env = district_env(args.db)
    out = Path(tempfile.mkdtemp())
    print(f"{'command':<36}{'rows':>10}{'s':>8}{'peak MB':>9}{'file MB':>9}")
    for kind, fmt in [("cases", "csv"), ("cases", "xlsx"), ("tests", "csv"), ("tests", "xlsx")]:
        target = out / f"{kind}.{fmt}"
        with tempfile.TemporaryFile() as stderr:
            started = time.perf_counter()
            child = subprocess.Popen(jindu() + ["export", kind, "-f", fmt, "-o", str(target)], env=env,
                                     stdout=subprocess.DEVNULL, stderr=stderr)
            _, status, usage = os.wait4(child.pid, 0)  # this child's own peak, in KiB on Linux
            seconds = time.perf_counter() - started
            stderr.seek(0)
            said = stderr.read().decode()
        if os.waitstatus_to_exitcode(status):
            sys.exit(said)
        rows = said.split("已导出 ")[1].split(" 行")[0]
        print(f"{'jindu export ' + kind + ' -f ' + fmt:<36}{rows:>10}{seconds:>8.1f}{usage.ru_maxrss / 1024:>9.0f}"
              f"{target.stat().st_size / 1e6:>9.1f}")
        target.unlink()


if __name__ == "__main__":
    main()
