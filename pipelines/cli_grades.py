"""`kpi grades`: what HR runs to get the published grade files, see what exists, and see what changed.

    kpi grades --quarter 2026-Q3 [--rev N] [--format csv|xlsx|parquet] [--lang zh|en] [-o FILE]
    kpi grades --list
    kpi grades --diff 2026-Q3 [--rev 1 --rev 2]

It only reads `OUT/published/` (no warehouse, no run): the published revisions are the record HR
pays on, and handing them out must not depend on the pipeline being runnable. English files are
byte-for-byte copies of the published ones, so their sha256 matches the revision's manifest.json.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from pipelines import hr_publish
from pipelines.errors import KpiError
from pipelines.explain import GRADE_ZH
from pipelines.partitions import REPORTING_TIMEZONE, parse_quarter


def _fail(message: str) -> None:
    # Same contract as `kpi run`: one plain line on stderr, exit code 2 (pipelines/cli.py imports this
    # module, so it cannot import the helper back from there).
    print(f"error: {message}", file=sys.stderr)
    raise typer.Exit(code=2)


def _quarter(value: str, option: str) -> str:
    try:
        parse_quarter(value)
    except ValueError as exc:
        _fail(f"{option}: {exc}")
    return value.upper()


def _local_time(created_at: str | None) -> str:
    if not created_at:
        return "-"
    moment = dt.datetime.fromisoformat(created_at.replace("Z", "+00:00"))
    return moment.astimezone(ZoneInfo(REPORTING_TIMEZONE)).strftime("%Y-%m-%d %H:%M")


def _grade(grade: str | None) -> str:
    return "-" if grade is None else f"{grade} {GRADE_ZH.get(grade, '')}".strip()


def grades(
    quarter: Annotated[str | None, typer.Option(help="Quarter to hand out, e.g. 2026-Q3 (its latest revision unless --rev).")] = None,
    list_: Annotated[bool, typer.Option("--list", help="List the published quarters and their revisions.")] = False,
    diff: Annotated[str | None, typer.Option("--diff", metavar="QUARTER",
                                             help="Show what changed between two revisions of QUARTER (--rev A --rev B; default: the last two).")] = None,
    rev: Annotated[list[int] | None, typer.Option("--rev", help="A revision number: one with --quarter, two with --diff.")] = None,
    format: Annotated[str, typer.Option("--format", help="csv, xlsx or parquet.")] = "csv",
    lang: Annotated[str, typer.Option("--lang", help="en (English headers, grade codes) or zh (中文表头, 优秀/良好/合格/不合格).")] = "en",
    output: Annotated[Path | None, typer.Option("-o", "--output",
                                                help="File to write (default: ./grades_<QUARTER>_rev-<n>[_zh].<format>).")] = None,
    out: Annotated[Path, typer.Option(help="Output folder of `kpi run` (holds published/).")] = Path("build"),
) -> None:
    """Hand HR a quarter's published grade file, list quarters and revisions, or show what changed."""
    if sum((quarter is not None, list_, diff is not None)) != 1:
        _fail("give exactly one of --quarter QUARTER, --list or --diff QUARTER")
    published = out / "published"
    revs = rev or []
    try:
        if list_:
            _list(published)
        elif diff is not None:
            _diff(published, _quarter(diff, "--diff"), revs)
        else:
            _hand_out(published, _quarter(quarter, "--quarter"), revs, format.lower(), lang.lower(), output)
    except KpiError as exc:
        _fail(str(exc))


