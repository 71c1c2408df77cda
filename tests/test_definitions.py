"""The code location loads, and what analysts see in the UI is described."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import dagster as dg

from pipelines.definitions import defs
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


def test_jobs_and_checks_exist():
    assert {job.name for job in defs.jobs} >= {"kpi_job", "publish_grades_job"}
    checks = {key.name for key in defs.resolve_asset_graph().asset_check_keys}
    assert checks == {p.stem for p in (SQL_DIR / "checks").glob("assert_*.sql")}


def test_dagster_cli_validates_workspace():
    result = subprocess.run(
        [str(Path(sys.executable).parent / "dagster"), "definitions", "validate", "-w", "workspace.yaml"],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
