"""jindu db: where the database is and what it holds."""

from __future__ import annotations

import typer

from pathlib import Path
from typing import Annotated, Optional

from jindu_cli.cli.options import (
    AsOfOpt, DbOpt, FormatOpt, Fmt, OperatorOpt, as_of_date, db_location, open_conn, operator_name,
)
from jindu_cli.cli.output import emit, emit_record, guard, local_time, message

app = typer.Typer(help="数据库：位置、状态、备份、恢复、检查。", no_args_is_help=True)
BACKUP_PREFIX = "jindu-"


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
    migrations = storage.applied_migrations(conn)
    info = {
        "path": str(loc.path),
        "source": loc.source,
        "size_bytes": loc.path.stat().st_size,
        "mode": oct(loc.path.stat().st_mode & 0o777),
        "journal_mode": storage.journal_mode(conn),
        "schema_version": storage.schema_version(conn),
        "migrations": migrations,
        "tables": storage.table_counts(conn),
    }
    if fmt is not Fmt.table:
        emit_record(info, [], fmt.value)
        return
    emit_record(info, [("path", "文件"), ("mode", "权限"), ("size_bytes", "大小（字节）"),
                       ("journal_mode", "日志模式"), ("schema_version", "结构版本")], "table",
                title="数据库")
    emit([dict(m, applied_at=local_time(m["applied_at"])) for m in migrations],
         [("name", "已应用的迁移"), ("applied_at", "应用时间")], "table")
    emit([{"table": t, "rows": n} for t, n in info["tables"].items()], [("table", "表"), ("rows", "行数")], "table")


@app.command("backup")
@guard
def db_backup(
    dest: Annotated[Optional[str], typer.Argument(metavar="[备份位置]", show_default=False,
                                                  help="备份文件，或一个文件夹（按日期时间命名）；默认数据库旁边的 backups/ 文件夹")] = None,
    keep: Annotated[Optional[int], typer.Option("--keep", metavar="N", show_default=False,
                                                help="备份到文件夹时，只保留最新的 N 个备份，删去更早的")] = None,
    db: DbOpt = None,
):
    """在线备份：其他命令同时在写也能得到一致的副本；副本经完整性检查，权限 0600。标准输出打印备份文件的路径。

    例：jindu db backup；jindu db backup /mnt/u盘/jindu/ --keep 30
    """
    from datetime import datetime

    from jindu_cli.errors import InvalidInput
    from jindu_cli.storage import head
    from jindu_cli.storage.db import copy_database, make_private_dir

    loc = db_location(db)
    conn = open_conn(db)
    if keep is not None and keep < 1:
        raise InvalidInput("--keep", "至少保留 1 个")
    target = Path(dest).expanduser() if dest else loc.path.parent / "backups"
    folder = target if (dest is None or str(dest).endswith(("/", "\\")) or target.is_dir()) else None
    if folder is not None:
        make_private_dir(folder)
        stamp = f"{BACKUP_PREFIX}{datetime.now():%Y%m%d-%H%M%S}"
        target = folder / f"{stamp}.db"
        n = 2
        while target.exists():  # two backups in the same second
            target, n = folder / f"{stamp}-{n}.db", n + 1
    elif keep is not None:
        raise InvalidInput("--keep", "只在备份到文件夹时使用")
    if target.resolve() == loc.path.resolve():
        raise InvalidInput("备份位置", "备份不能覆盖正在使用的数据库本身")
    copy_database(conn, target)
    kept = head.read(head.path_for(target))
    print(target)
    message(f"已备份到 {target}（{target.stat().st_size} 字节，已通过完整性检查；"
            f"审计链到第 {kept.rows} 条，记在 {head.path_for(target).name}）")
    if folder is not None and keep is not None:
        backups = sorted((p for p in folder.glob(f"{BACKUP_PREFIX}*.db") if p.is_file()),
                         key=lambda p: (p.stat().st_mtime_ns, p.name))
        for old in backups[:-keep]:
            old.unlink()
            head.path_for(old).unlink(missing_ok=True)
            message(f"已删除较早的备份 {old.name}")


@app.command("restore")
@guard
def db_restore(
    backup: Annotated[Path, typer.Argument(metavar="备份文件", help="要恢复的备份文件")],
    db: DbOpt = None, operator: OperatorOpt = None,
):
    """从备份恢复：先检查备份（完整性、是 jindu 的数据库、版本不高于本程序），再把现在的数据库另存一份，然后恢复。

    现在的数据库已损坏（截断、改坏、不是 SQLite）时，把它连同 -wal、-shm 文件原样改名放在一边，再放入备份。
    例：jindu db restore ~/.local/share/jindu/backups/jindu-20261127-230000.db
    """
    from jindu_cli.domain import audit
    from jindu_cli.storage.db import atomic, inspect_backup, open_db, restore_database

    loc = db_location(db)
    info = inspect_backup(backup)
    done = restore_database(backup, loc.path)
    conn = open_db(loc.path)  # brings an older backup's schema up to date
    try:
        with atomic(conn):
            audit.record(conn, operator_name(operator), "restore", "database", None, None,
                         {"backup": str(backup), "kept_aside": str(done.aside) if done.aside else None,
                          "damaged": done.damaged, "restored_rows": done.head.rows})
    finally:
        conn.close()
    what = f"已从 {backup} 恢复 {loc.path}：{info['cases']} 个案件，{len(info['migrations'])} 个结构迁移"
    if done.moved:
        what += f"；原来的数据库不能用（{done.damaged}），已原样移到一边：{'、'.join(map(str, done.moved))}"
    elif done.aside:
        what += f"；恢复前的数据库已另存为 {done.aside}"
    message(what)


@app.command("check")
@guard
def db_check(fmt: FormatOpt = Fmt.table, as_of: AsOfOpt = None, db: DbOpt = None):
    """检查数据库：文件完整性、外键、审计链（也与链头文件比对），以及数据（身份证号、日期顺序、措施期外的记录、孤立记录、状态）。
    有问题时逐条列出并以退出码 1 结束；文件已损坏时用一行说明怎样恢复。"""
    import sqlite3

    from jindu_cli.domain import checks
    from jindu_cli.errors import DatabaseError
    from jindu_cli.storage.db import damage_reason, damaged_message, is_damage

    path = db_location(db).path
    try:
        conn = open_conn(db)
        problems = [p.as_dict() for p in checks.check(conn, as_of_date(as_of))]
    except sqlite3.DatabaseError as exc:
        if not is_damage(exc):
            raise
        raise DatabaseError(damaged_message(path, damage_reason(exc))) from None
    if any(p["check"] == checks.FILE_CHECK for p in problems):
        raise DatabaseError(damaged_message(path, "完整性检查没有通过"))
    if not problems:
        if fmt is Fmt.table:
            print("检查通过：文件完整、外键无误、审计链完整、数据没有发现问题")
        else:
            emit([], [], fmt.value)
        return
    emit(problems, [("check", "检查"), ("case_id", "案件"), ("record", "记录"), ("reason", "问题")], fmt.value,
         caption=f"共 {len(problems)} 个问题")
    raise typer.Exit(1)
