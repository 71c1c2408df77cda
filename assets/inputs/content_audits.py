"""Content audit log (内容审核记录): one row per submission of a post to review (KPI_SPEC §4.2).

`audit_pass_rate` is posts passing review at their *first* submission over posts reviewed, and
`audit_score` the mean reviewer score (1–5). A post sent back for changes and resubmitted appears
once per submission, so the rows of a post are numbered by submission time (`submission` 1, 2, …)
and the first submission's verdict decides the post's `passed_first_time`; a resubmission that
passes later does not turn a first-time failure into a pass.

Identities stay as the file writes them (the author's staff_id or platform + handle, the group's
group_id or platform + source_key); staging resolves them to roster staff and registered groups.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from assets.ingest.common import FINGERPRINT_VERSION, content_fingerprints
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
    Column("audit_id", ("审核编号", "审核ID", "审核单号", "audit id", "review id"), required=False),
    Column("post_id", ("内容编号", "作品ID", "内容ID", "作品编号", "文章ID", "post id", "content id", "item id")),
    Column("staff_id", ("作者工号", "提交人工号", "工号", "员工工号", "staff id", "author staff id", "employee id"),
           required=False),
    Column("staff_platform", ("作者平台", "提交人平台", "staff platform", "author platform"), required=False),
    Column("staff_handle", ("作者", "提交人", "作者账号", "提交人账号", "staff handle", "author", "submitter",
                            "author handle"), required=False),
    Column("group_id", ("群编号", "社群编号", "发布群编号", "group id"), required=False),
    Column("platform", ("平台", "发布平台", "群平台", "group platform"), required=False),
    Column("source_key", ("发布群", "发布群ID", "群号", "群ID", "source key", "group key", "chat id", "room id"),
           required=False),
    Column("content_type", ("内容类型", "作品类型", "类型", "content type", "type"), required=False),
    Column("submitted_at", ("提交时间", "送审时间", "submitted at", "submitted", "submit time", "submission time")),
    Column("first_verdict", ("初审结果", "审核结果", "first verdict", "verdict", "review result")),
    Column("first_reviewed_at", ("初审时间", "审核时间", "first reviewed at", "reviewed at", "review time"),
           required=False),
    Column("final_verdict", ("终审结果", "final verdict", "final result"), required=False),
    Column("final_reviewed_at", ("终审时间", "final reviewed at", "final review time"), required=False),
    Column("score", ("评分", "得分", "审核评分", "score", "rating", "review score"), required=False),
    Column("reviewer", ("审核人", "审核员", "reviewer", "reviewed by"), required=False),
)

#: Verdict words as review consoles and hand-kept sheets write them. `修改后通过` (passed after
#: changes) is `revise`, not `pass`: the post did not pass as first submitted. Pending words mean
#: "no verdict yet" and are stored as null rather than quarantined.
VERDICTS: dict[str, str] = {
    "pass": "pass", "passed": "pass", "approved": "pass", "approve": "pass",
    "通过": "pass", "审核通过": "pass", "已通过": "pass", "合格": "pass",
    "fail": "fail", "failed": "fail", "rejected": "fail", "reject": "fail",
    "驳回": "fail", "不通过": "fail", "未通过": "fail", "拒绝": "fail", "不合格": "fail", "已驳回": "fail",
    "revise": "revise", "revised": "revise", "revision": "revise", "needs revision": "revise",
    "修改后通过": "revise", "需修改": "revise", "修改": "revise", "退回修改": "revise",
    "pending": "pending", "in review": "pending", "待审核": "pending", "审核中": "pending", "未审核": "pending",
}

SCORE_MIN, SCORE_MAX = 1.0, 5.0

SCHEMA: dict[str, pl.DataType] = {
    "audit_id": pl.String(),
    "post_id": pl.String(),
    "submission": pl.Int64(),
    "staff_id": pl.String(),
    "staff_platform": pl.String(),
    "staff_handle": pl.String(),
    "group_id": pl.String(),
    "platform": pl.String(),
    "source_key": pl.String(),
    "content_type": pl.String(),
    "submitted_at": pl.Datetime("us", "UTC"),
    "first_verdict": pl.String(),
    "first_reviewed_at": pl.Datetime("us", "UTC"),
    "final_verdict": pl.String(),
    "final_reviewed_at": pl.Datetime("us", "UTC"),
    "score": pl.Float64(),
    "reviewer": pl.String(),
    "passed_first_time": pl.Boolean(),
}
_SOURCE = ("source_record", "source_record_label")

_TIMES = ("submitted_at", "first_reviewed_at", "final_reviewed_at")
#: Quarantine snippets are cut at 200 characters: the cells a reason talks about come first.
_SNIPPET_ORDER = ("post_id", "submitted_at", "first_verdict", "first_reviewed_at", "final_verdict",
                  "final_reviewed_at", "score", "audit_id", "staff_id", "staff_platform", "staff_handle",
                  "group_id", "platform", "source_key", "content_type", "reviewer")
_NUMBER = r"^\s*(-?[0-9]+(?:\.[0-9]+)?)\s*分?\s*$"


def parse(path: Path, rel_path: str, timezone: str = "Asia/Shanghai") -> InputResult:
    """Read one audit log; times without an offset are wall-clock time in `timezone`."""
    table = read_table(path, rel_path, COLUMNS)
    parsed = table.with_columns(
        *(parse_local_datetime(pl.col(c), timezone).alias(f"{c}_parsed") for c in _TIMES),
        *(_verdict(c) for c in ("first_verdict", "final_verdict")),
        pl.col("score").str.extract(_NUMBER).cast(pl.Float64).alias("score_parsed"),
    ).with_columns(_reason(timezone).alias("reason"), _submission().alias("submission"))
    bad = pl.col("reason").is_not_null()
    quarantine = parsed.filter(bad).select(
        "source_record", "source_record_label", "reason",
        snippet(parsed, list(_SNIPPET_ORDER)).alias("raw_snippet"),
    )
    rows = _rows(parsed.filter(~bad))
    return InputResult(rows=rows, quarantine=quarantine, warnings=_warnings(rows))


def _verdict(column: str) -> pl.Expr:
    """The canonical verdict, null for a pending or blank cell (unknown words are reported by `_reason`)."""
    canonical = parse_choice(pl.col(column), VERDICTS)
    return pl.when(canonical != "pending").then(canonical).alias(f"{column}_parsed")


def _reason(timezone: str) -> pl.Expr:
    """Every reason a row cannot be used, joined; null for a usable row."""
    first, final = pl.col("first_reviewed_at_parsed"), pl.col("final_reviewed_at_parsed")
    submitted, score = pl.col("submitted_at_parsed"), pl.col("score_parsed")
    problems = [
        pl.when(pl.col("post_id").is_null()).then(pl.lit(
            "post_id is blank (expected the id of the reviewed post: 内容编号/作品ID/post_id)")),
        pl.when(pl.col("submitted_at").is_null()).then(pl.lit(
            "submitted_at is blank (expected the time the post was submitted for review: 提交时间)")),
        *(datetime_problem(pl.col(c), c, timezone) for c in _TIMES),
        *(choice_problem(pl.col(c), c, VERDICTS) for c in ("first_verdict", "final_verdict")),
        pl.when(pl.col("final_verdict_parsed").is_not_null() & pl.col("first_verdict").is_null()).then(pl.lit(
            "final_verdict is given but first_verdict is blank (expected the first review's verdict: 初审结果)")),
        pl.when(pl.col("score").is_not_null() & score.is_null()).then(
            pl.format("score {} is not a number (expected a reviewer score from 1 to 5, e.g. 4 or 4.5)",
                      pl.col("score"))),
        pl.when((score < SCORE_MIN) | (score > SCORE_MAX)).then(
            pl.format("score {} is outside 1–5 (expected a reviewer score from 1 to 5)", pl.col("score"))),
        pl.when(first < submitted).then(pl.format(
            "first_reviewed_at {} is before submitted_at {} (expected the review after the submission)",
            pl.col("first_reviewed_at"), pl.col("submitted_at"))),
        pl.when(final < first).then(pl.format(
            "final_reviewed_at {} is before first_reviewed_at {} (expected the final review after the first)",
            pl.col("final_reviewed_at"), pl.col("first_reviewed_at"))),
    ]
    joined = pl.concat_str(problems, separator="; ", ignore_nulls=True)  # "" when there is none
    return pl.when(joined != "").then(joined)


def _submission() -> pl.Expr:
    """1, 2, … per post_id in submission-time order (file order breaks ties).

    Numbered before quarantined rows are removed, so a resubmission keeps its number when the
    post's first submission was quarantined: staging then sees that submission 1 is missing
    instead of taking the resubmission's verdict as the first-time result.
    """
    untimed = pl.col("submitted_at_parsed").is_null()
    number = pl.int_range(1, pl.len() + 1, dtype=pl.Int64).over(
        "post_id", untimed, order_by=["submitted_at_parsed", "source_record"])
    return pl.when(pl.col("post_id").is_not_null() & ~untimed).then(number)


def _rows(good: pl.DataFrame) -> pl.DataFrame:
    """Usable rows in the table's schema; a blank audit_id becomes a content fingerprint."""
    rows = good.select(
        "audit_id", "post_id", "submission", "staff_id", "staff_platform", "staff_handle",
        "group_id", "platform", "source_key", "content_type",
        *(pl.col(f"{c}_parsed").alias(c) for c in _TIMES),
        pl.col("first_verdict_parsed").alias("first_verdict"),
        pl.col("final_verdict_parsed").alias("final_verdict"),
        pl.col("score_parsed").alias("score"),
        "reviewer",
        (pl.col("first_verdict_parsed") == "pass").alias("passed_first_time"),
        *_SOURCE,
    )
    fingerprints = content_fingerprints(
        rows.with_columns(
            pl.concat_str([pl.col(c).fill_null("") for c in ("staff_id", "staff_platform", "staff_handle")],
                          separator="\x1f").alias("fp_author"),
            pl.lit("").alias("fp_text"),
        ),
        source_key="post_id", time="submitted_at", sender="fp_author", text="fp_text", order="source_record",
    )
    return rows.with_columns(fingerprints.alias("fingerprint")).select(
        *(pl.col(c).cast(t) for c, t in SCHEMA.items() if c != "audit_id"), *_SOURCE,
        pl.coalesce("audit_id", pl.lit("fp:") + pl.col("fingerprint")).alias("audit_id"),
    ).select(*SCHEMA, *_SOURCE)


