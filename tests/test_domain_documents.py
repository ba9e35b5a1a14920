"""The documents' fields and their filling: every field a document declares is given a value,
unusual text goes through Word's XML unchanged, and each document renders in LibreOffice."""

import re
import shutil
import sqlite3
import subprocess
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from docx_reading import pairs, read, text_of
from support import add_case, make_id, ok

AS_OF = date(2026, 11, 28)


def open_case(db, case_id):
    from jindu_cli.domain.people import get_case
    from jindu_cli.domain.rules import load_rules
    from jindu_cli.storage.db import open_db

    conn = open_db(db)
    return conn, get_case(conn, case_id), load_rules(conn)


def every_value(value, where=""):
    """Each value of a context, with where it is (a list's rows walked)."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from every_value(v, f"{where}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from every_value(v, f"{where}[{i}]")
    else:
        yield where, value


def test_every_declared_field_is_given_and_none_is_empty(db):
    from jindu_cli.domain.documents import ledger, making
    from jindu_cli.domain.documents.catalog import DOCUMENTS

    case = add_case(reported_on="2023-11-20", received_on="2023-11-10", worker="李芳", phone="13800005678")
    ok("test", "add", case, "--specimen", "尿液", "--result", "阳性", "--on", "2026-11-02", "--as-of", "2026-11-28")
    ok("visit", "add", case, "--kind", "谈话", "--on", "2026-11-03", "--as-of", "2026-11-28")
    ok("activity", "add", "--kind", "进校园", "--street", "盐务街", "--worker", "李芳", "--on", "2026-11-04",
       "--as-of", "2026-11-28")
    conn, found, rules = open_case(db, case)
    contexts = {name: build(conn, found, rules, AS_OF) for name, build in making.BUILDERS.items()}
    contexts["worker-ledger"] = ledger.worker_ledger(conn, rules, "李芳", "2026-11", AS_OF)[0]
    assert set(contexts) == set(DOCUMENTS)
    for name, context in contexts.items():
        for f in DOCUMENTS[name].fields:
            assert f.name in context, (name, f.name)
            if f.rows:
                assert context[f.name], (name, f.name)  # (each list has rows for this person)
                for row in context[f.name]:
                    assert set(row) == {r.name for r in f.rows}, (name, f.name)
        declared = {f.name for f in DOCUMENTS[name].fields}
        assert {k for k in context if not k.startswith("_")} == declared, name
        for where, value in every_value({k: v for k, v in context.items() if not k.startswith("_")}):
            assert isinstance(value, str) and value is not None, (name, where, value)
            assert value or where.endswith((".name", ".case_id", ".previous", ".reason", ".record", ".on", ".type")), \
                (name, where)
    conn.close()


SPECIAL = ["\"", "'", "<", ">", "&", "&amp;", "]]>", "{{ name }}", "{% if x %}", "{_{", "}_}", "{_%", "\n",
           "\r\n", "\r", "\t", "\x01", "\x0b", "\x1f", "\ufffe", "𠀀", "𪚥", "𰻞", "龘", "〇", "　", "<w:t>", "\u202e",
           "_", "😀"]
pieces = st.one_of(st.sampled_from(SPECIAL), st.text(st.characters(blacklist_categories=("Cs",)), max_size=12))
texts = st.one_of(
    st.lists(pieces, min_size=1, max_size=30).map("".join),
    st.builds(lambda s, n: s * n, st.sampled_from(["贵阳市云岩区", "A&B<", "𪚥\n"]), st.integers(50, 300)),
)


def in_xml(text: str) -> str:
    """What a document can hold of `text`: the characters XML 1.0 allows, line ends as \\n."""
    kept = "".join(c for c in text if c in "\t\n\r" or 0x20 <= ord(c) <= 0xD7FF or 0xE000 <= ord(c) <= 0xFFFD
                   or ord(c) >= 0x10000)
    return kept.replace("\r\n", "\n").replace("\r", "\n")


def shown(text: str) -> str:
    """`in_xml`, and a field recorded empty shown as such."""
    return "（未登记）" if text == "" else in_xml(text)


@pytest.fixture
def one(db):
    return add_case(id=make_id(seq=77), name="占位")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=texts.filter(bool), address=texts, notes=texts)
def test_unusual_names_and_addresses_come_back_unchanged(db, one, name, address, notes):
    from jindu_cli.domain.documents import making

    raw = sqlite3.connect(db)
    with raw:
        raw.execute("UPDATE cases SET name = ?, household_address = ?, notes = ? WHERE id = ?",
                    [name, address, notes, one])
    raw.close()
    conn, case, rules = open_case(db, one)
    try:
        card = making.make_one(conn, rules, "register-card", case, AS_OF).files[0][1]
        agreement = making.make_one(conn, rules, "agreement", case, AS_OF).files[0][1]
    finally:
        conn.close()
    target = db.parent / "card.docx"
    target.write_bytes(card)
    values = pairs(read(target)[1][0])
    assert values["姓名"] == in_xml(name)
    assert values["户籍地"] == shown(address) and values["备注"] == shown(notes)
    target.write_bytes(agreement)
    paragraphs, _ = read(target)
    assert f"乙方（社区戒毒人员）：{in_xml(name)}" in paragraphs
    assert f"户籍地：{shown(address)}" in paragraphs


def test_a_file_name_is_safe_whatever_the_name():
    from jindu_cli.domain.documents.making import NAME_CHARACTERS, safe_name

    for name in ["../../etc/passwd", "a/b\\c:d*e?f\"g<h>i|j", "张\n伟", "  ", "\x00\x01", "𪚥" * 200, "..", "CON"]:
        made = safe_name(name)
        assert made and "/" not in made and "\\" not in made and "\n" not in made and made not in (".", "..")
        assert len(made) <= NAME_CHARACTERS


@pytest.mark.skipif(not all(shutil.which(t) for t in ("soffice", "pdftotext", "pdfinfo")),
                    reason="LibreOffice (soffice) or poppler (pdftotext, pdfinfo) is not installed")
def test_each_document_renders_in_libreoffice(db, tmp_path, monkeypatch):
    case = add_case(name="渲染测试", reported_on="2023-11-20", received_on="2023-11-10", worker="李芳",
                    phone="13800005678", household_address="贵州省贵阳市云岩区中华北路 1 号", id=make_id(seq=88))
    ok("test", "add", case, "--specimen", "尿液", "--result", "阳性", "--on", "2026-11-02", "--as-of", "2026-11-28")
    ok("visit", "add", case, "--kind", "谈话", "--on", "2026-11-03", "--as-of", "2026-11-28")
    monkeypatch.chdir(tmp_path)
    for name in ("agreement", "register-card", "police-letter", "release-request", "person-file"):
        ok("doc", name, case, "--as-of", "2026-11-28")
    ok("doc", "worker-ledger", "--worker", "李芳", "--period", "2026-11", "--as-of", "2026-11-28")
    made = sorted(tmp_path.glob("*.docx"))
    assert len(made) == 6
    profile = (tmp_path / "lo-profile").as_uri()
    subprocess.run(["soffice", f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf",
                    "--outdir", str(tmp_path / "pdf"), *map(str, made)], check=True, capture_output=True,
                   timeout=300)
    for docx in made:
        pdf = tmp_path / "pdf" / f"{docx.stem}.pdf"
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
        size = next(line for line in info.splitlines() if line.startswith("Page size"))
        width, height = (float(n) for n in re.findall(r"[\d.]+", size)[:2])
        across = docx.name.startswith("工作台账")  # (the ledger's wide table goes across the page)
        a4 = (841.9, 595.3) if across else (595.3, 841.9)  # 297 x 210 mm in points
        assert abs(width - a4[0]) < 1 and abs(height - a4[1]) < 1, (docx.name, size)
        text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                              check=True).stdout
        assert "渲染测试" in text, docx.name
        assert "{{" not in text and "None" not in text, docx.name
        if not across:
            assert make_id(seq=88) in text.replace(" ", ""), docx.name
    assert "2026年11月28日" in text_of(tmp_path / made[0].name)
