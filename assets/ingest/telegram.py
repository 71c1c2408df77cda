"""Telegram Desktop `result.json` parser: single-chat and full-account exports, streamed.

FORMATS.md §4 documents the format (tdesktop `export_output_json.cpp`). A busy chat exports to
gigabytes of one JSON document, which `json.loads` would need about five times over in memory. So
the file is read in blocks and split by `json_split` (numpy, vectorised): the elements of every
`messages` array become NDJSON lines, read by one DuckDB query per part (STYLE.md: no per-message
Python loop), and the rest of the document, a small skeleton with those arrays emptied, goes to
Python's json module to locate the chats. One `ParseResult` is yielded per part of the file.

Decisions worth knowing
- `source_key` is the chat id as text, `source_name` the chat name; in a full-account export
  every chat of `chats.list` and `left_chats.list` is its own source.
- `text` is flattened from the `text` field (a string, or an array of strings and entity objects),
  not from `text_entities`: both carry the same parts in real exports, but hand-made files in the
  wild omit `text_entities` or fill it with placeholders, and `text` is what the client shows.
- `source_record` is the 1-based position in the chat's `messages` array; the label is the JSON
  path an analyst can paste into jq, so it is 0-based: record 13 is `messages[12]`.
- Service messages become events. Telegram names invited/removed members but gives no ids, so
  `subject_handle` is the member's name, except when the member is the actor (joining by link,
  re-joining, leaving): then the actor's id is known and used. A `remove_members` whose only
  member is the actor is a `leave`. Member-list actions (invite/remove) give one event per member
  with `event_id` `<id>:<index in members>`, so the id's shape depends only on the action.
- Records without `id` get a content fingerprint (`fp:` + a 128-bit hash of chat, time, sender, text and
  occurrence), numbered across the whole file so identical id-less messages in different parts
  still get different ids.
- A chat's metadata (id, name) is read from the skeleton as far as it has been read when the chat's
  first messages arrive: tdesktop writes them before `messages`. A file that puts them after a
  chat's messages and is large enough to span parts is rejected at its end rather than loaded
  under the wrong chat (the whole file is one load transaction, so nothing of it is kept).
- JSON errors name the file's line and column, as `json.loads` of the whole file did: the failing
  message (or the skeleton, with its line breaks put back) is parsed again by Python to find them.
  A message only DuckDB's reader rejects (a lone surrogate escape) is quarantined instead.
- A media key set to null (`"photo": null`) counts as absent: tdesktop omits empty values rather
  than nulling them, and telling null from absent would cost a second parse of every message.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import polars as pl
import pyarrow as pa

from assets.ingest.common import JSON_KIND_NAME_SQL, Occurrences, content_fingerprints, utc
from assets.ingest.encoding import TextStream
from assets.ingest.errors import ExportReadError
from assets.ingest.json_split import Elements, MessageArraySplitter
from assets.ingest.schema import SNIPPET_CHARS, ParseResult

PLATFORM = "telegram"

#: Decoded bytes per part: parts of ~150 000 messages keep per-part overhead small and a part's
#: frames (and DuckDB's working set) a few hundred MB.
PART_BYTES = 64 << 20

#: Bytes per read: reads below glibc's 32 MB mmap ceiling reuse memory instead of page-faulting
#: fresh pages in for every block, which made 64 MB reads three times slower.
READ_BYTES = 16 << 20

#: tdesktop writes control characters other than \n \r \t as `\xNN`, which JSON does not allow
#: (SerializeString in export_output_json.cpp). An odd run of backslashes before `x` means the
#: `\x` is an escape, not an escaped backslash followed by a literal x.
_HEX_ESCAPE = re.compile(r"(?<!\\)((?:\\\\)*)\\x([0-9A-Fa-f]{2})")
#: The same repair for Polars, whose regex engine has no look-behind: the escape must follow a
#: non-backslash (or the line start), so back-to-back escapes need a second pass.
_HEX_ESCAPE_POLARS = r"(^|[^\\])((?:\\\\)*)\\x([0-9A-Fa-f]{2})"

#: Root keys of a full-account export whose `list` holds chats.
_CHAT_LISTS = ("chats", "left_chats")

#: Why a message that Python's json accepts but DuckDB's reader does not is quarantined.
_UNREADABLE = (
    "message is JSON that DuckDB cannot read (for example a lone \\ud800-\\udfff surrogate "
    "escape); expected a Telegram Desktop message object"
)

#: One row per element of every `messages` array in the part, with every column messages and
#: events need, plus `problem` (why it is quarantined; NULL when fine), `is_valid` (DuckDB could
#: parse it) and `used_local_time`. Reads the registered frames `telegram_lines(chat_index,
#: source_record, msg)` and `telegram_chats(chat_index, source_key, source_name, label_prefix)`;
#: elements of arrays that are not a located chat's messages are parsed too (broken JSON there is
#: still an error) and flagged `is_chat = false`. Binds `$source_tz`, `$snippet_chars` and
#: `$unreadable`; `{extract}` is the extraction below, plain or wrapped in `try` (see `_records`).
_RECORDS_SQL = """
-- One JSON parse per message: every scalar field in a single multi-path extraction (separate
-- `->>` calls would parse each message a dozen times).
with lines as (
    select
        telegram_lines.chat_index,
        telegram_lines.source_record,
        telegram_lines.msg,
        telegram_chats.chat_index is not null as is_chat,
        telegram_chats.source_key,
        telegram_chats.source_name,
        telegram_chats.label_prefix,
        {extract} as f,
    from telegram_lines
    left join telegram_chats on telegram_chats.chat_index = telegram_lines.chat_index
),

