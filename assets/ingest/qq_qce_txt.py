"""QQChatExporter (QCE) V5 TXT parser: the plain-text twin of the JSON export (`qq_qce.py`).

FORMATS.md §3.2 (last paragraph) documents the layout: banner lines, `聊天名称:` / `聊天类型:` /
`参与人数:` / `导出时间:` / `消息总数:` / `时间范围:`, then one block per message —
`[N]` (optional number), `Name:`, `时间: YYYY-MM-DD HH:mm:ss`, `类型: …` (optional), `内容: …`
(may span lines), then optional trailer lines `资源: N 个文件` + `  - image: x.png`, `提及: a, b`,
`回复: [MM-DD HH:MM ]name - quoted` — blocks separated by blank lines, then a `导出完成` footer.
The whole file goes through Polars (split, flags, forward fill, group_by); no per-line loop.

Decisions worth knowing
- A block starts at a `Name:` line directly above a `时间:` line, after a blank line (or at its
  `[N]` number line). A `时间:` line after a blank line with no name above it also starts a
  block, so a record that lost its sender is quarantined instead of swallowed by the one before.
  A message body that itself contains a blank line, a `Foo:` line and a `时间:` line would be
  split there; the layout has no way to tell.
- The layout carries no ids at all: the sender's display name is both handle and name, and
  message/event ids are content fingerprints computed as in `qq_txt.py`.
- `source_key`/`source_name` are the `聊天名称:` value (the JSON export uses the same name as
  its key, so both layouts of one chat land in one source), else the file stem.
- `时间:` is local wall-clock time of the exporting machine, read in `source_tz`. A value that is
  not a real date (e.g. `<TIMESTAMP>` from QCE's snapshot tests, or a `time-only` layout) is
  quarantined with the reason.
- Kinds, reply text and system messages follow `qq_qce.py`: a body made only of placeholders is
  `file`/`media`/`sticker` (resource lines and placeholder names say which), the
  `[回复 name: quoted]` line QCE prepends to replies is dropped from `text`, and the exporter's
  own `[系统消息]` body (or a sender called 系统消息/系统) makes an event, `join` when it says 加入.
  The TXT layout does not mark recalled messages, so they cannot be told apart.
- `reply_to_message_id` is resolved by matching the `回复:` line against the `[MM-DD HH:MM ]name
  - text` of the latest earlier message in the file; it stays NULL when nothing matches.
"""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl

from assets.ingest.encoding import read_text
from assets.ingest.qq_txt import with_fingerprints
from assets.ingest.errors import ExportReadError
from assets.ingest.qq_qce import PLACEHOLDER_PATTERN
from assets.ingest.schema import SNIPPET_CHARS, ParseResult

PLATFORM = "qq"

_TIME_LINE = r"^时间[:：]"
_SENDER_LINE = r"^(.*?)[:：]\s*$"
_NUMBER_LINE = r"^\[\d+\]\s*$"
_TYPE_LINE = r"^类型[:：]"
_CONTENT_LINE = r"^内容[:：] ?"
_RESOURCE_ITEM = r"^\s+- ([A-Za-z_]+): "
_TRAILER_LINE = r"^资源[:：] ?\d+ 个文件\s*$|^\s+- [A-Za-z_]+: |^提及[:：]|^回复[:：]"
_CHAT_NAME = r"^聊天名称[:：]\s*(.*?)\s*$"
_RULE = r"^={10,}\s*$"
#: Bodies QCE writes itself when a message has no text: `[image、file消息]`, `[表情消息]`, ….
_FILLER_PATTERN = r"^\[(?:[A-Za-z_、]+消息|表情消息|无文本内容)\]$"
SYSTEM_BODY = "[系统消息]"
SYSTEM_SENDERS = ("系统消息", "系统")

#: The QCE banner, or a `聊天名称:` header plus a `Name:` / `时间: <date time>` message block.
_SNIFF_BANNER = re.compile(r"^\[QQChatExporter V\d", re.MULTILINE)
_SNIFF_CHAT_NAME = re.compile(r"^聊天名称[:：]", re.MULTILINE)
_SNIFF_BLOCK = re.compile(
    r"^[^\n]*[:：][ \t]*\n时间[:：] ?\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}[ \t]*$", re.MULTILINE
)


