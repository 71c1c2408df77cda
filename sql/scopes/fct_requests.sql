-- The request streams, (group_id, member_key), that a run of marts.fct_requests for the months
-- [$partition_start, $partition_end) computes again, whole (pipelines/sql_runner.py, `build_keys`).
-- A stream's requests depend only on its member's request messages, the staff messages of the group that
-- may answer them, and inputs that do not change without a full run (rubric, calendar, tickets, config).
-- So a stream changes only when one of those messages is in the months, and the streams listed here are:
--   * members who wrote in the months, or one adjacency window before them (an untargeted staff message
--     early in the first month answers requests whose latest message came up to a window earlier);
--   * members a staff message of the months @-mentions (by handle, name or contact name, as
--     marts.fct_requests matches them) or quotes: an answer may come months after the question (KPI_SPEC §3);
--   * streams whose present requests overlap the months: they also find what removed messages leave behind.
-- Every stream with a request in the months is thus rewritten, as for any partitioned model, and so is
-- every earlier stream the months' messages can answer, reopen or extend.
with

settings as (
    select * from raw.rubric_settings
),

in_months as (
    select group_id, member_key, staff_id, reply_to_message_id, mentions
    from staging.stg_chat__messages
    where sent_at >= $partition_start and sent_at < $partition_end
),

writers as (
    select messages.group_id, messages.member_key
    from staging.stg_chat__messages as messages
    cross join settings
    where messages.member_key is not null
        and messages.sent_at >= $partition_start
            - to_microseconds((settings.adjacency_window_minutes * 60000000)::bigint)
        and messages.sent_at < $partition_end
),

mentioned_aliases as (
    select distinct group_id, unnest(mentions) as alias
    from in_months
    where staff_id is not null and len(mentions) > 0
),

identities as (
    select distinct messages.group_id, messages.member_key, messages.platform, messages.sender_handle,
           messages.sender_name
    from staging.stg_chat__messages as messages
    semi join mentioned_aliases
        on mentioned_aliases.group_id = messages.group_id
    where messages.member_key is not null
),

member_aliases as (
    select identities.group_id, identities.member_key, aliases.alias
    from identities
    left join raw.contacts as contacts
        on contacts.platform = identities.platform
        and contacts.handle = identities.sender_handle,
        unnest([identities.sender_handle, identities.sender_name, contacts.name]) as aliases(alias)
),

mentioned as (
    select member_aliases.group_id, member_aliases.member_key
    from member_aliases
    semi join mentioned_aliases
        on mentioned_aliases.group_id = member_aliases.group_id
        and mentioned_aliases.alias = member_aliases.alias
),

quoted as (
    select quoted.group_id, quoted.member_key
    from in_months as reply
    inner join staging.stg_chat__messages as quoted
        on quoted.group_id = reply.group_id
        and quoted.message_id = reply.reply_to_message_id
    where reply.staff_id is not null and quoted.member_key is not null
),

recorded as (
    select group_id, member_key
    from marts.fct_requests
    where (opened_at < $partition_end and last_message_at >= $partition_start)
        or (responded_at >= $partition_start and responded_at < $partition_end)
)

select group_id, member_key from writers
union
select group_id, member_key from mentioned
union
select group_id, member_key from quoted
union
select group_id, member_key from recorded
