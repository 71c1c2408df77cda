"""The `kpi` command: the same assets the Dagster UI shows, materialised in process.

`kpi run --data DIR --out DIR [--quarter YYYY-Qn]` ingests, computes, checks and publishes, then
prints a short summary. Problems with inputs end the command with one actionable line (file, line,
what was expected) and a non-zero exit, never a bare traceback.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import dagster as dg
import polars as pl
import typer
from pydantic import PrivateAttr
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress as RichProgress, TextColumn, TimeRemainingColumn
from rich.table import Table

from assets import publish
from assets.dashboards import dashboards as dashboards_asset
from assets.ingest.detect import parse_parts
from assets.ingest.errors import ExportReadError
from assets.ingest.load import export_units
from assets.ingest.schema import DATE_ORDERS, SourceOptions
from pipelines import changes
from pipelines.cli_grades import grades
from pipelines.cli_dashboards import dashboards
from pipelines.config import load_data_config
from pipelines.definitions import all_assets, all_checks, resources
from pipelines.explain import explanation, render
from pipelines.errors import KpiError
from pipelines.partitions import parse_quarter, partition_key_from_quarter
from pipelines.progress import Progress
from pipelines.resources import Warehouse
from pipelines.runs import PipelineRun, materialize_pipeline

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


#: Exceptions that describe a problem with the user's inputs (their message is the whole story).
USER_ERRORS = {"ConfigError", "KpiError", "WarehouseLockedError", "ExportReadError", "Failure"}


class RunFailed(KpiError):
    """A Dagster run failed; the message says why in one line."""


def _failure_message(result: dg.ExecuteInProcessResult) -> str:
    """One line for a failed run: the failed blocking checks with their counts, else the user error."""
    failed_checks = [e for e in result.get_asset_check_evaluations()
                     if not e.passed and e.severity == dg.AssetCheckSeverity.ERROR]
    if failed_checks:
        parts = []
        for evaluation in failed_checks:
            rows = evaluation.metadata.get("failing_rows")
            failures = evaluation.metadata.get("failures")
            detail = f" ({rows.value} failing rows)" if rows is not None else ""
            detail = f" ({failures.value})" if failures is not None else detail
            parts.append(f"{evaluation.asset_key.to_user_string()}: {evaluation.check_name}{detail}")
        return "blocking check failed, nothing was published: " + "; ".join(parts)
    for event in result.get_step_failure_events():
        error = event.step_failure_data.error
        while error is not None:
            if error.cls_name in USER_ERRORS:
                return error.message.strip().removeprefix(f"{error.cls_name}: ")
            error = error.cause
    first = result.get_step_failure_events()
    detail = first[0].step_failure_data.error.message.strip().splitlines()[0] if first else "unknown failure"
    return f"run failed in an unexpected way ({detail}); re-run with the Dagster UI (`make dev`) to see the step log"


def _fail(message: str) -> None:
    # Plain print: one line, never wrapped, so it can be grepped and pasted into a ticket.
    print(f"error: {message}", file=sys.stderr)
    raise typer.Exit(code=2)


#: Dagster's step log is for the UI (`make dev`); the terminal gets one error line or the summary.
QUIET_RUN_CONFIG = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


def _materialize(selection, resources_: dict, partition_key: str | None = None) -> dg.ExecuteInProcessResult:
    result = dg.materialize(
        [*all_assets, *all_checks],
        selection=selection,
        run_config=QUIET_RUN_CONFIG,
        resources=resources_,
        partition_key=partition_key,
        instance=dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
    )
    if not result.success:
        raise RunFailed(_failure_message(result))
    return result


#: Up to this many export files are listed one by one; beyond it, per folder (and every file with
#: quarantined records).
LIST_FILES_UP_TO = 40


def _print_file_counts(out: Console, per_file: list[tuple]) -> None:
    """Messages, events and quarantined records per export file (per folder on big inputs, per top
    folder on huge ones: printing thousands of lines took seconds and helped nobody)."""
    columns = ["export", "format", "encoding", "messages", "events", "quarantined"]
    files = pl.DataFrame(per_file, schema=columns, orient="row")
    if files.height > LIST_FILES_UP_TO:
        def per_folder(folder: pl.Expr) -> pl.DataFrame:
            return (
                files.group_by(folder.alias("folder"), maintain_order=True)
                .agg(pl.len().alias("files"), pl.first("format", "encoding"), pl.sum("messages", "events", "quarantined"))
                .select(pl.format("{}({} files)", "folder", "files").alias("export"), *columns[1:])
            )
        folders = per_folder(pl.col("export").str.replace(r"[^/]*$", ""))
        if folders.height > LIST_FILES_UP_TO:  # thousands of rooms: one line per top folder (exports/wecom/)
            folders = per_folder(pl.col("export").str.extract(r"^((?:[^/]*/){0,2})"))
        files = pl.concat([folders, files.filter(pl.col("quarantined") > 0).head(LIST_FILES_UP_TO)])
    table = Table(*columns, box=None)
    for export, fmt, encoding, messages, events, quarantined in files.iter_rows():
        table.add_row(export, fmt, encoding, f"{messages:,}", f"{events:,}", f"{quarantined:,}",
                      style="yellow" if quarantined else None)
    out.print(table)


def _summary(warehouse: Warehouse, published: list[str], dashboard: Path | None, pipeline: PipelineRun) -> None:
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
        unregistered = con.execute(
            "select group_id, count(*) from staging.stg_chat__messages where group_category = 'unassigned' "
            "group by all order by 1"
        ).fetchall()
        per_file = con.execute(
            """
            select source_file, format, encoding, messages, events, quarantined
            from raw.source_files order by source_file
            """
        ).fetchall()
        inputs = con.execute(
            "select input_kind, count(*), sum(rows), sum(quarantined) from raw.input_files group by all order by 1"
        ).fetchall()
        violations = con.execute(
            "select recommended_action, count(*) from marts.fct_violations group by all order by 1"
        ).fetchall()
    # Wide enough for full export paths even when stdout is a file or a pipe (rich assumes 80).
    out = Console(soft_wrap=True, width=max(160, Console().width))
    _print_file_counts(out, per_file)
    out.print(f"messages loaded   {counts[0]:>8,}  from {counts[3]} export files")
    out.print(f"quarantined       {counts[1]:>8,}  (details: table raw.ingest_quarantine, or `kpi inspect FILE`)")
    out.print(f"requests          {counts[2]:>8,}")
    out.print(f"months computed   {pipeline.describe()}")
    if violations:
        out.print("violations        " + ", ".join(f"{n:,} {action}" for action, n in violations)
                  + "  (ledger: table marts.fct_violations)")
    if inputs:
        table = Table("input", "files", "rows", "quarantined", box=None)
        for kind, files, rows, quarantined in inputs:
            table.add_row(kind, str(files), f"{rows:,}", f"{quarantined:,}")
        out.print(table)
        out.print("(input details: tables raw.input_files and raw.input_quarantine)")
    for group_id, messages in unregistered:
        out.print(f"[yellow]warning:[/] {messages:,} messages from a group not in config/groups.csv, "
                  f"loaded as unassigned (not scored): {group_id}", highlight=False)
    table = Table("quarter", "staff graded", "excellent", "good", "pass", "fail", "not rated", box=None)
    for row in grades:
        table.add_row(*(str(v) for v in row))
    out.print(table)
    for line in published:
        out.print(line, highlight=False)
    out.print(f"dashboard     {dashboard}" if dashboard else "dashboard     not rebuilt (--no-dashboard); `kpi dashboards` builds it")
    out.print(f"warehouse     {Path(warehouse.path)}")


def _dashboards_current(warehouse: Warehouse, out: Path) -> bool:
    """Whether the dashboards were written after the figures they show were last computed."""
    index = out / "dashboards" / "index.html"
    computed = changes.computed_at(warehouse)
    return index.exists() and computed is not None and index.stat().st_mtime >= computed.timestamp()


@app.command()
def run(
    data: Annotated[Path, typer.Option(help="Data folder (config/, exports/ …), see data_samples/README.md.")],
    out: Annotated[Path, typer.Option(help="Output folder: warehouse.duckdb, published/, dashboards/.")] = Path("build"),
    quarter: Annotated[str | None, typer.Option(help="Publish only this quarter, e.g. 2026-Q3 (default: every complete quarter).")] = None,
    dashboard: Annotated[bool, typer.Option(help="Also rebuild the dashboard (--no-dashboard: later, with `kpi dashboards`).")] = True,
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
        excluded = dg.AssetSelection.assets(publish.hr_grades)
        if not dashboard:
            excluded |= dg.AssetSelection.assets(dashboards_asset)
        pipeline = materialize_pipeline(all_assets, all_checks, resources_, exclude=excluded,
                                        run_config=QUIET_RUN_CONFIG)
        if not pipeline.success:
            raise RunFailed(_failure_message(pipeline.failed))
        warehouse = resources_["warehouse"]
        if dashboard and pipeline.scope is None and not _dashboards_current(warehouse, out):
            # nothing to compute, but the site is missing or older than the figures (a --no-dashboard run)
            _materialize(dg.AssetSelection.assets(dashboards_asset), resources_)
        with warehouse.connect(read_only=True) as con:
            complete = publish.complete_quarters(con)
        if quarter is not None and quarter not in complete:
            _fail(f"--quarter {quarter}: not a complete quarter in the data; complete: {', '.join(complete) or 'none'}")
        published = []
        for q in [quarter] if quarter else complete:
            done = _materialize(dg.AssetSelection.assets(publish.hr_grades), resources_, partition_key_from_quarter(q))
            meta = done.asset_materializations_for_node("publish__hr_grades")[0].metadata
            state = "new revision" if meta["new_revision"].value else "unchanged, nothing new written"
            published.append(f"HR grades     {meta['path'].value}  ({state}; `kpi grades --list`)")
        if published:
            published.append(f"HR annual     {meta['annual'].value}")
        published.append(f"HR monthly    {(out / 'published' / 'monthly').resolve()}/<YYYY-MM>/")
    except (KpiError, ExportReadError) as exc:
        _fail(str(exc))
    _summary(warehouse, published, (out / "dashboards" / "index.html").resolve() if dashboard else None, pipeline)


def _inspect_file(path: Path, rel_path: str, fmt: str | None, options: SourceOptions,
                  staff_handles: set[tuple[str, str]]) -> dict:
    """Counts and ranges of one export, gathered part by part so a multi-gigabyte export is
    inspected in bounded memory (only the distinct senders and chats are kept)."""
    counts = {"messages": 0, "system_events": 0, "quarantined": 0}
    first_at = last_at = None
    senders: set[tuple[str, str]] = set()
    chats: set[str] = set()
    examples: list[dict] = []
    warnings: list[str] = []
    last, timezone_assumed = None, None
    for part in parse_parts(path, rel_path=rel_path, format=fmt, source_tz=options.timezone,
                            date_order=options.date_order):
        messages = part.messages
        counts["messages"] += messages.height
        counts["system_events"] += part.events.height
        counts["quarantined"] += part.quarantine.height
        if messages.height:
            first_at = min(filter(None, (first_at, messages["sent_at"].min())))
            last_at = max(filter(None, (last_at, messages["sent_at"].max())))
            senders |= set(messages.select("platform", "sender_handle").drop_nulls().unique().iter_rows())
            chats |= set(messages["source_key"].unique().to_list())
        examples += part.quarantine.head(5 - len(examples)).select(
            "source_record_label", "reason", "raw_snippet").to_dicts()
        warnings += [w for w in part.warnings if w not in warnings]
        timezone_assumed = timezone_assumed or part.timezone_assumed
        last = part
    return {
        "file": rel_path,
        "format": last.format,
        "encoding": last.encoding,
        "timezone_assumed": timezone_assumed,
        **counts,
        "first_at": first_at.isoformat() if first_at else None,
        "last_at": last_at.isoformat() if last_at else None,
        "chats": len(chats),
        "distinct_senders": len(senders),
        "senders_matched_to_staff": len(senders & staff_handles) if staff_handles else None,
        "quarantine_examples": examples,
        "warnings": warnings,
    }


@app.command()
def inspect(
    path: Annotated[Path, typer.Argument(help="An export file or a folder of exports.")],
    data: Annotated[Path | None, typer.Option(help="Data folder whose roster handles senders are matched against.")] = None,
    format: Annotated[str | None, typer.Option("--format", help="Parser to use instead of detecting it from the content.")] = None,
    timezone: Annotated[str, typer.Option(help="Time zone of exports that write local wall-clock time.")] = "Asia/Shanghai",
    date_order: Annotated[str, typer.Option(help="WhatsApp dates: auto (decide from the file), day_first or month_first.")] = "auto",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Check an export before dropping it in: format, encoding, counts, time range, senders."""
    if not path.exists():
        _fail(f"{path}: not found")
    if date_order not in DATE_ORDERS:
        _fail(f"--date-order: got {date_order!r}; expected one of {', '.join(DATE_ORDERS)}")
    staff_handles: set[tuple[str, str]] = set()
    try:
        if data is not None:
            staff_handles = {(h.platform, h.handle) for h in load_data_config(data).handles}
        units = [(path, path.name)] if path.is_file() else [(u.path, u.rel_path) for u in export_units(path)]
        reports = []
        for file, rel in units:
            try:
                reports.append(_inspect_file(file, rel, format, SourceOptions(timezone, date_order), staff_handles))
            except ExportReadError as exc:
                if path.is_file():
                    raise
                reports.append({"file": rel, "error": exc.reason})
    except (KpiError, ExportReadError) as exc:
        _fail(str(exc))
    if as_json:
        print(json.dumps(reports[0] if path.is_file() else {"files": reports}, ensure_ascii=False, indent=2, default=str))
        return
    table = Table("file", "format", "encoding", "messages", "events", "quarantined", "first", "last", "senders",
                  "staff", box=None)
    for report in reports:
        if "error" in report:
            table.add_row(report["file"], "[red]unreadable[/]", "", "", "", "", report["error"])
            continue
        table.add_row(report["file"], report["format"], report["encoding"], str(report["messages"]),
                      str(report["system_events"]), str(report["quarantined"]), str(report["first_at"] or "-"),
                      str(report["last_at"] or "-"), str(report["distinct_senders"]),
                      "-" if report["senders_matched_to_staff"] is None else str(report["senders_matched_to_staff"]))
    Console(width=max(160, Console().width)).print(table)
    for report in reports:
        for warning in report.get("warnings", []):
            Console(stderr=True, soft_wrap=True).print(f"[yellow]warning:[/] {warning}", highlight=False)