def _warnings(rows: pl.DataFrame) -> list[str]:
    """Kept rows staging will not be able to attribute, and audit ids the file repeats."""
    half_author = ((pl.col("staff_platform").is_null() != pl.col("staff_handle").is_null())
                   & pl.col("staff_id").is_null())
    half_group = (pl.col("platform").is_null() != pl.col("source_key").is_null()) & pl.col("group_id").is_null()
    nobody = pl.all_horizontal(pl.col(c).is_null() for c in
                               ("staff_id", "staff_handle", "group_id", "source_key"))
    counts = rows.select(
        half_author.sum().alias("half_author"), half_group.sum().alias("half_group"), nobody.sum().alias("nobody"),
        (pl.len() - pl.col("audit_id").n_unique()).alias("repeated_ids"),
    ).row(0, named=True)
    messages = {
        "half_author": "{} row(s) give only one of staff_platform and staff_handle and no staff_id; "
                       "their author cannot be matched to the roster",
        "half_group": "{} row(s) give only one of platform and source_key and no group_id; "
                      "their group cannot be matched to the registry",
        "nobody": "{} row(s) name neither an author nor a group; they count towards no staff or group metric",
        "repeated_ids": "{} row(s) repeat an audit_id used by an earlier row of the file",
    }
    return [messages[key].format(count) for key, count in counts.items() if count]


KIND = InputKind(
    name="content_audits",
    table="raw.content_audits",
    schema=SCHEMA,
    parse=parse,
    description=(
        "Content audit log (内容审核记录): one row per submission of a post to review, with the first "
        "and final verdicts (pass | fail | revise; null while pending), the reviewer's 1–5 score and "
        "the author and group as the file names them. A resubmitted post has one row per submission, "
        "numbered by submission time in `submission`; the first submission's `passed_first_time` is "
        "what audit_pass_rate counts (KPI_SPEC §4.2), and audit_score is the mean `score`. Rows with "
        "unknown verdict words, scores outside 1–5, unreadable times, a final review before the first "
        "or no post_id are in raw.input_quarantine."
    ),
    version=f"2+{FINGERPRINT_VERSION}",  # blank audit ids are content fingerprints
)
