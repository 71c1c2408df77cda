"""Shared test helpers: build data folders on disk and run the real pipeline on them."""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import duckdb
import pytest

from assets import publish
from pipelines.definitions import all_assets, all_checks, resources
from pipelines.runs import PipelineRun, materialize_pipeline

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "data_samples"
SHANGHAI = ZoneInfo("Asia/Shanghai")


def materialize_all(data_dir: Path, out_dir: Path, *, raise_on_error: bool = True) -> PipelineRun:
    """Every asset but the per-quarter HR file, as `kpi run` does, on a temp warehouse."""
    out_dir.mkdir(parents=True, exist_ok=True)
    pipeline = materialize_pipeline(
        all_assets, all_checks, resources(str(data_dir), str(out_dir), str(out_dir / "warehouse.duckdb")),
        exclude=dg.AssetSelection.assets(publish.hr_grades),
    )
    if raise_on_error and not pipeline.success:
        failed = pipeline.failed
        errors = [event.message for event in failed.all_events if event.is_failure]
        checks = [e.check_name for e in pipeline.get_asset_check_evaluations() if not e.passed]
        raise AssertionError(f"pipeline failed: {errors or checks}")
    return pipeline


def query(out_dir: Path, sql: str, params: dict | None = None) -> list[tuple]:
    con = duckdb.connect(str(out_dir / "warehouse.duckdb"), read_only=True)
    try:
        return con.execute(sql, params or {}).fetchall()
    finally:
        con.close()


def write_config(data_dir: Path, *, roster: str, handles: str, groups: str, contacts: str = "") -> None:
    """A data folder's config: the sample rubric, calendar and settings plus the given CSVs."""
    config = data_dir / "config"
    config.mkdir(parents=True, exist_ok=True)
    for name in ("rubric.yaml", "calendar.yaml", "settings.yaml"):
        shutil.copy(SAMPLES / "config" / name, config / name)
    (config / "roster.csv").write_text(roster, encoding="utf-8")
    (config / "handles.csv").write_text(handles, encoding="utf-8")
    (config / "groups.csv").write_text(groups, encoding="utf-8")
    if contacts:
        (config / "contacts.csv").write_text(contacts, encoding="utf-8")


def wecom_line(msgid: str, sender: str, local: str, text: str, room: str = "room1") -> str:
    """One WeCom archive record; `local` is Asia/Shanghai wall time 'YYYY-MM-DD HH:MM'."""
    at = datetime.strptime(local, "%Y-%m-%d %H:%M").replace(tzinfo=SHANGHAI)
    return json.dumps({
        "msgid": msgid, "action": "send", "from": sender, "tolist": [], "roomid": room,
        "msgtime": int(at.timestamp() * 1000), "msgtype": "text", "text": {"content": text},
    }, ensure_ascii=False)


@pytest.fixture
def sample_copy(tmp_path: Path) -> Path:
    """A private copy of data_samples/ a test may modify."""
    target = tmp_path / "data"
    shutil.copytree(SAMPLES, target, ignore=shutil.ignore_patterns("generate.py", "generate_inputs.py", "README.md"))
    return target
