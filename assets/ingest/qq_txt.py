"""Classic PC QQ message-manager (消息管理器) TXT export parser.

FORMATS.md §3.1 documents the layout: an optional `====` header block per chat (消息记录… banner,
消息分组:<folder>, 消息对象:<chat name>), then records of a header line
`YYYY-MM-DD H:MM:SS [AM|PM] nickname(account)`, the body lines and one blank line. The whole file
goes through Polars (split, regex extract, forward fill, group_by); there is no per-record loop.

Decisions worth knowing
- Record lines end in CRLF, while a body may contain bare LF or bare CR (client-dependent), so a
  file containing any CRLF is split on CRLF only and bare CR/LF become `\\n` inside the body. A
  file with no CRLF at all (hand-edited copies, e.g. the ffftian sample) is split on LF: records
  are still found by the header-after-blank-line rule below.
- A line is a record header only when it matches the header pattern AND follows a blank line, the
  start of the file or the header block; a header-looking line right under another body line is
  body text. Blank lines inside a body are kept; trailing blank lines (the separator) are not.
- `source_record` is the physical line an editor shows, so bare CR/LF inside bodies count as line
  breaks too (editors break on them) even though they do not end a record.
- `source_key`/`source_name` are the 消息对象 name of the record's section (an "export all" file
  has one section per chat), or the file stem when the file has no header block.
- The account in the LAST `(…)`/`<…>` at the end of the header line (a QQ number or an e-mail)
  is the handle; private-chat exports carry no account, then the nickname is the handle. Title
  prefixes such as `【管理员】` are dropped from the nickname (the same member appears with and
  without them).
- Sender `系统消息(10000)` / `(1000000)` lines are events: `XXX加入本群` is a join, anything else
  (recall notices `XXX撤回了一条消息`, file shares) is `other`; they are never messages.
- The format has no ids: message and event ids are content fingerprints (see `_fingerprints`).
"""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl

from assets.ingest.common import content_fingerprints
from assets.ingest.encoding import read_text
from assets.ingest.schema import SNIPPET_CHARS, ParseResult

PLATFORM = "qq"

#: Record header: date, time (hour not zero-padded), optional 12-hour marker, then the sender.
HEADER_PATTERN = r"^(\d{4})-(\d{1,2})-(\d{1,2}) (\d{1,2}):(\d{2}):(\d{2})(?: ([AP]M))? (.*)$"
#: The account is the last `(…)`/`<…>` at the end of the sender: a QQ number or an e-mail.
_ACCOUNT = r"[0-9]+|[^\s()<>@]+@[^\s()<>@]+"
SENDER_PATTERN = rf"^(.*?)\s*[(<]({_ACCOUNT})[)>]\s*$"
#: Group title/level prefix glued to the nickname (【管理员】, 【LV2 群友】, 【👑皇冠】…).
TITLE_PATTERN = r"^【[^】]*】"
#: QQ inserts a space after a mention and nicknames may contain any punctuation (`折翼翅膀、`,
#: `学长：0.01km`), so a mention runs to the next whitespace. The leading group keeps e-mail
#: addresses (`a@b.com`) from counting as mentions.
MENTION_PATTERN = r"(?:^|[^\w.])@([^@\s\p{Z}]+)"
#: Accounts the client uses for system notices.
SYSTEM_ACCOUNTS = ("10000", "1000000")

_BANNER = r"^消息记录[（(]"
_GROUP = r"^消息分组[:：]"
_OBJECT = r"^消息对象[:：]\s*(.*?)\s*$"
_RULE = r"^={10,}\s*$"

#: The head of a classic QQ export: its banner, or a record header carrying a QQ account.
_SNIFF = re.compile(
    rf"^(?:消息记录（此消息记录为文本格式|\d{{4}}-\d{{1,2}}-\d{{1,2}} \d{{1,2}}:\d{{2}}:\d{{2}}"
    rf"(?: [AP]M)? .*[(<](?:{_ACCOUNT})[)>]\s*$)",
    re.MULTILINE,
)


def sniff(head: str) -> bool:
    """True when the decoded head has the export banner or a `date time nickname(account)` line.

    The account in brackets is what sets this apart from WeChat TXT exports, whose header lines
    are `date time name` with no id.
    """
    return _SNIFF.search(head.replace("\r\n", "\n")) is not None


