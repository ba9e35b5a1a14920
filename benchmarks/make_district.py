"""Build a synthetic district for the benchmarks: by default 100,000 cases with about 2.3 million
drug tests and 1.4 million visits, histories following the R9-R18 cadence with lapses, relapses,
refusals and absences. Deterministic for a seed.

    python benchmarks/make_district.py out/district.db [--cases 100000] [--as-of 2026-11-28] [--seed 1]

Rows go in through executemany on the jindu schema (open_db creates it); the case register is
therefore the same shape the commands read.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from jindu_cli.domain.dates import add_months  # noqa: E402
from jindu_cli.domain.pinyin import name_keys  # noqa: E402
from jindu_cli.storage.db import open_db  # noqa: E402

STREETS = ["大营路街道", "黔灵东路街道", "文昌阁街道", "盐务街街道", "普陀路街道", "八鸽岩街道", "毓秀路街道",
           "威清门街道", "市西河街道", "头桥街道", "三桥路街道", "马王街道", "金关街道", "茶园路街道", "杨惠街道",
           "渔安街道", "水东路街道", "黔灵镇"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何罗高林梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
GIVEN = "伟强磊军洋勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆帅旭宁龙林芳娜敏静丽艳娟霞燕玲婷雪琳晶倩颖露瑶"
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
AREAS = ["520103", "520102", "520111", "520112", "520113", "520115", "520121", "520122", "520123", "520181"]


def id_number(rng: random.Random, used: set) -> str:
    while True:
        born = date(1960, 1, 1) + timedelta(days=rng.randrange(0, 365 * 45))
        first = f"{rng.choice(AREAS)}{born:%Y%m%d}{rng.randrange(1000):03d}"
        number = first + "10X98765432"[sum(int(d) * w for d, w in zip(first, WEIGHTS)) % 11]
        if number not in used:
            used.add(number)
            return number


def cadence(measure: str, months: int, year: int) -> int:
    if measure == "community_treatment":
        return (1, 2, 3)[min(year, 3) - 1]
    if months == 36:
        return (2, 3, 6)[min(year, 3) - 1]
    return 2


def build(path: Path, cases: int, as_of: date, seed: int) -> dict:
    rng = random.Random(seed)
    if path.exists():
        path.unlink()
    conn = open_db(path)
    conn.execute("PRAGMA synchronous = OFF")
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    used: set = set()
    case_rows, change_rows, test_rows, visit_rows, leave_rows, report_rows = [], [], [], [], [], []
    workers = {s: [f"{s[:2]}专干{i}" for i in range(1, 6)] for s in STREETS}
    pinyin_cache: dict = {}
    for cid in range(1, cases + 1):
        name = rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.5 else "")
        if name not in pinyin_cache:
            pinyin_cache[name] = name_keys(name)
        street = rng.choice(STREETS)
        measure = "community_treatment" if rng.random() < 0.7 else "community_rehab"
        months = 36 if measure == "community_treatment" else rng.choice([24, 24, 36])
        risk = rng.choices(["high", "medium", "low"], [1, 4, 5])[0]
        reported = as_of - timedelta(days=rng.randrange(1, 6 * 365))
        received = reported - timedelta(days=rng.randrange(0, 16))
        pending = rng.random() < 0.02
        term_end = add_months(reported, months) - timedelta(days=1)
        status, closed_on = "active", None
        if pending:
            status, reported, received = "pending", None, as_of - timedelta(days=rng.randrange(0, 18))
        elif term_end < as_of - timedelta(days=20):
            status, closed_on = "released", term_end + timedelta(days=rng.randrange(1, 20))
        roll = rng.random()
        if status == "released" and closed_on < as_of - timedelta(days=3 * 365) and rng.random() < 0.95:
            status = "clean"  # 戒断三年未复吸, recognised by the office
        if status == "active" and roll < 0.04:
            status, closed_on = "terminated", reported + timedelta(days=rng.randrange(30, max(31, (as_of - reported).days)))
        elif status == "active" and roll < 0.05:
            status, closed_on = "deceased", reported + timedelta(days=rng.randrange(30, max(31, (as_of - reported).days)))
        elif status == "active" and roll < 0.06:
            status = "suspended"
        case_rows.append((cid, id_number(rng, used), name, *pinyin_cache[name], f"1{rng.randrange(3, 10)}{rng.randrange(10**9):09d}",
                          street, f"{street[:2]}{rng.randrange(1, 9)}社区", measure, months,
                          received.isoformat(), reported.isoformat() if reported else None,
                          reported.isoformat() if reported else None, status, risk,
                          json.dumps([rng.choice(["甲基苯丙胺", "海洛因", "氯胺酮", "麻古"])], ensure_ascii=False),
                          rng.choice(workers[street]), now, now))
        if reported is None:
            continue
        change_rows.append((cid, None, "active", reported.isoformat(), "报到", now))
        stop = min(as_of, closed_on or as_of, term_end)
        if status == "suspended":
            start = as_of - timedelta(days=rng.randrange(2, 60))
            start = max(start, reported + timedelta(days=1))
            change_rows.append((cid, "active", "suspended", start.isoformat(), "拘留", now))
            stop = min(stop, start - timedelta(days=1))
        elif closed_on:
            closing = "released" if status == "clean" else status
            change_rows.append((cid, "active", closing, closed_on.isoformat(),
                                "期满解除" if closing == "released" else "强制隔离戒毒", now))
            if status == "clean":
                change_rows.append((cid, "released", "clean", add_months(closed_on, 36).isoformat(), "戒断三年未复吸", now))
        # People under management now are followed on the rules' cadence, a few let slip lately;
        # the histories of closed cases came over from spreadsheets and are sparser.
        managed = status in ("active", "suspended")
        if managed and rng.random() < 0.05:
            stop = min(stop, as_of - timedelta(days=rng.randrange(20, 120)))
        day = reported
        while True:
            year = 1 + (day - reported).days // 365
            day = add_months(day, cadence(measure, months, year)) + timedelta(days=rng.randrange(-4, 2))
            if day > stop:
                break
            r = rng.random()
            result = "negative" if r < 0.965 else "positive" if r < 0.98 else "refused" if r < 0.993 else "evaded"
            test_rows.append((cid, day.isoformat(), "urine", "field", result,
                              '["甲基苯丙胺"]' if result == "positive" else "[]", now, now))
            if result == "positive" and rng.random() < 0.95:
                report_rows.append((cid, (day + timedelta(days=rng.randrange(0, 3))).isoformat(), "复吸", now))
            if not managed and rng.random() < 0.5:
                # before jindu many offices tested monthly whatever the year
                extra = day + timedelta(days=rng.randrange(12, 20))
                if extra <= stop:
                    test_rows.append((cid, extra.isoformat(), "urine", "field", "negative", "[]", now, now))
        day = reported
        while True:
            day = add_months(day, 6) + timedelta(days=rng.randrange(-15, 2))
            if day > stop:
                break
            test_rows.append((cid, day.isoformat(), "hair", "lab", "negative", "[]", now, now))
        day, n = reported, 0
        while True:
            day = day + timedelta(days=rng.randrange(22, 31) if managed else rng.randrange(80, 160))
            if day > stop:
                break
            n += 1
            kind = "assessment" if n % 6 == 0 else "home_visit" if n % 3 == 0 else rng.choice(["talk", "talk", "help"])
            outcome = "seen" if rng.random() < 0.96 else "not_seen"
            visit_rows.append((cid, day.isoformat(), kind, "employment" if kind == "help" else None, outcome,
                               rng.choice(workers[street]), now, now))
            if managed and rng.random() < 0.2:
                call = day + timedelta(days=rng.randrange(5, 15))
                if call <= stop:
                    visit_rows.append((cid, call.isoformat(), "phone", None, "seen", rng.choice(workers[street]), now, now))
        if rng.random() < 0.03:
            left = reported + timedelta(days=rng.randrange(0, max(1, (stop - reported).days)))
            if left <= stop:
                leave_rows.append((cid, "unreported", left.isoformat(), rng.randrange(2, 20), now, now))
    # bulk load without the indexes, then build them as jindu's schema defines them
    indexes = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL").fetchall()
    conn.execute("BEGIN")
    for name, _ in indexes:
        conn.execute(f"DROP INDEX {name}")
    conn.executemany(
        "INSERT INTO cases (id, id_number, name, name_pinyin, name_initials, phone, street, community, measure,"
        " term_months, received_on, reported_on, agreement_on, status, risk_level, drugs, worker, created_at,"
        " updated_at) VALUES (" + ", ".join("?" * 19) + ")", case_rows)
    conn.executemany("INSERT INTO status_changes (case_id, previous_status, status, changed_on, reason, created_at)"
                     " VALUES (?, ?, ?, ?, ?, ?)", change_rows)
    conn.executemany("INSERT OR IGNORE INTO drug_tests (case_id, tested_on, specimen, method, result, substances, created_at,"
                     " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", test_rows)
    conn.executemany("INSERT OR IGNORE INTO visits (case_id, visited_on, kind, sub_kind, outcome, worker, created_at, updated_at)"
                     " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", visit_rows)
    conn.executemany("INSERT INTO leaves (case_id, kind, left_on, days, created_at, updated_at)"
                     " VALUES (?, ?, ?, ?, ?, ?)", leave_rows)
    conn.executemany("INSERT INTO police_reports (case_id, reported_on, matter, created_at) VALUES (?, ?, ?, ?)",
                     report_rows)
    for _, sql in indexes:
        conn.execute(sql)
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return {"cases": len(case_rows), "drug_tests": len(test_rows), "visits": len(visit_rows),
            "leaves": len(leave_rows), "police_reports": len(report_rows)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--as-of", default="2026-11-28")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    args.path.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    counts = build(args.path, args.cases, date.fromisoformat(args.as_of), args.seed)
    print(f"{args.path}: {counts} in {time.perf_counter() - started:.1f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
