"""jindu import and export with the files street offices really send."""

import csv
import io
import itertools
import json
import os
import re
import signal
import sqlite3
import stat
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import pytest

from support import add_case, make_id, ok, rows, run

AS_OF = ["--as-of", "2026-11-28"]
A = make_id(date(1990, 1, 1), 111)
B = make_id(date(1985, 5, 5), 222)
X = make_id(date(2001, 9, 4), 318)  # ends in X
CASES_HEADER = ["序号", "姓名", "性别", "公民身份号码", "执行地", "所属社区", "管控类型", "期限(月)", "决定日期", "报到日期",
                "滥用毒品种类", "联系电话", "禁毒专干", "风险等级", "备注"]


def counting_calls(function, calls: list):
    def counted(*args, **kwargs):
        calls.append(args)
        return function(*args, **kwargs)
    return counted


def write(path, header, records, encoding="utf-8-sig", delimiter=","):
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(records)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def register(tmp_path, encoding="utf-8-sig"):
    return write(tmp_path / "cases.csv", CASES_HEADER, [
        ["1", "张伟", "男", A, "盐务街街道", "和平社区", "社区戒毒", "36", "2025-01-02", "2025-01-10", "冰毒", "13812345678",
         "李芳", "高", ""],
        ["2", "周文", "女", B, "头桥", "东山社区", "社区康复", "24", "2025.3.1", "2025/3/8", "K粉", "13912345678.0",
         "赵敏", "低", ""],
    ], encoding)


def imported(*args):
    return ok("import", *args, "-f", "json", *AS_OF).json()


def counts(db):
    return {t: rows(db, f"SELECT count(*) FROM {t}")[0][0] for t in ("cases", "visits", "drug_tests", "import_files")}


def test_register_in_gb18030_and_utf8_with_bom(db, tmp_path):
    path = register(tmp_path, "gb18030")
    [report] = imported("cases", path)
    assert {k: report[k] for k in ("encoding", "rows", "inserted", "updated", "unchanged", "rejected")} == {
        "encoding": "GB18030/GBK", "rows": 2, "inserted": 2, "updated": 0, "unchanged": 0, "rejected": 0}
    assert rows(db, "SELECT id_number, street, measure, term_months, reported_on, phone, drugs FROM cases ORDER BY id") == [
        (A, "盐务街街道", "community_treatment", 36, "2025-01-10", "13812345678", '["甲基苯丙胺"]'),
        (B, "头桥街道", "community_rehab", 24, "2025-03-08", "13912345678", '["氯胺酮"]')]
    (tmp_path / "x").mkdir()
    bom = register(tmp_path / "x", "utf-8-sig")
    [again] = imported("cases", bom)
    assert again["encoding"] == "UTF-8（带 BOM）" and again["unchanged"] == 2 and again["inserted"] == 0


def test_upsert_updates_changed_fields_and_audits_them(db, tmp_path):
    imported("cases", register(tmp_path))
    changed = write(tmp_path / "changed.csv", ["身份证号码", "姓名", "执行地", "措施", "联系电话", "风险等级"], [
        [A, "张伟", "盐务街", "社区戒毒", "13700000000", "中"],
        [B, "周文", "头桥街道", "社区康复", "", ""],
    ])
    res = ok("import", "cases", changed, *AS_OF)
    assert "changed.csv：更新了 1 人：联系电话 1 人，风险等级 1 人（每一处改动都记入审计" in res.stderr
    [report] = imported("cases", changed, "--again")
    assert (report["updated"], report["unchanged"]) == (0, 2) and report["updated_fields"] == {}
    report = json.loads(ok("import", "log", "-f", "json").stdout)[1]
    assert (report["updated"], report["unchanged"]) == (1, 1)
    assert rows(db, "SELECT phone, risk_level FROM cases WHERE id_number = ?", [A]) == [("13700000000", "medium")]
    assert rows(db, "SELECT phone FROM cases WHERE id_number = ?", [B]) == [("13912345678",)]  # empty cells never clear
    audited = rows(db, "SELECT changes FROM audit_log WHERE action = 'update' AND entity = 'case'")
    assert len(audited) == 1 and '"phone": ["13812345678", "13700000000"]' in audited[0][0]


@pytest.mark.parametrize("header", [
    ["身份证号", "姓名", "街道", "管控类型"], ["身份证号码", "姓名", "所属街道", "措施"],
    ["公民身份号码", "姓名", "执行地", "人员类型"], ["证件号码", "姓名", "执行地街道", "类型"],
    ["id_number", "name", "street", "measure"], ["身份证号*", " 姓 名 ", "街道（必填）", "管控类型"],
    ["身份证号码（18位）", "姓名：", "所属街道(全称)", "措施（社区戒毒/社区康复）"],
])
def test_header_variants(db, tmp_path, header):
    path = write(tmp_path / "c.csv", header, [[A, "张伟", "盐务街", "社区戒毒"]])
    assert imported("cases", path)[0]["inserted"] == 1


def test_a_term_given_in_other_units_is_not_read_as_months(db, tmp_path):
    path = write(tmp_path / "c.csv", ["身份证号", "姓名", "街道", "措施", "期限(年)"], [[B, "周文", "头桥", "社区康复", "3"]])
    res = run("import", "cases", path, "-f", "json", *AS_OF)
    [report] = res.json()
    assert report["unknown_columns"] == ["期限(年)"] and report["rejected"] == 1  # 社区康复 needs its term
    assert "期限" in report["errors"][0]["reason"] and rows(db, "SELECT count(*) FROM cases") == [(0,)]


def test_delimiters_and_utf16(db, tmp_path):
    header = ["身份证号", "姓名", "街道", "措施"]
    tab = write(tmp_path / "tab.txt", header, [[A, "张伟", "盐务街", "社区戒毒"]], delimiter="\t")
    semi = write(tmp_path / "semi.csv", header, [[B, "周文", "头桥", "社区康复"]], delimiter=";")
    assert [r["inserted"] for r in imported("cases", tab)] == [1]
    path = write(tmp_path / "utf16.txt", ["身份证号", "姓名", "街道", "措施", "期限"], [[B, "周文", "头桥", "社区康复", "24"]],
                 "utf-16", "\t")
    [report] = imported("cases", path)
    assert report["encoding"] == "UTF-16" and report["inserted"] == 1
    assert imported("cases", semi)[0]["unchanged"] == 1


BAD_ROWS = [
    (["5.20103E+17", "甲", "盐务街", "社区戒毒"], "公民身份号码", "科学计数法"),
    ([A[:-1] + ("0" if A[-1] != "0" else "1"), "甲", "盐务街", "社区戒毒"], "公民身份号码", "校验位错误"),
    ([A[:10], "甲", "盐务街", "社区戒毒"], "公民身份号码", "长度应为 18 位"),
    ([make_id(seq=7), "甲", "火星街道", "社区戒毒"], "执行地", "不是已知的街道"),
    ([make_id(seq=7), "甲", "盐务街", "强制戒毒"], "管控类型", "不是可选的值"),
    ([make_id(seq=7), "", "盐务街", "社区戒毒"], "姓名", "必须填写"),
    ([make_id(seq=7), "甲", "盐务街", "社区康复"], "", "期限"),
    ([make_id(seq=7), "甲", "盐务街", "社区戒毒", "1.38123E+10"], "联系电话", "科学计数法"),
    ([make_id(seq=7), "甲", "盐务街", "社区戒毒", "1381234567x"], "联系电话", "不是电话号码"),
]


@pytest.mark.parametrize("record,column,words", BAD_ROWS)
def test_each_bad_value_is_reported_with_its_column_and_nothing_else_changes(db, tmp_path, record, column, words):
    imported("cases", register(tmp_path))
    before = counts(db)
    good = [make_id(seq=9), "好人", "头桥", "社区戒毒", ""]
    path = write(tmp_path / "bad.csv", ["公民身份号码", "姓名", "执行地", "管控类型", "联系电话"],
                 [good, record + [""] * (5 - len(record))])
    res = run("import", "cases", path, "-f", "json", *AS_OF)
    assert res.exit_code == 1
    [report] = res.json()
    assert (report["inserted"], report["rejected"]) == (1, 1)
    [error] = report["errors"]
    assert error["line"] == 3 and error["column"] == column and words in error["reason"], error
    if column == "公民身份号码" and len(record[0]) == 18:
        assert record[0] not in json.dumps(report, ensure_ascii=False)  # masked, never in full
    if column == "联系电话":
        assert record[4] not in json.dumps(report, ensure_ascii=False)  # nor a phone
    after = counts(db)
    assert after["cases"] == before["cases"] + 1 and after["import_files"] == before["import_files"] + 1


def test_values_the_way_spreadsheets_leave_them(db, tmp_path):
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in B)
    path = write(tmp_path / "messy.csv", ["身份证号", "姓名", "执行地", "管控类型", "期限(月)", "报到日期", "决定日期", "联系电话"], [
        [f"  {X.lower()} ", "李四", " 盐务街 ", "社戒", "", "2025-06-01 00:00:00", "2025年5月20日", "13612345678.0"],
        [full_width, "周文", "头桥", "社康", "24", "20250308", "2025.3.1", ""],
        [A[:6] + A[8:17], "张伟", "渔安", "community-treatment", "", "2025/1/10", "", ""],
        ["", "", "", "", "", "", "", ""],
    ])
    [report] = imported("cases", path)
    assert (report["rows"], report["inserted"], report["rejected"]) == (3, 3, 0), report
    found = {r[0]: r[1:] for r in rows(db, "SELECT id_number, street, measure, reported_on, phone FROM cases")}
    assert found[X] == ("盐务街街道", "community_treatment", "2025-06-01", "13612345678")
    assert found[B][:3] == ("头桥街道", "community_rehab", "2025-03-08")
    upgraded = A[:6] + A[8:17]
    assert len(upgraded) == 15 and any(k.startswith(A[:6] + "19" + A[8:14]) for k in found)


