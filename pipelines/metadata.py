"""Asset metadata shown in the Dagster UI: row counts and small previews."""

from __future__ import annotations

import dagster as dg
import duckdb
import polars as pl

PREVIEW_ROWS = 5


def markdown_table(frame: pl.DataFrame, max_rows: int = 20) -> str:
    """A GitHub-flavoured markdown table (what the UI renders for `MetadataValue.md`)."""
    shown = frame.head(max_rows)
    def cell(value) -> str:
        return "" if value is None else str(value).replace("|", "\\|").replace("\n", " ")[:80]
    lines = ["| " + " | ".join(shown.columns) + " |", "|" + "---|" * len(shown.columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in shown.iter_rows()]
    if frame.height > max_rows:
        lines.append(f"\n… {frame.height - max_rows} more rows")
    return "\n".join(lines)


def table_metadata(con: duckdb.DuckDBPyConnection, table: str, *, preview: bool = True) -> dict:
    """`dagster/row_count`, the column schema and (optionally) a preview of the first rows."""
    rows = con.execute(f"select count(*) from {table}").fetchall()[0][0]
    columns = con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = $schema and table_name = $name order by ordinal_position",
        {"schema": table.split(".")[0], "name": table.split(".")[1]},
    ).fetchall()
    metadata = {
        "dagster/row_count": dg.MetadataValue.int(rows),
        "dagster/column_schema": dg.TableSchema(
            columns=[dg.TableColumn(name=name, type=dtype) for name, dtype in columns]
        ),
        "table": dg.MetadataValue.text(table),
    }
    if preview and rows:
        sample = con.sql(f"select * from {table} limit {PREVIEW_ROWS}").pl()
        metadata["preview"] = dg.MetadataValue.md(markdown_table(sample))
    return metadata


#: Summary tables the UI shows for the KPI and grading assets (beyond the preview): what an
#: analyst checks first after a run.
SUMMARY_SQL = {
    "marts.fct_grades__staff": """
        select quarter, coalesce(final_grade, 'not rated') as grade, count(*) as staff
        from marts.fct_grades__staff group by all order by quarter, grade""",
    "marts.fct_scores": """
        select period_type, period, entity_type, count(*) as entities,
               round(avg(overall_score), 1) as avg_overall, count(*) filter (where overall_score is null) as unscored
        from marts.fct_scores group by all order by period_type, period, entity_type""",
    "marts.fct_requests": """
        select opened_month as month, count(*) as requests,
               round(avg(case when is_within_sla then 1 else 0 end), 3) as sla_rate,
               count(*) filter (where responded_at is null) as unanswered
        from marts.fct_requests group by all order by month""",
    "marts.fct_violations": """
        select rule, recommended_action, count(*) as violations
        from marts.fct_violations group by all order by rule, recommended_action""",
}


def summary_metadata(con: duckdb.DuckDBPyConnection, table: str) -> dict:
    """`summary` (a markdown table) for the tables in `SUMMARY_SQL`; for grades also
    `grade_distribution` as JSON per quarter, which the UI can plot across materializations."""
    sql = SUMMARY_SQL.get(table)
    if sql is None:
        return {}
    summary = con.sql(sql).pl()
    metadata = {"summary": dg.MetadataValue.md(markdown_table(summary, 60))}
    if table == "marts.fct_grades__staff":
        distribution: dict[str, dict[str, int]] = {}
        for quarter, grade, staff in summary.iter_rows():
            distribution.setdefault(quarter, {})[grade] = staff
        metadata["grade_distribution"] = dg.MetadataValue.json(distribution)
    return metadata
