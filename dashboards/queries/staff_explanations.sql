-- Why each staff member got their quarterly score: every rubric metric with its value, sample size,
-- floor and target, sub-score and the points it contributes (marts.fct_score_explanations).
-- Grain: (staff_id, quarter, metric).
select
    entity_id as staff_id,
    period as quarter,
    dimension,
    metric,
    status,
    value,
    sample_size,
    min_sample,
    floor,
    target,
    sub_score,
    overall_share,
    contribution,
    potential_gain
from marts.fct_score_explanations
where entity_type = 'staff' and period_type = 'quarter'
order by staff_id, quarter, dimension, contribution desc nulls last, metric
