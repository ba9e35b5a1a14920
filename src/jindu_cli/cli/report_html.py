"""The report as one self-contained HTML page: the headline figures, five charts of the last twelve
months drawn as inline SVG (tests, visits, caseload, 宣传, screening), the table (indicators down,
groups across), the lines to sign and the definitions. Printed from a browser, it is laid out for A4 landscape with the page numbers below.

The charts carry their own type sizes and colours as attributes: a page saved without its style
sheet, or pasted into another document, still shows them legible (a legend set in the browser's
default 16 px type ran into itself)."""

from __future__ import annotations

import html

from jindu_cli import __version__
from jindu_cli.cli.report_parts import (
    TOTAL, grid, legend_lines, shown, signatures, small_base, subtitle, title, trail_line, unit,
)
from jindu_cli.cli.table import width
from jindu_cli.domain.reports import BY_LABELS, Report

STATUS_COLOURS = [("active", "在执行", "#2b6cb0"), ("suspended", "中止", "#d69e2e"), ("pending", "未报到", "#c53030"),
                  ("released", "期满解除", "#38a169"), ("clean", "戒断三年未复吸", "#81e6d9"),
                  ("terminated", "终止", "#718096"), ("deceased", "死亡", "#1a202c")]
FONT = "Noto Sans CJK SC, Source Han Sans SC, Microsoft YaHei, PingFang SC, sans-serif"
AXIS = 'font-size="10" fill="#4a5568"'  # the axes' and the legend's type, the same with or without CSS


