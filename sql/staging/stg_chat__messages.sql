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

-- Deduplication: ranking every raw message by its key sorts all of them with all their columns, yet
-- a key rarely repeats. So the keys that repeat are found first (by a hash of the key: keys sharing a
-- hash only add messages to rank), only their messages are ranked, and the later copies are dropped.
repeated_key_hashes as (
    select hash(platform, source_key, message_id) as key_hash
    from raw.chat_messages
    group by all
    having count(*) > 1
),

later_copies as (
    select messages.rowid as raw_row
    from raw.chat_messages as messages
    semi join repeated_key_hashes
        on repeated_key_hashes.key_hash = hash(messages.platform, messages.source_key, messages.message_id)
    qualify row_number() over (
        partition by messages.platform, messages.source_key, messages.message_id
        order by messages.source_file, messages.source_record
    ) > 1
),

deduplicated as (
    select messages.*
    from raw.chat_messages as messages
    anti join later_copies
        on later_copies.raw_row = messages.rowid
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

-- A sender's staff identity depends only on (platform, handle, local date), so it is looked up once per
-- staff handle and day of the raw messages (every kept message's day is among them), not once per message.
staff_days as (
    select
        sender_days.platform,
        sender_days.sender_handle,
        sender_days.sent_date,
        min(staff.staff_id) as staff_id
    from (
        select distinct
            messages.platform,
            messages.sender_handle,
            timezone(settings.reporting_timezone, messages.sent_at)::date as sent_date
        from raw.chat_messages as messages
        cross join settings
        semi join raw.staff_handles as handles
            on handles.platform = messages.platform
            and handles.handle = messages.sender_handle
    ) as sender_days
    inner join raw.staff_handles as handles
        on handles.platform = sender_days.platform
        and handles.handle = sender_days.sender_handle
        and sender_days.sent_date >= coalesce(handles.valid_from, date '0001-01-01')
        and sender_days.sent_date <= coalesce(handles.valid_to, date '9999-12-31')
    inner join raw.staff as staff
        on staff.staff_id = handles.staff_id
        and sender_days.sent_date >= staff.active_from
        and sender_days.sent_date <= coalesce(staff.active_to, date '9999-12-31')
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
        staff_days.staff_id,
        (localised.is_bot or bots.handle is not null) as is_bot,
        case
            when staff_days.staff_id is null and not (localised.is_bot or bots.handle is not null)
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
    left join staff_days
        on staff_days.platform = localised.platform
        and staff_days.sender_handle = localised.sender_handle
        and staff_days.sent_date = localised.sent_date
        -- a message without a complete key never had a staff identity (it was matched by its key); the
        -- data-quality suite stops such messages
        and localised.source_key is not null
        and localised.message_id is not null
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
