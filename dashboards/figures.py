"""Pure chart builders: plain Python data -> a plotly figure as a dict (`{"data": [...], "layout": {...}}`).

Why dicts and not `plotly.graph_objects.Figure`: a site for 2,000 groups and 5,000 staff draws tens of
thousands of charts, and building and validating a `Figure` costs milliseconds each, most of the
generation time. The dicts use only cartesian trace types (`bar`, `scatter`, `heatmap`) and plain
layout keys; tests/test_dashboards.py validates every figure of a generated site with
`go.Figure(...)`, so a typo in a key fails a test instead of silently drawing nothing. They are
serialised with plotly's own JSON encoder (`to_json`), which also makes them safe inside `<script>`.

Every function is deterministic: no random ids, series in the order given (callers sort), one
explicit look instead of a plotly.py template (a template would add ~5 KB of JSON to every chart).
Text that comes from the data (names, ids) goes through `plot_text`, because plotly.js draws strings
as a pseudo-HTML subset; labels come from `dashboards.i18n`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from plotly.io.json import to_json_plotly

from dashboards.i18n import Labels

Figure = dict

#: Fixed display order of the grade bands (KPI_SPEC §5), best first; `not_rated` is a null grade.
GRADE_ORDER: Final = ("excellent", "good", "pass", "fail", "not_rated")

GRADE_COLOURS: Final = {
    "excellent": "#1b7f3b",
    "good": "#2f6fb3",
    "pass": "#d39b1a",
    "fail": "#c0392b",
    "not_rated": "#9aa3ab",
}

#: The four assessment dimensions (KPI_SPEC §4) in the spec's order; score columns are `<dimension>_score`.
DIMENSIONS: Final = ("activity", "content_quality", "resolution", "satisfaction")

DIMENSION_COLOURS: Final = {
    "activity": "#2f6fb3",
    "content_quality": "#8e44ad",
    "resolution": "#1b7f3b",
    "satisfaction": "#d39b1a",
    "overall": "#1f2933",
}

TIER_ORDER: Final = ("opinion_leader", "core", "active", "ordinary")
TIER_COLOURS: Final = {"opinion_leader": "#8e44ad", "core": "#1b7f3b", "active": "#2f6fb3", "ordinary": "#c3cad1"}

ACTION_ORDER: Final = ("warning", "restrict", "remove")
ACTION_COLOURS: Final = {"warning": "#e0b03c", "restrict": "#e67e22", "remove": "#c0392b"}

OUTCOME_COLOURS: Final = {"within_sla": "#1b7f3b", "late": "#e0b03c", "unanswered": "#c0392b"}

#: Fonts: installed faces only, nothing fetched. Chinese pages put the CJK faces first so Latin digits
#: and Chinese share one design; English pages lead with the system UI face and fall back to the CJK
#: faces for Chinese names. (Noto Sans CJK SC is Debian's fonts-noto-cjk, which `make test` installs.)
CJK_FONTS: Final = '"Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", "Hiragino Sans GB"'
FONT_STACKS: Final = {
    "en": f'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, {CJK_FONTS}, sans-serif',
    "zh": f'{CJK_FONTS}, system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif',
}

TEXT_COLOUR: Final = "#1f2933"
GRID_COLOUR: Final = "#e4e7eb"


def plot_text(value: object) -> str:
    """Data text made literal for plotly.js.

    plotly.js reads a pseudo-HTML subset (`<b>`, `<br>`, `<a href>`) in every string it draws and
    decodes `&amp;`/`&lt;`/`&gt;`, so escaping those three shows a name exactly as typed and keeps a
    hostile one inert. Quotes stay: plotly.js does not decode `&quot;`.
    """
    if value is None:
        return ""
    return str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_json(figure: Figure) -> str:
    """The figure as compact JSON, by plotly's own encoder: it writes `<`, `>` and `/` as `\\u003c`,
    `\\u003e`, `\\u002f`, so no string in it can close the `<script>` element the page embeds it in."""
    return to_json_plotly(figure, engine="json")


def score(value: float | None) -> float | None:
    """A 0–100 score or rate rounded for charts: one decimal is what people read, and short JSON."""
    return None if value is None else round(value, 1)


def _layout(t: Labels, *, height: int, **extra: object) -> dict:
    """The shared look; every chart sets its own height so the page does not jump while it draws."""
    layout = {
        "height": height,
        "font": {"family": FONT_STACKS[t.lang], "size": 12, "color": TEXT_COLOUR},
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "margin": {"l": 56, "r": 16, "t": 36, "b": 40},
        "hoverlabel": {"align": "left"},
        # legend above the plot: below it, it would collide with the x axis title
        "legend": {"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"},
        "xaxis": {"gridcolor": GRID_COLOUR, "linecolor": GRID_COLOUR, "automargin": True},
        "yaxis": {"gridcolor": GRID_COLOUR, "linecolor": GRID_COLOUR, "zerolinecolor": GRID_COLOUR, "automargin": True},
    }
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(layout.get(key), dict):
            layout[key] = {**layout[key], **value}
        else:
            layout[key] = value
    return layout


def _right_axis(title: str) -> dict:
    """A second y axis on the right for a count line over bars: its own ticks (synchronised to the left
    axis it would read 26.3 members) and no grid of its own."""
    return {"title": {"text": title}, "overlaying": "y", "side": "right", "rangemode": "tozero", "showgrid": False,
            "tickmode": "auto"}


def _count_ticks(most: int) -> dict:
    """Whole-number ticks for a count axis: one per unit when counts are small (plotly would otherwise
    put ticks at 0.2, 0.4 …), plotly's own choice above that."""
    return {"rangemode": "tozero", "dtick": 1} if most <= 8 else {"rangemode": "tozero"}


