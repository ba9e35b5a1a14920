"""jindu due, due --explain, rules files, jindu draw."""

import json
import re
import sqlite3
import subprocess
import sys
from datetime import date

import pytest

from jindu_cli.domain.due import due_list
from jindu_cli.domain.reference import packaged_data_dir
from jindu_cli.domain.rules import load_rules
from jindu_cli.storage.db import open_db
from support import add_case, make_id, ok, random_district, rows, run

AS_OF = ["--as-of", "2026-11-28"]
FIELDS = ["case_id", "id_number", "name", "street", "worker", "item", "due_on", "days", "rule", "reason"]


def due_json(*args):
    return ok("due", "-f", "json", *args).json()


def test_json_fields_and_order(db):
    late = add_case(reported_on="2026-09-01", received_on="2026-08-30", risk="低")
    high = add_case(id=make_id(seq=556), name="李四", reported_on="2026-09-01", received_on="2026-08-30", risk="高")
    soon = add_case(id=make_id(seq=557), name="王五", reported_on="2026-11-01", received_on="2026-10-30")
    listed = due_json("--within", "7", *AS_OF)
    assert listed and all(list(d) == FIELDS for d in listed)
    assert all(d["days"] == (date.fromisoformat(d["due_on"]) - date(2026, 11, 28)).days for d in listed)
    overdue = [d for d in listed if d["days"] < 0]
    assert listed[:len(overdue)] == overdue  # overdue first, then today, then later
    groups = [(d["days"] > 0) - (d["days"] < 0) for d in listed]
    assert groups == sorted(groups)
    for g in (-1, 0, 1):  # in each, the most overdue (or soonest) first
        dates = [d["due_on"] for d, h in zip(listed, groups) if h == g]
        assert dates == sorted(dates)
    first = [d["case_id"] for d in overdue if d["due_on"] == overdue[0]["due_on"]]
    assert first[0] == high  # 高 risk first on the same day
    assert {d["case_id"] for d in listed if d["days"] >= 0} <= {soon, late, high}
    urine = next(d for d in listed if d["case_id"] == late and d["item"] == "urine_test")
    assert urine["rule"] == "R9" and urine["reason"] == "社区戒毒第1年每月尿检，报到 2026-09-01 后尚未尿检"
    assert urine["id_number"].count("*") == 8


def test_refusal_does_not_reset_the_clock(db):
    cid = add_case(reported_on="2026-01-10", received_on="2026-01-05")
    ok("test", "add", cid, "--specimen", "尿液", "--result", "阴性", "--on", "2026-10-01", *AS_OF)
    before = [d for d in due_json("--within", "30", "--item", "urine_test", *AS_OF) if d["case_id"] == cid]
    ok("test", "add", cid, "--specimen", "尿液", "--result", "拒检", "--on", "2026-10-20", *AS_OF)
    ok("test", "add", cid, "--specimen", "尿液", "--result", "无效", "--on", "2026-10-21", *AS_OF)
    after = [d for d in due_json("--within", "30", "--item", "urine_test", *AS_OF) if d["case_id"] == cid]
    assert [d["due_on"] for d in before] == [d["due_on"] for d in after] == ["2026-11-01"]
    ok("test", "add", cid, "--specimen", "尿液", "--result", "阳性", "--on", "2026-11-25", *AS_OF)
    assert due_json("--within", "30", "--item", "urine_test", *AS_OF)[0]["due_on"] == "2026-12-25"


def test_suspension_through_the_cli(db):
    cid = add_case(reported_on="2026-01-10", received_on="2026-01-05")
    ok("test", "add", cid, "--specimen", "尿液", "--result", "阴性", "--on", "2026-10-01", *AS_OF)
    ok("case", "update", cid, "--status", "中止", "--on", "2026-10-10", "--reason", "拘留", *AS_OF)
    assert due_json("--within", "60", *AS_OF) == []
    ok("case", "update", cid, "--status", "在执行", "--on", "2026-10-20", *AS_OF)
    urine = due_json("--within", "60", "--item", "尿检", *AS_OF)
    assert [d["due_on"] for d in urine] == ["2026-11-11"]


