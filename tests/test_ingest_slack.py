"""Slack workspace export parser on a hand-written export (as a folder and zipped) and real ones.

Fixture tests/fixtures/slack/export/: channels.json (general + a channel with a broken day file),
dms.json (one DM, folder named by id), users.json (display_name, real_name fallback, a bot user),
general/ day files with every subtype family, a thread, a bot_message and three broken records.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from assets.ingest import slack
from assets.ingest.errors import ExportReadError
from assets.ingest.schema import EVENT_SCHEMA, MESSAGE_SCHEMA, QUARANTINE_SCHEMA, ParseResult

EXPORT = Path(__file__).parent / "fixtures" / "slack" / "export"
REAL_EXPORTS = Path(__file__).resolve().parents[2] / "shared" / "real_exports" / "slack"


def zip_folder(folder: Path, target: Path, prefix: str = "") -> Path:
    with zipfile.ZipFile(target, "w") as archive:
        for file in sorted(folder.rglob("*.json")):
            archive.write(file, prefix + file.relative_to(folder).as_posix())
    return target


@pytest.fixture(scope="module")
def folder() -> ParseResult:
    return slack.parse(EXPORT / "channels.json", rel_path="exports/slack/channels.json")


def message(result: ParseResult, message_id: str) -> dict[str, Any]:
    rows = result.messages.filter(pl.col("message_id") == message_id).to_dicts()
    assert len(rows) == 1, f"expected exactly one message {message_id}"
    return rows[0]


def test_frames_have_the_staging_schema(folder: ParseResult) -> None:
    assert folder.messages.schema == pl.Schema(MESSAGE_SCHEMA)
    assert folder.events.schema == pl.Schema(EVENT_SCHEMA)
    assert folder.quarantine.schema == pl.Schema(QUARANTINE_SCHEMA)
    assert (folder.format, folder.timezone_assumed, folder.warnings) == ("slack", None, [])


def test_each_conversation_is_its_own_source(folder: ParseResult) -> None:
    sources = set(folder.messages.select("source_key", "source_name").iter_rows())
    assert sources == {
        ("C0GENERAL1", "general"),
        ("C0BROKEN01", "broken-day"),
        ("D0DM00001", "D0DM00001"),
    }


def test_message_fields(folder: ParseResult) -> None:
    row = message(folder, "1452837359.123456")
    assert str(row["sent_at"]) == "2016-01-15 05:55:59.123456+00:00"
    assert (row["sender_handle"], row["sender_name"], row["is_bot"]) == ("U0ALICE001", "阿丽", False)
    assert row["reply_to_message_id"] == "1452837352.000006"
    assert (row["source_file"], row["source_record"], row["source_record_label"]) == (
        "exports/slack/channels.json",
        4,
        "general/2016-01-14.json[3]",
    )
    parent = message(folder, "1452837352.000006")
    assert parent["reply_to_message_id"] is None, "a thread parent has thread_ts == ts"
    assert parent["text"] == "<@U0ALICE001>: 订单 <A&B> 还没到"
    assert parent["mentions"] == ["U0ALICE001"]
    assert parent["sender_name"] == "Bob Li", "empty display_name falls back to real_name"


def test_bots_and_kinds(folder: ParseResult) -> None:
    hook = message(folder, "1452837400.000001")
    assert (hook["sender_handle"], hook["sender_name"], hook["is_bot"], hook["kind"]) == (
        "B0HOOK0001", "deploy hook", True, "other"
    )
    assert message(folder, "1452837401.000001")["is_bot"] is True, "users.json is_bot"
    assert message(folder, "1452902400.000100")["kind"] == "file"
    assert message(folder, "1452902401.000100")["kind"] == "other"


def test_system_subtypes_are_events(folder: ParseResult) -> None:
    events = folder.events.select("event_id", "event_type", "actor_handle", "subject_handle").rows()
    assert events == [
        ("1452837318.000002", "join", "U0ALICE001", "U0ALICE001"),
        ("1452837318.000003", "join", "U0ALICE001", "U0BOB00002"),
        ("1452837402.000001", "other", "U0ALICE001", "U0ALICE001"),
        ("1452902402.000100", "other", "U0ALICE001", "U0ALICE001"),
        ("1452902403.000100", "rename", "U0ALICE001", "U0ALICE001"),
        ("1452902404.000100", "leave", "U0BOB00002", "U0BOB00002"),
    ]
    assert not set(folder.events["event_id"]) & set(folder.messages["message_id"])


def test_broken_records_and_days_are_quarantined(folder: ParseResult) -> None:
    rows = folder.quarantine.select("source_record", "source_record_label", "reason").rows()
    assert [(record, label) for record, label, _ in rows] == [
        (None, "broken-day/2016-01-14.json"),
        (7, "general/2016-01-14.json[6]"),
        (6, "general/2016-01-15.json[5]"),
        (7, "general/2016-01-15.json[6]"),
    ]
    reasons = [reason for _, _, reason in rows]
    assert "not valid JSON" in reasons[0] and "missing ts" in reasons[1]
    assert "found a JSON string" in reasons[2] and "yesterday" in reasons[3]
    assert all(len(snippet) <= 200 for snippet in folder.quarantine["raw_snippet"])
    # nothing else lost: every record is a message, an event or quarantined
    assert folder.messages.height + folder.events.height + 3 == 17


def test_zip_gives_the_same_rows_as_the_folder(folder: ParseResult, tmp_path: Path) -> None:
    for prefix in ("", "workspace export/"):
        archive = zip_folder(EXPORT, tmp_path / f"export{len(prefix)}.zip", prefix)
        assert slack.sniff_zip(archive)
        zipped = slack.parse(archive, rel_path="exports/slack/channels.json")
        assert zipped.messages.equals(folder.messages)
        assert zipped.events.equals(folder.events)
        assert zipped.quarantine.equals(folder.quarantine)


def test_sniff() -> None:
    assert slack.sniff((EXPORT / "channels.json").read_text())
    assert not slack.sniff((EXPORT / "users.json").read_text())
    assert not slack.sniff('{"guild": {"id": "1"}, "channel": {"id": "C1", "name": "x"}}')
    assert not slack.sniff_zip(EXPORT / "channels.json")


def test_not_an_export(tmp_path: Path) -> None:
    archive = tmp_path / "other.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("readme.txt", "hi")
    assert not slack.sniff_zip(archive)
    with pytest.raises(ExportReadError, match="no channels.json"):
        slack.parse(archive, rel_path="other.zip")
    (tmp_path / "channels.json").write_text("{not json")
    with pytest.raises(ExportReadError, match="channels.json is not UTF-8 JSON"):
        slack.parse(tmp_path / "channels.json", rel_path="channels.json")


def real_exports() -> list[Path]:
    if not REAL_EXPORTS.is_dir():
        return []
    return sorted([*REAL_EXPORTS.rglob("*.zip"), *REAL_EXPORTS.rglob("channels.json")])


def day_records(export: Path) -> int:
    """Count the records of every day file independently of the parser."""
    if export.suffix == ".zip":
        with zipfile.ZipFile(export) as archive:
            return sum(
                len(json.loads(archive.read(name)))
                for name in archive.namelist()
                if name.count("/") == 1 and name.endswith(".json") and name[-15:-5].count("-") == 2
            )
    return sum(len(json.loads(day.read_text())) for day in export.parent.glob("*/????-??-??.json"))


@pytest.mark.shared
@pytest.mark.parametrize("export", real_exports(), ids=lambda path: path.parent.name + "/" + path.name)
def test_real_exports_parse_completely(export: Path) -> None:
    result = slack.parse(export, rel_path=export.name)
    assert result.quarantine.height == 0, result.quarantine.select("source_record_label", "reason").rows()
    assert result.messages.height + result.events.height == day_records(export)
    assert result.messages["sent_at"].null_count() == 0
    assert result.messages.select("source_key", "message_id").is_unique().all()


@pytest.mark.shared
def test_real_exports_present() -> None:
    if not REAL_EXPORTS.is_dir():
        pytest.skip(f"../shared not found: {REAL_EXPORTS}")
    assert len(real_exports()) == 3
