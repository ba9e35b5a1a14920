"""The report in six forms. Every form is a pure function of the report: the same figures give the
same bytes (the .xlsx too: its zip entries and document properties carry fixed times). The forms
people read (table, md, html, xlsx) lay the figures out alike (report_parts.grid): the indicators
down, the groups across; html and xlsx have modules of their own (report_html, report_xlsx)."""

from __future__ import annotations

import csv
import io
import json

from jindu_cli.cli.output import plain_table
from jindu_cli.cli.report_parts import TOTAL, grid, legend_lines, shown, signatures, subtitle, title, trail_line, unit
from jindu_cli.cli.table import width
from jindu_cli.domain.reports import BY_LABELS, Report


def render(report: Report, fmt: str, rules, columns: int | None = None, trail=None, people: bool = False) -> bytes:
    """The report as `fmt`. `columns`: the width of the terminal the table is shown on, if any (a
    file or a pipe gets the whole table, the same bytes every time). `trail`: the audit chain's head
    when the report was made, printed at the foot of the forms people read (not csv, json).
    `people`: a file written with --output, whose csv has Chinese column names and a BOM (to
    stdout, csv is for programs: English keys, rates as fractions)."""
    if fmt == "table":
        return _table(report, rules, columns, trail)
    if fmt == "csv" and people:
        return _csv_people(report)
    if fmt in ("csv", "json"):
        return {"csv": _csv, "json": _json}[fmt](report, rules)
    if fmt == "xlsx":
        from jindu_cli.cli.report_xlsx import xlsx

        return xlsx(report, rules, trail)
    if fmt == "html":
        from jindu_cli.cli.report_html import html_page

        return html_page(report, rules, trail)
    return _md(report, rules, trail)


def _table(report: Report, rules, columns: int | None = None, trail=None) -> bytes:
    header, body = grid(report)
    heading = f"{title(report)}\n{unit(rules)}\n{subtitle(report)}"
    pieces = _pieces(header, body, columns) if columns else [list(range(1, len(header)))]
    text = ""
    for n, piece in enumerate(pieces):
        keep = [0, *piece]  # every piece repeats the indicators
        head = [heading] if n == 0 else []
        if len(pieces) > 1:
            head.append(f"（第 {n + 1} 段，共 {len(pieces)} 段：终端太窄，分段显示；-o 写进文件或用 xlsx 看整表）")
        text += ("\n" if n else "") + plain_table([header[i] for i in keep], [[row[i] for i in keep] for row in body],
                                                   title="\n".join(head))
    text += f"\n{signatures()}\n"
    text += "\n口径说明\n" + "\n".join(f"  {line}" for line in legend_lines(report, rules)) + "\n"
    text += f"{trail_line(trail)}\n" if trail else ""
    return text.encode("utf-8")


def _pieces(header: list[str], body: list[list[str]], columns: int) -> list[list[int]]:
    """The groups' columns cut into pieces that each fit `columns` beside the indicators' column
    (columns three spaces apart, as plain_table lays them out)."""
    wide = [max(width(header[i]), *(width(row[i]) for row in body)) for i in range(len(header))]
    pieces: list[list[int]] = [[]]
    used = wide[0]
    for i in range(1, len(header)):
        if pieces[-1] and used + 3 + wide[i] > columns:
            pieces.append([])
            used = wide[0]
        pieces[-1].append(i)
        used += 3 + wide[i]
    return pieces


def _machine_rows(report: Report) -> list[dict]:
    rows = [{"group": name, **values} for name, values in report.groups.items()]
    rows.append({"group": TOTAL, **report.total})
    return rows


def _csv(report: Report, rules) -> bytes:
    keys = [i.key for i in report.indicators]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["period", "as_of", "by", "group"] + keys)
    for row in _machine_rows(report):
        writer.writerow([report.period.slug, report.as_of, report.by, row["group"]]
                        + ["" if row.get(k) is None else row.get(k) for k in keys])
    return buf.getvalue().encode("utf-8")


def _csv_people(report: Report) -> bytes:
    """The groups down and the indicators across, as for programs (a table to sort and sum in a
    spreadsheet), in words: rates as 62.5%, which Excel and WPS read as the number it is."""
    from jindu_cli.cli.files import write_csv

    header = ["统计期", "计算日期", BY_LABELS[report.by]] + [i.label for i in report.indicators]
    rows = [[report.period.label, report.as_of.isoformat(), row["group"]]
            + ["" if row.get(i.key) is None else shown(row.get(i.key), i.rate is not None) for i in report.indicators]
            for row in _machine_rows(report)]
    buffer = io.BytesIO()
    write_csv(buffer, header, rows)
    return buffer.getvalue()


def as_json(report: Report) -> dict:
    p = report.period
    return {
        "period": {"label": p.label, "slug": p.slug, "start": p.start.isoformat(), "end": p.end.isoformat()},
        "as_of": report.as_of.isoformat(),
        "by": report.by,
        "street": report.street,
        "groups": [{"group": name, "values": values} for name, values in report.groups.items()],
        "total": report.total,
        "definitions": report.definitions(),
    }


def _json(report: Report, rules) -> bytes:
    return (json.dumps(as_json(report), ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _md(report: Report, rules, trail=None) -> bytes:
    header, body = grid(report)

    def line(cells):
        return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"

    out = [f"# {title(report)}", "", unit(rules), "", subtitle(report), "", line(header),
           "|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|"]
    out += [line(row) for row in body]
    out += ["", signatures()]
    out += ["", "## 口径说明", ""] + [f"- {item}" for item in legend_lines(report, rules)]
    out += ["", trail_line(trail)] if trail else []
    return ("\n".join(out) + "\n").encode("utf-8")
