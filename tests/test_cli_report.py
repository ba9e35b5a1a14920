"""jindu report: every indicator against counts worked out by hand, every format, cron's needs."""

import csv
import io
import json
import os
import re
import shutil
import stat
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

import report_month_reference
from support import make_id, ok, run

NOW = ["--as-of", "2026-11-28"]
ID = {k: make_id(b, s) for k, b, s in [
    ("A", date(1980, 1, 1), 101), ("B", date(1981, 2, 2), 102), ("C", date(1982, 3, 3), 103),
    ("D", date(1983, 4, 4), 104), ("E", date(1984, 5, 5), 105), ("F", date(1985, 6, 6), 106),
    ("G", date(1986, 7, 7), 107), ("H", date(1987, 8, 8), 108)]}


def add(key, name, street, measure, *extra):
    ok("case", "add", "--id", ID[key], "--name", name, "--street", street, "--measure", measure, *extra, *NOW)


@pytest.fixture
def office(db):
    """Eight people whose October 2026 is worked out by hand in the tests below."""
    add("A", "甲", "盐务街", "社区戒毒", "--received-on", "2025-01-02", "--reported-on", "2025-01-10", "--risk", "高",
        "--worker", "李芳")
    for day, result in [("2026-09-01", "阴性"), ("2026-10-01", "阴性"), ("2026-10-31", "阳性"), ("2026-11-01", "阴性")]:
        ok("test", "add", ID["A"], "--specimen", "尿液", "--result", result, "--on", day, *NOW)
    for day, kind in [("2026-09-30", "谈话"), ("2026-10-01", "谈话"), ("2026-10-16", "入户走访"), ("2026-10-31", "电话联系"),
                      ("2026-11-01", "谈话")]:
        ok("visit", "add", ID["A"], "--kind", kind, "--on", day, *NOW)
    ok("case", "police-report", ID["A"], "--on", "2026-11-02", *NOW)
    add("B", "乙", "头桥", "社区康复", "--term-months", "24", "--received-on", "2025-06-03", "--reported-on", "2025-06-10",
        "--risk", "低", "--worker", "赵敏")
    ok("test", "add", ID["B"], "--specimen", "尿液", "--result", "阴性", "--on", "2026-08-05", *NOW)
    for day, result in [("2026-10-08", "拒检"), ("2026-10-09", "逃检"), ("2026-10-10", "拒检")]:
        ok("test", "add", ID["B"], "--specimen", "尿液", "--result", result, "--on", day, *NOW)
    ok("visit", "add", ID["B"], "--kind", "谈话", "--on", "2026-08-20", *NOW)
    ok("case", "police-report", ID["B"], "--on", "2026-10-12", *NOW)
    add("C", "丙", "盐务街", "社区戒毒", "--received-on", "2026-10-05")
    add("D", "丁", "盐务街", "社区戒毒", "--decided-on", "2026-09-28", "--received-on", "2026-10-01",
        "--reported-on", "2026-10-10")
    add("E", "戊", "头桥", "社区戒毒", "--received-on", "2023-09-01", "--reported-on", "2023-09-10")
    ok("case", "update", ID["E"], "--status", "期满解除", "--on", "2026-10-05", *NOW)
    add("F", "己", "盐务街", "社区戒毒", "--received-on", "2025-02-20", "--reported-on", "2025-03-01")
    ok("case", "update", ID["F"], "--status", "中止", "--on", "2026-10-15", "--reason", "拘留", *NOW)
    add("G", "庚", "头桥", "社区康复", "--term-months", "36", "--received-on", "2025-03-25", "--reported-on", "2025-04-01")
    ok("case", "update", ID["G"], "--status", "终止", "--on", "2026-10-20", "--reason", "强制隔离戒毒", *NOW)
    add("H", "辛", "盐务街", "社区康复", "--term-months", "12", "--decided-on", "2026-10-02", "--received-on", "2026-10-03",
        "--reported-on", "2026-11-02")
    return db


def report(*args):
    return ok("report", "-f", "json", *args).json()


