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
