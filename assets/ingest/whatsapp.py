"""WhatsApp "Export chat" `.txt` parser: Android and iOS layouts in every locale dialect.

FORMATS.md §5 documents the format. A message is a header line (date, time, `Name: text`) plus
the continuation lines up to the next header. The file is split into lines by Polars, each line is
classified by one regex per header dialect, the message number is forward-filled over
continuation lines and the lines are aggregated with `group_by` (STYLE.md: no per-line Python loop).

Decisions worth knowing
- The format has no chat id, so `source_key` (and `source_name`) is the chat name taken from the
  file name: `WhatsApp Chat with <name>.txt` → name, iOS `_chat.txt` → its folder's name.
- Day/month order is not written anywhere. It is decided per file: a first date field > 12 means
  day-first, a second field > 12 means month-first; with no evidence either way the file is read
  day-first and a warning says so (never silently). Year-first dates are always `y-m-d`.
- Bidi marks (U+200E/U+200F, embeddings U+202A-U+202E, isolates U+2066-U+2069) are export
  artefacts: iOS puts LRM before placeholders, mentions are wrapped in isolates. They are removed
  from header, name and text so matching and lexicons see the visible text only.
- System lines (no `Name:` part, or a known notice after a name such as the end-to-end
  encryption banner, or a `System:` author in fixtures) become events; `X added A, B and C`
  gives one event per added member. Deleted messages stay messages with kind `other` and
  raw_type `deleted`, so nothing that was posted disappears from the audit trail.
- Lines may be out of chronological order (delivery delays): they are kept as written.
- `message_id`/`event_id` are fingerprints: sha1 of source_key, time, author, text and the
  occurrence index among identical tuples, so re-exports of the same chat get the same ids.
"""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl

from assets.ingest.common import content_fingerprints
from assets.ingest.encoding import read_text
from assets.ingest.errors import ExportReadError
from assets.ingest.schema import SNIPPET_CHARS, ParseResult

PLATFORM = "whatsapp"

#: Invisible direction marks removed before matching (FORMATS.md §5).
_BIDI_MARKS = r"[\x{200e}\x{200f}\x{202a}-\x{202e}\x{2066}-\x{2069}]"

#: The same class for Python's `re` (sniffing); the header patterns work in both engines.
_PY_BIDI_MARKS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")

_DATE = r"([0-9]{1,4})[./-]([0-9]{1,2})[./-]([0-9]{1,4})"
_TIME = r"([0-9]{1,2})[:.]([0-9]{2})(?:[:.]([0-9]{2}))?"
#: `AM`, `am`, `a.m.`, `a. m.` (NBSP or U+202F allowed: `\s` is Unicode-aware), `午前/午後`.
_AMPM = r"(?:\s*([AaPp]\.?\s?[Mm]\.?|午前|午後))?"

#: One regex per header layout; groups: d1, d2, d3, hour, minute, second, am/pm, rest of line.
HEADER_DIALECTS: dict[str, str] = {
    # [dd/mm/yyyy, HH:MM:SS] Name: text · [m/d/yy h:mm:ss AM] · [2018/06/13, 21:25:15]
    "ios_bracketed": rf"^\[{_DATE},?\s*{_TIME}{_AMPM}\]\s?(.*)$",
    # dd/mm/yyyy, HH:MM - Name: text · 13.6.2018 klo 21.25.15 - · 28/3/2025 9:29 p. m. -
    "android": rf"^{_DATE}(?:,\s*|\s+klo\s+|\s+){_TIME}{_AMPM}\s+-\s(.*)$",
    # 13.06.18 21.25.15: Name: text
    "ios_colon": rf"^{_DATE},?\s+{_TIME}{_AMPM}:\s(.*)$",
}
_HEADER_FIELDS = ("d1", "d2", "d3", "hour", "minute", "second", "ampm", "rest")

#: Lines whose author is one of these are system notices written with a name (test fixtures,
#: localised exports).
_SYSTEM_AUTHORS = ("System", "Système", "Sistema", "Systeem", "システム")
#: Notices WhatsApp writes after a name (`Pokemon Chat: Messages and calls are…`).
_SYSTEM_BODY = (
    r"^(?:Messages and calls are end-to-end encrypted|Messages (?:you send )?to this "
    r"(?:group|chat) are now secured|This business uses a secure service|Your security code with "
    r"|Missed (?:voice|video|group voice|group video) call$)"
)
#: A system line whose quoted part contains `:` must not be split there as if it had an author.
_SYSTEM_BEFORE_COLON = r"(?: created group | changed the subject | changed the group description)"

