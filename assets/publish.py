"""Published outputs: the HR grade file per quarter and the managers' dashboard.

Publishing reads marts only, behind the blocking checks on them, and writes each file to a temporary
name first and renames it into place, so a failed run never leaves a half-written file where HR
or a manager would pick it up.
"""


import os
from pathlib import Path

import dagster as dg
import polars as pl

from dashboards.render import write_site
from pipelines.partitions import quarter_from_partition_key, quarterly_partitions
from pipelines.resources import ProjectPaths, Warehouse

#: KPI_SPEC §6 columns, in the order HR sees them.
HR_COLUMNS = [
    "staff_id", "name", "role", "team", "quarter",
    "activity_score", "content_quality_score", "resolution_score", "satisfaction_score",
    "overall_score", "computed_grade", "final_grade", "not_rated_reason", "quota_adjusted",
    "rubric_version", "revision",
    "staff_messages", "active_day_ratio", "business_days", "group_coverage", "assigned_groups",
    "requests", "response_rate", "sla_rate", "median_response_business_minutes", "responded_requests",
    "resolution_rate", "violation_rate", "audit_pass_rate", "reviewed_posts", "csat_rate", "survey_responses",
    "evaluation_score", "evaluation_ratings",
]


def grades_for_quarter(con, quarter: str) -> pl.DataFrame:
    return con.sql(
        "select * from marts.fct_grades__staff where quarter = $quarter order by staff_id",
        params={"quarter": quarter},
    ).pl()


def complete_quarters(con) -> list[str]:
    rows = con.execute(
        "select period from intermediate.int_periods where period_type = 'quarter' and is_complete order by period"
    ).fetchall()
    return [row[0] for row in rows]


def write_atomically(path: Path, write) -> None:
    """Call `write(tmp_path)`, then move the result over `path` in one rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    write(tmp)
    os.replace(tmp, path)


@dg.asset(
    key=["publish", "hr_grades"],
    deps=[["marts", "fct_grades__staff"], ["intermediate", "int_periods"]],
    partitions_def=quarterly_partitions,
    group_name="publish",
    kinds={"csv"},
)
def hr_grades(context: dg.AssetExecutionContext, warehouse: Warehouse, paths: ProjectPaths) -> dg.MaterializeResult:
    """HR grade file for one quarter: `OUT/published/grades/<YYYY-Qn>/grades.csv` (UTF-8 with BOM so
    Excel shows Chinese), one row per staff member active in the quarter, KPI_SPEC §6 columns. Only
    complete quarters (the data reaches the quarter's last day) are published."""
    quarter = quarter_from_partition_key(context.partition_key)
    with warehouse.connect(read_only=True) as con:
        if quarter not in complete_quarters(con):
            raise dg.Failure(f"{quarter} is not complete in the data (no messages on its last day); nothing published")
        grades = grades_for_quarter(con, quarter)
    table = grades.with_columns(pl.lit(1, dtype=pl.Int64).alias("revision")).select(HR_COLUMNS)
    path = paths.published / "grades" / quarter / "grades.csv"
    write_atomically(path, lambda tmp: table.write_csv(tmp, include_bom=True))
    counts = table.group_by("final_grade").len().sort("final_grade", nulls_last=True)
    return dg.MaterializeResult(metadata={
        "path": dg.MetadataValue.path(str(path.resolve())),
        "dagster/row_count": dg.MetadataValue.int(table.height),
        "grade_counts": dg.MetadataValue.json({str(g): n for g, n in counts.iter_rows()}),
        "quarter": quarter,
    })


@dg.asset(
    key=["publish", "dashboards"],
    deps=[["marts", "fct_grades__staff"], ["intermediate", "int_periods"]],
    group_name="publish",
    kinds={"html", "plotly"},
)
def dashboards(warehouse: Warehouse, paths: ProjectPaths) -> dg.MaterializeResult:
    """Managers' dashboard `OUT/dashboards/index.html`: grade distribution and per-staff scores for each
    complete quarter; static HTML with plotly.js shipped beside it (works offline)."""
    with warehouse.connect(read_only=True) as con:
        grades = con.sql(
            "select * from marts.fct_grades__staff where quarter_is_complete order by quarter, staff_id"
        ).pl()
    written = write_site(grades, paths.dashboards)
    index = paths.dashboards / "index.html"
    return dg.MaterializeResult(metadata={
        "path": dg.MetadataValue.path(str(index.resolve())),
        "files": dg.MetadataValue.md("\n".join(f"- {p}" for p in written)),
    })
