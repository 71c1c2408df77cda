"""Partitions and period labels.

Monthly partitions carry the chat-derived KPI tables, quarterly ones the grades and the HR files.
Both use one time zone (Asia/Shanghai) and one start so a quarter maps onto exactly its three
months. A partition key is the period's first day (`2026-07-01`); the rows a partition owns are
chosen by period *label* (`2026-07`, `2026-Q3`) in the rubric's reporting time zone, so the
partition boundaries never disagree with the periods the SQL computes.

Both include the period in progress (`end_offset=1`): analysts see this month's KPIs so far; the
schedules pick the period that just closed, and HR files are published for complete quarters only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import dagster as dg

REPORTING_TIMEZONE = "Asia/Shanghai"

#: The run tags of a partitioned run: one partition, or a range of them in one run.
PARTITION_TAG = "dagster/partition"
RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"

#: The first partition. Data before it is not computed (the run summary says so).
PARTITIONS_START = "2018-01-01"

monthly_partitions = dg.MonthlyPartitionsDefinition(
    start_date=PARTITIONS_START, timezone=REPORTING_TIMEZONE, end_offset=1, fmt="%Y-%m-%d"
)

quarterly_partitions = dg.TimeWindowPartitionsDefinition(
    cron_schedule="0 0 1 1,4,7,10 *",
    start=PARTITIONS_START,
    fmt="%Y-%m-%d",
    timezone=REPORTING_TIMEZONE,
    end_offset=1,
)


def quarter_label(day: dt.date) -> str:
    """`2026-Q3` for any date in that quarter (the label HR and the folders use)."""
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def month_label(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def quarter_from_partition_key(partition_key: str) -> str:
    return quarter_label(dt.date.fromisoformat(partition_key))


def partition_key_from_quarter(quarter: str) -> str:
    year, q = parse_quarter(quarter)
    return dt.date(year, 3 * (q - 1) + 1, 1).isoformat()


def parse_quarter(quarter: str) -> tuple[int, int]:
    """`2026-Q3` -> (2026, 3); raises ValueError with the expected form otherwise."""
    try:
        year, q = quarter.upper().split("-Q")
        year_i, q_i = int(year), int(q)
    except ValueError:
        raise ValueError(f"'{quarter}' is not a quarter like 2026-Q3") from None
    if not 1 <= q_i <= 4:
        raise ValueError(f"'{quarter}' is not a quarter like 2026-Q3")
    return year_i, q_i


def quarter_bounds(quarter: str) -> tuple[dt.date, dt.date]:
    """First and last local date of a quarter."""
    year, q = parse_quarter(quarter)
    first = dt.date(year, 3 * (q - 1) + 1, 1)
    next_first = dt.date(year + (q == 4), 1 if q == 4 else 3 * q + 1, 1)
    return first, next_first - dt.timedelta(days=1)


def _next_month(day: dt.date) -> dt.date:
    return dt.date(day.year + (day.month == 12), day.month % 12 + 1, 1)


@dataclass(frozen=True)
class PeriodScope:
    """The local months `[first_month, end_month)` a partition (or a range of them) owns.

    `labels` are the period labels whose rows it rewrites: its months and every quarter that
    contains one of them (a month's data changes its quarter's figures too).
    """

    first_month: dt.date
    end_month: dt.date

    @classmethod
    def from_time_window(cls, window: dg.TimeWindow) -> PeriodScope:
        return cls(window.start.date().replace(day=1), window.end.date().replace(day=1))

    @classmethod
    def from_months(cls, first: dt.date, last: dt.date) -> PeriodScope:
        return cls(first.replace(day=1), _next_month(last.replace(day=1)))

    @property
    def months(self) -> list[dt.date]:
        months, day = [], self.first_month
        while day < self.end_month:
            months.append(day)
            day = _next_month(day)
        return months

    @property
    def labels(self) -> list[str]:
        months = self.months
        quarters = sorted({quarter_label(day) for day in months})
        return [month_label(day) for day in months] + quarters

    @property
    def quarter_months(self) -> PeriodScope:
        """The whole quarters this scope touches (the rows a quarter-level model rewrites)."""
        first = self.first_month.replace(month=3 * ((self.first_month.month - 1) // 3) + 1)
        last_month = self.months[-1] if self.months else self.first_month
        last = dt.date(last_month.year, 3 * ((last_month.month - 1) // 3) + 3, 1)
        return PeriodScope.from_months(first, last)

    def describe(self) -> str:
        months = self.months
        if not months:
            return "no months"
        if len(months) == 1:
            return month_label(months[0])
        return f"{month_label(months[0])} … {month_label(months[-1])} ({len(months)} months)"


def scope_from_tags(tags: Mapping[str, str]) -> PeriodScope | None:
    """The months a monthly run covers, from its tags; None for a run of no partition."""
    if RANGE_START_TAG in tags:
        first, last = tags[RANGE_START_TAG], tags[RANGE_END_TAG]
    elif PARTITION_TAG in tags:
        first = last = tags[PARTITION_TAG]
    else:
        return None
    return PeriodScope.from_months(dt.date.fromisoformat(first), dt.date.fromisoformat(last))
