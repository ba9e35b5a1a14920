"""Free text as the clerk typed it: ends trimmed, its own characters kept."""

from __future__ import annotations

from jindu_cli.errors import InvalidInput


def clean_text(raw, label: str, limit: int = 200) -> str | None:
    """"" or spaces mean empty; control characters and over-long text are refused."""
    if raw is None:
        return None
    text = str(raw).strip()
    if not text:
        return None
    if any(ord(ch) < 32 and ch not in "\n\t" for ch in text):
        raise InvalidInput(label, "含有控制字符")
    if len(text) > limit:
        raise InvalidInput(label, f"太长（{len(text)} 个字，最多 {limit} 个）")
    return text
