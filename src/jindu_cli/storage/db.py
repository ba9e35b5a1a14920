"""The only code that opens SQLite connections or knows PRAGMAs.

Connections run in autocommit mode (isolation_level=None); writes go through `atomic()`,
which takes the write lock up front (BEGIN IMMEDIATE) so two writers never deadlock on a
lock upgrade: the second waits for the busy timeout, then fails with a clear message.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from jindu_cli.errors import DatabaseError

if TYPE_CHECKING:
    from jindu_cli.storage.head import Head

ENV_DB = "JINDU_DB"
ENV_BUSY_MS = "JINDU_BUSY_TIMEOUT_MS"
DEFAULT_BUSY_MS = 5000
SQLITE_HEADER = b"SQLite format 3\x00"


@dataclass(frozen=True)
class DbLocation:
    path: Path
    source: str  # "--db", "JINDU_DB" or "default"


def default_data_dir() -> Path:
    """The per-user folder that holds the database when neither --db nor JINDU_DB is given."""
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / "jindu"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "jindu"
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "jindu"


def resolve_db_path(cli_value: str | os.PathLike | None) -> DbLocation:
    if cli_value:
        return DbLocation(Path(cli_value).expanduser(), "--db")
    env = os.environ.get(ENV_DB)
    if env:
        return DbLocation(Path(env).expanduser(), ENV_DB)
    return DbLocation(default_data_dir() / "jindu.db", "default")


def _busy_ms() -> int:
    try:
        return max(0, int(os.environ.get(ENV_BUSY_MS, DEFAULT_BUSY_MS)))
    except ValueError:
        return DEFAULT_BUSY_MS


def owner_only(path: Path | str, mode: int = 0o600) -> None:
    """Make a file (0600) or a folder (0700) its owner's only, where the file system keeps modes.
    Windows keeps only a read-only flag (a file there has its folder's permissions: under the
    user's profile, the user's), and a FAT or network drive may refuse: neither is a reason not to
    write the file."""
    import errno

    try:
        os.chmod(path, mode)
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.EACCES, errno.ENOTSUP, errno.EOPNOTSUPP):
            raise


def make_private_dir(folder: Path) -> None:
    """Make `folder` if it is missing, with every missing folder above it, each 0700 (owner only,
    as the XDG rule has it for folders made for data). `mkdir(parents=True, mode=0o700)` gives that
    mode to the last folder only, the others the umask's (0755): the data folder came out open to
    everyone when a crash report made it, with its crash/ folder, and so did ~/.local/share when it
    was missing. Folders already there are left as they are."""
    folder = Path(folder)
    missing = []
    while not folder.exists() and folder.parent != folder:
        missing.append(folder)
        folder = folder.parent
    for made in reversed(missing):
        try:
            os.mkdir(made, 0o700)
        except FileExistsError:  # another process made it meanwhile
            if not made.is_dir():
                raise
            continue
        owner_only(made, 0o700)  # (mkdir's mode is cut by the umask)


def create_private_file(path: Path) -> None:
    """Create an empty file readable by its owner only (0600); its folders 0700 if we make them."""
    make_private_dir(path.parent)
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    os.close(fd)


def _check_is_sqlite(path: Path) -> None:
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
    except IsADirectoryError:
        raise DatabaseError(f"数据库路径是一个文件夹，不是文件：{path}") from None
    except PermissionError:
        raise DatabaseError(f"没有权限读取数据库文件：{path}") from None
    if head and head != SQLITE_HEADER:
        raise DatabaseError(f"{path} 不是 SQLite 数据库文件，jindu 不会改动它；"
                            f"如果它原是 jindu 的数据库，那它已损坏：{restore_hint(path)}")


def restore_hint(path: Path | None) -> str:
    """The command that brings a damaged database back, naming the newest backup beside it if any."""
    newest = None
    if path is not None:
        try:
            found = [p for p in (Path(path).parent / "backups").glob("*.db") if p.is_file()]
            newest = max(found, key=lambda p: (p.stat().st_mtime_ns, p.name)) if found else None
        except OSError:
            pass
    return f"请用 jindu db restore {newest or '备份文件'} 从备份恢复"


def _refuse_where_records_stood(path: Path, state: str) -> None:
    """A missing or empty file where the head file says a trail of audit rows stood is a database
    lost or damaged, not a new one: no command builds an empty register in its place."""
    from jindu_cli.storage import head

    kept_at = head.path_for(path)
    undo = f"确认要从头建一个新数据库时，先删除 {kept_at}"
    try:
        kept = head.read(kept_at)
    except head.UnreadableHead as exc:
        raise DatabaseError(f"数据库文件 {path} {state}，而{exc.message}：不能断定这里原来没有数据，"
                            f"jindu 不会在这里新建登记表。{restore_hint(path)}；{undo}") from None
    if kept is not None and kept.rows > 0:
        raise DatabaseError(f"数据库文件 {path} {state}，但链头文件记着它有 {kept.rows} 条审计记录：文件已损坏或丢失，"
                            f"jindu 不会在它的位置新建一个空的登记表。{restore_hint(path)}；{undo}")


def connect(path: Path, readonly: bool = False) -> sqlite3.Connection:
    """A connection with jindu's settings."""
    busy = _busy_ms()
    if readonly:
        uri = path.resolve().as_uri() + "?mode=ro"
        conn = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=busy / 1000)
    else:
        conn = sqlite3.connect(str(path), isolation_level=None, timeout=busy / 1000)
    conn.execute(f"PRAGMA busy_timeout = {busy}")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def open_db(path: Path, readonly: bool = False, create: bool = True) -> sqlite3.Connection:
    """Open the jindu database at `path`, creating it (mode 0600) and applying migrations.

    A file written by a newer jindu, or a SQLite file that is not jindu's, is refused and
    left untouched.
    """
    from jindu_cli.storage import migrations

    path = Path(path)
    if not path.exists():
        if readonly or not create:
            raise DatabaseError(f"数据库文件不存在：{path}")
        _refuse_where_records_stood(path, "不存在")
        try:
            create_private_file(path)
        except FileExistsError:
            pass  # another process created it between our check and now
        except OSError as exc:
            raise DatabaseError(f"无法创建数据库文件 {path}：{exc.strerror}") from None
    elif path.is_file() and path.stat().st_size == 0:
        _refuse_where_records_stood(path, "是空的（0 字节）")
    _check_is_sqlite(path)
    try:
        conn = connect(path, readonly=readonly)
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise translate_sqlite_error(exc, path) from None
    known = len(migrations.STEPS)
    if version == known:
        return conn
    try:
        if version > known:
            raise DatabaseError(newer_schema_message(conn, path))
        if version == 0 and _has_foreign_tables(conn):
            raise DatabaseError(f"{path} 不是 jindu 的数据库（里面已有别的表），jindu 不会改动它")
        if readonly:
            raise DatabaseError(f"数据库 {path} 需要升级，但以只读方式打开：请先用可写方式运行一次 jindu")
        migrate(conn)
    except BaseException:
        conn.close()
        raise
    return conn


