-- Request-level evidence (KPI_SPEC §3): one row per request, with its response, business and calendar
-- response times, SLA, resolution and attribution, traceable to the source file and record of the
-- opening and the responding message.
-- Grain: request_id = group_id / member_key / burst number.
--
-- How bursts and responses are found, without a row-by-row state machine:
--   * For each (group, member), the candidate responses S are staff messages that mention the member,
--     quote one of the member's request messages, or target nobody and come within the adjacency window
--     after one of the member's request messages (then the member's latest request message, the
--     request's latest message, is within the window too).
--   * Merging the member's request messages Q and S in time order (S first on ties: a response must come
--     after the request opened), each Q's burst number is the count of S before it. Messages with the
--     same burst number form one request; its response is the next S, i.e. S number burst + 1.
--   * A quoting candidate only answers the request whose message it quotes: a quote of an older,
--     already answered request is dropped and the bursts are formed again (second pass).
--
-- Resolution (KPI_SPEC §3 "Resolved"): the chat rule — responded, and the requester opens no new request
-- in the group within `reopen_window_hours` after the response — unless a ticket covers the request; then
-- the ticket's final status wins, whatever the chats say (also for an unanswered request). A ticket
-- (staging.stg_tickets__tickets) covers a request when it names the same group and the same requester
-- (member_key: the ticket's customer, else the sender of its linked message) and was opened within
-- `ticket_match_minutes` (rubric, default 10) of the request, i.e. of its opening (§3: the clock starts
-- at the first message), on either side, because a helpdesk clock and a chat export may disagree by a
-- few minutes. Only tickets whose outcome
-- is known count (is_resolved not NULL: a resolved/closed ticket without a closed_at leaves the chat rule
-- in charge). Several covering tickets: the earliest opened decides, ties to the lowest ticket_id. One
-- ticket may cover more than one request of the same member (they are then the same issue).
-- `resolution_source` says which rule decided ('ticket' or 'chat_rule'), `resolution_ticket_id` names the
-- ticket, and `is_resolved_by_chat_rule` keeps what the chats alone say, so an explanation can show both.
-- Partitions: monthly, by opened_at.
with

settings as (
    select * from raw.rubric_settings
),

messages as (
    select * from intermediate.int_messages__classified
),

request_messages as (
    select group_id, member_key, message_id, sent_at, is_complaint, source_file, source_record,
           source_record_label
    from messages
    where is_request_message
),

staff_messages as (
    select group_id, message_id, sent_at, staff_id, reply_to_message_id, mentions,
           reply_to_message_id is null and len(mentions) = 0 as is_untargeted,
           source_file, source_record, source_record_label
    from messages
    where staff_id is not null
),

-- Names and handles a member goes by in a group, for matching @-mentions (plus the contact directory's
-- name for formats whose exports carry no sender names, e.g. WeCom).
member_aliases as (
    select distinct messages.group_id, messages.member_key, aliases.alias
    from messages
    left join raw.contacts as contacts
        on contacts.platform = messages.platform
        and contacts.handle = messages.sender_handle,
        unnest([messages.sender_handle, messages.sender_name, contacts.name]) as aliases(alias)
    where messages.member_key is not null and aliases.alias is not null and aliases.alias <> ''
),

requesters as (
    select distinct group_id, member_key from request_messages
),

mention_candidates as (
    select staff_messages.group_id, member_aliases.member_key, staff_messages.message_id,
           null::varchar as quoted_message_id
    from staff_messages,
        unnest(staff_messages.mentions) as mentioned(alias)
    inner join member_aliases
        on member_aliases.group_id = staff_messages.group_id
        and member_aliases.alias = mentioned.alias
    inner join requesters
        on requesters.group_id = member_aliases.group_id
        and requesters.member_key = member_aliases.member_key
),

quote_candidates as (
    select staff_messages.group_id, request_messages.member_key, staff_messages.message_id,
           request_messages.message_id as quoted_message_id
    from staff_messages
    inner join request_messages
        on request_messages.group_id = staff_messages.group_id
        and request_messages.message_id = staff_messages.reply_to_message_id
        and request_messages.sent_at < staff_messages.sent_at
),

untargeted_candidates as (
    select distinct staff_messages.group_id, request_messages.member_key, staff_messages.message_id,
           null::varchar as quoted_message_id
    from staff_messages
    cross join settings
    inner join request_messages
        on request_messages.group_id = staff_messages.group_id
        and staff_messages.sent_at > request_messages.sent_at
        and staff_messages.sent_at <= request_messages.sent_at
            + to_microseconds((settings.adjacency_window_minutes * 60000000)::bigint)
    where staff_messages.is_untargeted
),

-- A staff message answering a member through several paths counts once; it is a quote-only
-- candidate (subject to the second pass) only when no other path applies.
candidates as (
    select group_id, member_key, message_id,
           bool_and(quoted_message_id is not null) as is_quote_only,
           min(quoted_message_id) as quoted_message_id
    from (
        select * from mention_candidates
        union all select * from quote_candidates
        union all select * from untargeted_candidates
    )
    group by all
),

candidate_events as (
    select candidates.*, staff_messages.sent_at
    from candidates
    inner join staff_messages
        on staff_messages.group_id = candidates.group_id
        and staff_messages.message_id = candidates.message_id
),

-- Pass 1: bursts from all candidates.
stream_first as (
    select group_id, member_key, message_id, sent_at, 1 as is_response, 0 as tie_order from candidate_events
    union all
    select group_id, member_key, message_id, sent_at, 0 as is_response, 1 as tie_order from request_messages
),

numbered_first as (
    select
        *,
        sum(is_response) over (
            partition by group_id, member_key order by sent_at, tie_order, message_id
            rows between unbounded preceding and current row
        ) as responses_so_far
    from stream_first
),

-- Quote-only candidates that would close a burst other than the quoted message's one.
stale_quotes as (
    select candidate.group_id, candidate.member_key, candidate.message_id
    from numbered_first as candidate
    inner join candidate_events
        on candidate_events.group_id = candidate.group_id
        and candidate_events.member_key = candidate.member_key
        and candidate_events.message_id = candidate.message_id
    inner join numbered_first as quoted
        on quoted.group_id = candidate.group_id
        and quoted.member_key = candidate.member_key
        and quoted.message_id = candidate_events.quoted_message_id
        and quoted.is_response = 0
    where candidate.is_response = 1
        and candidate_events.is_quote_only
        and quoted.responses_so_far <> candidate.responses_so_far - 1
),

-- Pass 2: bursts from the valid candidates.
stream as (
    select candidate_events.group_id, candidate_events.member_key, candidate_events.message_id,
           candidate_events.sent_at, 1 as is_response, 0 as tie_order
    from candidate_events
    anti join stale_quotes
        on stale_quotes.group_id = candidate_events.group_id
        and stale_quotes.member_key = candidate_events.member_key
        and stale_quotes.message_id = candidate_events.message_id
    union all
    select group_id, member_key, message_id, sent_at, 0 as is_response, 1 as tie_order from request_messages
),

numbered as (
    select
        *,
        sum(is_response) over (
            partition by group_id, member_key order by sent_at, tie_order, message_id
            rows between unbounded preceding and current row
        ) as responses_so_far
    from stream
),

bursts as (
    select
        numbered.group_id,
        numbered.member_key,
        numbered.responses_so_far as burst_number,
        min(numbered.sent_at) as opened_at,
        max(numbered.sent_at) as last_message_at,
        count(*) as request_message_count,
        arg_min(numbered.message_id, (numbered.sent_at, numbered.message_id)) as opening_message_id,
        bool_or(request_messages.is_complaint) as is_complex
    from numbered
    inner join request_messages
        on request_messages.group_id = numbered.group_id
        and request_messages.message_id = numbered.message_id
    where numbered.is_response = 0
    group by all
),

responses as (
    select group_id, member_key, responses_so_far - 1 as burst_number, message_id as response_message_id,
           sent_at as responded_at
    from numbered
    where is_response = 1
),

answered as (
    select
        bursts.*,
        responses.response_message_id,
        responses.responded_at,
        groups.calendar_id,
        groups.owner_staff_id,
        staff_messages.staff_id as responder_staff_id,
        staff_messages.source_file as response_source_file,
        staff_messages.source_record as response_source_record
    from bursts
    left join responses
        on responses.group_id = bursts.group_id
        and responses.member_key = bursts.member_key
        and responses.burst_number = bursts.burst_number
    left join staff_messages
        on staff_messages.group_id = responses.group_id
        and staff_messages.message_id = responses.response_message_id
    inner join raw.groups as groups
        on groups.group_id = bursts.group_id
),

-- Open minutes elapsed on the group's calendar up to each instant (see int_calendar__open_intervals):
-- one ASOF join over both instants of every request.
instants as (
    select group_id, member_key, burst_number, calendar_id, instant.*
    from answered,
        unnest([
            {'instant_kind': 'opened', 'instant_at': opened_at},
            {'instant_kind': 'responded', 'instant_at': responded_at}
        ]) as instants(instant)
    where instant.instant_at is not null
),

clock as (
    select
        instants.group_id, instants.member_key, instants.burst_number,
        max(case when instants.instant_kind = 'opened' then instants.open_minutes_until end) as opened_minutes,
        max(case when instants.instant_kind = 'responded' then instants.open_minutes_until end) as responded_minutes
    from (
        select instants.*,
               coalesce(intervals.cumulative_minutes_before + least(
                   intervals.open_minutes,
                   date_diff('second', intervals.opens_at, instants.instant_at) / 60.0
               ), 0) as open_minutes_until
        from instants
        asof left join intermediate.int_calendar__open_intervals as intervals
            on intervals.calendar_id = instants.calendar_id
            and instants.instant_at >= intervals.opens_at
    ) as instants
    group by all
),

timed as (
    select
        answered.*,
        clock.responded_minutes - clock.opened_minutes as response_business_minutes,
        date_diff('second', answered.opened_at, answered.responded_at) / 60.0 as response_calendar_minutes,
        lead(answered.opened_at) over (
            partition by answered.group_id, answered.member_key order by answered.burst_number
        ) as next_request_opened_at
    from answered
    inner join clock
        on clock.group_id = answered.group_id
        and clock.member_key = answered.member_key
        and clock.burst_number = answered.burst_number
),

tickets as (
    select ticket_id, group_id, member_key, opened_at, is_resolved
    from staging.stg_tickets__tickets
    where group_id is not null and member_key is not null and is_resolved is not null
),

covering_tickets as (
    select
        timed.group_id,
        timed.member_key,
        timed.burst_number,
        tickets.ticket_id,
        tickets.is_resolved
    from timed
    cross join settings
    inner join tickets
        on tickets.group_id = timed.group_id
        and tickets.member_key = timed.member_key
        and tickets.opened_at >= timed.opened_at
            - to_microseconds((settings.ticket_match_minutes * 60000000)::bigint)
        and tickets.opened_at <= timed.opened_at
            + to_microseconds((settings.ticket_match_minutes * 60000000)::bigint)
    qualify row_number() over (
        partition by timed.group_id, timed.member_key, timed.burst_number
        order by tickets.opened_at, tickets.ticket_id
    ) = 1
),

judged as (
    select
        timed.*,
        timed.responded_at is not null and (
            timed.next_request_opened_at is null
            or timed.next_request_opened_at > timed.responded_at
                + to_microseconds((settings.reopen_window_hours * 3600000000)::bigint)
        ) as is_resolved_by_chat_rule,
        covering_tickets.ticket_id as resolution_ticket_id,
        covering_tickets.is_resolved as ticket_is_resolved
    from timed
    cross join settings
    left join covering_tickets
        on covering_tickets.group_id = timed.group_id
        and covering_tickets.member_key = timed.member_key
        and covering_tickets.burst_number = timed.burst_number
),

final as (
    select
        judged.group_id || '/' || judged.member_key || '/' || judged.burst_number as request_id,
        judged.group_id,
        judged.member_key,
        judged.burst_number,
        case when judged.is_complex then 'complex' else 'general' end as request_type,
        judged.is_complex,
        judged.opened_at,
        judged.last_message_at,
        judged.request_message_count,
        strftime(timezone(settings.reporting_timezone, judged.opened_at), '%Y-%m') as opened_month,
        year(timezone(settings.reporting_timezone, judged.opened_at)) || '-Q'
            || quarter(timezone(settings.reporting_timezone, judged.opened_at)) as opened_quarter,
        judged.responded_at is not null as is_responded,
        judged.responded_at,
        judged.responder_staff_id,
        round(judged.response_business_minutes, 4) as response_business_minutes,
        round(judged.response_calendar_minutes, 4) as response_calendar_minutes,
        coalesce(
            case
                when judged.is_complex then judged.response_calendar_minutes <= settings.sla_complex_calendar_minutes
                else judged.response_business_minutes <= settings.sla_general_business_minutes
            end,
            false
        ) as is_within_sla,
        coalesce(judged.ticket_is_resolved, judged.is_resolved_by_chat_rule) as is_resolved,
        case when judged.resolution_ticket_id is not null then 'ticket' else 'chat_rule' end as resolution_source,
        judged.resolution_ticket_id,
        judged.is_resolved_by_chat_rule,
        coalesce(judged.responder_staff_id, judged.owner_staff_id) as attributed_staff_id,
        case when judged.responded_at is null then 'unanswered_owner' else 'responder' end as attribution,
        judged.opening_message_id,
        opening.source_file as opening_source_file,
        opening.source_record as opening_source_record,
        opening.source_record_label as opening_source_record_label,
        judged.response_message_id,
        judged.response_source_file,
        judged.response_source_record,
        settings.rubric_version
    from judged
    cross join settings
    inner join request_messages as opening
        on opening.group_id = judged.group_id
        and opening.message_id = judged.opening_message_id
)

select * from final
