"""Staging of the platform inputs and the content, satisfaction and platform-based metrics that read
them (KPI_SPEC §4.1–§4.4), end to end on a hand-made world with hand-computed expectations.

The world: staff S1 (customer service; WeCom s1, Douyin dy_s1), S2 (team lead; WeCom s2) and S3
(WeCom s3; Kuaishou ks_s3 until 2026-07-31); groups G1 (WeCom room1, customer service, owner S2,
assigned S1 and S3) and G2 (room2, promotion, owner S1). Chats run 2026-07-01 .. 2026-10-02, so the
periods are 2026-07 .. 2026-10 and 2026-Q3, 2026-Q4. Every input kind comes in two overlapping files
("a" then "b": the b file's path sorts later) to check that a record delivered twice counts once.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from tests.conftest import SHANGHAI, materialize_all, query, wecom_line, write_config

ROSTER = """staff_id,name,role,team,manager_id,calendar_id,active_from,active_to
S1,客服一,customer_service,客服部,S2,cn_office,2026-01-01,
S2,主管二,team_lead,客服部,,cn_office,2026-01-01,
S3,运营三,customer_service,运营部,S2,cn_office,2026-01-01,
"""
HANDLES = """staff_id,platform,handle,valid_from,valid_to
S1,wecom,s1,,
S2,wecom,s2,,
S3,wecom,s3,,
S1,douyin,dy_s1,,
S3,kuaishou,ks_s3,,2026-07-31
"""
GROUPS = """group_id,platform,source_key,name,category,owner_staff_id,assigned_staff_ids,calendar_id
G1,wecom,room1,客服群,customer_service,S2,S1;S3,cn_office
G2,wecom,room2,推广群,promotion,S1,,cn_office
"""

# 57 and 58 characters: substantive posts (≥ 50). TEXT_A_AGAIN differs from TEXT_A only in
# punctuation and whitespace, so it is a duplicate after normalising.
TEXT_A = "本周会员日活动说明：周六上午十点开始，全场商品九折，积分可以抵扣现金，每位会员限领一张优惠券，数量有限，先到先得。"
TEXT_A_AGAIN = "本周会员日活动说明: 周六上午十点开始, 全场商品九折, 积分可以抵扣现金, 每位会员限领一张优惠券, 数量有限, 先到先得!!"
TEXT_B = "售后服务提醒：收到商品后七天内可以无理由退换，请保留好包装和发票，退换时在订单页提交申请，客服会在一个工作日内处理。"

MESSAGES = [
    # (msgid, sender, local time, text, room)
    ("m01", "ma", "2026-07-01 10:00", "我要退款，怎么操作？", "room1"),  # complex request
    ("m02", "s1", "2026-07-01 10:05", "请在订单页申请退款", "room1"),  # untargeted response: resolved
    ("o1", "s1", "2026-07-02 10:00", TEXT_A, "room1"),  # original
    ("o2", "s1", "2026-07-03 10:00", TEXT_A_AGAIN, "room1"),  # duplicate of o1
    ("s3a", "s3", "2026-07-04 10:00", TEXT_A, "room1"),  # S3's own: original for S3
    ("o3", "s1", "2026-07-05 10:00", TEXT_B, "room1"),  # original
    ("o5", "s1", "2026-07-06 10:00", "收到，马上处理", "room1"),  # short: not substantive
    ("m03", "mb", "2026-07-10 11:00", "大家好", "room1"),
    ("o4", "s1", "2026-08-01 10:00", TEXT_A, "room2"),  # duplicate, in another group, same quarter
    ("m04", "ma", "2026-08-05 11:00", "今天天气不错", "room1"),
    ("m05", "mc", "2026-08-10 11:00", "新人报到", "room1"),  # first seen in August
    ("m06", "mb", "2026-09-03 11:00", "大家早", "room1"),
    ("o6", "s1", "2026-10-02 10:00", TEXT_A, "room1"),  # new quarter: original again
    ("m07", "ma", "2026-10-02 11:00", "我要投诉，快递太慢了", "room1"),  # complex request, no ticket
    ("m08", "s1", "2026-10-02 11:10", "已经帮您催了", "room1"),  # untargeted response: resolved
]


def _csv(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _epoch(day: str) -> int:
    return int(datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=SHANGHAI).timestamp())


def _behaviour(days: list[dict]) -> dict:
    return {"errcode": 0, "errmsg": "ok", "behavior_data": [
        {"stat_time": _epoch(day.pop("day")), "chat_cnt": 1, "message_cnt": 1, **day} for day in days]}


def _write_inputs(inputs: Path) -> None:
    # Platform group statistics: G1 by group_id in a, by platform + source_key in b.
    _csv(inputs / "group_stats" / "gs_a.csv", """group_id,platform,source_key,stat_date,member_total