def _category_axis(values: Sequence[str]) -> dict:
    """A category axis in exactly the given order (plotly would otherwise sort or reorder)."""
    return {"type": "category", "categoryorder": "array", "categoryarray": list(values)}


def grade_distribution(quarters: Sequence[str], counts: dict[tuple[str, str], int], t: Labels) -> Figure:
    """Staff per final grade and quarter, stacked, bands in the fixed order; empty bands are left out
    of the legend but every quarter keeps its place."""
    grades = [g for g in GRADE_ORDER if any(counts.get((q, g)) for q in quarters)]
    data = [
        {
            "type": "bar",
            "name": t.term("grade", grade),
            "x": list(quarters),
            "y": [counts.get((quarter, grade), 0) for quarter in quarters],
            "marker": {"color": GRADE_COLOURS[grade]},
            "hovertemplate": f"%{{x}} · {t.term('grade', grade)}: %{{y}}<extra></extra>",
        }
        for grade in grades
    ]
    return {"data": data, "layout": _layout(t, height=320, barmode="stack", xaxis=_category_axis(quarters),
                                            yaxis={"title": {"text": t("staff_count")}})}


def score_lines(months: Sequence[str], series: dict[str, Sequence[float | None]], t: Labels) -> Figure:
    """One line per dimension (and `overall` when given) over months, on the 0–100 score scale.
    Gaps stay gaps: a month without a score is not drawn as zero."""
    data = []
    for key, values in series.items():
        name = t("series.overall") if key == "overall" else t.term("dimension", key)
        data.append({
            "type": "scatter",
            "mode": "lines+markers",
            "name": name,
            "x": list(months),
            "y": [score(v) for v in values],
            "line": {"color": DIMENSION_COLOURS[key], "width": 3 if key == "overall" else 2},
            "hovertemplate": f"%{{x}} · {name}: %{{y:.1f}}<extra></extra>",
        })
    return {"data": data, "layout": _layout(t, height=320, xaxis=_category_axis(months),
                                            yaxis={"range": [0, 105], "title": {"text": t("score_axis")}})}


def ranking(entries: Sequence[dict], t: Labels) -> Figure:
    """Horizontal bars of overall scores, entries in the given order (best first), coloured by grade.

    Bars are keyed by id and labelled with the name, so two entities with the same name keep
    separate bars. `entries`: dicts with `id`, `name`, `score`, `grade`.
    """
    ids = [plot_text(e["id"]) for e in entries]
    data = []
    for grade in GRADE_ORDER:
        rows = [e for e in entries if (e["grade"] or "not_rated") == grade]
        if not rows:
            continue
        data.append({
            "type": "bar",
            "orientation": "h",
            "name": t.term("grade", grade),
            "x": [score(e["score"]) for e in rows],
            "y": [plot_text(e["id"]) for e in rows],
            "customdata": [plot_text(e["name"]) for e in rows],
            "marker": {"color": GRADE_COLOURS[grade]},
            "text": [f"{score(e['score']):.1f}" for e in rows],
            "textposition": "inside",
            "insidetextanchor": "end",
            "hovertemplate": "%{customdata} (%{y})<br>%{x:.1f}<extra></extra>",
        })
    axis = {
        **_category_axis(ids),
        "tickmode": "array",
        "tickvals": ids,
        "ticktext": [plot_text(e["name"]) or plot_text(e["id"]) for e in entries],
        "autorange": "reversed",
    }
    return {"data": data, "layout": _layout(t, height=80 + 28 * len(entries), barmode="overlay", yaxis=axis,
                                            xaxis={"range": [0, 100], "title": {"text": t("score_axis")}})}


