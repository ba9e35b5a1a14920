"""Tables of text: laid out in full for files and pipes, and fitted to the terminal's width for people.

Off a terminal a table keeps every column in full, one row a line (`plain_columns`). At a terminal it
is fitted (`fitted`), trying in turn, until the table fits the width:

1. every column in full, one row a line; the last column, when it is long text (a reason, a note),
   may continue on further lines, indented to where it starts;
2. the same with the columns that have a narrower form in it (`SHORT`: a masked 身份证号 down to its
   tail, a 街道 without its suffix);
3. the same without the columns that may give way (`GIVE_WAY`: the rule's code);
4. the long text under its row, on a line of its own, indented;
5. the other columns over two lines, each a table of its own under its own headings.

A date, a name, a masked ID or any run of letters and digits is never broken; the long text breaks
only between Chinese characters or at spaces.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import NamedTuple

# the East Asian wide and full-width ranges; compiled when first needed (it costs some
# milliseconds, and `jindu --version` needs no width)
_WIDE_RANGES = ("[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf"
                "\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]")
_wide = functools.cache(lambda: re.compile(_WIDE_RANGES))


def width(text: str) -> int:
    """Columns a string takes in a terminal: CJK and full-width characters take two."""
    if text.isascii():
        return len(text)
    return len(text) + len(_wide().findall(text))


def plain_columns(columns: Sequence[str], body: Sequence[Sequence[str]], *, title: str | None = None,
                  caption: str | None = None, header: bool = True,
                  styles: Sequence[str | None] | None = None, sections: dict[int, str] | None = None
                  ) -> Iterator[str]:
    """The lines of a table of text given column by column: columns three spaces apart, a rule
    under the headings, the last column unpadded, no line ending in spaces. Each distinct value of
    a column is measured and padded once, so that a district's list of 300,000 lines is laid out in
    a second or two. `styles`: an ANSI colour code for each row, or None. `sections`: a heading
    line before the row of each index."""
    widths = [width(c) if header else 0 for c in columns]
    padded = []
    for i, values in enumerate(body):
        distinct = list(set(values))
        if i == len(body) - 1:
            # the last column is not padded: only its widest value counts (for the rule), and
            # no value is wider than twice its length, so the longest are measured until then
            for v in sorted(distinct, key=len, reverse=True):
                if 2 * len(v) <= widths[i]:
                    break
                widths[i] = max(widths[i], width(v))
        else:
            measured = list(map(width, distinct))
            widths[i] = max([widths[i], *measured])
            pad = {v: v + " " * (widths[i] - w) for v, w in zip(distinct, measured)}
            values = list(map(pad.__getitem__, values))
        padded.append(values)
    if title:
        yield title + "\n"
    if header:
        yield "   ".join(c + " " * (widths[i] - width(c)) for i, c in enumerate(columns)).rstrip() + "\n"
        yield "─" * (sum(widths) + 3 * (len(widths) - 1)) + "\n"
    lines = map(str.rstrip, map("   ".join, zip(*padded)))
    if styles:
        lines = (f"\x1b[{style}m{line}\x1b[0m" if style else line for line, style in zip(lines, styles))
    if sections:
        lines = (f"{sections[i]}\n{line}" if i in sections else line for i, line in enumerate(lines))
    for line in lines:
        yield line + "\n"
    if caption:
        yield caption + "\n"


# --- fitted to a terminal ----------------------------------------------------------------------

def _id_tail(masked: str) -> str:
    """A masked 身份证号 (520103********1234) down to its tail (**1234)."""
    return "**" + masked[-4:] if len(masked) >= 8 else masked


def _street(name: str) -> str:
    return name[:-2] if name.endswith("街道") and len(name) > 2 else name


SHORT: dict[str, Callable[[str], str]] = {"id_number": _id_tail, "street": _street}
GIVE_WAY = ("rule",)
GAP = "  "
INDENT = "  "  # a row's second line
FLOW_MIN = 30  # the fewest columns long text keeps beside the others before it goes under its row
FLOW_WIDE = 24  # a last column wider than this is long text


@dataclass
class _Col:
    key: str
    label: str
    values: list[str]

    @property
    def width(self) -> int:
        return max([width(self.label), *map(width, set(self.values))])


def fitted(keys: Sequence[str], labels: Sequence[str], body: Sequence[Sequence[str]], limit: int, *,
           title: str | None = None, caption: str | None = None, header: bool = True,
           styles: Sequence[str | None] | None = None, sections: dict[int, str] | None = None) -> Iterator[str]:
    """The lines of a table fitted to `limit` columns (see the module's docstring); `sections` as
    `plain_columns` takes them."""
    cols = [_Col(k, label, list(values)) for k, label, values in zip(keys, labels, body)]
    flow = cols.pop() if cols and len(cols) > 1 and cols[-1].width > FLOW_WIDE else None
    for step in range(3):
        if step == 1:
            cols = [_Col(c.key, c.label, list(map(SHORT[c.key], c.values))) if c.key in SHORT else c for c in cols]
        elif step == 2:
            cols = [c for c in cols if c.key not in GIVE_WAY] or cols
        widths = [c.width for c in cols]
        beside = sum(widths) + len(GAP) * len(cols)
        if flow is None and beside - len(GAP) <= limit:
            return _lines([(cols, widths)], None, 0, limit, title, caption, header, styles, sections)
        if flow is not None and (beside + flow.width <= limit or limit - beside >= FLOW_MIN):
            return _lines([(cols, widths)], flow, beside, limit, title, caption, header, styles, sections)
    rows = _split(cols, limit)
    return _lines(rows, flow, None, limit, title, caption, header, styles, sections)


def _split(cols: list[_Col], limit: int) -> list[tuple[list[_Col], list[int]]]:
    """The columns over as few lines as fit (two for any listing jindu has), the second indented."""
    lines: list[tuple[list[_Col], list[int]]] = []
    current: list[_Col] = []
    used = 0
    for col in cols:
        w = col.width
        room = limit - (len(INDENT) if lines else 0)
        if current and used + len(GAP) + w > room:
            lines.append((current, [c.width for c in current]))
            current, used = [], 0
        used += (len(GAP) if current else 0) + w
        current.append(col)
    if current:
        lines.append((current, [c.width for c in current]))
    return lines


class _Layout(NamedTuple):
    """Where a fitted table's columns go: grids of columns, one line each (the second and later
    indented), and the long text beside the first line (starting at `beside`) or under the row."""

    grids: list[tuple[list[_Col], list[int]]]
    flow: _Col | None
    beside: int | None
    limit: int

    @property
    def under(self) -> bool:
        return self.flow is not None and self.beside is None

    def heads(self) -> list[str]:
        heads = [(INDENT if n else "") + _pad([c.label for c in cols], widths)
                 for n, (cols, widths) in enumerate(self.grids)]
        if self.flow is not None:
            if self.under:
                heads.append(INDENT + self.flow.label)
            else:
                heads[0] = heads[0] + " " * (self.beside - width(heads[0])) + self.flow.label
        return heads

    def parts(self, i: int) -> list[str]:
        """Row `i`'s lines."""
        parts = [(INDENT if n else "") + _pad([c.values[i] for c in cols], widths)
                 for n, (cols, widths) in enumerate(self.grids)]
        if self.flow is None:
            return parts
        text = self.flow.values[i]
        if self.under:
            return parts + ([INDENT + piece for piece in wrap(text, self.limit - len(INDENT))] if text else [])
        pieces = wrap(text, self.limit - self.beside) or [""]
        parts[0] = parts[0] + " " * (self.beside - width(parts[0])) + pieces[0]
        return parts + [" " * self.beside + piece for piece in pieces[1:]]

    def count(self) -> int:
        if self.grids and self.grids[0][0]:
            return len(self.grids[0][0][0].values)
        return len(self.flow.values) if self.flow else 0


