"""The demo database: synthetic people from data/demo_people.csv, with dates counted back
from the day the demo is built so that it always shows a living register. The same day gives
the same database."""

from __future__ import annotations

import csv
import random
import sqlite3
from datetime import date, timedelta

from jindu_cli.domain import cases, reference
from jindu_cli.domain.people import Case, get_case
from jindu_cli.storage.db import atomic

OPERATOR = "demo"


def is_demo(conn: sqlite3.Connection) -> bool:
    row = conn.execute("SELECT value FROM meta WHERE key = 'demo'").fetchone()
    return bool(row and row[0] == "1")


def people() -> list[dict]:
    path = reference.packaged_data_dir() / "demo_people.csv"
    with open(path, encoding="utf-8", newline="") as fh:
        lines = (line for line in fh if not line.startswith("#"))
        return list(csv.DictReader(lines))


def build(conn: sqlite3.Connection, as_of: date) -> int:
    """All in one transaction: the demo appears whole or not at all."""
    with atomic(conn):
        conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('demo', '1')")
        return _build(conn, as_of)


def _build(conn: sqlite3.Connection, as_of: date) -> int:
    count = 0
    for person in people():
        rng = random.Random(person["id_number"])
        raw = {k: person[k] for k in ("name", "id_number", "phone", "street", "community", "measure",
                                      "term_months", "risk_level", "drugs", "worker",
                                      "household_address", "residence_address")}
        received = as_of - timedelta(days=int(person["received_days_ago"]))
        raw["received_on"] = received
        raw["decided_on"] = received - timedelta(days=rng.randint(1, 4))
        raw["decision_authority"] = "贵阳市公安局云岩分局"
        raw["decision_number"] = f"筑公云（禁）决字〔{raw['decided_on'].year}〕{rng.randint(100, 999)}号"
        if person["reported_days_ago"]:
            reported = as_of - timedelta(days=int(person["reported_days_ago"]))
            raw["reported_on"] = reported
            if rng.random() < 0.85:
                raw["agreement_on"] = reported + timedelta(days=rng.choice([0, 0, 0, 1, 3]))
        case = cases.add_case(conn, raw, as_of, OPERATOR)
        _play_scenario(conn, case, person["scenario"], as_of, rng)
        if case.reported_on:
            _history(conn, get_case(conn, case.id), as_of, rng)
        count += 1
    _month_work(conn, as_of, random.Random(as_of.toordinal()))
    return count


def _month_work(conn, as_of: date, rng: random.Random) -> None:
    """A year of each street's 禁毒宣传 and 入户调查, and a screening of drivers or of the staff of
    entertainment venues most months, for the report's sections and charts on them."""
    from jindu_cli.domain import activities, screenings

    # (each held where the street's people are, by one of their workers: no column of its own in the
    # report by community or by worker)
    places = conn.execute("SELECT DISTINCT street, community, worker FROM cases ORDER BY 1, 2, 3").fetchall()
    publicity = ["进校园", "进社区", "广场宣传", "宣传栏", "知识问答", "进企业"]
    for back in range(365, 0, -rng.randint(20, 40)):
        day = as_of - timedelta(days=back)
        street, community, worker = rng.choice(places)
        kind = "国际禁毒日" if (day.month, day.day) >= (6, 20) and day.month == 6 else rng.choice(publicity)
        raw = {"held_on": day, "street": street, "community": community, "worker": worker, "kind": kind,
               "materials": rng.randint(50, 400)}
        if kind != "宣传栏":
            raw.update(participants=rng.randint(40, 300), audience="学生" if kind == "进校园" else "居民")
        activities.add_activity(conn, raw, as_of, OPERATOR)
        street, community, worker = rng.choice(places)
        activities.add_activity(conn, {"held_on": min(as_of, day + timedelta(days=3)), "street": street,
                                       "community": community, "worker": worker, "kind": "入户调查",
                                       "households": rng.randint(10, 60), "clues": rng.choice([0, 0, 0, 1])},
                                as_of, OPERATOR)
        if rng.random() < 0.7:
            screenings.add_screening(conn, {"screened_on": min(as_of, day + timedelta(days=5)), "street": street,
                                            "community": community, "worker": worker,
                                            "screened_group": rng.choice(["驾驶员", "娱乐场所从业人员"]),
                                            "specimen": "毛发", "tested": rng.randint(30, 150),
                                            "positives": rng.choice([0, 0, 0, 1])}, as_of, OPERATOR)


