"""WeCom 群聊数据统计: saved responses of `externalcontact/groupchat/statistic_group_by_day` and
`externalcontact/groupchat/statistic` (by owner) (FORMATS.md §8.2).

One row per group owner (群主, a WeCom userid) and day — or, for the by-owner endpoint, per owner
and requested day range (`is_range_total = true`, `stat_date_from` … `stat_date_to`). The figures
cover all the customer groups (客户群) that person owns, not one group.

Two kinds of field, which must never be mixed up in SQL:
- counts of the day: `new_chat_cnt` (新增客户群数) and `new_member_cnt` (客户群新增群人数) — these
  add up over days;
- 截至当天 (as of that day) snapshots: `chat_total`, `chat_has_msg`, `member_total`,
  `member_has_msg`, `msg_total` and `migrate_trainee_chat_cnt` — the state at the end of the day.
  **Never sum them across days**: take the last day of a period (or the by-day rows), not a total.
  What the snapshot fields mean over a multi-day by-owner range is not documented by WeCom
  (FORMATS.md: UNVERIFIED), which is why those rows are flagged `is_range_total`.

`migrate_trainee_chat_cnt` (截至当天新增迁移群数) is only returned for the education/training industry;
absent means NULL, as does any field the response leaves out — never 0.

The by-day response does not name the owner, and a by-day request for several owners (or for no
owner filter at all, i.e. the whole company) returns their groups' *combined* figures, which cannot
be credited to any one owner. So the owner comes from a wrapper `{"owner": "zhangsan", "response":
…}` or `{"request": {"owner_filter": {"userid_list": ["zhangsan"]}, …}, "response": …}`, or, for a
bare response, from the file's folder (`inputs/wecom_groupchat/<owner_userid>/<any>.json`). The
by-owner response names its owners but not its days, so it needs the request's `day_begin_time` /
`day_end_time` (`day_end_time` defaults to `day_begin_time`, as in the API).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from assets.inputs.base import InputKind, InputResult
from assets.inputs.wecom_behavior import (
    ResponseShape,
    decimal,
    empty_call_warnings,
    epoch_instant,
    epoch_problem,
    local_day,
    mark_duplicates,
    off_midnight,
    off_midnight_warning,
    problems,
    read_wecom_items,
    split,
    whole_number,
    whole_number_problem,
    whom,
)

NAME = "wecom_groupchat"

#: 截至当天 fields: the state at the end of the day, never to be summed across days.
SNAPSHOT_FIELDS = ("chat_total", "chat_has_msg", "member_total", "member_has_msg", "msg_total",
                   "migrate_trainee_chat_cnt")
COUNT_FIELDS = ("new_chat_cnt", "chat_total", "chat_has_msg", "new_member_cnt", "member_total", "member_has_msg",
                "msg_total", "migrate_trainee_chat_cnt")

SCHEMA: dict[str, pl.DataType] = {
    "owner_userid": pl.String(),
    "stat_date_from": pl.Date(),
    "stat_date_to": pl.Date(),
    "is_range_total": pl.Boolean(),
    **{name: pl.Int64() for name in COUNT_FIELDS},
}

SHAPE = ResponseShape(
    kind=NAME,
    endpoint="groupchat/statistic_group_by_day or groupchat/statistic",
    array="items",
    wrapper_id="$.owner",
    request_ids="$.request.owner_filter.userid_list",
    record_fields={"day_begin_time": "$.request.day_begin_time", "day_end_time": "$.request.day_end_time"},
    response_fields={"total": "$.total", "next_offset": "$.next_offset"},
    item_fields={"stat_time": "$.stat_time", "owner": "$.owner", "data": "$.data",
                 **{name: f"$.data.{name}" for name in COUNT_FIELDS}},
)


def parse(path: Path, rel_path: str, timezone: str = "Asia/Shanghai") -> InputResult:
    """One file of saved group-chat statistic calls → rows per (owner, day or day range).

    `timezone` is the zone WeCom's days are counted in (China time: keep the default)."""
    items = read_wecom_items(path, rel_path, SHAPE)
    by_owner = pl.col("owner").is_not_null() & pl.col("stat_time").is_null()
    day_owner, day_owner_problem = whom(
        "request.owner_filter.userid_list", "owner", "statistic_group_by_day",
        f"{{\"owner\": \"zhangsan\", \"response\": …}} or put the file in inputs/{NAME}/<owner_userid>/")
    begin, end = pl.col("day_begin_time"), pl.coalesce("day_end_time", "day_begin_time")
    begin_at, end_at, stat_at = pl.col("begin_at"), pl.col("end_at"), pl.col("stat_at")
    frame = items.with_columns(
        epoch_instant(begin).alias("begin_at"), epoch_instant(end).alias("end_at"),
        epoch_instant(pl.col("stat_time")).alias("stat_at"),
    ).with_columns(
        pl.when(by_owner).then(pl.col("owner").str.strip_chars()).otherwise(day_owner).alias("owner_userid"),
        by_owner.alias("is_range_total"),
        local_day(pl.when(by_owner).then(begin_at).otherwise(stat_at), timezone).alias("stat_date_from"),
        local_day(pl.when(by_owner).then(end_at).otherwise(stat_at), timezone).alias("stat_date_to"),
        pl.when(by_owner).then(pl.coalesce(
            pl.when(off_midnight(begin_at, timezone)).then(pl.format("request.day_begin_time {}", begin)),
            pl.when(off_midnight(end_at, timezone)).then(pl.format("request.day_end_time {}", end)),
        )).otherwise(pl.when(off_midnight(stat_at, timezone)).then(
            pl.format("stat_time {}", "stat_time"))).alias("off_midnight_value"),
        *(whole_number(pl.col(name)).alias(name) for name in COUNT_FIELDS),
        pl.coalesce(
            pl.col("record_problem"),
            pl.col("item_problem"),
            pl.when(pl.col("item_index").is_not_null()).then(
                _item_problem(by_owner, day_owner_problem, timezone)),
        ).alias("problem"),
    )
    frame = frame.filter(pl.col("item_index").is_not_null() | pl.col("problem").is_not_null())
    frame = mark_duplicates(frame, ["owner_userid", "stat_date_from", "stat_date_to", "is_range_total"], pl.format(
        "same owner {} and days {} to {}{}", "owner_userid", "stat_date_from", "stat_date_to",
        pl.when("is_range_total").then(pl.lit(", by-owner total")).otherwise(pl.lit(""))))
    warnings = [
        *off_midnight_warning(frame, timezone),
        *_page_warnings(items),
        *empty_call_warnings(items.with_columns(problem=pl.col("record_problem")), SHAPE.array),
    ]
    return split(frame, SCHEMA, warnings)


