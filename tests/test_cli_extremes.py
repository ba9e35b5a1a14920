"""Values at the ends of what an option (or a record's number) can be given (the calendar's first
and last day, integers past 64 bits, negative counts) are bad input told in Chinese, never an
internal error (exit 70).

The options are found by walking the command tree, so an option added later is covered without
touching this file; a command that needs arguments to run at all must be given them in BASE."""

import re
import shutil
from datetime import date

import pytest
import typer.main
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jindu_cli.cli import app
from support import add_case, make_id, ok, rows, run

AS_OF = ["--as-of", "2026-11-28"]
TREE = typer.main.get_command(app)
NUMBERS = [-(2**63) - 1, -(2**63), -1, 0, 999_999_999, 2**63 - 1, 2**63, 10**26]
# the calendar's ends as a day, a month, a quarter and a year; the ends of the years jindu takes
DATES = ["0001-01-01", "9999-12-31", "0001-01", "9999-12", "9999-Q4", "0001", "9999年12月31日", "0000-01-01",
         "1900-01-01", "2100-12-31", "1900-01", "2100-12", "2100-Q4", "2100"]
# what a command needs before any option of it means something ({tmp}: the test's own folder)
BASE = {
    ("case", "show"): ["1"], ("case", "update"): ["1"], ("case", "police-report"): ["1"],
    ("case", "transfer"): ["1", "--to", "中华北", "--on", "2026-11-20"],
    ("visit", "add"): ["1", "--kind", "谈话"], ("visit", "update"): ["1"],
    ("test", "add"): ["1", "--specimen", "尿液", "--result", "阴性"], ("test", "update"): ["1"],
    ("test", "review"): ["1", "--dismiss", "--reason", "复检阴性"],
    ("leave", "add"): ["1", "--from", "2026-11-10"], ("leave", "close"): ["1"],
    ("import", "auto"): ["{tmp}/log.csv"], ("import", "cases"): ["{tmp}/log.csv"],
    ("import", "visits"): ["{tmp}/log.csv"], ("import", "tests"): ["{tmp}/log.csv"],
    ("import", "activities"): ["{tmp}/log.csv"], ("import", "screenings"): ["{tmp}/log.csv"],
    ("db", "restore"): ["{tmp}/seed.db"], ("db", "backup"): ["{tmp}/backups/"],
    ("draw",): ["--count", "1"], ("demo",): ["--db", "{tmp}/demo.db"],
    ("case", "add"): ["--id", make_id(seq=556), "--name", "李四", "--street", "盐务街", "--measure", "社区戒毒"],
    ("doc", "fields"): ["agreement"], ("doc", "template"): ["agreement", "-o", "{tmp}/t.docx"],
    ("doc", "police-letter"): ["1"], ("doc", "release-request"): ["1"],
    ("activity", "update"): ["1"], ("screen", "update"): ["1"],
    ("screen", "refer"): ["1", "--id", make_id(seq=557), "--name", "王某"], ("screen", "refer-update"): ["1"],
}
# an option that means something only beside another
BESIDE = {
    ("report", "--from"): ["--to", "2026-11-30"], ("report", "--to"): ["--from", "1900-01-01"],
    ("case", "update", "--on"): ["--status", "中止", "--reason", "拘留"],
    ("leave", "add", "--days"): ["--unreported"],
}
PATH_METAVARS = {"PATH", "FILE", "FILE|DIR/", "DIR", "OUT.csv", "文件夹"}


def commands(group=TREE, path=()):
    ctx = group.make_context("jindu", [], resilient_parsing=True)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if hasattr(command, "list_commands"):
            yield from commands(command, path + (name,))
        else:
            yield path + (name,), command


def is_number(param) -> bool:
    return getattr(param.type, "name", "") in ("int", "integer")


def is_date(param) -> bool:
    return param.metavar == "DATE" or any(
        o in ("--on", "--from", "--to", "--period") or o.endswith(("-on", "-date", "-end")) for o in param.opts)


def takes_text(param) -> bool:
    """An option given a value that is not a file's name or a fixed choice."""
    return (param.param_type_name == "option" and not param.is_flag and getattr(param.type, "name", "") in
            ("int", "integer", "str", "text") and param.metavar not in PATH_METAVARS and "--db" not in param.opts)


