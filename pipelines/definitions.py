"""The one `Definitions` of the code location (workspace.yaml -> pipelines.definitions)."""

from __future__ import annotations

import dagster as dg

from assets import dashboards, models, publish, raw
from pipelines.progress import Progress
from pipelines.resources import ProjectPaths, Warehouse

all_assets = [
    raw.config_tables_asset,
    raw.chat_exports,
    raw.platform_inputs,
    raw.business_calendar,
    raw.member_pseudonyms,
    *models.sql_assets,
    publish.hr_grades,
    publish.hr_monthly,
    dashboards.dashboards,
]

#: Everything up to the marts and the dashboard; the HR file is published per quarter partition.
kpi_job = dg.define_asset_job(
    "kpi_job",
    selection=dg.AssetSelection.all() - dg.AssetSelection.assets(publish.hr_grades),
    description="Ingest exports, compute KPIs and scores, run checks, build the dashboard.",
    executor_def=dg.in_process_executor,
)

publish_grades_job = dg.define_asset_job(
    "publish_grades_job",
    selection=dg.AssetSelection.assets(publish.hr_grades),
    partitions_def=publish.quarterly_partitions,
    description="Write the HR grade file of one quarter.",
    executor_def=dg.in_process_executor,
)


def resources(data_dir: str | dg.EnvVar, out_dir: str | dg.EnvVar, warehouse_path: str | dg.EnvVar) -> dict:
    return {
        "warehouse": Warehouse(path=warehouse_path),
        "paths": ProjectPaths(data_dir=data_dir, out_dir=out_dir),
        "progress": Progress(),
    }


defs = dg.Definitions(
    assets=all_assets,
    asset_checks=models.sql_checks,
    jobs=[kpi_job, publish_grades_job],
    resources=resources(dg.EnvVar("KPI_DATA_DIR"), dg.EnvVar("KPI_OUT_DIR"), dg.EnvVar("KPI_WAREHOUSE")),
    executor=dg.in_process_executor,
)
