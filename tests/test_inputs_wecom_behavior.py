"""WeCom get_user_behavior_data input kind on hand-written fixtures (tests/fixtures/inputs/wecom_behavior/).

zhangsan/2026-05-01_03.json is a bare, pretty-printed response in a folder named after the userid,
with a day without chats (no reply_percentage / avg_reply_time). calls.jsonl holds wrappers (userid,
or the request with stringly-typed vendor-relay numbers), a blank line, a repeated day, an epoch that
is not local midnight and an empty response. problems.jsonl holds one saved call per quarantine
reason; fractions.json is a relay writing reply_percentage as fractions.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import duckdb
import polars as pl
import pytest

from assets.ingest.errors import ExportReadError
from assets.inputs import wecom_behavior
from assets.inputs.base import InputResult, sync_inputs

FIXTURES = Path(__file__).parent / "fixtures" / "inputs" / "wecom_behavior"
DATA_COLUMNS = ["userid", "stat_date", "chat_cnt", "message_cnt", "reply_percentage", "avg_reply_time",
                "negative_feedback_cnt", "new_apply_cnt", "new_contact_cnt"]


def parse(name: str, path: Path | None = None) -> InputResult:
    return wecom_behavior.parse(path or FIXTURES / name, f"inputs/wecom_behavior/{name}")


def by_label(frame: pl.DataFrame) -> dict[str, dict]:
    return {row["source_record_label"]: row for row in frame.to_dicts()}


def test_bare_response_takes_the_userid_from_its_folder() -> None:
    result = parse("zhangsan/2026-05-01_03.json")
    assert result.rows.schema == pl.Schema(wecom_behavior.SCHEMA | {
        "source_record": pl.Int64(), "source_record_label": pl.String()})
    assert result.quarantine.is_empty() and result.warnings == []
    assert result.rows.select(DATA_COLUMNS).rows() == [
        ("zhangsan", date(2026, 5, 1), 12, 48, 91.67, 4.0, 1, 3, 5),
        ("zhangsan", date(2026, 5, 2), 0, 0, None, None, 0, 2, 0),
        ("zhangsan", date(2026, 5, 3), 7, 19, 100.0, 12.5, 0, 0, 2),
    ]
    assert result.rows.select("source_record", "source_record_label").rows() == [
        (1, "behavior_data[0]"), (2, "behavior_data[1]"), (3, "behavior_data[2]")]


def test_a_day_without_reply_fields_is_null_not_zero() -> None:
    """WeCom only returns reply_percentage and avg_reply_time on days with chats (FORMATS.md §8.1)."""
    quiet_day = by_label(parse("zhangsan/2026-05-01_03.json").rows)["behavior_data[1]"]
    assert quiet_day["chat_cnt"] == 0
    assert quiet_day["reply_percentage"] is None
    assert quiet_day["avg_reply_time"] is None


def test_wrappers_and_vendor_relay_strings() -> None:
    result = parse("calls.jsonl")
    rows = by_label(result.rows)
    assert list(rows) == ["line 1 response.behavior_data[0]", "line 1 response.behavior_data[1]",
                          "line 2 response.behavior_data[0]", "line 5 response.behavior_data[0]"]
    assert [rows["line 1 response.behavior_data[1]"][c] for c in DATA_COLUMNS] == [
        "lisi", date(2026, 5, 2), 2, 4, 50.0, 95.0, 2, 0, 0]
    # {"request": {"userid": ["wangwu"]}, "response": {…"chat_cnt": "5"…}}: every number a string.
    assert [rows["line 2 response.behavior_data[0]"][c] for c in DATA_COLUMNS] == [
        "wangwu", date(2026, 5, 1), 5, 20, 80.5, 2.0, 0, 0, 3]
    assert rows["line 2 response.behavior_data[0]"]["source_record"] == 2


def test_a_repeated_day_keeps_the_first_and_names_it() -> None:
    result = parse("calls.jsonl")
    assert result.quarantine.select("source_record", "source_record_label", "reason").rows() == [(
        4, "line 4 response.behavior_data[0]",
        "duplicate of line 1 response.behavior_data[0] (same userid lisi and stat_date 2026-05-01); the first is kept",
    )]
    assert by_label(result.rows)["line 1 response.behavior_data[0]"]["chat_cnt"] == 3
    assert '"chat_cnt":99' in result.quarantine["raw_snippet"][0]


def test_stat_time_off_midnight_is_floored_with_a_warning_and_empty_calls_are_reported() -> None:
    result = parse("calls.jsonl")
    # 1777771800 = 2026-05-03 09:30 Asia/Shanghai.
    assert by_label(result.rows)["line 5 response.behavior_data[0]"]["stat_date"] == date(2026, 5, 3)
    assert result.warnings == [
        "1 record(s) have a day's epoch that is not 00:00 Asia/Shanghai (first: line 5 response.behavior_data[0], "
        "stat_time 1777771800); they were floored to that day, as WeCom does",
        "line 6: the response's behavior_data is empty",
    ]


def test_every_quarantine_reason() -> None:
    result = parse("problems.jsonl")
    assert result.rows.is_empty()
    reasons = dict(result.quarantine.select("source_record_label", "reason").iter_rows())
    combined = ("names 2 staff members (lisi, wangwu), so get_user_behavior_data returned their combined totals, "
                "which cannot be credited to one staff member; call get_user_behavior_data once per staff member")
    assert reasons == {
        "line 1 response.behavior_data[0]": f"request.userid {combined}",
        "line 1 response.behavior_data[1]": f"request.userid {combined}",
        "line 2 response.behavior_data[0]": (
            "request.partyid [7] asks for a department's combined totals, which cannot be credited to one staff "
            "member; call get_user_behavior_data once per staff member"),
        "line 3 response.behavior_data[0]": f"the wrapper {combined}",
        "line 4": ("WeCom returned errcode 40001 (invalid credential) instead of data; call get_user_behavior_data "
                   "again once the error is fixed"),
        "line 5 response.behavior_data[0]": (
            "the wrapper names staff member zhaoliu but request.userid asked for zhaoliu2; keep the one the call was for"),
        "line 6": "not JSON; expected one saved call per line (a JSON object)",
        "line 7 behavior_data[0]": (
            "the response does not say which staff member it is about; save it as a wrapper "
            "{\"userid\": \"zhangsan\", \"response\": …} or put the file in inputs/wecom_behavior/<userid>/"),
        "line 8": "not a JSON object; expected a saved call {…}",
        "line 9": ("no response.behavior_data; expected a get_user_behavior_data response {\"errcode\": 0, "
                   "\"behavior_data\": [...]} or a wrapper {\"request\": ..., \"response\": ...}"),
        "line 10 response.behavior_data[0]": "reply_percentage 120 is out of range; expected a percentage 0–100, e.g. 60.25",
        "line 10 response.behavior_data[1]": "chat_cnt -1 is negative; expected a count ≥ 0",
        "line 10 response.behavior_data[2]": "chat_cnt 十 is not a whole number; message_cnt 2.5 is not a whole number",
        "line 10 response.behavior_data[3]": "stat_time yesterday is not epoch seconds (expected e.g. 1536508800)",
        "line 10 response.behavior_data[4]": "no stat_time; expected the day's epoch seconds (e.g. 1536508800)",
        "line 10 response.behavior_data[5]": "response.behavior_data[5] is not an object; expected {…}",
        "line 10 response.behavior_data[6]": "avg_reply_time -2 is out of range; expected minutes ≥ 0",
    }
    assert result.quarantine["source_record"].to_list() == [1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 10, 10, 10, 10, 10, 10]
    snippets = dict(result.quarantine.select("source_record_label", "raw_snippet").iter_rows())
    assert snippets["line 10 response.behavior_data[5]"] == '"oops"'
    assert snippets["line 4"].startswith('{"userid":"zhaoliu","response":{"errcode":40001')


def test_fractions_instead_of_percentages_are_loaded_with_a_warning() -> None:
    result = parse("fractions.json")
    assert result.rows["reply_percentage"].to_list() == [0.83, 1.0]
    assert result.rows["source_record_label"].to_list() == ["response.behavior_data[0]", "response.behavior_data[1]"]
    assert len(result.warnings) == 1 and "may be writing fractions" in result.warnings[0]
    assert not any("fraction" in w for w in parse("calls.jsonl").warnings)


def test_encodings_do_not_change_rows(tmp_path: Path) -> None:
    source = (FIXTURES / "calls.jsonl").read_text(encoding="utf-8")
    bom = tmp_path / "calls_bom.jsonl"
    bom.write_bytes(b"\xef\xbb\xbf" + source.replace("\n", "\r\n").encode("utf-8"))
    assert parse("calls.jsonl", bom).rows.equals(parse("calls.jsonl").rows)


def test_a_one_line_jsonl_file_is_still_labelled_by_line(tmp_path: Path) -> None:
    path = tmp_path / "one.jsonl"
    path.write_text((FIXTURES / "calls.jsonl").read_text(encoding="utf-8").splitlines()[1] + "\n", encoding="utf-8")
    rows = parse("one.jsonl", path).rows
    assert rows.select("userid", "source_record", "source_record_label").rows() == [
        ("wangwu", 1, "line 1 response.behavior_data[0]")]


@pytest.mark.parametrize(("content", "expected"), [
    ("", "the file is empty; expected a saved get_user_behavior_data response"),
    ('[{"userid": "lisi"}]', "the file is a JSON list; expected"),
    ("userid,stat_time\nlisi,1777564800\n", "line 1 is not JSON; expected"),
    ('{\n  "errcode": 0,\n  "behavior_data": [\n', "line 1 is not JSON; expected"),
])
def test_unreadable_files_raise(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ExportReadError, match="inputs/wecom_behavior/bad.json") as error:
        parse("bad.json", path)
    assert expected in error.value.reason


def test_kind_is_declared() -> None:
    kind = wecom_behavior.KIND
    assert (kind.name, kind.table, kind.version) == ("wecom_behavior", "raw.wecom_user_behavior", "1")
    assert "NULL on days without chats" in kind.description


def test_loading_twice_is_idempotent(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES, tmp_path / "inputs" / "wecom_behavior")
    kinds = {"wecom_behavior": wecom_behavior.KIND}
    con = duckdb.connect()

    def counts() -> tuple:
        return con.sql("""
            select
                (select count(*) from raw.wecom_user_behavior),
                (select count(*) from raw.input_quarantine where input_kind = 'wecom_behavior'),
                (select count(*) from raw.input_files),
                (select count(*) from raw.wecom_user_behavior where reply_percentage is null),
        """).fetchall()[0]

    first = sync_inputs(con, tmp_path, kinds)
    assert counts() == (3 + 4 + 2, 1 + 17, 4, 1)
    second = sync_inputs(con, tmp_path, kinds)
    assert counts() == (9, 18, 4, 1)
    assert [f["skipped"] for f in first.files] == [False] * 4
    assert [f["skipped"] for f in second.files] == [True] * 4
    row = con.sql("""
        select userid, stat_date, source_file, source_record, source_record_label
        from raw.wecom_user_behavior where userid = 'wangwu'
    """).fetchall()
    assert row == [("wangwu", date(2026, 5, 1), "inputs/wecom_behavior/calls.jsonl", 2,
                    "line 2 response.behavior_data[0]")]
