"""Loading export files into the raw tables, idempotently and incrementally.

Each export file is one unit: its rows in `raw.chat_messages`, `raw.chat_events` and
`raw.ingest_quarantine` are replaced together (delete-then-insert in one transaction, part by part
for streaming parsers), keyed by the file's path relative to the data folder. A file whose content hash is unchanged is not read again; a
file that disappeared from the folder takes its rows with it. Re-running on the same input therefore
never double-counts, and a message present in two overlapping files is de-duplicated later, in
`staging.stg_chat__messages`, by its message id.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl

from assets.ingest.common import FINGERPRINT_VERSION, arrow_view
from assets.ingest.errors import ExportReadError
from assets.ingest.detect import BATCH_PARSERS, PARSERS, detect_format, parse_parts, platform_of
from assets.ingest.schema import (
    EVENT_SCHEMA, MESSAGE_SCHEMA, QUARANTINE_SCHEMA, BatchResult, ParseResult, SourceOptions, empty,
)

#: Bump when a parser changes what it produces, so unchanged files are parsed again; it carries
#: `FINGERPRINT_VERSION` because content fingerprints are part of what parsers produce.
PARSER_VERSION = f"7+{FINGERPRINT_VERSION}"

SOURCE_FILES_SCHEMA: dict[str, pl.DataType] = {
    "source_file": pl.String(),
    "format": pl.String(),
    "encoding": pl.String(),
    "size_bytes": pl.Int64(),
    "mtime_ns": pl.Int64(),  # with size_bytes: an unchanged file is not hashed again
    "sha256": pl.String(),
    "parser_version": pl.String(),
    "parse_options": pl.String(),  # SourceOptions.stamp(): a changed setting re-parses the file
    "timezone_assumed": pl.String(),
    "messages": pl.Int64(),
    "events": pl.Int64(),
    "quarantined": pl.Int64(),
    "warnings": pl.List(pl.String()),
}

RAW_TABLES = {
    "raw.chat_messages": MESSAGE_SCHEMA,
    "raw.chat_events": EVENT_SCHEMA,
    "raw.ingest_quarantine": QUARANTINE_SCHEMA,
    "raw.source_files": SOURCE_FILES_SCHEMA,
}

ProgressCallback = Callable[[str, int, int], None]  # (file, bytes done, bytes total)


@dataclass
class ExportFile:
    """One export unit: a file, or for a Slack folder export its `channels.json` standing for
    every file of the folder (`members`, which the content hash covers)."""

    path: Path
    rel_path: str
    format_hint: str | None  # from the folder name exports/<format>/
    members: tuple[Path, ...] = ()

    @property
    def size(self) -> int:
        return sum(p.stat().st_size for p in (self.members or (self.path,)))

    @property
    def mtime_ns(self) -> int:
        """The latest modification time of the unit's files (what a folder watcher compares)."""
        return max(p.stat().st_mtime_ns for p in (self.members or (self.path,)))

    def sha256(self) -> str:
        if not self.members:
            return sha256_of(self.path)
        digest = hashlib.sha256()
        for member in self.members:
            digest.update(member.relative_to(self.path.parent).as_posix().encode() + b"\0")
            digest.update(sha256_of(member).encode())
        return digest.hexdigest()


@dataclass
class IngestReport:
    """What one sync did, per file: the run summary and asset metadata come from this."""

    files: list[dict] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    @property
    def parsed(self) -> list[dict]:
        return [f for f in self.files if not f["skipped"]]


#: Documentation that travels with exports and is not one.
NOT_EXPORTS = {"readme.md", "readme.txt", "provenance.md"}


def is_export_candidate(path: Path, root: Path) -> bool:
    """A visible file under `root` that is not documentation."""
    return (path.is_file() and path.name.lower() not in NOT_EXPORTS
            and not any(part.startswith(".") for part in path.relative_to(root).parts))


def _is_slack_folder(folder: Path) -> bool:
    return (folder / "channels.json").is_file() and (folder / "users.json").is_file()


