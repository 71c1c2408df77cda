"""Small pieces every parser needs, kept in one place so formats cannot drift apart."""

from __future__ import annotations

import atexit
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import duckdb
import polars as pl
import pyarrow as pa


#: Part of the version of everything that stores content fingerprints (`load.PARSER_VERSION`,
#: input kinds that use them): they come from DuckDB's `hash`, which may change between DuckDB
#: releases, so an upgrade re-reads those files and every id moves together.
FINGERPRINT_VERSION = f"duckdb{duckdb.__version__}"


def arrow_view(frame: pl.DataFrame) -> pa.Table:
    """`frame` as Arrow for `con.register`, strings as views: registering a Polars frame directly
    converts every string column to Arrow's older layout first (a full copy, ~0.1 s per 100 MB)."""
    return frame.to_arrow(compat_level=pl.CompatLevel.newest())


def utc(column: str) -> pl.Expr:
    """DuckDB hands back naive timestamps that are already UTC; say so in the dtype."""
    return pl.col(column).dt.replace_time_zone("UTC")


class Occurrences:
    """How often each content tuple was already seen in earlier parts of the same file.

    Streaming parsers fingerprint one block at a time; without this, two identical `ok`s that fall
    on either side of a block boundary would both be occurrence 0 and get the same id, and staging
    would drop one as a duplicate. Only a 64-bit hash of each tuple and its time are kept (16 bytes
    per row, ~200 MB for a 12-million-message file). The hash never leaves the run, so Polars'
    version-dependent hash is fine for it (a collision would only shift an occurrence number).

    Identical tuples have identical times, so a part is only compared with the earlier parts whose
    time range overlaps its own, and only with their rows inside its range: in a chat written in
    time order that is the few rows at the previous part's end, instead of everything seen so far.
    """

    def __init__(self) -> None:
        self._parts: list[_SeenPart] = []

    def offsets(self, keys: pl.DataFrame) -> pl.Series:
        """For each row of `keys` (`fp_when`: the tuple's time, `fp_hash`: its hash), the count
        of identical tuples in earlier calls; then remember this call's tuples."""
        part = _SeenPart.of(keys)
        earlier = [seen.rows_like(part) for seen in self._parts if seen.may_overlap(part)]
        self._parts.append(part)
        earlier = [rows for rows in earlier if rows.height]
        if not earlier:
            return pl.repeat(0, keys.height, dtype=pl.Int64, eager=True).alias("fp_seen")
        counts = pl.concat(earlier).group_by("fp_hash").agg(pl.len().cast(pl.Int64).alias("fp_seen"))
        return (
            keys.select("fp_hash")
            .join(counts, on="fp_hash", how="left", maintain_order="left")
            .get_column("fp_seen")
            .fill_null(0)
        )


@dataclass(frozen=True)
class _SeenPart:
    """One call's `(fp_when, fp_hash)` rows with their time range, for `Occurrences`."""

    rows: pl.DataFrame
    low: object
    high: object
    has_null: bool

    @classmethod
    def of(cls, keys: pl.DataFrame) -> _SeenPart:
        rows = keys.select("fp_when", "fp_hash")
        when = rows.get_column("fp_when")
        return cls(rows, when.min(), when.max(), when.null_count() > 0)

    def may_overlap(self, other: _SeenPart) -> bool:
        if self.rows.schema != other.rows.schema:
            return True
        if self.has_null and other.has_null:
            return True
        return self.low is not None and other.low is not None and self.low <= other.high and other.low <= self.high

    def rows_like(self, other: _SeenPart) -> pl.DataFrame:
        """The rows that can equal one of `other`'s: same time (range) or both null."""
        if self.rows.schema != other.rows.schema:
            return self.rows
        when = pl.col("fp_when")
        inside = when.is_between(other.low, other.high) if other.low is not None else pl.lit(False)
        if other.has_null:
            inside = inside | when.is_null()
        return self.rows.filter(inside)


