"""The Great Expectations suites: each catches what it promises, GE evaluating it inside DuckDB
without leaving DuckDB objects behind, and a failure in staging stops grades and dashboards with
the failure's detail in the check."""

from __future__ import annotations

import gc
import shutil

import dagster as dg
import duckdb
import pytest

from assets import publish
from pipelines import quality
from pipelines.cli import _failure_message
from pipelines.definitions import all_assets, all_checks, resources
from pipelines.runs import materialize_pipeline

from .conftest import SAMPLES, materialize_all, wecom_line

SUITES = {suite.table: suite for suite in quality.SUITES}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("quality") / "out"
    materialize_all(SAMPLES, out)
    return out / "warehouse.duckdb"


@pytest.fixture
def warehouse(built, tmp_path):
    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(built, copy)
    con = duckdb.connect(str(copy))
    yield con
    con.close()


def outcomes(con, table):
    checked, results = quality.validate(con, SUITES[table])
    return checked, {o.expectation.label(): o for o in results}


def test_every_suite_passes_on_the_samples(warehouse):
    for table in SUITES:
        checked, results = outcomes(warehouse, table)
        assert checked > 0, table
        assert all(o.success for o in results.values()), (table, [o for o in results.values() if not o.success])


def test_messages_suite_finds_duplicates_unknown_kinds_and_times_outside_partitions(warehouse):
    warehouse.execute("""
        insert into staging.stg_chat__messages select * from staging.stg_chat__messages where message_id = (
            select max(message_id) from staging.stg_chat__messages)""")
    warehouse.execute("update staging.stg_chat__messages set kind = 'hologram' where rowid = 7")
    warehouse.execute("update staging.stg_chat__messages set sent_at = timestamptz '2031-02-03 04:05:06+00' where rowid = 9")
    checked, results = outcomes(warehouse, "staging.stg_chat__messages")
    failed = {label: o for label, o in results.items() if not o.success}
    assert set(failed) == {
        "ExpectColumnValuesToBeUnique(column=message_key)",
        "ExpectColumnValuesToBeInSet(column=kind)",
        "ExpectColumnValuesToBeBetween(column=sent_at)",
    }
    assert failed["ExpectColumnValuesToBeUnique(column=message_key)"].unexpected == 2
    assert failed["ExpectColumnValuesToBeInSet(column=kind)"].examples == ["hologram"]
    assert failed["ExpectColumnValuesToBeBetween(column=sent_at)"].examples == ["2031-02-03 04:05:06+00:00"]


def test_missing_values_are_counted_and_shown_as_before(warehouse):
    """Nulls read as GE's pandas engine showed them (`nan`, `NaT` for times): the check metadata
    did not change when GE moved into DuckDB."""
    warehouse.execute("update staging.stg_chat__messages set group_id = null where rowid in (3, 4)")
    warehouse.execute("update staging.stg_chat__messages set sent_at = null where rowid = 5")
    _, results = outcomes(warehouse, "staging.stg_chat__messages")
    failed = {label: o for label, o in results.items() if not o.success}
    assert set(failed) == {"ExpectColumnValuesToNotBeNull(column=group_id)",
                           "ExpectColumnValuesToNotBeNull(column=sent_at)"}
    assert failed["ExpectColumnValuesToNotBeNull(column=group_id)"].unexpected == 2
    assert failed["ExpectColumnValuesToNotBeNull(column=group_id)"].examples == ["nan", "nan"]
    assert failed["ExpectColumnValuesToNotBeNull(column=sent_at)"].examples == ["NaT"]


def test_validation_leaves_no_duckdb_object_behind(warehouse):
    """duckdb 2.0 reports every DuckDB object still alive at interpreter exit: after a suite,
    neither GE's context nor SQLAlchemy holds one of the cursors GE read through."""
    def connections() -> set[int]:
        gc.collect()
        return {id(o) for o in gc.get_objects() if isinstance(o, duckdb.DuckDBPyConnection)}

    before = connections()
    quality.validate(warehouse, SUITES["staging.stg_chat__messages"])
    assert connections() - before == set()


def test_grades_suite_needs_every_active_staff_member_graded_with_a_known_grade(warehouse):
    warehouse.execute("delete from marts.fct_grades__staff where staff_id = 'S001' and quarter = '2026-Q3'")
    warehouse.execute("update marts.fct_grades__staff set final_grade = 'stellar' where staff_id = 'S002' and quarter = '2026-Q3'")
    warehouse.execute("update marts.fct_grades__staff set overall_score = 140 where staff_id = 'S003' and quarter = '2026-Q2'")
    _, results = outcomes(warehouse, "marts.fct_grades__staff")
    failed = {label: o for label, o in results.items() if not o.success}
    assert set(failed) == {
        "ExpectColumnValuesToBeInSet(column=has_grade_row)",
        "ExpectColumnValuesToBeInSet(column=graded_or_reason)",
        "ExpectColumnValuesToBeInSet(column=final_grade)",
        "ExpectColumnValuesToBeBetween(column=overall_score)",
    }
    assert failed["ExpectColumnValuesToBeInSet(column=final_grade)"].examples == ["stellar"]
    assert failed["ExpectColumnValuesToBeBetween(column=overall_score)"].examples == ["140.0"]


def test_a_misdated_export_stops_grades_and_dashboards(sample_copy, tmp_path):
    """A message dated 2017, before the first partition, in a real export file reaches staging (the
    first partition owns it) and the messages suite blocks everything after it; the check says
    what and where."""
    room = "wr2T5bjU6GEasfPnpBVXrolOy9RPAigQ"
    planted = sample_copy / "exports" / "wecom" / room / "2017-05.jsonl"
    planted.write_text(wecom_line("misdated-1", "zhangwei", "2017-05-05 10:00", "设备时钟错了", room) + "\n",
                       encoding="utf-8")
    out = tmp_path / "out"
    pipeline = materialize_pipeline(
        all_assets, all_checks, resources(str(sample_copy), str(out), str(out / "warehouse.duckdb")),
        exclude=dg.AssetSelection.assets(publish.hr_grades),
    )
    assert not pipeline.success
    failed = [e for e in pipeline.get_asset_check_evaluations() if not e.passed and e.severity.value == "ERROR"]
    assert [e.check_name for e in failed] == ["ge__stg_chat__messages"]
    assert failed[0].metadata["unexpected_rows"].value == 1
    assert "ExpectColumnValuesToBeBetween(column=sent_at): 1 unexpected, e.g. 2017-05-05" in \
        failed[0].metadata["failures"].value
    materialized = {e.asset_key for e in pipeline.get_asset_materialization_events()}
    assert dg.AssetKey(["marts", "fct_grades__staff"]) not in materialized
    assert dg.AssetKey(["publish", "dashboards"]) not in materialized
    message = _failure_message(pipeline.failed)
    assert message.startswith("blocking check failed, nothing was published: staging/stg_chat__messages: "
                              "ge__stg_chat__messages (")
    assert "2017-05-05" in message
