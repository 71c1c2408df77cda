"""A failing blocking check stops publishing and leaves earlier published files untouched."""

from __future__ import annotations

import dagster as dg

from assets import publish
from pipelines.definitions import all_assets, all_checks, resources
from pipelines.factories import sql_check
from pipelines.runs import materialize_pipeline


def test_failing_blocking_check_stops_the_dashboard(sample_copy, tmp_path):
    planted = tmp_path / "assert_fct_scores__planted_failure.sql"
    planted.write_text("-- Planted: fails whenever there is any score row.\n"
                       "select entity_id from marts.fct_scores limit 3\n", encoding="utf-8")
    out = tmp_path / "out"
    dashboard = out / "dashboards" / "index.html"
    dashboard.parent.mkdir(parents=True)
    dashboard.write_text("previous dashboard", encoding="utf-8")
    pipeline = materialize_pipeline(
        all_assets, [*all_checks, sql_check(planted)],
        resources(str(sample_copy), str(out), str(out / "warehouse.duckdb")),
        exclude=dg.AssetSelection.assets(publish.hr_grades),
    )
    assert not pipeline.success
    failed = [e for e in pipeline.get_asset_check_evaluations() if not e.passed]
    assert [e.check_name for e in failed] == ["assert_fct_scores__planted_failure"]
    assert failed[0].metadata["failing_rows"].value == 3
    materialized = {e.asset_key for e in pipeline.get_asset_materialization_events()}
    assert dg.AssetKey(["marts", "fct_grades__staff"]) not in materialized
    assert dg.AssetKey(["publish", "dashboards"]) not in materialized
    assert dashboard.read_text(encoding="utf-8") == "previous dashboard"
    # the real checks pass on the sample data
    assert all(e.passed for e in pipeline.get_asset_check_evaluations() if e.check_name != failed[0].check_name)