_DELETED = (
    r"^(?:This message was deleted|You deleted this message|This message was deleted by admin.*"
    r"|Diese Nachricht wurde gelöscht|Ce message a été supprimé|Se eliminó este mensaje"
    r"|Eliminaste este mensaje|このメッセージは削除されました)\.?$"
)
_STICKER = r"(?i)^(?:sticker omitted|<sticker omitted>)$"
_MEDIA = (
    r"(?i)^(?:<[^<>]*(?:omitted|omis|ausgelassen|omitido|omessi|weggelaten|なし)>"
    r"|(?:image|video|audio|GIF|document|Contact card|photo) omitted"
    r"|<(?:attached|adjunto|anexo|allegato|angehängt|pièce jointe): [^<>]+>"
    r"|.*\((?:file attached|Datei angehängt|fichier joint|archivo adjunto|arquivo anexado"
    r"|file allegato|ファイル添付)\))$"
)

#: `@⁨Name⁩` (isolate-wrapped display name) or `@491234567` (a phone number).
_MENTION = r"@\x{2068}([^\x{2069}]+)\x{2069}|@(\+?[0-9]{6,})"

#: (event type, pattern, group of the actor, group of the subject); 0 = not in the line. The
#: first pattern that matches wins. For create/rename the subject is the group's (new) name.
_EVENT_PATTERNS: tuple[tuple[str, str, int, int], ...] = (
    ("join", r"^(.+?) joined using this group's invite link$", 1, 1),
    ("join", r"^(.+?) (?:were|was) added$", 0, 1),
    ("join", r"^(.+?) added (.+)$", 1, 2),
    ("leave", r"^(.+?) left$", 1, 1),
    ("remove", r"^(.+?) removed (.+)$", 1, 2),
    ("rename", r"^(.+?) changed the subject (?:from .* )?to (.+)$", 1, 2),
    ("create", r"^(.+?) created group (.+)$", 1, 2),
    ("create", r"^(.+?) (?:hat die Gruppe .*erstellt|a créé le groupe.*|creó el grupo.*)$", 1, 0),
)
#: Membership events name members (`Mom, Dad and Jake`): one event per member.
_PER_MEMBER = ("join", "leave", "remove")

#: File names Android gives a chat export, in the locales we have seen.
_FILE_NAME = re.compile(
    r"^(?:WhatsApp Chat with |WhatsApp Chat mit |Discussion WhatsApp avec |Chat de WhatsApp con "
    r"|Conversa do WhatsApp com |WhatsApp-chat met )(.+)$"
)

_SNIFF_LINES = 20


def parse(path: Path, *, rel_path: str, source_tz: str = "Asia/Shanghai") -> ParseResult:
    """Parse one WhatsApp chat export into messages, system events and quarantined lines.

    Times are the phone's wall clock with no offset; they are read in `source_tz`.
    """
    text, encoding = read_text(path)
    chat = chat_name(path)
    lines = _classify(_lines(text))
    if not lines["is_header"].any():
        raise ExportReadError(
            rel_path,
            "no WhatsApp message header found; expected lines like `dd/mm/yyyy, HH:MM - Name: "
            "text` (Android) or `[dd/mm/yyyy, HH:MM:SS] Name: text` (iOS)",
        )
    day_first, warnings = _day_order(lines, rel_path)
    records = _records(_timestamps(lines, day_first, source_tz))
    good = records.filter(pl.col("problem").is_null())
    source = (
        pl.lit(PLATFORM).alias("platform"),
        pl.lit(chat).alias("source_key"),
        pl.lit(chat).alias("source_name"),
        pl.lit(rel_path).alias("source_file"),
    )
    return ParseResult(
        format=PLATFORM,
        encoding=encoding,
        messages=_fingerprint(
            _messages(good.filter(~pl.col("is_system"))),
            chat,
            "message_id",
            time="sent_at",
            author="sender_handle",
            text="text",
        ).with_columns(*source),
        events=_fingerprint(
            _events(good.filter(pl.col("is_system"))),
            chat,
            "event_id",
            time="occurred_at",
            author="actor_handle",
            text="detail",
        ).with_columns(*source),
        quarantine=_quarantine(lines, records).with_columns(*source),
        timezone_assumed=source_tz,
        warnings=warnings,
    ).conformed()


