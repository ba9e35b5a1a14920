"""The report in six forms. Every form is a pure function of the report: the same figures give the
same bytes (the .xlsx too: its zip entries and document properties carry fixed times)."""

from __future__ import annotations

import csv
import html
import io
import json
from datetime import datetime

from jindu_cli import __version__
from jindu_cli.cli.output import plain_table
from jindu_cli.cli.table import width
from jindu_cli.cli.workbook import cell_text, for_print, workbook
from jindu_cli.domain.reports import BY_LABELS, Report

TOTAL = "合计"


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
    return {"md": _md, "xlsx": _xlsx, "html": _html}[fmt](report, rules, trail)


def _trail_line(trail) -> str:
    """The audit trail as it stood, so that a printed report shows later whether rows went missing."""
    return f"审计链：到第 {trail.rows} 条记录，最新哈希 {trail.hash}（可用 jindu audit verify 核对）"


def shown(value, rate: bool) -> str:
    if value is None:
        return "—"
    if rate:
        return f"{value * 100:.1f}%"
    return str(int(value))


def _title(report: Report) -> str:
    where = f"{report.street} " if report.street else ""
    return f"{where}社区戒毒社区康复工作统计 {report.period.label}"


def _subtitle(report: Report) -> str:
    p = report.period
    partial = f"（统计期未结束，只计到 {report.effective_end}）" if p.end > report.as_of else ""
    return f"统计期 {p.start} 至 {p.end}{partial}；按 {report.as_of} 计算；按{BY_LABELS[report.by]}分组"


def _grid(report: Report) -> tuple[list[str], list[list[str]]]:
    names = list(report.groups) + [TOTAL]
    header = ["指标"] + names
    body = []
    for ind in report.indicators:
        values = [report.groups[n].get(ind.key) for n in report.groups] + [report.total.get(ind.key)]
        body.append([ind.label] + [shown(v, ind.rate is not None) for v in values])
    return header, body


def _legend_lines(report: Report, rules) -> list[str]:
    lines = [f"{ind.label}：{ind.definition}" for ind in report.indicators]
    lines.append(f"规则文件：{rules.path.name}；街道、社区、专干和风险等级按现在的登记，状态按期末的状态记录。")
    return lines


def _table(report: Report, rules, columns: int | None = None, trail=None) -> bytes:
    header, body = _grid(report)
    title = f"{_title(report)}\n{_subtitle(report)}"
    pieces = _pieces(header, body, columns) if columns else [list(range(1, len(header)))]
    text = ""
    for n, piece in enumerate(pieces):
        keep = [0, *piece]  # every piece repeats the indicators
        head = [title] if n == 0 else []
        if len(pieces) > 1:
            head.append(f"（第 {n + 1} 段，共 {len(pieces)} 段：终端太窄，分段显示；-o 写进文件或用 xlsx 看整表）")
        text += ("\n" if n else "") + plain_table([header[i] for i in keep], [[row[i] for i in keep] for row in body],
                                                   title="\n".join(head))
    text += "\n口径说明\n" + "\n".join(f"  {line}" for line in _legend_lines(report, rules)) + "\n"
    text += f"{_trail_line(trail)}\n" if trail else ""
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
    """The groups down and the indicators across, as for programs, in words: rates as 62.5%."""
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
    header, body = _grid(report)

    def line(cells):
        return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"

    out = [f"# {_title(report)}", "", _subtitle(report), "", line(header),
           "|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|"]
    out += [line(row) for row in body]
    out += ["", "## 口径说明", ""] + [f"- {item}" for item in _legend_lines(report, rules)]
    out += ["", _trail_line(trail)] if trail else []
    return ("\n".join(out) + "\n").encode("utf-8")