def test_case_override_from_the_command_line(db):
    cid = add_case(reported_on="2024-01-10", received_on="2024-01-05")
    ok("test", "add", cid, "--specimen", "尿液", "--result", "阴性", "--on", "2026-11-01", *AS_OF)
    assert due_json("--item", "urine_test", *AS_OF) == []  # year 3: every three months
    ok("case", "update", cid, "--test-every", "1m", *AS_OF)
    [urine] = due_json("--item", "urine_test", "--within", "7", *AS_OF)
    assert (urine["due_on"], urine["rule"]) == ("2026-12-01", "个案")
    assert "1 个月（1m）" in ok("case", "show", cid, *AS_OF).stdout  # in words on the screen
    assert json.loads(ok("case", "show", cid, "-f", "json", *AS_OF).stdout)["test_every"] == "1m"
    res = run("case", "update", cid, "--test-every", "monthly", *AS_OF)
    assert res.exit_code == 1 and "个案尿检间隔" in res.stderr


def _rules_text():
    return (packaged_data_dir() / "rules.toml").read_text(encoding="utf-8")


def test_custom_rules_file_by_option_and_beside_the_database(db, tmp_path):
    cid = add_case(reported_on="2026-11-01", received_on="2026-10-30")
    assert [d["due_on"] for d in due_json("--item", "urine_test", "--within", "30", *AS_OF)] == ["2026-12-01"]
    custom = tmp_path / "office" / "rules.toml"
    custom.parent.mkdir()
    custom.write_text(_rules_text().replace('intervals = ["1m", "2m", "3m"]', 'intervals = ["15d", "1m", "2m"]'),
                      encoding="utf-8")
    listed = due_json("--item", "urine_test", "--within", "30", "--rules", custom, *AS_OF)
    assert [(d["case_id"], d["due_on"]) for d in listed] == [(cid, "2026-11-16")]
    (db.parent / "rules.toml").write_text(custom.read_text(encoding="utf-8"), encoding="utf-8")
    assert [d["due_on"] for d in due_json("--item", "urine_test", "--within", "30", *AS_OF)] == ["2026-11-16"]
    assert "office" not in ok("rules", "show").stdout and str(db.parent / "rules.toml") in ok("rules", "show").stdout


@pytest.mark.parametrize("change,words", [
    (lambda t: t.replace("[talk]\n", "[talk]\nintervl = \"1m\"\n"), "talk.intervl：未知的键"),
    (lambda t: t.replace('interval = "6m"\n\n[talk]', 'interval = "6x"\n\n[talk]'), "hair_test.interval"),
    (lambda t: t.replace('intervals = ["2m"]', 'intervals = []'), "urine_test.community_rehab_other.intervals"),
    (lambda t: t.replace("[hair_test]", "[hair_tests]"), "hair_tests：未知的规则"),
    (lambda t: t.replace("days = 15", "days = -1"), "report_in.days"),
    (lambda t: t + "\n[report_out]\nlabel = \"x\"\n", "report_out：未知的规则"),
    (lambda t: t.replace("holiday_shift = false", "holiday_shift = \"yes\""), "settings.holiday_shift"),
    (lambda t: t.replace("[police_report]\nlabel = \"报告公安\"\nsource = \"R8\"", "[x]"), "未知的规则"),
    (lambda t: t[: t.index("[police_report]")], "police_report：缺少这条规则"),
    (lambda t: t.replace("[lost_contact]", "[lost_contact"), "不是有效的 TOML"),
])
def test_bad_rules_file_is_refused_naming_the_key(db, tmp_path, change, words):
    add_case()
    bad = tmp_path / "bad.toml"
    bad.write_text(change(_rules_text()), encoding="utf-8")
    res = run("due", "--rules", bad, *AS_OF)
    assert res.exit_code == 1 and words in res.stderr and str(bad) in res.stderr, res
    assert "Traceback" not in res.stderr


