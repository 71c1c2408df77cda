-- WeCom 客户联系统计 per staff member and day (KPI_SPEC §4.4 negative_feedback_rate), from
-- raw.wecom_user_behavior. Grain: (userid, stat_date).
-- De-duplication: the same (userid, stat_date) delivered in several files counts once; the copy in the
-- file whose path sorts last wins (saved calls are named by date, so a later re-pull of a day replaces
-- the earlier one), then the later record of that file. `copies` says how many copies were seen.
-- Identity: userid -> staff_id through a roster handle (platform 'wecom') valid on stat_date, with the
-- staff member active on that day (as for chat senders, KPI_SPEC §1). Unresolved rows keep staff_id NULL
-- and say why in `resolution_note`; metrics skip them.
-- stat_date is WeCom's China-time day; month and quarter are that day's. Counts stay NULL where WeCom
-- returned nothing (absent is unknown, never 0); days missing from the files have no row at all.
with

behavior as (
    select * from raw.wecom_user_behavior
),

deduplicated as (
    select
        *,
        count(*) over (partition by userid, stat_date) as copies
    from behavior
    qualify row_number() over (
        partition by userid, stat_date
        order by source_file desc, source_record desc
    ) = 1
),

resolved as (
    select
        deduplicated.*,
        handles.staff_id as handle_staff_id,
        staff.staff_id is not null
            and deduplicated.stat_date >= staff.active_from
            and deduplicated.stat_date <= coalesce(staff.active_to, date '9999-12-31') as is_staff_active
    from deduplicated
    left join raw.staff_handles as handles
        on handles.platform = 'wecom'
        and handles.handle = deduplicated.userid
        and deduplicated.stat_date >= coalesce(handles.valid_from, date '0001-01-01')
        and deduplicated.stat_date <= coalesce(handles.valid_to, date '9999-12-31')
    left join raw.staff as staff
        on staff.staff_id = handles.staff_id
),

final as (
    select
        case when is_staff_active then handle_staff_id end as staff_id,
        userid,
        stat_date,
        strftime(stat_date, '%Y-%m') as stat_month,
        year(stat_date) || '-Q' || quarter(stat_date) as stat_quarter,
        chat_cnt,
        message_cnt,
        reply_percentage,
        avg_reply_time,
        negative_feedback_cnt,
        new_apply_cnt,
        new_contact_cnt,
        case
            when handle_staff_id is null
                then 'no roster handle wecom:' || userid || ' valid on ' || stat_date
            when not is_staff_active
                then 'staff ' || handle_staff_id || ' (handle wecom:' || userid || ') is not active on ' || stat_date
        end as resolution_note,
        copies,
        source_file,
        source_record,
        source_record_label
    from resolved
)

select * from final
