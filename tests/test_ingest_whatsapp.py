"""WhatsApp "Export chat" parser on hand-written fixtures and on the real sample files.

Fixtures (tests/fixtures/whatsapp/): `WhatsApp Chat with Staff Group.txt` (Android dd/mm/yyyy with
every system line, media, deletion, multi-line text, a stray first line and an impossible date),
one small file per header dialect, `ios/Family Chat/_chat.txt` (bracketed iOS with U+202F and
LRM placeholders), ambiguous/conflicting day-month files, UTF-16 CRLF and UTF-8-BOM copies of
one chat, and a file that is not a WhatsApp export.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from assets.ingest import whatsapp
from assets.ingest.errors import ExportReadError
from assets.ingest.schema import EVENT_SCHEMA, MESSAGE_SCHEMA, QUARANTINE_SCHEMA, ParseResult

FIXTURES = Path(__file__).parent / "fixtures" / "whatsapp"
REAL_EXPORTS = Path(__file__).resolve().parents[2] / "shared" / "real_exports" / "whatsapp"
STAFF = "WhatsApp Chat with Staff Group.txt"


def parse(name: str, **kwargs: str) -> ParseResult:
    return whatsapp.parse(FIXTURES / name, rel_path=f"exports/whatsapp/{name}", **kwargs)


@pytest.fixture(scope="module")
def staff() -> ParseResult:
    return parse(STAFF)


def at_line(frame: pl.DataFrame, line: int) -> list[dict[str, Any]]:
    return frame.filter(pl.col("source_record") == line).to_dicts()


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_frames_have_the_staging_schema(staff: ParseResult) -> None:
    assert staff.messages.schema == pl.Schema(MESSAGE_SCHEMA)
    assert staff.events.schema == pl.Schema(EVENT_SCHEMA)
    assert staff.quarantine.schema == pl.Schema(QUARANTINE_SCHEMA)
    assert (staff.format, staff.encoding, staff.warnings) == ("whatsapp", "utf-8", [])
    assert staff.timezone_assumed == "Asia/Shanghai"


@pytest.mark.parametrize(
    ("name", "source_key"),
    [(STAFF, "Staff Group"), ("ios/Family Chat/_chat.txt", "Family Chat"), ("klo.txt", "klo")],
)
def test_source_key_is_the_chat_name_from_the_file_name(name: str, source_key: str) -> None:
    result = parse(name)
    for frame in (result.messages, result.events):
        assert set(frame["source_key"]) | set(frame["source_name"]) <= {source_key}
    assert set(result.messages["platform"]) == {"whatsapp"}
    assert set(result.messages["source_file"]) == {f"exports/whatsapp/{name}"}


def test_multi_line_message_keeps_its_continuation_lines(staff: ParseResult) -> None:
    [welcome] = at_line(staff.messages, 6)
    assert welcome["text"] == "Welcome everyone!\nPlease read the pinned rules.\n\nThanks."
    assert welcome["sent_at"] == utc("2024-01-31T01:05:00")  # 09:05 in Asia/Shanghai
    assert (welcome["sender_handle"], welcome["kind"], welcome["source_record_label"]) == (
        "Lin Wei",
        "text",
        "line 6",
    )


def test_sender_handles_and_mentions(staff: ParseResult) -> None:
    [phone] = at_line(staff.messages, 10)
    assert (phone["sender_handle"], phone["sender_name"]) == ("+8613800138000", "+86 138-0013-8000")
    assert phone["text"] == "Thanks @Lin Wei 👍"  # isolates around the mention removed
    assert phone["mentions"] == ["Lin Wei"]
    [carol] = at_line(staff.messages, 11)
    assert (carol["sender_handle"], carol["sender_name"]) == ("Carol", "~ Carol")


def test_kinds(staff: ParseResult) -> None:
    kinds = {row["source_record"]: (row["kind"], row["raw_type"]) for row in staff.messages.to_dicts()}
    assert kinds[11] == ("media", "media")  # <Media omitted>
    assert kinds[12] == ("media", "media")  # (file attached)
    assert kinds[15] == ("other", "deleted")
    assert kinds[19] == ("other", "other")  # empty body
    [colon] = at_line(staff.messages, 20)
    assert (colon["sender_handle"], colon["text"]) == ("Lin Wei", "Time: 10:00 - agenda: none")


def test_identical_messages_get_distinct_stable_fingerprints(staff: ParseResult) -> None:
    ids = staff.messages["message_id"]
    assert ids.n_unique() == staff.messages.height
    assert ids.str.contains(r"^[0-9a-f]{40}$").all()
    assert ids.to_list() == parse(STAFF).messages["message_id"].to_list()


def test_system_lines_become_events(staff: ParseResult) -> None:
    rows = staff.events.select(
        "source_record", "event_type", "actor_handle", "subject_handle", "subject_name"
    ).rows()
    assert rows == [
        (2, "other", None, None, None),
        (3, "create", "Lin Wei", None, "Staff Group"),
        (4, "join", "Lin Wei", "Ana", "Ana"),
        (4, "join", "Lin Wei", "+8613800138000", "+86 138-0013-8000"),
        (4, "join", "Lin Wei", "Bob", "Bob"),
        (5, "join", "Carol", "Carol", "~ Carol"),
        (16, "rename", "Lin Wei", None, "Staff: Q1"),
        (17, "remove", "Lin Wei", "Bob", "Bob"),
        (18, "leave", "Ana", "Ana", "Ana"),
    ]
    assert staff.events["event_id"].n_unique() == staff.events.height
    assert staff.events.filter(pl.col("source_record") == 4)["event_id"].str.ends_with(":2").any()
    assert staff.events["detail"][6] == 'Lin Wei changed the subject to "Staff: Q1"'


def test_bad_lines_are_quarantined_and_nothing_else_is_lost(staff: ParseResult) -> None:
    quarantine = staff.quarantine.select("source_record_label", "reason", "raw_snippet").rows()
    assert [label for label, _, _ in quarantine] == ["line 1", "line 13"]
    assert "before the first message header" in quarantine[0][1]
    assert "2024-2-31 9:9" in quarantine[1][1] and "day-first" in quarantine[1][1]
    assert quarantine[1][2].endswith("and a continuation line that goes with it")
    headers = {2, 3, 4, 5, 6, 10, 11, 12, 13, 15, 16, 17, 18, 19, 20, 21, 22}
    loaded = set(staff.messages["source_record"]) | set(staff.events["source_record"]) | {13}
    assert loaded == headers


@pytest.mark.parametrize(
    ("name", "expected_utc"),
    [
        # m/d/yy with U+202F before AM/PM; month-first proven by 1/15
        ("us_12h.txt", ["2024-01-15T04:30", "2024-01-14T16:05", "2024-02-03T15:59"]),
        ("dotted.txt", ["2016-04-15T07:05", "2016-04-16T00:00"]),  # dd.mm.yy
        ("iso_pm.txt", ["2016-08-06T05:18", "2016-08-06T03:45", "2016-08-06T16:01"]),
        ("klo.txt", ["2018-06-13T13:25:15", "2018-06-13T13:25:15", "2018-06-14T13:25"]),
        # `p. m.` with NBSP and no comma, `00:08 a. m.`, `12:10 p. m.`
        ("spanish_ampm.txt", ["2025-03-28T13:29", "2025-03-27T16:08", "2025-03-28T04:10"]),
        (
            "ios/Family Chat/_chat.txt",
            ["2024-12-05T00:10:23", "2024-12-05T00:11", "2024-12-05T00:11:30", "2024-12-05T12:12",
             "2024-12-13T13:00"],
        ),
    ],
)
def test_header_dialects(name: str, expected_utc: list[str]) -> None:
    result = parse(name)
    assert result.messages["sent_at"].to_list() == [utc(text) for text in expected_utc]
    assert result.quarantine.height == 0
    assert result.warnings == []


def test_ios_placeholders_and_system_notice_after_a_name() -> None:
    result = parse("ios/Family Chat/_chat.txt")
    assert result.messages.select("kind", "raw_type").rows() == [
        ("text", "text"),
        ("media", "media"),
        ("sticker", "sticker"),
        ("media", "media"),
        ("other", "deleted"),
    ]
    assert result.messages["text"][0] == "Hey @Mom, photos:\nsecond line"
    assert result.messages["mentions"][0].to_list() == ["Mom"]
    assert result.events.select("event_type", "subject_name").rows() == [
        ("other", None),
        ("create", "Family"),
    ]


def test_localised_media_placeholders() -> None:
    assert parse("dotted.txt").messages["kind"].to_list() == ["text", "media"]
    assert parse("spanish_ampm.txt").messages["kind"].to_list() == ["text", "media", "text"]


def test_ambiguous_day_month_order_warns_and_assumes_day_first() -> None:
    result = parse("ambiguous.txt")
    assert result.messages["sent_at"][0] == utc("2024-02-01T02:00")
    [warning] = result.warnings
    assert warning.startswith("ambiguous day/month order in exports/whatsapp/ambiguous.txt")
    assert "assumed day-first" in warning


def test_conflicting_day_month_order_quarantines_the_minority() -> None:
    result = parse("conflict.txt")
    assert result.messages["source_record"].to_list() == [1, 2]
    assert result.quarantine["source_record"].to_list() == [3]
    assert "conflicting day/month order" in result.warnings[0]


@pytest.mark.parametrize(("name", "encoding"), [("utf16_crlf.txt", "utf-16-le"), ("bom_utf8.txt", "utf-8-sig")])
def test_encodings_and_crlf(name: str, encoding: str) -> None:
    result = parse(name)
    assert result.encoding == encoding
    assert result.messages.select("sender_handle", "text", "source_record").rows() == [
        ("张伟", "你好\n第二行", 1),
        ("李娜", "收到", 3),
    ]


def test_source_tz_is_applied() -> None:
    result = parse("klo.txt", source_tz="Europe/Helsinki")
    assert result.timezone_assumed == "Europe/Helsinki"
    assert result.messages["sent_at"][0] == utc("2018-06-13T18:25:15")


def test_a_file_without_any_header_is_unreadable() -> None:
    with pytest.raises(ExportReadError, match="no WhatsApp message header found"):
        parse("not_whatsapp.txt")


@pytest.mark.parametrize("name", [STAFF, "ios/Family Chat/_chat.txt", "klo.txt", "spanish_ampm.txt"])
def test_sniff_accepts_whatsapp(name: str) -> None:
    assert whatsapp.sniff((FIXTURES / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    "head",
    [
        "just some notes\nwithout any header\n",
        '{"name": "x", "type": "private_group", "id": 1, "messages": []}',
        "2023-01-01 12:00:00 张三(12345)\n你好\n",
    ],
)
def test_sniff_rejects_other_text(head: str) -> None:
    assert not whatsapp.sniff(head)


# --- real sample files --------------------------------------------------------------------------

#: System lines per real file (read by hand): everything else that has a header is a message.
REAL_SYSTEM_LINES = {
    "chat-analytics/2A_5M.txt": 0,
    "chat-analytics/4A_11M.txt": 3,
    "chat-miner/test_[mmddyy]_24hrs.txt": 2,
    "chat-miner/test_ddmmyy_24hrs.txt": 2,
    "chat-miner/test_mmddyy_24hrs.txt": 2,
    "chat-miner/test_mmddyyyy_12hrs.txt": 2,
    "chat-miner/test_yyyymmdd_24hrs.txt": 2,
    "whats-reader/android-group-chat/WhatsApp Chat with Family Group 👨‍👩‍👧‍👦.txt": 8,
    "whats-reader/ios-group-chat/_chat.txt": 6,
    "whats-reader/parser-tests/asian-format-test.txt": 0,
    "whats-reader/parser-tests/bracketed-year-first-test.txt": 0,
    "whats-reader/parser-tests/dot-time-klo-format-test.txt": 0,
    "whats-reader/parser-tests/european-ampm-format-test.txt": 0,
    "whats-reader/parser-tests/french-format-test.txt": 1,
    "whats-reader/parser-tests/german-format-test.txt": 1,
    "whats-reader/parser-tests/ios-attached-media-test.txt": 0,
    "whats-reader/parser-tests/ios-format-test.txt": 1,
    "whatsapp-chat-parser/short-chat.txt": 2,
    "whatstk/example-12h.txt": 2,
    "whatstk/pokemon.txt": 2,
}

#: A header: optional bidi mark and bracket, then a date of three numbers.
_LOOSE_HEADER = re.compile(r"^\u200e?\[?\d{1,4}[./-]\d{1,2}[./-]\d{1,4}[, ]")


def _require_real_exports() -> None:
    if not REAL_EXPORTS.is_dir():
        pytest.skip(f"../shared not found: {REAL_EXPORTS} is absent, the real samples are not checked out")


@pytest.mark.shared
def test_every_real_sample_is_listed() -> None:
    _require_real_exports()
    found = sorted(str(p.relative_to(REAL_EXPORTS)) for p in REAL_EXPORTS.rglob("*.txt"))
    assert found == sorted(REAL_SYSTEM_LINES)


@pytest.mark.shared
@pytest.mark.parametrize("name", sorted(REAL_SYSTEM_LINES))
def test_real_exports(name: str) -> None:
    _require_real_exports()
    path = REAL_EXPORTS / name
    result = whatsapp.parse(path, rel_path=name)
    assert result.quarantine.height == 0, result.quarantine.rows()
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    header_count = sum(1 for line in lines if _LOOSE_HEADER.match(line))
    assert result.messages.height == header_count - REAL_SYSTEM_LINES[name]
    assert result.events["source_record"].n_unique() == REAL_SYSTEM_LINES[name]
    assert result.messages["sent_at"].null_count() == 0
    assert result.messages["sender_handle"].null_count() == 0
    assert result.messages["message_id"].n_unique() == result.messages.height