def _history(conn, case: Case, as_of: date, rng: random.Random) -> None:
    """Tests and visits on the cadence of the rules, with the lapses real offices have: some
    people are overdue, a few tested positive or refused, one left the county unreported."""
    from jindu_cli.domain import leaves, rules

    ruleset = rules.load_rules(conn)
    end = min(as_of, case.closed_on or as_of, case.term_end(as_of))
    for start, _ in case.suspensions:
        end = min(end, start - timedelta(days=1))
    diligent = rng.random() > 0.25  # a quarter of the people have been let slip lately
    stop = end if diligent else end - timedelta(days=rng.randint(35, 80))
    troubled = rng.random() < 0.15
    _urine_tests(conn, case, ruleset, stop, troubled, as_of, rng)
    _hair_tests(conn, case, stop, as_of, rng)
    _visits(conn, case, stop, as_of, rng)
    if troubled and (stop - case.reported_on).days > 60:
        left = case.reported_on + timedelta(days=rng.randint(20, (stop - case.reported_on).days - 10))
        leaves.add_leave(conn, case, {"kind": "擅离", "left_on": left, "days": rng.randint(3, 12)}, as_of, OPERATOR)


def _urine_tests(conn, case: Case, ruleset, stop: date, troubled: bool, as_of: date, rng: random.Random) -> None:
    from jindu_cli.domain import drug_tests, flags
    from jindu_cli.domain.clocks import term_year

    variant = ruleset.urine[ruleset.urine_variant(case.measure, case.term_months)]["intervals"]
    day = case.reported_on
    while True:
        interval = variant[min(term_year(case, day), len(variant)) - 1]
        day = interval.add(day) + timedelta(days=rng.randint(-4, 3))
        if day > stop:
            return
        result = "阴性"
        if troubled and rng.random() < 0.3:
            result = rng.choice(["阳性", "拒检", "逃检"])
        raw = {"tested_on": day, "specimen": "尿液", "result": result, "tester": case.worker}
        if result == "阳性":
            raw["substances"] = case.drugs[:1]
        drug_tests.add_drug_test(conn, case, raw, as_of, OPERATOR)
        if result == "阳性" and rng.random() < 0.7:
            flags.add_police_report(conn, case, day + timedelta(days=1) if day < as_of else day, as_of, OPERATOR)


def _hair_tests(conn, case: Case, stop: date, as_of: date, rng: random.Random) -> None:
    from jindu_cli.domain import drug_tests

    day = case.reported_on
    while True:
        day += timedelta(days=rng.randint(170, 190))
        if day > stop:
            return
        drug_tests.add_drug_test(conn, case, {"tested_on": day, "specimen": "毛发", "method": "实验室检测",
                                              "result": "阴性"}, as_of, OPERATOR)


def _visits(conn, case: Case, stop: date, as_of: date, rng: random.Random) -> None:
    from jindu_cli.domain import visits

    day, n = case.reported_on, 0
    while True:
        day += timedelta(days=rng.randint(20, 33) if case.risk_level != "high" else rng.randint(10, 16))
        if day > stop:
            return
        n += 1
        kind = "入户走访" if n % 3 == 0 else "评估" if n % 6 == 5 else rng.choice(["谈话", "谈话", "帮扶"])
        outcome = "见到本人" if rng.random() < 0.92 else "未见到本人"
        raw = {"visited_on": day, "kind": kind, "outcome": outcome}
        if kind == "帮扶":
            raw["sub_kind"] = rng.choice(["就业", "心理", "救助"])
        if kind == "评估":
            raw["sub_kind"] = "年度评估" if n % 12 == 11 else "半年小结"
        visits.add_visit(conn, case, raw, as_of, OPERATOR)


def _play_scenario(conn, case: Case, scenario: str, as_of: date, rng: random.Random) -> None:
    change = None
    if scenario == "suspended":
        days_in = (as_of - case.reported_on).days
        start = as_of - timedelta(days=rng.randint(3, max(4, min(60, days_in - 1))))
        change = cases.StatusChange("suspended", start, "拘留")
    elif scenario == "released":
        end = case.term_end(as_of)
        change = cases.StatusChange("released", min(as_of, end + timedelta(days=rng.randint(3, 20))), None)
    elif scenario == "terminated":
        change = cases.StatusChange("terminated", as_of - timedelta(days=rng.randint(10, 90)), "强制隔离戒毒")
    elif scenario == "deceased":
        change = cases.StatusChange("deceased", as_of - timedelta(days=rng.randint(5, 60)), "病故")
    if change is not None:
        cases.update_case(conn, case, {}, as_of, OPERATOR, change)