def test_names_spaced_out_to_line_up_and_dates_that_lost_their_format(db, tmp_path):
    """An office pads two-character names (张　伟, 张 伟) and a date column saved without its date
    format holds Excel's day numbers (46027). Neither is a mistake in the data."""
    path = write(tmp_path / "c.csv", ["身份证号", "姓名", "执行地", "管控类型", "期限(月)", "报到日期"],
                 [[A, "张　伟", "盐务街", "社区戒毒", "", "45667"],
                  [B, "阿依古丽  买买提", "头桥", "社区康复", "24", "2025年3月8号"]])
    [report] = imported("cases", path)
    assert report["inserted"] == 2
    assert rows(db, "SELECT name, reported_on FROM cases ORDER BY id") == [
        ("张伟", "2025-01-10"), ("阿依古丽 买买提", "2025-03-08")]
    assert ok("case", "list", "--search", "张伟").stdout.count("张伟") == 1
    log = write(tmp_path / "t.csv", TESTS_HEADER, [[A, "张　伟", "46027", "尿检", "阴性", "", ""],
                                                   [A, "张 伟", "46058.0", "尿检", "阴性", "", ""],
                                                   [A, "张  三", "2026-03-05", "尿检", "阴性", "", ""],
                                                   [A, "张伟", "20260", "尿检", "阴性", "", ""]])  # typed short
    res = run("import", "tests", log, "-f", "json", *AS_OF)
    [report] = res.json()
    assert (report["inserted"], report["rejected"]) == (2, 2) and report["errors"][0]["column"] == "姓名"
    assert "无法识别的日期“20260”" in report["errors"][1]["reason"]
    assert rows(db, "SELECT tested_on FROM drug_tests ORDER BY tested_on") == [("2026-01-05",), ("2026-02-05",)]


def test_numbers_kept_as_text_the_ways_other_systems_and_clerks_do(db, tmp_path):
    """="520103..." (a system's CSV keeping a long number as text in Excel), '520103... (a clerk's
    apostrophe), and zero-width spaces pasted from a web page: the number is the number."""
    path = write(tmp_path / "c.csv", ["身份证号", "姓名", "执行地", "管控类型", "联系电话", "报到日期"],
                 [[f'="{A}"', "张伟", "盐务街", "社区戒毒", '="13812345678"', "2025-01-10"],
                  [f"'{X}", "李四", "盐务街", "社区戒毒", "'13612345678", "2025-01-10"]])
    [report] = imported("cases", path)
    assert report["inserted"] == 2
    assert rows(db, "SELECT id_number, phone FROM cases ORDER BY id") == [(A, "13812345678"), (X, "13612345678")]
    log = write(tmp_path / "t.csv", TESTS_HEADER, [[f"\u200b{A}\u200b", "张伟\ufeff", "2026-01-05", "尿检", "阴性", "", ""],
                                                   [f'="{X}"', "李四", "2026-01-06", "尿检", "阴性", "", ""]])
    [report] = imported("tests", log)
    assert (report["inserted"], report["rejected"]) == (2, 0)


@pytest.mark.parametrize("written, code", [
    ("阴性(-)", "negative"), ("阴性（－）", "negative"), ("(-)", "negative"), ("（+）", "positive"),
    ("阳性(+)", "positive"), ("阴性(+)", None), ("阳性", "positive"), ("弱阳性", None),
])
def test_a_result_with_its_sign_in_brackets_as_labs_write_it(written, code):
    from jindu_cli.domain.enums import RESULT
    from jindu_cli.domain.importer import vocabulary
    from jindu_cli.errors import InvalidInput

    parse = vocabulary(None, "result", RESULT)
    if code is None:  # the parts disagree, or no such result: refused, never guessed
        with pytest.raises(InvalidInput):
            parse(written)
    else:
        assert parse(written) == code


def test_ambiguous_date_is_rejected(db, tmp_path):
    path = write(tmp_path / "d.csv", ["身份证号", "姓名", "执行地", "管控类型", "报到日期"],
                 [[A, "张伟", "盐务街", "社区戒毒", "03/04/2025"]])
    [report] = run("import", "cases", path, "-f", "json", *AS_OF).json()
    assert report["errors"][0]["column"] == "报到日期" and "歧义" in report["errors"][0]["reason"]


def log_rows(case=A, name="张伟"):
    return [
        [case, name, "2026-01-05", "尿检", "阴性", "", "王磊"],
        [case, name, "2026/2/5", "尿液", "－", "", "王磊"],
        [case, name, "2026年3月5日", "毛发检测", "阳性", "冰毒", "王磊"],
        [case, name, "2026-01-05", "尿检", "阴性", "", "王磊"],  # the same row sent twice
        [],
        [B, "周文", "20260310", "尿检", "拒检", "", "赵敏"],
    ]


TESTS_HEADER = ["身份证号", "姓名", "检测日期", "检测方式", "检测结果", "检出毒品", "检测人"]


def test_test_log_dedupes_and_is_never_imported_twice(db, tmp_path):
    imported("cases", register(tmp_path))
    path = write(tmp_path / "tests.csv", TESTS_HEADER, log_rows(), "gb18030")
    [report] = imported("tests", path)
    assert {k: report[k] for k in ("rows", "inserted", "unchanged", "rejected")} == {
        "rows": 5, "inserted": 4, "unchanged": 1, "rejected": 0}
    stored = rows(db, "SELECT tested_on, specimen, result, substances, tester, import_id FROM drug_tests ORDER BY id")
    assert [s[:4] for s in stored] == [
        ("2026-01-05", "urine", "negative", "[]"), ("2026-02-05", "urine", "negative", "[]"),
        ("2026-03-05", "hair", "positive", '["甲基苯丙胺"]'), ("2026-03-10", "urine", "refused", "[]")]
    assert {s[5] for s in stored} == {report["ledger_id"]}
    before = counts(db)
    [again] = imported("tests", path)
    assert again["status"] == "duplicate" and "完全相同" in again["message"] and again["inserted"] == 0
    assert counts(db) == before
    copy = write(tmp_path / "copy.csv", TESTS_HEADER, log_rows()[:3])
    [overlap] = imported("tests", copy)
    assert (overlap["inserted"], overlap["unchanged"]) == (0, 3)


@pytest.mark.parametrize("kind, header, record", [
    ("tests", TESTS_HEADER, [A, "张伟", " ", "尿检", "阴性", "", "王磊"]),
    ("visits", ["身份证号", "姓名", "走访日期", "走访方式"], [A, "张伟", "\u3000", "谈话"]),
])
def test_a_date_of_spaces_is_refused_as_empty_on_every_row_that_has_it(db, tmp_path, kind, header, record):
    """A date cell holding only spaces is an empty date: each such row is refused as empty, however
    many there are, and the others go in."""
    imported("cases", register(tmp_path))
    good = [*record[:2], "2026-01-05", *record[3:]]
    path = write(tmp_path / "log.csv", header, [record, good, record, record])
    res = run("import", kind, path, "-f", "json", *AS_OF)
    assert res.exit_code == 1, res.stderr
    [report] = res.json()
    assert (report["inserted"], report["rejected"]) == (1, 3)
    assert {(e["column"], e["reason"]) for e in report["errors"]} == {(header[2], "不能为空")}
    assert [e["line"] for e in report["errors"]] == [2, 4, 5]


def test_a_repeat_names_the_day_of_the_first_import_by_the_office_s_clock(db, tmp_path, monkeypatch):
    import time

    path = register(tmp_path)
    imported("cases", path)
    sqlite3.connect(db).execute("UPDATE import_files SET imported_at = '2026-11-28T23:30:00.000000Z'").connection.commit()
    monkeypatch.setenv("TZ", "Asia/Shanghai")  # 07:30 on the 29th in 贵阳
    time.tzset()
    try:
        [again] = imported("cases", path)
    finally:
        monkeypatch.undo()  # (the zone as it was, for the tests after this one)
        time.tzset()
    assert again["status"] == "duplicate" and again["message"].startswith("与 2026-11-29 由 ")


def test_a_log_sent_before_its_register_goes_in_again_with_again(db, tmp_path):
    """The office imports a test log before the register that names its people: every row is
    refused. Imported again as it is, the same bytes are a duplicate, and the message says how to
    import them once the register is in; with --again the rows go in, and only once."""
    path = write(tmp_path / "tests.csv", TESTS_HEADER, log_rows())
    first = run("import", "tests", path, "-f", "json", *AS_OF)
    assert first.exit_code == 1 and first.json()[0]["rejected"] == 5
    imported("cases", register(tmp_path))
    before = counts(db)
    [same] = imported("tests", path)
    assert same["status"] == "duplicate" and same["inserted"] == 0 and counts(db) == before
    assert "那次有 5 行被拒绝" in same["message"] and "--again" in same["message"]
    [again] = imported("tests", path, "--again")
    assert (again["status"], again["inserted"], again["unchanged"], again["rejected"]) == ("imported", 4, 1, 0)
    assert f"#{first.json()[0]['ledger_id']}" in again["message"]
    assert counts(db) == dict(before, drug_tests=4, import_files=before["import_files"] + 1)
    [later] = imported("tests", path)  # the latest import of these bytes refused nothing: no hint
    assert later["status"] == "duplicate" and later["ledger_id"] == again["ledger_id"]
    assert "--again" not in later["message"]
    [twice] = imported("tests", path, "--again")
    assert (twice["inserted"], twice["unchanged"]) == (0, 5)
    assert rows(db, "SELECT count(*) FROM drug_tests")[0][0] == 4


def test_line_numbers_stay_right_when_a_line_end_straddles_a_read(db, tmp_path):
    """A file is read 64 KiB at a time: a \\r\\n cut in two there is still one line end."""
    imported("cases", register(tmp_path))
    data = ",".join(TESTS_HEADER).encode() + b"\r\n"
    line = 1
    row = f"{A},张伟,2026-01-05,尿检,阴性,,王磊".encode()
    while not 0 <= (1 << 16) - len(data) - len(row) - 1 <= 90:
        data += row + b"\r\n"
        line += 1
    data += row + b"x" * ((1 << 16) - len(data) - len(row) - 1) + b"\r\n"  # its \r is the chunk's last byte
    assert data[(1 << 16) - 1:(1 << 16) + 1] == b"\r\n"
    data += (row + b"\r\n") * 3 + f"{A},张伟,2026-13-45,尿检,阴性,,王磊\r\n".encode()
    line += 1 + 3 + 1
    path = tmp_path / "t.csv"
    path.write_bytes(data)
    res = run("import", "tests", path, "-f", "json", *AS_OF)
    [report] = res.json()
    assert (report["rows"], report["rejected"]) == (line - 1, 1)
    assert [(e["line"], e["value"]) for e in report["errors"]] == [(line, "2026-13-45")]


