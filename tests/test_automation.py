"""Schedules pick the period that just closed; the sensor starts an ingest run only for new or
changed content, once per change."""

from __future__ import annotations

import datetime as dt
import os
from zoneinfo import ZoneInfo

import dagster as dg
import pytest

from pipelines.definitions import defs, exports_sensor, monthly_kpi_schedule, quarterly_grading_schedule
from pipelines.partitions import monthly_partitions, quarterly_partitions
from pipelines.resources import ProjectPaths

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(("at", "month"), [
    (dt.datetime(2026, 8, 1, 2, 0, tzinfo=SHANGHAI), "2026-07-01"),
    (dt.datetime(2027, 1, 1, 2, 0, tzinfo=SHANGHAI), "2026-12-01"),
    # 18:00 UTC on 31 July is already 1 August in Shanghai: July has closed there
    (dt.datetime(2026, 7, 31, 18, 0, tzinfo=dt.timezone.utc), "2026-07-01"),
])
def test_monthly_schedule_runs_the_month_that_just_closed(at, month):
    request = monthly_kpi_schedule(dg.build_schedule_context(scheduled_execution_time=at))
    assert request.partition_key == month
    assert request.run_key == f"month-{month}"
    assert month in monthly_partitions.get_partition_keys(current_time=at + dt.timedelta(days=40))


@pytest.mark.parametrize(("at", "quarter"), [
    (dt.datetime(2026, 10, 1, 4, 0, tzinfo=SHANGHAI), "2026-07-01"),
    (dt.datetime(2027, 1, 1, 4, 0, tzinfo=SHANGHAI), "2026-10-01"),
    (dt.datetime(2026, 4, 1, 4, 0, tzinfo=SHANGHAI), "2026-01-01"),
])
def test_quarterly_schedule_grades_the_quarter_that_just_closed(at, quarter):
    request = quarterly_grading_schedule(dg.build_schedule_context(scheduled_execution_time=at))
    assert request.partition_key == quarter
    assert quarter in quarterly_partitions.get_partition_keys(current_time=at)


def test_schedules_target_the_partitioned_jobs():
    jobs = {s.name: s.job_name for s in defs.schedules}
    assert jobs == {"monthly_kpi_schedule": "monthly_kpi_job", "quarterly_grading_schedule": "quarterly_grading_job"}
    assert {s.name: s.execution_timezone for s in defs.schedules} == {
        "monthly_kpi_schedule": "Asia/Shanghai", "quarterly_grading_schedule": "Asia/Shanghai"}


def tick(data, cursor):
    context = dg.build_sensor_context(cursor=cursor, resources={"paths": ProjectPaths(data_dir=str(data), out_dir="")})
    return exports_sensor(context)


def test_sensor_runs_once_per_content_change(tmp_path):
    data = tmp_path / "data"
    export = data / "exports" / "wecom" / "room1" / "2026-07.jsonl"
    export.parent.mkdir(parents=True)
    export.write_text('{"msgid": "1"}\n', encoding="utf-8")

    first = tick(data, None)
    assert len(first.run_requests) == 1 and first.run_requests[0].tags["kpi/changed_files"] == "1"
    again = tick(data, first.cursor)
    assert not again.run_requests and "no new or changed files" in again.skip_reason.skip_message

    # touched but unchanged: no run, and the new mtime is remembered so the file is not hashed again
    stat = export.stat()
    os.utime(export, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
    touched = tick(data, again.cursor)
    assert not touched.run_requests and touched.cursor != again.cursor

    # changed content: one run; the same change seen from the same cursor gives the same run key
    export.write_text('{"msgid": "1"}\n{"msgid": "2"}\n', encoding="utf-8")
    changed = tick(data, touched.cursor)
    assert len(changed.run_requests) == 1
    assert tick(data, touched.cursor).run_requests[0].run_key == changed.run_requests[0].run_key
    assert changed.run_requests[0].run_key != first.run_requests[0].run_key

    # a new input file is watched too; a removed file starts a run that drops its rows
    survey = data / "inputs" / "surveys" / "2026-07.csv"
    survey.parent.mkdir(parents=True)
    survey.write_text("survey_id,csat\n1,5\n", encoding="utf-8")
    added = tick(data, changed.cursor)
    assert added.run_requests[0].tags["kpi/changed_files"] == "1"
    survey.unlink()
    removed = tick(data, added.cursor)
    assert removed.run_requests[0].tags == {"kpi/changed_files": "0", "kpi/removed_files": "1"}


def test_sensor_targets_the_ingest_job():
    assert exports_sensor.job_name == "ingest_job"
