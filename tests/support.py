"""Helpers shared by the tests: valid ID numbers, running the CLI, reading the database."""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from pathlib import Path

from typer.testing import CliRunner

from jindu_cli.cli import app
from jindu_cli.cli.options import ROOT

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def make_id(born: date = date(1990, 1, 1), seq: int = 123, area: str = "520103") -> str:
    """A valid 18-character number, computed here independently of jindu's own code."""
    first = f"{area}{born:%Y%m%d}{seq:03d}"
    return first + "10X98765432"[sum(int(d) * w for d, w in zip(first, WEIGHTS)) % 11]


class Result:
    def __init__(self, raw):
        self.exit_code = raw.exit_code
        self.stdout = raw.stdout
        self.stderr = raw.stderr
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