def _lines(grids: list[tuple[list[_Col], list[int]]], flow: _Col | None, beside: int | None, limit: int,
           title: str | None, caption: str | None, header: bool, styles, sections) -> Iterator[str]:
    """The table's lines, as `_Layout` places them."""
    layout = _Layout(grids, flow, beside, limit)
    if title:
        yield title + "\n"
    if header:
        heads = layout.heads()
        yield "".join(h.rstrip() + "\n" for h in heads)
        yield "─" * min(limit, max(width(h) for h in heads)) + "\n"
    for i in range(layout.count()):
        style = styles[i] if styles else None
        if sections and i in sections:
            yield sections[i] + "\n"
        for part in layout.parts(i):
            line = part.rstrip()
            yield (f"\x1b[{style}m{line}\x1b[0m" if style else line) + "\n"
    if caption:
        yield caption + "\n"


def _pad(values: Sequence[str], widths: Sequence[int]) -> str:
    return GAP.join(v + " " * (w - width(v)) for v, w in zip(values, widths))


_PIECES = re.compile(r"\s+|[!-~]+|.", re.S)  # spaces, a run of letters and digits, one other character


def wrap(text: str, room: int) -> list[str]:
    """`text` in lines of at most `room` columns, broken only between Chinese characters or at spaces:
    a run of letters, digits and ASCII punctuation (a date, a number, a code) is never broken unless
    it is wider than a whole line."""
    lines: list[str] = []
    line, used = "", 0
    for piece in _PIECES.findall(text):
        if piece.isspace():
            if line:
                line, used = line + " ", used + 1
            continue
        w = width(piece)
        if used + w > room and line.strip():
            lines.append(line.rstrip())
            line, used = "", 0
        while w > room:  # (a run wider than a line: cut, as nothing else can be done)
            lines.append(piece[:room])
            piece = piece[room:]
            w = width(piece)
        line, used = line + piece, used + w
    if line.strip():
        lines.append(line.rstrip())
    return lines
