"""The optional grade quota (KPI_SPEC §5) on hand-made scores: at most the share per role and
deterministic tie-breaks. The model's SQL file runs as written against small input tables."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

SQL = (Path(__file__).resolve().parents[1] / "sql" / "marts" / "fct_grades__quota.sql").read_text(encoding="utf-8")


def _scores() -> list[tuple]:
    """(staff_id, role, overall, resolution, grade). Role A: 27 rated, 13 excellent; B: 28 rated,
    3 excellent; C: 10 rated (below the calibration minimum), 6 excellent."""
    rows = []
    for i in range(27):
        excellent = i < 13
        # A02 and A03 tie on overall 95.0 at the cut (5th/6th place) and differ on resolution
        overall = {0: 99.0, 1: 98.0, 2: 95.0, 3: 95.0, 4: 96.0, 5: 97.0}.get(i, 94.0 - i * 0.1 if excellent else 70.0)
        resolution = {2: 80.0, 3: 85.0}.get(i, 50.0)
        rows.append((f"A{i:02d}", "A", overall, resolution, "excellent" if excellent else "good"))
    rows += [(f"B{i:02d}", "B", 95.0 if i < 3 else 70.0, 50.0, "excellent" if i < 3 else "good") for i in range(28)]
    rows += [(f"C{i:02d}", "C", 95.0 if i < 6 else 70.0, 50.0, "excellent" if i < 6 else "good") for i in range(10)]
    return rows


def _run(enabled: bool) -> dict[str, tuple]:
    con = duckdb.connect()
    con.execute("create schema raw; create schema marts")
    con.execute(f"""create table raw.rubric_settings as select {enabled} as quota_enabled,
                    25 as quota_min_calibration_group, 0.2 as quota_max_excellent_share""")
    con.execute("""create table marts.fct_scores (entity_type varchar, entity_id varchar, period_type varchar,
                   period varchar, rubric_key varchar, overall_score double, resolution_score double, grade varchar)""")
    con.executemany("insert into marts.fct_scores values ('staff', ?, 'quarter', '2026-Q3', ?, ?, ?, ?)", _scores())
    rows = con.sql(f"select staff_id, quota_grade, quota_adjusted, excellent_places from ({SQL})").fetchall()
    return {staff_id: rest for staff_id, *rest in rows}


def test_each_role_keeps_at_most_its_share_and_ties_are_broken_by_resolution_then_id():
    grades = _run(enabled=True)
    # at most 20 % of each role: A 27*0.2 = 5.4 -> 5, B 28*0.2 = 5.6 -> 5 (a sixth would be 21.4 %)
    assert (grades["A00"][2], grades["B00"][2]) == (5, 5)
    kept = sorted(s for s, (grade, adjusted, _) in grades.items() if s.startswith("A") and grade == "excellent")
    # A00 99, A01 98, A05 97, A04 96, then A03 (95, resolution 85) takes the last place over A02 (95, 80)
    assert kept == ["A00", "A01", "A03", "A04", "A05"]
    demoted = sorted(s for s, (grade, adjusted, _) in grades.items() if adjusted)
    assert demoted == ["A02"] + [f"A{i:02d}" for i in range(6, 13)]
    assert all(grades[s][0] == "good" for s in demoted)
    # B has fewer excellent staff than places; C is below the calibration minimum: untouched
    assert all(not grades[f"B{i:02d}"][1] for i in range(28))
    assert [grades[f"C{i:02d}"][0] for i in range(6)] == ["excellent"] * 6


@pytest.mark.parametrize("enabled", [False])
def test_with_the_quota_off_every_computed_grade_stands(enabled):
    grades = _run(enabled)
    assert not any(adjusted for _, adjusted, _ in grades.values())
    assert sum(grade == "excellent" for grade, _, _ in grades.values()) == 13 + 3 + 6
