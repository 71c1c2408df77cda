"""Slack workspace export parser: the export `.zip`, or the extracted folder's `channels.json`.

FORMATS.md §6 documents the layout: metadata lists at the root (`channels.json`, `groups.json`,
`dms.json`, `mpims.json`, `users.json`) and one folder per conversation holding `YYYY-MM-DD.json`
day files, each a JSON array of that day's messages. Python only lists and reads the files (a zip
is read in memory, never extracted); every message of every day file is then read by one DuckDB
query (STYLE.md: no per-message Python loop).

Decisions worth knowing
- One export holds many conversations: each is its own `source_key` (the channel, group, DM or
  MPIM id) with its name as `source_name` (a DM has no name: its id is used). Folders are matched
  to conversations by name (channels, groups, MPIMs) or id (DMs); a folder no list describes is
  still loaded, keyed by its folder name, with a warning.
- `message_id` is `ts` as written (unique per channel); `sent_at` is `ts` read exactly as epoch
  seconds with a microsecond fraction. Slack's timestamps are epochs, so `source_tz` is unused.
- `source_record` is the 1-based position in the day file's array; the label is the day file's
  path plus the 0-based jq index, so record 4 of `general/2016-01-14.json` is
  `general/2016-01-14.json[3]`. A day file that cannot be read (bad bytes, invalid JSON, not an
  array) is quarantined as one record without a position.
- Messages: no subtype, and the subtypes that carry a member's content (bot_message, me_message,
  thread_broadcast, file_share, file_comment, file_mention, tombstone). Every other subtype
  (channel_join, channel_leave, channel_name, channel_topic, bot_add, pinned_item, …) is a system
  event, never a message.
- Text keeps Slack's link markup (`<@U123>`, `<#C1|name>`, `<https://x|label>`) but unescapes
  `&lt; &gt; &amp;`; `mentions` are the user ids of `<@U…>` mentions.
"""

from __future__ import annotations

import json
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import duckdb
import polars as pl

from assets.ingest.common import JSON_KIND_NAME_SQL, utc
from assets.ingest.errors import ExportReadError
from assets.ingest.schema import SNIPPET_CHARS, ParseResult

PLATFORM = "slack"

#: The conversation lists of an export and whether their folders are named by id (DMs) or name.
_CONVERSATION_LISTS = ("channels.json", "groups.json", "mpims.json", "dms.json")

#: A day file relative to the export root: `<conversation folder>/YYYY-MM-DD.json`.
_DAY_FILE = re.compile(r"(?P<folder>[^/]+)/(?P<day>\d{4}-\d{2}-\d{2})\.json")

#: A channels.json head: an array whose first object has a channel id (`C…`) and a name.
_CHANNELS_HEAD = re.compile(r'\A\s*\[\s*\{[^\[\]{}]*?"id"\s*:\s*"C[A-Z0-9]+"')
_NAME_KEY = re.compile(r'"name"\s*:\s*"')

