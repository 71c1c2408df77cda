"""WeCom (企业微信) 会话内容存档 parser: decrypted archive messages, one JSON object per line.

FORMATS.md §2 documents the record shapes. The file is read in blocks of whole lines
(`encoding.TextStream`), so memory stays bounded; each block is split into lines by Polars and
every line is parsed by DuckDB's JSON functions in one query (STYLE.md: no per-line Python loop).
Each non-blank line ends up in exactly one of three places:

- messages: `send`/`recall` records, including 1:1 chats, which keep `source_key` ''
  (the pipeline files them under an unassigned group);
- events: `switch` (user switched enterprise) and `agree`/`disagree` (archive consent) records,
  which are system records, not messages, so KPI counts never see them;
- quarantine: lines that are not JSON objects or lack what a message needs, with the reason.

Vendor relays (e.g. 企微管家) write numbers as strings (`"msgtime": "1691386666454"`) and fill
absent payloads with null; `->>` reads both spellings as text, so they need no special casing.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import polars as pl

from assets.ingest.common import registered
from assets.ingest.encoding import TextStream, batch_lines, read_small_files
from assets.ingest.schema import SNIPPET_CHARS, BatchResult, FileFacts, ParseResult

PLATFORM = "wecom"

#: `@name` mentions in message text. WeCom ends a mention with U+2005 (four-per-em space), which
#: RE2's ASCII-only `\s` does not match, hence `\p{Z}`; full-width and ASCII sentence punctuation
#: also end a name. The leading group keeps e-mail addresses (`a@b.com`) from counting as mentions.
MENTION_PATTERN = r"(?:^|[^\w.])@([^@\s\p{Z}，。、：；！？,;:!?]+)"

#: A line of white space only (Unicode's, as Polars' `strip_chars`; RE2's `\s` is ASCII-only) or BOMs.
BLANK_PATTERN = r"[\s\p{Z}\x{0B}\x{85}\x{FEFF}]*"

#: One row per non-blank line, every output column computed, plus `problem` (why the line is
#: quarantined, NULL when it is fine) and `is_event`. `$mention_pattern`, `$blank_pattern` and `$snippet_chars` are
#: bound; the Polars frame `wecom_lines(source_file, line_no, raw)` is registered by the caller (one
#: file's block, or the whole lines of a batch of small files).
_RECORDS_SQL = """
with records as (
    -- a BOM inside the file (exports joined with `cat`) opens a line but is no part of it; blank
    -- lines are no records
    select
        source_file,
        line_no,
        case when starts_with(raw, chr(65279)) then raw[2:] else raw end as raw,
    from wecom_lines
    where not (raw = '' or (not starts_with(raw, '{')
                            and regexp_full_match(raw, $blank_pattern)))
),

-- One JSON parse per line: every field in a single multi-path extraction (separate `->>` calls
-- would parse each line a dozen times). `try` turns a malformed line into NULL instead of failing
-- the query, which doubles as the validity test (a separate json_valid is a second full parse).
extracted as (
    select
        line_no,
        raw,
        source_file,
        try(json_extract_string(raw, [
            '$.msgid', '$.action', '$.msgtype', '$.from', '$.roomid', '$.msgtime', '$.time',
            '$.revoke.pre_msgid', '$.text.content', '$.markdown.content', '$.user',
            '$.agree.userid', '$.disagree.userid'
        ])) as f,
    from records
),

fields as (
    select
        line_no,
        raw,
        source_file,
        f is not null as is_valid,
        -- valid JSON starting with `{` is an object; only the rare other lines need json_type
        case
            when f is null then null
            when starts_with(ltrim(raw), '{') then 'OBJECT'
            else json_type(raw)
        end as doc_type,
        nullif(f[1], '') as msgid,
        coalesce(f[2] = 'switch', false) as is_switch,
        f[2] as action,
        f[3] as msgtype,
        nullif(f[4], '') as sender,
        coalesce(f[5], '') as roomid,
        -- switch records carry `time` instead of `msgtime` (FORMATS.md §2)
        case when f[2] = 'switch' then f[7] else f[6] end as time_text,
        nullif(f[8], '') as pre_msgid,
        case f[3]
            when 'text' then f[9]
            when 'markdown' then f[10]
        end as body,
        coalesce(f[11], f[12], f[13]) as event_subject,
    from extracted
),

classified as (
    select
        *,
        is_switch or coalesce(msgtype in ('agree', 'disagree'), false) as is_event,
        -- 13 digits = epoch milliseconds between 2001 and 2286; a 10-digit value is seconds
        case when regexp_full_match(time_text, '[0-9]{13}') then make_timestamp_ms(time_text::bigint) end
            as sent_at,
        case
            when action = 'recall' or msgtype = 'revoke' then 'recall'
            when msgtype in ('text', 'markdown') then 'text'
            when msgtype in ('image', 'video', 'voice') then 'media'
            when msgtype = 'emotion' then 'sticker'
            when msgtype = 'file' then 'file'
            when msgtype in ('link', 'weapp') then 'link'
            else 'other'
        end as kind,
    from fields
),