def _bars(months: list[dict], series: list[tuple[str, str, str]], heading: str, stacked: bool = False) -> str:
    """A bar chart of the twelve months as inline SVG. series: (key, label, colour). Each month is
    named by its number; the year under the first month and under each January."""
    w, h, left, bottom, top = 620, 240, 48, 42, 30
    plot_w, plot_h = w - left - 10, h - bottom - top
    if stacked:
        values = [[m["caseload"].get(k, 0) for k, _, _ in series] for m in months]
    else:
        values = [[m[k] for k, _, _ in series] for m in months]
    peak = max([sum(v) if stacked else max(v, default=0) for v in values] + [1])
    step = _nice(peak)
    ceiling = step * ((peak + step - 1) // step)
    slot = plot_w / max(1, len(months))
    base = top + plot_h
    parts = [f'<svg class="chart" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" '
             f'aria-label="{html.escape(heading)}" font-family="{FONT}" xmlns="http://www.w3.org/2000/svg">',
             f'<text x="{left}" y="18" font-size="13" font-weight="bold" fill="#1a202c">{html.escape(heading)}</text>']
    for i in range(0, int(ceiling // step) + 1):
        y = base - plot_h * (i * step) / ceiling
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{w - 10}" y2="{y:.1f}" stroke="#e2e8f0" stroke-width="1"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" {AXIS} text-anchor="end">{int(i * step)}</text>')
    for index, (m, v) in enumerate(zip(months, values)):
        x0 = left + index * slot
        parts += _month_bars(m, v, series, x0, slot, base, plot_h / ceiling, stacked)
        year, number = m["month"][:4], int(m["month"][5:])
        middle = x0 + slot / 2
        parts.append(f'<text x="{middle:.1f}" y="{base + 13}" {AXIS} text-anchor="middle">{number}月</text>')
        if index == 0 or number == 1:
            parts.append(f'<text x="{middle:.1f}" y="{base + 24}" {AXIS} text-anchor="middle">{year}年</text>')
    x = left
    for key, label, colour in series:
        parts.append(f'<rect x="{x}" y="{h - 12}" width="10" height="10" fill="{colour}"/>'
                     f'<text x="{x + 14}" y="{h - 3}" {AXIS}>{html.escape(label)}</text>')
        x += 14 + 5 * width(label) + 16  # (10 px type: a Chinese character 10 px wide, a digit about 6)
    parts.append("</svg>")
    return "".join(parts)


def _month_bars(m: dict, v: list, series, x0: float, slot: float, base: float, scale: float, stacked: bool) -> list[str]:
    """One month's bars: one above another (stacked), or side by side."""
    parts = []
    if stacked:
        y = base
        for (key, label, colour), n in zip(series, v):
            if not n:
                continue
            bar = scale * n
            y -= bar
            parts.append(f'<rect x="{x0 + slot * 0.15:.1f}" y="{y:.1f}" width="{slot * 0.7:.1f}" height="{bar:.1f}" '
                         f'fill="{colour}"><title>{m["month"]} {label} {n}</title></rect>')
        return parts
    bw = slot * 0.7 / len(series)
    for j, ((key, label, colour), n) in enumerate(zip(series, v)):
        bar = scale * n
        x = x0 + slot * 0.15 + j * bw
        parts.append(f'<rect x="{x:.1f}" y="{base - bar:.1f}" width="{bw:.1f}" height="{bar:.1f}" '
                     f'fill="{colour}"><title>{m["month"]} {label} {n}</title></rect>')
    return parts


def _nice(peak: float) -> int:
    for step in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000, 200000):
        if peak / step <= 6:
            return step
    return 500000


CSS = """
@page { size: A4 landscape; margin: 12mm 12mm 15mm;
        @bottom-left { content: %(footer)s; font-size: 8pt; color: #718096; }
        @bottom-right { content: "第 " counter(page) " 页，共 " counter(pages) " 页"; font-size: 8pt; color: #718096; } }
* { box-sizing: border-box; }
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", sans-serif;
       color: #1a202c; margin: 24px; font-size: 13px; }
h1 { font-size: 20px; margin: 0 0 4px; }
h2 { font-size: 15px; margin: 22px 0 8px; border-bottom: 1px solid #cbd5e0; padding-bottom: 3px; }
.sub { color: #4a5568; margin: 0 0 14px; }
.unit { margin: 0 0 2px; }
.sign { margin: 14px 0 0; letter-spacing: 0.5px; }
.cards { display: flex; flex-wrap: wrap; gap: 10px; }
.card { border: 1px solid #cbd5e0; border-radius: 4px; padding: 8px 12px; min-width: 120px; }
.card .value { font-size: 20px; font-weight: bold; }
.card .label { color: #4a5568; font-size: 12px; }
.card .base { display: block; font-size: 11px; font-weight: normal; color: #4a5568; }
.charts { display: flex; flex-wrap: wrap; gap: 12px; }
svg.chart { max-width: 100%%; height: auto; border: 1px solid #e2e8f0; }
table { border-collapse: collapse; font-size: 11px; width: 100%%; }
th, td { border: 1px solid #cbd5e0; padding: 2px 4px; text-align: right; white-space: nowrap; }
th:first-child, td:first-child { text-align: left; }
thead th { background: #edf2f7; white-space: normal; vertical-align: bottom; }
table.many { font-size: 8px; }
table.many th, table.many td { padding: 1px 2px; }
table.many .base { display: block; }
tbody tr:nth-child(even) { background: #f7fafc; }
td.total, th.total { font-weight: bold; }
dl { columns: 2; font-size: 11px; }
dt { font-weight: bold; break-after: avoid; }
dd { margin: 0 0 6px 0; color: #4a5568; break-inside: avoid; }
footer { margin-top: 18px; color: #718096; font-size: 11px; }
@media print { body { margin: 0; } h2 { break-after: avoid; } svg.chart, tr { break-inside: avoid; }
               .card { min-width: 100px; padding: 6px 10px; }
               svg.chart { width: calc(50%% - 6px); height: auto; } }
"""

CARDS = ["registered", "managed", "status_suspended", "on_time_rate", "meeting_rate", "control_rate", "relapse_rate",
         "police_due"]


def _card(values: dict, ind) -> str:
    """A headline figure; a rate over a small base with it on a line of its own, in small type."""
    base = small_base(values, ind)
    under = f'<span class="base">（{base[0]}/{base[1]}）</span>' if base else ""
    return (f'<div class="card"><div class="value" data-key="{ind.key}">{shown(values.get(ind.key), bool(ind.rate))}'
            f'{under}</div><div class="label">{html.escape(ind.label)}</div></div>')


def _figure(text: str) -> str:
    """A cell of the table; a rate's base apart, under the rate where the columns are many."""
    value, bracket, base = text.partition("（")
    return html.escape(value) + (f'<span class="base">{html.escape(bracket + base)}</span>' if bracket else "")


def _css_text(text: str) -> str:
    """`text` as a CSS string, inside a <style> element (no </style> can end it early)."""
    return '"' + "".join(c if c.isalnum() or c in " ：（）·-" else f"\\{ord(c):x} " for c in text) + '"'


def html_page(report: Report, rules, trail=None) -> bytes:
    by_key = {i.key: i for i in report.indicators}
    cards = "".join(_card(report.total, by_key[k]) for k in CARDS)
    header, body = grid(report)
    marked = ' class="total"'
    head = "".join(f"<th{marked if h == TOTAL else ''}>{html.escape(h)}</th>" for h in header)
    rows = "".join("<tr>" + "".join(
        f"<td{marked if i == len(row) - 1 else ''}>{_figure(c) if i else html.escape(c)}</td>" for i, c in enumerate(row))
        + "</tr>" for row in body)
    charts = ""
    if report.months:
        charts = (
            _bars(report.months, [("tests", "检测人次", "#2b6cb0"), ("positives", "阳性人次", "#c53030")],
                  "近 12 个月检测与阳性人次")
            + _bars(report.months, [("visits", "走访记录", "#38a169")], "近 12 个月走访记录")
            + _bars(report.months, STATUS_COLOURS, "近 12 个月各月末在册人员状态", stacked=True)
            + _bars(report.months, [("publicity", "宣传活动场次", "#805ad5")], "近 12 个月禁毒宣传活动场次")
            + _bars(report.months, [("screened", "筛查人数", "#dd6b20"), ("screen_positives", "筛查阳性", "#c53030")],
                    "近 12 个月重点群体筛查人数与阳性"))
    legend = "".join(f"<dt>{html.escape(i.label)}</dt><dd>{html.escape(i.definition)}</dd>" for i in report.indicators)
    # a page across holds about 20 groups' columns; more (communities, workers) in a smaller type
    many = ' class="many"' if len(report.groups) > 20 else ""
    css = CSS % {"footer": _css_text(f"{title(report)}　{unit(rules)}")}
    page = f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title(report))}</title>
<style>{css}</style>
</head>
<body>
<h1>{html.escape(title(report))}</h1>
<p class="unit">{html.escape(unit(rules))}</p>
<p class="sub">{html.escape(subtitle(report))}</p>
<div class="cards">{cards}</div>
<h2>趋势</h2>
<div class="charts">{charts}</div>
<h2>分{html.escape(BY_LABELS[report.by])}统计</h2>
<table id="figures"{many}><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>
<p class="sign">{html.escape(signatures())}</p>
<h2>口径说明</h2>
<dl>{legend}</dl>
<footer>{html.escape(legend_lines(report, rules)[-1])}　由 jindu {__version__} 生成。{html.escape(trail_line(trail)) if trail else ""}</footer>
</body>
</html>
"""
    return page.encode("utf-8")
