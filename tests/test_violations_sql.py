"""KPI_SPEC §4.2 violation rules, ledger and rates on a hand-made world, with hand-computed expectations.

The rubric's `violations:` section is pinned here (not taken from the sample rubric) so the expectations
do not move when the sample lexicons change. Every configured term is used by some message below, and
`加Q+` carries a regex metacharacter, so the lexicon matching is exercised term by term.
Groups: G1 customer service (owner S2, assigned S1), G2 promotion (owner S2, assigned S1), G3 staff
group (owner S2; S1 not assigned). All messages are in 2026-09 except one member message in 2026-10.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
import yaml

from tests.conftest import SHANGHAI, materialize_all, query, wecom_line, write_config

ROSTER = """staff_id,name,role,team,manager_id,calendar_id,active_from,active_to
S1,客服一,customer_service,客服部,S2,cn_office,2026-01-01,
S2,主管二,team_lead,客服部,,cn_office,2026-01-01,
"""
HANDLES = """staff_id,platform,handle,valid_from,valid_to
S1,wecom,s1,,
S2,wecom,s2,,
"""
GROUPS = """group_id,platform,source_key,name,category,owner_staff_id,assigned_staff_ids,calendar_id
G1,wecom,room1,客服群,customer_service,S2,S1,cn_office
G2,wecom,room2,推广群,promotion,S2,S1,cn_office
G3,wecom,room3,员工群,staff,S2,,cn_office
"""
VIOLATIONS = {
    "ads": ["加微信", "加V", "加我微信", "兼职", "日赚", "加Q+"],
    "url_allow_list": ["example-shop.cn", "weixin.qq.com", "t.me"],
    "abuse": ["傻逼", "stupid"],
    "sensitive": ["赌博"],
    "flood": {"messages": 5, "window_minutes": 10},
}

ROOM1 = [
    # ads: lexicon terms, foreign hosts; allowed hosts, their subdomains and e-mail addresses do not fire
    ("a1", "ma", "2026-09-01 10:00", "加微信 jz8899，日赚500"),
    ("a2", "ma", "2026-09-01 10:05", "详情 https://spam.example.net/jz?id=1 快来"),
    ("a3", "mb", "2026-09-01 10:10", "官网 https://www.example-shop.cn/item/1 或 weixin.qq.com 都可以"),
    ("a4", "mb", "2026-09-01 10:12", "新活动看 pay.weixin.qq.com/abc 和 t.me/shopcn"),
    ("a5", "mc", "2026-09-01 10:15", "领红包 evilweixin.qq.com 或 WWW.Lucky88.CN"),
    ("a6", "mc", "2026-09-01 10:20", "有问题发邮件 service@qq.com"),
    ("a7", "ma", "2026-09-01 10:30", "加我微信 13900002222"),
    ("a8", "mb", "2026-09-01 10:40", "想要资源的加Q+详聊"),
    # abuse (whole words for Latin terms) and sensitive; md's offences climb the ladder
    ("b1", "md", "2026-09-02 10:00", "你就是个傻逼"),
    ("b2", "md", "2026-09-02 10:01", "You are STUPID!"),
    ("b3", "md", "2026-09-02 10:02", "加V 兼职 傻逼"),
    ("b4", "md", "2026-09-02 10:03", "stupidity is not a word match"),
    ("b5", "md", "2026-09-02 10:04", "日赚 1000"),
    ("b6", "me", "2026-09-02 11:00", "有人玩赌博吗"),
    # privacy
    ("p1", "mf", "2026-09-03 10:00", "我电话13812345678，尽快联系"),
    ("p2", "mf", "2026-09-03 10:05", "订单号1381234567890和913912345678"),
    ("p3", "mg", "2026-09-03 10:10", "身份证11010519491231002X，银行卡6217001234567893"),
    ("p4", "mg", "2026-09-03 10:15", "卡号6217001234567894 单号110105194912310021"),
    ("p5", "mh", "2026-09-03 10:20", "卡 6228 4800 1234 5678 903，手机 139-0000-1111 或 +8615012345678"),
    ("p6", "mh", "2026-09-03 10:25", "流水号622202123456789012"),
    ("p7", "mh", "2026-09-03 10:30", "电话１３７１２３４５６７８"),
    ("r1", "mb", "2026-09-03 11:00", "我的手机13698765432"),  # recalled below: not counted, not a hit
    # flood: mi repeats 4 times (no hit); mj 7 times, the 5th and the 6th within 10 minutes
    *[(f"i{n}", "mi", f"2026-09-04 20:0{2 * n}", "退款什么时候到账") for n in range(4)],
    ("f1", "mj", "2026-09-05 20:00", "在吗"),
    ("f2", "mj", "2026-09-05 20:02", " 在吗"),
    ("f3", "mj", "2026-09-05 20:04", "在吗 "),
    ("f4", "mj", "2026-09-05 20:06", "在吗"),
    ("f5", "mj", "2026-09-05 20:08", "在吗\u3000"),
    ("f6", "mj", "2026-09-05 20:12", "在吗"),  # window 20:02-20:12 inclusive: f2..f6
    ("f7", "mj", "2026-09-05 20:30", "在吗"),
    # staff
    ("s1a", "s1", "2026-09-06 10:00", "活动链接 https://shop.example.com/new"),
    ("s1b", "s1", "2026-09-06 10:05", "官网 https://example-shop.cn/new"),
    ("s1c", "s1", "2026-09-06 10:10", "@兼职小王 请不要发广告"),  # a mentioned name is not the sender's words
    ("s2a", "s2", "2026-09-06 10:20", "大家好"),
    ("late", "mb", "2026-10-10 10:00", "谢谢"),
]
ROOM2 = [
    ("g2a", "md", "2026-09-07 10:00", "加微信领资料"),
    ("s1e", "s1", "2026-09-07 10:05", "欢迎新朋友"),
]
ROOM3 = [
    ("s1d", "s1", "2026-09-08 10:00", "加微信看看"),
]
RAW_NUMBERS = [
    "13812345678", "11010519491231002X", "11010519491231002x", "6217001234567893", "6228480012345678903",
    "13900001111", "8615012345678", "15012345678", "622202123456789012", "13712345678", "13900002222",
    "13698765432",
]


def _record(msgid: str, sender: str, local: str, room: str, **fields) -> str:
    at = datetime.strptime(local, "%Y-%m-%d %H:%M").replace(tzinfo=SHANGHAI)
    return json.dumps({"msgid": msgid, "from": sender, "tolist": [], "roomid": room,
                       "msgtime": int(at.timestamp() * 1000), **fields}, ensure_ascii=False)


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("violations_world")
    data, out = root / "data", root / "out"
    write_config(data, roster=ROSTER, handles=HANDLES, groups=GROUPS)
    rubric_path = data / "config" / "rubric.yaml"
    rubric = yaml.safe_load(rubric_path.read_text(encoding="utf-8"))
    rubric["violations"] = VIOLATIONS
    rubric_path.write_text(yaml.safe_dump(rubric, allow_unicode=True, sort_keys=False), encoding="utf-8")
    exports = data / "exports" / "wecom"
    exports.mkdir(parents=True)
    room1 = [wecom_line(*m) for m in ROOM1] + [
        _record("r1x", "mb", "2026-09-03 11:01", "room1", action="recall", msgtype="revoke",
                revoke={"pre_msgid": "r1"}),
        _record("img1", "s1", "2026-09-06 10:15", "room1", action="send", msgtype="image", image={"md5sum": "x"}),
        _record("img2", "mi", "2026-09-04 21:00", "room1", action="send", msgtype="image", image={"md5sum": "y"}),
    ]
    (exports / "room1.jsonl").write_text("\n".join(room1) + "\n", encoding="utf-8")
    (exports / "room2.jsonl").write_text("\n".join(wecom_line(*m, room="room2") for m in ROOM2) + "\n",
                                         encoding="utf-8")
    (exports / "room3.jsonl").write_text("\n".join(wecom_line(*m, room="room3") for m in ROOM3) + "\n",
                                         encoding="utf-8")
    materialize_all(data, out)
    return out


def hits(out: Path) -> dict[tuple[str, str], str]:
    """(message_id, rule) -> matched_text_masked."""
    rows = query(out, "select message_id, rule, matched_text_masked from intermediate.int_messages__violations")
    return {(message_id, rule): matched for message_id, rule, matched in rows}


def ledger(out: Path) -> dict[tuple[str, str], dict]:
    columns = ["message_id", "rule", "group_id", "sender_kind", "staff_id", "member_key", "offence_number",
               "offence_rules", "recommended_action", "rubric_version", "source_file", "source_record",
               "matched_text_masked"]
    rows = query(out, f"select {', '.join(columns)} from marts.fct_violations")
    return {(row[0], row[1]): dict(zip(columns, row)) for row in rows}


def metric(out: Path, entity_id: str, period: str, name: str) -> tuple:
    rows = query(out, """
        select numerator, denominator, value, sample_size from intermediate.int_metrics__violations
        where entity_id = $entity_id and period = $period and metric = $metric
    """, {"entity_id": entity_id, "period": period, "metric": name})
    assert len(rows) == 1, (entity_id, period, name, rows)
    return rows[0]


def test_exactly_the_expected_hits(world):
    assert hits(world) == {
        ("a1", "ads"): "加微信, 日赚",
        ("a2", "ads"): "spam.example.net",
        ("a5", "ads"): "evilweixin.qq.com, www.lucky88.cn",
        ("a7", "ads"): "加我微信",
        ("a7", "privacy"): "139****2222",
        ("a8", "ads"): "加q+",
        ("b1", "abuse"): "傻逼",
        ("b2", "abuse"): "stupid",
        ("b3", "ads"): "兼职, 加v",
        ("b3", "abuse"): "傻逼",
        ("b5", "ads"): "日赚",
        ("b6", "sensitive"): "赌博",
        ("p1", "privacy"): "138****5678",
        ("p3", "privacy"): "110105********002X, 6217****7893",
        ("p5", "privacy"): "139****1111, 150****5678, 6228****8903",
        ("p6", "privacy"): "6222****9012",
        ("p7", "privacy"): "137****5678",
        ("f5", "flood"): "repeated ×5",
        ("f6", "flood"): "repeated ×5",
        ("s1a", "ads"): "shop.example.com",
        ("g2a", "ads"): "加微信",
        ("s1d", "ads"): "加微信",
    }


def test_urls_allowed_hosts_and_subdomains_do_not_fire(world):
    found = {message_id for message_id, _ in hits(world)}
    # www.example-shop.cn, weixin.qq.com, pay.weixin.qq.com, t.me, an e-mail address, example-shop.cn
    assert not found & {"a3", "a4", "a6", "s1b"}
    assert hits(world)[("a5", "ads")] == "evilweixin.qq.com, www.lucky88.cn"  # not a subdomain of weixin.qq.com


def test_numbers_that_are_not_personal_data_do_not_fire(world):
    found = {message_id for message_id, _ in hits(world)}
    assert "p2" not in found  # mobile digits inside 13- and 12-digit runs
    assert "p4" not in found  # card failing Luhn, 18 digits failing the ID check character
    assert "b4" not in found  # `stupid` is a whole-word term; `stupidity` is not it
    assert "s1c" not in found  # 兼职 only inside an @-mentioned name
    assert "r1" not in found  # recalled: not a counted message


def test_flood_needs_n_identical_messages_within_the_window(world):
    found = hits(world)
    assert not any(message_id.startswith("i") for message_id, _ in found)  # 4 identical: N - 1
    flood = sorted(message_id for message_id, rule in found if rule == "flood")
    assert flood == ["f5", "f6"]  # f7 comes 18 minutes after f6


def test_no_raw_personal_number_or_message_text_is_stored(world):
    for table in ("intermediate.int_messages__violations", "marts.fct_violations"):
        rows = query(world, f"select * from {table}")
        assert rows
        stored = " | ".join(str(value) for row in rows for value in row)
        for number in RAW_NUMBERS:
            assert number not in stored, (table, number)
        for _, _, _, text in ROOM1 + ROOM2 + ROOM3:
            if len(text.strip()) >= 5:
                assert text.strip() not in stored, (table, text)


def test_offence_ladder_per_sender_and_group(world):
    book = ledger(world)
    md = [(m, r, book[(m, r)]["offence_number"], book[(m, r)]["recommended_action"])
          for m, r in sorted(book, key=lambda key: (book[key]["offence_number"], key[1]))
          if book[(m, r)]["group_id"] == "G1" and m.startswith("b") and m != "b6"]
    assert md == [
        ("b1", "abuse", 1, "warning"),
        ("b2", "abuse", 2, "restrict"),
        ("b3", "abuse", 3, "restrict"),  # two rules on one message: one offence
        ("b3", "ads", 3, "restrict"),
        ("b5", "ads", 4, "remove"),
    ]
    assert book[("b3", "ads")]["offence_rules"] == ["abuse", "ads"]
    # the same member's first offence in another group starts at 1
    assert (book[("g2a", "ads")]["offence_number"], book[("g2a", "ads")]["recommended_action"]) == (1, "warning")
    assert book[("g2a", "ads")]["member_key"] == book[("b1", "abuse")]["member_key"]


def test_privacy_and_sensitive_remove_at_once(world):
    book = ledger(world)
    for key in [("p1", "privacy"), ("p3", "privacy"), ("p5", "privacy"), ("b6", "sensitive")]:
        assert (book[key]["offence_number"], book[key]["recommended_action"]) == (1, "remove"), key
    # ma: warning, restrict, then ads + privacy in one message -> remove on both rows
    assert [book[(m, "ads")]["recommended_action"] for m in ("a1", "a2")] == ["warning", "restrict"]
    assert book[("a7", "ads")]["recommended_action"] == book[("a7", "privacy")]["recommended_action"] == "remove"
    assert book[("a7", "ads")]["offence_number"] == 3
    # flood hits are offences of their own: mj's first and second
    assert [book[(m, "flood")]["recommended_action"] for m in ("f5", "f6")] == ["warning", "restrict"]


def test_ledger_identity_and_evidence(world):
    book = ledger(world)
    assert len(book) == 22
    assert {row["rubric_version"] for row in book.values()} == {"2026.1"}
    staff = book[("s1a", "ads")]
    assert (staff["sender_kind"], staff["staff_id"], staff["member_key"]) == ("staff", "S1", None)
    member = book[("a1", "ads")]
    assert member["sender_kind"] == "member" and member["staff_id"] is None
    assert member["member_key"] and member["member_key"] != "ma"  # a pseudonym, never the handle
    assert (member["source_file"], member["source_record"]) == ("exports/wecom/room1.jsonl", 1)
    assert (book[("s1d", "ads")]["source_file"], book[("s1d", "ads")]["source_record"]) == (
        "exports/wecom/room3.jsonl", 1)


def test_staff_violation_rate_uses_own_group_messages(world):
    # S1 in G1 and G2 (assigned): s1a (ads), s1b, s1c, img1, s1e = 5 counted messages, 1 violating;
    # s1d in the staff group G3 is outside their groups
    assert metric(world, "S1", "2026-Q3", "violation_rate") == (1, 5, pytest.approx(0.2), 5)
    assert metric(world, "S1", "2026-09", "violation_rate") == (1, 5, pytest.approx(0.2), 5)
    assert metric(world, "S2", "2026-Q3", "violation_rate") == (0, 1, 0.0, 1)
    # no message of S1 in October: NULL, not 0
    assert metric(world, "S1", "2026-10", "violation_rate") == (0, 0, None, 0)
    staff_messages = query(world, """
        select value from intermediate.int_metrics__staff
        where entity_id = 'S1' and period = '2026-Q3' and metric = 'staff_messages'
    """)
    assert staff_messages == [(5,)]


def test_group_violation_rates(world):
    # G1 member counted messages in Q3: a1-a8 (8), b1-b6 (6), p1-p7 (7), i0-i3 (4), f1-f7 (7), img2 (1) = 33;
    # with a violation: a1 a2 a5 a7 a8, b1 b2 b3 b5 b6, p1 p3 p5 p6 p7, f5 f6 = 17
    assert metric(world, "G1", "2026-Q3", "member_violation_rate") == (17, 33, pytest.approx(17 / 33 * 1000), 33)
    # staff in G1: s1a s1b s1c img1 s2a = 5, one violating
    assert metric(world, "G1", "2026-Q3", "staff_violation_rate") == (1, 5, pytest.approx(0.2), 5)
    assert metric(world, "G2", "2026-Q3", "member_violation_rate") == (1, 1, pytest.approx(1000.0), 1)
    assert metric(world, "G2", "2026-Q3", "staff_violation_rate") == (0, 1, 0.0, 1)
    # G3: a staff group; any staff member's messages count for the group
    assert metric(world, "G3", "2026-Q3", "member_violation_rate") == (0, 0, None, 0)
    assert metric(world, "G3", "2026-Q3", "staff_violation_rate") == (1, 1, 1.0, 1)
    # October: one clean member message -> 0 (a measured zero); no staff message -> NULL
    assert metric(world, "G1", "2026-10", "member_violation_rate") == (0, 1, 0.0, 1)
    assert metric(world, "G1", "2026-10", "staff_violation_rate") == (0, 0, None, 0)