def content_fingerprints(
    frame: pl.DataFrame,
    *,
    source_key: str,
    time: str,
    sender: str,
    text: str,
    order: str,
    occurrences: Occurrences | None = None,
    text_suffix: str | None = None,
) -> pl.Series:
    """Message ids for formats that have none: a 128-bit hash, in hex, of (source key, UTC time,
    sender, text, occurrence among identical tuples in `order`); see `_content_ids`.

    `text_suffix` names a column that belongs to the text, joined to it by U+001F (the ids are
    those of `text || chr(31) || text_suffix`), so a caller need not build that string first.

    The occurrence index keeps two identical `ok`s sent in the same second apart while the id stays
    the same when the message reappears in another (overlapping) export of the chat, which is what
    lets staging de-duplicate it. Streaming parsers pass one `occurrences` per file so numbering
    continues across its parts. Only the rows whose tuple hash repeats are numbered.
    """
    when = pl.col(time).dt.convert_time_zone("UTC").dt.replace_time_zone(None)
    suffix = [] if text_suffix is None else [pl.col(text_suffix).fill_null("").alias("fp_suffix")]
    keyed = frame.select(
        pl.col(source_key).fill_null("").alias("fp_key"),
        _lossless_us(when, frame.schema[time]).alias("fp_when"),
        pl.col(sender).fill_null("").alias("fp_sender"),
        pl.col(text).fill_null("").alias("fp_text"),
        *suffix,
        pl.col(order),
    ).with_row_index("fp_row")
    fields = ["fp_key", "fp_when", "fp_sender", "fp_text", *(["fp_suffix"] if suffix else [])]
    keyed = keyed.with_columns(_tuple_hash(*fields).alias("fp_hash"))
    keyed = keyed.with_columns(_occurrence_in_frame(keyed, fields, order))
    if occurrences is not None:
        prior = occurrences.offsets(keyed.select("fp_when", "fp_hash"))
        keyed = keyed.with_columns(pl.col("fp_occurrence") + prior)
    return _content_ids(keyed, fields)


#: Odd 64-bit multipliers that mix the per-column hashes of `_tuple_hash` (golden ratio, xxHash).
_HASH_MIXERS = (
    0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0x27D4EB2F165667C5, 0xFF51AFD7ED558CCD
)


def _tuple_hash(*columns: str) -> pl.Expr:
    """A 64-bit hash of the row's values in `columns`: each column hashed with its own seed and
    mixed by multiplication (wrapping), three times cheaper than hashing a struct of them."""
    mixed = [pl.col(name).hash(seed) * mixer for seed, (name, mixer) in enumerate(zip(columns, _HASH_MIXERS))]
    combined = mixed[0]
    for part in mixed[1:]:
        combined = combined ^ part
    return combined


