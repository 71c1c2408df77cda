"""Satisfaction survey responses (问卷 / 满意度评价): the inputs of KPI_SPEC §4.4.

`csat_rate` (responses scoring 4–5 / responses on the 1–5 scale), `csat_mean` and `nps`
(% promoters 9–10 − % detractors 0–6, where an NPS question was asked) are computed in SQL from
`raw.survey_responses`; this module only reads the files that operations teams keep or download
from their survey tool, one row per response, as CSV (any accepted encoding) or XLSX, with English
or Chinese headers.

"A survey response is attributed to the staff member it names, else to its group" (§4.4), so a
row must name one of them, and both are kept exactly as the file names them (our roster `staff_id`
or a platform account, our `group_id` or the platform's group id): resolving them to roster staff
and registry groups is staging's job, where the handle's validity dates are known.

The identity and score helpers here are shared with `tickets.py` (the other business log keyed the
same way); they would sit better in `tables.py`, which another engineer owns.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from assets.ingest.common import registered
from assets.ingest.schema import UTC_DATETIME
from assets.inputs.base import InputKind, InputResult, snippet
from assets.inputs.tables import (
    Column,
    choice_problem,
    datetime_problem,
    parse_choice,
    parse_local_datetime,
    read_table,
)
from pipelines.config import PLATFORMS

DEFAULT_TIMEZONE = "Asia/Shanghai"

# --- shared with tickets.py: identities, scores, quarantine ----------------------------------------

#: Platform names as ops teams write them, mapped to the roster's platform codes (config PLATFORMS).
PLATFORM_CHOICES: dict[str, str] = {p: p for p in PLATFORMS} | {
    "企业微信": "wecom", "企微": "wecom", "微信": "wechat", "抖音": "douyin", "快手": "kuaishou",
}

IDENTITY_COLUMNS = ("staff_id", "staff_platform", "staff_handle", "group_id", "platform", "source_key")


def present(column: str) -> pl.Expr:
    return pl.col(column).is_not_null()


def without_blank_rows(table: pl.DataFrame, columns: tuple[Column, ...]) -> pl.DataFrame:
    """Rows with at least one filled cell: blank lines and the empty rows spreadsheets trail carry
    nothing to load or to quarantine."""
    return table.filter(pl.any_horizontal(present(c.name) for c in columns))


def identity_values() -> list[pl.Expr]:
    """`platform` and `staff_platform` as roster platform codes.

    A staff account with no `staff_platform` of its own is read on the row's `platform`: the
    person answering a WeCom group's customers is identified by a WeCom userid. Every other
    identity cell is kept as written.
    """
    platform = parse_choice(pl.col("platform"), PLATFORM_CHOICES)
    staff_platform = parse_choice(pl.col("staff_platform"), PLATFORM_CHOICES)
    return [
        platform.alias("platform"),
        pl.when(present("staff_handle")).then(pl.coalesce(staff_platform, platform))
        .otherwise(staff_platform).alias("staff_platform"),
    ]


def identity_problems() -> list[pl.Expr]:
    """Why a row's staff or group identification cannot be resolved (null when it can).

    An account or group id without its platform is refused rather than ignored: the same id means
    different people on different platforms, and dropping it would silently move the row to
    whoever else the row names.
    """
    accepted = ", ".join(dict.fromkeys(PLATFORM_CHOICES.values()))
    return [
        choice_problem(pl.col("platform"), "platform", PLATFORM_CHOICES),
        choice_problem(pl.col("staff_platform"), "staff_platform", PLATFORM_CHOICES),
        pl.when(pl.col("staff_id").is_null() & present("staff_handle")
                & pl.col("staff_platform").is_null() & pl.col("platform").is_null())
        .then(pl.format(f"staff_handle {{}} has no staff_platform (or platform) saying which platform's account "
                        f"it is (expected one of: {accepted}), or give staff_id instead", "staff_handle")),
        pl.when(pl.col("group_id").is_null() & present("source_key") & pl.col("platform").is_null())
        .then(pl.format(f"source_key {{}} has no platform saying which platform's group it is (expected one of: "
                        f"{accepted}), or give group_id instead", "source_key")),
    ]


def parse_score(text: pl.Expr, low: int, high: int, words: dict[str, str] | None = None) -> pl.Expr:
    """A whole-number score in [low, high] as Int64 (`4`, `4.0` as spreadsheets write it, `4分`,
    `4星`, or one of `words`), null when blank or not such a score: pair it with `score_problem`."""
    number = text.str.extract(r"^([0-9]+)(?:\.0+)?\s*(?:分|星)?$", 1).cast(pl.Int64, strict=False)
    if words:
        number = pl.coalesce(number, parse_choice(text, words).cast(pl.Int64))
    return pl.when(number.is_between(low, high)).then(number)


def score_problem(text: pl.Expr, column: str, low: int, high: int, words: dict[str, str] | None = None) -> pl.Expr:
    spelled = f", or one of: {', '.join(f'{w} ({n})' for w, n in words.items())}" if words else ""
    return pl.when(text.is_not_null() & parse_score(text, low, high, words).is_null()).then(
        pl.format(f"{column} {{}} is not a whole number from {low} to {high}{spelled}", text)
    )


def empty_problem(column: str, expected: str) -> pl.Expr:
    return pl.when(pl.col(column).is_null()).then(pl.lit(f"{column} is empty; expected {expected}"))


def checked(table: pl.DataFrame, problems: list[pl.Expr], values: list[pl.Expr],
            snippet_columns: list[str]) -> pl.DataFrame:
    """`table` with `values` (the parsed columns, replacing the text cells), `reason` (every problem
    of the row joined, null for a usable row: an analyst fixes a row once rather than discovering
    its problems one reload at a time) and `raw_snippet` (the cells as read).

    One lazy pass: problems and values parse the same cells, and Polars' common-subexpression
    elimination then parses each only once (timestamps in a dozen layouts are the dearest part).
    """
    joined = pl.concat_str(problems, separator="; ", ignore_nulls=True)
    return table.lazy().with_columns(
        *values,
        pl.when(joined != "").then(joined).alias("reason"),
        snippet(table, snippet_columns).alias("raw_snippet"),
    ).collect()


def quarantine_rows(*rejected: pl.DataFrame) -> pl.DataFrame:
    """The quarantine frame the loader expects, in file order."""
    return pl.concat(
        [frame.select("source_record", "source_record_label", "reason", "raw_snippet") for frame in rejected]
    ).sort("source_record")


# --- surveys ----------------------------------------------------------------------------------------

#: Answer words of the usual five-point satisfaction question, as survey tools export them.
CSAT_WORDS: dict[str, str] = {
    "非常满意": "5", "满意": "4", "一般": "3", "不满意": "2", "非常不满意": "1",
    "very satisfied": "5", "satisfied": "4", "neutral": "3", "dissatisfied": "2", "very dissatisfied": "1",
}

COLUMNS: tuple[Column, ...] = (
    Column("response_id", ("问卷编号", "答卷ID", "答卷编号", "回答ID", "answer_id"), required=False),
    Column("responded_at", ("提交时间", "填写时间", "提交答卷时间", "评价时间", "submitted_at",
                            "response_time")),
    Column("staff_id", ("客服工号", "员工编号", "工号", "employee_id"), required=False),
    Column("staff_platform", ("客服平台", "客服账号平台"), required=False),
    Column("staff_handle", ("客服账号", "员工账号", "staff_userid"), required=False),
    Column("group_id", ("群编号", "社群编号"), required=False),
    Column("platform", ("平台", "群平台", "来源平台"), required=False),
    Column("source_key", ("群ID", "群号", "chat_id", "room_id"), required=False),
    Column("csat", ("满意度", "满意度评分", "评分", "satisfaction", "csat_score", "rating"), required=False),
    Column("nps", ("推荐意愿", "推荐指数", "推荐度", "nps_score", "likelihood_to_recommend"),
           required=False),
    Column("respondent", ("答题人", "填写人", "评价人", "respondent_handle"), required=False),
    Column("channel", ("渠道", "来源渠道"), required=False),
)

SCHEMA: dict[str, pl.DataType] = {
    "response_id": pl.String(),
    "responded_at": UTC_DATETIME,
    "staff_id": pl.String(),
    "staff_platform": pl.String(),
    "staff_handle": pl.String(),
    "group_id": pl.String(),
    "platform": pl.String(),
    "source_key": pl.String(),
    "csat": pl.Int64(),
    "nps": pl.Int64(),
    "respondent": pl.String(),
    "channel": pl.String(),
}

#: The respondent is a customer: kept in the raw table for de-duplication and staging's
#: pseudonymisation, left out of quarantine snippets (the line label finds the row).
SNIPPET_COLUMNS = [c.name for c in COLUMNS if c.name != "respondent"]


def parse(path: Path, rel_path: str, timezone: str = DEFAULT_TIMEZONE) -> InputResult:
    """One survey file: usable responses in SCHEMA, every other row quarantined with its reason."""
    table = without_blank_rows(read_table(path, rel_path, COLUMNS), COLUMNS)
    rows = checked(table, _problems(timezone), _values(timezone), SNIPPET_COLUMNS)
    kept, duplicates = _first_of_each_id(_with_response_ids(rows.filter(pl.col("reason").is_null())))
    return InputResult(
        rows=kept.select(*SCHEMA, "source_record", "source_record_label"),
        quarantine=quarantine_rows(rows.filter(pl.col("reason").is_not_null()), duplicates),
    )


def _problems(timezone: str) -> list[pl.Expr]:
    unattributed = pl.all_horizontal(
        pl.col(c).is_null() for c in ("staff_id", "staff_handle", "group_id", "source_key")
    )
    return [
        empty_problem("responded_at", "the time the response was submitted"),
        datetime_problem(pl.col("responded_at"), "responded_at", timezone),
        score_problem(pl.col("csat"), "csat", 1, 5, CSAT_WORDS),
        score_problem(pl.col("nps"), "nps", 0, 10),
        pl.when(pl.col("csat").is_null() & pl.col("nps").is_null())
        .then(pl.lit("csat and nps are both empty; a response needs at least one score")),
        pl.when(unattributed).then(pl.lit(
            "names neither a staff member (staff_id, or staff_platform + staff_handle) nor a group "
            "(group_id, or platform + source_key), so the response cannot be attributed"
        )),
        *identity_problems(),
    ]


def _values(timezone: str) -> list[pl.Expr]:
    return [
        parse_local_datetime(pl.col("responded_at"), timezone).alias("responded_at"),
        parse_score(pl.col("csat"), 1, 5, CSAT_WORDS).alias("csat"),
        parse_score(pl.col("nps"), 0, 10).alias("nps"),
        *identity_values(),
    ]


def _with_response_ids(responses: pl.DataFrame) -> pl.DataFrame:
    return responses.with_columns(pl.coalesce("response_id", _fingerprints(responses)).alias("response_id"))


def _fingerprints(responses: pl.DataFrame) -> pl.Series:
    """`fp:` + SHA-1 of what makes a response (time, who it names, scores, respondent), for files
    without response ids: the same response delivered again in another file gets the same id, so
    staging can drop the copy. SHA-1 comes from DuckDB because Polars' hash is not stable across
    versions and these ids are stored."""
    parts = ["responded_at", *IDENTITY_COLUMNS, "csat", "nps", "respondent"]
    text = [pl.col(c).dt.strftime("%Y-%m-%dT%H:%M:%SZ") if c == "responded_at" else pl.col(c).cast(pl.String)
            for c in parts]
    keyed = responses.select(
        pl.concat_str([t.fill_null("") for t in text], separator="\x1f").alias("fp_text")
    ).with_row_index("fp_row")
    with registered("survey_fingerprints", keyed) as con:
        ids = con.sql("select 'fp:' || sha1(fp_text) as id from survey_fingerprints order by fp_row").pl()
    return ids["id"]


def _first_of_each_id(responses: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(first response of each response_id in file order, the later copies with their reason)."""
    ranked = responses.sort("source_record").with_columns(
        (pl.int_range(pl.len()).over("response_id") == 0).alias("is_first"),
        pl.col("source_record_label").first().over("response_id").alias("first_label"),
    )
    duplicates = ranked.filter(~pl.col("is_first")).with_columns(
        pl.format("duplicate response_id {}; the response on {} is kept", "response_id", "first_label").alias("reason")
    )
    return ranked.filter("is_first"), duplicates


KIND = InputKind(
    name="surveys",
    table="raw.survey_responses",
    schema=SCHEMA,
    parse=parse,
    description=(
        "Satisfaction survey responses (满意度问卷), one row per response, from CSV or XLSX files under "
        "inputs/surveys/; they feed csat_rate, csat_mean and nps (KPI_SPEC §4.4). csat is the 1–5 "
        "satisfaction score (words such as 非常满意 are read as their score), nps the 0–10 "
        "likelihood-to-recommend answer, null where the question was not asked. A response is "
        "attributed to the staff member it names (staff_id, or staff_platform + staff_handle), else to "
        "its group (group_id, or platform + source_key), resolved to the roster in staging. response_id "
        "is the survey tool's id, or 'fp:' + a content fingerprint when the file has none. responded_at "
        "is UTC (local times are read as Asia/Shanghai). respondent is the customer's account or name, "
        "kept raw only for de-duplication and pseudonymised in staging; it is never published. Rows "
        "that cannot be used (unreadable time or score, no score at all, nobody to attribute them to, a "
        "repeated response_id) are in raw.input_quarantine with the reason."
    ),
    version="1",
)
