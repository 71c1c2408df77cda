-- One row: what every page footer and chart needs to know about the data as a whole.
-- Grain: the warehouse. `as_of_date` is the last local date with a message (reporting time zone), the
-- only date the site prints: regenerating from unchanged data must give identical files.
with

settings as (
    select * from raw.rubric_settings
),

messages as (
    select max(sent_date) as as_of_date
    from staging.stg_chat__messages
),

final as (
    select
        settings.rubric_version,
        settings.reporting_timezone,
        settings.sla_general_business_minutes,
        settings.sla_complex_calendar_minutes,
        settings.not_rated_min_weight,
        messages.as_of_date
    from settings
    cross join messages
)

select * from final
