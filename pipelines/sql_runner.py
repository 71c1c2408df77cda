"""The SQL runner: `sql/<layer>/<name>.sql` is the table `<layer>.<name>` and the asset
`[layer, name]` (one name everywhere, STYLE.md).

Each file is one SELECT. Its header comment (the leading `--` lines) is the asset's description,
and its upstream tables are read from the text, so adding a model is adding a file.

A header line `-- Partitions: monthly, by <column>.` (or `quarterly`) makes the model partitioned:
a run for some months rewrites only the rows those months own (see `Partitioning`), with the
same SELECT filtered on its output, so a partition's rows are exactly what a full rebuild would
give them. Everything else is rebuilt in full.

A model may also have a scope file, `sql/scopes/<name>.sql`: then a run for some months rewrites
whole keys instead of the months' rows (see `build_keys`). `marts.fct_requests` is one: a request
stream's rows depend on messages of any later month (an answer may come months after the question,
KPI_SPEC §3), so a new day rewrites the streams it touches, in whatever month their requests opened.

A header line `-- Materialized: view.` makes the model a view instead of a table: for a per-row
model read by a single downstream model, writing ten million rows costs more than computing them
again inside that reader (see `build`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import datetime as dt
from zoneinfo import ZoneInfo

import duckdb

from pipelines.partitions import PeriodScope, monthly_partitions

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"
SCOPES_DIR = SQL_DIR / "scopes"
#: In a model with a scope file, lines starting with this marker are SQL for scoped runs only: the
#: runner removes the marker (the full build reads them as comments).
SCOPED_MARKER = "--scoped: "
LAYERS = ("staging", "intermediate", "marts")
_TABLE_REF = re.compile(r"\b(raw|staging|intermediate|marts)\.([a-z_][a-z0-9_]*)\b")
_PARTITIONS = re.compile(r"^-- Partitions: (monthly|quarterly), by ([a-z_][a-z0-9_]*)\.", re.MULTILINE)
_MATERIALIZED = re.compile(r"^-- Materialized: (table|view)\.", re.MULTILINE)
_VARIABLE = re.compile(r"getvariable\('([a-z_][a-z0-9_]*)'\)")

#: Columns holding period labels (`2026-07`, `2026-Q3`); any other partition column is a timestamp.
LABEL_COLUMNS = ("period", "quarter")


@dataclass(frozen=True)
class Partitioning:
    """How a model's rows belong to partitions: by `column`, per `grain` (monthly or quarterly).

    A label column owns the rows whose label is one of the scope's months or of the quarters
    containing them. A timestamp column owns the rows whose local time (reporting time zone)
    falls in the scope's months, the first and last partitions also everything before and after
    them; a quarterly model owns whole quarters.
    """

    grain: str
    column: str

    def scope(self, scope: PeriodScope) -> PeriodScope:
        return scope.quarter_months if self.grain == "quarterly" else scope

    def predicate(self, scope: PeriodScope, timezone: str) -> tuple[str, dict]:
        """SQL condition on the model's rows and its bound parameters."""
        scope = self.scope(scope)
        if self.column in LABEL_COLUMNS:
            return f"{self.column} in (select unnest($partition_labels))", {"partition_labels": scope.labels}
        start, end = instants(scope, timezone)
        conditions, params = [], {}
        if start is not None:
            conditions.append(f"{self.column} >= $partition_start")
            params["partition_start"] = start
        if end is not None:
            conditions.append(f"{self.column} < $partition_end")
            params["partition_end"] = end
        return " and ".join(conditions) or "true", params


def instants(scope: PeriodScope, timezone: str) -> tuple[dt.datetime | None, dt.datetime | None]:
    """The first and the end instant of `scope`'s months in `timezone`, None for no bound: the first
    and last partitions also own the rows before and after every partition, so a message dated 2031
    reaches staging (where the data-quality suite stops it) instead of vanishing between partitions."""
    zone = ZoneInfo(timezone)
    start = end = None
    if scope.first_month > dt.date.fromisoformat(monthly_partitions.get_first_partition_key()):
        start = dt.datetime.combine(scope.first_month, dt.time(), zone)
    if scope.end_month <= dt.date.fromisoformat(monthly_partitions.get_last_partition_key()):
        end = dt.datetime.combine(scope.end_month, dt.time(), zone)
    return start, end