G1,,,2026-07-20,35
G1,,,2026-07-25,40
G1,,,2026-08-31,48
G1,,,2026-09-01,50
G1,,,2026-09-20,60
""")
    _csv(inputs / "group_stats" / "gs_b.csv", """group_id,platform,source_key,stat_date,member_total
,wecom,room1,2026-09-01,52
,wecom,roomX,2026-09-01,10
""")
    # Tickets: T2 changes status in b (closed), T1 is repeated unchanged.
    ticket_header = "ticket_id,opened_at,closed_at,ticket_type,status,staff_id,staff_platform,staff_handle,group_id,customer\n"
    _csv(inputs / "tickets" / "tk_a.csv", ticket_header + """T1,2026-07-02 10:00,2026-07-02 12:00,complaint,resolved,S1,,,G1,客户甲
T2,2026-07-03 10:00,,complaint,open,S1,,,G1,客户乙
T3,2026-07-04 10:00,2026-07-04 15:00,complaint,closed,S1,,,,客户丙
T4,2026-07-05 10:00,,complaint,resolved,S1,,,G1,客户丁
T5,2026-07-06 10:00,2026-07-06 11:00,consultation,resolved,S1,,,G1,客户戊
T6,2026-07-07 10:00,,complaint,open,S1,,,G1,客户己
T7,2026-07-08 10:00,2026-07-08 11:00,complaint,resolved,,wecom,ghost,,客户庚
""")
    _csv(inputs / "tickets" / "tk_b.csv", ticket_header + """T2,2026-07-03 10:00,2026-07-08 09:00,complaint,closed,S1,,,G1,客户乙
T1,2026-07-02 10:00,2026-07-02 12:00,complaint,resolved,S1,,,G1,客户甲
""")
    # Surveys: R1 delivered twice; R5 names an unknown handle and G1.
    survey_header = "response_id,responded_at,staff_id,staff_platform,staff_handle,group_id,platform,source_key,csat,nps,respondent\n"
    _csv(inputs / "surveys" / "sv_a.csv", survey_header + """R1,2026-07-02 10:00,S1,,,G1,,,5,10,张先生
R2,2026-07-03 10:00,S1,,,,,,4,8,李女士
R3,2026-07-04 10:00,S1,,,,,,2,,王先生
R4,2026-07-05 10:00,,,,,wecom,room1,3,9,赵女士
R5,2026-07-06 10:00,,wecom,ghost,G1,,,1,0,钱先生
""")
    _csv(inputs / "surveys" / "sv_b.csv", survey_header + """R1,2026-07-02 10:00,S1,,,G1,,,5,10,张先生
R6,2026-08-02 10:00,S1,,,,,,5,,孙女士
""")
    # Evaluations: b re-rates S1's supervisor rating later and repeats the anonymous customer rating.
    evaluation_header = "staff_id,period,rater_type,rater_id,score,scale,submitted_at,comment\n"
    _csv(inputs / "evaluations" / "ev_a.csv", evaluation_header + """S1,2026-Q3,self,,90,100,,自评
S1,2026-Q3,supervisor,S2,4,5,2026-09-20 10:00,
S1,2026-Q3,customer,C1,7,10,,
S1,2026-Q3,customer,,9,10,,很好
""")
    _csv(inputs / "evaluations" / "ev_b.csv", evaluation_header + """S1,2026-Q3,supervisor,S2,4.5,5,2026-09-25 10:00,复评
