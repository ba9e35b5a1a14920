"""The screens a clerk reads: every listing, a person's page, `jindu demo` and help screens, run as
`python -m jindu_cli` in a real pseudo-terminal 80, 100, 120 and 160 columns wide, over a register
with long Chinese names, streets, notes and reasons (issue 22).

What a terminal shows is measured as a terminal draws it (rich.cells.cell_len: Chinese takes two
columns), apart from jindu's own measure, and checked against the same listing written to a pipe,
which keeps every column in full, one row a line:
- no line is wider than the terminal;
- each row of a listing takes one line from 120 columns on and at most two below, apart from its long
  text (a reason, a note), which may go on a line of its own under the row and continue when it is
  longer than the room it has, broken only where the line is full;
- no date, name, masked ID or other value is ever broken across lines: each is whole on a line of
  its row (an ID down to its tail, a 街道 or 社区 without its suffix, or a column that gives way);
- help wraps, and never cuts with "…".
"""

from __future__ import annotations

import os
import re
import select
import struct
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from rich.cells import cell_len

import jindu_cli
from support import make_id, ok

termios = pytest.importorskip("termios")  # a pseudo-terminal is POSIX's: on Windows the rest of the suite runs
fcntl = pytest.importorskip("fcntl")

WIDTHS = (80, 100, 120, 160)
WIDE = 120  # from here on a row takes one line
IN_FULL = 1000  # a terminal wide enough for every listing's rows in full, one a line
AS_OF = "2026-11-28"
SRC = str(Path(jindu_cli.__file__).resolve().parents[1])
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
DATE = re.compile(r"\d{4}-\d\d-\d\d")
CLOSING = "，。；：、）」』》！？”’〕】"  # what a line of Chinese never begins with


# --- running the CLI in a pseudo-terminal -------------------------------------------------------

def screens(args: list[str] | Callable[[int], list[str]], db: Path, widths=WIDTHS) -> dict[int, str]:
    """What `python -m jindu_cli ARGS` (or the arguments `args` gives for a width) writes to a terminal
    of each width (its stdout: messages go to stderr), the terminals run side by side."""
    # (what would set the width other than the terminal's own size goes)
    unset = ("COLUMNS", "LINES", "NO_COLOR", "TERMINAL_WIDTH", "_TYPER_FORCE_DISABLE_TERMINAL")
    env = {k: v for k, v in os.environ.items() if k not in unset}
    env.update(JINDU_DB=str(db), PYTHONPATH=SRC, TERM="xterm-256color", PYTHONIOENCODING="utf-8")
    running = {}
    for width in widths:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, width, 0, 0))
        given = args(width) if callable(args) else args
        proc = subprocess.Popen([sys.executable, "-m", "jindu_cli", *given], stdin=subprocess.DEVNULL, stdout=slave,
                                stderr=subprocess.PIPE, env=env)
        os.close(slave)
        running[master] = (width, proc, [])
    open_fds = set(running)
    while open_fds:
        ready, _, _ = select.select(list(open_fds), [], [], 60)
        assert ready, f"{args}: no output for 60 s"
        for fd in ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # (EIO: the terminal's other end closed)
                chunk = b""
            if chunk:
                running[fd][2].append(chunk)
            else:
                open_fds.discard(fd)
                os.close(fd)
    shown = {}
    for width, proc, chunks in running.values():
        err = proc.stderr.read().decode()
        proc.stderr.close()
        assert proc.wait() == 0, f"{args} at {width}: {err}"
        shown[width] = ANSI.sub("", b"".join(chunks).decode()).replace("\r\n", "\n")
    return shown


def plain(db: Path, *args: str) -> str:
    """The same command written to a pipe: every column in full, one row a line."""
    return ok(*args, "--db", db).stdout


# --- the register -------------------------------------------------------------------------------

