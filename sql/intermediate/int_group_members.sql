-- Group membership as spells: one row per continuous stay of a member in a group (KPI_SPEC §4.1).
-- Grain: (group_id, member_key, spell). Built from the join/leave/remove events the exports carry and,
-- for members who posted before any membership event of theirs, their first counted message.
-- A member is in the group at instant t when a spell has joined_at < t and (left_at is null or
-- left_at >= t): exactly KPI_SPEC's "latest membership event before t is a join, or no membership event
-- before t and a counted message before t". Repeated joins extend the open spell; a leave without an
-- earlier join or message opens none (nothing says when that membership began). Each spell keeps the
-- source record of its start and end, so a member count can be traced to the lines behind it.
with

events as (
    select
        group_id,
        member_key,
        occurred_at as signal_at,
        case when event_type = 'join' then 'in' else 'out' end as direction,
        case when event_type = 'join' then 'join_event' else event_type end as via,
        source_file,
        source_record_label
    from staging.stg_chat__events
    where member_key is not null and event_type in ('join', 'leave', 'remove')
),

first_messages as (
    select
        group_id,
        member_key,
        min(sent_at) as signal_at,
        arg_min(source_file, sent_at) as source_file,
        arg_min(source_record_label, sent_at) as source_record_label
    from staging.stg_chat__messages
    where is_counted and member_key is not null
    group by all
),

-- the first message stands in for a join only when it precedes every membership event of the member
first_events as (
    select group_id, member_key, min(signal_at) as first_event_at
    from events
    group by all
),

signals as (
    select * from events
    union all
    select
        first_messages.group_id,
        first_messages.member_key,
        first_messages.signal_at,
        'in' as direction,
        'first_message' as via,
        first_messages.source_file,
        first_messages.source_record_label
    from first_messages
    left join first_events
        on first_events.group_id = first_messages.group_id
        and first_events.member_key = first_messages.member_key
    where first_events.first_event_at is null or first_messages.signal_at < first_events.first_event_at
),

-- keep only the signals that change the state: an `in` after nothing or an `out`, an `out` after an `in`
changes as (
    select *
    from (
        select
            *,
            lag(direction) over (partition by group_id, member_key order by signal_at, direction) as previous_direction
        from signals
    )
    where direction is distinct from coalesce(previous_direction, 'out')
),

spells as (
    select
        *,
        lead(signal_at) over member_changes as left_at,
        lead(via) over member_changes as left_via,
        lead(source_file) over member_changes as leave_source_file,
        lead(source_record_label) over member_changes as leave_source_record_label
    from changes
    window member_changes as (partition by group_id, member_key order by signal_at, direction)
)

select
    group_id,
    member_key,
    row_number() over (partition by group_id, member_key order by signal_at) as spell,
    signal_at as joined_at,
    via as joined_via,
    source_file as join_source_file,
    source_record_label as join_source_record_label,
    left_at,
    left_via,
    leave_source_file,
    leave_source_record_label
from spells
where direction = 'in'
