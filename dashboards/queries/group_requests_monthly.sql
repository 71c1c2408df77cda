-- Requests per group and month they opened (KPI_SPEC §3): answered within the SLA, answered late and
-- unanswered, with the median and 90th percentile business-minute response time of general requests
-- (the ones the business-minute SLA applies to; linear interpolation as KPI_SPEC §4.3).
-- Grain: (group_id, month).
select
    group_id,
    opened_month as month,
    count(*) as requests,
    count(*) filter (where is_within_sla) as within_sla,
    count(*) filter (where is_responded and not coalesce(is_within_sla, false)) as late,
    count(*) filter (where not is_responded) as unanswered,
    quantile_cont(response_business_minutes, 0.5)
        filter (where is_responded and request_type = 'general') as median_general_minutes,
    quantile_cont(response_business_minutes, 0.9)
        filter (where is_responded and request_type = 'general') as p90_general_minutes
from marts.fct_requests
group by all
order by group_id, month