# October 2026, counted by hand (see the fixture): statuses at 31 October
OCTOBER = {
    "registered": 8, "status_pending": 2, "status_active_treatment": 2, "status_active_rehab": 1,
    "status_suspended": 1, "status_terminated": 1, "status_released": 1, "status_deceased": 0, "status_clean": 0,
    "current_users": 8, "new_orders_treatment": 0, "new_orders_rehab": 1,
    "report_due": 3, "reported": 1, "report_overdue": 2, "report_rate": 0.3333,
    "executed": 5, "execution_base": 8, "execution_rate": 0.625,
    "tests": 2, "positives": 1, "refusals": 3, "unannounced_tests": 0, "tested_people": 1, "relapsed": 1,
    "relapse_rate": 1.0, "relapsed_after_release": 0, "status_awaiting_release": 0,
    "managed": 3, "met": 1, "meeting_rate": 0.3333, "visited": 1, "visit_rate": 0.3333,
    "test_due_people": 2, "tested_on_time": 1, "on_time_rate": 0.5,
    "lost_contact": 1, "control_rate": 0.6667,
    "serious_violations": 1, "police_due": 4, "police_reported": 1,
    "released_in_period": 1, "terminated_in_period": 1, "suspended_in_period": 1,
    "risk_high": 1, "risk_medium": 2, "risk_low": 1,
}


# nor did the office record any 宣传, 入户调查, screening or 帮扶 (tests/test_cli_month.py counts a district that did)
OCTOBER.update(dict.fromkeys(report_month_reference.KEYS, 0))


def test_every_indicator_matches_the_hand_count(office):
    data = report("--period", "2026-10", *NOW)
    assert data["total"] == OCTOBER
    assert set(data["definitions"]) == set(OCTOBER)
    assert all(d["label"] and d["definition"] for d in data["definitions"].values())
    by_street = {g["group"]: g["values"] for g in data["groups"]}
    assert list(by_street) == ["头桥街道", "盐务街街道"]
    assert by_street["盐务街街道"]["registered"] == 5 and by_street["头桥街道"]["registered"] == 3
    assert by_street["头桥街道"]["lost_contact"] == 1 and by_street["头桥街道"]["serious_violations"] == 1
    assert by_street["盐务街街道"]["report_due"] == 3 and by_street["头桥街道"]["report_rate"] is None


def test_default_period_is_the_last_complete_month(office):
    assert report(*NOW)["period"] == {"label": "2026年10月", "slug": "2026-10", "start": "2026-10-01", "end": "2026-10-31"}
    assert report("--as-of", "2026-11-01")["period"]["slug"] == "2026-10"
    assert report("--as-of", "2026-10-31")["period"]["slug"] == "2026-09"


def test_period_boundaries(office):
    # 1 and 31 October are inside October; 30 September and 1 November are not (B's three 拒检·逃检
    # in October are not tests: §9.12)
    assert report("--period", "2026-10", *NOW)["total"]["tests"] == 2
    assert report("--period", "2026-09", *NOW)["total"]["tests"] == 1
    assert report("--from", "2026-10-01", "--to", "2026-10-01", *NOW)["total"]["tests"] == 1
    assert report("--from", "2026-10-31", "--to", "2026-11-01", *NOW)["total"]["tests"] == 2
    months = report("--from", "2026-10", "--to", "2026-10", *NOW)  # whole months: the same as --period
    assert (months["period"]["start"], months["period"]["end"]) == ("2026-10-01", "2026-10-31")
    assert months["total"] == report("--period", "2026-10", *NOW)["total"]
    q4 = report("--period", "2026-Q4", *NOW)
    assert (q4["period"]["start"], q4["period"]["end"]) == ("2026-10-01", "2026-12-31")
    assert q4["total"]["tests"] == 3  # the quarter is not over: counted to 28 November
    year = report("--period", "2026", *NOW)
    assert (year["period"]["start"], year["period"]["end"], year["total"]["tests"]) == ("2026-01-01", "2026-12-31", 5)
    assert report("--period", "2025-Q4", *NOW)["total"]["registered"] == 5  # C, D, H not yet known


def test_as_of_in_the_past_counts_only_what_was_known(office):
    early = report("--period", "2026-10", "--as-of", "2026-10-20")
    assert early["total"]["tests"] == 1 and early["total"]["positives"] == 0 and early["total"]["refusals"] == 3
    assert early["total"]["status_suspended"] == 1 and early["total"]["status_terminated"] == 1
    assert report("--period", "2026-10", "--as-of", "2026-10-19")["total"]["status_terminated"] == 0