def activity(months: Sequence[str], member_messages: Sequence[int], staff_messages: Sequence[int],
             active_members: Sequence[int], t: Labels) -> Figure:
    """Member and staff messages per month (stacked bars) with active members as a line on its own axis."""
    return _stacked_bars_and_line(
        months,
        [(t("series.member_messages"), member_messages, "#2f6fb3"), (t("series.staff_messages"), staff_messages, "#9ec3e6")],
        (t("series.active_members"), active_members, "#d35400"),
        t("messages_axis"), t("members_axis"), t,
    )


def hour_weekday(matrix: Sequence[Sequence[int]], timezone: str, t: Labels) -> Figure:
    """Messages by ISO weekday (rows, Monday on top) and local hour (columns 0–23)."""
    weekdays = [t(f"weekday.{day}") for day in range(1, 8)]
    data = [{
        "type": "heatmap",
        "z": [list(row) for row in matrix],
        "x": list(range(24)),
        "y": weekdays,
        "colorscale": [[0, "#f5f7fa"], [1, "#1f4e79"]],
        "hovertemplate": "%{y} %{x}:00 · %{z}<extra></extra>",
        "colorbar": {"title": {"text": t("messages_axis")}, "thickness": 12},
        "xgap": 1,
        "ygap": 1,
    }]
    return {"data": data, "layout": _layout(
        t, height=300, xaxis={"title": {"text": t("hour_axis", tz=timezone)}, "dtick": 2, "showgrid": False},
        yaxis={**_category_axis(weekdays), "autorange": "reversed", "showgrid": False},
    )}


def request_outcomes(months: Sequence[str], within_sla: Sequence[int], late: Sequence[int],
                     unanswered: Sequence[int], t: Labels) -> Figure:
    """Requests per month by outcome: answered within the SLA, answered late, unanswered (stacked)."""
    series = (("within_sla", "series.within_sla", within_sla), ("late", "series.late", late),
              ("unanswered", "series.unanswered", unanswered))
    data = [
        {"type": "bar", "name": t(label), "x": list(months), "y": list(values),
         "marker": {"color": OUTCOME_COLOURS[key]}, "hovertemplate": "%{x}: %{y}<extra>%{fullData.name}</extra>"}
        for key, label, values in series
    ]
    return {"data": data, "layout": _layout(t, height=320, barmode="stack", xaxis=_category_axis(months),
                                            yaxis={"title": {"text": t("requests_axis")}})}


def response_times(months: Sequence[str], median: Sequence[float | None], p90: Sequence[float | None],
                   sla_minutes: float, t: Labels) -> Figure:
    """Median and 90th-percentile business-minute response times per month, with the SLA as a dashed
    line. The y axis is logarithmic: a few overnight answers (hundreds of minutes) would otherwise
    flatten the minutes that matter against a 60-minute SLA."""
    sla = t("series.sla", minutes=f"{sla_minutes:g}")
    data = [
        {"type": "scatter", "mode": "lines+markers", "name": t("series.median"), "x": list(months),
         "y": [score(v) for v in median], "line": {"color": "#2f6fb3", "width": 2},
         "hovertemplate": "%{x}: %{y:.1f}<extra>%{fullData.name}</extra>"},
        {"type": "scatter", "mode": "lines+markers", "name": t("series.p90"), "x": list(months),
         "y": [score(v) for v in p90], "line": {"color": "#8e44ad", "width": 2, "dash": "dot"},
         "hovertemplate": "%{x}: %{y:.1f}<extra>%{fullData.name}</extra>"},
        {"type": "scatter", "mode": "lines", "name": sla, "x": list(months), "y": [sla_minutes] * len(months),
         "line": {"color": "#c0392b", "width": 2, "dash": "dash"}, "hoverinfo": "skip"},
    ]
    return {"data": data, "layout": _layout(t, height=320, xaxis=_category_axis(months),
                                            yaxis={"type": "log", "dtick": 1, "title": {"text": t("minutes_axis")}})}


