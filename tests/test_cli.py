"""The `kpi` command end to end, as a user runs it (a real subprocess, a real DuckDB file)."""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipelines.hr_publish import HR_COLUMNS

KPI = [sys.executable, "-m", "pipelines.cli"]


def kpi(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*KPI, *args], capture_output=True, text=True, cwd=cwd, timeout=600)


def counts(out: Path) -> tuple:
    con = duckdb.connect(str(out / "warehouse.duckdb"), read_only=True)
    try:
        return con.execute("""
            select (select count(*) from raw.chat_messages), (select count(*) from raw.ingest_quarantine),
                   (select count(*) from staging.stg_chat__messages where is_counted),
                   (select count(*) from marts.fct_requests),
                   (select string_agg(staff_id || coalesce(final_grade, '-'), ',' order by staff_id, quarter)
                    from marts.fct_grades__staff)
        """).fetchall()[0]
    finally:
        con.close()


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    out = tmp_path_factory.mktemp("run") / "out"
    result = kpi("run", "--data", str(Path(__file__).resolve().parents[1] / "data_samples"), "--out", str(out))
    assert result.returncode == 0, result.stderr[-3000:]
    return out, result


def test_run_publishes_every_complete_quarter(sample_run):
    out, result = sample_run
    for quarter in ("2026-Q2", "2026-Q3"):
        revision = out / "published" / "grades" / quarter / "rev-1"
        assert (revision / "grades.csv").read_bytes().startswith(b"\xef\xbb\xbf"), "UTF-8 BOM so Excel shows Chinese"
        assert (revision.parent / "latest").read_text(encoding="utf-8") == "rev-1\n"
        assert f"{revision.resolve()}  (new revision" in result.stdout
    assert not (out / "published" / "grades" / "2026-Q4").exists(), "Q4 is incomplete in the samples"
    assert (out / "dashboards" / "index.html").exists()
    for words in ("messages loaded", "quarantined", "requests", "staff graded", "dashboard"):
        assert words in result.stdout


def test_grade_file_has_one_row_per_active_staff_with_spec_columns(sample_run):
    out, _ = sample_run
    roster = list(csv.DictReader((Path(__file__).resolve().parents[1] / "data_samples/config/roster.csv").open(encoding="utf-8")))
    with (out / "published/grades/2026-Q2/rev-1/grades.csv").open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0].keys()) == HR_COLUMNS
    active_q2 = {r["staff_id"] for r in roster if r["active_from"] <= "2026-06-30" and (not r["active_to"] or r["active_to"] >= "2026-04-01")}
    assert sorted(r["staff_id"] for r in rows) == sorted(active_q2)
    for row in rows:
        assert row["quarter"] == "2026-Q2" and row["revision"] == "1" and row["rubric_version"] == "2026.1"
        assert (row["final_grade"] in {"excellent", "good", "pass", "fail"}) != bool(row["not_rated_reason"])
    # privacy: no member handles or message text in the HR file
    text = (out / "published/grades/2026-Q2/rev-1/grades.csv").read_text(encoding="utf-8-sig")
    contacts = list(csv.DictReader((Path(__file__).resolve().parents[1] / "data_samples/config/contacts.csv").open(encoding="utf-8")))
    assert contacts
    for contact in contacts:
        assert contact["handle"] not in text and contact["name"] not in text
    assert "请问" not in text


def test_corrupted_line_is_quarantined_and_rerun_counts_the_same(sample_copy, tmp_path):
    export = sorted((sample_copy / "exports" / "wecom").rglob("2026-07.jsonl"))[0]
    with export.open("a", encoding="utf-8") as handle:
        handle.write('{"msgid": "x1", "msgtime": "not a time", "from": "wm1"\n')
    out = tmp_path / "out"
    first = kpi("run", "--data", str(sample_copy), "--out", str(out))
    assert first.returncode == 0, first.stderr[-3000:]
    assert "quarantined" in first.stdout and export.name in first.stdout
    before = counts(out)
    assert before[1] == 1
    index = out / "dashboards" / "index.html"
    built = index.stat().st_mtime_ns
    second = kpi("run", "--data", str(sample_copy), "--out", str(out), "--no-dashboard")
    assert second.returncode == 0, second.stderr[-3000:]
    assert counts(out) == before, "re-running the same input never double-counts"
    assert "not rebuilt (--no-dashboard)" in second.stdout and index.stat().st_mtime_ns == built
    assert "unchanged, nothing new written" in second.stdout and "new revision" not in second.stdout
    assert sorted(p.name for p in (out / "published" / "grades" / "2026-Q3").iterdir()) == ["latest", "rev-1"]
    assert "months computed   none (no export, input, config or code changed since the last run)" in second.stdout
    # nothing to compute, but a missing site is written again
    shutil.rmtree(out / "dashboards")
    third = kpi("run", "--data", str(sample_copy), "--out", str(out))
    assert third.returncode == 0, third.stderr[-3000:]
    assert "months computed   none" in third.stdout and index.exists()


