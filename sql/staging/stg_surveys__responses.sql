-- Satisfaction survey responses with their staff member and group resolved (KPI_SPEC §4.4), from
-- raw.survey_responses. Grain: response_id (the survey tool's id, or the loader's content fingerprint).
-- De-duplication: a response delivered in several files counts once; the copy in the file whose path
-- sorts last wins (a later export replaces an earlier one), then the later record.
-- Identity, on the response's local date (reporting time zone): the staff member is the file's staff_id
-- (it must be in the roster) or else staff_platform + staff_handle through a roster handle valid that
-- day, and the staff member must be active that day; the group is the file's group_id (it must be in the
-- registry) or else platform + source_key looked up in raw.groups. What the file named is kept in the
-- `named_*` columns; what could not be resolved is explained in `resolution_note`.
-- `attributed_to` (§4.4 "attributed to the staff member it names, else to its group"): 'staff' when the
-- staff member resolves, else 'group' when the group resolves, else NULL (the response counts nowhere).
-- A response naming both counts for the staff member and, in the group's figures, for the group too.
-- The respondent (a customer's name or account) is dropped here: it never leaves the raw layer.
with

settings as (
    select * from raw.rubric_settings
),

responses as (
    select * exclude (respondent) from raw.survey_responses
),

deduplicated as (
    select
        *,
        count(*) over (partition by response_id) as copies
    from responses
    qualify row_number() over (
        partition by response_id
        order by source_file desc, source_record desc
    ) = 1
),

localised as (
    select
        deduplicated.*,
        timezone(settings.reporting_timezone, deduplicated.responded_at)::date as responded_date
    from deduplicated
    cross join settings
),

resolved as (
    select
        localised.* rename (staff_id as named_staff_id, group_id as named_group_id),
        handles.staff_id as handle_staff_id,
        staff.staff_id as roster_staff_id,
        staff.staff_id is not null
            and localised.responded_date >= staff.active_from
            and localised.responded_date <= coalesce(staff.active_to, date '9999-12-31') as is_staff_active,
        case when localised.group_id is not null then by_id.group_id else by_key.group_id end as resolved_group_id
    from localised
    left join raw.staff_handles as handles
        on localised.staff_id is null
        and handles.platform = localised.staff_platform
        and handles.handle = localised.staff_handle
        and localised.responded_date >= coalesce(handles.valid_from, date '0001-01-01')
        and localised.responded_date <= coalesce(handles.valid_to, date '9999-12-31')
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
                    || ' valid on ' || responded_date
            when roster_staff_id is not null and not is_staff_active
                then 'staff ' || roster_staff_id || ' is not active on ' || responded_date
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
        response_id,
        responded_at,
        responded_date,
        strftime(responded_date, '%Y-%m') as responded_month,
        year(responded_date) || '-Q' || quarter(responded_date) as responded_quarter,
        staff_id,
        group_id,
        case
            when staff_id is not null then 'staff'
            when group_id is not null then 'group'
        end as attributed_to,
        csat,
        nps,
        channel,
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
                then 'names neither a staff member nor a group' end
        ), '') as resolution_note,
        copies,
        source_file,
        source_record,
        source_record_label
    from noted
)

select * from final
