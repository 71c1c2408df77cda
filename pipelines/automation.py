"""Jobs, schedules and the exports sensor that analysts see in the UI.

The jobs are the three stages of a full run (pipelines/runs.py): ingest, the monthly KPIs and the
quarterly grades. The schedules run the period that has just closed, in the reporting time zone;
the sensor starts an ingest run when a file under `exports/` or `inputs/` is new or its content
changed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import warnings
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg

from assets.ingest.load import ExportFile, export_units
from pipelines.partitions import REPORTING_TIMEZONE
from pipelines.resources import ProjectPaths
from pipelines.runs import stages

ZONE = ZoneInfo(REPORTING_TIMEZONE)

#: Local time of day the period jobs start after a period closes (late-night exports have landed).
MONTHLY_CRON = "0 2 1 * *"
QUARTERLY_CRON = "0 4 1 1,4,7,10 *"

# The grade marts take quarter ranges in one run, the HR files one quarter per run: Dagster then
# backfills the grading job one quarter per run, which is right for HR files, and warns about it
# whenever the job is resolved.
warnings.filterwarnings("ignore", message="Asset job quarterly_grading_job materializes assets with varying")

#: Folders of the data folder the sensor watches.
WATCHED_FOLDERS = ("exports", "inputs")


def jobs(assets: list[dg.AssetsDefinition]) -> tuple[dg.UnresolvedAssetJobDefinition, ...]:
    plan = stages(assets)
    ingest = dg.define_asset_job(
        "ingest_job", selection=plan.ingest, executor_def=dg.in_process_executor,
        description="Read new or changed export and input files into the raw tables (unchanged files are skipped).",
    )
    monthly = dg.define_asset_job(
        "monthly_kpi_job", selection=plan.ingest | plan.monthly,
        executor_def=dg.in_process_executor,
        description="Ingest, then rebuild one month's staging, metrics and scores (and its quarter's running figures).",
    )
    quarterly = dg.define_asset_job(
        "quarterly_grading_job", selection=plan.quarterly,
        executor_def=dg.in_process_executor,
        description="Grade one quarter (quota, tiers, excellent communities), publish its HR files and the dashboards.",
    )
    return ingest, monthly, quarterly


def previous_month_key(now: dt.datetime) -> str:
    """The partition key of the month before `now`'s local month."""
    local = now.astimezone(ZONE).date().replace(day=1)
    return (local - dt.timedelta(days=1)).replace(day=1).isoformat()


def previous_quarter_key(now: dt.datetime) -> str:
    """The partition key of the quarter before `now`'s local quarter."""
    local = now.astimezone(ZONE).date()
    last_day = dt.date(local.year, 3 * ((local.month - 1) // 3) + 1, 1) - dt.timedelta(days=1)
    return dt.date(last_day.year, 3 * ((last_day.month - 1) // 3) + 1, 1).isoformat()


def schedules(monthly_job, quarterly_job) -> tuple[dg.ScheduleDefinition, ...]:
    @dg.schedule(job=monthly_job, cron_schedule=MONTHLY_CRON, execution_timezone=REPORTING_TIMEZONE,
                 name="monthly_kpi_schedule", description="After each month closes: the KPIs of that month.")
    def monthly_kpi_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        key = previous_month_key(context.scheduled_execution_time)
        return dg.RunRequest(run_key=f"month-{key}", partition_key=key)

    @dg.schedule(job=quarterly_job, cron_schedule=QUARTERLY_CRON, execution_timezone=REPORTING_TIMEZONE,
                 name="quarterly_grading_schedule",
                 description="After each quarter closes: grade it and publish the HR files.")
    def quarterly_grading_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        key = previous_quarter_key(context.scheduled_execution_time)
        return dg.RunRequest(run_key=f"quarter-{key}", partition_key=key)

    return monthly_kpi_schedule, quarterly_grading_schedule


def watched_units(data_dir: Path) -> list[ExportFile]:
    """Export units and input files under the watched folders, paths relative to `data_dir`."""
    units = []
    for folder in WATCHED_FOLDERS:
        if (data_dir / folder).is_dir():
            units.extend(export_units(data_dir / folder, data_dir))
    return units


def exports_sensor(ingest_job) -> dg.SensorDefinition:
    @dg.sensor(job=ingest_job, name="exports_sensor", minimum_interval_seconds=60,
               description="Starts an ingest run when a file under exports/ or inputs/ is new or its content changed.")
    def _sensor(context: dg.SensorEvaluationContext, paths: ProjectPaths) -> dg.SensorResult:
        """The cursor maps each file to [size, mtime_ns, sha256]: a file whose size and mtime are
        unchanged is not read again; a touched file with the same content starts nothing. The run
        key is a hash of (path, size, mtime, sha256) of the changed files, so the same change
        never starts two runs."""
        known: dict[str, list] = json.loads(context.cursor) if context.cursor else {}
        seen: dict[str, list] = {}
        changed = []
        for unit in watched_units(paths.data):
            size, mtime = unit.size, unit.mtime_ns
            before = known.get(unit.rel_path)
            if before and before[0] == size and before[1] == mtime:
                seen[unit.rel_path] = before
                continue
            sha = unit.sha256()
            seen[unit.rel_path] = [size, mtime, sha]
            if not before or before[2] != sha:
                changed.append([unit.rel_path, size, mtime, sha])
        removed = sorted(set(known) - set(seen))
        cursor = json.dumps(seen, sort_keys=True)
        if not changed and not removed:
            return dg.SensorResult(skip_reason="no new or changed files", cursor=cursor)
        key = hashlib.sha256(json.dumps([changed, removed]).encode()).hexdigest()[:32]
        tags = {"kpi/changed_files": str(len(changed)), "kpi/removed_files": str(len(removed))}
        context.log.info(f"{len(changed)} new or changed, {len(removed)} removed: "
                         + ", ".join(path for path, *_ in changed[:10]))
        return dg.SensorResult(run_requests=[dg.RunRequest(run_key=key, tags=tags)], cursor=cursor)

    return _sensor
