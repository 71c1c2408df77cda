"""The four page types as HTML: overview, one page per group, one per staff member, data quality.

Each `*_page` function is pure: the data of one page (plain Python rows, see `dashboards.site`) and the
shared `SiteContext` in, a `Page` out; `document` turns a `Page` into the file's text. Nothing here
touches the warehouse or the disk.

Escaping rule: every string that comes from the data (names, ids, reasons, masked matches, file
names) passes through `esc` (html.escape, quotes included) before it enters markup, and through
`figures.plot_text` before it enters a chart. Labels come from `dashboards.i18n` and are escaped too,
so a translation containing `<` cannot break a page either. Figure JSON sits in a
`<script type="application/json">` block written by plotly's encoder, which escapes `<`, `>` and `/`.

Stable output: element ids are `<page key>--<chart name>`, rows arrive sorted, and the only date on a
page is the data's own as-of date, so unchanged data regenerates byte-identical files.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Final

from dashboards import figures as fig
from dashboards.i18n import HTML_LANG, TEXT, Labels

#: Metrics that are fractions (shown as percentages). `member_violation_rate` is per 1000 messages
#: and `nps` is already on −100…100, so they are not here.
RATE_METRICS: Final = frozenset({
    "participation_rate", "active_day_ratio", "net_growth_rate", "group_coverage", "violation_rate",
    "staff_violation_rate", "audit_pass_rate", "post_engagement_rate", "originality", "response_rate",
    "sla_rate", "resolution_rate", "complaint_resolution_rate", "csat_rate", "negative_feedback_rate",
})

MISSING: Final = "—"

#: How many best and weakest entities the overview ranks.
RANK_SIZE: Final = 5

#: Longer lists (groups, staff, coverage) start folded: a 5,000-row table would make the page too long
#: to scroll past; the filter box and the folded list still link every page.
OPEN_LIST_ROWS: Final = 300

#: Distinct quarantine reasons listed per file; the rest are counted (all are in the raw tables).
REASONS_PER_FILE: Final = 8

#: Above this many groups the coverage map shows the groups with the fewest months of data only (the
#: ones a reader of that chart looks for); the table below it always lists every group.
COVERAGE_CHART_GROUPS: Final = 60


@dataclass(frozen=True)
class SiteContext:
    """What every page needs to know about the whole site: words, facts, periods and link targets."""

    t: Labels
    rubric_version: str
    timezone: str
    sla_general_minutes: float
    not_rated_min_weight: float
    as_of_date: str
    months: tuple[str, ...]
    quarters: tuple[str, ...]
    complete_quarters: frozenset[str]
    headline_quarter: str | None
    group_names: dict[str, str | None]
    group_slugs: dict[str, str]
    staff_names: dict[str, str]
    staff_slugs: dict[str, str]


@dataclass
class Page:
    """One HTML file: where it goes, its words, its body and the charts the body refers to."""

    path: str
    title: str
    subtitle: str
    body: str
    nav: str
    figures: dict[str, fig.Figure] = field(default_factory=dict)

    @property
    def root(self) -> str:
        """Relative path from this page back to the site root ("" or "../")."""
        return "../" * self.path.count("/")


# --- small HTML helpers ----------------------------------------------------------------------------


def esc(value: object) -> str:
    """Text for HTML (content or attribute); None is empty."""
    return "" if value is None else html.escape(str(value), quote=True)


def fmt_score(value: float | None) -> str:
    return MISSING if value is None else f"{value:.1f}"


def fmt_int(value: int | None) -> str:
    return MISSING if value is None else f"{value:,}"


def fmt_pct(value: float | None) -> str:
    return MISSING if value is None else f"{value * 100:.1f}%"


def fmt_number(value: float | None) -> str:
    """A metric value that is not a rate: whole numbers with separators, small ones to 3 figures."""
    if value is None:
        return MISSING
    if abs(value) >= 100 or float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:.3g}"


def fmt_metric(metric: str, value: float | None) -> str:
    return fmt_pct(value) if metric in RATE_METRICS else fmt_number(value)


def grade_cell(grade: str | None, t: Labels) -> str:
    key = grade if grade in fig.GRADE_COLOURS else "not_rated"
    return f'<span class="grade grade-{key}">{esc(t.term("grade", grade or "not_rated"))}</span>'


def table(headers: Sequence[tuple[str, str]], rows: Iterable[Sequence[str]], *, table_id: str | None = None,
          row_classes: Sequence[str] | None = None) -> str:
    """A table; `headers` are (label, css class), cells are HTML already escaped by the caller."""
    head = "".join(f'<th scope="col"{_cls(css)}>{esc(label)}</th>' for label, css in headers)
    body = []
    for i, row in enumerate(rows):
        row_css = _cls(row_classes[i]) if row_classes else ""
        cells = "".join(f"<td{_cls(css)}>{cell}</td>" for cell, (_, css) in zip(row, headers))
        body.append(f"<tr{row_css}>{cells}</tr>")
    ident = f' id="{esc(table_id)}"' if table_id else ""
    return (f'<div class="table-wrap"><table{ident}><thead><tr>{head}</tr></thead>'
            f'<tbody>\n{chr(10).join(body)}\n</tbody></table></div>')


def _cls(css: str) -> str:
    return f' class="{css}"' if css else ""


def card(title: str, content: str, *, section_id: str | None = None) -> str:
    ident = f' id="{esc(section_id)}"' if section_id else ""
    return f'<section class="card"{ident}><h2>{esc(title)}</h2>\n{content}\n</section>'


def empty(t: Labels, key: str = "no_data") -> str:
    return f'<p class="empty">{esc(t(key))}</p>'


class Charts:
    """Collects a page's figures under stable ids (`<page key>--<name>`) and places their holders."""

    def __init__(self, page_key: str) -> None:
        self.page_key = page_key
        self.figures: dict[str, fig.Figure] = {}

    def card(self, name: str, title: str, figure: fig.Figure | None, t: Labels, *, extra: str = "") -> str:
        """A chart card (`extra`: HTML after the chart), or the card with a "no data" note when there is
        nothing to draw (an empty chart reads as a broken one)."""
        if figure is None:
            return f'<figure class="card"><figcaption>{esc(title)}</figcaption>{empty(t)}{extra}</figure>'
        div_id = f"{self.page_key}--{name}"
        self.figures[div_id] = figure
        height = figure["layout"]["height"]
        return (f'<figure class="card"><figcaption>{esc(title)}</figcaption>'
                f'<div class="chart" id="{esc(div_id)}" style="height:{height}px"></div>{extra}</figure>')