def export_units(root: Path, base: Path | None = None) -> list[ExportFile]:
    """Export units under `root`, sorted by path (the order de-duplication prefers); `rel_path` is
    relative to `base` (default `root`). A Slack folder export is one unit, not hundreds of files.
    A first-level folder named after a format (`exports/wecom/…`) names the parser of its files."""
    base = base or root
    slack_roots = sorted({p.parent for p in root.rglob("channels.json") if _is_slack_folder(p.parent)})
    units = []
    for root_dir in slack_roots:
        members = tuple(p for p in sorted(root_dir.rglob("*")) if is_export_candidate(p, root_dir))
        units.append(ExportFile(root_dir / "channels.json", (root_dir / "channels.json").relative_to(base).as_posix(),
                                "slack", members))
    for path in sorted(root.rglob("*")):
        if not is_export_candidate(path, root) or any(r in path.parents for r in slack_roots):
            continue
        folder = path.relative_to(root).parts[0]
        units.append(ExportFile(path, path.relative_to(base).as_posix(), folder if folder in PARSERS else None))
    return sorted(units, key=lambda unit: unit.rel_path)


def scan_exports(data_dir: Path) -> list[ExportFile]:
    """Export units under `data_dir/exports`, with paths relative to the data folder."""
    root = data_dir / "exports"
    if not root.is_dir():
        return []
    return export_units(root, data_dir)


def sha256_of(path: Path, chunk: int = 1 << 20) -> str:
    """The file's content hash; a file that vanished or cannot be read since the scan is an
    ExportReadError naming it, not a traceback."""
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            while block := handle.read(chunk):
                digest.update(block)
    except OSError as error:
        raise ExportReadError(path, f"cannot read the file ({error.strerror})") from None
    return digest.hexdigest()


#: Time spans of export rows loaded or removed since the KPIs were last computed: what lets
#: `kpi run` recompute only the months that changed (pipelines/changes.py), which empties it.
#: Not keyed by file like RAW_TABLES: removing a file must add to it, not take its rows away.
PENDING_CHANGES = "raw.pending_changes"


def ensure_raw_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create the raw tables, and add columns a newer version introduced to an older warehouse."""
    con.execute("create schema if not exists raw")
    con.execute(f"create table if not exists {PENDING_CHANGES} "
                "(source_file varchar, first_at timestamptz, last_at timestamptz, removed boolean)")
    for table, schema in RAW_TABLES.items():
        template = empty(schema)  # noqa: F841 - read by DuckDB's replacement scan below
        con.execute(f"create table if not exists {table} as select * from template")
        present = {row[0] for row in con.execute(f"describe {table}").fetchall()}
        for column in schema.keys() - present:
            sql_type = con.sql(f"select {column} from template limit 0").types[0]
            con.execute(f"alter table {table} add column {column} {sql_type}")


def _delete_files(con: duckdb.DuckDBPyConnection, rel_paths: list[str]) -> None:
    """Remove the files' rows from every raw table: one scan per table, however many files."""
    _note_changes(con, "(select * from raw.chat_messages where source_file in (select unnest($files)))",
                  "(select * from raw.chat_events where source_file in (select unnest($files)))", {"files": rel_paths},
                  removed=True)
    _note_recalled(con, "(select * from raw.chat_messages where source_file in (select unnest($files)))",
                   {"files": rel_paths})
    for table in RAW_TABLES:
        con.execute(f"delete from {table} where source_file in (select unnest($files))", {"files": rel_paths})


def _note_changes(con: duckdb.DuckDBPyConnection, messages: str, events: str, params: dict | None = None,
                  *, removed: bool = False) -> None:
    """Add the time span per file of the `messages` and `events` rows (relations) to PENDING_CHANGES,
    in the caller's transaction: the rows and the record of their change commit together. `removed`:
    the rows are being deleted (a file replaced or gone), which marts.fct_requests cannot trace to
    the request streams they belonged to (sql_runner.build_keys)."""
    con.execute(
        f"""
        insert into {PENDING_CHANGES}
        select source_file, min(instant), max(instant), {'true' if removed else 'false'}
        from (select source_file, sent_at as instant from {messages}
              union all select source_file, occurred_at from {events})
        where instant is not null
        group by all
        """,
        params or {},
    )


