"""The rest of a 禁毒专干's month through the CLI: 禁毒宣传 and 入户调查 (jindu activity), screening
sessions and their referrals (jindu screen), what a 帮扶 achieved (visit options), the pick-lists an
office extends; every refusal in Chinese, naming the field, with the database as it was."""

import json
import sqlite3

import pytest

from support import add_case, make_id, ok, rows, run

NOW = ["--as-of", "2026-11-28"]


def dump(db) -> str:
    conn = sqlite3.connect(db)
    try:
        return "\n".join(conn.iterdump())
    finally:
        conn.close()


def refused(db, *args, field: str, words: str = "") -> str:
    """The command fails (exit 1) with a Chinese message naming `field`, and writes nothing."""
    before = dump(db)
    res = run(*args, *NOW)
    assert res.exit_code == 1, res
    assert f"错误：{field}" in res.stderr and words in res.stderr, res.stderr
    assert "Traceback" not in res.stderr
    assert dump(db) == before
    return res.stderr


def listed(*args) -> list[dict]:
    return ok(*args, "-f", "json").json()


def audited(db, entity: str) -> list[tuple]:
    return [(action, json.loads(changes)) for action, changes in
            rows(db, "SELECT action, changes FROM audit_log WHERE entity = ? ORDER BY id", [entity])]


def test_an_activity_is_added_listed_and_corrected(db):
    first = ok("activity", "add", "--kind", "进校园", "--on", "2026-11-12", "--street", "盐务街", "--place", "盐务街小学",
               "--audience", "中小学生、教师", "--participants", "320", "--materials", "400份", "--worker", "李芳", *NOW)
    assert first.stdout.strip() == "1" and "已记录：2026-11-12 盐务街街道 进校园（宣传）" in first.stderr
    # the kind told by the name alone; 入户调查 counts households and clues instead
    ok("activity", "add", "--title", "“6·26”国际禁毒日集中宣传", "--on", "2026-06-26", "--street", "头桥",
       "--audience", "居民", "--participants", "500", *NOW)
    ok("activity", "add", "--kind", "摸排", "--on", "2026-11-20", "--street", "盐务街", "--community", "和平社区",
       "--households", "45", "--clues", "2", "--clues-referred", "1", *NOW)
    got = listed("activity", "list")
    assert [(a["activity_id"], a["kind"], a["category"]) for a in got] == [
        (3, "毒情摸排", "入户调查"), (1, "进校园", "宣传"), (2, "国际禁毒日", "宣传")]
    assert got[1] | {} == {
        "activity_id": 1, "held_on": "2026-11-12", "category": "宣传", "kind": "进校园", "title": None,
        "street": "盐务街街道", "community": None, "place": "盐务街小学", "audience": ["学生", "教师"],
        "participants": 320, "materials": 400, "households": None, "clues": None, "clues_referred": None,
        "partners": None, "worker": "李芳", "notes": None}
    assert [a["activity_id"] for a in listed("activity", "list", "--street", "头桥")] == [2]
    assert [a["activity_id"] for a in listed("activity", "list", "--category", "入户调查")] == [3]
    assert [a["activity_id"] for a in listed("activity", "list", "--from", "2026-11", "--worker", "李芳")] == [1]
    table = ok("activity", "list").stdout
    assert "共 3 条\n宣传 2 场，参加 820 人次，发放资料 400 份\n入户调查 1 次，45 户，线索 2 条（移交公安 1 条）" in table
    res = ok("activity", "update", "1", "--participants", "350", "--audience", "学生", *NOW)
    assert "参加人数：320 → 350" in res.stderr and "对象：学生、教师 → 学生" in res.stderr
    assert listed("activity", "list", "--street", "盐务街")[1]["participants"] == 350
    # a survey becomes a 宣传 once its households are cleared, and says what changed
    res = ok("activity", "update", "3", "--kind", "进社区", "--households", "", "--clues", "", "--clues-referred", "",
             *NOW)
    assert "类型：入户调查 → 宣传" in res.stderr
    assert [action for action, _ in audited(db, "activity")] == ["add", "add", "add", "update", "update"]
    assert audited(db, "activity")[3][1] == {"participants": [320, 350], "audience": [["学生", "教师"], ["学生"]]}


