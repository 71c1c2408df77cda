"""Write the manager dashboards: an offline static site under `OUT/dashboards/`.

    index.html              overview, with links to every page
    quality.html            data quality
    groups/<group>.html     one page per group
    staff/<staff>.html      one page per staff member
    assets/plotly.min.js    the one local copy of plotly.js every page loads
    assets/site.css, assets/site.js

`write_site(load_site_data(con), out_dir, lang=...)`. The site is built in a sibling folder and swapped
in when complete, so a manager never opens a half-written site and pages of groups that no longer
exist do not linger. Pages are rendered from plain Python rows split per group and per staff member
once (no query per page), with figure dicts instead of plotly Figure objects.

One process, on purpose: measured on 2,000 groups and 5,000 staff (`make bench`), rendering and writing
the 7,000 pages takes ~5 s in one process (~1,400 pages/s) while a pool of two spawned workers took
longer than that just to start and receive the page data; fork would be cheaper but is unsafe in a
process that holds DuckDB, Polars or Dagster threads.

Output is deterministic: rows sorted in SQL, stable file names (`page_slugs`), stable element ids,
no generation timestamp. Regenerating unchanged data gives byte-identical files.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import polars as pl

from dashboards import render
from dashboards.data import SiteData
from dashboards.figures import DIMENSIONS
from dashboards.i18n import Labels, check_language
from dashboards.static import SITE_JS, site_css

_SAFE_ID: Final = re.compile(r"[A-Za-z0-9_-]{1,64}")
_RESERVED: Final = frozenset({"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
                              *(f"LPT{i}" for i in range(1, 10))})

#: plotly.js, cartesian traces only, vendored (dashboards/vendor/README.md): no map servers inside.
PLOTLY_JS = Path(__file__).with_name("vendor") / "plotly-cartesian.min.js"


@dataclass(frozen=True)
class SiteReport:
    """What was written: the entry page, pages per type, and the site's files and bytes."""

    index: Path
    pages: dict[str, int]
    files: int
    bytes: int


def page_slugs(ids: Iterable[str]) -> dict[str, str]:
    """A file name (without `.html`) per id, stable and safe on every file system.

    Ids come from config files, so they are usually plain (`G01`, `S003`) and kept as they are. Any
    other id (`auto:wecom:…`, spaces, `../`, a reserved Windows name, or two ids that differ only in
    case, which collide on macOS and Windows) becomes its safe characters plus a short hash of the id.
    """
    ids = sorted(set(ids))
    lowered: dict[str, int] = defaultdict(int)
    for item in ids:
        lowered[item.lower()] += 1
    slugs = {}
    for item in ids:
        if _SAFE_ID.fullmatch(item) and lowered[item.lower()] == 1 and item.upper() not in _RESERVED:
            slugs[item] = item
        else:
            safe = re.sub(r"[^A-Za-z0-9_-]+", "_", item).strip("_")[:48] or "id"
            slugs[item] = f"{safe}-{hashlib.sha256(item.encode('utf-8')).hexdigest()[:10]}"
    return slugs


def rows_by(frame: pl.DataFrame, key: str) -> dict[str, list[dict]]:
    """Rows of a whole-site query split per entity, in the query's order."""
    split: dict[str, list[dict]] = defaultdict(list)
    for row in frame.iter_rows(named=True):
        split[row[key]].append(row)
    return split


def write_site(data: SiteData, out_dir: Path, *, lang: str = "en",
               label_overrides: Mapping[str, str] | None = None) -> SiteReport:
    """Render every page of `data` in `lang` and publish the site at `out_dir` (replacing it whole).

    `label_overrides`: rubric wording for roles and categories (`i18n.rubric_overrides`).
    """
    t = Labels(check_language(lang), dict(label_overrides or {}))
    ctx, overview, quality, groups, staff = plan(data, t)
    staging = out_dir.with_name(f".{out_dir.name}.partial")
    shutil.rmtree(staging, ignore_errors=True)
    (staging / "assets").mkdir(parents=True)
    (staging / "groups").mkdir()
    (staging / "staff").mkdir()
    shutil.copyfile(PLOTLY_JS, staging / "assets" / "plotly.min.js")
    (staging / "assets" / "site.css").write_text(site_css(lang), encoding="utf-8")
    (staging / "assets" / "site.js").write_text(SITE_JS, encoding="utf-8")
    _write(staging, ctx, render.overview_page(ctx, overview))
    _write(staging, ctx, render.quality_page(ctx, quality))

    for entity, parts in groups:
        _write(staging, ctx, render.group_page(ctx, entity, parts))
    for person, parts in staff:
        _write(staging, ctx, render.staff_page(ctx, person, parts))

    _publish(staging, out_dir)
    files = [p for p in out_dir.rglob("*") if p.is_file()]
    return SiteReport(out_dir / "index.html", {"overview": 1, "groups": len(groups), "staff": len(staff), "quality": 1},
                      len(files), sum(p.stat().st_size for p in files))


def _write(root: Path, ctx: render.SiteContext, page: render.Page) -> None:
    (root / page.path).write_bytes(render.document(page, ctx).encode("utf-8"))