def test_rules_template_is_the_shipped_file_and_loads():
    assert ok("rules", "template").stdout == _rules_text()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_narrowed_list_equals_the_list_computed_for_every_case(tmp_path, seed):
    path = tmp_path / f"d{seed}.db"
    random_district(path, seed)
    conn = open_db(path)
    rules = load_rules(conn)

    for as_of in (date(2026, 11, 28), date(2025, 6, 30)):
        for within, street, item in [(7, None, None), (0, None, None), (30, "头桥", None), (60, None, "talk"),
                                     (3, None, "lost_contact"), (400, None, "three_year_clean")]:
            narrow = due_list(conn, rules, as_of, within, street, None, item)
            full = due_list(conn, rules, as_of, within, street, None, item, narrow=False)
            assert narrow == full, (as_of, within, street, item)
    assert due_list(conn, rules, date(2026, 11, 28), 7)  # not between two empty lists


def test_same_database_and_date_give_the_same_bytes(tmp_path):
    path = tmp_path / "d.db"
    random_district(path, 7)
    outputs = set()
    for fmt in ("table", "json", "csv"):
        first = subprocess.run([sys.executable, "-m", "jindu_cli", "due", "--db", str(path), "-f", fmt,
                                "--as-of", "2026-11-28"], capture_output=True, check=True).stdout
        again = ok("due", "--db", path, "-f", fmt, "--as-of", "2026-11-28").stdout.encode()
        assert first == again and first
        outputs.add(first)
    assert len(outputs) == 3


def test_table_counts_by_street_and_filters(tmp_path):
    path = tmp_path / "d.db"
    random_district(path, 11)
    text = ok("due", "--db", path, *AS_OF).stdout
    lines = text.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("街道") and "今天到期" in line)
    by_street = [line.split()[0] for line in lines[header + 2:]]
    assert by_street == ["头桥街道", "盐务街街道", "黔灵镇"]
    assert any(line.startswith("逾期 ") and "今天到期" in line for line in lines[:header])
    by_worker = ok("due", "--db", path, "--worker", "甲", "-f", "json", *AS_OF).json()
    assert by_worker and {d["worker"] for d in by_worker} == {"甲"}
    only = ok("due", "--db", path, "--street", "黔灵镇", "-f", "json", *AS_OF).json()
    assert only and {d["street"] for d in only} == {"黔灵镇"}
    one_street_table = ok("due", "--db", path, "--street", "黔灵镇", *AS_OF).stdout
    assert "今天到期   7 天内到期" not in one_street_table  # no by-street table for one street
    assert run("due", "--db", path, "--item", "体检", *AS_OF).exit_code == 1


def test_explain_shows_rule_anchor_interval_year_and_date(db):
    cid = add_case(reported_on="2025-01-10", received_on="2025-01-05")
    ok("test", "add", cid, "--specimen", "尿液", "--result", "阴性", "--on", "2026-11-02", *AS_OF)
    explained = ok("due", "--explain", cid, "-f", "json", *AS_OF).json()
    urine = next(e for e in explained if e["item"] == "urine_test")
    assert (urine["rule"], urine["anchor"], urine["interval"], urine["term_year"], urine["due_on"]) == (
        "R9", "检测 #1 2026-11-02 尿液", "2m", 2, "2027-01-02")
    assert {e["item"] for e in explained} >= {"urine_test", "hair_test", "talk", "home_visit", "assessment",
                                              "lost_contact", "term_end"}
    table = ok("due", "--explain", "张伟", *AS_OF).stdout
    assert "起点" in table and "检测 #1 2026-11-02 尿液" in table
    # the table says its intervals in words; json keeps the rules file's notation (2m above)
    urine_line = next(line for line in table.splitlines() if "检测 #1 2026-11-02 尿液" in line)
    assert "2 个月" in urine_line and "2m" not in urine_line
    assert not re.search(r"\s\d+[mywd]\s", table), table


def test_overview_shows_overdue_and_due_today_by_kind_and_what_to_run_next(db):
    cid = add_case(reported_on="2026-09-01", received_on="2026-08-30")
    lines = ok(env={"JINDU_TODAY": "2026-11-28"}).stdout.splitlines()
    assert lines[1] == "今天 2026-11-28"
    assert lines[2].startswith("逾期 ") and "尿检 1" in lines[2] and "谈话 1" in lines[2]
    assert lines[3] == "今天到期 0 项"
    assert lines[-1] == "下一步：jindu due（到期清单，逾期的在前）"
    ok("test", "add", cid, "--specimen", "尿液", "--result", "阳性", "--on", "2026-11-20", *AS_OF)
    lines = ok(env={"JINDU_TODAY": "2026-11-28"}).stdout.splitlines()
    assert "报告公安 1" in lines[2] and lines[-1].startswith("下一步：jindu case flags --unreported")