def _xlsx(report: Report, rules, trail=None) -> bytes:
    """A sheet for each breakdown and one of definitions. Counts are numbers in Excel's General
    format, rates numbers as 0.0%. Printed: A4 across, every page repeating the title, the headers
    and the groups' names (the indicators run to several pages wide), the page numbers below."""
    end = report.period.end
    buffer = io.BytesIO()
    with workbook(buffer, created=datetime(end.year, end.month, end.day)) as book:
        _xlsx_sheets(book, report, rules, trail)
    return buffer.getvalue()


def _xlsx_sheets(book, report: Report, rules, trail) -> None:
    styles = {"title": {"bold": True, "font_size": 12},
              "header": {"bold": True, "align": "center", "valign": "vcenter", "text_wrap": True},
              "bold": {"bold": True}, "percent": {"num_format": "0.0%"},
              "bold_percent": {"bold": True, "num_format": "0.0%"}}
    style = {name: book.add_format(properties) for name, properties in styles.items()}

    def put(sheet, row: int, column: int, value, fmt=None) -> None:
        if isinstance(value, str):
            sheet.write_string(row, column, cell_text(value), fmt)
        elif value is not None:
            sheet.write_number(row, column, value, fmt)
        elif fmt is not None:  # (empty, but what is typed into it takes its format)
            sheet.write_blank(row, column, None, fmt)

    rates = [bool(ind.rate) for ind in report.indicators]
    for by, groups in report.breakdowns.items():
        sheet = book.add_worksheet(f"按{BY_LABELS[by]}")
        subtitle = _subtitle(report).replace(f"按{BY_LABELS[report.by]}分组", f"按{BY_LABELS[by]}分组")
        headers = [BY_LABELS[by]] + [i.label for i in report.indicators]
        put(sheet, 0, 0, f"{_title(report)}（{subtitle}）", style["title"])
        for column, header in enumerate(headers):
            put(sheet, 1, column, header, style["header"])
        row = 2
        for name, values in groups.items():
            put(sheet, row, 0, name)
            for column, (ind, rate) in enumerate(zip(report.indicators, rates), start=1):
                put(sheet, row, column, values.get(ind.key), style["percent"] if rate else None)
            row += 1
        totals = [report.total.get(i.key) if by == report.by else _sum(groups, i) for i in report.indicators]
        put(sheet, row, 0, TOTAL, style["bold"])
        for column, (value, rate) in enumerate(zip(totals, rates), start=1):
            put(sheet, row, column, value, style["bold_percent" if rate else "bold"])
        sheet.set_column(0, 0, max(width(n) for n in [*groups, TOTAL, headers[0]]) + 4)
        for column, ind in enumerate(report.indicators, start=1):
            sheet.set_column(column, column, max(8, min(16, width(ind.label) + 2)))
        sheet.set_row(1, 42)
        sheet.freeze_panes(2, 1)
        for_print(sheet, title_rows=(0, 1), title_cols=(0, 0))
    legend = book.add_worksheet("口径说明")
    rows: list[list] = [[ind.label, ind.key, ind.definition] for ind in report.indicators]
    rows += [[], ["说明", "", _legend_lines(report, rules)[-1]]]
    rows += [["审计链", "", _trail_line(trail)]] if trail else []
    for column, header in enumerate(("指标", "英文键", "口径")):
        put(legend, 0, column, header, style["bold"])
    for row, cells in enumerate(rows, start=1):
        for column, value in enumerate(cells):
            if value:
                put(legend, row, column, value)
    for column, wide in enumerate((20, 24, 90)):
        legend.set_column(column, column, wide)
    for_print(legend, title_rows=(0, 0), fit_width=True)  # one page wide, as many long as it takes


def _sum(groups: dict, ind) -> float | None:
    """A total for a breakdown other than the main one (its groups add up to the same total)."""
    if ind.rate:
        top, bottom = ind.rate
        flip = top.startswith("1-")
        top = top[2:] if flip else top
        num = sum(g.get(top) or 0 for g in groups.values())
        den = sum(g.get(bottom) or 0 for g in groups.values())
        if not den:
            return None
        return round(1 - num / den, 4) if flip else round(num / den, 4)
    return sum(g.get(ind.key) or 0 for g in groups.values())


