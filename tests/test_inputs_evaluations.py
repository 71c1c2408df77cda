"""Multi-rater evaluations input kind (assets/inputs/evaluations.py) on hand-made files.

Fixtures (tests/fixtures/inputs/evaluations/): `考核评价_2026Q3.csv` (Chinese headers, GB18030, CRLF;
every period spelling, all four rater types on 100/10/5 scales, two anonymous customer ratings, a
resubmitted supervisor rating, and one row per quarantine reason) and `evaluations_en.csv`
(English headers, UTF-8 with BOM; a self rating filled twice without rater_id). XLSX workbooks are
written by the tests.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import polars as pl
import pytest

from assets.ingest.errors import ExportReadError
from assets.inputs import evaluations
from assets.inputs.base import InputResult, sync_inputs

FIXTURES = Path(__file__).parent / "fixtures" / "inputs" / "evaluations"
ZH = "考核评价_2026Q3.csv"
EN = "evaluations_en.csv"
SOURCE_SCHEMA = {"source_record": pl.Int64(), "source_record_label": pl.String()}


def parse(path: Path, **kwargs: str) -> InputResult:
    return evaluations.parse(path, f"inputs/evaluations/{path.name}", **kwargs)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def by_line(frame: pl.DataFrame) -> dict[int, dict]:
    return {row["source_record"]: row for row in frame.to_dicts()}


def reasons(result: InputResult) -> dict[int, str]:
    return dict(zip(result.quarantine["source_record"], result.quarantine["reason"], strict=True))


@pytest.fixture(scope="module")
def zh() -> InputResult:
    return parse(FIXTURES / ZH)


@pytest.fixture(scope="module")
def en() -> InputResult:
    return parse(FIXTURES / EN)


def test_rows_have_the_kind_schema(zh: InputResult, en: InputResult) -> None:
    for result in (zh, en):
        assert result.rows.schema == pl.Schema(evaluations.KIND.schema | SOURCE_SCHEMA)
        assert result.quarantine.columns == ["source_record", "source_record_label", "reason", "raw_snippet"]
        assert result.warnings == []
    assert (evaluations.KIND.name, evaluations.KIND.table) == ("evaluations", "raw.evaluations")


def test_chinese_gb18030_ratings_on_every_scale(zh: InputResult) -> None:
    rows = by_line(zh.rows)
    assert sorted(rows) == [2, 3, 4, 5, 6, 7, 9, 10]
    assert rows[2] == {
        "staff_id": "S003", "period_type": "quarter", "period": "2026-Q3", "rater_type": "self", "rater_id": "S003",
        "score": 90.0, "scale": 100, "score_normalised": 90.0, "submitted_at": utc("2026-09-25 02:00"),
        "comment": "本季度完成群内答疑 312 次", "source_record": 2, "source_record_label": "line 2",
    }
    assert [(rows[n]["period"], rows[n]["rater_type"], rows[n]["score"], rows[n]["scale"], rows[n]["score_normalised"])
            for n in (3, 4, 5)] == [
        ("2026-Q3", "supervisor", 8.5, 10, 85.0),  # 2026-Q3, 上级, 8.5 of 10
        ("2026-Q3", "peer", 4.0, 5, 80.0),  # 2026Q3, 同事, 4 of 5
        ("2026-Q3", "customer", 4.5, 5, 90.0),  # 2026年Q3, 客户, scale written 5分
    ]
    assert rows[5]["comment"] == "服务很好,耐心"
    assert (rows[10]["rater_type"], rows[10]["scale"], rows[10]["submitted_at"]) == ("peer", 100, None)  # 同级, blanks


def test_anonymous_customer_ratings_are_all_kept(zh: InputResult) -> None:
    rows = by_line(zh.rows)
    assert [(rows[n]["rater_type"], rows[n]["rater_id"], rows[n]["score_normalised"]) for n in (6, 7)] == [
        ("customer", None, 100.0), ("customer", None, 60.0)]


def test_a_rater_who_rated_twice_is_kept_once_latest_first(zh: InputResult) -> None:
    rows, why = by_line(zh.rows), reasons(zh)
    # Line 8 (2026年7月) and line 9 (2026-07) are the same month: the later submission wins.
    assert (rows[9]["period_type"], rows[9]["period"], rows[9]["score"]) == ("month", "2026-07", 82.0)
    assert why[8] == ("superseded by line 9 (same staff_id, period, rater_type and rater; "
                      "the latest submitted_at is kept)")
    # Line 16 is further down the file but was submitted before line 3.
    assert rows[3]["score"] == 8.5 and why[16].startswith("superseded by line 3 ")


def test_every_quarantine_reason_names_what_was_expected(zh: InputResult) -> None:
    why = reasons(zh)
    assert sorted(why) == [8, 11, 12, 13, 14, 15, 16, 17, 18]
    assert why[11] == ("period 2026年第五季度 is not a quarter or month (expected e.g. 2026-Q3, 2026Q3, 2026年第三季度, "
                       "2026年Q3, or a month 2026-07 / 2026年7月)")
    assert why[18].startswith("period 2026年13月 is not a quarter or month")
    assert why[12].startswith("rater_type 朋友 is not one of: self, 自评,")
    assert all(word in why[12] for word in ("supervisor", "上级", "peer", "同事", "customer", "客户"))
    assert why[13] == "score 120 is outside 0–100 (expected a rating from 0 to the scale)"
    assert why[14] == ("a self rating of staff_id S005 by rater_id S006 (expected a self rating's rater_id "
                       "to be the rated staff_id, or blank)")
    assert why[15] == "scale 20 is not 100, 10 or 5 (expected the maximum score: 100, 10 or 5; blank means 100)"
    assert why[17] == "staff_id is blank (expected the rated staff member's id: 被评人工号/staff_id)"
    first = zh.quarantine.row(0, named=True)
    assert first["source_record_label"] == "line 8"
    assert first["raw_snippet"] == ("staff_id=S004; period=2026年7月; rater_type=主管; rater_id=S001; score=78; "
                                    "scale=; submitted_at=2026-07-31 18:00; comment=")


def test_english_bom_file_and_a_self_rating_filled_twice(en: InputResult) -> None:
    rows, why = by_line(en.rows), reasons(en)
    assert sorted(rows) == [3, 4, 5]
    assert (rows[3]["period"], rows[3]["rater_type"], rows[3]["score_normalised"]) == ("2026-Q3", "supervisor", 80.0)
    assert (rows[4]["rater_type"], rows[4]["rater_id"], rows[4]["score"]) == ("self", None, 92.0)
    assert (rows[5]["rater_type"], rows[5]["score_normalised"], rows[5]["comment"]) == (
        "customer", 75.0, "Quick replies, thanks")
    # Line 2 says 2026-09-28 09:00+08:00, line 4 2026-09-29 08:00 Shanghai: line 4 is later.
    assert why[2].startswith("superseded by line 4 ")
    assert why[6] == "score abc is not a number (expected the rating, e.g. 85 or 4.5)"
    assert why[7].startswith("submitted_at yesterday is not a date/time")


@pytest.mark.parametrize(
    ("text", "period_type", "period"),
    [
        ("2026-Q3", "quarter", "2026-Q3"), ("2026Q3", "quarter", "2026-Q3"), ("2026 q4", "quarter", "2026-Q4"),
        ("2026年第三季度", "quarter", "2026-Q3"), ("2026年第1季度", "quarter", "2026-Q1"),
        ("2026年Q2", "quarter", "2026-Q2"), ("2026年四季度", "quarter", "2026-Q4"),
        ("2026-07", "month", "2026-07"), ("2026-7", "month", "2026-07"), ("2026/12", "month", "2026-12"),
        ("2026年7月", "month", "2026-07"), ("2026年07月份", "month", "2026-07"),
        ("2026-Q5", None, None), ("2026-13", None, None), ("2026-3", "month", "2026-03"), ("Q3", None, None),
    ],
)
def test_period_spellings(tmp_path: Path, text: str, period_type: str | None, period: str | None) -> None:
    path = tmp_path / "evaluations.csv"
    path.write_text(f"staff_id,period,rater_type,score\nS001,{text},supervisor,80\n", encoding="utf-8")
    result = parse(path)
    if period is None:
        assert result.rows.is_empty()
        assert reasons(result)[2].startswith(f"period {text} is not a quarter or month")
    else:
        assert result.rows.select("period_type", "period").row(0) == (period_type, period)


def test_xlsx_with_chinese_headers_and_typed_cells(tmp_path: Path) -> None:
    path = tmp_path / "考核评价.xlsx"
    pl.DataFrame({
        "被评人工号": ["S007", "S007", "S007"],
        "考核周期": ["2026年第三季度", "2026年第三季度", "2026年第三季度"],
        "评价人类型": ["主管", "客户", "自评"],
        "评价人": ["S002", None, "S007"],
        "评分": [9.0, 4.0, 11.0],
        "满分": [10, 5, 10],
        "提交时间": [datetime(2026, 9, 30, 9), datetime(2026, 9, 30, 10), datetime(2026, 9, 30, 11)],
    }).write_excel(path)
    result = parse(path)
    assert result.rows.select(
        "rater_type", "rater_id", "score", "scale", "score_normalised", "submitted_at", "source_record_label",
    ).rows() == [
        ("supervisor", "S002", 9.0, 10, 90.0, utc("2026-09-30 01:00"), "Sheet1!row 2"),
        ("customer", None, 4.0, 5, 80.0, utc("2026-09-30 02:00"), "Sheet1!row 3"),
    ]
    assert result.quarantine.select("source_record_label", "reason").rows() == [
        ("Sheet1!row 4", "score 11 is outside 0–10 (expected a rating from 0 to the scale)")]


def test_unknown_header_is_an_error_naming_it_and_the_accepted_ones(tmp_path: Path) -> None:
    path = tmp_path / "evaluations.csv"
    path.write_text("被评人工号,考核周期,评价人类型,评分,部门\nS001,2026-Q3,上级,80,客服部\n", encoding="utf-8")
    with pytest.raises(ExportReadError, match=r"unknown header\(s\) '部门'; accepted headers — staff_id: 被评人工号"):
        parse(path)


def test_missing_required_column_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "evaluations.csv"
    path.write_text("被评人工号,考核周期,评分\nS001,2026-Q3,80\n", encoding="utf-8")
    with pytest.raises(ExportReadError, match="missing required column.*rater_type"):
        parse(path)


def test_loading_the_folder_twice_is_idempotent(tmp_path: Path) -> None:
    folder = tmp_path / "data" / "inputs" / "evaluations"
    shutil.copytree(FIXTURES, folder)
    kinds = {"evaluations": evaluations.KIND}
    con = duckdb.connect()

    def counts() -> tuple:
        return con.sql(
            "select (select count(*) from raw.evaluations), (select count(*) from raw.input_quarantine), "
            "(select count(*) from raw.input_files), (select sum(score_normalised) from raw.evaluations)"
        ).fetchall()[0]

    first = sync_inputs(con, tmp_path / "data", kinds)
    expected = (11, 12, 2, 90 + 85 + 80 + 90 + 100 + 60 + 82 + 70 + 80 + 92 + 75)
    assert counts() == expected
    assert not any(f["skipped"] for f in first.files)
    second = sync_inputs(con, tmp_path / "data", kinds)
    assert counts() == expected
    assert all(f["skipped"] for f in second.files)