def sniff(head: str) -> bool:
    """True when the head has QCE's `[QQChatExporter V5 …]` banner, or its `聊天名称:` header and
    a `Name:` line over a `时间: YYYY-MM-DD HH:mm:ss` line.

    Classic QQ manager TXT puts date, time and sender on one line and WhatsApp/WeChat text has no
    `时间:` label, so neither matches; QCE JSON has the banner text only inside a JSON string.
    """
    normalised = head.replace("\r\n", "\n")
    if _SNIFF_BANNER.search(normalised):
        return True
    return _SNIFF_CHAT_NAME.search(normalised) is not None and _SNIFF_BLOCK.search(normalised) is not None


def parse(path: Path, *, rel_path: str, source_tz: str = "Asia/Shanghai") -> ParseResult:
    """Parse one QCE TXT export into messages, system events and quarantined records.

    Raises ExportReadError when the file has neither a QCE header nor any message block.
    """
    text, encoding = read_text(path)
    lines = _split_lines(text)
    chat_name = lines["raw"].str.extract(_CHAT_NAME, 1).drop_nulls().first() or path.stem
    lines = _mark_blocks(lines)
    if chat_name == path.stem and not lines["is_start"].any():
        raise ExportReadError(
            rel_path, "no '聊天名称:' header and no 'Name:'/'时间:' blocks; expected a QQChatExporter V5 TXT export"
        )
    records = _read_records(_group_blocks(lines), source_tz).with_columns(
        pl.lit(PLATFORM).alias("platform"),
        pl.lit(chat_name).alias("source_key"),
        pl.lit(chat_name).alias("source_name"),
        pl.lit(rel_path).alias("source_file"),
    )
    good = with_fingerprints(records.filter(pl.col("problem").is_null()))
    good = _resolve_replies(good)
    return ParseResult(
        format=PLATFORM,
        encoding=encoding,
        messages=good.filter(~pl.col("is_system")),
        events=_events(good.filter(pl.col("is_system"))),
        quarantine=records.filter(pl.col("problem").is_not_null()).rename({"problem": "reason"}),
        timezone_assumed=source_tz if records.height else None,
    ).conformed()


def _split_lines(text: str) -> pl.DataFrame:
    """One row per physical line (CRLF, LF or bare CR), numbered from 1 as an editor shows it."""
    normalised = text.replace("\r\n", "\n").replace("\r", "\n")
    return pl.DataFrame({"raw": pl.Series([normalised]).str.split("\n")}).explode("raw").with_columns(
        pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("line_no")
    )


def _mark_blocks(lines: pl.DataFrame) -> pl.DataFrame:
    """Flag block starts and number the blocks; header lines get block 0, footer lines -1."""
    raw = pl.col("raw")
    blank = raw.str.strip_chars() == ""
    after_blank = blank.shift(1, fill_value=True)
    is_time = raw.str.contains(_TIME_LINE)
    is_sender = raw.str.contains(_SENDER_LINE) & ~blank & is_time.shift(-1, fill_value=False)
    numbered = raw.str.contains(_NUMBER_LINE) & is_sender.shift(-1, fill_value=False)
    starts = after_blank & (numbered | is_sender | is_time)
    footer = raw.str.contains(_RULE) & (raw.shift(-1).str.strip_chars() == "导出完成").fill_null(False)
    return lines.with_columns(
        starts.alias("is_start"), (footer.cast(pl.Int32).cum_sum() > 0).alias("is_footer")
    ).with_columns(
        pl.when(pl.col("is_footer"))
        .then(-1)
        .otherwise(pl.col("is_start").cast(pl.Int64).cum_sum())
        .alias("block")
    )