S1,2026-Q3,customer,,9,10,,很好
S1,2026-07,supervisor,S2,85,100,2026-08-01 10:00,
S3,2026-08,peer,S1,60,100,2026-09-01 10:00,
""")
    # Content audits: P2 resubmitted; P3 pending in a, reviewed in b; P6's first submission is
    # quarantined (unknown verdict), so P6 has no first-time result.
    audit_header = "post_id,staff_id,group_id,submitted_at,first_verdict,first_reviewed_at,score,reviewer\n"
    _csv(inputs / "content_audits" / "au_a.csv", audit_header + """P1,S1,G1,2026-07-02 10:00,pass,2026-07-02 11:00,4,审核甲
P2,S1,G1,2026-07-03 10:00,fail,2026-07-03 11:00,2,审核甲
P2,S1,G1,2026-07-04 10:00,pass,2026-07-04 11:00,5,审核乙
P3,S1,G2,2026-07-05 10:00,,,,
P4,S1,G2,2026-07-06 10:00,pass,2026-07-06 11:00,,审核甲
P6,S1,G1,2026-07-08 10:00,maybe,2026-07-08 11:00,3,审核甲
P6,S1,G1,2026-07-09 10:00,pass,2026-07-09 11:00,5,审核甲
""")
    _csv(inputs / "content_audits" / "au_b.csv", audit_header + """P3,S1,G2,2026-07-05 10:00,fail,2026-07-07 11:00,3,审核乙
P1,S1,G1,2026-07-02 10:00,pass,2026-07-02 11:00,4,审核甲
P5,S3,G1,2026-08-01 10:00,revise,2026-08-01 11:00,3,审核乙
""")
    # Short-video posts: v1 in both monthly downloads (the later as_of wins); v4 has no views figure.
    post_header = "post_id,title,published_at,views,likes,comments,shares\n"
    douyin = inputs / "content_posts" / "douyin" / "dy_s1"
    _csv(douyin / "2026-07.csv", "数据更新时间：2026-07-31 12:00,,,,,,\n" + post_header + """v1,标题一,2026-07-02 10:00,1000,50,10,5
v2,标题二,2026-07-20 10:00,2000,100,20,
""")
    _csv(douyin / "2026-08.csv", "数据更新时间：2026-08-31 12:00,,,,,,\n" + post_header + """v1,标题一,2026-07-02 10:00,3000,150,30,15
v3,标题三,2026-08-05 10:00,500,10,5,0
v4,标题四,2026-08-06 10:00,-,10,1,1
""")
    _csv(inputs / "content_posts" / "kuaishou" / "ks_s3" / "2026-08.csv", """post_id,title,published_at,views,likes,comments
