-- Problem-resolution metrics per period for staff and groups, long format (KPI_SPEC §4.3).
-- Grain: (entity_type, entity_id, period_type, period, metric). Requests are micro-averaged: counted over
-- the period, then divided. A request belongs to the period it opened in; for staff it follows the
-- attribution in marts.fct_requests (the responder, or the group owner when unanswered). Entities with
-- no requests get no rows here; marts.fct_metric_scores treats them as having a sample of 0.
-- Quantiles over responded requests by linear interpolation (quantile_cont).
with

requests as (
    select * from marts.fct_requests
),

per_entity_period as (
    select
        entity.entity_type,
        entity.entity_id,
        period.period_type,
        period.period,
        count(*) as requests,
        count(*) filter (where requests.is_responded) as responded,
        count(*) filter (where requests.is_within_sla) as within_sla,
        count(*) filter (where requests.is_resolved) as resolved,
        count(*) filter (where requests.is_complex) as complex_requests,
        count(*) filter (where requests.is_complex and requests.is_resolved) as complex_resolved,
        quantile_cont(requests.response_business_minutes, 0.5) as median_response_business_minutes,
        quantile_cont(requests.response_business_minutes, 0.9) as p90_response_business_minutes
    from requests,
        unnest([
            {'period_type': 'month', 'period': requests.opened_month},
            {'period_type': 'quarter', 'period': requests.opened_quarter}
        ]) as periods(period),
        unnest([
            {'entity_type': 'group', 'entity_id': requests.group_id},
            {'entity_type': 'staff', 'entity_id': requests.attributed_staff_id}
        ]) as entities(entity)
    group by all
),

final as (
    select entity_type, entity_id, period_type, period, metric.*
    from per_entity_period,
        unnest([
            {'metric': 'response_rate', 'numerator': responded::double, 'denominator': requests::double,
             'value': responded / requests, 'sample_size': requests},
            {'metric': 'sla_rate', 'numerator': within_sla, 'denominator': requests,
             'value': within_sla / requests, 'sample_size': requests},
            {'metric': 'median_response_business_minutes', 'numerator': null, 'denominator': responded,
             'value': median_response_business_minutes, 'sample_size': responded},
            {'metric': 'p90_response_business_minutes', 'numerator': null, 'denominator': responded,
             'value': p90_response_business_minutes, 'sample_size': responded},
            {'metric': 'resolution_rate', 'numerator': resolved, 'denominator': requests,
             'value': resolved / requests, 'sample_size': requests},
            {'metric': 'complaint_resolution_rate', 'numerator': complex_resolved, 'denominator': complex_requests,
             'value': complex_resolved / nullif(complex_requests, 0), 'sample_size': complex_requests}
        ]) as metrics(metric)
)

select * from final