def group_link(ctx: SiteContext, group_id: str | None, root: str) -> str:
    if group_id is None:
        return MISSING
    label = esc(ctx.group_names.get(group_id) or group_id)
    slug = ctx.group_slugs.get(group_id)
    return f'<a href="{root}groups/{slug}.html">{label}</a>' if slug else label


def staff_link(ctx: SiteContext, staff_id: str | None, root: str) -> str:
    if staff_id is None:
        return MISSING
    label = esc(ctx.staff_names.get(staff_id) or staff_id)
    slug = ctx.staff_slugs.get(staff_id)
    return f'<a href="{root}staff/{slug}.html">{label}</a>' if slug else label


def quarter_label(ctx: SiteContext, quarter: str) -> str:
    tag = "" if quarter in ctx.complete_quarters else f'<span class="tag">{esc(ctx.t("overview.incomplete"))}</span>'
    return f"{esc(quarter)}{tag}"


def not_rated_reason(ctx: SiteContext, row: dict) -> str:
    """The not-rated reason in the page's language, built from its structured parts (weight of the scored
    dimensions, the missing ones) where the row has them; any other reason is shown as recorded."""
    reason, t = row.get("not_rated_reason"), ctx.t
    if not reason:
        return ""
    if reason.startswith("insufficient_data") and row.get("available_weight") is not None:
        missing = [t.term("dimension", d.strip()) for d in (row.get("missing_dimensions") or "").split(",") if d.strip()]
        return esc(t("reason.insufficient_weight", share=fmt_pct(row["available_weight"]),
                     minimum=fmt_pct(ctx.not_rated_min_weight), missing=t("list.separator").join(missing) or t("none")))
    return esc(reason)


def _span(*parts: str) -> str:
    return "".join(f"<span>{part}</span>" for part in parts if part)


# --- the document around a page --------------------------------------------------------------------


def document(page: Page, ctx: SiteContext) -> str:
    """The whole file: head with the shared CSS and plotly.js, nav, body, footer, figure data."""
    t, root = ctx.t, page.root
    links = [("overview", "index.html", t("nav.overview")), ("groups", "index.html#groups", t("nav.groups")),
             ("staff", "index.html#staff", t("nav.staff")), ("quality", "quality.html", t("nav.quality"))]
    current = ' aria-current="page"'
    nav = "".join(
        f'<a href="{root}{href}"{current if key == page.nav else ""}>{esc(label)}</a>' for key, href, label in links
    )
    figures = ",".join(f'"{div_id}":{fig.to_json(figure)}' for div_id, figure in page.figures.items())
    footer = _span(esc(t("footer.as_of", date=ctx.as_of_date)), esc(t("footer.rubric", version=ctx.rubric_version)),
                   esc(t("footer.privacy")))
    return f"""<!DOCTYPE html>
<html lang="{HTML_LANG[t.lang]}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(page.title)} · {esc(t("site.title"))}</title>
<link rel="stylesheet" href="{root}assets/site.css">
<script src="{root}assets/plotly.min.js"></script>
</head>
<body>
<header class="topbar"><nav><a class="brand" href="{root}index.html">{esc(t("site.title"))}</a>{nav}</nav></header>
<main>
<h1>{esc(page.title)}</h1>
<p class="subtitle">{page.subtitle}</p>
{page.body}
</main>
<footer>{footer}</footer>
<script type="application/json" id="figures">{{{figures}}}</script>
<script src="{root}assets/site.js"></script>
</body>
</html>
"""


