"""WeChat CSV parser on hand-written fixtures (tests/fixtures/wechat/) and the real samples.

Fixtures: a PyWxDump v3 group chat split over two pages (`<chat>_<i>_<j>.csv`), an early PyWxDump
v2 file with JSON `content`, a MemoTrace v2 12-column file (BOM, CRLF, epoch CreateTime), a
MemoTrace v3 Chinese 8-column file, GB18030 files re-saved by a spreadsheet (`YYYY/M/D H:MM`
dates, CRLF) and a file of malformed records between good ones.
"""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from assets.ingest import wechat
from assets.ingest.errors import ExportReadError
from assets.ingest.schema import EVENT_SCHEMA, MESSAGE_SCHEMA, QUARANTINE_SCHEMA, ParseResult

FIXTURES = Path(__file__).parent / "fixtures" / "wechat"
REAL = Path(__file__).resolve().parents[2] / "shared" / "real_exports" / "wechat"
GROUP = "20001234567@chatroom"


def parse(name: str) -> ParseResult:
    return wechat.parse(FIXTURES / name, rel_path=f"exports/wechat/{name}")


def by_id(frame: pl.DataFrame, column: str, value: str) -> dict:
    rows = frame.filter(pl.col(column) == value).to_dicts()
    assert len(rows) == 1, f"expected exactly one row with {column} {value}"
    return rows[0]


@pytest.fixture(scope="module")
def group() -> ParseResult:
    return parse(f"{GROUP}_0_5000.csv")


def test_frames_have_the_staging_schema(group: ParseResult) -> None:
    assert group.messages.schema == pl.Schema(MESSAGE_SCHEMA)
    assert group.events.schema == pl.Schema(EVENT_SCHEMA)
    assert group.quarantine.schema == pl.Schema(QUARANTINE_SCHEMA)
    assert (group.format, group.encoding, group.timezone_assumed) == ("wechat", "utf-8", "Asia/Shanghai")


def test_pywxdump_v3_kinds_and_fields(group: ParseResult) -> None:
    kinds = dict(group.messages.select("raw_type", "kind").iter_rows())
    assert kinds == {
        "文本": "text", "引用回复": "text", "图片": "media", "动画表情": "sticker", "文件": "file",
        "卡片式链接": "link", "语音": "media", "recall_notice": "recall",
    }
    first = by_id(group.messages, "message_id", "6001000000000000002")
    assert first["sent_at"] == datetime(2024, 5, 6, 1, 1, tzinfo=UTC)  # 09:01 Shanghai
    assert (first["sender_handle"], first["source_key"], first["platform"]) == ("wxid_zhangsan", GROUP, "wechat")
    assert first["mentions"] == ["客服小美"]
    assert (first["source_record"], first["source_record_label"]) == (3, "record 3 (line 3)")
    own = by_id(group.messages, "message_id", "6001000000000000003")
    assert (own["sender_handle"], own["text"]) == ("wxid_owner01", "已发货\n单号 SF123\n请查收")
    quote = by_id(group.messages, "message_id", "6001000000000000004")
    assert (quote["text"], quote["source_record_label"]) == ("好的谢谢", "record 5 (line 7)")


def test_recall_notice_is_an_unlinked_recall_message(group: ParseResult) -> None:
    recall = by_id(group.messages, "message_id", "6001000000000000009")
    assert (recall["kind"], recall["raw_type"], recall["recalls_message_id"]) == ("recall", "recall_notice", None)
    assert recall["text"] == '"张三" 撤回了一条消息'


def test_system_notices_become_events(group: ParseResult) -> None:
    events = group.events.select("event_id", "event_type", "actor_handle", "subject_handle", "detail")
    assert events.rows() == [
        ("6001000000000000001:0", "join", "王群主", "张三", '"王群主"邀请"张三、李四"加入了群聊'),
        ("6001000000000000001:1", "join", "王群主", "李四", '"王群主"邀请"张三、李四"加入了群聊'),
        ("6001000000000000010", "remove", "wxid_owner01", "李四", '你将"李四"移出了群聊'),
        ("6001000000000000011", "rename", "王群主", None, "售后服务群"),
        ("6001000000000000012", "other", None, None, '"张三" 拍了拍我'),
    ]
    assert group.quarantine.is_empty()


def test_pages_of_one_chat_share_the_source_key() -> None:
    page = parse(f"{GROUP}_5000_10000.csv")
    assert page.messages["source_key"].to_list() == [GROUP]  # room_name empty: from the file name
    assert wechat.chat_name(Path("wxid_abc_0_5000.csv")) == "wxid_abc"
    assert wechat.chat_name(Path("客户群A_utf8.csv")) == "客户群A"


def test_pywxdump_v2_json_content() -> None:
    result = parse("pywxdump_v2_chat.csv")
    texts = dict(result.messages.select("message_id", "text").iter_rows())
    assert texts == {
        "7001000000000000001": "在吗", "7001000000000000002": "表情", "7001000000000000003": "两行\n消息",
    }
    assert by_id(result.messages, "message_id", "7001000000000000001")["sender_handle"] == "我"
    bad = result.quarantine.row(0, named=True)
    assert (bad["source_record"], bad["source_record_label"]) == (5, "record 5 (line 5)")
    assert "content is not the JSON object" in bad["reason"]
    assert bad["raw_snippet"].startswith("4,7001000000000000004,")