def test_an_activity_refused_names_the_field_and_writes_nothing(db):
    ok("activity", "add", "--kind", "进校园", "--on", "2026-11-12", "--street", "盐务街", "--place", "小学", *NOW)
    refused(db, "activity", "add", "--kind", "跳舞", "--street", "盐务街", field="活动类别", words="activity_kinds.toml")
    refused(db, "activity", "add", "--title", "关爱青少年主题活动", "--street", "盐务街", field="活动类别",
            words="活动名称里也看不出")
    refused(db, "activity", "add", "--kind", "进校园", "--on", "2026-12-01", "--street", "盐务街", field="日期",
            words="晚于今天")
    refused(db, "activity", "add", "--kind", "进校园", "--street", "不存在", field="街道")
    refused(db, "activity", "add", "--kind", "进校园", "--street", "盐务街", "--audience", "游客", field="对象",
            words="audiences.toml")
    refused(db, "activity", "add", "--kind", "入户调查", "--street", "盐务街", "--participants", "3",
            field="参加人数", words="只有宣传记这一项")
    refused(db, "activity", "add", "--kind", "进校园", "--street", "盐务街", "--households", "3",
            field="入户户数", words="只有入户调查记这一项")
    refused(db, "activity", "add", "--kind", "入户调查", "--street", "盐务街", "--clues", "1", "--clues-referred", "2",
            field="移交公安线索", words="多于发现线索")
    refused(db, "activity", "add", "--kind", "进校园", "--street", "盐务街", "--materials", "-5", field="发放资料（份）")
    refused(db, "activity", "add", "--kind", "进校园", "--on", "2026-11-12", "--street", "盐务街街道", "--place", "小学",
            field="", words="已有相同的活动记录（#1）")
    ok("activity", "update", "1", "--participants", "30", *NOW)
    refused(db, "activity", "update", "1", "--kind", "入户调查", field="参加人数", words="改了类别的，请同时把这一项清空")
    refused(db, "activity", "update", "9", "--participants", "3", field="", words="没有编号为 9 的活动记录")
    refused(db, "activity", "add", "--street", "盐务街", field="活动类别", words="必须填写")


def test_a_screening_session_and_its_referrals(db):
    res = ok("screen", "add", "--group", "司机", "--on", "2026-11-06", "--street", "盐务街", "--specimen", "毛发",
             "--tested", "120", "--positives", "2", "--place", "客运站", "--organiser", "盐务街派出所", *NOW)
    assert res.stdout.strip() == "1" and "驾驶员毛发筛查 120 人，阳性 2 人" in res.stderr
    assert "jindu screen refer 1 --id 身份证号 --name 姓名" in res.stderr
    ok("screen", "add", "--group", "娱乐场所", "--on", "2026-10-06", "--street", "头桥", "--specimen", "尿检",
       "--tested", "40", *NOW)
    wang, li = make_id(seq=301), make_id(seq=302)
    res = ok("screen", "refer", "1", "--id", wang, "--name", "王 某", "--police-unit", "盐务街派出所", *NOW)
    assert res.stdout.strip() == "1" and wang not in res.stderr and f"王某（{wang[:6]}********{wang[-4:]}）" in res.stderr
    ok("screen", "refer", "1", "--id", li, "--name", "李某", "--on", "2026-11-07", *NOW)
    sessions = listed("screen", "list")
    assert [(s["screening_id"], s["screened_group"], s["specimen"], s["tested"], s["positives"], s["referred"])
            for s in sessions] == [(1, "驾驶员", "毛发", 120, 2, 2), (2, "娱乐场所从业人员", "尿液", 40, 0, 0)]
    assert "共 2 场\n筛查 160 人，阳性 2 人，已移交公安 2 人" in ok("screen", "list").stdout
    # masked in every format unless revealed; a reveal is audited, naming the referrals shown
    shown = ok("screen", "referrals", "-f", "csv").stdout
    assert wang not in shown and li not in shown and f"{wang[:6]}********{wang[-4:]}" in shown
    table = ok("screen", "referrals").stdout
    assert wang not in table and "王某" in table
    assert not [a for a, _ in audited(db, "screen_referral") if a == "reveal"]
    full = listed("screen", "referrals", "1", "--reveal")
    assert {r["id_number"] for r in full} == {wang, li}
    assert [r["referred_on"] for r in full] == ["2026-11-07", "2026-11-06"]
    assert audited(db, "screen_referral")[-1] == ("reveal", {"command": "screen referrals", "referrals": [1, 2]})
    added = audited(db, "screen_referral")[0][1]
    assert added["id_number"] == [None, wang] and added["screening_id"] == 1
    audit_table = ok("audit", "list").stdout
    assert wang not in audit_table and "筛查移交" in audit_table
    res = ok("screen", "update", "1", "--positives", "3", "--notes", "复检", *NOW)
    assert "阳性人数：2 → 3" in res.stderr
    assert listed("screen", "list", "--group", "驾驶员")[0]["positives"] == 3


