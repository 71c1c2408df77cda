-- WeCom 客户联系统计 per staff member and day (KPI_SPEC §4.4 negative_feedback_rate), from
-- raw.wecom_user_behavior. Grain: (userid, stat_date).
-- De-duplication: the same (userid, stat_date) delivered in several files counts once; the copy in the
-- file whose path sorts last wins (saved calls are named by date, so a later re-pull of a day replaces
-- the earlier one), then the later record of that file. `copies` says how many copies were seen.
-- Identity: userid -> staff_id through a roster handle (platform 'wecom') valid on stat_date, with the
-- staff member active on that day (as for chat senders, KPI_SPEC §1), from staging.stg_inputs__identities
-- (the one place input rows are resolved). Unresolved rows keep staff_id NULL and say why in
-- `resolution_note`; metrics skip them.
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
        identities.resolved_staff_id as staff_id,
        identities.staff_note
    from deduplicated
    inner join staging.stg_inputs__identities as identities
        on identities.input_kind = 'wecom_behavior'
        and identities.source_file = deduplicated.source_file
        and identities.source_record = deduplicated.source_record
        and identities.source_record_label = deduplicated.source_record_label
),

final as (
    select
        staff_id,
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
        staff_note as resolution_note,
        copies,
        source_file,
        source_record,
        source_record_label
    from resolved
)

select * from final