# --- overview --------------------------------------------------------------------------------------


def overview_page(ctx: SiteContext, data: dict) -> Page:
    """Headline KPIs per quarter, grade distribution, monthly dimension trends, best and weakest groups
    and staff, excellent communities, and links to every group and staff page."""
    t, root, charts = ctx.t, "", Charts("overview")
    headlines = data["quarter_headlines"]
    latest = next((h for h in reversed(headlines) if h["quarter"] == ctx.headline_quarter), None)
    stats = ""
    if latest:
        values = [
            (t("kpi.staff_graded"), fmt_int(latest["staff_graded"])),
            (t("kpi.mean_overall"), fmt_score(latest["mean_overall_score"])),
            (t("kpi.requests"), fmt_int(latest["requests"])),
            (t("kpi.response_rate"), fmt_pct(latest["response_rate"])),
            (t("kpi.sla_rate"), fmt_pct(latest["sla_rate"])),
            (t("kpi.unanswered"), fmt_int(latest["unanswered"])),
            (t("kpi.violations"), fmt_int(latest["violations"])),
        ]
        stats = f'<h3>{quarter_label(ctx, latest["quarter"])}</h3><div class="cards">' + "".join(
            f'<div class="stat"><span class="value">{esc(v)}</span><span class="label">{esc(k)}</span></div>'
            for k, v in values) + "</div>"
    kpi_headers = [(t("kpi.quarter"), "nowrap"), (t("kpi.staff_graded"), "num"), (t("kpi.staff_rated"), "num"),
                   (t("kpi.mean_overall"), "num"), (t("kpi.groups_active"), "num"), (t("kpi.member_messages"), "num"),
                   (t("kpi.requests"), "num"), (t("kpi.response_rate"), "num"), (t("kpi.sla_rate"), "num"),
                   (t("kpi.unanswered"), "num"), (t("kpi.violations"), "num")]
    kpi_rows = [[quarter_label(ctx, h["quarter"]), fmt_int(h["staff_graded"]), fmt_int(h["staff_rated"]),
                 fmt_score(h["mean_overall_score"]), fmt_int(h["groups_active"]), fmt_int(h["member_messages"]),
                 fmt_int(h["requests"]), fmt_pct(h["response_rate"]), fmt_pct(h["sla_rate"]), fmt_int(h["unanswered"]),
                 fmt_int(h["violations"])] for h in reversed(headlines)]
    headline_card = card(t("overview.headline"), stats + table(kpi_headers, kpi_rows) if headlines else empty(t))

    grade_counts = data["grade_counts"]
    distribution = fig.grade_distribution(ctx.quarters, grade_counts, t) if grade_counts else None
    staff_trend = _trend_figure(ctx, data["staff_trends"])
    group_trend = _trend_figure(ctx, data["group_trends"])
    trends = (f'<div class="grid">{charts.card("grades", t("overview.grades"), distribution, t)}'
              f'{charts.card("staff-trends", t("overview.staff_trends"), staff_trend, t)}'
              f'{charts.card("group-trends", t("overview.group_trends"), group_trend, t)}</div>')

    period = ctx.headline_quarter or MISSING
    rankings = []
    for kind, entries in (("groups", data["group_ranking"]), ("staff", data["staff_ranking"])):
        title = t(f"overview.best_worst_{kind}", period=period)
        figure = fig.ranking(entries, t) if entries else None
        link = group_link if kind == "groups" else staff_link
        rows = [[esc(t(f"overview.{e['side']}")), link(ctx, e["id"], root), fmt_score(e["score"]), grade_cell(e["grade"], t)]
                for e in entries]
        listing = table([(t("col.rank"), "nowrap"), (t("col.name"), ""), (t("col.overall"), "num"), (t("col.grade"), "")],
                        rows) if rows else ""
        rankings.append(charts.card(f"ranking-{kind}", title, figure, t, extra=listing))
    ranking_grid = f'<div class="grid">{"".join(rankings)}</div>'

    excellent = _excellent_communities(ctx, data["excellent_communities"], root)
    groups_list = _groups_list(ctx, data["groups"], data["group_headline_scores"], root)
    staff_list = _staff_list(ctx, data["staff"], data["staff_headline_grades"], root)
    body = "\n".join([
        headline_card, trends, ranking_grid, excellent,
        card(t("overview.all_groups"), groups_list, section_id="groups"),
        card(t("overview.all_staff"), staff_list, section_id="staff"),
    ])
    subtitle = _span(esc(t("footer.as_of", date=ctx.as_of_date)), esc(t("footer.rubric", version=ctx.rubric_version)))
    return Page("index.html", t("overview.title"), subtitle, body, "overview", charts.figures)


