-- Blocking: HR files need exactly one row per staff member per quarter.
select staff_id, quarter, count(*) as rows_for_staff_quarter
from marts.fct_grades__staff
group by all
having count(*) <> 1
