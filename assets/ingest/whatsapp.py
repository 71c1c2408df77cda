"""WhatsApp "Export chat" `.txt` parser: Android and iOS layouts in every locale dialect.

FORMATS.md §5 documents the format. A message is a header line (date, time, `Name: text`) plus
the continuation lines up to the next header. Years of a busy group reach a gigabyte, so the file
is read in blocks of whole lines (`encoding.TextStream`) and parsed block by block with Polars:
each line is classified as header or not, continuation lines are joined to their header and the
messages of a block are fingerprinted together (STYLE.md: no per-line Python loop).

Decisions worth knowing
- The format has no chat id, so `source_key` (and `source_name`) is the chat name taken from the
  file name: `WhatsApp Chat with <name>.txt` → name, iOS `_chat.txt` → its folder's name.
- Day/month order is not written anywhere. `date_order` (settings.yaml
  `sources.whatsapp.date_order`) may say it; by default ("auto") it is decided per file from the
  first date that shows it: a first date field > 12 means day-first, a second field > 12 means
  month-first. Until then lines wait in memory (in practice a day 13 comes within two weeks of
  chat); with no evidence in the whole file it is read day-first and a warning says so (never
  silently). Once decided, headers that contradict the order are impossible dates and are
  quarantined, and a warning counts both kinds over the file. Year-first dates are always `y-m-d`.
- A message may straddle a block boundary: the lines from a block's last header on are carried
  into the next block, so every part holds whole messages only.
- Bidi marks (U+200E/U+200F, embeddings U+202A-U+202E, isolates U+2066-U+2069) are export
  artefacts: iOS puts LRM before placeholders, mentions are wrapped in isolates. They are removed
  from header, name and text so matching and lexicons see the visible text only.
- System lines (no `Name:` part, or a known notice after a name such as the end-to-end
  encryption banner, or a `System:` author in fixtures) become events; `X added A, B and C`
  gives one event per added member. Deleted messages stay messages with kind `other` and
  raw_type `deleted`, so nothing that was posted disappears from the audit trail.
- Lines may be out of chronological order (delivery delays): they are kept as written.
- `message_id`/`event_id` are fingerprints: a 128-bit hash of source_key, time, author, text and the
  occurrence index among identical tuples in the whole file (counted across blocks), so re-exports
  of the same chat get the same ids wherever the blocks happen to be cut.

Speed and memory: almost every line of a real export is an Android header with two-digit fields
(`31/01/2024, 09:05 - `), so those are recognised by one capture-free regex and their numbers read
from fixed byte offsets; only the other lines that start with `[` or a digit go through the dialect
regexes, and bidi removal runs only on lines that contain a U+2000-U+2FFF character. A block is
parsed in slices of `_SLICE_LINES` lines on `_PARSE_THREADS` threads (Polars releases the GIL) and
fingerprinted as a whole on another thread while the next block is parsed. On a 0.9 GB export the
time goes roughly: fingerprints (mostly DuckDB's SHA-1) a quarter, classifying lines and splitting
headers (`_classify`, `_records`) a third, kinds/handles/mentions (`_messages`) and timestamps the
rest.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from assets.ingest.common import Occurrences, content_fingerprints
from assets.ingest.encoding import TextStream
from assets.ingest.errors import ExportReadError
from assets.ingest.schema import DATE_ORDERS, SNIPPET_CHARS, ParseResult

PLATFORM = "whatsapp"

#: Invisible direction marks removed before matching (FORMATS.md §5): LRM/RLM, embeddings
#: U+202A-U+202E and isolates U+2066-U+2069, replaced as literals (Aho-Corasick, no regex).
_BIDI_MARK_CHARS = [*"\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"]
#: Every bidi mark is a character U+2000-U+2FFF, whose UTF-8 starts with this byte; finding a byte
#: is several times cheaper than finding any of a dozen characters, and few lines have it.
_BIDI_LEAD_BYTE = b"\xe2"

#: The same marks as a class for Python's `re` (sniffing); the header patterns work in both engines.
_PY_BIDI_MARKS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")

_DATE = r"([0-9]{1,4})[./-]([0-9]{1,2})[./-]([0-9]{1,4})"
_TIME = r"([0-9]{1,2})[:.]([0-9]{2})(?:[:.]([0-9]{2}))?"
#: `AM`, `am`, `a.m.`, `a. m.` (NBSP or U+202F allowed: `\s` is Unicode-aware), `午前/午後`.
_AMPM = r"(?:\s*([AaPp]\.?\s?[Mm]\.?|午前|午後))?"

#: One regex per header layout; groups: d1, d2, d3, hour, minute, second, am/pm, rest of line.
#: When several match, the first one listed wins.
HEADER_DIALECTS: dict[str, str] = {
    # [dd/mm/yyyy, HH:MM:SS] Name: text · [m/d/yy h:mm:ss AM] · [2018/06/13, 21:25:15]
    "ios_bracketed": rf"^\[{_DATE},?\s*{_TIME}{_AMPM}\]\s?(.*)$",
    # dd/mm/yyyy, HH:MM - Name: text · 13.6.2018 klo 21.25.15 - · 28/3/2025 9:29 p. m. -
    "android": rf"^{_DATE}(?:,\s*|\s+klo\s+|\s+){_TIME}{_AMPM}\s+-\s(.*)$",
    # 13.06.18 21.25.15: Name: text
    "ios_colon": rf"^{_DATE},?\s+{_TIME}{_AMPM}:\s(.*)$",
}
_HEADER_FIELDS = ("d1", "d2", "d3", "hour", "minute", "second", "ampm", "rest")
_NUMBER_FIELDS = ("d1", "d2", "d3", "hour", "minute", "second")

#: The common Android layout with two-digit fields (`31/01/2024, 09:05 - `). On such a line the
#: `android` dialect (and no earlier one) matches with the fields at these fixed offsets, so no
#: capturing regex is needed: captures cost about ten times a plain match.
_FIXED_ANDROID = r"^[0-9]{2}[./-][0-9]{2}[./-][0-9]{4}, [0-9]{2}:[0-9]{2} - "
_FIXED_FIELDS = {"d1": (0, 2), "d2": (3, 2), "d3": (6, 4), "hour": (12, 2), "minute": (15, 2)}
_FIXED_REST = 20
#: Every dialect starts with `[` or a digit: other lines are continuation lines outright.
_MAYBE_HEADER = r"^[\[0-9]"

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
#: Media placeholders, case-insensitively: `<Media omitted>`, `image omitted`, `<attached: …>` (a
#: whole body), or one line ending in `(file attached)`. The second pattern is anchored at the end
#: only, so the regex engine tries it from the end of the body instead of scanning it; "one line"
#: is checked apart (`.` does not match a newline in the equivalent `^.*\(file attached\)$`).
_MEDIA_PLACEHOLDER = (
    r"(?i)^(?:<[^<>]*(?:omitted|omis|ausgelassen|omitido|omessi|weggelaten|なし)>"
    r"|(?:image|video|audio|GIF|document|Contact card|photo) omitted"
    r"|<(?:attached|adjunto|anexo|allegato|angehängt|pièce jointe): [^<>]+>)$"
)
_MEDIA_ATTACHED = (
    r"(?i)\((?:file attached|Datei angehängt|fichier joint|archivo adjunto|arquivo anexado"
    r"|file allegato|ファイル添付)\)$"
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

#: Lines parsed at a time within a block: the intermediate frames of a slice are several times
#: its size, so a block is parsed ~10 MB at a time to keep the peak memory low and to give the
#: parse threads pieces to share (the ids are still computed once per block, see `_part`).
_SLICE_LINES = 1 << 17

#: Bytes read per block: half of `encoding.BLOCK_BYTES`. Two blocks are in flight (one parsed while
#: the previous one is fingerprinted, see `parse_parts`) and their intermediate frames are several
#: times the text's size, so this keeps a 1 GB export under ~1.3 GB of memory instead of ~1.8 GB,
#: at the same speed.
_BLOCK_BYTES = 32 << 20

#: Threads parsing the slices of a block: Polars releases the GIL, but most of its string kernels
#: use one core per expression, so slices are parsed side by side to use the machine.
_PARSE_THREADS = 2

_ORPHAN_REASON = (
    "text before the first message header; expected a header like `dd/mm/yyyy, HH:MM - "
    "Name: text` or `[dd/mm/yyyy, HH:MM:SS] Name: text`"
)

def parse(
    path: Path, *, rel_path: str, source_tz: str = "Asia/Shanghai", date_order: str = "auto"
) -> ParseResult:
    """The whole file as one result (see `parse_parts`)."""
    return ParseResult.combine(
        parse_parts(path, rel_path=rel_path, source_tz=source_tz, date_order=date_order)
    )


def parse_parts(
    path: Path,
    *,
    rel_path: str,
    source_tz: str = "Asia/Shanghai",
    date_order: str = "auto",
    block_bytes: int = _BLOCK_BYTES,
) -> Iterator[ParseResult]:
    """Parse one WhatsApp chat export, block by block, into messages, system events and
    quarantined lines: one result per block of the file and a last one for the file's last
    message (held back in case it went on), memory bounded by the block size.

    Times are the phone's wall clock with no offset; they are read in `source_tz`. `date_order`
    is "auto" (decide from the file's dates), "day_first" or "month_first" (see the module
    docstring). Warnings about the day/month order need the whole file, so they come with the
    last part.
    """
    if date_order not in DATE_ORDERS:
        raise ValueError(f"date_order must be one of {', '.join(DATE_ORDERS)}; got {date_order!r}")
    stream = TextStream(path, display_path=rel_path, block_bytes=block_bytes)
    context = _Context(chat=chat_name(path), rel_path=rel_path, source_tz=source_tz, stream=stream)
    messages = _MessageStream(_DayOrder(date_order))
    end_offset = 0
    with ThreadPoolExecutor(_PARSE_THREADS) as workers, ThreadPoolExecutor(1) as finisher:
        pending: Future[ParseResult] | None = None
        for block, lines in stream.line_frames():
            end_offset = block.end_offset
            runs = _parse_block(lines, messages, context, workers)
            ready, pending = pending, finisher.submit(_finish_part, runs, context, end_offset)
            if ready is not None:
                yield ready.result()
        # the file's last message, and lines still waiting for day/month evidence
        runs = [workers.submit(_parse_run, run, day_first, messages.order.note(), context)
                for run, day_first in messages.finish()]
        if pending is not None:
            yield pending.result()
        if not messages.headers:
            raise ExportReadError(
                rel_path,
                "no WhatsApp message header found; expected lines like `dd/mm/yyyy, HH:MM - Name: "
                "text` (Android) or `[dd/mm/yyyy, HH:MM:SS] Name: text` (iOS)",
            )
        yield _finish_part(runs, context, end_offset, messages.order.warnings(rel_path))


def _parse_block(
    lines: pl.DataFrame, messages: _MessageStream, context: _Context, workers: ThreadPoolExecutor
) -> list[Future[_Run]]:
    """Parse a block's lines slice by slice on `workers`: slices are classified in parallel, cut
    into runs of whole messages in file order (`messages` is not thread-safe, so only this thread
    feeds it), and each run is parsed as soon as it is complete."""
    # `read_lines` hands back dozens of chunks; one (views only, ~1 ms) makes every step cheaper
    lines = lines.rechunk()
    slices = [lines.slice(start, _SLICE_LINES) for start in range(0, lines.height, _SLICE_LINES)]
    return [
        workers.submit(_parse_run, run, day_first, messages.order.note(), context)
        for classified in workers.map(_classify, slices)
        for run, day_first in messages.feed(classified)
    ]


def _finish_part(
    runs: list[Future[_Run]], context: _Context, end_offset: int, warnings: list[str] | None = None
) -> ParseResult:
    """`_part` of the runs once they are parsed. Parts are finished one at a time and in file
    order (the occurrence counters run across them), on one thread that fingerprints a block while
    the next one is parsed."""
    return _part([run.result() for run in runs], context, end_offset, warnings)


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


# --- streaming state ------------------------------------------------------------------------------


@dataclass
class _Context:
    """What every block of one file is parsed with; the occurrence counters carry fingerprint
    numbering across blocks (one per id space: messages and events are fingerprinted apart)."""

    chat: str
    rel_path: str
    source_tz: str
    stream: TextStream  # its `encoding` is final once the file has been read
    message_occurrences: Occurrences = field(default_factory=Occurrences)
    event_occurrences: Occurrences = field(default_factory=Occurrences)


@dataclass
class _DayOrder:
    """Day-first or month-first for one file: set, or decided from the first header that shows
    it ("auto"), with the evidence counted over the whole file for the warnings."""

    setting: str
    day_first: bool | None = None
    decided_at: int | None = None  # line of the header that decided ("auto")
    day_evidence: int = 0
    month_evidence: int = 0
    day_month_headers: int = 0

    def __post_init__(self) -> None:
        if self.setting != "auto":
            self.day_first = self.setting == "day_first"

    @property
    def auto(self) -> bool:
        return self.setting == "auto"

    def observe(self, lines: pl.DataFrame) -> None:
        """Count the evidence in `lines` (whole messages, in file order) and decide at the first."""
        day_month = pl.col("is_header") & (pl.col("d1") < 100)
        says_day, says_month = day_month & (pl.col("d1") > 12), day_month & (pl.col("d2") > 12)
        found = lines.select(
            day_month.sum().alias("day_month"),
            says_day.sum().alias("day"),
            says_month.sum().alias("month"),
            pl.col("line_no").filter(says_day).first().alias("first_day"),
            pl.col("line_no").filter(says_month).first().alias("first_month"),
        ).row(0, named=True)
        self.day_month_headers += found["day_month"]
        self.day_evidence += found["day"]
        self.month_evidence += found["month"]
        first_day, first_month = found["first_day"], found["first_month"]
        if self.day_first is None and (first_day is not None or first_month is not None):
            self.day_first = first_month is None or (first_day is not None and first_day <= first_month)
            self.decided_at = first_day if self.day_first else first_month

    def note(self) -> str:
        """How the order was chosen, for quarantine reasons of dates that do not fit it."""
        order = "day-first" if self.day_first is not False else "month-first"
        if not self.auto:
            return f"{order} as sources.whatsapp.date_order sets"
        if self.decided_at is not None:
            return f"{order}, the order line {self.decided_at} shows"
        return f"{order} (assumed)"

    def warnings(self, rel_path: str) -> list[str]:
        if not self.auto:
            return []
        if self.day_evidence and self.month_evidence:
            order = "day" if self.day_first else "month"
            return [
                f"{rel_path}: conflicting day/month order ({self.day_evidence} headers have a first "
                f"date field > 12, {self.month_evidence} a second field > 12): read {order}-first as "
                f"line {self.decided_at}, the first of them, shows; the other headers are "
                "quarantined. If that is wrong, set `sources.whatsapp.date_order` in settings.yaml"
            ]
        if self.day_evidence or self.month_evidence or not self.day_month_headers:
            return []
        return [
            f"ambiguous day/month order in {rel_path}: assumed day-first (no date field is above "
            "12); if the phone wrote month-first (m/d/y) dates, set "
            "`sources.whatsapp.date_order: month_first` in settings.yaml"
        ]


class _MessageStream:
    """Cuts a file's classified lines, block by block, into runs of whole messages whose
    day/month order is known.

    The lines from a block's last header on may continue in the next block, so they are carried
    over (except at the end of the file). In "auto" order, runs wait in `pending` until a date
    decides the order; runs without any day/month date (year-first files) do not depend on it
    and go through at once.
    """

    def __init__(self, order: _DayOrder) -> None:
        self.order = order
        self.carry: pl.DataFrame | None = None
        self.pending: list[pl.DataFrame] = []
        self.pending_day_month = False  # whether a pending line has a date whose order matters
        self.headers = 0

    def feed(self, lines: pl.DataFrame) -> list[tuple[pl.DataFrame, bool]]:
        """The runs `(lines, day_first)` that these lines (the next ones of the file) complete,
        in file order; the last message is kept back as it may go on in the next lines."""
        if self.carry is not None:
            lines = pl.concat([self.carry, lines])
            self.carry = None
        header_rows = lines.get_column("is_header").arg_true()
        if header_rows.len():
            cut = header_rows[-1]
            lines, self.carry = lines.slice(0, cut), lines.slice(cut)
        return self._complete(lines)

    def finish(self) -> list[tuple[pl.DataFrame, bool]]:
        """At the end of the file: the last message and whatever still waits for evidence, read
        day-first when no date ever showed the order."""
        runs = self._complete(self.carry) if self.carry is not None else []
        self.carry = None
        if self.order.day_first is None:
            runs += [(run, True) for run in self.pending if run.height]
            self.pending = []
        return runs

    def _complete(self, lines: pl.DataFrame) -> list[tuple[pl.DataFrame, bool]]:
        self.headers += int(lines.get_column("is_header").sum())
        if self.order.auto:
            self.order.observe(lines)
        if self.order.day_first is not None:
            runs, self.pending = [*self.pending, lines], []
            return [(run, self.order.day_first) for run in runs if run.height]
        self.pending.append(lines)
        self.pending_day_month |= lines.select((pl.col("is_header") & (pl.col("d1") < 100)).any()).item()
        if not self.pending_day_month:
            # nothing here depends on the order (no dates or only year-first ones): go on
            runs, self.pending = self.pending, []
            return [(run, True) for run in runs if run.height]
        return []


# --- lines ----------------------------------------------------------------------------------------


def _classify(lines: pl.DataFrame) -> pl.DataFrame:
    """`(line_no, raw)` → plus `clean` (no bidi marks or leading BOM), the header fields (null on
    continuation lines) and `is_header`.

    Eager Polars does not share common subexpressions, so intermediate results that several
    expressions use are materialised as columns first (here and below)."""
    lines = lines.with_columns(_cleaned(lines.get_column("raw")).alias("clean"))
    lines = lines.with_columns(fixed=pl.when(pl.col("clean").str.contains(_FIXED_ANDROID)).then(pl.col("clean")))
    lines = lines.with_columns(
        *(_fixed_number(start, length).alias(name) for name, (start, length) in _FIXED_FIELDS.items()),
        pl.lit(None, pl.Int32).alias("second"),
        pl.lit(None, pl.String).alias("ampm"),
        pl.col("fixed").str.slice(_FIXED_REST).alias("rest"),
    ).drop("fixed")
    others = lines.filter(pl.col("rest").is_null() & pl.col("clean").str.contains(_MAYBE_HEADER))
    if others.height:
        lines = lines.update(_dialect_fields(others.select("line_no", "clean")), on="line_no")
    return lines.with_columns(is_header=pl.col("rest").is_not_null())


def _fixed_number(start: int, length: int) -> pl.Expr:
    """The ASCII digits at byte offsets `start`..`start + length` of `fixed` as a number, from
    their byte values: cheaper than slicing out a string and parsing it (the layout regex has
    checked that they are digits)."""
    data = pl.col("fixed").cast(pl.Binary)
    number = pl.lit(0, pl.Int32)
    for offset in range(start, start + length):
        number = number * 10 + (data.bin.get(offset, null_on_oob=True).cast(pl.Int32) - ord("0"))
    return number


def _cleaned(raw: pl.Series) -> pl.Series:
    """`raw` without bidi marks and leading BOMs, replacing only in the lines that can have one:
    a mark is a U+2000-U+2FFF character (its first byte is `_BIDI_LEAD_BYTE`); the replacement
    changes nothing in the other candidates."""
    data = raw.cast(pl.Binary)
    candidates = (data.bin.contains(_BIDI_LEAD_BYTE) | data.bin.starts_with(codecs.BOM_UTF8)).arg_true()
    if not candidates.len():
        return raw
    cleaned = (
        raw.gather(candidates)
        .str.replace_many(_BIDI_MARK_CHARS, [""] * len(_BIDI_MARK_CHARS))
        .str.strip_chars_start("\ufeff")
    )
    return raw.clone().scatter(candidates, cleaned)


def _dialect_fields(lines: pl.DataFrame) -> pl.DataFrame:
    """Header fields of the lines that match a dialect, by the first dialect (in `HEADER_DIALECTS`
    order) that matches; each dialect runs only on the lines the earlier ones left."""
    matched = []
    for name, pattern in HEADER_DIALECTS.items():
        if not lines.height:
            break
        if name == "ios_bracketed":
            candidates = lines.filter(pl.col("clean").str.starts_with("["))
        else:
            candidates = lines
        fields = candidates.select(
            "line_no",
            pl.col("clean").str.extract_groups(pattern).struct.rename_fields(list(_HEADER_FIELDS)).alias("f"),
        ).unnest("f").filter(pl.col("rest").is_not_null())
        matched.append(fields)
        lines = lines.join(fields.select("line_no"), on="line_no", how="anti", maintain_order="left")
    return pl.concat(matched).with_columns(pl.col(_NUMBER_FIELDS).cast(pl.Int32, strict=False))


# --- one run of whole messages ----------------------------------------------------------------------


def _part(parsed: list[_Run], context: _Context, end_offset: int, warnings: list[str] | None = None) -> ParseResult:
    """One part from the runs parsed since the last one, fingerprinted together (one DuckDB query
    and one `Occurrences` lookup per block rather than per run)."""
    frames = {}
    if parsed:
        source = (
            pl.lit(PLATFORM).alias("platform"),
            pl.lit(context.chat).alias("source_key"),
            pl.lit(context.chat).alias("source_name"),
            pl.lit(context.rel_path).alias("source_file"),
        )
        # one chunk per column (the runs' frames are several): fingerprinting is then cheaper
        messages = _fingerprint(
            pl.concat([run.messages for run in parsed], rechunk=True),
            context.chat,
            "message_id",
            context.message_occurrences,
            time="sent_at",
            author="sender_handle",
            text="text",
        )
        events = _fingerprint(
            pl.concat([run.events for run in parsed]),
            context.chat,
            "event_id",
            context.event_occurrences,
            time="occurred_at",
            author="actor_handle",
            text="detail",
        )
        frames = {
            "messages": messages.with_columns(*source),
            "events": events.with_columns(*source),
            "quarantine": pl.concat([run.quarantine for run in parsed]).with_columns(*source),
        }
    return ParseResult(
        format=PLATFORM,
        encoding=context.stream.encoding,
        **frames,
        timezone_assumed=context.source_tz,
        warnings=warnings or [],
        end_offset=end_offset,
    ).conformed()


@dataclass
class _Run:
    """A run of whole messages, parsed but without ids yet."""

    messages: pl.DataFrame
    events: pl.DataFrame
    quarantine: pl.DataFrame


def _parse_run(lines: pl.DataFrame, day_first: bool, order_note: str, context: _Context) -> _Run:
    """Messages, events and quarantine rows of a run of whole messages (in file order)."""
    lines = lines.with_columns(msg=pl.col("is_header").cum_sum())
    records = _timestamps(_records(lines), day_first, context.source_tz)
    good = pl.col("sent_at").is_not_null() & ~pl.col("bad_ampm")
    bad = records.filter(~good).with_columns(reason=_problem(order_note, context.source_tz))
    # only the columns the output needs are filtered (twice): a filter copies every column
    records = records.filter(good).select(
        "source_record", "sent_at", "actor", "text", "stripped", "raw_record", "is_system"
    )
    return _Run(
        messages=_messages(records.filter(~pl.col("is_system"))),
        events=_events(records.filter(pl.col("is_system"))),
        quarantine=_quarantine(lines, bad),
    )


def _records(lines: pl.DataFrame) -> pl.DataFrame:
    """One row per message: header fields plus its continuation lines, split into author/text,
    and `stripped` (a message's text without surrounding whitespace, which its kind is matched
    on; computed once, as most texts are the header's body, whose stripped form notices need).

    Most messages are one line, so only the continuation lines are grouped, and the few
    multi-line messages are completed in place (`_with_continuations`)."""
    is_header = lines.get_column("is_header")
    headers = lines.select("line_no", *_HEADER_FIELDS, "raw").filter(is_header)
    # `Name: text` splits at the first colon (a name has none); one space after it belongs to it
    records = headers.with_columns(pl.col("rest").str.splitn(":", 2).alias("split")).unnest("split")
    has_colon = pl.col("field_1").is_not_null() & (pl.col("field_0") != "")
    records = records.with_columns(
        pl.when(has_colon).then(pl.col("field_0").str.strip_chars()).alias("author"),
        pl.when(has_colon).then(pl.col("field_1").str.strip_prefix(" ")).alias("body"),
    ).with_columns(
        (pl.col("author").is_not_null() & ~pl.col("author").str.contains(_SYSTEM_BEFORE_COLON)).alias("has_author"),
        pl.col("body").str.strip_chars().alias("stripped_body"),
    )
    is_system = (
        ~pl.col("has_author")
        | pl.col("author").is_in(_SYSTEM_AUTHORS)
        | pl.col("stripped_body").str.contains(_SYSTEM_BODY)
    )
    records = records.select(
        pl.col("line_no").alias("source_record"),
        *_HEADER_FIELDS,
        pl.col("raw").alias("raw_record"),
        is_system.alias("is_system"),
        pl.when(pl.col("has_author")).then(pl.col("author")).alias("actor"),
        pl.when(pl.col("has_author")).then(pl.col("body")).otherwise(pl.col("rest")).alias("text"),
        pl.when(pl.col("has_author")).then(pl.col("stripped_body")).alias("stripped"),
    )
    continuation = lines.filter(~is_header & (pl.col("msg") > 0))
    return _with_continuations(records, continuation) if continuation.height else records


def _with_continuations(records: pl.DataFrame, continuation: pl.DataFrame) -> pl.DataFrame:
    """Append each message's continuation lines to its `text` (cleaned; trailing blank lines
    dropped; `stripped` follows) and `raw_record` (raw). Message `msg` is row `msg - 1` of
    `records` (`msg` numbers the headers of the run from 1), so the few multi-line messages are
    written in place instead of joining every message."""
    # listing then joining is several times faster than `str.join` as a group aggregation
    joined = continuation.group_by("msg").agg("clean", "raw").select(
        (pl.col("msg") - 1).alias("row"),
        pl.col("clean").list.join("\n").alias("continuation"),
        pl.col("raw").list.join("\n").alias("raw_continuation"),
    )
    rows = joined.get_column("row")
    text, raw_record = records.get_column("text"), records.get_column("raw_record")
    completed = joined.select(
        pl.concat_str(pl.lit(text.gather(rows)), "continuation", separator="\n").str.strip_chars_end("\n"),
        pl.concat_str(pl.lit(raw_record.gather(rows)), "raw_continuation", separator="\n"),
    )
    texts = completed.to_series(0)
    return records.with_columns(
        text.clone().scatter(rows, texts),
        raw_record.clone().scatter(rows, completed.to_series(1)),
        records.get_column("stripped").clone().scatter(rows, texts.str.strip_chars()),
    )


def _timestamps(records: pl.DataFrame, day_first: bool, source_tz: str) -> pl.DataFrame:
    """Add `local_at` (null when the fields are not a real date and 24-hour time), `sent_at` (the
    UTC instant; null also in a daylight-saving gap) and `bad_ampm`.

    The instant is computed arithmetically from the integer fields instead of formatting every
    header as text and parsing it back (two string passes over every message). The validity rules
    are the ones strptime applied: month 1-12, a day that exists in that month, hour 0-23, minute
    0-59, second 0-60 (a leap second runs into the next minute)."""
    year_first = pl.col("d1") >= 100
    year = pl.when(year_first).then(pl.col("d1")).otherwise(pl.col("d3")).cast(pl.Int64)
    year = pl.when(year < 100).then(year + 2000).otherwise(year)
    day_col, month_col = ("d1", "d2") if day_first else ("d2", "d1")
    month = pl.when(year_first).then(pl.col("d2")).otherwise(pl.col(month_col)).cast(pl.Int64)
    day = pl.when(year_first).then(pl.col("d3")).otherwise(pl.col(day_col)).cast(pl.Int64)
    pm = pl.col("ampm").str.contains(r"^[Pp]|午後")
    hour = (
        pl.when(pl.col("ampm").is_null())
        .then(pl.col("hour"))
        .otherwise(pl.col("hour") % 12 + pl.when(pm).then(12).otherwise(0))
    ).cast(pl.Int64)
    second = pl.col("second").fill_null(0).cast(pl.Int64)
    records = records.with_columns(year=year, month=month, day=day, hour24=hour, sec=second)
    y, m, d = pl.col("year"), pl.col("month"), pl.col("day")
    valid = (
        m.is_between(1, 12)
        & d.is_between(1, _days_in_month(y, m))
        & pl.col("hour24").is_between(0, 23)
        & pl.col("minute").is_between(0, 59)
        & pl.col("sec").is_between(0, 60)
    )
    micros = (
        _days_from_civil(y, m, d) * 86_400
        + pl.col("hour24") * 3_600
        + pl.col("minute").cast(pl.Int64) * 60
        + pl.col("sec")
    ) * 1_000_000
    local = pl.when(valid).then(micros).cast(pl.Datetime("us"))
    return records.with_columns(local_at=local).with_columns(
        sent_at=pl.col("local_at")
        .dt.replace_time_zone(source_tz, ambiguous="earliest", non_existent="null")
        .dt.convert_time_zone("UTC"),
        bad_ampm=(pl.col("ampm").is_not_null() & (pl.col("hour") > 12)).fill_null(False),
    )


def _days_in_month(year: pl.Expr, month: pl.Expr) -> pl.Expr:
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    return (
        pl.when(month == 2)
        .then(pl.when(leap).then(29).otherwise(28))
        .when(month.is_in([4, 6, 9, 11]))
        .then(30)
        .otherwise(31)
    )


def _days_from_civil(year: pl.Expr, month: pl.Expr, day: pl.Expr) -> pl.Expr:
    """Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`)."""
    y = year - (month <= 2).cast(pl.Int64)
    era = y // 400
    year_of_era = y - era * 400
    day_of_year = (153 * ((month + 9) % 12) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146_097 + day_of_era - 719_468


def _problem(order_note: str, source_tz: str) -> pl.Expr:
    """Why a header's date/time is invalid (for the invalid rows only: formatting is not free)."""
    return (
        pl.when(pl.col("bad_ampm"))
        .then(pl.format("hour {} is not a 12-hour clock hour but the time has {}", "hour", "ampm"))
        .when(pl.col("local_at").is_null())
        .then(
            pl.format(
                "date/time {}-{}-{} {}:{} (year-month-day hour:minute, date read {}) is not a "
                "real calendar date and 24-hour time",
                "year", "month", "day", "hour24", "minute", pl.lit(order_note),
            )
        )
        .otherwise(pl.format("{} does not exist in {} (daylight-saving gap)", "local_at", pl.lit(source_tz)))
    )


# --- output frames ----------------------------------------------------------------------------------


def _messages(records: pl.DataFrame) -> pl.DataFrame:
    """Messages with their kind, handle and mentions."""
    body = pl.col("stripped")
    kind = (
        pl.when(body.str.contains(_DELETED))
        .then(pl.lit("deleted"))
        .when(body.str.contains(_STICKER))
        .then(pl.lit("sticker"))
        .when(
            body.str.contains(_MEDIA_PLACEHOLDER)
            | (body.str.contains(_MEDIA_ATTACHED) & ~body.str.contains("\n", literal=True))
        )
        .then(pl.lit("media"))
        .when(body != "")
        .then(pl.lit("text"))
        .otherwise(pl.lit("other"))
    )
    return records.with_columns(raw_type=kind).select(
        "sent_at",
        _handles(records.get_column("actor")).alias("sender_handle"),
        pl.col("actor").alias("sender_name"),
        pl.lit(False).alias("is_bot"),
        pl.when(pl.col("raw_type") == "deleted").then(pl.lit("other")).otherwise("raw_type").alias("kind"),
        pl.col("text").replace("", None),
        _mentions(records.get_column("raw_record")).alias("mentions"),
        "raw_type",
        "source_record",
        pl.concat_str(pl.lit("line "), "source_record").alias("source_record_label"),
    )


def _mentions(raw_records: pl.Series) -> pl.Series:
    """`@` mentions per message ([] when none). Every match starts with `@`, which the regex
    engine looks for at memchr speed, so messages without one cost next to nothing."""
    found = raw_records.str.extract_all(_MENTION)
    return found.list.eval(pl.element().str.replace_all(r"^@|[\x{2068}\x{2069}]", ""))


def _handles(authors: pl.Series) -> pl.Series:
    """`_handle` of each author, computed once per distinct author (a chat has few)."""
    distinct = authors.unique()
    return authors.replace(distinct, pl.select(_handle(pl.lit(distinct))).to_series())


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
    frame: pl.DataFrame,
    source_key: str,
    id_column: str,
    occurrences: Occurrences,
    *,
    time: str,
    author: str,
    text: str,
) -> pl.DataFrame:
    """Add `id_column`: a content fingerprint (assets/ingest/common.py), numbered across the
    file's blocks by `occurrences`. Rows of one multi-member event share the line's content and
    differ by `:<member index>`."""
    per_member = "member_index" in frame.columns
    member = pl.col("member_index").cast(pl.String) if per_member else pl.lit(None, dtype=pl.String)
    # the text of an id is `text U+001F member` ('' for no member), hence `text_suffix`
    keyed = frame.with_columns(pl.lit(source_key).alias("fp_source_key"), member.fill_null("").alias("fp_member"))
    ids = content_fingerprints(
        keyed,
        source_key="fp_source_key",
        time=time,
        sender=author,
        text=text,
        text_suffix="fp_member",
        order="source_record",
        occurrences=occurrences,
    )
    return frame.with_columns(
        pl.concat_str(ids, pl.lit(":") + member, ignore_nulls=True).alias(id_column)
        if per_member else ids.alias(id_column)
    )


def _quarantine(lines: pl.DataFrame, bad: pl.DataFrame) -> pl.DataFrame:
    """Headers with an impossible date/time, and text lines before the first header."""
    bad_headers = bad.select("source_record", "reason", pl.col("raw_record").alias("raw"))
    # `msg` (the header count so far) is 0 on the lines before the first header: a prefix
    before_first_header = lines.head(lines.get_column("msg").search_sorted(1, side="left"))
    orphans = before_first_header.filter(pl.col("clean").str.strip_chars() != "").select(
        pl.col("line_no").alias("source_record"), pl.lit(_ORPHAN_REASON).alias("reason"), "raw"
    )
    return pl.concat([orphans, bad_headers]).sort("source_record").select(
        "source_record",
        pl.format("line {}", "source_record").alias("source_record_label"),
        "reason",
        pl.col("raw").str.slice(0, SNIPPET_CHARS).alias("raw_snippet"),
    )
