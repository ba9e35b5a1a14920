import re
import stat

import pytest

from support import make_id, ok, rows, run


def test_no_arguments_on_an_empty_database_says_how_to_begin(db):
    res = ok()
    assert str(db) in res.stdout and "jindu demo" in res.stdout and "case add" in res.stdout
    assert not db.exists()


def test_no_arguments_shows_counts_by_status_and_street(db):
    ok("demo", "--db", db, "--as-of", "2026-11-28")
    res = ok()
    assert "在册 39 人" in res.stdout
    assert "盐务街街道" in res.stdout and "在执行" in res.stdout


def test_demo_builds_a_separate_file_says_where_and_shows_the_register(tmp_path):
    res = ok("demo", "--as-of", "2026-11-28")
    demo = tmp_path / "xdg" / "jindu" / "demo.db"
    assert str(demo) in res.stderr
    assert "共 39 人" in res.stdout and "盐务街街道" in res.stdout
    assert stat.S_IMODE(demo.stat().st_mode) == 0o600
    assert not (tmp_path / "jindu.db").exists()  # the real database is never touched
    statuses = dict(rows(demo, "SELECT status, count(*) FROM cases GROUP BY status"))
    assert statuses == {"active": 26, "pending": 4, "suspended": 3, "released": 3, "terminated": 2, "deceased": 1}
    first = rows(demo, "SELECT id_number, reported_on FROM cases ORDER BY id")
    ok("demo", "--as-of", "2026-11-28")  # rebuilt, same day, same data
    assert rows(demo, "SELECT id_number, reported_on FROM cases ORDER BY id") == first
    assert ok("audit", "verify", "--db", demo).exit_code == 0


def test_demo_refuses_to_overwrite_a_real_database(db):
    from support import add_case

    add_case()
    before = db.read_bytes()
    res = run("demo", "--db", db)
    assert res.exit_code == 1 and "正式数据库" in res.stderr
    assert db.read_bytes() == before


@pytest.mark.parametrize("args, said", [
    (["due", "--strett", "盐务街"], "错误：没有 --strett 这个选项；是不是 --street？"),
    (["due", "--within", "abc"], "错误：--within 的值不对：“abc”不是整数"),
    (["report", "--month", "2026-10"], "错误：没有 --month 这个选项；是不是 --period？"),  # a clerk's other name
    (["visit", "add", "1", "--date", "2026-11-01"], "错误：没有 --date 这个选项；是不是 --on？"),
    (["report", "-f", "xml"], "错误：--format / -f 的值不对：“xml”不是可选的值；可选：table、csv、json、md、xlsx、html"),
    (["frob"], "错误：没有 frob 这个命令"),
    (["cas", "list"], "错误：没有 cas 这个命令；是不是 case？"),
    (["import", "test", "x.csv"], "错误：没有 test 这个命令；是不是 tests？"),
    (["import", "走访.CSV"], "错误：没有 走访.CSV 这个命令；要导入文件，先写导入什么：jindu import auto 走访.CSV（按列名识别类型）"),
    (["import", "C:\\台账\\x"], "错误：没有 C:\\台账\\x 这个命令；要导入文件，先写导入什么：jindu import auto C:\\台账\\x（按列名识别类型）"),
    (["report", "--by"], "错误：--by 后面要跟一个值"),
    (["case", "show"], "错误：缺少参数 人员"),
    (["import", "tests"], "错误：缺少参数 文件"),
    (["due", "extra"], "错误：多出了参数：extra"),
])
def test_usage_errors_are_told_in_chinese_with_the_usage_and_where_help_is(tmp_path, args, said):
    """A clerk who mistypes an option or a value reads what was wrong in Chinese, exit 2, nothing
    written anywhere and no English from the command-line library."""
    res = run(*args, env={"JINDU_DB": str(tmp_path / "j.db")})
    assert res.exit_code == 2, res
    assert said in res.stderr.splitlines(), res.stderr
    assert not re.search(r"Usage|Error|Try|Missing|Invalid|No such|Got unexpected", res.stderr), res.stderr
    if args != ["report", "--by"]:  # (the option parser names no command)
        command = "jindu " + " ".join(a for a in args[:2] if a in ("due", "report", "case", "show", "import", "tests",
                                                                   "visit", "add"))
        assert res.stderr.splitlines()[0].startswith(f"用法：{command.strip()}")
        assert res.stderr.splitlines()[-1] == f"帮助：{command.strip()} -h"
    assert res.stdout == "" and not (tmp_path / "j.db").exists()