def _note_recalled(con: duckdb.DuckDBPyConnection, messages: str, params: dict | None = None) -> None:
    """Add the send time of every loaded message a recall record among `messages` withdraws to
    PENDING_CHANGES: a recall changes the message it withdraws (no longer counted), in whatever month
    that was sent. Callers pass only recalls whose message is not among the rows they note anyway."""
    con.execute(
        f"""
        insert into {PENDING_CHANGES}
        select recall.source_file, recalled.sent_at, recalled.sent_at, false
        from {messages} as recall
        inner join raw.chat_messages as recalled
            on recalled.platform = recall.platform
            and recalled.source_key = recall.source_key
            and recalled.message_id = recall.recalls_message_id
        where recall.kind = 'recall'
        """,
        params or {},
    )


def _recalls_of_other_rows(messages: pl.DataFrame) -> pl.DataFrame:
    """The recall records among `messages` whose withdrawn message is not among them."""
    keys = ["platform", "source_key"]
    recalls = messages.filter((pl.col("kind") == "recall") & pl.col("recalls_message_id").is_not_null())
    if not recalls.height:
        return recalls
    return recalls.join(messages.select(*keys, "message_id"), left_on=[*keys, "recalls_message_id"],
                        right_on=[*keys, "message_id"], how="anti")


