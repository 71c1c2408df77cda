"""Raw layer: config files, chat exports and inputs as tables, exactly as given (plus file/record lineage).

These are the only assets written from Python; everything downstream is a SQL file in `sql/`.
"""


import datetime as dt

import dagster as dg
import polars as pl

from assets.ingest.load import sync_exports
from assets.inputs.base import sync_inputs
from assets.inputs.registry import KINDS as INPUT_KINDS
from pipelines.config import calendar_tables, check_statutory_years, config_tables, load_data_config, pseudonym
from pipelines.metadata import markdown_table, table_metadata
from pipelines.progress import Progress
from pipelines.resources import WRITER_POOL, ProjectPaths, Warehouse

CONFIG_TABLES = {
    "staff": "Staff roster (config/roster.csv): one row per staff member with role, team, calendar and active dates.",
    "staff_handles": "Platform handles per staff member with validity dates (config/handles.csv).",
    "bots": "Bot handles excluded from every metric (config/bots.csv).",
    "contacts": "Display names for handles the exports do not name (config/contacts.csv, optional; WeCom external contacts), used only to match @name mentions.",
    "groups": "Group registry (config/groups.csv): platform source key, category, owner, calendar.",
    "group_staff": "Staff who own or are assigned to each group (from config/groups.csv); grain (group_id, staff_id).",
    "rubric_settings": "One row: rubric version, reporting time zone, request rules, SLAs and lexicon patterns (config/rubric.yaml).",
    "rubric_dimensions": "Dimension weights per staff role and group category (config/rubric.yaml).",
    "rubric_metrics": "Floor, target, weight and minimum sample of every scored metric per role/category (config/rubric.yaml).",
    "rubric_grade_bands": "Grade bands, highest first (config/rubric.yaml).",
}


def _write(con, table: str, frame: pl.DataFrame) -> None:
    con.execute(f"create or replace table {table} as select * from frame")


@dg.multi_asset(
    pool=WRITER_POOL,
    name="config_tables",
    specs=[
        dg.AssetSpec(["raw", name], description=text, group_name="raw", kinds={"duckdb", "python"})
        for name, text in CONFIG_TABLES.items()
    ],
)
def config_tables_asset(context: dg.AssetExecutionContext, warehouse: Warehouse, paths: ProjectPaths):
    """Validate every config file and load it; a bad file stops the run with file, line and fix."""
    config = load_data_config(paths.data)
    tables = config_tables(config)
    with warehouse.connect() as con:
        for name, frame in tables.items():
            _write(con, f"raw.{name}", frame)
        for name in tables:
            yield dg.MaterializeResult(asset_key=["raw", name], metadata=table_metadata(con, f"raw.{name}"))


@dg.multi_asset(
    pool=WRITER_POOL,
    name="chat_exports",
    specs=[
        dg.AssetSpec(["raw", "chat_messages"], group_name="raw", kinds={"duckdb", "polars"},
                     description="Every message of every export file, one row per record, in the common staging "
                                 "schema (assets/ingest/schema.py); grain (source_file, source_record)."),
        dg.AssetSpec(["raw", "chat_events"], group_name="raw", kinds={"duckdb", "polars"},
                     description="System events (joins, leaves, removals, renames) from the exports."),
        dg.AssetSpec(["raw", "ingest_quarantine"], group_name="raw", kinds={"duckdb", "polars"},
                     description="Records that could not be parsed: file, line/record, reason and a short raw snippet."),
        dg.AssetSpec(["raw", "source_files"], group_name="raw", kinds={"duckdb", "polars"},
                     description="One row per loaded export file: format, encoding, sha256, counts. Unchanged files "
                                 "(same sha256) are not parsed again."),
    ],
)
def chat_exports(context: dg.AssetExecutionContext, warehouse: Warehouse, paths: ProjectPaths, progress: Progress):
    """Parse new or changed export files and replace their rows (idempotent per file)."""
    config = load_data_config(paths.data)
    with warehouse.connect() as con:
        report = sync_exports(con, paths.data, source_options=config.settings.source_options,
                              progress=progress.update)
        parsed = report.parsed
        context.log.info(
            f"{len(report.files)} export files: {len(parsed)} parsed, {len(report.files) - len(parsed)} unchanged, "
            f"{len(report.removed)} removed"
        )
        registered = {(g.platform, g.source_key) for g in config.groups}
        unregistered = [
            f"{platform}:{source_key}"
            for platform, source_key in con.execute(
                "select distinct platform, source_key from raw.chat_messages order by all").fetchall()
            if (platform, source_key) not in registered
        ]
        for source in unregistered:
            context.log.warning(f"exports of {source} match no group in config/groups.csv; loaded as unassigned")
        per_file = pl.DataFrame(report.files).drop("sha256") if report.files else pl.DataFrame()
        for name in ("chat_messages", "chat_events", "ingest_quarantine", "source_files"):
            metadata = table_metadata(con, f"raw.{name}")
            if name == "source_files" and per_file.height:
                metadata["files"] = dg.MetadataValue.md(markdown_table(per_file))
            if name == "chat_messages":
                metadata["unregistered_groups"] = dg.MetadataValue.json(unregistered)
            if name == "ingest_quarantine":
                metadata["quarantined_this_run"] = sum(f["quarantined"] for f in parsed)
            yield dg.MaterializeResult(asset_key=["raw", name], metadata=metadata)


