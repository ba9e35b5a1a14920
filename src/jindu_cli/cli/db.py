"""jindu db: where the database is and what it holds."""

from __future__ import annotations

import typer

from jindu_cli.cli.options import DbOpt, FormatOpt, Fmt, db_location, open_conn
from jindu_cli.cli.output import emit, emit_record, guard, message

app = typer.Typer(help="数据库：位置、状态。", no_args_is_help=True)


@app.command("path")
@guard
def db_path(db: DbOpt = None):
    """打印正在使用的数据库文件路径（不会创建它）。"""
    loc = db_location(db)
    print(loc.path)
    source = {"--db": "来自 --db 选项", "JINDU_DB": "来自环境变量 JINDU_DB", "default": "默认位置"}[loc.source]
    exists = "" if loc.path.exists() else "；文件还不存在，第一次写入时创建"
    message(f"（{source}{exists}）")


@app.command("status")
@guard
def db_status(db: DbOpt = None, fmt: FormatOpt = Fmt.table):
    """显示数据库的路径、日志模式、已应用的迁移和各表行数。"""
    from jindu_cli.storage import db as storage

    loc = db_location(db)
    conn = open_conn(db)
    migrations = [
        {"name": n, "applied_at": at}
        for n, at in conn.execute(
            "SELECT name, applied_at FROM _sqlite_migrations WHERE migration_set = 'jindu' ORDER BY id")
    ]
    info = {
        "path": str(loc.path),
        "source": loc.source,
        "size_bytes": loc.path.stat().st_size,
        "mode": oct(loc.path.stat().st_mode & 0o777),
        "journal_mode": storage.journal_mode(conn),
        "schema_version": conn.execute("PRAGMA user_version").fetchone()[0],
        "migrations": migrations,
        "tables": storage.table_counts(conn),
    }
    if fmt is not Fmt.table:
        emit_record(info, [], fmt.value)
        return
    emit_record(info, [("path", "文件"), ("mode", "权限"), ("size_bytes", "大小（字节）"),
                       ("journal_mode", "日志模式"), ("schema_version", "结构版本")], "table",
                title="数据库")
    emit(migrations, [("name", "已应用的迁移"), ("applied_at", "应用时间（UTC）")], "table")
    emit([{"table": t, "rows": n} for t, n in info["tables"].items()], [("table", "表"), ("rows", "行数")], "table")
