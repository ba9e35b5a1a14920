"""What every form of the report people read shares: its title, the reporting unit, the period, the
lines to sign, the figures as words, and the definitions."""

from __future__ import annotations

from jindu_cli.domain.reports import BY_LABELS, Report

TOTAL = "合计"
# a rate over fewer people than this shows them: one person moves it by ten points or more
SMALL_BASE = 10
BLANK = "＿＿＿＿＿＿"  # a line to write on


def rate_base(values: dict, ind) -> tuple[int, int] | None:
    """The rate's numerator and denominator (people) in `values`; None for a count."""
    if not ind.rate:
        return None
    top, bottom = ind.rate
    den = int(values.get(bottom) or 0)
    if top.startswith("1-"):  # 1 - a/b: shown as (b - a)/b
        return den - int(values.get(top[2:]) or 0), den
    return int(values.get(top) or 0), den


def small_base(values: dict, ind) -> tuple[int, int] | None:
    base = rate_base(values, ind)
    return base if base is not None and 0 < base[1] < SMALL_BASE else None


def shown(value, rate: bool, base: tuple[int, int] | None = None) -> str:
    """A figure in words: a count, a rate as 62.5%, a rate over a small base with it (100.0%（1/1））,
    no rate (no one to count it over) as —."""
    if value is None:
        return "—"
    if rate:
        return f"{value * 100:.1f}%" + (f"（{base[0]}/{base[1]}）" if base else "")
    return str(int(value))


def cell(values: dict, ind) -> str:
    """The figure of `ind` in a group's (or the total's) `values`, in words."""
    return shown(values.get(ind.key), ind.rate is not None, small_base(values, ind))


def title(report: Report) -> str:
    where = f"{report.street} " if report.street else ""
    return f"{where}社区戒毒社区康复工作统计 {report.period.label}"


def subtitle(report: Report, by: str | None = None) -> str:
    p = report.period
    partial = f"（统计期未结束，只计到 {report.effective_end}）" if p.end > report.as_of else ""
    return f"统计期 {p.start} 至 {p.end}{partial}；按 {report.as_of} 计算；按{BY_LABELS[by or report.by]}分组"


def unit(rules) -> str:
    """The reporting unit (the rules file's [office] name), or a line to write it on."""
    return f"填报单位：{rules.office.get('name') or BLANK}"


SIGNATURES = (f"填报人：{BLANK}", f"审核人：{BLANK}", "填报日期：＿＿＿＿年＿＿月＿＿日")


def signatures() -> str:
    return "　　".join(SIGNATURES)


def grid(report: Report) -> tuple[list[str], list[list[str]]]:
    """The figures as the forms people read lay them out: the indicators down, the groups across,
    the total last."""
    columns = list(report.groups.values()) + [report.total]
    header = ["指标"] + list(report.groups) + [TOTAL]
    return header, [[ind.label] + [cell(values, ind) for values in columns] for ind in report.indicators]


def legend_lines(report: Report, rules) -> list[str]:
    lines = [f"{ind.label}：{ind.definition}" for ind in report.indicators]
    lines.append(f"规则文件：{rules.path.name}；街道、社区、专干和风险等级按现在的登记，状态按期末的状态记录。")
    return lines


def trail_line(trail) -> str:
    """The audit trail as it stood, so that a printed report shows later whether rows went missing."""
    return f"审计链：到第 {trail.rows} 条记录，最新哈希 {trail.hash}（可用 jindu audit verify 核对）"


def breakdown_total(report: Report, by: str) -> dict:
    """The total of the breakdown `by`: the report's own, or (a breakdown other than the main one,
    whose groups add up to the same people) its groups' sums, the rates worked out from those."""
    if by == report.by:
        return report.total
    groups = report.breakdowns[by]
    counts = {i.key: sum(g.get(i.key) or 0 for g in groups.values()) for i in report.indicators if not i.rate}
    total = dict(counts)
    for ind in report.indicators:
        if ind.rate:  # (as domain.reports works a rate out, to the same last digit)
            top, bottom = ind.rate
            den = counts.get(bottom, 0)
            flip = top.startswith("1-")
            share = counts.get(top[2:] if flip else top, 0) / den if den else None
            total[ind.key] = None if share is None else round(1 - share, 4) if flip else round(share, 4)
    return total
