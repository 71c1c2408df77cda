-- Reporting periods covered by the data: every local month and quarter from the first to the last
-- message date (KPI_SPEC §2). Grain: (period_type, period). `is_complete` when the data reaches the
-- period's last day; only complete quarters are published.
with

bounds as (
    select min(sent_date) as first_date, max(sent_date) as last_date
    from staging.stg_chat__messages
),

months as (
    select unnest(generate_series(
        date_trunc('month', first_date), date_trunc('month', last_date), interval 1 month
    ))::date as period_start
    from bounds
    where first_date is not null
),

quarters as (
    select unnest(generate_series(
        date_trunc('quarter', first_date), date_trunc('quarter', last_date), interval 3 month
    ))::date as period_start
    from bounds
    where first_date is not null
),

periods as (
    select
        'month' as period_type,
        strftime(period_start, '%Y-%m') as period,
        period_start,
        (period_start + interval 1 month - interval 1 day)::date as period_end
    from months
    union all
    select
        'quarter' as period_type,
        year(period_start) || '-Q' || quarter(period_start) as period,
        period_start,
        (period_start + interval 3 month - interval 1 day)::date as period_end
    from quarters
),

final as (
    select
        periods.*,
        date_diff('day', periods.period_start, periods.period_end) + 1 as days_in_period,
        bounds.last_date >= periods.period_end as is_complete
    from periods
    cross join bounds
)

select * from final