@dataclass(frozen=True)
class SqlModel:
    layer: str
    name: str
    path: Path
    sql: str

    @property
    def table(self) -> str:
        return f"{self.layer}.{self.name}"

    @property
    def description(self) -> str:
        """The header comment, without the comment markers."""
        lines = []
        for line in self.sql.splitlines():
            if not line.startswith("--"):
                break
            lines.append(line[2:].removeprefix(" "))
        return "\n".join(lines).strip()

    @property
    def partitioning(self) -> Partitioning | None:
        found = _PARTITIONS.search(self.header)
        return Partitioning(found.group(1), found.group(2)) if found else None

    @property
    def materialized(self) -> str:
        """`table` (the default) or `view`, from the header."""
        found = _MATERIALIZED.search(self.header)
        return found.group(1) if found else "table"

    @property
    def scope_sql(self) -> str | None:
        """The SELECT of the keys a run for some months rewrites (`build_keys`), if the model has one."""
        path = SCOPES_DIR / f"{self.name}.sql"
        return path.read_text(encoding="utf-8") if self.layer != "checks" and path.exists() else None

    @property
    def scoped_sql(self) -> str:
        """The model's SELECT for a scoped run: its `--scoped: ` lines made SQL."""
        return "\n".join(line.replace(SCOPED_MARKER, "", 1) if line.lstrip().startswith(SCOPED_MARKER) else line
                         for line in self.sql.splitlines())

    @property
    def header(self) -> str:
        return "\n".join(line for line in self.sql.splitlines() if line.startswith("--"))

    @property
    def upstream(self) -> list[tuple[str, str]]:
        body = "\n".join(line.split("--", 1)[0] for line in self.sql.splitlines())
        refs = {(m.group(1), m.group(2)) for m in _TABLE_REF.finditer(body)}
        refs.discard((self.layer, self.name))
        return sorted(refs)


@cache
def discover(layer: str) -> tuple[SqlModel, ...]:
    """All models of a layer, sorted by name."""
    return tuple(
        SqlModel(layer, path.stem, path, path.read_text(encoding="utf-8"))
        for path in sorted((SQL_DIR / layer).glob("*.sql"))
    )


def model(table: str) -> SqlModel:
    layer, name = table.split(".")
    for candidate in discover(layer):
        if candidate.name == name:
            return candidate
    raise KeyError(table)


@dataclass(frozen=True)
class BuildResult:
    """What a build did: `rows` in the whole table, `scope_rows` written for the scope (None for
    a full rebuild), and why it was a full rebuild when a scope was asked for."""

    rows: int
    scope_rows: int | None = None
    full_reason: str | None = None
    #: For a model rewritten by keys (`build_keys`): the months, outside the scope, whose rows changed.
    months_changed_outside: tuple[str, ...] = ()


def build(con: duckdb.DuckDBPyConnection, sql_model: SqlModel, scope: PeriodScope | None = None) -> BuildResult:
    """Rebuild `sql_model`'s table: in full, or only the rows `scope` owns when the model is
    partitioned and its table already has the model's columns (a new or changed model is rebuilt
    in full, so no partition is ever left with rows of an older shape).

    The table name is an identifier from our own file name, never user input, so it is the one
    thing formatted into the statement; values are bound.
    """
    _set_rubric_patterns(con)
    _set_partition_bounds(con, sql_model, scope)
    if sql_model.materialized == "view":
        return _build_view(con, sql_model)
    _drop_other_kind(con, sql_model, "view")
    partitioning = sql_model.partitioning
    reason = None
    if scope is not None and partitioning is not None:
        reason = _full_rebuild_reason(con, sql_model)
        if reason is None and sql_model.scope_sql is not None:
            return build_keys(con, sql_model, scope)
        if reason is None:
            where, params = partitioning.predicate(scope, _reporting_timezone(con))
            con.execute("begin transaction")
            try:
                con.execute(f"delete from {sql_model.table} where {where}", params)
                con.execute(
                    f"insert into {sql_model.table} by name\nselect * from (\n{sql_model.sql}\n) as model where {where}",
                    params,
                )
                written = con.execute(f"select count(*) from {sql_model.table} where {where}", params).fetchall()[0][0]
                con.execute("commit")
            except BaseException:
                con.execute("rollback")
                raise
            return BuildResult(_count(con, sql_model.table), written)
    con.execute(f"create or replace table {sql_model.table} as\n{sql_model.sql}")
    return BuildResult(_count(con, sql_model.table), None, reason)


