"""domain.find.parse_person and find_case: what a reference to one person means, and registers
where case numbers, ID tails, names and pinyin all collide."""

import tempfile
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from support import id_ending, make_id

from jindu_cli.domain import cases, find
from jindu_cli.domain.people import Case
from jindu_cli.domain.ids import mask_id
from jindu_cli.domain.text import clean_name, clean_text
from jindu_cli.errors import Conflict, InvalidInput, NotFound
from jindu_cli.storage.db import open_db

AS_OF = date(2026, 11, 28)


@pytest.mark.parametrize("ref, kind, value", [
    ("1007", "case", 1007), ("1", "case", 1), ("0012", "case", 12), ("9999999", "case", 9999999),
    ("#1007", "case", 1007), ("１００７", "case", 1007), (" 12 ", "case", 12), ("\u200b12", "case", 12),
    ("尾号1007", "tail", "1007"), ("尾号 1007", "tail", "1007"), ("尾号１００７", "tail", "1007"),
    ("尾号123x", "tail", "123X"), ("尾号：0012", "tail", "0012"),
    ("520103199001011118", "id", "520103199001011118"), ("52010319900101111x", "id", "52010319900101111X"),
    ("520103900101111", "id", "520103900101111"), ("520103 19900101 1118", "id", "520103199001011118"),
    ("张伟", "name", "张伟"), ("zhang wei", "name", "zhang wei"), ("zw", "name", "zw"),
])
def test_what_a_reference_means(ref, kind, value):
    assert find.parse_person(ref) == find.PersonRef(kind, value)


@pytest.mark.parametrize("ref, shown", [
    ("13812345678", "138****5678"), ("8613812345678", "861******5678"), ("085186123456", "085*****3456"),
    ("12345678", "****5678"), ("52010319900101", "520103****0101"), ("5201031990010111", "520103******0111"),
    ("52010319900101111", "520103*******1111"), ("12345678901234567890", "123456**********7890"),
    ("#12345678", "#****5678"), ("张伟13812345678", "张伟138****5678"), ("123X", "123X"), ("尾号12345", "*2345"),
    ("尾号", None), ("", None), ("52010390010111X", "520103*****111X"),
])
def test_any_other_digits_are_refused_masked_naming_the_forms(ref, shown):
    with pytest.raises(InvalidInput) as refused:
        find.parse_person(ref)
    message = refused.value.message
    assert message.startswith("人员：")
    if shown is not None:
        assert f"“{shown}”" in message
    digits = "".join(ch for ch in ref if ch.isdigit())
    assert len(digits) < 5 or digits not in message
    assert "尾号" in message


NAMES = {"张伟": ("zhangwei", "zw"), "章伟": ("zhangwei", "zw"), "张伟华": ("zhangweihua", "zwh"),
         "王芳": ("wangfang", "wf"), "汪芳": ("wangfang", "wf"), "李娜": ("lina", "ln")}
TAILS = ["1007", "2209", "0012", "123X", "0003"]
# case numbers that are also, as digits, the last four of someone's ID in the same register
COLLIDING = [1007, 2209, 12, 3, 1, 2]

people = st.lists(
    st.tuples(st.sampled_from(sorted(NAMES)), st.sampled_from(TAILS),
              st.one_of(st.sampled_from(COLLIDING), st.integers(1, 9_999_999))),
    min_size=1, max_size=6, unique_by=lambda person: person[2],
)


def register(conn, drawn) -> list[Case]:
    """Each drawn person under the drawn case number. A new case gets one more than the highest
    number in use, so a row stands at number - 1 while it is added (a pending case has no other
    rows pointing at it)."""
    made = []
    for i, (name, tail, number) in enumerate(sorted(drawn, key=lambda person: person[2])):
        highest = conn.execute("SELECT coalesce(max(id), 0) FROM cases").fetchone()[0]
        if number - 1 > highest:
            conn.execute("INSERT INTO cases (id, id_number, name, street, measure, term_months, status, created_at,"
                         " updated_at) VALUES (?, 'placeholder', '占位', '盐务街街道', 'community_treatment', 36,"
                         " 'pending', '', '')", [number - 1])
        street = ["盐务街街道", "头桥街道", "黔灵镇"][i % 3]
        case = cases.add_case(conn, {"id_number": id_ending(tail, date(1960, 1, 1) + timedelta(days=500 * i)),
                                     "name": name, "street": street, "measure": "社区戒毒"}, AS_OF, "tester")
        conn.execute("DELETE FROM cases WHERE id_number = 'placeholder'")
        assert case.id == number
        made.append(case)
    return made


def resolves(conn, ref: str, candidates: list[Case]) -> None:
    """`ref` finds the one candidate, or is refused listing every candidate, or none is found."""
    if len(candidates) == 1:
        assert find.find_case(conn, ref).id == candidates[0].id
    elif candidates:
        with pytest.raises(Conflict) as refused:
            find.find_case(conn, ref)
        for c in candidates:
            assert f"{c.id} {c.name} {mask_id(c.id_number)} {c.street}" in refused.value.message
    else:
        with pytest.raises(NotFound):
            find.find_case(conn, ref)


@settings(max_examples=30, deadline=None)
@given(drawn=people, probe=st.integers(1, 9_999_999))
def test_numbers_tails_names_and_pinyin_in_a_colliding_register(drawn, probe):
    with tempfile.TemporaryDirectory() as folder:
        conn = open_db(Path(folder) / "jindu.db")
        try:
            made = register(conn, drawn)
            by_number = {c.id: c for c in made}
            for ref in [str(probe), f"#{probe}"] + [tail for tail in TAILS if tail.isdigit()]:
                number = int(ref.lstrip("#"))  # a bare number is that case's number, or nobody
                resolves(conn, ref, [by_number[number]] if number in by_number else [])
            for case in made:
                assert find.find_case(conn, str(case.id)).id == case.id
                assert find.find_case(conn, case.id_number).id == case.id
                tail = case.id_number[-4:]
                resolves(conn, f"尾号{tail}", [c for c in made if c.id_number.endswith(tail)])
                resolves(conn, case.name, [c for c in made if case.name in c.name])
                pinyin, initials = NAMES[case.name]
                resolves(conn, pinyin, [c for c in made if pinyin in NAMES[c.name][0]
                                        or NAMES[c.name][1].startswith(pinyin)])
                resolves(conn, initials, [c for c in made if initials in NAMES[c.name][0]
                                          or NAMES[c.name][1].startswith(initials)])
        finally:
            conn.close()


def test_typed_and_imported_text_lose_the_same_invisible_characters():
    from jindu_cli.domain.importer import cell_text

    typed = "\u202e张\u200b伟\u2066\u00ad"
    assert clean_name(typed) == clean_name(cell_text(typed)) == "张伟"
    assert clean_text("\ufeff家属\u200d配合\u200f", "备注") == "家属配合"
    assert make_id().endswith(cell_text(f"\u200e{make_id()[-4:]}\u202c"))