fields as (
    select
        chat_index,
        source_record,
        is_chat,
        source_key,
        source_name,
        label_prefix,
        msg,
        f is not null as is_valid,
        -- only an object has keys: the few elements without `type` or `id` need json_type
        case
            when f is null then null
            when f[1] is not null or f[2] is not null then 'OBJECT'
            else json_type(msg)
        end as json_kind,
        f[1] as record_type,
        f[2] as record_id,
        f[3] as unixtime_text,
        f[4] as date_text,
        f[5] as from_id,
        f[6] as from_name,
        f[7] as reply_to_message_id,
        f[8] as media_type,
        f[9] as action,
        f[10] as actor,
        f[11] as actor_id,
        -- only invite/remove use the member list; the second parse is for those few records
        case when f[9] in ('invite_members', 'remove_members') then
            coalesce(json_extract_string(msg, '$.members[*]'), [])
        else [] end as members,
        -- a key set to null counts as absent (tdesktop omits empty values rather than nulling them)
        case
            when f[8] is not null then f[8]
            when f[12] is not null then 'photo'
            when f[13] is not null then 'file'
            when f[14] is not null then 'poll'
            when f[15] is not null then 'location'
            when f[16] is not null then 'contact'
            when f[17] is not null then 'game'
            when f[18] is not null then 'invoice'
        end as attachment,
        -- `text` is a string when it is all plain, else an array of strings and entity objects.
        -- The extraction gives a string's value but an array's JSON text; `$.text[0]` exists only
        -- for an array, so only an empty array, a leading null or a string that reads like other
        -- JSON (an array, object, number or boolean) needs the exact type, from a second parse.
        case
            when f[20] is not null then 'ARRAY'
            when f[19] is null then null
            when left(f[19], 1) in ('[', '{', '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9')
                or f[19] in ('true', 'false')
                then json_type(msg, '$.text')
            else 'VARCHAR'
        end as text_kind,
        f[19] as text_value,
    from lines
),

decoded as (
    select
        *,
        -- each part of an array `text` parsed once: a string part (JSON text starting with a
        -- quote) is its own text; an entity object gives its type, text and user_id
        case when text_kind = 'ARRAY' then list_transform(
            json_extract(text_value, '$[*]'),
            lambda part: case
                when left(part, 1) = '"' then [null, part ->> '$', null]
                else json_extract_string(part, ['$.type', '$.text', '$.user_id'])
            end
        ) else [] end as text_parts,
        case
            when regexp_full_match(unixtime_text, '[0-9]{1,12}')
                then make_timestamp(unixtime_text::bigint * 1000000)
        end as unix_at,
        -- `date` is only read when `date_unixtime` is missing (old exporters)
        case when unixtime_text is null then try_strptime(date_text, '%Y-%m-%dT%H:%M:%S') end as local_at,
    from fields
),

