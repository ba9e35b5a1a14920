"""Options shared by every command, and the small steps every command takes with them."""

from __future__ import annotations

import enum
import getpass
import os
from datetime import date
from typing import Annotated, Optional

import typer


class Fmt(str, enum.Enum):
    table = "table"
    json = "json"
    csv = "csv"


# Set by the root callback (`jindu --db PATH case list`); a command's own --db wins.
ROOT: dict = {}
# Connections opened by the running command; the error guard closes them when it ends, so
# the WAL is checkpointed and no handle outlives the command (tests run many in one process).
OPEN: list = []

DbOpt = Annotated[
    Optional[str],
    typer.Option("--db", metavar="PATH", show_default=False,
                 help="数据库文件。不给时依次用环境变量 JINDU_DB、用户数据目录里的 jindu.db（jindu db path 显示用的是哪个）"),
]
FormatOpt = Annotated[
    Fmt, typer.Option("-f", "--format", help="输出格式：table 表格（给人看）；json、csv（给程序用）"),
]
AsOfOpt = Annotated[
    Optional[str],
    typer.Option("--as-of", metavar="DATE", show_default=False,
                 help="按哪一天计算期限和剩余天数（默认今天），如 2026-11-28；同一天总得到同样的结果"),
]
RevealOpt = Annotated[
    bool, typer.Option("--reveal", help="显示完整的身份证号和电话。每次使用都会记入审计"),
]
OperatorOpt = Annotated[
    Optional[str],
    typer.Option("--operator", metavar="NAME", show_default=False,
                 help="操作员姓名，写入审计记录（默认：环境变量 JINDU_OPERATOR，再默认系统用户名）"),
]


def db_location(db: str | None):
    from jindu_cli.storage.db import resolve_db_path

    return resolve_db_path(db or ROOT.get("db"))


def open_conn(db: str | None, readonly: bool = False):
    from jindu_cli.storage.db import open_db

    conn = open_db(db_location(db).path, readonly=readonly)
    OPEN.append(conn)
    return conn


def close_all() -> None:
    while OPEN:
        try:
            OPEN.pop().close()
        except Exception:
            pass


def as_of_date(raw: str | None) -> date:
    """--as-of, else JINDU_TODAY (a fixed "today" for training and reproducing), else today."""
    from jindu_cli.domain.dates import require_date

    if raw:
        return require_date(raw, "--as-of")
    pinned = os.environ.get("JINDU_TODAY")
    if pinned:
        return require_date(pinned, "JINDU_TODAY")
    return date.today()


def operator_name(raw: str | None) -> str:
    name = (raw or os.environ.get("JINDU_OPERATOR") or "").strip()
    if name:
        return name
    try:
        return getpass.getuser()
    except (KeyError, OSError, ImportError):  # (ImportError: Windows without USERNAME, where getpass asks pwd)
        return "unknown"