def test_breakdowns_by_community_and_worker(office):
    def workers(*args):
        return {g["group"]: g["values"]["registered"] for g in report("--by", "worker", *args, *NOW)["groups"]}

    # a 禁毒专干 is counted within a street: two streets' 李芳 are two people, counted apart
    assert workers() == {"盐务街街道 李芳": 1, "头桥街道 赵敏": 1, "盐务街街道 （未填专干）": 4, "头桥街道 （未填专干）": 2}
    ok("case", "update", ID["E"], "--worker", "李芳", *NOW)
    assert workers() == {"盐务街街道 李芳": 1, "头桥街道 李芳": 1, "头桥街道 赵敏": 1, "盐务街街道 （未填专干）": 4,
                         "头桥街道 （未填专干）": 1}
    assert workers("--street", "头桥") == {"李芳": 1, "赵敏": 1, "（未填专干）": 1}  # one street: no need to say it
    # two streets each have a 和平社区: counted apart, each named after its street
    ok("case", "update", ID["A"], "--community", "和平社区", *NOW)
    ok("case", "update", ID["C"], "--community", "和平社区", *NOW)
    ok("case", "update", ID["B"], "--community", "和平社区", *NOW)

    def communities(*args):
        return {g["group"]: g["values"]["registered"] for g in report("--by", "community", *args, *NOW)["groups"]}

    assert communities() == {"盐务街街道 和平社区": 2, "头桥街道 和平社区": 1, "盐务街街道 （未填社区）": 3,
                             "头桥街道 （未填社区）": 2}
    assert communities("--street", "头桥") == {"和平社区": 1, "（未填社区）": 2}  # one street: no need to say it
    assert report("--street", "头桥", *NOW)["total"]["registered"] == 3
    assert run("report", "--by", "district", *NOW).exit_code == 1


def test_report_settings_change_the_formulas(office, tmp_path):
    from jindu_cli.domain.reference import packaged_data_dir

    text = (packaged_data_dir() / "rules.toml").read_text(encoding="utf-8")
    path = tmp_path / "rules.toml"
    path.write_text(text.replace('execution_rate = "executed"', 'execution_rate = "reported"')
                    .replace("face_to_face_per_month = 1", "face_to_face_per_month = 3"), encoding="utf-8")
    data = report("--rules", path, *NOW)
    assert data["total"]["executed"] == 6  # every one reported by the end of October: A, B, D, E, F, G
    assert data["total"]["met"] == 0  # A was seen twice, not three times
    assert "不少于每月 3 次" in data["definitions"]["met"]["definition"]


def test_same_database_period_and_date_give_the_same_bytes_in_every_format(office, tmp_path):
    for fmt, ext in [("table", "txt"), ("csv", "csv"), ("json", "json"), ("md", "md"), ("html", "html"), ("xlsx", "xlsx")]:
        first, second = tmp_path / f"1.{ext}", tmp_path / f"2.{ext}"
        ok("report", "-f", fmt, "-o", first, *NOW)
        ok("report", "-f", fmt, "-o", second, *NOW)
        assert first.read_bytes() == second.read_bytes(), fmt
        assert stat.S_IMODE(first.stat().st_mode) == 0o600


