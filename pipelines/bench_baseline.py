"""The bare baseline of issue 8: a plain DuckDB script computing what `kpi run` computes about requests.

    python -m pipelines.bench_baseline --data build/bench/world_10000000/data --out build/bench/work_pipeline/baseline

No Dagster, no Polars parsing, no warehouse file: DuckDB reads the WeCom JSONL exports (`read_json`),
the config CSVs and the ticket log (`read_csv`) of one data folder and writes Parquet:

- `requests.parquet`: one row per request (KPI_SPEC §3), as `marts.fct_requests` has them: opened,
  last message, complex or general, responded (when, by whom), business and calendar minutes, within
  SLA, resolved (chat rule, or the covering ticket's status), attributed staff member;
- `staff_metrics.parquet`: per staff member and period (every month and quarter the data covers):
  staff messages in their own groups, active business days, requests, responded, within SLA,
  resolved, median response business minutes (the numbers behind `intermediate.int_metrics__staff`
  and `int_metrics__resolution`).

It is the floor a hand-written script reaches on the same files, for `make bench` to compare with;
`tests/test_bench_baseline.py` checks on a small world that both compute the same numbers. The rules,
in the order of the statements below, follow the pipeline's SQL:

1. messages (sql/staging/stg_chat__messages.sql, sql/intermediate/int_messages__classified.sql): one
   row per (room, msgid) across files; staff when a handle valid on the local date names a staff
   member employed that day, bots excluded, recalled messages and recall records not counted; the
   acknowledgement / question / complaint lexicons of `rubric.yaml`, built into regexes by the same
   function as the pipeline's (`pipelines.rubric.lexicon_pattern`); `@name` mentions by the WeCom
   parser's pattern (`assets.ingest.wecom.MENTION_PATTERN`).
2. requests (sql/marts/fct_requests.sql): a staff message answers a member's request when it
   @-mentions one of the member's names in the group (handle, or display name from contacts.csv) or
   names nobody and comes within the adjacency window after one of their request messages; merging
   the member's request messages with those answers in time order, the request messages between two
   answers are one burst (one request), answered by the next. Business minutes come from one ASOF
   join on the group calendar's open intervals with the open minutes before each (the intervals are
   expanded from calendar.yaml by `pipelines.config.calendar_tables`, the function that fills
   `raw.calendar_open_intervals`). Resolved: answered and not asked again within the reopen window,
   unless a ticket of the same group and requester opened within `ticket_match_minutes` of the request
   has a known outcome: then the earliest such ticket decides.
3. per-staff aggregates (sql/intermediate/int_metrics__staff.sql, int_metrics__resolution.sql).

Written for speed where that changes no result (the test compares request by request): message texts
are classified as they are read and then dropped; mention aliases are built for requesters only;
the adjacency-window join also matches on a window-long time slot, so it is a hash join rather
than every pair of messages in a group. The pipeline's SQL does neither of the last two.

Deliberate simplifications, none of which arises in the bench world (`pipelines/bench_world.py`):
- WeCom only, as the world is: WeCom archive records quote nothing, so the quote path of a response
  (and the pipeline's second pass dropping stale quotes) does not exist here.
- No quarantine: every line is taken to be a valid archive record with `msgtime` as a JSON number (the
  parser also accepts vendor relays' strings and quarantines broken lines); duplicates of a msgid
  within one file keep an arbitrary copy (the pipeline the first line; across files both keep the
  first file by path).
- Tickets: only the layout the world writes (`工单号, 创建时间, 关闭时间, 工单类型, 状态, 处理人, 来源群, 客户,
  关联消息ID, 评价`; group by 来源群 = group_id; the requester is 客户 when it is a handle seen in the
  chats, else the sender of 关联消息ID), none of the reader's other header aliases or quarantine rules.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path

import duckdb

from assets.ingest.wecom import MENTION_PATTERN
from pipelines.config import calendar_tables, load_calendars
from pipelines.rubric import lexicon_pattern, load_rubric

MEMORY_LIMIT = "2GB"
THREADS = 2

CONFIG = [
    """create table staff as
       select staff_id, calendar_id, active_from::date as active_from, nullif(active_to, '')::date as active_to
       from read_csv($roster, all_varchar = true)""",
    """create table handles as
       select staff_id, handle, nullif(valid_from, '')::date as valid_from, nullif(valid_to, '')::date as valid_to
       from read_csv($handles, all_varchar = true) where platform = 'wecom'""",
    """create table groups as
       select group_id, source_key, category, owner_staff_id, calendar_id, assigned_staff_ids
       from read_csv($groups, all_varchar = true) where platform = 'wecom'""",
    # owner and assigned staff, once each
    """create table group_staff as
       select distinct group_id, staff_id from (
           select group_id, owner_staff_id as staff_id from groups
           union all
           select group_id, trim(unnest(string_split(assigned_staff_ids, ';'))) from groups
       ) where staff_id <> ''""",
    """create table bots as select handle from read_csv($bots, all_varchar = true) where platform = 'wecom'""",
    """create table contacts as select handle, name from read_csv($contacts, all_varchar = true) where platform = 'wecom'""",
]

#: Every archive record as read, with what its text says (the text itself is not kept: it is the bulk
#: of the bytes, and every rule after this needs only these flags). Which file a record came from is
#: its rank in path order ($exports is sorted), for de-duplication.
RECORDS = r"""
create table records as
with files as (
    select path, rank from unnest($exports) with ordinality as files(path, rank)
),