def test_unknown_person_wrong_name_and_window_guard_per_row(db, tmp_path):
    imported("cases", register(tmp_path))
    path = write(tmp_path / "v.csv", ["身份证号", "姓名", "走访日期", "走访方式", "走访人", "情况记录"], [
        [A, "张伟", "2026-11-01", "谈话", "李芳", "好"],
        [make_id(seq=444), "无名", "2026-11-01", "谈话", "李芳", ""],
        [B, "王五", "2026-11-01", "谈话", "", ""],
        [A, "张伟", "2024-12-01", "入户走访", "", ""],
        [A, "张伟", "2026-12-01", "入户走访", "", ""],
        [A, "张伟", "2026-11-02", "家访", "", "=HYPERLINK(\"x\")"],
    ])
    res = run("import", "visits", path, "-f", "json", *AS_OF)
    assert res.exit_code == 1
    [report] = res.json()
    reasons = {e["line"]: (e["column"], e["reason"]) for e in report["errors"]}
    assert "不在登记表中" in reasons[3][1] and reasons[3][0] == "身份证号"
    assert reasons[4][0] == "姓名" and "周文" in reasons[4][1]
    assert "早于报到日期" in reasons[5][1] and reasons[5][0] == "走访日期"
    assert "晚于今天" in reasons[6][1]
    assert report["inserted"] == 2
    assert rows(db, "SELECT kind, worker, notes FROM visits ORDER BY visited_on") == [
        ("talk", "李芳", "好"), ("home_visit", "李芳", '=HYPERLINK("x")')]
    # one of the four refused for its date alone (before 报到; a date after today is a mistake, not
    # counted): the summary says how to record it anyway
    assert report["outside_measure"] == 1
    said = run("import", "visits", write(tmp_path / "v2.csv", ["身份证号", "姓名", "走访日期", "走访方式"],
                                         [[A, "张伟", "2024-12-02", "入户走访"], [B, "王五", "2026-11-01", "谈话"]]),
               *AS_OF).stderr
    assert "v2.csv：1 行只因日期不在措施期内被拒绝" in said and "“强制记录”填“是”" in said
    forced = write(tmp_path / "v3.csv", ["身份证号", "姓名", "走访日期", "走访方式", "强制记录"],
                   [[A, "张伟", "2024-12-02", "入户走访", "是"]])
    [done] = imported("visits", forced)
    assert (done["inserted"], done["outside_measure"]) == (1, 0)


def test_the_table_gives_one_line_to_rows_refused_alike(db, tmp_path):
    """One person's whole log refused (not in the register) is one line naming its lines; JSON
    keeps every row."""
    imported("cases", register(tmp_path))
    stranger = make_id(date(1992, 2, 2), 555)
    records = [[stranger, "某人", f"2026-0{m}-05", "尿检", "阴性", "", ""] for m in range(1, 6)]
    records.insert(2, [A, "张伟", "2026-13-01", "尿检", "阴性", "", ""])
    records += [[stranger, "某人", "2026-08-05", "尿检", "阴性", "", ""], [A, "张伟", "2026-13-02", "尿检", "阴性", "", ""]]
    path = write(tmp_path / "t.csv", TESTS_HEADER, records)
    res = run("import", "tests", path, *AS_OF)
    assert res.exit_code == 1
    lines = [line for line in res.stdout.split("被拒绝的行")[1].splitlines() if line.startswith("t.csv ")]
    assert len(lines) == 3  # the stranger's rows, and two bad dates (each its own value)
    assert lines[0].split()[1] == "2–3、5–8（6" and "不在登记表中" in lines[0]
    [report] = run("import", "tests", path, "-f", "json", "--again", *AS_OF).json()
    assert [e["line"] for e in report["errors"]] == [2, 3, 4, 5, 6, 7, 8, 9]


def test_a_log_s_unknown_person_refused_in_the_register_of_the_same_run_is_pointed_to(db, tmp_path):
    """The register's row has a wrong check digit, so it is refused, and the logs, which have the ID
    right, name no one: the clerk is sent to the register's row, not to register the person anew."""
    wrong = A[:17] + ("0" if A[17] != "0" else "1")
    drop = tmp_path / "in"
    drop.mkdir()
    write(drop / "cases.csv", CASES_HEADER, [
        ["1", "张伟", "男", wrong, "盐务街街道", "和平社区", "社区戒毒", "36", "2025-01-02", "2025-01-10"],
        ["2", "周文", "女", B, "头桥", "东山社区", "社区康复", "24", "2025.3.1", "2025/3/8", "", "", "", "", "缺街道"]])
    write(drop / "tests.csv", TESTS_HEADER, log_rows())
    res = run("import", "auto", drop, *AS_OF)
    assert res.exit_code == 1
    said = [line for line in res.stderr.splitlines() if "那一行被拒绝了" in line]
    assert said == [f"tests.csv：第 2–5 行的身份证号，cases.csv 第 2 行登记了只差最后一位（校验位）的号码，那一行被拒绝了"
                    f"（校验位错误：按前 17 位算应为 {A[17]}，实际是 {wrong[17]}（{A[:6]}********{wrong[-4:]}））。"
                    "先改正登记表的那一行并重新导入，再加 --again 导入 tests.csv"]
    assert A not in res.stderr and wrong not in res.stderr  # masked, as everywhere
    # a person refused for another reason, whose ID the log has the same
    write(drop / "cases.csv", CASES_HEADER, [["1", "张伟", "男", A, "", "和平社区", "社区戒毒", "36", "", "2025-01-10"]])
    res = run("import", "auto", drop, "--again", *AS_OF)
    assert "cases.csv 第 2 行登记了同一个号码，那一行被拒绝了" in res.stderr


def test_missing_required_column_stops_the_file(db, tmp_path):
    imported("cases", register(tmp_path))
    before = counts(db)
    path = write(tmp_path / "t.csv", ["姓名", "检测日期", "检测结果"], [["张伟", "2026-01-05", "阴性"]])
    res = run("import", "tests", path, "-f", "json", *AS_OF)
    assert res.exit_code == 1
    [report] = res.json()
    assert report["status"] == "failed" and "缺少必需的列“身份证号”" in report["message"]
    assert "姓名、检测日期、检测结果" in report["message"]
    assert counts(db) == before


def titled(path, header, records, encoding="utf-8-sig"):
    """A file as an office's spreadsheet saves it: a title (a merged cell), a line of 填报单位 and
    date, a blank line, then the column names."""
    width = len(header)
    title = [["云岩区盐务街街道社区戒毒（康复）人员检测登记表"] + [""] * (width - 1),
             ["填报单位：盐务街街道禁毒办", "", "填报日期：2026年11月28日"] + [""] * (width - 3),
             [""] * width]
    return write(path, title[0], title[1:] + [header] + records, encoding)


def test_title_lines_above_the_column_names_are_passed_over_and_said(db, tmp_path):
    imported("cases", titled(tmp_path / "cases.csv", CASES_HEADER, [
        ["1", "张伟", "男", A, "盐务街街道", "和平社区", "社区戒毒", "36", "2025-01-02", "2025-01-10", "冰毒", "", "李芳",
         "高", ""]]))
    path = titled(tmp_path / "tests.csv", TESTS_HEADER, [r for r in log_rows() if not r or r[0] == A], "gb18030")
    res = ok("import", "tests", path, *AS_OF)
    assert "列名在第 4 行；其上 2 行（标题、填报单位等）不是数据，没有导入" in res.stderr
    [report] = imported("tests", path, "--again")
    assert (report["header_line"], report["above_header"], report["rows"]) == (4, 2, 4)
    assert (report["inserted"], report["unchanged"], report["rejected"]) == (0, 4, 0)
    assert rows(db, "SELECT count(*) FROM drug_tests") == [(3,)]
    # a rejected row keeps its own line number, counted from the top of the file
    bad = titled(tmp_path / "bad.csv", TESTS_HEADER, [[A, "张伟", "2026-01-06", "尿检", "阴性", "", ""],
                                                       [A, "张伟", "2026-13-01", "尿检", "阴性", "", ""]])
    res = run("import", "tests", bad, "-f", "json", *AS_OF)
    assert res.exit_code == 1 and [e["line"] for e in res.json()[0]["errors"]] == [6]
    # `import auto` finds the column names the same way, in an .xlsx too
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["盐务街街道走访登记"])
    book.active.merge_cells("A1:E1")
    for row in [VISITS_HEADER, [A, "张伟", "2026-11-03", "谈话", "李芳"]]:
        book.active.append(row)
    book.save(tmp_path / "走访.xlsx")
    [visits] = ok("import", "auto", tmp_path / "走访.xlsx", "-f", "json", *AS_OF).json()
    assert (visits["kind"], visits["inserted"], visits["header_line"], visits["above_header"]) == ("visits", 1, 2, 1)


def test_column_names_in_two_rows_under_a_heading_over_several_columns(db, tmp_path):
    """序号, 身份证号 and 姓名 merged down two rows, 检测情况 across three: the names are read from both."""
    from openpyxl import Workbook

    imported("cases", register(tmp_path))
    book = Workbook()
    sheet = book.active
    for row in [["2026年11月检测登记表"], ["序号", "身份证号", "姓名", "检测情况", None, None, "检测人"],
                [None, None, None, "检测日期", "检测方式", "检测结果", None],
                ["1", A, "张伟", "2026-01-05", "尿检", "阴性", "王磊"], ["2", B, "周文", "2026-03-10", "尿检", "拒检", "赵敏"]]:
        sheet.append(row)
    sheet.merge_cells("A1:G1")
    for merged in ("A2:A3", "B2:B3", "C2:C3", "D2:F2", "G2:G3"):
        sheet.merge_cells(merged)
    book.save(tmp_path / "two.xlsx")
    [report] = imported("tests", tmp_path / "two.xlsx")
    assert (report["header_line"], report["above_header"], report["inserted"], report["rejected"]) == (3, 1, 2, 0)
    assert report["unknown_columns"] == []
    assert rows(db, "SELECT tested_on, result FROM drug_tests ORDER BY tested_on") == [
        ("2026-01-05", "negative"), ("2026-03-10", "refused")]


def test_a_form_s_own_lines_among_the_rows_are_passed_over_not_rejected(db, tmp_path):
    """填表人 and 审核人 under the table, 合计 and 小计 lines: the form's, not rows gone wrong. A row
    that merely lacks its ID is still rejected."""
    imported("cases", register(tmp_path))
    records = log_rows()[:3] + [["小计", "", "", "", "3 人次", "", ""]] + log_rows()[5:] + [
        ["", "", "", "", "", "", ""], ["合计：4 人次", "", "", "", "", "", ""],
        ["填表人：王磊", "", "审核人：李芳", "", "填表日期：2026年11月28日", "", ""],
        ["", "张伟", "2026-04-05", "尿检", "阴性", "", "王磊"],  # a row without its ID
        ["注：本表一式两份", "", "", "", "", "", ""]]
    path = write(tmp_path / "tests.csv", TESTS_HEADER, records, "gb18030")
    res = run("import", "tests", path, *AS_OF)
    assert res.exit_code == 1 and "4 行是表格自带的说明（填表人、审核人、合计等），不是数据，没有导入" in res.stderr
    [report] = run("import", "tests", path, "--again", "-f", "json", *AS_OF).json()
    assert (report["rows"], report["note_lines"], report["rejected"]) == (5, 4, 1)
    assert report["errors"][0]["line"] == 10 and report["errors"][0]["column"] == "身份证号"
    assert rows(db, "SELECT count(*) FROM drug_tests") == [(4,)]


