-- Excellent communities (优秀社群, KPI_SPEC §5): per group category and period, the top
-- `excellent_communities_per_category` rated groups by overall score (ties: resolution score, then
-- group_id). Grain: (category, period_type, period, rank).
-- Partitions: quarterly, by period.
with

settings as (
    select * from raw.rubric_settings
),

ranked as (
    select
        groups.category,
        scores.period_type,
        scores.period,
        scores.entity_id as group_id,
        groups.name as group_name,
        scores.overall_score,
        scores.grade,
        row_number() over (
            partition by groups.category, scores.period_type, scores.period
            order by scores.overall_score desc, scores.resolution_score desc nulls last, scores.entity_id
        ) as rank
    from marts.fct_scores as scores
    inner join raw.groups as groups
        on groups.group_id = scores.entity_id
    where scores.entity_type = 'group' and scores.overall_score is not null
)

select ranked.*, settings.rubric_version
from ranked
cross join settings
where ranked.rank <= settings.excellent_communities_per_category
