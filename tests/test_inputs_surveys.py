"""Survey responses (inputs/surveys → raw.survey_responses): hand-checked rows, every quarantine
reason, header errors, XLSX, and idempotent loading."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import duckdb
import polars as pl
import pytest

from assets.ingest.errors import ExportReadError
from assets.inputs.base import sync_inputs
from assets.inputs.surveys import COLUMNS, KIND, parse
from assets.inputs.tables import normalise_header

FIXTURES = Path(__file__).parent / "fixtures" / "inputs" / "surveys"
CHINESE = FIXTURES / "满意度回访_2026-05.csv"
ENGLISH = FIXTURES / "csat_export_en.csv"


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text + "+00:00")


def by_id(rows: pl.DataFrame) -> dict[str, dict]:
    return {row["response_id"]: row for row in rows.iter_rows(named=True)}


def reasons(result) -> dict[str, str]:
    return dict(result.quarantine.select("source_record_label", "reason").iter_rows())


def test_fixtures_are_in_the_encodings_they_claim():
    with pytest.raises(UnicodeDecodeError):
        CHINESE.read_bytes().decode("utf-8")
    assert ENGLISH.read_bytes().startswith(b"\xef\xbb\xbf")


def test_chinese_gb18030_file_good_rows():
    result = parse(CHINESE, "inputs/surveys/满意度回访_2026-05.csv")
    rows = by_id(result.rows)
    assert set(rows) == {"A001", "A002", "A003", "A014"}
    # Roster id, local Shanghai time → UTC, both scores.
    assert (rows["A001"]["responded_at"], rows["A001"]["staff_id"], rows["A001"]["csat"], rows["A001"]["nps"]) == (
        utc("2026-05-06 02:15:00"), "S001", 5, 9)
    assert rows["A001"]["respondent"] == "wxid_cust01" and rows["A001"]["channel"] == "群内链接"
    # A platform account: the staff platform is the row's platform (企业微信 → wecom); 满意 is 4; no NPS.
    a002 = rows["A002"]
    assert (a002["staff_id"], a002["staff_platform"], a002["staff_handle"]) == (None, "wecom", "zhangsan")
    assert (a002["platform"], a002["source_key"], a002["csat"], a002["nps"]) == ("wecom", "wrOgQhDgAAAA1", 4, None)
    assert a002["responded_at"] == utc("2026-05-06 06:30:00")
    # Attributed to a group only; 一般 is 3; 2026年5月7日 09:00 local.
    a003 = rows["A003"]
    assert (a003["group_id"], a003["staff_id"], a003["staff_platform"], a003["csat"], a003["nps"]) == (
        "G001", None, None, 3, 6)
    assert a003["responded_at"] == utc("2026-05-07 01:00:00")
    # 非常不满意 is 1, and an NPS of 0 is a detractor, not a missing answer.
    assert (rows["A014"]["csat"], rows["A014"]["nps"]) == (1, 0)
    # The blank line 16 is skipped without shifting line numbers.
    assert rows["A014"]["source_record_label"] == "line 17"
    assert result.rows.schema == {**KIND.schema, "source_record": pl.Int64(), "source_record_label": pl.String()}


def test_chinese_file_quarantines_every_unusable_row_with_its_reason():
    found = reasons(parse(CHINESE, "inputs/surveys/满意度回访_2026-05.csv"))
    expected = {
        "line 5": "csat 6 is not a whole number from 1 to 5",
        "line 6": "csat 4.5 is not a whole number from 1 to 5",
        "line 7": "nps 11 is not a whole number from 0 to 10",
        "line 8": "responded_at 昨天下午 is not a date/time",
        "line 9": "names neither a staff member",
        "line 10": "csat and nps are both empty",
        "line 11": "duplicate response_id A001; the response on line 2 is kept",
        "line 12": "staff_handle lisi has no staff_platform",
        "line 13": "source_key wrX has no platform",
        "line 14": "platform 飞书 is not one of",
        "line 15": "responded_at is empty",
    }
    assert set(found) == set(expected)
    for label, fragment in expected.items():
        assert found[label].startswith(fragment), (label, found[label])
    # A row is quarantined once, with all its problems; an invalid nps alone is not "both empty".
    assert "both empty" not in found["line 7"]


def test_quarantine_snippet_shows_cells_as_read_but_not_the_respondent():
    result = parse(CHINESE, "inputs/surveys/满意度回访_2026-05.csv")
    snippets = dict(result.quarantine.select("source_record_label", "raw_snippet").iter_rows())
    assert "csat=4.5" in snippets["line 6"]
    assert "responded_at=2026-05-08 10:00" in snippets["line 11"]
    assert "wxid_cust01" not in snippets["line 11"] and "客户戊" not in snippets["line 9"]


def test_english_bom_file_fingerprints_responses_without_ids():
    result = parse(ENGLISH, "inputs/surveys/csat_export_en.csv")
    rows = result.rows
    assert rows["source_record"].to_list() == [2, 3, 5, 6]
    ids = rows["response_id"].to_list()
    assert ids[3] == "R-77"
    assert all(i.startswith("fp:") and len(i) == 43 for i in ids[:3])
    assert len(set(ids)) == 4
    # The fingerprint is a stored id: the same content gives the same id on every read.
    assert parse(ENGLISH, "elsewhere.csv").rows["response_id"].to_list() == ids
    first, epoch, words, _ = rows.iter_rows(named=True)
    assert first["responded_at"] == utc("2026-05-10 01:00:00")  # +08:00 offset honoured
    assert (first["staff_platform"], first["staff_handle"], first["csat"], first["nps"]) == ("wecom", "zhangsan", 5, 10)
    assert epoch["responded_at"] == utc("2026-05-10 02:00:00")  # epoch seconds
    assert (epoch["platform"], epoch["source_key"], epoch["staff_platform"]) == ("telegram", "-1001234567890", None)
    assert (words["staff_platform"], words["csat"], words["platform"]) == ("wecom", 5, None)  # WeCom, Very Satisfied
    assert reasons(result) == {"line 4": f"duplicate response_id {ids[0]}; the response on line 2 is kept"}


def test_local_times_follow_the_timezone_argument():
    rows = by_id(parse(CHINESE, "s.csv", timezone="UTC").rows)
    assert rows["A001"]["responded_at"] == utc("2026-05-06 10:15:00")


def test_xlsx_with_chinese_headers(tmp_path):
    path = tmp_path / "问卷.xlsx"
    pl.DataFrame({
        "问卷编号": ["X1", "X2", "X3"],
        "填写时间": [datetime(2026, 6, 1, 9, 30), datetime(2026, 6, 1, 10, 0), None],
        "员工编号": ["S001", None, "S002"],
        "群编号": [None, "G002", None],
        "满意度评分": [4, 2, 5],
        "NPS": [10, None, 3],
        "答题人": ["c1", "c2", "c3"],
    }).write_excel(path)
    result = parse(path, "inputs/surveys/问卷.xlsx")
    rows = by_id(result.rows)
    assert set(rows) == {"X1", "X2"}
    assert (rows["X1"]["responded_at"], rows["X1"]["staff_id"], rows["X1"]["csat"], rows["X1"]["nps"]) == (
        utc("2026-06-01 01:30:00"), "S001", 4, 10)
    assert (rows["X2"]["group_id"], rows["X2"]["csat"], rows["X2"]["nps"]) == ("G002", 2, None)
    assert rows["X1"]["source_record_label"] == "Sheet1!row 2"
    assert reasons(result) == {"Sheet1!row 4": "responded_at is empty; expected the time the response was submitted"}


def test_unknown_header_is_an_error_naming_it(tmp_path):
    path = tmp_path / "wjx.csv"
    path.write_text("提交时间,客服工号,满意度,所用时间\n2026-05-01 10:00,S001,5,35秒\n", encoding="utf-8")
    with pytest.raises(ExportReadError, match="unknown header.*所用时间") as error:
        parse(path, "inputs/surveys/wjx.csv")
    assert error.value.path == "inputs/surveys/wjx.csv"


def test_missing_time_column_is_an_error(tmp_path):
    path = tmp_path / "no_time.csv"
    path.write_text("staff_id,csat\nS001,5\n", encoding="utf-8")
    with pytest.raises(ExportReadError, match="missing required column.*responded_at"):
        parse(path, "inputs/surveys/no_time.csv")


def test_header_only_file_gives_no_rows(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("responded_at,staff_id,csat\n", encoding="utf-8")
    result = parse(path, "inputs/surveys/empty.csv")
    assert result.rows.height == 0 and result.quarantine.height == 0


def test_every_alias_means_one_column():
    names = [normalise_header(a) for c in COLUMNS for a in (c.name, *c.aliases)]
    assert len(names) == len(set(names))


def test_loading_a_folder_twice_is_idempotent(tmp_path):
    folder = tmp_path / "inputs" / "surveys" / "2026-05"
    folder.mkdir(parents=True)
    for fixture in (CHINESE, ENGLISH):
        shutil.copy(fixture, folder / fixture.name)
    con = duckdb.connect()
    kinds = {"surveys": KIND}

    def counts():
        return con.execute(
            "select (select count(*) from raw.survey_responses), (select count(*) from raw.input_quarantine), "
            "(select count(*) from raw.input_files), (select count(distinct response_id) from raw.survey_responses)"
        ).fetchall()[0]

    first = sync_inputs(con, tmp_path, kinds)
    assert counts() == (8, 12, 2, 8)
    assert not any(f["skipped"] for f in first.files)
    second = sync_inputs(con, tmp_path, kinds)
    assert counts() == (8, 12, 2, 8)
    assert all(f["skipped"] for f in second.files)
    types = dict(con.execute("select column_name, column_type from (describe raw.survey_responses)").fetchall())
    assert types["responded_at"] == "TIMESTAMP WITH TIME ZONE" and types["csat"] == "BIGINT"
    assert con.execute(
        "select source_file from raw.survey_responses where response_id = 'A001'"
    ).fetchall() == [("inputs/surveys/2026-05/满意度回访_2026-05.csv",)]
