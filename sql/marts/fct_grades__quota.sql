-- The optional grade quota (KPI_SPEC §5), per staff member and period: the computed grade and the grade
-- after the quota. Grain: (staff_id, period_type, period) for every rated staff member.
-- Calibration groups are roles. Only roles with at least `quota_min_calibration_group` rated staff in the
-- period take part, and within each at most `quota_max_excellent_share` may be excellent (KPI_SPEC §5):
-- the role's count is the largest-remainder apportionment of its places, which for one group cannot
-- exceed the whole part of share × size without breaking the cap, so the whole part it is. Within a role,
-- staff graded excellent keep it in order of overall score, then resolution score, then staff_id; the
-- others become `good` with `quota_adjusted`. With the quota off (the default) every computed grade stands.
-- Partitions: quarterly, by period.
with

settings as (
    select * from raw.rubric_settings
),

rated as (
    select
        scores.entity_id as staff_id,
        scores.period_type,
        scores.period,
        scores.rubric_key as role,
        scores.overall_score,
        scores.resolution_score,
        scores.grade as computed_grade
    from marts.fct_scores as scores
    where scores.entity_type = 'staff' and scores.overall_score is not null
),

role_sizes as (
    select role_counts.*
    from (
        select period_type, period, role, count(*) as rated_staff
        from rated
        group by all
    ) as role_counts
    cross join settings
    where role_counts.rated_staff >= settings.quota_min_calibration_group
),

-- At most `quota_max_excellent_share` of a role's rated staff may be excellent: the places are the whole
-- part of share × size (the epsilon keeps 0.29 × 100 = 28.999… from losing a place).
apportioned as (
    select
        role_sizes.*,
        floor(role_sizes.rated_staff * settings.quota_max_excellent_share + 1e-9)::bigint as excellent_places
    from role_sizes
    cross join settings
),

ranked as (
    select
        rated.*,
        apportioned.excellent_places,
        row_number() over (
            partition by rated.period_type, rated.period, rated.role
            order by rated.overall_score desc, rated.resolution_score desc nulls last, rated.staff_id
        ) as excellent_rank
    from rated
    left join apportioned using (period_type, period, role)
    where rated.computed_grade = 'excellent'
),

final as (
    select
        rated.staff_id,
        rated.period_type,
        rated.period,
        rated.role,
        rated.computed_grade,
        ranked.excellent_places,
        coalesce(settings.quota_enabled and ranked.excellent_rank > ranked.excellent_places, false)
            as quota_adjusted,
        case
            when coalesce(settings.quota_enabled and ranked.excellent_rank > ranked.excellent_places, false)
                then 'good'
            else rated.computed_grade
        end as quota_grade
    from rated
    cross join settings
    left join ranked using (staff_id, period_type, period)
)

select * from final
