"""The import log: every file (or sheet of a workbook) imported, newest first, with its counts."""

from __future__ import annotations

import sqlite3

KEYS = ["import_id", "imported_at", "operator", "kind", "file", "folder", "sheet", "sha256", "encoding", "rows",
        "inserted", "updated", "unchanged", "rejected"]


def import_log(conn: sqlite3.Connection, limit: int | None = None) -> list[dict]:
    """The imports, newest first (the `limit` newest): the keys of KEYS (`folder`: where the file was
    read from, None for a file imported before jindu kept it)."""
    sql = ("SELECT id, imported_at, operator, kind, file_name, folder, sheet, sha256, encoding, rows_read, inserted, updated,"
           " unchanged, rejected FROM import_files ORDER BY id DESC")
    params: list = []
    if limit:
        sql += " LIMIT ?"
        params.append(int(limit))
    return [dict(zip(KEYS, r)) for r in conn.execute(sql, params)]