flattened as (
    select
        *,
        case
            when text_kind = 'VARCHAR' then text_value
            else array_to_string(list_transform(text_parts, lambda part: coalesce(part[2], '')), '')
        end as text,
        case when text_kind = 'ARRAY' then list_filter(list_transform(
            text_parts,
            lambda part: case part[1]
                when 'mention' then ltrim(part[2], '@')
                when 'mention_name' then 'user' || part[3]
            end
        ), lambda handle: handle is not null) else [] end as mentions,
        coalesce(unix_at, timezone('UTC', timezone($source_tz, local_at))) as sent_at,
    from decoded
),

checked as (
    select
        *,
        unixtime_text is null and local_at is not null as used_local_time,
        case
            when not is_valid then $unreadable
            when json_kind <> 'OBJECT' then 'expected a message object, found a JSON ' || """ + JSON_KIND_NAME_SQL + """
            when record_type = 'unsupported' then
                'Telegram Desktop exported this message as type "unsupported" (content the exporter '
                || 'cannot represent); there is nothing to load'
            else nullif(concat_ws(
                '; ',
                case
                    when record_type is null then 'missing type (expected message or service)'
                    when record_type not in ('message', 'service') then
                        'type is "' || record_type || '"; expected message or service'
                end,
                case
                    when unixtime_text is null and date_text is null then
                        'missing both date_unixtime and date'
                    when unixtime_text is not null and unix_at is null then
                        'date_unixtime is not epoch seconds (got "' || unixtime_text || '")'
                    when unixtime_text is null and local_at is null then
                        'date is not YYYY-MM-DDTHH:MM:SS (got "' || date_text || '")'
                end,
                case when record_type = 'message' and from_id is null and from_name is null then
                    'missing from_id and from (no sender)'
                end
            ), '')
        end as problem,
    from flattened
)

select
    chat_index,
    source_record,
    is_chat,
    is_valid,
    source_key,
    source_name,
    label_prefix || '[' || (source_record - 1) || ']' as source_record_label,
    record_type,
    record_id,
    sent_at,
    used_local_time,
    problem,
    -- only quarantined records need their raw text, minified as the old whole-document reader
    -- showed it (`json(msg)` is a cast DuckDB evaluates before the CASE, so it would fail on the
    -- malformed rows); copying it for every record would double the part's memory
    case when problem is not null then
        left(case when is_valid then json_extract(msg, '$')::varchar else trim(msg, e' \n\r\t') end, $snippet_chars)
    end as raw_snippet,
    -- messages; the fingerprint's sender only where there is no id (see `_message_ids`)
    case when record_id is null then coalesce(from_id, from_name) end as fingerprint_sender,
    -- Exports without `from_id` (old or hand-made) still name the sender: key them by that name.
    coalesce(from_id, 'name:' || from_name) as sender_handle,
    from_name as sender_name,
    case
        when attachment = 'sticker' then 'sticker'
        when attachment = 'file' then 'file'
        -- photo, or a document with a media_type (video, voice, animation, audio)
        when attachment = 'photo' or media_type is not null then 'media'
        when attachment is not null then 'other'
        when text <> '' then 'text'
        else 'other'
    end as kind,
    text,
    reply_to_message_id,
    mentions,
    coalesce(attachment, record_type) as raw_type,
    -- events (NULL for messages: fewer strings to hand over)
    case when record_type = 'service' then action end as action,
    case when record_type = 'service' then actor end as actor,
    case when record_type = 'service' then actor_id end as actor_id,
    members,
from checked
"""

#: The multi-path extraction: field i of the list is path i (1-based in SQL).
_EXTRACT = """json_extract_string(telegram_lines.msg, [
            '$.type', '$.id', '$.date_unixtime', '$.date', '$.from_id', '$.from',
            '$.reply_to_message_id', '$.media_type', '$.action', '$.actor', '$.actor_id', '$.photo',
            '$.file', '$.poll', '$.location_information', '$.contact_information', '$.game_title',
            '$.invoice_information', '$.text', '$.text[0]'
        ])"""

#: Events: service records that passed every check (the registered frame `telegram_services`),
#: one row per member for invite/remove.
_EVENTS_SQL = """
with services as (
    select
        *,
        action in ('invite_members', 'remove_members') and len(members) > 0 as per_member,
        -- the actor changed their own membership: the only case where the subject's id is known
        action in ('join_group_by_link', 'join_group_by_request')
            or (action in ('invite_members', 'remove_members') and members = [actor]) as by_self,
    from telegram_services
),

