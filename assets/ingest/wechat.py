"""WeChat chat exports written by third-party tools (FORMATS.md §1): the CSV layouts.

WeChat has no official export; tools that decrypt the local database write CSV files. The header
row says which tool wrote the file:

- PyWxDump v3 `id,MsgSvrID,type_name,is_sender,talker,room_name,msg,src,CreateTime` and its early
  v2 layout whose `content` column is a JSON string `{"src": …, "msg": …}` (§1.4). `CreateTime` is
  a local wall-clock string; files re-saved by Excel/WPS carry `YYYY/M/D H:MM` (seconds dropped).
- MemoTrace/WeChatMsg v2 `localId,TalkerId,Type,SubType,IsSender,CreateTime,…,Sender` (§1.2):
  `CreateTime` is epoch seconds and wins over the local `StrTime`; it has no server message id, so
  `message_id` is a fingerprint (`localId` repeats across MSG0/MSG1 databases).
- MemoTrace v3 `消息ID,类型,发送人,时间,内容,备注,昵称,更多信息` (§1.3): no wxid and no
  is_sender column, so the sender handle is the display name 发送人, which changes when a member
  renames themself. Nothing better exists in this layout.

How a file is read: the decoded text is split into CSV records with Polars (a record continues
while an odd number of `"` has been seen, which is RFC 4180's quoting rule), so every record keeps
its raw text (CRLF normalised to LF, also inside fields), its first physical line and its field
count; Polars `read_csv` then unescapes the fields of the same records, all as strings. Records with the wrong field count or an unreadable
time are quarantined as `record N (line L)`, where N counts CSV records from the header (= the
spreadsheet row an analyst sees) and L is the physical line the record starts on. Blank lines are
skipped.

Type 10000 system notices are split by their text: joins, removals and renames become events;
recall notices (`撤回了一条消息`) stay messages of kind `recall` with `raw_type` `recall_notice`
and no `recalls_message_id`, because the CSV does not say which message was withdrawn; everything
else is an `other` event.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import polars as pl

from assets.ingest.common import content_fingerprints
from assets.ingest.encoding import read_text
from assets.ingest.errors import ExportReadError
from assets.ingest.schema import SNIPPET_CHARS, ParseResult
from assets.ingest.wecom import MENTION_PATTERN

PLATFORM = "wechat"

#: PyWxDump / MemoTrace v3 Chinese type names → coarse category (see `_kind_and_event`).
_NAME_CATEGORY = {
    "文本": "text",
    "引用回复": "quote",
    "引用消息": "quote",
    "图片": "media",
    "视频": "media",
    "语音": "media",
    "动画表情": "sticker",
    "表情包": "sticker",
    "文件": "file",
    "分享链接": "link",
    "卡片式链接": "link",
    "小程序": "link",
    "系统通知": "system",
    "系统消息": "system",
    "邀请加群": "system",
    "拍一拍": "system",
}

#: Type-10000 subtypes that are recall notices (FORMATS.md §1.1).
_RECALL_SUBTYPES = ("1", "5", "6", "33", "36", "57")

#: Local time strings: native `YYYY-MM-DD HH:MM:SS` and the spreadsheet-resaved `YYYY/M/D H:MM`.
_LOCAL_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M")

#: How a quote renders its quoted part after the reply text (PyWxDump, MemoTrace v3).
_QUOTE_TAIL = r"(?s)(?:\n\n\[引用\]\(|\n引用[：:]).*$"

#: Markup around system-notice text (`<revokemsg>`, WeChatMsg's CDATA and 重新编辑 link).
_NOTICE_MARKUP = r"<!\[CDATA\[|\]\]>|<a [^>]*>[^<]*</a>|<[^>]+>"

#: A quoted name in a notice: ASCII or curly quotes, or `你` (the account owner).
_NAME = r'(?:"([^"]+)"|“([^”]+)”|(你))'
_JOIN_INVITE = _NAME + r'邀请"(.+)"加入了群聊'
_JOIN_QR = r'"([^"]+)"通过扫描' + _NAME + r"分享的二维码加入群聊"
_REMOVE = _NAME + r'将"(.+)"移出了群聊'
_RENAME = _NAME + r"修改群名为[“\"](.+)[”\"]"

#: PyWxDump pages one chat over several files `<wxid>_<i>_<j>.csv`.
_PAGE_SUFFIX = re.compile(r"_\d+_\d+$")


@dataclass(frozen=True)
class _Layout:
    """One exporter's CSV header and how its columns map to the canonical ones."""

    name: str
    header: tuple[str, ...]
    normalise: Callable[[], list[pl.Expr]]