PEOPLE = [  # long names (Uyghur names with their dot, a Mongolian name, compound surnames), long 社区
    dict(name="欧阳娜仁高娃", id=make_id(date(1988, 7, 19), 415), street="黔灵东路", community="枣山路社区居委会",
         measure="社区戒毒", worker="欧阳晓燕", risk="高", received_on="2025-01-02", reported_on="2025-01-10"),
    dict(name="买买提·艾力", id=make_id(date(1992, 3, 4), 223), street="盐务街", community="和平社区",
         measure="社区康复", term_months="24", worker="李芳", received_on="2025-10-02", reported_on="2025-10-09"),
    dict(name="诸葛晓明", id=make_id(date(1979, 12, 30), 97), street="茶园路", community="金鸭社区",
         measure="社区戒毒", worker="李芳", received_on="2026-11-20"),
    dict(name="司马长风", id=make_id(date(1995, 5, 5), 331), street="盐务街", community="北新社区",
         measure="社区戒毒", worker="欧阳晓燕", risk="高", received_on="2026-03-02", reported_on="2026-03-09"),
    dict(name="张伟", id=make_id(date(1970, 1, 1), 12), street="三桥路", community="马王庙社区", measure="社区戒毒",
         worker="王磊", received_on="2024-05-02", reported_on="2024-05-28"),
    dict(name="阿依古丽·买买提", id=make_id(date(1985, 8, 8), 538), street="黔灵镇", community="茶店村",
         measure="社区康复", term_months="36", worker="孙杰", received_on="2024-11-02", reported_on="2024-11-05"),
    dict(name="陈𠮷", id=make_id(date(2001, 2, 3), 601), street="头桥", community="海马冲社区", measure="社区戒毒",
         worker="赵敏", received_on="2026-11-25"),  # a rarer character (outside the basic plane) in a name
]


@pytest.fixture(scope="module")
def register(tmp_path_factory) -> Path:
    """A register built through the CLI, as the tests' own fixture would (no real file touched)."""
    folder = tmp_path_factory.mktemp("screen")
    db = folder / "jindu.db"
    with pytest.MonkeyPatch.context() as mp:
        for key, value in (("JINDU_DB", str(db)), ("XDG_DATA_HOME", str(folder / "xdg")), ("NO_COLOR", "1"),
                           ("JINDU_OPERATOR", "欧阳晓燕")):
            mp.setenv(key, value)
        _build(folder)
    return db


def _build(folder: Path) -> None:
    on = ["--as-of", AS_OF]
    ids = []
    for person in PEOPLE:
        args = ["case", "add"]
        for key, value in person.items():
            args += [f"--{key.replace('_', '-')}", value]
        ids.append(ok(*args, *on).stdout.strip())
    ouyang, maimaiti, _, sima, zhang, ayi, _ = ids
    ok("visit", "add", ouyang, "--kind", "入户走访", "--on", "2026-11-20", "--place", "枣山路社区居委会二楼调解室",
       "--notes", "家属反映近期在贵阳市云岩区黔灵东路一带务工，情绪稳定，按时参加社区组织的禁毒宣传活动", *on)
    ok("visit", "add", maimaiti, "--kind", "电话联系", "--outcome", "未接通", "--on", "2026-11-21",
       "--notes", "连续两次拨打无人接听", *on)
    ok("visit", "add", sima, "--kind", "谈话", "--on", "2026-11-25", *on)
    ok("visit", "add", ayi, "--kind", "帮扶", "--sub-kind", "就业", "--on", "2026-11-18",
       "--notes", "联系黔灵镇茶店村合作社安排就业岗位，本人表示愿意参加，下月初到岗", *on)
    ok("test", "add", ouyang, "--specimen", "尿液", "--result", "阴性", "--on", "2026-11-20", "--tester", "欧阳晓燕", *on)
    ok("test", "add", sima, "--specimen", "尿液", "--result", "阳性", "--substance", "冰毒", "--on", "2026-11-25",
       "--notes", "现场检测阳性，样本已于 2026-11-26 送贵阳市公安局云岩分局禁毒大队复检", *on)
    ok("test", "add", maimaiti, "--specimen", "毛发", "--result", "拒检", "--on", "2026-11-21", *on)
    ok("leave", "add", ayi, "--from", "2026-11-10", "--to", "2026-12-20", "--destination", "新疆维吾尔自治区乌鲁木齐市天山区",
       "--reason", "回原籍探望病重的母亲并办理户籍迁移手续", "--approved-by", "黔灵镇禁毒办主任王建国", *on)
    ok("leave", "add", zhang, "--unreported", "--from", "2026-10-03", "--days", "12", *on)
    ok("case", "update", zhang, "--late-reason", "住院治疗，持有贵州医科大学附属医院出具的住院证明和出院小结", *on)
    ok("case", "update", maimaiti, "--phone", "13812345678",
       "--residence-address", "贵阳市云岩区盐务街街道和平社区新华路128号3单元502室", *on)
    ok("case", "police-report", sima, "--on", "2026-11-26", "--reference", "云公禁〔2026〕88号", *on)
    ok("case", "show", ouyang, "--reveal", *on)
    inbox = folder / "街道报表" / "盐务街街道2026年11月"
    inbox.mkdir(parents=True)
    log = inbox / "盐务街街道社区戒毒社区康复人员走访记录（2026年11月第二批）.csv"
    log.write_text("姓名,身份证号,走访日期,走访方式,走访结果,走访人,情况记录\n"
                   f"司马长风,{PEOPLE[3]['id']},2026-11-27,入户走访,见到本人,欧阳晓燕,本人在家，态度较好\n", encoding="utf-8")
    ok("import", "visits", log, *on)
    ok("activity", "add", "--kind", "进校园", "--title", "开学第一课禁毒教育", "--street", "黔灵东路", "--community", "新华社区",
       "--place", "贵阳市第二十四中学", "--audience", "学生、教师、家长", "--participants", "1320", "--materials", "1400",
       "--partners", "黔灵东路派出所", "--worker", "欧阳晓燕", "--on", "2026-11-12", *on)
    ok("activity", "add", "--kind", "毒情摸排", "--street", "黔灵镇", "--households", "245", "--clues", "3",
       "--clues-referred", "1", "--on", "2026-11-20", *on)
    ok("screen", "add", "--group", "娱乐场所从业人员", "--street", "黔灵东路", "--specimen", "毛发", "--tested", "120",
       "--positives", "1", "--place", "中华北路某某量贩式KTV", "--organiser", "贵阳市公安局云岩分局禁毒大队",
       "--worker", "欧阳晓燕", "--on", "2026-11-06", *on)
    ok("screen", "refer", "1", "--id", make_id(date(1995, 5, 5), 901), "--name", "欧阳某某", "--police-unit",
       "贵阳市公安局云岩分局黔灵东路派出所", *on)