#: One row per element of every readable day file, with `problem` (why it is quarantined; NULL
#: when fine) and `is_message` (else a system event). Reads the registered frames `slack_days`,
#: `slack_conversations` and `slack_users`; binds `$snippet_chars` and `$message_subtypes`.
_RECORDS_SQL = """
create temp table slack_records as

with arrays as (
    select
        day_index,
        folder,
        label_prefix,
        json_extract(body::json, '$[*]') as records,
    from slack_days
    where problem is null
),

records as (
    select
        day_index,
        folder,
        label_prefix,
        unnest(records) as msg,
        generate_subscripts(records, 1) as source_record,
    from arrays
),

fields as (
    select
        records.day_index,
        coalesce(conv.source_key, records.folder) as source_key,
        coalesce(conv.source_name, records.folder) as source_name,
        records.source_record,
        records.label_prefix || '[' || (records.source_record - 1) || ']' as source_record_label,
        msg,
        json_type(msg) as json_kind,
        msg ->> '$.ts' as ts,
        msg ->> '$.thread_ts' as thread_ts,
        msg ->> '$.subtype' as subtype,
        -- old file_comment records name the commenter only inside `comment`
        coalesce(msg ->> '$.user', msg ->> '$.comment.user') as user_id,
        msg ->> '$.bot_id' as bot_id,
        msg ->> '$.username' as username,
        msg ->> '$.inviter' as inviter,
        nullif(msg ->> '$.user_profile.display_name', '') as profile_display_name,
        nullif(msg ->> '$.user_profile.real_name', '') as profile_real_name,
        coalesce(msg ->> '$.text', '') as raw_text,
        coalesce(json_array_length(msg, '$.files'), 0) > 0 as has_files,
        coalesce(json_array_length(msg, '$.attachments'), 0) > 0 as has_attachments,
    from records
    left join slack_conversations as conv on conv.folder = records.folder
),

checked as (
    select
        *,
        case when regexp_full_match(ts, '[0-9]{1,12}(\\.[0-9]{1,6})?')
            then make_timestamp((ts::decimal(38, 6) * 1000000)::bigint)
        end as sent_at,
        case
            when json_kind <> 'OBJECT' then 'expected a message object, found a JSON ' || """ + JSON_KIND_NAME_SQL + """
            when ts is null then 'missing ts (Slack writes the message timestamp on every message)'
            when not regexp_full_match(ts, '[0-9]{1,12}(\\.[0-9]{1,6})?') then
                'ts is not epoch seconds with a fraction like "1452837318.000002" (got "' || ts || '")'
            when user_id is null and bot_id is null and subtype is distinct from 'tombstone' then
                'missing user and bot_id (the sender)'
        end as problem,
    from fields
)

select
    checked.* exclude (msg, raw_text),
    replace(replace(replace(raw_text, '&lt;', '<'), '&gt;', '>'), '&amp;', '&') as text,
    regexp_extract_all(raw_text, '<@([A-Z0-9]+)(?:\\|[^>]*)?>', 1) as mentions,
    coalesce(users.is_bot, false) or (checked.user_id is null and checked.bot_id is not null)
        or coalesce(checked.subtype = 'bot_message', false) as is_bot,
    coalesce(users.display_name, checked.profile_display_name, checked.profile_real_name,
        checked.username) as sender_name,
    checked.subtype is null or list_contains($message_subtypes, checked.subtype) as is_message,
    left(msg::varchar, $snippet_chars) as raw_snippet,
from checked
left join slack_users as users on users.id = checked.user_id
order by day_index, source_record
"""

#: Subtypes whose records are a member's content, i.e. messages; every other one is an event.
_MESSAGE_SUBTYPES = (
    "bot_message",
    "me_message",
    "thread_broadcast",
    "file_share",
    "file_comment",
    "file_mention",
    "tombstone",
)

_MESSAGES_SQL = """
select
    source_key,
    source_name,
    ts as message_id,
    sent_at,
    coalesce(user_id, bot_id) as sender_handle,
    sender_name,
    is_bot,
    case
        when subtype = 'tombstone' then 'other'
        when subtype = 'file_share' or has_files then 'file'
        when text <> '' then 'text'
        else 'other'
    end as kind,
    nullif(text, '') as text,
    case when thread_ts <> ts then thread_ts end as reply_to_message_id,
    mentions,
    coalesce(subtype, 'message') as raw_type,
    source_record,
    source_record_label,
from slack_records
where problem is null and is_message
order by day_index, source_record
"""

_EVENTS_SQL = """
select
    source_key,
    source_name,
    ts as event_id,
    sent_at as occurred_at,
    case
        when subtype in ('channel_join', 'group_join') then 'join'
        when subtype in ('channel_leave', 'group_leave') then 'leave'
        when subtype in ('channel_name', 'group_name') then 'rename'
        else 'other'
    end as event_type,
    coalesce(inviter, user_id, bot_id) as actor_handle,
    coalesce(user_id, bot_id) as subject_handle,
    sender_name as subject_name,
    subtype || case when text <> '' then ': ' || text else '' end as detail,
    source_record,
    source_record_label,
from slack_records
where problem is null and not is_message
order by day_index, source_record
"""

_DAYS_SCHEMA: dict[str, pl.DataType] = {
    "day_index": pl.Int64(),
    "folder": pl.String(),
    "label_prefix": pl.String(),
    "body": pl.String(),
    "problem": pl.String(),
}


@dataclass
class _Export:
    """The export's files relative to its root (metadata lists and day files), as bytes."""

    files: dict[str, bytes]
    warnings: list[str] = field(default_factory=list)