def violations(rules: Sequence[str], counts: dict[tuple[str, str], int], t: Labels) -> Figure:
    """Violations per rule (bars), stacked by the recommended action (KPI_SPEC §4.2)."""
    labels = [t.term("rule", rule) for rule in rules]
    actions = [a for a in ACTION_ORDER if any(counts.get((r, a)) for r in rules)]
    actions += sorted({a for (_, a) in counts} - set(ACTION_ORDER))
    data = [
        {"type": "bar", "name": t.term("action", action), "x": labels,
         "y": [counts.get((rule, action), 0) for rule in rules],
         "marker": {"color": ACTION_COLOURS.get(action, "#616e7c")},
         "hovertemplate": "%{x}: %{y}<extra>%{fullData.name}</extra>"}
        for action in actions
    ]
    most = max((sum(counts.get((rule, a), 0) for a in actions) for rule in rules), default=0)
    return {"data": data, "layout": _layout(t, height=300, barmode="stack", bargap=0.45, xaxis=_category_axis(labels),
                                            yaxis={"title": {"text": t("count_axis")}, **_count_ticks(most)})}


def member_tiers(quarters: Sequence[str], counts: dict[tuple[str, str], int], t: Labels) -> Figure:
    """Members per tier and quarter (stacked), opinion leaders on top of the stack's legend."""
    tiers = [tier for tier in TIER_ORDER if any(counts.get((q, tier)) for q in quarters)]
    data = [
        {"type": "bar", "name": t.term("tier", tier), "x": list(quarters),
         "y": [counts.get((quarter, tier), 0) for quarter in quarters],
         "marker": {"color": TIER_COLOURS[tier]}, "hovertemplate": "%{x}: %{y}<extra>%{fullData.name}</extra>"}
        for tier in reversed(tiers)
    ]
    return {"data": data, "layout": _layout(t, height=300, barmode="stack", xaxis=_category_axis(quarters),
                                            yaxis={"title": {"text": t("members_axis")}})}


def membership(months: Sequence[str], members: Sequence[int | None], joins: Sequence[int],
               leaves: Sequence[int], t: Labels) -> Figure:
    """Members at month end (line) over joins (bars up) and leaves (bars down). Exports without
    membership events (WeCom archives) have neither: then the line stands alone on one axis rather
    than over an empty −1…1 bar axis."""
    members_line = {"type": "scatter", "mode": "lines+markers", "name": t("series.members"), "x": list(months),
                    "y": list(members), "line": {"color": "#2f6fb3", "width": 2},
                    "hovertemplate": "%{x}: %{y}<extra>%{fullData.name}</extra>"}
    if not any(joins) and not any(leaves):
        return {"data": [members_line], "layout": _layout(
            t, height=320, xaxis=_category_axis(months),
            yaxis={"title": {"text": t("members_axis")}, **_count_ticks(max((m or 0 for m in members), default=0))})}
    data = [
        {"type": "bar", "name": t("series.joins"), "x": list(months), "y": list(joins),
         "marker": {"color": "#1b7f3b"}, "hovertemplate": "%{x}: %{y}<extra>%{fullData.name}</extra>"},
        {"type": "bar", "name": t("series.leaves"), "x": list(months), "y": [-n for n in leaves],
         "customdata": list(leaves), "marker": {"color": "#c0392b"},
         "hovertemplate": "%{x}: %{customdata}<extra>%{fullData.name}</extra>"},
        {**members_line, "yaxis": "y2"},
    ]
    return {"data": data, "layout": _layout(
        t, height=320, barmode="relative", xaxis=_category_axis(months),
        yaxis={"title": {"text": t("count_axis")}},
        yaxis2=_right_axis(t("members_axis")),
        margin={"r": 56},
    )}


