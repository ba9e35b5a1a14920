"""Free text as the clerk typed it: ends trimmed, what shows as nothing dropped, its own characters
kept. Names without the spaces that line them up in a spreadsheet."""

from __future__ import annotations

import unicodedata

from jindu_cli.errors import InvalidInput

# Characters that show as nothing, pasted in from web pages, chat programs and other systems: zero-width
# spaces and joiners, a stray BOM, a soft hyphen, and the marks that turn text right to left (these can
# make one name look like another on screen). Two names that look the same must be the same text.
INVISIBLE = frozenset("\u00ad\u200b\u200c\u200d\u200e\u200f\u2060\ufeff\u061c"
                      "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_DROPPED = dict.fromkeys(map(ord, INVISIBLE))


def without_invisible(text: str) -> str:
    """`text` without the characters that show as nothing; the one cleaning that typed and imported
    text share."""
    return text.translate(_DROPPED) if INVISIBLE.intersection(text) else text


def clean_text(raw, label: str, limit: int = 200) -> str | None:
    """"" or spaces mean empty; invisible characters dropped; control characters and over-long text
    are refused."""
    if raw is None:
        return None
    text = without_invisible(str(raw)).strip()
    if not text:
        return None
    if any(ord(ch) < 32 and ch not in "\n\t" for ch in text):
        raise InvalidInput(label, "含有控制字符")
    if len(text) > limit:
        raise InvalidInput(label, f"太长（{len(text)} 个字，最多 {limit} 个）")
    return text


def clean_name(raw, label: str = "姓名", limit: int = 50) -> str | None:
    """A person's name, as clean_text, without the spaces an office pads a two-character name with
    to line it up with three-character ones (张　伟, 张 伟: each part one Chinese character). A name
    of several words keeps one space between them (阿依古丽 买买提, John Smith)."""
    text = clean_text(raw, label, limit)
    if text is None:
        return None
    parts = text.split()  # (any space: the ideographic space U+3000 too)
    if len(parts) > 1 and all(len(part) == 1 and _chinese(part) for part in parts):
        return "".join(parts)
    return " ".join(parts)


def _chinese(ch: str) -> bool:
    return unicodedata.name(ch, "").startswith("CJK ")


# what a spreadsheet takes for the start of a formula (or of a cell it mangles)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(text: str) -> str:
    """A text cell a spreadsheet would take for a formula (=HYPERLINK(…), @SUM(…), +1) written as
    text, with a leading apostrophe: the one neutralisation for every CSV and workbook jindu writes."""
    return "'" + text if text and text.startswith(FORMULA_START) else text