def _trend_figure(ctx: SiteContext, trends: dict[str, dict[str, float | None]]) -> fig.Figure | None:
    """Monthly mean score per dimension; `trends[dimension][month]`."""
    if not any(v is not None for series in trends.values() for v in series.values()):
        return None
    series = {dim: [trends.get(dim, {}).get(month) for month in ctx.months] for dim in fig.DIMENSIONS}
    return fig.score_lines(ctx.months, series, ctx.t)


def _excellent_communities(ctx: SiteContext, rows: list[dict], root: str) -> str:
    """Latest quarter's excellent communities; earlier quarters folded away."""
    t = ctx.t
    if not rows:
        return card(t("overview.excellent"), empty(t))
    headers = [(t("col.category"), ""), (t("col.rank"), "num"), (t("col.group"), ""), (t("col.overall"), "num"),
               (t("col.grade"), "")]
    quarters = sorted({r["quarter"] for r in rows}, reverse=True)
    preferred = ctx.headline_quarter if ctx.headline_quarter in quarters else quarters[0]
    parts = []
    for quarter in [preferred, *(q for q in quarters if q != preferred)]:
        body = table(headers, [[esc(t.term("category", r["category"])), fmt_int(r["rank"]), group_link(ctx, r["group_id"], root),
                                fmt_score(r["overall_score"]), grade_cell(r["grade"], t)]
                               for r in rows if r["quarter"] == quarter])
        heading = f"<h3>{quarter_label(ctx, quarter)}</h3>"
        parts.append(heading + body if quarter == preferred
                     else f"<details><summary>{quarter_label(ctx, quarter)}</summary>{body}</details>")
    return card(t("overview.excellent"), "\n".join(parts))


def _groups_list(ctx: SiteContext, groups: list[dict], scores: dict[str, dict], root: str) -> str:
    t = ctx.t
    if not groups:
        return empty(t)
    quarter = ctx.headline_quarter or ""
    headers = [(t("col.id"), "nowrap"), (t("col.name"), ""), (t("col.category"), ""), (t("col.platform"), ""),
               (t("col.owner"), ""), (f"{t('col.overall')} {quarter}", "num"), (t("col.grade"), "")]
    rows = []
    for g in groups:
        s = scores.get(g["group_id"], {})
        rows.append([esc(g["group_id"]), group_link(ctx, g["group_id"], root), esc(t.term("category", g["category"])),
                     esc(t.term("platform", g["platform"])), staff_link(ctx, g["owner_staff_id"], root) if g["owner_staff_id"] else MISSING,
                     fmt_score(s.get("overall_score")), grade_cell(s.get("grade"), t) if s else MISSING])
    return _foldable(t, len(rows), _filter_box(t, "groups-table") + table(headers, rows, table_id="groups-table"))


def _staff_list(ctx: SiteContext, staff: list[dict], grades: dict[str, dict], root: str) -> str:
    t = ctx.t
    if not staff:
        return empty(t)
    quarter = ctx.headline_quarter or ""
    headers = [(t("col.id"), "nowrap"), (t("col.name"), ""), (t("col.role"), ""), (t("col.team"), ""),
               (t("col.manager"), ""), (f"{t('col.overall')} {quarter}", "num"), (t("col.grade"), "")]
    rows = []
    for s in staff:
        g = grades.get(s["staff_id"], {})
        rows.append([esc(s["staff_id"]), staff_link(ctx, s["staff_id"], root), esc(t.term("role", s["role"])), esc(s["team"]),
                     staff_link(ctx, s["manager_id"], root) if s["manager_id"] else MISSING,
                     fmt_score(g.get("overall_score")), grade_cell(g.get("final_grade"), t) if g else MISSING])
    return _foldable(t, len(rows), _filter_box(t, "staff-table") + table(headers, rows, table_id="staff-table"))


def _foldable(t: Labels, rows: int, content: str) -> str:
    """`content` as is, or folded under "Show all N" when the list is long (`OPEN_LIST_ROWS`)."""
    if rows <= OPEN_LIST_ROWS:
        return content
    return f"<details><summary>{esc(t('show_all', n=f'{rows:,}'))}</summary>{content}</details>"


def _filter_box(t: Labels, table_id: str) -> str:
    placeholder = esc(t("filter.placeholder"))
    return (f'<input class="filter" type="search" data-filter="{table_id}" placeholder="{placeholder}" '
            f'aria-label="{placeholder}">')


# --- group page ------------------------------------------------------------------------------------


