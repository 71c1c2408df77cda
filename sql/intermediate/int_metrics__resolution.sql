-- Problem-resolution metrics per period for staff and groups, long format (KPI_SPEC §4.3).
-- Grain: (entity_type, entity_id, period_type, period, metric). Requests are micro-averaged: counted over
-- the period, then divided. A request belongs to the period it opened in; for staff it follows the
-- attribution in marts.fct_requests (the responder, or the group owner when unanswered). Entities with
-- no requests get no rows here; marts.fct_metric_scores treats them as having a sample of 0.
-- Quantiles over responded requests by linear interpolation (quantile_cont).
-- complaint_resolution_rate uses the ticket log where present (§4.3): when the staff member (the ticket's
-- handler) or group (the ticket's source group) has complaint tickets (staging.stg_tickets__tickets,
-- ticket_type 'complaint') opened in the period whose outcome is known, it is resolved complaint tickets
-- / those complaint tickets; otherwise the request-based value, resolved complex requests / complex
-- requests (each request resolved as in marts.fct_requests, where a covering ticket already decides). Tickets whose outcome is unknown (resolved/closed without a closed_at: is_resolved NULL) count
-- on neither side, and an entity whose complaint tickets are all of that kind falls back to the chats.
-- An entity with complaint tickets but no chat requests in the period gets only this row.
-- `value_source` says which one was used: 'ticket_log' or 'chat_requests' (NULL for the other metrics).
-- Partitions: monthly, by period.
with

-- Only the periods being computed (bounds set by pipelines/sql_runner.py; unset, all rows).
requests as (
    select * from marts.fct_requests
    where coalesce(opened_at >= getvariable('partition_start'), true)
        and coalesce(opened_at < getvariable('partition_end'), true)
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

complaint_tickets as (
    select
        entity.entity_type,
        entity.entity_id,
        period.period_type,
        period.period,
        count(*) as complaint_tickets,
        count(*) filter (where tickets.is_resolved) as resolved_complaint_tickets
    from staging.stg_tickets__tickets as tickets,
        unnest([
            {'period_type': 'month', 'period': tickets.opened_month},
            {'period_type': 'quarter', 'period': tickets.opened_quarter}
        ]) as periods(period),
        unnest([
            {'entity_type': 'group', 'entity_id': tickets.group_id},
            {'entity_type': 'staff', 'entity_id': tickets.staff_id}
        ]) as entities(entity)
    where tickets.is_complaint and tickets.is_resolved is not null and entity.entity_id is not null
    group by all
),

joined as (
    select
        coalesce(per_entity_period.entity_type, complaint_tickets.entity_type) as entity_type,
        coalesce(per_entity_period.entity_id, complaint_tickets.entity_id) as entity_id,
        coalesce(per_entity_period.period_type, complaint_tickets.period_type) as period_type,
        coalesce(per_entity_period.period, complaint_tickets.period) as period,
        per_entity_period.* exclude (entity_type, entity_id, period_type, period),
        complaint_tickets.complaint_tickets is not null as uses_tickets,
        coalesce(complaint_tickets.complaint_tickets, per_entity_period.complex_requests) as complaints,
        coalesce(complaint_tickets.resolved_complaint_tickets, per_entity_period.complex_resolved)
            as complaints_resolved
    from per_entity_period
    full outer join complaint_tickets
        on complaint_tickets.entity_type = per_entity_period.entity_type
        and complaint_tickets.entity_id = per_entity_period.entity_id
        and complaint_tickets.period_type = per_entity_period.period_type
        and complaint_tickets.period = per_entity_period.period
),

final as (
    select entity_type, entity_id, period_type, period, metric.*
    from joined,
        unnest([
            {'metric': 'response_rate', 'numerator': responded::double, 'denominator': requests::double,
             'value': responded / requests, 'sample_size': requests, 'value_source': null::varchar},
            {'metric': 'sla_rate', 'numerator': within_sla, 'denominator': requests,
             'value': within_sla / requests, 'sample_size': requests, 'value_source': null},
            {'metric': 'median_response_business_minutes', 'numerator': null, 'denominator': responded,
             'value': median_response_business_minutes, 'sample_size': responded, 'value_source': null},
            {'metric': 'p90_response_business_minutes', 'numerator': null, 'denominator': responded,
             'value': p90_response_business_minutes, 'sample_size': responded, 'value_source': null},
            {'metric': 'resolution_rate', 'numerator': resolved, 'denominator': requests,
             'value': resolved / requests, 'sample_size': requests, 'value_source': null},
            {'metric': 'complaint_resolution_rate', 'numerator': complaints_resolved, 'denominator': complaints,
             'value': complaints_resolved / nullif(complaints, 0), 'sample_size': complaints,
             'value_source': case when uses_tickets then 'ticket_log' else 'chat_requests' end}
        ]) as metrics(metric)
    -- ticket-only entity-periods have no request metrics
    where requests is not null or metric.metric = 'complaint_resolution_rate'
)

select * from final