parsed as (
    select
        files.rank as file_rank,
        records.msgid,
        records."from" as sender,
        records.roomid,
        make_timestamp_ms(records.msgtime)::timestamptz as sent_at,
        case
            when records.action = 'recall' or records.msgtype = 'revoke' then 'recall'
            when records.msgtype in ('text', 'markdown') then 'text'
            when records.msgtype = 'emotion' then 'sticker'
            else 'other'
        end as kind,
        case records.msgtype when 'text' then records.text.content when 'markdown' then records.markdown.content end
            as body,
        records.revoke.pre_msgid as pre_msgid,
        lower(regexp_replace(coalesce(body, ''), '^[\s\p{P}\p{S}\x{FE0F}\x{200D}]+|[\s\p{P}\p{S}\x{FE0F}\x{200D}]+$', '', 'g'))
            as trimmed_text
    from read_json($exports, format = 'newline_delimited', filename = true, columns = {
        'msgid': 'varchar', 'action': 'varchar', 'from': 'varchar', 'roomid': 'varchar', 'msgtime': 'bigint',
        'msgtype': 'varchar', 'text': 'struct(content varchar)', 'markdown': 'struct(content varchar)',
        'revoke': 'struct(pre_msgid varchar)'
    }) as records
    inner join files on files.path = records.filename
    -- switch and consent records are events, not messages
    where coalesce(records.action, '') <> 'switch' and coalesce(records.msgtype, '') not in ('agree', 'disagree')
)

select
    * exclude (body, trimmed_text),
    -- acknowledgement: the whole text, trimmed of punctuation, whitespace and emoji, is in the lexicon
    kind = 'sticker' or (kind = 'text' and (
        trimmed_text = '' or list_contains(getvariable('acknowledgement_terms'), trimmed_text))) as is_acknowledgement,
    coalesce(regexp_matches(body, getvariable('question_pattern')), false) as has_question_term,
    coalesce(regexp_matches(body, getvariable('complaint_pattern')), false) as has_complaint_term,
    case when contains(body, '@') then regexp_extract_all(body, getvariable('mention_pattern'), 1) else [] end as mentions
