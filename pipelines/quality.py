"""Data contracts as Great Expectations suites, run as blocking Dagster asset checks.

Each `Suite` names a table, a SELECT giving the columns its expectations read (one row per row of
the table, derived columns such as a compound key computed in SQL), and the expectations. A failing
suite blocks everything downstream (grades, HR files, dashboards) and its check metadata lists
each failed expectation with its unexpected count and examples.

GE's pandas engine holds every row it validates in memory, so large tables are validated in chunks
of `CHUNK_ROWS`, split by the hash of the suite's `unique` column, so every copy of a value lands
in the same chunk and uniqueness is still checked over the whole table.

The SQL files in `sql/checks/` hold business rules across columns and rows; these suites hold
the contract of each table: keys, allowed values, ranges, grain.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from dataclasses import dataclass, field
from functools import cache

import dagster as dg
import polars as pl

from assets.ingest.schema import EVENT_TYPES, MESSAGE_KINDS
from pipelines.config import PLATFORMS
from pipelines.metadata import markdown_table
from pipelines.partitions import PARTITIONS_START
from pipelines.resources import Warehouse

#: Rows per GE validation (pandas); bounds the check's memory on big staging tables.
CHUNK_ROWS = 1_000_000
#: Unexpected values shown per failed expectation.
EXAMPLES = 5
#: How far past now a timestamp may lie (clock skew between export devices and this machine).
FUTURE_SLACK = dt.timedelta(days=1)

SCORE_COLUMNS = ("activity_score", "content_quality_score", "resolution_score", "satisfaction_score", "overall_score")


@dataclass(frozen=True)
class Expect:
    """One GE expectation: its class name in `great_expectations.expectations` and arguments.
    `{partitions_start}` and `{latest_time}` as argument values are filled in when the check runs."""

    name: str
    kwargs: dict = field(default_factory=dict)

    def label(self) -> str:
        args = ", ".join(f"{k}={v}" for k, v in self.kwargs.items() if k in ("column", "column_list"))
        return f"{self.name}({args})"


@dataclass(frozen=True)
class Suite:
    table: str
    description: str
    sql: str
    #: the column that identifies a row (its uniqueness is one of the expectations); big tables are
    #: split into chunks by its hash
    unique: str
    expectations: tuple[Expect, ...]
    additional_deps: tuple[str, ...] = ()

    @property
    def check_name(self) -> str:
        return f"ge__{self.table.split('.')[1]}"


def _in_range(column: str) -> Expect:
    return Expect("ExpectColumnValuesToBeBetween",
                  {"column": column, "min_value": "{partitions_start}", "max_value": "{latest_time}"})


def _score_range(columns: tuple[str, ...]) -> tuple[Expect, ...]:
    return tuple(Expect("ExpectColumnValuesToBeBetween", {"column": c, "min_value": 0, "max_value": 100})
                 for c in columns)


SUITES = (
    Suite(
        table="staging.stg_chat__messages",
        description="Messages: ids present and unique per source, known kinds and platforms, times inside the "
                    "partitions (not before the first, not in the future).",
        sql="""select platform, source_key || chr(31) || message_id as message_key, message_id, group_id,
                      kind, sent_at, source_file, source_record
               from staging.stg_chat__messages""",
        unique="message_key",
        expectations=(
            Expect("ExpectColumnValuesToNotBeNull", {"column": "message_id"}),
            Expect("ExpectColumnValuesToNotBeNull", {"column": "group_id"}),
            Expect("ExpectColumnValuesToNotBeNull", {"column": "source_file"}),
            Expect("ExpectColumnValuesToBeUnique", {"column": "message_key"}),
            Expect("ExpectColumnValuesToBeInSet", {"column": "kind", "value_set": list(MESSAGE_KINDS)}),
            Expect("ExpectColumnValuesToBeInSet", {"column": "platform", "value_set": list(PLATFORMS)}),
            Expect("ExpectColumnValuesToNotBeNull", {"column": "sent_at"}),
            _in_range("sent_at"),
        ),
    ),
    Suite(
        table="staging.stg_chat__events",
        description="Membership events: ids present and unique per source, known event types, times inside "
                    "the partitions.",
        sql="""select source_key || chr(31) || event_id as event_key, event_id, event_type, occurred_at
               from staging.stg_chat__events""",
        unique="event_key",
        expectations=(
            Expect("ExpectColumnValuesToNotBeNull", {"column": "event_id"}),
            Expect("ExpectColumnValuesToBeUnique", {"column": "event_key"}),
            Expect("ExpectColumnValuesToBeInSet", {"column": "event_type", "value_set": list(EVENT_TYPES)}),
            _in_range("occurred_at"),
        ),
    ),
    Suite(
        table="marts.fct_scores",
        description="Scores: every dimension and overall score within 0–100, known entity and period types, "
                    "grades from the rubric's bands, one row per entity and period.",
        sql="""select entity_type || chr(31) || entity_id || chr(31) || period_type || chr(31) || period as score_key,
                      entity_type, period_type, grade, available_weight, {scores}
               from marts.fct_scores""".format(scores=", ".join(SCORE_COLUMNS)),
        unique="score_key",
        additional_deps=("raw.rubric_grade_bands",),
        expectations=(
            Expect("ExpectColumnValuesToBeUnique", {"column": "score_key"}),
            Expect("ExpectColumnValuesToBeInSet", {"column": "entity_type", "value_set": ["staff", "group"]}),
            Expect("ExpectColumnValuesToBeInSet", {"column": "period_type", "value_set": ["month", "quarter"]}),
            Expect("ExpectColumnValuesToBeInSet", {"column": "grade", "value_set": "{grades}"}),
            Expect("ExpectColumnValuesToBeBetween", {"column": "available_weight", "min_value": 0, "max_value": 1}),
            *_score_range(SCORE_COLUMNS),
        ),
    ),
    Suite(
        table="marts.fct_grades__staff",
        description="Grades: one row per staff member per quarter; every staff member active in a quarter of the "
                    "data is graded or carries a not-rated reason; grades from the rubric's bands; scores 0–100.",
        sql="""select roster.staff_id || chr(31) || quarters.period as staff_quarter,
                      grades.staff_id is not null as has_grade_row,
                      grades.final_grade is not null or grades.not_rated_reason is not null as graded_or_reason,
                      grades.computed_grade, grades.final_grade, {scores}
               from raw.staff as roster
               inner join intermediate.int_periods as quarters
                   on quarters.period_type = 'quarter'
                   and coalesce(roster.active_from, quarters.period_end) <= quarters.period_end
                   and coalesce(roster.active_to, quarters.period_start) >= quarters.period_start
               full join marts.fct_grades__staff as grades
                   on grades.staff_id = roster.staff_id and grades.quarter = quarters.period""".format(
            scores=", ".join(f"grades.{c}" for c in SCORE_COLUMNS)),
        unique="staff_quarter",
        additional_deps=("raw.staff", "intermediate.int_periods", "raw.rubric_grade_bands"),
        expectations=(
            Expect("ExpectColumnValuesToBeUnique", {"column": "staff_quarter"}),
            Expect("ExpectColumnValuesToBeInSet", {"column": "has_grade_row", "value_set": [True]}),
            Expect("ExpectColumnValuesToBeInSet", {"column": "graded_or_reason", "value_set": [True]}),
            Expect("ExpectColumnValuesToBeInSet", {"column": "computed_grade", "value_set": "{grades}"}),
            Expect("ExpectColumnValuesToBeInSet", {"column": "final_grade", "value_set": "{grades}"}),
            *_score_range(SCORE_COLUMNS),
        ),
    ),
    Suite(
        table="marts.fct_requests",
        description="Requests: one row per request id, known request types, response times not negative.",
        sql="""select request_id, request_type, response_business_minutes, response_calendar_minutes, opened_at
               from marts.fct_requests""",
        unique="request_id",
        expectations=(
            Expect("ExpectColumnValuesToNotBeNull", {"column": "request_id"}),
            Expect("ExpectColumnValuesToBeUnique", {"column": "request_id"}),
            Expect("ExpectColumnValuesToBeInSet", {"column": "request_type", "value_set": ["general", "complex"]}),
            Expect("ExpectColumnValuesToBeBetween", {"column": "response_business_minutes", "min_value": 0}),
            Expect("ExpectColumnValuesToBeBetween", {"column": "response_calendar_minutes", "min_value": 0}),
            _in_range("opened_at"),
        ),
    ),
)


@dataclass
class Outcome:
    """One expectation's result over every chunk."""

    expectation: Expect
    success: bool = True
    unexpected: int = 0
    examples: list = field(default_factory=list)
    error: str | None = None