@app.command()
def explain(
    quarter: Annotated[str, typer.Option(help="Quarter, e.g. 2026-Q3 (a month such as 2026-07 also works).")],
    staff: Annotated[str | None, typer.Option(help="Staff id from config/roster.csv.")] = None,
    group: Annotated[str | None, typer.Option(help="Group id from config/groups.csv.")] = None,
    out: Annotated[Path, typer.Option(help="Output folder of `kpi run` (holds warehouse.duckdb).")] = Path("build"),
) -> None:
    """Why a staff member or group got its grade, and which metrics would raise it most."""
    if (staff is None) == (group is None):
        _fail("give exactly one of --staff ID or --group ID")
    entity_type, entity_id = ("staff", staff) if staff is not None else ("group", group)
    period = quarter.upper() if "Q" in quarter.upper() else quarter
    try:
        with Warehouse(path=str(out / "warehouse.duckdb")).connect(read_only=True) as con:
            rows = explanation(con, entity_type, entity_id, period)
            scores = con.sql(
                "select * from marts.fct_scores where entity_type = $t and entity_id = $i and period = $p",
                params={"t": entity_type, "i": entity_id, "p": period}).pl().row(0, named=True)
            weights = dict(con.sql(
                "select dimension, dimension_weight from raw.rubric_dimensions where entity_type = $t and rubric_key = $k",
                params={"t": entity_type, "k": scores["rubric_key"]}).fetchall())
            name = con.sql(
                "select name from raw.staff where staff_id = $i union all select name from raw.groups where group_id = $i",
                params={"i": entity_id}).fetchall()
    except KpiError as exc:
        _fail(str(exc))
    title = f"{entity_type} {entity_id}{' ' + name[0][0] if name else ''} · {period} · {rows['rubric_key'][0]}"
    Console(width=max(110, Console().width)).print(render(rows, scores, weights, title))


app.command()(grades)
app.command()(dashboards)


def main() -> None:
    app(prog_name="kpi")


if __name__ == "__main__":
    sys.exit(main())