#: `$partition_start` and `$partition_end` for no bound (DuckDB's ±infinity would not survive the
#: interval arithmetic a scope query does on them).
EVERY_MONTH = {"partition_start": dt.datetime(1, 1, 2, tzinfo=dt.timezone.utc),
               "partition_end": dt.datetime(9999, 12, 30, tzinfo=dt.timezone.utc)}


def build_keys(con: duckdb.DuckDBPyConnection, sql_model: SqlModel, scope: PeriodScope) -> BuildResult:
    """Rewrite the keys `sql_model.scope_sql` lists for `scope` (bound as `$partition_start` and
    `$partition_end`), whole: their rows in every month are deleted and computed again by the
    model's scoped SELECT, which reads only those keys (temp table `scope_keys`).

    The scope query lists every key with a row in the scope's months, so the months' rows are all
    rewritten, as for any partitioned model; it also lists the keys whose rows elsewhere the months'
    data can change. The months outside the scope whose rows did change (old and new rows compared
    by a hash of the whole row) are returned: their downstream figures need computing again too.
    """
    zone = _reporting_timezone(con)
    start, end = instants(sql_model.partitioning.scope(scope), zone)
    bounds = {"partition_start": start or EVERY_MONTH["partition_start"],
              "partition_end": end or EVERY_MONTH["partition_end"]}
    table, column = sql_model.table, sql_model.partitioning.column
    # Rows removed from the raw tables (a file replaced or gone) leave no trace to the keys they were
    # part of (a name someone no longer goes by un-matches an old @-mention): then every key is listed.
    removed = con.execute("select count(*) from duckdb_tables() where schema_name = 'raw' and table_name = "
                          "'pending_changes'").fetchall()[0][0] and con.execute(
        "select count(*) from raw.pending_changes where removed").fetchall()[0][0]
    con.execute(f"create or replace temp table scope_keys as\n{sql_model.scope_sql}", EVERY_MONTH if removed else bounds)
    keys = [row[0] for row in con.execute("describe scope_keys").fetchall()]
    on = " and ".join(f"rows.{key} = scope_keys.{key}" for key in keys)
    con.execute("begin transaction")
    try:
        con.execute(f"create or replace temp table scope_old as select * from {table} as rows semi join scope_keys on {on}")
        con.execute(f"delete from {table} as rows using scope_keys where {on}")
        con.execute(f"create or replace temp table scope_new as {sql_model.scoped_sql}")
        con.execute(f"insert into {table} by name select * from scope_new")
        months = [row[0] for row in con.execute(
            f"""
            select distinct strftime(timezone($zone, {column}), '%Y-%m') as month
            from ((select {column}, hash(o) from scope_old as o except all select {column}, hash(n) from scope_new as n)
                  union all
                  (select {column}, hash(n) from scope_new as n except all select {column}, hash(o) from scope_old as o))
            where not ({column} >= $partition_start and {column} < $partition_end)
            order by month
            """, {"zone": zone, **bounds}).fetchall()]
        written = con.execute(f"select count(*) from {table} where {column} >= $partition_start "
                              f"and {column} < $partition_end", bounds).fetchall()[0][0]
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    finally:
        for temp in ("scope_keys", "scope_old", "scope_new"):
            con.execute(f"drop table if exists temp.{temp}")
    return BuildResult(_count(con, table), written, None, tuple(months))


def _build_view(con: duckdb.DuckDBPyConnection, sql_model: SqlModel) -> BuildResult:
    """(Re)create the model's view, whatever partitions were asked for: a view has no rows of its
    own, so every partition is current once it exists.

    The rubric's patterns (`getvariable('<name>_pattern')`) are written into the view as literals:
    a view is read from connections that never set the session variables (an analyst's DuckDB
    shell, the tests), where `getvariable` would quietly give NULL. Literals also keep each regex a
    constant, compiled once per query. Like a table, the view therefore holds the rubric of its
    last build."""
    _drop_other_kind(con, sql_model, "table")
    con.execute(f"create or replace view {sql_model.table} as\n{_with_variables(con, sql_model.sql)}")
    return BuildResult(_count(con, sql_model.table), None, "a view is computed when it is read")


def _with_variables(con: duckdb.DuckDBPyConnection, sql: str) -> str:
    """`sql` with every `getvariable('<name>')` replaced by the variable's value as a SQL literal."""
    def literal(found: re.Match) -> str:
        value = con.execute("select getvariable($name)", {"name": found.group(1)}).fetchall()[0][0]
        if value is None:
            raise ValueError(f"the rubric sets no {found.group(1)}: a view cannot read it")
        return "'" + str(value).replace("'", "''") + "'"
    return _VARIABLE.sub(literal, sql)