def _insert(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> None:
    if frame.height:
        con.register("part_frame", arrow_view(frame))
        try:
            con.execute(f"insert into {table} by name select * from part_frame")
        finally:
            con.unregister("part_frame")


#: The tables a file's parts are written to before they replace its rows (see `_load_file`).
_PART_TABLES = {table: f"{table}__loading" for table in ("raw.chat_messages", "raw.chat_events", "raw.ingest_quarantine")}


#: Files up to this size are parsed and loaded together with others (`_parse_batch`); bigger ones
#: are streamed part by part (`_load_file`). An operator's archive is often thousands of files of
#: a few hundred KB (one per room per day or month), where per-file queries and transactions
#: would cost more than the parsing itself.
SMALL_FILE_BYTES = 16 << 20
#: Input bytes per batch: its parsed rows are held in memory until its one transaction.
BATCH_BYTES = 96 << 20
#: Files per batch, however small they are.
BATCH_FILES = 2000


@dataclass
class _Planned:
    """A file to load, with how to read it."""

    export: ExportFile
    sha: str
    fmt: str | None
    options: SourceOptions
    size: int  # as planned (one stat per file per run)
    mtime_ns: int

    @property
    def streamed(self) -> bool:
        """Loaded alone, part by part: big files, and folder exports."""
        return self.size > SMALL_FILE_BYTES or bool(self.export.members)


def sync_exports(
    con: duckdb.DuckDBPyConnection,
    data_dir: Path,
    *,
    source_options: Callable[[str], SourceOptions],
    format_override: str | None = None,
    progress: ProgressCallback | None = None,
) -> IngestReport:
    """Bring the raw tables in line with the files under `data_dir/exports`.

    A file whose size and modification time match its loaded row is not hashed again (that is
    what a re-run costs: a stat per file); otherwise its sha256 decides whether it is read again.
    """
    ensure_raw_tables(con)
    files = scan_exports(data_dir)
    loaded = _loaded_files(con)
    todo, touched = _plan(files, loaded, source_options, format_override)
    total = sum(plan.size for plan in todo) or 1
    done = 0

    def advance(rel_path: str, offset: int) -> None:
        if progress:
            progress(rel_path, done + offset, total)

    batches = _batches(todo)
    # Small-file batches are parsed one ahead, on a second thread, while this one writes the
    # previous batch: reading and splitting files is Python and Polars work that left one of the
    # two cores idle while DuckDB inserted (~1.5 cores used instead of ~2). At most two batches'
    # rows are in memory at once.
    with ThreadPoolExecutor(max_workers=1) as parser:
        upcoming = {}

        def parse_ahead(index: int) -> None:
            if index < len(batches) and not batches[index][0].streamed:
                upcoming[index] = parser.submit(_parse_batch, batches[index])

        parse_ahead(0)
        for index, batch in enumerate(batches):
            parse_ahead(index + 1)
            if batch[0].streamed:
                plan = batch[0]
                _load_file(con, plan, on_bytes=lambda offset: advance(plan.export.rel_path, min(offset, plan.size)))
            else:
                _write_batch(con, upcoming.pop(index).result(),
                             replace={plan.export.rel_path for plan in batch} & loaded.keys())
            done += sum(plan.size for plan in batch)
            advance(batch[-1].export.rel_path, 0)
    _remember_mtimes(con, touched)
    present = {f.rel_path for f in files}
    removed = sorted(set(loaded) - present)
    if removed:
        _in_transaction(con, lambda: _delete_files(con, removed))
    listing = {row[0]: row[1:] for row in con.execute(
        "select source_file, format, messages, events, quarantined from raw.source_files").fetchall()}
    parsed = {plan.export.rel_path: plan.sha for plan in todo}
    report = IngestReport(removed=removed)
    sizes = {plan.export.rel_path: plan.size for plan in todo}
    for export in files:
        fmt, messages, events, quarantined = listing[export.rel_path]
        report.files.append({
            "source_file": export.rel_path, "skipped": export.rel_path not in parsed,
            "sha256": parsed.get(export.rel_path) or loaded[export.rel_path].sha,
            "size_bytes": sizes[export.rel_path] if export.rel_path in sizes else loaded[export.rel_path].size,
            "format": fmt, "messages": messages, "events": events, "quarantined": quarantined,
        })
    return report


@dataclass(frozen=True)
class _Loaded:
    """What a loaded file's row in `raw.source_files` says about how it was read."""

    platform: str  # the `format` column: parsers write their platform there
    sha: str
    version: str
    options: str
    size: int
    mtime_ns: int | None


def _loaded_files(con: duckdb.DuckDBPyConnection) -> dict[str, _Loaded]:
    rows = con.execute("select source_file, format, sha256, parser_version, parse_options, size_bytes, mtime_ns "
                       "from raw.source_files").fetchall()
    return {row[0]: _Loaded(*row[1:]) for row in rows}


def _plan(
    files: list[ExportFile],
    loaded: dict[str, _Loaded],
    source_options: Callable[[str], SourceOptions],
    format_override: str | None,
) -> tuple[list[_Planned], dict[str, int]]:
    """The files to (re)load, and the loaded files whose content is unchanged but whose
    modification time moved (a copy, a `touch`): their new time is remembered so the next run
    need not hash them again.

    Hashing is the one cost every file pays on every run, so it happens only when size or time
    differ, on two threads (hashlib releases the GIL)."""
    candidates = []
    for export in files:
        size, mtime_ns = export.size, export.mtime_ns
        before = loaded.get(export.rel_path)
        if before is not None and (before.size, before.mtime_ns, before.version) == (size, mtime_ns, PARSER_VERSION):
            # unchanged since it was loaded: its stored platform (what options are keyed by)
            # spares reading its head to detect the format again
            platform = platform_of(format_override or export.format_hint or before.platform)
            if before.options == source_options(platform).stamp():
                continue
        # detect first: how to read a source is configured per platform
        fmt = format_override or export.format_hint or detect_format(export.path)
        options = source_options(platform_of(fmt) if fmt else "default")
        current = before is not None and (before.version, before.options) == (PARSER_VERSION, options.stamp())
        candidates.append((export, fmt, options, size, mtime_ns, current))
    with ThreadPoolExecutor(max_workers=2) as pool:
        hashes = list(pool.map(lambda item: item[0].sha256(), candidates))
    todo, touched = [], {}
    for (export, fmt, options, size, mtime_ns, current), sha in zip(candidates, hashes):
        if current and loaded[export.rel_path].sha == sha:
            touched[export.rel_path] = mtime_ns
        else:
            todo.append(_Planned(export, sha, fmt, options, size, mtime_ns))
    return todo, touched


def _batches(todo: list[_Planned]) -> list[list[_Planned]]:
    """Small files grouped by how they are read (format and options), up to BATCH_BYTES or
    BATCH_FILES each; every other file alone."""
    runs: dict[tuple, list[tuple[list[_Planned], int]]] = {}  # per (format, options): (files, bytes)
    alone = []
    for plan in todo:
        if plan.streamed:
            alone.append([plan])
            continue
        group = runs.setdefault((plan.fmt, plan.options), [])
        if not group or len(group[-1][0]) >= BATCH_FILES or group[-1][1] + plan.size > BATCH_BYTES:
            group.append(([], 0))
        files, size = group[-1]
        files.append(plan)
        group[-1] = (files, size + plan.size)
    return alone + [files for group in runs.values() for files, _ in group]


@dataclass
class _ParsedBatch:
    """A batch's rows and its `raw.source_files` rows, ready to be written."""

    rows: ParseResult
    listing: pl.DataFrame


def _parse_batch(batch: list[_Planned]) -> _ParsedBatch:
    """Parse small files together (their format's batch parser, else one by one)."""
    first = batch[0]
    batch_parser = BATCH_PARSERS.get(first.fmt or "")
    if batch_parser is not None:
        parsed = batch_parser([(plan.export.path, plan.export.rel_path) for plan in batch],
                              source_tz=first.options.timezone)
    else:
        parsed = BatchResult.of([
            ParseResult.combine(parse_parts(plan.export.path, rel_path=plan.export.rel_path, format=plan.fmt,
                                            source_tz=plan.options.timezone, date_order=plan.options.date_order))
            for plan in batch
        ])
    rows = parsed.rows
    counts = {
        name: dict(frame.group_by("source_file").len().iter_rows())
        for name, frame in (("messages", rows.messages), ("events", rows.events), ("quarantined", rows.quarantine))
    }
    listing = pl.concat([
        _listing(plan, format=facts.format, encoding=facts.encoding, timezone_assumed=facts.timezone_assumed,
                 counts={name: per_file.get(plan.export.rel_path, 0) for name, per_file in counts.items()},
                 warnings=list(facts.warnings))
        for plan, facts in zip(batch, parsed.files)
    ])
    return _ParsedBatch(rows, listing)


def _write_batch(con: duckdb.DuckDBPyConnection, parsed: _ParsedBatch, *, replace: set[str]) -> None:
    """Replace the batch's files' rows in one transaction (`replace`: the files loaded before)."""
    rows = parsed.rows

    def swap() -> None:
        if replace:
            _delete_files(con, sorted(replace))
        _insert(con, "raw.chat_messages", rows.messages)
        _insert(con, "raw.chat_events", rows.events)
        _insert(con, "raw.ingest_quarantine", rows.quarantine)
        _insert(con, "raw.source_files", parsed.listing)
        _note_changes(con, "batch_messages", "batch_events")
        if recalls.height:
            _note_recalled(con, "batch_recalls")

    recalls = _recalls_of_other_rows(rows.messages)
    views = {"batch_messages": rows.messages.select("source_file", "sent_at"),
             "batch_events": rows.events.select("source_file", "occurred_at"), "batch_recalls": recalls}
    for name, frame in views.items():
        con.register(name, arrow_view(frame))
    try:
        with _unordered_inserts(con):
            _in_transaction(con, swap)
    finally:
        for name in views:
            con.unregister(name)


def _load_file(con: duckdb.DuckDBPyConnection, plan: _Planned, *, on_bytes: Callable[[int], None]) -> None:
    """Replace one (big) file's rows in every raw table, atomically, in bounded memory.

    Parts are inserted as they are parsed into `<table>__loading` tables, each insert committed, so
    DuckDB writes them to disk as it goes (inside one open transaction it keeps every inserted row
    in memory: 4.8 GB for a 10-million-message archive, against 1.5 GB this way). Only then does
    one transaction swap the file's old rows for the new ones. A failure half-way (an unreadable
    byte, a full disk) leaves the file's previous rows as they were.
    """
    export, options = plan.export, plan.options
    for table, loading in _PART_TABLES.items():
        con.execute(f"create or replace table {loading} as select * from {table} limit 0")
    try:
        with _unordered_inserts(con):
            counts = {"messages": 0, "events": 0, "quarantined": 0}
            warnings: list[str] = []
            last = None
            timezone_assumed = None
            for part in parse_parts(export.path, rel_path=export.rel_path, format=plan.fmt,
                                    source_tz=options.timezone, date_order=options.date_order):
                _insert(con, _PART_TABLES["raw.chat_messages"], part.messages)
                _insert(con, _PART_TABLES["raw.chat_events"], part.events)
                _insert(con, _PART_TABLES["raw.ingest_quarantine"], part.quarantine)
                counts["messages"] += part.messages.height
                counts["events"] += part.events.height
                counts["quarantined"] += part.quarantine.height
                warnings += [w for w in part.warnings if w not in warnings]
                timezone_assumed = timezone_assumed or part.timezone_assumed
                last = part
                if part.end_offset is not None:
                    on_bytes(part.end_offset)
            listing = _listing(plan, format=last.format, encoding=last.encoding, timezone_assumed=timezone_assumed,
                               counts=counts, warnings=warnings)

            def swap() -> None:
                _delete_files(con, [export.rel_path])
                for table, loading in _PART_TABLES.items():
                    con.execute(f"insert into {table} select * from {loading}")
                _insert(con, "raw.source_files", listing)
                _note_changes(con, _PART_TABLES["raw.chat_messages"], _PART_TABLES["raw.chat_events"])
                _note_recalled(con, f"""(select * from {_PART_TABLES["raw.chat_messages"]} as recall
                    anti join {_PART_TABLES["raw.chat_messages"]} as loaded
                        on loaded.platform = recall.platform and loaded.source_key = recall.source_key
                        and loaded.message_id = recall.recalls_message_id
                    where recall.kind = 'recall')""")

            _in_transaction(con, swap)
    finally:
        for loading in _PART_TABLES.values():
            con.execute(f"drop table if exists {loading}")


def _listing(plan: _Planned, *, format: str, encoding: str, timezone_assumed: str | None,
             counts: dict[str, int], warnings: list[str]) -> pl.DataFrame:
    """The file's row of `raw.source_files`."""
    if not any(counts.values()):
        # an empty export (0 bytes, a BOM alone) is loaded, but nobody should think it was read
        warnings = [*warnings, f"{plan.export.rel_path}: the file holds no messages, events or records"]
    return pl.DataFrame(
        [{
            "source_file": plan.export.rel_path, "format": format, "encoding": encoding,
            "size_bytes": plan.size, "mtime_ns": plan.mtime_ns, "sha256": plan.sha,
            "parser_version": PARSER_VERSION, "parse_options": plan.options.stamp(),
            "timezone_assumed": timezone_assumed, **counts, "warnings": warnings,
        }],
        schema=SOURCE_FILES_SCHEMA,
    )


def _remember_mtimes(con: duckdb.DuckDBPyConnection, touched: dict[str, int]) -> None:
    if touched:
        moved = pl.DataFrame({"source_file": list(touched), "mtime_ns": list(touched.values())},  # noqa: F841
                             schema={"source_file": pl.String(), "mtime_ns": pl.Int64()})
        con.execute("update raw.source_files as f set mtime_ns = moved.mtime_ns from moved "
                    "where f.source_file = moved.source_file")


@contextmanager
def _unordered_inserts(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Raw rows carry their own order (source_file, source_record): letting DuckDB insert in
    parallel without keeping arrival order is a third faster."""
    con.execute("set preserve_insertion_order = false")
    try:
        yield
    finally:
        con.execute("reset preserve_insertion_order")


def _in_transaction(con: duckdb.DuckDBPyConnection, work: Callable[[], None]) -> None:
    con.execute("begin transaction")
    try:
        work()
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