def _group_blocks(lines: pl.DataFrame) -> pl.DataFrame:
    """One row per block: sender/time lines, body, trailers and a raw snippet.

    Positions are relative to the block's `时间:` line; trailer lines count only as the block's
    last non-blank lines, so `提及:` typed inside a body stays body text.
    """
    raw = pl.col("raw")
    nonblank = raw.str.strip_chars() != ""
    blocks = lines.filter(pl.col("block") > 0).with_columns(
        pl.int_range(pl.len()).over("block").alias("pos"),
        (nonblank & ~raw.str.contains(_TRAILER_LINE)).alias("is_plain"),
    )
    time_pos = pl.col("pos").filter(raw.str.contains(_TIME_LINE)).first().over("block")
    content_pos = (
        pl.col("pos").filter(raw.str.contains(_CONTENT_LINE) & (pl.col("pos") > time_pos)).first().over("block")
    )
    blocks = blocks.with_columns(time_pos.alias("time_pos")).with_columns(
        content_pos.alias("content_pos"),
        (pl.col("is_plain").cast(pl.Int32).cum_sum(reverse=True).over("block") == 0).alias("in_trailer"),
    )
    is_body = (pl.col("pos") >= pl.col("content_pos")) & ~pl.col("in_trailer")
    trailer = pl.col("in_trailer") & (pl.col("pos") > pl.col("content_pos"))
    between = (pl.col("pos") > pl.col("time_pos")) & (pl.col("pos") < pl.col("content_pos"))
    return blocks.group_by("block", maintain_order=True).agg(
        pl.col("line_no").first().alias("source_record"),
        raw.filter(pl.col("pos") == pl.col("time_pos") - 1).first().alias("sender_line"),
        raw.filter(pl.col("pos") == pl.col("time_pos")).first().alias("time_line"),
        pl.col("content_pos").first().is_not_null().alias("has_content"),
        (between & ~raw.str.contains(_TYPE_LINE)).any().alias("stray_before_content"),
        raw.filter(is_body).str.join("\n").alias("body"),
        raw.filter(trailer).str.extract(_RESOURCE_ITEM, 1).drop_nulls().alias("resource_types"),
        raw.filter(trailer & raw.str.contains(r"^提及[:：]")).first().alias("mention_line"),
        raw.filter(trailer & raw.str.contains(r"^回复[:：]")).first().alias("reply_line"),
        raw.filter(nonblank).str.join("\n").str.slice(0, SNIPPET_CHARS).alias("raw_snippet"),
    )


def _read_records(blocks: pl.DataFrame, source_tz: str) -> pl.DataFrame:
    """Sender, UTC time, text, kind and mentions of every block; `problem` says why a block is
    quarantined (NULL when fine)."""
    time_text = pl.col("time_line").str.extract(r"^时间[:：]\s*(.*?)\s*$", 1)
    local = time_text.str.strptime(pl.Datetime("us"), "%Y-%m-%d %H:%M:%S", strict=False)
    body = pl.col("body").str.replace(_CONTENT_LINE, "").str.replace(r"\s+$", "")
    return blocks.with_columns(
        pl.col("sender_line").str.extract(_SENDER_LINE, 1).str.strip_chars().alias("sender_name"),
        time_text.alias("time_text"),
        local.alias("local_time"),
        local.dt.replace_time_zone(source_tz, ambiguous="earliest", non_existent="null")
        .dt.convert_time_zone("UTC")
        .alias("sent_at"),
        body.alias("body"),
    ).with_columns(
        pl.col("sender_name").alias("sender_handle"),
        pl.when(pl.col("reply_line").is_not_null())
        .then(pl.col("body").str.replace(r"^\[回复 [^\n]*\]\n", ""))
        .otherwise(pl.col("body"))
        .alias("text"),
        pl.col("mention_line").str.replace(r"^提及[:：]\s*", "").str.split(", ").fill_null([]).alias("mentions"),
        pl.col("reply_line").str.replace(r"^回复[:：]\s*", "").str.strip_chars().alias("reply_key"),
        pl.col("resource_types").list.join("、").replace("", None).alias("raw_type"),
        ((pl.col("body") == SYSTEM_BODY) | pl.col("sender_name").is_in(SYSTEM_SENDERS)).alias("is_system"),
        _kind(pl.col("body"), pl.col("resource_types")).alias("kind"),
        _problem(time_text, source_tz).alias("problem"),
        pl.format("line {}", pl.col("source_record")).alias("source_record_label"),
    )


