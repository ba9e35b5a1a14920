"""The audit trail: one row per write and per reveal, chained by SHA-256 so that a row edited
or removed by hand (for example with the sqlite3 shell) is found by `jindu audit verify`.

Each row's hash covers its own content and the previous row's hash. Rows cut from the end, a
trail emptied, or one rewritten from some row to the end with recomputed hashes cannot be told
from the real one by the database alone: the chain's head (its last row's number and hash) is
also kept in a file beside the database (storage/head.py), and `verify` holds the trail to it. The
head is printed too (audit verify, the reports, each backup's manifest) so that it can be kept
elsewhere.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from jindu_cli.storage.head import GENESIS, Head, UnreadableHead, chain_end, read_for


def utc_now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _digest(row_id, at, operator, action, entity, entity_id, case_id, changes, prev_hash) -> str:
    payload = json.dumps(
        [row_id, at, operator, action, entity, entity_id, case_id, changes, prev_hash],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def record(
    conn: sqlite3.Connection,
    operator: str,
    action: str,
    entity: str,
    entity_id: int | None,
    case_id: int | None,
    changes: dict,
) -> int:
    """Append one audit row. Call inside the write transaction of the change it records."""
    assert conn.in_transaction, "audit rows are written in the transaction of their change"
    last = conn.execute("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
    seq = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'audit_log'").fetchone()
    row_id = max(last[0] if last else 0, seq[0] if seq else 0) + 1
    prev_hash = last[1] if last else GENESIS
    at = utc_now()
    text = json.dumps(_jsonable(changes), ensure_ascii=False, sort_keys=True)
    digest = _digest(row_id, at, operator, action, entity, entity_id, case_id, text, prev_hash)
    conn.execute(
        "INSERT INTO audit_log (id, at, operator, action, entity, entity_id, case_id, changes,"
        " prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (row_id, at, operator, action, entity, entity_id, case_id, text, prev_hash, digest),
    )
    return row_id


@dataclass
class Verdict:
    ok: bool
    rows: int
    head: str
    problem: str | None = None
    bad_id: int | None = None
    kept_at: Path | None = None  # the head file
    kept: Head | None = None  # what it said when the trail was read


def verify(conn: sqlite3.Connection) -> Verdict:
    """Walk the chain from the first row; name the first row that was altered or removed. Then
    hold the trail to the head kept beside the database: rows it counted that are gone, or a row
    that is not the one it names, are found; a head behind the trail is not a fault (the chain
    vouches for the rows after it)."""
    from jindu_cli.storage.db import snapshot

    # The head file first, the database after: the file never runs ahead of what was committed
    # when it was read, and the trail read after holds at least that.
    try:
        kept_at, kept = read_for(conn)
        unreadable = None
    except UnreadableHead as exc:
        kept_at, kept, unreadable = None, None, exc.message
    if conn.in_transaction:
        verdict = _walk(conn, kept)
    else:
        with snapshot(conn):
            verdict = _walk(conn, kept)
    verdict.kept_at, verdict.kept = kept_at, kept
    if verdict.ok and unreadable:
        verdict.ok, verdict.problem = False, f"{unreadable}，无法与审计链比对"
    return verdict


def _walk(conn: sqlite3.Connection, kept: Head | None) -> Verdict:
    expected_prev = GENESIS
    prev_id = 0
    count = 0
    at_kept = GENESIS  # the hash of the row the head file names
    cur = conn.execute(
        "SELECT id, at, operator, action, entity, entity_id, case_id, changes, prev_hash, hash"
        " FROM audit_log ORDER BY id"
    )
    for row in cur:
        row_id, at, operator, action, entity, entity_id, case_id, changes, prev_hash, digest = row
        count += 1
        if row_id != prev_id + 1:
            gap = f"第 {prev_id + 1} 条" if row_id == prev_id + 2 else f"第 {prev_id + 1}-{row_id - 1} 条"
            return Verdict(False, count, expected_prev, f"审计记录{gap}被删除", prev_id + 1)
        if _digest(row_id, at, operator, action, entity, entity_id, case_id, changes, prev_hash) != digest:
            return Verdict(False, count, expected_prev, f"第 {row_id} 条审计记录的内容被改动过", row_id)
        if prev_hash != expected_prev:
            return Verdict(
                False, count, expected_prev,
                f"第 {row_id} 条审计记录与前一条接不上：第 {prev_id} 条被改动过或被替换", prev_id or row_id,
            )
        expected_prev = digest
        prev_id = row_id
        if kept is not None and row_id == kept.rows:
            at_kept = digest
    seq = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'audit_log'").fetchone()
    if seq and seq[0] > prev_id:
        gap = f"第 {prev_id + 1} 条" if seq[0] == prev_id + 1 else f"第 {prev_id + 1}-{seq[0]} 条"
        return Verdict(False, count, expected_prev, f"最后的审计记录（{gap}）被删除", prev_id + 1)
    if kept is not None and kept.rows > prev_id:
        gap = f"第 {prev_id + 1} 条" if kept.rows == prev_id + 1 else f"第 {prev_id + 1}-{kept.rows} 条"
        if prev_id == 0:
            problem = (f"链头文件记着审计链有 {kept.rows} 条记录，数据库里却一条也没有："
                       "审计记录被清空，或者数据库被换成了新的")
        else:
            problem = f"链头文件记着审计链到第 {kept.rows} 条，数据库里只到第 {prev_id} 条：最后的审计记录（{gap}）被删除"
        return Verdict(False, count, expected_prev, problem, prev_id + 1)
    if kept is not None and at_kept != kept.hash:
        return Verdict(False, count, expected_prev,
                       f"第 {kept.rows} 条审计记录不是链头文件记下的那一条（哈希不同）：审计链被改写过", kept.rows)
    return Verdict(True, count, expected_prev)


def chain_head(conn: sqlite3.Connection) -> Head:
    """The trail's last row and its hash, as the database has it now (for the reports' footers)."""
    return chain_end(conn)


def entries(conn: sqlite3.Connection, case_id: int | None = None, limit: int | None = None) -> list[dict]:
    where, params = "", []
    if case_id is not None:
        # a reveal of a whole list names its cases inside `changes`
        where = (" WHERE case_id = ? OR (action = 'reveal' AND EXISTS"
                 " (SELECT 1 FROM json_each(changes, '$.cases') WHERE value = ?))")
        params = [case_id, case_id]
    sql = ("SELECT id, at, operator, action, entity, entity_id, case_id, changes FROM audit_log"
           + where + " ORDER BY id DESC")
    if limit:
        sql += " LIMIT ?"
        params.append(limit)
    out = []
    for row in conn.execute(sql, params):
        out.append({
            "audit_id": row[0], "at": row[1], "operator": row[2], "action": row[3],
            "entity": row[4], "entity_id": row[5], "case_id": row[6], "changes": json.loads(row[7]),
        })
    return out