def _table_name(table: str) -> str:
    return table.removeprefix("raw.")


@dg.multi_asset(
    pool=WRITER_POOL,
    name="platform_inputs",
    specs=[
        *(dg.AssetSpec(["raw", _table_name(kind.table)], group_name="raw", kinds={"duckdb", "polars"},
                       description=kind.description) for kind in INPUT_KINDS.values()),
        dg.AssetSpec(["raw", "input_quarantine"], group_name="raw", kinds={"duckdb", "polars"},
                     description="Rows of platform-metric and business-log inputs that could not be used: kind, file, "
                                 "line or sheet row, reason and a short snippet."),
        dg.AssetSpec(["raw", "input_files"], group_name="raw", kinds={"duckdb", "polars"},
                     description="One row per loaded input file under inputs/<kind>/: sha256, rows, quarantined, "
                                 "warnings. Unchanged files are not read again."),
    ],
)
def platform_inputs(context: dg.AssetExecutionContext, warehouse: Warehouse, paths: ProjectPaths):
    """Read the files under inputs/<kind>/ (platform statistics, short-video posts, surveys, tickets,
    content audits, evaluations) into one raw table per kind, idempotently per file."""
    with warehouse.connect() as con:
        report = sync_inputs(con, paths.data, INPUT_KINDS)
        read = [f for f in report.files if not f["skipped"]]
        context.log.info(f"{len(report.files)} input files: {len(read)} read, "
                         f"{len(report.files) - len(read)} unchanged, {len(report.removed)} removed")
        for warning in con.execute(
            "select source_file, unnest(warnings) from raw.input_files order by all").fetchall():
            context.log.warning(f"{warning[0]}: {warning[1]}")
        per_file = pl.DataFrame(report.files) if report.files else pl.DataFrame()
        for table in [*(k.table for k in INPUT_KINDS.values()), "raw.input_quarantine", "raw.input_files"]:
            metadata = table_metadata(con, table)
            if table == "raw.input_files" and per_file.height:
                metadata["files"] = dg.MetadataValue.md(markdown_table(per_file))
            yield dg.MaterializeResult(asset_key=["raw", _table_name(table)], metadata=metadata)