def group_page(ctx: SiteContext, group: dict, parts: dict[str, list[dict]]) -> Page:
    """One group: scores, activity, hour × weekday, requests against the SLA, unanswered requests,
    violations and actions, member tiers, membership growth. Members appear as counts or pseudonyms."""
    t, root = ctx.t, "../"
    gid = group["group_id"]
    slug = ctx.group_slugs[gid]
    charts = Charts(f"group-{slug}")
    months = ctx.months

    subtitle = _span(
        esc(gid), esc(t.term("category", group["category"])), esc(t.term("platform", group["platform"])),
        f'{esc(t("col.owner"))}: {staff_link(ctx, group["owner_staff_id"], root)}' if group["owner_staff_id"] else "",
        (f'{esc(t("col.assigned"))}: ' + esc(t("list.separator")).join(staff_link(ctx, s, root) for s in group["assigned_staff_ids"]))
        if group["assigned_staff_ids"] else "",
    )
    note = f'<p class="note">{esc(t("group.unassigned_note"))}</p>' if group["category"] == "unassigned" else ""

    scores = [s for s in parts.get("scores", []) if s["period_type"] == "quarter"]
    score_card = card(t("group.scores"), _scores_table(ctx, scores) if scores else empty(t))

    activity = {r["month"]: r for r in parts.get("activity", [])}
    activity_fig = fig.activity(
        months, [activity.get(m, {}).get("member_messages", 0) for m in months],
        [activity.get(m, {}).get("staff_messages", 0) for m in months],
        [activity.get(m, {}).get("active_members", 0) for m in months], t) if activity else None
    cells = parts.get("heatmap", [])
    matrix = [[0] * 24 for _ in range(7)]
    for cell in cells:
        matrix[cell["weekday"] - 1][cell["hour"]] = cell["messages"]
    heatmap_fig = fig.hour_weekday(matrix, ctx.timezone, t) if cells else None

    requests = {r["month"]: r for r in parts.get("requests", [])}
    outcomes_fig = response_fig = None
    if requests:
        outcomes_fig = fig.request_outcomes(months, *([requests.get(m, {}).get(k, 0) for m in months]
                                                      for k in ("within_sla", "late", "unanswered")), t)
        median = [requests.get(m, {}).get("median_general_minutes") for m in months]
        p90 = [requests.get(m, {}).get("p90_general_minutes") for m in months]
        if any(v is not None for v in median):
            response_fig = fig.response_times(months, median, p90, ctx.sla_general_minutes, t)

    unanswered = parts.get("unanswered", [])
    total_unanswered = unanswered[0]["group_total"] if unanswered else 0
    unanswered_rows = [[esc(r["opened_local"]), esc(t.term("request", r["request_type"])), f"<code>{esc(r['member_key'])}</code>",
                        staff_link(ctx, r["attributed_staff_id"], root)] for r in unanswered]
    unanswered_card = card(
        t("group.unanswered", n=len(unanswered), total=total_unanswered),
        table([(t("col.opened"), ""), (t("col.type"), ""), (t("col.member"), ""), (t("col.attributed_to"), "")],
              unanswered_rows) if unanswered else empty(t, "none"),
    )

    violation_counts = {(r["rule"], r["recommended_action"]): r["violations"] for r in parts.get("violations", [])}
    rules = sorted({rule for rule, _ in violation_counts})
    violations_fig = fig.violations(rules, violation_counts, t) if violation_counts else None
    ledger = parts.get("ledger", [])
    ledger_rows = [[esc(r["sent_date"]), esc(t.term("rule", r["rule"])),
                    staff_link(ctx, r["staff_id"], root) if r["sender_kind"] == "staff" and r["staff_id"]
                    else esc(t("member_sender", pseudonym=r["member_key"] or MISSING)),
                    esc(r["matched_text_masked"]), fmt_int(r["offence_number"]), esc(t.term("action", r["recommended_action"]))]
                   for r in ledger]
    ledger_card = card(
        t("group.violation_ledger", n=len(ledger), total=ledger[0]["group_total"] if ledger else 0),
        table([(t("col.date"), ""), (t("col.rule"), ""), (t("col.sender"), ""), (t("col.match"), ""),
               (t("col.offence"), "num"), (t("col.action"), "")], ledger_rows) if ledger else empty(t, "none"),
    )

    tier_counts = {(r["quarter"], r["tier"]): r["members"] for r in parts.get("tiers", [])}
    tiers_fig = fig.member_tiers(ctx.quarters, tier_counts, t) if tier_counts else None
    membership = {r["month"]: r for r in parts.get("membership", [])}
    membership_fig = fig.membership(
        months, [membership.get(m, {}).get("members") for m in months],
        [membership.get(m, {}).get("joins", 0) for m in months],
        [membership.get(m, {}).get("leaves", 0) for m in months], t) if membership else None

    body = "\n".join([
        note, score_card,
        f'<div class="grid">{charts.card("activity", t("group.activity"), activity_fig, t)}'
        f'{charts.card("heatmap", t("group.heatmap"), heatmap_fig, t)}</div>',
        f'<div class="grid">{charts.card("requests", t("group.requests"), outcomes_fig, t)}'
        f'{charts.card("response-times", t("group.response_times"), response_fig, t)}</div>',
        unanswered_card,
        f'<div class="grid">{charts.card("violations", t("group.violations"), violations_fig, t)}'
        f'{charts.card("tiers", t("group.tiers"), tiers_fig, t)}</div>',
        ledger_card,
        f'<div class="grid">{charts.card("membership", t("group.membership"), membership_fig, t)}</div>',
    ])
    title = group["name"] or gid
    return Page(f"groups/{slug}.html", title, subtitle, body, "groups", charts.figures)


