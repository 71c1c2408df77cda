-- Staff grades per quarter (marts.fct_grades__staff, the numbers HR receives) with the median of each
-- score over staff of the same role in the same quarter, for the scorecard's "against the role" bars, and
-- the structured parts of a not-rated reason from marts.fct_scores. Grain: (staff_id, quarter).
select
    grades.staff_id,
    grades.role,
    grades.quarter,
    grades.quarter_is_complete,
    grades.activity_score,
    grades.content_quality_score,
    grades.resolution_score,
    grades.satisfaction_score,
    grades.overall_score,
    grades.computed_grade,
    grades.final_grade,
    grades.not_rated_reason,
    scores.available_weight,
    scores.missing_dimensions,
    grades.quota_adjusted,
    grades.rubric_version,
    median(grades.activity_score) over role_quarter as role_activity_score,
    median(grades.content_quality_score) over role_quarter as role_content_quality_score,
    median(grades.resolution_score) over role_quarter as role_resolution_score,
    median(grades.satisfaction_score) over role_quarter as role_satisfaction_score,
    median(grades.overall_score) over role_quarter as role_overall_score
from marts.fct_grades__staff as grades
left join marts.fct_scores as scores
    on scores.entity_type = 'staff'
    and scores.period_type = 'quarter'
    and scores.entity_id = grades.staff_id
    and scores.period = grades.quarter
window role_quarter as (partition by grades.quarter, grades.role)
order by grades.staff_id, grades.quarter