ALL = list(commands())
# (command, option, or an argument's name, and "number" or "date")
OPTIONS = [(path, p.opts[0], "number" if is_number(p) else "date") for path, command in ALL for p in command.params
           if is_number(p) or (takes_text(p) and is_date(p))]
VALUED = [(path, p.opts[0]) for path, command in ALL for p in command.params if takes_text(p)]


def test_the_walk_finds_the_options_it_is_meant_to():
    found = {(path, option): kind for path, option, kind in OPTIONS}
    for path, option, kind in [(("due",), "--within", "number"), (("draw",), "--seed", "number"),
                               (("draw",), "--count", "number"), (("audit", "list"), "--limit", "number"),
                               (("import", "log"), "--limit", "number"), (("db", "backup"), "--keep", "number"),
                               (("leave", "add"), "--days", "number"), (("report",), "--period", "date"),
                               (("report",), "--as-of", "date"), (("case", "add"), "--reported-on", "date"),
                               (("case", "update"), "--term-end", "date"), (("visit", "list"), "--from", "date"),
                               (("visit", "update"), "visit_id", "number"), (("leave", "close"), "leave_id", "number")]:
        assert found.get((path, option)) == kind, (path, option)
    assert (("case", "add"), "--term-months") in VALUED and (("case", "update"), "--test-every") in VALUED
    for path, command in ALL:
        needed = [p for p in command.params if p.required]
        assert not needed or path in BASE, f"{' '.join(path)} needs {needed}: give it a line in BASE"


@pytest.fixture(scope="module")
def seed(tmp_path_factory):
    """A register of one person with a visit, a test, a leave, an import and a draw, made once."""
    folder = tmp_path_factory.mktemp("seed")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("JINDU_DB", str(folder / "seed.db"))
        env.setenv("XDG_DATA_HOME", str(folder / "xdg"))
        add_case()
        ok("visit", "add", "1", "--kind", "谈话", "--on", "2026-11-01", *AS_OF)
        ok("test", "add", "1", "--specimen", "尿液", "--result", "阴性", "--on", "2026-11-02", *AS_OF)
        ok("leave", "add", "1", "--from", "2026-11-03", "--to", "2026-11-05", "--destination", "遵义", *AS_OF)
        log = folder / "log.csv"
        log.write_text(f"身份证号,检测日期,检测方式,检测结果\n{make_id()},2026-11-04,尿检,阴性\n", encoding="utf-8")
        ok("import", "tests", log, *AS_OF)
        ok("draw", "--count", "1", *AS_OF)
        ok("activity", "add", "--kind", "进校园", "--street", "盐务街", "--on", "2026-11-06", *AS_OF)
        ok("screen", "add", "--group", "驾驶员", "--street", "盐务街", "--specimen", "毛发", "--tested", "5",
           "--positives", "1", "--on", "2026-11-06", *AS_OF)
    return folder


@pytest.fixture
def register(seed, tmp_path, monkeypatch):
    """The seed register in this test's folder; each command runs on a fresh copy of it (a write at
    an extreme that went through would change what the next one meets)."""
    monkeypatch.chdir(tmp_path)  # (whatever a command given an odd value writes, it writes here)
    for name in ("seed.db", "log.csv"):
        shutil.copy(seed / name, tmp_path / name)
    return tmp_path


def attempt(tmp, path, option, value):
    shutil.copy(tmp / "seed.db", tmp / "work.db")
    for leftover in ("demo.db", "demo.db-wal", "demo.db-shm"):
        (tmp / leftover).unlink(missing_ok=True)
    base = [a.format(tmp=tmp) for a in BASE.get(path, [])]
    if option.startswith("-"):
        args = [*path, *base, *BESIDE.get((*path, option), []), option, str(value)]
    else:  # the command's argument, given first in BASE
        args = [*path, str(value), *base[1:]]
    if option != "--as-of" and any("--as-of" in p.opts for p in dict(ALL)[path].params):
        args += AS_OF
    return args, run("--db", tmp / "work.db", *args)


