"""Resources: the DuckDB warehouse and the project's folders.

A small resource of our own rather than the DuckDB IO managers: those hide the SQL, and the
Polars one cannot read inputs on duckdb 2.0 (STYLE.md). Every connection is opened and closed
inside one `with` block so a run never leaves the single-writer file locked.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb

from pipelines.errors import WarehouseLockedError

SCHEMAS = ("raw", "staging", "intermediate", "marts")


#: DuckDB's memory cap on the warehouse connection (`KPI_MEMORY_LIMIT` overrides it). With the Python
#: process around it (Dagster, Polars, Great Expectations: ~0.6 GB), 1.2 GB keeps a 10-million-message
#: run under 2 GB of resident memory; DuckDB spills what does not fit to a temporary folder.
DEFAULT_MEMORY_LIMIT = "1.2GB"

#: DuckDB allows one writer per file: every asset that writes the warehouse takes a slot in this
#: pool, whose limit is 1 in the instance (dagster.yaml `concurrency.pools.default_limit`).
WRITER_POOL = "duckdb_writer"


class Warehouse(dg.ConfigurableResource):
    """The DuckDB file every asset reads and writes (`OUT/warehouse.duckdb`)."""

    path: str
    memory_limit: str = DEFAULT_MEMORY_LIMIT
    threads: int = 2

    @contextmanager
    def connect(self, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection with UTC session time and bounded memory.

        DuckDB allows one writing process per file and fails at once when another holds it; we turn
        that into a message that says who holds it, instead of a library traceback.
        """
        path = Path(self.path)
        if read_only and not path.exists():
            raise WarehouseLockedError(f"{path}: warehouse not found; run `kpi run` first")
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            con = duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as exc:
            holder = re.search(r"held in (.+?)(?:\.|$| See)", str(exc))
            who = f" ({holder.group(1).strip()})" if holder else ""
            raise WarehouseLockedError(
                f"{path}: another process holds the warehouse{who}; wait for it to finish or stop it"
            ) from None
        try:
            con.execute("set TimeZone = 'UTC'")
            con.execute(f"set memory_limit = '{self.memory_limit}'")
            con.execute(f"set threads = {int(self.threads)}")
            if not read_only:
                for schema in SCHEMAS:
                    con.execute(f"create schema if not exists {schema}")
            yield con
        finally:
            con.close()


class ProjectPaths(dg.ConfigurableResource):
    """Where inputs come from and outputs go (`kpi run --data DIR --out DIR`)."""

    data_dir: str
    out_dir: str

    @property
    def data(self) -> Path:
        return Path(self.data_dir)

    @property
    def out(self) -> Path:
        return Path(self.out_dir)

    @property
    def published(self) -> Path:
        return self.out / "published"

    @property
    def dashboards(self) -> Path:
        return self.out / "dashboards"