subjects as (
    select
        *,
        unnest(case when per_member then members else [null] end) as member,
        generate_subscripts(case when per_member then members else [null] end, 1) - 1 as member_index,
    from services
)

select
    source_key,
    source_name,
    message_id || case when per_member then ':' || member_index else '' end as event_id,
    sent_at as occurred_at,
    case
        when action in ('invite_members', 'join_group_by_link', 'join_group_by_request') then 'join'
        when action = 'remove_members' and by_self then 'leave'
        when action = 'remove_members' then 'remove'
        when action = 'edit_group_title' then 'rename'
        when action in ('create_group', 'create_channel') then 'create'
        else 'other'
    end as event_type,
    actor_id as actor_handle,
    case when by_self then actor_id else member end as subject_handle,
    case when by_self then actor else member end as subject_name,
    action as detail,
    source_record,
    source_record_label,
from subjects
order by chat_index, source_record, member_index
"""

_CHATS_SCHEMA = {
    "chat_index": pl.Int64(),
    "source_key": pl.String(),
    "source_name": pl.String(),
    "label_prefix": pl.String(),
}


@dataclass
class _Chats:
    """The chats found in the skeleton (chat_index = the index of their `messages` array in the
    document), as the frame DuckDB joins, plus what looked odd."""

    frame: pl.DataFrame
    warnings: list[str] = field(default_factory=list)


@dataclass
class _Part:
    """One part of the file, split: its NDJSON lines as a table (`chat_index`, `source_record`,
    `msg`), the array of each line, the raw span and line-break flag per line (for error messages),
    the skeleton that names its chats (marked; complete in the last part) and how far into the
    file it reaches."""

    lines: pa.Table
    arrays: np.ndarray
    start: np.ndarray
    end: np.ndarray
    broken: np.ndarray
    skeleton: bytes
    #: `messages` arrays the skeleton covers (the splitter may have read further since)
    skeleton_arrays: int
    end_offset: int
    last: bool


def parse(path: Path, *, rel_path: str, source_tz: str = "Asia/Shanghai") -> ParseResult:
    """The whole file as one result (see `parse_parts`)."""
    return ParseResult.combine(parse_parts(path, rel_path=rel_path, source_tz=source_tz))


def parse_parts(
    path: Path,
    *,
    rel_path: str,
    source_tz: str = "Asia/Shanghai",
    part_bytes: int = PART_BYTES,
    read_bytes: int = READ_BYTES,
) -> Iterator[ParseResult]:
    """Parse one Telegram Desktop result.json, part by part, into messages, events and
    quarantined records: memory stays bounded by the part size however large the export is.

    `source_tz` is the exporting computer's zone, used only for records that lack
    `date_unixtime` (old exporter versions): their `date` is local wall time with no offset.
    `part_bytes` and `read_bytes` exist for tests that cross every boundary with tiny parts.
    """
    stream = TextStream(path, display_path=rel_path, block_bytes=read_bytes)
    splitter = MessageArraySplitter("messages")
    directory = _Directory(rel_path, splitter)
    occurrences = Occurrences()
    with duckdb.connect() as con:
        for part in _prefetched(_split_parts(stream, splitter, part_bytes, rel_path)):
            if part.last:
                _check_end(path, rel_path, splitter)
            chats = directory.chats_for(part)
            records = _records(con, part, chats.frame, source_tz)
            _check_messages(path, rel_path, part, records)
            yield replace(
                _result(con, records, occurrences, rel_path, source_tz),
                encoding=stream.encoding,
                warnings=chats.warnings,
                end_offset=part.end_offset,
            )


def _result(
    con: duckdb.DuckDBPyConnection, records: pl.DataFrame, occurrences: Occurrences, rel_path: str, source_tz: str
) -> ParseResult:
    """Messages, events and quarantine from one part's records (of located chats only); the
    caller fills in what the part knows (encoding, warnings, offset)."""
    source_columns = (pl.lit(PLATFORM).alias("platform"), pl.lit(rel_path).alias("source_file"))
    records = records.filter(pl.col("is_chat")).with_columns(*source_columns)
    loaded = records.filter(pl.col("problem").is_null())
    loaded = loaded.with_columns(message_id=_message_ids(loaded, occurrences))
    return ParseResult(
        format=PLATFORM,
        encoding="utf-8",
        messages=loaded.filter(pl.col("record_type") == "message").with_columns(
            utc("sent_at"), pl.when(pl.col("text") != "").then(pl.col("text")).alias("text")
        ),
        events=_events(con, loaded.filter(pl.col("record_type") == "service")).with_columns(*source_columns),
        quarantine=records.filter(pl.col("problem").is_not_null()).rename({"problem": "reason"}),
        timezone_assumed=source_tz if loaded["used_local_time"].any() else None,
    ).conformed()


def _split_parts(stream: TextStream, splitter: MessageArraySplitter, part_bytes: int, rel_path: str) -> Iterator[_Part]:
    """Read blocks until a part's worth of messages, split them, and hand on the part; the last
    part is the one after which the splitter has finished (its skeleton is the whole one)."""
    blocks = iter(stream)
    block = next(blocks)  # TextStream yields at least one (empty) block
    pieces: list[Elements] = []
    size = 0
    while block is not None:
        pieces.append(splitter.feed(block.data))
        if pieces[-1].count:  # blocks of chat metadata alone join the next part
            size += len(block.data)
        following = next(blocks, None)
        if following is None:
            pieces.append(splitter.finish())
        if following is None or size >= part_bytes:
            yield _part(pieces, splitter, block.end_offset, following is None, rel_path)
            pieces, size = [], 0
        block = following


def _part(pieces: list[Elements], splitter: MessageArraySplitter, end_offset: int, last: bool, rel_path: str) -> _Part:
    """The NDJSON of `pieces` as an Arrow table (`chat_index`, `source_record`, `msg`), built
    without copying: each line's length is known from its element's span, so the offsets come from
    a cumulative sum (a line keeps its `\\n`, which is JSON whitespace). Arrow checks the UTF-8.
    tdesktop's `\\xNN` escapes are repaired where there are any."""
    pieces = [piece for piece in pieces if piece.count]
    chunks = []
    for piece in pieces:
        offsets = np.zeros(piece.count + 1, np.int64)
        np.cumsum(piece.end - piece.start + 1, out=offsets[1:])
        array = pa.LargeStringArray.from_buffers(piece.count, pa.py_buffer(offsets), pa.py_buffer(piece.lines))
        try:
            array.validate(full=True)
        except pa.ArrowInvalid:
            raise ExportReadError(rel_path, _invalid_utf8_reason(piece)) from None
        chunks.append(array)
    msg = _repair_hex_escapes(pa.chunked_array(chunks, pa.large_string()))

    def column(name: str, dtype: type) -> np.ndarray:
        arrays = [getattr(piece, name) for piece in pieces]
        return np.concatenate(arrays) if arrays else np.zeros(0, dtype)

    arrays = column("array_index", np.int64)
    lines = pa.table({
        "chat_index": arrays,
        "source_record": column("element_index", np.int64) + 1,
        "msg": msg,
    })
    return _Part(
        lines=lines,
        arrays=arrays,
        start=column("start", np.int64),
        end=column("end", np.int64),
        broken=column("broken", bool),
        skeleton=splitter.partial_skeleton(marked=True),
        skeleton_arrays=splitter.arrays,
        end_offset=end_offset,
        last=last,
    )


