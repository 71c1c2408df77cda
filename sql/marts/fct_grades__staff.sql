-- HR quarterly grades (KPI_SPEC §6): one row per staff member active in each quarter, with the four
-- dimension scores, overall score, computed and final grade, the not-rated reason, and the main raw
-- metrics with their sample sizes. `final_grade` is the grade after the optional quota
-- (marts.fct_grades__quota; `quota_adjusted` marks demotions) and, later, overrides.
-- `quarter_is_complete` tells the publisher which quarters may be published. Grain: (staff_id, quarter).
-- Partitions: quarterly, by quarter.
with

scores as (
    select * from marts.fct_scores
    where entity_type = 'staff' and period_type = 'quarter'
),

metrics as (
    select
        entity_id as staff_id,
        period as quarter,
        max(value) filter (where metric = 'staff_messages') as staff_messages,
        max(value) filter (where metric = 'active_day_ratio') as active_day_ratio,
        max(sample_size) filter (where metric = 'active_day_ratio') as business_days,
        max(value) filter (where metric = 'group_coverage') as group_coverage,
        max(sample_size) filter (where metric = 'group_coverage') as assigned_groups,
        max(value) filter (where metric = 'response_rate') as response_rate,
        max(sample_size) filter (where metric = 'response_rate') as requests,
        max(value) filter (where metric = 'sla_rate') as sla_rate,
        max(value) filter (where metric = 'median_response_business_minutes') as median_response_business_minutes,
        max(sample_size) filter (where metric = 'median_response_business_minutes') as responded_requests,
        max(value) filter (where metric = 'resolution_rate') as resolution_rate,
        max(value) filter (where metric = 'violation_rate') as violation_rate,
        max(value) filter (where metric = 'audit_pass_rate') as audit_pass_rate,
        max(sample_size) filter (where metric = 'audit_pass_rate') as reviewed_posts,
        max(value) filter (where metric = 'csat_rate') as csat_rate,
        max(sample_size) filter (where metric = 'csat_rate') as survey_responses,
        max(value) filter (where metric = 'evaluation_score') as evaluation_score,
        max(sample_size) filter (where metric = 'evaluation_score') as evaluation_ratings
    from (
        select * from intermediate.int_metrics__staff
        union all by name
        select * from intermediate.int_metrics__resolution where entity_type = 'staff'
        union all by name
        select * from intermediate.int_metrics__violations where entity_type = 'staff'
        union all by name
        select * from intermediate.int_metrics__content where entity_type = 'staff'
        union all by name
        select * from intermediate.int_metrics__satisfaction where entity_type = 'staff'
    )
    where period_type = 'quarter'
    group by all
),

final as (
    select
        staff.staff_id,
        staff.name,
        staff.role,
        staff.team,
        scores.period as quarter,
        periods.is_complete as quarter_is_complete,
        scores.activity_score,
        scores.content_quality_score,
        scores.resolution_score,
        scores.satisfaction_score,
        scores.overall_score,
        scores.grade as computed_grade,
        coalesce(quota.quota_grade, scores.grade) as final_grade,
        scores.not_rated_reason,
        coalesce(quota.quota_adjusted, false) as quota_adjusted,
        scores.rubric_version,
        metrics.staff_messages::bigint as staff_messages,
        round(metrics.active_day_ratio, 4) as active_day_ratio,
        metrics.business_days,
        round(metrics.group_coverage, 4) as group_coverage,
        metrics.assigned_groups,
        coalesce(metrics.requests, 0) as requests,
        round(metrics.response_rate, 4) as response_rate,
        round(metrics.sla_rate, 4) as sla_rate,
        round(metrics.median_response_business_minutes, 2) as median_response_business_minutes,
        coalesce(metrics.responded_requests, 0) as responded_requests,
        round(metrics.resolution_rate, 4) as resolution_rate,
        round(metrics.violation_rate, 4) as violation_rate,
        round(metrics.audit_pass_rate, 4) as audit_pass_rate,
        coalesce(metrics.reviewed_posts, 0) as reviewed_posts,
        round(metrics.csat_rate, 4) as csat_rate,
        coalesce(metrics.survey_responses, 0) as survey_responses,
        round(metrics.evaluation_score, 2) as evaluation_score,
        coalesce(metrics.evaluation_ratings, 0) as evaluation_ratings
    from scores
    inner join raw.staff as staff
        on staff.staff_id = scores.entity_id
    inner join intermediate.int_periods as periods
        on periods.period_type = 'quarter'
        and periods.period = scores.period
    left join metrics
        on metrics.staff_id = scores.entity_id
        and metrics.quarter = scores.period
    left join marts.fct_grades__quota as quota
        on quota.staff_id = scores.entity_id
        and quota.period_type = 'quarter'
        and quota.period = scores.period
)

select * from final
