"""The report's sections on the rest of the month against counts made by hand from the records this
test makes: a small district of two streets with its 宣传, 入户调查, screening sessions and their
referrals, and its people's 帮扶, in October 2026 and around it; by street, community and worker;
the HTML's charts by month; the worker's ledger."""

from collections import Counter, defaultdict

import pytest

from docx_reading import read
from support import add_case, make_id, ok

NOW = ["--as-of", "2026-11-28"]
START, END = "2026-10-01", "2026-10-31"
CODES = {"娱乐场所从业人员": "entertainment", "驾驶员": "drivers", "其他重点人员": "other"}
HELP = {"就业": "employment", "救助": "relief", "医疗": "medical", "心理": "psychological", "法律": "legal",
        "其他": "other"}

PEOPLE = {  # name: (street, community, worker)
    "甲": ("盐务街街道", "和平社区", "李芳"),
    "乙": ("盐务街街道", None, "王磊"),
    "丙": ("头桥街道", "新华社区", "赵敏"),
}
ACTIVITIES = [  # each a day of 宣传 or 入户调查, as `activity add` is given it
    dict(kind="进校园", on="2026-10-08", street="盐务街街道", community="和平社区", worker="李芳", participants=320,
         materials=400),
    dict(kind="广场宣传", on="2026-10-26", street="盐务街街道", worker="王磊", participants=150, materials=600),
    dict(kind="宣传栏", on="2026-10-15", street="头桥街道", community="新华社区", materials=50),
    dict(kind="入户调查", on="2026-10-20", street="盐务街街道", community="和平社区", worker="李芳", households=40,
         clues=2, clues_referred=1, materials=40),
    dict(kind="毒情摸排", on="2026-10-31", street="头桥街道", worker="赵敏", households=25, clues=1, clues_referred=1),
    dict(kind="进企业", on="2026-09-30", street="盐务街街道", worker="李芳", participants=80, materials=80),
    dict(kind="入户调查", on="2026-11-01", street="头桥街道", households=30, clues=3),
]
SCREENINGS = [  # each a session, with the days its positives were handed to the police
    dict(group="驾驶员", on="2026-10-06", street="盐务街街道", community="和平社区", worker="李芳", tested=120,
         positives=2, referred=["2026-10-06", "2026-11-02"]),
    dict(group="娱乐场所从业人员", on="2026-10-18", street="头桥街道", tested=45, positives=1, referred=["2026-10-19"]),
    dict(group="驾驶员", on="2026-10-30", street="头桥街道", worker="赵敏", tested=60, positives=0, referred=[]),
    dict(group="其他重点人员", on="2026-09-12", street="盐务街街道", tested=20, positives=1, referred=["2026-09-13"]),
]
HELPS = [  # each a 帮扶 visit of a person, with what it achieved
    dict(who="甲", on="2026-10-05", sub="就业", placed=True),
    dict(who="甲", on="2026-10-20", sub="就业", placed=True, referred_to="区人社局"),
    dict(who="乙", on="2026-10-08", sub="救助", aid="800"),
    dict(who="乙", on="2026-10-09", sub="医疗", aid="是"),
    dict(who="丙", on="2026-10-11", sub="法律", referred_to="区法律援助中心"),
    dict(who="丙", on="2026-10-12"),
    dict(who="丙", on="2026-10-25", sub="救助", aid="1500"),
    dict(who="丙", on="2026-09-30", sub="救助", aid="600"),
    dict(who="甲", on="2026-11-02", sub="心理"),
]