def test_formats_parse_back(office, tmp_path):
    from openpyxl import load_workbook

    text = ok("report", "-f", "csv", *NOW).stdout
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["group"] for r in rows] == ["头桥街道", "盐务街街道", "合计"]
    assert int(rows[-1]["registered"]) == 8 and float(rows[-1]["execution_rate"]) == 0.625 and rows[0]["report_rate"] == ""
    md = ok("report", "-f", "md", *NOW).stdout
    # a rate over a small base shows it: 1 reported of the 3 due in 盐务街
    assert md.startswith("# 社区戒毒社区康复工作统计 2026年10月") and "| 报到率 | — | 33.3%（1/3） | 33.3%（1/3） |" in md
    assert "## 口径说明" in md and "填报人：" in md and "审核人：" in md and "填报日期：" in md
    table = ok("report", *NOW).stdout
    assert "按时检测率" in table and "50.0%（1/2）" in table and "口径说明" in table and "填报单位：" in table
    ok("report", "-f", "xlsx", "-o", tmp_path / "r.xlsx", *NOW)
    book = load_workbook(tmp_path / "r.xlsx")
    assert book.sheetnames == ["按街道", "按社区", "按专干", "口径说明"]
    sheet = book["按街道"]
    # laid out as the HTML table: the indicators down, the groups across, the total last
    grid = [[c.value for c in row] for row in sheet.iter_rows(min_row=4, max_row=4 + len(OCTOBER))]
    assert grid[0] == ["指标", "头桥街道", "盐务街街道", "合计"]
    by_label = {row[0]: row[1:] for row in grid[1:]}
    assert by_label["在册人数"] == [3, 5, 8]
    assert isinstance(by_label["在册人数"][2], int) and sheet["D5"].number_format == "General"  # a count
    rates = {row[0]: n for n, row in enumerate(grid[1:], start=5)}
    assert by_label["执行率"][2] == 0.625 and sheet[f"D{rates['执行率']}"].number_format == '0.0%"（5/8）"'
    assert by_label["报到率"][0] == "—"
    # 复吸率 over one tested person: still the number 1, shown with its base
    assert by_label["复吸率"][2] == 1 and sheet[f"D{rates['复吸率']}"].number_format == '0.0%"（1/1）"'
    assert [c.value for c in book["按专干"][4]] == ["指标", "头桥街道 赵敏", "头桥街道 （未填专干）", "盐务街街道 李芳",
                                                "盐务街街道 （未填专干）", "合计"]
    assert sheet["A1"].value == "社区戒毒社区康复工作统计 2026年10月" and sheet["A2"].value == "填报单位：＿＿＿＿＿＿"
    assert sheet["A3"].value.startswith("统计期 2026-10-01 至 2026-10-31")
    # printed, each page of a breakdown repeats the title, unit, period, groups and indicators, on A4 across
    assert (sheet.print_title_rows, sheet.print_title_cols) == ("$1:$4", "$A:$A")
    assert (sheet.page_setup.orientation, str(sheet.page_setup.paperSize)) == ("landscape", sheet.PAPERSIZE_A4)
    assert not sheet.sheet_properties.pageSetUpPr or not sheet.sheet_properties.pageSetUpPr.fitToPage  # full size
    assert sheet.freeze_panes == "B5" and sheet.oddFooter.center.text == "第 &P 页，共 &N 页"
    # under the table the lines to sign: in a line, or (a table this narrow) one under another
    signed = [c.value for row in sheet.iter_rows(min_row=5 + len(OCTOBER)) for c in row if c.value]
    assert [line[:line.index("：") + 1] for line in signed] == ["填报人：", "审核人：", "填报日期："]
    legend = book["口径说明"]
    # one page wide (fitToWidth left out means 1, as the standard says), as many pages long as it takes
    assert legend.sheet_properties.pageSetUpPr.fitToPage and (legend.page_setup.fitToWidth or 1) == 1
    assert legend.page_setup.fitToHeight == 0 and legend.print_title_rows == "$1:$4"
    # openpyxl stamps "now" on saving; the report fixes it to the period's end so the bytes repeat
    assert book.properties.modified.date() == date(2026, 10, 31) == book.properties.created.date()


def test_output_to_a_folder_names_the_file_after_the_period(office, tmp_path):
    folder = tmp_path / "reports"
    res = ok("report", "-f", "xlsx", "-o", f"{folder}/", *NOW)
    target = folder / "jindu-report-2026-10.xlsx"
    assert str(target) in res.stderr and target.exists()
    first = target.read_bytes()
    ok("report", "-f", "xlsx", "-o", f"{folder}/", *NOW)
    assert target.read_bytes() == first
    assert sorted(p.name for p in folder.iterdir()) == ["jindu-report-2026-10.xlsx"]  # no temporary left behind


def test_a_file_that_cannot_be_written_is_named_with_the_reason_in_chinese(office, tmp_path):
    """Not the temporary file beside it, and not the system's English."""
    for target, reason in [(tmp_path / "missing" / "r.csv", "文件或文件夹不存在"),
                           (tmp_path / "a-file" / "r.csv", "路径里有一段不是文件夹")]:
        (tmp_path / "a-file").write_text("x")
        res = run("report", "-f", "csv", "-o", target, *NOW)
        assert res.exit_code == 1 and res.stderr.strip() == f"错误：文件操作失败：{target}：{reason}", res.stderr
    assert not (tmp_path / "missing").exists() and not list(tmp_path.rglob("*.tmp"))


def test_xlsx_without_a_file_is_refused_before_anything_is_counted(office, monkeypatch):
    from jindu_cli.domain import reports

    def counted(*args, **kwargs):
        raise AssertionError("counted before the missing --output was reported")

    monkeypatch.setattr(reports, "build", counted)
    res = run("report", "-f", "xlsx", *NOW)
    assert res.exit_code == 1 and "--output" in res.stderr and res.stdout == ""


