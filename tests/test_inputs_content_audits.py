"""Content audit log input kind (assets/inputs/content_audits.py) on hand-made files.

Fixtures (tests/fixtures/inputs/content_audits/): `审核记录_2026Q3.csv` (Chinese headers, GB18030,
CRLF; good rows, a resubmitted post, a post listed with its resubmission first, and one row per
quarantine reason) and `audits_en.csv` (English headers, UTF-8 with BOM, no audit_id column, author
as platform + handle, epoch and ISO-offset times). XLSX workbooks are written by the tests.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import polars as pl
import pytest

from assets.ingest.errors import ExportReadError
from assets.inputs import content_audits
from assets.inputs.base import InputResult, sync_inputs

FIXTURES = Path(__file__).parent / "fixtures" / "inputs" / "content_audits"
ZH = "审核记录_2026Q3.csv"
EN = "audits_en.csv"
ROOM = "wrIZxSegRJiUdK08bJvhem0FrmQpEDyd"
SOURCE_SCHEMA = {"source_record": pl.Int64(), "source_record_label": pl.String()}


def parse(path: Path, **kwargs: str) -> InputResult:
    return content_audits.parse(path, f"inputs/content_audits/{path.name}", **kwargs)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def by_line(frame: pl.DataFrame) -> dict[int, dict]:
    return {row["source_record"]: row for row in frame.to_dicts()}


@pytest.fixture(scope="module")
def zh() -> InputResult:
    return parse(FIXTURES / ZH)


@pytest.fixture(scope="module")
def en() -> InputResult:
    return parse(FIXTURES / EN)


def test_rows_have_the_kind_schema(zh: InputResult, en: InputResult) -> None:
    for result in (zh, en):
        assert result.rows.schema == pl.Schema(content_audits.KIND.schema | SOURCE_SCHEMA)
        assert result.quarantine.columns == ["source_record", "source_record_label", "reason", "raw_snippet"]
    assert (content_audits.KIND.name, content_audits.KIND.table) == ("content_audits", "raw.content_audits")


def test_chinese_gb18030_rows_are_read_with_canonical_values(zh: InputResult) -> None:
    rows = by_line(zh.rows)
    assert sorted(rows) == [2, 3, 4, 5, 12, 13]
    assert rows[2] == {
        "audit_id": "A001", "post_id": "P100", "submission": 1, "staff_id": "S011", "staff_platform": None,
        "staff_handle": None, "group_id": None, "platform": "wecom", "source_key": ROOM, "content_type": "文章",
        "submitted_at": utc("2026-07-01 01:00"), "first_verdict": "pass", "first_reviewed_at": utc("2026-07-01 02:30"),
        "final_verdict": "pass", "final_reviewed_at": utc("2026-07-01 07:00"), "score": 4.5, "reviewer": "李娜",
        "passed_first_time": True, "source_record": 2, "source_record_label": "line 2",
    }
    # 修改后通过 (passed after changes) is `revise`: not a first-time pass.
    verdicts = (rows[4]["first_verdict"], rows[4]["final_verdict"], rows[4]["passed_first_time"])
    assert verdicts == ("revise", "pass", False)
    assert rows[4]["submitted_at"] == utc("2026-07-03 06:00")  # 2026/07/03 14:00 Shanghai
    assert rows[3]["final_verdict"] is None and rows[3]["final_reviewed_at"] is None


def test_pending_verdict_is_null_and_blank_audit_id_is_a_fingerprint(zh: InputResult) -> None:
    row = by_line(zh.rows)[5]
    assert (row["first_verdict"], row["passed_first_time"], row["score"]) == (None, None, None)
    assert row["submitted_at"] == utc("2026-07-05 02:00")  # 2026年7月5日 10:00
    assert row["audit_id"].startswith("fp:") and len(row["audit_id"]) == 35


def test_resubmissions_are_numbered_by_submission_time(zh: InputResult) -> None:
    numbered = {(r["post_id"], r["submission"]): (r["source_record"], r["passed_first_time"])
                for r in zh.rows.to_dicts()}
    assert numbered[("P101", 1)] == (3, False) and numbered[("P101", 2)] == (4, False)
    # P108's resubmission (line 12, passed) is listed before its first submission (line 13, rejected).
    assert numbered[("P108", 1)] == (13, False) and numbered[("P108", 2)] == (12, True)


def test_every_quarantine_reason_names_what_was_expected(zh: InputResult) -> None:
    reasons = dict(zip(zh.quarantine["source_record"], zh.quarantine["reason"], strict=True))
    assert sorted(reasons) == [6, 7, 8, 9, 10, 11, 14, 15]
    assert reasons[6].startswith("first_verdict 待定 is not one of: pass, passed")
    assert "通过" in reasons[6] and "驳回" in reasons[6] and "修改后通过" in reasons[6]
    assert reasons[7] == "score 6 is outside 1–5 (expected a reviewer score from 1 to 5)"
    assert reasons[8].startswith("submitted_at 明天上午 is not a date/time (expected e.g. 2026-05-01 14:30")
    assert reasons[9] == ("final_reviewed_at 2026-07-08 11:00 is before first_reviewed_at 2026-07-08 12:00 "
                          "(expected the final review after the first)")
    assert reasons[10] == "post_id is blank (expected the id of the reviewed post: 内容编号/作品ID/post_id)"
    assert reasons[11] == "score 优 is not a number (expected a reviewer score from 1 to 5, e.g. 4 or 4.5)"
    assert reasons[14] == ("first_reviewed_at 2026-07-10 09:00 is before submitted_at 2026-07-11 09:00 "
                           "(expected the review after the submission)")
    assert reasons[15] == ("final_verdict is given but first_verdict is blank (expected the first review's "
                           "verdict: 初审结果); score 0 is outside 1–5 (expected a reviewer score from 1 to 5)")
    snippet = zh.quarantine.filter(pl.col("source_record") == 6)["raw_snippet"][0]
    assert snippet.startswith("post_id=P103; submitted_at=2026-07-06 09:00; first_verdict=待定;")
    assert zh.quarantine["source_record_label"][0] == "line 6"
    assert zh.warnings == []


def test_english_bom_file_with_handles_epochs_and_offsets(en: InputResult) -> None:
    rows = by_line(en.rows)
    assert rows[2]["submitted_at"] == utc("2026-07-03 01:00")  # epoch seconds 1783040400
    assert rows[3]["submitted_at"] == utc("2026-07-02 00:00")  # 2026-07-02T08:00:00+08:00
    assert [(rows[n]["staff_platform"], rows[n]["staff_handle"], rows[n]["group_id"]) for n in (2, 5)] == [
        ("wecom", "liufang", "G04"), ("telegram", "user5316620458", None)]
    # Case does not matter: Passed, Rejected, Revise, PENDING.
    assert [(rows[n]["first_verdict"], rows[n]["final_verdict"], rows[n]["submission"]) for n in (2, 3, 4, 5)] == [
        ("pass", None, 1), ("fail", "revise", 1), ("revise", "pass", 2), (None, None, 1)]
    assert rows[3]["score"] is None and rows[4]["score"] == 3.5
    assert all(r["audit_id"].startswith("fp:") for r in rows.values())
    assert en.rows["audit_id"].n_unique() == 4 and en.quarantine.is_empty()


def test_fingerprints_do_not_depend_on_the_file_name(en: InputResult, tmp_path: Path) -> None:
    copy = tmp_path / "august_reexport.csv"
    shutil.copy(FIXTURES / EN, copy)
    assert parse(copy).rows["audit_id"].to_list() == en.rows["audit_id"].to_list()


def test_a_quarantined_first_submission_keeps_the_resubmission_second(tmp_path: Path) -> None:
    path = tmp_path / "audits.csv"
    path.write_text(
        "post_id,staff_id,submitted_at,first_verdict,score\n"
        "P1,S001,2026-07-01 09:00,fail,9\n"
        "P1,S001,2026-07-02 09:00,pass,4\n", encoding="utf-8")
    result = parse(path)
    assert result.rows.select("source_record", "submission", "passed_first_time").rows() == [(3, 2, True)]
    assert result.quarantine["source_record"].to_list() == [2]


def test_timezone_argument_reads_wall_clock_times(tmp_path: Path) -> None:
    path = tmp_path / "audits.csv"
    path.write_text("post_id,staff_id,submitted_at,first_verdict\nP1,S001,2026-07-01 09:00,pass\n", encoding="utf-8")
    assert parse(path, timezone="UTC").rows["submitted_at"][0] == utc("2026-07-01 09:00")


def test_incomplete_identities_are_kept_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "audits.csv"
    path.write_text(
        "审核编号,作品ID,作者,发布群,提交时间,初审结果\n"
        "A1,P1,liufang,,2026-07-01 09:00,通过\n"
        "A1,P2,,wr123,2026-07-01 09:00,通过\n"
        "A3,P3,,,2026-07-01 09:00,通过\n", encoding="utf-8")
    result = parse(path)
    assert result.rows.height == 3
    assert result.warnings == [
        "1 row(s) give only one of staff_platform and staff_handle and no staff_id; their author cannot be "
        "matched to the roster",
        "1 row(s) give only one of platform and source_key and no group_id; their group cannot be matched to "
        "the registry",
        "1 row(s) name neither an author nor a group; they count towards no staff or group metric",
        "1 row(s) repeat an audit_id used by an earlier row of the file",
    ]


def test_xlsx_with_chinese_headers_and_typed_cells(tmp_path: Path) -> None:
    path = tmp_path / "审核记录.xlsx"
    pl.DataFrame({
        "内容编号": ["P1", "P1", "P2"],
        "工号": ["S011", "S011", "S012"],
        "群编号": ["G04", "G04", "G04"],
        "内容类型": ["视频", "视频", "文章"],
        "提交时间": [datetime(2026, 7, 1, 9), datetime(2026, 7, 2, 9), datetime(2026, 7, 3, 9)],
        "初审结果": ["不通过", "通过", "不合格"],
        "初审时间": [datetime(2026, 7, 1, 10), datetime(2026, 7, 2, 10), datetime(2026, 7, 3, 10)],
        "评分": [2.0, 4.5, 7.0],
    }).write_excel(path)
    result = parse(path)
    assert result.rows.select(
        "post_id", "submission", "staff_id", "group_id", "submitted_at", "first_verdict", "score",
        "passed_first_time", "source_record_label",
    ).rows() == [
        ("P1", 1, "S011", "G04", utc("2026-07-01 01:00"), "fail", 2.0, False, "Sheet1!row 2"),
        ("P1", 2, "S011", "G04", utc("2026-07-02 01:00"), "pass", 4.5, True, "Sheet1!row 3"),
    ]
    assert result.quarantine.select("source_record_label", "reason").rows() == [
        ("Sheet1!row 4", "score 7 is outside 1–5 (expected a reviewer score from 1 to 5)")]


def test_unknown_header_is_an_error_naming_it_and_the_accepted_ones(tmp_path: Path) -> None:
    path = tmp_path / "audits.csv"
    path.write_text("作品ID,提交时间,初审结果,点赞数\nP1,2026-07-01 09:00,通过,12\n", encoding="utf-8")
    with pytest.raises(ExportReadError, match=r"unknown header\(s\) '点赞数'; accepted headers — audit_id: 审核编号") as error:
        parse(path)
    assert error.value.path == "inputs/content_audits/audits.csv"


def test_missing_required_column_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "audits.csv"
    path.write_text("作品ID,初审结果\nP1,通过\n", encoding="utf-8")
    with pytest.raises(ExportReadError, match="missing required column"):
        parse(path)


def test_loading_the_folder_twice_is_idempotent(tmp_path: Path) -> None:
    folder = tmp_path / "data" / "inputs" / "content_audits" / "2026"
    shutil.copytree(FIXTURES, folder)
    kinds = {"content_audits": content_audits.KIND}
    con = duckdb.connect()

    def counts() -> tuple:
        return con.sql(
            "select (select count(*) from raw.content_audits), (select count(*) from raw.input_quarantine), "
            "(select count(*) from raw.input_files), (select count(distinct audit_id) from raw.content_audits)"
        ).fetchall()[0]

    first = sync_inputs(con, tmp_path / "data", kinds)
    assert counts() == (10, 8, 2, 10)
    assert not any(f["skipped"] for f in first.files)
    second = sync_inputs(con, tmp_path / "data", kinds)
    assert counts() == (10, 8, 2, 10)
    assert all(f["skipped"] for f in second.files)
    assert con.sql(
        "select source_file, source_record_label, input_kind from raw.input_quarantine order by source_record limit 1"
    ).fetchall() == [(f"inputs/content_audits/2026/{ZH}", "line 6", "content_audits")]
