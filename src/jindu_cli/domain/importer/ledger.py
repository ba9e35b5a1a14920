"""One file's import: found in the ledger of imported files (import_files) or written to it, all
its rows in one transaction with the ledger entry and its audit record."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

from jindu_cli.domain import audit
from jindu_cli.domain.importer.headers import HEADER_SEARCH, header_score, map_header
from jindu_cli.domain.importer.fieldwork import STREET_ROWS
from jindu_cli.domain.importer.logs import RECORD_ROWS
from jindu_cli.domain.importer.report import FileProblem, Options, Rejected, Report
from jindu_cli.domain.importer.rows import BATCH, CACHE_KIB, REBUILD_MIN
from jindu_cli.domain.importer.sources import Source, fingerprint, open_source
from jindu_cli.domain.importer.upsert import CaseRows
from jindu_cli.storage.db import atomic, set_cache_kib


class _Rollback(Exception):
    pass


def previous_import(conn: sqlite3.Connection, sha256: str, sheet: str, kind: str) -> tuple | None:
    """The latest import of the same bytes (and sheet) as the same kind of file: id, time,
    operator, kind, file name, rows rejected. (A register given to `import visits` by mistake is
    not a repeat of its import as a register: it is refused for its columns.)"""
    return conn.execute("SELECT id, imported_at, operator, kind, file_name, rejected FROM import_files"
                        " WHERE sha256 = ? AND sheet = ? AND kind = ? ORDER BY id DESC LIMIT 1",
                        [sha256, sheet, kind]).fetchone()


@contextlib.contextmanager
def rehearsal(conn: sqlite3.Connection, dry_run: bool) -> Iterator[None]:
    """Around the files of one run: with `dry_run`, one transaction rolled back at the end. Each
    file is imported as for real inside it, so each meets the register as the files before it in
    the run left it (a log, the people of the register given with it), as in the real run."""
    if not dry_run:
        yield
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        if conn.in_transaction:
            conn.execute("ROLLBACK")


def import_file(conn: sqlite3.Connection, path: Path, opts: Options,
                on_error: Callable[[list, Rejected, list[str]], None] | None = None,
                progress: Callable[[int, int], None] | None = None, *,
                batch: int = BATCH, rebuild_min: int = REBUILD_MIN) -> Report:
    """Import one file; never raises for bad content: the report says what happened. A dry run
    inside a transaction (see `rehearsal`) leaves what it wrote for that transaction to undo.
    `batch`: rows converted and written at a time; `rebuild_min`: a visit or test log bringing at
    least this many rows (and more than its table held) has the table's secondary indexes built
    afresh at the end rather than updated row by row."""
    path = Path(path)
    enclosed = conn.in_transaction
    report = Report(file=str(path), kind=opts.kind, sheet=opts.sheet or "")
    try:
        report.sha256, size, facts = fingerprint(path)
    except FileNotFoundError:
        return _failed(report, "找不到这个文件")
    except IsADirectoryError:
        return _failed(report, "这是一个文件夹，不是文件")
    except PermissionError:
        return _failed(report, "没有权限读取这个文件")
    try:
        source = open_source(path, facts, size, opts.encoding, opts.sheet, header_score(conn, [opts.kind]))
    except FileProblem as exc:
        return _failed(report, exc.message)
    report.header_line, report.above_header, report.sheet = source.header_line, source.above, source.sheet
    seen = previous_import(conn, report.sha256, source.sheet, opts.kind)
    if seen and not opts.again:
        source.close()
        return _repeated(report, seen)
    if seen:
        report.message = f"与导入记录 #{seen[0]} 内容完全相同；按 --again 再次导入"
    report.encoding = source.encoding
    try:
        columns, report.unknown_columns = _columns(conn, opts.kind, source)
        # a large import touches pages of several indexes at random: give them room in memory
        set_cache_kib(conn, CACHE_KIB)
        with atomic(conn):
            ledger_id = _ledger_entry(conn, path, opts, report, source)
            rows = {**RECORD_ROWS, **STREET_ROWS}.get(opts.kind, CaseRows)(
                conn, opts, report, columns, source.header, ledger_id, on_error, batch=batch, rebuild_min=rebuild_min)
            rows.run(source, progress)
            _ledger_counts(conn, path, opts, report, ledger_id)
            report.ledger_id = ledger_id
            if opts.strict and report.rejected:
                report.status = "strict_failed"
                raise _Rollback
            if opts.dry_run:
                report.status, report.ledger_id = "dry_run", None
                if not enclosed:
                    raise _Rollback
    except _Rollback:
        report.ledger_id = None
    except FileProblem as exc:
        report.ledger_id = None
        return _failed(report, exc.message)
    finally:
        source.close()
    return report


def _repeated(report: Report, seen: tuple) -> Report:
    """The report of a file whose bytes were imported before (see previous_import): nothing done."""
    report.status = "duplicate"
    on = datetime.fromisoformat(seen[1].replace("Z", "+00:00")).astimezone().date()  # the office's day
    report.message = f"与 {on} 由 {seen[2]} 导入的文件（导入记录 #{seen[0]}，{seen[4]}）内容完全相同，没有做任何改动"
    if seen[5]:  # rows refused then (a person not yet registered) may go in now
        fixed = "改正了选择表或设定以后" if report.kind in STREET_ROWS else "补登了那些人、改正了登记表以后"
        report.message += (f"。那次有 {seen[5]} 行被拒绝：{fixed}，加 --again 再导入这个文件，"
                           "已经导入的行不会重复")
    report.ledger_id, report.refused_before = seen[0], seen[5]
    return report


def _columns(conn: sqlite3.Connection, kind: str, source: Source) -> tuple[dict[str, int], list[str]]:
    """The file's columns (see map_header); a file with no names but a one-cell line is told so."""
    try:
        return map_header(conn, kind, source.header)
    except FileProblem as exc:
        if sum(1 for h in source.header if h) <= 1:  # one cell: a title, with no line of names below it
            exc.message += (f"。第 {source.header_line} 行只有一格，像是标题：在它下面的 {HEADER_SEARCH} 行里没有找到"
                            "列名（身份证号、姓名……）那一行")
        raise