def sniff(head: str) -> bool:
    """Whether one of the first non-blank lines of `head` is a WhatsApp message header."""
    headers = [re.compile(pattern) for pattern in HEADER_DIALECTS.values()]
    lines = [line for line in head.splitlines() if line.strip()][:_SNIFF_LINES]
    cleaned = [_PY_BIDI_MARKS.sub("", line).lstrip("\ufeff") for line in lines]
    return any(header.match(line) for line in cleaned for header in headers)


def chat_name(path: Path) -> str:
    """The chat's name from the export's file name; the format carries no chat id."""
    if path.name == "_chat.txt" and path.parent.name:
        return path.parent.name
    match = _FILE_NAME.match(path.stem)
    return match.group(1) if match else path.stem


def _lines(text: str) -> pl.DataFrame:
    """One row per physical line, numbered from 1; a final newline does not make an extra line."""
    lines = pl.DataFrame({"raw": [text.removesuffix("\n")]}).select(
        pl.col("raw").str.split("\n").explode().str.strip_chars_end("\r")
    )
    return lines.with_columns(
        line_no=pl.int_range(1, pl.len() + 1, dtype=pl.Int64),
        clean=pl.col("raw").str.replace_all(_BIDI_MARKS, "").str.strip_chars_start("\ufeff"),
    )


def _classify(lines: pl.DataFrame) -> pl.DataFrame:
    """Match every dialect, keep the first that matches, and number messages over their lines."""
    matched = [
        pl.col("clean").str.extract_groups(pattern).struct.rename_fields(
            [f"{name}_{field}" for field in _HEADER_FIELDS]
        ).struct.unnest()
        for name, pattern in HEADER_DIALECTS.items()
    ]
    lines = lines.with_columns(*matched)
    # the first dialect that matches supplies every field, even the ones it leaves empty
    dialect = pl.coalesce(
        pl.when(pl.col(f"{name}_rest").is_not_null()).then(pl.lit(name)) for name in HEADER_DIALECTS
    )
    lines = lines.with_columns(
        pl.coalesce(
            pl.when(dialect == name).then(pl.col(f"{name}_{field}")) for name in HEADER_DIALECTS
        ).alias(field)
        for field in _HEADER_FIELDS
    ).drop(f"{name}_{field}" for name in HEADER_DIALECTS for field in _HEADER_FIELDS)
    is_header = pl.col("rest").is_not_null()
    return lines.with_columns(
        is_header=is_header,
        msg_index=pl.when(is_header).then(is_header.cum_sum()).forward_fill(),
    ).with_columns(
        pl.col(["d1", "d2", "d3", "hour", "minute", "second"]).cast(pl.Int32, strict=False)
    )


def _day_order(lines: pl.DataFrame, rel_path: str) -> tuple[bool, list[str]]:
    """Decide day-first vs month-first from the file's own dates (year-first dates say nothing)."""
    dm = lines.filter(pl.col("is_header") & (pl.col("d1") < 100))
    day_evidence = int(dm.filter(pl.col("d1") > 12).height)
    month_evidence = int(dm.filter(pl.col("d2") > 12).height)
    if day_evidence and month_evidence:
        return day_evidence >= month_evidence, [
            f"{rel_path}: conflicting day/month order ({day_evidence} headers have a first date "
            f"field > 12, {month_evidence} a second field > 12): assumed "
            f"{'day' if day_evidence >= month_evidence else 'month'}-first; the other headers "
            "are quarantined"
        ]
    if day_evidence or month_evidence:
        return bool(day_evidence), []
    if dm.height == 0:
        return True, []
    return True, [
        f"ambiguous day/month order in {rel_path}: assumed day-first; set the date order for "
        "this source if the phone used month-first (m/d/y) dates"
    ]


