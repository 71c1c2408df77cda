-- Workload per staff member and month: their own counted messages and the groups they wrote in, the
-- requests they answered (by month opened) and the unanswered requests counted against them as group
-- owner (KPI_SPEC §3 Attribution). Grain: (staff_id, month).
with

messages as (
    select
        staff_id,
        sent_month as month,
        count(*) as staff_messages,
        count(distinct group_id) as groups_written_in
    from staging.stg_chat__messages
    where is_counted and staff_id is not null
    group by all
),

answered as (
    select responder_staff_id as staff_id, opened_month as month, count(*) as requests_answered
    from marts.fct_requests
    where is_responded and responder_staff_id is not null
    group by all
),

unanswered as (
    select attributed_staff_id as staff_id, opened_month as month, count(*) as requests_unanswered
    from marts.fct_requests
    where not is_responded and attributed_staff_id is not null
    group by all
),

keys as (
    select staff_id, month from messages
    union
    select staff_id, month from answered
    union
    select staff_id, month from unanswered
),

final as (
    select
        keys.staff_id,
        keys.month,
        coalesce(messages.staff_messages, 0) as staff_messages,
        coalesce(messages.groups_written_in, 0) as groups_written_in,
        coalesce(answered.requests_answered, 0) as requests_answered,
        coalesce(unanswered.requests_unanswered, 0) as requests_unanswered
    from keys
    left join messages on messages.staff_id = keys.staff_id and messages.month = keys.month
    left join answered on answered.staff_id = keys.staff_id and answered.month = keys.month
    left join unanswered on unanswered.staff_id = keys.staff_id and unanswered.month = keys.month
)

select * from final
order by staff_id, month
