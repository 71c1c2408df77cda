"""Published outputs: the HR grade files (per quarter, versioned) and the monthly views (the
managers' dashboards are assets/dashboards.py).

Publishing reads marts only, behind the blocking checks on them. What the HR files contain and how
revisions, overrides, the audit and diffs work lives in pipelines/hr_publish.py; these assets say
when it runs and report what happened. Every file is written under a temporary name and renamed into
place, so a failed run never leaves a half-written file where HR or a manager would pick it up.
"""


import dagster as dg

from pipelines import hr_publish
from pipelines.errors import KpiError
from pipelines.partitions import quarter_from_partition_key, quarterly_partitions
from pipelines.resources import WRITER_POOL, ProjectPaths, Warehouse


def complete_quarters(con) -> list[str]:
    rows = con.execute(
        "select period from intermediate.int_periods where period_type = 'quarter' and is_complete order by period"
    ).fetchall()
    return [row[0] for row in rows]


@dg.asset(
    key=["publish", "hr_grades"],
    pool=WRITER_POOL,  # writes publish.hr_grades and publish.grade_audit
    deps=[["marts", "fct_grades__staff"], ["marts", "fct_score_explanations"], ["intermediate", "int_periods"],
          ["raw", "source_files"], ["raw", "input_files"]],
    partitions_def=quarterly_partitions,
    group_name="publish",
    kinds={"csv", "xlsx", "parquet"},
)
def hr_grades(context: dg.AssetExecutionContext, warehouse: Warehouse, paths: ProjectPaths) -> dg.MaterializeResult:
    """HR grade files for one quarter, versioned: `OUT/published/grades/<YYYY-Qn>/rev-<n>/` holds
    grades.csv (UTF-8 with BOM so Excel shows Chinese), grades.xlsx, grades.parquet, metrics.csv,
    audit.csv, diff.csv and manifest.json; `latest` names the newest revision. One row per staff member
    active in the quarter with the KPI_SPEC §6 columns; overrides (appeals) from
    `DATA/overrides/grade_overrides.csv` set `final_grade` beside the computed grade. Publishing
    unchanged data creates nothing; changed data creates the next revision with a diff, and a
    published revision is never modified. Also refreshes `OUT/published/annual/<YYYY>/staff_annual.csv`
    and the warehouse tables publish.hr_grades (latest rows) and publish.grade_audit (append-only).
    Only complete quarters (the data reaches the quarter's last day) are published."""
    quarter = quarter_from_partition_key(context.partition_key)
    with warehouse.connect() as con:
        if quarter not in complete_quarters(con):
            raise dg.Failure(f"{quarter} is not complete in the data (no messages on its last day); nothing published")
        try:
            result = hr_publish.publish_quarter(con, paths.data, paths.published, quarter)
        except KpiError as exc:
            # dg.Failure carries the one-line message to `kpi run` and the UI without a traceback
            raise dg.Failure(str(exc)) from None
    annual = hr_publish.write_annual_view(paths.published, hr_publish.year_of(quarter))
    return dg.MaterializeResult(metadata={
        "path": dg.MetadataValue.path(str(result.path.resolve())),
        "revision": dg.MetadataValue.int(result.revision),
        "new_revision": dg.MetadataValue.bool(result.is_new),
        "dagster/row_count": dg.MetadataValue.int(result.row_count),
        "grade_counts": dg.MetadataValue.json(result.grade_counts),
        "overrides_applied": dg.MetadataValue.int(result.overrides),
        "changed_rows": dg.MetadataValue.int(result.changes),
        "annual": dg.MetadataValue.path(str(annual.resolve())),
        "quarter": quarter,
    })


@dg.asset(
    key=["publish", "hr_monthly"],
    deps=[["marts", "fct_scores"], ["marts", "fct_score_explanations"], ["intermediate", "int_periods"]],
    group_name="publish",
    kinds={"csv"},
)
def hr_monthly(warehouse: Warehouse, paths: ProjectPaths) -> dg.MaterializeResult:
    """Monthly assessment files (the policies assess monthly as well as quarterly), one folder per
    complete month `OUT/published/monthly/<YYYY-MM>/`: staff.csv and groups.csv (dimension scores,
    overall score and grade per staff member / group) and staff_metrics.csv, group_metrics.csv (every
    rubric metric behind them). Not revisioned — the quarterly files are what HR pays on — but each
    file is replaced atomically, and only when its content changes."""
    with warehouse.connect(read_only=True) as con:
        written = hr_publish.write_monthly_views(con, paths.published)
    months = sorted({path.parent.name for path in written})
    return dg.MaterializeResult(metadata={
        "path": dg.MetadataValue.path(str((paths.published / "monthly").resolve())),
        "months": dg.MetadataValue.json(months),
        "files": dg.MetadataValue.int(len(written)),
    })
