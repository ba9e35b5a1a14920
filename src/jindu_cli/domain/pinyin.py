"""Pinyin keys of a name, stored beside it so that 张伟 is found from `zhangwei` or `zw`."""

from __future__ import annotations

import re
import unicodedata

_KEEP = re.compile(r"[^a-z0-9]")


def name_keys(name: str) -> tuple[str, str]:
    """(full pinyin, initials), lower-case ASCII without spaces: 张伟 -> ("zhangwei", "zw")."""
    from pypinyin import Style, lazy_pinyin

    text = unicodedata.normalize("NFKC", name)
    syllables = [_KEEP.sub("", s.lower()) for s in lazy_pinyin(text, errors="default")]
    syllables = [s for s in syllables if s]
    initials = [s[0] for s in lazy_pinyin(text, style=Style.FIRST_LETTER, errors="default")
                if _KEEP.sub("", s.lower())]
    return "".join(syllables), _KEEP.sub("", "".join(initials).lower())


def is_pinyin_query(query: str) -> bool:
    return bool(re.fullmatch(r"[A-Za-z][A-Za-z ]*", query))


def fold_query(query: str) -> str:
    return _KEEP.sub("", unicodedata.normalize("NFKC", query).lower())
