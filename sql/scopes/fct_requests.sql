-- The request streams, (group_id, member_key), that a run of marts.fct_requests for the months
-- [$partition_start, $partition_end) computes again, whole (pipelines/sql_runner.py, `build_keys`).
-- A stream's requests depend only on its member's request messages, the staff messages of the group that
-- may answer them, the names the member goes by, and inputs that do not change without a full run
-- (rubric, calendar, tickets, config). So a stream can change only through messages of the months, and
-- the streams listed here are:
--   * members with a request message in the months or one adjacency window before them (an untargeted
--     staff message early in the first month answers requests whose latest message came up to a window
--     earlier);
--   * members a staff message of the months @-mentions (by handle, name or contact name, as
--     marts.fct_requests matches them) or quotes: an answer may come months after the question (KPI_SPEC §3);
--   * members who wrote in the months under a name they never used outside them that some staff message of
--     the group mentions, whenever: a new name can make an old mention theirs;
--   * streams whose present requests overlap the months.
-- Rows removed since the last run (a replaced or deleted export) cannot be traced this way (a name
-- gone un-matches old mentions): the runner then binds every month, which lists every stream.
-- Every stream with a request in the months is thus rewritten, as for any partitioned model, and so is
-- every earlier stream the months' messages can answer, reopen, extend or name.
with

settings as (
    select * from raw.rubric_settings
),

in_months as (
    select group_id, staff_id, reply_to_message_id
    from staging.stg_chat__messages
    where sent_at >= $partition_start and sent_at < $partition_end
),

requesters as (
    select requests.group_id, requests.member_key
    from intermediate.int_messages__requests as requests
    cross join settings
    where requests.sent_at >= $partition_start
            - to_microseconds((settings.adjacency_window_minutes * 60000000)::bigint)
        and requests.sent_at < $partition_end
),

-- the names a member goes by, as marts.fct_requests matches @-mentions
member_aliases as (
    select identities.group_id, identities.member_key, aliases.alias, identities.in_months
    from (
        select distinct messages.group_id, messages.member_key, messages.platform, messages.sender_handle,
               messages.sender_name,
               messages.sent_at >= $partition_start and messages.sent_at < $partition_end as in_months
        from staging.stg_chat__messages as messages
        where messages.member_key is not null
    ) as identities
    left join raw.contacts as contacts
        on contacts.platform = identities.platform
        and contacts.handle = identities.sender_handle,
        unnest([identities.sender_handle, identities.sender_name, contacts.name]) as aliases(alias)
),

staff_mentions as (
    select distinct group_id, unnest(mentions) as alias,
           sent_at >= $partition_start and sent_at < $partition_end as in_months
    from staging.stg_chat__messages
    where staff_id is not null and len(mentions) > 0
),

-- an alias a member goes by in the months and never outside them: it may make an older mention theirs
new_aliases as (
    select group_id, member_key, alias
    from member_aliases
    group by all
    having bool_and(in_months)
),

named as (
    select member_aliases.group_id, member_aliases.member_key
    from member_aliases
    semi join staff_mentions
        on staff_mentions.group_id = member_aliases.group_id
        and staff_mentions.alias = member_aliases.alias
        and staff_mentions.in_months
    union
    select new_aliases.group_id, new_aliases.member_key
    from new_aliases
    semi join staff_mentions
        on staff_mentions.group_id = new_aliases.group_id
        and staff_mentions.alias = new_aliases.alias
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

select group_id, member_key from requesters
union
select group_id, member_key from named
union
select group_id, member_key from quoted
union
select group_id, member_key from recorded
