"""The audit chain's head kept outside the database: how far the trail went (the number of its last
row) and that row's hash, in a small JSON file beside the database (`jindu.db.head`, mode 0600).

The chain in the database shows a row edited or removed in the middle, but not rows cut from its
end, nor a trail emptied, with `sqlite_sequence` lowered to match: the head file does, since an
edit of the database alone does not reach it. Someone who rewrites both is not detected.

The file only ever holds a state the database has committed, so it can lag behind the database
(a kill between a commit and the head's write, or another writer in between; the chain vouches for
the rows past the head, and the next write catches up) but never run ahead of it, except when rows
were removed. To keep it so:
- it is written after the commit, by `catch_up`, which reads the trail's end while holding the
  write lock; so two processes never write it out of order, and each writes what is committed;
- it is written whole (a temporary file, flushed, renamed), so a kill leaves the old or the new;
- a reader reads the file before the database (see domain/audit.verify);
- a head the database contradicts is never overwritten: it is the evidence `audit verify` reports.
  Only a restore replaces it, with the head of what it restored.
"""

from __future__ import annotations

import json
import os
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from jindu_cli.errors import DatabaseError
from jindu_cli.storage.db import owner_only

GENESIS = "0" * 64  # the "previous hash" of the first row
SUFFIX = ".head"
LOCK_WAIT_MS = 250  # a writer busy for longer (an import) writes the head itself when it commits


@dataclass(frozen=True)
class Head:
    rows: int  # the number of the trail's last row (rows are numbered from 1 without gaps)
    hash: str  # that row's hash; GENESIS for an empty trail
    written_at: str | None = None

    def as_json(self) -> dict:
        return {"rows": self.rows, "last_hash": self.hash, "written_at": self.written_at}


class UnreadableHead(DatabaseError):
    """The head file is there but is not a head jindu wrote."""


def path_for(database: Path) -> Path:
    """The head file of a database (or the manifest of a backup): its name with `.head` added."""
    database = Path(database)
    return database.with_name(database.name + SUFFIX)


def database_file(conn: sqlite3.Connection) -> Path | None:
    files = {name: file for _, name, file in conn.execute("PRAGMA database_list")}
    return Path(files["main"]) if files.get("main") else None


def last_row(conn: sqlite3.Connection) -> int | None:
    """The number of the trail's last row (0 when empty); None before the trail's table exists."""
    try:
        return conn.execute("SELECT coalesce(max(id), 0) FROM audit_log").fetchone()[0]
    except sqlite3.OperationalError:
        return None


def chain_end(conn: sqlite3.Connection) -> Head:
    """The head of the trail as the database has it now."""
    try:
        row = conn.execute("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
    except sqlite3.OperationalError:  # a database from before the trail
        row = None
    return Head(row[0], row[1]) if row else Head(0, GENESIS)


def read(path: Path) -> Head | None:
    """The head kept in `path`; None when there is no such file."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise UnreadableHead(f"链头文件 {path} 无法读取（{getattr(exc, 'strerror', None) or exc}）") from None
    try:
        data = json.loads(text)
        rows, digest = data["rows"], data["last_hash"]
        valid = (type(rows) is int and rows >= 0 and isinstance(digest, str) and len(digest) == 64
                 and all(c in "0123456789abcdef" for c in digest) and (rows > 0 or digest == GENESIS))
    except (ValueError, TypeError, KeyError):
        valid = False
    if not valid:
        raise UnreadableHead(f"链头文件 {path} 不是 jindu 写的链头（内容不对）")
    at = data.get("written_at")
    try:
        datetime.fromisoformat(at.replace("Z", "+00:00"))
    except (AttributeError, ValueError):
        at = None  # (a time is only shown, never relied on)
    return Head(rows, digest, at)


def read_for(conn: sqlite3.Connection) -> tuple[Path | None, Head | None]:
    """The head file of `conn`'s database and what it holds (None, None for a database in memory)."""
    path = database_file(conn)
    if path is None:
        return None, None
    target = path_for(path)
    return target, read(target)


def write(path: Path, head: Head) -> None:
    """Write the head file whole: a private temporary file beside it, flushed to disk, renamed.
    The temporary file has one name (its writers take turns under the write lock), so a kill
    leaves at most one behind, which the next write reuses."""
    path = Path(path)
    stamped = Head(head.rows, head.hash, datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ"))
    data = (json.dumps(stamped.as_json(), ensure_ascii=False) + "\n").encode("utf-8")
    tmp = path.with_name(f".{path.name}.tmp")
    # (O_BINARY: Windows opens a file in text mode, which writes \r\n for \n, unless told)
    flags = os.O_CREAT | os.O_TRUNC | os.O_WRONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(tmp, flags, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        owner_only(tmp)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _sync_folder(path.parent)


def _sync_folder(folder: Path) -> None:
    """The rename itself on disk (POSIX); elsewhere the folder cannot be opened, and is left."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def agrees(conn: sqlite3.Connection, head: Head) -> bool:
    """Whether the database holds the row `head` names, with the hash it names (its trail went
    through that head)."""
    if head.rows == 0:
        return True
    try:
        row = conn.execute("SELECT hash FROM audit_log WHERE id = ?", [head.rows]).fetchone()
    except sqlite3.OperationalError:
        return False
    return row is not None and row[0] == head.hash


def catch_up(conn: sqlite3.Connection) -> None:
    """After a commit that added audit rows: bring the head file up to the trail's end, unless the
    file says something the database contradicts. Whatever stops it (another writer holding the
    lock, a full disk, a read-only folder) leaves the file behind the database: no harm, the next
    write catches up. Never raises for that: the change itself is committed."""
    path = database_file(conn)
    if path is None or conn.in_transaction:
        return
    (before,) = conn.execute("PRAGMA busy_timeout").fetchone()
    try:
        conn.execute(f"PRAGMA busy_timeout = {min(LOCK_WAIT_MS, before)}")
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.Error:
        return
    finally:
        conn.execute(f"PRAGMA busy_timeout = {before}")
    try:
        target = path_for(path)
        end = chain_end(conn)
        try:
            kept = read(target)
        except UnreadableHead:
            return
        if kept is not None and (kept.rows >= end.rows or not agrees(conn, kept)):
            return
        write(target, end)
    except (OSError, sqlite3.Error):
        return
    finally:
        if conn.in_transaction:
            conn.execute("ROLLBACK")  # (it wrote nothing to the database)


def reset(conn: sqlite3.Connection, database: Path) -> Head:
    """Make the head file say what the database at `database` (open on `conn`) holds now, whatever
    it said before: for a restore, which puts an earlier state in place on purpose."""
    try:
        conn.execute("BEGIN IMMEDIATE")
        end = chain_end(conn)
        write(path_for(database), end)
        return end
    finally:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