def scorecard(own: dict[str, float | None], role_median: dict[str, float | None], role: str, t: Labels) -> Figure:
    """The staff member's dimension and overall scores next to the median of their role, as horizontal
    grouped bars (dimension names are long in English; horizontal bars never cut them)."""
    keys = [*DIMENSIONS, "overall"]
    labels = [t("series.overall") if k == "overall" else t.term("dimension", k) for k in keys]
    data = [
        {"type": "bar", "orientation": "h", "name": name, "y": labels, "x": [score(values.get(k)) for k in keys],
         "marker": {"color": colour}, "text": [_score_text(values.get(k)) for k in keys], "textposition": "outside",
         "cliponaxis": False, "hovertemplate": "%{y}: %{x:.1f}<extra>%{fullData.name}</extra>"}
        for name, values, colour in ((t("series.this_staff"), own, "#2f6fb3"),
                                     (t("series.role_median", role=plot_text(role)), role_median, "#c3cad1"))
    ]
    return {"data": data, "layout": _layout(
        t, height=340, barmode="group", yaxis={**_category_axis(labels), "autorange": "reversed"},
        xaxis={"range": [0, 112], "title": {"text": t("score_axis")}}, legend={"traceorder": "normal"})}


def workload(months: Sequence[str], answered: Sequence[int], unanswered: Sequence[int],
             messages: Sequence[int], t: Labels) -> Figure:
    """Requests answered and unanswered-as-owner per month (stacked bars), own messages as a line."""
    return _stacked_bars_and_line(
        months,
        [(t("series.requests_responded"), answered, "#1b7f3b"), (t("series.requests_unanswered"), unanswered, "#c0392b")],
        (t("series.staff_messages_own"), messages, "#2f6fb3"),
        t("requests_axis"), t("messages_axis"), t,
    )


def _stacked_bars_and_line(months: Sequence[str], bars: list[tuple[str, Sequence[int], str]],
                           line: tuple[str, Sequence[int], str], left_title: str, right_title: str,
                           t: Labels) -> Figure:
    """Monthly counts as stacked bars (name, values, colour) and one more series as a line on a right axis."""
    hover = "%{x}: %{y}<extra>%{fullData.name}</extra>"
    data = [{"type": "bar", "name": name, "x": list(months), "y": list(values), "marker": {"color": color},
             "hovertemplate": hover} for name, values, color in bars]
    name, values, color = line
    data.append({"type": "scatter", "mode": "lines+markers", "name": name, "x": list(months), "y": list(values),
                 "yaxis": "y2", "line": {"color": color, "width": 2}, "hovertemplate": hover})
    return {"data": data, "layout": _layout(
        t, height=320, barmode="stack", xaxis=_category_axis(months),
        yaxis={"title": {"text": left_title}}, yaxis2=_right_axis(right_title), margin={"r": 56},
    )}


def coverage(group_ids: Sequence[str], names: Sequence[str | None], months: Sequence[str],
             matrix: Sequence[Sequence[int | None]], t: Labels) -> Figure:
    """Counted messages per group (rows, in the given order) and month; an empty cell is a month
    without a single message, which is what a reader of this chart is looking for."""
    ids = [plot_text(g) for g in group_ids]
    data = [{
        "type": "heatmap",
        "z": [list(row) for row in matrix],
        "x": list(months),
        "y": ids,
        "customdata": [[plot_text(name) or plot_text(gid)] * len(months) for gid, name in zip(group_ids, names)],
        "colorscale": [[0, "#dbe8f5"], [1, "#1f4e79"]],
        "hoverongaps": False,
        "hovertemplate": "%{customdata} (%{y}) · %{x}: %{z}<extra></extra>",
        "colorbar": {"title": {"text": t("messages_axis")}, "thickness": 12},
        "xgap": 2,
        "ygap": 2,
    }]
    axis = {
        **_category_axis(ids), "tickmode": "array", "tickvals": ids,
        "ticktext": [plot_text(name) or plot_text(gid) for gid, name in zip(group_ids, names)],
        "autorange": "reversed", "showgrid": False,
    }
    return {"data": data, "layout": _layout(t, height=90 + 22 * len(group_ids), yaxis=axis,
                                            xaxis={**_category_axis(months), "side": "top", "showgrid": False},
                                            margin={"t": 40, "b": 16})}


def counts_bar(labels: Sequence[str], values: Sequence[int], axis_title: str, t: Labels) -> Figure:
    """A plain bar per label (labels are already words, not data text)."""
    data = [{"type": "bar", "x": list(labels), "y": list(values), "marker": {"color": "#d39b1a"},
             "text": [str(v) for v in values], "textposition": "outside", "cliponaxis": False,
             "hovertemplate": "%{x}: %{y}<extra></extra>"}]
    return {"data": data, "layout": _layout(t, height=280, xaxis=_category_axis(labels),
                                            yaxis={"title": {"text": axis_title}, "rangemode": "tozero"},
                                            showlegend=False)}


def _score_text(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"