@pytest.fixture(scope="module")
def district(tmp_path_factory):
    folder = tmp_path_factory.mktemp("month")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("JINDU_DB", str(folder / "jindu.db"))
        env.setenv("XDG_DATA_HOME", str(folder / "xdg"))
        cases = {}
        for n, (name, (street, community, worker)) in enumerate(PEOPLE.items()):
            cases[name] = add_case(id=make_id(seq=600 + n), name=name, street=street, community=community,
                                   worker=worker, received_on="2025-12-02", reported_on="2025-12-10")
        for a in ACTIVITIES:
            args = [f"--{k.replace('_', '-')}" if i % 2 == 0 else str(v) for k, v in a.items() for i in (0, 1)]
            ok("activity", "add", *args, *NOW)
        for number, s in enumerate(SCREENINGS, start=1):
            args = ["--group", s["group"], "--on", s["on"], "--street", s["street"], "--tested", str(s["tested"]),
                    "--positives", str(s["positives"]), "--specimen", "毛发"]
            args += [x for k in ("community", "worker") if k in s for x in (f"--{k}", s[k])]
            ok("screen", "add", *args, *NOW)
            for seq, day in enumerate(s["referred"]):
                ok("screen", "refer", str(number), "--id", make_id(seq=700 + 10 * number + seq), "--name", "某",
                   "--on", day, *NOW)
        for h in HELPS:
            args = [cases[h["who"]], "--kind", "帮扶", "--on", h["on"]]
            args += ["--sub-kind", h["sub"]] if "sub" in h else []
            args += ["--placed"] if h.get("placed") else []
            args += ["--aid", h["aid"]] if "aid" in h else []
            args += ["--referred-to", h["referred_to"]] if "referred_to" in h else []
            ok("visit", "add", *args, *NOW)
        yield folder / "jindu.db"


def groups(street: str, community: str | None, worker: str | None) -> dict[str, str]:
    return {"street": street, "community": f"{street} {community or '（未填社区）'}",
            "worker": f"{street} {worker or '（未填专干）'}"}


def hand_count(by: str) -> dict[str, Counter]:
    """October 2026 of the district, counted from the lists above."""
    counted: dict[str, Counter] = defaultdict(Counter)
    for a in ACTIVITIES:
        if not START <= a["on"] <= END:
            continue
        c = counted[groups(a["street"], a.get("community"), a.get("worker"))[by]]
        if "households" not in a:
            c["publicity_events"] += 1
            c["publicity_participants"] += a.get("participants", 0)
        c["publicity_materials"] += a.get("materials", 0)
        c["survey_households"] += a.get("households", 0)
        c["survey_clues"] += a.get("clues", 0)
        c["survey_clues_referred"] += a.get("clues_referred", 0)
    for s in SCREENINGS:
        if not START <= s["on"] <= END:
            continue
        c = counted[groups(s["street"], s.get("community"), s.get("worker"))[by]]
        handed = sum(day <= END for day in s["referred"])
        code = CODES[s["group"]]
        for key, n in (("screened", s["tested"]), ("screen_positives", s["positives"]), ("screen_referred", handed)):
            c[key] += n
            c[f"{key}_{code}"] += n
    placed = set()
    for h in HELPS:
        if not START <= h["on"] <= END:
            continue
        c = counted[groups(*PEOPLE[h["who"]])[by]]
        c["help_visits"] += 1
        if "sub" in h:
            c[f"help_{HELP[h['sub']]}"] += 1
        if h.get("placed") and h["who"] not in placed:
            placed.add(h["who"])
            c["employed"] += 1
        if "aid" in h:
            c["aid_times"] += 1
            c["aid_amount"] += int(h["aid"]) if h["aid"].isdigit() else 0
        c["help_referrals"] += "referred_to" in h
    return counted