def test_grades_command_hands_hr_the_latest_revision_in_chinese(sample_run, tmp_path):
    out, _ = sample_run
    listed = kpi("grades", "--list", "--out", str(out))
    assert listed.returncode == 0, listed.stderr
    assert "2026-Q2" in listed.stdout and "rev-1 (latest)" in listed.stdout
    target = tmp_path / "二季度.csv"
    done = kpi("grades", "--quarter", "2026-Q2", "--lang", "zh", "-o", str(target), "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert str(target) in done.stdout and "rev-1" in done.stdout
    with target.open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert target.read_bytes().startswith(b"\xef\xbb\xbf") and list(rows[0])[:3] == ["工号", "姓名", "岗位"]
    assert {row["最终等级"] for row in rows} <= {"优秀", "良好", "合格", "不合格", ""}


def test_override_of_an_unpublished_quarter_stops_the_run_in_one_line(sample_copy, tmp_path):
    overrides = sample_copy / "overrides" / "grade_overrides.csv"
    overrides.parent.mkdir(exist_ok=True)
    overrides.write_text("staff_id,quarter,grade,reason,decided_by,decided_at\n"
                         "S003,2026-Q3,excellent,appeal upheld,HR,2026-10-15 10:00\n", encoding="utf-8")
    out = tmp_path / "out"
    result = kpi("run", "--data", str(sample_copy), "--out", str(out))
    assert result.returncode == 2
    assert f"{overrides}: line 2: 2026-Q3 has not been published yet" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (out / "published" / "grades").exists(), "nothing published, not even the valid quarter"


@pytest.mark.parametrize(
    "edit, expected",
    [
        (("roster.csv", "customer_service", "astronaut", 1), "roster.csv line 4: unknown role 'astronaut'"),
        (("groups.csv", "customer_service", "vip", 1), "groups.csv line 2: unknown category 'vip'"),
        (("rubric.yaml", "activity: 0.2, content_quality: 0.2", "activity: 0.3, content_quality: 0.2", 1),
         "dimension weights sum to 1.1"),
        (("groups.csv", ",S003,", ",S999,", 1), "owner_staff_id S999 is not in roster.csv"),
    ],
)
def test_config_errors_are_one_actionable_line(sample_copy, tmp_path, edit, expected):
    name, old, new, count = edit
    path = sample_copy / "config" / name
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, count), encoding="utf-8")
    result = kpi("run", "--data", str(sample_copy), "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) <= 2


def test_duplicate_handle_claim_is_rejected(sample_copy, tmp_path):
    handles = sample_copy / "config" / "handles.csv"
    handles.write_text(handles.read_text(encoding="utf-8") + "S004,wecom,zhangwei,,\n", encoding="utf-8")
    result = kpi("run", "--data", str(sample_copy), "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert "handle wecom:zhangwei is claimed by" in result.stderr and "Traceback" not in result.stderr


def test_missing_data_folder_and_bad_quarter(tmp_path):
    result = kpi("run", "--data", str(tmp_path / "nope"), "--out", str(tmp_path / "out"))
    assert result.returncode == 2 and "data folder not found" in result.stderr
    result = kpi("run", "--data", str(tmp_path), "--out", str(tmp_path / "out"), "--quarter", "2026-Q5")
    assert result.returncode == 2 and "not a quarter like 2026-Q3" in result.stderr


def test_unreadable_export_names_the_file(sample_copy, tmp_path):
    bad = sample_copy / "exports" / "telegram" / "broken" / "result.json"
    bad.parent.mkdir(parents=True)
    bad.write_text('{"name": "x", "type": "private_supergroup", "id": 1, "messages": [', encoding="utf-8")
    result = kpi("run", "--data", str(sample_copy), "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert "exports/telegram/broken/result.json" in result.stderr and "Traceback" not in result.stderr


def test_locked_warehouse_fails_fast(sample_copy, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb,time; c=duckdb.connect(r'{out / 'warehouse.duckdb'}'); print('ok', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ok"
        result = kpi("run", "--data", str(sample_copy), "--out", str(out))
        assert result.returncode == 2
        assert "another process holds the warehouse" in result.stderr
    finally:
        holder.kill()


def test_inspect_json_for_a_file():
    import json

    samples = Path(__file__).resolve().parents[1] / "data_samples"
    export = samples / "exports" / "telegram" / "channel_partners" / "result.json"
    result = kpi("inspect", str(export), "--data", str(samples), "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert {"format", "encoding", "messages", "system_events", "quarantined", "first_at", "last_at"} <= set(report)
    assert report["format"] == "telegram" and report["encoding"] == "utf-8"
    assert report["messages"] == sum(1 for m in json.loads(export.read_text(encoding="utf-8"))["messages"]
                                     if m["type"] == "message")
    assert report["first_at"] < report["last_at"]
    assert 0 < report["senders_matched_to_staff"] < report["distinct_senders"]


def test_inspect_folder_reports_unreadable_files(tmp_path):
    import json

    (tmp_path / "notes.txt").write_text("not an export", encoding="utf-8")
    good = tmp_path / "room.jsonl"
    good.write_text('{"msgid":"1","action":"send","from":"a","tolist":[],"roomid":"r","msgtime":1780000000000,'
                    '"msgtype":"text","text":{"content":"hi"}}\nbroken\n', encoding="utf-8")
    result = kpi("inspect", str(tmp_path), "--json")
    assert result.returncode == 0, result.stderr
    files = {f["file"]: f for f in json.loads(result.stdout)["files"]}
    assert "cannot tell the export format" in files["notes.txt"]["error"]
    assert (files["room.jsonl"]["messages"], files["room.jsonl"]["quarantined"]) == (1, 1)
    assert kpi("inspect", str(tmp_path / "missing.json")).returncode == 2


@pytest.mark.shared
def test_inspect_reads_every_real_export():
    import json

    real = Path(__file__).resolve().parents[2] / "shared" / "real_exports"
    if not real.is_dir():
        pytest.skip(f"{real} not found: the shared real-export samples sit beside the checkout in CI")
    result = kpi("inspect", str(real), "--json")
    assert result.returncode == 0, result.stderr
    files = json.loads(result.stdout)["files"]
    assert len(files) >= 40
    unreadable = {f["file"]: f["error"] for f in files if "error" in f}
    assert unreadable == {}
    assert all(f["messages"] > 0 for f in files), [f["file"] for f in files if not f["messages"]]


def test_run_summary_lists_folders_on_big_inputs(monkeypatch):
    from rich.console import Console

    import pipelines.cli as cli

    monkeypatch.setattr(cli, "LIST_FILES_UP_TO", 2)
    out = Console(width=200, record=True)
    cli._print_file_counts(out, [
        ("exports/wecom/a/1.jsonl", "wecom", "utf-8", 5, 0, 0),
        ("exports/wecom/a/2.jsonl", "wecom", "utf-8", 5, 0, 1),
        ("exports/telegram/x/result.json", "telegram", "utf-8", 7, 1, 0),
    ])
    lines = [line.split() for line in out.export_text().splitlines()[1:]]
    assert lines == [
        ["exports/wecom/a/(2", "files)", "wecom", "utf-8", "10", "0", "1"],
        ["exports/telegram/x/(1", "files)", "telegram", "utf-8", "7", "1", "0"],
        ["exports/wecom/a/2.jsonl", "wecom", "utf-8", "5", "0", "1"],  # files with quarantine, by name
    ]
    # more folders than lines: one per top folder
    monkeypatch.setattr(cli, "LIST_FILES_UP_TO", 1)
    out = Console(width=200, record=True)
    cli._print_file_counts(out, [
        ("exports/wecom/a/1.jsonl", "wecom", "utf-8", 5, 0, 0),
        ("exports/wecom/b/2.jsonl", "wecom", "utf-8", 5, 0, 0),
    ])
    lines = [line.split() for line in out.export_text().splitlines()[1:]]
    assert lines == [["exports/wecom/(2", "files)", "wecom", "utf-8", "10", "0", "0"]]


def test_explain_shows_grade_points_and_what_would_raise_it(sample_run):
    out, _ = sample_run
    done = kpi("explain", "--staff", "S001", "--quarter", "2026-q3", "--out", str(out))
    assert done.returncode == 0, done.stderr
    text = done.stdout
    assert "S001" in text and "2026-Q3" in text and "overall" in text
    assert "points" in text and "what would raise the score most" in text
    import duckdb

    with duckdb.connect(str(out / "warehouse.duckdb"), read_only=True) as con:
        # an entity's contributions add up to its overall score; potential gains are the missing points
        gaps = con.sql("""
            select entity_type, entity_id, period, abs(sum(contribution) - any_value(overall_score)) as gap,
                   abs(sum(contribution) + sum(potential_gain) - 100) as total_gap
            from marts.fct_score_explanations
            where overall_score is not null and status = 'scored'
            group by all
        """).fetchall()
    assert gaps and max(g[3] for g in gaps) < 0.02 and max(g[4] for g in gaps) < 0.02


@pytest.mark.parametrize(
    "args, message",
    [
        (["--staff", "NOPE"], "no staff 'NOPE' in the warehouse"),
        (["--staff", "S001", "--group", "G01"], "exactly one of --staff ID or --group ID"),
    ],
)
def test_explain_errors_are_one_line(sample_run, args, message):
    done = kpi("explain", *args, "--quarter", "2026-Q3", "--out", str(sample_run[0]))
    assert done.returncode != 0 and message in done.stderr and "Traceback" not in done.stderr
