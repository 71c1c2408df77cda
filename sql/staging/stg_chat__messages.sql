-- One row per distinct chat message from every loaded export (KPI_SPEC §1, §3).
-- Grain: (platform, source_key, message_id); a message present in two overlapping exports is kept once
-- (first source file by path, then record). Adds: registry group (or an automatic `unassigned` group),
-- staff identity (handle valid on the message's local date and staff active then), bot flag, recall flag,
-- member pseudonym, local date/month/quarter in the reporting time zone, and `is_counted`
-- (not a recall record, not from a bot, not recalled). Raw handles stay in this internal layer only.
-- Partitions: monthly, by sent_at.
with

settings as (
    select * from raw.rubric_settings
),

deduplicated as (
    select *
    from raw.chat_messages
    qualify row_number() over (
        partition by platform, source_key, message_id
        order by source_file, source_record
    ) = 1
),

recalled as (
    select distinct platform, source_key, recalls_message_id as message_id
    from raw.chat_messages
    where kind = 'recall' and recalls_message_id is not null
),

localised as (
    select
        deduplicated.* replace (coalesce(deduplicated.is_bot, false) as is_bot),
        timezone(settings.reporting_timezone, deduplicated.sent_at)::date as sent_date
    from deduplicated
    cross join settings
),

staff_match as (
    select
        localised.platform,
        localised.source_key,
        localised.message_id,
        min(staff.staff_id) as staff_id
    from localised
    inner join raw.staff_handles as handles
        on handles.platform = localised.platform
        and handles.handle = localised.sender_handle
        and localised.sent_date >= coalesce(handles.valid_from, date '0001-01-01')
        and localised.sent_date <= coalesce(handles.valid_to, date '9999-12-31')
    inner join raw.staff as staff
        on staff.staff_id = handles.staff_id
        and localised.sent_date >= staff.active_from
        and localised.sent_date <= coalesce(staff.active_to, date '9999-12-31')
    group by all
),

final as (
    select
        localised.platform,
        localised.source_key,
        localised.message_id,
        coalesce(groups.group_id, 'auto:' || localised.platform || ':' || localised.source_key) as group_id,
        coalesce(groups.category, 'unassigned') as group_category,
        groups.calendar_id,
        localised.sent_at,
        localised.sent_date,
        strftime(localised.sent_date, '%Y-%m') as sent_month,
        year(localised.sent_date) || '-Q' || quarter(localised.sent_date) as sent_quarter,
        localised.sender_handle,
        localised.sender_name,
        staff_match.staff_id,
        (localised.is_bot or bots.handle is not null) as is_bot,
        case
            when staff_match.staff_id is null and not (localised.is_bot or bots.handle is not null)
                then pseudonyms.member_key
        end as member_key,
        localised.kind,
        localised.text,
        localised.reply_to_message_id,
        coalesce(localised.mentions, []) as mentions,
        recalled.message_id is not null as is_recalled,
        (
            localised.kind <> 'recall'
            and not (localised.is_bot or bots.handle is not null)
            and recalled.message_id is null
        ) as is_counted,
        localised.raw_type,
        localised.source_file,
        localised.source_record,
        localised.source_record_label
    from localised
    left join raw.groups as groups
        on groups.platform = localised.platform
        and groups.source_key = localised.source_key
    left join staff_match
        on staff_match.platform = localised.platform
        and staff_match.source_key = localised.source_key
        and staff_match.message_id = localised.message_id
    left join raw.bots as bots
        on bots.platform = localised.platform
        and bots.handle = localised.sender_handle
    left join raw.member_pseudonyms as pseudonyms
        on pseudonyms.platform = localised.platform
        and pseudonyms.handle = localised.sender_handle
    left join recalled
        on recalled.platform = localised.platform
        and recalled.source_key = localised.source_key
        and recalled.message_id = localised.message_id
)

select * from final
