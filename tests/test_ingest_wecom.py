"""WeCom archive JSONL parser on hand-written fixtures (tests/fixtures/wecom/).

archive.jsonl holds one well-formed record of each kind we map, a blank line, a vendor-relay
record with stringly-typed fields, switch/consent records and a 1:1 chat; malformed.jsonl mixes
good lines with every kind of broken line. The GB18030 (CRLF) and UTF-8-BOM files are
archive.jsonl re-encoded, so they must parse to the same rows.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from assets.ingest import wecom
from assets.ingest.schema import EVENT_SCHEMA, MESSAGE_SCHEMA, QUARANTINE_SCHEMA, SNIPPET_CHARS, ParseResult

FIXTURES = Path(__file__).parent / "fixtures" / "wecom"
ROOM = "wrOgQhDgAAcwMTB7YmDkbeBsgT_AAAAA"
FIRST_MSGID = "15826402396318291311_1777597200000"


def parse(name: str) -> ParseResult:
    return wecom.parse(FIXTURES / name, rel_path=f"exports/wecom/{name}")


@pytest.fixture(scope="module")
def archive() -> ParseResult:
    return parse("archive.jsonl")


@pytest.fixture(scope="module")
def malformed() -> ParseResult:
    return parse("malformed.jsonl")


def row(frame: pl.DataFrame, message_id: str) -> dict:
    rows = frame.filter(pl.col("message_id") == message_id).to_dicts()
    assert len(rows) == 1, f"expected exactly one row for {message_id}"
    return rows[0]


def test_frames_have_the_staging_schema(archive: ParseResult) -> None:
    assert archive.messages.schema == pl.Schema(MESSAGE_SCHEMA)
    assert archive.events.schema == pl.Schema(EVENT_SCHEMA)
    assert archive.quarantine.schema == pl.Schema(QUARANTINE_SCHEMA)
    assert (archive.format, archive.encoding, archive.timezone_assumed) == ("wecom", "utf-8", None)


def test_every_msgtype_maps_to_its_kind(archive: ParseResult) -> None:
    kinds = dict(archive.messages.select("raw_type", "kind").iter_rows())
    assert kinds == {
        "text": "text",
        "image": "media",
        "voice": "media",
        "video": "media",
        "emotion": "sticker",
        "file": "file",
        "link": "link",
        "weapp": "link",
        "markdown": "text",
        "revoke": "recall",
        "location": "other",
    }


def test_text_mentions_and_sender(archive: ParseResult) -> None:
    first = row(archive.messages, FIRST_MSGID)
    assert first["text"] == "@李四\u2005请跟进一下 @王五 谢谢"
    assert first["mentions"] == ["李四", "王五"]
    assert (first["sender_handle"], first["source_key"]) == ("zhangwei", ROOM)
    assert (first["platform"], first["source_file"]) == ("wecom", "exports/wecom/archive.jsonl")
    assert (first["source_record"], first["source_record_label"]) == (1, "line 1")
    markdown = row(archive.messages, "2707408961049880545_1777597680000")
    assert (markdown["text"], markdown["mentions"]) == ("**今日值班** @张伟", ["张伟"])
    image = row(archive.messages, "CAQQluDa4QUY0On2rYSAgAMgzPrShAE=")
    assert (image["text"], image["mentions"]) == (None, [])


def test_msgtime_is_an_utc_instant(archive: ParseResult) -> None:
    assert row(archive.messages, FIRST_MSGID)["sent_at"] == datetime(2026, 5, 1, 1, 0, tzinfo=UTC)


def test_vendor_relay_stringly_typed_fields(archive: ParseResult) -> None:
    relay = row(archive.messages, "relay-0001")
    assert relay["sent_at"] == datetime(2026, 5, 1, 1, 14, tzinfo=UTC)
    assert (relay["kind"], relay["text"]) == ("text", "收到，马上处理")


def test_recall_names_the_withdrawn_message(archive: ParseResult) -> None:
    recall = row(archive.messages, "14822339130656386894_1777597740000")
    assert (recall["kind"], recall["recalls_message_id"]) == ("recall", FIRST_MSGID)


def test_one_to_one_chat_is_kept_with_empty_source_key(archive: ParseResult) -> None:
    direct = row(archive.messages, "1466385810718138342_1777597980000_external")
    assert (direct["source_key"], direct["sender_handle"]) == ("", "wmEAAA2")


def test_switch_and_consent_records_are_events_not_messages(archive: ParseResult) -> None:
    events = archive.events.select(
        "event_id", "event_type", "actor_handle", "subject_handle", "detail", "source_record"
    ).rows()
    assert events == [
        ("125289002219525886280", "other", "wangwu", "wangwu", "switch", 12),
        ("6883546419216318961_1777597860000_external", "other", "wmEAAA2", "wmEAAA2", "agree", 13),
        ("4370306214282330813_1777597920000_external", "other", "wmEAAA3", "wmEAAA3", "disagree", 14),
    ]
    assert archive.events["occurred_at"][0] == datetime(2026, 5, 1, 1, 10, tzinfo=UTC)
    assert not set(archive.events["event_id"]) & set(archive.messages["message_id"])


def test_blank_lines_are_skipped_but_counted(archive: ParseResult) -> None:
    lines = (FIXTURES / "archive.jsonl").read_text(encoding="utf-8").split("\n")
    non_blank = [number for number, line in enumerate(lines, start=1) if line.strip()]
    loaded = sorted([*archive.messages["source_record"], *archive.events["source_record"]])
    assert loaded == non_blank
    assert 5 not in loaded  # line 5 is blank: the emotion record after it is line 6
    assert row(archive.messages, "6623217619416669654_1777597440000")["source_record"] == 6
    assert archive.quarantine.is_empty()


def test_white_space_lines_are_blank_and_a_bom_inside_the_file_is_dropped(tmp_path: Path) -> None:
    """Exports joined with `cat` carry a BOM at each join; lines of Unicode white space (a
    full-width space, a tab, a no-break space) are blank, not broken records."""
    record = (FIXTURES / "archive.jsonl").read_text(encoding="utf-8").split("\n")[0]
    path = tmp_path / "joined.jsonl"
    path.write_text("\n".join([record, "\u3000", "\t \r", "\u00a0\u2028", "\ufeff", "\ufeff" + record.replace(
        FIRST_MSGID, "second"), "\x0b\x85", ""]), encoding="utf-8")
    result = wecom.parse(path, rel_path="joined.jsonl")
    assert result.quarantine.is_empty()
    assert result.messages.select("message_id", "source_record").rows() == [(FIRST_MSGID, 1), ("second", 6)]


def test_malformed_lines_are_quarantined_with_their_line_numbers(malformed: ParseResult) -> None:
    reasons = dict(malformed.quarantine.select("source_record", "reason").iter_rows())
    assert reasons == {
        2: "line is not valid JSON; expected one WeCom archive message object per line",
        4: "missing msgid",
        5: "msgtime is not an epoch-milliseconds number (got '2026-05-01 09:04:00'; "
        "expected 13 digits such as 1547087894783)",
        7: "msgtime is not an epoch-milliseconds number (got '1777597440'; "
        "expected 13 digits such as 1547087894783)",
        8: "line is a JSON array; expected one WeCom archive message object per line",
        9: "missing from (the sender userid)",
        10: "recall without revoke.pre_msgid (the message it withdraws)",
    }
    assert malformed.quarantine["source_record_label"].to_list() == [f"line {n}" for n in reasons]
    assert malformed.quarantine["raw_snippet"][0].startswith('{"msgid":"m-cut"')


def test_malformed_file_loses_nothing_else(malformed: ParseResult) -> None:
    assert malformed.messages.select("message_id", "source_record").rows() == [
        ("m-ok-1", 1),
        ("m-ok-2", 3),
        ("m-ok-3", 11),
    ]
    # 11 lines: 10 records and one whitespace-only line (6); CRLF endings are not part of the text
    assert malformed.messages.height + malformed.quarantine.height == 10
    assert malformed.messages["text"].to_list() == ["第一条", None, "最后一条"]


@pytest.mark.parametrize(
    ("name", "encoding"),
    [("archive_gb18030.jsonl", "gb18030"), ("archive_utf8_bom.jsonl", "utf-8-sig")],
)
def test_other_encodings_parse_to_the_same_rows(archive: ParseResult, name: str, encoding: str) -> None:
    result = parse(name)
    assert result.encoding == encoding
    assert result.messages.drop("source_file").equals(archive.messages.drop("source_file"))
    assert result.events.drop("source_file").equals(archive.events.drop("source_file"))
    assert result.quarantine.is_empty()


def test_raw_snippet_is_capped(tmp_path: Path) -> None:
    path = tmp_path / "long.jsonl"
    path.write_text("{" + "x" * 1000 + "\n", encoding="utf-8")
    result = wecom.parse(path, rel_path="long.jsonl")
    assert result.quarantine["raw_snippet"].str.len_chars().to_list() == [SNIPPET_CHARS]


def test_empty_file_gives_empty_frames(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"")
    result = wecom.parse(path, rel_path="empty.jsonl")
    assert (result.messages.height, result.events.height, result.quarantine.height) == (0, 0, 0)
    assert result.messages.schema == pl.Schema(MESSAGE_SCHEMA)