def _pywxdump_columns(body: pl.Expr, content_problem: pl.Expr) -> list[pl.Expr]:
    return [
        pl.col("MsgSvrID").str.strip_chars().replace("", None).alias("message_id"),
        pl.lit(None, pl.String).alias("epoch_text"),
        pl.col("CreateTime").alias("local_text"),
        pl.lit("CreateTime").alias("time_column"),
        pl.col("type_name").alias("type_label"),
        _category_from_name(pl.col("type_name")),
        (pl.col("is_sender").str.strip_chars() == "1").alias("is_self"),
        pl.col("talker").alias("sender_handle"),
        pl.lit(None, pl.String).alias("sender_name"),
        pl.col("room_name").alias("room"),
        body.alias("body"),
        content_problem.alias("content_problem"),
    ]


def _pywxdump_v3() -> list[pl.Expr]:
    return _pywxdump_columns(pl.col("msg"), pl.lit(None, pl.String))


def _pywxdump_v2() -> list[pl.Expr]:
    """`content` is a JSON string; a value that is not such an object is quarantined."""
    msg = pl.col("content").str.json_path_match("$.msg")
    problem = pl.when(msg.is_null()).then(
        pl.lit("content is not the JSON object {\"src\": …, \"msg\": …}")
    )
    return _pywxdump_columns(msg, problem)


def _memotrace_v2() -> list[pl.Expr]:
    type_code = pl.col("Type").str.strip_chars()
    sub_type = pl.col("SubType").str.strip_chars()
    return [
        pl.lit(None, pl.String).alias("message_id"),
        pl.col("CreateTime").alias("epoch_text"),
        pl.col("StrTime").alias("local_text"),
        pl.lit("CreateTime").alias("time_column"),
        pl.concat_str(type_code, sub_type, separator="/").alias("type_label"),
        _category_from_code(type_code, sub_type),
        (pl.col("IsSender").str.strip_chars() == "1").alias("is_self"),
        pl.col("Sender").replace("", None).alias("sender_handle"),
        pl.coalesce(pl.col("Remark").replace("", None), pl.col("NickName").replace("", None))
        .alias("sender_name"),
        pl.lit(None, pl.String).alias("room"),
        pl.col("StrContent").alias("body"),
        pl.lit(None, pl.String).alias("content_problem"),
    ]


def _memotrace_v3() -> list[pl.Expr]:
    return [
        pl.col("消息ID").str.strip_chars().replace("", None).alias("message_id"),
        pl.lit(None, pl.String).alias("epoch_text"),
        pl.col("时间").alias("local_text"),
        pl.lit("时间").alias("time_column"),
        pl.col("类型").alias("type_label"),
        _category_from_name(pl.col("类型")),
        pl.lit(False).alias("is_self"),
        pl.col("发送人").replace("", None).alias("sender_handle"),
        pl.col("发送人").replace("", None).alias("sender_name"),
        pl.lit(None, pl.String).alias("room"),
        pl.col("内容").alias("body"),
        pl.lit(None, pl.String).alias("content_problem"),
    ]


LAYOUTS = (
    _Layout("PyWxDump v3", ("id", "MsgSvrID", "type_name", "is_sender", "talker", "room_name", "msg",
                            "src", "CreateTime"), _pywxdump_v3),
    _Layout("PyWxDump v2", ("id", "MsgSvrID", "type_name", "is_sender", "talker", "room_name",
                            "content", "CreateTime"), _pywxdump_v2),
    _Layout("MemoTrace v2", ("localId", "TalkerId", "Type", "SubType", "IsSender", "CreateTime",
                             "Status", "StrContent", "StrTime", "Remark", "NickName", "Sender"),
            _memotrace_v2),
    _Layout("MemoTrace v3", ("消息ID", "类型", "发送人", "时间", "内容", "备注", "昵称", "更多信息"),
            _memotrace_v3),
)

#: A GB18030 file's Chinese header is mojibake in `read_head` (it decodes as UTF-8), but MemoTrace
#: v3 rows end with the literal `more` column, which survives any decoding.
_V3_ROW_END = re.compile(r",more\r?$", re.MULTILINE)