def _scores_table(ctx: SiteContext, rows: list[dict]) -> str:
    """Dimension and overall scores per quarter, newest first, with the reason where not rated."""
    t = ctx.t
    headers = [(t("col.period"), "nowrap"), *((t.term("dimension", d), "num") for d in fig.DIMENSIONS),
               (t("col.overall"), "num"), (t("col.grade"), ""), (t("col.not_rated_reason"), "")]
    body = [[quarter_label(ctx, r["period"]), *(fmt_score(r[f"{d}_score"]) for d in fig.DIMENSIONS),
             fmt_score(r["overall_score"]), grade_cell(r["grade"], t), not_rated_reason(ctx, r)]
            for r in sorted(rows, key=lambda r: r["period"], reverse=True)]
    return table(headers, body)


# --- staff page ------------------------------------------------------------------------------------


def staff_page(ctx: SiteContext, person: dict, parts: dict[str, list[dict]]) -> Page:
    """One staff member: scorecard against the role median, grades per quarter, the metric table that
    explains the grade (values, samples, contributions), monthly trend and workload."""
    t, root = ctx.t, "../"
    sid = person["staff_id"]
    slug = ctx.staff_slugs[sid]
    charts = Charts(f"staff-{slug}")
    role = t.term("role", person["role"])
    subtitle = _span(
        esc(sid), esc(role), esc(person["team"]),
        f'{esc(t("col.manager"))}: {staff_link(ctx, person["manager_id"], root)}' if person["manager_id"] else "",
        (f'{esc(t("col.groups"))}: ' + esc(t("list.separator")).join(group_link(ctx, g, root) for g in person["group_ids"]))
        if person["group_ids"] else "",
    )

    grades = sorted(parts.get("grades", []), key=lambda r: r["quarter"], reverse=True)
    headline = next((g for g in grades if g["quarter"] == ctx.headline_quarter), grades[0] if grades else None)
    scorecard_fig = None
    if headline and any(headline[f"{k}_score"] is not None for k in (*fig.DIMENSIONS, "overall")):
        keys = (*fig.DIMENSIONS, "overall")
        scorecard_fig = fig.scorecard({k: headline[f"{k}_score"] for k in keys},
                                      {k: headline[f"role_{k}_score"] for k in keys}, role, t)
    monthly = {r["period"]: r for r in parts.get("scores", []) if r["period_type"] == "month"}
    trend_fig = None
    if any(r["overall_score"] is not None or any(r[f"{d}_score"] is not None for d in fig.DIMENSIONS)
           for r in monthly.values()):
        series = {key: [monthly.get(m, {}).get(f"{key}_score") for m in ctx.months] for key in (*fig.DIMENSIONS, "overall")}
        trend_fig = fig.score_lines(ctx.months, series, t)
    period = headline["quarter"] if headline else MISSING

    grade_headers = [(t("col.period"), "nowrap"), *((t.term("dimension", d), "num") for d in fig.DIMENSIONS),
                     (t("col.overall"), "num"), (t("col.computed_grade"), ""), (t("col.grade"), ""),
                     (t("col.quota_adjusted"), ""), (t("col.not_rated_reason"), "")]
    grade_rows = [[quarter_label(ctx, g["quarter"]), *(fmt_score(g[f"{d}_score"]) for d in fig.DIMENSIONS),
                   fmt_score(g["overall_score"]), grade_cell(g["computed_grade"], t), grade_cell(g["final_grade"], t),
                   esc(t("yes")) if g["quota_adjusted"] else "", not_rated_reason(ctx, g)] for g in grades]
    grades_card = card(t("staff.grades"), table(grade_headers, grade_rows) if grades else empty(t, "staff.not_graded"))

    explanations = parts.get("explanations", [])
    by_quarter: dict[str, list[dict]] = {}
    for row in explanations:
        by_quarter.setdefault(row["quarter"], []).append(row)
    explanation_parts = []
    if headline and headline["quarter"] in by_quarter:
        explanation_parts.append(_explanation(ctx, by_quarter[headline["quarter"]]))
    earlier = [q for q in sorted(by_quarter, reverse=True) if not headline or q != headline["quarter"]]
    for quarter in earlier:
        explanation_parts.append(f"<details><summary>{quarter_label(ctx, quarter)}</summary>"
                                 f"{_explanation(ctx, by_quarter[quarter])}</details>")
    explanation_card = card(t("staff.explanation", period=period),
                            "\n".join(explanation_parts) if explanation_parts else empty(t))

    work = {r["month"]: r for r in parts.get("workload", [])}
    workload_fig = fig.workload(
        ctx.months, *([work.get(m, {}).get(k, 0) for m in ctx.months]
                      for k in ("requests_answered", "requests_unanswered", "staff_messages")), t) if work else None

    body = "\n".join([
        f'<div class="grid">{charts.card("scorecard", t("staff.scorecard", period=period), scorecard_fig, t)}'
        f'{charts.card("trend", t("staff.trend"), trend_fig, t)}</div>',
        grades_card,
        explanation_card,
        f'<div class="grid">{charts.card("workload", t("staff.workload"), workload_fig, t)}</div>',
    ])
    return Page(f"staff/{slug}.html", person["name"] or sid, subtitle, body, "staff", charts.figures)


