"""`kpi explain`: why a staff member or group got its grade, read from marts.fct_score_explanations.

The terminal view an HR partner or team lead reads in a review: the overall score and grade, each
dimension's score, every metric with its value, sample size, floor → target, sub-score and the points
it contributes, metrics that could not be scored and why, and the metrics whose improvement would
raise the overall score most.
"""

from __future__ import annotations

import duckdb
import polars as pl
from rich.console import Group
from rich.table import Table
from rich.text import Text

from pipelines.errors import KpiError

GRADE_ZH = {"excellent": "优秀", "good": "良好", "pass": "合格", "fail": "不合格"}
DIMENSION_NAMES = {
    "activity": "activity 活跃度",
    "content_quality": "content quality 内容质量",
    "resolution": "problem resolution 问题解决",
    "satisfaction": "member satisfaction 满意度",
}
STATUS_WORDS = {
    "insufficient_data": "sample below the rubric minimum",
    "not_applicable": "nothing to measure this period",
    "no_input": "no input provides this metric yet",
}


def explanation(con: duckdb.DuckDBPyConnection, entity_type: str, entity_id: str, period: str) -> pl.DataFrame:
    """The explanation rows of one entity and period; a KpiError naming what exists when none match."""
    rows = con.sql(
        """select * from marts.fct_score_explanations
           where entity_type = $type and entity_id = $id and period = $period
           order by dimension, contribution desc nulls last, metric""",
        params={"type": entity_type, "id": entity_id, "period": period},
    ).pl()
    if rows.height:
        return rows
    periods = [r[0] for r in con.sql(
        "select distinct period from marts.fct_score_explanations where entity_type = $type and entity_id = $id "
        "order by 1", params={"type": entity_type, "id": entity_id}).fetchall()]
    if periods:
        raise KpiError(f"{entity_type} {entity_id} has no scores for {period}; it has: {', '.join(periods)}")
    raise KpiError(f"no {entity_type} {entity_id!r} in the warehouse; check the id (config/"
                   f"{'roster' if entity_type == 'staff' else 'groups'}.csv) and that `kpi run` has run")


def render(rows: pl.DataFrame, scores: dict, weights: dict[str, float], title: str, top: int = 3) -> Group:
    """Rich renderables for one entity-period's explanation."""
    first = rows.row(0, named=True)
    grade = first["grade"]
    headline = Text(title, style="bold")
    if grade:
        headline.append(f"\noverall {first['overall_score']:.2f} → {grade} {GRADE_ZH.get(grade, '')}", style="bold")
    else:
        headline.append(f"\nnot rated: {scores.get('not_rated_reason') or 'no overall score'}", style="yellow")
    headline.append(f"   (rubric {first['rubric_version']})", style="dim")

    dims = Table("dimension", "weight", "score", box=None, title="dimensions", title_justify="left")
    for dim, name in DIMENSION_NAMES.items():
        if dim in weights:
            score = scores.get(f"{dim}_score")
            dims.add_row(name, f"{weights[dim]:.2f}",
                         "— (no scored metric: its weight goes to the others)" if score is None else f"{score:.2f}")

    metrics = Table("dimension", "metric", "value", "n", "floor → target", "sub-score", "points", box=None,
                    title="metrics (points = contribution to the overall score)", title_justify="left")
    for row in rows.filter(pl.col("status") == "scored").iter_rows(named=True):
        metrics.add_row(row["dimension"], row["metric"], _number(row["value"]), str(row["sample_size"]),
                        f"{_number(row['floor'])} → {_number(row['target'])}", f"{row['sub_score']:.1f}",
                        f"{row['contribution']:.2f}")
    unscored = rows.filter(pl.col("status") != "scored")
    skipped = Table("metric", "why not scored", "value", "n / minimum", box=None,
                    title="not scored (their weight goes to the other metrics)", title_justify="left")
    for row in unscored.iter_rows(named=True):
        skipped.add_row(row["metric"], STATUS_WORDS.get(row["status"], row["status"]), _number(row["value"]),
                        f"{row['sample_size']} / {row['min_sample']}")

    gains = rows.filter(pl.col("potential_gain") > 0).sort("potential_gain", descending=True).head(top)
    advice = Table("metric", "now", "target", "overall would gain", box=None,
                   title=f"what would raise the score most (top {top})", title_justify="left")
    for row in gains.iter_rows(named=True):
        advice.add_row(row["metric"], _number(row["value"]), _number(row["target"]), f"+{row['potential_gain']:.2f}")
    parts = [headline, dims, metrics]
    if unscored.height:
        parts.append(skipped)
    if gains.height:
        parts.append(advice)
    return Group(*[item for part in parts for item in (part, Text(""))])


def _number(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"
