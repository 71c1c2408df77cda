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
-- Partitions: monthly, by opened_at. A run for some months rewrites whole streams (sql/scopes/fct_requests.sql).
with

settings as (
    select * from raw.rubric_settings
),

-- Each reader of the classified messages reads only its own columns and rows: one shared CTE of
-- all two million messages would be held in memory for its readers.
request_messages as (
    select group_id, member_key, message_id, sent_at, is_complaint, source_file, source_record,
           source_record_label
    from intermediate.int_messages__requests
    -- a run for some months computes only the streams sql/scopes/fct_requests.sql lists; everything else
    -- here derives from these rows, so it follows
    --scoped: semi join scope_keys using (group_id, member_key)
),

staff_messages as (
    select group_id, message_id, sent_at, staff_id, reply_to_message_id, mentions,
           reply_to_message_id is null and len(mentions) = 0 as is_untargeted,
           source_file, source_record, source_record_label
    from intermediate.int_messages__classified
    where staff_id is not null
),

requesters as (
    select distinct group_id, member_key from request_messages
),

-- Names and handles a requester goes by in a group, for matching @-mentions (plus the contact directory's
-- name for formats whose exports carry no sender names, e.g. WeCom). Only requesters: a mention of anyone
-- else answers nothing. Each distinct sender identity is looked up once, not once per message.
requester_identities as (
    select distinct messages.group_id, messages.member_key, messages.platform, messages.sender_handle,
           messages.sender_name
    from intermediate.int_messages__classified as messages
    semi join requesters
        on requesters.group_id = messages.group_id
        and requesters.member_key = messages.member_key
),

member_aliases as (
    select distinct requester_identities.group_id, requester_identities.member_key, aliases.alias
    from requester_identities
    left join raw.contacts as contacts
        on contacts.platform = requester_identities.platform
        and contacts.handle = requester_identities.sender_handle,
        unnest([requester_identities.sender_handle, requester_identities.sender_name, contacts.name])
            as aliases(alias)
    where aliases.alias is not null and aliases.alias <> ''
),

mention_candidates as (
    select mentions.group_id, member_aliases.member_key, mentions.message_id, mentions.sent_at,
           null::varchar as quoted_message_id
    from (
        -- unnest in the select list: a lateral unnest would be planned as a join back to its input
        select group_id, message_id, sent_at, unnest(mentions) as alias
        from staff_messages
        where len(mentions) > 0
    ) as mentions
    inner join member_aliases
        on member_aliases.group_id = mentions.group_id
        and member_aliases.alias = mentions.alias
),

quote_candidates as (
    select staff_messages.group_id, request_messages.member_key, staff_messages.message_id,
           staff_messages.sent_at, request_messages.message_id as quoted_message_id
    from staff_messages
    inner join request_messages
        on request_messages.group_id = staff_messages.group_id
        and request_messages.message_id = staff_messages.reply_to_message_id
        and request_messages.sent_at < staff_messages.sent_at
),

-- The adjacency window is a range condition: joined on the group alone, every untargeted staff message
-- meets every request message of its group (~140 million pairs at 2 million messages). Time cut into
-- slots one window long adds an equality: a staff message within the window after a request message
-- is in the request message's slot or the next one, so it is paired with the request messages of its
-- own slot and of the slot before; the exact window condition then decides.
window_slots as (
    select greatest((settings.adjacency_window_minutes * 60000000)::bigint, 1) as slot_microseconds
    from settings
),

request_slots as (
    select request_messages.group_id, request_messages.member_key, request_messages.sent_at,
           epoch_us(request_messages.sent_at) // window_slots.slot_microseconds as slot
    from request_messages
    cross join window_slots
),

untargeted_slots as (
    select staff_messages.group_id, staff_messages.message_id, staff_messages.sent_at,
           epoch_us(staff_messages.sent_at) // window_slots.slot_microseconds - slot_offsets.slot_offset as slot
    from staff_messages
    cross join window_slots
    cross join (values (0), (1)) as slot_offsets(slot_offset)
    where staff_messages.is_untargeted
),

