-- Group activity metrics per period, long format (KPI_SPEC §4.1).
-- Grain: (group_id, period_type, period, metric) for every registered group.
-- Members at an instant t come from the membership spells (int_group_members: latest membership event
-- before t is a join, or no event before t and a counted message before t). Members during a period:
-- members at its start, plus everyone who joined or sent a counted message during it (so a rate never
-- exceeds 1).
-- Platform member totals win (§4.1 "where platform group statistics give a member total for that group
-- and day, the total wins"): members at a period's start are staging.stg_platform__group_daily_stats
-- .member_total of the group on the period's first day or, when that day is missing, of the latest day
-- within the 7 days before it; only without such a total are they counted from the spells. A total has
-- no member identities, so members during the period are then the total plus the arrivals (joined or
-- posted during the period) who were not members at the start by the spells — and never fewer than the
-- arrivals themselves, so participation stays ≤ 1. A silent member present at the start whose first
-- message falls in the period is counted once more (no identities to match on); in groups large enough
-- to need platform totals that error is negligible. `value_source` says which source the member-based
-- metrics used: 'platform_stats:<stat_date>' or 'membership_spells' (NULL for active_day_ratio).
-- `net_growth_rate` is null when the group's exports carry no membership events (unknown) or it had
-- no members at the period's start.
-- Partitions: monthly, by period.
with

periods as (
    select * from intermediate.int_periods
),

group_periods as (
    select groups.group_id, periods.*
    from raw.groups as groups
    cross join periods
),

-- Only the messages of the periods being computed (bounds set by pipelines/sql_runner.py; unset, all):
-- members before a period come from the spells, which int_group_members computes over all of them.
member_messages as (
    select group_id, member_key, sent_at, sent_date
    from staging.stg_chat__messages
    where is_counted and member_key is not null
        and coalesce(sent_at >= getvariable('partition_start'), true)
        and coalesce(sent_at < getvariable('partition_end'), true)
),

membership_events as (
    select group_id, member_key, occurred_at, occurred_date,
           case when event_type = 'join' then 'join' else 'leave' end as direction
    from staging.stg_chat__events
    where member_key is not null and event_type in ('join', 'leave', 'remove')
),

groups_with_events as (
    select distinct group_id from membership_events
),

-- Period start as an instant: local midnight of the first day in the reporting time zone.
period_starts as (
    select group_periods.*,
           timezone(settings.reporting_timezone, group_periods.period_start::timestamp) as starts_at
    from group_periods
    cross join raw.rubric_settings as settings
),

-- Members at the period's start instant, from the membership spells (intermediate.int_group_members).
members_at_start as (
    select period_starts.group_id, period_starts.period_type, period_starts.period, spells.member_key
    from period_starts
    inner join intermediate.int_group_members as spells
        on spells.group_id = period_starts.group_id
        and spells.joined_at < period_starts.starts_at
        and (spells.left_at is null or spells.left_at >= period_starts.starts_at)
),

arrivals_during as (
    select group_periods.group_id, group_periods.period_type, group_periods.period, events.member_key
    from group_periods
    inner join membership_events as events
        on events.group_id = group_periods.group_id
        and events.direction = 'join'
        and events.occurred_date between group_periods.period_start and group_periods.period_end
    union
    select group_periods.group_id, group_periods.period_type, group_periods.period, messages.member_key
    from group_periods
    inner join member_messages as messages
        on messages.group_id = group_periods.group_id
        and messages.sent_date between group_periods.period_start and group_periods.period_end
),

members_during as (
    select group_id, period_type, period, count(distinct member_key) as members_during
    from (select * from members_at_start union select * from arrivals_during)
    group by all
),

start_counts as (
    select group_id, period_type, period, count(*) as members_at_start
    from members_at_start
    group by all
),

-- The platform's member total for the period's first day, else the latest day in the 7 before it.
platform_totals as (
    select
        group_periods.group_id,
        group_periods.period_type,
        group_periods.period,
        arg_max(stats.member_total, stats.stat_date) as member_total,
        max(stats.stat_date) as member_total_date
    from group_periods
    inner join staging.stg_platform__group_daily_stats as stats
        on stats.group_id = group_periods.group_id
        and stats.member_total is not null
        and stats.stat_date between group_periods.period_start - 7 and group_periods.period_start
    group by all
),

-- Arrivals during the period, and those of them who were not members at its start by the spells.
arrival_counts as (
    select
        arrivals_during.group_id,
        arrivals_during.period_type,
        arrivals_during.period,
        count(distinct arrivals_during.member_key) as arrivals,
        count(distinct arrivals_during.member_key) filter (where members_at_start.member_key is null) as new_arrivals
    from arrivals_during
    left join members_at_start
        on members_at_start.group_id = arrivals_during.group_id
        and members_at_start.period_type = arrivals_during.period_type
        and members_at_start.period = arrivals_during.period
        and members_at_start.member_key = arrivals_during.member_key
    group by all
),

flows as (
    select group_periods.group_id, group_periods.period_type, group_periods.period,
           count(*) filter (where events.direction = 'join') as joins,
           count(*) filter (where events.direction = 'leave') as leaves
    from group_periods
    inner join membership_events as events
        on events.group_id = group_periods.group_id
        and events.occurred_date between group_periods.period_start and group_periods.period_end
    group by all
),

posting as (
    select group_periods.group_id, group_periods.period_type, group_periods.period,
           count(messages.member_key) as member_messages,
           count(distinct messages.member_key) as active_members,
           count(distinct messages.sent_date) as active_days
    from group_periods
    left join member_messages as messages
        on messages.group_id = group_periods.group_id
        and messages.sent_date between group_periods.period_start and group_periods.period_end
    group by all
),

joined as (
    select
        group_periods.group_id,
        group_periods.period_type,
        group_periods.period,
        group_periods.days_in_period,
        case
            when platform_totals.member_total is not null then greatest(
                platform_totals.member_total + coalesce(arrival_counts.new_arrivals, 0),
                coalesce(arrival_counts.arrivals, 0)
            )
            else coalesce(members_during.members_during, 0)
        end as members_during,
        coalesce(platform_totals.member_total, start_counts.members_at_start, 0) as members_at_start,
        case
            when platform_totals.member_total is not null
                then 'platform_stats:' || strftime(platform_totals.member_total_date, '%Y-%m-%d')
            else 'membership_spells'
        end as member_source,
        groups_with_events.group_id is not null as has_membership_events,
        coalesce(flows.joins, 0) as joins,
        coalesce(flows.leaves, 0) as leaves,
        posting.member_messages,
        posting.active_members,
        posting.active_days
    from group_periods
    inner join posting using (group_id, period_type, period)
    left join members_during using (group_id, period_type, period)
    left join start_counts using (group_id, period_type, period)
    left join platform_totals using (group_id, period_type, period)
    left join arrival_counts using (group_id, period_type, period)
    left join flows using (group_id, period_type, period)
    left join groups_with_events using (group_id)
),

long as (
    select group_id, period_type, period, metric.*
    from joined,
        unnest([
            {'metric': 'participation_rate', 'numerator': active_members::double, 'denominator': members_during::double,
             'value': active_members / nullif(members_during, 0), 'sample_size': members_during,
             'value_source': member_source},
            {'metric': 'messages_per_member_day', 'numerator': member_messages,
             'denominator': members_during * days_in_period,
             'value': member_messages / nullif(members_during * days_in_period, 0), 'sample_size': members_during,
             'value_source': member_source},
            {'metric': 'active_day_ratio', 'numerator': active_days, 'denominator': days_in_period,
             'value': active_days / days_in_period, 'sample_size': days_in_period, 'value_source': null},
            {'metric': 'net_growth_rate', 'numerator': joins - leaves, 'denominator': members_at_start,
             'value': case when has_membership_events then (joins - leaves) / nullif(members_at_start, 0) end,
             'sample_size': members_at_start, 'value_source': member_source}
        ]) as metrics(metric)
),

final as (
    select
        'group' as entity_type,
        group_id as entity_id,
        period_type,
        period,
        metric,
        numerator,
        denominator,
        value,
        sample_size,
        value_source
    from long
)

select * from final
