"""WeCom group-chat statistics input kind on hand-written fixtures (tests/fixtures/inputs/wecom_groupchat/).

zhangsan/2026-05-01_03.json is a bare statistic_group_by_day response in a folder named after the
owner (its last day lacks the has_msg/msg_total fields). calls.jsonl holds by-day wrappers (owner,
or the request's owner_filter with stringly-typed numbers and the education-only field), a
by-owner page with more owners after it, a single-day by-owner call without day_end_time, a
repeated day, an epoch off local midnight and an empty response. problems.jsonl holds one saved
call per quarantine reason.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import duckdb
import polars as pl
import pytest

from assets.ingest.errors import ExportReadError
from assets.inputs import wecom_groupchat
from assets.inputs.base import InputResult, sync_inputs

FIXTURES = Path(__file__).parent / "fixtures" / "inputs" / "wecom_groupchat"
DATA_COLUMNS = ["owner_userid", "stat_date_from", "stat_date_to", "is_range_total", "new_chat_cnt", "chat_total",
                "chat_has_msg", "new_member_cnt", "member_total", "member_has_msg", "msg_total",
                "migrate_trainee_chat_cnt"]
MAY = {day: date(2026, 5, day) for day in range(1, 5)}


def parse(name: str, path: Path | None = None) -> InputResult:
    return wecom_groupchat.parse(path or FIXTURES / name, f"inputs/wecom_groupchat/{name}")


def by_label(frame: pl.DataFrame) -> dict[str, tuple]:
    return {row["source_record_label"]: tuple(row[c] for c in DATA_COLUMNS) for row in frame.to_dicts()}


def test_bare_by_day_response_takes_the_owner_from_its_folder() -> None:
    result = parse("zhangsan/2026-05-01_03.json")
    assert result.rows.schema == pl.Schema(wecom_groupchat.SCHEMA | {
        "source_record": pl.Int64(), "source_record_label": pl.String()})
    assert result.quarantine.is_empty() and result.warnings == []
    assert by_label(result.rows) == {
        "items[0]": ("zhangsan", MAY[1], MAY[1], False, 1, 4, 3, 12, 310, 41, 268, None),
        "items[1]": ("zhangsan", MAY[2], MAY[2], False, 0, 4, 2, 3, 309, 17, 95, None),
        # Fields the response leaves out (here has_msg / msg_total, and the education-only
        # migrate_trainee_chat_cnt everywhere) are NULL, never 0.
        "items[2]": ("zhangsan", MAY[3], MAY[3], False, 0, 4, None, 0, 305, None, None, None),
    }
    assert result.rows["source_record"].to_list() == [1, 2, 3]


def test_wrappers_by_owner_ranges_and_vendor_strings() -> None:
    result = parse("calls.jsonl")
    assert by_label(result.rows) == {
        "line 1 response.items[0]": ("lisi", MAY[1], MAY[1], False, 0, 2, 2, 5, 120, 30, 180, None),
        "line 1 response.items[1]": ("lisi", MAY[2], MAY[2], False, 1, 3, 2, 8, 128, 22, 140, None),
        # {"request": {"owner_filter": {"userid_list": ["wangwu"]}}, …}, every number a string.
        "line 2 response.items[0]": ("wangwu", MAY[1], MAY[1], False, 0, 1, 1, 2, 57, 9, 33, 3),
        # groupchat/statistic by owner over 2026-05-01 … 05-03: one range total per owner.
        "line 4 response.items[0]": ("zhangsan", MAY[1], MAY[3], True, 1, 4, 3, 15, 305, 44, 363, None),
        "line 4 response.items[1]": ("lisi", MAY[1], MAY[3], True, 1, 3, 2, 13, 128, 40, 320, None),
        # day_end_time left out: the API's default is day_begin_time.
        "line 5 response.items[0]": ("zhangsan", MAY[4], MAY[4], True, 0, 4, 1, 2, 306, 6, 21, None),
        # stat_time 1777771800 = 2026-05-03 09:30 Asia/Shanghai, floored.
        "line 7 response.items[0]": ("lisi", MAY[3], MAY[3], False, 0, 3, 1, 0, 127, 4, 12, None),
    }
    assert result.quarantine.select("source_record", "source_record_label", "reason").rows() == [(
        6, "line 6 response.items[0]",
        "duplicate of line 1 response.items[0] (same owner lisi and days 2026-05-01 to 2026-05-01); the first is kept",
    )]
    assert result.warnings == [
        "1 record(s) have a day's epoch that is not 00:00 Asia/Shanghai (first: line 7 response.items[0], "
        "stat_time 1777771800); they were floored to that day, as WeCom does",
        "line 4: the response lists owners up to offset 2 of 3; save the next page (offset 2) too, or those owners "
        "are missing",
        "line 8: the response's items is empty",
    ]


def test_every_quarantine_reason() -> None:
    result = parse("problems.jsonl")
    assert result.rows.is_empty()
    combined = ("request.owner_filter.userid_list names 2 owners (zhangsan, lisi), so statistic_group_by_day returned "
                "their combined totals, which cannot be credited to one owner; call statistic_group_by_day once per owner")
    assert dict(result.quarantine.select("source_record_label", "reason").iter_rows()) == {
        "line 1 response.items[0]": combined,
        "line 1 response.items[1]": combined,
        "line 2 response.items[0]": (
            "the request has no owner_filter.userid_list, so statistic_group_by_day returned the combined figures of "
            "every owner's groups, which cannot be credited to one owner; call it once per owner"),
        "line 3": ("WeCom returned errcode 45033 (api concurrent out of limit) instead of data; call "
                   "groupchat/statistic_group_by_day or groupchat/statistic again once the error is fixed"),
        "line 4 items[0]": (
            "groupchat/statistic (by owner) does not say which days it covers; save it as {\"request\": "
            "{\"day_begin_time\": …, \"day_end_time\": …, \"owner_filter\": …}, \"response\": …}"),
        "line 5 response.items[0]": "request.day_end_time 1777564800 is before day_begin_time 1777651200",
        "line 6 items[0]": (
            "the response does not say which owner it is about; save it as a wrapper {\"owner\": \"zhangsan\", "
            "\"response\": …} or put the file in inputs/wecom_groupchat/<owner_userid>/"),
        "line 7 response.items[0]": (
            "response.items[0] has both owner and stat_time; expected {\"stat_time\", \"data\"} (by day) or "
            "{\"owner\", \"data\"} (by owner)"),
        "line 7 response.items[1]": (
            "response.items[1] has neither stat_time (statistic_group_by_day) nor owner (groupchat/statistic)"),
        "line 7 response.items[2]": (
            "response.items[2] has no data object; expected \"data\": {\"new_chat_cnt\": …, \"member_total\": …}"),
        "line 7 response.items[3]": "response.items[3] is not an object; expected {…}",
        "line 7 response.items[4]": (
            "new_chat_cnt -1 is negative; expected a count ≥ 0; member_total many is not a whole number"),
        "line 7 response.items[5]": "stat_time today is not epoch seconds (expected e.g. 1536508800)",
        "line 8": "not JSON; expected one saved call per line (a JSON object)",
        "line 9 response.items[0]": (
            "the wrapper names owner sunqi but request.owner_filter.userid_list asked for sunqi2; keep the one the "
            "call was for"),
    }


def test_snapshot_fields_are_documented_as_never_summed() -> None:
    """截至当天 fields are end-of-day states; the table's readers must be told not to add them up."""
    for text in (wecom_groupchat.__doc__, wecom_groupchat.KIND.description):
        assert "never sum" in text.lower().replace("\n", " ").replace("**", "")
        for field in wecom_groupchat.SNAPSHOT_FIELDS:
            assert field in text


