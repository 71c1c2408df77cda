"""Telegram Desktop `result.json` parser: single-chat and full-account exports.

FORMATS.md §4 documents the format (tdesktop `export_output_json.cpp`). Python's json module
only locates the chats (a handful of objects); every message of every chat is then read by one
DuckDB query over the chats' message arrays (STYLE.md: no per-message Python loop).

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
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from assets.ingest.common import JSON_KIND_NAME_SQL, utc
from assets.ingest.encoding import read_text
from assets.ingest.errors import ExportReadError
from assets.ingest.schema import SNIPPET_CHARS, ParseResult

PLATFORM = "telegram"

#: tdesktop writes control characters other than \n \r \t as `\xNN`, which JSON does not allow
#: (SerializeString in export_output_json.cpp). An odd run of backslashes before `x` means the
#: `\x` is an escape, not an escaped backslash followed by a literal x.
_HEX_ESCAPE = re.compile(r"(?<!\\)((?:\\\\)*)\\x([0-9A-Fa-f]{2})")

#: Root keys of a full-account export whose `list` holds chats.
_CHAT_LISTS = ("chats", "left_chats")

#: One row per element of every chat's `messages` array with every column messages and events
#: need, plus `problem` (why it is quarantined; NULL when fine) and `used_local_time`. Binds
#: `$source_tz` and `$snippet_chars`; reads the registered Polars frame `telegram_chats`.
_RECORDS_SQL = """
create temp table telegram_records as

with arrays as (
    select
        chat_index,
        source_key,
        source_name,
        label_prefix,
        json_extract(messages_json::json, '$[*]') as messages,
    from telegram_chats
),

records as (
    select
        chat_index,
        source_key,
        source_name,
        label_prefix,
        unnest(messages) as msg,
        generate_subscripts(messages, 1) as source_record,
    from arrays
),

fields as (
    select
        chat_index,
        source_key,
        source_name,
        source_record,
        label_prefix || '[' || (source_record - 1) || ']' as source_record_label,
        msg,
        json_type(msg) as json_kind,
        msg ->> '$.type' as record_type,
        msg ->> '$.id' as record_id,
        msg ->> '$.date_unixtime' as unixtime_text,
        msg ->> '$.date' as date_text,
        msg ->> '$.from_id' as from_id,
        msg ->> '$.from' as from_name,
        msg ->> '$.reply_to_message_id' as reply_to_message_id,
        msg ->> '$.media_type' as media_type,
        msg ->> '$.action' as action,
        msg ->> '$.actor' as actor,
        msg ->> '$.actor_id' as actor_id,
        coalesce(json_extract_string(msg, '$.members[*]'), []) as members,
        -- `text` is a string when it is all plain, else an array of strings and entity objects
        case json_type(msg, '$.text') when 'ARRAY' then json_extract(msg, '$.text[*]') else [] end
            as text_parts,
        case json_type(msg, '$.text') when 'VARCHAR' then msg ->> '$.text' end as plain_text,
        case
            when json_exists(msg, '$.media_type') then msg ->> '$.media_type'
            when json_exists(msg, '$.photo') then 'photo'
            when json_exists(msg, '$.file') then 'file'
            when json_exists(msg, '$.poll') then 'poll'
            when json_exists(msg, '$.location_information') then 'location'
            when json_exists(msg, '$.contact_information') then 'contact'
            when json_exists(msg, '$.game_title') then 'game'
            when json_exists(msg, '$.invoice_information') then 'invoice'
        end as attachment,
    from records
),

decoded as (
    select
        *,
        coalesce(plain_text, array_to_string(list_transform(
            text_parts,
            lambda part: coalesce(
                case json_type(part) when 'VARCHAR' then part ->> '$' else part ->> '$.text' end,
                ''
            )
        ), '')) as text,
        list_filter(list_transform(
            text_parts,
            lambda part: case part ->> '$.type'
                when 'mention' then ltrim(part ->> '$.text', '@')
                when 'mention_name' then 'user' || (part ->> '$.user_id')
            end
        ), lambda handle: handle is not null) as mentions,
        case
            when regexp_full_match(unixtime_text, '[0-9]{1,12}')
                then make_timestamp(unixtime_text::bigint * 1000000)
        end as unix_at,
        try_strptime(date_text, '%Y-%m-%dT%H:%M:%S') as local_at,
    from fields
),

checked as (
    select
        *,
        coalesce(unix_at, timezone('UTC', timezone($source_tz, local_at))) as sent_at,
        unixtime_text is null and local_at is not null as used_local_time,
        case
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
    from decoded
)

select
    * exclude (msg, text_parts, plain_text, unix_at, local_at, record_id),
    -- Records without an id (hand-made or trimmed exports) get a content fingerprint: stable across
    -- re-exports of the same content, so overlapping files still de-duplicate.
    coalesce(record_id, 'fp:' || md5(concat_ws(
        '|', source_key, sent_at::varchar, coalesce(from_id, from_name), text,
        row_number() over (partition by source_key, sent_at, coalesce(from_id, from_name), text order by source_record)
    ))) as record_id,
    record_id is null as has_fingerprint_id,
    left(msg::varchar, $snippet_chars) as raw_snippet,
