"""Everything the dashboards show, read from the warehouse in a fixed set of set-based queries.

One SQL file per query in `dashboards/queries/` (one SELECT each, a header comment that says the
grain, tables named in full), read with the project's `SqlModel` so the tables a query reads are
parsed from its text: the Dagster asset depends on exactly those (`upstream_tables`). Queries return
whole tables (all groups, all staff) rather than one query per page: a site of 7,000 pages would
otherwise be 70,000 round trips.

Check results: Dagster's own check evaluations live in its event log, not in the warehouse, so the
data-quality page runs the same SQL assertions the blocking checks run (`sql/checks/assert_*.sql`,
the files `assets/models.py` turns into checks) on the warehouse it reads and shows their outcome.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Final

import duckdb
import polars as pl

from pipelines.errors import KpiError
from pipelines.sql_runner import SqlModel, discover

QUERY_DIR: Final = Path(__file__).resolve().parent / "queries"


@cache
def queries() -> tuple[SqlModel, ...]:
    """The dashboard queries, sorted by name (`dashboards/queries/<name>.sql`)."""
    return tuple(
        SqlModel("dashboards", path.stem, path, path.read_text(encoding="utf-8"))
        for path in sorted(QUERY_DIR.glob("*.sql"))
    )


def check_models() -> tuple[SqlModel, ...]:
    """The SQL assertions behind the blocking checks: the same files `assets/models.py` loads."""
    return tuple(model for model in discover("checks") if model.name.startswith("assert_"))


def upstream_tables() -> list[tuple[str, str]]:
    """Every (layer, table) the site reads, for the asset's dependencies."""
    return sorted({ref for model in (*queries(), *check_models()) for ref in model.upstream})


@dataclass(frozen=True)
class SiteData:
    """The query results by query name, plus the check outcomes."""

    frames: dict[str, pl.DataFrame]
    checks: list[dict]

    def __getitem__(self, name: str) -> pl.DataFrame:
        return self.frames[name]


def load_site_data(con: duckdb.DuckDBPyConnection) -> SiteData:
    """Run every dashboard query and every check on `con` (a read-only connection is enough).

    A warehouse without one of the tables (built by an older version, or a run that stopped early)
    gives one line naming the query file and the missing table, not a DuckDB traceback.
    """
    frames = {}
    for model in queries():
        try:
            frames[model.name] = con.sql(model.sql).pl()
        except duckdb.CatalogException as exc:
            first_line = str(exc).splitlines()[0]
            raise KpiError(f"{model.path}: the warehouse lacks what this dashboard query reads ({first_line}); "
                           "run `kpi run` to rebuild it") from None
    checks = []
    for model in check_models():
        failing = con.sql(model.sql).pl().height  # as pipelines.factories.sql_check counts them
        checks.append({
            "name": model.name,
            "table": ".".join(model.upstream[0]) if model.upstream else "",
            "description": model.description.removeprefix("Blocking:").strip(),
            "failing_rows": failing,
        })
    return SiteData(frames, checks)
