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
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl

from assets.ingest.common import FINGERPRINT_VERSION, arrow_view
from assets.ingest.errors import ExportReadError
from assets.ingest.detect import PARSERS, detect_format, parse_parts, platform_of
from assets.ingest.schema import EVENT_SCHEMA, MESSAGE_SCHEMA, QUARANTINE_SCHEMA, SourceOptions, empty

#: Bump when a parser changes what it produces, so unchanged files are parsed again; it carries
#: `FINGERPRINT_VERSION` because content fingerprints are part of what parsers produce.
PARSER_VERSION = f"7+{FINGERPRINT_VERSION}"

SOURCE_FILES_SCHEMA: dict[str, pl.DataType] = {
    "source_file": pl.String(),
    "format": pl.String(),
    "encoding": pl.String(),
    "size_bytes": pl.Int64(),
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


def ensure_raw_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create the raw tables, and add columns a newer version introduced to an older warehouse."""
    con.execute("create schema if not exists raw")
    for table, schema in RAW_TABLES.items():
        template = empty(schema)  # noqa: F841 - read by DuckDB's replacement scan below
        con.execute(f"create table if not exists {table} as select * from template")
        present = {row[0] for row in con.execute(f"describe {table}").fetchall()}
        for column in schema.keys() - present:
            sql_type = con.sql(f"select {column} from template limit 0").types[0]
            con.execute(f"alter table {table} add column {column} {sql_type}")


def _loaded_hashes(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[str, str, str]]:
    """What each loaded file was parsed from and how: content hash, parser version, options."""
    rows = con.execute("select source_file, sha256, parser_version, parse_options from raw.source_files").fetchall()
    return {source_file: (sha, version, options) for source_file, sha, version, options in rows}


def _delete_file(con: duckdb.DuckDBPyConnection, rel_path: str) -> None:
    for table in RAW_TABLES:
        con.execute(f"delete from {table} where source_file = $file", {"file": rel_path})


def _insert(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> None:
    if frame.height:
        con.register("part_frame", arrow_view(frame))
        try:
            con.execute(f"insert into {table} by name select * from part_frame")
        finally:
            con.unregister("part_frame")


#: The tables a file's parts are written to before they replace its rows (see `_load_file`).
_PART_TABLES = {table: f"{table}__loading" for table in ("raw.chat_messages", "raw.chat_events", "raw.ingest_quarantine")}


def _load_file(
    con: duckdb.DuckDBPyConnection,
    export: ExportFile,
    sha: str,
    *,
    fmt: str | None,
    options: SourceOptions,
    on_bytes: Callable[[int], None],
) -> None:
    """Replace one file's rows in every raw table, atomically, in bounded memory.

    Parts are inserted as they are parsed into `<table>__loading` tables, each insert committed, so
    DuckDB writes them to disk as it goes (inside one open transaction it keeps every inserted row
    in memory: 4.8 GB for a 10-million-message archive, against 1.5 GB this way). Only then does
    one transaction swap the file's old rows for the new ones. A failure half-way (an unreadable
    byte, a full disk) leaves the file's previous rows as they were.
    """
    for table, loading in _PART_TABLES.items():
        con.execute(f"create or replace table {loading} as select * from {table} limit 0")
    # raw rows carry their own order (source_file, source_record); letting DuckDB insert in parallel
    # without keeping arrival order is a third faster
    con.execute("set preserve_insertion_order = false")
    try:
        counts = {"messages": 0, "events": 0, "quarantined": 0}
        warnings: list[str] = []
        last = None
        timezone_assumed = None
        for part in parse_parts(export.path, rel_path=export.rel_path, format=fmt,
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
        if not any(counts.values()):
            # an empty export (0 bytes, a BOM alone) is loaded, but nobody should think it was read
            warnings.append(f"{export.rel_path}: the file holds no messages, events or records")
        listing = pl.DataFrame(
            [{
                "source_file": export.rel_path, "format": last.format, "encoding": last.encoding,
                "size_bytes": export.size, "sha256": sha, "parser_version": PARSER_VERSION,
                "parse_options": options.stamp(), "timezone_assumed": timezone_assumed, **counts, "warnings": warnings,
            }],
            schema=SOURCE_FILES_SCHEMA,
        )
        con.execute("begin transaction")
        try:
            _delete_file(con, export.rel_path)
            for table, loading in _PART_TABLES.items():
                con.execute(f"insert into {table} select * from {loading}")
            _insert(con, "raw.source_files", listing)
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
    finally:
        con.execute("reset preserve_insertion_order")
        for loading in _PART_TABLES.values():
            con.execute(f"drop table if exists {loading}")


def sync_exports(
    con: duckdb.DuckDBPyConnection,
    data_dir: Path,
    *,
    source_options: Callable[[str], SourceOptions],
    format_override: str | None = None,
    progress: ProgressCallback | None = None,
) -> IngestReport:
    """Bring the raw tables in line with the files under `data_dir/exports`."""
    ensure_raw_tables(con)
    files = scan_exports(data_dir)
    loaded = _loaded_hashes(con)
    report = IngestReport()
    total = sum(f.size for f in files) or 1
    done = 0
    for export in files:
        sha = export.sha256()
        # Detect first: how to read a source is configured per platform.
        fmt = format_override or export.format_hint or detect_format(export.path)
        options = source_options(platform_of(fmt) if fmt else "default")
        skipped = loaded.get(export.rel_path) == (sha, PARSER_VERSION, options.stamp())
        entry = {"source_file": export.rel_path, "skipped": skipped, "sha256": sha, "size_bytes": export.size}
        if not skipped:

            def file_progress(offset: int, rel_path: str = export.rel_path, start: int = done) -> None:
                if progress:
                    progress(rel_path, start + min(offset, export.size), total)

            _load_file(con, export, sha, fmt=fmt, options=options, on_bytes=file_progress)
        row = con.execute(
            "select format, messages, events, quarantined from raw.source_files where source_file = $file",
            {"file": export.rel_path},
        ).fetchall()[0]
        entry.update(dict(zip(("format", "messages", "events", "quarantined"), row)))
        report.files.append(entry)
        done += export.size
        if progress:
            progress(export.rel_path, done, total)
    present = {f.rel_path for f in files}
    for rel_path in sorted(set(loaded) - present):
        con.execute("begin transaction")
        try:
            _delete_file(con, rel_path)
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
        report.removed.append(rel_path)
    return report
