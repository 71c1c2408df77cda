"""Partitions and period labels. One time zone (the rubric's reporting zone, Asia/Shanghai by
default) for every time partition so mapped partitions line up."""

from __future__ import annotations

import datetime as dt

import dagster as dg

REPORTING_TIMEZONE = "Asia/Shanghai"

quarterly_partitions = dg.TimeWindowPartitionsDefinition(
    cron_schedule="0 0 1 1,4,7,10 *",
    start="2024-01-01",
    fmt="%Y-%m-%d",
    timezone=REPORTING_TIMEZONE,
)


def quarter_label(day: dt.date) -> str:
    """`2026-Q3` for any date in that quarter (the label HR and the folders use)."""
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


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
