"""Files written with --output: the name decides the format, for every command that writes one;
a name jindu cannot honour, or a -f against it, is refused before anything is read or written."""

import csv
import io
import json
import stat
import zipfile

import pytest

from support import add_case, make_id, ok, rows, run

NOW = ["--as-of", "2026-11-28"]
COMMANDS = {
    "export cases": ["export", "cases"],
    "export visits": ["export", "visits"],
    "export tests": ["export", "tests"],
    "report": ["report", "--period", "2026-10", *NOW],
    "due": ["due", "--within", "30", *NOW],
}
WRITES = {  # the extensions each command writes, and none else
    "export cases": [".csv", ".xlsx", ".json"], "export visits": [".csv", ".xlsx", ".json"],
    "export tests": [".csv", ".xlsx", ".json"],
    "report": [".xlsx", ".html", ".csv", ".md", ".txt", ".json"],
    "due": [".xlsx", ".csv", ".json"],
}


@pytest.fixture
def office(db):
    add_case(name="张伟", received_on="2026-09-01", reported_on="2026-09-05")
    ok("visit", "add", "张伟", "--kind", "谈话", "--on", "2026-10-12", *NOW)
    ok("test", "add", "张伟", "--specimen", "尿液", "--result", "阴性", "--on", "2026-10-13", *NOW)
    return db


def kind_of(data: bytes) -> str:
    """What a file's bytes are, by their content alone."""
    if data.startswith(b"PK\x03\x04"):
        names = zipfile.ZipFile(io.BytesIO(data)).namelist()
        return "xlsx" if "xl/workbook.xml" in names else "zip"
    text = data.decode("utf-8")
    if text.startswith("\ufeff"):
        return "csv-for-people"
    if text.startswith("<!DOCTYPE html>"):
        return "html"
    if text.startswith("# "):
        return "md"
    try:
        json.loads(text)
        return "json"
    except ValueError:
        return "text"


EXPECTED = {".xlsx": "xlsx", ".csv": "csv-for-people", ".json": "json", ".html": "html", ".md": "md", ".txt": "text"}


@pytest.mark.parametrize("command,ext", [(c, e) for c, exts in WRITES.items() for e in exts])
def test_the_extension_decides_the_format(office, tmp_path, command, ext):
    out = tmp_path / "out"
    out.mkdir()
    target = out / f"文件{ext.upper() if ext == '.xlsx' else ext}"  # (the case of the name does not matter)
    res = ok(*COMMANDS[command], "-o", target)
    assert res.stdout == "" and str(target) in res.stderr
    assert kind_of(target.read_bytes()) == EXPECTED[ext]
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert [p.name for p in out.iterdir()] == [target.name]  # no temporary left beside it
    same = tmp_path / "again" / target.name
    same.parent.mkdir()
    ok(*COMMANDS[command], "-f", EXPECTED[ext].split("-")[0].replace("text", "table"), "-o", same)  # -f agreeing
    assert same.read_bytes() == target.read_bytes()


@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_name_jindu_does_not_write_is_refused_naming_what_it_writes(office, tmp_path, command):
    before = rows(office, "SELECT count(*) FROM audit_log")
    out = tmp_path / "out"
    out.mkdir()
    reveal = ["--reveal"] if command != "report" else []
    for name in ["报表.pdf", "登记表.xls", "清单", "a.docx", "r.xlsx.tmp"]:
        res = run(*COMMANDS[command], *reveal, "-o", out / name)
        assert res.exit_code == 1 and res.stdout == "", name
        assert all(ext in res.stderr for ext in WRITES[command]), res.stderr
    assert list(out.iterdir()) == []
    assert rows(office, "SELECT count(*) FROM audit_log") == before  # not even the reveal was recorded


@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_format_against_the_name_is_refused(office, tmp_path, command):
    out = tmp_path / "out"
    out.mkdir()
    res = run(*COMMANDS[command], "-f", "csv", "-o", out / "名单.xlsx")
    assert res.exit_code == 1 and "-f csv 与文件名 名单.xlsx 不符" in res.stderr and "名单.csv" in res.stderr
    res = run(*COMMANDS[command], "-f", "json", "-o", out / "名单.csv")
    assert res.exit_code == 1 and "-f json 与文件名 名单.csv 不符" in res.stderr
    assert list(out.iterdir()) == []


def test_stdout_stays_english_for_scripts_and_the_file_is_in_chinese(office, tmp_path):
    """-f csv on stdout: English keys, no BOM (report, due); the file: Chinese column names, a BOM."""
    for command, key, label in [("report", "group", "街道"), ("due", "case_id", "案件")]:
        text = ok(*COMMANDS[command], "-f", "csv").stdout
        assert not text.startswith("\ufeff") and key in next(csv.reader(io.StringIO(text)))
        target = tmp_path / f"{command}.csv"
        ok(*COMMANDS[command], "-o", target)
        header = next(csv.reader(io.StringIO(target.read_bytes().decode("utf-8-sig"))))
        assert label in header and key not in header and all(not h.isascii() for h in header), header
        assert target.read_bytes().count(b"\r\n") >= 2


def test_the_morning_list_for_cron(office, tmp_path):
    """jindu due -o 今日清单.xlsx|.csv: the list as the table shows it, the ID masked unless revealed."""
    from openpyxl import load_workbook

    listed = ok(*COMMANDS["due"], "-f", "json").json()
    assert listed, "the fixture should have something due"
    ok(*COMMANDS["due"], "-o", tmp_path / "今日清单.xlsx")
    sheet = load_workbook(tmp_path / "今日清单.xlsx").worksheets[0]
    table = [[c.value for c in row] for row in sheet.iter_rows()]
    assert table[0] == ["案件", "姓名", "身份证号", "街道", "专干", "事项", "到期日", "天数", "依据", "原因"]
    assert [r[0] for r in table[1:]] == [str(d["case_id"]) for d in listed]
    assert [r[6] for r in table[1:]] == [d["due_on"] for d in listed]
    assert all(r[2] == d["id_number"] and "*" in r[2] for r, d in zip(table[1:], listed))  # masked
    ok(*COMMANDS["due"], "--reveal", "-o", tmp_path / "今日清单.csv")
    back = list(csv.reader(io.StringIO((tmp_path / "今日清单.csv").read_bytes().decode("utf-8-sig"))))
    assert back[0] == table[0] and len(back) == len(table)
    assert back[1][2] == f'="{make_id()}"'  # revealed, and kept as text when Excel opens it
    assert rows(office, "SELECT count(*) FROM audit_log WHERE action = 'reveal'") == [(1,)]


def test_due_output_with_explain_is_refused(office, tmp_path):
    res = run("due", "--explain", "张伟", "-o", tmp_path / "x.csv", *NOW)
    assert res.exit_code == 1 and "--explain" in res.stderr and not (tmp_path / "x.csv").exists()
