"""Tables of text: laid out in full for files and pipes, and fitted to the terminal's width for people.

Off a terminal a table keeps every column in full, one row a line (`plain_columns`). At a terminal it
is fitted (`fitted`), trying in turn, until the table fits the width:

1. every column in full, one row a line; the last column, when it is long text (a reason, a note),
   may continue on a second line, indented to where it starts;
2. the same with the columns that have a narrower form in it (`SHORT`: a masked 身份证号 down to its
   tail, a 街道 or 社区 without its suffix);
3. the same without the columns that may give way (`GIVE_WAY`: the rule's code, then columns that
   others beside them say already), one more at a time;
4. the columns in the first of those forms that fits one line, the long text under its row, on a
   line of its own, indented;
5. the other columns over two lines (in the first form that fits them in two), the second indented,
   the long text after its columns.

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
                "\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6"
                "\U00020000-\U0003fffd]")  # (the last: the rarer characters of names, 𠮷)
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


def _community(name: str) -> str:
    """A 社区 without its suffix (枣山路社区居委会 -> 枣山路); a 村 keeps its name (茶店村)."""
    for suffix in ("社区居委会", "社区居民委员会", "居委会", "居民委员会", "社区"):
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[:-len(suffix)]
    return name


# the narrower form of a column, and its heading in that form
SHORT: dict[str, tuple[Callable[[str], str], str | None]] = {
    "id_number": (_id_tail, "尾号"), "street": (_street, None), "community": (_community, None)}
# the columns that give way, first to last: the rule's code, 性别 (the 身份证号 says it), 剩余天数
# (the 期满日期 beside says it), 面对面 (the 方式 and 结果 say it), the short SHA-256 of a file
GIVE_WAY = ("rule", "sex", "days_left", "face_to_face", "sha_short")
GAP = "  "
INDENT = "  "  # a row's second line
FLOW_MIN = 30  # the fewest columns long text keeps beside the others before it goes under its row
FLOW_WIDE = 24  # a last column wider than this is long text
FLOW_LINES = 2  # the most lines long text takes beside the others


@dataclass
class _Col:
    key: str
    label: str
    values: list[str]

    @functools.cached_property
    def widths(self) -> dict[str, int]:
        """Each distinct value's width, measured once (a district's list has 100,000 rows)."""
        return {v: width(v) for v in set(self.values)}

    @functools.cached_property
    def width(self) -> int:
        return max([width(self.label), *self.widths.values()])

    @functools.cached_property
    def widest(self) -> list[tuple[str, int]]:
        """The distinct values and their widths, the widest first."""
        return sorted(self.widths.items(), key=lambda item: item[1], reverse=True)

    def wrapped(self, value: str, room: int) -> list[str]:
        """`value` wrapped in `room` columns, wrapped once for the choice of layout and its lines."""
        key = (value, room)
        if key not in self._wrapped:
            self._wrapped[key] = wrap(value, room)
        return self._wrapped[key]

    @functools.cached_property
    def _wrapped(self) -> dict[tuple[str, int], list[str]]:
        return {}


def _forms(cols: list[_Col]) -> Iterator[list[_Col]]:
    """The columns as the terminal narrows: in full; in their narrower forms; then without the
    columns that give way, one more at a time."""
    yield cols
    cols = [_Col(c.key, SHORT[c.key][1] or c.label, list(map(SHORT[c.key][0], c.values))) if c.key in SHORT else c
            for c in cols]
    yield cols
    for key in GIVE_WAY:
        if any(c.key == key for c in cols) and len(cols) > 1:
            cols = [c for c in cols if c.key != key]
            yield cols


def _beside(flow: _Col, room: int) -> bool:
    """Whether the long text may stand beside the other columns in `room`: each value in at most
    FLOW_LINES lines (the widest tried first: one too long settles it)."""
    if room < FLOW_MIN:
        return False
    for value, w in flow.widest:
        if w <= room:
            return True
        if w > FLOW_LINES * room or len(flow.wrapped(value, room)) > FLOW_LINES:
            return False
    return True


def fitted(keys: Sequence[str], labels: Sequence[str], body: Sequence[Sequence[str]], limit: int, *,
           title: str | None = None, caption: str | None = None, header: bool = True,
           styles: Sequence[str | None] | None = None, sections: dict[int, str] | None = None) -> Iterator[str]:
    """The lines of a table fitted to `limit` columns (see the module's docstring); `sections` as
    `plain_columns` takes them."""
    cols = [_Col(k, label, list(values)) for k, label, values in zip(keys, labels, body)]
    flow = cols.pop() if cols and len(cols) > 1 and cols[-1].width > FLOW_WIDE else None
    forms = list(_forms(cols))
    return _lines(_one_line(forms, flow, limit) or _two_lines(forms, flow, limit),
                  title, caption, header, styles, sections)


def _one_line(forms: list[list[_Col]], flow: _Col | None, limit: int) -> _Layout | None:
    """The first form whose columns take one line, the long text beside them, else under them."""
    for form in forms:  # the long text beside
        widths = [c.width for c in form]
        beside = sum(widths) + len(GAP) * len(form)
        if flow is None and beside - len(GAP) <= limit:
            return _Layout([(form, widths)], None, None, limit)
        if flow is not None and (beside + flow.width <= limit or _beside(flow, limit - beside)):
            return _Layout([(form, widths)], flow, beside, limit)
    for form in forms if flow is not None else ():  # the long text under the row
        widths = [c.width for c in form]
        if sum(widths) + len(GAP) * (len(form) - 1) <= limit:
            return _Layout([(form, widths)], flow, None, limit)
    return None


def _two_lines(forms: list[list[_Col]], flow: _Col | None, limit: int) -> _Layout:
    """The columns over two lines, the long text after the second line's columns."""
    for form in forms[1:] or forms:
        grids = _split(form, limit)
        last, widths = grids[-1]
        beside = len(INDENT) * (len(grids) > 1) + sum(widths) + len(GAP) * len(last)
        if len(grids) <= 2 and (flow is None or limit - beside >= FLOW_MIN) or form is forms[-1]:
            break
    return _Layout(grids, flow, beside if limit - beside >= FLOW_MIN else None, limit)


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
    indented), and the long text after the last grid's columns (starting at `beside`, continuing
    indented to there) or on lines of its own under the row."""

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
                heads[-1] = heads[-1] + " " * (self.beside - width(heads[-1])) + self.flow.label
        return heads

    def parts(self, i: int) -> list[str]:
        """Row `i`'s lines; a second line with nothing in it is left out."""
        parts = [(INDENT if n else "") + _pad([c.values[i] for c in cols], widths)
                 for n, (cols, widths) in enumerate(self.grids)]
        if self.flow is not None:
            text = self.flow.values[i]
            if self.under:
                parts += [INDENT + piece for piece in self.flow.wrapped(text, self.limit - len(INDENT))] if text else []
            else:
                pieces = self.flow.wrapped(text, self.limit - self.beside) or [""]
                parts[-1] = parts[-1] + " " * (self.beside - width(parts[-1])) + pieces[0]
                parts += [" " * self.beside + piece for piece in pieces[1:]]
        return [p for n, p in enumerate(parts) if n == 0 or p.strip()]

    def count(self) -> int:
        if self.grids and self.grids[0][0]:
            return len(self.grids[0][0][0].values)
        return len(self.flow.values) if self.flow else 0