def test_a_screening_refused_names_the_field_and_writes_nothing(db):
    ok("screen", "add", "--group", "驾驶员", "--street", "盐务街", "--specimen", "毛发", "--tested", "10",
       "--positives", "1", "--on", "2026-11-06", *NOW)
    registered = add_case(id=make_id(seq=401))
    refused(db, "screen", "add", "--group", "学生", "--street", "盐务街", "--specimen", "尿液", "--tested", "3",
            field="筛查对象", words="screen_groups.toml")
    refused(db, "screen", "add", "--group", "驾驶员", "--street", "盐务街", "--specimen", "尿液", "--tested", "3",
            "--positives", "4", field="阳性人数", words="多于筛查人数")
    refused(db, "screen", "add", "--group", "驾驶员", "--street", "盐务街", "--tested", "3", field="检测样本")
    refused(db, "screen", "add", "--group", "驾驶员", "--street", "盐务街", "--specimen", "尿液", "--tested", "0",
            field="筛查人数", words="至少 1 人")
    # someone in the register is tested on their own case, never handed over from a screening
    res = refused(db, "screen", "refer", "1", "--id", make_id(seq=401), "--name", "张伟", field="身份证号",
                  words=f"案件 {registered}")
    assert make_id(seq=401) not in res and "jindu test add" in res
    refused(db, "screen", "refer", "1", "--id", make_id(seq=402)[:-1] + "0", "--name", "某", field="身份证号")
    refused(db, "screen", "refer", "1", "--id", make_id(seq=402), "--name", "某", "--on", "2026-11-05",
            field="移交日期", words="早于筛查日期")
    ok("screen", "refer", "1", "--id", make_id(seq=402), "--name", "某", *NOW)
    refused(db, "screen", "refer", "1", "--id", make_id(seq=403), "--name", "某", field="阳性人数",
            words="已移交 1 人")
    refused(db, "screen", "refer", "1", "--id", make_id(seq=402), "--name", "某", field="", words="已从筛查 #1 移交公安")
    refused(db, "screen", "update", "1", "--positives", "0", field="阳性人数", words="少于已从这次筛查移交公安的 1 人")
    assert run("screen", "refer", "1", "--name", "某", *NOW).exit_code == 2


def test_a_referral_mistyped_is_corrected_checked_as_when_made_and_audited(db):
    ok("screen", "add", "--group", "驾驶员", "--street", "盐务街", "--specimen", "毛发", "--tested", "10",
       "--positives", "2", "--on", "2026-11-06", *NOW)
    wrong, right, other = make_id(seq=601), make_id(seq=602), make_id(seq=603)
    ok("screen", "refer", "1", "--id", wrong, "--name", "王某", *NOW)
    ok("screen", "refer", "1", "--id", other, "--name", "李某", *NOW)
    res = ok("screen", "refer-update", "1", "--id", right, "--name", "王某某", "--police-unit", "盐务街派出所", *NOW)
    assert f"身份证号：{wrong[:6]}********{wrong[-4:]} → {right[:6]}********{right[-4:]}" in res.stderr
    assert "姓名：王某 → 王某某" in res.stderr and right not in res.stderr
    got = listed("screen", "referrals", "1", "--reveal")
    assert [(r["id_number"], r["name"], r["police_unit"]) for r in got if r["referral_id"] == 1] == \
        [(right, "王某某", "盐务街派出所")]
    assert audited(db, "screen_referral")[-2] == ("update", {"id_number": [wrong, right], "name": ["王某", "王某某"],
                                                            "police_unit": [None, "盐务街派出所"]})
    assert "没有变化" in ok("screen", "refer-update", "1", "--name", "王某某", *NOW).stderr
    ok("screen", "refer-update", "1", "--police-unit", "", *NOW)  # an empty string clears it
    assert rows(db, "SELECT police_unit FROM screening_referrals WHERE id = 1") == [(None,)]
    registered = add_case(id=make_id(seq=604))
    refused(db, "screen", "refer-update", "1", "--id", make_id(seq=604), field="身份证号", words=f"案件 {registered}")
    refused(db, "screen", "refer-update", "1", "--id", other, field="", words="已从筛查 #1 移交公安")
    refused(db, "screen", "refer-update", "1", "--on", "2026-11-05", field="移交日期", words="早于筛查日期")
    refused(db, "screen", "refer-update", "1", "--name", " ", field="姓名")
    res = run("screen", "refer-update", "9", "--name", "某", *NOW)
    assert res.exit_code != 0 and "没有移交记录 #9" in res.stderr


