-- Excellent communities (优秀社群, KPI_SPEC §5) per quarter and category, best first
-- (marts.fct_excellent_communities). Grain: (quarter, category, rank).
select
    period as quarter,
    category,
    rank,
    group_id,
    overall_score,
    grade
from marts.fct_excellent_communities
where period_type = 'quarter'
order by quarter desc, category, rank, group_id
