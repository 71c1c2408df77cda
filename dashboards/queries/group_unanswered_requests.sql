-- The latest unanswered requests of each group (at most 20), with the group's total: when they opened
-- (reporting time zone), their type, the requester's pseudonym and the staff member they count against
-- (the group owner, KPI_SPEC §3 Attribution). Never the question's text.
-- Grain: request_id.
with

settings as (
    select reporting_timezone from raw.rubric_settings
),

unanswered as (
    select
        requests.request_id,
        requests.group_id,
        requests.opened_at,
        strftime(timezone(settings.reporting_timezone, requests.opened_at), '%Y-%m-%d %H:%M') as opened_local,
        requests.request_type,
        requests.member_key,
        requests.attributed_staff_id,
        count(*) over (partition by requests.group_id) as group_total
    from marts.fct_requests as requests
    cross join settings
    where not requests.is_responded
)

select
    request_id,
    group_id,
    opened_local,
    request_type,
    member_key,
    attributed_staff_id,
    group_total
from unanswered
qualify row_number() over (partition by group_id order by opened_at desc, request_id) <= 20
order by group_id, opened_at desc, request_id