def _lossless_us(when: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    """Times in microseconds unless that would drop digits (nanosecond times keep theirs), so
    the parts of one file hash their times alike whatever unit a part came in."""
    return when if dtype.time_unit == "ns" else when.dt.cast_time_unit("us")


def _occurrence_in_frame(keyed: pl.DataFrame, fields: list[str], order: str) -> pl.Expr:
    """`fp_occurrence`: the index of each row among the identical tuples of `keyed` in `order`.

    Most tuples occur once: only rows whose hash repeats are numbered, by a window over the
    fields themselves (so a hash collision only adds rows to the numbered set). Repeats are found
    by sorting the hashes, which is several times faster than a hash-table `is_duplicated`."""
    hashes = keyed.get_column("fp_hash")
    ordered = hashes.sort()
    repeated_hashes = ordered.filter(ordered == ordered.shift(1))
    if not repeated_hashes.len():
        return pl.lit(0, pl.Int64).alias("fp_occurrence")
    numbered = keyed.filter(pl.col("fp_hash").is_in(repeated_hashes.unique().implode())).select(
        "fp_row", pl.int_range(pl.len()).over(fields, order_by=order).alias("fp_occurrence")
    )
    return (
        keyed.select("fp_row")
        .join(numbered, on="fp_row", how="left", maintain_order="left")
        .get_column("fp_occurrence")
        .fill_null(0)
        .alias("fp_occurrence")
    )


#: Rows per Arrow batch handed to DuckDB: one batch per thread-sized piece lets the hashing run
#: on every core (a single large batch is hashed by one thread).
_ID_BATCH_ROWS = 1 << 17


def _content_ids(keyed: pl.DataFrame, fields: list[str]) -> pl.Series:
    """32 hex digits: two 64-bit DuckDB hashes of the tuple `fields` + occurrence, in `keyed`'s row
    order (DuckDB keeps the order of a plain projection). The time enters as whole epoch seconds
    plus nanoseconds, so a part parsed in `ns` and one in `us` give the same id.

    DuckDB's `hash` is several times cheaper than sha1 (it was the largest single cost of a
    WhatsApp parse) but may change between DuckDB versions, hence `FINGERPRINT_VERSION`. The two
    hashes take the columns in opposite orders, and the top bit of the first is set so every id
    has exactly 32 digits; within one chat, second and sender, two texts share an id only if their
    64-bit string hashes collide."""
    when = pl.col("fp_when")
    timed = [
        column
        for name in fields
        for column in (
            [when.dt.epoch("s").alias("fp_second"), when.dt.nanosecond().alias("fp_nano")]
            if name == "fp_when" else [pl.col(name)]
        )
    ]
    source = keyed.select(*timed, "fp_occurrence")
    columns = [name for name in source.columns if name != "fp_occurrence"]
    forward = ", ".join([*columns, "fp_occurrence"])
    backward = ", ".join(["fp_occurrence", *reversed(columns)])
    batches = pl.concat(
        [source.slice(start, _ID_BATCH_ROWS) for start in range(0, max(source.height, 1), _ID_BATCH_ROWS)],
        rechunk=False,
    )
    with registered("fingerprint_input", batches) as con:
        ids = con.sql(
            "select to_hex((hash(" + forward + ") | 9223372036854775808::ubigint)::uhugeint << 64"
            " | hash(" + backward + ")::uhugeint) as id from fingerprint_input"
        ).pl()
    return ids["id"]


_THREAD_STATE = threading.local()

#: A parser connection holds one block or batch (≤ 96 MB of text) and its parsed rows at a time.
#: Unbounded, DuckDB would keep up to 80 % of the machine's memory cached beside the warehouse's.
PARSER_MEMORY_LIMIT = "512MB"


def thread_parser_connection() -> duckdb.DuckDBPyConnection:
    """This thread's in-memory DuckDB for parsing, opened once: opening one costs ~20 ms, which a
    loader of thousands of small files, or a streaming parser fingerprinting block by block, would
    otherwise pay again and again (a connection serves one thread at a time, hence one per
    thread). Callers register and unregister their frames around each query (`registered`).

    Its results reach Polars without copying every string: Polars stores strings as views, and
    DuckDB's default Arrow strings must be converted."""
    con = getattr(_THREAD_STATE, "connection", None)
    if con is None:
        con = _THREAD_STATE.connection = duckdb.connect()
        con.execute("set produce_arrow_string_view = true")
        con.execute(f"set memory_limit = '{PARSER_MEMORY_LIMIT}'")
    return con


@contextmanager
def registered(name: str, frame: pl.DataFrame) -> Iterator[duckdb.DuckDBPyConnection]:
    """This thread's parser connection with `frame` registered as `name` (strings as views) for
    the block: the one way parsers hand a frame to DuckDB."""
    con = thread_parser_connection()
    con.register(name, arrow_view(frame))
    try:
        yield con
    finally:
        con.unregister(name)


@atexit.register
def _close_main_thread_connection() -> None:
    """Close and drop the main thread's connection before interpreter shutdown, so DuckDB never
    reports it as leaked (other threads' connections go with their threads)."""
    con = getattr(_THREAD_STATE, "connection", None)
    if con is not None:
        con.close()
        del _THREAD_STATE.connection


#: SQL: the JSON type of a record (column `json_kind`, from `json_type`) in words a person reads,
#: for quarantine reasons such as "expected a message object, found a JSON string".
JSON_KIND_NAME_SQL = """case
    when json_kind = 'VARCHAR' then 'string'
    when json_kind in ('BIGINT', 'UBIGINT', 'DOUBLE') then 'number'
    else lower(json_kind)
end"""