def sniff(head: str) -> bool:
    """Whether the first line is one of the WeChat exporters' CSV headers.

    An 8-field first line followed by rows ending in `,more` also counts: that is a MemoTrace v3
    file re-saved as GBK, whose header `read_head` cannot decode.
    """
    first = head.removeprefix("\ufeff").split("\n", 1)[0].strip()
    fields = tuple(field.strip() for field in first.split(","))
    if any(fields == layout.header for layout in LAYOUTS):
        return True
    return len(fields) == 8 and bool(_V3_ROW_END.search(head))


def parse(path: Path, *, rel_path: str, source_tz: str = "Asia/Shanghai") -> ParseResult:
    """Parse one WeChat CSV export into messages, events and quarantined records."""
    text, encoding = read_text(path)
    records = _split_records(text)
    if records.is_empty():
        raise ExportReadError(rel_path, "the file is empty; expected a WeChat CSV export with a header row")
    fields = _read_fields(rel_path, records)
    layout = _layout(rel_path, fields.row(0))
    rows = _rows(records, fields, layout)
    checked = _check(rows, layout, source_tz).with_columns(
        pl.coalesce(pl.col("room").str.strip_chars().replace("", None), pl.lit(chat_name(path)))
        .alias("source_key"),
        pl.lit(_source_name(path, layout)).alias("source_name"),
        pl.lit(PLATFORM).alias("platform"),
        pl.lit(rel_path).alias("source_file"),
    )
    good = _fingerprint(checked.filter(pl.col("problem").is_null()))
    return ParseResult(
        format=PLATFORM,
        encoding=encoding,
        messages=_messages(good.filter(~pl.col("is_event"))),
        events=_events(good.filter(pl.col("is_event"))),
        quarantine=checked.filter(pl.col("problem").is_not_null()).rename({"problem": "reason"}),
        timezone_assumed=source_tz if checked["used_local_time"].any() else None,
    ).conformed()


def chat_name(path: Path) -> str:
    """The chat part of the file name: pages `<wxid>_<i>_<j>` and MemoTrace's `_utf8` dropped."""
    return _PAGE_SUFFIX.sub("", path.stem.removesuffix("_utf8"))


def _source_name(path: Path, layout: _Layout) -> str | None:
    """MemoTrace names its files after the chat's remark; PyWxDump's name is a wxid, not a name."""
    return chat_name(path) if layout.name.startswith("MemoTrace") else None


def _split_records(text: str) -> pl.DataFrame:
    """Non-blank CSV records with their number (header = 1), first line, raw text and field count.

    A physical line starts a new record when the quotes before it are balanced; removing quoted
    sections (a doubled `""` is two adjacent ones) leaves only the separators between fields.
    """
    lines = pl.DataFrame({"raw": [text.removesuffix("\n")]}).select(
        pl.col("raw").str.split("\n").explode().str.strip_chars_end("\r")
    ).with_columns(
        line_no=pl.int_range(1, pl.len() + 1, dtype=pl.Int64),
        quotes=pl.col("raw").str.count_matches('"'),
    )
    starts = ((pl.col("quotes").cum_sum() - pl.col("quotes")) % 2) == 0
    records = (
        lines.with_columns(record_no=starts.cast(pl.Int64).cum_sum())
        .group_by("record_no", maintain_order=True)
        .agg(pl.col("line_no").first(), pl.col("raw").str.join("\n"))
        .filter(pl.col("raw").str.strip_chars() != "")
    )
    return records.with_columns(
        field_count=pl.col("raw").str.replace_all(r'"[^"]*"', "").str.count_matches(",") + 1,
        record_no=pl.col("record_no") - records["record_no"].first() + 1,
    )


def _read_fields(rel_path: str, records: pl.DataFrame) -> pl.DataFrame:
    """Unescape every record's fields with Polars, all as strings, one row per record."""
    width = max(len(layout.header) for layout in LAYOUTS)
    csv_text = "\n".join(records["raw"].to_list()) + "\n"
    try:
        return pl.read_csv(
            csv_text.encode(),
            has_header=False,
            schema={f"f{i}": pl.String for i in range(width)},
            truncate_ragged_lines=True,
            missing_columns="insert",
            empty_string_is_null=False,
        )
    except pl.exceptions.ComputeError as error:
        raise ExportReadError(
            rel_path,
            f"not readable as CSV ({str(error).splitlines()[-1].strip('`')}); expected a WeChat "
            "CSV export with every quote inside a field doubled",
        ) from None


