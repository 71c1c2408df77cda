"""The managers' dashboards as a Dagster asset (the same site `kpi dashboards` writes).

No `from __future__ import annotations` here: Dagster reads the resource annotations at definition time.
"""

import dagster as dg

from dashboards.data import load_site_data, upstream_tables
from dashboards.i18n import rubric_overrides
from dashboards.site import write_site
from pipelines.config import load_data_config
from pipelines.resources import ProjectPaths, Warehouse


@dg.asset(
    key=["publish", "dashboards"],
    # exactly the tables the dashboard queries and the SQL checks read (parsed from their SQL), so the
    # site is rebuilt after any of them and never runs when a blocking check on them fails
    deps=[dg.AssetKey(list(table)) for table in upstream_tables()],
    group_name="publish",
    kinds={"html", "plotly"},
)
def dashboards(warehouse: Warehouse, paths: ProjectPaths) -> dg.MaterializeResult:
    """Managers' dashboards, a static site under `OUT/dashboards/` that opens offline from a shared folder
    or an e-mail attachment: `index.html` (headline KPIs per quarter, grade distribution, monthly trends
    per dimension, best and weakest groups and staff, excellent communities, links to every page), one
    page per group (`groups/`: activity, hour × weekday, requests against the SLA, unanswered requests,
    violations, member tiers, membership), one per staff member (`staff/`: scorecard against the role
    median, the metrics behind the grade, monthly trend, workload) and `quality.html` (quarantined
    records, check results, coverage). Language from settings.yaml `dashboards.lang` (en or zh).
    Members appear only as counts or pseudonyms."""
    config = load_data_config(paths.data)
    lang = config.settings.dashboards_lang
    with warehouse.connect(read_only=True) as con:
        data = load_site_data(con)
    report = write_site(data, paths.dashboards, lang=lang, label_overrides=rubric_overrides(lang, config.rubric))
    return dg.MaterializeResult(metadata={
        "path": dg.MetadataValue.path(str(report.index.resolve())),
        "lang": lang,
        "pages": dg.MetadataValue.json(report.pages),
        "group_pages": dg.MetadataValue.int(report.pages["groups"]),
        "staff_pages": dg.MetadataValue.int(report.pages["staff"]),
        "files": dg.MetadataValue.int(report.files),
        "size_mb": dg.MetadataValue.float(round(report.bytes / 1e6, 2)),
    })
