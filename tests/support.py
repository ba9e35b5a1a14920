"""Helpers shared by the tests: valid ID numbers, running the CLI, reading the database."""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import date, timedelta
from pathlib import Path

import typer.main
import typer.testing
from typer.testing import CliRunner

from jindu_cli.cli import app
from jindu_cli.cli.options import ROOT

# Typer rebuilds the whole command tree (about 70 ms) on every invoke; the tests invoke it hundreds
# of times, so they build it once. If Typer renames this internal, tests only get slower.
_COMMAND = typer.main.get_command(app)
typer.testing._get_command = lambda a: _COMMAND if a is app else typer.main.get_command(a)

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def make_id(born: date = date(1990, 1, 1), seq: int = 123, area: str = "520103") -> str:
    """A valid 18-character number, computed here independently of jindu's own code."""
    first = f"{area}{born:%Y%m%d}{seq:03d}"
    return first + "10X98765432"[sum(int(d) * w for d, w in zip(first, WEIGHTS)) % 11]


def id_ending(tail: str, born: date = date(1980, 1, 1), area: str = "520103") -> str:
    """A valid number whose last four are `tail`: its sequence number, and a birth date found for
    which the check digit comes out as the fourth."""
    for day in range(400):
        number = make_id(born + timedelta(days=day), int(tail[:3]), area)
        if number.endswith(tail):
            return number
    raise AssertionError(f"no birth date within 400 days of {born} gives the check digit {tail[3]}")


STAMP = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d ", re.M)


class Result:
    """A command's exit code and output. `stderr` is the messages without the date and time each
    line carries off a terminal (`stderr_stamped` keeps them)."""

    def __init__(self, raw):
        self.exit_code = raw.exit_code
        self.stdout = raw.stdout
        self.stdout_bytes = raw.stdout_bytes
        self.stderr_stamped = raw.stderr
        self.stderr = STAMP.sub("", raw.stderr)
        self.exception = raw.exception

    def json(self):
        return json.loads(self.stdout)

    def __repr__(self):
        return f"<Result exit={self.exit_code} stdout={self.stdout[:500]!r} stderr={self.stderr[:500]!r}>"


def run(*args: str, env: dict | None = None) -> Result:
    ROOT.clear()
    raw = CliRunner().invoke(app, [str(a) for a in args], env=env, catch_exceptions=True)
    return Result(raw)


def ok(*args: str, env: dict | None = None) -> Result:
    res = run(*args, env=env)
    assert res.exit_code == 0, res
    return res


def rows(db: Path, sql: str, params=()) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def add_case(**fields) -> int:
    """Register a case through the CLI; returns its id. Defaults make a reported 社区戒毒 case."""
    values = {
        "id": make_id(),
        "name": "张伟",
        "street": "盐务街街道",
        "measure": "社区戒毒",
        "received-on": "2025-01-02",
        "reported-on": "2025-01-10",
        "as-of": "2026-11-28",
    }
    values.update({k.replace("_", "-"): v for k, v in fields.items()})
    args = ["case", "add"]
    for key, value in values.items():
        if value is None:
            continue
        if isinstance(value, list):
            for v in value:
                args += [f"--{key}", v]
        else:
            args += [f"--{key}", value]
    res = ok(*args)
    return int(res.stdout.strip())