def assert_told(args, res):
    """Done, or refused with a message in Chinese; never a crash, never a traceback."""
    assert res.exit_code in (0, 1, 2), (args, res)
    assert res.exception is None or isinstance(res.exception, SystemExit), (args, res)
    assert "Traceback" not in res.stderr and "Traceback" not in res.stdout, (args, res)
    if res.exit_code:  # (a check that finds problems, such as db check, lists them as its output)
        assert re.search(r"[\u4e00-\u9fff]", res.stderr or res.stdout), (args, res)


@pytest.mark.parametrize("path,option,kind", OPTIONS, ids=[" ".join((*p, o)) for p, o, _ in OPTIONS])
def test_every_number_and_date_option_at_its_extremes(register, path, option, kind):
    for value in NUMBERS if kind == "number" else DATES:
        assert_told(*attempt(register, path, option, value))


DAY = st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31))
VALUE = st.one_of(
    st.integers().map(str),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.sampled_from(NUMBERS + DATES).map(str),
    DAY.map(date.isoformat),
    DAY.map(lambda d: f"{d.year:04d}/{d.month}/{d.day}"),
    DAY.map(lambda d: f"{d.year:04d}年{d.month}月{d.day}日"),
    DAY.map(lambda d: f"{d.year:04d}{d.month:02d}{d.day:02d}"),
    DAY.map(lambda d: f"{d.year:04d}-{d.month:02d}"),
    DAY.map(lambda d: f"{d.year:04d}-Q{(d.month - 1) // 3 + 1}"),
    DAY.map(lambda d: f"{d.year:04d}"),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(chosen=st.sampled_from(VALUED), value=VALUE)
def test_any_option_given_a_number_or_a_date_anywhere_in_the_calendar(register, chosen, value):
    assert_told(*attempt(register, *chosen, value))


@pytest.mark.parametrize("args,option", [
    (["report", "--period", "0001-01"], "--period"), (["report", "--period", "9999-12"], "--period"),
    (["report", "--period", "9999-Q4"], "--period"), (["report", "--period", "0001"], "--period"),
    (["due", "--within", "999999999"], "--within"), (["due", "--within", "36501"], "--within"),
    (["due", "--within", "-1"], "--within"),
    (["draw", "--count", "1", "--seed", "99999999999999999999999999"], "--seed"),
    (["draw", "--count", "1", "--seed", str(2**63)], "--seed"), (["draw", "--count", "1", "--seed", "-1"], "--seed"),
])
def test_the_extremes_the_issue_met_are_refused_naming_the_option(db, args, option):
    add_case()
    res = run(*args, *AS_OF)
    assert res.exit_code == 1 and option in res.stderr and "内部错误" not in res.stderr, res
    assert rows(db, "SELECT count(*) FROM draws") == [(0,)]


@pytest.mark.parametrize("command", [["audit", "list"], ["import", "log"], ["case", "list"], ["visit", "list"],
                                     ["test", "list"], ["leave", "list"]])
@pytest.mark.parametrize("limit", ["99999999999999999999", str(2**63), "0", "-1"])
def test_a_limit_past_what_the_database_counts_or_below_one_is_refused(db, command, limit):
    add_case()
    res = run(*command, "--limit", limit)
    assert res.exit_code == 2 and "--limit 的值不对" in res.stderr and "内部错误" not in res.stderr, res
    assert "datatype" not in res.stderr


def test_the_largest_values_that_are_taken_work(db):
    add_case()
    assert len(ok("audit", "list", "--limit", str(2**63 - 1), "-f", "json").json()) == 1
    assert ok("due", "--within", "36500", "-f", "json", *AS_OF).json()
    drawn = ok("draw", "--count", "1", "--seed", str(2**63 - 1), "-f", "json", *AS_OF).json()
    assert [d["seed"] for d in drawn] == [2**63 - 1]
    assert rows(db, "SELECT seed FROM draws") == [(2**63 - 1,)]
    again = ok("draw", "--count", "1", "--seed", str(2**63 - 1), "-f", "json", *AS_OF).json()
    assert [d["case_id"] for d in again] == [d["case_id"] for d in drawn]
    assert ok("report", "--period", "2100-12", "-f", "json", "--as-of", "2100-12-31").json()
    assert ok("report", "--period", "1900-01", "-f", "json", *AS_OF).json()