# --- HTML: one self-contained file, charts drawn as inline SVG -----------------------------

STATUS_COLOURS = [("active", "在执行", "#2b6cb0"), ("suspended", "中止", "#d69e2e"), ("pending", "未报到", "#c53030"),
                  ("released", "期满解除", "#38a169"), ("clean", "戒断三年未复吸", "#81e6d9"),
                  ("terminated", "终止", "#718096"), ("deceased", "死亡", "#1a202c")]


def _bars(months: list[dict], series: list[tuple[str, str, str]], title: str, stacked: bool = False) -> str:
    """A bar chart of the twelve months as inline SVG. series: (key, label, colour)."""
    w, h, left, bottom, top = 620, 230, 48, 34, 30
    plot_w, plot_h = w - left - 10, h - bottom - top
    if stacked:
        values = [[m["caseload"].get(k, 0) for k, _, _ in series] for m in months]
    else:
        values = [[m[k] for k, _, _ in series] for m in months]
    peak = max([sum(v) if stacked else max(v, default=0) for v in values] + [1])
    step = _nice(peak)
    ceiling = step * ((peak + step - 1) // step)
    slot = plot_w / max(1, len(months))
    parts = [f'<svg class="chart" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" '
             f'aria-label="{html.escape(title)}" xmlns="http://www.w3.org/2000/svg">',
             f'<text x="{left}" y="18" class="chart-title">{html.escape(title)}</text>']
    for i in range(0, int(ceiling // step) + 1):
        y = top + plot_h - plot_h * (i * step) / ceiling
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{w - 10}" y2="{y:.1f}" class="grid"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" class="axis" text-anchor="end">{int(i * step)}</text>')
    for index, (m, v) in enumerate(zip(months, values)):
        x0 = left + index * slot
        if stacked:
            y = top + plot_h
            for (key, label, colour), n in zip(series, v):
                if not n:
                    continue
                bar = plot_h * n / ceiling
                y -= bar
                parts.append(f'<rect x="{x0 + slot * 0.15:.1f}" y="{y:.1f}" width="{slot * 0.7:.1f}" height="{bar:.1f}" '
                             f'fill="{colour}"><title>{m["month"]} {label} {n}</title></rect>')
        else:
            bw = slot * 0.7 / len(series)
            for j, ((key, label, colour), n) in enumerate(zip(series, v)):
                bar = plot_h * n / ceiling
                x = x0 + slot * 0.15 + j * bw
                parts.append(f'<rect x="{x:.1f}" y="{top + plot_h - bar:.1f}" width="{bw:.1f}" height="{bar:.1f}" '
                             f'fill="{colour}"><title>{m["month"]} {label} {n}</title></rect>')
        parts.append(f'<text x="{x0 + slot / 2:.1f}" y="{h - bottom + 16}" class="axis" text-anchor="middle">'
                     f'{int(m["month"][5:])}月</text>')
    x = left
    for key, label, colour in series:
        parts.append(f'<rect x="{x}" y="{h - 12}" width="10" height="10" fill="{colour}"/>'
                     f'<text x="{x + 14}" y="{h - 3}" class="axis">{html.escape(label)}</text>')
        x += 24 + 13 * len(label)
    parts.append("</svg>")
    return "".join(parts)


def _nice(peak: float) -> int:
    for step in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000, 200000):
        if peak / step <= 6:
            return step
    return 500000


CSS = """
@page { size: A4 landscape; margin: 12mm; }
* { box-sizing: border-box; }
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", sans-serif;
       color: #1a202c; margin: 24px; font-size: 13px; }
h1 { font-size: 20px; margin: 0 0 4px; }
h2 { font-size: 15px; margin: 22px 0 8px; border-bottom: 1px solid #cbd5e0; padding-bottom: 3px; }
.sub { color: #4a5568; margin: 0 0 14px; }
.cards { display: flex; flex-wrap: wrap; gap: 10px; }
.card { border: 1px solid #cbd5e0; border-radius: 4px; padding: 8px 12px; min-width: 120px; }
.card .value { font-size: 20px; font-weight: bold; }
.card .label { color: #4a5568; font-size: 12px; }
.charts { display: flex; flex-wrap: wrap; gap: 12px; }
svg.chart { max-width: 100%; height: auto; border: 1px solid #e2e8f0; }
svg .chart-title { font-size: 13px; font-weight: bold; fill: #1a202c; }
svg .axis { font-size: 10px; fill: #4a5568; }
svg .grid { stroke: #e2e8f0; stroke-width: 1; }
table { border-collapse: collapse; font-size: 11px; width: 100%; }
th, td { border: 1px solid #cbd5e0; padding: 2px 4px; text-align: right; white-space: nowrap; }
th:first-child, td:first-child { text-align: left; }
thead th { background: #edf2f7; white-space: normal; vertical-align: bottom; }
table.many { font-size: 8px; }
table.many th, table.many td { padding: 1px 2px; }
tbody tr:nth-child(even) { background: #f7fafc; }
td.total, th.total { font-weight: bold; }
dl { columns: 2; font-size: 11px; }
dt { font-weight: bold; break-after: avoid; }
dd { margin: 0 0 6px 0; color: #4a5568; break-inside: avoid; }
footer { margin-top: 18px; color: #718096; font-size: 11px; }
@media print { body { margin: 0; } h2 { break-after: avoid; } .charts, table { break-inside: avoid; }
               svg.chart { width: calc(50% - 6px); height: auto; } }
"""

CARDS = ["registered", "managed", "status_suspended", "on_time_rate", "meeting_rate", "control_rate", "relapse_rate",
         "police_due"]


def _html(report: Report, rules, trail=None) -> bytes:
    by_key = {i.key: i for i in report.indicators}
    cards = "".join(
        f'<div class="card"><div class="value" data-key="{k}">{shown(report.total.get(k), by_key[k].rate is not None)}</div>'
        f'<div class="label">{html.escape(by_key[k].label)}</div></div>' for k in CARDS)
    header, body = _grid(report)
    marked = ' class="total"'
    head = "".join(f"<th{marked if h == TOTAL else ''}>{html.escape(h)}</th>" for h in header)
    rows = "".join("<tr>" + "".join(
        f"<td{marked if i == len(row) - 1 else ''}>{html.escape(c)}</td>" for i, c in enumerate(row))
        + "</tr>" for row in body)
    charts = ""
    if report.months:
        charts = (
            _bars(report.months, [("tests", "检测人次", "#2b6cb0"), ("positives", "阳性人次", "#c53030")],
                  "近 12 个月检测与阳性人次")
            + _bars(report.months, [("visits", "走访记录", "#38a169")], "近 12 个月走访记录")
            + _bars(report.months, STATUS_COLOURS, "近 12 个月各月末在册人员状态", stacked=True))
    legend = "".join(f"<dt>{html.escape(i.label)}</dt><dd>{html.escape(i.definition)}</dd>" for i in report.indicators)
    # a page across holds about 20 groups' columns; more (communities, workers) in a smaller type
    many = ' class="many"' if len(report.groups) > 20 else ""
    page = f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(_title(report))}</title>
<style>{CSS}</style>
</head>
<body>
<h1>{html.escape(_title(report))}</h1>
<p class="sub">{html.escape(_subtitle(report))}</p>
<div class="cards">{cards}</div>
<h2>趋势</h2>
<div class="charts">{charts}</div>
<h2>分{html.escape(BY_LABELS[report.by])}统计</h2>
<table id="figures"{many}><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>
<h2>口径说明</h2>
<dl>{legend}</dl>
<footer>{html.escape(_legend_lines(report, rules)[-1])}　由 jindu {__version__} 生成。{html.escape(_trail_line(trail)) if trail else ""}</footer>
</body>
</html>
"""
    return page.encode("utf-8")