def _repair_hex_escapes(msg: pa.ChunkedArray) -> pa.ChunkedArray:
    """`\\xNN` -> `\\u00NN` in the messages that have a `\\x`; the messages as they are when none
    has one (the cheap check: Polars' literal search is SIMD, `bytes.find` is slow here because
    message text is full of backslashes). Twice: back-to-back escapes overlap."""
    frame = pl.DataFrame({"msg": pl.from_arrow(msg)})
    has_escape = pl.col("msg").str.contains("\\x", literal=True)
    if not frame.select(has_escape.any()).item():
        return msg
    repaired = pl.col("msg").str.replace_all(_HEX_ESCAPE_POLARS, r"${1}${2}\u00${3}")
    frame = frame.with_columns(
        pl.when(has_escape).then(repaired.str.replace_all(_HEX_ESCAPE_POLARS, r"${1}${2}\u00${3}")).otherwise(pl.col("msg"))
    )
    return frame.to_arrow()["msg"].cast(pa.large_string())


def _prefetched(parts: Iterator[_Part]) -> Iterator[_Part]:
    """The next part is read and split on a second thread while DuckDB parses this one (numpy,
    Polars and DuckDB all release the GIL), so splitting overlaps parsing instead of adding to it."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(next, parts, None)
        while (ready := pending.result()) is not None:
            pending = pool.submit(next, parts, None)
            yield ready


def _records(con: duckdb.DuckDBPyConnection, part: _Part, chats: pl.DataFrame, source_tz: str) -> pl.DataFrame:
    """Every element of the part parsed (`_RECORDS_SQL`), in file order.

    The extraction runs without `try` first: `try` makes it half again as slow, and a malformed
    message is rare; only when DuckDB rejects one does the query run again with `try`, which turns
    each malformed message into a NULL row for `_check_messages` to explain."""
    con.register("telegram_lines", part.lines)
    con.register("telegram_chats", chats)
    params = {"source_tz": source_tz, "snippet_chars": SNIPPET_CHARS, "unreadable": _UNREADABLE}
    try:
        try:
            records = con.sql(_RECORDS_SQL.replace("{extract}", _EXTRACT), params=params).pl()
        except duckdb.InvalidInputException:
            records = con.sql(_RECORDS_SQL.replace("{extract}", f"try({_EXTRACT})"), params=params).pl()
    finally:
        con.unregister("telegram_lines")
        con.unregister("telegram_chats")
    # DuckDB keeps the scan's order through projections and the join's probe side (insertion
    # order is preserved); `_check_messages` relies on it, so make sure rather than assume
    in_order = all(
        np.array_equal(records[name].to_numpy(), part.lines[name].to_numpy()) for name in ("chat_index", "source_record")
    )
    if not in_order:
        records = records.sort("chat_index", "source_record", maintain_order=True)
    return records


def _check_messages(path: Path, rel_path: str, part: _Part, records: pl.DataFrame) -> None:
    """Stop at the first message that is not valid JSON, naming its line and column.

    DuckDB marks what it cannot parse; Python's json module (the reference: the old reader
    parsed the whole file with it) then decides. What Python rejects is an error in the file;
    what only DuckDB rejects (rare: lone surrogate escapes, NaN) stays quarantined as unreadable.
    A raw line break inside a string is always an error (JSON forbids it). `records` and
    `part.lines` are both in file order, row for row."""
    suspects = ~records["is_valid"].to_numpy() | part.broken
    if not suspects.any():
        return
    for row in np.flatnonzero(suspects):
        if part.broken[row] or _json_error(part.lines["msg"][int(row)].as_py()) is not None:
            raise _element_error(path, rel_path, int(part.start[row]), int(part.end[row]))


def _message_ids(loaded: pl.DataFrame, occurrences: Occurrences) -> pl.Series:
    """The record's own id, else `fp:` and a content fingerprint; `occurrences` carries the
    numbering of identical id-less records across the parts of the file."""
    missing = loaded.with_row_index("order").filter(pl.col("record_id").is_null())
    ids = loaded["record_id"]
    if not missing.height:
        return ids.alias("message_id")
    fingerprints = content_fingerprints(
        missing.with_columns(utc("sent_at")),
        source_key="source_key", time="sent_at", sender="fingerprint_sender", text="text", order="order",
        occurrences=occurrences,
    )
    return ids.clone().scatter(missing["order"].to_numpy(), "fp:" + fingerprints).alias("message_id")


def _events(con: duckdb.DuckDBPyConnection, services: pl.DataFrame) -> pl.DataFrame:
    """`_EVENTS_SQL` over the part's loaded service records (times naive UTC, as DuckDB gave them)."""
    con.register("telegram_services", services)
    try:
        return con.sql(_EVENTS_SQL).pl().with_columns(utc("occurred_at"))
    finally:
        con.unregister("telegram_services")