def _problem(time_text: pl.Expr, source_tz: str) -> pl.Expr:
    """Why a block cannot be a message: a missing sender/time/content line or an unreadable time."""
    return pl.concat_str(
        pl.when(pl.col("sender_line").is_null()).then(pl.lit("missing the 'Name:' line above 时间:")),
        pl.when(pl.col("sent_at").is_null()).then(
            pl.format(
                "时间 '{}' is not a valid {} date-time; expected YYYY-MM-DD HH:mm:ss",
                time_text.fill_null(""),
                pl.lit(source_tz),
            )
        ),
        pl.when(~pl.col("has_content") | pl.col("stray_before_content")).then(
            pl.lit("expected a '内容:' line right after the 时间: line (or its 类型: line)")
        ),
        separator="; ",
        ignore_nulls=True,
    ).replace("", None)


def _kind(body: pl.Expr, resource_types: pl.Expr) -> pl.Expr:
    """`text` unless the body is only placeholders (as in `qq_qce.py`): a file, media or faces.

    Resource lines name the attachment type; the placeholder names stand in when the export was
    made without resource statistics.
    """
    only_placeholders = (
        body.str.replace_all(_FILLER_PATTERN, "").str.replace_all(PLACEHOLDER_PATTERN, "") == ""
    )
    has_file = resource_types.list.contains("file") | body.str.contains(r"\[文件|\[file")
    has_media = resource_types.list.set_intersection(["image", "video", "audio"]).list.len() > 0
    has_media = has_media | body.str.contains(r"\[(?:图片|视频|语音)|\[(?:image|video|audio)")
    return (
        pl.when(body.str.strip_chars().is_in(["", "[无文本内容]"]))
        .then(pl.lit("other"))
        .when(only_placeholders & has_file)
        .then(pl.lit("file"))
        .when(only_placeholders & has_media)
        .then(pl.lit("media"))
        .when(only_placeholders & body.str.contains(r"\[\[|\[表情|\[动画表情"))
        .then(pl.lit("sticker"))
        .when(only_placeholders)
        .then(pl.lit("other"))
        .otherwise(pl.lit("text"))
    )


def _resolve_replies(records: pl.DataFrame) -> pl.DataFrame:
    """Point each `回复:` line at the latest earlier message it quotes.

    QCE renders the quote as `name - text`, in newer versions prefixed by the quoted message's
    local `MM-DD HH:MM`; both spellings of every message are candidates.
    """
    plain = pl.format("{} - {}", "sender_name", "text")
    dated = pl.format("{} {} - {}", pl.col("local_time").dt.strftime("%m-%d %H:%M"), "sender_name", "text")
    candidates = pl.concat(
        [
            records.select(
                expr.alias("reply_key"),
                pl.col("message_id").alias("target_id"),
                pl.col("source_record").alias("target_record"),
            )
            for expr in (plain, dated)
        ]
    )
    matches = (
        records.filter(pl.col("reply_key").is_not_null())
        .select("source_record", "reply_key")
        .join(candidates, on="reply_key")
        .filter(pl.col("target_record") < pl.col("source_record"))
        .group_by("source_record")
        .agg(pl.col("target_id").sort_by("target_record").last().alias("reply_to_message_id"))
    )
    return records.join(matches, on="source_record", how="left")


def _events(records: pl.DataFrame) -> pl.DataFrame:
    """System messages; a join names the member in its text, which is all the export gives."""
    joined = pl.col("body").str.extract(r"^(.+?)加入", 1)
    return records.select(
        "platform",
        "source_key",
        "source_name",
        pl.col("message_id").alias("event_id"),
        pl.col("sent_at").alias("occurred_at"),
        pl.when(joined.is_not_null()).then(pl.lit("join")).otherwise(pl.lit("other")).alias("event_type"),
        pl.col("sender_handle").alias("actor_handle"),
        joined.alias("subject_handle"),
        joined.alias("subject_name"),
        pl.col("body").alias("detail"),
        "source_file",
        "source_record",
        "source_record_label",
    )
