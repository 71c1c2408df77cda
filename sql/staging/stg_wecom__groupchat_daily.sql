-- WeCom 群聊数据统计 per group owner and day (or requested day range), from raw.wecom_groupchat_daily.
-- Grain: (owner_userid, stat_date_from, stat_date_to, is_range_total). The figures cover all the
-- customer groups the owner has, not one registered group.
-- De-duplication: the same owner and days delivered in several files counts once; the copy in the file
-- whose path sorts last wins (a later re-pull replaces an earlier one), then the later record.
-- Identity: owner_userid -> staff_id through a roster handle (platform 'wecom') valid on stat_date_from,
-- with the staff member active that day, from staging.stg_inputs__identities (the one place input rows
-- are resolved); unresolved rows keep staff_id NULL and say why in `resolution_note`.
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
        identities.resolved_staff_id as staff_id,
        identities.staff_note
    from deduplicated
    inner join staging.stg_inputs__identities as identities
        on identities.input_kind = 'wecom_groupchat'
        and identities.source_file = deduplicated.source_file
        and identities.source_record = deduplicated.source_record
        and identities.source_record_label = deduplicated.source_record_label
),

final as (
    select
        staff_id,
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
        staff_note as resolution_note,
        copies,
        source_file,
        source_record,
        source_record_label
    from resolved
)

select * from final