def _hand_out(published: Path, quarter: str, revs: list[int], fmt: str, lang: str, output: Path | None) -> None:
    if len(revs) > 1:
        _fail("--quarter takes at most one --rev")
    if fmt not in hr_publish.FORMATS:
        _fail(f"--format {fmt}: expected one of {', '.join(hr_publish.FORMATS)}")
    if lang not in hr_publish.LANGS:
        _fail(f"--lang {lang}: expected one of {', '.join(hr_publish.LANGS)}")
    number = revs[0] if revs else hr_publish.latest_revision(published, quarter)
    if number is None:
        have = ", ".join(hr_publish.published_quarters(published)) or "none"
        _fail(f"{quarter} has not been published under {published / 'grades'} (published: {have}); run `kpi run` first")
    target = output or Path(f"grades_{quarter}_rev-{number}{'_zh' if lang == 'zh' else ''}.{fmt}")
    path, number = hr_publish.export_revision(published, quarter, number, fmt, lang, target)
    manifest = hr_publish.read_revision(published, quarter, number).manifest
    latest = hr_publish.latest_revision(published, quarter)
    state = "latest" if number == latest else f"not the latest: rev-{latest} is"
    print(f"wrote {path}")
    print(f"  from {hr_publish.revision_dir(published, quarter, number)} ({state}; created "
          f"{_local_time(manifest.get('created_at'))}, {manifest.get('row_count')} rows, "
          f"rubric {manifest.get('rubric_version')})")


def _list(published: Path) -> None:
    quarters = hr_publish.published_quarters(published)
    if not quarters:
        print(f"nothing published under {published / 'grades'} yet; run `kpi run` first")
        return
    table = Table("quarter", "revision", "created", "rows", "final grades", "overrides", "changed rows",
                  "rubric", box=None)
    for quarter in quarters:
        latest = hr_publish.latest_revision(published, quarter)
        for number in hr_publish.revisions(published, quarter):
            manifest = hr_publish.read_revision(published, quarter, number).manifest
            counts = ", ".join(f"{n} {grade}" for grade, n in (manifest.get("final_grade_counts") or {}).items())
            table.add_row(quarter, f"rev-{number}" + (" (latest)" if number == latest else ""),
                          _local_time(manifest.get("created_at")), str(manifest.get("row_count")), escape(counts),
                          str(manifest.get("overrides_applied", 0)),
                          "-" if number == 1 else str(manifest.get("changes_from_previous", 0)),
                          escape(str(manifest.get("rubric_version"))))
    console = Console(width=max(120, Console().width), soft_wrap=True)
    console.print(table)
    console.print(f"files: {published / 'grades'}/<quarter>/rev-<n>/ (`latest` names the newest)", highlight=False)


def _diff(published: Path, quarter: str, revs: list[int]) -> None:
    numbers = hr_publish.revisions(published, quarter)
    if not revs:
        if len(numbers) < 2:
            _fail(f"{quarter} has {len(numbers)} revision(s); a diff needs two")
        revs = numbers[-2:]
    if len(revs) != 2:
        _fail("--diff takes two --rev (e.g. --rev 1 --rev 2), or none for the last two")
    before, after = revs
    changes = hr_publish.diff_revisions(published, quarter, before, after)
    console = Console(width=max(160, Console().width), soft_wrap=True)
    if changes.is_empty():
        console.print(f"{quarter}: no changes between rev-{before} and rev-{after}", highlight=False)
        return
    table = Table("staff", "name", "change", "final grade", "computed grade", "overall score", "what moved it",
                  title=f"{quarter}: rev-{before} → rev-{after}, {changes.height} staff changed", box=None)
    for row in changes.iter_rows(named=True):
        delta = row["overall_score_delta"]
        score = f"{row['overall_score_before']} → {row['overall_score_after']}" + (
            f" ({delta:+.2f})" if delta is not None else "")
        table.add_row(
            escape(row["staff_id"]), escape(row["name"] or ""), row["change"],
            f"{_grade(row['final_grade_before'])} → {_grade(row['final_grade_after'])}",
            f"{_grade(row['computed_grade_before'])} → {_grade(row['computed_grade_after'])}",
            score, escape(row["metrics_moved"] or row["changed_fields"] or ""),
        )
    console.print(table)
    if before + 1 == after:
        console.print(f"(also in {hr_publish.revision_dir(published, quarter, after) / 'diff.csv'})", highlight=False)