checked as (
    select
        *,
        case
            when not is_valid then 'line is not valid JSON; expected one WeCom archive message object per line'
            when doc_type <> 'OBJECT' then 'line is a JSON ' || case
                when doc_type = 'VARCHAR' then 'string'
                when doc_type in ('BIGINT', 'UBIGINT', 'DOUBLE') then 'number'
                else lower(doc_type)
            end || '; expected one WeCom archive message object per line'
            else nullif(concat_ws(
                '; ',
                case when msgid is null then 'missing msgid' end,
                case
                    when time_text is null and is_switch then 'switch record has no time (epoch milliseconds)'
                    when time_text is null then 'missing msgtime'
                    when sent_at is null then
                        'msgtime is not an epoch-milliseconds number (got ''' || time_text
                        || '''; expected 13 digits such as 1547087894783)'
                end,
                case when not is_switch and sender is null then 'missing from (the sender userid)' end,
                case when kind = 'recall' and pre_msgid is null then
                    'recall without revoke.pre_msgid (the message it withdraws)'
                end
            ), '')
        end as problem,
    from classified
)

select
    source_file,
    line_no as source_record,
    'line ' || line_no as source_record_label,
    problem,
    is_event,
    -- only quarantined lines need their raw text; copying it for every line doubles memory
    case when problem is not null then left(raw, $snippet_chars) end as raw_snippet,
    roomid as source_key,
    msgid as message_id,
    sent_at,
    sender as sender_handle,
    kind,
    body as text,
    -- the regex is the costliest step; most messages have no `@` at all
    case when contains(body, '@') then regexp_extract_all(body, $mention_pattern, 1) else [] end as mentions,
    case when kind = 'recall' then pre_msgid end as recalls_message_id,
    msgtype as raw_type,
    case when is_switch then 'switch' else msgtype end as detail,
    event_subject,
-- a chain of projections over the registered frame keeps its order (preserve_insertion_order)
from checked
"""


def parse(path: Path, *, rel_path: str, source_tz: str = "Asia/Shanghai") -> ParseResult:
    """The whole file as one result (see `parse_parts`)."""
    return ParseResult.combine(parse_parts(path, rel_path=rel_path, source_tz=source_tz))


def parse_parts(path: Path, *, rel_path: str, source_tz: str = "Asia/Shanghai") -> Iterator[ParseResult]:
    """Parse one WeCom archive JSONL file, block by block, into messages, events and quarantined
    lines: memory stays bounded by the block size however large the archive is.

    `source_tz` is accepted for the common parser signature only: `msgtime` is an absolute epoch,
    so no local-time assumption is ever made (`timezone_assumed` stays None).
    """
    stream = TextStream(path, display_path=rel_path)
    for block, lines in stream.line_frames():
        lines = lines.with_columns(pl.lit(rel_path).alias("source_file"))
        yield _result(lines, stream.encoding, block.end_offset)


def parse_batch(sources: Sequence[tuple[Path, str]], *, source_tz: str = "Asia/Shanghai") -> BatchResult:
    """Parse many small archive files (`(path, rel_path)` each) in one query; each file's rows are
    exactly what `parse` gives for that file alone.

    An operator's archive is often one file per room per day or month: thousands of files of a
    few hundred KB. Parsed one by one, the fixed cost of each query would outweigh the parsing;
    here every file's lines go into one frame that carries their `source_file`.
    """
    texts = read_small_files(sources)
    lines = batch_lines([(rel_path, data) for (_, rel_path), (data, _) in zip(sources, texts)])
    return BatchResult(
        rows=_result(lines, "utf-8", None),
        files=[FileFacts(PLATFORM, encoding) for _, encoding in texts],
    )


def _result(lines: pl.DataFrame, encoding: str, end_offset: int | None) -> ParseResult:
    """Messages, events and quarantined lines of `lines` (`source_file`, `line_no`, `raw`)."""
    records = _parse_records(lines).with_columns(
        pl.lit(PLATFORM).alias("platform"),
        pl.col("sent_at").dt.replace_time_zone("UTC"),
    )
    return ParseResult(
        format=PLATFORM,
        encoding=encoding,
        messages=_messages(records),
        events=_events(records),
        quarantine=records.filter(pl.col("problem").is_not_null()).rename({"problem": "reason"}),
        end_offset=end_offset,
    ).conformed()


def _parse_records(lines: pl.DataFrame) -> pl.DataFrame:
    with registered("wecom_lines", lines) as con:
        return con.sql(
            _RECORDS_SQL,
            params={"mention_pattern": MENTION_PATTERN, "blank_pattern": BLANK_PATTERN, "snippet_chars": SNIPPET_CHARS},
        ).pl()


def _messages(records: pl.DataFrame) -> pl.DataFrame:
    return records.filter(pl.col("problem").is_null() & ~pl.col("is_event"))


def _events(records: pl.DataFrame) -> pl.DataFrame:
    """Switch and consent records as `other` events; the actor is the sender or switching user."""
    return records.filter(pl.col("problem").is_null() & pl.col("is_event")).select(
        "platform",
        "source_key",
        pl.col("message_id").alias("event_id"),
        pl.col("sent_at").alias("occurred_at"),
        pl.lit("other").alias("event_type"),
        pl.coalesce("sender_handle", "event_subject").alias("actor_handle"),
        pl.col("event_subject").alias("subject_handle"),
        "detail",
        "source_file",
        "source_record",
        "source_record_label",
    )
