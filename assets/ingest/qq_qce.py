"""QQChatExporter (QCE) V5 JSON parser: NTQQ group and private chats exported through NapCat.

FORMATS.md §3.2 documents the layout: root `metadata`, `chatInfo{name,type}`, `statistics`,
`messages[]`, `exportOptions`. Python's json module only validates the document and finds the
chat name; every message is read by one DuckDB query over the `messages` array (STYLE.md: no
per-message Python loop). Only the JSON layout is parsed; QCE's TXT/HTML/Excel outputs are not.

Decisions worth knowing
- `source_key` is `chatInfo.name`: the export carries no group number. The file stem stands in
  when the name is missing.
- `message_id` is the message's `id` (NT msgId) when the exporter wrote one, else `seq`: reply
  elements reference the msgId (`referencedMessageId`), so ids must come from the same space
  for `reply_to_message_id` to resolve.
- `timestamp` (epoch milliseconds) is authoritative; the rendered `time` string is ignored, so no
  local-time assumption is made.
- The handle is `sender.uin` (QQ number) when present, else the NT `uid`. Mentions carry only the
  uid, so a mentioned uid is translated to the uin that the same uid sends with elsewhere in
  the file, keeping mention handles and sender handles comparable; otherwise the uid (or the
  name) is kept.
- Recalled messages are not counted as speech: they stay messages with kind `other` and
  raw_type `recalled` (the export keeps the recalled message itself, not a recall record).
- `system` messages are events: `join` when the text says 加入, else `other`.
- `text` drops the `[回复 name: quoted]` line QCE prepends to replies, so lexicons see only the
  reply's own words; the quoted message is reachable through `reply_to_message_id`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from assets.ingest.encoding import read_text
from assets.ingest.errors import ExportReadError
from assets.ingest.schema import SNIPPET_CHARS, ParseResult

PLATFORM = "qq"

#: A QCE JSON export opens with `metadata` naming the exporter, then `chatInfo`.
_SNIFF_CHAT_INFO = re.compile(r'"chatInfo"\s*:\s*\{')
_SNIFF_EXPORTER = re.compile(r'QQChatExporter|"statistics"\s*:\s*\{')

#: Placeholders QCE writes into `content.text` for non-text parts (`[图片: x.png]`, `[语音 7秒]`,
#: `[[微笑]]` faces); a body made only of these is not text.
PLACEHOLDER_PATTERN = r"\[\[[^\]]*\]\]|\[(?:图片|文件|语音|视频|表情|动画表情)[^\]]*\]|\s"

#: One row per element of `messages`, every output column computed, plus `problem` (why the
#: record is quarantined, NULL when fine) and `is_system`. Binds `$placeholder_pattern` and
#: `$snippet_chars`; reads the registered Polars frame `qce_doc(messages_json)`.
_RECORDS_SQL = """
with arrays as (
    select json_extract(messages_json::json, '$[*]') as messages from qce_doc
),

records as (
    select unnest(messages) as msg, generate_subscripts(messages, 1) as source_record from arrays
),

fields as (
    select
        source_record,
        msg,
        json_type(msg) as msg_type,
        coalesce(nullif(msg ->> '$.id', ''), nullif(msg ->> '$.seq', '')) as message_id,
        msg ->> '$.timestamp' as timestamp_text,
        nullif(msg ->> '$.sender.uid', '') as uid,
        nullif(msg ->> '$.sender.uin', '') as uin,
        coalesce(
            nullif(msg ->> '$.sender.name', ''),
            nullif(msg ->> '$.sender.groupCard', ''),
            nullif(msg ->> '$.sender.nickname', '')
        ) as sender_name,
        msg ->> '$.type' as type_code,
        coalesce(msg ->> '$.content.text', '') as body,
        coalesce(json_extract(msg, '$.content.elements[*]'), []) as elements,
        coalesce(json_extract(msg, '$.content.mentions[*]'), []) as mention_objects,
        coalesce((msg ->> '$.recalled')::boolean, false) as recalled,
        coalesce((msg ->> '$.system')::boolean, false) as is_system,
    from records
),

uin_by_uid as (
    select map_from_entries(coalesce(list(distinct (uid, uin)), [])) as lookup
    from fields
    where uid is not null and uin is not null
),

parts as (
    select
        *,
        list_transform(elements, lambda e: e ->> '$.type') as element_types,
        list_filter(elements, lambda e: e ->> '$.type' = 'reply')[1] as reply,
        case when len(mention_objects) > 0 then mention_objects
            else list_transform(
                list_filter(elements, lambda e: e ->> '$.type' = 'at'), lambda e: e -> '$.data'
            )
        end as mentioned,
        case when regexp_full_match(timestamp_text, '[0-9]{1,15}')
            then make_timestamp_ms(timestamp_text::bigint) end as sent_at,
        regexp_replace(body, $placeholder_pattern, '', 'g') = '' as only_placeholders,
    from fields
),