# --- reading a table off a screen ---------------------------------------------------------------

def _cells(line: str) -> list[str]:
    """A line as the terminal's cells: a wide character, then "" for the second cell it takes."""
    out = []
    for ch in line:
        out += [ch] + [""] * (cell_len(ch) - 1)
    return out


def table_rows(text: str, gap: int = 2) -> list[dict[str, str]]:
    """The rows of the first table of a listing laid out one row a line (written to a pipe, columns
    three spaces apart, or on a terminal so wide that nothing is narrowed, two apart), by heading: each
    column starts where its heading does. Headings of groups and the count under it are not rows."""
    lines = text.splitlines()
    rule = next(i for i, line in enumerate(lines) if line.startswith("───"))
    head = _cells(lines[rule - 1])
    starts = [m.start() for m in re.finditer(rf"(?:^|(?<={' ' * gap}))\S", "".join(c or "\0" for c in head))]
    labels = ["".join(head[a:b]).strip() for a, b in zip(starts, starts[1:] + [len(head)])]
    found = []
    for n, line in enumerate(lines[rule + 1:], rule + 1):
        if n + 1 < len(lines) and lines[n + 1].startswith("───"):
            break  # the next table's headings
        cells = _cells(line)
        if len(cells) <= starts[1] or any(c != " " for s in starts[1:] for c in cells[s - gap:s] if s <= len(cells)):
            continue
        found.append({label: "".join(cells[a:b]).strip() for label, a, b in zip(labels, starts, starts[1:] + [None])})
    return found


def screen_rows(text: str, rows: list[dict[str, str]]) -> list[list[str]]:
    """Each row's lines on the screen, in order: its first line begins with its first column's value and
    holds its second's; the lines after it that begin with a space are its own."""
    lines = text.splitlines()
    rule = next(i for i, line in enumerate(lines) if line.startswith("───"))
    found, n = [], rule + 1
    for row in rows:
        first, second = list(row.values())[:2]
        while not (lines[n].startswith(first + " ") and second in lines[n]):
            n += 1
            assert n < len(lines), f"row {first} {second} not found on the screen:\n{text}"
        mine = [lines[n]]
        while n + 1 < len(lines) and lines[n + 1].startswith(" "):
            n += 1
            mine.append(lines[n])
        found.append(mine)
        n += 1
    return found


def _id_tail(value: str) -> str:
    return "**" + value[-4:]


