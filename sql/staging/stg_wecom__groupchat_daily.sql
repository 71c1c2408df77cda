-- WeCom 群聊数据统计 per group owner and day (or requested day range), from raw.wecom_groupchat_daily.
-- Grain: (owner_userid, stat_date_from, stat_date_to, is_range_total). The figures cover all the
-- customer groups the owner has, not one registered group.
-- De-duplication: the same owner and days delivered in several files counts once; the copy in the file
-- whose path sorts last wins (a later re-pull replaces an earlier one), then the later record.
-- Identity: owner_userid -> staff_id through a roster handle (platform 'wecom') valid on stat_date_from,
-- with the staff member active that day; unresolved rows keep staff_id NULL and say why in
-- `resolution_note`.
-- Columns keep their two kinds apart: new_chat_cnt and new_member_cnt count the day (they add up over
-- days); chat_total, chat_has_msg, member_total, member_has_msg, msg_total and migrate_trainee_chat_cnt
-- are 截至当天 snapshots, the state at the end of the day: never sum them across days, take the last day
-- of a period. Range rows (`is_range_total`) are kept as delivered: what WeCom's snapshot fields mean over
-- a range is undocumented. stat_month/stat_quarter are set for single-day rows only.
with

groupchat as (
    select * from raw.wecom_groupchat_daily
),

deduplicated as (
    select
        *,
        count(*) over (partition by owner_userid, stat_date_from, stat_date_to, is_range_total) as copies
    from groupchat
    qualify row_number() over (
        partition by owner_userid, stat_date_from, stat_date_to, is_range_total
        order by source_file desc, source_record desc
    ) = 1
),

resolved as (
    select
        deduplicated.*,
        handles.staff_id as handle_staff_id,
        staff.staff_id is not null
            and deduplicated.stat_date_from >= staff.active_from
            and deduplicated.stat_date_from <= coalesce(staff.active_to, date '9999-12-31') as is_staff_active
    from deduplicated
    left join raw.staff_handles as handles
        on handles.platform = 'wecom'
        and handles.handle = deduplicated.owner_userid
        and deduplicated.stat_date_from >= coalesce(handles.valid_from, date '0001-01-01')
        and deduplicated.stat_date_from <= coalesce(handles.valid_to, date '9999-12-31')
    left join raw.staff as staff
        on staff.staff_id = handles.staff_id
),

final as (
    select
        case when is_staff_active then handle_staff_id end as staff_id,
        owner_userid,
        stat_date_from,
        stat_date_to,
        is_range_total,
        case when not is_range_total then strftime(stat_date_from, '%Y-%m') end as stat_month,
        case when not is_range_total then year(stat_date_from) || '-Q' || quarter(stat_date_from) end
            as stat_quarter,
        -- counts of the day
        new_chat_cnt,
        new_member_cnt,
        -- end-of-day snapshots
        chat_total,
        chat_has_msg,
        member_total,
        member_has_msg,
        msg_total,
        migrate_trainee_chat_cnt,
        case
            when handle_staff_id is null
                then 'no roster handle wecom:' || owner_userid || ' valid on ' || stat_date_from
            when not is_staff_active
                then 'staff ' || handle_staff_id || ' (handle wecom:' || owner_userid || ') is not active on '
                    || stat_date_from
        end as resolution_note,
        copies,
        source_file,
        source_record,
        source_record_label
    from resolved
)

select * from final
