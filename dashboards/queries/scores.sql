-- Dimension and overall scores of every staff member and group per month and quarter (marts.fct_scores),
-- with whether the period is complete and, for the not rated, the weight their scored dimensions carry
-- and the missing ones (so the reason can be written in the page's language). Grain: (entity_type, entity_id, period_type, period).
select
    scores.entity_type,
    scores.entity_id,
    scores.period_type,
    scores.period,
    coalesce(periods.is_complete, false) as period_is_complete,
    scores.activity_score,
    scores.content_quality_score,
    scores.resolution_score,
    scores.satisfaction_score,
    scores.overall_score,
    scores.grade,
    scores.not_rated_reason,
    scores.available_weight,
    scores.missing_dimensions
from marts.fct_scores as scores
left join intermediate.int_periods as periods
    on periods.period_type = scores.period_type
    and periods.period = scores.period
order by scores.entity_type, scores.entity_id, scores.period_type, scores.period
