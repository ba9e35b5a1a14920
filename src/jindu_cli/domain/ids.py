"""居民身份证号码 (GB 11643-1999): parsing, validation, the 15 -> 18 upgrade, and masking.

The first six digits are the code (GB/T 2260) of the county where the number was first issued,
kept for life: a code abolished since is still a valid one. data/regions.csv lists every code in
use or once used. A number whose first two digits are no province's is refused; one whose six are
no county's known in that province is accepted with a warning (region_warning), since the table
may lag behind a county set up since.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from datetime import date

from jindu_cli.errors import InvalidInput

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
FIELD = "身份证号"
_SCI = re.compile(r"^[0-9](\.[0-9]+)?[eE]\+?[0-9]+$")


def check_char(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, WEIGHTS))
    return CHECK_CHARS[total % 11]


def _birth(digits8: str, shown: str) -> date:
    try:
        born = date(int(digits8[:4]), int(digits8[4:6]), int(digits8[6:8]))
    except ValueError:
        # (the digits are not repeated: they are the birth date, which the masked number hides)
        raise InvalidInput(FIELD, f"第 7 到 14 位的出生日期不存在（{shown}）") from None
    if born.year < 1900:
        raise InvalidInput(FIELD, f"第 7 到 14 位的出生日期早于 1900 年（{shown}）")
    return born


def normalize_text(raw: str) -> str:
    """Full-width digits and letters to half-width, spaces trimmed (what Excel and IMEs leave)."""
    return unicodedata.normalize("NFKC", raw).strip()


def parse_id_number(raw: str) -> str:
    """Return the canonical 18-character number, or raise InvalidInput with the reason.

    `x` is read as `X`, surrounding spaces are trimmed, full-width characters are made
    half-width and a 15-digit number is upgraded to 18 characters.
    """
    if raw is None:
        raise InvalidInput(FIELD, "不能为空")
    text = normalize_text(str(raw)).replace(" ", "").upper()
    if not text:
        raise InvalidInput(FIELD, "不能为空")
    if _SCI.match(text):
        raise InvalidInput(
            FIELD,
            f"{text} 是电子表格把长数字改成的科学计数法，后面的数字已经丢失；"
            "请在原表中把该列设为“文本”后重新填写完整号码",
        )
    if text.endswith(".0") and text[:-2].isdigit():
        text = text[:-2]
    shown = mask_id(text)
    if len(text) == 15:
        if not text.isdigit():
            raise InvalidInput(FIELD, f"15 位旧号码只能由数字组成（{shown}）")
        _birth("19" + text[6:12], shown)
        _check_province(text, shown)
        first17 = text[:6] + "19" + text[6:]
        return first17 + check_char(first17)
    if len(text) != 18:
        raise InvalidInput(FIELD, f"长度应为 18 位（或旧的 15 位），实际是 {len(text)} 位")
    if not text[:17].isdigit() or not (text[17].isdigit() or text[17] == "X"):
        raise InvalidInput(FIELD, f"前 17 位必须是数字，最后一位是数字或 X（{shown}）")
    _birth(text[6:14], shown)
    expected = check_char(text[:17])
    if text[17] != expected:
        raise InvalidInput(FIELD, f"校验位错误：按前 17 位算应为 {expected}，实际是 {text[17]}（{shown}）")
    _check_province(text, shown)
    return text


def _check_province(number: str, shown: str) -> None:
    if number[:2] not in regions().provinces:
        raise InvalidInput(FIELD, f"前两位 {number[:2]} 不是省级行政区划代码（GB/T 2260），号码有误（{shown}）")


@functools.cache
def regions() -> "Regions":
    """The codes of data/regions.csv (read once a process: about 7,000 lines)."""
    from jindu_cli.domain.reference import packaged_data_dir

    # (plain code,name,status lines, no field quoted: split by hand, quicker than the csv module)
    text = (packaged_data_dir() / "regions.csv").read_text(encoding="utf-8")
    names = dict(line.split(",", 2)[:2] for line in text.splitlines() if line[:1].isdigit())
    return Regions(names, {code[:2]: name for code, name in names.items() if code.endswith("0000")})


class Regions:
    def __init__(self, names: dict[str, str], provinces: dict[str, str]):
        self.names = names  # code -> name, every code in use or once used
        self.provinces = provinces  # the first two digits -> the province's name


def region_warning(id_number: str) -> str | None:
    """What to tell the clerk about a valid number (parse_id_number's) whose first six digits are
    no county code known in its province; None when they are one. Not a refusal: a county set up
    after the table was made is real, and the number is still the one on the card."""
    table = regions()
    code = id_number[:6]
    if code in table.names or id_number[:2] not in table.provinces:
        return None
    return (f"身份证号 {mask_id(id_number)} 的前六位 {code} 不是{table.provinces[id_number[:2]]}已知的县级行政区划代码"
            "（现行的和曾用的都查过），请核对号码")


def birth_date(id_number: str) -> date:
    return date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))


def sex(id_number: str) -> str:
    """男 for an odd sequence number, 女 for an even one (the 17th character)."""
    return "男" if int(id_number[16]) % 2 else "女"


def mask_id(id_number: str | None) -> str | None:
    """`520103********1234`: the address code and the last four stay, the birth date hides."""
    if not id_number:
        return id_number
    if len(id_number) <= 10:
        return "*" * max(0, len(id_number) - 4) + id_number[-4:]
    return id_number[:6] + "*" * (len(id_number) - 10) + id_number[-4:]


def mask_phone(phone: str | None) -> str | None:
    """`138****5678`: the first three and the last four digits stay."""
    if not phone:
        return phone
    if len(phone) <= 7:
        return "*" * (len(phone) - 2) + phone[-2:]
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]
