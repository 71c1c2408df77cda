-- Members per group, quarter and tier (marts.fct_member_tiers, KPI_SPEC §5): counts only.
-- Grain: (group_id, quarter, tier).
select
    group_id,
    quarter,
    tier,
    count(*) as members
from marts.fct_member_tiers
group by all
order by group_id, quarter, tier
