"""KPI_SPEC §3 request/response rules on a hand-made world, with hand-computed expectations.

Calendar: Mon-Fri 09:00-18:00 Asia/Shanghai, 2026 statutory holidays (National Day 10-01..10-07) and
make-up workdays (Sun 09-20). Member names come from contacts.csv, as WeCom exports carry none.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import materialize_all, query, wecom_line, write_config

ROSTER = """staff_id,name,role,team,manager_id,calendar_id,active_from,active_to
S1,客服一,customer_service,客服部,S2,cn_office,2026-01-01,
S2,主管二,team_lead,客服部,,cn_office,2026-01-01,
"""
HANDLES = """staff_id,platform,handle,valid_from,valid_to
S1,wecom,s1,,
S2,wecom,s2,,
"""
GROUPS = """group_id,platform,source_key,name,category,owner_staff_id,assigned_staff_ids,calendar_id
G1,wecom,room1,测试客服群,customer_service,S2,S1,cn_office
"""
CONTACTS = "platform,handle,name\n" + "".join(f"wecom,m{c},阿{c.upper()}\n" for c in "abcdefghi")

MESSAGES = [
    # A: after hours Tue 20:00, answered by @mention next morning 09:30
    ("a1", "ma", "2026-09-15 20:00", "请问发货了吗？"),
    ("a2", "s1", "2026-09-16 09:30", "@阿A 已经发货了"),
    # B: the day before National Day, answered after the holiday
    ("b1", "mb", "2026-09-30 17:00", "请问会员积分怎么用？"),
    ("b2", "s1", "2026-10-08 09:10", "@阿B 在会员页兑换"),
    # C: on the make-up workday Sunday 09-20
    ("c1", "mc", "2026-09-20 10:00", "怎么开发票？"),
    ("c2", "s1", "2026-09-20 10:20", "@阿C 订单页可以开"),
    # D: an ordinary Saturday, answered Monday 09:05
    ("d1", "md", "2026-09-12 10:00", "有没有优惠券？"),
    ("d2", "s1", "2026-09-14 09:05", "@阿D 有的"),
    # E: a burst of three (one a complaint), answered by one untargeted message
    ("e1", "me", "2026-09-15 10:00", "请问在吗？"),
    ("e2", "me", "2026-09-15 10:02", "怎么退货？"),
    ("e3", "me", "2026-09-15 10:05", "运费多少钱？"),
    ("e4", "s1", "2026-09-15 10:20", "大家好，退货请走售后页面"),
    # F: a message targeting someone else, then an untargeted one outside the window, then a mention
    ("f1", "mf", "2026-09-16 14:00", "请问几点关门？"),
    ("f2", "s1", "2026-09-16 14:10", "@阿G 你好"),
    ("f3", "s1", "2026-09-16 14:45", "今天有新品活动"),
    ("f4", "s1", "2026-09-16 15:00", "@阿F 六点关门"),
    # G: answered, then the member asks again within 24 h (reopen)
    ("g1", "mh", "2026-09-17 10:00", "请问怎么改地址？"),
    ("g2", "s1", "2026-09-17 10:10", "@阿H 在订单页改"),
    ("g3", "mh", "2026-09-18 09:00", "还是不行，怎么办？"),
    ("g4", "s1", "2026-09-18 09:30", "@阿H 我帮您改好了"),
    # H: never answered -> attributed to the owner S2
    ("h1", "mi", "2026-09-18 15:00", "请问有发票吗？"),
    # acknowledgements are not requests
    ("k1", "ma", "2026-09-16 09:31", "好的，谢谢！"),
    ("k2", "mb", "2026-10-08 09:11", "OK 👍"),
]


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("requests_world")
    data, out = root / "data", root / "out"
    write_config(data, roster=ROSTER, handles=HANDLES, groups=GROUPS, contacts=CONTACTS)
    exports = data / "exports" / "wecom"
    exports.mkdir(parents=True)
    lines = [wecom_line(*m) for m in MESSAGES] + ['{"msgid": "broken"']
    (exports / "room1.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    materialize_all(data, out)
    return out


def requests_by_opening(out: Path) -> dict[str, dict]:
    columns = ["opening_message_id", "request_type", "request_message_count", "is_responded",
               "response_message_id", "response_business_minutes", "response_calendar_minutes",
               "is_within_sla", "is_resolved", "attributed_staff_id", "attribution", "opened_quarter",
               "opening_source_file", "opening_source_record"]
    rows = query(out, f"select {', '.join(columns)} from marts.fct_requests")
    return {row[0]: dict(zip(columns, row)) for row in rows}


def test_request_count_and_quarantine(world):
    assert len(requests_by_opening(world)) == 9
    quarantined = query(world, "select source_file, source_record, reason from raw.ingest_quarantine")
    assert [(f, r) for f, r, _ in quarantined] == [("exports/wecom/room1.jsonl", len(MESSAGES) + 1)]


def test_after_hours_question_answered_next_morning(world):
    a = requests_by_opening(world)["a1"]
    assert a["response_message_id"] == "a2"
    assert a["response_business_minutes"] == 30  # clock starts at 09:00 opening
    assert a["response_calendar_minutes"] == 810  # 20:00 -> 09:30
    assert a["is_within_sla"] and a["is_resolved"]
    assert (a["opening_source_file"], a["opening_source_record"]) == ("exports/wecom/room1.jsonl", 1)


def test_holiday_is_closed(world):
    b = requests_by_opening(world)["b1"]
    assert b["response_business_minutes"] == 70  # 17:00-18:00 on 09-30, then 09:00-09:10 on 10-08
    assert b["response_calendar_minutes"] == 7 * 1440 + 16 * 60 + 10
    assert not b["is_within_sla"]  # general SLA is 60 business minutes
    assert b["opened_quarter"] == "2026-Q3"


def test_makeup_workday_is_open_and_weekend_closed(world):
    requests = requests_by_opening(world)
    assert requests["c1"]["response_business_minutes"] == 20
    assert requests["d1"]["response_business_minutes"] == 5


def test_burst_forms_one_complex_request_answered_untargeted(world):
    requests = requests_by_opening(world)
    e = requests["e1"]
    assert "e2" not in requests and "e3" not in requests
    assert e["request_message_count"] == 3
    assert e["request_type"] == "complex"  # 退货 is in the complaint lexicon
    assert e["response_message_id"] == "e4"
    assert e["response_business_minutes"] == 20
    assert e["is_within_sla"]  # complex: 1440 calendar minutes


def test_targeted_elsewhere_and_adjacency_window(world):
    f = requests_by_opening(world)["f1"]
    # f2 targets 阿G, f3 is untargeted but 45 min after the question (window 30): neither responds
    assert f["response_message_id"] == "f4"
    assert f["response_business_minutes"] == 60
    assert f["is_within_sla"]


def test_reopen_within_window_unresolves(world):
    requests = requests_by_opening(world)
    assert requests["g1"]["is_responded"] and not requests["g1"]["is_resolved"]
    assert requests["g3"]["response_message_id"] == "g4" and requests["g3"]["is_resolved"]


def test_unanswered_attributed_to_owner(world):
    h = requests_by_opening(world)["h1"]
    assert not h["is_responded"] and not h["is_within_sla"] and not h["is_resolved"]
    assert (h["attributed_staff_id"], h["attribution"]) == ("S2", "unanswered_owner")


def test_staff_resolution_metrics_micro_averaged(world):
    rows = dict(query(world, """
        select metric, value from marts.fct_metric_scores
        where entity_type = 'staff' and entity_id = 'S1' and period = '2026-Q3'
    """))
    # S1 answered 8 requests: within SLA all but B (7/8); resolved all but G1 (7/8)
    assert rows["response_rate"] == 1.0
    assert rows["sla_rate"] == pytest.approx(7 / 8)
    assert rows["resolution_rate"] == pytest.approx(7 / 8)
    # business minutes sorted: 5 20 20 30 30 60 70 + g1 10 -> 5 10 20 20 30 30 60 70; median = 25
    assert rows["median_response_business_minutes"] == pytest.approx(25)
    # p90 by linear interpolation: position 0.9 * 7 = 6.3 -> 60 + 0.3 * 10 = 63
    assert rows["p90_response_business_minutes"] == pytest.approx(63)


def test_insufficient_sample_is_null_not_zero(world):
    status = query(world, """
        select status, sub_score from marts.fct_metric_scores
        where entity_type = 'staff' and entity_id = 'S1' and period = '2026-Q3' and metric = 'sla_rate'
    """)
    assert status == [("insufficient_data", None)]  # 8 requests < minimum sample 10

