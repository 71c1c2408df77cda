"""What every input kind provides, and how its files are loaded (idempotently, per file)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl

from assets.ingest.common import arrow_view
from assets.ingest.errors import ExportReadError
from assets.ingest.load import is_export_candidate, sha256_of
from assets.ingest.schema import SNIPPET_CHARS, conform, empty

INPUT_QUARANTINE_SCHEMA: dict[str, pl.DataType] = {
    "input_kind": pl.String(),
    "source_file": pl.String(),
    "source_record": pl.Int64(),
    "source_record_label": pl.String(),
    "reason": pl.String(),
    "raw_snippet": pl.String(),
}

INPUT_FILES_SCHEMA: dict[str, pl.DataType] = {
    "source_file": pl.String(),
    "input_kind": pl.String(),
    "sha256": pl.String(),
    "kind_version": pl.String(),
    "rows": pl.Int64(),
    "quarantined": pl.Int64(),
    "warnings": pl.List(pl.String()),
}


@dataclass
class InputResult:
    """One input file read: good rows in the kind's schema, and the rows that were not."""

    rows: pl.DataFrame
    quarantine: pl.DataFrame  # source_record, source_record_label, reason, raw_snippet
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class InputKind:
    """An input folder `inputs/<name>/` and the raw table `raw.<table>` its files load into.

    `version` is bumped when `parse` changes what it produces, so unchanged files are read again.
    Every row carries `source_file`, `source_record` and `source_record_label` (the loader adds
    `source_file`), which is what lets a metric be traced to the line behind it.
    """

    name: str
    table: str
    schema: dict[str, pl.DataType]
    parse: Callable[[Path, str], InputResult]
    description: str
    version: str = "1"


def snippet(frame: pl.DataFrame, columns: list[str]) -> pl.Expr:
    """A short `column=value; …` rendering of a row, for the quarantine table."""
    return pl.concat_str(
        [pl.format(f"{c}={{}}", pl.col(c).cast(pl.String).fill_null("")) for c in columns], separator="; "
    ).str.slice(0, SNIPPET_CHARS)


@dataclass
class InputReport:
    files: list[dict] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


def input_files(data_dir: Path, kinds: dict[str, InputKind]) -> list[tuple[Path, str, InputKind]]:
    """(path, path relative to the data folder, kind) for every file under `inputs/<kind>/`;
    a folder that names no kind is an error rather than data silently ignored."""
    root = data_dir / "inputs"
    if not root.is_dir():
        return []
    found = []
    for path in sorted(root.rglob("*")):
        if not is_export_candidate(path, root):
            continue
        folder = path.relative_to(root).parts[0]
        if folder not in kinds or path.parent == root:
            raise ExportReadError(
                path.relative_to(data_dir).as_posix(),
                f"inputs/ holds one folder per input kind; expected the file under one of "
                f"{', '.join(f'inputs/{k}/' for k in sorted(kinds))}",
            )
        found.append((path, path.relative_to(data_dir).as_posix(), kinds[folder]))
    return found


def ensure_input_tables(con: duckdb.DuckDBPyConnection, kinds: dict[str, InputKind]) -> None:
    con.execute("create schema if not exists raw")
    tables = {"raw.input_quarantine": INPUT_QUARANTINE_SCHEMA, "raw.input_files": INPUT_FILES_SCHEMA}
    tables |= {kind.table: kind.schema | _SOURCE_COLUMNS for kind in kinds.values()}
    for table, schema in tables.items():
        template = arrow_view(empty(schema))  # noqa: F841 - read by DuckDB's replacement scan below
        con.execute(f"create table if not exists {table} as select * from template")


_SOURCE_COLUMNS: dict[str, pl.DataType] = {
    "source_file": pl.String(),
    "source_record": pl.Int64(),
    "source_record_label": pl.String(),
}


def sync_inputs(con: duckdb.DuckDBPyConnection, data_dir: Path, kinds: dict[str, InputKind]) -> InputReport:
    """Bring every kind's raw table in line with the files under `data_dir/inputs` (a file's rows
    are replaced in one transaction; unchanged files are skipped; removed files take their rows)."""
    ensure_input_tables(con, kinds)
    loaded = {row[0]: (row[1], row[2]) for row in con.execute(
        "select source_file, sha256, kind_version from raw.input_files").fetchall()}
    report = InputReport()
    files = input_files(data_dir, kinds)
    for path, rel_path, kind in files:
        sha = sha256_of(path)
        if loaded.get(rel_path) == (sha, kind.version):
            counts = con.execute("select rows, quarantined from raw.input_files where source_file = $f",
                                 {"f": rel_path}).fetchall()[0]
            report.files.append({"source_file": rel_path, "input_kind": kind.name, "skipped": True,
                                 "rows": counts[0], "quarantined": counts[1]})
            continue
        result = kind.parse(path, rel_path)
        source = pl.lit(rel_path).alias("source_file")
        rows = conform(result.rows.with_columns(source), kind.schema | _SOURCE_COLUMNS)
        quarantine = conform(result.quarantine.with_columns(source, pl.lit(kind.name).alias("input_kind")),
                             INPUT_QUARANTINE_SCHEMA)
        listing = pl.DataFrame([{
            "source_file": rel_path, "input_kind": kind.name, "sha256": sha, "kind_version": kind.version,
            "rows": rows.height, "quarantined": quarantine.height, "warnings": result.warnings,
        }], schema=INPUT_FILES_SCHEMA)
        _replace(con, rel_path, {kind.table: rows, "raw.input_quarantine": quarantine, "raw.input_files": listing},
                 kinds)
        report.files.append({"source_file": rel_path, "input_kind": kind.name, "skipped": False,
                             "rows": rows.height, "quarantined": quarantine.height})
    for rel_path in sorted(set(loaded) - {rel for _, rel, _ in files}):
        _replace(con, rel_path, {}, kinds)
        report.removed.append(rel_path)
    return report


def _replace(con: duckdb.DuckDBPyConnection, rel_path: str, frames: dict[str, pl.DataFrame],
             kinds: dict[str, InputKind]) -> None:
    con.execute("begin transaction")
    try:
        for table in ["raw.input_quarantine", "raw.input_files", *(k.table for k in kinds.values())]:
            con.execute(f"delete from {table} where source_file = $f", {"f": rel_path})
        for table, frame in frames.items():
            if frame.height:
                con.register("input_frame", arrow_view(frame))
                con.execute(f"insert into {table} by name select * from input_frame")
                con.unregister("input_frame")
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
