-- Dimension scores, overall score and grade per staff member and group per period (KPI_SPEC §5).
-- Grain: (entity_type, entity_id, period_type, period).
-- A dimension score is the weighted mean of its scored metrics (weights renormalised over those
-- scored); the overall score is the weighted mean of the available dimensions (renormalised). If the
-- available dimensions carry less than the rubric's `not_rated_min_weight` of the weights, the entity
-- is not rated and `not_rated_reason` says why. Scores are rounded to 2 decimals before banding, so the
-- grade always agrees with the score people see.
-- Partitions: monthly, by period.
with

settings as (
    select * from raw.rubric_settings
),

metric_scores as (
    select * from marts.fct_metric_scores
),

entity_periods as (
    select distinct entity_type, entity_id, period_type, period, rubric_key from metric_scores
),

dimension_scores as (
    select
        entity_type, entity_id, period_type, period, dimension,
        -- sums in DECIMAL: exact, so the score never depends on the order rows are added in
        (sum((sub_score * metric_weight)::decimal(38, 12)) filter (where status = 'scored')
            / nullif(sum(metric_weight::decimal(38, 12)) filter (where status = 'scored'), 0))::double
            as dimension_score,
        count(*) filter (where status = 'scored') as scored_metrics
    from metric_scores
    group by all
),

weighted as (
    select
        entity_periods.*,
        dimensions.dimension,
        dimensions.dimension_weight,
        round(dimension_scores.dimension_score, 2) as dimension_score,
        dimension_scores.dimension_score is not null and dimensions.dimension_weight > 0 as is_available
    from entity_periods
    inner join raw.rubric_dimensions as dimensions
        on dimensions.entity_type = entity_periods.entity_type
        and dimensions.rubric_key = entity_periods.rubric_key
    left join dimension_scores
        on dimension_scores.entity_type = entity_periods.entity_type
        and dimension_scores.entity_id = entity_periods.entity_id
        and dimension_scores.period_type = entity_periods.period_type
        and dimension_scores.period = entity_periods.period
        and dimension_scores.dimension = dimensions.dimension
),

overall as (
    select
        entity_type, entity_id, period_type, period, rubric_key,
        max(dimension_score) filter (where dimension = 'activity') as activity_score,
        max(dimension_score) filter (where dimension = 'content_quality') as content_quality_score,
        max(dimension_score) filter (where dimension = 'resolution') as resolution_score,
        max(dimension_score) filter (where dimension = 'satisfaction') as satisfaction_score,
        coalesce(sum(dimension_weight::decimal(38, 12)) filter (where is_available), 0)::double as available_weight,
        (sum((dimension_score * dimension_weight)::decimal(38, 12)) filter (where is_available)
            / nullif(sum(dimension_weight::decimal(38, 12)) filter (where is_available), 0))::double as weighted_score,
        string_agg(dimension, ', ' order by dimension) filter (where not is_available and dimension_weight > 0)
            as missing_dimensions
    from weighted
    group by all
),

rated as (
    select
        overall.*,
        overall.available_weight >= settings.not_rated_min_weight - 1e-9 as is_rated,
        settings.not_rated_min_weight,
        settings.rubric_version
    from overall
    cross join settings
),

final as (
    select
        rated.entity_type,
        rated.entity_id,
        rated.period_type,
        rated.period,
        rated.rubric_key,
        rated.activity_score,
        rated.content_quality_score,
        rated.resolution_score,
        rated.satisfaction_score,
        round(rated.available_weight, 4) as available_weight,
        case when rated.is_rated then round(rated.weighted_score, 2) end as overall_score,
        case when rated.is_rated then (
            select bands.grade
            from raw.rubric_grade_bands as bands
            where bands.min_score <= round(rated.weighted_score, 2)
            order by bands.min_score desc
            limit 1
        ) end as grade,
        case when not rated.is_rated then
            'insufficient_data: scored dimensions carry ' || printf('%.2f', rated.available_weight)
            || ' of the weight (minimum ' || printf('%.2f', rated.not_rated_min_weight) || ')'
            || coalesce('; missing ' || rated.missing_dimensions, '')
        end as not_rated_reason,
        rated.missing_dimensions,
        rated.rubric_version
    from rated
)

select * from final
