"""Every staff metric of a generated world, known by construction, checked end to end (issue 4).

tests/known_world.py draws each staff member's requests, tickets, answers, reopens, messages, violations,
announcements, short-video posts, content audits, survey CSAT/NPS answers, evaluation ratings and WeCom
behaviour days from a seeded generator and writes the data folder. The expectations below are computed
from that plan alone, following KPI_SPEC §3–§4 as written; the real pipeline then runs on the folder and,
for every staff member and every period (each month and the quarter), the rows in
intermediate.int_metrics__* must be exactly the expected metrics, with the expected numerator,
denominator, value and sample size (and value_source where the table keeps one).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from tests.conftest import SAMPLES, materialize_all, query
from tests.known_world import (
    OLD_HANDLE_VALID_TO,
    PERIODS,
    QUARTER,
    AuditSubmission,
    Request,
    Staff,
    Ticket,
    announcement_id,
    calendar_days,
    draw_world,
    groupchat_days,
    periods_of,
    write_world,
)

SEED = 20260704
WORLD = draw_world(SEED)
RUBRIC = yaml.safe_load((SAMPLES / "config" / "rubric.yaml").read_text(encoding="utf-8"))
SLA_GENERAL_MINUTES = RUBRIC["sla"]["general_business_minutes"]
SLA_COMPLEX_MINUTES = RUBRIC["sla"]["complex_calendar_minutes"]
TICKET_WINDOW = timedelta(minutes=RUBRIC["requests"]["ticket_match_minutes"])
WEIGHTS = RUBRIC["evaluation_weights"]
METRIC_TABLES = ("int_metrics__resolution", "int_metrics__staff", "int_metrics__satisfaction",
                 "int_metrics__violations", "int_metrics__content")


@dataclass(frozen=True)
class Row:
    """One metric row as int_metrics__* store it."""
    numerator: float | None
    denominator: float | None
    value: float | None
    sample_size: int
    value_source: str | None = None


def _rate(numerator: float, denominator: int, value_source: str | None = None) -> Row:
    return Row(numerator, denominator, numerator / denominator if denominator else None, denominator, value_source)


def _quantile(values: list[int], q: float) -> float | None:
    """Linear interpolation between order statistics, as DuckDB's quantile_cont."""
    if not values:
        return None
    ordered, position = sorted(values), q * (len(values) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (position - low) * (ordered[high] - ordered[low])


# --- KPI_SPEC §3 resolution, from the plan -----------------------------------------------------------

def covering_ticket(staff: Staff, request: Request) -> Ticket | None:
    """§3: a ticket of the same requester (and group: one group per staff member) with a known outcome,
    opened within the window of the request (every generated request is one message); the earliest
    opened, ties to the lowest id."""
    covering = [t for t in staff.tickets
                if t.member == request.member and t.is_resolved is not None
                and request.opened_at - TICKET_WINDOW <= t.opened_at <= request.opened_at + TICKET_WINDOW]
    return min(covering, key=lambda t: (t.opened_at, t.ticket_id), default=None)


def outcome(staff: Staff, request: Request) -> tuple[bool, str, str | None]:
    """(resolved, which rule decided, ticket id)."""
    ticket = covering_ticket(staff, request)
    if ticket is not None:
        return ticket.is_resolved, "ticket", ticket.ticket_id
    return request.minutes is not None and not request.reopened, "chat_rule", None


def within_sla(request: Request) -> bool:
    # answers land on the request's workday within open hours: business minutes = calendar minutes
    limit = SLA_COMPLEX_MINUTES if request.complaint else SLA_GENERAL_MINUTES
    return request.minutes is not None and request.minutes <= limit


def resolution_metrics(staff: Staff, period: str) -> dict[str, Row]:
    expected: dict[str, Row] = {}
    requests = [r for r in staff.requests if period in periods_of(r.day)]
    if requests:
        answered = [r.minutes for r in requests if r.minutes is not None]
        expected["response_rate"] = _rate(len(answered), len(requests))
        expected["sla_rate"] = _rate(sum(within_sla(r) for r in requests), len(requests))
        expected["resolution_rate"] = _rate(sum(outcome(staff, r)[0] for r in requests), len(requests))
        expected["median_response_business_minutes"] = Row(
            None, len(answered), statistics.median(answered) if answered else None, len(answered))
        expected["p90_response_business_minutes"] = Row(None, len(answered), _quantile(answered, 0.9), len(answered))
    complaint_tickets = [t for t in staff.tickets
                         if t.is_complaint and t.is_resolved is not None and period in periods_of(t.opened_at.date())]
    if complaint_tickets:
        expected["complaint_resolution_rate"] = _rate(sum(t.is_resolved for t in complaint_tickets),
                                                      len(complaint_tickets), "ticket_log")
    elif requests:
        complex_requests = [r for r in requests if r.complaint]
        expected["complaint_resolution_rate"] = _rate(sum(outcome(staff, r)[0] for r in complex_requests),
                                                      len(complex_requests), "chat_requests")
    return expected


# --- §4.1 activity, §4.2 content quality -------------------------------------------------------------

def activity_metrics(staff: Staff, period: str, business_days: dict[str, int]) -> dict[str, Row]:
    answers = [r.day for r in staff.requests if r.minutes is not None and period in periods_of(r.day)]
    others = [(day, violates) for day, _, violates in staff.other_messages if period in periods_of(day)]
    announcements = [day for day, _, _, _ in staff.announcements if period in periods_of(day)]
    messages = len(answers) + len(others) + len(announcements)
    active_days = set(answers) | {day for day, _ in others} | set(announcements)
    expected = {
        "staff_messages": Row(messages, None, messages, messages),
        "active_day_ratio": _rate(len(active_days), business_days[period]),
        "group_coverage": _rate(1 if messages else 0, 1),  # one own group each
        "violation_rate": _rate(sum(violates for _, violates in others), messages),
    }
    accounts = {post.account for post in staff.posts}
    if any(account in accounts for _, account in staff.content_handles):
        published = sum(period in periods_of(p.published_at.date()) for p in staff.posts)
        expected["posts_published"] = Row(published, None, published, published)
    return expected


def first_submissions(audits: list[AuditSubmission]) -> list[AuditSubmission]:
    first: dict[str, AuditSubmission] = {}
    for audit in sorted(audits, key=lambda a: a.submitted_at):
        first.setdefault(audit.post_id, audit)
    return list(first.values())


def audit_metrics(audits: list[AuditSubmission], period: str) -> dict[str, Row]:
    expected: dict[str, Row] = {}
    reviewed = [a for a in first_submissions(audits)
                if a.verdict is not None and period in periods_of(a.submitted_at.date())]
    if reviewed:
        expected["audit_pass_rate"] = _rate(sum(a.verdict == "pass" for a in reviewed), len(reviewed))
    scores = [a.score for a in audits if a.score is not None and period in periods_of(a.submitted_at.date())]
    if scores:
        expected["audit_score"] = _rate(sum(scores), len(scores))
    return expected


def content_metrics(staff: Staff, period: str) -> dict[str, Row]:
    expected = audit_metrics(staff.audits, period)
    with_views = [p for p in staff.posts if p.views is not None and period in periods_of(p.published_at.date())]
    if with_views:
        interactions = sum(p.likes + p.comments + (p.shares or 0) for p in with_views)
        views = sum(p.views for p in with_views)
        expected["post_engagement_rate"] = Row(interactions, views, interactions / views, len(with_views))
    # substantive posts: the announcements, in time order (then message id) over the quarter; a repeat of
    # an earlier template is a duplicate whatever its punctuation
    ordered = sorted((day, minute, announcement_id(staff, n), template)
                     for n, (day, minute, template, _) in enumerate(staff.announcements))
    seen, judged = set(), []
    for day, _, _, template in ordered:
        judged.append((day, template in seen))
        seen.add(template)
    in_period = [duplicate for day, duplicate in judged if period in periods_of(day)]
    if in_period:
        originals = len(in_period) - sum(in_period)
        expected["originality"] = Row(originals, len(in_period), originals / len(in_period), len(in_period))
    return expected


# --- §4.4 satisfaction -------------------------------------------------------------------------------

def counts_for_staff(staff: Staff, userid: str, day) -> bool:
    """Whether a WeCom account's day belongs to the staff member: their own account always, the old one
    while its handle is valid."""
    return userid == staff.handle or (userid == staff.old_wecom_handle and day <= OLD_HANDLE_VALID_TO)


def satisfaction_metrics(staff: Staff, period: str) -> dict[str, Row]:
    expected: dict[str, Row] = {}
    responses = [(csat, nps) for day, csat, nps in staff.surveys if period in periods_of(day)]
    if responses:
        csat = [c for c, _ in responses if c is not None]
        nps = [n for _, n in responses if n is not None]
        expected["csat_rate"] = _rate(sum(c >= 4 for c in csat), len(csat))
        expected["csat_mean"] = Row(sum(csat) if csat else None, len(csat),
                                    statistics.fmean(csat) if csat else None, len(csat))
        net = 100 * (sum(n >= 9 for n in nps) - sum(n <= 6 for n in nps))
        expected["nps"] = Row(net, len(nps), net / len(nps) if nps else None, len(nps))
    if staff.ratings and period == QUARTER:
        by_type: dict[str, list[float]] = {}
        for rater_type, score, scale in staff.ratings:
            by_type.setdefault(rater_type, []).append(score / scale * 100)
        weighted = sum(WEIGHTS[t] * statistics.fmean(s) for t, s in by_type.items())
        weights = sum(WEIGHTS[t] for t in by_type)
        expected["evaluation_score"] = Row(weighted, weights, weighted / weights, len(staff.ratings))
    known = [d for d in staff.behaviour
             if counts_for_staff(staff, d.userid, d.day) and period in periods_of(d.day)
             and d.negative_feedback is not None and d.new_contacts is not None]
    if known:
        expected["negative_feedback_rate"] = _rate(sum(d.negative_feedback for d in known),
                                                   sum(d.new_contacts for d in known))
    return expected


def expected_metrics(staff: Staff, period: str) -> dict[str, Row]:
    """Every metric row expected for the staff member and period; a metric absent here must have no row."""
    _, business_days = calendar_days()
    return {
        **resolution_metrics(staff, period),
        **activity_metrics(staff, period, business_days),
        **content_metrics(staff, period),
        **satisfaction_metrics(staff, period),
    }


# --- the warehouse -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("known_world")
    data, out = root / "data", root / "out"
    write_world(WORLD, data)
    materialize_all(data, out)
    return out


def actual_metrics(out: Path, entity_type: str, entity_id: str, period: str) -> dict[str, Row]:
    rows = query(out, " union all ".join(
        f"select metric, numerator, denominator, value, sample_size, "
        f"{'value_source' if table == 'int_metrics__resolution' else 'null::varchar'} "
        f"from intermediate.{table} "
        f"where entity_type = $type and entity_id = $id and period = $period"
        for table in METRIC_TABLES), {"type": entity_type, "id": entity_id, "period": period})
    found: dict[str, Row] = {}
    for metric, *values in rows:
        assert metric not in found, f"two {metric} rows for {entity_id} {period}"
        found[metric] = Row(*values)
    return found


def _close(expected: float | None, actual: float | None) -> bool:
    return expected is None and actual is None or (
        expected is not None and actual is not None and actual == pytest.approx(expected))


def mismatches(expected: dict[str, Row], actual: dict[str, Row]) -> list[str]:
    problems = [f"{metric}: expected {row}, got no row" for metric, row in expected.items() if metric not in actual]
    problems += [f"{metric}: expected no row, got {row}" for metric, row in actual.items() if metric not in expected]
    for metric in expected.keys() & actual.keys():
        want, got = expected[metric], actual[metric]
        if not (_close(want.numerator, got.numerator) and _close(want.denominator, got.denominator)
                and _close(want.value, got.value) and want.sample_size == got.sample_size
                and want.value_source == got.value_source):
            problems.append(f"{metric}: expected {want}, got {got}")
    return problems


# --- tests -------------------------------------------------------------------------------------------

def test_world_is_varied():
    """The seed exercises every branch the expectations distinguish."""
    requests = [(s, r) for s in WORLD for r in s.requests]
    assert any(r.minutes is None for _, r in requests) and any(r.reopened for _, r in requests)
    assert any(r.minutes is not None and r.minutes > SLA_GENERAL_MINUTES and not r.complaint for _, r in requests)
    assert any(r.complaint and r.minutes is not None and r.minutes > SLA_GENERAL_MINUTES for _, r in requests)
    assert any(any(v for _, _, v in s.other_messages) for s in WORLD)
    # tickets: deciding against the chat rule both ways, not covering, unknown outcomes, linked requesters
    outcomes = [(outcome(s, r), r.minutes is not None and not r.reopened) for s, r in requests]
    assert any(source == "ticket" and resolved and not chat for (resolved, source, _), chat in outcomes)
    assert any(source == "ticket" and not resolved and chat for (resolved, source, _), chat in outcomes)
    tickets = [(s, t) for s in WORLD for t in s.tickets]
    near_misses = [t for s, t in tickets if t.member and t.is_resolved is not None and all(
        abs(t.opened_at - r.opened_at) > TICKET_WINDOW for r in s.requests if r.member == t.member)]
    assert near_misses and any(t.is_resolved is None for _, t in tickets)
    assert any(t.message_id and not t.customer for _, t in tickets)
    assert any(t.message_id and t.customer for _, t in tickets)
    assert any(t.handler_by_handle for _, t in tickets) and any(t.member is None for _, t in tickets)
    edges = {abs(t.opened_at - r.opened_at) for s, t in tickets if t.is_resolved is not None
             for r in s.requests if r.member == t.member}
    assert {TICKET_WINDOW, TICKET_WINDOW + timedelta(minutes=1)} <= edges
    complaint_rows = [expected_metrics(s, p).get("complaint_resolution_rate") for s in WORLD for p in PERIODS]
    assert any(row and row.value_source == "ticket_log" for row in complaint_rows)
    assert any(row and row.value_source == "chat_requests" and row.sample_size for row in complaint_rows)
    # content, surveys, ratings, WeCom
    posts = [p for s in WORLD for p in s.posts]
    assert any(p.views is None for p in posts) and {p.platform for p in posts} == {"douyin", "kuaishou"}
    assert any(len({t for _, _, t, _ in s.announcements}) < len(s.announcements) for s in WORLD)
    audits = [a for s in WORLD for a in s.audits]
    assert any(a.verdict is None for a in audits) and any(a.score is None for a in audits)
    assert any(len(s.audits) > len({a.post_id for a in s.audits}) for s in WORLD)  # resubmissions
    surveys = [x for s in WORLD for x in s.surveys]
    assert any(c is None for _, c, _ in surveys) and any(n is None for _, _, n in surveys)
    assert any(not s.surveys for s in WORLD) and any(s.surveys for s in WORLD)
    assert any(not s.ratings for s in WORLD) and any(len({t for t, _, _ in s.ratings}) > 1 for s in WORLD)
    days = [d for s in WORLD for d in s.behaviour]
    assert any(d.repulled_from for d in days) and any(d.negative_feedback is None for d in days)
    assert any(d.new_contacts is None for d in days) and any(not s.behaviour for s in WORLD)
    assert any(d.userid.endswith("old") and d.day > OLD_HANDLE_VALID_TO for d in days)


def test_nothing_quarantined(warehouse):
    assert query(warehouse, "select * from raw.ingest_quarantine") == []
    assert query(warehouse, "select * from raw.input_quarantine") == []


@pytest.mark.parametrize("period", PERIODS)
@pytest.mark.parametrize("staff", WORLD, ids=[s.staff_id for s in WORLD])
def test_staff_metrics(warehouse, staff, period):
    problems = mismatches(expected_metrics(staff, period), actual_metrics(warehouse, "staff", staff.staff_id, period))
    assert not problems, f"{staff.staff_id} ({staff.role}) {period}: " + "; ".join(problems)


@pytest.mark.parametrize("period", PERIODS)
def test_group_audit_metrics(warehouse, period):
    """Audits name the author's own group: the group's audit metrics are the author's."""
    for staff in WORLD:
        actual = actual_metrics(warehouse, "group", staff.group_id, period)
        actual = {metric: row for metric, row in actual.items() if metric.startswith("audit_")}
        problems = mismatches(audit_metrics(staff.audits, period), actual)
        assert not problems, f"{staff.group_id} {period}: " + "; ".join(problems)


def test_each_request_resolved_by_the_rule_that_applies(warehouse):
    rows = query(warehouse, """
        select opening_message_id, is_resolved, resolution_source, resolution_ticket_id, request_type
        from marts.fct_requests
    """)
    actual = {row[0]: tuple(row[1:]) for row in rows}
    expected = {r.msgid: (*outcome(s, r), "complex" if r.complaint else "general") for s in WORLD for r in s.requests}
    assert actual == expected


def test_wecom_days_resolve_once_each(warehouse):
    """The shared identity model gives each WeCom day exactly one row and the account's owner on that
    day: the old account only until its handle expires, nobody's for an unknown userid."""
    behaviour = query(warehouse, """
        select userid, stat_date, staff_id, resolution_note from staging.stg_wecom__user_behavior
    """)
    owners = {s.handle: s for s in WORLD} | {s.old_wecom_handle: s for s in WORLD if s.old_wecom_handle}
    expected = {(d.userid, d.day): (s.staff_id if counts_for_staff(s, d.userid, d.day) else None)
                for s in WORLD for d in s.behaviour}
    assert len(behaviour) == len(expected) + 2  # and two days of the unknown userid
    for userid, day, staff_id, note in behaviour:
        if userid == "ghost":
            assert staff_id is None and note == f"no roster handle wecom:ghost valid on {day}"
            continue
        assert staff_id == expected[(userid, day)], (userid, day)
        assert (note is None) == (staff_id is not None), (userid, day, note)
        assert userid in owners
    groupchat = query(warehouse, """
        select owner_userid, stat_date_from, staff_id from staging.stg_wecom__groupchat_daily
    """)
    assert {(owner, day): staff_id for owner, day, staff_id in groupchat} == groupchat_days(WORLD)


def test_explanations_add_up_to_overall_score(warehouse):
    """Contributions (rounded to 4 decimals) sum to the overall score (rounded to 2, from dimension
    scores rounded to 2), so they agree within 0.01 plus the contributions' own rounding. Staff whose
    scored dimensions carry too little weight are not rated, and say why."""
    rows = query(warehouse, """
        select scores.entity_id, scores.overall_score, scores.not_rated_reason,
               sum(explanations.contribution), count(explanations.contribution)
        from marts.fct_scores as scores
        left join marts.fct_score_explanations as explanations
            using (entity_type, entity_id, period_type, period)
        where scores.entity_type = 'staff' and scores.period = $period
        group by all order by all
    """, {"period": QUARTER})
    assert {row[0] for row in rows} == {s.staff_id for s in WORLD}
    rated = [row for row in rows if row[1] is not None]
    assert len(rated) >= len(WORLD) // 2
    for staff_id, overall, reason, contributions, scored in rows:
        if overall is None:
            assert reason, staff_id
        else:
            assert contributions == pytest.approx(overall, abs=0.01 + scored * 0.00005), staff_id
