"""DiscordChatExporter (DCE) JSON parser: one channel, thread or DM per file.

FORMATS.md §7 documents the format (DCE `JsonMessageWriter.cs`). Python's json module reads the
document (for error positions and the guild/channel header); every message is then read by one
DuckDB query over the `messages` array (STYLE.md: no per-message Python loop).

Decisions worth knowing
- `source_key` is `channel.id` from inside the file, not the id in the file name (they differ
  in real exports); `source_name` is `<guild name> / <channel name>`.
- `sent_at` comes from `timestamp`, which always carries an offset, so `source_tz` is unused.
- `source_record` is the 1-based position in `messages`; the label is the 0-based jq path.
- Default and Reply are messages (a Default can carry `reference` too: forwarded/replied); all
  other types are events: GuildMemberJoin and RecipientAdd are joins, RecipientRemove a removal
  (a leave when the author removed themself), ChannelNameChange a rename, the rest `other`.
  RecipientAdd/Remove name the member in `mentions`, which is where the subject comes from.
- Duplicate message ids (overlapping exports) are all kept; the SQL layer dedupes.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from assets.ingest.common import JSON_KIND_NAME_SQL, utc
from assets.ingest.encoding import read_text
from assets.ingest.errors import ExportReadError
from assets.ingest.schema import SNIPPET_CHARS, ParseResult

PLATFORM = "discord"

#: DCE writes `guild`, `channel`, … before `messages`; both header objects have these keys.
_GUILD_HEAD = re.compile(r'\A\s*\{\s*"guild"\s*:\s*\{\s*"id"\s*:')
_CHANNEL_KEY = re.compile(r'"channel"\s*:\s*\{\s*"id"\s*:')

#: One row per element of `messages` with every column messages and events need, plus
#: `problem` (why it is quarantined; NULL when fine). Reads the registered frame
#: `discord_export`; binds `$snippet_chars`.
_RECORDS_SQL = """
create temp table discord_records as

with arrays as (
    select json_extract(messages_json::json, '$[*]') as messages from discord_export
),

records as (
    select
        unnest(messages) as msg,
        generate_subscripts(messages, 1) as source_record,
    from arrays
),

fields as (
    select
        source_record,
        'messages[' || (source_record - 1) || ']' as source_record_label,
        msg,
        json_type(msg) as json_kind,
        msg ->> '$.id' as message_id,
        msg ->> '$.type' as message_type,
        msg ->> '$.timestamp' as timestamp_text,
        try_cast(msg ->> '$.timestamp' as timestamptz) as sent_at_tz,
        msg ->> '$.author.id' as author_id,
        coalesce(nullif(msg ->> '$.author.nickname', ''), msg ->> '$.author.name') as author_name,
        coalesce(try_cast(msg ->> '$.author.isBot' as boolean), false) as is_bot,
        nullif(msg ->> '$.content', '') as content,
        msg ->> '$.reference.messageId' as reference_id,
        coalesce(json_extract_string(msg, '$.mentions[*].id'), []) as mentions,
        coalesce(json_extract_string(msg, '$.mentions[*].name'), []) as mention_names,
        coalesce(json_array_length(msg, '$.attachments'), 0) > 0 as has_attachments,
        coalesce(json_array_length(msg, '$.stickers'), 0) > 0 as has_stickers,
    from records
)

select
    * exclude (msg, sent_at_tz),
    timezone('UTC', sent_at_tz) as sent_at,
    case
        when json_kind <> 'OBJECT' then 'expected a message object, found a JSON ' || """ + JSON_KIND_NAME_SQL + """
        else nullif(concat_ws(
            '; ',
            case when message_id is null then 'missing id (DCE writes the message snowflake)' end,
            case when message_type is null then 'missing type (expected Default, Reply, …)' end,
            case
                when timestamp_text is null then 'missing timestamp'
                when sent_at_tz is null then
                    'timestamp is not ISO 8601 with an offset (got "' || timestamp_text || '")'
            end,
            case when author_id is null then 'missing author.id (the sender id)' end
        ), '')
    end as problem,
    left(msg::varchar, $snippet_chars) as raw_snippet,
