"""QQ parsers (FORMATS.md §3) on hand-written fixtures and on the real sample files.

Fixtures (tests/fixtures/qq/): export_all.txt (UTF-8 BOM, CRLF, two 消息对象 sections, 12-hour
times, nested parentheses, empty nickname, `<e-mail>` account, title prefixes, bare LF/CR inside
a body, system join/recall notices, two identical messages), no_header_lf.txt (LF only, no
header block), malformed.txt (stray text and impossible times between good records) and
qce_group.json (QCE V5 JSON with replies, mentions, a recall, system messages and broken records).
GB18030 and UTF-16LE copies are written on the fly from export_all.txt.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from assets.ingest import qq_qce, qq_txt
from assets.ingest.errors import ExportReadError
from assets.ingest.schema import EVENT_SCHEMA, MESSAGE_SCHEMA, QUARANTINE_SCHEMA, ParseResult

FIXTURES = Path(__file__).parent / "fixtures" / "qq"
REAL_EXPORTS = Path(__file__).resolve().parents[2] / "shared" / "real_exports" / "qq"


def parse_txt(path: Path) -> ParseResult:
    return qq_txt.parse(path, rel_path=f"exports/qq/{path.name}")


@pytest.fixture(scope="module")
def export_all() -> ParseResult:
    return parse_txt(FIXTURES / "export_all.txt")


@pytest.fixture(scope="module")
def qce() -> ParseResult:
    return qq_qce.parse(FIXTURES / "qce_group.json", rel_path="exports/qq/qce_group.json")


def at_line(frame: pl.DataFrame, line: int) -> dict[str, Any]:
    rows = frame.filter(pl.col("source_record") == line).to_dicts()
    assert len(rows) == 1, f"expected exactly one row at line {line}"
    return rows[0]


def test_txt_frames_have_the_staging_schema(export_all: ParseResult) -> None:
    assert export_all.messages.schema == pl.Schema(MESSAGE_SCHEMA)
    assert export_all.events.schema == pl.Schema(EVENT_SCHEMA)
    assert export_all.quarantine.schema == pl.Schema(QUARANTINE_SCHEMA)
    assert (export_all.format, export_all.encoding, export_all.timezone_assumed) == (
        "qq",
        "utf-8-sig",
        "Asia/Shanghai",
    )
    assert export_all.quarantine.is_empty()


def test_each_export_all_section_is_its_own_source(export_all: ParseResult) -> None:
    counts = dict(export_all.messages.group_by("source_key").len().iter_rows())
    assert counts == {"测试交流群": 8, "老王": 2}
    assert (export_all.messages["source_key"] == export_all.messages["source_name"]).all()


def test_header_lines_give_account_name_and_utc_time(export_all: ParseResult) -> None:
    expected = {
        9: ("87200175", "骰娘-Roll100", datetime(2019, 9, 23, 12, 43, 38, tzinfo=UTC)),
        12: ("10001", "小明", datetime(2019, 9, 23, 13, 0, 5, tzinfo=UTC)),  # 【管理员】 dropped
        17: ("0012345", "名字(带(嵌套)括号)", datetime(2019, 9, 22, 16, 1, tzinfo=UTC)),  # 12 AM
        20: ("376259096", "", datetime(2019, 9, 23, 4, 30, tzinfo=UTC)),  # 12 PM, empty nickname
        23: ("xinli.xiao@qq.com", "", datetime(2019, 9, 23, 4, 31, tzinfo=UTC)),
        26: ("123123", "小红(A)", datetime(2019, 9, 23, 4, 32, tzinfo=UTC)),
    }
    for line, (handle, name, sent_at) in expected.items():
        row = at_line(export_all.messages, line)
        assert (row["sender_handle"], row["sender_name"], row["sent_at"]) == (handle, name, sent_at)


def test_bare_cr_and_lf_stay_inside_the_body_and_count_as_lines(export_all: ParseResult) -> None:
    assert at_line(export_all.messages, 12)["text"] == "第一行\n第二行\n第三行"
    # the body's two bare breaks push the next header to physical line 17
    assert at_line(export_all.messages, 17)["source_record_label"] == "line 17"
    assert at_line(export_all.messages, 38)["text"] == "贴一段日志：\n2006-01-02 15:04:05 not a header"


def test_kinds_and_mentions(export_all: ParseResult) -> None:
    kinds = {line: at_line(export_all.messages, line)["kind"] for line in (9, 17, 20, 23, 26, 29)}
    assert kinds == {9: "text", 17: "text", 20: "media", 23: "sticker", 26: "file", 29: "other"}
    assert at_line(export_all.messages, 17)["mentions"] == ["小明", "骰娘-Roll100"]


def test_system_notices_are_events_not_messages(export_all: ParseResult) -> None:
    assert not export_all.messages["sender_handle"].is_in(["10000", "1000000"]).any()
    events = export_all.events.select("event_type", "subject_name", "detail", "source_record").rows()
    assert events == [
        ("join", "新人甲", "新人甲加入本群。", 32),
        ("other", "小红", "小红撤回了一条消息", 35),
    ]


def test_fingerprints_are_unique_and_stable(export_all: ParseResult) -> None:
    ids = export_all.messages["message_id"]
    assert ids.n_unique() == ids.len() and ids.str.contains(r"^[0-9A-F]{32}$").all()
    assert parse_txt(FIXTURES / "export_all.txt").messages["message_id"].equals(ids)


def test_lf_only_file_without_header_uses_the_file_stem() -> None:
    result = parse_txt(FIXTURES / "no_header_lf.txt")
    rows = result.messages.select("source_key", "source_record", "text").rows()
    assert rows == [
        ("no_header_lf", 1, "你好，这是一个没有头部的LF文件。"),
        ("no_header_lf", 4, "第二条\n多行正文"),
        ("no_header_lf", 8, "第三条"),
    ]


def test_malformed_records_are_quarantined_with_their_lines() -> None:
    result = parse_txt(FIXTURES / "malformed.txt")
    assert result.messages["source_record"].to_list() == [3, 12]
    quarantine = result.quarantine.select("source_record_label", "reason", "raw_snippet").rows()
    assert [label for label, _, _ in quarantine] == ["line 1", "line 6", "line 9"]
    assert "expected a header line" in quarantine[0][1]
    assert quarantine[1][1].startswith("header time '2017-02-30 09:00:00' is not a valid")
    assert quarantine[2][2] == "2017-01-01 25:00:00 小明(10001)\n小时不存在"


@pytest.mark.parametrize("encoding", ["gb18030", "utf-16"])
def test_other_encodings_parse_to_the_same_rows(tmp_path: Path, export_all: ParseResult, encoding: str) -> None:
    text = (FIXTURES / "export_all.txt").read_bytes().decode("utf-8-sig")
    path = tmp_path / "export_all.txt"
    path.write_bytes(text.encode(encoding))  # Python's utf-16 writes the FF FE (LE) BOM
    result = parse_txt(path)
    assert result.encoding == {"gb18030": "gb18030", "utf-16": "utf-16-le"}[encoding]
    assert result.messages.equals(export_all.messages)


def test_sniff_txt() -> None:
    assert qq_txt.sniff((FIXTURES / "export_all.txt").read_text(encoding="utf-8-sig"))
    assert qq_txt.sniff((FIXTURES / "no_header_lf.txt").read_text(encoding="utf-8"))
    assert not qq_txt.sniff("2024-01-01 10:00:00 张三\n你好\n")  # WeChat TXT: no account
    assert not qq_txt.sniff((FIXTURES / "qce_group.json").read_text(encoding="utf-8"))


def test_qce_messages(qce: ParseResult) -> None:
    assert qce.messages.schema == pl.Schema(MESSAGE_SCHEMA)
    assert qce.timezone_assumed is None
    rows = qce.messages.select(
        "source_key", "message_id", "sender_handle", "kind", "text", "reply_to_message_id", "mentions", "raw_type"
    ).rows()
    assert rows == [
        ("夏令营群", "m_1", "11111", "text", "大家好", None, [], "type_1"),
        ("夏令营群", "2002", "u_bob", "text", "@Alice 收到", None, ["11111"], "type_1"),
        ("夏令营群", "2003", "u_bob", "text", "你好呀", "m_1", [], "type_3"),
        ("夏令营群", "2004", "33333", "sticker", "[[微笑]]", None, [], "type_1"),
        ("夏令营群", "2005", "33333", "other", "说错了", None, [], "recalled"),
        ("夏令营群", "2011", "11111", "text", "[图片: a.png] 看这个", None, [], "type_1"),
    ]
    assert qce.messages["sent_at"][0] == datetime(2024, 1, 1, 0, 1, 40, tzinfo=UTC)


def test_qce_system_messages_are_events(qce: ParseResult) -> None:
    events = qce.events.select("event_id", "event_type", "subject_name", "source_record_label").rows()
    assert events == [("2006", "join", "新人乙", "messages[5]"), ("2007", "other", None, "messages[6]")]


def test_qce_broken_records_are_quarantined(qce: ParseResult) -> None:
    assert qce.quarantine.select("source_record_label", "reason").rows() == [
        ("messages[7]", "message is a JSON string; expected a QCE message object"),
        ("messages[8]", "missing timestamp"),
        ("messages[9]", "timestamp is not epoch milliseconds (got '2024-01-01'; expected digits such as 1704067300000)"),
        ("messages[10]", "missing sender.uin and sender.uid"),
    ]


def test_qce_unreadable_documents(tmp_path: Path) -> None:
    for content in ("{not json", '{"chatInfo": {}}'):
        path = tmp_path / "bad.json"
        path.write_text(content, encoding="utf-8")
        with pytest.raises(ExportReadError):
            qq_qce.parse(path, rel_path="bad.json")


def test_sniff_qce() -> None:
    assert qq_qce.sniff((FIXTURES / "qce_group.json").read_text(encoding="utf-8"))
    assert not qq_qce.sniff('{"name": "x", "type": "personal_chat", "messages": []}')
    assert not qq_qce.sniff((FIXTURES / "export_all.txt").read_text(encoding="utf-8-sig"))


#: Real QQ-manager TXT samples. The QCE TXT snapshot (TextExporter…snap.txt) is a different
#: layout (`name:` / `时间:` / `内容:` blocks) that this project does not parse; it is not listed.
REAL_TXT = [
    "qq_manager_txt_ffftian/QQ记录.txt",
    "qq_manager_txt_times125/test__excerpt_2017-01-01_to_2017-01-07.txt",
    "qq_manager_txt_times125/test__excerpt_2017-01-10.txt",
]
REAL_QCE = ["qce_qqchatexporter_v5_snapshots/JsonExporter.groupMixedMedia.snap.json"]
_REAL_HEADER = re.compile(r"^\d{4}-\d{2}-\d{2} \d{1,2}:\d{2}:\d{2} .*\((\d+|[^()]+@[^()]+)\)$", re.MULTILINE)


def _real(name: str) -> Path:
    if not REAL_EXPORTS.is_dir():
        pytest.skip(f"../shared not found: {REAL_EXPORTS} is absent")
    return REAL_EXPORTS / name


@pytest.mark.shared
@pytest.mark.parametrize("name", REAL_TXT)
def test_real_txt_exports(name: str) -> None:
    path = _real(name)
    result = qq_txt.parse(path, rel_path=name)
    assert result.quarantine.is_empty()  # none of the real samples has a broken record
    text = path.read_bytes().decode("utf-8-sig").replace("\r\n", "\n")
    headers = _REAL_HEADER.findall(text)
    system = sum(1 for account in headers if account == "10000")
    assert result.messages.height == len(headers) - system
    assert result.events.height == system
    assert result.messages["sent_at"].null_count() == 0


@pytest.mark.shared
@pytest.mark.parametrize("name", REAL_QCE)
def test_real_qce_exports(name: str) -> None:
    path = _real(name)
    result = qq_qce.parse(path, rel_path=name)
    assert result.quarantine.is_empty()
    assert result.messages.height == len(json.loads(path.read_text(encoding="utf-8"))["messages"])
    assert result.messages.filter(pl.col("message_id") == "1006")["reply_to_message_id"].to_list() == ["m_1"]


@pytest.mark.shared
def test_qce_txt_snapshot_is_not_a_supported_layout() -> None:
    """QCE's TXT output is deliberately unsupported (only its JSON is): it must not sniff as QQ TXT."""
    path = _real("qce_qqchatexporter_v5_snapshots/TextExporter.groupMixedMedia.snap.txt")
    assert not qq_txt.sniff(path.read_text(encoding="utf-8"))
    assert not qq_qce.sniff(path.read_text(encoding="utf-8"))
