"""The one staging schema every export parser produces.

Every parser module in this package turns one export file into three Polars frames with exactly
these columns and dtypes: messages, system events and quarantined records. Keeping the contract in
one place is what lets the SQL layers stay format-agnostic: `raw.chat_messages`,
`raw.chat_events` and `raw.ingest_quarantine` are these frames, appended per source file.

Conventions
- `sent_at` / `occurred_at` are UTC instants (`Datetime("us", "UTC")`).
- `source_record` is the 1-based physical line for line formats (WeCom JSONL, WhatsApp, QQ TXT)
  and the 1-based position in the export's message array for JSON formats (Telegram, Discord…);
  `source_record_label` says which, e.g. ``line 12`` or ``messages[3]``, so an analyst can open
  the file at the record.
- `message_id` is the format's own id where it has one (WeCom msgid, Telegram message id), else
  a content fingerprint; it is unique within `(platform, source_key)`.
- Handles are the platform's stable sender ids (WeCom userid, Telegram ``user123``); display
  names are kept apart because they change over time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import polars as pl

UTC_DATETIME = pl.Datetime("us", "UTC")

#: Message kinds. `text` is the only kind lexicons look at; `sticker` counts as an acknowledgement
#: (KPI_SPEC §3); `recall` rows are recall records (they remove `recalls_message_id` from counts).
MESSAGE_KINDS = ("text", "media", "sticker", "file", "link", "recall", "other")

MESSAGE_SCHEMA: dict[str, pl.DataType] = {
    "platform": pl.String(),
    "source_key": pl.String(),  # group id the export carries (WeCom roomid, Telegram chat id, ...)
    "source_name": pl.String(),  # chat name where the export has one
    "message_id": pl.String(),
    "sent_at": UTC_DATETIME,
    "sender_handle": pl.String(),
    "sender_name": pl.String(),
    "is_bot": pl.Boolean(),  # the format itself marks the sender as a bot
    "kind": pl.String(),
    "text": pl.String(),
    "reply_to_message_id": pl.String(),
    "mentions": pl.List(pl.String()),  # handles or display names @-mentioned
    "recalls_message_id": pl.String(),  # for kind == 'recall': the message it withdraws
    "raw_type": pl.String(),  # the format's own type code, kept for audits
    "source_file": pl.String(),
    "source_record": pl.Int64(),
    "source_record_label": pl.String(),
}

#: Membership and other system events: never counted as messages (KPI_SPEC §3).
EVENT_TYPES = ("join", "leave", "remove", "rename", "create", "other")

EVENT_SCHEMA: dict[str, pl.DataType] = {
    "platform": pl.String(),
    "source_key": pl.String(),
    "source_name": pl.String(),
    "event_id": pl.String(),
    "occurred_at": UTC_DATETIME,
    "event_type": pl.String(),
    "actor_handle": pl.String(),  # who did it (inviter, remover); may equal the subject
    "subject_handle": pl.String(),  # whose membership changed; a name where the format has no id
    "subject_name": pl.String(),
    "detail": pl.String(),  # the format's action text, e.g. Telegram `invite_members`
    "source_file": pl.String(),
    "source_record": pl.Int64(),
    "source_record_label": pl.String(),
}

QUARANTINE_SCHEMA: dict[str, pl.DataType] = {
    "platform": pl.String(),
    "source_file": pl.String(),
    "source_record": pl.Int64(),
    "source_record_label": pl.String(),
    "reason": pl.String(),  # what was expected, in words an analyst can act on
    "raw_snippet": pl.String(),  # at most SNIPPET_CHARS characters of the raw record
}

SNIPPET_CHARS = 200

#: `date_order` values: decide from the file's own dates, or say what the phone used.
DATE_ORDERS = ("auto", "day_first", "month_first")
#: Formats whose dates do not say whether they are day- or month-first (`sources.<platform>.date_order`).
DATE_ORDER_FORMATS = frozenset({"whatsapp"})


@dataclass(frozen=True)
class SourceOptions:
    """How to read one platform's exports where the file itself does not say (settings.yaml
    `sources.<platform>`): the zone of local wall-clock times, and for formats that write dates
    without their order (WhatsApp) whether they are day- or month-first."""

    timezone: str = "Asia/Shanghai"
    date_order: str = "auto"

    def stamp(self) -> str:
        """Stored with each loaded file: a changed setting makes the loader parse the file again."""
        return f"timezone={self.timezone};date_order={self.date_order}"


def empty(schema: dict[str, pl.DataType]) -> pl.DataFrame:
    return pl.DataFrame(schema=schema)


def conform(frame: pl.DataFrame, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """Select and cast `frame` to `schema`, adding missing columns as nulls.

    Parsers build only the columns their format has; this fills the rest so every frame appended
    to the raw tables has the same shape.
    """
    columns = []
    for name, dtype in schema.items():
        if name in frame.columns:
            columns.append(pl.col(name).cast(dtype))
        else:
            columns.append(pl.lit(None, dtype=dtype).alias(name))
    return frame.select(columns)


@dataclass
class ParseResult:
    """What a parser returns for one export file."""

    format: str
    encoding: str
    messages: pl.DataFrame = field(default_factory=lambda: empty(MESSAGE_SCHEMA))
    events: pl.DataFrame = field(default_factory=lambda: empty(EVENT_SCHEMA))
    quarantine: pl.DataFrame = field(default_factory=lambda: empty(QUARANTINE_SCHEMA))
    #: Local-time assumption used for fields without an offset (None when all times were epochs).
    timezone_assumed: str | None = None
    warnings: list[str] = field(default_factory=list)
    #: For one part of a file parsed in parts: bytes of the file consumed so far (progress).
    end_offset: int | None = None

    @classmethod
    def combine(cls, parts: Iterable["ParseResult"]) -> "ParseResult":
        """One result from the parts a streaming parser yields for one file, in file order.

        The encoding is the last part's: a file's encoding is only certain once it has been read.
        """
        parts = list(parts)
        if not parts:
            raise ValueError("a parser yielded no parts")
        last = parts[-1]
        return cls(
            format=last.format,
            encoding=last.encoding,
            messages=pl.concat([part.messages for part in parts]),
            events=pl.concat([part.events for part in parts]),
            quarantine=pl.concat([part.quarantine for part in parts]),
            timezone_assumed=next((p.timezone_assumed for p in parts if p.timezone_assumed), None),
            warnings=list(dict.fromkeys(w for part in parts for w in part.warnings)),
            end_offset=last.end_offset,
        ).conformed()

    def conformed(self) -> "ParseResult":
        self.messages = conform(self.messages, MESSAGE_SCHEMA)
        self.events = conform(self.events, EVENT_SCHEMA)
        self.quarantine = conform(self.quarantine, QUARANTINE_SCHEMA)
        return self


@dataclass(frozen=True)
class FileFacts:
    """What one file of a batch says of itself, beside its rows."""

    format: str
    encoding: str
    timezone_assumed: str | None = None
    warnings: tuple[str, ...] = ()


@dataclass
class BatchResult:
    """Many small files parsed together: their rows in one `ParseResult` (every row names its
    `source_file`) and each file's facts, in the order the files were given."""

    rows: ParseResult
    files: list[FileFacts]

    @classmethod
    def of(cls, results: list[ParseResult]) -> "BatchResult":
        """From one result per file (formats parsed file by file)."""
        return cls(
            rows=ParseResult(
                format=results[0].format,
                encoding=results[0].encoding,
                messages=pl.concat([r.messages for r in results]),
                events=pl.concat([r.events for r in results]),
                quarantine=pl.concat([r.quarantine for r in results]),
            ),
            files=[FileFacts(r.format, r.encoding, r.timezone_assumed, tuple(r.warnings)) for r in results],
        )