def migrate(conn: sqlite3.Connection) -> None:
    """Apply pending steps in one write transaction, so two processes never migrate at once."""
    from sqlite_utils import Database, Migrations

    from jindu_cli.storage.migrations import STEPS, names

    # The journal mode cannot change inside a transaction, and it persists in the file.
    if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
        conn.execute("PRAGMA journal_mode = WAL")
    db = Database(conn, execute_plugins=False)
    steps = Migrations("jindu")
    for fn in STEPS:
        steps()(fn)
    with atomic(conn):
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        unknown = [n for n in applied_migration_names(conn) if n not in names()]
        if version > len(STEPS) or unknown:
            raise DatabaseError(newer_schema_message(conn, "当前数据库"))
        steps.apply(db)
        conn.execute(f"PRAGMA user_version = {len(STEPS)}")


def _has_foreign_tables(conn: sqlite3.Connection) -> bool:
    rows = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    ).fetchall()
    names = {r[0] for r in rows}
    return bool(names - {"_sqlite_migrations"})


def newer_schema_message(conn: sqlite3.Connection, path: Path) -> str:
    from jindu_cli.storage import migrations

    unknown = [n for n in applied_migration_names(conn) if n not in migrations.names()]
    detail = f"（未知的迁移：{', '.join(unknown)}）" if unknown else ""
    return (
        f"数据库 {path} 由更新版本的 jindu 写入{detail}。"
        "这个版本不认识它的结构，为免损坏不会改动它：请先升级 jindu（pip install -U jindu）。"
    )


def applied_migration_names(conn: sqlite3.Connection) -> list[str]:
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_sqlite_migrations'"
    ).fetchone()
    if not exists:
        return []
    return [
        r[0]
        for r in conn.execute(
            "SELECT name FROM _sqlite_migrations WHERE migration_set = 'jindu' ORDER BY id"
        )
    ]


