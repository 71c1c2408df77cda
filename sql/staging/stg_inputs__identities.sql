-- The staff member and group each row of the business logs and WeCom statistics names, resolved once
-- for all of them: surveys, tickets, content audits (staff and group), short-video posts (the account
-- handle on douyin/kuaishou), WeCom 客户联系统计 (the userid) and WeCom 群聊数据统计 (the group owner's userid). Grain: (input_kind, source_file, source_record,
-- source_record_label) — one raw row. The label is part of the key because one saved WeCom call on one
-- JSON line (one source_record) carries many days (`line 3 behavior_data[0]`, `[1]`, …); for the CSV/XLSX
-- logs source_record alone identifies the row.
-- On the row's date — the local date (reporting time zone) of a survey's response, a ticket's opening, an
-- audit's submission, a post's publication; WeCom's own China-time stat_date (stat_date_from for ranges) — the staff member is
-- the file's staff_id (it must be in the roster) or else staff_platform + staff_handle through a roster
-- handle valid that day (WeCom rows: platform 'wecom' and the userid), and must be active that day
-- (as for chat senders, KPI_SPEC §1); the group is the file's group_id (it must be in the registry) or
-- else platform + source_key looked up in raw.groups (WeCom rows name no group). What could not be
-- resolved is said in `staff_note` / `group_note`.
with

settings as (
    select * from raw.rubric_settings
),

named as (
    select 'surveys' as input_kind, source_file, source_record, source_record_label,
           responded_at as happened_at, null::date as stat_date,
           staff_id, staff_platform, staff_handle, group_id, platform, source_key
    from raw.survey_responses
    union all
    select 'tickets', source_file, source_record, source_record_label, opened_at, null,
           staff_id, staff_platform, staff_handle, group_id, platform, source_key
    from raw.tickets
    union all
    select 'content_audits', source_file, source_record, source_record_label, submitted_at, null,
           staff_id, staff_platform, staff_handle, group_id, platform, source_key
    from raw.content_audits
    union all
    select 'content_posts', source_file, source_record, source_record_label, published_at, null,
           null, platform, account_handle, null, null, null
    from raw.content_posts
    union all
    select 'wecom_behavior', source_file, source_record, source_record_label, null, stat_date,
           null, 'wecom', userid, null, null, null
    from raw.wecom_user_behavior
    union all
    select 'wecom_groupchat', source_file, source_record, source_record_label, null, stat_date_from,
           null, 'wecom', owner_userid, null, null, null
    from raw.wecom_groupchat_daily
),

localised as (
    select
        named.*,
        coalesce(named.stat_date, timezone(settings.reporting_timezone, named.happened_at)::date) as on_date
    from named
    cross join settings
),

resolved as (
    select
        localised.*,
        handles.staff_id as handle_staff_id,
        staff.staff_id as roster_staff_id,
        staff.staff_id is not null
            and localised.on_date >= staff.active_from
            and localised.on_date <= coalesce(staff.active_to, date '9999-12-31') as is_staff_active,
        case when localised.group_id is not null then by_id.group_id else by_key.group_id end as resolved_group_id
    from localised
    left join raw.staff_handles as handles
        on localised.staff_id is null
        and handles.platform = localised.staff_platform
        and handles.handle = localised.staff_handle
        and localised.on_date >= coalesce(handles.valid_from, date '0001-01-01')
        and localised.on_date <= coalesce(handles.valid_to, date '9999-12-31')
    left join raw.staff as staff
        on staff.staff_id = coalesce(localised.staff_id, handles.staff_id)
    left join raw.groups as by_id
        on by_id.group_id = localised.group_id
    left join raw.groups as by_key
        on by_key.platform = localised.platform
        and by_key.source_key = localised.source_key
)

select
    input_kind,
    source_file,
    source_record,
    source_record_label,
    on_date,
    case when is_staff_active then roster_staff_id end as resolved_staff_id,
    resolved_group_id,
    case
        when staff_id is not null and roster_staff_id is null
            then 'staff_id ' || staff_id || ' is not in the roster'
        when staff_id is null and staff_handle is not null and handle_staff_id is null
            then 'no roster handle ' || coalesce(staff_platform, '?') || ':' || staff_handle || ' valid on ' || on_date
        when roster_staff_id is not null and not is_staff_active
            then 'staff ' || roster_staff_id
                || case when staff_id is null
                    then ' (handle ' || staff_platform || ':' || staff_handle || ')' else '' end
                || ' is not active on ' || on_date
    end as staff_note,
    case
        when group_id is not null and resolved_group_id is null
            then 'group_id ' || group_id || ' is not in the group registry'
        when group_id is null and source_key is not null and resolved_group_id is null
            then 'group ' || coalesce(platform, '?') || ':' || source_key || ' is not in the group registry'
    end as group_note
from resolved