def _lines(layout: _Layout, title: str | None, caption: str | None, header: bool, styles, sections) -> Iterator[str]:
    """The table's lines, as `layout` places them."""
    limit = layout.limit
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


# spaces; or a run of letters and digits, or one other character, with the opening brackets before
# it and the punctuation after it that a line may not end or begin with (（ and ，。：）…)
_OPENING = "（「『《“‘〔【"
_CLOSING = "，。；：、）」』》！？”’〕】"
_PIECES = re.compile(rf"\s+|[{_OPENING}]*(?:[!-~]+|.)[{_CLOSING}]*", re.S)


def wrap(text: str, room: int) -> list[str]:
    """`text` in lines of at most `room` columns, broken only between Chinese characters or at spaces:
    a run of letters, digits and ASCII punctuation (a date, a number, a code) is never broken unless
    it is wider than a whole line, and no line begins with a comma or a closing bracket. Spaces
    between words are one space each."""
    bounds = [0, *breaks(text, room), len(text)]
    lines = (" ".join(text[a:b].split()) for a, b in zip(bounds, bounds[1:]))
    return [line for line in lines if line]


def breaks(text: str, room: int) -> list[int]:
    """Where the lines of `text` wrapped as `wrap` wraps it begin, after the first: offsets into
    `text` (for text with styles, such as a help screen's)."""
    offsets: list[int] = []
    if width(text) <= room:
        return offsets
    wide = _wide().findall
    used = start = 0
    for piece in _PIECES.findall(text):  # (the pieces follow one another through the whole text)
        if piece.isspace():
            used += 1 if used else 0
            start += len(piece)
            continue
        w = len(piece) if piece.isascii() else len(piece) + len(wide(piece))
        if used and used + w > room:
            offsets.append(start)
            used = 0
        at = start
        while w > room and len(piece) > 1:  # (a run wider than a line: cut, as nothing else can be done)
            cut = next((n for n in range(len(piece) - 1, 0, -1) if width(piece[:n]) <= room), 1)
            at, piece = at + cut, piece[cut:]
            offsets.append(at)
            w = width(piece)
        start, used = at + len(piece), used + w
    return offsets


def unbroken(text: str) -> int:
    """The width of the widest piece of `text` that `wrap` keeps whole."""
    return max((width(p) for p in _PIECES.findall(text) if not p.isspace()), default=0)
