-- Membership per group and month from the spells of intermediate.int_group_members, dated in the reporting
-- time zone: joins (join events; a member first seen by a message has no known join date, so counts toward
-- the members but not the joins), leaves, members at month end as the running balance of spells started
-- and ended, and the platform's own member total on its last statistics day of the month, which wins where
-- present (KPI_SPEC §4.1).
-- Grain: (group_id, month) for every month of the data, so a quiet month shows as zero, not a gap.
with

settings as (
    select reporting_timezone from raw.rubric_settings
),

months as (
    select period as month
    from intermediate.int_periods
    where period_type = 'month'
),

spells as (
    select
        members.group_id,
        members.joined_via,
        strftime(timezone(settings.reporting_timezone, members.joined_at), '%Y-%m') as joined_month,
        strftime(timezone(settings.reporting_timezone, members.left_at), '%Y-%m') as left_month
    from intermediate.int_group_members as members
    cross join settings
),

joins as (
    select
        group_id,
        joined_month as month,
        count(*) as spells_started,
        count(*) filter (where joined_via = 'join_event') as joins
    from spells
    group by all
),

leaves as (
    select group_id, left_month as month, count(*) as leaves
    from spells
    where left_month is not null
    group by all
),

platform_totals as (
    select
        group_id,
        stat_month as month,
        arg_max(member_total, stat_date) as platform_member_total
    from staging.stg_platform__group_daily_stats
    where group_id is not null and member_total is not null
    group by all
),

-- every month of the data for every group, plus any month a spell starts or ends outside it, so the
-- running balance also counts members who joined before the first month shown
group_months as (
    select groups.group_id, months.month
    from (select distinct group_id from spells union select distinct group_id from platform_totals) as groups
    cross join months
    union
    select group_id, month from joins
    union
    select group_id, month from leaves
),

balances as (
    select
        group_months.group_id,
        group_months.month,
        coalesce(joins.joins, 0) as joins,
        coalesce(leaves.leaves, 0) as leaves,
        cast(sum(coalesce(joins.spells_started, 0) - coalesce(leaves.leaves, 0)) over (
            partition by group_months.group_id order by group_months.month
        ) as bigint) as spell_members
    from group_months
    left join joins on joins.group_id = group_months.group_id and joins.month = group_months.month
    left join leaves on leaves.group_id = group_months.group_id and leaves.month = group_months.month
),

final as (
    select
        balances.group_id,
        balances.month,
        balances.joins,
        balances.leaves,
        coalesce(platform_totals.platform_member_total, balances.spell_members) as members,
        platform_totals.platform_member_total is not null as members_from_platform
    from balances
    inner join months on months.month = balances.month
    left join platform_totals
        on platform_totals.group_id = balances.group_id and platform_totals.month = balances.month
)

select * from final
order by group_id, month
