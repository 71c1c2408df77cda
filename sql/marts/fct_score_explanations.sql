-- Why each entity got its score (KPI_SPEC §5, issue 4 "explanations"): every rubric metric of every staff
-- member and group per period with its value, sample size, floor, target, sub-score, weights, its
-- contribution to the overall score, and how much the overall score would rise if the metric reached its
-- target. Grain: (entity_type, entity_id, period_type, period, metric).
-- contribution = sub_score × metric_share × dimension_share, in overall-score points, where metric_share is
-- the metric's weight over the scored metrics of its dimension and dimension_share the dimension's weight
-- over the available dimensions; contributions of an entity's scored metrics add up to its overall score
-- (before rounding). potential_gain = (100 − sub_score) × the same shares: the points the overall score
-- would gain at target, other things equal. Metrics that are not scored (status insufficient_data,
-- not_applicable, no_input) contribute nothing and say why in `status`.
-- Partitions: monthly, by period.
with

metric_scores as (
    select * from marts.fct_metric_scores
),

dimension_weights as (
    select
        metric_scores.entity_type, metric_scores.entity_id, metric_scores.period_type, metric_scores.period,
        metric_scores.dimension,
        -- weights summed in DECIMAL (exact): shares must not depend on the order rows are added in
        sum(metric_scores.metric_weight::decimal(38, 12)) filter (where metric_scores.status = 'scored')
            as scored_metric_weight
    from metric_scores
    group by all
),

available as (
    select
        dimension_weights.*,
        dimensions.dimension_weight,
        sum(dimensions.dimension_weight::decimal(38, 12)) filter (where dimension_weights.scored_metric_weight > 0) over (
            partition by dimension_weights.entity_type, dimension_weights.entity_id,
                         dimension_weights.period_type, dimension_weights.period
        ) as available_dimension_weight
    from dimension_weights
    inner join (select distinct entity_type, entity_id, rubric_key from metric_scores) as keys
        using (entity_type, entity_id)
    inner join raw.rubric_dimensions as dimensions
        on dimensions.entity_type = dimension_weights.entity_type
        and dimensions.rubric_key = keys.rubric_key
        and dimensions.dimension = dimension_weights.dimension
),

final as (
    select
        metric_scores.entity_type,
        metric_scores.entity_id,
        metric_scores.period_type,
        metric_scores.period,
        metric_scores.rubric_key,
        metric_scores.dimension,
        metric_scores.metric,
        metric_scores.status,
        metric_scores.value,
        metric_scores.numerator,
        metric_scores.denominator,
        metric_scores.sample_size,
        metric_scores.min_sample,
        metric_scores.floor,
        metric_scores.target,
        metric_scores.sub_score,
        metric_scores.metric_weight,
        available.dimension_weight,
        case when metric_scores.status = 'scored' then
            (metric_scores.metric_weight::decimal(38, 12) / available.scored_metric_weight
            * available.dimension_weight::decimal(38, 12) / available.available_dimension_weight)::double
        end as overall_share,
        round(metric_scores.sub_score * overall_share, 4) as contribution,
        round((100 - metric_scores.sub_score) * overall_share, 4) as potential_gain,
        scores.overall_score,
        scores.grade,
        scores.rubric_version
    from metric_scores
    inner join available
        using (entity_type, entity_id, period_type, period, dimension)
    inner join marts.fct_scores as scores
        using (entity_type, entity_id, period_type, period)
)

select * from final