class _Directory:
    """Which chat each `messages` array belongs to, read from the skeleton as far as it goes.

    Arrays are looked up when their first elements arrive; the answer must not change once the
    whole skeleton is known (checked in the last part)."""

    def __init__(self, rel_path: str, splitter: MessageArraySplitter) -> None:
        self.rel_path = rel_path
        self.splitter = splitter
        #: per array read so far: its chat (source_key, source_name, label_prefix) or None
        self.known: dict[int, tuple[str, str | None, str] | None] = {}
        #: arrays whose messages were loaded under `known`
        self.used: set[int] = set()
        self.frame = pl.DataFrame(schema=_CHATS_SCHEMA)

    def chats_for(self, part: _Part) -> _Chats:
        arrays = set(np.unique(part.arrays).tolist())
        self.used |= arrays
        if not (part.last or arrays - self.known.keys()):
            return _Chats(self.frame)
        root = _load_skeleton(part.skeleton, self.rel_path, self.splitter, complete=part.last)
        if part.last:
            chats = _locate_chats(root, self.rel_path)
        else:
            try:
                chats = _locate_chats(root, self.rel_path)
            except ExportReadError:  # the skeleton so far names no chat yet: decided at the end
                chats = _Chats(pl.DataFrame(schema=_CHATS_SCHEMA))
        found = {row[0]: row[1:] for row in chats.frame.iter_rows()}
        if part.last:
            self._check_unchanged(found)
        for array in range(part.skeleton_arrays):
            self.known.setdefault(array, found.get(array))
        self.frame = chats.frame
        return chats

    def _check_unchanged(self, found: dict[int, tuple]) -> None:
        """Arrays read earlier under one chat must still belong to it in the whole skeleton."""
        for array in self.used & self.known.keys():
            chat = self.known[array]
            if chat != found.get(array):
                where = (chat or found.get(array))[2]
                raise ExportReadError(
                    self.rel_path,
                    f"`{where}` was read before the keys that say which chat it belongs to "
                    "(its chat's id or name follows its messages, or the chat lists come after "
                    "other `messages` arrays); expected a Telegram Desktop result.json, which "
                    "writes a chat's name, type and id before its messages",
                )


