import re
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jindu_cli.domain.ids import birth_date, mask_id, mask_phone, parse_id_number, region_warning, sex
from jindu_cli.errors import InvalidInput
from support import make_id

# the province-level codes of GB/T 2260, typed here from the standard (not read from jindu's table)
PROVINCES = ("11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65 "
             "71 81 82").split()


@pytest.mark.parametrize("number", ["360426199101010071", "120103198806018241", "110101202311012176"])
def test_published_vectors_are_valid(number):
    assert parse_id_number(number) == number


def test_published_invalid_vector_names_the_check_character():
    with pytest.raises(InvalidInput) as err:
        parse_id_number("360426199101010072")
    assert "校验位" in err.value.reason and "应为 1" in err.value.reason


def test_lower_case_x_spaces_and_full_width_are_normalised():
    number = make_id(date(2001, 9, 4), seq=318)
    assert number.endswith("X")
    assert parse_id_number("  " + number.lower() + " ") == number
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in number)
    assert parse_id_number(full_width) == number


def test_fifteen_digit_number_is_upgraded():
    old = "520103900101123"  # 6 address + YYMMDD + 3 sequence
    assert parse_id_number(old) == make_id(date(1990, 1, 1), seq=123)


@pytest.mark.parametrize("raw,words", [
    ("52010319900101123", "实际是 17 位"),
    ("5201031990010112345", "实际是 19 位"),
    ("520103199002301234", "不存在"),
    ("520103990230123", "不存在"),
    ("520103199001011X34", "前 17 位必须是数字"),
    ("5.20103E+17", "科学计数法"),
    ("", "不能为空"),
])
def test_bad_numbers_are_refused_with_their_reason(raw, words):
    with pytest.raises(InvalidInput) as err:
        parse_id_number(raw)
    assert err.value.field == "身份证号"
    assert words in err.value.reason


def test_error_never_shows_the_full_number():
    bad = make_id()[:-1] + ("0" if make_id()[-1] != "0" else "1")
    with pytest.raises(InvalidInput) as err:
        parse_id_number(bad)
    assert bad not in str(err.value)
    assert mask_id(bad) in str(err.value)


@pytest.mark.parametrize("raw", ["520103199002301234", "520103990230123", "520103189001011234"])
def test_an_impossible_birth_date_is_said_without_showing_it(raw):
    """The masked number hides the birth date: the reason does not give it back."""
    with pytest.raises(InvalidInput) as err:
        parse_id_number(raw)
    assert "出生日期" in err.value.reason and raw[6:14] not in str(err.value) and "900230" not in str(err.value)


def test_sex_and_birth_date_come_from_the_number():
    number = make_id(date(1985, 6, 30), seq=124)
    assert sex(number) == "女"
    assert sex(make_id(seq=125)) == "男"
    assert birth_date(number) == date(1985, 6, 30)


def test_masks():
    assert mask_id("520103199001011234") == "520103********1234"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("0851-86812345") == "085******2345"


births = st.dates(min_value=date(1900, 1, 1), max_value=date(2026, 12, 31))
areas = st.builds(str.__add__, st.sampled_from(PROVINCES), st.from_regex(r"[0-9]{4}", fullmatch=True))


@settings(max_examples=300)
@given(born=births, seq=st.integers(0, 999), area=areas)
def test_any_valid_number_passes(born, seq, area):
    number = make_id(born, seq, area)
    assert parse_id_number(number) == number
    assert parse_id_number(number.lower()) == number


@settings(max_examples=300)
@given(born=births, seq=st.integers(0, 999), area=areas, pos=st.integers(0, 17), data=st.data())
def test_any_single_changed_character_fails(born, seq, area, pos, data):
    number = make_id(born, seq, area)
    alphabet = "0123456789X" if pos == 17 else "0123456789"
    new = data.draw(st.sampled_from([c for c in alphabet if c != number[pos]]))
    changed = number[:pos] + new + number[pos + 1:]
    with pytest.raises(InvalidInput):
        parse_id_number(changed)


@pytest.mark.parametrize("first_two", [f"{n:02d}" for n in range(100)])
def test_the_first_two_digits_must_be_a_province(first_two):
    number = make_id(area=first_two + "0101")
    if first_two in PROVINCES:
        assert parse_id_number(number) == number
        return
    with pytest.raises(InvalidInput) as err:
        parse_id_number(number)
    assert f"前两位 {first_two} 不是省级行政区划代码" in err.value.reason and number not in str(err.value)
    with pytest.raises(InvalidInput):  # an old 15-digit number too
        parse_id_number(first_two + "0101" + "900101123")


@pytest.mark.parametrize("area,words", [
    ("520103", None),  # 云岩区, in use
    ("522401", None),  # the county-level 毕节市, abolished: still the code on its people's cards
    ("520100", None),  # 贵阳市 itself
    ("810000", None), ("820000", None), ("710000", None),
    ("520199", "不是贵州省已知的县级行政区划代码"),
    ("110199", "不是北京市已知的县级行政区划代码"),
])
def test_an_unknown_county_in_a_known_province_is_a_warning_only(area, words):
    number = make_id(area=area)
    assert parse_id_number(number) == number
    warning = region_warning(number)
    if words is None:
        assert warning is None
    else:
        assert words in warning and area in warning and number not in warning and mask_id(number) in warning


def test_the_region_table_is_whole_and_dated():
    from jindu_cli.domain.reference import packaged_data_dir

    text = (packaged_data_dir() / "regions.csv").read_text(encoding="utf-8")
    head = [line for line in text.splitlines() if line.startswith("#")]
    assert any(re.search(r"\d{4}-\d{2}-\d{2}", line) for line in head)  # the source's date
    body = [line.split(",") for line in text.splitlines() if line and not line.startswith("#")]
    assert body[0] == ["code", "name", "status"]
    codes = [row[0] for row in body[1:]]
    assert all(len(row) == 3 and re.fullmatch(r"\d{6}", row[0]) and row[1] and row[2] in ("现行", "曾用")
               for row in body[1:])
    assert codes == sorted(set(codes))
    assert sorted({c[:2] for c in codes if c.endswith("0000")}) == sorted(PROVINCES)
    assert {c[:2] for c in codes} == set(PROVINCES)
