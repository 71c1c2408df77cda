-- One row per group page: the registry's groups plus chats loaded under an automatic `unassigned`
-- group (in the exports but not in config/groups.csv; KPI_SPEC §1). Names come from the registry only:
-- an export's own chat title is never shown. Grain: group_id.
with

staff_links as (
    select
        group_id,
        list(staff_id order by staff_id) filter (where relation = 'assigned') as assigned_staff_ids
    from raw.group_staff
    group by all
),

registry as (
    select
        groups.group_id,
        groups.name,
        groups.platform,
        groups.category,
        groups.owner_staff_id,
        coalesce(staff_links.assigned_staff_ids, []) as assigned_staff_ids
    from raw.groups as groups
    left join staff_links on staff_links.group_id = groups.group_id
),

unregistered as (
    select
        group_id,
        cast(null as varchar) as name,
        min(platform) as platform,
        'unassigned' as category,
        cast(null as varchar) as owner_staff_id,
        cast([] as varchar[]) as assigned_staff_ids
    from staging.stg_chat__messages
    where group_category = 'unassigned'
    group by group_id
),

final as (
    select * from registry
    union all
    select * from unregistered
)

select * from final
order by group_id