@cache
def _batch_definition():
    """One ephemeral GE context per process, quiet (no progress bars, no usage statistics)."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    source = context.data_sources.add_pandas("warehouse")
    return source.add_dataframe_asset("table").add_batch_definition_whole_dataframe("whole")


def _expectations(suite: Suite, values: dict):
    import great_expectations as gx

    built = []
    for expect in suite.expectations:
        kwargs = {k: (values[v[1:-1]] if isinstance(v, str) and v.startswith("{") else v)
                  for k, v in expect.kwargs.items()}
        built.append(getattr(gx.expectations, expect.name)(**kwargs))
    return built


def _chunks(con, suite: Suite):
    """The suite's rows as pandas frames of at most ~CHUNK_ROWS rows."""
    rows = con.execute(f"select count(*) from ({suite.sql})").fetchall()[0][0]
    parts = max(1, math.ceil(rows / CHUNK_ROWS))
    if parts == 1:
        yield rows, con.sql(suite.sql).df()
        return
    for part in range(parts):
        split = f"hash({suite.unique}) % {parts} = {part}"
        frame = con.sql(f"select * from ({suite.sql}) where {split}").df()
        yield len(frame), frame


def validate(con, suite: Suite, now: dt.datetime | None = None) -> tuple[int, list[Outcome]]:
    """Run `suite` over its table; returns the rows checked and one outcome per expectation."""
    import pandas as pd

    now = now or dt.datetime.now(dt.timezone.utc)
    grades = [row[0] for row in con.execute("select grade from raw.rubric_grade_bands").fetchall()]
    values = {
        "partitions_start": pd.Timestamp(PARTITIONS_START, tz="Asia/Shanghai"),
        "latest_time": pd.Timestamp(now + FUTURE_SLACK),
        "grades": grades,
    }
    expectations = _expectations(suite, values)
    outcomes = [Outcome(expect) for expect in suite.expectations]
    batch_definition = _batch_definition()
    checked = 0
    for rows, frame in _chunks(con, suite):
        checked += rows
        if not rows:
            continue
        batch = batch_definition.get_batch(batch_parameters={"dataframe": frame})
        for outcome, expectation in zip(outcomes, expectations):
            result = batch.validate(expectation, result_format={"result_format": "SUMMARY",
                                                                "partial_unexpected_count": EXAMPLES})
            if result.exception_info and result.exception_info.get("raised_exception"):
                outcome.success = False
                outcome.error = str(result.exception_info.get("exception_message"))[:200]
                continue
            if not result.success:
                outcome.success = False
                outcome.unexpected += int(result.result.get("unexpected_count") or 0)
                room = EXAMPLES - len(outcome.examples)
                outcome.examples += [str(v) for v in (result.result.get("partial_unexpected_list") or [])[:room]]
    return checked, outcomes


