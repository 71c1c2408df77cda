-- Violation-rate metrics per period, long format (KPI_SPEC §4.2; lower is better).
-- Grain: (entity_type, entity_id, period_type, period, metric) over intermediate.int_periods, for every
-- staff member active in the period and every registered group.
-- A message "with a violation" is a counted message with at least one row in
-- intermediate.int_messages__violations (several rules on one message count once). Denominators are
-- counted messages of every kind (text, stickers, media…), as in the activity metrics; only text can
-- violate.
--   * staff `violation_rate` = their counted messages with a violation / their counted messages, both in
--     groups they own or are assigned to and on their active dates in the period — the message scope of
--     `staff_messages` in int_metrics__staff, so the denominator equals that metric.
--   * group `member_violation_rate` = member counted messages with a violation per 1000 member counted
--     messages in the group (value = 1000 · numerator / denominator; numerator and denominator are the
--     raw message counts).
--   * group `staff_violation_rate` = counted messages of any staff member in the group with a violation /
--     counted messages of any staff member in the group (assigned or not).
-- `sample_size` is the denominator's message count; a zero denominator gives value NULL, never 0.
-- Partitions: monthly, by period.
with

periods as (
    select * from intermediate.int_periods
),

-- Only the periods being computed (bounds set by pipelines/sql_runner.py; unset, all rows).
counted as (
    select platform, source_key, message_id, group_id, staff_id, member_key, sent_date
    from staging.stg_chat__messages
    where is_counted
        and coalesce(sent_at >= getvariable('partition_start'), true)
        and coalesce(sent_at < getvariable('partition_end'), true)
),

violating_messages as (
    select distinct platform, source_key, message_id
    from intermediate.int_messages__violations
),

flagged as (
    select
        counted.*,
        violating_messages.message_id is not null as has_violation
    from counted
    left join violating_messages
        on violating_messages.platform = counted.platform
        and violating_messages.source_key = counted.source_key
        and violating_messages.message_id = counted.message_id
),

-- staff: the scope of int_metrics__staff (active dates, own or assigned groups) ------------------------

staff_periods as (
    select
        staff.staff_id,
        periods.period_type,
        periods.period,
        greatest(periods.period_start, staff.active_from) as active_start,
        least(periods.period_end, coalesce(staff.active_to, periods.period_end)) as active_end
    from raw.staff as staff
    inner join periods
        on staff.active_from <= periods.period_end
        and coalesce(staff.active_to, periods.period_end) >= periods.period_start
),

own_group_messages as (
    select flagged.staff_id, flagged.sent_date, flagged.has_violation
    from flagged
    inner join raw.group_staff as group_staff
        on group_staff.group_id = flagged.group_id
        and group_staff.staff_id = flagged.staff_id
),

staff_counts as (
    select
        staff_periods.staff_id,
        staff_periods.period_type,
        staff_periods.period,
        count(own_group_messages.sent_date) as staff_messages,
        count(own_group_messages.sent_date) filter (where own_group_messages.has_violation) as violating_messages
    from staff_periods
    left join own_group_messages
        on own_group_messages.staff_id = staff_periods.staff_id
        and own_group_messages.sent_date between staff_periods.active_start and staff_periods.active_end
    group by all
),

staff_long as (
    select
        'staff' as entity_type,
        staff_id as entity_id,
        period_type,
        period,
        'violation_rate' as metric,
        violating_messages::double as numerator,
        staff_messages::double as denominator,
        violating_messages / nullif(staff_messages, 0) as value,
        staff_messages as sample_size
    from staff_counts
),

-- groups -------------------------------------------------------------------------------------------

group_periods as (
    select groups.group_id, periods.period_type, periods.period, periods.period_start, periods.period_end
    from raw.groups as groups
    cross join periods
),

group_counts as (
    select
        group_periods.group_id,
        group_periods.period_type,
        group_periods.period,
        count(*) filter (where flagged.member_key is not null) as member_messages,
        count(*) filter (where flagged.member_key is not null and flagged.has_violation) as member_violating_messages,
        count(*) filter (where flagged.staff_id is not null) as staff_messages,
        count(*) filter (where flagged.staff_id is not null and flagged.has_violation) as staff_violating_messages
    from group_periods
    left join flagged
        on flagged.group_id = group_periods.group_id
        and flagged.sent_date between group_periods.period_start and group_periods.period_end
    group by all
),

group_long as (
    select 'group' as entity_type, group_id as entity_id, period_type, period, metric.*
    from group_counts,
        unnest([
            {'metric': 'member_violation_rate',
             'numerator': member_violating_messages::double, 'denominator': member_messages::double,
             'value': 1000 * member_violating_messages / nullif(member_messages, 0),
             'sample_size': member_messages},
            {'metric': 'staff_violation_rate',
             'numerator': staff_violating_messages::double, 'denominator': staff_messages::double,
             'value': staff_violating_messages / nullif(staff_messages, 0),
             'sample_size': staff_messages}
        ]) as metrics(metric)
),

final as (
    select * from staff_long
    union all by name
    select * from group_long
)

select * from final
