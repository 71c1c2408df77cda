"""QCE V5 TXT parser (FORMATS.md §3.2, last paragraph) on hand-written fixtures and the real snapshot.

Fixtures (tests/fixtures/qq_qce_txt/): group.txt (banner, numbered block with a 类型: line,
multi-line body with a blank line, two mentions, resource lines, QCE's own `[…消息]` bodies,
faces, a reply, a system join, two identical messages) and malformed.txt (a `<TIMESTAMP>` time,
a lost sender line, an impossible date and a missing 内容: line between good records). CRLF,
GB18030 and UTF-16 copies are written on the fly from group.txt.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from assets.ingest import qq_qce, qq_qce_txt
from assets.ingest.errors import ExportReadError
from assets.ingest.schema import EVENT_SCHEMA, MESSAGE_SCHEMA, QUARANTINE_SCHEMA, ParseResult

FIXTURES = Path(__file__).parent / "fixtures" / "qq_qce_txt"
OTHER_FIXTURES = Path(__file__).parent / "fixtures"
SHARED = Path(__file__).resolve().parents[2] / "shared"
SNAPSHOTS = SHARED / "real_exports" / "qq" / "qce_qqchatexporter_v5_snapshots"


def parse(path: Path, source_tz: str = "Asia/Shanghai") -> ParseResult:
    return qq_qce_txt.parse(path, rel_path=f"exports/qq/{path.name}", source_tz=source_tz)


@pytest.fixture(scope="module")
def group() -> ParseResult:
    return parse(FIXTURES / "group.txt")


def at_line(frame: pl.DataFrame, line: int) -> dict[str, Any]:
    rows = frame.filter(pl.col("source_record") == line).to_dicts()
    assert len(rows) == 1, f"expected exactly one row at line {line}"
    return rows[0]


def test_frames_have_the_staging_schema(group: ParseResult) -> None:
    assert group.messages.schema == pl.Schema(MESSAGE_SCHEMA)
    assert group.events.schema == pl.Schema(EVENT_SCHEMA)
    assert group.quarantine.schema == pl.Schema(QUARANTINE_SCHEMA)
    assert (group.format, group.encoding, group.timezone_assumed) == ("qq", "utf-8", "Asia/Shanghai")
    assert group.quarantine.is_empty()
    assert group.messages.height == 8 and group.events.height == 1


def test_chat_name_is_key_and_name_and_times_are_local(group: ParseResult) -> None:
    first = at_line(group.messages, 16)
    assert (first["platform"], first["source_key"], first["source_name"]) == ("qq", "客服一群", "客服一群")
    assert first["sent_at"] == datetime(2024, 3, 1, 1, 0, tzinfo=UTC)
    assert (first["sender_handle"], first["sender_name"]) == ("小王 (客服)", "小王 (客服)")
    assert first["text"] == "大家好，有问题请留言\n第二行\n\n第四行：空行之后"
    assert (first["source_record_label"], first["kind"]) == ("line 16", "text")


def test_numbered_block_mentions_and_kinds(group: ParseResult) -> None:
    numbered = at_line(group.messages, 24)
    assert numbered["mentions"] == ["小王 (客服)", "Ann"]
    assert numbered["text"] == "@小王 (客服) @Ann 请看一下订单"
    kinds = {line: at_line(group.messages, line)["kind"] for line in (32, 40, 45)}
    assert kinds == {32: "file", 40: "sticker", 45: "sticker"}
    assert at_line(group.messages, 32)["raw_type"] == "image、file"


def test_reply_text_and_target(group: ParseResult) -> None:
    reply = at_line(group.messages, 50)
    assert reply["text"] == "收到，马上处理"
    assert reply["reply_to_message_id"] == at_line(group.messages, 24)["message_id"]


def test_system_message_is_a_join_event(group: ParseResult) -> None:
    event = group.events.row(0, named=True)
    assert (event["event_type"], event["subject_name"], event["source_record"]) == ("join", "新人甲", 57)
    assert not group.messages["sender_name"].is_in(["系统消息"]).any()


def test_fingerprints_are_unique_and_repeatable(group: ParseResult) -> None:
    ids = group.messages["message_id"]
    assert ids.n_unique() == group.messages.height
    assert ids.str.contains(r"^[0-9A-F]{32}$").all()
    again = parse(FIXTURES / "group.txt")
    assert again.messages["message_id"].to_list() == ids.to_list()


def test_malformed_blocks_are_quarantined_with_lines() -> None:
    result = parse(FIXTURES / "malformed.txt")
    assert result.messages["source_record"].to_list() == [9, 34]
    reasons = dict(zip(result.quarantine["source_record"], result.quarantine["reason"], strict=True))
    assert sorted(reasons) == [14, 19, 23, 28]
    assert "'<TIMESTAMP>' is not a valid Asia/Shanghai date-time" in reasons[14]
    assert "missing the 'Name:' line" in reasons[19]
    assert "'2024-02-30 09:03:00'" in reasons[23]
    assert "expected a '内容:' line" in reasons[28]
    assert result.quarantine["raw_snippet"].str.len_chars().max() <= 200
    assert at_line(result.quarantine, 14)["raw_snippet"].startswith("Bob:\n时间: <TIMESTAMP>")


@pytest.mark.parametrize(("encoding", "newline"), [("gb18030", "\n"), ("utf-16", "\r\n"), ("utf-8", "\r\n")])
def test_encodings_and_crlf(tmp_path: Path, group: ParseResult, encoding: str, newline: str) -> None:
    copy = tmp_path / "group.txt"
    text = (FIXTURES / "group.txt").read_text(encoding="utf-8").replace("\n", newline)
    copy.write_bytes(text.encode(encoding))
    result = parse(copy)
    compared = ["message_id", "sent_at", "text", "kind", "source_record", "reply_to_message_id"]
    assert result.messages.select(compared).equals(group.messages.select(compared))


def test_not_a_qce_txt_file_is_an_error(tmp_path: Path) -> None:
    junk = tmp_path / "notes.txt"
    junk.write_text("just some notes\nnothing here\n", encoding="utf-8")
    with pytest.raises(ExportReadError, match="QQChatExporter V5 TXT"):
        parse(junk)


def test_sniff_matches_qce_txt_only() -> None:
    assert qq_qce_txt.sniff((FIXTURES / "group.txt").read_text(encoding="utf-8"))
    headless = "聊天名称: 群\n聊天类型: 群聊\n\n\nAnn:\n时间: 2024-03-01 09:00:00\n内容: hi\n"
    assert qq_qce_txt.sniff(headless)
    others = [
        *(OTHER_FIXTURES / "qq").iterdir(),
        *(p for p in (OTHER_FIXTURES / "whatsapp").rglob("*") if p.is_file()),
        *(OTHER_FIXTURES / "wechat").iterdir(),
    ]
    for other in others:
        head = other.read_bytes()[:16384].decode("utf-8", errors="ignore")
        assert not qq_qce_txt.sniff(head), other.name
    assert not qq_qce.sniff((FIXTURES / "group.txt").read_text(encoding="utf-8"))


def _require_shared() -> None:
    if not SNAPSHOTS.is_dir():
        pytest.skip(f"../shared not found: {SNAPSHOTS} is absent")


@pytest.mark.shared
def test_real_snapshot_count_matches_json_twin() -> None:
    """The TXT and JSON snapshots are one chat: same count, same instants (the snapshot ran in UTC).

    Only the two `导出时间:` header/footer lines carry `<TIMESTAMP>`; every message time is real,
    so no record is broken.
    """
    _require_shared()
    txt = SNAPSHOTS / "TextExporter.groupMixedMedia.snap.txt"
    raw = txt.read_text(encoding="utf-8")
    expected = len(re.findall(r"^时间: ", raw, flags=re.MULTILINE))
    twin = json.loads((SNAPSHOTS / "JsonExporter.groupMixedMedia.snap.json").read_text(encoding="utf-8"))
    assert expected == len(twin["messages"]) == 7
    assert qq_qce_txt.sniff(raw)
    result = parse(txt, source_tz="UTC")
    broken = result.quarantine.select("source_record", "reason").to_dicts()
    assert broken == [], f"genuinely broken records: {broken}"
    assert result.messages.height == expected
    assert result.messages["source_key"].unique().to_list() == [twin["chatInfo"]["name"]]
    stamps = [datetime.fromtimestamp(m["timestamp"] / 1000, tz=UTC) for m in twin["messages"]]
    assert result.messages["sent_at"].to_list() == stamps
    assert result.messages["kind"].to_list() == ["text", "text", "media", "text", "file", "text", "media"]
    reply = result.messages.row(5, named=True)
    assert reply["text"] == "thanks team, fix incoming"
    assert reply["reply_to_message_id"] == result.messages.row(0, named=True)["message_id"]
    assert result.messages.row(3, named=True)["mentions"] == ["Alice"]
