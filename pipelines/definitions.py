"""The one `Definitions` of the code location (workspace.yaml -> pipelines.definitions)."""

from __future__ import annotations

import os
import warnings

import dagster as dg

from assets import dashboards, models, publish, raw
from pipelines import automation, quality
from pipelines.progress import Progress
from pipelines.resources import DEFAULT_MEMORY_LIMIT, ProjectPaths, Warehouse

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

#: Raw tables the run depends on: a changed column set (an export format's schema drifting) and an
#: empty message table are shown as warnings on the raw assets.
RAW_WATCHED = [raw.chat_exports, raw.platform_inputs]

with warnings.catch_warnings():  # both builders are marked beta; the checks they build are plain checks
    warnings.simplefilter("ignore", dg.BetaWarning)
    raw_checks = [
        *dg.build_column_schema_change_checks(assets=RAW_WATCHED),
        *dg.build_metadata_bounds_checks(
            assets=[dg.AssetKey(["raw", "chat_messages"]), dg.AssetKey(["raw", "source_files"])],
            metadata_key="dagster/row_count", min_value=1,
        ),
    ]

all_checks = [*models.sql_checks, *quality.ge_checks, *raw_checks]

ingest_job, monthly_kpi_job, quarterly_grading_job = automation.jobs(all_assets)
monthly_kpi_schedule, quarterly_grading_schedule = automation.schedules(monthly_kpi_job, quarterly_grading_job)
exports_sensor = automation.exports_sensor(ingest_job)


def resources(data_dir: str | dg.EnvVar, out_dir: str | dg.EnvVar, warehouse_path: str | dg.EnvVar) -> dict:
    return {
        "warehouse": Warehouse(path=warehouse_path, memory_limit=os.environ.get("KPI_MEMORY_LIMIT", DEFAULT_MEMORY_LIMIT)),
        "paths": ProjectPaths(data_dir=data_dir, out_dir=out_dir),
        "progress": Progress(),
    }


defs = dg.Definitions(
    assets=all_assets,
    asset_checks=all_checks,
    jobs=[ingest_job, monthly_kpi_job, quarterly_grading_job],
    schedules=[monthly_kpi_schedule, quarterly_grading_schedule],
    sensors=[exports_sensor],
    resources=resources(dg.EnvVar("KPI_DATA_DIR"), dg.EnvVar("KPI_OUT_DIR"), dg.EnvVar("KPI_WAREHOUSE")),
    executor=dg.in_process_executor,
)