def test_draw_is_reproducible_recorded_and_audited(db):
    for seq in range(20):
        add_case(id=make_id(seq=100 + seq), name=f"人{seq}", street="盐务街" if seq % 2 else "头桥")
    first = ok("draw", "--count", "3", "--seed", "42", "-f", "json", *AS_OF).json()
    again = ok("draw", "--count", "3", "--seed", "42", "-f", "json", *AS_OF).json()
    assert [r["case_id"] for r in first] == [r["case_id"] for r in again]
    assert len({r["case_id"] for r in first}) == 3
    other = ok("draw", "--count", "3", "--seed", "7", "-f", "json", *AS_OF).json()
    assert [r["case_id"] for r in other] != [r["case_id"] for r in first]
    street = ok("draw", "--count", "10", "--street", "盐务街", "--seed", "1", "-f", "json", *AS_OF).json()
    assert {r["street"] for r in street} == {"盐务街街道"} and len(street) == 10
    recorded = rows(db, "SELECT drawn_on, seed, pool_size, count, case_ids, operator FROM draws ORDER BY id")
    assert recorded[0] == ("2026-11-28", 42, 20, 3, json.dumps([r["case_id"] for r in first]), "tester")
    assert recorded[3][2] == 10
    assert rows(db, "SELECT count(*) FROM audit_log WHERE action = 'draw'") == [(4,)]
    assert len(ok("draw", "--list", "-f", "json").json()) == 4
    res = run("draw", "--count", "11", "--street", "盐务街", *AS_OF)
    assert res.exit_code == 1 and "只有 10 人" in res.stderr
    drawn = ok("draw", "--count", "2", *AS_OF)
    assert "种子" in drawn.stdout


def test_draw_gives_everyone_an_equal_chance(db):
    from collections import Counter

    from jindu_cli.domain.draws import rank

    pool = [make_id(seq=s) for s in range(10)]
    picked = Counter()
    for seed in range(3000):
        picked.update(sorted(pool, key=lambda n: rank(seed, n))[:3])
    # 900 expected each; a fair draw stays well within ±15%
    assert all(765 < picked[n] < 1035 for n in pool), picked


def expected_table(path, as_of: date, args: list[str]) -> str:
    """The plain table of `jindu due`'s rows, their counts and their words, as `jindu due --as-of
    AS_OF *args` must print it off a terminal."""
    from jindu_cli.cli.due import COLUMNS, when_text
    from jindu_cli.cli.output import table_columns
    from jindu_cli.cli.table import plain_columns

    conn = open_db(path)
    rules = load_rules(conn)
    street = args[args.index("--street") + 1] if "--street" in args else None
    within = int(args[args.index("--within") + 1]) if "--within" in args else 7
    listed = []
    for d in due_list(conn, rules, as_of, within, street):
        row = d.as_dict(as_of)
        listed.append(dict(row, item_label=rules.label(d.item), when=when_text(row["days"])))
    conn.close()
    assert len(listed) > 3 and any(r["days"] < 0 for r in listed)
    late = sum(r["days"] < 0 for r in listed)
    today = sum(r["days"] == 0 for r in listed)
    caption = (f"逾期 {late} 项，今天到期 {today} 项，{within} 天内到期 {len(listed) - late - today} 项"
               f"（按 {as_of} 计算）")
    words = {"overdue": f"逾期（{late} 项）", "today": f"今天到期（{today} 项）",
             "soon": f"{within} 天内到期（{len(listed) - late - today} 项）"}
    group = ["overdue" if r["days"] < 0 else "today" if r["days"] == 0 else "soon" for r in listed]
    sections = {i: words[g] for i, g in enumerate(group) if i == 0 or group[i - 1] != g}
    return "".join(plain_columns([label for _, label in COLUMNS],
                                 table_columns(listed, [k for k, _ in COLUMNS], "--reveal" in args), caption=caption,
                                 sections=sections))


