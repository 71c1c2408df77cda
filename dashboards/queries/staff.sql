-- One row per staff page: the roster with the manager's name and the groups the person owns or is
-- assigned to (config/groups.csv). Grain: staff_id.
with

group_links as (
    select
        staff_id,
        list(distinct group_id order by group_id) as group_ids
    from raw.group_staff
    group by all
),

final as (
    select
        staff.staff_id,
        staff.name,
        staff.role,
        staff.team,
        staff.manager_id,
        managers.name as manager_name,
        coalesce(group_links.group_ids, []) as group_ids
    from raw.staff as staff
    left join raw.staff as managers on managers.staff_id = staff.manager_id
    left join group_links on group_links.staff_id = staff.staff_id
)

select * from final
order by staff_id
