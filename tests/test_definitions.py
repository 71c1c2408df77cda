"""The code location loads, and what analysts see in the UI is described."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import dagster as dg

from pipelines.definitions import defs
from pipelines.partitions import monthly_partitions, quarterly_partitions
from pipelines.quality import SUITES
from pipelines.resources import WRITER_POOL
from pipelines.sql_runner import LAYERS, SQL_DIR, discover

REPO = Path(__file__).resolve().parents[1]


def test_definitions_load():
    dg.Definitions.validate_loadable(defs)


def test_every_asset_has_group_and_description():
    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        assert node.group_name and node.group_name != "default", key
        assert (node.description or "").strip(), key


def test_one_name_per_thing():
    """sql/<layer>/<name>.sql is the asset [layer, name] in group <layer>."""
    graph = defs.resolve_asset_graph()
    for layer in LAYERS:
        for model in discover(layer):
            node = graph.get(dg.AssetKey([layer, model.name]))
            assert node.group_name == layer


def test_jobs_schedules_sensors_and_checks_exist():
    assert {job.name for job in defs.jobs} == {"ingest_job", "monthly_kpi_job", "quarterly_grading_job"}
    assert {s.name for s in defs.schedules} == {"monthly_kpi_schedule", "quarterly_grading_schedule"}
    assert {s.name for s in defs.sensors} == {"exports_sensor"}
    graph = defs.resolve_asset_graph()
    checks = {key.name for key in graph.asset_check_keys}
    assert checks >= {p.stem for p in (SQL_DIR / "checks").glob("assert_*.sql")}
    assert checks >= {suite.check_name for suite in SUITES}
    blocking = {key.name for key in graph.asset_check_keys if graph.get_check_spec(key).blocking}
    assert blocking >= {suite.check_name for suite in SUITES}


def test_partitions_follow_the_sql_headers():
    """Monthly KPI tables, quarterly grades, one time zone; the HR file is quarterly."""
    graph = defs.resolve_asset_graph()
    partitioned = {}
    for layer in LAYERS:
        for model in discover(layer):
            partitions_def = graph.get(dg.AssetKey([layer, model.name])).partitions_def
            partitioned[model.table] = partitions_def
            expected = {None: None, "monthly": monthly_partitions, "quarterly": quarterly_partitions}[
                model.partitioning.grain if model.partitioning else None]
            assert partitions_def == expected, model.table
    assert partitioned["staging.stg_chat__messages"] == monthly_partitions
    assert partitioned["marts.fct_grades__staff"] == quarterly_partitions
    assert graph.get(dg.AssetKey(["publish", "hr_grades"])).partitions_def == quarterly_partitions
    assert monthly_partitions.timezone == quarterly_partitions.timezone == "Asia/Shanghai"


def test_dagster_cli_validates_workspace():
    result = subprocess.run(
        [str(Path(sys.executable).parent / "dagster"), "definitions", "validate", "-w", "workspace.yaml"],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]


def test_every_warehouse_writer_takes_the_one_writer_pool(tmp_path, monkeypatch):
    """DuckDB has one writer per file: raw, SQL and the HR publisher share a pool whose limit in the
    shipped instance config (dagster.yaml, used by `make dev`) is 1; readers stay outside it."""
    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        writes = key.path[0] in ("raw", *LAYERS) or key == dg.AssetKey(["publish", "hr_grades"])
        assert (defs.get_assets_def(key).op.pool == WRITER_POOL) == writes, key
    home = tmp_path / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text((REPO / "dagster.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    with dg.DagsterInstance.get() as instance:
        assert instance.get_concurrency_config().pool_config.default_pool_limit == 1


def test_the_warehouse_memory_cap_defaults_to_1_2_gb_and_the_environment_changes_it(tmp_path, monkeypatch):
    from pipelines.definitions import resources

    monkeypatch.delenv("KPI_MEMORY_LIMIT", raising=False)
    assert resources("d", "o", str(tmp_path / "w.duckdb"))["warehouse"].memory_limit == "1.2GB"
    monkeypatch.setenv("KPI_MEMORY_LIMIT", "300MB")
    warehouse = resources("d", "o", str(tmp_path / "w.duckdb"))["warehouse"]
    with warehouse.connect() as con:
        setting = con.execute("select current_setting('memory_limit')").fetchall()[0][0]
    assert warehouse.memory_limit == "300MB" and setting.startswith("286")  # DuckDB shows MiB: 300 MB = 286.1 MiB
