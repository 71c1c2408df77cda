"""Small pieces every parser needs, kept in one place so formats cannot drift apart."""

from __future__ import annotations

import duckdb
import polars as pl
import pyarrow as pa


def parser_connection() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB for parsing whose results reach Polars without copying every string:
    Polars stores strings as views, and DuckDB's default Arrow strings must be converted."""
    con = duckdb.connect()
    con.execute("set produce_arrow_string_view = true")
    return con


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
    would drop one as a duplicate. Only a 64-bit hash and a count are kept per distinct tuple, so a
    10-million-message file costs about 160 MB here. The hash never leaves the run, so Polars'
    version-dependent hash is fine for it (a collision would only shift an occurrence number).
    """

    def __init__(self) -> None:
        self._seen = pl.DataFrame(schema={"fp_hash": pl.UInt64(), "fp_seen": pl.Int64()})

    def offsets(self, tuples: pl.DataFrame) -> pl.Series:
        """For each row of `tuples` (one column per tuple field), the count of identical tuples
        in earlier calls; then remember this call's tuples. `_seen` keeps one (hash, count) row
        per call a tuple occurred in, so a call probes it with a semi-join instead of re-grouping
        everything seen so far."""
        hashes = tuples.select(pl.struct(pl.all()).hash().alias("fp_hash"))
        counts = hashes.group_by("fp_hash").agg(pl.len().cast(pl.Int64).alias("fp_seen"))
        earlier = (
            self._seen.join(counts.select("fp_hash"), on="fp_hash", how="semi")
            .group_by("fp_hash")
            .agg(pl.col("fp_seen").sum())
        )
        prior = hashes.join(earlier, on="fp_hash", how="left", maintain_order="left")["fp_seen"].fill_null(0)
        self._seen = pl.concat([self._seen, counts], rechunk=False)
        return prior


def content_fingerprints(
    frame: pl.DataFrame,
    *,
    source_key: str,
    time: str,
    sender: str,
    text: str,
    order: str,
    occurrences: Occurrences | None = None,
) -> pl.Series:
    """Message ids for formats that have none: sha1 hex of (source key, UTC time, sender, text,
    occurrence among identical tuples in `order`).

    The occurrence index keeps two identical `ok`s sent in the same second apart while the id stays
    the same when the message reappears in another (overlapping) export of the chat, which is what
    lets staging de-duplicate it. Streaming parsers pass one `occurrences` per file so numbering
    continues across its parts. SHA-1 comes from DuckDB: Polars' own hash is not stable across
    versions, and these ids are stored.
    """
    keyed = frame.select(
        pl.col(source_key).fill_null("").alias("fp_key"),
        pl.col(time).dt.convert_time_zone("UTC").dt.strftime("%Y-%m-%dT%H:%M:%S%.fZ").fill_null("").alias("fp_time"),
        pl.col(sender).fill_null("").alias("fp_sender"),
        pl.col(text).fill_null("").alias("fp_text"),
        pl.col(order),
    ).with_row_index("fp_row")
    fields = ["fp_key", "fp_time", "fp_sender", "fp_text"]
    # Most tuples occur once: number only the rows whose hash repeats. Still exact, because the
    # window groups by the values themselves (a hash collision only adds rows to the numbered set).
    repeated = keyed.select(pl.struct(fields).hash().is_duplicated()).to_series()
    numbered = keyed.filter(repeated).select(
        "fp_row", pl.int_range(pl.len()).over(fields, order_by=order).alias("fp_occurrence")
    )
    keyed = keyed.join(numbered, on="fp_row", how="left", maintain_order="left").with_columns(
        pl.col("fp_occurrence").fill_null(0)
    )
    if occurrences is not None:
        prior = occurrences.offsets(keyed.select(fields))
        keyed = keyed.with_columns(pl.col("fp_occurrence") + prior)
    with parser_connection() as con:
        con.register("fingerprint_input", arrow_view(keyed))
        ids = con.sql(
            "select sha1(concat_ws(chr(31), fp_key, fp_time, fp_sender, fp_text, fp_occurrence::varchar)) as id "
            "from fingerprint_input order by fp_row"
        ).pl()
    return ids["id"]


#: SQL: the JSON type of a record (column `json_kind`, from `json_type`) in words a person reads,
#: for quarantine reasons such as "expected a message object, found a JSON string".
JSON_KIND_NAME_SQL = """case
    when json_kind = 'VARCHAR' then 'string'
    when json_kind in ('BIGINT', 'UBIGINT', 'DOUBLE') then 'number'
    else lower(json_kind)
end"""
