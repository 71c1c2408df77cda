"""Data contracts as Great Expectations suites, run as blocking Dagster asset checks.

Each `Suite` names a table, a SELECT giving the columns its expectations read (one row per row of
the table, derived columns such as a compound key computed in SQL), and the expectations. A failing
suite blocks everything downstream (grades, HR files, dashboards) and its check metadata lists
each failed expectation with its unexpected count and examples.

GE evaluates the suites with its SQL execution engine inside DuckDB (SQLAlchemy dialect
`duckdb_engine`), not with its pandas engine as STYLE.md advises (GE's SQL datasource failed on
DuckDB: it reads rows after closing the connection, which `_buffered` fixes). Over 10M messages
the pandas engine took 100+ s and ~2 GB (every string a Python object, in 1M-row chunks), the SQL
engine a few seconds, as only counts and a few examples leave DuckDB. GE reads through cursors
of the caller's connection that `validate` opens and closes, and nothing GE or SQLAlchemy keeps
afterwards leads back to DuckDB: duckdb 2.0 reports every DuckDB object alive at interpreter exit.

The SQL files in `sql/checks/` hold business rules across columns and rows; these suites hold
the contract of each table: keys, allowed values, ranges, grain.
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
import threading
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import cache
from zoneinfo import ZoneInfo

import dagster as dg
import polars as pl

from assets.ingest.schema import EVENT_TYPES, MESSAGE_KINDS
from pipelines.config import PLATFORMS
from pipelines.metadata import markdown_table
from pipelines.partitions import PARTITIONS_START, REPORTING_TIMEZONE, PeriodScope, scope_from_tags
from pipelines.resources import Warehouse
from pipelines.sql_runner import instants

#: DuckDB's memory limit on a check's connection: the uniqueness expectation counts every key of
#: the table in a window, which spills to disk past this (10M messages: ~0.9 GB peak RSS for the
#: process instead of ~1.8 GB under the warehouse's 2 GB).
MEMORY_LIMIT = "512MB"
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
    expectations: tuple[Expect, ...]
    additional_deps: tuple[str, ...] = ()
    #: For a monthly table: the time column whose months a partitioned run's check reads. A run for
    #: some months rewrote only their rows (the rest was checked when it was written), so only those
    #: are checked: a new day is checked in a fraction of a second, not with all ten million rows.
    partition_column: str | None = None

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
        partition_column="sent_at",
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
        partition_column="occurred_at",
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
    """One expectation's result over the whole table."""

    expectation: Expect
    success: bool = True
    unexpected: int = 0
    examples: list = field(default_factory=list)
    error: str | None = None


def warm_up() -> threading.Thread:
    """Import Great Expectations on a background thread (~2 s of module loading) while the run's
    first steps, DuckDB work that leaves the interpreter free, go on: the first suite then starts
    at once. The thread is not a daemon, so it never dies half-way through an import."""
    thread = threading.Thread(target=importlib.import_module, args=("great_expectations",), name="ge-import")
    thread.start()
    return thread


