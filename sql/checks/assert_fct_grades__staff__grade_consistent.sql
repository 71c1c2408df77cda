-- Blocking: a rated row has a score in 0-100 and a grade; a not-rated row has neither, and a reason.
select staff_id, quarter, overall_score, computed_grade, not_rated_reason
from marts.fct_grades__staff
where (overall_score is not null and (overall_score < 0 or overall_score > 100 or computed_grade is null))
    or (overall_score is null and (computed_grade is not null or not_rated_reason is null))
    or computed_grade not in ('excellent', 'good', 'pass', 'fail')
