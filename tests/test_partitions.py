"""Monthly and quarterly partitions: a partition run rewrites exactly the rows its months own, and
the result equals a full rebuild."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipelines.definitions import all_assets, all_checks, resources
from pipelines.partitions import PeriodScope, monthly_partitions
from pipelines.runs import RANGE_END_TAG, RANGE_START_TAG, stages
from pipelines.sql_runner import Partitioning, SqlModel, build, discover

from .conftest import materialize_all, query, wecom_line

PARTITIONED = [m.table for layer in ("staging", "intermediate", "marts") for m in discover(layer) if m.partitioning]


def snapshot(con: duckdb.DuckDBPyConnection) -> dict[str, list]:
    return {table: sorted(map(repr, con.execute(f"select * from {table}").fetchall())) for table in PARTITIONED}


def run_monthly(data: Path, out: Path, *, key: str | None = None, tags: dict | None = None):
    return dg.materialize(
        [*all_assets, *all_checks],
        selection=stages(all_assets).monthly,
        resources=resources(str(data), str(out), str(out / "warehouse.duckdb")),
        partition_key=key, tags=tags, instance=dg.DagsterInstance.ephemeral(),
    )


def test_scope_labels_and_quarters():
    scope = PeriodScope.from_months(dt.date(2026, 6, 1), dt.date(2026, 7, 31))
    assert scope.labels == ["2026-06", "2026-07", "2026-Q2", "2026-Q3"]
    assert scope.quarter_months.labels[:6] == ["2026-04", "2026-05", "2026-06", "2026-07", "2026-08", "2026-09"]
    assert scope.describe() == "2026-06 … 2026-07 (2 months)"


def test_edge_partitions_own_rows_outside_every_partition():
    """A timestamp before the first or after the last partition is owned by the edge partition, so
    it reaches staging (where the data-quality suite stops it) instead of vanishing."""
    by_time = Partitioning("monthly", "sent_at")
    middle, params = by_time.predicate(PeriodScope.from_months(dt.date(2026, 7, 1), dt.date(2026, 7, 1)), "Asia/Shanghai")
    assert middle == "sent_at >= $partition_start and sent_at < $partition_end"
    assert params["partition_start"].isoformat() == "2026-07-01T00:00:00+08:00"
    last = dt.date.fromisoformat(monthly_partitions.get_last_partition_key())
    latest, params = by_time.predicate(PeriodScope.from_months(last, last), "Asia/Shanghai")
    assert latest == "sent_at >= $partition_start" and "partition_end" not in params
    first = dt.date.fromisoformat(monthly_partitions.get_first_partition_key())
    earliest, _ = by_time.predicate(PeriodScope.from_months(first, first), "Asia/Shanghai")
    assert earliest == "sent_at < $partition_end"


def test_runner_rewrites_the_scope_and_rebuilds_a_changed_shape_in_full(tmp_path):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("create schema raw; create schema marts")
    con.execute("create table raw.rubric_settings as select 'Asia/Shanghai' as reporting_timezone")
    con.execute("create table raw.toy as select * from (values ('2026-06', 1), ('2026-07', 1), ('2026-Q3', 1)) t(period, v)")
    con.execute("create table marts.fct_toy as select '2026-06' as period")  # an older shape
    toy = SqlModel("marts", "fct_toy", tmp_path / "fct_toy.sql",
                   "-- Toy.\n-- Partitions: monthly, by period.\nselect period, v from raw.toy")
    july = PeriodScope.from_months(dt.date(2026, 7, 1), dt.date(2026, 7, 1))
    first = build(con, toy, july)
    assert (first.full_reason, first.rows) == ("columns changed", 3)
    con.execute("update raw.toy set v = 2")
    second = build(con, toy, july)
    assert (second.full_reason, second.scope_rows, second.rows) == (None, 2, 3)
    # July and its quarter were rewritten; June is outside the scope and keeps its old value
    assert con.execute("select period, v from marts.fct_toy order by period").fetchall() == [
        ("2026-06", 1), ("2026-07", 2), ("2026-Q3", 2)]
    assert build(con, toy).rows == 3 and con.execute("select sum(v) from marts.fct_toy").fetchall()[0][0] == 6


def test_a_view_model_carries_the_rubric_and_swaps_with_a_table(tmp_path):
    """`-- Materialized: view.`: the view is right from a connection that set no session variables
    (the rubric's patterns are written into it), every partition run just recreates it, and a model
    may move between table and view."""
    path = str(tmp_path / "w.duckdb")
    con = duckdb.connect(path)
    con.execute("create schema raw; create schema intermediate")
    con.execute("create table raw.rubric_settings as select 'Asia/Shanghai' as reporting_timezone, "
                "'退款|it''s' as complaint_pattern")
    con.execute("create table raw.toy as select * from (values ('我要退款'), ('it''s fine'), ('ok')) t(text)")
    sql = "select text, regexp_matches(text, getvariable('complaint_pattern')) as hit from raw.toy"
    view = SqlModel("intermediate", "int_toy", tmp_path / "int_toy.sql",
                    "-- Toy.\n-- Partitions: monthly, by sent_at.\n-- Materialized: view.\n" + sql)
    table = SqlModel("intermediate", "int_toy", tmp_path / "int_toy.sql", "-- Toy.\n" + sql)
    assert (view.materialized, table.materialized) == ("view", "table")
    built = build(con, table)
    assert built.rows == 3 and built.full_reason is None
    july = PeriodScope.from_months(dt.date(2026, 7, 1), dt.date(2026, 7, 1))
    assert build(con, view, july).rows == 3
    con.close()
    fresh = duckdb.connect(path, read_only=True)  # no getvariable set here
    assert fresh.execute("select table_type from information_schema.tables where table_name = 'int_toy'").fetchall() == [("VIEW",)]
    assert fresh.execute("select text, hit from intermediate.int_toy order by text").fetchall() == [
        ("it's fine", True), ("ok", False), ("我要退款", True)]
    fresh.close()
    con = duckdb.connect(path)
    assert build(con, table).rows == 3
    assert con.execute("select table_type from information_schema.tables where table_name = 'int_toy'").fetchall() == [("BASE TABLE",)]


def test_one_month_rewrites_only_its_rows_and_a_range_backfill_restores_the_rest(sample_copy, tmp_path):
    out = tmp_path / "out"
    materialize_all(sample_copy, out)
    warehouse = out / "warehouse.duckdb"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        full = snapshot(con)
    with duckdb.connect(str(warehouse)) as con:
        con.execute("delete from marts.fct_scores where period in ('2026-07', '2026-Q3')")
        con.execute("delete from staging.stg_chat__messages where sent_month = '2026-07'")
        con.execute("update marts.fct_scores set overall_score = 12.34 where period = '2026-05'")

    result = run_monthly(sample_copy, out, key="2026-07-01")
    scores = [e for e in result.get_asset_materialization_events()
              if e.asset_key == dg.AssetKey(["marts", "fct_scores"])][0].materialization.metadata
    assert scores["partition_scope"].value == "2026-07"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows_in_scope = con.execute(
            "select count(*) from marts.fct_scores where period in ('2026-07', '2026-Q3')").fetchall()[0][0]
        assert scores["rows_in_scope"].value == rows_in_scope > 0
        after = snapshot(con)
        # July and its quarter are back exactly; May was outside the partition and kept the planted value
        assert con.execute("select count(*) from marts.fct_scores where period = '2026-05' and overall_score <> 12.34"
                           ).fetchall()[0][0] == 0
    assert after["staging.stg_chat__messages"] == full["staging.stg_chat__messages"]
    assert after["marts.fct_scores"] != full["marts.fct_scores"]

    run_monthly(sample_copy, out, tags={RANGE_START_TAG: "2026-04-01", RANGE_END_TAG: "2026-06-01"})
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert snapshot(con) == full


def test_a_month_reads_the_flood_window_before_it(sample_copy, tmp_path):
    """int_messages__violations reads only the months being rebuilt plus one flood window before them
    (the runner's partition bounds): a flood across midnight on 30 September is still seen from
    October alone."""
    room = sample_copy / "exports" / "wecom" / "wr2T5bjU6GEasfPnpBVXrolOy9RPAigQ"
    times = ["2026-09-30 23:56", "2026-09-30 23:58", "2026-10-01 00:00", "2026-10-01 00:02", "2026-10-01 00:04"]
    (room / "flood.jsonl").write_text("\n".join(
        wecom_line(f"flood{n}", "wmFlooder", at, "有人吗", room="wr2T5bjU6GEasfPnpBVXrolOy9RPAigQ")
        for n, at in enumerate(times)) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    materialize_all(sample_copy, out)
    flood = "select message_id, matched_text_masked from intermediate.int_messages__violations where rule = 'flood' and message_id like 'flood%'"
    assert query(out, flood) == [("flood4", "repeated ×5")]
    with duckdb.connect(str(out / "warehouse.duckdb"), read_only=True) as con:
        full = snapshot(con)
    with duckdb.connect(str(out / "warehouse.duckdb")) as con:
        con.execute("delete from intermediate.int_messages__violations")
    run_monthly(sample_copy, out, key="2026-10-01")
    assert query(out, flood) == [("flood4", "repeated ×5")]
    with duckdb.connect(str(out / "warehouse.duckdb"), read_only=True) as con:
        october = con.execute("select * from intermediate.int_messages__violations").fetchall()
    assert sorted(map(repr, october)) == [row for row in full["intermediate.int_messages__violations"]
                                          if "2026-10" in row]