def test_catch_up_writes_every_missing_month(office, tmp_path):
    folder = tmp_path / "reports"
    folder.mkdir()
    ok("report", "--period", "2026-07", "-f", "csv", "-o", folder / "jindu-report-2026-07.csv", *NOW)
    ok("report", "--period", "2026-09", "-f", "csv", "-o", folder / "jindu-report-2026-09.csv", *NOW)
    res = ok("report", "--catch-up", folder, "-f", "csv", *NOW)
    assert sorted(p.name for p in folder.iterdir()) == [
        "jindu-report-2026-07.csv", "jindu-report-2026-08.csv", "jindu-report-2026-09.csv", "jindu-report-2026-10.csv"]
    assert "jindu-report-2026-08.csv" in res.stderr
    again = ok("report", "--catch-up", folder, "-f", "csv", *NOW)
    assert "齐全" in again.stderr
    empty = tmp_path / "empty"
    ok("report", "--catch-up", empty, *NOW)
    assert [p.name for p in empty.iterdir()] == ["jindu-report-2026-10.xlsx"]


def test_cron_gets_no_colour_no_prompt_and_messages_on_stderr(office, tmp_path):
    env = dict(os.environ)
    env.pop("NO_COLOR", None)
    proc = subprocess.run([sys.executable, "-m", "jindu_cli", "report", "-o", str(tmp_path / "r.md"), *NOW],
                          capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0 and proc.stdout == "" and "\x1b[" not in proc.stderr
    assert "已写入" in proc.stderr
    assert (tmp_path / "r.md").read_text(encoding="utf-8").startswith("# ")


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(chromium() is None, reason="Debian's chromium is not installed (.ci/run installs it)")
def test_html_report_renders_in_a_real_browser(office, tmp_path):
    page = tmp_path / "report.html"
    ok("report", "-f", "html", "-o", page, *NOW)
    text = page.read_text(encoding="utf-8")
    assert "http://" not in text.replace("http://www.w3.org/2000/svg", "") and "https://" not in text
    assert "<script" not in text and "@page" in text
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run([chromium(), *flags, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120)
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert dom.stdout.count("<svg") == 5 and dom.stdout.count("<rect") > 20
    assert "社区戒毒社区康复工作统计 2026年10月" in dom.stdout and 'data-key="registered">8<' in dom.stdout
    assert "62.5%" in dom.stdout
    shot = Path(os.environ.get("JINDU_SCREENSHOT_DIR", tmp_path)) / "report-screenshot.png"
    shot.parent.mkdir(parents=True, exist_ok=True)
    done = subprocess.run([chromium(), *flags, "--window-size=1400,2000", f"--screenshot={shot}", page.as_uri()],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and shot.stat().st_size > 20_000, done.stderr[-2000:]
    pdf = tmp_path / "report.pdf"
    printed = subprocess.run([chromium(), *flags, "--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.as_uri()],
                             capture_output=True, text=True, timeout=120)
    assert printed.returncode == 0 and pdf.read_bytes().startswith(b"%PDF")
    # printed, the cards and four of the five charts share the first page (two charts a row), the
    # fifth heads the second with the table following on, then the legend: seven pages of A4
    assert len(re.findall(rb"/Type\s*/Page(?![a-z])", pdf.read_bytes())) <= 7


def test_a_report_during_an_import_counts_before_or_after_never_half(office, tmp_path):
    """The report and the import run in separate processes, many times over."""
    log = tmp_path / "log.csv"
    with open(log, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["身份证号", "姓名", "检测日期", "检测方式", "检测结果"])
        for n in range(30_000):
            key = "AB"[n % 2]
            day = date(2026, 10, 1 + n % 31)
            writer.writerow([ID[key], "甲乙"[n % 2], day.isoformat(), ["尿检", "毛发", "血液", "唾液"][n // 62 % 4],
                             ["阴性", "阳性", "无效"][n // 248 % 3]])
    before = report("--period", "2026-10", *NOW)["total"]
    copy = tmp_path / "copy.db"
    shutil.copy(office, copy)
    ok("import", "tests", log, "--db", copy, *NOW)
    after = report("--period", "2026-10", "--db", copy, *NOW)["total"]
    assert after["tests"] > before["tests"]
    importer = subprocess.Popen([sys.executable, "-m", "jindu_cli", "import", "tests", str(log), *NOW],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seen, during = set(), 0
    while importer.poll() is None or not seen:
        during += importer.poll() is None
        proc = subprocess.run([sys.executable, "-m", "jindu_cli", "report", "--period", "2026-10", "-f", "json", *NOW],
                              capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
        total = json.loads(proc.stdout)["total"]
        assert total in (before, after)
        seen.add("before" if total == before else "after")
    assert importer.wait() == 0
    assert during >= 1, "no report ran while the import was writing"
    assert report("--period", "2026-10", *NOW)["total"] == after
