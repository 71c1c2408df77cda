-- Member tiers per group and quarter (KPI_SPEC §5): opinion_leader, core, active or ordinary, the first
-- that applies. Grain: (group_id, quarter, member_key). Members are those in the group during the quarter
-- (a membership spell overlapping it, or a counted message in it). Weeks are ISO weeks (Monday first)
-- touching the quarter. opinion_leader: rank by counted messages within the group's active members is
-- within the top `tier_opinion_leader_top_share` (rounded up, so a group with active members has at least
-- one place; members tied with the last place share it) and at least `tier_opinion_leader_min_messages`
-- messages; core: active in at least `tier_core_min_week_share` of the quarter's weeks; active: messages in
-- at least `tier_active_min_weeks` distinct weeks. Members appear only as pseudonyms (member_key).
-- Partitions: quarterly, by quarter.
with

settings as (
    select * from raw.rubric_settings
),

quarters as (
    select
        period as quarter,
        period_start,
        period_end,
        (select count(distinct date_trunc('week', day))
         from generate_series(period_start, period_end, interval 1 day) as days(day)) as quarter_weeks
    from intermediate.int_periods
    where period_type = 'quarter'
),

-- Only the quarters being computed (bounds set by pipelines/sql_runner.py; unset, all rows).
messages as (
    select group_id, sent_quarter as quarter, member_key,
           count(*) as counted_messages,
           count(distinct date_trunc('week', sent_date)) as active_weeks
    from staging.stg_chat__messages
    where is_counted and member_key is not null
        and coalesce(sent_date >= timezone((select reporting_timezone from raw.rubric_settings),
                                           getvariable('partition_start'))::date, true)
        and coalesce(sent_date < timezone((select reporting_timezone from raw.rubric_settings),
                                          getvariable('partition_end'))::date, true)
    group by all
),

spell_members as (
    select distinct spells.group_id, quarters.quarter, spells.member_key
    from intermediate.int_group_members as spells
    cross join settings
    inner join quarters
        on timezone(settings.reporting_timezone, spells.joined_at)::date <= quarters.period_end
        and (spells.left_at is null
             or timezone(settings.reporting_timezone, spells.left_at)::date >= quarters.period_start)
),

members as (
    select group_id, quarter, member_key from spell_members
    union
    select group_id, quarter, member_key from messages
),

measured as (
    select
        members.group_id,
        members.quarter,
        members.member_key,
        coalesce(messages.counted_messages, 0) as counted_messages,
        coalesce(messages.active_weeks, 0) as active_weeks,
        quarters.quarter_weeks,
        count(messages.member_key) over group_quarter as active_members,
        case when messages.member_key is not null then
            rank() over (partition by members.group_id, members.quarter, messages.member_key is not null
                         order by messages.counted_messages desc)
        end as message_rank
    from members
    inner join quarters using (quarter)
    left join messages using (group_id, quarter, member_key)
    window group_quarter as (partition by members.group_id, members.quarter)
),

final as (
    select
        measured.group_id,
        measured.quarter,
        measured.member_key,
        measured.counted_messages,
        measured.active_weeks,
        measured.quarter_weeks,
        measured.active_members,
        measured.message_rank,
        case
            when measured.message_rank <= ceil(measured.active_members * settings.tier_opinion_leader_top_share)
                and measured.counted_messages >= settings.tier_opinion_leader_min_messages
                then 'opinion_leader'
            when measured.active_weeks >= measured.quarter_weeks * settings.tier_core_min_week_share then 'core'
            when measured.active_weeks >= settings.tier_active_min_weeks then 'active'
            else 'ordinary'
        end as tier,
        settings.rubric_version
    from measured
    cross join settings
)

select * from final
