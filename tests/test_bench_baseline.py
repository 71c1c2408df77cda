"""The bare DuckDB baseline of `make bench` (pipelines/bench_baseline.py) computes what the pipeline
computes: on a small world from the benchmark's own generator (pipelines/bench_world.py), every
request and every staff member's monthly and quarterly figures agree with `kpi run`'s.

This is what lets the benchmark's ratio mean something: a baseline that skipped a rule would be a
faster script computing something else. The world is checked to exercise the rules the comparison
is about (unanswered, bursts, reopens, complaints, tickets, late and after-hours answers), so the
agreement is not the agreement of two empty tables.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb
import pytest

from pipelines import bench_baseline, bench_world
from tests.conftest import materialize_all, query

MESSAGES = 20_000


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bench") / "world"
    bench_world.generate(out, messages=MESSAGES, groups=20, staff=50)
    return out


@pytest.fixture(scope="module")
def pipeline_out(world: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("pipeline")
    materialize_all(world / "data", out)
    return out


@pytest.fixture(scope="module")
def baseline_out(world: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("baseline")
    bench_baseline.run(world / "data", out)
    return out


def parquet(path: Path, sql: str) -> list[tuple]:
    con = duckdb.connect()
    try:
        con.execute("set TimeZone = 'UTC'")
        return con.execute(sql.replace("$file", f"'{path}'")).fetchall()
    finally:
        con.close()


REQUEST_COLUMNS = ("group_id", "member", "opened_at", "last_message_at", "is_complex", "responded_at",
                   "responder_staff_id", "response_business_minutes", "response_calendar_minutes", "is_within_sla",
                   "is_resolved", "attributed_staff_id")


def test_world_has_exactly_the_messages_asked_for_and_a_next_day(world: Path) -> None:
    lines = sum(len(p.read_bytes().splitlines()) for p in (world / "data" / "exports" / "wecom").rglob("*.jsonl"))
    summary = json.loads((world / "world.json").read_text(encoding="utf-8"))
    next_day = sorted((world / "next_day" / "exports" / "wecom").rglob("*.jsonl"))
    assert lines == MESSAGES == summary["messages"]
    assert {p.name for p in next_day} == {"2026-10-01.jsonl"} and len(next_day) == summary["next_day_files"] > 0
    files = sorted((world / "data" / "exports" / "wecom").rglob("*.jsonl"))
    assert {p.name for p in files} == {"2026-07.jsonl", "2026-08.jsonl", "2026-09.jsonl"}
    assert all((world / "data" / "inputs" / kind).is_dir() for kind in ("wecom_behavior", "surveys", "tickets"))


def test_same_seed_same_bytes(world: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    bench_world.generate(again, messages=MESSAGES, groups=20, staff=50)

    def digest(root: Path) -> dict[str, str]:
        return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in sorted(root.rglob("*")) if p.is_file()}

    assert digest(again) == digest(world)


def test_world_exercises_the_request_rules(pipeline_out: Path) -> None:
    """Each rule the baseline re-implements decides some requests (else agreement proves little)."""
    (requests, unanswered, bursts, complex_, reopened, by_ticket, late, across_closed, on_call, quick) = query(
        pipeline_out, """
        select count(*),
               count(*) filter (where not is_responded),
               count(*) filter (where request_message_count > 1),
               count(*) filter (where is_complex),
               count(*) filter (where is_responded and not is_resolved_by_chat_rule),
               count(*) filter (where resolution_source = 'ticket'),
               count(*) filter (where response_business_minutes > 540),
               count(*) filter (where response_business_minutes < response_calendar_minutes - 60),
               count(*) filter (where response_business_minutes = 0 and response_calendar_minutes > 0),
               count(*) filter (where response_business_minutes <= 60)
        from marts.fct_requests
    """)[0]
    assert requests > 2000
    for name, count in [("unanswered", unanswered), ("bursts", bursts), ("complex", complex_),
                        ("reopened", reopened), ("ticket-decided", by_ticket), ("answered a day later", late),
                        ("answered across closed hours", across_closed), ("answered on call while closed", on_call),
                        ("within the hour", quick)]:
        assert count >= 10, f"only {count} {name} requests in the bench world"
    mentions, untargeted = query(pipeline_out, """
        select count(*) filter (where len(mentions) > 0), count(*) filter (where len(mentions) = 0)
        from marts.fct_requests as requests
        join staging.stg_chat__messages as messages
            on messages.group_id = requests.group_id and messages.message_id = requests.response_message_id
    """)[0]
    assert mentions >= 100 and untargeted >= 100
    # acknowledgements with a question mark (`好的？`) are no questions: the trimming rule decides them
    (marked_acks,) = query(pipeline_out, """
        select count(*) from intermediate.int_messages__classified
        where is_acknowledgement and member_key is not null and regexp_matches(text, '[?？]') and not is_request_message
    """)[0]
    assert marked_acks >= 10
    # the quarter is complete in the data (messages on Sep 30), so it is graded and published
    assert query(pipeline_out, "select is_complete from intermediate.int_periods where period = '2026-Q3'") == [(True,)]


def test_every_request_agrees(pipeline_out: Path, baseline_out: Path) -> None:
    """Request by request: burst, answer, responder, both clocks, SLA, resolution, attribution. The
    pipeline keys members by pseudonym, the baseline by WeCom handle: raw.member_pseudonyms maps them."""
    pipeline = query(pipeline_out, f"""
        select {', '.join(REQUEST_COLUMNS).replace('member', 'pseudonyms.handle')}
        from marts.fct_requests as requests
        join raw.member_pseudonyms as pseudonyms
            on pseudonyms.member_key = requests.member_key and pseudonyms.platform = 'wecom'
        order by all
    """)
    baseline = parquet(baseline_out / "requests.parquet",
                       f"select {', '.join(REQUEST_COLUMNS).replace('member', 'member_key')} from $file order by all")
    assert len(pipeline) > 2000
    missing, extra = set(pipeline) - set(baseline), set(baseline) - set(pipeline)
    assert not missing and not extra, (
        f"{len(missing)} pipeline requests differ from the baseline's, e.g. {sorted(missing)[:2]}; "
        f"{len(extra)} baseline requests, e.g. {sorted(extra)[:2]} (columns {REQUEST_COLUMNS})"
    )
    assert len(pipeline) == len(baseline)


def test_staff_figures_agree(pipeline_out: Path, baseline_out: Path) -> None:
    """Per staff member, month and quarter: the numerators and denominators behind
    intermediate.int_metrics__staff (staff messages, active business days) and
    int_metrics__resolution (requests, responded, within SLA, resolved, median business minutes)."""
    pipeline = query(pipeline_out, """
        with resolution as (
            select entity_id as staff_id, period_type, period,
                   max(sample_size) filter (where metric = 'response_rate') as requests,
                   max(numerator) filter (where metric = 'response_rate') as responded,
                   max(numerator) filter (where metric = 'sla_rate') as within_sla,
                   max(numerator) filter (where metric = 'resolution_rate') as resolved,
                   max(value) filter (where metric = 'median_response_business_minutes') as median_minutes
            from intermediate.int_metrics__resolution
            where entity_type = 'staff'
            group by all
            having requests is not null
        ),
        activity as (
            select entity_id as staff_id, period_type, period,
                   max(value) filter (where metric = 'staff_messages') as staff_messages,
                   max(numerator) filter (where metric = 'active_day_ratio') as active_business_days
            from intermediate.int_metrics__staff
            group by all
        )
        select coalesce(activity.staff_id, resolution.staff_id), coalesce(activity.period_type, resolution.period_type),
               coalesce(activity.period, resolution.period), activity.staff_messages::bigint,
               activity.active_business_days::bigint, coalesce(requests, 0), coalesce(responded, 0)::bigint,
               coalesce(within_sla, 0)::bigint, coalesce(resolved, 0)::bigint, median_minutes
        from activity full outer join resolution using (staff_id, period_type, period)
        order by all
    """)
    baseline = parquet(baseline_out / "staff_metrics.parquet", """
        select staff_id, period_type, period, staff_messages, active_business_days, requests, responded, within_sla,
               resolved, median_response_business_minutes
        from $file order by all
    """)
    assert {row[1:3] for row in pipeline} == {("month", "2026-07"), ("month", "2026-08"), ("month", "2026-09"),
                                              ("quarter", "2026-Q3")}
    quarter = [row for row in pipeline if row[1] == "quarter"]
    assert len(quarter) == 50 and sum(row[5] for row in quarter) > 2000
    assert [row[:9] for row in baseline] == [row[:9] for row in pipeline]
    for ours, theirs in zip(baseline, pipeline):
        assert ours[9] == pytest.approx(theirs[9], abs=1e-9), f"median business minutes of {ours[:3]}"
