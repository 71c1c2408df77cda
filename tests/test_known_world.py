"""Every staff metric of a generated world, known by construction, checked end to end (issue 4).

tests/known_world.py draws each staff member's requests, answers, reopens, messages, violations, survey
scores and evaluation ratings from a seeded generator and writes the data folder. The expectations below
are computed from that plan alone; the real pipeline then runs on the folder and every staff member's
quarter metrics (value and sample size) in intermediate.int_metrics__* must match exactly.
"""

from __future__ import annotations

import statistics
from pathlib import Path

import pytest
import yaml

from tests.conftest import SAMPLES, materialize_all, query
from tests.known_world import QUARTER, Staff, calendar_days, draw_world, write_world

SEED = 20260704
WORLD = draw_world(SEED)
SLA_MINUTES = 60  # rubric sla.general_business_minutes; every generated question is general
WEIGHTS = yaml.safe_load((SAMPLES / "config" / "rubric.yaml").read_text(encoding="utf-8"))["evaluation_weights"]
METRIC_TABLES = ("int_metrics__resolution", "int_metrics__staff", "int_metrics__satisfaction",
                 "int_metrics__violations")


def _ratio(numerator: float, denominator: int) -> tuple[float | None, int]:
    return (numerator / denominator if denominator else None), denominator


def _quantile(values: list[int], q: float) -> float | None:
    """Linear interpolation between order statistics, as DuckDB's quantile_cont."""
    if not values:
        return None
    ordered, position = sorted(values), q * (len(values) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (position - low) * (ordered[high] - ordered[low])


def expected_metrics(staff: Staff) -> dict[str, tuple[float | None, int]]:
    """(value, sample_size) per metric, from the generation plan only; absent = no row expected."""
    expected: dict[str, tuple[float | None, int]] = {}
    requests = staff.requests
    answered = [r.minutes for r in requests if r.minutes is not None]
    if requests:
        n = len(requests)
        expected["response_rate"] = _ratio(len(answered), n)
        expected["sla_rate"] = _ratio(sum(m <= SLA_MINUTES for m in answered), n)
        expected["resolution_rate"] = _ratio(sum(r.minutes is not None and not r.reopened for r in requests), n)
        expected["median_response_business_minutes"] = (
            statistics.median(answered) if answered else None, len(answered))
        expected["p90_response_business_minutes"] = (_quantile(answered, 0.9), len(answered))
    answer_days = {r.day for r in requests if r.minutes is not None}
    messages = len(answered) + len(staff.other_messages)
    expected["staff_messages"] = (float(messages), messages)
    _, business_days = calendar_days()
    active_days = answer_days | {day for day, _, _ in staff.other_messages}
    expected["active_day_ratio"] = _ratio(len(active_days), business_days)
    expected["group_coverage"] = _ratio(1 if messages else 0, 1)  # one own group each
    expected["violation_rate"] = _ratio(sum(v for _, _, v in staff.other_messages), messages)
    if staff.surveys:
        expected["csat_rate"] = _ratio(sum(s >= 4 for s in staff.surveys), len(staff.surveys))
        expected["csat_mean"] = _ratio(sum(staff.surveys), len(staff.surveys))
    if staff.ratings:
        by_type: dict[str, list[float]] = {}
        for rater_type, score, scale in staff.ratings:
            by_type.setdefault(rater_type, []).append(score / scale * 100)
        weighted = sum(WEIGHTS[t] * statistics.fmean(s) for t, s in by_type.items())
        expected["evaluation_score"] = (weighted / sum(WEIGHTS[t] for t in by_type), len(staff.ratings))
    return expected


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("known_world")
    data, out = root / "data", root / "out"
    write_world(WORLD, data)
    materialize_all(data, out)
    return out


def actual_metrics(out: Path, staff_id: str) -> dict[str, tuple[float | None, int]]:
    rows = query(out, " union all ".join(
        f"select metric, value, sample_size from intermediate.{table} "
        f"where entity_type = 'staff' and entity_id = $staff and period_type = 'quarter' and period = $period"
        for table in METRIC_TABLES), {"staff": staff_id, "period": QUARTER})
    return {metric: (value, sample) for metric, value, sample in rows}


def test_world_is_varied():
    """The seed exercises every branch: unanswered, late, reopened, violations, no surveys, no ratings."""
    requests = [r for s in WORLD for r in s.requests]
    assert any(r.minutes is None for r in requests) and any(r.reopened for r in requests)
    assert any(r.minutes is not None and r.minutes > SLA_MINUTES for r in requests)
    assert any(any(v for _, _, v in s.other_messages) for s in WORLD)
    assert any(not s.surveys for s in WORLD) and any(s.surveys for s in WORLD)
    assert any(not s.ratings for s in WORLD) and any(len({t for t, _, _ in s.ratings}) > 1 for s in WORLD)


def test_nothing_quarantined(warehouse):
    assert query(warehouse, "select * from raw.ingest_quarantine") == []
    assert query(warehouse, "select * from raw.input_quarantine") == []


@pytest.mark.parametrize("staff", WORLD, ids=[s.staff_id for s in WORLD])
def test_staff_quarter_metrics(warehouse, staff):
    actual = actual_metrics(warehouse, staff.staff_id)
    mismatches = []
    for metric, (value, sample) in expected_metrics(staff).items():
        got = actual.get(metric)
        if got is None or got[1] != sample or got[0] != (pytest.approx(value) if value is not None else None):
            mismatches.append(f"{metric}: expected ({value}, n={sample}), got {got}")
    for metric in ("csat_rate", "csat_mean", "evaluation_score", "response_rate"):
        if metric not in expected_metrics(staff) and metric in actual:
            mismatches.append(f"{metric}: expected no row, got {actual[metric]}")
    assert not mismatches, f"{staff.staff_id} ({staff.role}): " + "; ".join(mismatches)


def test_explanations_add_up_to_overall_score(warehouse):
    """Contributions (rounded to 4 decimals) sum to the overall score (rounded to 2, from dimension
    scores rounded to 2), so they agree within 0.01 plus the contributions' own rounding."""
    rows = query(warehouse, """
        select scores.entity_id, scores.overall_score, sum(explanations.contribution), count(explanations.contribution)
        from marts.fct_scores as scores
        left join marts.fct_score_explanations as explanations
            using (entity_type, entity_id, period_type, period)
        where scores.entity_type = 'staff' and scores.period = $period and scores.overall_score is not null
        group by all order by all
    """, {"period": QUARTER})
    assert {row[0] for row in rows} == {s.staff_id for s in WORLD}
    for staff_id, overall, contributions, scored in rows:
        assert contributions == pytest.approx(overall, abs=0.01 + scored * 0.00005), staff_id
