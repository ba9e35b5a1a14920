"""What office PCs, which mostly run Windows, need of jindu, as far as Linux can show it: no module
only POSIX has, file modes that degrade where the file system keeps none, the data folder under the
user's profile, output that a GBK pipe can take, a clear word when another program holds a file."""

from __future__ import annotations

import ast
import errno
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import jindu_cli
from support import make_id, ok, rows, run

SRC = Path(jindu_cli.__file__).resolve().parent
AS_OF = ["--as-of", "2026-11-28"]


def test_no_module_only_posix_has():
    """fcntl, pwd, grp, termios, resource, posix: not imported anywhere in jindu, at any level."""
    posix_only = {"fcntl", "pwd", "grp", "termios", "tty", "pty", "resource", "posix", "syslog"}
    found = []
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            found += [f"{path.relative_to(SRC)}: {n}" for n in names if n.split(".")[0] in posix_only]
    assert found == []


def test_the_data_folder_is_under_the_users_profile_on_windows(monkeypatch, tmp_path):
    from jindu_cli.storage.db import default_data_dir

    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setenv("LOCALAPPDATA", str(tmp_path / "AppData" / "Local"))
    assert default_data_dir() == tmp_path / "AppData" / "Local" / "jindu"
    monkeypatch.delenv("LOCALAPPDATA")
    assert default_data_dir() == Path.home() / "AppData" / "Local" / "jindu"


def test_files_are_written_where_the_file_system_keeps_no_modes(db, tmp_path, monkeypatch):
    """A FAT or network drive refuses chmod (Windows keeps only a read-only flag): a new database,
    its folders, the head file, an export, a backup and an errors file are written all the same."""
    def refused(path, mode, **kwargs):
        raise PermissionError(errno.EPERM, "Operation not permitted", str(path))

    monkeypatch.setattr(os, "chmod", refused)
    usb = tmp_path / "U盘" / "禁毒" / "jindu.db"
    number = ok("case", "add", "--db", usb, "--id", make_id(), "--name", "张伟", "--street", "盐务街",
                "--measure", "社区戒毒", *AS_OF).stdout.strip()
    assert rows(usb, "SELECT name FROM cases") == [("张伟",)] and (usb.parent / "jindu.db.head").exists()
    ok("export", "cases", "--db", usb, "-o", tmp_path / "U盘" / "登记表.csv")
    assert "张伟" in (tmp_path / "U盘" / "登记表.csv").read_text(encoding="utf-8-sig")
    backup = Path(ok("db", "backup", "--db", usb, f"{tmp_path / 'U盘' / '备份'}/").stdout.strip())
    assert backup.parent == tmp_path / "U盘" / "备份" and rows(backup, "SELECT name FROM cases") == [("张伟",)]
    log = tmp_path / "U盘" / "走访.csv"
    log.write_text(f"身份证号,走访日期,走访方式\n{make_id(seq=999)},2026-11-20,谈话\n", encoding="utf-8")
    res = run("import", "visits", log, "--db", usb, "--errors", tmp_path / "U盘" / "错误.csv", *AS_OF)
    assert res.exit_code == 1 and (tmp_path / "U盘" / "错误.csv").exists(), res
    assert number == "1"


def test_a_gbk_pipe_takes_every_name(tmp_path):
    """Written to a file or a pipe on a Chinese Windows (Task Scheduler's log), Python encodes in
    GBK, which has no 𠮷: the listing and the messages come out whole, as GB18030."""
    db = tmp_path / "j.db"
    ok("case", "add", "--db", db, "--id", make_id(date(1990, 1, 1), 601), "--name", "陈𠮷", "--street", "头桥",
       "--measure", "社区戒毒", "--received-on", "2026-11-25", *AS_OF)
    env = dict(os.environ, PYTHONIOENCODING="gbk", PYTHONPATH=str(SRC.parent), JINDU_DB=str(db))
    for args, stream in ((["case", "list"], "stdout"), (["case", "show", "1"], "stdout"), (["due", "--within", "30"], "stdout"),
                         (["case", "update", "1", "--worker", "赵敏"], "stderr")):
        res = subprocess.run([sys.executable, "-m", "jindu_cli", *args, *AS_OF], capture_output=True, env=env)
        assert res.returncode == 0, res.stderr.decode("gb18030", "replace")
        assert "陈𠮷" in getattr(res, stream).decode("gb18030")


def test_a_file_held_open_by_another_program_is_named_as_such_on_windows(monkeypatch):
    from jindu_cli.cli.output import os_reason

    held = PermissionError(errno.EACCES, "Permission denied", "登记表.csv")
    assert os_reason(held) == "没有权限"
    monkeypatch.setattr(sys, "platform", "win32")
    assert os_reason(held) == "没有权限，或者文件正在别的程序（如 Excel、WPS）里打开；关掉它再试"


def test_the_operator_when_the_system_cannot_name_the_user(db, monkeypatch):
    """getpass asks pwd, which Windows has not, when no USERNAME is set: the operator is "unknown"."""
    import getpass

    def no_user():
        raise ModuleNotFoundError("No module named 'pwd'")

    monkeypatch.delenv("JINDU_OPERATOR")
    monkeypatch.setattr(getpass, "getuser", no_user)
    ok("case", "add", "--id", make_id(), "--name", "张伟", "--street", "盐务街", "--measure", "社区戒毒", *AS_OF)
    assert rows(db, "SELECT operator FROM audit_log") == [("unknown",)]


def test_colours_only_where_the_windows_console_takes_them(monkeypatch):
    """jindu colours overdue rows itself; a Windows console that cannot be asked to read the codes
    (here: no Windows API at all) gets none, rather than the codes printed as text."""
    from jindu_cli.cli import output

    class Terminal:
        def isatty(self):
            return True

    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setattr(sys, "stdout", Terminal())
    assert output._colours()
    monkeypatch.setattr(sys, "platform", "win32")
    assert not output._colours()
