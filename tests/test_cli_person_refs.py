"""How a clerk names a person on the command line: a bare number is the case number, always; the
last four of an ID are asked for as 尾号1007; anything else made of digits is refused, masked."""

import sqlite3
from datetime import date

import pytest

from support import add_case, id_ending, make_id, ok, rows, run

AS_OF = ["--as-of", "2026-11-28"]


def numbered(db, number: int, **fields) -> int:
    """Register a case that gets `number`. The register gives a new case one more than the highest
    number in use, so a row standing at number - 1 for a moment lets a small test register have
    the four-digit numbers a street office's has."""
    ok("db", "status")  # the file exists with its tables
    with sqlite3.connect(db) as conn:
        conn.execute("INSERT INTO cases (id, id_number, name, street, measure, term_months, status, created_at,"
                     " updated_at) VALUES (?, 'placeholder', '占位', '盐务街街道', 'community_treatment', 36,"
                     " 'pending', '', '')", [number - 1])
    conn.close()
    case_id = add_case(**fields)
    with sqlite3.connect(db) as conn:
        conn.execute("DELETE FROM cases WHERE id = ?", [number - 1])
    conn.close()
    assert case_id == number
    return case_id


@pytest.fixture
def collide(db):
    """Case 1 (罗丽波) has an ID ending in 1007; case 1007 (刘芳) is someone else."""
    luo = add_case(id=id_ending("1007"), name="罗丽波", street="头桥")
    liu = numbered(db, 1007, id=id_ending("2209", date(1986, 11, 21)), name="刘芳")
    return {"luo": luo, "liu": liu}


def shown(ref: str) -> dict:
    return ok("case", "show", ref, "-f", "json", *AS_OF).json()


def test_a_bare_number_shows_the_case_of_that_number_not_the_id_that_ends_in_it(collide):
    assert collide["luo"] == 1
    assert shown("1007")["case_id"] == 1007 and shown("1007")["name"] == "刘芳"
    assert shown("１００７")["case_id"] == 1007  # full-width digits from a Chinese input method
    assert shown("#1007")["case_id"] == 1007
    table = ok("case", "show", "1007", *AS_OF).stdout
    assert "刘芳（案件 1007）" in table and "罗丽波" not in table


@pytest.mark.parametrize("ref", ["尾号1007", "尾号 1007", "尾号１００７", "尾号：1007", " 尾号1007 "])
def test_the_last_four_of_an_id_are_asked_for_as_weihao(collide, ref):
    assert shown(ref)["name"] == "罗丽波"


def test_a_positive_test_typed_against_a_number_is_recorded_on_that_case(collide, db):
    res = ok("test", "add", "1007", "--result", "阳性", "--specimen", "尿检", "--substance", "冰毒",
             "--on", "2026-11-20", *AS_OF)
    assert "刘芳" in res.stderr and "罗丽波" not in res.stderr
    assert rows(db, "SELECT case_id, result FROM drug_tests") == [(1007, "positive")]
    flags = ok("case", "flags", "-f", "json", *AS_OF).json()
    assert [(f["case_id"], f["flag"]) for f in flags] == [(1007, "复吸")]


def test_a_number_that_is_no_case_is_not_found_even_when_an_id_ends_in_it(db):
    add_case(id=id_ending("1007"), name="罗丽波")
    before = rows(db, "SELECT count(*) FROM audit_log")
    res = run("visit", "add", "1007", "--kind", "入户走访", "--on", "2026-11-20", *AS_OF)
    assert res.exit_code == 1 and "没有编号为 1007 的案件" in res.stderr
    assert rows(db, "SELECT count(*) FROM visits") == [(0,)]
    assert rows(db, "SELECT count(*) FROM audit_log") == before


def test_an_id_ending_in_x_is_found_by_its_last_four_in_either_case(db):
    number = id_ending("123X")
    cid = add_case(id=number, name="王芳")
    for ref in ["尾号123X", "尾号123x", number.lower()]:
        assert shown(ref)["case_id"] == cid
    res = run("case", "show", "123X", *AS_OF)
    assert res.exit_code == 1 and "尾号123X" in res.stderr


def test_a_last_four_shared_by_two_people_is_refused_listing_both(db):
    first = add_case(id=id_ending("1007"), name="罗丽波", street="头桥")
    second = add_case(id=id_ending("1007", date(1992, 3, 3), "520102"), name="周文")
    res = run("leave", "add", "尾号1007", "--from", "2026-11-20", "--destination", "遵义", *AS_OF)
    assert res.exit_code == 1
    assert f"{first} 罗丽波 520103********1007 头桥街道" in res.stderr
    assert f"{second} 周文 520102********1007 盐务街街道" in res.stderr
    assert "请用案件编号" in res.stderr
    assert rows(db, "SELECT count(*) FROM leaves") == [(0,)]


