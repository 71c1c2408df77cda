"""Asset and check factories: one SQL file -> one asset, one assertion file -> one blocking check."""


import warnings
from pathlib import Path

import dagster as dg

from pipelines.metadata import markdown_table, summary_metadata, table_metadata
from pipelines.partitions import PeriodScope, monthly_partitions, quarterly_partitions
from pipelines.resources import WRITER_POOL, Warehouse
from pipelines.sql_runner import SQL_DIR, SqlModel, build



# Range runs (`BackfillPolicy.single_run`) are what keep a several-month backfill one statement
# per table; Dagster marks the parameter beta, which is not news to repeat at every import.
warnings.filterwarnings("ignore", message="Parameter `backfill_policy`", category=dg.BetaWarning)

#: Dagster partitions per `Partitioning.grain` of a SQL model.
PARTITIONS = {"monthly": monthly_partitions, "quarterly": quarterly_partitions}


def sql_model_asset(sql_model: SqlModel) -> dg.AssetsDefinition:
    """`sql/<layer>/<name>.sql` as the asset `[layer, name]` building the table `<layer>.<name>`.

    A partitioned model takes a range of partitions in one run (`BackfillPolicy.single_run`):
    a backfill of six months is one delete and one insert, not six rebuilds."""
    partitioning = sql_model.partitioning
    partitions_def = PARTITIONS[partitioning.grain] if partitioning else None

    @dg.asset(
        key=[sql_model.layer, sql_model.name],
        deps=[dg.AssetKey(list(ref)) for ref in sql_model.upstream],
        description=sql_model.description,
        group_name=sql_model.layer,
        kinds={"duckdb", "sql"},
        pool=WRITER_POOL,
        partitions_def=partitions_def,
        backfill_policy=dg.BackfillPolicy.single_run() if partitions_def else None,
        metadata={"sql_file": dg.MetadataValue.path(str(sql_model.path.relative_to(SQL_DIR.parent))),
                  "materialized": dg.MetadataValue.text(sql_model.materialized)},
    )
    def _model(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
        scope = PeriodScope.from_time_window(context.partition_time_window) if partitions_def else None
        with warehouse.connect() as con:
            built = build(con, sql_model, scope)
            metadata = table_metadata(con, sql_model.table)
            metadata.update(summary_metadata(con, sql_model.table))
        if scope is not None:
            metadata["partition_scope"] = dg.MetadataValue.text(scope.describe())
            if built.full_reason:
                metadata["full_rebuild"] = dg.MetadataValue.text(built.full_reason)
            else:
                metadata["rows_in_scope"] = dg.MetadataValue.int(built.scope_rows)
            if sql_model.scope_sql is not None:
                # rows of earlier months this run rewrote (whole keys, sql/scopes/): their downstream
                # figures are stale until those months run too (`kpi run` does it)
                metadata["months_changed_outside_scope"] = dg.MetadataValue.json(list(built.months_changed_outside))
        return dg.MaterializeResult(metadata=metadata)

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