@cache
def _context():
    """One ephemeral GE context per process, quiet (no progress bars, no usage statistics). It
    holds no data source between validations (see `_batch`)."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return context


@cache
def _connection_wrapper():
    """duckdb_engine's DB-API wrapper for a DuckDB connection, importing duckdb_engine once.

    At import duckdb_engine registers its TRY_CAST compiler on SQLAlchemy's `TryCast` class, whose
    globals are duckdb_engine's (they hold `duckdb`). At shutdown the duckdb_engine module object
    is freed as soon as it leaves `sys.modules`, so its globals are never cleared, and that
    SQLAlchemy class keeps `duckdb` alive to the end: duckdb's nanobind then prints its objects as
    leaked (~40 lines on stderr after `kpi run`). Dropping the registration at exit lets shutdown
    free them; nothing compiles SQL by then."""
    import atexit

    from duckdb_engine import ConnectionWrapper
    from sqlalchemy import TryCast

    def forget_try_cast_compiler() -> None:
        dispatcher = getattr(TryCast, "_compiler_dispatcher", None)
        if dispatcher is not None:
            dispatcher.specs.pop("duckdb", None)

    atexit.register(forget_try_cast_compiler)
    return ConnectionWrapper


def _expectations(suite: Suite, values: dict):
    import great_expectations as gx

    built = []
    for expect in suite.expectations:
        kwargs = {k: (values[v[1:-1]] if isinstance(v, str) and v.startswith("{") else v)
                  for k, v in expect.kwargs.items()}
        built.append(getattr(gx.expectations, expect.name)(**kwargs))
    return built


def _buffered(execution_engine):
    """`execute_query` that reads the rows while the connection is still checked out.

    GE returns the cursor result after leaving `with connection`; with `NullPool` the connection
    (a DuckDB cursor) is closed by then. A pool that kept connections open would instead keep
    DuckDB objects alive for as long as SQLAlchemy keeps the engine."""

    def execute_query(query):
        with execution_engine.get_connection() as connection:
            return execution_engine._execute_query_with_recovery(connection, query).freeze()()

    return execute_query


@contextmanager
def _batch(con, suite: Suite):
    """A GE batch of `suite.sql`, read through new cursors of `con` (connections to the same
    DuckDB database, opened per query, in the session time zone of `con`).

    The data source lives only inside this block: it is deleted from the context on exit and
    its cursors are closed, so nothing the context keeps leads back to `con`."""
    from sqlalchemy.pool import NullPool

    connection_wrapper = _connection_wrapper()
    time_zone = con.execute("select current_setting('TimeZone')").fetchall()[0][0]
    cursors = []

    def connect():
        cursor = con.cursor()
        cursors.append(cursor)
        cursor.execute(f"set TimeZone = '{time_zone}'")
        return connection_wrapper(cursor)

    context = _context()
    name = f"warehouse_{uuid.uuid4().hex}"
    source = context.data_sources.add_sql(
        name, connection_string="duckdb://", kwargs={"creator": connect, "poolclass": NullPool})
    try:
        execution_engine = source.get_execution_engine()
        execution_engine.execute_query = _buffered(execution_engine)
        asset = source.add_query_asset(suite.check_name, query=suite.sql)
        yield asset.add_batch_definition_whole_table("whole").get_batch()
    finally:
        context.data_sources.delete(name)
        for cursor in cursors:
            cursor.close()
        cursors.clear()


def _error(result) -> str | None:
    """The message of an exception GE caught while validating (its `exception_info` is flat for the
    expectation itself, or keyed by metric when computing a metric failed)."""
    info = result.exception_info or {}
    for entry in [info, *info.values()]:
        if isinstance(entry, dict) and entry.get("raised_exception"):
            return str(entry.get("exception_message"))[:200]
    return None


def _examples(con, suite: Suite, column: str, values: list) -> list[str]:
    """Unexpected values as text. A null reads as GE's pandas engine showed it before (`NaT` for
    times, `nan` otherwise), so check metadata reads as it always has."""
    if any(value is None for value in values):
        types = {row[0]: row[1] for row in con.execute(f"describe {suite.sql}").fetchall()}
        null = "NaT" if types.get(column, "").startswith(("TIMESTAMP", "DATE")) else "nan"
        return [null if value is None else str(value) for value in values]
    return [str(value) for value in values]


def validate(con, suite: Suite, now: dt.datetime | None = None,
             scope: PeriodScope | None = None) -> tuple[int, list[Outcome]]:
    """Run `suite` over its table (with a `scope`, over the rows of its months when the suite has a
    `partition_column`); returns the rows checked and one outcome per expectation.

    GE first only decides whether each expectation holds (for uniqueness that is one window over
    the key in DuckDB); the ones that fail are validated again for their unexpected count and
    examples."""
    now = now or dt.datetime.now(dt.timezone.utc)
    if scope is not None and suite.partition_column:
        suite = replace(suite, sql=_in_scope(con, suite, scope))
    grades = [row[0] for row in con.execute("select grade from raw.rubric_grade_bands").fetchall()]
    values = {
        # datetimes, not pandas Timestamps: GE's SQL engine renders bounds as SQL literals
        "partitions_start": dt.datetime.fromisoformat(PARTITIONS_START).replace(
            tzinfo=ZoneInfo(REPORTING_TIMEZONE)),
        "latest_time": now + FUTURE_SLACK,
        "grades": grades,
    }
    outcomes = [Outcome(expect) for expect in suite.expectations]
    checked = con.execute(f"select count(*) from ({suite.sql})").fetchall()[0][0]
    if not checked:  # nothing to check (a month without events): GE is not even imported (~2 s)
        return checked, outcomes
    expectations = _expectations(suite, values)
    with _batch(con, suite) as batch:
        for outcome, expectation in zip(outcomes, expectations):
            result = batch.validate(expectation, result_format={"result_format": "BOOLEAN_ONLY"})
            if result.success and not _error(result):
                continue
            result = batch.validate(expectation, result_format={
                "result_format": "SUMMARY", "partial_unexpected_count": EXAMPLES,
                "return_unexpected_index_query": False})
            outcome.error = _error(result)
            outcome.success = bool(result.success) and outcome.error is None
            if outcome.error is None:
                outcome.unexpected = int(result.result.get("unexpected_count") or 0)
                unexpected = (result.result.get("partial_unexpected_list") or [])[:EXAMPLES]
                outcome.examples = _examples(con, suite, outcome.expectation.kwargs["column"], unexpected)
    return checked, outcomes


def _in_scope(con, suite: Suite, scope: PeriodScope) -> str:
    """`suite.sql` limited to the rows of `scope`'s months (instants as literals: GE's query asset
    takes no bound parameters), the edge partitions owning what lies beyond them."""
    zone = con.execute("select reporting_timezone from raw.rubric_settings").fetchall()[0][0]
    start, end = instants(scope, zone)
    conditions = [f"{suite.partition_column} {op} '{instant.isoformat()}'::timestamptz"
                  for op, instant in ((">=", start), ("<", end)) if instant is not None]
    return f"select * from ({suite.sql}) as rows where {' and '.join(conditions) or 'true'}"


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
    def _check(context, warehouse: Warehouse) -> dg.AssetCheckResult:  # AssetCheckExecutionContext
        scope = scope_from_tags(context.run.tags) if suite.partition_column else None
        with warehouse.connect(read_only=True) as con:
            # the check's own connection (closed right after), so its limit is nobody else's
            con.execute(f"set memory_limit = '{MEMORY_LIMIT}'")
            checked, outcomes = validate(con, suite, scope=scope)
        failed = [o for o in outcomes if not o.success]
        return dg.AssetCheckResult(
            passed=not failed,
            severity=dg.AssetCheckSeverity.ERROR,
            description=(f"{len(failed)} of {len(outcomes)} expectations failed" if failed
                         else f"all {len(outcomes)} expectations passed"),
            metadata={
                "rows_checked": dg.MetadataValue.int(checked),
                "rows_of": dg.MetadataValue.text(scope.describe() if scope else "the whole table"),
                "failed_expectations": dg.MetadataValue.int(len(failed)),
                "unexpected_rows": dg.MetadataValue.int(sum(o.unexpected for o in failed)),
                "expectations": dg.MetadataValue.md(_report(outcomes)),
                **({"failures": dg.MetadataValue.text(_failures(failed))} if failed else {}),
            },
        )

    return _check


ge_checks = [suite_check(suite) for suite in SUITES]