untargeted_candidates as (
    select untargeted_slots.group_id, request_slots.member_key, untargeted_slots.message_id,
           untargeted_slots.sent_at, null::varchar as quoted_message_id
    from untargeted_slots
    cross join settings
    inner join request_slots
        on request_slots.group_id = untargeted_slots.group_id
        and request_slots.slot = untargeted_slots.slot
        and untargeted_slots.sent_at > request_slots.sent_at
        and untargeted_slots.sent_at <= request_slots.sent_at
            + to_microseconds((settings.adjacency_window_minutes * 60000000)::bigint)
),

-- A staff message answering a member through several paths (or one path several times) counts once; it
-- is a quote-only candidate (subject to the second pass) only when no other path applies.
-- Not materialized (here and `numbered_first`): DuckDB keeps a CTE read several times in memory whole,
-- and at 10 million messages these two alone outgrow the warehouse's 2 GB limit (it cannot spill them);
-- computed again for each reader they stream, at about the same speed.
candidate_events as not materialized (
    select group_id, member_key, message_id, sent_at,
           bool_and(quoted_message_id is not null) as is_quote_only,
           min(quoted_message_id) as quoted_message_id
    from (
        select * from mention_candidates
        union all select * from quote_candidates
        union all select * from untargeted_candidates
    )
    group by all
),

-- Pass 1: bursts from all candidates. Each stream row also gets the opening of the next request after
-- it (for a response: when the member asked again, for the chat rule of resolution), from the same sort.
stream_first as (
    select group_id, member_key, message_id, sent_at, 1 as is_response, 0 as tie_order, null as is_complaint
    from candidate_events
    union all
    select group_id, member_key, message_id, sent_at, 0 as is_response, 1 as tie_order, is_complaint
    from request_messages
),

numbered_first as not materialized (
    select
        *,
        sum(is_response) over stream_order as responses_so_far,
        lag(is_response, 1, 1) over stream_order as follows_response,
        min(case when is_response = 0 then sent_at end) over (
            stream_order rows between 1 following and unbounded following
        ) as next_request_opened_at
    from stream_first
    window stream_order as (partition by group_id, member_key order by sent_at, tie_order, message_id)
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

-- Pass 2: bursts from the valid candidates. Only the (group, member) streams that lost a stale quote are
-- numbered again; every other stream is the same as in pass 1 and keeps its pass-1 numbers (a second
-- window over all ~800,000 stream rows would only give them again).
restreamed_members as (
    select distinct group_id, member_key from stale_quotes
),

stream as (
    select candidate_events.group_id, candidate_events.member_key, candidate_events.message_id,
           candidate_events.sent_at, 1 as is_response, 0 as tie_order, null as is_complaint
    from candidate_events
    semi join restreamed_members
        on restreamed_members.group_id = candidate_events.group_id
        and restreamed_members.member_key = candidate_events.member_key
    anti join stale_quotes
        on stale_quotes.group_id = candidate_events.group_id
        and stale_quotes.member_key = candidate_events.member_key
        and stale_quotes.message_id = candidate_events.message_id
    union all
    select request_messages.group_id, request_messages.member_key, request_messages.message_id,
           request_messages.sent_at, 0 as is_response, 1 as tie_order, request_messages.is_complaint
    from request_messages
    semi join restreamed_members
        on restreamed_members.group_id = request_messages.group_id
        and restreamed_members.member_key = request_messages.member_key
),

numbered as (
    select numbered_first.*
    from numbered_first
    anti join restreamed_members
        on restreamed_members.group_id = numbered_first.group_id
        and restreamed_members.member_key = numbered_first.member_key
    union all
    select
        *,
        sum(is_response) over stream_order as responses_so_far,
        lag(is_response, 1, 1) over stream_order as follows_response,
        min(case when is_response = 0 then sent_at end) over (
            stream_order rows between 1 following and unbounded following
        ) as next_request_opened_at
    from stream
    window stream_order as (partition by group_id, member_key order by sent_at, tie_order, message_id)
),

-- Each burst and its response in one pass over the stream: a burst's rows are the request rows numbered n,
-- its response the candidate numbered n + 1 (the next one after them), and the next request opened after
-- the response is what that candidate saw ahead of it. A candidate numbered past the last burst answers
-- nothing (no request rows: dropped). A burst's rows lie together in stream order, so its opening (the
-- earliest, ties to the lowest message id) is its row that follows a candidate or starts the stream.
bursts as (
    select
        group_id,
        member_key,
        responses_so_far - is_response as burst_number,
        min(sent_at) filter (where is_response = 0) as opened_at,
        max(sent_at) filter (where is_response = 0) as last_message_at,
        count(*) filter (where is_response = 0) as request_message_count,
        any_value(message_id) filter (where is_response = 0 and follows_response = 1) as opening_message_id,
        bool_or(is_complaint) filter (where is_response = 0) as is_complex,
        any_value(message_id) filter (where is_response = 1) as response_message_id,
        any_value(sent_at) filter (where is_response = 1) as responded_at,
        any_value(next_request_opened_at) filter (where is_response = 1) as next_request_opened_at
    from numbered
    group by all
    having count(*) filter (where is_response = 0) > 0
),