from fields
order by source_record
"""

_MESSAGES_SQL = """
select
    message_id,
    sent_at,
    author_id as sender_handle,
    author_name as sender_name,
    is_bot,
    case
        when has_stickers then 'sticker'
        when content is not null then 'text'
        when has_attachments then 'media'
        else 'other'
    end as kind,
    content as text,
    reference_id as reply_to_message_id,
    mentions,
    message_type as raw_type,
    source_record,
    source_record_label,
from discord_records
where problem is null and message_type in ('Default', 'Reply')
order by source_record
"""

_EVENTS_SQL = """
select
    message_id as event_id,
    sent_at as occurred_at,
    case
        when message_type in ('GuildMemberJoin', 'RecipientAdd') then 'join'
        when message_type = 'RecipientRemove' and coalesce(mentions[1], author_id) = author_id
            then 'leave'
        when message_type = 'RecipientRemove' then 'remove'
        when message_type = 'ChannelNameChange' then 'rename'
        else 'other'
    end as event_type,
    author_id as actor_handle,
    case when message_type in ('RecipientAdd', 'RecipientRemove')
        then coalesce(mentions[1], author_id) else author_id end as subject_handle,
    case when message_type in ('RecipientAdd', 'RecipientRemove')
        then coalesce(mention_names[1], author_name) else author_name end as subject_name,
    message_type || coalesce(': ' || content, '') as detail,
    source_record,
    source_record_label,
from discord_records
where problem is null and message_type not in ('Default', 'Reply')
order by source_record
"""


def sniff(head: str) -> bool:
    """Whether a decoded file head looks like a DCE JSON export (`guild` then `channel` objects)."""
    return bool(_GUILD_HEAD.match(head)) and bool(_CHANNEL_KEY.search(head))


def parse(path: Path, *, rel_path: str, source_tz: str = "Asia/Shanghai") -> ParseResult:
    """Parse one DCE JSON export into messages, events and quarantined records.

    `source_tz` is accepted for the common parser signature only: DCE timestamps carry offsets.
    """
    text, encoding = read_text(path)
    root = _load_json(text, rel_path)
    source_key, source_name = _channel_identity(root, rel_path)
    export = pl.DataFrame({"messages_json": [json.dumps(root["messages"], ensure_ascii=False)]})
    with duckdb.connect() as con:
        con.register("discord_export", export)
        con.execute(_RECORDS_SQL, {"snippet_chars": SNIPPET_CHARS})
        records = con.sql("select * from discord_records").pl()
        messages = con.sql(_MESSAGES_SQL).pl()
        events = con.sql(_EVENTS_SQL).pl()
    source_columns = (
        pl.lit(PLATFORM).alias("platform"),
        pl.lit(source_key).alias("source_key"),
        pl.lit(source_name).alias("source_name"),
        pl.lit(rel_path).alias("source_file"),
    )
    return ParseResult(
        format=PLATFORM,
        encoding=encoding,
        messages=messages.with_columns(*source_columns, utc("sent_at")),
        events=events.with_columns(*source_columns, utc("occurred_at")),
        quarantine=records.filter(pl.col("problem").is_not_null())
        .rename({"problem": "reason"})
        .with_columns(*source_columns),
    ).conformed()


def _load_json(text: str, rel_path: str) -> dict[str, Any]:
    """Parse the document; a broken or foreign one is an ExportReadError with the position."""
    try:
        root = json.loads(text)
    except json.JSONDecodeError as error:
        raise ExportReadError(
            rel_path,
            f"line {error.lineno} column {error.colno}: not valid JSON ({error.msg}); "
            "expected a DiscordChatExporter JSON export",
        ) from None
    if not isinstance(root, dict) or not isinstance(root.get("messages"), list):
        raise ExportReadError(
            rel_path, "no `messages` array; expected a DiscordChatExporter JSON export"
        )
    return root


def _channel_identity(root: dict[str, Any], rel_path: str) -> tuple[str, str]:
    """`channel.id` and `<guild name> / <channel name>`; without a channel id there is no key."""
    guild = root.get("guild") if isinstance(root.get("guild"), dict) else {}
    channel = root.get("channel") if isinstance(root.get("channel"), dict) else {}
    if channel.get("id") is None:
        raise ExportReadError(
            rel_path, "missing channel.id; expected a DiscordChatExporter JSON export"
        )
    names = [str(part) for part in (guild.get("name"), channel.get("name")) if part is not None]
    return str(channel["id"]), " / ".join(names)