def test_a_plain_file_s_column_names_are_its_first_line_even_when_a_row_looks_like_names(db, tmp_path):
    """Only a title (a line naming fewer known columns) is passed over: a file whose first line
    names its columns is read from there, whatever its rows hold."""
    imported("cases", register(tmp_path))
    path = write(tmp_path / "t.csv", TESTS_HEADER, [log_rows()[0], TESTS_HEADER])
    res = run("import", "tests", path, "-f", "json", *AS_OF)
    [report] = res.json()
    assert (report["header_line"], report["above_header"], report["inserted"], report["rejected"]) == (1, 0, 1, 1)
    # a title with no column names under it is still a file without the required columns, and said so
    path = write(tmp_path / "t2.csv", ["检测登记表"], [["姓名", "结果"], ["张伟", "阴性"]])
    [report] = run("import", "tests", path, "-f", "json", *AS_OF).json()
    assert report["status"] == "failed" and "缺少必需的列“身份证号”" in report["message"]
    assert "文件里的列是：姓名、结果" in report["message"]  # (the line naming columns, below the title)
    path = write(tmp_path / "t3.csv", ["检测登记表"], [[A, "张伟", "阴性"]])
    [report] = run("import", "tests", path, "-f", "json", *AS_OF).json()
    assert "第 1 行只有一格，像是标题：在它下面的 10 行里没有找到列名" in report["message"]


def test_a_register_given_as_a_test_log_is_refused_for_its_columns_not_as_a_repeat(db, tmp_path):
    path = register(tmp_path)
    imported("cases", path)
    before = counts(db)
    res = run("import", "tests", path, "-f", "json", *AS_OF)
    assert res.exit_code == 1
    [report] = res.json()
    assert report["status"] == "failed" and "缺少必需的列" in report["message"] and "完全相同" not in report["message"]
    assert counts(db) == before


def test_unknown_columns_are_listed_and_ignored(db, tmp_path):
    path = write(tmp_path / "c.csv", ["身份证号", "姓名", "街道", "措施", "微信号", "序号"], [[A, "张伟", "盐务街", "社区戒毒", "x", "1"]])
    res = ok("import", "cases", path, *AS_OF)
    assert "不认识的列已忽略：微信号" in res.stderr and "序号" not in res.stderr


@pytest.mark.parametrize("content,words", [
    (b"", "文件是空的"),
    (b"\r\n\r\n", "文件是空的"),
    (b"\xef\xbb\xbf", "文件是空的"),
    (bytes(range(256)) * 40, "二进制"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "旧版 Excel"),
    (b"PK\x03\x04" + b"\x00" * 100, "Excel"),
])
def test_files_that_are_not_tables(db, tmp_path, content, words):
    imported("cases", register(tmp_path))
    before = counts(db)
    path = tmp_path / "odd.csv"
    path.write_bytes(content)
    res = run("import", "tests", path, "-f", "json", *AS_OF)
    assert res.exit_code == 1 and "Traceback" not in res.stderr
    [report] = res.json()
    assert report["status"] == "failed" and words in report["message"], report
    assert counts(db) == before


def test_truncated_multibyte_character_rejects_only_the_last_row(db, tmp_path):
    imported("cases", register(tmp_path))
    path = write(tmp_path / "t.csv", TESTS_HEADER, log_rows()[:3])
    path.write_bytes(path.read_bytes().rstrip(b"\r\n") + b"\r\n" + f"{A},张伟,2026-04-05,尿检,阴性,,王".encode()[:-2])
    res = run("import", "tests", path, "-f", "json", *AS_OF)
    assert res.exit_code == 1
    [report] = res.json()
    assert (report["inserted"], report["rejected"]) == (3, 1) and "不完整" in report["encoding"]
    assert report["errors"][0]["line"] == 5 and "无法识别的字符" in report["errors"][0]["reason"]


def test_dry_run_writes_nothing_and_strict_imports_nothing(db, tmp_path):
    imported("cases", register(tmp_path))
    records = log_rows() + [[make_id(seq=444), "无名", "2026-01-05", "尿检", "阴性", "", ""]]
    path = write(tmp_path / "t.csv", TESTS_HEADER, records)
    before, image = counts(db), db.read_bytes()
    res = run("import", "tests", path, "--dry-run", "-f", "json", *AS_OF)
    [report] = res.json()
    assert res.exit_code == 1 and report["status"] == "dry_run"
    assert (report["inserted"], report["unchanged"], report["rejected"]) == (4, 1, 1)
    assert counts(db) == before and db.read_bytes() == image
    res = run("import", "tests", path, "--strict", "-f", "json", *AS_OF)
    [report] = res.json()
    assert res.exit_code == 1 and report["status"] == "strict_failed" and report["rejected"] == 1
    assert counts(db) == before
    clean = write(tmp_path / "clean.csv", TESTS_HEADER, log_rows()[:2])
    assert ok("import", "tests", clean, "--strict", *AS_OF).exit_code == 0
    assert counts(db)["drug_tests"] == 2


E = make_id(date(1979, 7, 7), 555)
F = make_id(date(1982, 2, 2), 666)
F_TYPO = F[:-1] + ("0" if F[-1] != "0" else "1")  # the check character wrong


def run_files(tmp_path):
    """A register that adds two people, updates one and refuses one, and a visit and a test log
    naming them all and a stranger; the test log twice under two names. Only 吴军 (E) is in the
    database before: every other row of the logs is right or wrong only by what the register does."""
    add_case(id=E, name="吴军", street="头桥", reported_on="2025-02-01", received_on="2025-01-20")
    (tmp_path / "src").mkdir()
    files = {
        "cases": write(tmp_path / "src" / "登记表.csv", CASES_HEADER, [
            ["1", "张伟", "男", A, "盐务街街道", "和平社区", "社区戒毒", "36", "2025-01-02", "2025-01-10", "冰毒",
             "13812345678", "李芳", "高", ""],
            ["2", "周文", "女", B, "头桥", "东山社区", "社区康复", "24", "2025.3.1", "2025/3/8", "K粉", "13912345678",
             "赵敏", "低", ""],
            ["3", "吴军", "男", E, "头桥", "", "社区戒毒", "36", "", "", "", "13700000000", "", "", ""],
            ["4", "郑强", "男", F_TYPO, "盐务街", "", "社区戒毒", "36", "", "2025-04-01", "", "", "", "", ""],
        ]),
        "visits": write(tmp_path / "src" / "走访.csv", VISITS_HEADER, [
            [A, "张伟", "2026-11-02", "谈话", "李芳"], [B, "周文", "2026-03-01", "入户走访", "赵敏"],
            [B, "周文", "2025-03-01", "谈话", "赵敏"],  # before 报到
            [E, "吴军", "2026-10-01", "电话联系", ""], [F_TYPO, "郑强", "2026-10-02", "谈话", ""],
            [make_id(seq=777), "无名", "2026-10-03", "谈话", ""],
        ]),
        "tests": write(tmp_path / "src" / "检测.csv", TESTS_HEADER, log_rows() + [
            [E, "吴军", "2026-09-09", "尿检", "阴性", "", ""], [F_TYPO, "郑强", "2026-09-10", "尿检", "阴性", "", ""]]),
    }
    files["again"] = tmp_path / "src" / "检测-重发.csv"
    files["again"].write_bytes(files["tests"].read_bytes())
    return files


def database_text(db) -> str:
    conn = sqlite3.connect(db)
    try:
        return "\n".join(conn.iterdump())
    finally:
        conn.close()


def dry_then_real(db, *args):
    """The dry run's exit code and summary, which leave the database as it was, then the real run's,
    a dry run's status as the import it stands for, and no ledger number (it made none)."""
    before = database_text(db)
    dry = run("import", *args, "--dry-run", "-f", "json", *AS_OF)
    assert database_text(db) == before
    real = run("import", *args, "-f", "json", *AS_OF)
    told = []
    for res in (dry, real):
        assert res.exit_code in (0, 1), res
        reports = [dict(r, ledger_id=None, status=r["status"].replace("dry_run", "imported")) for r in res.json()]
        told.append((res.exit_code, reports))
    assert all(r["status"] in ("dry_run", "duplicate", "failed", "strict_failed") for r in dry.json())
    return told


@pytest.mark.parametrize("chosen", [c for n in range(1, 5) for c in itertools.combinations(
    ("cases", "visits", "tests", "again"), n)], ids="+".join)
@pytest.mark.parametrize("strict", [False, True], ids=["", "strict"])
def test_a_dry_run_of_a_folder_reports_what_the_real_run_then_does(db, tmp_path, chosen, strict):
    files = run_files(tmp_path)
    folder = tmp_path / "收到的文件"
    folder.mkdir()
    for kind in chosen:
        (folder / files[kind].name).write_bytes(files[kind].read_bytes())
    dry, real = dry_then_real(db, "auto", folder, *(["--strict"] if strict else []))
    assert dry == real
    if "cases" in chosen and "tests" in chosen and not strict:  # the register's people are met in the logs
        assert next(r for r in real[1] if r["kind"] == "tests")["inserted"] == 5


@pytest.mark.parametrize("kind", ["cases", "visits", "tests"])
def test_a_dry_run_of_one_file_reports_what_its_real_run_then_does(db, tmp_path, kind):
    files = run_files(tmp_path)
    imported("cases", register(tmp_path))
    dry, real = dry_then_real(db, kind, files[kind])
    assert dry == real


def test_a_dry_run_of_a_large_log_meets_the_register_given_with_it(db, tmp_path):
    """A log large enough to be read by a second process, which sees only what is committed: in a
    dry run nothing is, and the log still meets the people of the register before it."""
    files = run_files(tmp_path)
    day, records = date(2025, 3, 10), []
    while day < date(2026, 11, 28):
        records += [[A, "张伟", day.isoformat(), "尿检", "阴性", "", "王磊", "备" * 1300],
                    [B, "周文", day.isoformat(), "尿检", "阴性", "", "赵敏", "注" * 1300]]
        day += timedelta(days=1)
    big = write(tmp_path / "big.csv", TESTS_HEADER + ["备注"], records, "utf-8")
    assert big.stat().st_size > 4 << 20
    dry, real = dry_then_real(db, "auto", files["cases"], big)
    assert dry == real and real[1][1]["inserted"] == len(records)