@pytest.mark.parametrize("as_of, args", [
    (date(2026, 11, 28), []), (date(2026, 11, 28), ["--reveal"]), (date(2026, 3, 2), ["--within", "30"]),
    (date(2026, 11, 28), ["--street", "头桥", "--within", "0"]),
])
def test_the_table_is_the_table_of_the_rows(tmp_path, monkeypatch, as_of, args):
    """Off a terminal the list is the plain table of its rows, their counts and their words; a
    command that only shows the list leaves the file as it was."""
    path = tmp_path / "d.db"
    random_district(path, 5, cases=200)
    open_db(path).close()  # (brought up to date first)
    monkeypatch.setenv("JINDU_DB", str(path))
    before = path.read_bytes()
    for _ in range(2):
        out = ok("due", "--as-of", as_of.isoformat(), *args).stdout
        assert out.startswith(expected_table(path, as_of, args)), out[:2000]
    if "--reveal" not in args:  # (a reveal is written to the audit trail)
        assert path.read_bytes() == before
    assert ("********" in out) != ("--reveal" in args)
    reveals = [json.loads(c) for (c,) in rows(path, "SELECT changes FROM audit_log WHERE action = 'reveal'")]
    if "--reveal" in args:  # who saw which people in full is recorded
        cases = sorted({d.case_id for d in due_list(open_db(path), load_rules(open_db(path)), as_of, 7)})
        assert reveals == [{"command": "due", "cases": cases}] * 2
    else:
        assert reveals == []


@pytest.mark.parametrize("fmt", ["json", "csv"])
@pytest.mark.parametrize("as_of, args", [
    (date(2026, 11, 28), []), (date(2026, 11, 28), ["--reveal"]), (date(2026, 3, 2), ["--within", "300"]),
])
def test_json_and_csv_are_those_of_the_rows(tmp_path, monkeypatch, fmt, as_of, args):
    """`-f json` and `-f csv`: the rows as Python's json and csv modules write them (masked unless
    --reveal, which is audited; a text cell a spreadsheet would take for a formula neutralised)."""
    import csv
    import io

    from jindu_cli.cli.output import masked

    path = tmp_path / "d.db"
    random_district(path, 5, cases=200)
    with sqlite3.connect(path) as raw:  # no worker for some; names that JSON must escape and CSV quote
        raw.execute("UPDATE cases SET worker = NULL WHERE id % 5 = 0")
        raw.execute("UPDATE cases SET name = 'O\"Neil\\' || char(9) || '张' WHERE id % 7 = 0")
        raw.execute("UPDATE cases SET name = '李,' || char(10) || '四' || char(13) WHERE id % 11 = 0")
        raw.execute("UPDATE cases SET name = '=HYPERLINK(\"x\")' WHERE id % 13 = 0")
    monkeypatch.setenv("JINDU_DB", str(path))
    out = ok("due", "-f", fmt, "--as-of", as_of.isoformat(), *args).stdout
    conn = open_db(path)
    within = int(args[args.index("--within") + 1]) if "--within" in args else 7
    listed = [d.as_dict(as_of) for d in due_list(conn, load_rules(conn), as_of, within)]
    assert len(listed) > 3 and any(r["days"] < 0 for r in listed) and any(r["worker"] is None for r in listed)
    assert any("\t" in r["name"] for r in listed) and any("\n" in r["name"] for r in listed)
    shown = [masked(r, "--reveal" in args) for r in listed]
    if fmt == "json":
        assert out == json.dumps(shown, ensure_ascii=False, indent=2) + "\n"
    else:
        expected = io.StringIO()
        writer = csv.writer(expected, lineterminator="\n")
        writer.writerow(list(shown[0]))
        for r in shown:
            writer.writerow(["" if v is None else "'" + v if isinstance(v, str) and v.startswith("=") else v
                             for v in r.values()])
        assert out == expected.getvalue()
        # a text neutralised, a number of days left as it is
        assert any(r["name"].startswith("=") for r in listed) and "'=HYPERLINK" in out
        assert any(r["days"] < 0 for r in listed) and f",{min(r['days'] for r in listed)}," in out
    reveals = rows(path, "SELECT changes FROM audit_log WHERE action = 'reveal'")
    assert len(reveals) == ("--reveal" in args)
    conn.close()