def _check_end(path: Path, rel_path: str, splitter: MessageArraySplitter) -> None:
    """At the end of the file: a document cut off inside a message names that message's error."""
    unterminated = splitter.unterminated
    if unterminated is None:
        return
    text = unterminated.text.decode("utf-8", errors="replace")
    if _json_error(text) is not None:
        raise _element_error(path, rel_path, unterminated.start, None)


def _load_skeleton(skeleton: bytes, rel_path: str, splitter: MessageArraySplitter, *, complete: bool) -> Any:
    """Parse the (marked) skeleton; on a JSON error, parse it again with the arrays' line breaks
    put back, so the error names the file's line."""
    try:
        text = skeleton.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ExportReadError(
            rel_path,
            f"invalid UTF-8 byte 0x{skeleton[error.start]:02x} outside the messages (in the chat "
            "or account data); expected a UTF-8, UTF-16 (with BOM) or GB18030 text export",
        ) from None
    try:
        return _load_json(text)
    except json.JSONDecodeError:
        lined = (splitter.skeleton(keep_lines=True) if complete else
                 splitter.partial_skeleton(marked=False, keep_lines=True)).decode("utf-8")
        try:
            _load_json(lined)
        except json.JSONDecodeError as error:
            raise _json_read_error(rel_path, error.lineno, error.colno, error.msg) from None
        raise ExportReadError(rel_path, "not valid JSON; expected a Telegram Desktop result.json") from None


def _load_json(text: str) -> Any:
    """`json.loads` after repairing tdesktop's `\\xNN` escapes.

    Each repaired escape grows by two characters, so a reported column can be off by two per
    `\\xNN` earlier on the same line; the line number is exact.
    """
    if "\\x" in text:
        text = _HEX_ESCAPE.sub(r"\1\\u00\2", text)
    return json.loads(text)


def _json_error(text: str) -> json.JSONDecodeError | None:
    try:
        _load_json(text)
    except json.JSONDecodeError as error:
        return error
    return None


def _json_read_error(rel_path: str, line: int, column: int, message: str) -> ExportReadError:
    return ExportReadError(
        rel_path,
        f"line {line} column {column}: not valid JSON ({message}); expected a Telegram Desktop result.json",
    )


def _element_error(path: Path, rel_path: str, start: int, end: int | None) -> ExportReadError:
    """The JSON error in the element at `start:end` of the decoded text (to the end of the file
    when `end` is None), at the file's line and column: the raw text, line breaks and all, is
    read again (an error path: a second read costs nothing that matters)."""
    line, prefix, text = _read_span(path, start, end)
    error = _json_error(text)
    if error is None:
        return ExportReadError(rel_path, f"line {line}: not valid JSON; expected a Telegram Desktop result.json")
    column = error.colno + (len(prefix) if error.lineno == 1 else 0)
    return _json_read_error(rel_path, line + error.lineno - 1, column, error.msg)