@pytest.mark.parametrize("command", [
    ["case", "show", "REF"], ["case", "update", "REF", "--notes", "x"], ["visit", "add", "REF", "--kind", "入户走访"],
    ["test", "add", "REF", "--result", "阴性"], ["leave", "add", "REF", "--destination", "遵义"],
    ["case", "police-report", "REF"], ["due", "--explain", "REF"], ["leave", "list", "--case", "REF"],
])
def test_a_name_or_pinyin_of_several_people_is_refused_by_every_command(db, command):
    add_case(id=make_id(date(1990, 1, 1), 111), name="张伟")
    add_case(id=make_id(date(1991, 2, 2), 222), name="章伟", street="头桥")
    before = rows(db, "SELECT count(*) FROM audit_log")
    for ref in ["zhangwei", "zw", "伟"]:
        res = run(*[ref if part == "REF" else part for part in command], *AS_OF)
        assert res.exit_code == 1, res
        assert "1 张伟 520103********" in res.stderr and "2 章伟 520103********" in res.stderr, res
        assert "头桥街道" in res.stderr
    res = run("audit", "list", "zw")
    assert res.exit_code == 1 and "对应多个案件" in res.stderr
    assert rows(db, "SELECT count(*) FROM audit_log") == before
    assert rows(db, "SELECT (SELECT count(*) FROM visits) + (SELECT count(*) FROM drug_tests)"
                    " + (SELECT count(*) FROM leaves) + (SELECT count(*) FROM police_reports)") == [(0,)]


@pytest.mark.parametrize("ref, masked", [
    ("13812345678", "138****5678"), ("138-1234-5678", "138****5678"), ("138 1234 5678", "138****5678"),
    ("+86 138 1234 5678", "861******5678"),
])
def test_a_phone_number_typed_as_a_person_is_refused_masked(db, ref, masked):
    add_case(phone="13812345678")
    for args in (["case", "show", ref, *AS_OF], ["test", "add", ref, "--result", "阴性", *AS_OF]):
        res = run(*args)
        assert res.exit_code == 1, res
        assert masked in res.stderr and "12345678" not in res.stderr.replace(masked, "")
        assert "电话号码" in res.stderr and "尾号" in res.stderr and "案件编号" in res.stderr
    assert rows(db, "SELECT count(*) FROM drug_tests") == [(0,)]


@pytest.mark.parametrize("digits", [8, 10, 14, 16, 17])
def test_part_of_an_id_typed_as_a_person_is_refused_masked(db, digits):
    number = make_id(date(1990, 1, 1), 111)
    add_case(id=number)
    res = run("case", "update", number[:digits], "--notes", "x", *AS_OF)
    assert res.exit_code == 1 and f"有 {digits} 位" in res.stderr
    assert number[6:14] not in res.stderr  # the birth date stays hidden
    assert "完整身份证号" in res.stderr and "尾号" in res.stderr and "姓名或拼音" in res.stderr
    assert rows(db, "SELECT notes FROM cases") == [(None,)]


def test_a_complete_id_finds_its_person_and_an_unknown_one_is_masked(db):
    number = make_id(date(1990, 1, 1), 111)
    cid = add_case(id=number)
    assert shown(number)["case_id"] == cid
    assert shown(f"{number[:6]} {number[6:14]} {number[14:]}")["case_id"] == cid
    other = make_id(date(1970, 5, 5), 999)
    res = run("case", "show", other, *AS_OF)
    assert res.exit_code == 1 and other not in res.stderr and other[:6] + "********" + other[-4:] in res.stderr


def test_case_list_search_by_a_number_shows_the_case_and_the_ids_ending_in_it(collide):
    found = ok("case", "list", "-q", "1007", "-f", "json", *AS_OF).json()
    assert sorted(r["case_id"] for r in found) == [collide["luo"], collide["liu"]]
    assert [r["case_id"] for r in ok("case", "list", "-q", "尾号1007", "-f", "json", *AS_OF).json()] == [collide["luo"]]
    assert [r["case_id"] for r in ok("case", "list", "-q", "12", "-f", "json", *AS_OF).json()] == []


@pytest.mark.parametrize("command", [
    ["case", "show"], ["case", "update"], ["case", "police-report"], ["visit", "add"], ["visit", "list"],
    ["test", "add"], ["test", "list"], ["leave", "add"], ["leave", "list"], ["audit", "list"], ["due"],
])
def test_every_command_that_takes_a_person_says_how_to_name_one(command):
    res = ok(*command, "--help", env={"COLUMNS": "400"})
    assert "尾号1232" in res.stdout and "案件编号" in res.stdout, res.stdout
    assert "后四位、" not in res.stdout


def test_case_add_and_update_drop_the_invisible_characters_the_importer_drops(db):
    cid = add_case(name="\u200b张\u202e伟\u2066")
    assert rows(db, "SELECT name, name_pinyin FROM cases") == [("张伟", "zhangwei")]
    ok("case", "update", cid, "--name", "\ufeff周\u200d文\u200f", "--notes", "\u202a家属配合\u202c", *AS_OF)
    assert rows(db, "SELECT name, name_pinyin, notes FROM cases") == [("周文", "zhouwen", "家属配合")]
    res = run("case", "update", cid, "--name", "\u200b\u202e", *AS_OF)
    assert res.exit_code == 1 and "姓名" in res.stderr
    assert shown("周\u200b文")["case_id"] == cid


def test_the_importer_drops_the_same_invisible_characters(db, tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("身份证号,姓名,执行地,管控类型,报到日期\r\n"
                    f"{make_id()},\u202e张\u200b伟\u2069,盐务街,社区戒毒,2025-01-10\r\n", encoding="utf-8-sig")
    ok("import", "cases", str(path), *AS_OF)
    assert rows(db, "SELECT name, name_pinyin FROM cases") == [("张伟", "zhangwei")]
