"""Pure figure builders for the manager dashboard: one quarter's staff grades -> plotly Figure.

Input is the staff grades table (one row per staff member per quarter, KPI_SPEC §6) already
filtered to a single quarter; the renderer does the per-quarter split. Every function here is pure
and deterministic (explicit template, explicit sort with `staff_id` as the tie-break, no ids or
timestamps) so the rendered page is byte-identical for identical input.

Labels for both page languages live in `TRANSLATIONS` so the charts and the page that embeds them
can never disagree on a word.
"""

from __future__ import annotations

from typing import Final, Literal

import plotly.graph_objects as go
import polars as pl

Lang = Literal["en", "zh"]

#: Fixed display order of the grade bands (KPI_SPEC §5), best first; `not_rated` is a null
#: `final_grade`. A fixed order keeps quarters comparable at a glance even when a band is empty.
GRADE_ORDER: Final = ("excellent", "good", "pass", "fail", "not_rated")

#: One colour per grade, shared by the charts and the table's grade markers.
GRADE_COLOURS: Final = {
    "excellent": "#1b7f3b",
    "good": "#2f6fb3",
    "pass": "#d39b1a",
    "fail": "#c0392b",
    "not_rated": "#9aa3ab",
}

#: The four assessment dimensions (KPI_SPEC §4), in the order the spec lists them.
DIMENSIONS: Final = (
    "activity_score",
    "content_quality_score",
    "resolution_score",
    "satisfaction_score",
)

#: System UI fonts first, then the common Simplified Chinese faces on macOS, Windows and Linux, so
#: names and labels render in a proper CJK face offline without shipping a web font.
FONT_STACK: Final = (
    'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, '
    '"PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC", '
    '"Source Han Sans SC", sans-serif'
)

#: Shown where a score is null (dimension without enough data, or staff member not rated).
MISSING: Final = "—"

TRANSLATIONS: Final[dict[str, dict[str, str]]] = {
    "en": {
        "page_title": "Community KPI · Staff grades",
        "heading": "Staff grades",
        "quarters": "Quarters",
        "summary": "{staff} staff · {rated} rated · rubric {rubric}",
        "no_data": "No grades to show.",
        "grade_distribution": "Grade distribution",
        "overall_by_staff": "Overall score by staff member",
        "staff_table": "Staff",
        "staff_count": "Staff members",
        "score_axis": "Overall score (0–100)",
        "name": "Name",
        "team": "Team",
        "role": "Role",
        "activity_score": "Activity",
        "content_quality_score": "Content quality",
        "resolution_score": "Resolution",
        "satisfaction_score": "Satisfaction",
        "overall_score": "Overall",
        "grade": "Grade",
        "not_rated_reason": "Not-rated reason",
        "excellent": "Excellent",
        "good": "Good",
        "pass": "Pass",
        "fail": "Fail",
        "not_rated": "Not rated",
    },
    "zh": {
        "page_title": "社群 KPI · 员工考核",
        "heading": "员工考核等级",
        "quarters": "季度",
        "summary": "共 {staff} 人 · 已评级 {rated} 人 · 评分标准 {rubric}",
        "no_data": "暂无考核数据。",
        "grade_distribution": "等级分布",
        "overall_by_staff": "员工综合得分",
        "staff_table": "员工明细",
        "staff_count": "人数",
        "score_axis": "综合得分（0–100）",
        "name": "姓名",
        "team": "团队",
        "role": "岗位",
        "activity_score": "活跃度",
        "content_quality_score": "内容质量",
        "resolution_score": "问题解决",
        "satisfaction_score": "满意度",
        "overall_score": "综合得分",
        "grade": "等级",
        "not_rated_reason": "未评级原因",
        "excellent": "优秀",
        "good": "良好",
        "pass": "合格",
        "fail": "不合格",
        "not_rated": "未评级",
    },
}


def labels(lang: str) -> dict[str, str]:
    """The label set for `lang`; fails loudly so a typo never yields a half-English page."""
    try:
        return TRANSLATIONS[lang]
    except KeyError:
        expected = sorted(TRANSLATIONS)
        raise ValueError(f"unsupported dashboard language {lang!r}; expected one of {expected}") from None


def grade_key() -> pl.Expr:
    """`final_grade` with null spelled `not_rated`, so 'not rated' is a band like the others."""
    return pl.col("final_grade").fill_null("not_rated")


def format_score(column: str) -> pl.Expr:
    """A 0–100 score as text with one decimal, or `MISSING`.

    Every score on the page (table, hover, bar labels) is formatted here, so they agree to the
    digit; half away from zero is the rounding people check by hand (91.25 -> 91.3).
    """
    return pl.col(column).round(1, mode="half_away_from_zero").cast(pl.String).fill_null(MISSING)