def _explanation(ctx: SiteContext, rows: list[dict]) -> str:
    """Every metric of one quarter, by dimension in the spec's order then by points, and the metrics
    whose improvement would raise the overall score most (KPI_SPEC §4, §5; the same table as `kpi explain`)."""
    t = ctx.t
    order = {d: i for i, d in enumerate(fig.DIMENSIONS)}
    rows = sorted(rows, key=lambda r: (order.get(r["dimension"], 9), -(r["contribution"] or 0), r["metric"]))
    headers = [(t("metric.col.dimension"), ""), (t("metric.col.metric"), ""), (t("metric.col.value"), "num"),
               (t("metric.col.sample"), "num"), (t("metric.col.range"), "num"), (t("metric.col.sub_score"), "num"),
               (t("metric.col.weight"), "num"), (t("metric.col.points"), "num"), (t("metric.col.status"), "")]
    body, classes = [], []
    for r in rows:
        sample = MISSING if r["sample_size"] is None else (
            f"{r['sample_size']:,}" + (f" / {r['min_sample']:,}" if r["min_sample"] else ""))
        body.append([esc(t.term("dimension", r["dimension"])), esc(t.term("metric", r["metric"])),
                     esc(fmt_metric(r["metric"], r["value"])), esc(sample),
                     esc(f"{fmt_metric(r['metric'], r['floor'])} → {fmt_metric(r['metric'], r['target'])}"),
                     fmt_score(r["sub_score"]), fmt_pct(r["overall_share"]),
                     MISSING if r["contribution"] is None else f"{r['contribution']:.2f}",
                     esc(t.term("status", r["status"]))])
        classes.append("" if r["status"] == "scored" else "muted")
    gains = sorted((r for r in rows if (r["potential_gain"] or 0) > 0), key=lambda r: (-r["potential_gain"], r["metric"]))[:3]
    advice = ""
    if gains:
        advice = f"<h3>{esc(t('staff.raise'))}</h3>" + table(
            [(t("metric.col.metric"), ""), (t("metric.col.value"), "num"), (t("metric.col.range"), "num"),
             (t("metric.col.gain"), "num")],
            [[esc(t.term("metric", r["metric"])), esc(fmt_metric(r["metric"], r["value"])),
              esc(f"{fmt_metric(r['metric'], r['floor'])} → {fmt_metric(r['metric'], r['target'])}"),
              f"+{r['potential_gain']:.2f}"] for r in gains])
    return table(headers, body, row_classes=classes) + advice


# --- data quality ----------------------------------------------------------------------------------