def test_explain_shows_an_open_police_report_in_every_format(db):
    """An open 报告公安 item is explained as a table too: due the next working day (§9.13; the
    positive of Friday 2026-11-20 is reported by Monday 2026-11-23)."""
    cid = add_case(reported_on="2026-09-01", received_on="2026-08-30")
    ok("test", "add", cid, "--specimen", "尿液", "--result", "阳性", "--on", "2026-11-20", *AS_OF)
    table = ok("due", "--explain", cid, *AS_OF).stdout
    police = next(line for line in table.splitlines() if "报告公安" in line)
    assert "下一个工作日" in police and "2026-11-23" in police
    explained = ok("due", "--explain", cid, "-f", "json", *AS_OF).json()
    assert [(e["interval"], e["due_on"]) for e in explained if e["item"] == "police_report"] == [
        ("1wd", "2026-11-23")]


def test_a_street_or_worker_naming_nobody_is_said_so(db):
    add_case(reported_on="2026-09-01", received_on="2026-08-30", worker="李芳")
    add_case(id=make_id(seq=556), name="李四", street="头桥", worker="王磊")
    res = run("due", "--worker", "李方", *AS_OF)
    assert res.exit_code == 1 and "没有负责专干“李方”" in res.stderr and "有：李芳、王磊" in res.stderr
    res = run("due", "--street", "渔安", *AS_OF)
    assert res.exit_code == 1 and "渔安街道没有在册人员" in res.stderr
    res = run("due", "--street", "盐务街", "--worker", "王磊", *AS_OF)
    assert res.exit_code == 1 and "盐务街街道没有专干“王磊”负责的人" in res.stderr
    assert ok("due", "--street", "盐务街", "--worker", "李芳", *AS_OF).stdout


def test_a_call_is_a_contact_attempt_not_a_successful_contact(db, tmp_path):
    """§9.6: a call that got through does not reset R22's clock, unless the rules count calls."""
    cid = add_case(reported_on="2026-09-01", received_on="2026-08-30")
    ok("visit", "add", cid, "--kind", "谈话", "--on", "2026-09-05", *AS_OF)
    ok("visit", "add", cid, "--kind", "电话联系", "--outcome", "已接通", "--on", "2026-11-20", *AS_OF)
    lost = [d for d in due_json("--item", "lost_contact", *AS_OF)]
    assert [(d["due_on"], d["reason"]) for d in lost] == [
        ("2026-10-05", "超过 30 天没有成功联系就算失联，上次成功联系 2026-09-05（见面）")]
    counting = tmp_path / "rules.toml"
    counting.write_text(_rules_text().replace("calls_count = false", "calls_count = true"), encoding="utf-8")
    lost = due_json("--item", "lost_contact", "--within", "30", "--rules", counting, *AS_OF)
    assert [(d["due_on"], d["reason"]) for d in lost] == [
        ("2026-12-20", "超过 30 天没有成功联系就算失联，上次成功联系 2026-11-20（电话联系）")]


def test_an_older_database_s_calls_take_the_outcomes_of_a_call(tmp_path):
    """m010: a call recorded as 见到本人 or 未见到本人 before calls had outcomes of their own."""
    from sqlite_utils import Database, Migrations

    from jindu_cli.storage import migrations

    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    steps = Migrations("jindu")
    for fn in migrations.STEPS[:9]:
        steps()(fn)
    steps.apply(Database(conn))
    conn.execute("PRAGMA user_version = 9")
    conn.execute("INSERT INTO cases (id, id_number, name, street, measure, term_months, status, created_at, updated_at)"
                 " VALUES (1, ?, '张伟', '盐务街街道', 'community_treatment', 36, 'pending', '', '')", [make_id()])
    for n, (kind, outcome) in enumerate([("phone", "seen"), ("phone", "not_seen"), ("talk", "seen"),
                                         ("talk", "not_seen")]):
        conn.execute("INSERT INTO visits (case_id, visited_on, kind, outcome, created_at, updated_at)"
                     " VALUES (1, ?, ?, ?, '', '')", [f"2026-11-0{n + 1}", kind, outcome])
    conn.close()
    upgraded = open_db(path)
    assert upgraded.execute("SELECT kind, outcome FROM visits ORDER BY id").fetchall() == [
        ("phone", "reached"), ("phone", "unreached"), ("talk", "seen"), ("talk", "not_seen")]
