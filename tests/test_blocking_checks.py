"""A failing blocking check stops publishing and leaves earlier published files untouched."""

from __future__ import annotations

import dagster as dg

from assets import publish
from assets.models import sql_checks
from pipelines.definitions import all_assets, resources
from pipelines.factories import sql_check


def test_failing_blocking_check_stops_the_dashboard(sample_copy, tmp_path):
    planted = tmp_path / "assert_fct_grades__staff__planted_failure.sql"
    planted.write_text("-- Planted: fails whenever there is any grade row.\n"
                       "select staff_id from marts.fct_grades__staff limit 3\n", encoding="utf-8")
    out = tmp_path / "out"
    dashboard = out / "dashboards" / "index.html"
    dashboard.parent.mkdir(parents=True)
    dashboard.write_text("previous dashboard", encoding="utf-8")
    result = dg.materialize(
        [*all_assets, *sql_checks, sql_check(planted)],
        selection=dg.AssetSelection.all() - dg.AssetSelection.assets(publish.hr_grades),
        resources=resources(str(sample_copy), str(out), str(out / "warehouse.duckdb")),
        instance=dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
    )
    assert not result.success
    failed = [e for e in result.get_asset_check_evaluations() if not e.passed]
    assert [e.check_name for e in failed] == ["assert_fct_grades__staff__planted_failure"]
    assert failed[0].metadata["failing_rows"].value == 3
    materialized = {e.asset_key for e in result.get_asset_materialization_events()}
    assert dg.AssetKey(["publish", "dashboards"]) not in materialized
    assert dashboard.read_text(encoding="utf-8") == "previous dashboard"
    # the real checks pass on the sample data
    assert all(e.passed for e in result.get_asset_check_evaluations() if e.check_name != failed[0].check_name)