def _read_span(path: Path, start: int, end: int | None) -> tuple[int, str, str]:
    """(line number of offset `start` in the decoded text, its line's text before it, the text
    from `start` to `end`). Blocks end at line breaks, so a line never starts in an earlier block."""
    line, prefix, pieces = 0, "", []
    offset, last = 0, None
    for block in TextStream(path):
        data, low = block.data, offset
        offset += len(data)
        last = (block, low)
        if not line and low <= start < offset:
            line, prefix = _line_at(block, start - low)
        if line:
            pieces.append(data[max(start, low) - low : len(data) if end is None else max(0, min(end, offset) - low)])
            if end is not None and offset >= end:
                break
    if not line and last is not None:  # `start` is the very end of the file
        line, prefix = _line_at(last[0], start - last[1])
    return max(line, 1), prefix, b"".join(pieces).decode("utf-8", errors="replace")


def _line_at(block, relative: int) -> tuple[int, str]:
    data = block.data
    line = block.first_line + data.count(b"\n", 0, relative)
    return line, data[data.rfind(b"\n", 0, relative) + 1 : relative].decode("utf-8", errors="replace")


def _invalid_utf8_reason(piece: Elements) -> str:
    """Where a message is not UTF-8 (slow path: errors only)."""
    try:
        piece.lines.decode("utf-8")
    except UnicodeDecodeError as error:
        row = piece.lines.count(b"\n", 0, error.start)
        line_start = piece.lines.rfind(b"\n", 0, error.start) + 1
        offset = int(piece.start[row]) + error.start - line_start
        return (
            f"invalid UTF-8 byte 0x{piece.lines[error.start]:02x} at offset {offset} of the decoded text, "
            f"in message {int(piece.element_index[row])} of `messages` array {int(piece.array_index[row])}; "
            "expected a UTF-8, UTF-16 (with BOM) or GB18030 text export"
        )
    return "messages cannot be split into lines; expected a UTF-8, UTF-16 (with BOM) or GB18030 text export"


def _locate_chats(root: Any, rel_path: str) -> _Chats:
    """Find every chat: the root itself (single-chat export) or the entries of the chat lists."""
    if isinstance(root, dict) and "messages" in root:
        return _chats_frame([("", root)], rel_path)
    lists = [key for key in _CHAT_LISTS if isinstance(root, dict) and key in root]
    if not lists:
        raise ExportReadError(
            rel_path,
            "no chats found; expected a Telegram Desktop result.json whose root object has "
            "`messages` (one chat) or `chats.list` (full-account export)",
        )
    located: list[tuple[str, Any]] = []
    for key in lists:
        listing = root[key].get("list") if isinstance(root[key], dict) else None
        if not isinstance(listing, list):
            raise ExportReadError(rel_path, f"`{key}.list` is missing or not an array of chats")
        located += [(f"{key}.list[{index}].", chat) for index, chat in enumerate(listing)]
    return _chats_frame(located, rel_path)


def _chats_frame(located: list[tuple[str, Any]], rel_path: str) -> _Chats:
    """One row per chat, keyed by the index of its `messages` array in the document: the marked
    skeleton writes array i as `["\\u0000i"]`."""
    rows: list[dict[str, int | str | None]] = []
    warnings: list[str] = []
    for prefix, chat in located:
        messages = chat.get("messages") if isinstance(chat, dict) else None
        if not isinstance(messages, list):
            raise ExportReadError(rel_path, f"`{prefix}messages` is missing or not an array of messages")
        if chat.get("id") is None:
            where = prefix.removesuffix(".") or "the chat"
            warnings.append(f"{rel_path}: {where} has no id; its records get an empty source_key")
        array = MessageArraySplitter.marked_array(messages)
        if array is None:
            if messages:  # a `messages` key spelled with escapes is not found by the splitter
                raise ExportReadError(
                    rel_path,
                    f"`{prefix}messages` could not be read in parts (its key is written with escape "
                    "sequences); expected a Telegram Desktop result.json",
                )
            continue
        rows.append(
            {
                "chat_index": array,
                "source_key": "" if chat.get("id") is None else str(chat["id"]),
                "source_name": chat.get("name"),
                "label_prefix": f"{prefix}messages",
            }
        )
    return _Chats(pl.DataFrame(rows, schema=_CHATS_SCHEMA), warnings)
