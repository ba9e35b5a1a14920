"""Time a validated import of a test log against SQLite's part of it alone, and measure the peak
memory of importing a 2.3-million-row log.

    python benchmarks/bench_import.py [--rows 500000] [--big-rows 2300000] [--skip-big] [--runs 3]

The register comes from the synthetic district (benchmarks/make_district.py, built when missing):
its cases are copied into a fresh database, and test logs are written for them the way street
offices send them (GB18030, mixed date forms, 尿检 for 尿液, rows inside each person's term).
The yardstick is "SQLite's part": the rows the import inserted, read back converted, inserted in
the natural-key order with the same settings, indexes rebuilt, committed; no Python can make that
faster. "Bare" is csv.reader plus one executemany in one transaction into a plain table of the
same columns. Each runs in this process; each import is followed at once by a yardstick run, and
the ratio of the two is printed, so that it holds even on a machine busy with other work. The
2.3-million-row import runs as a separate `jindu import tests` process whose peak resident memory
is read from the kernel (VmHWM).
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

from jindu_cli.domain.dates import add_months  # noqa: E402
from jindu_cli.storage.db import open_db  # noqa: E402

AS_OF = date(2026, 11, 28)


def register(district: Path, target: Path) -> list[tuple]:
    if target.exists():
        target.unlink()
    conn = open_db(target)
    conn.execute("ATTACH DATABASE ? AS d", [str(district)])
    conn.execute("BEGIN")
    columns = ", ".join(r[1] for r in conn.execute("PRAGMA d.table_info(cases)") if r[1] != "import_id")
    conn.execute(f"INSERT INTO cases ({columns}) SELECT {columns} FROM d.cases"
                 " WHERE status IN ('active', 'released', 'terminated')")
    conn.execute("INSERT INTO status_changes SELECT * FROM d.status_changes WHERE case_id IN (SELECT id FROM cases)")
    conn.execute("COMMIT")
    people = conn.execute("SELECT id_number, name, reported_on, term_months FROM cases").fetchall()
    conn.execute("DETACH DATABASE d")
    conn.close()
    return people


def write_log(path: Path, people: list[tuple], rows: int, seed: int) -> None:
    rng = random.Random(seed)
    forms = [lambda d: d.isoformat(), lambda d: f"{d.year}/{d.month}/{d.day}", lambda d: f"{d:%Y%m%d}",
             lambda d: f"{d.year}年{d.month}月{d.day}日", lambda d: f"{d.isoformat()} 00:00:00"]
    with open(path, "w", encoding="gb18030", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["身份证号", "姓名", "检测日期", "检测方式", "检测结果", "检出毒品", "检测人"])
        written = 0
        while written < rows:
            number, name, reported, months = people[rng.randrange(len(people))]
            start = date.fromisoformat(reported)
            end = min(AS_OF, add_months(start, months) - timedelta(days=1))
            if end <= start:
                continue
            day = start + timedelta(days=rng.randrange((end - start).days + 1))
            result = rng.choices(["阴性", "阳性", "拒检"], [96, 2, 2])[0]
            out.writerow([number, name, rng.choice(forms)(day), rng.choice(["尿检", "尿检", "尿液", "毛发检测"]),
                          result, "冰毒" if result == "阳性" else "", rng.choice(["王磊", "李芳", "赵敏"])])
            written += 1


def bare_load(path: Path, work: Path) -> tuple[float, float]:
    db = work / "bare.db"
    if db.exists():
        db.unlink()
    started, cpu = time.perf_counter(), time.process_time()
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("CREATE TABLE t (id_number TEXT, name TEXT, tested_on TEXT, specimen TEXT, result TEXT,"
                 " substances TEXT, tester TEXT)")
    with open(path, encoding="gb18030", newline="") as fh:
        reader = csv.reader(fh)
        next(reader)
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?)", reader)
        conn.execute("COMMIT")
    conn.close()
    return time.perf_counter() - started, time.process_time() - cpu


def jindu_import(path: Path, db: Path, base: Path) -> tuple[float, float, dict]:
    from jindu_cli.domain.importer import Options, import_file

    shutil.copy(base, db)
    conn = open_db(db)
    started, cpu = time.perf_counter(), time.process_time()
    report = import_file(conn, path, Options("tests", AS_OF, "bench"))
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    conn.close()
    return seconds, cpu, report.as_dict()


def sqlite_floor(imported: Path, db: Path, base: Path) -> tuple[float, float]:
    """The part of the import no Python can speed up: SQLite inserting the rows jindu inserted,
    converted in advance and handed over in the natural-key index's order (the cheapest order
    there is: each row is appended to the index), into the same table with the same settings,
    secondary indexes dropped and rebuilt as the importer does, committed. Neither reading nor
    decoding nor checking the file is timed."""
    from jindu_cli.domain.importer.rows import CACHE_KIB, REBUILD_CACHE_KIB, secondary_indexes
    from jindu_cli.storage.db import set_cache_kib

    done = open_db(imported, readonly=True)
    columns = "case_id, tested_on, specimen, method, result, substances, sample_number, place, tester, notes"
    rows = done.execute(f"SELECT {columns}, forced, import_id, created_at, updated_at FROM drug_tests"
                        " ORDER BY case_id, tested_on, specimen, result").fetchall()
    done.close()
    shutil.copy(base, db)
    conn = open_db(db)
    set_cache_kib(conn, CACHE_KIB)
    started, cpu = time.perf_counter(), time.process_time()
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("INSERT INTO import_files (kind, file_name, sha256, sheet, encoding, imported_at, operator,"
                 " rows_read, inserted, updated, unchanged, rejected) VALUES ('tests', 'floor', '', '', '', '', '',"
                 " 0, 0, 0, 0, 0)")
    dropped = secondary_indexes(conn, "drug_tests")
    for name, _ in dropped:
        conn.execute(f'DROP INDEX "{name}"')
    conn.executemany(f"INSERT OR IGNORE INTO drug_tests ({columns}, forced, import_id, created_at, updated_at)"
                     " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    set_cache_kib(conn, REBUILD_CACHE_KIB)
    for _, sql in dropped:
        conn.execute(sql)
    conn.execute("COMMIT")
    conn.close()
    return time.perf_counter() - started, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=500_000)
    parser.add_argument("--big-rows", type=int, default=2_300_000)
    parser.add_argument("--skip-big", action="store_true")
    parser.add_argument("--runs", type=int, default=3, help="imports of the log, each beside a yardstick run")
    parser.add_argument("--district", type=Path, default=HERE / "out" / "district.db")
    args = parser.parse_args()
    work = HERE / "out"
    work.mkdir(exist_ok=True)
    if not args.district.exists():
        subprocess.run([sys.executable, str(HERE / "make_district.py"), str(args.district)], check=True)
    base = work / "register.db"
    people = register(args.district, base)
    log = work / f"tests-{args.rows}.csv"
    write_log(log, people, args.rows, seed=1)
    print(f"test log: {args.rows:,} rows, {log.stat().st_size / 1e6:.1f} MB, GB18030; register {len(people):,} cases")
    bare, bare_cpu = min(bare_load(log, work) for _ in range(2))
    print(f"bare csv.reader + executemany: {bare:.2f} s (CPU {bare_cpu:.2f} s)")
    # each import is timed beside the yardstick run right after it, so that both meet the same load
    runs = []
    for _ in range(args.runs):
        seconds, cpu, report = jindu_import(log, work / "import.db", base)
        floor, floor_cpu = sqlite_floor(work / "import.db", work / "floor.db", base)
        runs.append((seconds, floor))
        print(f"jindu import (validated, one process) {seconds:.2f} s (CPU {cpu:.2f} s),"
              f" SQLite's part alone {floor:.2f} s (CPU {floor_cpu:.2f} s): {seconds / floor:.2f} x"
              f" (CPU {cpu / floor_cpu:.2f} x)")
    seconds, floor = min(run[0] for run in runs), min(run[1] for run in runs)
    print(f"fastest of each: jindu {seconds:.2f} s = {seconds / floor:.2f} x SQLite's part {floor:.2f} s"
          f" = {seconds / bare:.2f} x bare")
    print(f"  inserted {report['inserted']:,}, unchanged {report['unchanged']:,}, rejected {report['rejected']:,}")
    if args.skip_big:
        return
    big = work / f"tests-{args.big_rows}.csv"
    write_log(big, people, args.big_rows, seed=2)
    for stale in ("-wal", "-shm"):
        (work / f"big.db{stale}").unlink(missing_ok=True)
    shutil.copy(base, work / "big.db")
    started = time.perf_counter()
    # this checkout's jindu, whatever else is installed
    paths = [str(HERE.parent / "src"), os.environ.get("PYTHONPATH")]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, paths)))
    proc = subprocess.run([sys.executable, "-c", PEAK_REPORTING_JINDU, "import", "tests", str(big),
                           "--db", str(work / "big.db"), "--as-of", AS_OF.isoformat(), "-f", "json"],
                          capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - started
    peak = int(proc.stderr.rsplit("peak-kib ", 1)[1].split()[0]) / 1024
    print(f"big log: {args.big_rows:,} rows, {big.stat().st_size / 1e6:.1f} MB: jindu import took {seconds:.1f} s,"
          f" peak memory {peak:.0f} MB (exit {proc.returncode})")


# `jindu` that reports its peak resident memory (VmHWM) as it exits. getrusage(RUSAGE_CHILDREN) is
# no use here: Linux counts in a child's maxrss the resident size of the parent it was forked from.
PEAK_REPORTING_JINDU = """
import atexit, runpy, sys

def peak():
    with open("/proc/self/status") as status:
        kib = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
    sys.stderr.write(f"\\npeak-kib {kib}\\n")

atexit.register(peak)
sys.argv = ["jindu", *sys.argv[1:]]
runpy.run_module("jindu_cli", run_name="__main__", alter_sys=True)
"""


if __name__ == "__main__":
    main()
