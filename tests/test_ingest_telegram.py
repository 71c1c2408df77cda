"""Telegram Desktop result.json parser on hand-written fixtures and on the real sample files.

Fixtures (tests/fixtures/telegram/): group.json (a supergroup with every message kind and the
membership service actions), date_only.json (old exporter: `date` without `date_unixtime`),
broken_records.json (one broken record of each kind between two good ones), account.json
(full-account export with `chats.list` and `left_chats.list`), control_chars.json (tdesktop's
non-JSON `\\xNN` escapes) and truncated.json (a cut-off file).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from assets.ingest import detect
from assets.ingest import telegram
from assets.ingest.errors import ExportReadError
from assets.ingest.schema import EVENT_SCHEMA, MESSAGE_SCHEMA, QUARANTINE_SCHEMA, ParseResult

FIXTURES = Path(__file__).parent / "fixtures" / "telegram"
REAL_EXPORTS = Path(__file__).resolve().parents[2] / "shared" / "real_exports" / "telegram"


def parse(name: str, **kwargs: str) -> ParseResult:
    return telegram.parse(FIXTURES / name, rel_path=f"exports/telegram/{name}", **kwargs)


@pytest.fixture(scope="module")
def group() -> ParseResult:
    return parse("group.json")


def message(result: ParseResult, message_id: str) -> dict[str, Any]:
    rows = result.messages.filter(pl.col("message_id") == message_id).to_dicts()
    assert len(rows) == 1, f"expected exactly one message {message_id}"
    return rows[0]


def test_frames_have_the_staging_schema(group: ParseResult) -> None:
    assert group.messages.schema == pl.Schema(MESSAGE_SCHEMA)
    assert group.events.schema == pl.Schema(EVENT_SCHEMA)
    assert group.quarantine.schema == pl.Schema(QUARANTINE_SCHEMA)
    assert (group.format, group.encoding, group.warnings) == ("telegram", "utf-8", [])


def test_chat_identity_and_provenance(group: ParseResult) -> None:
    first = message(group, "4")
    assert (first["platform"], first["source_key"], first["source_name"]) == (
        "telegram",
        "1987654321",
        "VIP 客户群",
    )
    assert (first["source_file"], first["source_record"], first["source_record_label"]) == (
        "exports/telegram/group.json",
        4,
        "messages[3]",
    )
    assert (first["sender_handle"], first["sender_name"]) == ("user7001", "Customer A")


def test_message_kinds(group: ParseResult) -> None:
    kinds = dict(group.messages.select("message_id", "kind").iter_rows())
    assert kinds == {
        "4": "text",
        "5": "text",
        "6": "sticker",
        "7": "media",  # photo with a caption
        "8": "media",  # voice message
        "9": "file",  # document without media_type
        "10": "other",  # poll
        "15": "text",
    }
    assert message(group, "8")["raw_type"] == "voice_message"
    assert message(group, "7")["text"] == "截图"


def test_text_array_is_flattened_with_mentions(group: ParseResult) -> None:
    reply = message(group, "5")
    assert reply["text"] == "您好 @customer_a，今天 发货，王芳 跟进"
    assert reply["mentions"] == ["customer_a", "user7002"]
    assert reply["reply_to_message_id"] == "4"
    assert message(group, "4")["mentions"] == []


def test_epoch_times_need_no_timezone_assumption(group: ParseResult) -> None:
    assert message(group, "4")["sent_at"] == datetime(2026, 5, 4, 1, 3, tzinfo=UTC)
    assert group.timezone_assumed is None


def test_deleted_account_keeps_its_id(group: ParseResult) -> None:
    deleted = message(group, "15")
    assert (deleted["sender_handle"], deleted["sender_name"]) == ("user7009", None)


def test_service_messages_become_membership_events(group: ParseResult) -> None:
    events = group.events.select(
        "event_id", "event_type", "actor_handle", "subject_handle", "subject_name", "detail"
    ).rows()
    assert events == [
        ("1", "create", "user5001", None, None, "create_group"),
        ("2:0", "join", "user5001", "王芳", "王芳", "invite_members"),
        ("2:1", "join", "user5001", "Chen Jie", "Chen Jie", "invite_members"),
        ("3", "join", "user7001", "user7001", "Customer A", "join_group_by_link"),
        ("11:0", "leave", "user7001", "user7001", "Customer A", "remove_members"),
        ("12:0", "remove", "user5001", "Chen Jie", "Chen Jie", "remove_members"),
        ("13", "rename", "user5001", None, None, "edit_group_title"),
        ("14", "other", "user5001", None, None, "pin_message"),
    ]
    assert group.events["source_record_label"][1] == "messages[1]"
    assert group.events["occurred_at"][0] == datetime(2026, 5, 4, 1, 0, tzinfo=UTC)
    assert not set(group.messages["message_id"]) & {"1", "2", "3", "11", "12", "13", "14"}


def test_date_only_records_use_the_source_timezone() -> None:
    shanghai = parse("date_only.json")
    assert shanghai.timezone_assumed == "Asia/Shanghai"
    assert message(shanghai, "1")["sent_at"] == datetime(2026, 5, 4, 1, 30, tzinfo=UTC)
    assert shanghai.events.select("event_type", "subject_handle", "occurred_at").row(0) == (
        "join",
        "user7002",
        datetime(2026, 5, 4, 1, 31, tzinfo=UTC),
    )
    utc = parse("date_only.json", source_tz="UTC")
    assert utc.timezone_assumed == "UTC"
    assert message(utc, "1")["sent_at"] == datetime(2026, 5, 4, 9, 30, tzinfo=UTC)


def test_broken_records_are_quarantined_and_nothing_else_is_lost() -> None:
    result = parse("broken_records.json")
    # no id -> a content fingerprint; no from_id -> keyed by the sender's name
    ids = result.messages["message_id"].to_list()
    assert ids[0] == "1" and ids[1].startswith("fp:") and ids[2:] == ["8", "9"]
    assert result.messages["sender_handle"].to_list()[2] == "name:Ghost"
    again = parse("broken_records.json")
    assert again.messages["message_id"].to_list() == ids, "fingerprints are stable"
    assert result.quarantine.select("source_record", "source_record_label", "reason").rows() == [
        (
            2,
            "messages[1]",
            'Telegram Desktop exported this message as type "unsupported" (content the exporter '
            "cannot represent); there is nothing to load",
        ),
        (4, "messages[3]", "missing both date_unixtime and date"),
        (5, "messages[4]", 'date_unixtime is not epoch seconds (got "yesterday")'),
        (6, "messages[5]", 'date is not YYYY-MM-DDTHH:MM:SS (got "04/05/2026 09:30")'),
        (7, "messages[6]", "expected a message object, found a JSON string"),
    ]
    assert result.quarantine["raw_snippet"][0] == '{"id":2,"type":"unsupported"}'
    assert result.timezone_assumed is None  # the date-only record was quarantined


def test_full_account_export_has_one_source_per_chat() -> None:
    result = parse("account.json")
    assert result.messages.select(
        "source_key", "source_name", "message_id", "source_record_label"
    ).rows() == [
        ("7001", "Customer A", "101", "chats.list[0].messages[0]"),
        ("7001", "Customer A", "102", "chats.list[0].messages[1]"),
        ("1555000111", "售后群", "202", "chats.list[1].messages[1]"),
        ("333", "旧活动群", "301", "left_chats.list[0].messages[0]"),
    ]
    assert message(result, "102")["reply_to_message_id"] == "101"
    assert result.events.select("source_key", "event_id", "event_type", "subject_name").rows() == [
        ("1555000111", "201:0", "join", "Customer A")
    ]
    assert result.quarantine.is_empty()


def test_tdesktop_hex_escapes_are_read() -> None:
    result = parse("control_chars.json")
    assert result.messages["text"].to_list() == ["ding\x07dong", "path C:\\x41"]


def test_invalid_json_names_the_file_and_position() -> None:
    with pytest.raises(ExportReadError) as caught:
        parse("truncated.json")
    assert caught.value.path == "exports/telegram/truncated.json"
    assert str(caught.value).startswith("exports/telegram/truncated.json: line 39 column 12: not valid JSON")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"name": "x", "type": "personal_chat"}', "no chats found"),
        ("[]", "no chats found"),
        ('{"chats": {"about": "x"}}', "`chats.list` is missing or not an array of chats"),
        ('{"chats": {"list": [{"id": 1}]}}', "`chats.list[0].messages` is missing or not an array"),
    ],
)
def test_documents_without_chats_are_rejected(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "result.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ExportReadError, match=re.escape(expected)):
        telegram.parse(path, rel_path="result.json")


def _message_objects(node: Any, in_messages: bool = False) -> Iterator[dict[str, Any]]:
    """Every object with type "message" found in any `messages` array, however deeply nested."""
    if isinstance(node, dict):
        if in_messages and node.get("type") == "message":
            yield node
        for key, value in node.items():
            yield from _message_objects(value, key == "messages")
    elif isinstance(node, list):
        for item in node:
            yield from _message_objects(item, in_messages)


#: Genuinely broken records in the real files, with their reason: none. (The chat-miner fixtures
#: lack `id` and `from_id`; they load with content fingerprints and name-keyed senders.)
REAL_QUARANTINE: dict[str, dict[str, str]] = {}
REAL_FILES = [
    "chat-analytics/DM_2A_7M.json",
    "chat-analytics/MultiChat_2C_6M.json",
    "chat-miner/test_batch_export.json",
    "chat-miner/test_single_export.json",
    "chatstyle/result.json",
]


@pytest.mark.shared
def test_every_real_sample_is_listed() -> None:
    if not REAL_EXPORTS.is_dir():
        pytest.skip(f"{REAL_EXPORTS} is absent: the shared real-export samples are not checked out")
    assert sorted(str(p.relative_to(REAL_EXPORTS)) for p in REAL_EXPORTS.rglob("*.json")) == REAL_FILES


@pytest.mark.shared
@pytest.mark.parametrize("name", REAL_FILES)
def test_real_exports(name: str) -> None:
    path = REAL_EXPORTS / name
    if not path.is_file():
        pytest.skip(f"{path} is absent: the shared real-export samples are not checked out")
    result = telegram.parse(path, rel_path=name)
    expected_quarantine = REAL_QUARANTINE.get(name, {})
    assert dict(result.quarantine.select("source_record_label", "reason").iter_rows()) == expected_quarantine
    message_count = sum(1 for _ in _message_objects(json.loads(path.read_text(encoding="utf-8"))))
    assert result.messages.height + len(expected_quarantine) == message_count
    assert result.messages["sent_at"].null_count() == 0
    assert result.messages["sender_handle"].null_count() == 0


# -- streaming: parts, fingerprints across parts, error positions ---------------------------------

FIXTURE_FILES = ["group.json", "account.json", "broken_records.json", "control_chars.json", "date_only.json"]


def tiny_parts(path: Path, rel_path: str, **kwargs: str) -> list[ParseResult]:
    """Parts of at most one 7-byte read each: every line of the file is a part boundary."""
    return list(telegram.parse_parts(path, rel_path=rel_path, part_bytes=1, read_bytes=7, **kwargs))


def assert_same_result(streamed: ParseResult, whole: ParseResult) -> None:
    assert_frame_equal(streamed.messages, whole.messages)
    assert_frame_equal(streamed.events, whole.events)
    assert_frame_equal(streamed.quarantine, whole.quarantine)
    assert (streamed.encoding, streamed.timezone_assumed, streamed.warnings) == (
        whole.encoding,
        whole.timezone_assumed,
        whole.warnings,
    )


@pytest.mark.parametrize("name", FIXTURE_FILES)
def test_tiny_parts_give_the_same_frames(name: str) -> None:
    rel_path = f"exports/telegram/{name}"
    parts = tiny_parts(FIXTURES / name, rel_path)
    assert sum(1 for part in parts if part.messages.height or part.events.height) > 1
    offsets = [part.end_offset for part in parts]
    assert offsets == sorted(offsets) and offsets[-1] == (FIXTURES / name).stat().st_size
    assert_same_result(ParseResult.combine(parts), parse(name))


@pytest.mark.shared
@pytest.mark.parametrize("name", REAL_FILES)
def test_real_exports_in_tiny_parts(name: str) -> None:
    path = REAL_EXPORTS / name
    if not path.is_file():
        pytest.skip(f"{path} is absent: the shared real-export samples are not checked out")
    assert_same_result(ParseResult.combine(tiny_parts(path, name)), telegram.parse(path, rel_path=name))


def test_telegram_streams_through_the_loader_registry() -> None:
    assert detect.PART_PARSERS["telegram"] is telegram.parse_parts


def test_identical_messages_without_ids_keep_distinct_ids_across_parts(tmp_path: Path) -> None:
    message = {
        "type": "message",
        "date": "2026-05-04T09:00:00",
        "date_unixtime": "1777856400",
        "from": "Li Wei",
        "from_id": "user5001",
        "text": "ok",
    }
    path = tmp_path / "result.json"
    path.write_text(json.dumps({"name": "x", "type": "private_group", "id": 5, "messages": [message] * 5}, indent=1))
    parts = tiny_parts(path, "result.json")
    assert sum(1 for part in parts if part.messages.height) == 5, "each message in a part of its own"
    ids = [message_id for part in parts for message_id in part.messages["message_id"]]
    assert len(set(ids)) == 5 and all(message_id.startswith("fp:") for message_id in ids)
    assert ids == telegram.parse(path, rel_path="result.json").messages["message_id"].to_list()


GOOD_MESSAGE = '{"id": 1, "type": "message", "date_unixtime": "1777856400", "from_id": "user1", "text": "a"}'
BROKEN_DOCUMENTS = {
    "missing comma in a message": (
        '{\n "name": "x",\n "id": 5,\n "messages": [\n  ' + GOOD_MESSAGE + ',\n  {\n   "id": 2\n'
        '   "type": "message"\n  }\n ]\n}\n'
    ),
    "comma after the last message": '{\n "id": 5,\n "messages": [\n  ' + GOOD_MESSAGE + ',\n ]\n}\n',
    "raw line break in a string": '{\n "id": 5,\n "messages": [\n  {"id": 1, "text": "two\nlines"}\n ]\n}\n',
    "broken key after the messages": '{\n "id": 5,\n "messages": [\n  ' + GOOD_MESSAGE + '\n ], "name": \n}\n',
    "broken key before the messages": '{\n "id": 5\n "name": "x",\n "messages": [\n  ' + GOOD_MESSAGE + "\n ]\n}\n",
    "garbage after the document": '{\n "id": 5,\n "messages": [\n  ' + GOOD_MESSAGE + "\n ]\n}\n}\n",
}


@pytest.mark.parametrize("name", list(BROKEN_DOCUMENTS))
def test_json_errors_name_the_line_and_column_json_loads_names(tmp_path: Path, name: str) -> None:
    text = BROKEN_DOCUMENTS[name]
    with pytest.raises(json.JSONDecodeError) as reference:
        json.loads(text)
    path = tmp_path / "result.json"
    path.write_text(text, encoding="utf-8")
    expected = f"result.json: line {reference.value.lineno} column {reference.value.colno}: not valid JSON ({reference.value.msg})"
    with pytest.raises(ExportReadError) as caught:
        telegram.parse(path, rel_path="result.json")
    assert str(caught.value).startswith(expected)
    with pytest.raises(ExportReadError) as caught:
        tiny_parts(path, "result.json")
    assert str(caught.value).startswith(expected)


def test_truncated_file_in_tiny_parts_names_the_same_position() -> None:
    with pytest.raises(ExportReadError) as caught:
        tiny_parts(FIXTURES / "truncated.json", "exports/telegram/truncated.json")
    assert str(caught.value).startswith("exports/telegram/truncated.json: line 39 column 12: not valid JSON")


def test_file_ending_after_a_complete_message_names_its_last_line(tmp_path: Path) -> None:
    path = tmp_path / "result.json"
    path.write_text('{\n "id": 5,\n "messages": [\n  ' + GOOD_MESSAGE + "\n", encoding="utf-8")
    with pytest.raises(ExportReadError, match=r"^result.json: line 5 column 1: not valid JSON"):
        telegram.parse(path, rel_path="result.json")


def test_chat_keys_after_the_messages(tmp_path: Path) -> None:
    """Keys after `messages` are fine while the file is one part; a file large enough to span
    parts is rejected rather than loaded under the wrong chat."""
    path = tmp_path / "result.json"
    path.write_text('{"messages": [' + GOOD_MESSAGE + '],\n "name": "late", "id": 77}\n', encoding="utf-8")
    result = telegram.parse(path, rel_path="result.json")
    assert result.messages.select("source_key", "source_name").row(0) == ("77", "late")
    with pytest.raises(ExportReadError, match=r"`messages` was read before the keys that say which chat"):
        tiny_parts(path, "result.json")


def test_message_only_duckdb_cannot_read_is_quarantined(tmp_path: Path) -> None:
    """Python's json (the reference) accepts a lone surrogate escape; DuckDB's reader does not."""
    path = tmp_path / "result.json"
    broken = '{"id": 2, "type": "message", "date_unixtime": "1777856400", "from_id": "user1", "text": "x \\ud800"}'
    path.write_text('{"id": 5, "messages": [' + GOOD_MESSAGE + ", " + broken + "]}", encoding="utf-8")
    result = telegram.parse(path, rel_path="result.json")
    assert result.messages["message_id"].to_list() == ["1"]
    assert result.quarantine.select("source_record_label", "raw_snippet").row(0) == ("messages[1]", broken)
    assert result.quarantine["reason"][0].startswith("message is JSON that DuckDB cannot read")


def test_text_of_every_json_type(tmp_path: Path) -> None:
    """Only a string or an array gives text; strings that read like other JSON stay strings."""
    texts = ["123", 123, "[x]", [], [None, "x"], "true", True, {"text": "no"}, None, "-5",
             [{"type": "bold", "text": "b"}, "c", 7], "", "{\"a\": 1}"]
    messages = [
        {"id": index, "type": "message", "date_unixtime": "1777856400", "from_id": "user1", "text": text}
        for index, text in enumerate(texts, start=1)
    ]
    path = tmp_path / "result.json"
    path.write_text(json.dumps({"id": 5, "messages": messages}), encoding="utf-8")
    result = telegram.parse(path, rel_path="result.json")
    assert result.messages["text"].to_list() == [
        "123", None, "[x]", None, "x", "true", None, None, None, "-5", "bc", None, "{\"a\": 1}"
    ]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "gb18030"])
def test_other_encodings_give_the_same_frames(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "result.json"
    path.write_text((FIXTURES / "group.json").read_text(encoding="utf-8"), encoding=encoding)
    result = telegram.parse(path, rel_path="exports/telegram/group.json")
    whole = parse("group.json")
    assert result.encoding == {"utf-16": "utf-16-le"}.get(encoding, encoding)  # Python writes a LE BOM
    assert_frame_equal(result.messages, whole.messages)
    assert_frame_equal(result.events, whole.events)


def test_empty_file_is_not_json(tmp_path: Path) -> None:
    path = tmp_path / "result.json"
    path.write_bytes(b"")
    with pytest.raises(ExportReadError, match=r"^result.json: line 1 column 1: not valid JSON \(Expecting value\)"):
        telegram.parse(path, rel_path="result.json")
