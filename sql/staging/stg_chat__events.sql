-- One row per distinct membership/system event (KPI_SPEC §1, §4.1: joins, leaves, removals, renames).
-- Grain: (platform, source_key, event_id), de-duplicated across overlapping exports like messages.
-- The subject is resolved to a member pseudonym: by handle, else (formats that name people, e.g.
-- Telegram `invite_members`) by the display name the same person uses in that chat's messages.
-- Subjects who are staff at the event's date get `staff_id` and no member key: staff are not members.
-- Partitions: monthly, by occurred_at.
with

settings as (
    select * from raw.rubric_settings
),

deduplicated as (
    select *
    from raw.chat_events
    qualify row_number() over (
        partition by platform, source_key, event_id
        order by source_file, source_record
    ) = 1
),

-- A display name maps to a handle only where that is unambiguous within the chat.
name_to_handle as (
    select platform, source_key, sender_name, min(sender_handle) as sender_handle
    from raw.chat_messages
    where sender_name is not null and sender_handle is not null
    group by all
    having count(distinct sender_handle) = 1
),

resolved as (
    select
        deduplicated.*,
        timezone(settings.reporting_timezone, deduplicated.occurred_at)::date as occurred_date,
        coalesce(name_to_handle.sender_handle, deduplicated.subject_handle) as subject_resolved_handle
    from deduplicated
    cross join settings
    left join name_to_handle
        on name_to_handle.platform = deduplicated.platform
        and name_to_handle.source_key = deduplicated.source_key
        and name_to_handle.sender_name = deduplicated.subject_handle
),

subject_staff as (
    select resolved.platform, resolved.source_key, resolved.event_id, min(staff.staff_id) as staff_id
    from resolved
    inner join raw.staff_handles as handles
        on handles.platform = resolved.platform
        and handles.handle = resolved.subject_resolved_handle
        and resolved.occurred_date >= coalesce(handles.valid_from, date '0001-01-01')
        and resolved.occurred_date <= coalesce(handles.valid_to, date '9999-12-31')
    inner join raw.staff as staff
        on staff.staff_id = handles.staff_id
    group by all
),

final as (
    select
        resolved.platform,
        resolved.source_key,
        resolved.event_id,
        coalesce(groups.group_id, 'auto:' || resolved.platform || ':' || resolved.source_key) as group_id,
        resolved.occurred_at,
        resolved.occurred_date,
        resolved.event_type,
        subject_staff.staff_id as subject_staff_id,
        case when subject_staff.staff_id is null then pseudonyms.member_key end as member_key,
        resolved.detail,
        resolved.source_file,
        resolved.source_record,
        resolved.source_record_label
    from resolved
    left join raw.groups as groups
        on groups.platform = resolved.platform
        and groups.source_key = resolved.source_key
    left join subject_staff
        on subject_staff.platform = resolved.platform
        and subject_staff.source_key = resolved.source_key
        and subject_staff.event_id = resolved.event_id
    left join raw.member_pseudonyms as pseudonyms
        on pseudonyms.platform = resolved.platform
        and pseudonyms.handle = resolved.subject_resolved_handle
)

select * from final