def parse(path: Path, *, rel_path: str, source_tz: str = "Asia/Shanghai") -> ParseResult:
    """Parse one QQ message-manager TXT export into messages, system events and quarantined lines.

    Header times are local wall-clock times without an offset; they are read in `source_tz`.
    """
    text, encoding = read_text(path)
    lines = _mark_sections(_split_lines(text), default_key=path.stem)
    grouped = _group_records(lines).with_columns(
        pl.lit(PLATFORM).alias("platform"), pl.lit(rel_path).alias("source_file")
    )
    orphans = grouped.filter(~pl.col("is_record"))
    records = _read_headers(grouped.filter(pl.col("is_record")), source_tz)
    good = with_fingerprints(records.filter(pl.col("problem").is_null()))
    result = ParseResult(
        format=PLATFORM,
        encoding=encoding,
        messages=_messages(good.filter(~pl.col("is_system"))),
        events=_events(good.filter(pl.col("is_system"))),
        quarantine=pl.concat([_orphan_quarantine(orphans), _header_quarantine(records)]).sort(
            "source_record"
        ),
        timezone_assumed=source_tz if records.height else None,
    )
    return result.conformed()


def _split_lines(text: str) -> pl.DataFrame:
    """Record lines with the physical line number they start on and bodies' breaks as `\\n`.

    CRLF ends a line when the file has any; otherwise LF does (see the module docstring).
    """
    separator = "\r\n" if "\r\n" in text else "\n"
    return (
        pl.DataFrame({"raw": pl.Series([text]).str.split(separator)})
        .explode("raw")
        .with_columns(pl.col("raw").str.count_matches(r"\r|\n").alias("inner_breaks"))
        .with_columns(
            (1 + (1 + pl.col("inner_breaks")).cum_sum().shift(1, fill_value=0))
            .cast(pl.Int64)
            .alias("line_no"),
            pl.col("raw").str.replace_all(r"\r|\n", "\n"),
        )
        .drop("inner_breaks")
    )


def _mark_sections(lines: pl.DataFrame, *, default_key: str) -> pl.DataFrame:
    """Flag header-block lines and give every line its section's chat name.

    A `====` rule is a header-block line only next to a 消息分组/消息对象 line, so a row of
    equals signs typed into a message stays message text.
    """
    labelled = pl.col("raw").str.contains(_GROUP) | pl.col("raw").str.contains(_OBJECT)
    return lines.with_columns(
        (
            pl.col("raw").str.contains(_BANNER)
            | labelled
            | (
                pl.col("raw").str.contains(_RULE)
                & (labelled.shift(1, fill_value=False) | labelled.shift(-1, fill_value=False))
            )
        ).alias("is_meta"),
        pl.col("raw").str.extract(_OBJECT, 1).forward_fill().fill_null(default_key).alias("source_key"),
    )


def _group_records(lines: pl.DataFrame) -> pl.DataFrame:
    """One row per record: header line, joined body and line number; `is_record` is False for
    stretches of lines that no header owns (text before the first header of a section)."""
    after_break = (
        pl.col("raw").shift(1).is_null()
        | (pl.col("raw").shift(1).str.strip_chars() == "")
        | pl.col("is_meta").shift(1, fill_value=False)
    )
    starts = (pl.col("raw").str.contains(HEADER_PATTERN) & after_break & ~pl.col("is_meta")).alias(
        "is_start"
    )
    blank = pl.col("raw").str.strip_chars() == ""
    return (
        lines.with_columns(starts)
        .with_columns((pl.col("is_start") | pl.col("is_meta")).cum_sum().alias("record_no"))
        .filter(~pl.col("is_meta"))
        .group_by("record_no", maintain_order=True)
        .agg(
            pl.col("is_start").first().alias("is_record"),
            pl.col("source_key").first(),
            pl.col("line_no").filter(pl.col("is_start") | ~blank).first().alias("source_record"),
            pl.col("raw").first().alias("header"),
            pl.col("raw").slice(1).str.join("\n").str.replace(r"\n+$", "").alias("body"),
            pl.col("raw").filter(~blank).str.join("\n").alias("nonblank"),
        )
        .filter(pl.col("is_record") | (pl.col("nonblank") != ""))
        .with_columns(
            pl.format("line {}", pl.col("source_record")).alias("source_record_label"),
            pl.col("source_key").alias("source_name"),
        )
    )