def test_kind_is_declared() -> None:
    kind = wecom_groupchat.KIND
    assert (kind.name, kind.table, kind.version) == ("wecom_groupchat", "raw.wecom_groupchat_daily", "1")


@pytest.mark.parametrize(("content", "expected"), [
    ("  \n", "the file is empty"),
    ('"items"', "the file is a JSON str; expected"),
    ("owner,stat_time\n", "line 1 is not JSON"),
])
def test_unreadable_files_raise(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ExportReadError) as error:
        parse("bad.json", path)
    assert expected in error.value.reason and error.value.path == "inputs/wecom_groupchat/bad.json"


def test_loading_twice_is_idempotent(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES, tmp_path / "inputs" / "wecom_groupchat")
    kinds = {"wecom_groupchat": wecom_groupchat.KIND}
    con = duckdb.connect()

    def counts() -> tuple:
        return con.sql("""
            select
                (select count(*) from raw.wecom_groupchat_daily),
                (select count(*) from raw.wecom_groupchat_daily where is_range_total),
                (select count(*) from raw.input_quarantine where input_kind = 'wecom_groupchat'),
                (select count(*) from raw.input_files),
        """).fetchall()[0]

    sync_inputs(con, tmp_path, kinds)
    assert counts() == (3 + 7, 3, 1 + 15, 3)
    report = sync_inputs(con, tmp_path, kinds)
    assert counts() == (10, 3, 16, 3)
    assert all(f["skipped"] for f in report.files)