@pytest.mark.parametrize("args, panels", [
    (["-h"], ["选项", "命令"]),
    (["import"], ["选项", "命令"]),  # a group given no command shows its help
    (["import", "tests", "--help"], ["参数", "选项"]),
    (["case", "show", "-h"], ["参数", "选项"]),
    (["report", "-h"], ["选项"]),
])
def test_help_screens_are_in_chinese(tmp_path, args, panels):
    """The words the command-line library puts on a help screen (usage, panel titles, defaults,
    required, the help option itself) are Chinese like the rest of it."""
    res = run(*args, env={"JINDU_DB": str(tmp_path / "j.db"), "COLUMNS": "200"})
    text = res.stdout
    assert text.strip().startswith("用法：jindu"), text
    for title in panels:
        assert re.search(rf"╭─ {title} ─", text), (title, text)
    assert "显示这个帮助，然后退出" in text
    assert not re.search(r"Usage|Options|Arguments|Commands|Show this message|\[default|\[required|OPTIONS|COMMAND",
                         text), text
    if "tests" in args:
        assert "[默认：table]" in text and "[必填]" in text and "{文件...}" in text
    assert not re.search(r"[{\[][a-z_]+[}\]]", text), text  # arguments are named in Chinese too: {人员}
    assert not (tmp_path / "j.db").exists()


def test_every_help_screen_is_in_chinese(tmp_path):
    """Every command's and group's help: no English from the command-line library, arguments named
    in Chinese."""
    import typer

    from jindu_cli.cli import app

    def paths(command, prefix):
        yield prefix
        for name, sub in getattr(command, "commands", {}).items():
            yield from paths(sub, prefix + [name])

    english = re.compile(r"Usage|Options|Arguments|Commands|Show this message|\[default|\[required|OPTIONS|COMMAND"
                         r"|[{\[][a-z_]+[}\]]")
    seen = 0
    for path in paths(typer.main.get_command(app), []):
        res = run(*path, "-h", env={"JINDU_DB": str(tmp_path / "j.db"), "COLUMNS": "200"})
        assert res.exit_code == 0 and res.stdout.strip().startswith("用法：jindu"), (path, res.stdout)
        assert not english.search(res.stdout), (path, english.search(res.stdout), res.stdout)
        seen += 1
    assert seen > 30


def test_an_abort_is_one_line_in_chinese_and_exit_1():
    """A command that asks for input and gets none (Ctrl-D) stops with 已取消, not a traceback."""
    import typer
    from typer.testing import CliRunner

    from jindu_cli.cli.usage import RootGroup

    demo = typer.Typer(cls=RootGroup)

    @demo.command()
    def ask():
        typer.prompt("姓名")

    @demo.command()
    def other():
        pass

    res = CliRunner().invoke(demo, ["ask"], input="")
    assert res.exit_code == 1 and res.stderr.splitlines()[-1] == "已取消", res.output
    assert CliRunner().invoke(demo, ["other"]).exit_code == 0


def test_messages_off_a_terminal_carry_the_date_and_time(db):
    """cron's mail and a log file say when each line was written; the data on stdout does not."""
    import re

    res = ok("case", "add", "--id", make_id(), "--name", "张伟", "--street", "盐务街", "--measure", "社区戒毒")
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d 已登记：张伟（案件 1，盐务街街道，未报到）\n.*",
                        res.stderr_stamped, re.S), res.stderr_stamped
    assert res.stdout == "1\n"


def test_every_id_number_in_the_help_is_one_jindu_takes():
    """A clerk copies the examples: an 18-digit 身份证号 shown in any command's help has the check
    digit of its first 17 (worked out here, apart from jindu's own code)."""
    import typer.main

    from jindu_cli.cli import app
    from support import WEIGHTS

    def texts(command):
        yield command.help or ""
        for param in command.params:
            yield getattr(param, "help", None) or ""
        for sub in getattr(command, "commands", {}).values():
            yield from texts(sub)

    shown = {n for text in texts(typer.main.get_command(app)) for n in re.findall(r"(?<!\d)\d{17}[\dX](?!\d)", text)}
    assert shown  # (the examples of case add and screen refer)
    for number in shown:
        assert number[-1] == "10X98765432"[sum(int(d) * w for d, w in zip(number, WEIGHTS)) % 11], number