from parsed
"""

#: Counted messages (stg_chat__messages where is_counted, int_messages__classified): one row per
#: (room, msgid), the first file's copy; the sender's identity on the local date; request messages.
MESSAGES = """
create table messages as
with recalled as (
    select distinct roomid, pre_msgid as msgid from records where kind = 'recall' and pre_msgid is not null
),

deduplicated as (
    select *, timezone(getvariable('reporting_timezone'), sent_at)::date as sent_date
    from records
    qualify row_number() over (partition by roomid, msgid order by file_rank) = 1
),

counted as (
    select deduplicated.*
    from deduplicated
    anti join bots on bots.handle = deduplicated.sender
    anti join recalled on recalled.roomid = deduplicated.roomid and recalled.msgid = deduplicated.msgid
    where deduplicated.kind <> 'recall'
),

staff_match as (
    select counted.roomid, counted.msgid, min(staff.staff_id) as staff_id
    from counted
    inner join handles
        on handles.handle = counted.sender
        and counted.sent_date between coalesce(handles.valid_from, date '0001-01-01')
            and coalesce(handles.valid_to, date '9999-12-31')
    inner join staff
        on staff.staff_id = handles.staff_id
        and counted.sent_date between staff.active_from and coalesce(staff.active_to, date '9999-12-31')
    group by all
),

identified as (
    select
        counted.msgid,
        coalesce(groups.group_id, 'auto:wecom:' || counted.roomid) as group_id,
        coalesce(groups.category, 'unassigned') as group_category,
        counted.sent_at,
        counted.sent_date,
        counted.sender,
        staff_match.staff_id,
        case when staff_match.staff_id is null then counted.sender end as member_key,
        counted.kind,
        counted.mentions,
        counted.is_acknowledgement,
        counted.has_question_term,
        counted.has_complaint_term
    from counted
    left join groups on groups.source_key = counted.roomid
    left join staff_match on staff_match.roomid = counted.roomid and staff_match.msgid = counted.msgid
)

select
    * exclude (has_question_term, has_complaint_term),
    member_key is not null and kind = 'text' and has_complaint_term as is_complaint,
    list_contains(getvariable('request_categories'), group_category) and member_key is not null and kind = 'text'
        and ((not is_acknowledgement and has_question_term) or has_complaint_term) as is_request_message
from identified
"""

#: The ticket log: latest entry per ticket, its outcome, and its requester (stg_tickets__tickets).
TICKETS = """
create table tickets as
with rows as (
    select
        filename as source_file,
        "工单号" as ticket_id,
        timezone(getvariable('reporting_timezone'), strptime("创建时间", '%Y-%m-%d %H:%M:%S')) as opened_at,
        timezone(getvariable('reporting_timezone'), strptime(nullif("关闭时间", ''), '%Y-%m-%d %H:%M:%S')) as closed_at,
        case
            when "状态" in ('open', '处理中', '待处理', 'pending', 'in progress') then 'open'
            when "状态" in ('resolved', '已解决', '已完成') then 'resolved'
            when "状态" in ('closed', '已关闭') then 'closed'
            when "状态" in ('reopened', '重新打开') then 'reopened'
        end as status,
        "来源群" as group_id,
        "客户" as customer,
        "关联消息ID" as message_id
    from read_csv($tickets, all_varchar = true, filename = true)
),

latest as (
    select * from rows
    qualify row_number() over (partition by ticket_id order by greatest(closed_at, opened_at) desc, source_file desc) = 1
),

handles_seen as (
    select distinct sender as handle from messages
)

select
    latest.ticket_id,
    latest.opened_at,
    groups.group_id,
    coalesce(handles_seen.handle, linked.member_key) as member_key,
    case
        when latest.status in ('open', 'reopened') then false
        when latest.closed_at is not null then true
    end as is_resolved
from latest
inner join groups on groups.group_id = latest.group_id
left join handles_seen on handles_seen.handle = latest.customer
left join messages as linked
    on linked.group_id = latest.group_id and linked.msgid = latest.message_id and linked.member_key is not null
