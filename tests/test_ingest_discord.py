"""DiscordChatExporter JSON parser on a hand-written group DM and on the real sample files.

Fixture tests/fixtures/discord/group.json: every message type family (Default, Reply, RecipientAdd,
RecipientRemove by another and by oneself, ChannelNameChange, Call, GuildMemberJoin), attachment-
and sticker-only messages, a duplicate id, and three broken records before a good last one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from assets.ingest import discord
from assets.ingest.errors import ExportReadError
from assets.ingest.schema import EVENT_SCHEMA, MESSAGE_SCHEMA, QUARANTINE_SCHEMA, ParseResult

FIXTURES = Path(__file__).parent / "fixtures" / "discord"
REAL_EXPORTS = Path(__file__).resolve().parents[2] / "shared" / "real_exports" / "discord"


@pytest.fixture(scope="module")
def group() -> ParseResult:
    return discord.parse(FIXTURES / "group.json", rel_path="exports/discord/group.json")


def message(result: ParseResult, message_id: str) -> dict[str, Any]:
    return result.messages.filter(pl.col("message_id") == message_id).to_dicts()[0]


def test_frames_have_the_staging_schema(group: ParseResult) -> None:
    assert group.messages.schema == pl.Schema(MESSAGE_SCHEMA)
    assert group.events.schema == pl.Schema(EVENT_SCHEMA)
    assert group.quarantine.schema == pl.Schema(QUARANTINE_SCHEMA)
    assert (group.format, group.encoding, group.timezone_assumed) == ("discord", "utf-8", None)


def test_message_fields(group: ParseResult) -> None:
    row = message(group, "101")
    assert (row["platform"], row["source_key"], row["source_name"]) == (
        "discord", "900000000000000001", "Direct Messages / 售后群"
    )
    assert str(row["sent_at"]) == "2024-01-01 01:01:00.500000+00:00"
    assert (row["sender_handle"], row["sender_name"], row["kind"]) == ("1", "Alice", "text")
    assert row["mentions"] == ["2"]
    assert (row["source_record"], row["source_record_label"]) == (2, "messages[1]")
    reply = message(group, "102")
    assert (reply["reply_to_message_id"], reply["sender_name"]) == ("101", "wang")


def test_kinds_bots_and_duplicates(group: ParseResult) -> None:
    assert message(group, "103")["kind"] == "media"
    sticker = message(group, "104")
    assert (sticker["kind"], sticker["is_bot"]) == ("sticker", True)
    assert group.messages["message_id"].to_list() == ["101", "102", "103", "104", "104", "113"]


def test_system_messages_are_events(group: ParseResult) -> None:
    events = group.events.select("event_id", "event_type", "actor_handle", "subject_handle").rows()
    assert events == [
        ("100", "join", "1", "2"),
        ("105", "rename", "1", "1"),
        ("106", "remove", "1", "2"),
        ("107", "leave", "3", "3"),
        ("108", "other", "1", "1"),
        ("109", "join", "4", "4"),
    ]


def test_broken_records_are_quarantined(group: ParseResult) -> None:
    rows = group.quarantine.select("source_record", "source_record_label", "reason").rows()
    assert [(record, label) for record, label, _ in rows] == [
        (12, "messages[11]"), (13, "messages[12]"), (14, "messages[13]")
    ]
    assert "missing id" in rows[0][2]
    assert 'timestamp is not ISO 8601 with an offset (got "yesterday")' in rows[1][2]
    assert "found a JSON number" in rows[2][2]
    assert group.messages.height + group.events.height + group.quarantine.height == 15


def test_sniff_and_unreadable_files(tmp_path: Path) -> None:
    assert discord.sniff((FIXTURES / "group.json").read_text())
    assert not discord.sniff('{"name": "x", "type": "personal_chat", "messages": []}')
    broken = tmp_path / "broken.json"
    broken.write_text('{"guild": {"id": "1"}, "channel": {"id": "2"}, "messages": [')
    with pytest.raises(ExportReadError, match="not valid JSON"):
        discord.parse(broken, rel_path="broken.json")
    broken.write_text('{"guild": {"id": "1"}, "channel": {}, "messages": []}')
    with pytest.raises(ExportReadError, match="missing channel.id"):
        discord.parse(broken, rel_path="broken.json")


def real_exports() -> list[Path]:
    return sorted(REAL_EXPORTS.rglob("*.json")) if REAL_EXPORTS.is_dir() else []


@pytest.mark.shared
@pytest.mark.parametrize("export", real_exports(), ids=lambda path: path.name)
def test_real_exports_parse_completely(export: Path) -> None:
    document = json.loads(export.read_text(encoding="utf-8-sig"))
    result = discord.parse(export, rel_path=export.name)
    assert result.quarantine.height == 0, result.quarantine.select("source_record_label", "reason").rows()
    system = [m for m in document["messages"] if m["type"] not in ("Default", "Reply")]
    assert result.messages.height == len(document["messages"]) - len(system)
    assert result.events.height == len(system)
    assert set(result.messages["source_key"]) <= {document["channel"]["id"]}


@pytest.mark.shared
def test_real_exports_present() -> None:
    if not REAL_EXPORTS.is_dir():
        pytest.skip(f"../shared not found: {REAL_EXPORTS}")
    assert len(real_exports()) == 6