def _layout(rel_path: str, header: tuple[str | None, ...]) -> _Layout:
    names = tuple(name.strip() for name in header if name)
    for layout in LAYOUTS:
        if names == layout.header:
            return layout
    expected = "; ".join(f"{layout.name}: {','.join(layout.header)}" for layout in LAYOUTS)
    raise ExportReadError(
        rel_path, f"unknown header {','.join(names)!r}; expected one of the WeChat CSV headers ({expected})"
    )


def _rows(records: pl.DataFrame, fields: pl.DataFrame, layout: _Layout) -> pl.DataFrame:
    """Data records beside their fields named after the layout's header, canonical columns added."""
    named = fields.select(
        pl.col(f"f{i}").alias(name) for i, name in enumerate(layout.header)
    )
    return pl.concat([records, named], how="horizontal").slice(1).with_columns(layout.normalise())


def _local_time(text: pl.Expr, source_tz: str) -> pl.Expr:
    """A wall-clock string in `source_tz` as UTC; `/` dates (spreadsheet re-saves) are accepted."""
    normalised = text.str.strip_chars().str.replace_all("/", "-")
    parsed = pl.coalesce(
        normalised.str.strptime(pl.Datetime("us"), fmt, strict=False) for fmt in _LOCAL_FORMATS
    )
    return parsed.dt.replace_time_zone(
        source_tz, ambiguous="earliest", non_existent="null"
    ).dt.convert_time_zone("UTC")


def _check(rows: pl.DataFrame, layout: _Layout, source_tz: str) -> pl.DataFrame:
    """Add `sent_at`, `problem` (NULL when fine) and the message/event classification."""
    epoch = pl.col("epoch_text").str.strip_chars()
    epoch_at = pl.when(epoch.str.contains(r"^\d{9,11}$")).then(
        pl.from_epoch(epoch.cast(pl.Int64, strict=False), time_unit="s").dt.replace_time_zone("UTC")
    )
    expected = len(layout.header)
    with_time = rows.with_columns(
        epoch_at=epoch_at, local_at=_local_time(pl.col("local_text"), source_tz)
    ).with_columns(
        sent_at=pl.coalesce("epoch_at", "local_at"),
        used_local_time=pl.col("epoch_at").is_null() & pl.col("local_at").is_not_null(),
    )
    problem = (
        pl.when(pl.col("field_count") != expected)
        .then(pl.format("record has {} fields; expected {} ({} header)", "field_count",
                        pl.lit(expected), pl.lit(layout.name)))
        .when(pl.col("sent_at").is_null())
        .then(_time_problem())
        .otherwise(pl.col("content_problem"))
    )
    return with_time.with_columns(
        problem=problem,
        source_record=pl.col("record_no"),
        source_record_label=pl.format("record {} (line {})", "record_no", "line_no"),
        raw_snippet=pl.col("raw").str.slice(0, SNIPPET_CHARS),
    ).with_columns(_classify())


def _time_problem() -> pl.Expr:
    got = pl.coalesce(pl.col("epoch_text"), pl.col("local_text"), pl.lit(""))
    return pl.format(
        "{} '{}' is not a time; expected epoch seconds, YYYY-MM-DD HH:MM:SS or YYYY/M/D H:MM",
        "time_column", got,
    )


def _category_from_name(name: pl.Expr) -> pl.Expr:
    trimmed = name.str.strip_chars()
    return (
        pl.when(trimmed.str.starts_with("消息撤回")).then(pl.lit("recall"))
        .otherwise(trimmed.replace_strict(_NAME_CATEGORY, default="other"))
        .alias("category")
    )


def _category_from_code(type_code: pl.Expr, sub_type: pl.Expr) -> pl.Expr:
    """(Type, SubType) → category per the FORMATS.md §1.1 table."""
    app = type_code == "49"
    return (
        pl.when(type_code == "1").then(pl.lit("text"))
        .when(type_code.is_in(["3", "34", "43"])).then(pl.lit("media"))
        .when((type_code == "47") | (app & (sub_type == "8"))).then(pl.lit("sticker"))
        .when(app & sub_type.is_in(["0", "6", "74"])).then(pl.lit("file"))
        .when(app & sub_type.is_in(["4", "5", "33", "36"])).then(pl.lit("link"))
        .when(app & (sub_type == "57")).then(pl.lit("quote"))
        .when(app & (sub_type == "1")).then(pl.lit("text"))
        .when((type_code == "10000") & sub_type.is_in(_RECALL_SUBTYPES)).then(pl.lit("recall"))
        .when(type_code.is_in(["10000", "10002"])).then(pl.lit("system"))
        .otherwise(pl.lit("other"))
        .alias("category")
    )


