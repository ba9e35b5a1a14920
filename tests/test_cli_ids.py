"""身份证号 checked to the region through the commands that take one: case add, case update, import."""

import csv
import io
import json

from support import make_id, ok, rows, run

AS_OF = ["--as-of", "2026-11-28"]
NOWHERE = make_id(area="000000")  # a right check digit, no province
UNKNOWN = make_id(area="520199")  # 贵州省, no such county


def add(number, *extra):
    return run("case", "add", "--id", number, "--name", "张伟", "--street", "盐务街", "--measure", "社区戒毒",
               "--received-on", "2026-11-01", *extra, *AS_OF)


def test_case_add_refuses_a_number_of_no_province_and_writes_nothing(db):
    for area in ("000000", "999999"):
        res = add(make_id(area=area))
        assert res.exit_code == 1 and res.stdout == ""
        assert f"前两位 {area[:2]} 不是省级行政区划代码" in res.stderr and make_id(area=area) not in res.stderr
    assert rows(db, "SELECT count(*) FROM cases") == [(0,)]


def test_case_add_registers_an_unknown_county_and_says_so_on_stderr(db):
    res = add(UNKNOWN)
    assert res.exit_code == 0 and res.stdout == "1\n"
    assert "不是贵州省已知的县级行政区划代码" in res.stderr and "已照常保存" in res.stderr and UNKNOWN not in res.stderr
    assert rows(db, "SELECT id_number FROM cases") == [(UNKNOWN,)]
    abolished = add(make_id(seq=124, area="522401"))  # an abolished county: nothing to say
    assert abolished.exit_code == 0 and "行政区划" not in abolished.stderr


def test_case_update_applies_the_same_rule(db):
    ok("case", "add", "--id", make_id(), "--name", "张伟", "--street", "盐务街", "--measure", "社区戒毒", *AS_OF)
    before = rows(db, "SELECT * FROM cases")
    res = run("case", "update", "1", "--id", NOWHERE, *AS_OF)
    assert res.exit_code == 1 and "前两位 00 不是省级行政区划代码" in res.stderr
    assert rows(db, "SELECT * FROM cases") == before
    res = ok("case", "update", "1", "--id", UNKNOWN, *AS_OF)
    assert "不是贵州省已知的县级行政区划代码" in res.stderr
    assert rows(db, "SELECT id_number FROM cases") == [(UNKNOWN,)]
    quiet = ok("case", "update", "1", "--name", "张伟伟", *AS_OF)  # the number untouched: said once, not again
    assert "行政区划" not in quiet.stderr


def test_import_rejects_the_row_of_no_province_naming_the_reason(db, tmp_path):
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["身份证号", "姓名", "执行地", "管控类型"])
    writer.writerow([make_id(seq=7), "好人", "头桥", "社区戒毒"])
    writer.writerow([NOWHERE, "无省", "头桥", "社区戒毒"])
    path = tmp_path / "cases.csv"
    path.write_text(buf.getvalue(), encoding="utf-8-sig")
    res = run("import", "cases", path, "-f", "json", *AS_OF)
    assert res.exit_code == 1
    [report] = json.loads(res.stdout)
    assert (report["inserted"], report["rejected"]) == (1, 1)
    [error] = report["errors"]
    assert error["line"] == 3 and "前两位 00 不是省级行政区划代码" in error["reason"]
    assert NOWHERE not in res.stdout + res.stderr
