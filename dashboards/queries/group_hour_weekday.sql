-- Counted messages per group, ISO weekday (1 = Monday) and hour, in the reporting time zone of the rubric
-- (the same local time staging uses for dates and periods, KPI_SPEC §2). Counts only.
-- Grain: (group_id, weekday, hour).
with

settings as (
    select reporting_timezone from raw.rubric_settings
),

localised as (
    select
        messages.group_id,
        timezone(settings.reporting_timezone, messages.sent_at) as sent_local
    from staging.stg_chat__messages as messages
    cross join settings
    where messages.is_counted
)

select
    group_id,
    isodow(sent_local) as weekday,
    hour(sent_local) as hour,
    count(*) as messages
from localised
group by all
order by group_id, weekday, hour