def _classify() -> list[pl.Expr]:
    """Kind, event type, notice text and the names a membership notice carries."""
    notice = pl.col("body").str.replace_all(_NOTICE_MARKUP, "").str.strip_chars()
    system = pl.col("category") == "system"
    recall_notice = (pl.col("category") == "recall") | (system & notice.str.contains("撤回了"))
    event_type = (
        pl.when(~system | recall_notice).then(pl.lit(None, pl.String))
        .when(notice.str.contains("加入了?群聊")).then(pl.lit("join"))
        .when(notice.str.contains("移出了?群聊")).then(pl.lit("remove"))
        .when(notice.str.contains("修改群名为")).then(pl.lit("rename"))
        .otherwise(pl.lit("other"))
    )
    kind = (
        pl.when(recall_notice).then(pl.lit("recall"))
        .when(pl.col("category") == "quote").then(pl.lit("text"))
        .when(pl.col("category").is_in(["text", "media", "sticker", "file", "link"]))
        .then(pl.col("category"))
        .otherwise(pl.lit("other"))
    )
    text = (
        pl.when(pl.col("category") == "quote").then(pl.col("body").str.replace(_QUOTE_TAIL, ""))
        .when(recall_notice).then(notice)
        .otherwise(pl.col("body"))
    )
    return [
        event_type.alias("event_type"),
        event_type.is_not_null().alias("is_event"),
        kind.alias("kind"),
        text.alias("text"),
        pl.when(recall_notice).then(pl.lit("recall_notice")).otherwise(pl.col("type_label"))
        .alias("raw_type"),
        notice.alias("notice"),
    ]


def _fingerprint(rows: pl.DataFrame) -> pl.DataFrame:
    """Fill missing `message_id`s (MemoTrace v2 has no server id) with a content fingerprint."""
    ids = content_fingerprints(
        rows, source_key="source_key", time="sent_at", sender="sender_handle", text="text", order="record_no"
    )
    return rows.with_columns(pl.coalesce("message_id", ids).alias("message_id"))


def _messages(rows: pl.DataFrame) -> pl.DataFrame:
    text_kind = pl.col("kind") == "text"
    return rows.with_columns(
        mentions=pl.when(text_kind)
        .then(pl.col("text").str.extract_all(MENTION_PATTERN).list.eval(
            pl.element().str.extract(MENTION_PATTERN, 1)
        ))
        .otherwise(pl.lit([], pl.List(pl.String))),
    )


def _events(rows: pl.DataFrame) -> pl.DataFrame:
    """Events with actor/subject names parsed from the notice; one join event per invitee."""
    notice = pl.col("notice")
    self_handle = pl.when(pl.col("is_self")).then(pl.col("sender_handle")).otherwise(pl.lit("你"))

    def name(pattern: str, first_group: int) -> pl.Expr:
        """The quoted name at `first_group`, or the owner when the notice says `你`."""
        return pl.coalesce(
            notice.str.extract(pattern, first_group),
            notice.str.extract(pattern, first_group + 1),
            pl.when(notice.str.extract(pattern, first_group + 2).is_not_null()).then(self_handle),
        )

    actor = pl.coalesce(name(_JOIN_INVITE, 1), name(_JOIN_QR, 2), name(_REMOVE, 1), name(_RENAME, 1))
    invitees = notice.str.extract(_JOIN_INVITE, 4)
    single = pl.coalesce(notice.str.extract(_JOIN_QR, 1), notice.str.extract(_REMOVE, 4))
    subjects = (
        pl.when(invitees.is_not_null()).then(invitees.str.split("、"))
        .otherwise(pl.concat_list(single))
    )
    return (
        rows.with_columns(actor_handle=actor, subjects=subjects, multi=invitees.is_not_null())
        .explode("subjects")
        .with_columns(
            # invite notices name a list of members: one event each, `<id>:<index>`
            event_id=pl.when(pl.col("multi"))
            .then(pl.format("{}:{}", "message_id", pl.int_range(pl.len()).over("record_no")))
            .otherwise(pl.col("message_id")),
            occurred_at=pl.col("sent_at"),
            subject_handle=pl.col("subjects"),
            subject_name=pl.col("subjects"),
            detail=pl.when(pl.col("event_type") == "rename")
            .then(notice.str.extract(_RENAME, 4))
            .otherwise(notice),
        )
    )