def _suffixless(value: str) -> str:
    return re.sub("(街道|社区居委会|居委会|社区)$", "", value) or value


# a value may be shown in a narrower form, or its column give way, when the terminal is narrow: the
# ID down to its tail, 街道 and 社区 without their suffix; the rule's code, 性别 (the ID has it),
# 剩余天数 (beside 期满日期), 面对面 (its 方式 and 结果 say it), the SHA-256 of a file
SHORT_FORMS: dict[str, Callable[[str], str]] = {"身份证号": _id_tail, "街道": _suffixless, "社区": _suffixless}
GIVE_WAY = {"依据", "性别", "剩余天数", "面对面", "SHA-256"}


def _nows(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _first_piece(text: str) -> str:
    """What a line cannot be broken inside: a run of letters and digits or one character, with its
    brackets and punctuation."""
    return re.match(r"[（「《“〔【]*(?:[!-~]+|\S)[" + CLOSING + "]*", text).group()


def check_listing(rows: list[dict[str, str]], screen: str, width: int, long_text: bool) -> None:
    """A listing on a terminal `width` columns wide against its rows in full (`table_rows`)."""
    check_lines(screen, width)
    assert rows
    for row, lines in zip(rows, screen_rows(screen, rows)):
        where = f"at {width} columns, row {list(row.values())[:2]}:\n" + "\n".join(lines)
        values = list(row.items())
        flow = values.pop()[1] if long_text else None
        grid_lines = lines[:1] if width >= WIDE else lines[:2]
        for label, value in values:
            if not value:
                continue
            forms = {value, SHORT_FORMS[label](value)} if label in SHORT_FORMS else {value}
            if not any(f in line for f in forms for line in grid_lines):
                assert label in GIVE_WAY, f"{label}“{value}” not whole, {where}"
        if not flow:
            assert len(lines) <= len(grid_lines), where
            continue
        assert _nows(flow) in _nows("".join(lines)), f"the long text is not all there, {where}"
        for day in DATE.findall(flow):
            assert any(day in line for line in lines), f"{day} broken, {where}"
        for n in range(1, len(lines)):
            before, line = lines[n - 1], lines[n]
            assert line.strip()[0] not in CLOSING, f"a line begins with “{line.strip()[0]}”, {where}"
            goes_on = (before.split()[-1] + _nows(line)) in _nows(flow)
            if n >= 2:  # past the second line only the long text, going on from the line before
                assert goes_on, f"line {n + 1} is not the long text going on, {where}"
            if goes_on:  # and broken only where the line was full
                assert cell_len(before.rstrip()) + 1 + cell_len(_first_piece(line.strip())) > width, \
                    f"line {n + 1} broken early, {where}"
        if width >= WIDE and len(lines) > 2:  # a third line only for a text longer than a line of its own
            assert sum(cell_len(line.strip()) for line in lines[1:]) > width - 2, where


def check_lines(screen: str, width: int) -> None:
    for line in screen.splitlines():
        assert cell_len(line) <= width, f"{cell_len(line)} columns at {width}: {line}"


# --- the listings -------------------------------------------------------------------------------

@dataclass
class Listing:
    args: tuple[str, ...]
    long_text: bool  # the last column is long text (a reason, a note)
    own_columns: bool = False  # the screen shows as one long text what a file keeps in columns of their own


LISTINGS = {
    "due": Listing(("due", "--as-of", AS_OF), True),
    "due --street": Listing(("due", "--street", "盐务街", "--within", "30", "--as-of", AS_OF), True),
    "case list": Listing(("case", "list", "--as-of", AS_OF), False),
    "case flags": Listing(("case", "flags", "--as-of", AS_OF), True, own_columns=True),
    "visit list": Listing(("visit", "list"), True),
    "test list": Listing(("test", "list"), True),
    "leave list": Listing(("leave", "list", "--as-of", AS_OF), True, own_columns=True),
    "import log": Listing(("import", "log"), True),
    "audit list": Listing(("audit", "list"), True),
    "activity list": Listing(("activity", "list"), True),
    "screen list": Listing(("screen", "list"), True),
    "screen referrals": Listing(("screen", "referrals"), False),
}


def in_full(shown: dict[int, str], pipe: str) -> list[dict[str, str]]:
    """The rows of a listing as a terminal too wide to narrow anything shows them, checked against
    the same listing written to a pipe: the same rows, in the same order."""
    rows = table_rows(shown.pop(IN_FULL))
    assert [list(r.values())[:2] for r in rows] == [list(r.values())[:2] for r in table_rows(pipe, gap=3)]
    return rows


@pytest.mark.parametrize("name", LISTINGS)
def test_a_listing_fits_the_terminal_one_row_a_line(register, name):
    listing = LISTINGS[name]
    pipe = plain(register, *listing.args)
    if listing.own_columns:
        shown = screens(list(listing.args), register, widths=WIDTHS + (IN_FULL,))
        rows = in_full(shown, pipe)
    else:
        shown, rows = screens(list(listing.args), register), table_rows(pipe, gap=3)
    for width, screen in shown.items():
        check_listing(rows, screen, width, listing.long_text)


def test_a_persons_page_fits_the_terminal(register):
    """case show: the record (a label, its value beside it, a long value continuing under itself),
    then the person's flags and what happened, each a listing."""
    args = ["case", "show", "张伟", "--as-of", AS_OF]
    shown = screens(args, register, widths=WIDTHS + (IN_FULL,))
    full = shown.pop(IN_FULL)
    record = dict(re.split(r" {2,}", line, maxsplit=1) for line in full.split("\n标记\n")[0].splitlines()[1:]
                  if re.search(r" {2,}", line))
    assert record["姓名"] == "张伟" and record["逾期报到理由"].startswith("住院治疗")
    flag_rows, timeline_rows = (table_rows(part) for part in full.split("\n标记\n")[1].split("\n经过（最新的在前）\n"))
    assert [r["标记"] for r in flag_rows] == ["逾期未报到"] and len(timeline_rows) == 2
    for width, screen in shown.items():
        check_lines(screen, width)
        page, flags = screen.split("\n标记\n")
        flags, timeline = flags.split("\n经过（最新的在前）\n")
        lines = page.splitlines()
        for label, value in record.items():
            [n] = [n for n, line in enumerate(lines) if line.startswith(label + " ")]
            own = [lines[n]]
            while n + len(own) < len(lines) and lines[n + len(own)].startswith(" "):
                own.append(lines[n + len(own)])
            assert _nows(value) in _nows(" ".join(own)[len(label):]), f"{label} at {width}:\n" + "\n".join(own)
            for token in DATE.findall(value) + [value] * (cell_len(value) <= 30):
                assert any(token in line for line in own), f"{label}: {token} broken at {width}"
        check_listing(flag_rows, flags, width, long_text=True)
        check_listing(timeline_rows, timeline, width, long_text=True)


def test_the_demo_fits_the_terminal(tmp_path):
    """jindu demo, the first screen a new user sees: its register and its morning list."""
    shown = screens(lambda width: ["demo", "--db", str(tmp_path / f"demo{width}.db"), "--as-of", AS_OF],
                    tmp_path / "jindu.db")
    db = tmp_path / f"demo{WIDTHS[0]}.db"  # (the same day builds the same demo)
    register = table_rows(plain(db, "case", "list", "--as-of", AS_OF, "--sort", "street"), gap=3)
    morning = table_rows(plain(db, "due", "--as-of", AS_OF), gap=3)
    for width, screen in shown.items():
        cases, due = screen.split("到期清单（jindu due）")
        check_listing(register, cases, width, long_text=False)
        check_listing(morning, due, width, long_text=True)


@pytest.mark.parametrize("command", [(), ("case", "add"), ("case", "update")])
def test_help_wraps_and_never_cuts(command, tmp_path):
    """Help at each width: every option named whole, every date of an example whole, nothing cut with "…"."""
    from typer.main import get_command

    from jindu_cli.cli import app

    group = get_command(app)
    cmd = group
    for word in command:
        cmd = cmd.commands[word]
    names = [opt for p in cmd.params for opt in p.opts + p.secondary_opts if opt.startswith("--")]
    dates = [d for p in cmd.params for d in re.findall(r"\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}日?|\d{8}", p.help or "")]
    for width, screen in screens([*command, "--help"], tmp_path / "jindu.db").items():
        check_lines(screen, width)
        assert "…" not in screen.replace("……", ""), f"cut at {width}:\n{screen}"  # (…… is Chinese for "and so on")
        words = set(re.findall(r"--[a-z-]+", screen))
        assert set(names) <= words, f"at {width}: {set(names) - words}"
        for day in dates:
            assert day in screen, f"{day} broken at {width}"