k1,快手一,2026-07-15 10:00,100,10,0
k2,快手二,2026-08-03 10:00,200,20,0
""")
    # WeCom behaviour: s1's 07-02 is re-pulled in b with a corrected count; 07-03 is absent; 07-05 has
    # no negative_feedback_cnt.
    behaviour = inputs / "wecom_behavior"
    _csv(behaviour / "s1" / "2026-07-a.json", json.dumps(_behaviour([
        {"day": "2026-07-01", "negative_feedback_cnt": 1, "new_contact_cnt": 10},
        {"day": "2026-07-02", "negative_feedback_cnt": 0, "new_contact_cnt": 5},
    ])))
    _csv(behaviour / "s1" / "2026-07-b.json", json.dumps(_behaviour([
        {"day": "2026-07-02", "negative_feedback_cnt": 1, "new_contact_cnt": 6},
        {"day": "2026-07-04", "negative_feedback_cnt": 2, "new_contact_cnt": 5},
        {"day": "2026-07-05", "new_contact_cnt": 4},
    ])))
    _csv(behaviour / "others.jsonl", "\n".join(json.dumps({"userid": userid, "response": _behaviour(days)}) for userid, days in [
        ("s2", [{"day": "2026-07-01", "negative_feedback_cnt": 1, "new_contact_cnt": 0}]),
        ("ghost", [{"day": "2026-07-01", "negative_feedback_cnt": 1, "new_contact_cnt": 3}]),
    ]) + "\n")
    # WeCom group-chat statistics of owner s2: 07-01 re-pulled in b.
    groupchat = inputs / "wecom_groupchat" / "s2"
    for name, days in [("a.json", [("2026-07-01", 100)]), ("b.json", [("2026-07-01", 101), ("2026-07-02", 103)])]:
        _csv(groupchat / name, json.dumps({"errcode": 0, "errmsg": "ok", "items": [
            {"stat_time": _epoch(day), "data": {"new_chat_cnt": 0, "chat_total": 2, "new_member_cnt": 1,
                                                "member_total": total}} for day, total in days]}))


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("inputs_metrics_world")
    data, out = root / "data", root / "out"
    write_config(data, roster=ROSTER, handles=HANDLES, groups=GROUPS)
    exports = data / "exports" / "wecom"
    exports.mkdir(parents=True)
    (exports / "chats.jsonl").write_text("\n".join(wecom_line(*m) for m in MESSAGES) + "\n", encoding="utf-8")
    _write_inputs(data / "inputs")
    materialize_all(data, out)
    return out


def metric(out: Path, table: str, entity_id: str, period: str, name: str) -> tuple:
    """(numerator, denominator, value, sample_size) of one metric row; () when there is none."""
    rows = query(out, f"""
        select numerator, denominator, value, sample_size from intermediate.{table}
        where entity_id = $entity and period = $period and metric = $metric
    """, {"entity": entity_id, "period": period, "metric": name})
    assert len(rows) <= 1
    return tuple(rows[0]) if rows else ()


def columns(out: Path, table: str) -> set[str]:
    return {row[0] for row in query(out, f"select column_name from (describe {table})")}


# --- staging: one row per record, however many files carry it --------------------------------------

def test_inputs_loaded_with_expected_quarantine(world):
    quarantined = query(world, "select input_kind, source_file, reason from raw.input_quarantine")
    assert [(kind, file) for kind, file, _ in quarantined] == [
        ("content_audits", "inputs/content_audits/au_a.csv")]
    assert "maybe" in quarantined[0][2]


def test_behaviour_dedup_later_file_wins_and_absent_days_stay_absent(world):
    rows = query(world, """
        select staff_id, userid, strftime(stat_date, '%m-%d'), negative_feedback_cnt, new_contact_cnt, copies,
               source_file, resolution_note
        from staging.stg_wecom__user_behavior order by userid, stat_date
    """)
    assert [row[:6] for row in rows] == [
        (None, "ghost", "07-01", 1, 3, 1),
        ("S1", "s1", "07-01", 1, 10, 1),
        ("S1", "s1", "07-02", 1, 6, 2),  # the b file's copy
        ("S1", "s1", "07-04", 2, 5, 1),
        ("S1", "s1", "07-05", None, 4, 1),
        ("S2", "s2", "07-01", 1, 0, 1),
    ]
    assert rows[2][6] == "inputs/wecom_behavior/s1/2026-07-b.json"
    assert rows[0][7] == "no roster handle wecom:ghost valid on 2026-07-01"


def test_groupchat_dedup_keeps_snapshots(world):
    rows = query(world, """
        select staff_id, owner_userid, strftime(stat_date_from, '%m-%d'), member_total, new_member_cnt, copies
        from staging.stg_wecom__groupchat_daily order by stat_date_from
    """)
    assert rows == [("S2", "s2", "07-01", 101, 1, 2), ("S2", "s2", "07-02", 103, 1, 1)]


def test_group_stats_dedup_across_identity_forms(world):
    rows = query(world, """
        select group_id, strftime(stat_date, '%m-%d'), member_total, copies, resolution_note
        from staging.stg_platform__group_daily_stats order by group_id nulls last, stat_date
    """)
    assert rows == [
        ("G1", "07-20", 35, 1, None),
        ("G1", "07-25", 40, 1, None),
        ("G1", "08-31", 48, 1, None),
        ("G1", "09-01", 52, 2, None),  # named by platform + source_key in the later file
        ("G1", "09-20", 60, 1, None),
        (None, "09-01", 10, 1, "group wecom:roomX is not in the group registry"),
    ]


def test_posts_latest_as_of_wins_and_expired_handle_is_noted(world):
    rows = query(world, """
        select platform, post_id, staff_id, published_month, views, likes, copies, resolution_note
        from staging.stg_content__posts order by platform, post_id
    """)
    assert rows == [
        ("douyin", "v1", "S1", "2026-07", 3000, 150, 2, None),
        ("douyin", "v2", "S1", "2026-07", 2000, 100, 1, None),
        ("douyin", "v3", "S1", "2026-08", 500, 10, 1, None),
        ("douyin", "v4", "S1", "2026-08", None, 10, 1, None),
        ("kuaishou", "k1", "S3", "2026-07", 100, 10, 1, None),
        ("kuaishou", "k2", None, "2026-08", 200, 20, 1, "no roster handle kuaishou:ks_s3 valid on 2026-08-03"),
    ]


def test_survey_dedup_attribution_and_no_respondent(world):
    rows = query(world, """
        select response_id, staff_id, group_id, attributed_to, copies, resolution_note
        from staging.stg_surveys__responses order by response_id
    """)
    assert rows == [
        ("R1", "S1", "G1", "staff", 2, None),
        ("R2", "S1", None, "staff", 1, None),
        ("R3", "S1", None, "staff", 1, None),
        ("R4", None, "G1", "group", 1, None),
        ("R5", None, "G1", "group", 1, "no roster handle wecom:ghost valid on 2026-07-06"),
        ("R6", "S1", None, "staff", 1, None),
    ]
    assert "respondent" not in columns(world, "staging.stg_surveys__responses")


def test_ticket_dedup_latest_status_wins_and_no_customer(world):
    rows = query(world, """
        select ticket_id, status, is_resolved, is_complaint, staff_id, group_id, copies, resolution_note
        from staging.stg_tickets__tickets order by ticket_id
    """)
    assert rows == [
        ("T1", "resolved", True, True, "S1", "G1", 2, None),
        ("T2", "closed", True, True, "S1", "G1", 2, None),  # the later status change
        ("T3", "closed", True, True, "S1", None, 1, None),
        ("T4", "resolved", None, True, "S1", "G1", 1, None),  # resolved without closed_at: unknown
        ("T5", "resolved", True, False, "S1", "G1", 1, None),
        ("T6", "open", False, True, "S1", "G1", 1, None),
        ("T7", "resolved", True, True, None, None, 1, "no roster handle wecom:ghost valid on 2026-07-08"),
    ]
    assert "customer" not in columns(world, "staging.stg_tickets__tickets")


def test_audit_dedup_and_first_submission(world):
    rows = query(world, """
        select post_id, submission_number, is_first_submission, first_verdict, score, post_is_reviewed,
               post_passed_first_time, copies, resolution_note is not null
        from staging.stg_content__audits order by post_id, submission_number
    """)
    assert rows == [
        ("P1", 1, True, "pass", 4.0, True, True, 2, False),
        ("P2", 1, True, "fail", 2.0, True, False, 1, False),
        ("P2", 2, False, "pass", 5.0, True, False, 1, False),  # a later pass does not make it first-time
        ("P3", 1, True, "fail", 3.0, True, False, 2, False),  # the reviewed copy beats the pending one
        ("P4", 1, True, "pass", None, True, True, 1, False),
        ("P5", 1, True, "revise", 3.0, True, False, 1, False),
        ("P6", 1, False, "pass", 5.0, False, None, 1, True),  # its real first submission was quarantined
    ]
    assert "reviewer" not in columns(world, "staging.stg_content__audits")


def test_evaluation_dedup_named_and_anonymous(world):
    rows = query(world, """
        select staff_id, period, rater_type, score_normalised, copies
        from staging.stg_evaluations__ratings order by staff_id, period, rater_type, score_normalised
    """)
    assert rows == [
        ("S1", "2026-07", "supervisor", 85.0, 1),
        ("S1", "2026-Q3", "customer", 70.0, 1),
        ("S1", "2026-Q3", "customer", 90.0, 2),  # the same anonymous rating in both files
        ("S1", "2026-Q3", "self", 90.0, 1),
        ("S1", "2026-Q3", "supervisor", 90.0, 2),  # the later submission (4.5 / 5)
        ("S3", "2026-08", "peer", 60.0, 1),
    ]
    assert not {"rater_id", "comment"} & columns(world, "staging.stg_evaluations__ratings")


# --- content quality (§4.1 posts_published, §4.2) ---------------------------------------------------

def test_audit_pass_rate(world):
    # S1's reviewed posts in July: P1 pass, P2 fail (pass on resubmission), P3 fail, P4 pass; P6 has
    # no known first submission and P3's pending copy is superseded.
    assert metric(world, "int_metrics__content", "S1", "2026-07", "audit_pass_rate") == (2, 4, 0.5, 4)
    assert metric(world, "int_metrics__content", "S3", "2026-Q3", "audit_pass_rate") == (0, 1, 0.0, 1)
    # groups: content posted in the group
    assert metric(world, "int_metrics__content", "G1", "2026-07", "audit_pass_rate") == (1, 2, 0.5, 2)
    assert metric(world, "int_metrics__content", "G2", "2026-07", "audit_pass_rate") == (1, 2, 0.5, 2)
    assert metric(world, "int_metrics__content", "G1", "2026-Q3", "audit_pass_rate")[:2] == (1, 3)


def test_audit_score(world):
    # every scored review: P1 4, P2 2 and 5, P3 3, P6's second submission 5 (P4 has no score)
    assert metric(world, "int_metrics__content", "S1", "2026-07", "audit_score") == (19, 5, 3.8, 5)
    assert metric(world, "int_metrics__content", "G1", "2026-07", "audit_score") == (16, 4, 4.0, 4)
    assert metric(world, "int_metrics__content", "G1", "2026-Q3", "audit_score") == (19, 5, 3.8, 5)
    assert metric(world, "int_metrics__content", "G2", "2026-07", "audit_score") == (3, 1, 3.0, 1)


def test_post_engagement_rate(world):
    # July: v1 (latest counts) 150+30+15 / 3000, v2 100+20 (no shares) / 2000
    assert metric(world, "int_metrics__content", "S1", "2026-07", "post_engagement_rate") == (315, 5000, 0.063, 2)
    # August: v4 has no views figure and is left out
    assert metric(world, "int_metrics__content", "S1", "2026-08", "post_engagement_rate") == (15, 500, 0.03, 1)
    numerator, denominator, value, sample = metric(world, "int_metrics__content", "S1", "2026-Q3",
                                                   "post_engagement_rate")
    assert (numerator, denominator, sample) == (330, 5500, 3) and value == pytest.approx(0.06)
    assert metric(world, "int_metrics__content", "S3", "2026-07", "post_engagement_rate") == (10, 100, 0.1, 1)


def test_posts_published(world):
    assert metric(world, "int_metrics__content", "S1", "2026-07", "posts_published")[2] == 2
    assert metric(world, "int_metrics__content", "S1", "2026-08", "posts_published")[2] == 2  # v4 counts
    assert metric(world, "int_metrics__content", "S1", "2026-09", "posts_published")[2] == 0  # scored, not skipped
    assert metric(world, "int_metrics__content", "S1", "2026-Q3", "posts_published")[2] == 4
    assert metric(world, "int_metrics__content", "S3", "2026-07", "posts_published")[2] == 1
    # k2 was published after S3's Kuaishou handle expired: nobody's, and S3 has no account in August
    assert metric(world, "int_metrics__content", "S3", "2026-08", "posts_published") == ()
    assert metric(world, "int_metrics__content", "S2", "2026-07", "posts_published") == ()


def test_originality(world):
    # Q3: o1, o2 (duplicate of o1 after normalising), o3, o4 (o1 again, in G2) -> 1 - 2/4
    assert metric(world, "int_metrics__content", "S1", "2026-Q3", "originality") == (2, 4, 0.5, 4)
    numerator, denominator, value, _ = metric(world, "int_metrics__content", "S1", "2026-07", "originality")
    assert (numerator, denominator) == (2, 3) and value == pytest.approx(2 / 3)
    assert metric(world, "int_metrics__content", "S1", "2026-08", "originality") == (0, 1, 0.0, 1)
    # a new quarter starts afresh; another staff member's identical post is not a duplicate of S1's
    assert metric(world, "int_metrics__content", "S1", "2026-Q4", "originality") == (1, 1, 1.0, 1)
    assert metric(world, "int_metrics__content", "S3", "2026-Q3", "originality") == (1, 1, 1.0, 1)


# --- satisfaction (§4.4) ----------------------------------------------------------------------------

def test_csat_rate(world):
    # S1 July: R1 5, R2 4, R3 2 (R1 delivered twice counts once); Q3 adds R6 5
    numerator, denominator, value, sample = metric(world, "int_metrics__satisfaction", "S1", "2026-07", "csat_rate")
    assert (numerator, denominator, sample) == (2, 3, 3) and value == pytest.approx(2 / 3)
    assert metric(world, "int_metrics__satisfaction", "S1", "2026-Q3", "csat_rate") == (3, 4, 0.75, 4)
    # G1 July: the responses attributed to G1 (KPI_SPEC §4.4: a response counts for the staff member it
    # names, else its group) — R4 (3) and R5 (1; its staff handle is unknown); R1 is S1's
    numerator, denominator, value, _ = metric(world, "int_metrics__satisfaction", "G1", "2026-07", "csat_rate")
    assert (numerator, denominator) == (0, 2) and value == pytest.approx(0.0)


def test_csat_mean(world):
    numerator, denominator, value, _ = metric(world, "int_metrics__satisfaction", "S1", "2026-07", "csat_mean")
    assert (numerator, denominator) == (11, 3) and value == pytest.approx(11 / 3)
    assert metric(world, "int_metrics__satisfaction", "S1", "2026-Q3", "csat_mean") == (16, 4, 4.0, 4)
    assert metric(world, "int_metrics__satisfaction", "G1", "2026-07", "csat_mean") == (4, 2, 2.0, 2)


def test_nps(world):
    # S1 July: R1 10 (promoter), R2 8 (passive); R3 did not answer -> 100 * (1 - 0) / 2
    assert metric(world, "int_metrics__satisfaction", "S1", "2026-07", "nps") == (100, 2, 50.0, 2)
    # G1 July (attributed to the group): R4 9 (promoter), R5 0 (detractor) -> 100 * (1 - 1) / 2
    numerator, denominator, value, _ = metric(world, "int_metrics__satisfaction", "G1", "2026-07", "nps")
    assert (numerator, denominator) == (0, 2) and value == pytest.approx(0.0)
    # August: R6 has no NPS answer -> NULL, not 0
    assert metric(world, "int_metrics__satisfaction", "S1", "2026-08", "nps") == (0, 0, None, 0)


def test_evaluation_score_renormalises_missing_rater_type(world):
    # S1 Q3, no peer rating: self 90 (w .1), supervisor 90 (w .4), customer mean(70, 90) = 80 (w .3)
    # -> (9 + 36 + 24) / 0.8 = 86.25
    numerator, denominator, value, sample = metric(world, "int_metrics__satisfaction", "S1", "2026-Q3",
                                                   "evaluation_score")
    assert numerator == pytest.approx(69) and denominator == pytest.approx(0.8)
    assert value == pytest.approx(86.25) and sample == 4
    assert metric(world, "int_metrics__satisfaction", "S1", "2026-07", "evaluation_score")[2:] == (85.0, 1)
    # S3 was rated for August only: the quarter falls back to that month's peer rating
    assert metric(world, "int_metrics__satisfaction", "S3", "2026-Q3", "evaluation_score")[2:] == (60.0, 1)


def test_negative_feedback_rate_over_known_days_only(world):
    # S1 July: 07-01 1/10, 07-02 1/6 (re-pulled copy), 07-04 2/5; 07-03 absent and 07-05 (no negative
    # feedback figure) are left out rather than read as zeros -> 4 / 21
    numerator, denominator, value, sample = metric(world, "int_metrics__satisfaction", "S1", "2026-07",
                                                   "negative_feedback_rate")
    assert (numerator, denominator, sample) == (4, 21, 21) and value == pytest.approx(4 / 21)
    # no new contacts: NULL, never 0
    assert metric(world, "int_metrics__satisfaction", "S2", "2026-07", "negative_feedback_rate") == (1, 0, None, 0)


# --- platform member totals (§4.1) and the ticket log (§4.3) -----------------------------------------

def _members(out: Path, period: str) -> tuple:
    rows = query(out, """
        select metric, numerator, denominator, value_source from intermediate.int_metrics__group
        where entity_id = 'G1' and period = $period and metric in ('participation_rate', 'net_growth_rate')
        order by metric
    """, {"period": period})
    return tuple(tuple(row) for row in rows)


def test_platform_member_total_wins(world):
    # July: no platform total within 7 days of 07-01 -> spells: ma and mb arrive, both post
    assert _members(world, "2026-07") == (
        ("net_growth_rate", 0, 0, "membership_spells"),
        ("participation_rate", 2, 2, "membership_spells"),
    )
    # August: no total on 08-01, the latest within the 7 days before is 07-25 (40; 07-20 is older).
    # During: 40 + mc (first seen in August; ma was a member at the start) = 41; ma and mc posted.
    assert _members(world, "2026-08") == (
        ("net_growth_rate", 0, 40, "platform_stats:2026-07-25"),
        ("participation_rate", 2, 41, "platform_stats:2026-07-25"),
    )
    # September: the first day's total wins over 08-31's, and b's copy (52) over a's (50)
    assert _members(world, "2026-09") == (
        ("net_growth_rate", 0, 52, "platform_stats:2026-09-01"),
        ("participation_rate", 1, 52, "platform_stats:2026-09-01"),
    )
    # October: 09-20 is more than 7 days before -> spells (ma, mb, mc)
    assert _members(world, "2026-10")[1] == ("participation_rate", 1, 3, "membership_spells")


def _complaints(out: Path, entity_id: str, period: str) -> tuple:
    rows = query(out, """
        select numerator, denominator, value, sample_size, value_source from intermediate.int_metrics__resolution
        where entity_id = $entity and period = $period and metric = 'complaint_resolution_rate'
    """, {"entity": entity_id, "period": period})
    assert len(rows) <= 1
    return tuple(rows[0]) if rows else ()


def test_complaint_resolution_rate_from_tickets(world):
    # chats alone say 1/1 (m01 answered, not reopened); the ticket log wins: T1, T2 (closed in the later
    # file), T3 resolved, T6 open; T4 (no closed_at) and T5 (consultation) do not count
    assert _complaints(world, "S1", "2026-07") == (3, 4, 0.75, 4, "ticket_log")
    numerator, denominator, value, _, source = _complaints(world, "G1", "2026-07")
    assert (numerator, denominator, source) == (2, 3, "ticket_log") and value == pytest.approx(2 / 3)
    # no tickets in October: the chat-based value (m07 answered by m08)
    assert _complaints(world, "S1", "2026-10") == (1, 1, 1.0, 1, "chat_requests")
    # the other resolution metrics are untouched
    assert query(world, """
        select value, value_source from intermediate.int_metrics__resolution
        where entity_id = 'S1' and period = '2026-07' and metric = 'resolution_rate'
    """) == [(1.0, None)]


def test_input_metrics_reach_scoring_with_their_status(world):
    """The new metric tables feed marts.fct_metric_scores: scored where the sample suffices, and the
    score explanation carries their points; no rubric metric with an input is left `no_input`."""
    rows = query(world, """
        select metric, status from marts.fct_metric_scores
        where entity_type = 'staff' and period_type = 'quarter'
          and metric in ('evaluation_score', 'negative_feedback_rate', 'csat_rate', 'audit_pass_rate',
                         'post_engagement_rate', 'originality', 'posts_published')
    """)
    statuses = {}
    for name, status in rows:
        statuses.setdefault(name, set()).add(status)
    assert "scored" in statuses["evaluation_score"]
    assert all("no_input" not in found for found in statuses.values())
    points = query(world, """
        select count(*) from marts.fct_score_explanations
        where metric = 'evaluation_score' and status = 'scored' and contribution > 0
    """)[0][0]
    assert points > 0