def test_memotrace_v2_epoch_codes_and_fingerprints() -> None:
    result = parse("客户群A_utf8.csv")
    assert result.encoding == "utf-8-sig"
    messages = result.messages
    assert set(messages["source_key"]) == {"客户群A"} and set(messages["source_name"]) == {"客户群A"}
    first = messages.row(0, named=True)
    assert first["sent_at"] == datetime.fromtimestamp(1714957260, UTC)
    assert (first["sender_handle"], first["sender_name"], first["mentions"]) == ("wxid_zhangsan", "张三", ["客服小美"])
    assert messages.row(1, named=True)["text"] == "稍等\n我查一下"  # CRLF inside a field becomes LF
    kinds = dict(messages.select("raw_type", "kind").iter_rows())
    assert kinds == {
        "1/0": "text", "3/0": "media", "47/0": "sticker", "49/57": "text", "49/5": "link",
        "49/6": "file", "recall_notice": "recall",
    }
    # two identical 收到 in the same second keep distinct fingerprints
    twins = messages.filter(pl.col("text") == "收到")["message_id"]
    assert twins.n_unique() == 2 and all(len(i) == 32 for i in twins)
    # epoch missing: StrTime (local) is used; both missing: quarantined
    assert by_id(messages, "text", "没有时间戳")["sent_at"] == datetime(2024, 5, 6, 1, 11, tzinfo=UTC)
    assert result.quarantine["source_record_label"].to_list() == ["record 14 (line 15)"]
    join = result.events.row(0, named=True)
    assert (join["event_type"], join["actor_handle"], join["subject_handle"]) == ("join", "客服小美", "王五")


def test_fingerprints_are_stable() -> None:
    first, second = parse("客户群A_utf8.csv"), parse("客户群A_utf8.csv")
    assert first.messages["message_id"].to_list() == second.messages["message_id"].to_list()


def test_memotrace_v3_chinese_header() -> None:
    result = parse("客户群B.csv")
    kinds = dict(result.messages.select("raw_type", "kind").iter_rows())
    assert kinds == {
        "文本": "text", "表情包": "sticker", "引用消息": "text", "分享链接": "link", "语音": "media",
        "recall_notice": "recall", "红包": "other",
    }
    quote = by_id(result.messages, "message_id", "8001000000000000004")
    assert (quote["text"], quote["sender_handle"]) == ("谢谢", "李四")  # display name: no wxid in v3
    join = result.events.row(0, named=True)
    assert (join["event_type"], join["subject_handle"], join["actor_handle"]) == ("join", "张三", "客服小美")


def test_gbk_file_resaved_by_a_spreadsheet() -> None:
    result = parse("excel_resaved_gbk.csv")
    assert result.encoding == "gb18030"
    assert result.messages["sent_at"].to_list() == [
        datetime(2024, 10, 4, 1, 5, tzinfo=UTC),
        datetime(2024, 10, 4, 3, 42, tzinfo=UTC),
        datetime(2024, 10, 4, 3, 43, 7, tzinfo=UTC),
    ]
    assert result.messages["text"].to_list()[:2] == ["早上好", "早，今天\n有活动"]
    assert result.messages["source_record_label"].to_list()[2] == "record 4 (line 5)"
    assert parse("memotrace_v3_gbk.csv").messages["text"].to_list() == ["@客服小美 在吗"]


def test_malformed_records_are_quarantined_and_nothing_else_is_lost() -> None:
    result = parse("malformed.csv")
    assert result.messages["message_id"].to_list() == [
        "5001000000000000001", "5001000000000000004", "5001000000000000007",
    ]
    assert result.messages["source_record_label"].to_list() == [
        "record 2 (line 2)", "record 6 (line 8)", "record 9 (line 11)",
    ]
    quarantine = result.quarantine.select("source_record", "source_record_label", "reason").rows()
    assert [row[:2] for row in quarantine] == [
        (3, "record 3 (line 5)"), (5, "record 5 (line 7)"), (7, "record 7 (line 9)"), (8, "record 8 (line 10)"),
    ]
    assert quarantine[0][2] == "record has 7 fields; expected 9 (PyWxDump v3 header)"
    assert quarantine[1][2] == "record has 10 fields; expected 9 (PyWxDump v3 header)"
    assert quarantine[2][2].startswith("CreateTime '昨天 下午' is not a time; expected")
    assert set(result.quarantine["source_file"]) == {"exports/wechat/malformed.csv"}


def test_unreadable_files_raise() -> None:
    with pytest.raises(ExportReadError, match="unknown header 'a,b,c'"):
        parse("unknown_header.csv")


def test_sniff() -> None:
    for path in FIXTURES.glob("*.csv"):
        head = path.read_bytes()[:16384].decode("utf-8", errors="replace").removeprefix("\ufeff")
        assert wechat.sniff(head) == (path.name != "unknown_header.csv"), path.name
    assert not wechat.sniff('{"msgid": "x", "msgtime": 1}\n')


@pytest.mark.shared
def test_every_real_export_parses() -> None:
    if not REAL.exists():
        pytest.skip(f"../shared not found: {REAL}")
    files = sorted(REAL.rglob("*.csv"))
    assert files
    for path in files:
        result = wechat.parse(path, rel_path=path.name)
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        notices = sum(row["type_name"] == "系统通知" and "撤回" not in (row.get("msg") or row.get("content")) for row in rows)
        assert result.quarantine.is_empty(), result.quarantine["reason"].to_list()
        assert result.messages.height == len(rows) - notices, path.name
        assert result.events.height == notices, path.name
        assert result.messages["message_id"].n_unique() == result.messages.height
