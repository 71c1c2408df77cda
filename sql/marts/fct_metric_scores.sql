-- Every rubric metric of every staff member and group per period, with its value, sample size, floor,
-- target, weight and 0-100 sub-score (KPI_SPEC §4, §5): the explanation behind each dimension score.
-- Grain: (entity_type, entity_id, period_type, period, metric) for each metric the entity's rubric
-- (staff role / group category) lists.
-- status: `scored`; `insufficient_data` (sample below the rubric minimum: value kept, no sub-score);
-- `not_applicable` (no denominator, e.g. no assigned groups); `no_input` (no source provides this metric
-- yet: the metric is absent and the weights renormalise).
-- sub_score = 100 * clamp((value - floor) / (target - floor), 0, 1); lower-is-better metrics have
-- floor > target and the same formula holds.
-- Partitions: monthly, by period.
with

metrics as (
    select * from intermediate.int_metrics__staff
    union all by name
    select * from intermediate.int_metrics__group
    union all by name
    select * from intermediate.int_metrics__resolution
    union all by name
    select * from intermediate.int_metrics__content
    union all by name
    select * from intermediate.int_metrics__satisfaction
    union all by name
    select * from intermediate.int_metrics__violations
),

entities as (
    select 'staff' as entity_type, staff_id as entity_id, role as rubric_key from raw.staff
    union all
    select 'group' as entity_type, group_id as entity_id, category as rubric_key from raw.groups
),

-- Entity-periods to score: those with activity rows (active staff; registered groups).
entity_periods as (
    select distinct metrics.entity_type, metrics.entity_id, metrics.period_type, metrics.period, entities.rubric_key
    from intermediate.int_metrics__staff as metrics
    inner join entities using (entity_type, entity_id)
    union
    select distinct metrics.entity_type, metrics.entity_id, metrics.period_type, metrics.period, entities.rubric_key
    from intermediate.int_metrics__group as metrics
    inner join entities using (entity_type, entity_id)
),

metrics_with_input as (
    select distinct entity_type, metric from metrics
),

joined as (
    select
        entity_periods.entity_type,
        entity_periods.entity_id,
        entity_periods.period_type,
        entity_periods.period,
        entity_periods.rubric_key,
        rules.dimension,
        rules.metric,
        metrics.numerator,
        metrics.denominator,
        metrics.value,
        coalesce(metrics.sample_size, 0) as sample_size,
        rules.sample_kind,
        rules.min_sample,
        rules.floor,
        rules.target,
        rules.metric_weight,
        metrics_with_input.metric is not null as has_input
    from entity_periods
    inner join raw.rubric_metrics as rules
        on rules.entity_type = entity_periods.entity_type
        and rules.rubric_key = entity_periods.rubric_key
    left join metrics
        on metrics.entity_type = entity_periods.entity_type
        and metrics.entity_id = entity_periods.entity_id
        and metrics.period_type = entity_periods.period_type
        and metrics.period = entity_periods.period
        and metrics.metric = rules.metric
    left join metrics_with_input
        on metrics_with_input.entity_type = entity_periods.entity_type
        and metrics_with_input.metric = rules.metric
),

statused as (
    select
        *,
        case
            when not has_input then 'no_input'
            when sample_size < min_sample then 'insufficient_data'
            when value is null then 'not_applicable'
            else 'scored'
        end as status
    from joined
),

final as (
    select
        * exclude (has_input),
        case when status = 'scored' then
            round(100 * greatest(0, least(1, (value - floor) / (target - floor))), 4)
        end as sub_score
    from statused
)

select * from final
