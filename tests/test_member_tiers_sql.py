"""Member tiers and excellent communities (KPI_SPEC §5) on hand-made inputs; the models' SQL files run
as written against small input tables."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb

MARTS = Path(__file__).resolve().parents[1] / "sql" / "marts"

SETTINGS = """create table raw.rubric_settings as select '2026.1' as rubric_version, 'Asia/Shanghai' as reporting_timezone,
    0.05 as tier_opinion_leader_top_share, 20 as tier_opinion_leader_min_messages,
    0.5 as tier_core_min_week_share, 3 as tier_active_min_weeks, 2 as excellent_communities_per_category"""


def _weekly(member: str, messages: int, weeks: int) -> list[tuple]:
    """`messages` counted messages spread over the first `weeks` Mondays of 2026-Q3 (from 07-06)."""
    start = dt.date(2026, 7, 6)
    return [("G1", member, start + dt.timedelta(weeks=i % weeks), "2026-Q3") for i in range(messages)]


def test_tiers_follow_the_rubric_thresholds_in_order():
    con = duckdb.connect()
    con.execute("create schema raw; create schema staging; create schema intermediate")
    con.execute(SETTINGS)
    con.execute("""create table intermediate.int_periods as select 'quarter' as period_type, '2026-Q3' as period,
                   date '2026-07-01' as period_start, date '2026-09-30' as period_end""")
    con.execute("""create table staging.stg_chat__messages (group_id varchar, member_key varchar, sent_date date,
                   sent_quarter varchar, is_counted boolean)""")
    rows = (_weekly("m1", 30, 8) + _weekly("m2", 25, 7) + _weekly("m3", 5, 3) + _weekly("m4", 2, 2)
            + _weekly("m5", 1, 1))
    con.executemany("insert into staging.stg_chat__messages values (?, ?, ?, ?, true)", rows)
    con.execute("""create table intermediate.int_group_members as
                   select 'G1' as group_id, 'm6' as member_key, timestamp '2026-05-01' as joined_at,
                          null::timestamp as left_at""")
    sql = (MARTS / "fct_member_tiers.sql").read_text(encoding="utf-8")
    tiers = dict(con.sql(f"select member_key, tier from ({sql})").fetchall())
    # 14 ISO weeks touch 2026-Q3 (06-29 .. 09-28): core needs 7; 5 active members -> 1 opinion-leader place
    assert tiers == {"m1": "opinion_leader", "m2": "core", "m3": "active", "m4": "ordinary",
                     "m5": "ordinary", "m6": "ordinary"}
    assert con.sql(f"select distinct quarter_weeks, active_members from ({sql})").fetchall() == [(14, 5)]


def test_excellent_communities_are_the_top_rated_groups_per_category():
    con = duckdb.connect()
    con.execute("create schema raw; create schema marts")
    con.execute(SETTINGS)
    con.execute("""create table raw.groups as select * from (values
        ('G1', 'customer_service', '一群'), ('G2', 'customer_service', '二群'), ('G3', 'customer_service', '三群'),
        ('G4', 'customer_service', '四群'), ('P1', 'promotion', '推广群')) as t(group_id, category, name)""")
    con.execute("""create table marts.fct_scores as select * from (values
        ('group', 'G1', 'quarter', '2026-Q3', 88.0, 70.0, 'good'),
        ('group', 'G2', 'quarter', '2026-Q3', 91.0, 60.0, 'excellent'),
        ('group', 'G3', 'quarter', '2026-Q3', 88.0, 80.0, 'good'),
        ('group', 'G4', 'quarter', '2026-Q3', null, null, null),
        ('group', 'P1', 'quarter', '2026-Q3', 50.0, 40.0, 'fail'))
        as t(entity_type, entity_id, period_type, period, overall_score, resolution_score, grade)""")
    sql = (MARTS / "fct_excellent_communities.sql").read_text(encoding="utf-8")
    rows = con.sql(f"select category, rank, group_id from ({sql}) order by category, rank").fetchall()
    # G1 and G3 tie on 88: G3's higher resolution score wins the second place; G4 is not rated
    assert rows == [("customer_service", 1, "G2"), ("customer_service", 2, "G3"), ("promotion", 1, "P1")]
