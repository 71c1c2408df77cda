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

import duckdb
import polars as pl
import pytest
from polars.testing import assert_frame_equal

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
    assert ids.str.contains(r"^[0-9A-F]{32}$").all()
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


# --- streaming: block boundaries and the day/month order ---------------------------------------


def parse_in_blocks(path: Path, block_bytes: int, **kwargs: str) -> list[ParseResult]:
    return list(whatsapp.parse_parts(path, rel_path=path.name, block_bytes=block_bytes, **kwargs))


def write_chat(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "WhatsApp Chat with Blocks.txt"
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "name", [STAFF, "ios/Family Chat/_chat.txt", "conflict.txt", "ambiguous.txt", "utf16_crlf.txt", "us_12h.txt"]
)
def test_tiny_blocks_parse_like_one_block(name: str) -> None:
    """A block of a few bytes is cut after every line or two: the result must not notice."""
    path = FIXTURES / name
    whole = whatsapp.parse(path, rel_path=path.name)
    parts = parse_in_blocks(path, 16)
    assert len(parts) > 1
    combined = ParseResult.combine(parts)
    for frame in ("messages", "events", "quarantine"):
        assert_frame_equal(getattr(combined, frame), getattr(whole, frame))
    assert (combined.warnings, combined.encoding) == (whole.warnings, whole.encoding)
    assert [part.end_offset for part in parts] == sorted(part.end_offset for part in parts)


def test_a_multi_line_message_straddling_a_block_boundary_stays_whole(tmp_path: Path) -> None:
    path = write_chat(tmp_path, [
        "13/01/2024, 10:00 - Ann: first line",
        "second line",
        "third line",
        "13/01/2024, 10:01 - Ben: next",
    ])
    parts = parse_in_blocks(path, 40)  # the first block ends after the header line
    assert len(parts) > 1 and parts[0].messages.height == 0
    result = ParseResult.combine(parts)
    assert result.messages.select("source_record", "text").rows() == [
        (1, "first line\nsecond line\nthird line"),
        (4, "next"),
    ]
    assert result.quarantine.height == 0


def test_identical_messages_on_both_sides_of_a_boundary_keep_distinct_ids(tmp_path: Path) -> None:
    path = write_chat(tmp_path, ["13/01/2024, 10:00 - Ann: ok"] * 6 + ["13/01/2024, 10:00 - Ann added Ben"] * 3)
    parts = parse_in_blocks(path, 64)
    assert sum(1 for part in parts if part.messages.height) > 1
    streamed = ParseResult.combine(parts)
    whole = whatsapp.parse(path, rel_path=path.name)
    assert streamed.messages["message_id"].n_unique() == 6
    assert streamed.messages["message_id"].to_list() == whole.messages["message_id"].to_list()
    assert streamed.events["event_id"].n_unique() == 3
    assert streamed.events["event_id"].to_list() == whole.events["event_id"].to_list()


def test_month_first_evidence_after_several_blocks_decides_every_date(tmp_path: Path) -> None:
    ambiguous = [f"0{day}/02/2024, 10:00 - Ann: day {day} or February?" for day in range(1, 10)]
    path = write_chat(tmp_path, [*ambiguous, "02/13/2024, 10:00 - Ben: the 13th of February", "12/13/2024, 8:00 - Ann: x"])
    parts = parse_in_blocks(path, 100)
    assert len(parts) > 4
    # the ambiguous lines wait for the evidence instead of being read day-first
    assert [part.messages.height for part in parts[:3]] == [0, 0, 0]
    result = ParseResult.combine(parts)
    # 01/02 is 2 January, ..., 09/02 is 2 September
    expected = [utc(f"2024-0{month}-02T02:00") for month in range(1, 10)] + [
        utc("2024-02-13T02:00"), utc("2024-12-13T00:00")
    ]
    assert result.messages["sent_at"].to_list() == expected
    assert (result.quarantine.height, result.warnings) == (0, [])


def test_headers_contradicting_the_decided_order_are_quarantined(tmp_path: Path) -> None:
    path = write_chat(tmp_path, [
        "01/02/2024, 10:00 - Ann: ambiguous",
        "13/01/2024, 10:00 - Ann: day-first evidence",
        "01/13/2024, 10:00 - Ben: month-first, contradicts line 2",
        "14/01/2024, 10:00 - Ann: more day-first",
    ])
    result = ParseResult.combine(parse_in_blocks(path, 40))
    assert result.messages["source_record"].to_list() == [1, 2, 4]
    assert result.messages["sent_at"][0] == utc("2024-02-01T02:00")
    [reason] = result.quarantine["reason"].to_list()
    assert "2024-13-1 10:0" in reason and "day-first, the order line 2 shows" in reason
    [warning] = result.warnings
    assert "conflicting day/month order (2 headers have a first date field > 12, 1 a second field > 12)" in warning
    assert "read day-first as line 2" in warning


def test_explicit_month_first_on_an_ambiguous_file() -> None:
    result = parse("ambiguous.txt", date_order="month_first")
    assert result.messages["sent_at"].to_list() == [utc("2024-01-02T02:00"), utc("2024-03-04T03:00")]
    assert (result.quarantine.height, result.warnings) == (0, [])
    day_first = parse("ambiguous.txt", date_order="day_first")
    assert day_first.messages["sent_at"][0] == utc("2024-02-01T02:00")
    assert day_first.warnings == []


