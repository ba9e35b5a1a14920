"""The demo database: synthetic people from data/demo_people.csv, with dates counted back
from the day the demo is built so that it always shows a living register. The same day gives
the same database."""

from __future__ import annotations

import csv
import random
import sqlite3
from datetime import date, timedelta

from jindu_cli.domain import cases, reference
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
    with atomic(conn):
        conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('demo', '1')")
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
        count += 1
    return count


def _play_scenario(conn, case: cases.Case, scenario: str, as_of: date, rng: random.Random) -> None:
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