def _drop_other_kind(con: duckdb.DuckDBPyConnection, sql_model: SqlModel, kind: str) -> None:
    """Drop the model's name when it is a `kind` (`table` or `view`): a model whose materialization
    changed cannot be replaced in place (DuckDB refuses to replace a table by a view)."""
    found = con.execute(
        "select count(*) from duckdb_views() where schema_name = $layer and view_name = $name" if kind == "view" else
        "select count(*) from duckdb_tables() where schema_name = $layer and table_name = $name",
        {"layer": sql_model.layer, "name": sql_model.name},
    ).fetchall()[0][0]
    if found:
        con.execute(f"drop {kind} {sql_model.table}")


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    return con.execute(f"select count(*) from {table}").fetchall()[0][0]


def _full_rebuild_reason(con: duckdb.DuckDBPyConnection, sql_model: SqlModel) -> str | None:
    """Why a partitioned model must be rebuilt in full: its table is missing or its columns differ
    from what the SELECT gives (name and type, in order)."""
    layer, name = sql_model.layer, sql_model.name
    existing = con.execute(
        "select column_name, data_type from duckdb_columns() where schema_name = $layer and table_name = $name "
        "order by column_index", {"layer": layer, "name": name},
    ).fetchall()
    if not existing:
        return "table did not exist"
    wanted = [(row[0], row[1]) for row in con.execute(f"describe select * from (\n{sql_model.sql}\n)").fetchall()]
    if [tuple(row) for row in existing] != wanted:
        return "columns changed"
    return None


def _reporting_timezone(con: duckdb.DuckDBPyConnection) -> str:
    return con.execute("select reporting_timezone from raw.rubric_settings").fetchall()[0][0]


def _set_partition_bounds(con: duckdb.DuckDBPyConnection, sql_model: SqlModel, scope: PeriodScope | None) -> None:
    """Expose the instants the rows being rebuilt lie between as `getvariable('partition_start')` and
    `getvariable('partition_end')` (NULL: unbounded, as for a full build; for a model partitioned by
    period label, the bounds of every period it rewrites, quarters included). The runner filters a
    model's output to its partitions, but DuckDB cannot push that filter below a window function or
    an aggregate over a range join; a model whose rows depend on a bounded stretch of input
    (int_messages__violations: its months and one flood window before them; int_metrics__group: the
    messages of its periods) reads only that stretch with them."""
    start = end = None
    if scope is not None and sql_model.partitioning is not None:
        scope = sql_model.partitioning.scope(scope)
        # period labels: the scope's months and the quarters containing them (`Partitioning`)
        covered = scope.quarter_months if sql_model.partitioning.column in LABEL_COLUMNS else scope
        start, end = instants(covered, _reporting_timezone(con))
    for name, value in (("partition_start", start), ("partition_end", end)):
        con.execute(f"set variable {name} = $value::timestamptz", {"value": value})


def _set_rubric_patterns(con: duckdb.DuckDBPyConnection) -> None:
    """Expose the rubric's regex patterns (`raw.rubric_settings.*_pattern`) as session variables for
    `getvariable('<name>')`. DuckDB compiles a regex that is a constant once per query, but one read from
    a column once per row: ~45 µs a row, minutes on a million messages."""
    exists = con.execute(
        "select count(*) from duckdb_tables() where schema_name = 'raw' and table_name = 'rubric_settings'"
    ).fetchall()[0][0]
    if not exists:
        return
    columns = [row[0] for row in con.execute("describe raw.rubric_settings").fetchall() if row[0].endswith("_pattern")]
    for column in columns:
        con.execute(f"set variable {column} = (select {column} from raw.rubric_settings)")


def ordered_models() -> list[SqlModel]:
    """Every model of every layer, upstream before downstream (what a full rebuild runs)."""
    models = {m.table: m for layer in LAYERS for m in discover(layer)}
    ordered: list[SqlModel] = []
    visiting: set[str] = set()

    def visit(table: str) -> None:
        if table not in models or models[table] in ordered:
            return
        if table in visiting:
            raise ValueError(f"cycle in SQL models at {table}")
        visiting.add(table)
        for layer, name in models[table].upstream:
            visit(f"{layer}.{name}")
        visiting.discard(table)
        ordered.append(models[table])

    for table in sorted(models):
        visit(table)
    return ordered