def _item_problem(by_owner: pl.Expr, day_owner_problem: pl.Expr, timezone: str) -> pl.Expr:
    """Why one element of `items` cannot be loaded: its shape, whom it is about, its days, its counts."""
    owner, stat_time = pl.col("owner"), pl.col("stat_time")
    ids = pl.col("request_ids")
    begin, end = pl.col("day_begin_time"), pl.coalesce("day_end_time", "day_begin_time")
    shape = (
        pl.when(owner.is_not_null() & stat_time.is_not_null()).then(pl.format(
            "{}[{}] has both owner and stat_time; expected {{\"stat_time\", \"data\"}} (by day) or "
            "{{\"owner\", \"data\"}} (by owner)", "array_label", "item_index"))
        .when(owner.is_null() & stat_time.is_null()).then(pl.format(
            "{}[{}] has neither stat_time (statistic_group_by_day) nor owner (groupchat/statistic)",
            "array_label", "item_index"))
        .when(~pl.col("data").str.starts_with("{").fill_null(False)).then(pl.format(
            "{}[{}] has no data object; expected \"data\": {{\"new_chat_cnt\": …, \"member_total\": …}}",
            "array_label", "item_index"))
    )
    whole_company = (
        "the request has no owner_filter.userid_list, so statistic_group_by_day returned the combined figures "
        "of every owner's groups, which cannot be credited to one owner; call it once per owner"
    )
    by_day_owner = pl.coalesce(
        pl.when(pl.col("has_request") & ids.list.len().fill_null(0).eq(0)).then(pl.lit(whole_company)),
        day_owner_problem,
    )
    begin_at, end_at = pl.col("begin_at"), pl.col("end_at")
    days = pl.when(by_owner).then(pl.coalesce(
        pl.when(begin.is_null()).then(pl.lit(
            "groupchat/statistic (by owner) does not say which days it covers; save it as {\"request\": "
            "{\"day_begin_time\": …, \"day_end_time\": …, \"owner_filter\": …}, \"response\": …}")),
        epoch_problem(begin, begin_at, "request.day_begin_time"),
        epoch_problem(end, end_at, "request.day_end_time"),
        pl.when(local_day(end_at, timezone) < local_day(begin_at, timezone)).then(pl.format(
            "request.day_end_time {} is before day_begin_time {}", end, begin)),
    )).otherwise(epoch_problem(stat_time, pl.col("stat_at"), "stat_time"))
    return pl.coalesce(
        shape,
        pl.when(~by_owner).then(by_day_owner),
        pl.when(by_owner & (owner.str.strip_chars() == "")).then(
            pl.format("{}[{}] has a blank owner", "array_label", "item_index")),
        problems(days, *(whole_number_problem(pl.col(name), name) for name in COUNT_FIELDS)),
    )


def _page_warnings(items: pl.DataFrame) -> list[str]:
    """groupchat/statistic pages its owners (`limit` ≤ 1000): a saved page with more after it means
    owners missing from the load unless the next page is saved too."""
    pages = items.filter(pl.col("record_problem").is_null()).unique("record_label", keep="first", maintain_order=True)
    total, next_offset = decimal(pl.col("total")), decimal(pl.col("next_offset"))
    partial = pages.filter(next_offset.is_not_null() & total.is_not_null() & (next_offset < total))
    return [f"{row['record_label']}: the response lists owners up to offset {row['next_offset']} of "
            f"{row['total']}; save the next page (offset {row['next_offset']}) too, or those owners are missing"
            for row in partial.iter_rows(named=True)]


DESCRIPTION = (
    "WeCom 群聊数据统计 (groupchat/statistic_group_by_day and groupchat/statistic), one row per group owner "
    "(owner_userid, a WeCom userid) and day — stat_date_from = stat_date_to, China time — covering all the "
    "customer groups that person owns; rows from the by-owner endpoint cover the requested day range and have "
    "is_range_total = true. new_chat_cnt (new groups) and new_member_cnt (members who joined) are counts of "
    "the day. chat_total, chat_has_msg, member_total, member_has_msg, msg_total and migrate_trainee_chat_cnt "
    "are 截至当天 snapshots (the state at the end of the day): never sum them across days — take the last "
    "day of a period. migrate_trainee_chat_cnt is only returned for the education industry; NULL means WeCom "
    "did not return a field, never 0. Calls that covered several owners (combined figures) and WeCom errors "
    "are in raw.input_quarantine, not here."
)

KIND = InputKind(name=NAME, table="raw.wecom_groupchat_daily", schema=SCHEMA, parse=parse,
                 description=DESCRIPTION, version="1")