def quality_page(ctx: SiteContext, data: dict) -> Page:
    """Records quarantined per file and why (never the raw record), the SQL check results, and data
    coverage per group and month."""
    t, root, charts = ctx.t, "", Charts("quality")
    inputs, quarantine, checks = data["input_files"], data["quarantine"], data["checks"]
    files = sum(r["files"] for r in inputs)
    quarantined = sum(r["records"] for r in quarantine)
    failed = [c for c in checks if c["failing_rows"]]
    stats = '<div class="cards">' + "".join(
        f'<div class="stat"><span class="value">{esc(v)}</span><span class="label">{esc(k)}</span></div>'
        for k, v in ((t("quality.files"), fmt_int(files)), (t("series.quarantined"), fmt_int(quarantined)),
                     (t("quality.checks"), f"{len(checks) - len(failed)}/{len(checks)} {t('quality.passed')}"))
    ) + "</div>"

    # a check the label table knows is described in the page's language; a new one by its SQL header
    check_rows = [[f"<code>{esc(c['name'])}</code>", f"<code>{esc(c['table'])}</code>",
                   esc(t.term("check", c["name"]) if f"check.{c['name']}" in TEXT else c["description"]),
                   fmt_int(c["failing_rows"]),
                   f'<span class="fail-result">{esc(t("quality.failed"))}</span>' if c["failing_rows"]
                   else f'<span class="pass">{esc(t("quality.passed"))}</span>'] for c in checks]
    checks_card = card(t("quality.checks"), f'<p class="note">{esc(t("quality.checks_note"))}</p>' + (table(
        [(t("quality.check"), ""), (t("quality.table"), ""), (t("quality.description"), ""),
         (t("quality.failing_rows"), "num"), (t("quality.result"), "")], check_rows) if checks else empty(t)))

    kinds = [r["kind"] for r in inputs if r["quarantined"]]
    quarantine_fig = fig.counts_bar([_kind_label(t, k) for k in kinds], [r["quarantined"] for r in inputs if r["quarantined"]],
                                    t("series.quarantined"), t) if kinds else None
    per_file: dict[tuple[str, str], list[dict]] = {}
    for row in quarantine:
        per_file.setdefault((row["source_file"], row["kind"]), []).append(row)
    file_rows = []
    for (source_file, kind), reasons in per_file.items():
        listed = "".join(
            f"<li>{esc(r['reason'])} ×{r['records']:,}: {esc(', '.join(r['first_records']))}"
            f"{' …' if r['records'] > len(r['first_records']) else ''}</li>" for r in reasons[:REASONS_PER_FILE])
        more = (f"<li>{esc(t('quality.more_reasons', n=len(reasons) - REASONS_PER_FILE))}</li>"
                if len(reasons) > REASONS_PER_FILE else "")
        file_rows.append([f"<code>{esc(source_file)}</code>", esc(_kind_label(t, kind)),
                          fmt_int(sum(r["records"] for r in reasons)), f"<ul>{listed}{more}</ul>"])
    quarantine_table = _foldable(t, len(file_rows), table(
        [(t("quality.file"), ""), (t("quality.kind"), ""), (t("col.count"), "num"), (t("quality.reasons"), "")],
        file_rows)) if file_rows else empty(t, "quality.no_quarantine")
    inputs_table = table([(t("quality.input_kind"), ""), (t("quality.files"), "num"), (t("quality.rows"), "num"),
                          (t("series.quarantined"), "num")],
                         [[esc(_kind_label(t, r["kind"])), fmt_int(r["files"]), fmt_int(r["rows"]), fmt_int(r["quarantined"])]
                          for r in inputs]) if inputs else empty(t)

    coverage_fig, coverage_table, shown = _coverage(ctx, data["groups"], data["coverage"], root)
    coverage_title = t("quality.coverage") if shown == len(data["groups"]) else t("quality.coverage_limited", n=shown)
    body = "\n".join([
        stats, checks_card,
        f'<div class="grid">{charts.card("quarantine", t("quality.quarantine_chart"), quarantine_fig, t)}'
        f'{card(t("quality.inputs"), inputs_table)}</div>',
        card(t("quality.quarantine"), quarantine_table),
        f'<div class="grid">{charts.card("coverage", coverage_title, coverage_fig, t)}</div>',
        card(t("quality.coverage_table"), coverage_table),
    ])
    subtitle = _span(esc(t("quality.summary", files=f"{files:,}", records=f"{quarantined:,}")))
    return Page("quality.html", t("quality.title"), subtitle, body, "quality", charts.figures)


def _kind_label(t: Labels, kind: str) -> str:
    return t.term("input", kind)


def _coverage(ctx: SiteContext, groups: list[dict], coverage: dict[str, dict[str, dict]],
              root: str) -> tuple[fig.Figure | None, str, int]:
    """Coverage heatmap (groups × months), the per-group table with the months that have no message,
    and how many groups the heatmap shows."""
    t, months = ctx.t, ctx.months
    if not groups or not months:
        return None, empty(t), len(groups)
    rows, chart_groups = [], []
    for g in groups:
        per_month = coverage.get(g["group_id"], {})
        present = [m for m in months if m in per_month]
        gaps = [m for m in months if m not in per_month]
        first = min((r["first_date"] for r in per_month.values()), default=None)
        last = max((r["last_date"] for r in per_month.values()), default=None)
        rows.append([group_link(ctx, g["group_id"], root), esc(g["group_id"]), f"{len(present)}/{len(months)}",
                     esc(first or MISSING), esc(last or MISSING), esc(", ".join(gaps)) or esc(t("none")),
                     fmt_int(sum(r["messages"] for r in per_month.values()))])
        chart_groups.append((len(present), g["group_id"], g["name"], [per_month.get(m, {}).get("messages") for m in months]))
    if len(chart_groups) > COVERAGE_CHART_GROUPS:
        chart_groups = sorted(chart_groups, key=lambda c: (c[0], c[1]))[:COVERAGE_CHART_GROUPS]
    figure = fig.coverage([c[1] for c in chart_groups], [c[2] for c in chart_groups], months,
                          [c[3] for c in chart_groups], t)
    headers = [(t("col.group"), ""), (t("col.id"), "nowrap"), (t("col.months"), "num"), (t("col.first_day"), "nowrap"),
               (t("col.last_day"), "nowrap"), (t("col.gaps"), ""), (t("col.messages"), "num")]
    listing = _foldable(t, len(rows), _filter_box(t, "coverage-table") + table(headers, rows, table_id="coverage-table"))
    return figure, listing, len(chart_groups)
