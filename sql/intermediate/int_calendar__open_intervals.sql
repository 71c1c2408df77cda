-- Open business intervals per calendar as UTC instants, with the open minutes accumulated before each
-- (KPI_SPEC §2). Grain: (calendar_id, opens_at).
-- business_minutes(t1, t2) = open_minutes_until(t2) - open_minutes_until(t1), where
-- open_minutes_until(t) = cumulative_minutes_before + least(open_minutes, minutes since opens_at) of the
-- last interval opening at or before t: one ASOF join instead of a range join per request.
with

intervals as (
    select * from raw.calendar_open_intervals
),

final as (
    select
        calendar_id,
        local_date,
        opens_at,
        closes_at,
        date_diff('second', opens_at, closes_at) / 60.0 as open_minutes,
        coalesce(
            sum(date_diff('second', opens_at, closes_at) / 60.0) over (
                partition by calendar_id order by opens_at
                rows between unbounded preceding and 1 preceding
            ),
            0
        ) as cumulative_minutes_before
    from intervals
)

select * from final