def _report(outcomes: list[Outcome]) -> str:
    frame = pl.DataFrame(
        {
            "expectation": [o.expectation.label() for o in outcomes],
            "result": ["pass" if o.success else "FAIL" for o in outcomes],
            "unexpected": [o.unexpected for o in outcomes],
            "examples": ["; ".join(o.examples) or (o.error or "") for o in outcomes],
        }
    )
    return markdown_table(frame, len(outcomes))


def _failures(failed: list[Outcome]) -> str:
    """One line for the terminal: each failed expectation, its count and a few examples."""
    parts = []
    for outcome in failed:
        example = f", e.g. {', '.join(outcome.examples[:3])}" if outcome.examples else ""
        what = outcome.error or f"{outcome.unexpected:,} unexpected{example}"
        parts.append(f"{outcome.expectation.label()}: {what}")
    return "; ".join(parts)


def suite_check(suite: Suite) -> dg.AssetChecksDefinition:
    """`suite` as a blocking check on its table's asset."""
    layer, name = suite.table.split(".")

    @dg.asset_check(
        asset=dg.AssetKey([layer, name]),
        name=suite.check_name,
        description=f"Great Expectations suite. {suite.description}",
        blocking=True,
        additional_deps=[dg.AssetKey(dep.split(".")) for dep in suite.additional_deps],
    )
    def _check(warehouse: Warehouse) -> dg.AssetCheckResult:
        with warehouse.connect(read_only=True) as con:
            checked, outcomes = validate(con, suite)
        failed = [o for o in outcomes if not o.success]
        return dg.AssetCheckResult(
            passed=not failed,
            severity=dg.AssetCheckSeverity.ERROR,
            description=(f"{len(failed)} of {len(outcomes)} expectations failed" if failed
                         else f"all {len(outcomes)} expectations passed"),
            metadata={
                "rows_checked": dg.MetadataValue.int(checked),
                "failed_expectations": dg.MetadataValue.int(len(failed)),
                "unexpected_rows": dg.MetadataValue.int(sum(o.unexpected for o in failed)),
                "expectations": dg.MetadataValue.md(_report(outcomes)),
                **({"failures": dg.MetadataValue.text(_failures(failed))} if failed else {}),
            },
        )

    return _check


ge_checks = [suite_check(suite) for suite in SUITES]
