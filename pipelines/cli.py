"""The `kpi` command: the same assets the Dagster UI shows, materialised in process.

`kpi run --data DIR --out DIR [--quarter YYYY-Qn]` ingests, computes, checks and publishes, then
prints a short summary. Problems with inputs end the command with one actionable line (file, line,
what was expected) and a non-zero exit, never a bare traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import dagster as dg
import typer
from pydantic import PrivateAttr
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress as RichProgress, TextColumn, TimeRemainingColumn
from rich.table import Table

from assets import publish
from assets.ingest.errors import ExportReadError
from pipelines.config import load_data_config
from pipelines.definitions import all_assets, resources
from pipelines.errors import KpiError
from assets.models import sql_checks
from pipelines.partitions import parse_quarter, partition_key_from_quarter
from pipelines.progress import Progress
from pipelines.resources import Warehouse

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Community KPI: chat-group and staff KPIs, grades and dashboards.")
console = Console(stderr=True)

@app.callback()
def _kpi() -> None:
    """Community KPI: chat-group and staff KPIs, grades and dashboards."""


#: Inputs at least this large get a progress bar (small runs finish before a bar would help).
PROGRESS_MIN_BYTES = 20 * 1024 * 1024


class TerminalProgress(Progress):
    """A rich progress bar over export bytes, for `kpi run` on big inputs."""

    _bar: RichProgress | None = PrivateAttr(default=None)
    _task: int | None = PrivateAttr(default=None)

    def update(self, item: str, done: int, total: int) -> None:
        if total < PROGRESS_MIN_BYTES:
            return
        if self._bar is None:
            self._bar = RichProgress(TextColumn("ingest {task.description}"), BarColumn(), DownloadColumn(),
                                     TimeRemainingColumn(), console=console, transient=True)
            self._bar.start()
            self._task = self._bar.add_task("", total=total)
        self._bar.update(self._task, completed=done, description=item[-40:])
        if done >= total:
            self._bar.stop()


def _user_error(exc: BaseException) -> BaseException | None:
    """The user-facing error inside a Dagster failure, if there is one."""
    seen = exc
    while seen is not None:
        if isinstance(seen, (KpiError, ExportReadError)):
            return seen
        user = getattr(seen, "user_exception", None)
        seen = user if user is not None and user is not seen else seen.__cause__
    return None


def _fail(message: str) -> None:
    # Plain print: one line, never wrapped, so it can be grepped and pasted into a ticket.
    print(f"error: {message}", file=sys.stderr)
    raise typer.Exit(code=2)


def _materialize(selection, resources_: dict, partition_key: str | None = None) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [*all_assets, *sql_checks],
        selection=selection,
        resources=resources_,
        partition_key=partition_key,
        instance=dg.DagsterInstance.ephemeral(),
        raise_on_error=True,
    )


def _summary(warehouse: Warehouse, published: list[Path], dashboard: Path) -> None:
    with warehouse.connect(read_only=True) as con:
        counts = con.execute(
            """
            select
                (select count(*) from staging.stg_chat__messages where is_counted),
                (select count(*) from raw.ingest_quarantine),
                (select count(*) from marts.fct_requests),
                (select count(distinct source_file) from raw.source_files)
            """
        ).fetchall()[0]
        grades = con.execute(
            """
            select quarter, count(*) as staff,
                   count(*) filter (where final_grade = 'excellent'),
                   count(*) filter (where final_grade = 'good'),
                   count(*) filter (where final_grade = 'pass'),
                   count(*) filter (where final_grade = 'fail'),
                   count(*) filter (where final_grade is null)
            from marts.fct_grades__staff where quarter_is_complete group by quarter order by quarter
            """
        ).fetchall()
        quarantined = con.execute(
            "select source_file, count(*) from raw.ingest_quarantine group by all order by 1"
        ).fetchall()
    out = Console()
    out.print(f"messages loaded   {counts[0]:>8,}  from {counts[3]} export files")
    out.print(f"quarantined       {counts[1]:>8,}" + ("" if not quarantined else "  (" + ", ".join(f"{f}: {n}" for f, n in quarantined) + ")"))
    out.print(f"requests          {counts[2]:>8,}")
    table = Table("quarter", "staff graded", "excellent", "good", "pass", "fail", "not rated", box=None)
    for row in grades:
        table.add_row(*(str(v) for v in row))
    out.print(table)
    for path in published:
        out.print(f"HR grades     {path}")
    out.print(f"dashboard     {dashboard}")
    out.print(f"warehouse     {Path(warehouse.path)}")


@app.command()
def run(
    data: Annotated[Path, typer.Option(help="Data folder (config/, exports/ …), see data_samples/README.md.")],
    out: Annotated[Path, typer.Option(help="Output folder: warehouse.duckdb, published/, dashboards/.")] = Path("build"),
    quarter: Annotated[str | None, typer.Option(help="Publish only this quarter, e.g. 2026-Q3 (default: every complete quarter).")] = None,
) -> None:
    """Ingest the exports, compute KPIs and grades, publish HR files and the dashboard."""
    if quarter is not None:
        try:
            parse_quarter(quarter)
        except ValueError as exc:
            _fail(f"--quarter: {exc}")
        quarter = quarter.upper()
    try:
        load_data_config(data)  # fail fast, before any output is touched
        out.mkdir(parents=True, exist_ok=True)
        warehouse_path = out / "warehouse.duckdb"
        resources_ = resources(str(data.resolve()), str(out.resolve()), str(warehouse_path.resolve()))
        resources_["progress"] = TerminalProgress()
        _materialize(dg.AssetSelection.all() - dg.AssetSelection.assets(publish.hr_grades), resources_)
        warehouse = resources_["warehouse"]
        with warehouse.connect(read_only=True) as con:
            complete = publish.complete_quarters(con)
        if quarter is not None and quarter not in complete:
            _fail(f"--quarter {quarter}: not a complete quarter in the data; complete: {', '.join(complete) or 'none'}")
        published = []
        for q in [quarter] if quarter else complete:
            _materialize(dg.AssetSelection.assets(publish.hr_grades), resources_, partition_key_from_quarter(q))
            published.append(out / "published" / "grades" / q / "grades.csv")
    except typer.Exit:
        raise
    except Exception as exc:  # noqa: BLE001 - turned into one actionable line below
        user = _user_error(exc)
        if user is None:
            raise
        _fail(str(user))
    _summary(warehouse, published, out / "dashboards" / "index.html")


def main() -> None:
    app(prog_name="kpi")


if __name__ == "__main__":
    sys.exit(main())