def set_cache_kib(conn: sqlite3.Connection, kib: int) -> None:
    """This connection's page cache, in KiB; SQLite also sizes its sorter (CREATE INDEX) by it."""
    conn.execute(f"PRAGMA cache_size = -{int(kib)}")


@contextlib.contextmanager
def atomic(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction; nested calls become savepoints. Rolls back on any exception.

    When the transaction added audit rows, the audit chain's head file is brought up to date
    after the commit (storage/head.py): here, so that no command can forget it."""
    from jindu_cli.storage import head

    if conn.in_transaction:
        conn.execute("SAVEPOINT jindu_nested")
        try:
            yield conn
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK TO SAVEPOINT jindu_nested")
                conn.execute("RELEASE SAVEPOINT jindu_nested")
            raise
        else:
            conn.execute("RELEASE SAVEPOINT jindu_nested")
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        before = head.last_row(conn)
        yield conn
        after = head.last_row(conn)
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    else:
        try:
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        if after and after != before:
            head.catch_up(conn)


@contextlib.contextmanager
def snapshot(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """A read transaction: every query inside sees the database as of one moment (WAL)."""
    conn.execute("BEGIN")
    try:
        yield conn
    finally:
        if conn.in_transaction:
            conn.execute("COMMIT")


def readable_beside(conn: sqlite3.Connection) -> Path | None:
    """The file of `conn`'s database when another connection can read it while `conn` writes
    (a file in WAL mode); None for a database in memory or in another journal mode."""
    files = {name: file for _, name, file in conn.execute("PRAGMA database_list")}
    if not files.get("main") or journal_mode(conn).lower() != "wal":
        return None
    return Path(files["main"])


def id_table(conn: sqlite3.Connection, ids, name: str = "ids") -> str:
    """Put `ids` (integers) in a temporary table of this connection named `name` (a constant of
    the caller's) and return SQL selecting them, for a query to join: a set of any size, where a
    list of parameters is limited."""
    conn.execute(f"CREATE TEMP TABLE IF NOT EXISTS {name} (id INTEGER PRIMARY KEY)")
    conn.execute(f"DELETE FROM temp.{name}")
    conn.executemany(f"INSERT OR IGNORE INTO temp.{name} (id) VALUES (?)", [(i,) for i in ids])
    return f"SELECT id FROM temp.{name}"


def translate_sqlite_error(exc: sqlite3.Error, path: Path | None = None) -> DatabaseError:
    """Turn what SQLite says into one line a clerk can act on."""
    text = str(exc).lower()
    where = f"（{path}）" if path else ""
    code = getattr(exc, "sqlite_errorname", "") or ""
    if "locked" in text or "busy" in text or code.startswith("SQLITE_BUSY"):
        return DatabaseError(f"数据库正忙：另一个程序正在写入{where}。什么也没有写入，请稍后再试")
    if "full" in text or code == "SQLITE_FULL":
        return DatabaseError(f"磁盘已满，写入没有完成{where}；数据库保持原样。请腾出磁盘空间后再试")
    if "readonly" in text or "read-only" in text or code.startswith("SQLITE_READONLY"):
        return DatabaseError(f"数据库文件只读，无法写入{where}：请检查文件和所在文件夹的写权限")
    if is_damage(exc):
        return DatabaseError(damaged_message(path, damage_reason(exc)))
    if "unable to open" in text or "cantopen" in code.lower():
        return DatabaseError(f"无法打开数据库文件{where}：请检查路径和权限")
    if "disk i/o" in text or code.startswith("SQLITE_IOERR"):
        return DatabaseError(f"读写数据库文件时出错（磁盘故障或空间不足）{where}；没有完成的写入已撤销")
    return DatabaseError(f"数据库错误{where}：{exc}")


def journal_mode(conn: sqlite3.Connection) -> str:
    return conn.execute("PRAGMA journal_mode").fetchone()[0]


def schema_version(conn: sqlite3.Connection) -> int:
    """The number of migration steps applied (PRAGMA user_version)."""
    return conn.execute("PRAGMA user_version").fetchone()[0]


def applied_migrations(conn: sqlite3.Connection) -> list[dict]:
    """The migrations applied to the file, in order: name and when (UTC ISO)."""
    return [{"name": name, "applied_at": at} for name, at in conn.execute(
        "SELECT name, applied_at FROM _sqlite_migrations WHERE migration_set = 'jindu' ORDER BY id")]


def table_counts(conn: sqlite3.Connection) -> dict[str, int]:
    names = [
        r[0]
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '\\_%' ESCAPE '\\' ORDER BY name"
        )
    ]
    # Table names come from sqlite_master, never from user text.
    return {n: conn.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}


def is_damage(exc: sqlite3.Error) -> bool:
    """Whether SQLite failed because the file is damaged (rather than busy, locked or unreadable)."""
    code = getattr(exc, "sqlite_errorname", "") or ""
    text = str(exc).lower()
    return (code.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB"))
            or "malformed" in text or "not a database" in text or "corrupt" in text)


def damage_reason(exc: sqlite3.Error) -> str:
    if "not a database" in str(exc).lower() or getattr(exc, "sqlite_errorname", "") == "SQLITE_NOTADB":
        return "SQLite 认不出它是数据库"
    return "SQLite 报告文件结构损坏"


def damage(path: Path) -> str | None:
    """Why the file at `path` is not a sound SQLite database, or None when it is. Only read: the
    connection is read-only, so a WAL beside the file is read but never written back into it."""
    path = Path(path)
    with open(path, "rb") as fh:
        first = fh.read(16)
    if not first:
        return "文件是空的（0 字节）"
    if first != SQLITE_HEADER:
        return "文件头不是 SQLite 数据库的"
    try:
        conn = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True, isolation_level=None)
        try:
            verdict = conn.execute("PRAGMA integrity_check(1)").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        if is_damage(exc):
            return damage_reason(exc)
        raise translate_sqlite_error(exc, path) from None
    return None if verdict == "ok" else "完整性检查没有通过"


def damaged_message(path: Path | None, reason: str) -> str:
    return f"数据库文件{f' {path} ' if path else ''}已损坏（{reason}）：{restore_hint(path)}"


def copy_database(source: sqlite3.Connection, target: Path, manifest: bool = True) -> None:
    """A consistent copy of an open database through the SQLite backup API (never a file copy:
    the WAL holds committed pages the main file does not have yet). The copy is one self-contained
    file (rollback journal, not WAL), checked with integrity_check, mode 0600, put in place with a
    rename so that a half-written copy never carries the final name. `manifest`: the head of the
    copy's audit trail is written beside it (`<copy>.head`, after the copy: a manifest left from an
    earlier copy of that name is behind the new copy, never ahead of it)."""
    from jindu_cli.storage import head

    target = Path(target)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        create_private_file(tmp)
        dest = sqlite3.connect(str(tmp), isolation_level=None)
        try:
            source.backup(dest)
            dest.execute("PRAGMA journal_mode = DELETE")
            verdict = dest.execute("PRAGMA integrity_check").fetchone()[0]
            end = head.chain_end(dest)
        finally:
            dest.close()
        if verdict != "ok":
            raise DatabaseError(f"备份副本没有通过完整性检查（{verdict}），已丢弃")
        owner_only(tmp)
        os.replace(tmp, target)
    except BaseException:
        for leftover in (tmp, Path(f"{tmp}-journal")):
            try:
                leftover.unlink()
            except OSError:
                pass
        raise
    if manifest:
        head.write(head.path_for(target), end)


def inspect_backup(path: Path) -> dict:
    """What a backup file is, checked without changing it: refuses anything that is not an intact
    jindu database this version can read."""
    from jindu_cli.storage import head, migrations

    path = Path(path)
    if not path.is_file():
        raise DatabaseError(f"找不到备份文件：{path}")
    try:
        with open(path, "rb") as fh:
            first = fh.read(16)
    except OSError as exc:
        raise DatabaseError(f"无法读取备份文件 {path}：{exc.strerror}") from None
    if not first:
        raise DatabaseError(f"{path} 是空文件，不是备份")
    if first != SQLITE_HEADER:
        raise DatabaseError(f"{path} 不是 SQLite 数据库文件，不是 jindu 的备份")
    manifest = head.path_for(path)
    try:
        recorded = head.read(manifest)
        conn = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
    except head.UnreadableHead as exc:
        raise DatabaseError(f"{exc.message}：不能确认备份 {path} 完整，不用它恢复") from None
    except sqlite3.Error as exc:
        raise translate_sqlite_error(exc, path) from None
    try:
        verdict = conn.execute("PRAGMA integrity_check").fetchone()[0]
        if verdict != "ok":
            raise DatabaseError(f"备份 {path} 已损坏（完整性检查没有通过），不能用来恢复")
        names = applied_migration_names(conn)
        if not names:
            raise DatabaseError(f"{path} 不是 jindu 的数据库备份")
        unknown = [n for n in names if n not in migrations.names()]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if unknown or version > len(migrations.STEPS):
            raise DatabaseError(f"备份 {path} 由更新版本的 jindu 写入（{', '.join(unknown) or version}），请先升级 jindu")
        cases = conn.execute("SELECT count(*) FROM cases").fetchone()[0]
        end = head.chain_end(conn)
        if recorded is not None and (recorded.rows > end.rows or not head.agrees(conn, recorded)):
            raise DatabaseError(f"备份 {path} 与旁边的 {manifest.name} 不符（它记着 {recorded.rows} 条审计记录，"
                                f"备份里到第 {end.rows} 条）：备份被改动过，不用它恢复")
    except sqlite3.DatabaseError as exc:
        if is_damage(exc):
            raise DatabaseError(f"备份 {path} 已损坏（{damage_reason(exc)}），不能用来恢复") from None
        raise translate_sqlite_error(exc, path) from None
    finally:
        conn.close()
    return {"path": path, "migrations": names, "cases": cases, "head": end}


@dataclass(frozen=True)
class Restored:
    aside: Path | None  # where the database that stood there went, if anywhere
    damaged: str | None  # why that database was not copied but moved aside as it was
    moved: tuple[Path, ...]  # the files moved aside as they were (the database, its -wal, -shm)
    head: Head  # the head of the restored audit trail


def restore_database(backup: Path, live: Path) -> Restored:
    """Replace the live database with a checked backup, the database that stood there kept aside
    so that a restore can itself be undone. A sound database is copied aside (it stays in use by
    any other process until the restore's write). A damaged one is never opened for writing: it is
    renamed aside byte for byte with its -wal and -shm (a WAL left beside a restored file would be
    replayed into it), and the backup is put in its place. The head file then says what the
    restored trail holds (the head of the damaged one is kept beside it)."""
    import shutil
    from datetime import datetime

    from jindu_cli.storage import head

    live = Path(live)
    inspect_backup(backup)
    stamp = f"{datetime.now():%Y%m%d-%H%M%S}"
    leftovers = any(Path(f"{live}{suffix}").exists() for suffix in ("-wal", "-shm"))
    size = live.stat().st_size if live.exists() else None
    if size:
        reason = damage(live)
    elif size is None:
        reason = "文件不存在" if leftovers else None
    else:
        reason = "文件是空的（0 字节）" if leftovers or _held_records(live) else None
    moved: list[Path] = []
    source = sqlite3.connect(Path(backup).resolve().as_uri() + "?mode=ro", uri=True, isolation_level=None)
    try:
        if size and reason is None:
            aside = _free_name(live, f"before-restore-{stamp}")
            current = open_db(live)
            try:
                copy_database(current, aside)
            finally:
                current.close()
            target = connect(live)
            try:
                source.backup(target)
                target.execute("PRAGMA journal_mode = WAL")
            finally:
                target.close()
        else:
            aside = None
            if reason is not None:
                aside = _free_name(live, f"damaged-{stamp}")
                for suffix in ("", "-wal", "-shm"):
                    if Path(f"{live}{suffix}").exists():
                        os.replace(f"{live}{suffix}", f"{aside}{suffix}")
                        moved.append(Path(f"{aside}{suffix}"))
                        owner_only(moved[-1])  # (the people's data, as the live file was meant to be kept)
                if head.path_for(live).exists():
                    shutil.copyfile(head.path_for(live), head.path_for(aside))
                    owner_only(head.path_for(aside))
            copy_database(source, live, manifest=False)
            target = connect(live)
            try:
                target.execute("PRAGMA journal_mode = WAL")
            finally:
                target.close()
    finally:
        source.close()
    owner_only(live)
    conn = connect(live)
    try:
        written = head.reset(conn, live)
    finally:
        conn.close()
    return Restored(aside, reason, tuple(moved), written)


def _held_records(live: Path) -> bool:
    from jindu_cli.storage import head

    try:
        kept = head.read(head.path_for(live))
    except head.UnreadableHead:
        return True
    return kept is not None and kept.rows > 0


def _free_name(live: Path, tag: str) -> Path:
    """`jindu-<tag>.db` beside `live`, or with -2, -3… when that name (or its -wal) is taken."""
    name, n = live.with_name(f"{live.stem}-{tag}{live.suffix}"), 2
    while name.exists() or Path(f"{name}-wal").exists():
        name, n = live.with_name(f"{live.stem}-{tag}-{n}{live.suffix}"), n + 1
    return name
