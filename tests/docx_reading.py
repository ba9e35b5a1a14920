"""Reading a made document back, with python-docx, for the document tests."""

from __future__ import annotations

from datetime import date
from pathlib import Path


def read(path: Path) -> tuple[list[str], list[list[list[str]]]]:
    """(the paragraphs' texts, the tables as rows of cell texts) of a .docx file."""
    import docx

    document = docx.Document(str(path))
    paragraphs = [p.text for p in document.paragraphs]
    tables = [[[cell.text for cell in row.cells] for row in table.rows] for table in document.tables]
    return paragraphs, tables


def text_of(path: Path) -> str:
    paragraphs, tables = read(path)
    return "\n".join(paragraphs + ["\t".join(r) for t in tables for r in t])


def pairs(table: list[list[str]]) -> dict[str, str]:
    """A form table (label, value, label, value) as {label: value}; a merged value counted once."""
    out = {}
    for cells in table:
        distinct = [c for i, c in enumerate(cells) if i == 0 or c is not cells[i - 1] and c != cells[i - 1]]
        for label, value in zip(distinct[::2], distinct[1::2]):
            out[label] = value
    return out


def cn(iso: str | None) -> str:
    if not iso:
        return "（未登记）"
    d = date.fromisoformat(iso)
    return f"{d.year}年{d.month}月{d.day}日"
