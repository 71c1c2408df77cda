"""What `kpi run` must compute again: the months whose messages changed, or everything.

A run after the first recomputes only what its new data can change (issue 8: a new day in seconds,
not a new quarter's work):

- Ingest notes the time span of every export file's rows it loads or removes in
  `raw.pending_changes` (assets/ingest/load.py). The months from the earliest of them to the last
  month of data are computed again: a message changes its own month and, through membership and
  cumulative figures, the months after it, never those before (except requests, below).
- Everything else a figure depends on, the config files (rubric, roster, groups, calendar …), the
  platform and business inputs, the pseudonym key and the project's code (SQL models, assets,
  checks), is fingerprinted. When any part differs from the fingerprint of the last complete run,
  every month of data is computed again and the summary says which part changed.
- Requests are the exception the other way: an answer may come months after its question
  (KPI_SPEC §3). `marts.fct_requests` therefore rewrites whole request streams (sql/scopes/), and
  the months whose requests that changed are computed again downstream (pipelines/runs.py).

Only a run whose every stage succeeded stores its fingerprint and empties `raw.pending_changes`:
after a failed run (a blocking check, a crash) the next one computes the same months again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from pipelines.config import load_data_config
from pipelines.partitions import PeriodScope, monthly_partitions
from pipelines.resources import Warehouse

PROJECT = Path(__file__).resolve().parent.parent
#: The project's files whose content decides what the tables hold.
CODE_GLOBS = ("sql/**/*.sql", "assets/**/*.py", "pipelines/**/*.py")
#: The fingerprint of the last complete run, one row per part.
STATE_TABLE = "raw.computed_inputs"
PENDING_TABLE = "raw.pending_changes"

#: How each fingerprinted part is named in the run summary.
PART_NAMES = {
    "config": "the config files (data/config/)",
    "inputs": "the platform and business inputs (data/inputs/)",
    "pseudonym_key": "the pseudonym key",
    "code": "the project's code (SQL models, assets, checks)",
}


@dataclass(frozen=True)
class Plan:
    """The months a run computes (None: nothing changed) and why, in words for the summary."""

    scope: PeriodScope | None
    reason: str
    fingerprint: dict[str, str]


def _digest(chunks) -> str:
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk if isinstance(chunk, bytes) else str(chunk).encode("utf-8"))
        digest.update(b"\0")
    return digest.hexdigest()


def _files_digest(root: Path, patterns: tuple[str, ...]) -> str:
    files = sorted({path for pattern in patterns for path in root.glob(pattern) if path.is_file()})
    return _digest(part for path in files for part in (path.relative_to(root).as_posix(), path.read_bytes()))


def fingerprint(warehouse: Warehouse, data_dir: Path) -> dict[str, str]:
    """One digest per part of what the figures depend on besides the export files (PART_NAMES)."""
    with warehouse.connect(read_only=True) as con:
        inputs = con.execute(
            "select source_file, sha256, kind_version from raw.input_files order by all").fetchall()
    return {
        "config": _files_digest(data_dir / "config", ("**/*",)),
        "inputs": _digest(json.dumps(row) for row in inputs),
        "pseudonym_key": _digest([load_data_config(data_dir).settings.pseudonym_key]),
        "code": _files_digest(PROJECT, CODE_GLOBS),
    }


def _stored(con) -> dict[str, str]:
    exists = con.execute("select count(*) from duckdb_tables() where schema_name = 'raw' "
                         "and table_name = 'computed_inputs'").fetchall()[0][0]
    return dict(con.execute(f"select part, digest from {STATE_TABLE}").fetchall()) if exists else {}


def _clamped(first: dt.date, last: dt.date) -> PeriodScope:
    lowest = dt.date.fromisoformat(monthly_partitions.get_first_partition_key())
    highest = dt.date.fromisoformat(monthly_partitions.get_last_partition_key())
    return PeriodScope.from_months(min(max(first, lowest), highest), min(max(last, lowest), highest))


def plan(warehouse: Warehouse, data_dir: Path, data_scope: PeriodScope) -> Plan:
    """What this run computes, after ingest: every month of `data_scope` when a fingerprinted part
    changed (or nothing was computed before), else the months from the earliest pending change to
    the last month of data, else nothing."""
    current = fingerprint(warehouse, data_dir)
    with warehouse.connect(read_only=True) as con:
        stored = _stored(con)
        zone = con.execute("select reporting_timezone from raw.rubric_settings").fetchall()[0][0]
        first, last = con.execute(
            f"select min(timezone($zone, first_at))::date, max(timezone($zone, last_at))::date from {PENDING_TABLE}",
            {"zone": zone}).fetchall()[0]
    if not stored:
        return Plan(data_scope, "no complete run before", current)
    changed = [PART_NAMES[part] for part in PART_NAMES if stored.get(part) != current[part]]
    if changed:
        return Plan(data_scope, f"{', '.join(changed)} changed", current)
    if first is None:
        return Plan(None, "no export, input, config or code changed since the last run", current)
    scope = _clamped(first, max(last, data_scope.months[-1]))
    return Plan(scope, "new or changed exports from " + scope.describe().split(" ")[0], current)


def computed_at(warehouse: Warehouse) -> dt.datetime | None:
    """When the last complete run stored its fingerprint (None: never)."""
    with warehouse.connect(read_only=True) as con:
        if not _stored(con):
            return None
        return con.execute(f"select max(computed_at) from {STATE_TABLE}").fetchall()[0][0]


def mark_computed(warehouse: Warehouse, computed: Plan) -> None:
    """After a complete run: store its fingerprint, and forget the changes it computed."""
    with warehouse.connect() as con:
        con.execute("begin transaction")
        con.execute(f"create or replace table {STATE_TABLE} (part varchar, digest varchar, computed_at timestamptz)")
        con.executemany(f"insert into {STATE_TABLE} values (?, ?, now())", list(computed.fingerprint.items()))
        con.execute(f"delete from {PENDING_TABLE}")
        con.execute("commit")
