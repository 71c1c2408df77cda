"""The ticket log (inputs/tickets → raw.tickets): hand-checked rows, is_resolved, the latest row of
a repeated ticket, every quarantine reason, header errors, XLSX, and idempotent loading."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import duckdb
import polars as pl
import pytest

from assets.ingest.errors import ExportReadError
from assets.inputs import surveys, tickets
from assets.inputs.base import sync_inputs
from assets.inputs.tables import normalise_header
from assets.inputs.tickets import COLUMNS, KIND, parse

FIXTURES = Path(__file__).parent / "fixtures" / "inputs" / "tickets"
CHINESE = FIXTURES / "工单导出_2026-05.csv"
ENGLISH = FIXTURES / "helpdesk_en.csv"


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text + "+00:00")


def by_id(rows: pl.DataFrame) -> dict[str, dict]:
    return {row["ticket_id"]: row for row in rows.iter_rows(named=True)}


def reasons(result) -> dict[str, str]:
    return dict(result.quarantine.select("source_record_label", "reason").iter_rows())


def test_fixtures_are_in_the_encodings_they_claim():
    with pytest.raises(UnicodeDecodeError):
        CHINESE.read_bytes().decode("utf-8")
    assert ENGLISH.read_bytes().startswith(b"\xef\xbb\xbf")


def test_chinese_gb18030_log_good_rows():
    result = parse(CHINESE, "inputs/tickets/工单导出_2026-05.csv")
    rows = by_id(result.rows)
    assert set(rows) == {"T1001", "T1002", "T1003", "T1009", "T1010"}
    t1001 = rows["T1001"]
    assert (t1001["opened_at"], t1001["closed_at"]) == (utc("2026-05-06 01:12:00"), utc("2026-05-06 07:40:00"))
    assert (t1001["ticket_type"], t1001["status"], t1001["is_resolved"]) == ("complaint", "resolved", True)
    assert (t1001["staff_id"], t1001["platform"], t1001["source_key"]) == ("S001", "wecom", "wrOgQhDgAAAA1")
    assert (t1001["customer"], t1001["message_id"], t1001["satisfaction"]) == ("wmCustA", "msg-001", 5)
    # 处理人 is the roster id, so no staff platform is made up for it.
    assert (t1001["staff_platform"], t1001["staff_handle"]) == (None, None)
    # 处理中 is open: not resolved; absent fields are null, not zero.
    t1002 = rows["T1002"]
    assert (t1002["ticket_type"], t1002["status"], t1002["is_resolved"]) == ("consultation", "open", False)
    assert (t1002["closed_at"], t1002["satisfaction"], t1002["customer"]) == (None, None, None)
    # 已关闭 without a 关闭时间: unknown, and said so in the file's warnings.
    assert (rows["T1003"]["ticket_type"], rows["T1003"]["status"], rows["T1003"]["is_resolved"]) == (
        "after_sales", "closed", None)
    assert result.warnings == [
        "1 ticket(s) are resolved/closed without a closed_at; their is_resolved is left null (unknown) rather than guessed"
    ]
    assert result.rows.schema == {**KIND.schema, "source_record": pl.Int64(), "source_record_label": pl.String()}


def test_a_repeated_ticket_keeps_its_latest_row():
    result = parse(CHINESE, "inputs/tickets/工单导出_2026-05.csv")
    rows = by_id(result.rows)
    # T1009: the resolution (closed_at 17:00) is later than the opening row.
    assert (rows["T1009"]["source_record_label"], rows["T1009"]["status"], rows["T1009"]["is_resolved"]) == (
        "line 12", "resolved", True)
    assert rows["T1009"]["closed_at"] == utc("2026-05-08 09:00:00")
    # T1010: reopened on 05-10 after being resolved on 05-09: the reopening wins.
    assert (rows["T1010"]["source_record_label"], rows["T1010"]["status"], rows["T1010"]["is_resolved"]) == (
        "line 14", "reopened", False)
    found = reasons(result)
    assert found["line 11"] == ("ticket T1009 superseded by its later entry on line 12 "
                                "(the row with the latest closed_at/opened_at is kept)")
    assert found["line 13"].startswith("ticket T1010 superseded by its later entry on line 14")


def test_chinese_log_quarantines_every_unusable_row_with_its_reason():
    found = reasons(parse(CHINESE, "inputs/tickets/工单导出_2026-05.csv"))
    expected = {
        "line 5": "closed_at 2026-05-07 08:00 is before opened_at 2026-05-07 09:00",
        "line 6": "ticket_type 退货 is not one of: complaint, 投诉, consultation",
        "line 7": "status 挂起 is not one of: open, 处理中, 待处理",
        "line 8": "ticket_id is empty",
        "line 9": "opened_at 下周一 is not a date/time",
        "line 10": "closed_at 昨天 is not a date/time",
        "line 11": "ticket T1009 superseded",
        "line 13": "ticket T1010 superseded",
        "line 15": "satisfaction 6 is not a whole number from 1 to 5",
        "line 17": "status is empty; expected one of: open",
    }
    assert set(found) == set(expected)
    for label, fragment in expected.items():
        assert found[label].startswith(fragment), (label, found[label])


def test_english_bom_log_with_platform_accounts():
    result = parse(ENGLISH, "inputs/tickets/helpdesk_en.csv")
    rows = by_id(result.rows)
    assert set(rows) == {"HD-1", "HD-3"}
    hd1 = rows["HD-1"]
    assert (hd1["opened_at"], hd1["closed_at"]) == (utc("2026-05-11 01:00:00"), utc("2026-05-11 04:00:00"))
    # The account is read on the row's platform; `satisfied` is 4; closed with a time is resolved.
    assert (hd1["staff_platform"], hd1["staff_handle"], hd1["satisfaction"]) == ("wecom", "zhangsan", 4)
    assert (hd1["status"], hd1["is_resolved"]) == ("closed", True)
    # Mixed case values map; on equal times the later line of a repeated ticket wins.
    hd3 = rows["HD-3"]
    assert (hd3["ticket_type"], hd3["status"], hd3["source_record_label"]) == ("after_sales", "open", "line 5")
    found = reasons(result)
    assert set(found) == {"line 3", "line 4"}
    assert found["line 3"].startswith("staff_handle lisi has no staff_platform (or platform)")
    assert found["line 4"].startswith("ticket HD-3 superseded by its later entry on line 5")
    assert result.warnings == []


def test_xlsx_log(tmp_path):
    path = tmp_path / "工单.xlsx"
    pl.DataFrame({
        "工单编号": ["W1", "W2", "W3"],
        "创建时间": [datetime(2026, 6, 2, 9, 0), datetime(2026, 6, 2, 10, 0), datetime(2026, 6, 2, 11, 0)],
        "解决时间": [datetime(2026, 6, 2, 18, 0), None, datetime(2026, 6, 2, 10, 0)],
        "工单类型": ["投诉", "其他", "咨询"],
        "工单状态": ["已完成", "重新打开", "已解决"],
        "处理人工号": ["S001", "S002", "S003"],
        "来源群": ["G001", None, "G002"],
        "评价": [5, None, 3],
    }).write_excel(path)
    result = parse(path, "inputs/tickets/工单.xlsx")
    rows = by_id(result.rows)
    assert set(rows) == {"W1", "W2"}
    assert (rows["W1"]["closed_at"], rows["W1"]["status"], rows["W1"]["is_resolved"]) == (
        utc("2026-06-02 10:00:00"), "resolved", True)
    assert (rows["W1"]["group_id"], rows["W1"]["satisfaction"], rows["W1"]["source_record_label"]) == (
        "G001", 5, "Sheet1!row 2")
    assert (rows["W2"]["ticket_type"], rows["W2"]["is_resolved"], rows["W2"]["group_id"]) == ("other", False, None)
    assert reasons(result) == {"Sheet1!row 4": "closed_at 2026-06-02 10:00:00 is before opened_at 2026-06-02 11:00:00"}


def test_unknown_header_is_an_error_naming_it(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text("工单号,创建时间,状态,优先级\nT1,2026-05-01 10:00,处理中,高\n", encoding="utf-8")
    with pytest.raises(ExportReadError, match="unknown header.*优先级"):
        parse(path, "inputs/tickets/log.csv")


def test_missing_status_column_is_an_error(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text("工单号,创建时间\nT1,2026-05-01 10:00\n", encoding="utf-8")
    with pytest.raises(ExportReadError, match="missing required column.*status"):
        parse(path, "inputs/tickets/log.csv")


def test_every_alias_means_one_column():
    names = [normalise_header(a) for c in COLUMNS for a in (c.name, *c.aliases)]
    assert len(names) == len(set(names))


def test_loading_a_folder_twice_is_idempotent(tmp_path):
    """Both business logs side by side in one data folder, loaded twice."""
    for kind, fixtures in (("tickets", (CHINESE, ENGLISH)), ("surveys", (surveys_fixture(),))):
        folder = tmp_path / "inputs" / kind / "2026"
        folder.mkdir(parents=True)
        for fixture in fixtures:
            shutil.copy(fixture, folder / fixture.name)
    con = duckdb.connect()
    kinds = {"tickets": tickets.KIND, "surveys": surveys.KIND}

    def counts():
        return con.execute(
            "select (select count(*) from raw.tickets), (select count(distinct ticket_id) from raw.tickets), "
            "(select count(*) from raw.input_quarantine where input_kind = 'tickets'), "
            "(select count(*) from raw.survey_responses), (select count(*) from raw.input_files)"
        ).fetchall()[0]

    sync_inputs(con, tmp_path, kinds)
    assert counts() == (7, 7, 12, 4, 3)
    second = sync_inputs(con, tmp_path, kinds)
    assert counts() == (7, 7, 12, 4, 3)
    assert all(f["skipped"] for f in second.files)
    assert con.execute(
        "select warnings from raw.input_files where source_file like '%工单导出%'"
    ).fetchall()[0][0] == [
        "1 ticket(s) are resolved/closed without a closed_at; their is_resolved is left null (unknown) rather than guessed"
    ]


def surveys_fixture() -> Path:
    return Path(__file__).parent / "fixtures" / "inputs" / "surveys" / "满意度回访_2026-05.csv"
