"""The ticket / complaint log (工单): where a helpdesk records what happened to a customer's issue.

KPI_SPEC §3 lets a ticket's final status decide whether a request was resolved ("where a ticket log
covers the request (same group, same requester, ticket opened within 10 min of the request), the
ticket's final status wins"), and §4.3's `complaint_resolution_rate` uses the log where present.
Files are CSV (any accepted encoding) or XLSX with English or Chinese headers, one row per ticket
— or one row per status change, which is why a repeated ticket_id keeps only its latest row.

Identities are kept as written (handler's roster `staff_id` or platform account, the source
group's `group_id` or platform group id); staging resolves them. `customer` is the customer's
account or name as the log writes it: raw here, pseudonymised in staging, never published.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from assets.ingest.schema import UTC_DATETIME
from assets.inputs.base import InputKind, InputResult
from assets.inputs.surveys import (
    CSAT_WORDS,
    DEFAULT_TIMEZONE,
    checked,
    empty_problem,
    identity_problems,
    identity_values,
    parse_score,
    quarantine_rows,
    score_problem,
    without_blank_rows,
)
from assets.inputs.tables import (
    Column,
    choice_problem,
    datetime_problem,
    parse_choice,
    parse_local_datetime,
    read_table,
)

#: Ticket types as helpdesks spell them → the canonical English value stored.
TYPE_CHOICES: dict[str, str] = {
    "complaint": "complaint", "投诉": "complaint",
    "consultation": "consultation", "咨询": "consultation", "inquiry": "consultation",
    "after_sales": "after_sales", "售后": "after_sales", "after-sales": "after_sales", "after sales": "after_sales",
    "other": "other", "其他": "other", "其它": "other",
}

#: Statuses → the canonical value stored. `resolved` means the issue was solved; `closed` that the
#: ticket was closed (usually after being solved); `reopened` that the customer came back.
STATUS_CHOICES: dict[str, str] = {
    "open": "open", "处理中": "open", "待处理": "open", "pending": "open", "in progress": "open",
    "resolved": "resolved", "已解决": "resolved", "已完成": "resolved",
    "closed": "closed", "已关闭": "closed",
    "reopened": "reopened", "重新打开": "reopened",
}

COLUMNS: tuple[Column, ...] = (
    Column("ticket_id", ("工单号", "工单编号", "工单ID", "ticket_no", "ticket_number")),
    Column("opened_at", ("创建时间", "提交时间", "created_at", "created_time")),
    Column("closed_at", ("关闭时间", "解决时间", "完成时间", "resolved_at"), required=False),
    Column("ticket_type", ("工单类型", "问题类型", "type"), required=False),
    Column("status", ("状态", "工单状态", "ticket_status")),
    # 处理人 is read as our roster id: helpdesks are internal tools that record the employee. A log
    # that records platform accounts names the column 处理人账号 and adds 处理人平台 (or 平台).
    Column("staff_id", ("处理人", "处理人工号", "员工编号", "客服工号", "assignee", "assignee_id"),
           required=False),
    Column("staff_platform", ("处理人平台", "客服平台"), required=False),
    Column("staff_handle", ("处理人账号", "客服账号", "assignee_handle"), required=False),
    Column("group_id", ("来源群", "来源群编号", "群编号"), required=False),
    Column("platform", ("平台", "来源平台"), required=False),
    Column("source_key", ("来源群ID", "群ID", "群号", "chat_id", "room_id"), required=False),
    Column("customer", ("客户", "客户账号", "提交人", "requester"), required=False),
    Column("message_id", ("关联消息ID", "消息ID", "msgid"), required=False),
    Column("satisfaction", ("评价", "客户评价", "满意度", "rating"), required=False),
)

SCHEMA: dict[str, pl.DataType] = {
    "ticket_id": pl.String(),
    "opened_at": UTC_DATETIME,
    "closed_at": UTC_DATETIME,
    "ticket_type": pl.String(),
    "status": pl.String(),
    "is_resolved": pl.Boolean(),
    "staff_id": pl.String(),
    "staff_platform": pl.String(),
    "staff_handle": pl.String(),
    "group_id": pl.String(),
    "platform": pl.String(),
    "source_key": pl.String(),
    "customer": pl.String(),
    "message_id": pl.String(),
    "satisfaction": pl.Int64(),
}

#: The customer is left out of quarantine snippets (the line label finds the row).
SNIPPET_COLUMNS = [c.name for c in COLUMNS if c.name != "customer"]


def parse(path: Path, rel_path: str, timezone: str = DEFAULT_TIMEZONE) -> InputResult:
    """One ticket log: the latest row of each ticket in SCHEMA, every other row quarantined."""
    table = without_blank_rows(read_table(path, rel_path, COLUMNS), COLUMNS)
    rows = checked(table, _problems(timezone), _values(timezone), SNIPPET_COLUMNS)
    tickets = rows.filter(pl.col("reason").is_null()).with_columns(_is_resolved().alias("is_resolved"))
    latest, superseded = _latest_of_each_ticket(tickets)
    unknown = latest.filter(pl.col("is_resolved").is_null()).height
    warnings = [f"{unknown} ticket(s) are resolved/closed without a closed_at; their is_resolved is left null "
                "(unknown) rather than guessed"] if unknown else []
    return InputResult(
        rows=latest.select(*SCHEMA, "source_record", "source_record_label"),
        quarantine=quarantine_rows(rows.filter(pl.col("reason").is_not_null()), superseded),
        warnings=warnings,
    )


def _problems(timezone: str) -> list[pl.Expr]:
    opened = parse_local_datetime(pl.col("opened_at"), timezone)
    closed = parse_local_datetime(pl.col("closed_at"), timezone)
    return [
        empty_problem("ticket_id", "the ticket number"),
        empty_problem("opened_at", "the time the ticket was created"),
        datetime_problem(pl.col("opened_at"), "opened_at", timezone),
        datetime_problem(pl.col("closed_at"), "closed_at", timezone),
        pl.when(closed < opened).then(
            pl.format("closed_at {} is before opened_at {}", "closed_at", "opened_at")
        ),
        choice_problem(pl.col("ticket_type"), "ticket_type", TYPE_CHOICES),
        empty_problem("status", f"one of: {', '.join(STATUS_CHOICES)}"),
        choice_problem(pl.col("status"), "status", STATUS_CHOICES),
        score_problem(pl.col("satisfaction"), "satisfaction", 1, 5, CSAT_WORDS),
        *identity_problems(),
    ]


def _values(timezone: str) -> list[pl.Expr]:
    return [
        parse_local_datetime(pl.col("opened_at"), timezone).alias("opened_at"),
        parse_local_datetime(pl.col("closed_at"), timezone).alias("closed_at"),
        parse_choice(pl.col("ticket_type"), TYPE_CHOICES).alias("ticket_type"),
        parse_choice(pl.col("status"), STATUS_CHOICES).alias("status"),
        parse_score(pl.col("satisfaction"), 1, 5, CSAT_WORDS).alias("satisfaction"),
        *identity_values(),
    ]


def _is_resolved() -> pl.Expr:
    """True when the ticket is resolved or closed and says when (closed_at); false while it is open
    or reopened; null when it claims resolved/closed without a closed_at. Null rather than true or
    false because HR pays on resolution rates: an incomplete record must not count either way, and
    staging can fall back to the chat rule of KPI_SPEC §3 for the request it covers."""
    finished = pl.col("status").is_in(["resolved", "closed"])
    return (pl.when(finished & pl.col("closed_at").is_not_null()).then(True)
            .when(pl.col("status").is_in(["open", "reopened"])).then(False))


def _latest_of_each_ticket(tickets: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(the latest row of each ticket_id, the older rows with their reason).

    Logs that list status changes repeat the ticket; its current state is the row with the latest
    of (closed_at, opened_at), and on a tie the later line (logs append changes)."""
    ranked = tickets.with_columns(pl.max_horizontal("closed_at", "opened_at").alias("latest_at")).sort(
        "latest_at", "source_record", descending=True
    ).with_columns(
        (pl.int_range(pl.len()).over("ticket_id") == 0).alias("is_latest"),
        pl.col("source_record_label").first().over("ticket_id").alias("latest_label"),
    )
    superseded = ranked.filter(~pl.col("is_latest")).with_columns(pl.format(
        "ticket {} superseded by its later entry on {} (the row with the latest closed_at/opened_at is kept)",
        "ticket_id", "latest_label",
    ).alias("reason"))
    return ranked.filter("is_latest").sort("source_record"), superseded


KIND = InputKind(
    name="tickets",
    table="raw.tickets",
    schema=SCHEMA,
    parse=parse,
    description=(
        "The ticket / complaint log (工单), one row per ticket, from CSV or XLSX files under inputs/tickets/. "
        "A ticket's final status decides whether the chat request it covers was resolved (KPI_SPEC §3) and "
        "feeds complaint_resolution_rate (§4.3). ticket_type is complaint, consultation, after_sales or "
        "other; status is open, resolved, closed or reopened (Chinese spellings such as 投诉 and 已解决 are "
        "mapped). is_resolved is true when the status is resolved or closed and closed_at is filled, false "
        "when open or reopened, null when resolved/closed without a closed_at. Where a log lists a ticket "
        "more than once (status changes), only its row with the latest closed_at/opened_at is kept. Times "
        "are UTC (local times are read as Asia/Shanghai). The handler (staff_id, or staff_platform + "
        "staff_handle) and source group (group_id, or platform + source_key) are raw and resolved in "
        "staging; message_id links the ticket to the chat message that raised it. customer is raw, "
        "pseudonymised in staging and never published. Unusable rows are in raw.input_quarantine."
    ),
    version="1",
)