def test_case_add_says_when_the_id_was_handed_over_from_a_screening_and_links_it(db):
    ok("screen", "add", "--group", "驾驶员", "--street", "盐务街", "--specimen", "毛发", "--tested", "10",
       "--positives", "1", "--on", "2026-11-06", *NOW)
    number = make_id(seq=501)
    ok("screen", "refer", "1", "--id", number, "--name", "赵六", *NOW)
    res = ok("case", "add", "--id", number, "--name", "赵六", "--street", "盐务街", "--measure", "社区戒毒",
             "--received-on", "2026-11-20", *NOW)
    case = int(res.stdout)
    assert ("赵六 曾在 2026-11-06 盐务街街道的驾驶员筛查中阳性，2026-11-06 移交公安（筛查 #1，移交记录 #1）；"
            f"已把这条移交记录关联到案件 {case}") in res.stderr
    assert rows(db, "SELECT case_id FROM screening_referrals") == [(case,)]
    assert listed("screen", "referrals")[0]["case_id"] == case
    assert audited(db, "screen_referral")[-1] == ("link", {"case_id": [None, case], "screening_id": 1})
    shown = ok("case", "show", case, *NOW).stdout
    assert "2026-11-06   筛查" in shown and "2026-11-06 盐务街街道驾驶员筛查（#1）阳性，移交公安" in shown
    # another person registered says nothing of it
    other = ok("case", "add", "--id", make_id(seq=502), "--name", "钱七", "--street", "盐务街", "--measure", "社区戒毒",
               *NOW)
    assert "筛查" not in other.stderr


def test_what_a_help_visit_achieved(db):
    case = add_case(worker="李芳")
    res = ok("visit", "add", case, "--kind", "帮扶", "--sub-kind", "就业", "--placed", "--referred-to", "区人社局",
             "--on", "2026-11-02", *NOW)
    assert "已安置就业；转介：区人社局" in res.stderr
    ok("visit", "add", case, "--kind", "帮扶", "--sub-kind", "救助", "--aid", "1,200元", "--on", "2026-11-03", *NOW)
    ok("visit", "add", case, "--kind", "帮扶", "--sub-kind", "医疗", "--aid", "是", "--on", "2026-11-04", *NOW)
    got = {v["visited_on"]: v for v in listed("visit", "list")}
    assert {k: got["2026-11-02"][k] for k in ("placed", "aid_granted", "aid_amount", "referred_to", "help_result")} == {
        "placed": True, "aid_granted": False, "aid_amount": None, "referred_to": "区人社局",
        "help_result": "已安置就业；转介：区人社局"}
    assert (got["2026-11-03"]["aid_granted"], got["2026-11-03"]["aid_amount"]) == (True, 1200)
    assert (got["2026-11-04"]["aid_granted"], got["2026-11-04"]["aid_amount"]) == (True, None)
    assert "获得救助 1200 元" in ok("visit", "list").stdout
    res = ok("visit", "update", "2", "--aid", "1500", *NOW)
    assert "救助金额（元）：1200 → 1500" in res.stderr
    res = ok("visit", "update", "1", "--not-placed", *NOW)
    assert "就业安置：是 → 否" in res.stderr
    res = ok("visit", "update", "1", "--kind", "谈话", *NOW)  # no longer a 帮扶: its category and result go
    assert "类别：就业 → （空）" in res.stderr and "employment" not in res.stderr
    # the person's file tells it too
    assert "帮扶·救助，见到本人（获得救助 1500 元）" in ok("case", "show", case, *NOW).stdout
    refused(db, "visit", "add", case, "--kind", "谈话", "--placed", "--on", "2026-11-05", field="就业安置",
            words="只用于类别为就业的帮扶")
    refused(db, "visit", "add", case, "--kind", "帮扶", "--sub-kind", "心理", "--aid", "300", "--on", "2026-11-05",
            field="获得救助", words="只用于类别为救助或医疗的帮扶")
    refused(db, "visit", "add", case, "--kind", "帮扶", "--sub-kind", "救助", "--aid", "300.5", "--on", "2026-11-05",
            field="救助金额（元）", words="不带角、分")
    refused(db, "visit", "add", case, "--kind", "帮扶", "--sub-kind", "救助", "--aid", "很多", "--on", "2026-11-05",
            field="获得救助", words="应为 是 或 否")
    refused(db, "visit", "add", case, "--kind", "电话", "--referred-to", "某处", "--on", "2026-11-05",
            field="转介单位", words="只用于帮扶记录")