def plot_text(column: str) -> pl.Expr:
    """Data text made literal for plotly.js.

    plotly.js reads a pseudo-HTML subset (`<b>`, `<br>`, `<a href>`) in every string it draws and
    decodes `&amp;`/`&lt;`/`&gt;`, so escaping those three shows a name exactly as typed and keeps a
    hostile one inert. Quotes stay as they are: plotly.js does not decode `&quot;`.
    """
    return (
        pl.col(column)
        .fill_null("")
        .str.replace_all("&", "&amp;", literal=True)
        .str.replace_all("<", "&lt;", literal=True)
        .str.replace_all(">", "&gt;", literal=True)
    )


def rank_staff(grades: pl.DataFrame) -> pl.DataFrame:
    """Staff best first; unscored last; ties by `staff_id` so equal scores never swap between runs."""
    return grades.sort(
        ["overall_score", "staff_id"], descending=[True, False], nulls_last=True, maintain_order=True
    )


def _layout(*, height: int) -> go.Layout:
    """Shared look. The template is named explicitly so a global `pio.templates.default` set
    elsewhere in the process cannot change the output."""
    return go.Layout(
        template="plotly_white",
        height=height,
        font={"family": FONT_STACK, "size": 13, "color": "#1f2933"},
        margin={"l": 10, "r": 20, "t": 40, "b": 40},
        hoverlabel={"align": "left"},
    )


def grade_distribution_figure(grades: pl.DataFrame, lang: str = "en") -> go.Figure:
    """Bar chart of staff counts per final grade, in the fixed band order with empty bands as 0."""
    text = labels(lang)
    counts = dict(grades.group_by(grade_key().alias("grade")).len().iter_rows())
    values = [counts.get(grade, 0) for grade in GRADE_ORDER]
    bar = go.Bar(
        x=[text[grade] for grade in GRADE_ORDER],
        y=values,
        marker={"color": [GRADE_COLOURS[grade] for grade in GRADE_ORDER]},
        text=values,
        textposition="outside",
        cliponaxis=False,
        hovertemplate=f"%{{x}}<br>{text['staff_count']}: %{{y}}<extra></extra>",
    )
    figure = go.Figure(bar, layout=_layout(height=320))
    # Counts are printed on the bars, so the y axis only needs headroom for those labels.
    figure.update_yaxes(range=[0, max(values, default=0) * 1.15 + 1], visible=False)
    figure.update_xaxes(type="category", title=None)
    return figure


def overall_score_figure(grades: pl.DataFrame, lang: str = "en") -> go.Figure:
    """Horizontal bars of each scored staff member's overall score, best at the top, coloured by
    final grade (one trace per grade, so the legend doubles as the colour key).

    Bars are keyed by `staff_id` and labelled with the name, so two people with the same name
    keep separate bars. Hover shows team and the four dimension scores: the why behind the grade.
    """
    text = labels(lang)
    scores = ("overall_score", *DIMENSIONS)
    ranked = (
        rank_staff(grades)
        .filter(pl.col("overall_score").is_not_null())
        .with_columns(
            grade_key().alias("grade"),
            plot_text("name").alias("name_text"),
            plot_text("team").alias("team_text"),
            *(format_score(score).alias(f"{score}_text") for score in scores),
        )
    )
    # customdata = [name, team, overall, *dimensions], all pre-escaped / pre-formatted text.
    hover_columns = ["name_text", "team_text", *(f"{score}_text" for score in scores)]
    hover_lines = [
        "<b>%{customdata[0]}</b> · %{customdata[1]}",
        *(f"{text[score]}: %{{customdata[{i}]}}" for i, score in enumerate(scores, start=2)),
    ]

    figure = go.Figure(layout=_layout(height=max(220, 90 + 26 * ranked.height)))
    for grade in GRADE_ORDER:
        rows = ranked.filter(pl.col("grade") == grade)
        if rows.is_empty():
            continue
        figure.add_trace(
            go.Bar(
                orientation="h",
                name=text[grade],
                x=rows["overall_score"].to_list(),
                y=rows["staff_id"].to_list(),
                marker={"color": GRADE_COLOURS[grade]},
                customdata=rows.select(hover_columns).rows(),
                hovertemplate="<br>".join(hover_lines) + "<extra></extra>",
                texttemplate="%{customdata[2]}",
                textposition="inside",
                insidetextanchor="end",
            )
        )
    staff_ids = ranked["staff_id"].to_list()
    figure.update_yaxes(
        type="category",
        categoryorder="array",
        categoryarray=staff_ids,
        tickmode="array",
        tickvals=staff_ids,
        ticktext=ranked["name_text"].to_list(),
        autorange="reversed",
    )
    figure.update_xaxes(range=[0, 100], title={"text": text["score_axis"]})
    figure.update_layout(
        barmode="overlay",
        legend={"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"},
        margin={"t": 50},
    )
    return figure