def _timestamps(lines: pl.DataFrame, day_first: bool, source_tz: str) -> pl.DataFrame:
    """Turn the header fields into a UTC instant, or say why a header's date/time is invalid."""
    year_first = pl.col("d1") >= 100
    year = pl.when(year_first).then(pl.col("d1")).otherwise(pl.col("d3"))
    year = pl.when(year < 100).then(year + 2000).otherwise(year)
    day_col, month_col = ("d1", "d2") if day_first else ("d2", "d1")
    month = pl.when(year_first).then(pl.col("d2")).otherwise(pl.col(month_col))
    day = pl.when(year_first).then(pl.col("d3")).otherwise(pl.col(day_col))
    pm = pl.col("ampm").str.contains(r"^[Pp]|午後")
    hour = (
        pl.when(pl.col("ampm").is_null())
        .then(pl.col("hour"))
        .otherwise(pl.col("hour") % 12 + pl.when(pm).then(12).otherwise(0))
    )
    local_text = pl.format(
        "{}-{}-{} {}:{}:{}", year, month, day, hour, pl.col("minute"), pl.col("second").fill_null(0)
    )
    local = local_text.str.strptime(pl.Datetime("us"), "%Y-%m-%d %H:%M:%S", strict=False)
    lines = lines.with_columns(
        local_at=local,
        sent_at=local.dt.replace_time_zone(source_tz, ambiguous="earliest", non_existent="null")
        .dt.convert_time_zone("UTC"),
    )
    order = "day-first" if day_first else "month-first"
    problem = (
        pl.when(pl.col("ampm").is_not_null() & (pl.col("hour") > 12))
        .then(pl.format("hour {} is not a 12-hour clock hour but the time has {}", "hour", "ampm"))
        .when(pl.col("local_at").is_null())
        .then(
            pl.format(
                "date/time {}-{}-{} {}:{} (year-month-day hour:minute, date read {}) is not a "
                "real calendar date and 24-hour time",
                year, month, day, hour, pl.col("minute"), pl.lit(order),
            )
        )
        .when(pl.col("sent_at").is_null())
        .then(pl.format("{} does not exist in {} (daylight-saving gap)", "local_at", pl.lit(source_tz)))
    )
    return lines.with_columns(problem=pl.when(pl.col("is_header")).then(problem))


def _records(lines: pl.DataFrame) -> pl.DataFrame:
    """One row per message: header fields plus its continuation lines, split into author/text."""
    records = (
        lines.filter(pl.col("msg_index").is_not_null())
        .group_by("msg_index", maintain_order=True)
        .agg(
            pl.col("line_no").first().alias("source_record"),
            pl.col("sent_at").first(),
            pl.col("problem").first(),
            pl.col("rest").first(),
            pl.col("raw").str.join("\n").alias("raw_record"),
            pl.col("clean").slice(1).alias("continuation"),
        )
    )
    author_split = pl.col("rest").str.extract_groups(r"^([^:]+?):(?: |$)?((?s).*)$")
    records = records.with_columns(
        author=author_split.struct.field("1").str.strip_chars(),
        body=author_split.struct.field("2"),
    )
    has_author = pl.col("author").is_not_null() & ~pl.col("author").str.contains(
        _SYSTEM_BEFORE_COLON
    )
    is_system = (
        ~has_author
        | pl.col("author").is_in(_SYSTEM_AUTHORS)
        | pl.col("body").str.strip_chars().str.contains(_SYSTEM_BODY)
    )
    full = pl.concat_list(
        pl.when(has_author).then(pl.col("body")).otherwise(pl.col("rest")), "continuation"
    ).list.join("\n").str.strip_chars_end("\n")
    return records.with_columns(
        is_system=is_system,
        actor=pl.when(has_author).then(pl.col("author")),
        text=full,
    )


def _messages(records: pl.DataFrame) -> pl.DataFrame:
    """Messages with their kind, handle and mentions."""
    body = pl.col("text").str.strip_chars()
    kind = (
        pl.when(body.str.contains(_DELETED))
        .then(pl.lit("deleted"))
        .when(body.str.contains(_STICKER))
        .then(pl.lit("sticker"))
        .when(body.str.contains(_MEDIA))
        .then(pl.lit("media"))
        .when(body != "")
        .then(pl.lit("text"))
        .otherwise(pl.lit("other"))
    )
    mentions = pl.col("raw_record").str.extract_all(_MENTION).list.eval(
        pl.element().str.replace_all(r"^@|[\x{2068}\x{2069}]", "")
    )
    return records.with_columns(raw_type=kind).select(
        "sent_at",
        _handle(pl.col("actor")).alias("sender_handle"),
        pl.col("actor").alias("sender_name"),
        pl.lit(False).alias("is_bot"),
        pl.when(pl.col("raw_type") == "deleted").then(pl.lit("other")).otherwise("raw_type").alias("kind"),
        pl.col("text").replace("", None),
        mentions.alias("mentions"),
        "raw_type",
        "source_record",
        pl.format("line {}", "source_record").alias("source_record_label"),
    )


