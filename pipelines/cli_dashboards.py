"""`kpi dashboards`: (re)write the managers' dashboards from the warehouse `kpi run` built.

    kpi dashboards --data DIR --out DIR [--lang zh|en]

Reads `OUT/warehouse.duckdb` (read-only; nothing is recomputed) and writes the same site the Dagster
asset `publish/dashboards` writes, to `OUT/dashboards/`. Useful to produce the other language, or a
site again after copying a warehouse. The language defaults to settings.yaml `dashboards.lang`.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from dashboards.data import load_site_data
from dashboards.i18n import LANGUAGES, rubric_overrides
from dashboards.site import write_site
from pipelines.config import load_data_config
from pipelines.errors import KpiError
from pipelines.resources import Warehouse


def _fail(message: str) -> None:
    # Same contract as `kpi run`: one plain line on stderr, exit code 2 (pipelines/cli.py imports this
    # module, so it cannot import the helper back from there).
    print(f"error: {message}", file=sys.stderr)
    raise typer.Exit(code=2)


def dashboards(
    data: Annotated[Path, typer.Option(help="Data folder (its config/ gives the rubric's wording and the default language).")],
    out: Annotated[Path, typer.Option(help="Output folder of `kpi run`: reads warehouse.duckdb, writes dashboards/.")] = Path("build"),
    lang: Annotated[str | None, typer.Option(help="Page language: en or zh (default: settings.yaml dashboards.lang, else en).")] = None,
) -> None:
    """Write the managers' dashboards (an offline static site) from the warehouse of `kpi run`."""
    if lang is not None and lang not in LANGUAGES:
        _fail(f"--lang: got {lang!r}; expected one of {', '.join(LANGUAGES)}")
    warehouse_path = out / "warehouse.duckdb"
    if not warehouse_path.is_file():
        _fail(f"{warehouse_path}: no warehouse here; run `kpi run --data {data} --out {out}` first")
    started = time.perf_counter()
    try:
        config = load_data_config(data)
        lang = lang or config.settings.dashboards_lang
        with Warehouse(path=str(warehouse_path)).connect(read_only=True) as con:
            site_data = load_site_data(con)
        report = write_site(site_data, out / "dashboards", lang=lang, label_overrides=rubric_overrides(lang, config.rubric))
    except KpiError as exc:
        _fail(str(exc))
    pages = report.pages
    print(f"dashboards    {report.index.resolve()}")
    print(f"              {pages['groups']:,} group pages, {pages['staff']:,} staff pages, overview and data quality; "
          f"{report.files:,} files, {report.bytes / 1e6:,.1f} MB, language {lang}, {time.perf_counter() - started:.1f} s")
    print("              open index.html in a browser; the folder works offline and can be copied as a whole")
