-- The overview's headline KPIs per quarter: staff graded and rated, mean overall score, active groups,
-- member messages, requests (KPI_SPEC §3: micro-averaged response and within-SLA rates), unanswered
-- requests and violations. Grain: quarter.
with

quarters as (
    select period as quarter, is_complete
    from intermediate.int_periods
    where period_type = 'quarter'
),

grades as (
    select
        quarter,
        count(*) as staff_graded,
        count(final_grade) as staff_rated,
        avg(overall_score) as mean_overall_score
    from marts.fct_grades__staff
    group by all
),

messages as (
    select
        sent_quarter as quarter,
        count(*) filter (where member_key is not null) as member_messages,
        count(distinct group_id) filter (where group_category <> 'unassigned') as groups_active
    from staging.stg_chat__messages
    where is_counted
    group by all
),

requests as (
    select
        opened_quarter as quarter,
        count(*) as requests,
        count(*) filter (where is_responded) / count(*) as response_rate,
        count(*) filter (where is_within_sla) / count(*) as sla_rate,
        count(*) filter (where not is_responded) as unanswered
    from marts.fct_requests
    group by all
),

violations as (
    select sent_quarter as quarter, count(*) as violations
    from marts.fct_violations
    group by all
),

final as (
    select
        quarters.quarter,
        quarters.is_complete,
        coalesce(grades.staff_graded, 0) as staff_graded,
        coalesce(grades.staff_rated, 0) as staff_rated,
        grades.mean_overall_score,
        coalesce(messages.groups_active, 0) as groups_active,
        coalesce(messages.member_messages, 0) as member_messages,
        coalesce(requests.requests, 0) as requests,
        requests.response_rate,
        requests.sla_rate,
        coalesce(requests.unanswered, 0) as unanswered,
        coalesce(violations.violations, 0) as violations
    from quarters
    left join grades on grades.quarter = quarters.quarter
    left join messages on messages.quarter = quarters.quarter
    left join requests on requests.quarter = quarters.quarter
    left join violations on violations.quarter = quarters.quarter
)

select * from final
order by quarter
