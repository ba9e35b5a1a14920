"""Surprise tests (突击检查): N people drawn with equal chance from those in execution.

Each person's place in the draw is SHA-256(seed, 身份证号): a fixed random order that anyone can
recompute from the seed, on any machine and Python version, and that does not depend on the
order of the register. The draw is recorded (date, seed, street, pool size, a digest of the
pool, who was drawn) and audited.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
from dataclasses import dataclass
from datetime import date

from jindu_cli.domain import audit, reference
from jindu_cli.domain.people import Case, load_cases
from jindu_cli.errors import InvalidInput
from jindu_cli.storage.db import atomic


MAX_SEED = 2**63 - 1  # the draw is recorded with its seed, in an SQLite integer (64 bits)


@dataclass
class Draw:
    id: int
    seed: int
    pool_size: int
    cases: list[Case]


def rank(seed: int, id_number: str) -> str:
    return hashlib.sha256(f"{seed}:{id_number}".encode()).hexdigest()


def pool_digest(pool: list[Case]) -> str:
    return hashlib.sha256(",".join(sorted(c.id_number for c in pool)).encode()).hexdigest()


def draw(conn: sqlite3.Connection, count: int, as_of: date, operator: str, street: str | None = None,
         seed: int | None = None) -> Draw:
    if count < 1:
        raise InvalidInput("--count", "至少抽取 1 人")
    if seed is not None and not 0 <= seed <= MAX_SEED:
        raise InvalidInput("--seed", f"种子必须是 0 到 {MAX_SEED} 之间的整数")
    where, params = "c.status = 'active' AND c.reported_on <= ?", [as_of.isoformat()]
    name = None
    if street:
        name = reference.streets(conn).resolve(street)
        where += " AND c.street = ?"
        params.append(name)
    pool = load_cases(conn, where, params)
    if count > len(pool):
        raise InvalidInput("--count", f"{name or '全部街道'}在执行的只有 {len(pool)} 人，不能抽取 {count} 人")
    if seed is None:
        seed = secrets.randbelow(10**9)
    chosen = sorted(pool, key=lambda c: rank(seed, c.id_number))[:count]
    ids = [c.id for c in chosen]
    now = audit.utc_now()
    with atomic(conn):
        cur = conn.execute(
            "INSERT INTO draws (drawn_on, seed, street, pool_size, count, pool_digest, case_ids, operator, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [as_of.isoformat(), seed, name, len(pool), count, pool_digest(pool), json.dumps(ids), operator, now])
        audit.record(conn, operator, "draw", "draw", cur.lastrowid, None,
                     {"drawn_on": as_of.isoformat(), "seed": seed, "street": name, "pool_size": len(pool),
                      "cases": ids})
    return Draw(cur.lastrowid, seed, len(pool), chosen)


def list_draws(conn: sqlite3.Connection) -> list[dict]:
    return [{"draw_id": r[0], "drawn_on": r[1], "street": r[2], "pool_size": r[3], "count": r[4], "seed": r[5],
             "operator": r[6], "case_ids": json.loads(r[7])}
            for r in conn.execute("SELECT id, drawn_on, street, pool_size, count, seed, operator, case_ids"
                                  " FROM draws ORDER BY id DESC")]
