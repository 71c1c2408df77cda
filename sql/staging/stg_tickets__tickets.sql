-- The ticket / complaint log with handler and group resolved (KPI_SPEC §3 ticket status, §4.3
-- complaint_resolution_rate), from raw.tickets. Grain: ticket_id.
-- De-duplication: a ticket in several files (logs re-exported, or listing status changes) counts once,
-- by the loader's own rule applied across files: the copy with the latest of (closed_at, opened_at) wins,
-- then the file whose path sorts last, then the later record. `copies` says how many copies were seen.
-- Identity, on the ticket's local opening date (reporting time zone): the handler is the file's staff_id
-- (it must be in the roster) or else staff_platform + staff_handle through a roster handle valid that
-- day, active that day; the group is group_id (in the registry) or else platform + source_key. What the
-- file named is kept in `named_*`; what could not be resolved is explained in `resolution_note`.
-- is_resolved is the loader's: true when resolved/closed with a closed_at, false when open/reopened,
-- NULL when resolved/closed without a closed_at (counts neither way). The customer column is dropped:
-- it never leaves the raw layer.
with

settings as (
    select * from raw.rubric_settings
),

tickets as (
    select * exclude (customer) from raw.tickets
),

deduplicated as (
    select
        *,
        count(*) over (partition by ticket_id) as copies
    from tickets
    qualify row_number() over (
        partition by ticket_id
        order by greatest(closed_at, opened_at) desc, source_file desc, source_record desc
    ) = 1
),

localised as (
    select
        deduplicated.*,
        timezone(settings.reporting_timezone, deduplicated.opened_at)::date as opened_date
    from deduplicated
    cross join settings
),

resolved as (
    select
        localised.* rename (staff_id as named_staff_id, group_id as named_group_id),
        handles.staff_id as handle_staff_id,
        staff.staff_id as roster_staff_id,
        staff.staff_id is not null
            and localised.opened_date >= staff.active_from
            and localised.opened_date <= coalesce(staff.active_to, date '9999-12-31') as is_staff_active,
        case when localised.group_id is not null then by_id.group_id else by_key.group_id end as resolved_group_id
    from localised
    left join raw.staff_handles as handles
        on localised.staff_id is null
        and handles.platform = localised.staff_platform
        and handles.handle = localised.staff_handle
        and localised.opened_date >= coalesce(handles.valid_from, date '0001-01-01')
        and localised.opened_date <= coalesce(handles.valid_to, date '9999-12-31')
    left join raw.staff as staff
        on staff.staff_id = coalesce(localised.staff_id, handles.staff_id)
    left join raw.groups as by_id
        on by_id.group_id = localised.group_id
    left join raw.groups as by_key
        on by_key.platform = localised.platform
        and by_key.source_key = localised.source_key
),

noted as (
    select
        resolved.*,
        case when is_staff_active then roster_staff_id end as staff_id,
        resolved_group_id as group_id,
        case
            when named_staff_id is not null and roster_staff_id is null
                then 'staff_id ' || named_staff_id || ' is not in the roster'
            when named_staff_id is null and staff_handle is not null and handle_staff_id is null
                then 'no roster handle ' || coalesce(staff_platform, '?') || ':' || staff_handle
                    || ' valid on ' || opened_date
            when roster_staff_id is not null and not is_staff_active
                then 'staff ' || roster_staff_id || ' is not active on ' || opened_date
        end as staff_note,
        case
            when named_group_id is not null and resolved_group_id is null
                then 'group_id ' || named_group_id || ' is not in the group registry'
            when named_group_id is null and source_key is not null and resolved_group_id is null
                then 'group ' || coalesce(platform, '?') || ':' || source_key || ' is not in the group registry'
        end as group_note
    from resolved
),

final as (
    select
        ticket_id,
        ticket_type,
        ticket_type = 'complaint' as is_complaint,
        status,
        is_resolved,
        opened_at,
        closed_at,
        opened_date,
        strftime(opened_date, '%Y-%m') as opened_month,
        year(opened_date) || '-Q' || quarter(opened_date) as opened_quarter,
        staff_id,
        group_id,
        message_id,
        satisfaction,
        named_staff_id,
        staff_platform as named_staff_platform,
        staff_handle as named_staff_handle,
        named_group_id,
        platform as named_platform,
        source_key as named_source_key,
        nullif(concat_ws('; ',
            staff_note,
            group_note,
            case when staff_id is null and group_id is null and staff_note is null and group_note is null
                then 'names neither a handler nor a group' end
        ), '') as resolution_note,
        copies,
        source_file,
        source_record,
        source_record_label
    from noted
)

select * from final