from checked
order by chat_index, source_record
"""

#: Messages: records of type `message` that passed every check.
_MESSAGES_SQL = """
select
    source_key,
    source_name,
    record_id as message_id,
    sent_at,
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
    nullif(text, '') as text,
    reply_to_message_id,
    mentions,
    coalesce(attachment, record_type) as raw_type,
    source_record,
    source_record_label,
from telegram_records
where problem is null and record_type = 'message'
order by chat_index, source_record
"""

#: Events: service records that passed every check, one row per member for invite/remove.
_EVENTS_SQL = """
with services as (
    select
        *,
        action in ('invite_members', 'remove_members') and len(members) > 0 as per_member,
        -- the actor changed their own membership: the only case where the subject's id is known
        action in ('join_group_by_link', 'join_group_by_request')
            or (action in ('invite_members', 'remove_members') and members = [actor]) as by_self,
    from telegram_records
    where problem is null and record_type = 'service'
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
    record_id || case when per_member then ':' || member_index else '' end as event_id,
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


@dataclass
class _Chats:
    """The chats found in one export, as the frame DuckDB reads, plus what looked odd."""

    frame: pl.DataFrame
    warnings: list[str] = field(default_factory=list)


def parse(path: Path, *, rel_path: str, source_tz: str = "Asia/Shanghai") -> ParseResult:
    """Parse one Telegram Desktop result.json into messages, events and quarantined records.

    `source_tz` is the exporting computer's zone, used only for records that lack
    `date_unixtime` (old exporter versions): their `date` is local wall time with no offset.
    """
    text, encoding = read_text(path)
    chats = _locate_chats(_load_json(text, rel_path), rel_path)
    with duckdb.connect() as con:
        con.register("telegram_chats", chats.frame)
        con.execute(_RECORDS_SQL, {"source_tz": source_tz, "snippet_chars": SNIPPET_CHARS})
        records = con.sql("select * from telegram_records").pl()
        messages = con.sql(_MESSAGES_SQL).pl()
        events = con.sql(_EVENTS_SQL).pl()
    source_columns = (pl.lit(PLATFORM).alias("platform"), pl.lit(rel_path).alias("source_file"))
    return ParseResult(
        format=PLATFORM,
        encoding=encoding,
        messages=messages.with_columns(*source_columns, utc("sent_at")),
        events=events.with_columns(*source_columns, utc("occurred_at")),
        quarantine=records.filter(pl.col("problem").is_not_null())
        .rename({"problem": "reason"})
        .with_columns(*source_columns),
        timezone_assumed=source_tz if _used_local_time(records) else None,
        warnings=chats.warnings,
    ).conformed()


def _load_json(text: str, rel_path: str) -> Any:
    """Parse the document, repairing tdesktop's `\\xNN` escapes first; errors give the position.

    Each repaired escape grows by two characters, so a reported column can be off by two per
    `\\xNN` earlier on the same line; the line number is exact.
    """
    if "\\x" in text:
        text = _HEX_ESCAPE.sub(r"\1\\u00\2", text)
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise ExportReadError(
            rel_path,
            f"line {error.lineno} column {error.colno}: not valid JSON ({error.msg}); "
            "expected a Telegram Desktop result.json",
        ) from None


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
    """One row per chat with its messages re-serialised as JSON text for DuckDB."""
    rows: list[dict[str, int | str | None]] = []
    warnings: list[str] = []
    for chat_index, (prefix, chat) in enumerate(located):
        messages = chat.get("messages") if isinstance(chat, dict) else None
        if not isinstance(messages, list):
            raise ExportReadError(rel_path, f"`{prefix}messages` is missing or not an array of messages")
        if chat.get("id") is None:
            where = prefix.removesuffix(".") or "the chat"
            warnings.append(f"{rel_path}: {where} has no id; its records get an empty source_key")
        rows.append(
            {
                "chat_index": chat_index,
                "source_key": "" if chat.get("id") is None else str(chat["id"]),
                "source_name": chat.get("name"),
                "label_prefix": f"{prefix}messages",
                "messages_json": json.dumps(messages, ensure_ascii=False),
            }
        )
    schema = {
        "chat_index": pl.Int64(),
        "source_key": pl.String(),
        "source_name": pl.String(),
        "label_prefix": pl.String(),
        "messages_json": pl.String(),
    }
    return _Chats(pl.DataFrame(rows, schema=schema), warnings)


def _used_local_time(records: pl.DataFrame) -> bool:
    """Whether any loaded record's time came from `date` interpreted in `source_tz`."""
    return bool(records.filter(pl.col("problem").is_null() & pl.col("used_local_time")).height)
