"""Multi-rater evaluations (360 度考核 / 多维评价): one rating of one staff member per row (KPI_SPEC §4.4).

`evaluation_score` weights the rater types (self, supervisor, peer, customer; *default*
0.1 / 0.4 / 0.2 / 0.3, renormalised over the types present) — that is done later in SQL from the
rubric, so this table keeps each rating as given, on its own scale, plus the score on a 0–100 scale.

Sheets come from HR on different scales (百分制, 10 分制, 5 分制) and name the period in several ways
(`2026-Q3`, `2026年第三季度`, `2026年7月`); both are made canonical here so that ratings from two
files of the same period meet in one key. A rater who filled the form twice is counted once: the
latest submission wins and the earlier one is quarantined as superseded, rather than silently
doubling that rater's weight. `rater_id` and `comment` are raw (customers' ids, free text) and
must never be published.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from assets.inputs.base import InputKind, InputResult, snippet
from assets.inputs.tables import (
    Column,
    choice_problem,
    datetime_problem,
    parse_choice,
    parse_local_datetime,
    read_table,
)

COLUMNS = (
    Column("staff_id", ("被评人工号", "被评人ID", "被评价人工号", "员工工号", "工号", "staff id", "ratee id",
                        "employee id")),
    Column("period", ("考核周期", "评价周期", "考核期间", "周期", "period", "assessment period")),
    Column("rater_type", ("评价人类型", "评价类型", "评价人角色", "评价关系", "rater type", "rater role",
                          "relationship")),
    Column("rater_id", ("评价人", "评价人工号", "评价人ID", "评分人", "rater", "rater id", "evaluator"),
           required=False),
    Column("score", ("评分", "得分", "分数", "score", "rating")),
    Column("scale", ("满分", "分制", "评分满分", "scale", "max score", "out of"), required=False),
    Column("submitted_at", ("提交时间", "评价时间", "submitted at", "submitted", "submit time"), required=False),
    Column("comment", ("评语", "评价内容", "评价意见", "备注", "comment", "comments", "remarks", "feedback"),
           required=False),
)

RATER_TYPES: dict[str, str] = {
    "self": "self", "自评": "self", "本人": "self", "自我评价": "self",
    "supervisor": "supervisor", "manager": "supervisor", "上级": "supervisor", "主管": "supervisor",
    "直属上级": "supervisor", "领导": "supervisor", "上级评价": "supervisor",
    "peer": "peer", "colleague": "peer", "同事": "peer", "同级": "peer", "平级": "peer", "同事互评": "peer",
    "customer": "customer", "client": "customer", "客户": "customer", "用户": "customer", "客户评价": "customer",
}

#: Scales a rating sheet may use; a blank scale is 百分制 (out of 100).
SCALES: dict[str, int] = {"100": 100, "10": 10, "5": 5, "百分制": 100, "十分制": 10, "五分制": 5}
DEFAULT_SCALE = 100

SCHEMA: dict[str, pl.DataType] = {
    "staff_id": pl.String(),
    "period_type": pl.String(),
    "period": pl.String(),
    "rater_type": pl.String(),
    "rater_id": pl.String(),
    "score": pl.Float64(),
    "scale": pl.Int64(),
    "score_normalised": pl.Float64(),
    "submitted_at": pl.Datetime("us", "UTC"),
    "comment": pl.String(),
}
_SOURCE = ("source_record", "source_record_label")

_NUMBER = r"^\s*(-?[0-9]+(?:\.[0-9]+)?)\s*(?:分制|分)?\s*$"
#: `2026-Q3`, `2026Q3`, `2026 q3`, `2026年Q3`, `2026年第三季度`, `2026年第3季`, `2026-3季度`: a quarter
#: needs its marker (Q or 季), so `2026-3` is never read as a quarter.
_QUARTER = r"^([0-9]{4})\s*年?\s*[-/.]?\s*(?:[Qq]\s*([1-4])|第?\s*([1-4一二三四])\s*季度?)$"
#: `2026-07`, `2026-7`, `2026/07`, `2026.07`, `2026年7月`, `2026年07月份`.
_MONTH = r"^([0-9]{4})\s*(?:年|[-/.])\s*([0-9]{1,2})\s*(?:月份?)?$"
_CHINESE_DIGITS = {"一": "1", "二": "2", "三": "3", "四": "4"}
_PERIODS_ACCEPTED = "2026-Q3, 2026Q3, 2026年第三季度, 2026年Q3, or a month 2026-07 / 2026年7月"


def parse(path: Path, rel_path: str, timezone: str = "Asia/Shanghai") -> InputResult:
    """Read one evaluation sheet; submission times without an offset are wall-clock time in `timezone`."""
    table = read_table(path, rel_path, COLUMNS)
    parsed = table.with_columns(
        *_period(pl.col("period")),
        parse_choice(pl.col("rater_type"), RATER_TYPES).alias("rater_type_parsed"),
        pl.col("score").str.extract(_NUMBER).cast(pl.Float64).alias("score_parsed"),
        _scale(pl.col("scale")).alias("scale_parsed"),
        parse_local_datetime(pl.col("submitted_at"), timezone).alias("submitted_at_parsed"),
    ).with_columns(_reason(timezone).alias("reason"))
    valid = parsed.filter(pl.col("reason").is_null()).with_columns(_superseded().alias("reason"))
    rejected = pl.concat([parsed.filter(pl.col("reason").is_not_null()),
                          valid.filter(pl.col("reason").is_not_null())]).sort("source_record")
    quarantine = rejected.select(
        *_SOURCE, "reason", snippet(rejected, [c.name for c in COLUMNS]).alias("raw_snippet"),
    )
    return InputResult(rows=_rows(valid.filter(pl.col("reason").is_null())), quarantine=quarantine)


def _period(text: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """(period_type, period): `quarter` and `YYYY-Qn`, or `month` and `YYYY-MM`; nulls when unreadable."""
    quarter = text.str.extract_groups(_QUARTER)
    number = pl.coalesce(quarter.struct.field("2"), quarter.struct.field("3").replace(_CHINESE_DIGITS))
    month = text.str.extract_groups(_MONTH)
    month_number = month.struct.field("2").cast(pl.Int64)
    is_quarter = quarter.struct.field("1").is_not_null()
    is_month = month_number.is_between(1, 12)
    period_type = pl.when(is_quarter).then(pl.lit("quarter")).when(is_month).then(pl.lit("month"))
    period = pl.when(is_quarter).then(pl.format("{}-Q{}", quarter.struct.field("1"), number)).when(is_month).then(
        pl.format("{}-{}", month.struct.field("1"), month_number.cast(pl.String).str.zfill(2)))
    return period_type.alias("period_type"), period.alias("period_parsed")


def _scale(text: pl.Expr) -> pl.Expr:
    """The scale as 5, 10 or 100 (blank is 100); null when it is none of those."""
    number = text.str.extract(_NUMBER).cast(pl.Float64)
    as_number = pl.when(number.is_in([5.0, 10.0, 100.0])).then(number.cast(pl.Int64))
    as_word = text.replace_strict(SCALES, default=None, return_dtype=pl.Int64)
    return pl.when(text.is_null()).then(pl.lit(DEFAULT_SCALE, pl.Int64)).otherwise(pl.coalesce(as_number, as_word))


def _reason(timezone: str) -> pl.Expr:
    """Every reason a row cannot be used, joined; null for a usable row (supersession is checked later)."""
    score, scale = pl.col("score_parsed"), pl.col("scale_parsed")
    problems = [
        pl.when(pl.col("staff_id").is_null()).then(pl.lit(
            "staff_id is blank (expected the rated staff member's id: 被评人工号/staff_id)")),
        pl.when(pl.col("period_parsed").is_null()).then(pl.format(
            f"period {{}} is not a quarter or month (expected e.g. {_PERIODS_ACCEPTED})",
            pl.col("period").fill_null("(blank)"))),
        pl.when(pl.col("rater_type").is_null()).then(pl.lit(
            f"rater_type is blank (expected one of: {', '.join(RATER_TYPES)})")),
        choice_problem(pl.col("rater_type"), "rater_type", RATER_TYPES),
        pl.when(pl.col("score").is_null()).then(pl.lit("score is blank (expected the rating, e.g. 85)")),
        pl.when(pl.col("score").is_not_null() & score.is_null()).then(
            pl.format("score {} is not a number (expected the rating, e.g. 85 or 4.5)", pl.col("score"))),
        pl.when(pl.col("scale").is_not_null() & scale.is_null()).then(
            pl.format("scale {} is not 100, 10 or 5 (expected the maximum score: 100, 10 or 5; blank means 100)",
                      pl.col("scale"))),
        pl.when((score < 0) | (score > scale)).then(
            pl.format("score {} is outside 0–{} (expected a rating from 0 to the scale)", pl.col("score"), scale)),
        datetime_problem(pl.col("submitted_at"), "submitted_at", timezone),
        pl.when((pl.col("rater_type_parsed") == "self") & (pl.col("rater_id") != pl.col("staff_id"))).then(pl.format(
            "a self rating of staff_id {} by rater_id {} (expected a self rating's rater_id to be the rated "
            "staff_id, or blank)", pl.col("staff_id"), pl.col("rater_id"))),
    ]
    joined = pl.concat_str(problems, separator="; ", ignore_nulls=True)  # "" when there is none
    return pl.when(joined != "").then(joined)


def _superseded() -> pl.Expr:
    """Why an otherwise usable rating is not kept: the same rater rated the same staff member for
    the same period again. The latest submitted_at wins (a blank time counts as earliest; the row
    further down the file breaks ties). A self rating's rater is the rated staff member; other
    ratings without a rater_id are anonymous and never duplicates of each other."""
    rater = pl.when(pl.col("rater_type_parsed") == "self").then(pl.col("staff_id")).otherwise(pl.col("rater_id"))
    key = [pl.col("staff_id"), pl.col("period_parsed"), pl.col("rater_type_parsed"), rater]
    order = [pl.col("submitted_at_parsed"), pl.col("source_record")]
    keeper = pl.col("source_record").sort_by(order).last().over(key)
    keeper_label = pl.col("source_record_label").sort_by(order).last().over(key)
    return pl.when(rater.is_not_null() & (pl.col("source_record") != keeper)).then(pl.format(
        "superseded by {} (same staff_id, period, rater_type and rater; the latest submitted_at is kept)",
        keeper_label))


def _rows(good: pl.DataFrame) -> pl.DataFrame:
    return good.select(
        "staff_id", "period_type",
        pl.col("period_parsed").alias("period"),
        pl.col("rater_type_parsed").alias("rater_type"),
        "rater_id",
        pl.col("score_parsed").alias("score"),
        pl.col("scale_parsed").alias("scale"),
        (pl.col("score_parsed") / pl.col("scale_parsed") * 100).alias("score_normalised"),
        pl.col("submitted_at_parsed").alias("submitted_at"),
        "comment",
        *_SOURCE,
    ).select(*(pl.col(c).cast(t) for c, t in SCHEMA.items()), *_SOURCE)


KIND = InputKind(
    name="evaluations",
    table="raw.evaluations",
    schema=SCHEMA,
    parse=parse,
    description=(
        "Multi-rater evaluations (多维评价): one rating of one staff member per row, by a self, supervisor, "
        "peer or customer rater, for a quarter (`YYYY-Qn`) or month (`YYYY-MM`). `score` is as given on "
        "its `scale` (100, 10 or 5) and `score_normalised` is out of 100; evaluation_score weights the "
        "rater types later in SQL (KPI_SPEC §4.4). When a rater rated the same person for the same period "
        "twice, only the latest submission is here. Rows with an unreadable period, unknown rater type, "
        "score outside 0–scale, a self rating by someone else or a superseded submission are in "
        "raw.input_quarantine. rater_id and comment are raw and never published."
    ),
    version="1",
)