@pytest.mark.parametrize("by", ["street", "community", "worker"])
def test_the_months_other_work_agrees_with_the_hand_count(district, by, monkeypatch):
    monkeypatch.setenv("JINDU_DB", str(district))
    report = ok("report", "--period", "2026-10", "--by", by, "-f", "json", *NOW).json()
    expected = hand_count(by)
    keys = {k for c in expected.values() for k in c} | {"screened_entertainment", "help_other", "help_psychological"}
    got = {g["group"]: {k: g["values"][k] for k in keys} for g in report["groups"]}
    for group, counted in expected.items():
        assert got[group] == {k: counted.get(k, 0) for k in keys}, group
    total = sum(expected.values(), Counter())
    assert {k: report["total"][k] for k in keys} == {k: total.get(k, 0) for k in keys}
    # the figures by hand, once, so that a slip in the lists above shows too
    assert (total["publicity_events"], total["publicity_participants"], total["publicity_materials"]) == (3, 470, 1090)
    assert (total["screened"], total["screen_positives"], total["screen_referred"], total["screened_drivers"]) == \
        (225, 3, 2, 180)
    assert (total["help_visits"], total["employed"], total["aid_times"], total["aid_amount"]) == (7, 1, 3, 2300)
    for key in ("publicity_events", "screened_drivers", "help_employment", "aid_amount"):
        assert report["definitions"][key]["definition"]


def test_one_streets_report_counts_only_its_own(district, monkeypatch):
    monkeypatch.setenv("JINDU_DB", str(district))
    report = ok("report", "--period", "2026-10", "--street", "头桥", "--by", "community", "-f", "json", *NOW).json()
    expected = hand_count("street")["头桥街道"]
    assert {k: report["total"][k] for k in expected} == dict(expected)
    assert {g["group"] for g in report["groups"]} >= {"新华社区", "（未填社区）"}


def test_the_html_charts_show_publicity_and_screening_by_month(district, monkeypatch, tmp_path):
    monkeypatch.setenv("JINDU_DB", str(district))
    ok("report", "--period", "2026-10", "-o", tmp_path / "r.html", *NOW)
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "近 12 个月禁毒宣传活动场次" in page and "近 12 个月重点群体筛查人数与阳性" in page
    by_month = Counter()
    for a in ACTIVITIES:
        by_month[a["on"][:7], "宣传活动场次"] += "households" not in a
    for s in SCREENINGS:
        by_month[s["on"][:7], "筛查人数"] += s["tested"]
        by_month[s["on"][:7], "筛查阳性"] += s["positives"]
    for month in ("2026-09", "2026-10"):
        for label in ("宣传活动场次", "筛查人数", "筛查阳性"):
            assert f"<title>{month} {label} {by_month[month, label]}</title>" in page, (month, label)
    assert "<title>2026-08 筛查人数 0</title>" in page


def test_the_workers_ledger_holds_her_publicity_surveys_and_screenings(district, monkeypatch, tmp_path):
    monkeypatch.setenv("JINDU_DB", str(district))
    target = tmp_path / "l.docx"
    ok("doc", "worker-ledger", "--worker", "李芳", "--period", "2026-10", "-o", target, *NOW)
    _, (entries, work, totals) = read(target)
    mine = [a for a in ACTIVITIES if a.get("worker") == "李芳" and START <= a["on"] <= END]
    screened = [s for s in SCREENINGS if s.get("worker") == "李芳" and START <= s["on"] <= END]
    assert [r[1] for r in work[1:]] == ["筛查", "宣传", "入户调查"]  # by date: 10-06, 10-08, 10-20
    assert work[1][2] == "驾驶员毛发筛查：120 人，阳性 2 人，移交公安 1 人"
    assert work[2][2].startswith("进校园：") and "320 人" in work[2][2] and "资料 400 份" in work[2][2]
    counted = dict(totals[1:])
    assert counted["宣传活动（场）"] == str(sum("households" not in a for a in mine))
    assert counted["入户调查（户）"] == str(sum(a.get("households", 0) for a in mine))
    assert counted["筛查（人）"] == str(sum(s["tested"] for s in screened))
    assert counted["就业安置（人）"] == "1"  # 甲, 李芳's, placed twice in October
    assert any("帮扶·就业，见到本人（已安置就业；转介：区人社局）" in r[4] for r in entries)
