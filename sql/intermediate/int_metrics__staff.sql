-- Staff activity metrics per period, long format (KPI_SPEC §4.1).
-- Grain: (staff_id, period_type, period, metric) for every staff member active in the period.
-- Each row keeps its raw numerator and denominator; `sample_size` is the count the rubric's minimum
-- sample applies to. Activity counts messages in groups the staff member owns or is assigned to;
-- business days are those of the staff member's calendar within the period and their active dates.
-- Partitions: monthly, by period.
with

periods as (
    select * from intermediate.int_periods
),

staff_periods as (
    select
        staff.staff_id,
        staff.calendar_id,
        periods.period_type,
        periods.period,
        greatest(periods.period_start, staff.active_from) as active_start,
        least(periods.period_end, coalesce(staff.active_to, periods.period_end)) as active_end
    from raw.staff as staff
    inner join periods
        on staff.active_from <= periods.period_end
        and coalesce(staff.active_to, periods.period_end) >= periods.period_start
),

-- Only the periods being computed (bounds set by pipelines/sql_runner.py; unset, all rows).
own_group_messages as (
    select messages.staff_id, messages.group_id, messages.sent_date
    from staging.stg_chat__messages as messages
    inner join raw.group_staff as group_staff
        on group_staff.group_id = messages.group_id
        and group_staff.staff_id = messages.staff_id
    where messages.is_counted
        and coalesce(messages.sent_at >= getvariable('partition_start'), true)
        and coalesce(messages.sent_at < getvariable('partition_end'), true)
),

activity as (
    select
        staff_periods.staff_id,
        staff_periods.period_type,
        staff_periods.period,
        count(own_group_messages.sent_date) as staff_messages,
        count(distinct case when days.is_business_day then own_group_messages.sent_date end) as active_business_days,
        count(distinct own_group_messages.group_id) as groups_with_messages
    from staff_periods
    left join own_group_messages
        on own_group_messages.staff_id = staff_periods.staff_id
        and own_group_messages.sent_date between staff_periods.active_start and staff_periods.active_end
    left join raw.calendar_days as days
        on days.calendar_id = staff_periods.calendar_id
        and days.local_date = own_group_messages.sent_date
    group by all
),

business_days as (
    select staff_periods.staff_id, staff_periods.period_type, staff_periods.period,
           count(*) filter (where days.is_business_day) as business_days
    from staff_periods
    left join raw.calendar_days as days
        on days.calendar_id = staff_periods.calendar_id
        and days.local_date between staff_periods.active_start and staff_periods.active_end
    group by all
),

assigned_groups as (
    select staff_id, count(*) as assigned_groups
    from raw.group_staff
    group by all
),

joined as (
    select
        staff_periods.staff_id,
        staff_periods.period_type,
        staff_periods.period,
        activity.staff_messages,
        activity.active_business_days,
        business_days.business_days,
        activity.groups_with_messages,
        coalesce(assigned_groups.assigned_groups, 0) as assigned_groups
    from staff_periods
    inner join activity using (staff_id, period_type, period)
    inner join business_days using (staff_id, period_type, period)
    left join assigned_groups using (staff_id)
),

long as (
    select staff_id, period_type, period, metric.*
    from joined,
        unnest([
            {'metric': 'staff_messages', 'numerator': staff_messages::double, 'denominator': null::double,
             'value': staff_messages::double, 'sample_size': staff_messages},
            {'metric': 'active_day_ratio', 'numerator': active_business_days, 'denominator': business_days,
             'value': active_business_days / nullif(business_days, 0), 'sample_size': business_days},
            {'metric': 'group_coverage', 'numerator': groups_with_messages, 'denominator': assigned_groups,
             'value': groups_with_messages / nullif(assigned_groups, 0), 'sample_size': assigned_groups}
        ]) as metrics(metric)
),

final as (
    select
        'staff' as entity_type,
        staff_id as entity_id,
        period_type,
        period,
        metric,
        numerator,
        denominator,
        value,
        sample_size
    from long
)

select * from final