def sniff(head: str) -> bool:
    """Whether a decoded file head looks like a Slack `channels.json` (the folder export's entry)."""
    match = _CHANNELS_HEAD.match(head)
    return bool(match) and bool(_NAME_KEY.search(head, match.start()))


def sniff_zip(path: Path) -> bool:
    """Whether `path` is a zip holding a Slack export (a `channels.json` beside `users.json`)."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except (OSError, zipfile.BadZipFile):
        return False
    root = _export_root(names)
    return root is not None and f"{root}users.json" in names


def parse(path: Path, *, rel_path: str, source_tz: str = "Asia/Shanghai") -> ParseResult:
    """Parse one Slack export (zip, or the folder's channels.json) into the staging frames.

    `source_tz` is accepted for the common parser signature only: every Slack time is an epoch.
    """
    export = _read_zip(path, rel_path) if zipfile.is_zipfile(path) else _read_folder(path, rel_path)
    conversations = _conversations(export, rel_path)
    days = _days(export.files)
    unknown = sorted(set(days["folder"]) - set(conversations["folder"]))
    export.warnings += [
        f"{rel_path}: folder {folder!r} is in no conversation list; its source_key is the folder name"
        for folder in unknown
    ]
    with duckdb.connect() as con:
        con.register("slack_days", days)
        con.register("slack_conversations", conversations)
        con.register("slack_users", _users(export.files, rel_path))
        con.execute(
            _RECORDS_SQL,
            {"snippet_chars": SNIPPET_CHARS, "message_subtypes": list(_MESSAGE_SUBTYPES)},
        )
        records = con.sql("select * from slack_records").pl()
        messages = con.sql(_MESSAGES_SQL).pl()
        events = con.sql(_EVENTS_SQL).pl()
    return ParseResult(
        format=PLATFORM,
        encoding="utf-8",
        messages=messages.with_columns(*_source_columns(rel_path), utc("sent_at")),
        events=events.with_columns(*_source_columns(rel_path), utc("occurred_at")),
        quarantine=pl.concat(
            [_bad_days(days), _bad_records(records)], how="diagonal_relaxed"
        ).with_columns(*_source_columns(rel_path)),
        warnings=export.warnings,
    ).conformed()


def _export_root(names: set[str]) -> str | None:
    """The zip folder prefix holding `channels.json` ('' at the top), or None when there is none."""
    roots = [name.removesuffix("channels.json") for name in names if name.endswith("channels.json")]
    roots = [root for root in roots if root == "" or root.endswith("/")]
    return min(roots, key=len) if roots else None


def _read_zip(path: Path, rel_path: str) -> _Export:
    """Read the metadata lists and day files of a zipped export, without extracting it."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            root = _export_root(names)
            if root is None:
                raise ExportReadError(
                    rel_path, "the zip has no channels.json; expected a Slack workspace export"
                )
            wanted = [name for name in names if name.startswith(root) and _is_export_file(name[len(root):])]
            return _Export({name[len(root):]: archive.read(name) for name in sorted(wanted)})
    except (OSError, zipfile.BadZipFile) as error:
        raise ExportReadError(rel_path, f"cannot read the zip ({error})") from None


def _read_folder(path: Path, rel_path: str) -> _Export:
    """Read the metadata lists and day files beside an extracted export's channels.json."""
    root = path if path.is_dir() else path.parent
    if not (root / "channels.json").is_file():
        raise ExportReadError(
            rel_path, "no channels.json; expected a Slack export zip or its folder's channels.json"
        )
    files: dict[str, bytes] = {}
    for file in sorted(root.glob("*.json")) + sorted(root.glob("*/*.json")):
        name = file.relative_to(root).as_posix()
        if _is_export_file(name):
            try:
                files[name] = file.read_bytes()
            except OSError as error:
                raise ExportReadError(rel_path, f"cannot read {name} ({error.strerror})") from None
    return _Export(files)


def _is_export_file(name: str) -> bool:
    """Whether a root-relative name is one of the files the parser reads."""
    return name in (*_CONVERSATION_LISTS, "users.json") or bool(_DAY_FILE.fullmatch(name))


def _load_list(files: dict[str, bytes], name: str, rel_path: str) -> list[dict[str, Any]]:
    """A metadata list (absent = empty); a broken one stops the run: ids and names come from it."""
    if name not in files:
        return []
    try:
        listing = json.loads(files[name].decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ExportReadError(rel_path, f"{name} is not UTF-8 JSON ({error})") from None
    if not isinstance(listing, list) or not all(isinstance(item, dict) for item in listing):
        raise ExportReadError(rel_path, f"{name} is not a JSON array of objects")
    return listing


def _conversations(export: _Export, rel_path: str) -> pl.DataFrame:
    """Folder name → (source_key, source_name) for every listed conversation.

    Both the name and the id are mapped to the conversation: channels, groups and MPIMs have
    name-named folders, DMs id-named ones, and exporters (slackdump) are not all consistent.
    """
    rows: dict[str, tuple[str, str]] = {}
    for list_name in _CONVERSATION_LISTS:
        for item in _load_list(export.files, list_name, rel_path):
            key = item.get("id")
            if not isinstance(key, str):
                export.warnings.append(f"{rel_path}: an entry of {list_name} has no id; skipped")
                continue
            name = item.get("name") if isinstance(item.get("name"), str) else key
            for folder in {key, name}:
                rows.setdefault(folder, (key, name))
    return pl.DataFrame(
        [(folder, key, name) for folder, (key, name) in rows.items()],
        schema={"folder": pl.String(), "source_key": pl.String(), "source_name": pl.String()},
        orient="row",
    )


def _users(files: dict[str, bytes], rel_path: str) -> pl.DataFrame:
    """users.json as id → display name (display_name, else real_name, else name) and bot flag."""
    rows = []
    for user in _load_list(files, "users.json", rel_path):
        profile = user.get("profile") if isinstance(user.get("profile"), dict) else {}
        names = (profile.get("display_name"), profile.get("real_name"), user.get("real_name"), user.get("name"))
        rows.append(
            {
                "id": user.get("id"),
                "display_name": next((name for name in names if isinstance(name, str) and name), None),
                "is_bot": bool(user.get("is_bot")),
            }
        )
    schema = {"id": pl.String(), "display_name": pl.String(), "is_bot": pl.Boolean()}
    return pl.DataFrame(rows, schema=schema)


def _days(files: dict[str, bytes]) -> pl.DataFrame:
    """One row per day file with its decoded body, or why it cannot be read."""
    rows = []
    for name in sorted(name for name in files if _DAY_FILE.fullmatch(name)):
        body, problem = _decode_day(files[name])
        rows.append(
            {
                "day_index": len(rows),
                "folder": PurePosixPath(name).parent.name,
                "label_prefix": name,
                "body": body,
                "problem": problem,
            }
        )
    return pl.DataFrame(rows, schema=_DAYS_SCHEMA)


def _decode_day(data: bytes) -> tuple[str, str | None]:
    """A day file's text and why it is unusable (None when it is a JSON array).

    Slack writes UTF-8; the file is validated here because one broken day must cost only that
    day, while DuckDB would fail the whole query on it.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        snippet = data[:SNIPPET_CHARS].decode("utf-8", errors="replace")
        return snippet, f"not UTF-8 (invalid byte at offset {error.start}); expected a UTF-8 JSON array of messages"
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        return text, (
            f"line {error.lineno} column {error.colno}: not valid JSON ({error.msg}); "
            "expected a JSON array of Slack messages"
        )
    if not isinstance(document, list):
        return text, f"expected a JSON array of Slack messages, found a JSON {type(document).__name__}"
    return text, None


def _bad_days(days: pl.DataFrame) -> pl.DataFrame:
    """One quarantine row per unreadable day file; it has no record position."""
    return days.filter(pl.col("problem").is_not_null()).select(
        pl.lit(None, dtype=pl.Int64()).alias("source_record"),
        pl.col("label_prefix").alias("source_record_label"),
        pl.col("problem").alias("reason"),
        pl.col("body").str.slice(0, SNIPPET_CHARS).alias("raw_snippet"),
    )


def _bad_records(records: pl.DataFrame) -> pl.DataFrame:
    """Quarantine rows for the records of readable day files that failed a check."""
    return records.filter(pl.col("problem").is_not_null()).select(
        "source_record", "source_record_label", pl.col("problem").alias("reason"), "raw_snippet"
    )


def _source_columns(rel_path: str) -> tuple[pl.Expr, pl.Expr]:
    return pl.lit(PLATFORM).alias("platform"), pl.lit(rel_path).alias("source_file")