@dg.multi_asset(
    pool=WRITER_POOL,
    name="business_calendar",
    specs=[
        dg.AssetSpec(["raw", "calendar_days"], group_name="raw", kinds={"duckdb", "python"},
                     deps=[["raw", "chat_messages"]],
                     description="Every local date of every calendar over the data's range (plus 90 days for late "
                                 "answers): workday, weekend, holiday or make-up workday; grain (calendar_id, local_date)."),
        dg.AssetSpec(["raw", "calendar_open_intervals"], group_name="raw", kinds={"duckdb", "python"},
                     deps=[["raw", "chat_messages"]],
                     description="Open hours per calendar and date as UTC instants; grain (calendar_id, opens_at)."),
    ],
)
def business_calendar(context: dg.AssetExecutionContext, warehouse: Warehouse, paths: ProjectPaths):
    """Expand config/calendar.yaml (weekly hours, statutory holidays, make-up workdays) into dated rows."""
    config = load_data_config(paths.data)
    with warehouse.connect() as con:
        first, last = con.execute("select min(sent_at)::date, max(sent_at)::date from raw.chat_messages").fetchall()[0]
        today = dt.date.today()
        start = (first or today) - dt.timedelta(days=7)
        end = (last or today) + dt.timedelta(days=90)
        if first is not None:
            check_statutory_years(config.calendars, paths.data / "config" / "calendar.yaml", first, last)
        days, intervals, warnings = calendar_tables(config.calendars, start, end)
        for warning in warnings:
            # Years only in the padding after the data matter just for answers given that late.
            in_data = last is None or any(str(year) in warning for year in range(start.year, last.year + 1))
            (context.log.warning if in_data else context.log.info)(warning)
        _write(con, "raw.calendar_days", days)
        _write(con, "raw.calendar_open_intervals", intervals)
        yield dg.MaterializeResult(asset_key=["raw", "calendar_days"],
                                   metadata={**table_metadata(con, "raw.calendar_days"),
                                             "range": f"{start}..{end}", "warnings": "\n".join(warnings) or "none"})
        yield dg.MaterializeResult(asset_key=["raw", "calendar_open_intervals"],
                                   metadata=table_metadata(con, "raw.calendar_open_intervals"))


@dg.asset(
    pool=WRITER_POOL,
    key=["raw", "member_pseudonyms"],
    deps=[["raw", "chat_messages"], ["raw", "chat_events"]],
    group_name="raw",
    kinds={"duckdb", "python"},
)
def member_pseudonyms(context: dg.AssetExecutionContext, warehouse: Warehouse, paths: ProjectPaths) -> dg.MaterializeResult:
    """Keyed pseudonym (HMAC-SHA256, key from config/settings.yaml or KPI_PSEUDONYM_KEY) of every
    sender and event subject handle; grain (platform, handle). Published outputs carry only these keys,
    never the handle. Hashing runs over distinct handles, so it stays small however many messages, and
    only over handles new since the last run while the key is the one their pseudonyms were made with."""
    key = load_data_config(paths.data).settings.pseudonym_key
    with warehouse.connect() as con:
        con.execute(
            """
            create or replace temp table present_handles as
            select distinct platform, sender_handle as handle from raw.chat_messages where sender_handle is not null
            union
            select distinct platform, subject_handle from raw.chat_events where subject_handle is not null
            """
        )
        kept = _pseudonyms_of_key(con, key)
        if kept:  # handles no export has any more leave (a ticket's customer must be a handle seen in the chats)
            con.execute("delete from raw.member_pseudonyms as p where not exists (select 1 from present_handles as h "
                        "where h.platform = p.platform and h.handle = p.handle)")
        handles = con.sql(
            "select * from present_handles"
            + (" except select platform, handle from raw.member_pseudonyms" if kept else "")
        ).pl()
        frame = handles.with_columns(
            pl.struct("platform", "handle")
            .map_elements(lambda row: pseudonym(key, row["platform"], row["handle"]), return_dtype=pl.String)
            .alias("member_key")
        ) if handles.height else handles.with_columns(pl.lit(None, dtype=pl.String).alias("member_key"))
        if kept:
            con.execute("insert into raw.member_pseudonyms by name select * from frame")
        else:
            _write(con, "raw.member_pseudonyms", frame)
        return dg.MaterializeResult(metadata={**table_metadata(con, "raw.member_pseudonyms", preview=False),
                                              "handles_hashed": dg.MetadataValue.int(handles.height)})


def _pseudonyms_of_key(con, key: bytes) -> bool:
    """Whether `raw.member_pseudonyms` has rows and they were made with `key` (one row tells: a
    pseudonym is an HMAC of the key)."""
    exists = con.execute("select count(*) from duckdb_tables() where schema_name = 'raw' "
                         "and table_name = 'member_pseudonyms'").fetchall()[0][0]
    if not exists:
        return False
    row = con.execute("select platform, handle, member_key from raw.member_pseudonyms limit 1").fetchall()
    return bool(row) and pseudonym(key, row[0][0], row[0][1]) == row[0][2]

