"""Asset and check factories: one SQL file -> one asset, one assertion file -> one blocking check."""


from pathlib import Path

import dagster as dg

from pipelines.metadata import markdown_table, table_metadata
from pipelines.resources import Warehouse
from pipelines.sql_runner import SQL_DIR, SqlModel, build

#: DuckDB allows one writer per file: every writing asset takes a slot in this pool of 1.
WRITER_POOL = "duckdb_writer"


def sql_model_asset(sql_model: SqlModel) -> dg.AssetsDefinition:
    """`sql/<layer>/<name>.sql` as the asset `[layer, name]` building the table `<layer>.<name>`."""

    @dg.asset(
        key=[sql_model.layer, sql_model.name],
        deps=[dg.AssetKey(list(ref)) for ref in sql_model.upstream],
        description=sql_model.description,
        group_name=sql_model.layer,
        kinds={"duckdb", "sql"},
        pool=WRITER_POOL,
        metadata={"sql_file": dg.MetadataValue.path(str(sql_model.path.relative_to(SQL_DIR.parent)))},
    )
    def _model(warehouse: Warehouse) -> dg.MaterializeResult:
        with warehouse.connect() as con:
            build(con, sql_model)
            return dg.MaterializeResult(metadata=table_metadata(con, sql_model.table))

    return _model


def sql_check(path: Path) -> dg.AssetChecksDefinition:
    """`sql/checks/assert_<table>__<rule>.sql` returns violating rows; any row fails the check.

    The checked table is the one the query reads. Checks are blocking: downstream assets (HR files,
    dashboards) do not run when one fails.
    """
    sql_model = SqlModel("checks", path.stem, path, path.read_text(encoding="utf-8"))
    if len(sql_model.upstream) != 1:
        raise ValueError(f"{path}: a check must read exactly one table, found {sql_model.upstream}")
    target = dg.AssetKey(list(sql_model.upstream[0]))

    @dg.asset_check(asset=target, name=path.stem, description=sql_model.description, blocking=True)
    def _check(warehouse: Warehouse) -> dg.AssetCheckResult:
        with warehouse.connect(read_only=True) as con:
            failing = con.sql(sql_model.sql).pl()
        return dg.AssetCheckResult(
            passed=failing.height == 0,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={
                "failing_rows": dg.MetadataValue.int(failing.height),
                "examples": dg.MetadataValue.md(markdown_table(failing, 10) if failing.height else "none"),
            },
        )

    return _check
