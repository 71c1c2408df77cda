"""Edge cases of the fast paths in the message models, on hand-made tables with hand-computed expectations
(KPI_SPEC §3, §4.2): the time slots that stand in for range joins (adjacency window, flood window), the
second pass of request bursts (a quote of an older, answered request), the calendar lookup by UTC day
(instants before the first and after the last open interval, spans over closed days) and message
deduplication.

Each model is built with `pipelines.sql_runner.build` over only the upstream columns it reads, so the
cases can sit exactly on the boundaries the fast paths cut at.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from pipelines.sql_runner import build, model

UTC_TS = "timestamptz"


@pytest.fixture
def con(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    connection.execute("set TimeZone = 'UTC'")
    for schema in ("raw", "staging", "intermediate", "marts"):
        connection.execute(f"create schema {schema}")
    try:
        yield connection
    finally:
        connection.close()


# fct_requests ------------------------------------------------------------------------------------

def _request_world(con: duckdb.DuckDBPyConnection, messages: list[tuple]) -> None:
    """Group G1 (calendar C1) with the given classified messages:
    (message_id, sender, sent_at UTC, kind of message, reply_to, mentions); sender 'S1' is staff,
    anything else a member whose key is the sender; kind 'q' question, 'c' complaint, 's' staff text."""
    con.execute("""
        create table raw.rubric_settings as select
            '2026.1' as rubric_version, 'Asia/Shanghai' as reporting_timezone,
            30.0 as adjacency_window_minutes, 24.0 as reopen_window_hours, 10.0 as ticket_match_minutes,
            60.0 as sla_general_business_minutes, 1440.0 as sla_complex_calendar_minutes
    """)
    con.execute("create table raw.contacts (platform varchar, handle varchar, name varchar)")
    con.execute("insert into raw.contacts values ('wecom', 'ma', '阿A'), ('wecom', 'mb', '阿B')")
    con.execute("""
        create table raw.groups as
        select 'G1' as group_id, 'C1' as calendar_id, 'S2' as owner_staff_id
    """)
    # open intervals (UTC): Mon 09-14 and Tue 09-15 01:00-10:00, then none until Fri 09-18 01:00-10:00
    con.execute(f"""
        create table intermediate.int_calendar__open_intervals as
        select 'C1' as calendar_id, opens_at::{UTC_TS} as opens_at, 540.0 as open_minutes,
               cumulative_minutes_before
        from (values ('2026-09-14 01:00:00+00', 0.0), ('2026-09-15 01:00:00+00', 540.0),
                     ('2026-09-18 01:00:00+00', 1080.0)) as intervals(opens_at, cumulative_minutes_before)
    """)
    con.execute(f"""
        create table staging.stg_tickets__tickets (
            ticket_id varchar, group_id varchar, member_key varchar, opened_at {UTC_TS}, is_resolved boolean)
    """)
    con.execute(f"""
        create table intermediate.int_messages__classified (
            platform varchar, group_id varchar, message_id varchar, sent_at {UTC_TS}, sender_handle varchar,
            sender_name varchar, staff_id varchar, member_key varchar, reply_to_message_id varchar,
            mentions varchar[], is_request_message boolean, is_complaint boolean, source_file varchar,
            source_record bigint, source_record_label varchar)
    """)
    for record, (message_id, sender, sent_at, kind, reply_to, mentions) in enumerate(messages, start=1):
        staff = sender == "S1"
        con.execute(
            "insert into intermediate.int_messages__classified values "
            "('wecom', 'G1', ?, ?::timestamptz, ?, null, ?, ?, ?, ?, ?, ?, 'room1.jsonl', ?, ?)",
            [message_id, sent_at, sender.lower(), "S1" if staff else None, None if staff else sender,
             reply_to, mentions, kind in ("q", "c"), kind == "c", record, f"line {record}"],
        )


def _requests(con: duckdb.DuckDBPyConnection) -> dict[str, tuple]:
    build(con, model("intermediate.int_messages__requests"))
    build(con, model("marts.fct_requests"))
    rows = con.execute("""
        select opening_message_id, response_message_id, response_business_minutes, request_message_count,
               is_resolved_by_chat_rule
        from marts.fct_requests
    """).fetchall()
    return {row[0]: row[1:] for row in rows}


def test_ties_in_time_open_on_the_lowest_id_and_a_response_at_the_same_instant_comes_first(con):
    """Messages at the same instant: a burst opens on its lowest message id (the one that follows the
    previous response in stream order), and a candidate sent at the very instant of a request message
    comes before it (a response must come after the request opened), so it answers the earlier burst."""
    _request_world(con, [
        ("q2", "ma", "2026-09-14 02:00:00+00", "q", None, []),
        ("q1", "ma", "2026-09-14 02:00:00+00", "q", None, []),
        ("q3", "ma", "2026-09-14 02:05:00+00", "q", None, []),
        ("r1", "S1", "2026-09-14 02:05:00+00", "s", None, ["阿A"]),
        ("r2", "S1", "2026-09-14 02:20:00+00", "s", None, ["阿A"]),
        ("q5", "ma", "2026-09-14 03:00:00+00", "q", None, []),
        ("q4", "ma", "2026-09-14 03:00:00+00", "q", None, []),
    ])
    requests = _requests(con)
    assert set(requests) == {"q1", "q3", "q4"}
    assert requests["q1"][0] == "r1" and requests["q1"][2] == 2  # q1 and q2, answered by r1 at q3's instant
    assert requests["q3"][0] == "r2" and requests["q3"][2] == 1
    assert requests["q4"][0] is None and requests["q4"][2] == 2


def test_a_quote_of_an_answered_request_does_not_answer_the_next_one(con):
    _request_world(con, [
        ("q1", "ma", "2026-09-14 02:00:00+00", "q", None, []),
        ("r1", "S1", "2026-09-14 02:10:00+00", "s", None, ["阿A"]),
        ("q2", "ma", "2026-09-14 03:00:00+00", "q", None, []),
        # quotes q1, whose request r1 answered: stale, answers nothing (second pass)
        ("x1", "S1", "2026-09-14 03:05:00+00", "s", "q1", []),
        ("q3", "ma", "2026-09-14 03:20:00+00", "q", None, []),
        # quotes q3, a message of the open request: its response
        ("r2", "S1", "2026-09-14 03:30:00+00", "s", "q3", []),
    ])
    requests = _requests(con)
    assert requests["q1"] == ("r1", 10.0, 1, False)  # q2 opened within 24 h of r1
    # without the second pass x1 would close q2's burst and q3 would open a request of its own
    assert requests["q2"] == ("r2", 30.0, 2, True)
    assert set(requests) == {"q1", "q2"}


def test_untargeted_answers_at_the_window_edges(con):
    # time slots are 30 minutes from the epoch: 02:00 starts one, so 02:30:00 is the next slot
    _request_world(con, [
        ("qa", "ma", "2026-09-14 02:00:00+00", "q", None, []),
        ("qb", "mb", "2026-09-14 02:00:00.000001+00", "q", None, []),
        # exactly 30 minutes after qa (window end included), 1 µs short of 30 minutes after qb
        ("u1", "S1", "2026-09-14 02:30:00+00", "s", None, []),
        ("qc", "mc", "2026-09-14 04:00:00+00", "q", None, []),
        # 30 minutes and 1 µs after qc: outside; then a mention answers
        ("u2", "S1", "2026-09-14 04:30:00.000001+00", "s", None, []),
        ("u3", "S1", "2026-09-14 04:40:00+00", "s", None, ["mc"]),
        # a response at the same instant as the question does not answer it (sent after, strictly)
        ("qd", "md", "2026-09-14 05:00:00+00", "q", None, []),
        ("u4", "S1", "2026-09-14 05:00:00+00", "s", None, []),
    ])
    requests = _requests(con)
    assert requests["qa"][0] == "u1" and requests["qb"][0] == "u1"
    assert requests["qc"][0] == "u3"  # mc's handle is a name it goes by
    assert requests["qd"][0] is None


def test_business_minutes_over_closed_days_and_outside_the_calendar(con):
    _request_world(con, [
        # Sunday before the first open interval, answered the same Sunday: no open minute passed
        ("q0", "ma", "2026-09-13 02:00:00+00", "q", None, []),
        ("r0", "S1", "2026-09-13 03:00:00+00", "s", None, ["阿A"]),
        # Monday 03:00 (120 open minutes in), answered Wednesday (closed): the clock stops at Tuesday's close
        ("q1", "mb", "2026-09-14 03:00:00+00", "q", None, []),
        ("r1", "S1", "2026-09-16 05:00:00+00", "s", None, ["阿B"]),
        # opened exactly at an opening, answered Friday 01:30 (after two closed days)
        ("q2", "mc", "2026-09-15 01:00:00+00", "q", None, []),
        ("r2", "S1", "2026-09-18 01:30:00+00", "s", None, ["mc"]),
        # after the last open interval closes: every instant is at its end
        ("q3", "md", "2026-09-19 02:00:00+00", "q", None, []),
        ("r3", "S1", "2026-09-21 02:00:00+00", "s", None, ["md"]),
        # never answered
        ("q4", "me", "2026-09-18 02:00:00+00", "q", None, []),
    ])
    requests = _requests(con)
    assert requests["q0"][1] == 0.0
    assert requests["q1"][1] == 1080.0 - 120.0
    assert requests["q2"][1] == 540.0 + 30.0
    assert requests["q3"][1] == 0.0
    assert requests["q4"][:2] == (None, None)


# int_messages__violations ------------------------------------------------------------------------

def _violation_hits(con: duckdb.DuckDBPyConnection, messages: list[tuple], flood_messages: int = 3) -> dict:
    """Flood (and content) hits over counted texts (message_id, sender member_key, sent_at UTC, text)."""
    con.execute(f"""
        create table raw.rubric_settings as select
            {flood_messages} as flood_messages, 10.0 as flood_window_minutes,
            ['example-shop.cn'] as url_allow_hosts, '(?i)(?:加微信)' as ads_pattern,
            null::varchar as abuse_pattern, '(?i)(?:\\b赌博\\b)' as sensitive_pattern
    """)
    con.execute(f"""
        create table staging.stg_chat__messages (
            platform varchar, source_key varchar, message_id varchar, group_id varchar, group_category varchar,
            sent_at {UTC_TS}, sent_date date, sent_month varchar, sent_quarter varchar, staff_id varchar,
            member_key varchar, kind varchar, text varchar, mentions varchar[], is_counted boolean,
            source_file varchar, source_record bigint, source_record_label varchar)
    """)
    for record, (message_id, sender, sent_at, text) in enumerate(messages, start=1):
        con.execute(
            "insert into staging.stg_chat__messages values ('wecom', 'room1', ?, 'G1', 'customer_service', "
            "?::timestamptz, ?::timestamptz::date, '2026-09', '2026-Q3', null, ?, 'text', ?, [], true, "
            "'room1.jsonl', ?, ?)",
            [message_id, sent_at, sent_at, sender, text, record, f"line {record}"],
        )
    build(con, model("intermediate.int_messages__violations"))
    rows = con.execute(
        "select message_id, rule, matched_text_masked from intermediate.int_messages__violations"
    ).fetchall()
    return {(message_id, rule): matched for message_id, rule, matched in rows}


def test_flood_counts_at_the_window_edges(con):
    hits = _violation_hits(con, [
        ("f1", "m1", "2026-09-14 10:00:00+00", "刷屏"),
        ("f2", "m1", "2026-09-14 10:05:00+00", " 刷屏"),
        # exactly 10 minutes after f1: f1 is still in the window (trimmed texts are the same)
        ("f3", "m1", "2026-09-14 10:10:00+00", "刷屏\u3000"),
        # f1 and f2 have left the window: f3, f4 only
        ("f4", "m1", "2026-09-14 10:19:00+00", "刷屏"),
        # a tie with f4 that comes later in source order: f3, f4, f5
        ("f5", "m1", "2026-09-14 10:19:00+00", "刷屏"),
        # another sender, same text and times: a run of its own, two messages only
        ("g1", "m2", "2026-09-14 10:00:00+00", "刷屏"),
        ("g2", "m2", "2026-09-14 10:10:00+00", "刷屏"),
        # 10 minutes and 1 µs: just outside
        ("h1", "m3", "2026-09-14 12:00:00+00", "hi"),
        ("h2", "m3", "2026-09-14 12:05:00+00", "hi"),
        ("h3", "m3", "2026-09-14 12:10:00.000001+00", "hi"),
        # content rules on the same messages still run: an ad, a foreign host, an allowed host
        ("c1", "m4", "2026-09-14 13:00:00+00", "加微信 看 spam.example.net 或 example-shop.cn"),
    ])
    assert hits == {
        ("f3", "flood"): "repeated ×3",
        ("f5", "flood"): "repeated ×3",
        ("c1", "ads"): "spam.example.net, 加微信",
    }


# stg_chat__messages ------------------------------------------------------------------------------

def test_duplicate_records_keep_the_first_by_file_and_record(con):
    con.execute("""
        create table raw.rubric_settings as select 'Asia/Shanghai' as reporting_timezone
    """)
    for table, columns in {
        "raw.groups": "platform varchar, source_key varchar, group_id varchar, category varchar, calendar_id varchar",
        "raw.staff_handles": "staff_id varchar, platform varchar, handle varchar, valid_from date, valid_to date",
        "raw.staff": "staff_id varchar, active_from date, active_to date",
        "raw.bots": "platform varchar, handle varchar",
        "raw.member_pseudonyms": "platform varchar, handle varchar, member_key varchar",
    }.items():
        con.execute(f"create table {table} ({columns})")
    con.execute("insert into raw.staff_handles values ('S1', 'wecom', 's1', null, date '2026-09-14')")
    con.execute("insert into raw.staff values ('S1', date '2026-01-01', null)")
    con.execute(f"""
        create table raw.chat_messages (
            platform varchar, source_key varchar, message_id varchar, sent_at {UTC_TS}, sender_handle varchar,
            sender_name varchar, is_bot boolean, kind varchar, text varchar, reply_to_message_id varchar,
            mentions varchar[], recalls_message_id varchar, raw_type varchar, source_file varchar,
            source_record bigint, source_record_label varchar)
    """)
    con.execute("""
        insert into raw.chat_messages values
        ('wecom', 'room1', 'm1', '2026-09-14 02:00:00+00', 's1', null, null, 'text', 'late file', null, [], null,
         'text', 'b.jsonl', 1, 'line 1'),
        ('wecom', 'room1', 'm1', '2026-09-14 02:00:00+00', 's1', null, null, 'text', 'first', null, [], null,
         'text', 'a.jsonl', 7, 'line 7'),
        ('wecom', 'room1', 'm1', '2026-09-14 02:00:00+00', 's1', null, null, 'text', 'later record', null, [],
         null, 'text', 'a.jsonl', 9, 'line 9'),
        ('wecom', 'room1', 'm2', '2026-09-14 17:00:00+00', 's1', null, null, 'text', 'once', null, [], null,
         'text', 'b.jsonl', 2, 'line 2')
    """)
    build(con, model("staging.stg_chat__messages"))
    rows = con.execute(
        "select message_id, text, source_file, source_record, staff_id, sent_date from staging.stg_chat__messages "
        "order by message_id"
    ).fetchall()
    # m2 is sent on 09-15 local time, after the handle's last valid day
    assert [row[:5] for row in rows] == [("m1", "first", "a.jsonl", 7, "S1"), ("m2", "once", "b.jsonl", 2, None)]
    assert str(rows[1][5]) == "2026-09-15"
