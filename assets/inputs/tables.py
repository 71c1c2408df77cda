"""Read tabular inputs (CSV in any accepted encoding, or XLSX) whose headers vary by vendor and language.

Operations teams export these from admin consoles and spreadsheets: the same column arrives as
`播放量`, `播放数`, `views` or `Play count`, and counts arrive formatted (`1.2万`, `3.4w`, `1,234`).
Each input kind declares its columns with every accepted alias; a header nobody declared is an
error naming the file, the header and what is accepted (FORMATS.md §8.6: "reject unknown headers
loudly") — silently ignoring a column is how a metric ends up computed from the wrong one.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path

import fastexcel
import polars as pl

from assets.ingest.encoding import read_text
from assets.ingest.errors import ExportReadError


@dataclass(frozen=True)
class Column:
    """One column an input kind understands: its canonical name, accepted headers, whether required."""

    name: str
    aliases: tuple[str, ...]
    required: bool = True


def normalise_header(header: str) -> str:
    """Case, spacing, a BOM, and a trailing unit in brackets (`播放量（次）`) do not make a header differ."""
    header = header.replace("\ufeff", "").strip().lower()
    header = re.sub(r"[（(][^）)]*[）)]$", "", header)
    return re.sub(r"[\s_\-]+", "", header)


def read_table(path: Path, rel_path: str, columns: tuple[Column, ...]) -> pl.DataFrame:
    """Every cell as text under canonical column names, plus `source_record` (the 1-based line in a
    CSV, the row in an XLSX sheet, header included) and `source_record_label` (`line 5`,
    `Sheet1!row 5`), so a quarantined row can be found in the file the analyst opened."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        frame, label = _read_xlsx(path, rel_path)
        # sheet rows: the header is row 1 and blank rows were kept, so the index is the row number
        frame = frame.with_row_index("source_record", offset=2)
    else:
        frame, label = _read_csv(path, rel_path), "line"
        # a quoted cell may span lines: each row starts after the line breaks of the rows above it
        breaks = pl.sum_horizontal(pl.col(c).str.count_matches("\n").fill_null(0) for c in frame.columns)
        frame = frame.with_columns(
            (pl.int_range(2, pl.len() + 2) + breaks.cum_sum().shift(1, fill_value=0)).alias("source_record")
        )
    renames = _map_headers([c for c in frame.columns if c != "source_record"], columns, rel_path)
    frame = frame.rename(renames).select("source_record", *renames.values())
    for column in columns:
        if column.name not in frame.columns:
            frame = frame.with_columns(pl.lit(None, pl.String).alias(column.name))
    frame = frame.with_columns(pl.exclude("source_record").cast(pl.String).str.strip_chars().replace("", None))
    # rows with nothing in them (spacer rows in sheets, trailing `,,,` lines) are not records
    frame = frame.filter(~pl.all_horizontal(pl.exclude("source_record").is_null()))
    frame = frame.with_columns(pl.col("source_record").cast(pl.Int64))
    return frame.with_columns(pl.format(f"{label} {{}}", "source_record").alias("source_record_label"))


def _read_csv(path: Path, rel_path: str) -> pl.DataFrame:
    text, _ = read_text(path, display_path=rel_path)
    try:
        return pl.read_csv(io.StringIO(text), infer_schema=False, truncate_ragged_lines=False)
    except pl.exceptions.PolarsError as error:
        raise ExportReadError(rel_path, f"not a readable CSV table ({str(error).splitlines()[0]})") from None


def _read_xlsx(path: Path, rel_path: str) -> tuple[pl.DataFrame, str]:
    """The first sheet only: spreadsheets keep one table per sheet and the first is the data (other
    sheets, notes or empty ones, are not read)."""
    try:
        name = fastexcel.read_excel(path).sheet_names[0]
        frame = pl.read_excel(path, sheet_name=name, infer_schema_length=0, drop_empty_rows=False)
    except Exception as error:  # calamine raises its own exception types
        raise ExportReadError(rel_path, f"not a readable XLSX workbook ({str(error).splitlines()[0]})") from None
    return frame, f"{name}!row"


def _map_headers(headers: list[str], columns: tuple[Column, ...], rel_path: str) -> dict[str, str]:
    """{file header: canonical name}; unknown, duplicate or missing required headers are errors."""
    lookup = {normalise_header(alias): column.name for column in columns for alias in (column.name, *column.aliases)}
    renames: dict[str, str] = {}
    unknown = []
    for header in headers:
        name = lookup.get(normalise_header(header))
        if name is None:
            unknown.append(header)
        elif name in renames.values():
            raise ExportReadError(rel_path, f"two headers mean {name!r} (the second is {header!r}); keep one")
        else:
            renames[header] = name
    accepted = "; ".join(f"{c.name}: {', '.join(c.aliases)}" for c in columns)
    if unknown:
        raise ExportReadError(rel_path, f"unknown header(s) {', '.join(map(repr, unknown))}; accepted headers — {accepted}")
    missing = [c.name for c in columns if c.required and c.name not in renames.values()]
    if missing:
        raise ExportReadError(rel_path, f"missing required column(s) {', '.join(missing)}; accepted headers — {accepted}")
    return renames


