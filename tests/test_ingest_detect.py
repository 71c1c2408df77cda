"""Format sniffing, the parser registry, `parse_file`, and the encoding layer under them."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest

from assets.ingest import detect
from assets.ingest.encoding import read_head, read_text
from assets.ingest.errors import ExportReadError

FIXTURES = Path(__file__).parent / "fixtures"
REAL_TELEGRAM = Path(__file__).resolve().parents[2] / "shared" / "real_exports" / "telegram"


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return path


@pytest.mark.parametrize("path", sorted((FIXTURES / "wecom").glob("*.jsonl")), ids=lambda p: p.name)
def test_wecom_fixtures_are_detected(path: Path) -> None:
    assert detect.detect_format(path) == "wecom"


@pytest.mark.parametrize("path", sorted((FIXTURES / "telegram").glob("*.json")), ids=lambda p: p.name)
def test_telegram_fixtures_are_detected(path: Path) -> None:
    assert detect.detect_format(path) == "telegram"


@pytest.mark.shared
def test_real_telegram_exports_are_detected() -> None:
    if not REAL_TELEGRAM.is_dir():
        pytest.skip(f"{REAL_TELEGRAM} is absent: the shared real-export samples are not checked out")
    paths = sorted(REAL_TELEGRAM.rglob("*.json"))
    assert paths
    assert {path.name: detect.detect_format(path) for path in paths} == {
        path.name: "telegram" for path in paths
    }


def test_wecom_is_detected_past_broken_first_lines(tmp_path: Path) -> None:
    good = json.dumps({"msgid": "a", "action": "switch", "time": 1777597200000, "user": "u"})
    path = write(tmp_path, "export.txt", "garbage\n{\"cut\": \n\n" + good + "\n")
    assert detect.detect_format(path) == "wecom"


def test_telegram_account_export_is_detected_before_its_chats(tmp_path: Path) -> None:
    """A long contact list can push `chats` beyond the sniffed head; the account keys suffice."""
    contacts = [{"first_name": f"c{i}", "date": "2026-01-01T00:00:00"} for i in range(2000)]
    document = {
        "about": "x",
        "personal_information": {"user_id": 1},
        "contacts": {"list": contacts},
        "chats": {"list": []},
    }
    path = write(tmp_path, "result.json", json.dumps(document))
    assert detect.detect_format(path) == "telegram"


@pytest.mark.parametrize(
    "content",
    [
        "",
        "date,sender,text\n2026-05-01,a,hi\n",
        # DiscordChatExporter JSON also has a `messages` array
        json.dumps({"guild": {}, "channel": {}, "messages": [{"id": "3", "timestamp": "x"}]}),
        json.dumps([{"msgid": "no msgtime or action"}]),
    ],
    ids=["empty", "csv", "discord", "json-array"],
)
def test_other_content_is_not_claimed(tmp_path: Path, content: str) -> None:
    assert detect.detect_format(write(tmp_path, "export.json", content)) is None


def test_parsers_registry() -> None:
    assert set(detect.PARSERS) == {"wecom", "telegram", "wechat", "qq", "qq_qce", "qq_qce_txt", "whatsapp", "slack", "discord"}


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        ("wecom/archive.jsonl", "wecom"),
        ("wecom/archive_gb18030.jsonl", "wecom"),
        ("telegram/group.json", "telegram"),
        ("telegram/account.json", "telegram"),
        ("wechat/20001234567@chatroom_0_5000.csv", "wechat"),
        ("wechat/pywxdump_v2_chat.csv", "wechat"),
        ("wechat/客户群A_utf8.csv", "wechat"),
        ("wechat/客户群B.csv", "wechat"),
        ("wechat/memotrace_v3_gbk.csv", "wechat"),
        ("qq/export_all.txt", "qq"),
        ("qq/no_header_lf.txt", "qq"),
        ("qq/qce_group.json", "qq_qce"),
        ("qq_qce_txt/group.txt", "qq_qce_txt"),
        ("whatsapp/WhatsApp Chat with Staff Group.txt", "whatsapp"),
        ("whatsapp/us_12h.txt", "whatsapp"),
        ("whatsapp/klo.txt", "whatsapp"),
        ("whatsapp/utf16_crlf.txt", "whatsapp"),
        ("slack/export/channels.json", "slack"),
        ("discord/group.json", "discord"),
        ("whatsapp/not_whatsapp.txt", None),
    ],
)
def test_every_format_is_detected_from_its_content(fixture: str, expected: str | None) -> None:
    assert detect.detect_format(FIXTURES / fixture) == expected


def test_parse_file_detects_and_conforms() -> None:
    result = detect.parse_file(FIXTURES / "wecom" / "archive.jsonl", rel_path="exports/wecom/a.jsonl")
    assert (result.format, result.messages.height) == ("wecom", 13)
    assert result.messages["source_file"].unique().to_list() == ["exports/wecom/a.jsonl"]


def test_parse_file_honours_the_format_override(tmp_path: Path) -> None:
    # Undetectable (no msgtime/action in the head) but parseable as WeCom when the user says so.
    path = write(tmp_path, "odd.log", json.dumps({"msgid": "x"}) + "\n")
    assert detect.detect_format(path) is None
    result = detect.parse_file(path, rel_path="odd.log", format="wecom")
    assert result.quarantine["reason"].to_list() == ["missing msgtime; missing from (the sender userid)"]


def test_parse_file_rejects_unknown_content(tmp_path: Path) -> None:
    path = write(tmp_path, "notes.txt", "hello\n")
    with pytest.raises(ExportReadError) as caught:
        detect.parse_file(path, rel_path="exports/notes.txt")
    assert str(caught.value) == (
        "exports/notes.txt: cannot tell the export format of this file; expected one of the supported "
        "exports (discord, qq, qq_qce, qq_qce_txt, slack, telegram, wechat, wecom, whatsapp) — pass --format"
    )


def test_parse_file_rejects_an_unknown_format_name(tmp_path: Path) -> None:
    with pytest.raises(ExportReadError, match="unknown format 'icq'; expected one of discord, qq, qq_qce"):
        detect.parse_file(write(tmp_path, "x.txt", "hi"), rel_path="x.txt", format="icq")


TEXT = '{"msgid":"1","text":{"content":"你好，客服"}}\n'


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (TEXT.encode("utf-8"), "utf-8"),
        (TEXT.encode("utf-8-sig"), "utf-8-sig"),
        (b"\xff\xfe" + TEXT.encode("utf-16-le"), "utf-16-le"),
        (b"\xfe\xff" + TEXT.encode("utf-16-be"), "utf-16-be"),
        (TEXT.encode("gb18030"), "gb18030"),
    ],
)
def test_read_text_decodes_and_strips_the_bom(tmp_path: Path, data: bytes, encoding: str) -> None:
    assert read_text(write(tmp_path, "f.jsonl", data)) == (TEXT, encoding)


def test_read_text_rejects_undecodable_bytes(tmp_path: Path) -> None:
    path = write(tmp_path, "f.jsonl", b'{"a": "\x80\xff"}\n')
    with pytest.raises(ExportReadError) as caught:
        read_text(path)
    assert caught.value.path == str(path)
    assert "not UTF-8 (invalid byte 0x80 at byte offset 7) and byte offset 7 is not valid GB18030" in caught.value.reason


def test_read_text_rejects_a_lying_bom(tmp_path: Path) -> None:
    path = write(tmp_path, "f.jsonl", b"\xef\xbb\xbf\xff")
    with pytest.raises(ExportReadError, match=r"line 1 \(byte offset 3\): invalid UTF-8 byte 0xff in a file whose earlier text or byte-order mark said UTF-8"):
        read_text(path)


def test_read_text_names_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ExportReadError, match="cannot read the file"):
        read_text(tmp_path / "missing.jsonl")


def test_read_head_tolerates_a_cut_character(tmp_path: Path) -> None:
    path = write(tmp_path, "f.jsonl", "客服".encode("utf-8"))
    assert read_head(path, size=4) == "客\ufffd"


def test_export_read_error_message_and_pickling() -> None:
    error = ExportReadError(Path("exports/a.json"), "line 3: expected X")
    assert str(error) == "exports/a.json: line 3: expected X"
    assert (error.path, error.reason) == ("exports/a.json", "line 3: expected X")
    copy = pickle.loads(pickle.dumps(error))
    assert (str(copy), copy.path, copy.reason) == (str(error), error.path, error.reason)
