-- Violations per group, rule and recommended action (marts.fct_violations, KPI_SPEC §4.2).
-- Grain: (group_id, rule, recommended_action).
select
    group_id,
    rule,
    recommended_action,
    count(*) as violations
from marts.fct_violations
group by all
order by group_id, rule, recommended_action