def random_district(path: Path, seed: int, cases: int = 150, as_of: date = date(2026, 11, 28)) -> None:
    """A small register with random histories, written straight into the schema: for tests that
    compare two ways of computing the same thing over many shapes of history."""
    import random
    from datetime import timedelta

    from jindu_cli.domain.dates import add_months
    from jindu_cli.storage.db import open_db

    rng = random.Random(seed)
    conn = open_db(path)
    conn.execute("BEGIN")
    streets = ["盐务街街道", "头桥街道", "黔灵镇"]
    for cid in range(1, cases + 1):
        measure = rng.choice(["community_treatment", "community_rehab"])
        months = 36 if measure == "community_treatment" else rng.choice([24, 36, 12])
        reported = as_of - timedelta(days=rng.randrange(0, 5 * 365))
        received = reported - timedelta(days=rng.randrange(0, 20))
        status = "active"
        end = add_months(reported, months) - timedelta(days=1)
        pending = rng.random() < 0.1
        if pending:
            status, reported, received = "pending", None, as_of - timedelta(days=rng.randrange(0, 40))
        elif end < as_of and rng.random() < 0.7:
            status = "released"
        conn.execute(
            "INSERT INTO cases (id, id_number, name, street, measure, term_months, received_on, reported_on,"
            " agreement_on, status, risk_level, worker, test_every, term_end_override, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', '')",
            [cid, make_id(date(1980, 1, 1) + timedelta(days=cid), seq=cid % 1000), f"人{cid}", rng.choice(streets),
             measure, months, received.isoformat(), reported.isoformat() if reported else None,
             reported.isoformat() if reported and rng.random() < 0.8 else None, status,
             rng.choice(["high", "medium", "low"]), rng.choice(["甲", "乙"]),
             rng.choice([None] * 8 + ["1m", "15d"]),
             (end + timedelta(days=rng.randrange(-60, 60))).isoformat() if reported and rng.random() < 0.05 else None])
        if reported is None:
            continue
        conn.execute("INSERT INTO status_changes (case_id, previous_status, status, changed_on, created_at)"
                     " VALUES (?, NULL, 'active', ?, '')", [cid, reported.isoformat()])
        stop = min(as_of, end)
        if rng.random() < 0.15 and (stop - reported).days > 40:
            s = reported + timedelta(days=rng.randrange(1, (stop - reported).days - 20))
            e = s + timedelta(days=rng.randrange(1, 20))
            conn.execute("INSERT INTO status_changes (case_id, previous_status, status, changed_on, created_at)"
                         " VALUES (?, 'active', 'suspended', ?, '')", [cid, s.isoformat()])
            if e <= as_of and rng.random() < 0.8:
                conn.execute("INSERT INTO status_changes (case_id, previous_status, status, changed_on, created_at)"
                             " VALUES (?, 'suspended', 'active', ?, '')", [cid, e.isoformat()])
            else:
                conn.execute("UPDATE cases SET status = 'suspended' WHERE id = ?", [cid])
        if status == "released":
            conn.execute("INSERT INTO status_changes (case_id, previous_status, status, changed_on, created_at)"
                         " VALUES (?, 'active', 'released', ?, '')", [cid, min(as_of, end + timedelta(days=5)).isoformat()])
        span = max(1, (stop - reported).days)
        for _ in range(rng.randrange(0, 25)):
            day = reported + timedelta(days=rng.randrange(0, span + 1))
            result = rng.choices(["negative", "positive", "refused", "evaded", "invalid"], [20, 2, 2, 1, 1])[0]
            conn.execute("INSERT OR IGNORE INTO drug_tests (case_id, tested_on, specimen, method, result, created_at, updated_at)"
                         " VALUES (?, ?, ?, 'field', ?, '', '')",
                         [cid, day.isoformat(), rng.choice(["urine", "urine", "urine", "hair"]), result])
        for _ in range(rng.randrange(0, 25)):
            day = reported + timedelta(days=rng.randrange(0, span + 1))
            kind = rng.choice(["talk", "home_visit", "phone", "help", "assessment"])
            outcome = rng.choice(["seen", "seen", "seen", "not_seen", "refused"])
            if kind == "phone":  # a call has the outcomes of a call (§9.6)
                outcome = {"seen": "reached", "not_seen": "unreached"}.get(outcome, outcome)
            conn.execute("INSERT OR IGNORE INTO visits (case_id, visited_on, kind, outcome, created_at, updated_at)"
                         " VALUES (?, ?, ?, ?, '', '')", [cid, day.isoformat(), kind, outcome])
        if rng.random() < 0.1:
            day = reported + timedelta(days=rng.randrange(0, span + 1))
            conn.execute("INSERT INTO leaves (case_id, kind, left_on, days, created_at, updated_at)"
                         " VALUES (?, 'unreported', ?, ?, '', '')", [cid, day.isoformat(), rng.randrange(1, 40)])
        if rng.random() < 0.1:
            day = reported + timedelta(days=rng.randrange(0, span + 1))
            conn.execute("INSERT INTO police_reports (case_id, reported_on, created_at) VALUES (?, ?, '')",
                         [cid, day.isoformat()])
    conn.execute("COMMIT")
    conn.close()