def _publish(staging: Path, out_dir: Path) -> None:
    """Swap the finished site in: two renames, the old site removed after."""
    old = out_dir.with_name(f".{out_dir.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if out_dir.exists():
        os.replace(out_dir, old)
    os.replace(staging, out_dir)
    shutil.rmtree(old, ignore_errors=True)


# --- from query results to page inputs ----------------------------------------------------------------


def plan(data: SiteData, t: Labels) -> tuple[render.SiteContext, dict, dict, list, list]:
    """The shared context, the overview's and quality page's inputs, and one (entity, parts) job per
    group and per staff member, each with only its own rows."""
    periods = data["periods"]
    months = tuple(periods.filter(pl.col("period_type") == "month")["period"].to_list())
    quarter_rows = periods.filter(pl.col("period_type") == "quarter")
    quarters = tuple(quarter_rows["period"].to_list())
    complete = frozenset(quarter_rows.filter(pl.col("is_complete"))["period"].to_list())
    headline = max(complete, default=None) or (quarters[-1] if quarters else None)
    facts = data["site_facts"].row(0, named=True) if data["site_facts"].height else {}
    groups = data["groups"].to_dicts()
    staff = data["staff"].to_dicts()
    ctx = render.SiteContext(
        t=t,
        rubric_version=facts.get("rubric_version") or render.MISSING,
        timezone=facts.get("reporting_timezone") or "UTC",
        sla_general_minutes=facts.get("sla_general_business_minutes") or 60.0,
        not_rated_min_weight=facts.get("not_rated_min_weight") or 0.0,
        as_of_date=str(facts.get("as_of_date") or render.MISSING),
        months=months,
        quarters=quarters,
        complete_quarters=complete,
        headline_quarter=headline,
        group_names={g["group_id"]: g["name"] for g in groups},
        group_slugs=page_slugs(g["group_id"] for g in groups),
        staff_names={s["staff_id"]: s["name"] for s in staff},
        staff_slugs=page_slugs(s["staff_id"] for s in staff),
    )

    headline_key = headline or ""  # no period is "": filters keep nothing when there is no quarter yet
    scores = data["scores"]
    group_scores = scores.filter(pl.col("entity_type") == "group")
    staff_scores = scores.filter(pl.col("entity_type") == "staff")
    grades = data["staff_grades"]
    overview = {
        "quarter_headlines": data["quarter_headlines"].to_dicts(),
        "grade_counts": {(q, g): n for q, g, n in grades.group_by(
            "quarter", pl.col("final_grade").fill_null("not_rated")).len().iter_rows()},
        "staff_trends": _monthly_means(staff_scores),
        "group_trends": _monthly_means(group_scores),
        "group_ranking": _ranking(group_scores.filter((pl.col("period_type") == "quarter") & (pl.col("period") == headline_key))
                                  .select(pl.col("entity_id").alias("id"), pl.col("overall_score").alias("score"), "grade"),
                                  ctx.group_names),
        "staff_ranking": _ranking(grades.filter(pl.col("quarter") == headline_key)
                                  .select(pl.col("staff_id").alias("id"), pl.col("overall_score").alias("score"),
                                          pl.col("final_grade").alias("grade")), ctx.staff_names),
        "excellent_communities": data["excellent_communities"].to_dicts(),
        "groups": groups,
        "staff": staff,
        "group_headline_scores": {r["entity_id"]: r for r in group_scores.filter(
            (pl.col("period_type") == "quarter") & (pl.col("period") == headline_key)).iter_rows(named=True)},
        "staff_headline_grades": {r["staff_id"]: r for r in grades.filter(pl.col("quarter") == headline_key).iter_rows(named=True)},
    }
    quality = {
        "input_files": data["input_files"].to_dicts(),
        "quarantine": data["quarantine"].to_dicts(),
        "checks": data.checks,
        "groups": groups,
        "coverage": {gid: {r["month"]: r for r in rows}
                     for gid, rows in rows_by(data["group_activity_monthly"], "group_id").items()},
    }

    group_parts = {
        "scores": rows_by(group_scores, "entity_id"),
        "activity": rows_by(data["group_activity_monthly"], "group_id"),
        "heatmap": rows_by(data["group_hour_weekday"], "group_id"),
        "requests": rows_by(data["group_requests_monthly"], "group_id"),
        "unanswered": rows_by(data["group_unanswered_requests"], "group_id"),
        "violations": rows_by(data["group_violations"], "group_id"),
        "ledger": rows_by(data["group_violation_ledger"], "group_id"),
        "tiers": rows_by(data["group_member_tiers"], "group_id"),
        "membership": rows_by(data["group_membership_monthly"], "group_id"),
    }
    staff_parts = {
        "scores": rows_by(staff_scores, "entity_id"),
        "grades": rows_by(grades, "staff_id"),
        "explanations": rows_by(data["staff_explanations"], "staff_id"),
        "workload": rows_by(data["staff_workload_monthly"], "staff_id"),
    }
    group_jobs = [(g, {name: split.get(g["group_id"], []) for name, split in group_parts.items()}) for g in groups]
    staff_jobs = [(s, {name: split.get(s["staff_id"], []) for name, split in staff_parts.items()}) for s in staff]
    return ctx, overview, quality, group_jobs, staff_jobs


def _monthly_means(scores: pl.DataFrame) -> dict[str, dict[str, float | None]]:
    """Mean score per dimension and month over the entities scored that month: `[dimension][month]`."""
    monthly = (scores.filter(pl.col("period_type") == "month")
               .group_by("period").agg(pl.mean(f"{d}_score") for d in DIMENSIONS).sort("period"))
    return {d: dict(zip(monthly["period"].to_list(), monthly[f"{d}_score"].to_list())) for d in DIMENSIONS}


def _ranking(frame: pl.DataFrame, names: Mapping[str, str | None]) -> list[dict]:
    """The best and the weakest `render.RANK_SIZE` by overall score (ties by id), best first."""
    ranked = frame.filter(pl.col("score").is_not_null()).sort(["score", "id"], descending=[True, False]).to_dicts()
    best = ranked[:render.RANK_SIZE]
    weakest = ranked[max(len(best), len(ranked) - render.RANK_SIZE):]
    return ([{**e, "name": names.get(e["id"]) or e["id"], "side": "best"} for e in best]
            + [{**e, "name": names.get(e["id"]) or e["id"], "side": "weakest"} for e in weakest])