def _ledger_entry(conn: sqlite3.Connection, path: Path, opts: Options, report: Report, source: Source) -> int:
    """The file's entry in the ledger of imported files, its counts to come: its id."""
    return conn.execute(
        "INSERT INTO import_files (kind, file_name, folder, sha256, sheet, encoding, imported_at, operator, rows_read,"
        " inserted, updated, unchanged, rejected) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, 0, 0, 0, 0)",
        [opts.kind, path.name, str(path.resolve().parent), report.sha256, source.sheet, source.encoding,
         audit.utc_now(), opts.operator]).lastrowid


def _ledger_counts(conn: sqlite3.Connection, path: Path, opts: Options, report: Report, ledger_id: int) -> None:
    """The file's counts, in its ledger entry and in the audit trail."""
    conn.execute("UPDATE import_files SET rows_read = ?, inserted = ?, updated = ?, unchanged = ?, rejected = ?"
                 " WHERE id = ?",
                 [report.rows, report.inserted, report.updated, report.unchanged, report.rejected, ledger_id])
    audit.record(conn, opts.operator, "import", "file", ledger_id, None,
                 {"file": path.name, "kind": opts.kind, "sha256": report.sha256,
                  "rows": report.rows, "inserted": report.inserted, "updated": report.updated,
                  "unchanged": report.unchanged, "rejected": report.rejected})


def _failed(report: Report, message: str) -> Report:
    report.status = "failed"
    report.message = message
    report.inserted = report.updated = report.unchanged = report.transfers = report.transfers_dated = 0
    report.referrals_linked = report.referrals_untold = 0
    return report