OFFICE_GROUPS = """groups = [
  { code = "drivers", name = "驾驶员", aliases = ["司机"] },
  { code = "couriers", name = "快递外卖人员", aliases = ["外卖", "快递员"] },
]
"""
OFFICE_KINDS = """kinds = [
  { name = "文艺演出", category = "宣传", aliases = ["禁毒文艺演出"] },
  { name = "入户调查", category = "入户调查" },
]
"""


def test_an_office_extends_a_pick_list_beside_its_database(db):
    ok("screen", "list")  # (the database made)
    refused(db, "screen", "add", "--group", "外卖", "--street", "盐务街", "--specimen", "尿液", "--tested", "3",
            field="筛查对象")
    (db.parent / "screen_groups.toml").write_text(OFFICE_GROUPS, encoding="utf-8")
    (db.parent / "activity_kinds.toml").write_text(OFFICE_KINDS, encoding="utf-8")
    ok("screen", "add", "--group", "外卖", "--street", "盐务街", "--specimen", "尿液", "--tested", "30",
       "--positives", "1", "--on", "2026-10-09", *NOW)
    ok("activity", "add", "--kind", "禁毒文艺演出", "--street", "盐务街", "--participants", "200", "--on", "2026-10-10",
       *NOW)
    assert listed("screen", "list")[0]["screened_group"] == "快递外卖人员"
    refused(db, "activity", "add", "--kind", "进校园", "--street", "盐务街", field="活动类别", words="文艺演出、入户调查")
    report = ok("report", "--period", "2026-10", "-f", "json", *NOW).json()
    assert report["total"]["screened_couriers"] == 30 and report["total"]["screen_positives_couriers"] == 1
    assert report["definitions"]["screened_couriers"] == {"label": "其中快递外卖人员", "definition": "其中筛查对象为快递外卖人员的"}
    assert "screened_entertainment" not in report["total"]  # (the office's list has no such group)
    assert report["total"]["publicity_events"] == 1 and report["total"]["publicity_participants"] == 200


@pytest.mark.parametrize("text,problem", [
    ('groups = [ { name = "驾驶员" } ]', "code 应是小写英文字母"),
    ('groups = [ { code = "Drivers!", name = "驾驶员" } ]', "code 应是小写英文字母"),
    ("groups = []", "选择表是空的"),
    ('groups = [ { code = "x", name = "" } ]', "没有 name"),
])
def test_a_pick_list_an_office_got_wrong_is_named_not_a_crash(db, text, problem):
    (db.parent / "screen_groups.toml").write_text(text, encoding="utf-8")
    res = run("screen", "add", "--group", "驾驶员", "--street", "盐务街", "--specimen", "尿液", "--tested", "3", *NOW)
    assert res.exit_code == 1 and problem in res.stderr and "screen_groups.toml" in res.stderr, res