def test_an_errors_file_that_cannot_be_written_stops_before_anything_is_read(db, tmp_path):
    imported("cases", register(tmp_path))
    before = counts(db)
    path = write(tmp_path / "tests.csv", TESTS_HEADER, log_rows())
    for target, said in [(tmp_path / "missing" / "e.csv", f"错误：--errors：文件夹 {tmp_path / 'missing'} 不存在"),
                         (tmp_path, f"错误：--errors：{tmp_path} 是一个文件夹")]:
        res = run("import", "tests", path, "--errors", target, *AS_OF)
        assert res.exit_code == 1 and res.stderr.startswith(said), res.stderr
        assert counts(db) == before


def test_a_cell_past_the_size_limit_is_told_in_chinese_naming_its_line(db, tmp_path):
    """A quote left open swallows the lines after it into one cell until the csv module's limit
    (16 MiB): the file is refused, naming the line the cell begins on, in Chinese."""
    imported("cases", register(tmp_path))
    before = counts(db)
    path = tmp_path / "t.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write(",".join(TESTS_HEADER) + "\r\n" + f"{A},张伟,2026-01-05,尿检,阴性,,王磊\r\n")
        fh.write(f'{A},张伟,2026-01-06,尿检,阴性,,"王磊\r\n')  # the quote opened on line 3 is never closed
        line = f"{A},张伟,2026-01-07,尿检,阴性,,王磊\r\n" * 30
        for _ in range(16 * 1024 * 1024 // len(line) + 2):
            fh.write(line)
    for kind in ("tests", "auto"):
        res = run("import", kind, path, "-f", "json", *AS_OF)
        [report] = res.json()
        assert res.exit_code == 1 and report["status"] == "failed", res
        assert report["message"].startswith("第 3 行起有一格超过 16777216 个字符"), report["message"]
        assert "引号" in report["message"] and not re.search(r"[A-Za-z]", report["message"]), report["message"]
    assert counts(db) == before


@pytest.fixture
def full_disk(monkeypatch):
    """A disk that fills up under the files jindu writes through a temporary file beside the one
    asked for: the temporary file is made, and its writes fail in the kernel as on a full disk
    (ENOSPC: they go to /dev/full). The temporary files made are listed."""
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full on this system")
    made, real = [], tempfile.mkstemp

    def mkstemp(*args, **kwargs):
        fd, name = real(*args, **kwargs)
        os.close(fd)
        made.append(Path(name))
        return os.open("/dev/full", os.O_WRONLY), name

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
    return made


@pytest.mark.parametrize("refused", [1, 400])  # rows for less than a buffer (written at the end), and more
def test_a_full_disk_while_writing_the_errors_file_leaves_no_file_and_names_it(db, tmp_path, full_disk, refused):
    imported("cases", register(tmp_path))
    before = counts(db)
    strangers = [[make_id(date(1970, 1, 1) + timedelta(days=n), 400 + n % 500), "无名", "2026-01-05", "尿检", "阴性", "",
                  "王磊"] for n in range(refused)]
    log = write(tmp_path / "tests.csv", TESTS_HEADER, log_rows() + strangers)
    out = tmp_path / "out"
    out.mkdir()
    res = run("import", "tests", log, "--errors", out / "错误.csv", *AS_OF)
    assert res.exit_code == 1 and "Traceback" not in res.stderr, res
    assert f"没能写入 {out / '错误.csv'}（磁盘空间不足），没有留下不完整的文件" in res.stderr, res.stderr
    assert full_disk and list(out.iterdir()) == []
    if refused == 1:  # the rows went in before the file was to be put in place: the file is what failed
        assert "导入已经完成" in res.stderr and "--again" in res.stderr
        assert counts(db)["drug_tests"] == before["drug_tests"] + 4
    else:  # the disk filled while the rows were read: the file's import is undone
        assert "tests.csv 没有导入" in res.stderr and "--again" not in res.stderr
        assert counts(db) == before


def test_a_full_disk_while_writing_the_errors_files_of_a_folder_says_what_went_in(db, tmp_path, full_disk):
    drop = tmp_path / "收到的文件"
    drop.mkdir()
    register(tmp_path).rename(drop / "登记表.csv")
    strangers = [[make_id(date(1970, 1, 1) + timedelta(days=n), 400), "无名", "2026-01-05", "尿检", "阴性", "", ""]
                 for n in range(400)]
    write(drop / "检测.csv", TESTS_HEADER, log_rows() + strangers)
    write(drop / "走访.csv", VISITS_HEADER, [[A, "张伟", "2026-13-02", "谈话", "李芳"]])
    out = tmp_path / "out"
    out.mkdir()
    res = run("import", "auto", drop, "--errors", out / "错误.csv", *AS_OF)
    assert res.exit_code == 1 and "Traceback" not in res.stderr, res
    assert (f"检测.csv 没有导入（在它之前的 1 个文件已经导入）：它被拒绝的行没能写入 {out / '错误-检测.csv'}（磁盘空间不足）"
            in res.stderr), res.stderr
    assert list(out.iterdir()) == []
    assert rows(db, "SELECT kind FROM import_files") == [("cases",)]
    dry = run("import", "auto", drop, "--again", "--dry-run", "--errors", out / "错误.csv", *AS_OF)
    assert dry.exit_code == 1 and f"检测.csv 被拒绝的行没能写入 {out / '错误-检测.csv'}" in dry.stderr, dry.stderr
    assert list(out.iterdir()) == []


@pytest.mark.parametrize("args", [["export", "cases", "-o", "{out}/登记表.csv"], ["export", "tests", "-f", "xlsx", "-o",
                                  "{out}/检测.xlsx"], ["report", "-f", "html", "-o", "{out}/报表.html", *AS_OF],
                                  ["report", "-o", "{out}/", *AS_OF]])
def test_a_full_disk_while_writing_output_leaves_no_file_and_names_it(db, tmp_path, full_disk, args):
    imported("cases", register(tmp_path))
    out = tmp_path / "out"
    out.mkdir()
    res = run(*[a.format(out=out) for a in args])
    assert res.exit_code == 1 and "Traceback" not in res.stderr, res
    asked = args[args.index("-o") + 1].format(out=out)
    named = re.search(r"文件操作失败：(.+)：磁盘空间不足", res.stderr)
    assert named and named.group(1).startswith(asked), res.stderr
    assert full_disk and list(out.iterdir()) == []


def test_errors_file_holds_the_rejected_rows_to_fix_and_send_back(db, tmp_path):
    imported("cases", register(tmp_path))
    bad = [make_id(seq=444), "无名", "2026-01-05", "尿检", "阴性", "", "王磊"]
    path = write(tmp_path / "t.csv", TESTS_HEADER, log_rows()[:2] + [bad, [A, "张伟", "2026-13-01", "尿检", "阴性", "", ""]])
    out = tmp_path / "错误.csv"
    res = run("import", "tests", path, "--errors", out, *AS_OF)
    assert res.exit_code == 1 and str(out) in res.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    text = out.read_bytes()
    assert text.startswith(b"\xef\xbb\xbf")
    back = list(csv.reader(io.StringIO(text.decode("utf-8-sig"))))
    assert back[0] == TESTS_HEADER + ["错误原因"]
    # the ID as Excel will show it, as text, not 5.20103E+17 (the office opens this file to fix it)
    assert back[1][:7] == [f'="{bad[0]}"', *bad[1:]] and "第 4 行“身份证号”" in back[1][7] and "不在登记表中" in back[1][7]
    assert back[2][2] == "2026-13-01" and "不存在" in back[2][7]
    fixed = write(tmp_path / "fixed.csv", back[0], [back[2][:2] + ["2026-12-01"] + back[2][3:]])
    res = run("import", "tests", fixed, "-f", "json", "--as-of", "2026-12-02")
    assert res.json()[0]["inserted"] == 1 and "错误原因" not in res.stderr


def test_several_inputs_each_get_an_errors_file_even_when_their_names_are_the_same(db, tmp_path):
    imported("cases", register(tmp_path))
    bad = [make_id(seq=444), "无名", "2026-01-05", "尿检", "阴性", "", "王磊"]
    for office in ("盐务街", "头桥"):
        (tmp_path / office).mkdir()
        write(tmp_path / office / "tests.csv", TESTS_HEADER, [bad[:1] + [office] + bad[2:]])
    out = tmp_path / "错误.csv"
    res = run("import", "tests", tmp_path / "盐务街" / "tests.csv", tmp_path / "头桥" / "tests.csv", "--errors", out,
              *AS_OF)
    assert res.exit_code == 1
    first, second = tmp_path / "错误-tests.csv", tmp_path / "错误-tests-2.csv"
    assert [row[1] for row in csv.reader(io.StringIO(first.read_text(encoding="utf-8-sig")))][1:] == ["盐务街"]
    assert [row[1] for row in csv.reader(io.StringIO(second.read_text(encoding="utf-8-sig")))][1:] == ["头桥"]
    assert str(first) in res.stderr and str(second) in res.stderr


def test_xlsx_with_excel_dates_and_numeric_ids(db, tmp_path):
    from openpyxl import Workbook

    imported("cases", register(tmp_path))
    book = Workbook()
    sheet = book.active
    sheet.title = "尿检"
    sheet.append(TESTS_HEADER)
    sheet.append([A, "张伟", date(2026, 1, 5), "尿检", "阴性", None, "王磊"])
    sheet.append([A, "张伟", 46058, "尿检", "阴性", None, "王磊"])  # an Excel serial day: 2026-02-05
    sheet.append([int(A[:17]) * 10, "张伟", "2026-03-05", "尿检", "阴性", None, "王磊"])
    other = book.create_sheet("其他")
    other.append(["x"])
    path = tmp_path / "log.xlsx"
    book.save(path)
    res = run("import", "tests", path, "-f", "json", *AS_OF)
    [report] = res.json()
    assert report["encoding"] == "xlsx" and (report["inserted"], report["rejected"]) == (2, 1)
    assert "存成了数字" in report["errors"][0]["reason"]
    assert rows(db, "SELECT tested_on FROM drug_tests ORDER BY tested_on") == [("2026-01-05",), ("2026-02-05",)]
    res = run("import", "tests", path, "--sheet", "周报", "-f", "json", *AS_OF)
    assert "没有名为“周报”的工作表" in res.json()[0]["message"]


def test_every_sheet_of_a_workbook_that_fits_is_imported_and_the_others_are_named(db, tmp_path, monkeypatch):
    """A month to a sheet, behind a sheet of instructions: no month is left out unseen."""
    import openpyxl
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "填表说明"
    book.active.append(["请按月填写，每月一张表"])
    months = {"10月": [[A, "张伟", "2026-10-05", "尿检", "阴性", None, "王磊"]],
              "11月": [[A, "张伟", "2026-11-05", "尿检", "阴性", None, "王磊"], [B, "周文", "2026-11-06", "尿检", "阴性", None, ""]]}
    for title, records in months.items():
        sheet = book.create_sheet(title)
        for row in [TESTS_HEADER, *records]:
            sheet.append(row)
    book.create_sheet("空白")
    book.create_sheet("登记表").append(CASES_HEADER)
    book["登记表"].append(["1", "张伟", "男", A, "盐务街街道", "和平社区", "社区戒毒", "36", "2025-01-02", "2025-01-10"])
    book["登记表"].append(["2", "周文", "女", B, "头桥", "东山社区", "社区康复", "24", "2025.3.1", "2025/3/8"])
    path = tmp_path / "2026年检测.xlsx"
    book.save(path)
    opened = []
    monkeypatch.setattr(openpyxl, "load_workbook", counting_calls(openpyxl.load_workbook, opened))
    res = run("import", "auto", path, "-f", "json", *AS_OF)
    assert res.exit_code == 0, res
    assert len(opened) == 1  # looked over and each sheet imported from one opening of the workbook
    assert [(r["sheet"], r["kind"], r["inserted"]) for r in res.json()] == [
        ("登记表", "cases", 2), ("10月", "tests", 1), ("11月", "tests", 2)]
    assert "工作表“填表说明”看不出是登记表、走访记录、检测记录、宣传台账还是筛查台账，没有导入" in res.stderr and "空白" not in res.stderr
    # as a test log: the register's sheet is passed over too, each sheet a line of the table
    res = run("import", "tests", path, *AS_OF)
    assert res.exit_code == 0 and "2026年检测.xlsx（11月）" in res.stdout and res.stdout.count("重复文件，未改动") == 2
    assert "工作表“登记表”缺少检测记录必需的列，没有导入" in res.stderr
    [one] = run("import", "tests", path, "--sheet", "11月", "--again", "-f", "json", *AS_OF).json()
    assert (one["sheet"], one["unchanged"]) == ("11月", 2)
    # a sheet whose name says its rows are not current is passed over unless named
    book["11月"].title = "11月（作废）"
    book.save(tmp_path / "with-void.xlsx")
    res = run("import", "tests", tmp_path / "with-void.xlsx", "-f", "json", *AS_OF)
    assert [r["sheet"] for r in res.json()] == ["10月"]
    assert "工作表“11月（作废）”的名字像是调出、解除、作废或旧的记录，没有导入" in res.stderr
    for title in ("10月", "空白"):  # left: 填表说明, the void sheet and the register (no test log's columns)
        del book[title]
    book.save(tmp_path / "void-only.xlsx")
    res = run("import", "tests", tmp_path / "void-only.xlsx", "-f", "json", *AS_OF)
    assert res.exit_code == 1 and res.json()[0]["status"] == "failed" and "名字都像是" in res.json()[0]["message"]
    [forced] = run("import", "tests", tmp_path / "void-only.xlsx", "--sheet", "11月（作废）", "-f", "json", *AS_OF).json()
    assert (forced["sheet"], forced["status"]) == ("11月（作废）", "imported")
    assert rows(db, "SELECT sheet, kind FROM import_files ORDER BY id")[:3] == [
        ("登记表", "cases"), ("10月", "tests"), ("11月", "tests")]


def test_import_log_lists_the_ledger(db, tmp_path):
    [report] = imported("cases", register(tmp_path))
    ledger = ok("import", "log", "-f", "json").json()
    assert [(e["file"], e["sha256"], e["inserted"], e["operator"]) for e in ledger] == [
        ("cases.csv", report["sha256"], 2, "tester")]
    assert rows(db, "SELECT action, entity FROM audit_log WHERE action = 'import'") == [("import", "file")]
    # on the screen: the office's clock (not UTC with microseconds), the kind in words
    table = ok("import", "log").stdout
    assert "登记表" in table and "cases.csv" in table and not re.search(r"\dT\d|\d\.\d{6}Z", table)
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d ", table)


def test_import_log_names_each_files_folder(db, tmp_path, monkeypatch):
    """Where each file was read from (a relative path or a folder given is resolved), in every format;
    a file imported before jindu kept folders has none."""
    inbox = tmp_path / "街道报表" / "盐务街 11月"
    inbox.mkdir(parents=True)
    imported("cases", register(inbox))
    monkeypatch.chdir(inbox)
    write(inbox / "t.csv", TESTS_HEADER, log_rows())
    imported("auto", Path("t.csv"))
    conn = sqlite3.connect(db)
    conn.execute("INSERT INTO import_files (kind, file_name, sha256, encoding, imported_at, operator, rows_read,"
                 " inserted, updated, unchanged, rejected) VALUES ('cases', 'old.csv', 'ab', 'UTF-8',"
                 " '2026-01-02T03:04:05Z', 'tester', 1, 1, 0, 0, 0)")
    conn.commit()
    conn.close()
    ledger = ok("import", "log", "-f", "json").json()
    assert [(e["file"], e["folder"]) for e in ledger] == [
        ("old.csv", None), ("t.csv", str(inbox.resolve())), ("cases.csv", str(inbox.resolve()))]
    table = list(csv.DictReader(io.StringIO(ok("import", "log", "-f", "csv").stdout)))
    assert [(r["file"], r["folder"]) for r in table] == [(e["file"], e["folder"] or "") for e in ledger]
    shown = ok("import", "log").stdout
    assert f"cases.csv，在 {inbox.resolve()}" in shown and "old.csv，在" not in shown


def test_exit_codes_for_several_files(db, tmp_path):
    good = register(tmp_path)
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    res = run("import", "cases", good, empty, "-f", "json", *AS_OF)
    assert res.exit_code == 1 and [r["status"] for r in res.json()] == ["imported", "failed"]
    assert run("import", "cases", good, *AS_OF).exit_code == 0  # a duplicate file is not an error


def test_export_masks_unless_revealed_guards_formulas_and_round_trips(db, tmp_path):
    imported("cases", register(tmp_path))
    imported("tests", write(tmp_path / "t.csv", TESTS_HEADER, log_rows()))
    ok("visit", "add", A, "--kind", "谈话", "--on", "2026-11-01", "--notes", "=1+1", *AS_OF)
    ok("visit", "add", A, "--kind", "入户走访", "--on", "2026-11-02", "--notes", "@SUM(A1)", *AS_OF)
    masked = ok("export", "cases").stdout
    assert A not in masked and A[:6] + "********" + A[-4:] in masked and "138****5678" in masked
    out = tmp_path / "out"
    out.mkdir()
    for kind in ("cases", "visits", "tests"):
        ok("export", kind, "--reveal", "-o", out / f"{kind}.csv")
        assert stat.S_IMODE((out / f"{kind}.csv").stat().st_mode) == 0o600
        assert (out / f"{kind}.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert rows(db, "SELECT count(*) FROM audit_log WHERE action = 'reveal'") == [(3,)]
    visits_text = (out / "visits.csv").read_text(encoding="utf-8-sig")
    assert ",'=1+1" in visits_text and ",'@SUM(A1)" in visits_text
    # an ID, opened in Excel or WPS, stays text: as a bare number it would lose its last digits
    assert [r[0] for r in csv.reader(io.StringIO(visits_text))][1:] == [f'="{A}"', f'="{A}"']
    before = {t: rows(db, f"SELECT * FROM {t} ORDER BY id") for t in ("cases", "visits", "drug_tests")}
    for kind in ("cases", "visits", "tests"):
        [report] = imported(kind, out / f"{kind}.csv")
        assert report["inserted"] == report["updated"] == report["rejected"] == 0 and report["unchanged"] > 0
    assert {t: rows(db, f"SELECT * FROM {t} ORDER BY id") for t in before} == before
    fresh = tmp_path / "fresh.db"
    for kind in ("cases", "visits", "tests"):
        assert ok("import", kind, out / f"{kind}.csv", "--db", fresh, *AS_OF).exit_code == 0
    for kind in ("cases", "visits", "tests"):
        assert ok("export", kind, "--reveal", "--db", fresh).stdout_bytes == (out / f"{kind}.csv").read_bytes()
    assert rows(fresh, "SELECT notes FROM visits ORDER BY visited_on") == [("=1+1",), ("@SUM(A1)",)]


def test_a_masked_export_is_told_once_with_how_to_export_in_full(db, tmp_path):
    """A file jindu exported without --reveal: one message naming it and the command that exports the
    numbers in full, not a refused row a person; nothing written, exit 1, the errors file still whole."""
    imported("cases", register(tmp_path))
    imported("tests", write(tmp_path / "t.csv", TESTS_HEADER, log_rows()))
    for kind in ("cases", "tests"):
        ok("export", kind, "-o", tmp_path / f"{kind}-masked.csv")
    fresh = tmp_path / "fresh.db"
    res = run("import", "auto", tmp_path / "cases-masked.csv", tmp_path / "tests-masked.csv", "--db", fresh,
              "--errors", tmp_path / "错误.csv", *AS_OF)
    assert res.exit_code == 1
    said = [line for line in res.stderr.splitlines() if "脱敏" in line]
    assert said == [
        "cases-masked.csv：这是脱敏导出的文件：每一行的身份证号中间 8 位是 *（jindu 导出时不加 --reveal 就是这样），"
        "无法还原，这些行没有导入。请在原来的数据库导出完整号码再导入：jindu export cases --reveal -o 登记表.csv",
        "tests-masked.csv：这是脱敏导出的文件：每一行的身份证号中间 8 位是 *（jindu 导出时不加 --reveal 就是这样），"
        "无法还原，这些行没有导入。请在原来的数据库导出完整号码再导入：jindu export tests --reveal -o 检测记录.csv"]
    assert A[:6] + "********" + A[-4:] not in res.stdout + res.stderr and "被拒绝的行" not in res.stdout
    assert counts(fresh) == {"cases": 0, "visits": 0, "drug_tests": 0, "import_files": 2}
    refused = (tmp_path / "错误-cases-masked.csv").read_text(encoding="utf-8-sig")
    assert refused.count("是脱敏的号码（中间 8 位是 *），无法还原") == 2
    # among numbers in full, the one masked row is named by its count, the others go in
    text = (tmp_path / "cases-masked.csv").read_text(encoding="utf-8-sig").splitlines()
    full = (tmp_path / "full.csv")
    ok("export", "cases", "--reveal", "-o", full)
    lines = full.read_text(encoding="utf-8-sig").splitlines()
    full.write_text("\n".join([lines[0], lines[1], text[2]]) + "\n", encoding="utf-8-sig")
    res = run("import", "cases", full, "--db", fresh, *AS_OF)
    assert res.exit_code == 1 and counts(fresh)["cases"] == 1
    assert "full.csv：1 行的身份证号中间 8 位是 *（jindu 导出时不加 --reveal 就是这样），无法还原" in res.stderr
    [report] = run("import", "cases", full, "--db", fresh, "--again", "-f", "json", *AS_OF).json()
    assert (report["masked_ids"], report["rejected"], report["errors"][0]["reason"]) == (1, 1, "是脱敏的号码（中间 8 位是 *），无法还原")


@pytest.mark.parametrize("cell, written", [
    ("520103199001011113", '="520103199001011113"'),  # Excel would show 5.20103E+17 and lose digits
    ("085186001234", '="085186001234"'), ("0851", '="0851"'),  # a leading 0 would be lost
    ("13812345678", "13812345678"), ("36", "36"), ("0", "0"),  # as Excel shows them
    ("52010320010904318X", "52010320010904318X"), ("2026-11-01", "2026-11-01"),  # text already
    ("=1+1", "'=1+1"), ("１２３４５６７８９０１２３", "１２３４５６７８９０１２３"),
])
def test_a_csv_cell_opens_in_a_spreadsheet_as_the_text_it_is(cell, written):
    from jindu_cli.domain.exporter import csv_cell
    from jindu_cli.domain.importer import cell_text

    assert csv_cell(cell) == written
    assert cell_text(written) == cell  # and jindu reads it back as it was


def test_export_xlsx_keeps_every_cell_as_text(db, tmp_path):
    from openpyxl import load_workbook

    imported("cases", register(tmp_path))
    ok("visit", "add", A, "--kind", "谈话", "--on", "2026-11-01", "--notes", "=1+1", *AS_OF)
    path = tmp_path / "v.xlsx"
    ok("export", "visits", "-f", "xlsx", "-o", path, "--reveal")
    sheet = load_workbook(path).active
    notes = [c.value for c in sheet["I"]]
    assert notes[1] == "=1+1" and sheet["I2"].data_type == "s"
    assert sheet.column_dimensions["A"].width >= 18
    res = run("export", "visits", "-f", "xlsx")
    assert res.exit_code == 1 and "--output" in res.stderr
    [report] = imported("visits", path)
    assert report["unchanged"] == 1


def test_export_xlsx_goes_on_to_another_sheet_past_a_sheets_last_row(db, tmp_path):
    """Excel and WPS hold 1,048,576 rows in a sheet; the rows past it go on in 走访记录（2） and so
    on, each sheet with the column names, and the import reads them all back. (A sheet of two rows
    here: the export's own writer, given the size a sheet holds.)"""
    from openpyxl import load_workbook

    from jindu_cli.cli.exports import SHEET_NAMES
    from jindu_cli.cli.workbook import write_listing
    from jindu_cli.domain import exporter
    from jindu_cli.storage.db import open_db

    imported("cases", register(tmp_path))
    for day in range(1, 6):
        ok("visit", "add", A, "--kind", "谈话", "--on", f"2026-11-0{day}", *AS_OF)
    path = tmp_path / "v.xlsx"
    conn = open_db(db)
    with exporter.opened(conn, "visits", reveal_as="tester") as export, open(path, "wb") as out:
        assert write_listing(out, SHEET_NAMES["visits"], exporter.headers("visits"), export.rows, scratch=tmp_path,
                             rows_per_sheet=2) == export.count == 5
    conn.close()
    book = load_workbook(path)
    assert book.sheetnames == ["走访记录", "走访记录（2）", "走访记录（3）"]
    assert [book[name].max_row for name in book.sheetnames] == [3, 3, 2]
    assert {book[name]["A1"].value for name in book.sheetnames} == {"身份证号"}
    assert sorted(c.value for name in book.sheetnames for c in book[name]["C"][1:]) == [
        f"2026-11-0{day}" for day in range(1, 6)]
    reports = imported("visits", path)
    assert [(r["sheet"], r["unchanged"]) for r in reports] == [("走访记录", 2), ("走访记录（2）", 2), ("走访记录（3）", 1)]
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []  # its temporary folder gone


def test_export_json_is_one_array_though_written_row_by_row(db, tmp_path):
    imported("cases", register(tmp_path))
    imported("tests", write(tmp_path / "t.csv", TESTS_HEADER, log_rows()))
    for kind in ("cases", "tests"):
        text = ok("export", kind, "-f", "json", "--reveal").stdout
        data = json.loads(text)
        assert len(data) > 1 and text == json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    assert ok("export", "visits", "-f", "json").stdout == "[]\n"


def test_the_register_is_exported_a_chunk_of_people_at_a_time_with_the_same_rows(db, tmp_path):
    from jindu_cli.domain import exporter
    from jindu_cli.storage.db import open_db

    imported("cases", register(tmp_path))
    ok("case", "update", A, "--status", "中止", "--on", "2026-11-20", "--reason", "拘留", *AS_OF)
    whole = ok("export", "cases", "--reveal").stdout
    assert "中止（拘留）" in whole and len(whole.splitlines()) == 3
    conn = open_db(db)
    one_by_one = list(exporter.rows(conn, "cases", reveal=True, at_once=1))
    assert one_by_one == list(exporter.rows(conn, "cases", reveal=True)) and len(one_by_one) == 2
    assert [cells[0] for _, cells in one_by_one] == [A, B]
    conn.close()
    assert ok("export", "cases", "--reveal", "--street", "盐务街").stdout.splitlines()[1:] == [
        line for line in whole.splitlines()[1:] if "盐务街" in line]


def test_a_revealing_export_is_audited_in_wal_mode_and_out_of_it(db, tmp_path):
    """The people are recorded before the rows are written, by the one connection that then reads
    them, in WAL mode (as jindu sets) and in another journal mode."""
    imported("cases", register(tmp_path))
    assert rows(db, "PRAGMA journal_mode") == [("wal",)]
    ok("export", "cases", "--reveal", "-o", tmp_path / "1.csv")
    plain = sqlite3.connect(db)
    plain.execute("PRAGMA journal_mode = DELETE")
    plain.close()
    ok("export", "tests", "--reveal", "-o", tmp_path / "2.csv")  # no tests: nobody revealed
    ok("export", "cases", "--reveal", "-o", tmp_path / "3.csv")
    assert rows(db, "PRAGMA journal_mode") == [("delete",)]
    revealed = rows(db, "SELECT changes FROM audit_log WHERE action = 'reveal' ORDER BY id")
    assert [json.loads(d)["command"] for (d,) in revealed] == ["export cases", "export cases"]
    assert {tuple(json.loads(d)["cases"]) for (d,) in revealed} == {(1, 2)}


def test_an_export_that_fails_midway_leaves_no_file_and_names_it(db, tmp_path, monkeypatch):
    """The rows are written as they are read; when writing stops (here the disk is full after the
    first row), neither the file nor its temporary is left, and the file is named."""
    import errno

    from jindu_cli.domain import exporter

    imported("cases", register(tmp_path))
    read = exporter.rows

    def full_after_one(*args, **kwargs):
        for n, row in enumerate(read(*args, **kwargs)):
            if n == 1:
                raise OSError(errno.ENOSPC, "No space left on device")
            yield row

    monkeypatch.setattr(exporter, "rows", full_after_one)
    folder = tmp_path / "out"
    folder.mkdir()
    for fmt in ("csv", "json", "xlsx"):
        target = folder / f"cases.{fmt}"
        res = run("export", "cases", "-f", fmt, "-o", target)
        assert res.exit_code == 1 and res.stderr.strip() == f"错误：文件操作失败：{target}：磁盘空间不足", res.stderr
    assert list(folder.iterdir()) == []


def test_a_killed_import_leaves_the_database_as_it_was(db, tmp_path):
    people = [(make_id(date(1970, 1, 1) + timedelta(days=n), seq=n), f"人{n}") for n in range(60)]
    write(tmp_path / "cases.csv", ["身份证号", "姓名", "街道", "措施", "报到日期"],
          [[number, name, "盐务街", "社区戒毒", "2024-12-01"] for number, name in people])
    imported("cases", tmp_path / "cases.csv")
    big = tmp_path / "big.csv"
    start = date(2025, 1, 1)
    with open(big, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(TESTS_HEADER)
        for n in range(240_000):
            number, name = people[n % len(people)]
            day = start + timedelta(days=(n // len(people)) % 690)
            writer.writerow([number, name, day.isoformat(), "尿检" if n % 2 else "毛发检测", "阴性", "", f"检测员{n % 7}"])
    before = counts(db)
    schema = rows(db, "SELECT type, name, sql FROM sqlite_master ORDER BY name")  # a large import rebuilds indexes
    proc = subprocess.Popen([sys.executable, "-m", "jindu_cli", "import", "tests", str(big), "--as-of", "2026-11-28"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    probe = sqlite3.connect(db, timeout=0, isolation_level=None)
    deadline = time.time() + 60
    locked_since = None
    while time.time() < deadline and proc.poll() is None:
        try:
            probe.execute("BEGIN IMMEDIATE")
            probe.execute("ROLLBACK")
        except sqlite3.OperationalError:  # the import holds the write lock: its transaction is open
            locked_since = locked_since or time.time()
            if time.time() - locked_since > 0.3:
                break
        time.sleep(0.005)
    assert proc.poll() is None and locked_since, "the import finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    probe.close()
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    conn.close()
    assert counts(db) == before
    assert rows(db, "SELECT type, name, sql FROM sqlite_master ORDER BY name") == schema
    assert ok("audit", "verify").exit_code == 0
    [report] = imported("tests", big)  # and the same file still goes in afterwards
    # each person has one specimen (n and n % 60 share their parity): 60 people x 690 days
    assert (report["inserted"], report["unchanged"], report["rejected"]) == (60 * 690, 240_000 - 60 * 690, 0)


def test_the_progress_bar_says_when_the_rows_are_read_and_the_file_is_being_saved(db, tmp_path, monkeypatch):
    """On a terminal a bar follows the rows; once they are all read, it says the file is being
    saved (a large file's indexes are rebuilt and committed then, with nothing more read)."""
    from jindu_cli.cli import imports

    class Bar:
        def __init__(self):
            self.seen = []

        def start(self):
            pass

        def stop(self):
            pass

        def add_task(self, description, total):
            self.seen.append((description, 0, total))
            self.tasks = getattr(self, "tasks", 0) + 1
            return 0

        def remove_task(self, task):
            self.tasks -= 1

        def update(self, task, completed, total, description):
            self.seen.append((description, completed, total))

    bar = Bar()
    monkeypatch.setattr(imports, "_progress", lambda: bar)
    imported("cases", register(tmp_path))
    size = tmp_path.joinpath("cases.csv").stat().st_size
    assert bar.seen[0] == ("导入 cases.csv", 0, size)
    assert bar.seen[-1] == ("正在保存 cases.csv（写入数据库）", size, size)
    reading = [done < total for _, done, total in bar.seen]
    assert reading == sorted(reading, reverse=True)  # read, read, ..., then all read
    assert all((d == "导入 cases.csv") == r for (d, _, _), r in zip(bar.seen, reading))
    # a sheet's progress is told in its rows (a workbook's bytes are compressed: they say nothing of it;
    # test_domain_importer follows a sheet's rows batch by batch)
    from openpyxl import Workbook

    book = Workbook()
    for row in [TESTS_HEADER, *([A, "张伟", f"2026-01-{d:02d}", "尿检", "阴性", "", ""] for d in range(1, 29))]:
        book.active.append(row)
    book.save(tmp_path / "log.xlsx")
    bar.seen.clear()
    imported("tests", tmp_path / "log.xlsx")
    assert [(done, total) for _, done, total in bar.seen[1:]] == [(29, 29), (29, 29)]
    assert bar.tasks == 0  # each file's bar is gone when it is done: the next file's shows alone


VISITS_HEADER = ["身份证号", "姓名", "走访日期", "走访方式", "走访人"]


def test_import_auto_tells_each_file_by_its_header_and_takes_the_register_first(db, tmp_path):
    """A folder as an office's files arrive: logs named before the register that names their
    people, a file of something else, hidden and lock files. The register goes in first, each
    log as what it is, the stranger is reported with its columns; run again, nothing changes."""
    drop = tmp_path / "收到的文件"
    drop.mkdir()
    write(drop / "1-检测.csv", TESTS_HEADER, log_rows(), "gb18030")
    write(drop / "2-走访.csv", VISITS_HEADER + ["所属街道", "管控类型"],  # a register's columns too
          [[A, "张伟", "2026-11-02", "谈话", "李芳", "盐务街", "社区戒毒"]])
    register(tmp_path).rename(drop / "3-登记表.csv")
    write(drop / "4-通讯录.csv", ["姓名", "电话"], [["张伟", "13812345678"]])
    (drop / ".~隐藏.csv").write_text("x")
    (drop / "~$3-登记表.xlsx").write_bytes(b"lock")
    res = run("import", "auto", drop, "-f", "json", *AS_OF)
    assert res.exit_code == 1  # the stranger
    reports = res.json()
    assert [(Path(r["file"]).name, r["kind"], r["status"]) for r in reports] == [
        ("3-登记表.csv", "cases", "imported"), ("1-检测.csv", "tests", "imported"),
        ("2-走访.csv", "visits", "imported"), ("4-通讯录.csv", "", "failed")]
    assert [r["inserted"] for r in reports[:3]] == [2, 4, 1] and all(r["rejected"] == 0 for r in reports[:3])
    assert "看不出是登记表、走访记录、检测记录、宣传台账还是筛查台账" in reports[3]["message"] and "姓名、电话" in reports[3]["message"]
    before = counts(db)
    again = run("import", "auto", drop, *AS_OF)
    assert again.exit_code == 1 and counts(db) == before
    assert again.stdout.count("重复文件，未改动") == 3 and "看不出" in again.stdout
    # the table names each file's kind
    assert "检测记录" in again.stdout and "走访记录" in again.stdout and "登记表" in again.stdout


def test_import_auto_tells_a_street_s_ledgers_too_and_never_takes_a_person_s_log_for_one(db, tmp_path):
    """The 宣传台账 and 筛查台账 arrive in the same folder as the logs: auto imports them as what
    they are (a ledger without a 街道 column takes --street). A visit log whose 身份证号 column has a
    name jindu does not know is not a ledger of events because it has a 日期 and a 类别."""
    drop = tmp_path / "收到的文件"
    drop.mkdir()
    write(drop / "宣传台账.csv", ["日期", "街道", "活动名称", "参加人数"], [["2026-11-03", "盐务街", "禁毒知识进社区", "40"]])
    write(drop / "筛查台账.csv", ["筛查日期", "筛查对象", "检测样本", "筛查人数", "阳性人数"],
          [["2026-11-05", "驾驶员", "尿液", "30", "0"]])
    write(drop / "走访.csv", ["姓名", "证件", "日期", "类别", "走访人"], [["张伟", A, "2026-11-02", "谈话", "李芳"]])
    res = run("import", "auto", drop, "--street", "盐务街", "-f", "json", *AS_OF)
    reports = {Path(r["file"]).name: r for r in res.json()}
    assert res.exit_code == 1  # the log it cannot tell
    assert (reports["宣传台账.csv"]["kind"], reports["宣传台账.csv"]["inserted"]) == ("activities", 1)
    assert (reports["筛查台账.csv"]["kind"], reports["筛查台账.csv"]["inserted"]) == ("screenings", 1)
    assert reports["走访.csv"]["status"] == "failed" and "看不出是" in reports["走访.csv"]["message"]
    assert [r["street"] for r in ok("screen", "list", "-f", "json").json()] == ["盐务街街道"]
    assert len(ok("activity", "list", "-f", "json").json()) == 1


def test_done_moves_the_files_all_of_whose_rows_went_in_and_leaves_the_others(db, tmp_path):
    """A drop folder imported every day by cron: what went in wholly moves on, what needs a person
    stays, so that the folder holds only the files to look at."""
    drop = tmp_path / "收到的文件"
    drop.mkdir()
    register(tmp_path).rename(drop / "登记表.csv")
    write(drop / "检测.csv", TESTS_HEADER, log_rows())
    write(drop / "走访.csv", VISITS_HEADER, [[A, "张伟", "2026-13-02", "谈话", "李芳"]])  # a row refused
    write(drop / "通讯录.csv", ["姓名", "电话"], [["张伟", "13812345678"]])  # not told
    done = drop / "已导入"
    (done / "x").mkdir(parents=True)
    write(done / "检测.csv", ["旧"], [])  # last month's file of the same name
    assert run("import", "auto", drop, "--done", done, "--dry-run", *AS_OF).exit_code == 1
    assert sorted(p.name for p in drop.iterdir() if p.is_file()) == ["检测.csv", "登记表.csv", "走访.csv", "通讯录.csv"]
    res = run("import", "auto", drop, "--done", done, *AS_OF)
    assert res.exit_code == 1  # the refused row, the untold file
    assert sorted(p.name for p in drop.iterdir() if p.is_file()) == ["走访.csv", "通讯录.csv"]
    assert sorted(p.name for p in done.iterdir() if p.is_file()) == ["检测-2.csv", "检测.csv", "登记表.csv"]
    assert "已移到" in res.stderr and "登记表.csv" in res.stderr
    assert (done / "检测-2.csv").read_bytes() == write(tmp_path / "again.csv", TESTS_HEADER, log_rows()).read_bytes()
    # the next day: the files left are imported again, and stay until they are fixed
    before = counts(db)
    again = run("import", "auto", drop, "--done", done, *AS_OF)
    assert again.exit_code == 1 and counts(db) == before  # (also for 走访.csv, a repeat now: not all its rows are in)
    assert sorted(p.name for p in drop.iterdir() if p.is_file()) == ["走访.csv", "通讯录.csv"]
    assert "留在原处、等人处理的文件：" in again.stderr and "走访.csv" in again.stderr.split("留在原处")[1]
    (drop / "通讯录.csv").unlink()
    assert run("import", "auto", drop, "--done", done, *AS_OF).exit_code == 1  # 走访.csv alone, a repeat
    write(drop / "走访.csv", VISITS_HEADER, [[A, "张伟", "2026-11-02", "谈话", "李芳"]])  # fixed, sent back
    fixed = run("import", "auto", drop, "--done", done, *AS_OF)
    assert fixed.exit_code == 0 and not [p for p in drop.iterdir() if p.is_file()]
    # the next day, nothing new: a drop folder emptied by --done is no error
    quiet = run("import", "auto", drop, "--done", done, *AS_OF)
    assert quiet.exit_code == 0 and f"文件夹 {drop} 里没有要导入的新文件" in quiet.stderr and not quiet.stdout
    write(drop / "通讯录.csv", ["姓名", "电话"], [["张伟", "13812345678"]])
    res = run("import", "tests", tmp_path / "again.csv", "--done", drop / "通讯录.csv", *AS_OF)
    assert res.exit_code == 1 and "不是文件夹" in res.stderr and (tmp_path / "again.csv").exists()


def test_a_file_with_both_a_visit_and_a_test_log_s_columns_is_not_guessed(db, tmp_path):
    both = write(tmp_path / "both.csv", TESTS_HEADER + ["走访日期", "走访方式"], [[A, "张伟"]])
    res = run("import", "auto", both, "-f", "json", *AS_OF)
    [report] = res.json()
    assert res.exit_code == 1 and report["status"] == "failed" and "jindu import visits 或 jindu import tests" in report["message"]
    assert counts(db)["import_files"] == 0


def test_a_folder_given_to_an_import_stands_for_its_files(db, tmp_path):
    imported("cases", register(tmp_path))
    logs = tmp_path / "logs"
    logs.mkdir()
    write(logs / "a.csv", TESTS_HEADER, log_rows()[:2])
    write(logs / "b.csv", TESTS_HEADER, log_rows()[2:3])
    (logs / "readme.doc").write_text("not a table")
    assert [r["inserted"] for r in imported("tests", logs)] == [2, 1]
    empty = tmp_path / "empty"
    empty.mkdir()
    res = run("import", "tests", empty, *AS_OF)
    assert res.exit_code == 1 and f"文件夹 {empty} 里没有可导入的文件" in res.stderr


def test_a_logs_calls_take_the_outcomes_of_a_call(db, tmp_path):
    """§9.6: a street's log writes a call answered as 见到本人; kept as 已接通 (not a meeting), one not
    answered as 未接通; a meeting with a call's outcome is refused, naming its row."""
    number = make_id()
    add_case(id=number)
    path = write(tmp_path / "走访.csv", ["身份证号", "走访日期", "走访方式", "走访结果"], [
        [number, "2026-11-01", "电话联系", "见到本人"], [number, "2026-11-02", "电话", "未见到本人"],
        [number, "2026-11-03", "电话联系", ""], [number, "2026-11-04", "谈话", "已接通"]])
    r = run("import", "visits", str(path), "--as-of", "2026-11-28")
    [refused] = [line.split() for line in r.stdout.splitlines() if line.startswith("走访.csv") and "已接通" in line]
    assert r.exit_code == 1 and refused[1:4] == ["5", "走访结果", "已接通"]
    assert rows(db, "SELECT visited_on, kind, outcome FROM visits ORDER BY visited_on") == [
        ("2026-11-01", "phone", "reached"), ("2026-11-02", "phone", "unreached"), ("2026-11-03", "phone", "reached")]
