"""The end-to-end benchmark world (issue 8): one quarter of WeCom customer groups at operator scale.

    python -m pipelines.bench_world --out build/bench/world_10000000 [--messages N] [--groups 2000] [--staff 5000]

writes a complete data folder (data_samples/README.md) for 2026-Q3 under `OUT/data/`:

- `config/`: roster, WeCom handles, groups, contacts (members' display names, for `@name` mentions) and
  one bot, generated here; rubric, calendar and settings copied from `data_samples/config/`;
- `exports/wecom/<roomid>/2026-07.jsonl … 2026-09.jsonl`: exactly `messages` archive records
  (`BENCH_WORLD_MESSAGES`, default 10 million) across the groups, Jul 1 – Sep 30 Asia/Shanghai;
- `inputs/`: `wecom_behavior/2026-MM.jsonl` (every customer-service member, every employed day),
  `surveys/` (about 2 % of requests) and `tickets/` (about 1 %, most opened minutes after the chat
  request they cover, so the ticket rule decides those);

and under `OUT/next_day/exports/wecom/<roomid>/2026-10-01.jsonl` the records of 2026-10-01 for every
room active that day, to be copied into the data folder for the incremental run: new questions, and
answers to questions left open on Sep 30 (so the day touches September's requests too).

Conversations follow KPI_SPEC §3 the way the sample world does, but drawn as arrays (numpy and
Polars, no Python loop per message: 10 million records take about half a minute). A member asks (a
question from the rubric's lexicon, or a complaint, which makes the request complex), sometimes
nudges before anyone answers (a burst); a staff member of the group answers after a delay drawn in
business minutes on the sample calendar (minutes, hours, next day, several days; after hours a few
answer at once) or never; the answer @-mentions the member, or targets nobody (then it counts only
within the 30-minute adjacency window, so a late untargeted answer leaves the request open); the
member may acknowledge, and may ask again within hours (a reopen: the first request is then not
resolved). Around that: members' chatter, images and stickers, staff posts, staff-group chatter,
a bot's weekly notices and recalls. Staff who join or leave mid-quarter never speak outside their
employment (the group owner answers instead). The text, hours and calendar come from
`data_samples/generate.py`, so the two worlds speak alike.

Deterministic: one seeded numpy generator, in a fixed order; the same arguments give the same bytes.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from types import ModuleType

import numpy as np
import polars as pl

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "data_samples"

DEFAULT_SEED = 20260930
QUARTER_FIRST = date(2026, 7, 1)
NEXT_DAY = date(2026, 10, 1)
QUARTER_DAYS = (NEXT_DAY - QUARTER_FIRST).days  # 92
DAYS = QUARTER_DAYS + 1  # the quarter and the next day
TZ = timezone(timedelta(hours=8))  # Asia/Shanghai, no DST since 1991 (as data_samples/generate.py)
ORIGIN_MS = int(datetime.combine(QUARTER_FIRST, time(), TZ).timestamp() * 1000)
DAY_MS = 86_400_000
MINUTE_MS = 60_000
MONTHS = ("2026-07", "2026-08", "2026-09")
MONTH_FIRST_DAY = (0, 31, 62)  # day index of each month's first day

CATEGORIES = ("customer_service", "promotion", "partner", "staff")
CS, PROMOTION, PARTNER, STAFF_GROUP = range(4)
#: Categories per 20 consecutive groups: 16 customer_service, 2 promotion, 1 partner, 1 staff.
CATEGORY_CYCLE = (CS,) * 16 + (PROMOTION, PROMOTION, PARTNER, STAFF_GROUP)
GROUP_NAMES = ("会员服务{}群", "新品推广{}群", "渠道伙伴{}群", "运营内部{}群")
#: Which data_samples topic each request category talks about.
TOPIC_OF = {CS: "member_service", PROMOTION: "promotion", PARTNER: "partner"}
NICKNAMES_OF = {CS: "consumer", PROMOTION: "consumer", PARTNER: "business"}
ROLE_NAMES = ("team_lead", "community_ops", "customer_service")
LEAD, OPS, CS_ROLE = range(3)

# --- Behaviour knobs (shares of the sample world's, data_samples/generate.py) -------------------
MEMBERS = {CS: (60, 400), PROMOTION: (100, 500), PARTNER: (15, 60)}  # members per group, uniform range
ACTIVITY = (1.0, 1.1, 0.5, 0.6)  # relative message volume per category (times a lognormal per group)
COMPLAINT_SHARE = (0.14, 0.10, 0.11)  # requests opened by a complaint (complex), per request category
UNANSWERED = (0.05, 0.12, 0.08)  # no staff member ever answers
OFFDAY = (0.7, 0.9, 0.25, 0.05)  # activity on weekends and holidays relative to a workday
BURST = (0.75, 0.17, 0.08)  # chance of 0, 1, 2 nudges before an answer
ACK_RATE = 0.45
FOLLOWUP_RATE = 0.14  # asks again, 5 minutes to 30 hours after the answer
ONCALL_RATE = (0.08, 0.25)  # general, complaint: answered at once although the office is closed
#: Answer delay in business minutes: (share, low, high); the first is lognormal around `high` minutes.
DELAYS = ((0.60, 0.0, 6.0), (0.25, 30.0, 240.0), (0.12, 240.0, 1080.0), (0.03, 1080.0, 2700.0))
UNTARGETED = (0.5, 0.08)  # answers naming nobody: within 30 minutes of the member, later
THREAD_SHARE = 0.45  # of the records: conversations; the rest is chatter, posts, media, bot, recalls
MESSAGES_PER_THREAD = 3.03  # expected records of a conversation with its follow-up (the knobs above)
CHATTER = {"member_text": 0.74, "member_media": 0.12, "staff_posts": 0.08, "staff_groups": 0.06}
RECALL_EVERY = 1000  # one recall record per this many records
TICKET_RATE = (0.003, 0.06)  # general, complex requests that get a helpdesk ticket
TICKET_COVERS = 0.8  # tickets opened 1-9 minutes after the request (the rest hours later: no match)
SURVEY_RATE = 0.02  # answered requests followed by a satisfaction survey
EXPORTED_AT = datetime(2026, 10, 9, 18, 0, tzinfo=TZ)  # tickets still open then have no closed_at

BASE62 = np.array(list("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"))
MENTION_END = "\u2005"  # WeCom ends an @mention with a four-per-em space
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = ("伟", "芳", "娜", "敏", "静", "磊", "强", "洋", "艳", "勇", "军", "杰", "娟", "涛", "明", "超", "秀兰", "霞",
         "平", "刚", "晓燕", "丽", "佳", "婷", "浩", "宇", "欣", "晨", "思远", "雨桐")


@dataclass(frozen=True)
class WorldSummary:
    """What was written (`world.json` beside the folders): the bench prints it."""

    messages: int
    next_day_messages: int
    groups: int
    staff: int
    members: int
    conversations: int
    export_files: int
    next_day_files: int
    tickets: int
    surveys: int
    behavior_rows: int
    seed: int


def samples() -> ModuleType:
    """`data_samples/generate.py`, for its texts, hours, calendar and CSV writers. Loaded from source,
    as it loads `generate_inputs.py`, so no `__pycache__` lands in data_samples/."""
    name = "data_samples_generate"
    if name not in sys.modules:
        path = SAMPLES / "generate.py"
        module = ModuleType(name)
        module.__file__ = str(path)
        sys.modules[name] = module  # dataclasses resolve annotations through sys.modules
        exec(compile(path.read_text(encoding="utf-8"), str(path), "exec"), module.__dict__)
    return sys.modules[name]


def _escaped(text: str) -> str:
    """`text` as it sits between the quotes of a JSON string."""
    return json.dumps(text, ensure_ascii=False)[1:-1]


def _random_ids(rng: np.random.Generator, count: int, prefix: str, length: int = 30) -> list[str]:
    """`count` ids like WeCom's (`wr…` rooms, `wm…` external contacts): prefix + base62."""
    chars = np.ascontiguousarray(BASE62[rng.integers(0, 62, size=(count, length))])
    return [prefix + s for s in chars.view(f"<U{length}").ravel().tolist()]