def _read_headers(records: pl.DataFrame, source_tz: str) -> pl.DataFrame:
    """Sender, account, UTC time, kind and mentions of every record; `problem` when the header's
    date/time is not a real instant."""
    parts = pl.col("header").str.extract_groups(HEADER_PATTERN)
    sender = pl.col("sender_text").str.extract_groups(SENDER_PATTERN)
    hour = parts.struct["4"].cast(pl.Int32)
    marker = parts.struct["7"]
    hour24 = (
        pl.when(marker == "PM").then(hour % 12 + 12).when(marker == "AM").then(hour % 12).otherwise(hour)
    )
    stamp = pl.format(
        "{}-{}-{} {}:{}:{}",
        parts.struct["1"],
        parts.struct["2"].str.zfill(2),
        parts.struct["3"].str.zfill(2),
        hour24.cast(pl.String).str.zfill(2),
        parts.struct["5"],
        parts.struct["6"],
    )
    local = stamp.str.strptime(pl.Datetime("us"), "%Y-%m-%d %H:%M:%S", strict=False)
    return (
        records.with_columns(parts.struct["8"].alias("sender_text"), stamp.alias("local_time"))
        .with_columns(
            local.dt.replace_time_zone(source_tz, ambiguous="earliest", non_existent="null")
            .dt.convert_time_zone("UTC")
            .alias("sent_at"),
            sender.struct["2"].alias("account"),
            pl.coalesce(sender.struct["1"], pl.col("sender_text"))
            .str.replace(TITLE_PATTERN, "")
            .str.strip_chars()
            .alias("sender_name"),
        )
        .with_columns(
            pl.coalesce("account", "sender_name").alias("sender_handle"),
            pl.col("account").is_in(SYSTEM_ACCOUNTS).fill_null(False).alias("is_system"),
            _kind(pl.col("body")).alias("kind"),
            pl.col("body").str.extract_all(MENTION_PATTERN).list.eval(
                pl.element().str.replace(r"^[^@]*@", "")
            ).alias("mentions"),
            pl.when(pl.col("sent_at").is_null())
            .then(
                pl.format(
                    "header time '{}' is not a valid {} time; expected YYYY-MM-DD H:MM:SS [AM|PM]",
                    pl.col("local_time"),
                    pl.lit(source_tz),
                )
            )
            .alias("problem"),
            pl.concat_str("header", "body", separator="\n").str.slice(0, SNIPPET_CHARS).alias("raw_snippet"),
        )
    )


def _kind(body: pl.Expr) -> pl.Expr:
    """`text` unless the body is only placeholders: a file, an image (media) or faces (sticker).

    `贱卖[图片]` stays text: it has words for the lexicons. Empty bodies are what the client
    writes for recalled or unsupported content.
    """
    rest = body.str.replace_all(r"\[(?:图片|表情|文件)\]|\s", "")
    return (
        pl.when(body.str.strip_chars() == "")
        .then(pl.lit("other"))
        .when(body.str.starts_with("[QQ红包]"))
        .then(pl.lit("other"))
        .when((rest == "") & body.str.contains(r"\[文件\]"))
        .then(pl.lit("file"))
        .when((rest == "") & body.str.contains(r"\[图片\]"))
        .then(pl.lit("media"))
        .when(rest == "")
        .then(pl.lit("sticker"))
        .otherwise(pl.lit("text"))
    )


def with_fingerprints(records: pl.DataFrame) -> pl.DataFrame:
    """Add `message_id`: QQ text exports have no ids, so a content fingerprint (assets/ingest/common.py).
    Shared with the QQChatExporter TXT parser, so both QQ text layouts key messages the same way."""
    ids = content_fingerprints(
        records, source_key="source_key", time="sent_at", sender="sender_handle", text="body", order="source_record"
    )
    return records.with_columns(ids.alias("message_id"))


def _messages(records: pl.DataFrame) -> pl.DataFrame:
    return records.rename({"body": "text"})


def _events(records: pl.DataFrame) -> pl.DataFrame:
    """System notices: `XXX加入本群` is a join of XXX; recalls and the rest are `other`.

    The notices name members by nickname only, so the name is also the subject handle.
    """
    joined = pl.col("body").str.extract(r"^(.+?)加入本群", 1)
    recalled = pl.col("body").str.extract(r"^(.+?)撤回了一条消息", 1)
    return records.select(
        "platform",
        "source_key",
        "source_name",
        pl.col("message_id").alias("event_id"),
        pl.col("sent_at").alias("occurred_at"),
        pl.when(joined.is_not_null()).then(pl.lit("join")).otherwise(pl.lit("other")).alias("event_type"),
        recalled.alias("actor_handle"),
        pl.coalesce(joined, recalled).alias("subject_handle"),
        pl.coalesce(joined, recalled).alias("subject_name"),
        pl.col("body").alias("detail"),
        "source_file",
        "source_record",
        "source_record_label",
    )


def _orphan_quarantine(orphans: pl.DataFrame) -> pl.DataFrame:
    return orphans.select(
        "platform",
        "source_file",
        "source_record",
        "source_record_label",
        pl.lit(
            "text outside any message record; expected a header line "
            "'YYYY-MM-DD H:MM:SS nickname(account)' after a blank line"
        ).alias("reason"),
        pl.col("nonblank").str.slice(0, SNIPPET_CHARS).alias("raw_snippet"),
    )


def _header_quarantine(records: pl.DataFrame) -> pl.DataFrame:
    return records.filter(pl.col("problem").is_not_null()).select(
        "platform",
        "source_file",
        "source_record",
        "source_record_label",
        pl.col("problem").alias("reason"),
        "raw_snippet",
    )
