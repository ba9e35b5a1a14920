"""jindu demo: a demonstration database of synthetic people, built in one command."""

from __future__ import annotations

from jindu_cli.cli.options import AsOfOpt, DbOpt, as_of_date
from jindu_cli.cli.output import guard, message


@guard
def demo(db: DbOpt = None, as_of: AsOfOpt = None):
    """建一个演示数据库（人员全是虚构的），告诉你它在哪里，显示登记表和到期清单。

    演示数据库和正式数据库是两个文件：默认建在用户数据目录的 demo.db，不会碰正式数据。
    再运行一次会重建它。例：jindu demo；jindu demo --db /tmp/demo.db
    """
    import os
    from pathlib import Path

    from jindu_cli.cli import case as case_cli
    from jindu_cli.cli.options import Fmt
    from jindu_cli.domain import demo as demo_data
    from jindu_cli.errors import JinduError
    from jindu_cli.storage.db import default_data_dir, open_db

    today = as_of_date(as_of)
    path = Path(db).expanduser() if db else default_data_dir() / "demo.db"
    if path.exists() and path.stat().st_size > 0:
        conn = open_db(path)
        ours = demo_data.is_demo(conn)
        conn.close()
        if not ours:
            raise JinduError(f"{path} 已经是一个正式数据库，演示不会覆盖它；请换一个 --db 路径")
        for suffix in ("", "-wal", "-shm", ".head"):
            try:
                os.unlink(f"{path}{suffix}")
            except FileNotFoundError:
                pass
    conn = open_db(path)
    count = demo_data.build(conn, today)
    conn.close()
    message(f"演示数据库已建好：{path}（{count} 个虚构人员，日期按 {today} 推算）")
    message(f"想继续在里面试，先运行：export JINDU_DB={path}")
    from jindu_cli.cli import due as due_cli

    print("登记表")
    case_cli.case_list(db=str(path), as_of=today.isoformat(), fmt=Fmt.table, street=None, community=None,
                       status=None, measure=None, worker=None, risk=None, search=None, sort="street",
                       limit=None, reveal=False, operator=None)
    print()
    print("到期清单（jindu due）：逾期的在前，高风险在前，再按日期")
    due_cli.due_command(within=7, street=None, worker=None, item=None, explain=None, rules_file=None,
                        fmt=Fmt.table, reveal=False, as_of=today.isoformat(), db=str(path), operator=None)