def _mix(uid: np.ndarray) -> np.ndarray:
    """A bijection of 0..2^63 (odd multiplier): unique, random-looking 19-digit message-id numbers."""
    with np.errstate(over="ignore"):
        return ((uid.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)) & np.uint64(2**63 - 1)).astype(np.int64)


class Texts:
    """Every text a record can carry, JSON-escaped, in one table; pools are index ranges into it."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def pool(self, texts) -> tuple[int, int]:
        start = len(self.items)
        self.items.extend(_escaped(t) for t in texts)
        return start, len(self.items) - start

    @staticmethod
    def draw(rng: np.random.Generator, pools: np.ndarray, which: np.ndarray) -> np.ndarray:
        """One text index per row from `pools[which]` ((start, size) rows)."""
        start, size = pools[which, 0], pools[which, 1]
        return (start + np.floor(rng.random(len(which)) * size)).astype(np.int32)


@dataclass
class Vocabulary:
    """Text pools per request category (rows CS, PROMOTION, PARTNER) and shared ones."""

    texts: Texts
    questions: np.ndarray  # (3, 2) start, size; answers are the pool at the same offset in `answers`
    answers: np.ndarray
    complaints: np.ndarray
    complaint_answers: np.ndarray
    followups: np.ndarray
    followup_answers: np.ndarray
    chat: np.ndarray
    posts: np.ndarray
    nudges: tuple[int, int]
    acks: tuple[int, int]
    staff_chatter: tuple[int, int]
    bot: tuple[int, int]


def vocabulary(sm: ModuleType) -> Vocabulary:
    texts = Texts()
    pools: dict[str, list[tuple[int, int]]] = {k: [] for k in (
        "questions", "answers", "complaints", "complaint_answers", "followups", "followup_answers", "chat", "posts")}
    for category in (CS, PROMOTION, PARTNER):
        topic = sm.TOPICS[TOPIC_OF[category]]
        for name, pairs in (("questions", topic.questions), ("complaints", topic.complaints),
                            ("followups", topic.followups)):
            answer = "answers" if name == "questions" else name[:-1] + "_answers"
            pools[name].append(texts.pool(q for q, _ in pairs))
            pools[answer].append(texts.pool(a for _, a in pairs))
        pools["chat"].append(texts.pool(topic.chat))
        pools["posts"].append(texts.pool(f"{head}{body}{link}" for head, body, link in topic.posts))
    return Vocabulary(
        texts, *(np.array(pools[k]) for k in (
            "questions", "answers", "complaints", "complaint_answers", "followups", "followup_answers", "chat",
            "posts")),
        # three acknowledgements carry a question mark: trimmed, they are in the lexicon, so not questions
        nudges=texts.pool(sm.NUDGES), acks=texts.pool(sm.ACKS + ("好的？", "OK?", "嗯？")),
        staff_chatter=texts.pool(sm.STAFF_CHATTER),
        bot=texts.pool(text for _, text in sm.BOT_NOTICES),
    )


@dataclass
class People:
    """Staff and groups, as arrays indexed by staff / group number."""

    staff_id: list[str]
    staff_handle: list[str]
    role: np.ndarray
    active_from: np.ndarray  # day index relative to QUARTER_FIRST (negative: before the quarter)
    active_to: np.ndarray  # day index, or a large number when still employed
    roster_rows: list[tuple]
    category: np.ndarray
    group_id: list[str]
    roomid: list[str]
    group_staff: np.ndarray  # (groups, 5): owner first, then assigned staff; -1 pads
    weight: np.ndarray  # relative activity
    member_offset: np.ndarray
    member_count: np.ndarray
    member_handle: list[str]
    member_name: list[str]
    bot_handle: str

    @property
    def owner(self) -> np.ndarray:
        return self.group_staff[:, 0]


def people(rng: np.random.Generator, sm: ModuleType, groups: int, staff: int) -> People:
    """The roster, the groups with their owner and assigned staff, and each group's members."""
    index = np.arange(staff)
    leads, ops = max(1, staff // 50), max(1, round(staff * 0.12))
    role = np.where(index < leads, LEAD, np.where(index < leads + ops, OPS, CS_ROLE))
    staff_id = [f"S{i + 1:05d}" for i in range(staff)]
    staff_handle = [("zg" if r == LEAD else "yy" if r == OPS else "kf") + f"{i + 1:05d}" for i, r in enumerate(role)]
    # Employment: mostly hired before the quarter; 2 % join on Aug 3 and 1 % leave on Aug 31 (never owners).
    start = date(2022, 1, 1)
    hired = rng.integers(0, (date(2026, 5, 31) - start).days, size=staff) + (start - QUARTER_FIRST).days
    roll = rng.random(staff)
    changes = (role == CS_ROLE) & (index % 7 != 0)  # every 7th member of staff is kept stable for ownership
    joins, leaves = changes & (roll < 0.02), changes & (roll >= 0.02) & (roll < 0.03)
    active_from = np.where(joins, (date(2026, 8, 3) - QUARTER_FIRST).days, hired)
    active_to = np.where(leaves, (date(2026, 8, 31) - QUARTER_FIRST).days, 10**6)
    team = np.where(role == LEAD, index, index % leads)
    roster_rows = []
    for i in range(staff):
        name = SURNAMES[i % len(SURNAMES)] + GIVEN[(i // len(SURNAMES) + i) % len(GIVEN)]
        kind = "客服" if role[i] != OPS else "社群运营"
        to = (QUARTER_FIRST + timedelta(days=int(active_to[i]))).isoformat() if leaves[i] else ""
        roster_rows.append((staff_id[i], name, ROLE_NAMES[role[i]], f"{kind}{team[i] + 1}组",
                            "" if role[i] == LEAD else staff_id[team[i]], "cn_office",
                            (QUARTER_FIRST + timedelta(days=int(active_from[i]))).isoformat(), to))

    category = np.array([CATEGORY_CYCLE[g % len(CATEGORY_CYCLE)] for g in range(groups)])
    stable = ~(joins | leaves)
    pool_of = {CS: index[(role == CS_ROLE) & stable], PROMOTION: index[(role == OPS) & stable],
               PARTNER: index[(role == OPS) & stable], STAFF_GROUP: index[role == LEAD]}
    helpers_of = {CS: index[role == CS_ROLE], PROMOTION: index[role != LEAD], PARTNER: index[role != LEAD],
                  STAFF_GROUP: index[role != LEAD]}
    group_staff = np.full((groups, 5), -1, dtype=np.int64)
    for c in range(4):
        rows = np.flatnonzero(category == c)
        if not len(rows):
            continue
        owners = rng.permutation(pool_of[c])
        group_staff[rows, 0] = owners[np.arange(len(rows)) % len(owners)]
        helpers = helpers_of[c]
        for k in range(1, 5):
            pick = helpers[rng.integers(0, len(helpers), size=len(rows))]
            keep = (k <= 2) | (rng.random(len(rows)) < 0.5)  # 2-4 assigned besides the owner
            duplicate = (group_staff[rows, :k] == pick[:, None]).any(axis=1)
            group_staff[rows, k] = np.where(keep & ~duplicate, pick, -1)
    # a lead sits in some customer groups too (as in the sample's G01/G02)
    leads_in = np.flatnonzero((category == CS) & (np.arange(groups) % 10 == 3))
    group_staff[leads_in, 4] = team[group_staff[leads_in, 0]]
    weight = rng.lognormal(0.0, 0.6, size=groups) * np.array(ACTIVITY)[category]
    low = np.array([MEMBERS.get(c, (0, 1))[0] for c in category])
    high = np.array([MEMBERS.get(c, (0, 1))[1] for c in category])
    member_count = np.where(category == STAFF_GROUP, 0, rng.integers(low, high))
    member_offset = np.concatenate([[0], np.cumsum(member_count)[:-1]])
    members = int(member_count.sum())
    member_handle = _random_ids(rng, members, "wm")
    member_name = []
    for g in range(groups):
        if member_count[g]:
            stems = sm.NICKNAMES[NICKNAMES_OF[int(category[g])]]
            first = int(member_offset[g])
            member_name.extend(f"{stems[(first + k) % len(stems)]}{first + k}" for k in range(int(member_count[g])))
    return People(
        staff_id, staff_handle, role, active_from, active_to, roster_rows, category,
        [f"G{g + 1:05d}" for g in range(groups)], _random_ids(rng, groups, "wr"), group_staff, weight,
        member_offset, member_count, member_handle, member_name, _random_ids(rng, 1, "wb")[0],
    )


# --- Records -------------------------------------------------------------------------------------
MEMBER, STAFF_SENDER, BOT = range(3)
TEXT, IMAGE, STICKER, RECALL = range(4)


class Records:
    """Archive records as column arrays, appended batch by batch; `uid` numbers every record."""

    COLUMNS = {"room": np.int32, "at": np.int64, "sender_kind": np.int8, "sender": np.int32, "kind": np.int8,
               "text": np.int32, "mention": np.int32, "ref_uid": np.int64, "ref_at": np.int64}

    def __init__(self) -> None:
        self.parts: list[dict[str, np.ndarray]] = []
        self.count = 0

    def add(self, *, room, at, sender_kind, sender, kind=TEXT, text=-1, mention=-1, ref_uid=-1, ref_at=-1) -> np.ndarray:
        n = len(at)
        uid = np.arange(self.count, self.count + n, dtype=np.int64)
        self.count += n
        values = {"room": room, "at": at, "sender_kind": sender_kind, "sender": sender, "kind": kind, "text": text,
                  "mention": mention, "ref_uid": ref_uid, "ref_at": ref_at}
        part = {name: np.broadcast_to(np.asarray(values[name], dtype=dtype), (n,)).copy()
                for name, dtype in self.COLUMNS.items()}
        part["uid"] = uid
        self.parts.append(part)
        return uid

    def frame(self) -> pl.DataFrame:
        return pl.DataFrame({name: np.concatenate([p[name] for p in self.parts])
                             for name in [*self.COLUMNS, "uid"]})


class Clock:
    """Minutes of the quarter (and a month after) on the sample calendar: open or closed, and
    business-minute arithmetic by a cumulative count (`add_business`)."""

    def __init__(self, sm: ModuleType) -> None:
        cal = sm.Calendar.statutory_cn(2026)
        self.days = DAYS + 40
        self.workday = np.array([cal.is_workday(QUARTER_FIRST + timedelta(days=d)) for d in range(self.days)])
        minute_of_day = np.arange(1440)
        open_hours = (minute_of_day >= 9 * 60) & (minute_of_day < 18 * 60)
        self.open = (self.workday[:, None] & open_hours[None, :]).ravel()
        self.cumulative = np.concatenate([[0], np.cumsum(self.open)])

    def add_business(self, at: np.ndarray, minutes: np.ndarray) -> np.ndarray:
        """The minute (index from the origin) at which `minutes` open minutes after `at` have passed;
        a closed `at` starts counting at the next opening."""
        start = np.clip((at - ORIGIN_MS) // MINUTE_MS, 0, len(self.open) - 1)
        target = self.cumulative[start] + np.maximum(1, np.round(minutes)).astype(np.int64)
        return np.searchsorted(self.cumulative, target, side="left")

    def is_open(self, at: np.ndarray) -> np.ndarray:
        return self.open[np.clip((at - ORIGIN_MS) // MINUTE_MS, 0, len(self.open) - 1)]


class World:
    """Draws every record of the world."""

    def __init__(self, rng: np.random.Generator, sm: ModuleType, who: People, words: Vocabulary) -> None:
        self.rng, self.sm, self.who, self.words = rng, sm, who, words
        self.clock = Clock(sm)
        self.records = Records()
        self.threads: list[dict[str, np.ndarray]] = []

    # --- drawing helpers -------------------------------------------------------------------------
    def day_weights(self, category: int, days: int) -> np.ndarray:
        weights = np.where(self.clock.workday[:days], 1.0, OFFDAY[category])
        return weights / weights.sum()

    def instants(self, category: int, count: int, days: int = DAYS, hours: tuple | None = None,
                 day: np.ndarray | None = None) -> np.ndarray:
        """`count` instants (epoch ms): a day by the category's workday/offday weights, an hour by the
        topic's online hours."""
        rng = self.rng
        if day is None:
            day = rng.choice(days, size=count, p=self.day_weights(category, days))
        if hours is None:
            hours = self.sm.TOPICS[TOPIC_OF.get(category, "staff")].hours
        p = np.array(hours, dtype=float)
        hour = rng.choice(24, size=count, p=p / p.sum())
        return ORIGIN_MS + day * DAY_MS + hour * 3_600_000 + rng.integers(0, 3_600_000, size=count)

    def rooms(self, category: int, count: int) -> np.ndarray:
        rows = np.flatnonzero(self.who.category == category)
        weights = self.who.weight[rows]
        return rows[self.rng.choice(len(rows), size=count, p=weights / weights.sum())]

    def member_of(self, room: np.ndarray) -> np.ndarray:
        who = self.who
        return (who.member_offset[room] + np.floor(self.rng.random(len(room)) * who.member_count[room])).astype(np.int64)

    def staff_of(self, room: np.ndarray, at: np.ndarray) -> np.ndarray:
        """A staff member of each room (the owner twice as likely), the owner when the one drawn is not
        employed that day."""
        matrix = self.who.group_staff[room]
        weights = np.where(matrix >= 0, 1.0, 0.0)
        weights[:, 0] = 2.0
        cumulative = np.cumsum(weights, axis=1)
        draw = self.rng.random(len(room)) * cumulative[:, -1]
        column = np.minimum((cumulative <= draw[:, None]).sum(axis=1), matrix.shape[1] - 1)
        chosen = matrix[np.arange(len(room)), column]
        day = (at - ORIGIN_MS) // DAY_MS
        employed = (self.who.active_from[chosen] <= day) & (day <= self.who.active_to[chosen])
        return np.where(employed, chosen, matrix[:, 0])

    # --- conversations ---------------------------------------------------------------------------
    def conversations(self, category: int, room: np.ndarray, start: np.ndarray, member: np.ndarray,
                      followup: bool) -> dict[str, np.ndarray]:
        """Question (or complaint), nudges, the answer (or none), the acknowledgement. Returns the
        conversation's facts for follow-ups, tickets and surveys."""
        rng, words, records = self.rng, self.words, self.records
        n = len(room)
        which = np.full(n, category)
        complaint = ~np.full(n, followup) & (rng.random(n) < COMPLAINT_SHARE[category])
        if followup:
            asked = Texts.draw(rng, words.followups, which)
            answer = asked - words.followups[category, 0] + words.followup_answers[category, 0]
        else:
            question = Texts.draw(rng, words.questions, which)
            grievance = Texts.draw(rng, words.complaints, which)
            asked = np.where(complaint, grievance, question)
            answer = np.where(complaint, grievance - words.complaints[category, 0] + words.complaint_answers[category, 0],
                              question - words.questions[category, 0] + words.answers[category, 0])
        opening = records.add(room=room, at=start, sender_kind=MEMBER, sender=member, text=asked)
        nudges = rng.choice(3, size=n, p=BURST)
        last = start.copy()
        for k in (1, 2):
            nudging = nudges >= k
            last = np.where(nudging, last + rng.integers(40_000, 360_000, size=n), last)
            start_n, size_n = words.nudges
            records.add(room=room[nudging], at=last[nudging], sender_kind=MEMBER, sender=member[nudging],
                        text=(start_n + rng.integers(0, size_n, size=n))[nudging])
        answered = rng.random(n) >= UNANSWERED[category]
        # the answer: on call at once when closed (a few), else after a delay in business minutes
        oncall = ~self.clock.is_open(start) & (rng.random(n) < np.where(complaint, ONCALL_RATE[1], ONCALL_RATE[0]))
        kind = rng.choice(len(DELAYS), size=n, p=[d[0] for d in DELAYS])
        low, high = np.array([d[1] for d in DELAYS])[kind], np.array([d[2] for d in DELAYS])[kind]
        business = np.where(kind == 0, rng.lognormal(np.log(6.0), 0.8, size=n), low + rng.random(n) * (high - low))
        minute = self.clock.add_business(start, business)
        replied = np.where(oncall, start + rng.integers(2 * MINUTE_MS, 40 * MINUTE_MS, size=n),
                           ORIGIN_MS + minute * MINUTE_MS + rng.integers(0, MINUTE_MS, size=n))
        responder = self.staff_of(room, replied)
        quick = replied - last <= 30 * MINUTE_MS
        untargeted = rng.random(n) < np.where(quick, UNTARGETED[0], UNTARGETED[1])
        records.add(room=room[answered], at=replied[answered], sender_kind=STAFF_SENDER, sender=responder[answered],
                    text=answer[answered], mention=np.where(untargeted, -1, member)[answered])
        acking = answered & (rng.random(n) < ACK_RATE)
        start_a, size_a = words.acks
        records.add(room=room[acking], at=(replied + rng.integers(20_000, 1_200_000, size=n))[acking],
                    sender_kind=MEMBER, sender=member[acking], text=(start_a + rng.integers(0, size_a, size=n))[acking])
        facts = {"room": room, "member": member, "start": start, "last": last, "answered": answered,
                 "replied": replied, "responder": responder, "complaint": complaint, "opening": opening}
        self.threads.append(facts)
        return facts

    def all_conversations(self, count: int) -> None:
        """`count` first questions spread over the request categories by their groups' activity, and
        their follow-ups."""
        who = self.who
        totals = np.array([who.weight[who.category == c].sum() for c in (CS, PROMOTION, PARTNER)])
        present = totals > 0
        share = np.where(present, totals, 0) / totals[present].sum()
        for category in (CS, PROMOTION, PARTNER):
            n = int(round(count * share[category]))
            if not n:
                continue
            room = self.rooms(category, n)
            first = self.conversations(category, room, self.instants(category, n), self.member_of(room), False)
            again = first["answered"] & (self.rng.random(n) < FOLLOWUP_RATE)
            at = first["replied"][again] + self.rng.integers(5 * MINUTE_MS, 30 * 60 * MINUTE_MS, size=int(again.sum()))
            self.conversations(category, room[again], at, first["member"][again], True)

    # --- everything else -------------------------------------------------------------------------
    def chatter(self, counts: dict[str, int], days: int, day: int | None = None) -> None:
        """Members' chatter and media, staff posts, staff-group chatter: `counts` records over the
        first `days` days (or all on `day`)."""
        rng, who, words, records = self.rng, self.who, self.words, self.records
        present = [c for c in (CS, PROMOTION, PARTNER) if (who.category == c).any()]
        weight = np.array([who.weight[who.category == c].sum() for c in present])
        for part in ("member_text", "member_media", "staff_posts"):
            split = rng.multinomial(counts[part], weight / weight.sum())
            for category, n in zip(present, split):
                fixed = None if day is None else np.full(n, day)
                posts = part == "staff_posts"
                at = self.instants(category, n, days, self.sm.BUSINESS_HOURS if posts else None, fixed)
                room = self.rooms(category, n)
                if posts:
                    records.add(room=room, at=at, sender_kind=STAFF_SENDER, sender=self.staff_of(room, at),
                                text=Texts.draw(rng, words.posts, np.full(n, category)))
                elif part == "member_text":
                    records.add(room=room, at=at, sender_kind=MEMBER, sender=self.member_of(room),
                                text=Texts.draw(rng, words.chat, np.full(n, category)))
                else:
                    records.add(room=room, at=at, sender_kind=MEMBER, sender=self.member_of(room),
                                kind=np.where(rng.random(n) < 2 / 3, IMAGE, STICKER))
        n = counts["staff_groups"]
        if n:
            fixed = None if day is None else np.full(n, day)
            at = self.instants(STAFF_GROUP, n, days, self.sm.BUSINESS_HOURS, fixed)
            room = self.rooms(STAFF_GROUP, n)
            start, size = words.staff_chatter
            records.add(room=room, at=at, sender_kind=STAFF_SENDER, sender=self.staff_of(room, at),
                        text=start + rng.integers(0, size, size=n))

    def bot_notices(self) -> int:
        """The order bot posts in every tenth customer group each Monday at ten."""
        rooms = np.flatnonzero((self.who.category == CS) & (np.arange(len(self.who.category)) % 10 == 0))
        mondays = np.array([d for d in range(QUARTER_DAYS) if (QUARTER_FIRST + timedelta(days=d)).weekday() == 0])
        room, day = np.repeat(rooms, len(mondays)), np.tile(mondays, len(rooms))
        at = ORIGIN_MS + day * DAY_MS + 10 * 3_600_000 + self.rng.integers(0, 600_000, size=len(room))
        start, size = self.words.bot
        self.records.add(room=room, at=at, sender_kind=BOT, sender=0, text=start + self.rng.integers(0, size, size=len(room)))
        return len(room)

    def recalls(self, count: int) -> None:
        """Members withdraw `count` of their text messages within two minutes."""
        frame = self.records.frame()
        eligible = frame.filter(
            (pl.col("sender_kind") == MEMBER) & (pl.col("kind") == TEXT)
            & (pl.col("at") < ORIGIN_MS + QUARTER_DAYS * DAY_MS - 5 * MINUTE_MS)
        )
        chosen = eligible[np.sort(self.rng.choice(eligible.height, size=count, replace=False))]
        at = chosen["at"].to_numpy()
        self.records.add(room=chosen["room"].to_numpy(), at=at + self.rng.integers(10_000, 110_000, size=count),
                         sender_kind=MEMBER, sender=chosen["sender"].to_numpy(), kind=RECALL,
                         ref_uid=chosen["uid"].to_numpy(), ref_at=at)


# --- Writing -------------------------------------------------------------------------------------
def _msgid(number: pl.Expr, at: pl.Expr, suffix: pl.Expr) -> pl.Expr:
    """A WeCom msgid: `<19 digits>_<msgtime>_external` (no suffix in internal groups)."""
    return pl.concat_str(number.cast(pl.String).str.zfill(19), pl.lit("_"), at.cast(pl.String), suffix)


def _lines(frame: pl.DataFrame, who: People, words: Vocabulary) -> pl.DataFrame:
    """One archive JSON line per record (the SDK's compact field order), with the room to file it."""
    handles = pl.Series(who.member_handle + who.staff_handle + [who.bot_handle])
    offsets = {MEMBER: 0, STAFF_SENDER: len(who.member_handle), BOT: len(who.member_handle) + len(who.staff_handle)}
    tolist = pl.Series([json.dumps([who.staff_handle[s] for s in row if s >= 0]).replace(" ", "")
                        for row in who.group_staff])
    suffix = pl.Series(["" if c == STAFF_GROUP else "_external" for c in who.category])
    texts = pl.Series(words.texts.items)
    names = pl.Series([_escaped(name) for name in who.member_name] or [""])
    sender = frame["sender"].to_numpy().astype(np.int64) + np.select(
        [frame["sender_kind"].to_numpy() == k for k in offsets], list(offsets.values()))
    uid, ref_uid = frame["uid"].to_numpy(), frame["ref_uid"].to_numpy()
    room = frame["room"]
    frame = frame.with_columns(
        pl.Series("from", handles.gather(sender)),
        pl.Series("roomid", pl.Series(who.roomid).gather(room)),
        pl.Series("tolist", tolist.gather(room)),
        pl.Series("suffix", suffix.gather(room)),
        pl.Series("id_number", _mix(uid)),
        pl.Series("ref_number", _mix(np.maximum(ref_uid, 0))),
        pl.Series("body", texts.gather(frame["text"].clip(0))),
        pl.Series("name", names.gather(frame["mention"].clip(0))),
    )
    msgid = _msgid(pl.col("id_number"), pl.col("at"), pl.col("suffix"))
    digest = pl.concat_str(pl.col("id_number").cast(pl.String).str.zfill(19),
                           (pl.col("id_number") // 7 % 10**13).cast(pl.String).str.zfill(13))
    content = pl.when(pl.col("mention") >= 0).then(
        pl.concat_str(pl.lit("@"), pl.col("name"), pl.lit(MENTION_END), pl.col("body"))
    ).otherwise(pl.col("body"))
    size = (pl.col("id_number") % 1_900_000 + 40_000).cast(pl.String)
    kind = pl.col("kind")
    msgtype = (pl.when(kind == TEXT).then(pl.lit("text")).when(kind == IMAGE).then(pl.lit("image"))
               .when(kind == STICKER).then(pl.lit("emotion")).otherwise(pl.lit("revoke")))
    payload = (
        pl.when(kind == TEXT).then(pl.concat_str(pl.lit('{"content":"'), content, pl.lit('"}')))
        .when(kind == IMAGE).then(pl.concat_str(pl.lit('{"md5sum":"'), digest, pl.lit('","filesize":'), size,
                                                pl.lit(',"sdkfileid":"CtYBMzA2OTAyMDEwMjA0NjIzMDYw'), digest, pl.lit('"}')))
        .when(kind == STICKER).then(pl.concat_str(pl.lit('{"type":1,"width":240,"height":240,"imagesize":'), size,
                                                  pl.lit(',"md5sum":"'), digest,
                                                  pl.lit('","sdkfileid":"CtYBMzA2OTAyMDEwMjA0NjIzMDYw'), digest,
                                                  pl.lit('"}')))
        .otherwise(pl.concat_str(pl.lit('{"pre_msgid":"'), _msgid(pl.col("ref_number"), pl.col("ref_at"), pl.col("suffix")),
                                 pl.lit('"}')))
    )
    line = pl.concat_str(
        pl.lit('{"msgid":"'), msgid,
        pl.lit('","action":"'), pl.when(kind == RECALL).then(pl.lit("recall")).otherwise(pl.lit("send")),
        pl.lit('","from":"'), pl.col("from"), pl.lit('","tolist":'), pl.col("tolist"),
        pl.lit(',"roomid":"'), pl.col("roomid"), pl.lit('","msgtime":'), pl.col("at").cast(pl.String),
        pl.lit(',"msgtype":"'), msgtype, pl.lit('","'), msgtype, pl.lit('":'), payload, pl.lit("}"),
    )
    return frame.select("room", "roomid", line.alias("line"))


def _write_files(frame: pl.DataFrame, who: People, words: Vocabulary, folder: Path, name: str) -> int:
    """One JSONL file per room of `frame` (sorted by room, time): `folder/<roomid>/<name>`."""
    lines = _lines(frame, who, words)
    room = lines["room"].to_numpy()
    bounds = np.flatnonzero(np.diff(room)) + 1
    starts, ends = np.concatenate([[0], bounds]), np.concatenate([bounds, [len(room)]])
    for start, end in zip(starts, ends):
        path = folder / who.roomid[room[start]] / name
        path.parent.mkdir(parents=True, exist_ok=True)
        lines.slice(start, end - start).select("line").write_csv(path, include_header=False, quote_style="never")
    return len(starts)


def _local(ms: pl.Expr) -> pl.Expr:
    return pl.from_epoch(ms, time_unit="ms").dt.replace_time_zone("UTC").dt.convert_time_zone("Asia/Shanghai")


def write_config(out: Path, sm: ModuleType, who: People) -> None:
    """Roster, handles, groups, contacts, the bot (generated); rubric, calendar, settings (sample's)."""
    config = out / "config"
    config.mkdir(parents=True, exist_ok=True)
    for name in ("rubric.yaml", "calendar.yaml", "settings.yaml"):
        shutil.copy(SAMPLES / "config" / name, config / name)
    sm.write_csv(config / "roster.csv",
                 ("staff_id", "name", "role", "team", "manager_id", "calendar_id", "active_from", "active_to"),
                 who.roster_rows)
    sm.write_csv(config / "handles.csv", ("staff_id", "platform", "handle", "valid_from", "valid_to"),
                 [(s, "wecom", h, "", "") for s, h in zip(who.staff_id, who.staff_handle)])
    sm.write_csv(config / "bots.csv", ("platform", "handle", "note"),
                 [("wecom", who.bot_handle, "订单助手：群机器人，每周一推送通知")])
    counters = [0, 0, 0, 0]
    rows = []
    for g, category in enumerate(who.category):
        counters[category] += 1
        staff = [who.staff_id[s] for s in who.group_staff[g] if s >= 0]
        rows.append((who.group_id[g], "wecom", who.roomid[g], GROUP_NAMES[category].format(counters[category]),
                     CATEGORIES[category], staff[0], ";".join(staff), "cn_office"))
    sm.write_csv(config / "groups.csv", ("group_id", "platform", "source_key", "name", "category", "owner_staff_id",
                                         "assigned_staff_ids", "calendar_id"), rows)
    sm.write_csv(config / "contacts.csv", ("platform", "handle", "name"),
                 [("wecom", h, n) for h, n in zip(who.member_handle, who.member_name)])


def write_inputs(out: Path, rng: np.random.Generator, sm: ModuleType, who: People, world: World
                 ) -> tuple[int, int, int]:
    """wecom_behavior, surveys and tickets in proportion to the chats; returns their row counts."""
    inputs = sm.inputs_module()
    folder = out / "inputs"
    facts = {k: np.concatenate([t[k] for t in world.threads]) for k in world.threads[0]}
    facts["number"] = _mix(facts["opening"])
    end_ms = ORIGIN_MS + QUARTER_DAYS * DAY_MS
    # conversations happen in request groups only, never staff groups: their ids end `_external`
    threads = pl.DataFrame(facts).filter(pl.col("start") < end_ms).with_columns(
        _msgid(pl.col("number"), pl.col("start"), pl.lit("_external")).alias("msgid"))
    n = threads.height

    # tickets: about 1 % of requests, complaints far more often; most open minutes after the request
    complaint = threads["complaint"].to_numpy()
    ticketed = rng.random(n) < np.where(complaint, TICKET_RATE[1], TICKET_RATE[0])
    tickets = threads.filter(ticketed)
    t = tickets.height
    covers = rng.random(t) < TICKET_COVERS
    opened = tickets["start"].to_numpy() + np.where(covers, rng.integers(60_000, 540_000, size=t),
                                                    rng.integers(2 * 3_600_000, 72 * 3_600_000, size=t))
    hours = rng.lognormal(np.log(np.where(tickets["complaint"].to_numpy(), 8.0, 3.0)), 0.8)
    closed = opened + (hours * 3_600_000).astype(np.int64)
    roll = rng.random(t)
    status = np.select([closed > int(EXPORTED_AT.timestamp() * 1000), roll < 0.12, roll < 0.16, roll < 0.20, roll < 0.5],
                       ["处理中", "处理中", "重新打开", "已解决", "已关闭"], "已解决")
    closed_text_kept = (status == "已关闭") | ((status == "已解决") & (roll >= 0.20)) | (status == "重新打开")
    handler = np.where(tickets["answered"].to_numpy(), tickets["responder"].to_numpy(),
                       who.owner[tickets["room"].to_numpy()])
    rating = np.where(rng.random(t) < 0.45, rng.integers(1, 6, size=t).astype(str), "")
    ticket_frame = pl.DataFrame({
        "opened": opened, "closed": closed, "kept": closed_text_kept, "status": status,
        "type": np.where(tickets["complaint"].to_numpy(), "投诉", np.where(rng.random(t) < 0.3, "售后", "咨询")),
        "handler": np.array(who.staff_id)[handler], "group": np.array(who.group_id)[tickets["room"].to_numpy()],
        "customer": np.array(who.member_handle)[tickets["member"].to_numpy()], "message": tickets["msgid"],
        "rating": rating,
    }).filter(pl.col("opened") < end_ms).sort("opened")
    ticket_frame = ticket_frame.with_columns(
        _local(pl.col("opened")).alias("opened_local"), _local(pl.col("closed")).alias("closed_local"),
    ).with_columns(
        pl.concat_str(pl.lit("GD"), pl.col("opened_local").dt.strftime("%Y%m%d"),
                      (pl.int_range(pl.len()).over(pl.col("opened_local").dt.date()) + 1).cast(pl.String).str.zfill(4)
                      ).alias("ticket_id"),
    )
    rows = [[tid, o.strftime("%Y-%m-%d %H:%M:%S"), c.strftime("%Y-%m-%d %H:%M:%S") if kept else "", kind, st, h, g,
             cust, msg, r]
            for tid, o, c, kept, kind, st, h, g, cust, msg, r in ticket_frame.select(
                "ticket_id", "opened_local", "closed_local", "kept", "type", "status", "handler", "group", "customer",
                "message", "rating").iter_rows()]
    inputs.write_table(folder / "tickets" / "工单导出_2026-Q3.csv", inputs.TICKET_HEADER, rows)

    # surveys: about 2 % of answered requests, a few minutes to two days after the answer
    surveyed = threads.filter(threads["answered"].to_numpy() & (rng.random(n) < SURVEY_RATE))
    s = surveyed.height
    when = surveyed["replied"].to_numpy() + rng.integers(600_000, 2 * DAY_MS, size=s)
    pace = rng.random(s)
    score = np.select([pace < 0.55, pace < 0.88, pace < 0.95, pace < 0.98], [5, 4, 3, 2], 1)
    csat = np.where(rng.random(s) < 0.35, np.array([inputs.CSAT_WORDS[k] for k in range(1, 6)])[score - 1],
                    score.astype(str))
    nps = np.where(rng.random(s) < 0.45, np.clip(np.round(rng.normal(6 + score, 1.5)), 0, 10).astype(int).astype(str), "")
    named = rng.random(s) < 0.85  # the rest name only the group
    survey_frame = pl.DataFrame({
        "id": (10_458_000 + np.cumsum(rng.integers(3, 40, size=s))).astype(str), "at": when,
        "staff": np.where(named, np.array(who.staff_id)[surveyed["responder"].to_numpy()], ""),
        "group": np.array(who.group_id)[surveyed["room"].to_numpy()], "csat": csat, "nps": nps,
        "respondent": np.array(who.member_handle)[surveyed["member"].to_numpy()],
        "channel": np.array(inputs.CHANNELS)[rng.integers(0, len(inputs.CHANNELS), size=s)],
    }).filter(pl.col("at") < end_ms).sort("at").with_columns(_local(pl.col("at")).dt.strftime("%Y/%m/%d %H:%M:%S"))
    survey_rows = [[i, at, st, g, "", "", c, p, r, ch] for i, at, st, g, c, p, r, ch in survey_frame.iter_rows()]
    inputs.write_table(folder / "surveys" / "满意度回访_2026-Q3.csv", inputs.SURVEY_HEADER, survey_rows)

    # wecom_behavior: every customer-service member, every employed day; one saved call per member
    # and month, JSON Lines of {"userid", "response"} wrappers (one file per month)
    serving = np.flatnonzero(who.role == CS_ROLE)
    staff = np.repeat(serving, QUARTER_DAYS)
    day = np.tile(np.arange(QUARTER_DAYS), len(serving))
    employed = (who.active_from[staff] <= day) & (day <= who.active_to[staff])
    staff, day = staff[employed], day[employed]
    m = len(staff)
    share = np.where(world.clock.workday[day], 1.0, 0.15)
    chats = rng.poisson(14.0 * share)
    items = pl.DataFrame({
        "userid": np.array(who.staff_handle)[staff], "month": np.searchsorted(MONTH_FIRST_DAY, day, side="right") - 1,
        "stat_time": (ORIGIN_MS // 1000 + day * 86_400), "chat_cnt": chats,
        "message_cnt": chats + rng.poisson(2.2 * chats),
        "reply_percentage": np.round((chats - rng.binomial(chats, 0.04)) / np.maximum(chats, 1) * 100, 2),
        "avg_reply_time": np.maximum(1, np.round(rng.lognormal(np.log(5.0), 0.5, size=m))).astype(np.int64),
        "negative_feedback_cnt": rng.poisson(0.03 * share), "new_apply_cnt": rng.poisson(0.6 * share),
        "new_contact_cnt": rng.poisson(2.5 * share),
    })
    item = pl.concat_str(
        pl.lit('{"stat_time":'), pl.col("stat_time").cast(pl.String), pl.lit(',"chat_cnt":'),
        pl.col("chat_cnt").cast(pl.String), pl.lit(',"message_cnt":'), pl.col("message_cnt").cast(pl.String),
        # reply rate and time only on days with chats, as WeCom returns them
        pl.when(pl.col("chat_cnt") > 0).then(pl.concat_str(
            pl.lit(',"reply_percentage":'), pl.col("reply_percentage").cast(pl.String),
            pl.lit(',"avg_reply_time":'), pl.col("avg_reply_time").cast(pl.String))).otherwise(pl.lit("")),
        pl.lit(',"negative_feedback_cnt":'), pl.col("negative_feedback_cnt").cast(pl.String),
        pl.lit(',"new_apply_cnt":'), pl.col("new_apply_cnt").cast(pl.String),
        pl.lit(',"new_contact_cnt":'), pl.col("new_contact_cnt").cast(pl.String), pl.lit("}"),
    )
    calls = (items.with_columns(item.alias("item"))
             .group_by("month", "userid", maintain_order=True).agg(pl.col("item").str.join(","))
             .with_columns(pl.concat_str(pl.lit('{"userid":"'), pl.col("userid"),
                                         pl.lit('","response":{"errcode":0,"errmsg":"ok","behavior_data":['),
                                         pl.col("item"), pl.lit("]}}")).alias("line")))
    for month, label in enumerate(MONTHS):
        path = folder / "wecom_behavior" / f"{label}.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        calls.filter(pl.col("month") == month).select("line").write_csv(path, include_header=False, quote_style="never")
    return len(rows), len(survey_rows), m


def generate(out: Path, *, messages: int, groups: int = 2000, staff: int = 5000, seed: int = DEFAULT_SEED) -> WorldSummary:
    """Write `out/data/` (the quarter, exactly `messages` export records), `out/next_day/` (2026-10-01)
    and `out/world.json`. `out` is replaced."""
    if groups < len(CATEGORY_CYCLE) or staff < 10:
        raise ValueError(f"a world needs at least {len(CATEGORY_CYCLE)} groups and 10 staff "
                         f"(one of each group category and role); got {groups} groups, {staff} staff")
    rng = np.random.default_rng(seed)
    sm = samples()
    who = people(rng, sm, groups, staff)
    words = vocabulary(sm)
    world = World(rng, sm, who, words)
    world.all_conversations(int(messages * THREAD_SHARE / MESSAGES_PER_THREAD))
    bots = world.bot_notices()
    end_ms = ORIGIN_MS + QUARTER_DAYS * DAY_MS
    in_quarter = int(sum(int((p["at"] < end_ms).sum()) for p in world.records.parts))
    recalls = max(1, messages // RECALL_EVERY)
    rest = messages - in_quarter - recalls
    if rest < 0:
        raise ValueError(f"{messages:,} messages are too few for {groups:,} groups' conversations; "
                         f"use at least {in_quarter + recalls + 1:,} or fewer groups")
    counts = {part: int(rest * share) for part, share in CHATTER.items()}
    counts["member_text"] += rest - sum(counts.values())
    world.chatter(counts, QUARTER_DAYS)
    ratio = world.day_weights(CS, DAYS)[QUARTER_DAYS] / world.day_weights(CS, DAYS)[:QUARTER_DAYS].sum()
    world.chatter({part: int(round(n * ratio)) for part, n in counts.items()}, DAYS, day=QUARTER_DAYS)
    world.recalls(recalls)

    frame = world.records.frame().filter(pl.col("at") < ORIGIN_MS + DAYS * DAY_MS).with_columns(
        ((pl.col("at") - ORIGIN_MS) // DAY_MS).alias("day")
    ).sort("room", "at", "uid")
    quarter = frame.filter(pl.col("day") < QUARTER_DAYS)
    assert quarter.height == messages, (quarter.height, messages)

    partial = out.with_name(out.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    data = partial / "data"
    write_config(data, sm, who)
    files = 0
    for month, label in enumerate(MONTHS):
        last = MONTH_FIRST_DAY[month + 1] if month + 1 < len(MONTHS) else QUARTER_DAYS
        chunk = quarter.filter((pl.col("day") >= MONTH_FIRST_DAY[month]) & (pl.col("day") < last))
        files += _write_files(chunk, who, words, data / "exports" / "wecom", f"{label}.jsonl")
    next_day = frame.filter(pl.col("day") == QUARTER_DAYS)
    next_files = _write_files(next_day, who, words, partial / "next_day" / "exports" / "wecom",
                              f"{NEXT_DAY.isoformat()}.jsonl")
    tickets, surveys, behavior = write_inputs(data, rng, sm, who, world)
    summary = WorldSummary(
        messages=quarter.height, next_day_messages=next_day.height, groups=groups, staff=staff,
        members=len(who.member_handle), conversations=sum(len(t["room"]) for t in world.threads),
        export_files=files, next_day_files=next_files, tickets=tickets, surveys=surveys, behavior_rows=behavior,
        seed=seed,
    )
    (partial / "world.json").write_text(json.dumps(asdict(summary), indent=1) + "\n", encoding="utf-8")
    shutil.rmtree(out, ignore_errors=True)
    partial.rename(out)
    return summary


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="folder to write (replaced): data/, next_day/, world.json")
    parser.add_argument("--messages", type=int, default=int(os.environ.get("BENCH_WORLD_MESSAGES", 10_000_000)))
    parser.add_argument("--groups", type=int, default=2000)
    parser.add_argument("--staff", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)
    summary = generate(args.out, messages=args.messages, groups=args.groups, staff=args.staff, seed=args.seed)
    print(json.dumps(asdict(summary), indent=1))


if __name__ == "__main__":
    main()