"""

#: One row per request (fct_requests, without the quote path: see the module docstring).
REQUESTS = """
create table requests as
with request_messages as (
    select group_id, member_key, msgid as message_id, sent_at, is_complaint
    from messages
    where is_request_message
),

staff_messages as (
    select group_id, msgid as message_id, sent_at, staff_id, mentions, len(mentions) = 0 as is_untargeted
    from messages
    where staff_id is not null
),

requesters as (
    select distinct group_id, member_key from request_messages
),

-- the names a requester goes by in the group: the handle (WeCom writes no sender names), and the
-- display name contacts.csv gives it (the pipeline collects them over every message, then keeps the
-- requesters': the same pairs)
requester_aliases as (
    select requesters.group_id, requesters.member_key, aliases.alias
    from requesters
    left join contacts on contacts.handle = requesters.member_key,
        unnest([requesters.member_key, contacts.name]) as aliases(alias)
    where aliases.alias is not null and aliases.alias <> ''
),

-- answers: a mention of the member, or an untargeted message within the window after their question.
-- The window join also matches on the window-long time slot (the staff message's slot or the one
-- before): with `sent_at - window <= question < sent_at` no other slot can hold the question, and
-- the equality makes it a hash join instead of comparing every pair of messages in a group.
candidates as (
    select distinct group_id, member_key, message_id, sent_at from (
        select staff_messages.group_id, requester_aliases.member_key, staff_messages.message_id, staff_messages.sent_at
        from staff_messages, unnest(staff_messages.mentions) as mentioned(alias)
        inner join requester_aliases
            on requester_aliases.group_id = staff_messages.group_id and requester_aliases.alias = mentioned.alias
        union all
        select staff_messages.group_id, request_messages.member_key, staff_messages.message_id, staff_messages.sent_at
        from (
            select *, epoch_us(sent_at) // getvariable('adjacency_microseconds') as slot
            from staff_messages where is_untargeted
        ) as staff_messages,
            unnest([staff_messages.slot, staff_messages.slot - 1]) as slots(slot)
        inner join (
            select *, epoch_us(sent_at) // getvariable('adjacency_microseconds') as slot from request_messages
        ) as request_messages
            on request_messages.group_id = staff_messages.group_id
            and request_messages.slot = slots.slot
            and staff_messages.sent_at > request_messages.sent_at
            and staff_messages.sent_at <= request_messages.sent_at + to_microseconds(getvariable('adjacency_microseconds'))
    )
),

-- merged in time order (answers first on ties): a question's burst is the number of answers before it
numbered as (
    select
        *,
        sum(is_response) over (
            partition by group_id, member_key order by sent_at, tie_order, message_id
            rows between unbounded preceding and current row
        ) as responses_so_far
    from (
        select group_id, member_key, message_id, sent_at, 1 as is_response, 0 as tie_order from candidates
        union all
        select group_id, member_key, message_id, sent_at, 0, 1 from request_messages
    )
),

bursts as (
    select
        numbered.group_id,
        numbered.member_key,
        numbered.responses_so_far as burst_number,
        min(numbered.sent_at) as opened_at,
        max(numbered.sent_at) as last_message_at,
        bool_or(request_messages.is_complaint) as is_complex
    from numbered
    inner join request_messages
        on request_messages.group_id = numbered.group_id and request_messages.message_id = numbered.message_id
    where numbered.is_response = 0
    group by all
),

answered as (
    select
        bursts.*,
        responses.sent_at as responded_at,
        staff_messages.staff_id as responder_staff_id,
        groups.calendar_id,
        groups.owner_staff_id
    from bursts
    left join numbered as responses
        on responses.is_response = 1
        and responses.group_id = bursts.group_id
        and responses.member_key = bursts.member_key
        and responses.responses_so_far = bursts.burst_number + 1
    left join staff_messages
        on staff_messages.group_id = responses.group_id and staff_messages.message_id = responses.message_id
    inner join groups on groups.group_id = bursts.group_id
),

-- open minutes on the group's calendar up to an instant: the last interval opening at or before it
clocked as (
    select
        answered.*,
        coalesce(opened.cumulative_minutes_before
            + least(opened.open_minutes, date_diff('second', opened.opens_at, answered.opened_at) / 60.0), 0)
            as opened_minutes
    from answered
    asof left join calendar_open_intervals as opened
        on opened.calendar_id = answered.calendar_id and answered.opened_at >= opened.opens_at
),

timed as (
    select
        clocked.* exclude (opened_minutes),
        case when clocked.responded_at is not null then coalesce(replied.cumulative_minutes_before
            + least(replied.open_minutes, date_diff('second', replied.opens_at, clocked.responded_at) / 60.0), 0)
            - clocked.opened_minutes end as response_business_minutes,
        date_diff('second', clocked.opened_at, clocked.responded_at) / 60.0 as response_calendar_minutes,
        lead(clocked.opened_at) over (partition by clocked.group_id, clocked.member_key order by clocked.burst_number)
            as next_request_opened_at
    from clocked
    asof left join calendar_open_intervals as replied
        on replied.calendar_id = clocked.calendar_id and clocked.responded_at >= replied.opens_at
),

covering_tickets as (
    select timed.group_id, timed.member_key, timed.burst_number, tickets.is_resolved
    from timed
    inner join tickets
        on tickets.group_id = timed.group_id
        and tickets.member_key = timed.member_key
        and tickets.is_resolved is not null
        and tickets.opened_at >= timed.opened_at - to_microseconds(getvariable('ticket_match_microseconds'))
        and tickets.opened_at <= timed.opened_at + to_microseconds(getvariable('ticket_match_microseconds'))
    qualify row_number() over (
        partition by timed.group_id, timed.member_key, timed.burst_number order by tickets.opened_at, tickets.ticket_id
    ) = 1
)

select
    timed.group_id,
    timed.member_key,
    timed.burst_number,
    timed.is_complex,
    timed.opened_at,
    timed.last_message_at,
    strftime(timezone(getvariable('reporting_timezone'), timed.opened_at), '%Y-%m') as opened_month,
    year(timezone(getvariable('reporting_timezone'), timed.opened_at)) || '-Q'
        || quarter(timezone(getvariable('reporting_timezone'), timed.opened_at)) as opened_quarter,
    timed.responded_at is not null as is_responded,
    timed.responded_at,
    timed.responder_staff_id,
    round(timed.response_business_minutes, 4) as response_business_minutes,
    round(timed.response_calendar_minutes, 4) as response_calendar_minutes,
    coalesce(case
        when timed.is_complex then timed.response_calendar_minutes <= getvariable('sla_complex_calendar_minutes')
        else timed.response_business_minutes <= getvariable('sla_general_business_minutes')
    end, false) as is_within_sla,
    coalesce(covering_tickets.is_resolved, timed.responded_at is not null and (
        timed.next_request_opened_at is null
        or timed.next_request_opened_at > timed.responded_at + to_microseconds(getvariable('reopen_microseconds'))
    )) as is_resolved,
    coalesce(timed.responder_staff_id, timed.owner_staff_id) as attributed_staff_id
from timed
left join covering_tickets using (group_id, member_key, burst_number)
"""

#: Per staff member and period: activity in their own groups, and their requests.
STAFF_METRICS = """
create table staff_metrics as
with bounds as (
    select min(sent_date) as first_date, max(sent_date) as last_date from messages
),

periods as (
    select 'month' as period_type, strftime(start, '%Y-%m') as period, start::date as period_start,
           (start + interval 1 month - interval 1 day)::date as period_end
    from bounds, unnest(generate_series(date_trunc('month', first_date), date_trunc('month', last_date),
                                        interval 1 month)) as months(start)
    union all
    select 'quarter', year(start) || '-Q' || quarter(start), start::date,
           (start + interval 3 month - interval 1 day)::date
    from bounds, unnest(generate_series(date_trunc('quarter', first_date), date_trunc('quarter', last_date),
                                        interval 3 month)) as quarters(start)
),

staff_periods as (
    select staff.staff_id, staff.calendar_id, periods.period_type, periods.period,
           greatest(periods.period_start, staff.active_from) as active_start,
           least(periods.period_end, coalesce(staff.active_to, periods.period_end)) as active_end
    from staff
    inner join periods
        on staff.active_from <= periods.period_end
        and coalesce(staff.active_to, periods.period_end) >= periods.period_start
),

own_group_messages as (
    select messages.staff_id, messages.group_id, messages.sent_date
    from messages
    inner join group_staff on group_staff.group_id = messages.group_id and group_staff.staff_id = messages.staff_id
),

activity as (
    select
        staff_periods.staff_id, staff_periods.period_type, staff_periods.period,
        count(own_group_messages.sent_date) as staff_messages,
        count(distinct case when days.is_business_day then own_group_messages.sent_date end) as active_business_days,
        count(distinct own_group_messages.group_id) as groups_with_messages
    from staff_periods
    left join own_group_messages
        on own_group_messages.staff_id = staff_periods.staff_id
        and own_group_messages.sent_date between staff_periods.active_start and staff_periods.active_end
    left join calendar_days as days
        on days.calendar_id = staff_periods.calendar_id and days.local_date = own_group_messages.sent_date
    group by all
),

resolution as (
    select
        requests.attributed_staff_id as staff_id,
        period.period_type,
        period.period,
        count(*) as requests,
        count(*) filter (where requests.is_responded) as responded,
        count(*) filter (where requests.is_within_sla) as within_sla,
        count(*) filter (where requests.is_resolved) as resolved,
        quantile_cont(requests.response_business_minutes, 0.5) as median_response_business_minutes
    from requests,
        unnest([
            {'period_type': 'month', 'period': requests.opened_month},
            {'period_type': 'quarter', 'period': requests.opened_quarter}
        ]) as periods(period)
    group by all
)

-- a staff member with requests but not employed in the period (an unanswered request goes to the
-- group's owner) has no activity row, one employed without requests no resolution row
select
    coalesce(activity.staff_id, resolution.staff_id) as staff_id,
    coalesce(activity.period_type, resolution.period_type) as period_type,
    coalesce(activity.period, resolution.period) as period,
    activity.staff_messages,
    activity.active_business_days,
    activity.groups_with_messages,
    coalesce(resolution.requests, 0) as requests,
    coalesce(resolution.responded, 0) as responded,
    coalesce(resolution.within_sla, 0) as within_sla,
    coalesce(resolution.resolved, 0) as resolved,
    resolution.median_response_business_minutes
from activity
full outer join resolution
    on resolution.staff_id = activity.staff_id
    and resolution.period_type = activity.period_type
    and resolution.period = activity.period
order by all
"""


def _settings(con: duckdb.DuckDBPyConnection, data: Path) -> None:
    """The rubric's thresholds and lexicon patterns as session variables: constants to the planner, so
    each regex is compiled once per query (as the pipeline's `pipelines/sql_runner.py` does)."""
    rubric = load_rubric(data / "config" / "rubric.yaml")
    values = {
        "reporting_timezone": rubric.reporting_timezone,
        "request_categories": list(rubric.requests.categories),
        "acknowledgement_terms": sorted({t.lower() for t in rubric.lexicons.acknowledgement}),
        "question_pattern": lexicon_pattern(rubric.lexicons.question),
        "complaint_pattern": lexicon_pattern(rubric.lexicons.complaint),
        "mention_pattern": MENTION_PATTERN,
        "adjacency_microseconds": int(rubric.requests.adjacency_window_minutes * 60_000_000),
        "reopen_microseconds": int(rubric.requests.reopen_window_hours * 3_600_000_000),
        "ticket_match_microseconds": int(rubric.requests.ticket_match_minutes * 60_000_000),
        "sla_general_business_minutes": float(rubric.sla.general_business_minutes),
        "sla_complex_calendar_minutes": float(rubric.sla.complex_calendar_minutes),
    }
    for name, value in values.items():
        con.execute(f"set variable {name} = $value", {"value": value})


def _calendar(con: duckdb.DuckDBPyConnection, data: Path) -> None:
    """Open intervals (UTC) with the open minutes before each, and business days, over the messages'
    dates from a week before to 90 days after (as the pipeline's `raw.business_calendar`)."""
    first, last = con.execute("select min(sent_at)::date, max(sent_at)::date from messages").fetchall()[0]
    days, intervals, _ = calendar_tables(load_calendars(data / "config" / "calendar.yaml"),
                                         first - dt.timedelta(days=7), last + dt.timedelta(days=90))
    con.register("calendar_days_frame", days.to_arrow())
    con.register("calendar_intervals_frame", intervals.to_arrow())
    con.execute("create table calendar_days as select * from calendar_days_frame")
    con.execute(
        """create table calendar_open_intervals as
           select calendar_id, opens_at, date_diff('second', opens_at, closes_at) / 60.0 as open_minutes,
                  coalesce(sum(date_diff('second', opens_at, closes_at) / 60.0) over (
                      partition by calendar_id order by opens_at rows between unbounded preceding and 1 preceding), 0)
                      as cumulative_minutes_before
           from calendar_intervals_frame"""
    )


def run(data: Path, out: Path, *, memory_limit: str = MEMORY_LIMIT, threads: int = THREADS) -> dict[str, int]:
    """Compute the baseline for the data folder `data` into `out/*.parquet`; returns row counts."""
    out.mkdir(parents=True, exist_ok=True)
    config = data / "config"
    con = duckdb.connect()
    try:
        con.execute("set TimeZone = 'UTC'")
        con.execute(f"set memory_limit = '{memory_limit}'")
        con.execute(f"set threads = {int(threads)}")
        con.execute("set temp_directory = $path", {"path": str(out / "spill")})
        con.execute("set preserve_insertion_order = false")
        _settings(con, data)
        files = {"roster": config / "roster.csv", "handles": config / "handles.csv", "groups": config / "groups.csv",
                 "bots": config / "bots.csv", "contacts": config / "contacts.csv"}
        for statement in CONFIG:
            con.execute(statement, {name: str(path) for name, path in files.items() if f"${name}" in statement})
        exports = sorted(str(p) for p in (data / "exports" / "wecom").rglob("*.jsonl"))
        con.execute(RECORDS, {"exports": exports})
        con.execute(MESSAGES)
        _calendar(con, data)
        tickets = sorted(str(p) for p in (data / "inputs" / "tickets").glob("*.csv"))
        if tickets:
            con.execute(TICKETS, {"tickets": tickets})
        else:
            con.execute("create table tickets (ticket_id varchar, opened_at timestamptz, group_id varchar, "
                        "member_key varchar, is_resolved boolean)")
        con.execute(REQUESTS)
        con.execute(STAFF_METRICS)
        for table in ("requests", "staff_metrics"):
            con.table(table).write_parquet(str(out / f"{table}.parquet"))
        return {table: con.execute(f"select count(*) from {table}").fetchall()[0][0]
                for table in ("messages", "requests", "staff_metrics")}
    finally:
        con.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="data folder (config/, exports/wecom/, inputs/tickets/)")
    parser.add_argument("--out", type=Path, required=True, help="where requests.parquet and staff_metrics.parquet go")
    args = parser.parse_args(argv)
    print(json.dumps(run(args.data, args.out)))


if __name__ == "__main__":
    main()
