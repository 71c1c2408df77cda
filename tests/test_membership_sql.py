"""Membership spells (intermediate.int_group_members) and the member counts they feed, on a hand-made
Telegram group whose joins, leaves and removals are known (KPI_SPEC §4.1 "members at instant t")."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import materialize_all, query, write_config

SHANGHAI = ZoneInfo("Asia/Shanghai")
ROSTER = """staff_id,name,role,team,manager_id,calendar_id,active_from,active_to
S1,客服一,customer_service,客服部,,cn_office,2026-01-01,
"""
HANDLES = "staff_id,platform,handle,valid_from,valid_to\nS1,telegram,user1,,\n"
GROUPS = """group_id,platform,source_key,name,category,owner_staff_id,assigned_staff_ids,calendar_id
T1,telegram,777,会员群,customer_service,S1,,cn_office
"""

#: (local time, kind, actor id, actor name, action or text, members)
RECORDS = [
    ("2026-07-02 10:00", "message", "user13", "Cat", "大家好", None),
    ("2026-07-03 10:00", "service", "user15", "Eve", "join_group_by_link", None),
    ("2026-07-04 10:00", "service", "user15", "Eve", "join_group_by_link", None),  # repeated join: same spell
    ("2026-07-05 10:00", "message", "user11", "Ann", "第一条消息", None),
    ("2026-07-06 10:00", "service", "user15", "Eve", "remove_members", ["Eve"]),  # Eve leaves
    ("2026-07-10 10:00", "service", "user12", "Ben", "join_group_by_link", None),
    ("2026-07-11 10:00", "message", "user12", "Ben", "我是Ben", None),
    ("2026-07-20 10:00", "service", "user1", "客服一", "remove_members", ["Cat"]),  # staff removes Cat
    ("2026-08-01 10:00", "message", "user13", "Cat", "我又来了", None),  # posts after removal, no rejoin
    ("2026-08-03 10:00", "service", "user14", "Dan", "remove_members", ["Dan"]),  # leave with no known start
    ("2026-08-15 10:00", "service", "user12", "Ben", "remove_members", ["Ben"]),
    ("2026-09-10 10:00", "service", "user15", "Eve", "join_group_by_link", None),  # Eve's second spell
    ("2026-10-02 10:00", "message", "user11", "Ann", "国庆快乐", None),
]


def _export() -> dict:
    messages = []
    for index, (local, kind, actor_id, actor, action_or_text, members) in enumerate(RECORDS, start=1):
        at = datetime.strptime(local, "%Y-%m-%d %H:%M").replace(tzinfo=SHANGHAI)
        record = {"id": index, "type": kind, "date": at.strftime("%Y-%m-%dT%H:%M:%S"),
                  "date_unixtime": str(int(at.timestamp()))}
        if kind == "message":
            record |= {"from": actor, "from_id": actor_id, "text": action_or_text}
        else:
            record |= {"actor": actor, "actor_id": actor_id, "action": action_or_text, "text": ""}
            if members:
                record["members"] = members
        messages.append(record)
    return {"name": "会员群", "type": "private_supergroup", "id": 777, "messages": messages}


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("membership_world")
    data, out = root / "data", root / "out"
    write_config(data, roster=ROSTER, handles=HANDLES, groups=GROUPS)
    (data / "exports" / "telegram").mkdir(parents=True)
    (data / "exports" / "telegram" / "result.json").write_text(json.dumps(_export(), ensure_ascii=False), encoding="utf-8")
    materialize_all(data, out)
    return out


def _spells(out: Path) -> dict[str, list[tuple]]:
    """Spells per member, named by their Telegram id through the pseudonym table."""
    rows = query(out, """
        select pseudonyms.handle, spells.spell,
               strftime(timezone('Asia/Shanghai', spells.joined_at), '%m-%d'), spells.joined_via,
               strftime(timezone('Asia/Shanghai', spells.left_at), '%m-%d'), spells.left_via,
               spells.join_source_record_label
        from intermediate.int_group_members as spells
        inner join raw.member_pseudonyms as pseudonyms on pseudonyms.member_key = spells.member_key
        order by all
    """)
    spells: dict[str, list[tuple]] = {}
    for handle, *rest in rows:
        spells.setdefault(handle, []).append(tuple(rest))
    return spells


def test_spells_follow_joins_leaves_removals_and_first_messages(world):
    assert _spells(world) == {
        "user11": [(1, "07-05", "first_message", None, None, "messages[3]")],
        "user12": [(1, "07-10", "join_event", "08-15", "leave", "messages[5]")],
        "user13": [(1, "07-02", "first_message", "07-20", "remove", "messages[0]")],
        # Dan (user14) only left: nothing says when he joined, so no spell
        "user15": [(1, "07-03", "join_event", "07-06", "leave", "messages[1]"),
                   (2, "09-10", "join_event", None, None, "messages[11]")],
    }


@pytest.mark.parametrize(
    "month, at_start, during",
    [
        # Aug 1: Ann, Ben (Cat was removed 07-20, Eve left 07-06); during Aug: + Cat, who posted
        ("2026-08", 2, 3),
        # Sep 1: Ann only (Ben left 08-15); during Sep: + Eve, who rejoined 09-10
        ("2026-09", 1, 2),
        # Oct 1: Ann, Eve
        ("2026-10", 2, 2),
    ],
)
def test_member_counts_come_from_the_spells(world, month, at_start, during):
    rows = query(world, f"""
        select metric, denominator from intermediate.int_metrics__group
        where entity_id = 'T1' and period_type = 'month' and period = '{month}'
          and metric in ('net_growth_rate', 'participation_rate')
        order by metric
    """)
    assert dict(rows) == {"net_growth_rate": at_start, "participation_rate": during}


def test_group_activity_metrics_for_a_month(world):
    """August 2026 (31 days): the only member message is Cat's on 08-01; members during August are
    Ann and Ben (at its start) plus Cat (posted); Ben (08-15) and Dan (08-03, a member who left
    without ever posting) leave, nobody joins."""
    rows = dict(
        (metric, (numerator, denominator, value)) for metric, numerator, denominator, value in query(world, """
            select metric, numerator, denominator, value from intermediate.int_metrics__group
            where entity_id = 'T1' and period_type = 'month' and period = '2026-08'
        """)
    )
    assert rows["participation_rate"] == (1, 3, pytest.approx(1 / 3))
    assert rows["messages_per_member_day"] == (1, 93, pytest.approx(1 / 93))
    assert rows["active_day_ratio"] == (1, 31, pytest.approx(1 / 31))
    assert rows["net_growth_rate"] == (-2, 2, pytest.approx(-1.0))
