-- Months and quarters the data covers, oldest first (intermediate.int_periods).
-- Grain: (period_type, period). Incomplete periods are shown but marked: their figures can still change.
select
    period_type,
    period,
    period_start,
    period_end,
    is_complete
from intermediate.int_periods
order by period_type, period
