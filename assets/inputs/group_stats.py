"""Platform group statistics per group and day, from any platform (a CSV or XLSX people fill in
from the platform's admin console, or a console download).

KPI_SPEC §4.1: "Where platform group statistics give a member total for that group and day, the
total wins" — over the member count reconstructed from join/leave events, which misses everyone
who joined before the first export. So the one figure that matters most is `member_total`, a
snapshot (the group's size that day; never summed across days); joins, leaves and messages of the
day are kept when the console gives them.

The group is named as the config names it (`group_id`) or as the platform does (`platform` +
`source_key`, e.g. a WeCom roomid or a QQ group number); staging resolves either to the registry.
A blank cell is NULL, never 0: a console that does not report leaves says nothing about them.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from assets.inputs.base import InputKind, InputResult, snippet
from assets.inputs.tables import (
    Column,
    choice_problem,
    count_problem,
    parse_choice,
    parse_count,
    parse_local_datetime,
    read_table,
)
from pipelines.config import PLATFORMS

NAME = "group_stats"

COUNT_COLUMNS = ("member_total", "new_member_cnt", "left_member_cnt", "msg_total")

COLUMNS = (
    Column("group_id", ("社群编号", "群组编号", "社群id"), required=False),
    Column("platform", ("平台", "所属平台"), required=False),
    Column("source_key", ("群ID", "群聊ID", "群号", "会话ID", "chat_id", "roomid"), required=False),
    Column("group_name", ("群名称", "群名", "群聊名称"), required=False),
    Column("stat_date", ("群统计日期", "日期", "统计日期", "date")),
    Column("member_total", ("群成员数", "群人数", "成员总数", "群成员总数", "members")),
    Column("new_member_cnt", ("新增成员", "新增成员数", "入群人数", "joined"), required=False),
    Column("left_member_cnt", ("退群人数", "退出人数", "left"), required=False),
    Column("msg_total", ("消息数", "消息总数", "群消息数", "messages"), required=False),
)

#: The registry's platform names, plus how Chinese consoles and people write them.
PLATFORM_CHOICES: dict[str, str] = {name: name for name in PLATFORMS} | {
    "企业微信": "wecom", "企微": "wecom", "微信": "wechat", "QQ群": "qq",
    "抖音": "douyin", "快手": "kuaishou",
}

SCHEMA: dict[str, pl.DataType] = {
    "group_id": pl.String(),
    "platform": pl.String(),
    "source_key": pl.String(),
    "group_name": pl.String(),
    "stat_date": pl.Date(),
    "member_total": pl.Int64(),
    "new_member_cnt": pl.Int64(),
    "left_member_cnt": pl.Int64(),
    "msg_total": pl.Int64(),
}


def parse(path: Path, rel_path: str, timezone: str = "Asia/Shanghai") -> InputResult:
    """One CSV/XLSX of group statistics → rows per (group, stat_date); `timezone` reads epoch
    cells (a date is a local calendar day, whatever the zone)."""
    table = read_table(path, rel_path, COLUMNS)
    cells = [c.name for c in COLUMNS]
    table = table.filter(pl.any_horizontal(pl.col(cells).is_not_null()))  # spreadsheet padding rows
    instant = parse_local_datetime(pl.col("stat_date"), timezone).dt.convert_time_zone(timezone)
    frame = table.with_columns(
        snippet(table, cells).alias("raw_snippet"),
        _problem(instant).alias("problem"),
        parse_choice(pl.col("platform"), PLATFORM_CHOICES).alias("platform"),
        instant.dt.date().alias("stat_date"),
        *(parse_count(pl.col(name)).alias(name) for name in COUNT_COLUMNS),
    )
    frame = _mark_duplicates(frame)
    rows = frame.filter(pl.col("problem").is_null()).select(*SCHEMA, "source_record", "source_record_label")
    quarantine = frame.filter(pl.col("problem").is_not_null()).select(
        "source_record", "source_record_label", pl.col("problem").alias("reason"), "raw_snippet")
    return InputResult(rows=rows.cast(SCHEMA), quarantine=quarantine)


def _problem(instant: pl.Expr) -> pl.Expr:
    """Every reason a row cannot be used, `; `-joined (null when it can)."""
    group_id, platform, source_key, date = (pl.col(c) for c in ("group_id", "platform", "source_key", "stat_date"))
    identity = (
        pl.when(group_id.is_null() & platform.is_null() & source_key.is_null()).then(pl.lit(
            "no group: expected group_id (the config's group id), or platform and source_key (the platform's chat id)"))
        .when(group_id.is_null() & source_key.is_null()).then(pl.format(
            "platform {} without source_key: expected the platform's chat id (e.g. a WeCom roomid), or group_id",
            platform))
        .when(group_id.is_null() & platform.is_null()).then(pl.format(
            "source_key {} without platform: the same chat id can exist on two platforms; add platform or use "
            "group_id", source_key))
    )
    day = (
        pl.when(date.is_null()).then(pl.lit("no stat_date; expected the statistics day, e.g. 2026-05-01"))
        .when(instant.is_null()).then(pl.format(
            "stat_date {} is not a date (expected e.g. 2026-05-01, 2026/5/1 or 2026年5月1日)", date))
        .when(instant != instant.dt.truncate("1d")).then(pl.format(
            "stat_date {} has a time of day; expected the statistics day (e.g. 2026-05-01)", date))
    )
    counts = [_count_problem(pl.col(name), name) for name in COUNT_COLUMNS]
    nothing = pl.when(pl.all_horizontal(pl.col(COUNT_COLUMNS).is_null())).then(pl.lit(
        f"no statistics: {', '.join(COUNT_COLUMNS)} are all blank"))
    reasons = pl.concat_str(
        [identity, choice_problem(platform, "platform", PLATFORM_CHOICES), day, *counts, nothing],
        separator="; ", ignore_nulls=True)
    return pl.when(reasons != "").then(reasons)


def _count_problem(text: pl.Expr, name: str) -> pl.Expr:
    """A negative count is named as such (parse_count only knows it is not a count)."""
    negative = text.str.replace_all(",", "").str.strip_chars().str.contains(r"^-\s*[0-9]")
    return pl.when(negative).then(pl.format(f"{name} {{}} is negative; expected a count ≥ 0", text)).otherwise(
        count_problem(text, name))


def _mark_duplicates(frame: pl.DataFrame) -> pl.DataFrame:
    """A second row for the same group and day would make "the total" ambiguous: keep the first
    usable one (in file order) and quarantine the rest, naming the row kept."""
    key = ["group_id", "platform", "source_key", "stat_date"]
    usable = frame.filter(pl.col("problem").is_null())
    repeats = usable.with_columns(
        pl.col("source_record_label").first().over(key, order_by="source_record").alias("_kept"),
    ).filter(pl.col("source_record_label") != pl.col("_kept")).select("source_record", pl.format(
        "duplicate of {} (same group {} and stat_date {}); the first is kept", "_kept",
        pl.coalesce("group_id", pl.format("{} {}", "platform", "source_key")), "stat_date").alias("_duplicate"))
    return frame.join(repeats, on="source_record", how="left", maintain_order="left").with_columns(
        pl.coalesce("problem", "_duplicate").alias("problem")).drop("_duplicate")


DESCRIPTION = (
    "Platform group statistics, one row per group and day (stat_date, a local calendar day), from CSV/XLSX "
    "files under inputs/group_stats/. The group is group_id (the config's id) or platform + source_key (the "
    "platform's chat id), resolved to the registry in staging. member_total is the group's member count that "
    "day (a snapshot: never sum it across days); KPI_SPEC §4.1 makes it win over the member count rebuilt "
    "from join/leave events. new_member_cnt, left_member_cnt and msg_total are the day's joins, leaves and "
    "messages where the console reports them. A blank cell is NULL, never 0. Unusable rows (no group, bad "
    "date, negative or unreadable counts, repeated group and day) are in raw.input_quarantine."
)

KIND = InputKind(name=NAME, table="raw.group_daily_stats", schema=SCHEMA, parse=parse,
                 description=DESCRIPTION, version="1")