def _handle(author: pl.Expr) -> pl.Expr:
    """Stable-ish sender handle: a phone number without spacing, or the name without `~ `."""
    digits_only = author.str.replace_all(r"[\s\-()]", "")
    is_phone = digits_only.str.contains(r"^\+?[0-9]{5,}$")
    return pl.when(is_phone).then(digits_only).otherwise(author.str.replace(r"^~\s*", ""))


def _events(records: pl.DataFrame) -> pl.DataFrame:
    """System lines as events; `X added A, B and C` becomes one join event per member."""
    # `text` is the notice: the whole line, or what follows `System:` / `Chat name:`
    notice = pl.col("text").str.strip_chars()
    event_type, actor, subject = pl.lit("other"), pl.lit(None, pl.String), pl.lit(None, pl.String)
    for name, pattern, actor_group, subject_group in reversed(_EVENT_PATTERNS):
        groups = notice.str.extract_groups(pattern)
        matched = notice.str.contains(pattern)
        event_type = pl.when(matched).then(pl.lit(name)).otherwise(event_type)
        actor = pl.when(matched).then(_group(groups, actor_group)).otherwise(actor)
        subject = pl.when(matched).then(_group(groups, subject_group)).otherwise(subject)
    per_member = pl.col("event_type").is_in(_PER_MEMBER)
    members = (
        pl.when(per_member)
        .then(pl.col("subject").str.replace(r" and ([^,]+)$", ", $1").str.split(", "))
        .otherwise(pl.concat_list(pl.col("subject").str.strip_chars("\"“”«»")))
    )
    events = records.with_columns(
        notice=notice, event_type=event_type, actor_name=actor, subject=subject
    ).with_columns(member=members, member_index=pl.int_ranges(members.list.len()))
    return events.explode("member", "member_index").select(
        pl.col("sent_at").alias("occurred_at"),
        "event_type",
        _handle(pl.col("actor_name")).alias("actor_handle"),
        pl.when(per_member).then(_handle(pl.col("member"))).alias("subject_handle"),
        pl.col("member").alias("subject_name"),
        pl.col("notice").alias("detail"),
        pl.when(per_member).then(pl.col("member_index")).alias("member_index"),
        "source_record",
        pl.format("line {}", "source_record").alias("source_record_label"),
    )


def _group(groups: pl.Expr, index: int) -> pl.Expr:
    """Capture group `index` of an `extract_groups` struct; 0 means the line does not name it."""
    return groups.struct.field(str(index)) if index else pl.lit(None, pl.String)


def _fingerprint(
    frame: pl.DataFrame, source_key: str, id_column: str, *, time: str, author: str, text: str
) -> pl.DataFrame:
    """Add `id_column`: a content fingerprint (assets/ingest/common.py). Rows of one multi-member
    event share the line's content and differ by `:<member index>`."""
    per_member = "member_index" in frame.columns
    member = pl.col("member_index").cast(pl.String) if per_member else pl.lit(None, dtype=pl.String)
    keyed = frame.with_columns(
        pl.lit(source_key).alias("fp_source_key"),
        pl.concat_str(pl.col(text).fill_null(""), member.fill_null(""), separator="\x1f").alias("fp_text"),
    )
    ids = content_fingerprints(
        keyed, source_key="fp_source_key", time=time, sender=author, text="fp_text", order="source_record"
    )
    return frame.with_columns(
        pl.concat_str(ids, pl.lit(":") + member, ignore_nulls=True).alias(id_column)
        if per_member else ids.alias(id_column)
    )


def _quarantine(lines: pl.DataFrame, records: pl.DataFrame) -> pl.DataFrame:
    """Headers with an impossible date/time, and text lines before the first header."""
    bad_headers = records.filter(pl.col("problem").is_not_null()).select(
        "source_record", pl.col("problem").alias("reason"), pl.col("raw_record").alias("raw")
    )
    orphans = lines.filter(pl.col("msg_index").is_null() & (pl.col("clean").str.strip_chars() != ""))
    orphans = orphans.select(
        pl.col("line_no").alias("source_record"),
        pl.lit(
            "text before the first message header; expected a header like `dd/mm/yyyy, HH:MM - "
            "Name: text` or `[dd/mm/yyyy, HH:MM:SS] Name: text`"
        ).alias("reason"),
        "raw",
    )
    return pl.concat([orphans, bad_headers]).sort("source_record").select(
        "source_record",
        pl.format("line {}", "source_record").alias("source_record_label"),
        "reason",
        pl.col("raw").str.slice(0, SNIPPET_CHARS).alias("raw_snippet"),
    )