answered as (
    select
        bursts.*,
        groups.calendar_id,
        groups.owner_staff_id,
        staff_messages.staff_id as responder_staff_id,
        staff_messages.source_file as response_source_file,
        staff_messages.source_record as response_source_record
    from bursts
    left join staff_messages
        on staff_messages.group_id = bursts.group_id
        and staff_messages.message_id = bursts.response_message_id
    inner join raw.groups as groups
        on groups.group_id = bursts.group_id
),

-- Open minutes elapsed on the group's calendar up to an instant (see int_calendar__open_intervals): from
-- the last interval opening at or before it. An interval is that last one from its opening until the next
-- interval opens (its span); listing each span under every UTC day it touches turns the lookup into an
-- equality on (calendar, day) plus a range check, a hash join, instead of an ASOF join that sorts every
-- instant within its calendar. Instants before the first or after the last listed day look on that day.
calendar_spans as (
    select
        calendar_id,
        opens_at,
        open_minutes,
        cumulative_minutes_before,
        lead(opens_at) over (partition by calendar_id order by opens_at) as next_opens_at
    from intermediate.int_calendar__open_intervals
),

span_days as (
    select
        calendar_spans.calendar_id,
        calendar_spans.opens_at,
        coalesce(calendar_spans.next_opens_at, 'infinity'::timestamptz) as span_ends_at,
        calendar_spans.open_minutes,
        calendar_spans.cumulative_minutes_before,
        span_day
    from calendar_spans,
        unnest(range(
            epoch_us(calendar_spans.opens_at) // 86400000000,
            epoch_us(coalesce(calendar_spans.next_opens_at, calendar_spans.opens_at)) // 86400000000 + 1
        )) as days(span_day)
),

calendar_days as (
    select calendar_id, min(span_day) as first_day, max(span_day) as last_day
    from span_days
    group by all
),

instant_days as (
    select
        answered.*,
        least(greatest(epoch_us(answered.opened_at) // 86400000000, calendar_days.first_day),
              calendar_days.last_day) as opened_day,
        least(greatest(epoch_us(answered.responded_at) // 86400000000, calendar_days.first_day),
              calendar_days.last_day) as responded_day
    from answered
    left join calendar_days
        on calendar_days.calendar_id = answered.calendar_id
),

timed as (
    select
        instant_days.* exclude (opened_day, responded_day),
        case when instant_days.responded_at is not null then coalesce(responded_span.cumulative_minutes_before
            + least(responded_span.open_minutes,
                    date_diff('second', responded_span.opens_at, instant_days.responded_at) / 60.0), 0) end
        - coalesce(opened_span.cumulative_minutes_before
            + least(opened_span.open_minutes,
                    date_diff('second', opened_span.opens_at, instant_days.opened_at) / 60.0), 0)
            as response_business_minutes,
        date_diff('second', instant_days.opened_at, instant_days.responded_at) / 60.0 as response_calendar_minutes
    from instant_days
    left join span_days as opened_span
        on opened_span.calendar_id = instant_days.calendar_id
        and opened_span.span_day = instant_days.opened_day
        and instant_days.opened_at >= opened_span.opens_at
        and instant_days.opened_at < opened_span.span_ends_at
    left join span_days as responded_span
        on responded_span.calendar_id = instant_days.calendar_id
        and responded_span.span_day = instant_days.responded_day
        and instant_days.responded_at >= responded_span.opens_at
        and instant_days.responded_at < responded_span.span_ends_at
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