#: `1.2万` / `1.2w` / `3亿` / `1,234` / `12.5k`: the multipliers creator consoles use.
_COUNT = r"^([0-9]+(?:\.[0-9]+)?)\s*(万|w|W|亿|k|K)?$"
_MULTIPLIER = {"万": 1e4, "w": 1e4, "W": 1e4, "亿": 1e8, "k": 1e3, "K": 1e3}


def parse_count(text: pl.Expr) -> pl.Expr:
    """A formatted count as Int64 (null when blank or unreadable: pair it with `count_problem`)."""
    cleaned = text.str.replace_all(",", "").str.strip_chars()
    parts = cleaned.str.extract_groups(_COUNT)
    number = parts.struct.field("1").cast(pl.Float64)
    multiplier = parts.struct.field("2").replace_strict(_MULTIPLIER, default=1.0, return_dtype=pl.Float64)
    return (number * multiplier).round(0).cast(pl.Int64)


def count_problem(text: pl.Expr, column: str) -> pl.Expr:
    """Why a non-blank count cell is unreadable, or null."""
    return pl.when(text.is_not_null() & parse_count(text).is_null()).then(
        pl.format(f"{column} {{}} is not a count (expected e.g. 1234, 1,234, 1.2万 or 1.2w)", text)
    )


#: Wall-clock layouts seen in console exports and hand-kept logs; the first that parses wins.
_LOCAL_FORMATS = (
    "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M",
    "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y年%m月%d日 %H:%M:%S", "%Y年%m月%d日 %H:%M",
    "%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日",
)


def parse_local_datetime(text: pl.Expr, timezone: str) -> pl.Expr:
    """A timestamp cell as a UTC instant: epoch seconds (10 digits) or milliseconds (13 digits),
    an ISO time with an offset, or local wall-clock time in `timezone` (a date alone is midnight).
    Null when unreadable: pair it with `datetime_problem`."""
    digits = text.str.contains(r"^[0-9]{10}$|^[0-9]{13}$")
    epoch = pl.when(digits & (text.str.len_chars() == 13)).then(text.cast(pl.Int64, strict=False) * 1000).when(
        digits).then(text.cast(pl.Int64, strict=False) * 1_000_000)
    from_epoch = epoch.cast(pl.Datetime("us")).dt.replace_time_zone("UTC")
    with_offset = text.str.strptime(pl.Datetime("us", "UTC"), "%Y-%m-%dT%H:%M:%S%z", strict=False)
    local = pl.coalesce(
        text.str.strptime(pl.Datetime("us"), layout, strict=False, exact=True) for layout in _LOCAL_FORMATS
    )
    from_local = local.dt.replace_time_zone(timezone, ambiguous="earliest", non_existent="null").dt.convert_time_zone("UTC")
    return pl.when(digits).then(from_epoch).otherwise(pl.coalesce(with_offset, from_local))


def datetime_problem(text: pl.Expr, column: str, timezone: str) -> pl.Expr:
    """Why a non-blank timestamp cell is unreadable, or null."""
    return pl.when(text.is_not_null() & parse_local_datetime(text, timezone).is_null()).then(
        pl.format(f"{column} {{}} is not a date/time (expected e.g. 2026-05-01 14:30, 2026/5/1 14:30, "
                  "2026年5月1日 14:30 or epoch seconds)", text)
    )


def parse_choice(text: pl.Expr, choices: dict[str, str]) -> pl.Expr:
    """A categorical cell mapped to its canonical value (`通过` → `pass`); matching ignores case and
    surrounding space. Null when not one of `choices`: pair it with `choice_problem`."""
    lookup = {key.strip().lower(): value for key, value in choices.items()}
    return text.str.strip_chars().str.to_lowercase().replace_strict(lookup, default=None, return_dtype=pl.String)


def choice_problem(text: pl.Expr, column: str, choices: dict[str, str]) -> pl.Expr:
    accepted = ", ".join(dict.fromkeys(choices))
    return pl.when(text.is_not_null() & parse_choice(text, choices).is_null()).then(
        pl.format(f"{column} {{}} is not one of: {accepted}", text)
    )