def test_explicit_order_quarantines_dates_that_contradict_it() -> None:
    result = parse("conflict.txt", date_order="month_first")
    assert result.messages["source_record"].to_list() == [3]
    reasons = result.quarantine["reason"].to_list()
    assert len(reasons) == 2 and all("month-first as sources.whatsapp.date_order sets" in r for r in reasons)
    assert result.warnings == []


def test_ambiguous_warning_names_the_setting() -> None:
    [warning] = parse("ambiguous.txt").warnings
    assert "`sources.whatsapp.date_order: month_first` in settings.yaml" in warning


def test_an_invalid_date_order_is_refused() -> None:
    with pytest.raises(ValueError, match="date_order must be one of auto, day_first, month_first; got 'mdy'"):
        parse("ambiguous.txt", date_order="mdy")


def test_a_year_first_file_is_not_held_back_for_evidence(tmp_path: Path) -> None:
    path = write_chat(tmp_path, [f"2024-01-0{day} 10:00 - Ann: year-first {day}" for day in range(1, 10)])
    parts = parse_in_blocks(path, 80)  # two lines a block: the first is whole
    assert parts[0].messages.height == 1
    assert ParseResult.combine(parts).warnings == []


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


# --- ids, cleaning and placeholders on the fast paths ------------------------------------------


def test_ids_are_the_documented_hash_of_the_tuple(staff: ParseResult) -> None:
    """Pins the id formula (`common._content_ids`): two DuckDB hashes of key, UTC epoch second,
    nanosecond, sender, text + member and occurrence, forwards and backwards, top bit set; a
    multi-member event adds `:<member>`. Ids may only move with a DuckDB upgrade, which
    `PARSER_VERSION` turns into a re-read of every export."""

    def content_id(key: str, when: str, sender: str, text: str, suffix: str, occurrence: int) -> str:
        forward = "?, epoch(?::timestamp)::bigint, 0::int, ?, ?, ?, ?::bigint"
        backward = "?::bigint, ?, ?, ?, 0::int, epoch(?::timestamp)::bigint, ?"
        sql = (
            f"select to_hex((hash({forward}) | 9223372036854775808::ubigint)::uhugeint << 64"
            f" | hash({backward})::uhugeint)"
        )
        params = [key, when, sender, text, suffix, occurrence, occurrence, suffix, text, sender, when, key]
        return duckdb.sql(sql, params=params).fetchall()[0][0]

    oks = staff.messages.filter(pl.col("text") == "ok")["message_id"].to_list()
    assert oks == [
        content_id("Staff Group", "2024-02-01 02:00:00", "Lin Wei", "ok", "", occurrence) for occurrence in (0, 1)
    ]
    assert all(len(id_) == 32 for id_ in oks)
    bob_added = staff.events.filter((pl.col("source_record") == 4) & (pl.col("subject_handle") == "Bob"))
    detail = "Lin Wei added Ana, +86 138-0013-8000 and Bob"
    expected = content_id("Staff Group", "2024-01-31 01:01:00", "Lin Wei", detail, "2", 0) + ":2"
    assert bob_added["event_id"].to_list() == [expected]


def test_bidi_marks_are_removed_and_other_symbols_kept(tmp_path: Path) -> None:
    path = write_chat(tmp_path, [
        "13/01/2024, 10:00 - \u200eAnn: hi \u2068Bob\u2069 \u2026 \u2705 \u201cquoted\u201d \u2014 ok",
        "\ufeff13/01/2024, 10:01 - Ben: a line that starts with a byte-order mark",
        "\u200f13/01/2024, 10:02 - Ann: \u202aembedded\u202c",
    ])
    result = whatsapp.parse(path, rel_path=path.name)
    assert result.messages.select("sender_handle", "text").rows() == [
        ("Ann", "hi Bob \u2026 \u2705 \u201cquoted\u201d \u2014 ok"),
        ("Ben", "a line that starts with a byte-order mark"),
        ("Ann", "embedded"),
    ]
    assert result.quarantine.height == 0


def test_a_file_attached_placeholder_is_a_whole_line(tmp_path: Path) -> None:
    path = write_chat(tmp_path, [
        "13/01/2024, 10:00 - Ann: IMG-1.jpg (File attached)",
        "13/01/2024, 10:01 - Ann: see this",
        "IMG-2.jpg (file attached)",
        "13/01/2024, 10:02 - Ann: smile :)",
        "13/01/2024, 10:03 - Ann: <Sticker omitted>",
    ])
    result = whatsapp.parse(path, rel_path=path.name)
    assert result.messages["raw_type"].to_list() == ["media", "text", "text", "sticker"]


def test_identical_messages_out_of_time_order_keep_distinct_ids_across_blocks(tmp_path: Path) -> None:
    """A delayed line goes back in time: occurrences are still counted over every earlier block."""
    ok = "13/01/2024, 10:00 - Ann: ok"
    later = [f"13/01/2024, 11:{minute:02d} - Ben: later {minute}" for minute in range(10)]
    path = write_chat(tmp_path, [ok, *later, ok, *later, ok])
    parts = parse_in_blocks(path, 64)
    streamed = ParseResult.combine(parts)
    whole = whatsapp.parse(path, rel_path=path.name)
    oks = streamed.messages.filter(pl.col("text") == "ok")["message_id"]
    assert oks.n_unique() == 3
    assert streamed.messages["message_id"].to_list() == whole.messages["message_id"].to_list()