classified as (
    select
        parts.*,
        coalesce(uin, uid) as sender_handle,
        coalesce(reply -> '$.data' ->> '$.referencedMessageId', reply -> '$.data' ->> '$.messageId')
            as reply_to_message_id,
        list_transform(
            mentioned,
            lambda m: coalesce(uin_by_uid.lookup[m ->> '$.uid'], m ->> '$.uid', m ->> '$.name')
        ) as mentions,
        case
            when recalled then 'other'
            when only_placeholders and list_contains(element_types, 'file') then 'file'
            when only_placeholders and list_has_any(element_types, ['image', 'video', 'audio'])
                then 'media'
            when only_placeholders and list_has_any(element_types, ['face', 'market_face'])
                then 'sticker'
            when trim(body) = '' then 'other'
            else 'text'
        end as kind,
        case when reply is not null then regexp_replace(body, '^\\[回复 [^\\n]*\\]\\n', '') else body end
            as text,
    from parts
    left join uin_by_uid on true
)

select
    source_record,
    'messages[' || (source_record - 1) || ']' as source_record_label,
    case
        when msg_type <> 'OBJECT' then 'message is a JSON '
            || case when msg_type = 'VARCHAR' then 'string' else lower(msg_type) end
            || '; expected a QCE message object'
        else nullif(concat_ws(
            '; ',
            case when message_id is null then 'missing seq (and id)' end,
            case
                when timestamp_text is null then 'missing timestamp'
                when sent_at is null then 'timestamp is not epoch milliseconds (got '''
                    || timestamp_text || '''; expected digits such as 1704067300000)'
            end,
            case when not is_system and coalesce(uin, uid) is null then
                'missing sender.uin and sender.uid'
            end
        ), '')
    end as problem,
    is_system,
    left(msg::varchar, $snippet_chars) as raw_snippet,
    message_id,
    sent_at,
    sender_handle,
    sender_name,
    kind,
    text,
    reply_to_message_id,
    coalesce(mentions, []) as mentions,
    case when recalled then 'recalled' else type_code end as raw_type,
    case when is_system and body like '%加入%' then 'join' when is_system then 'other' end as event_type,
    case when is_system then nullif(regexp_extract(body, '^(.+?)加入', 1), '') end as joined_name,
    body as detail,
from classified
order by source_record
"""


def sniff(head: str) -> bool:
    """True when the head is a JSON object with QCE's `chatInfo` and exporter banner/statistics."""
    return (
        head.lstrip().startswith("{")
        and _SNIFF_CHAT_INFO.search(head) is not None
        and _SNIFF_EXPORTER.search(head) is not None
    )


def parse(path: Path, *, rel_path: str, source_tz: str = "Asia/Shanghai") -> ParseResult:
    """Parse one QCE JSON export into messages, system events and quarantined records.

    `source_tz` is accepted for the common parser signature only: `timestamp` is an absolute
    epoch, so no local-time assumption is made (`timezone_assumed` stays None).
    """
    text, encoding = read_text(path)
    root = _load_root(text, rel_path)
    chat_name = _chat_name(root) or path.stem
    records = _parse_records(json.dumps(root["messages"], ensure_ascii=False)).with_columns(
        pl.lit(PLATFORM).alias("platform"),
        pl.lit(chat_name).alias("source_key"),
        pl.lit(chat_name).alias("source_name"),
        pl.lit(rel_path).alias("source_file"),
        pl.col("sent_at").dt.replace_time_zone("UTC"),
    )
    good = records.filter(pl.col("problem").is_null())
    return ParseResult(
        format=PLATFORM,
        encoding=encoding,
        messages=good.filter(~pl.col("is_system")),
        events=_events(good.filter(pl.col("is_system"))),
        quarantine=records.filter(pl.col("problem").is_not_null()).rename({"problem": "reason"}),
    ).conformed()


def _load_root(text: str, rel_path: str) -> dict[str, Any]:
    """The parsed document; not JSON or no `messages` array makes the whole file unreadable."""
    try:
        root = json.loads(text)
    except ValueError as error:
        raise ExportReadError(rel_path, f"not valid JSON ({error}); expected a QQChatExporter JSON export") from None
    if not isinstance(root, dict) or not isinstance(root.get("messages"), list):
        raise ExportReadError(
            rel_path, "no top-level 'messages' array; expected a QQChatExporter V5 JSON export"
        )
    return root


def _chat_name(root: dict[str, Any]) -> str | None:
    info = root.get("chatInfo")
    name = info.get("name") if isinstance(info, dict) else None
    return name if isinstance(name, str) and name else None


def _parse_records(messages_json: str) -> pl.DataFrame:
    with duckdb.connect() as con:
        con.register("qce_doc", pl.DataFrame({"messages_json": [messages_json]}))
        return con.sql(
            _RECORDS_SQL,
            params={"placeholder_pattern": PLACEHOLDER_PATTERN, "snippet_chars": SNIPPET_CHARS},
        ).pl()


def _events(records: pl.DataFrame) -> pl.DataFrame:
    """System messages; a join names the member in its text, which is all the export gives."""
    return records.select(
        "platform",
        "source_key",
        "source_name",
        pl.col("message_id").alias("event_id"),
        pl.col("sent_at").alias("occurred_at"),
        "event_type",
        pl.col("sender_handle").alias("actor_handle"),
        pl.col("joined_name").alias("subject_handle"),
        pl.col("joined_name").alias("subject_name"),
        "detail",
        "source_file",
        "source_record",
        "source_record_label",
    )
