"""A generated test world whose staff metrics are known by construction (issue 4).

`build_world(seed)` draws, for each staff member, how many requests they get, which are answered and
after how many business minutes, which are reopened, how many other messages they send and on which
days, which of those violate the ads rule, their survey scores and their evaluation ratings; it writes
the data folder and returns the drawn plan, from which the test computes every expected metric without
looking at the warehouse.

Construction rules that keep each number independent of the others:
  * one group per staff member (they own it and are assigned to it), so attribution never crosses staff;
  * every chain of requests has its own member, so bursts and reopens never merge across chains;
  * a chain opens on an ordinary workday (Mon-Fri, not a holiday, not a make-up day) inside 09:00-18:00 and
    its answers land on the same day before 18:00, so business minutes equal calendar minutes;
  * an answer @-mentions the member's contact name, so it responds to that member's request only;
  * other staff messages are sent 19:00-22:59, more than the 30-minute adjacency window after any
    question, so an untargeted message never answers anything.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import yaml

from tests.conftest import SAMPLES, wecom_line, write_config

QUARTER = "2026-Q3"
QUARTER_START, QUARTER_END = date(2026, 7, 1), date(2026, 9, 30)
ROLES = ["customer_service"] * 3 + ["community_ops"] * 3 + ["team_lead"] * 2
RATER_TYPES = ["self", "supervisor", "peer", "customer"]
QUESTIONS = ["请问今天发货吗？", "请问会员积分怎么用？", "有没有优惠券？", "请问可以开发票吗？", "运费多少钱？"]
FOLLOW_UP = "还是不行，怎么办？"
ADS_TERM = "加微信"  # in rubric violations.ads


@dataclass
class Request:
    """One request: opened at `opened` (minute of day) on `day` by `member`; answered after `minutes`."""
    member: str
    day: date
    opened: int
    minutes: int | None  # None = never answered
    reopened: bool = False  # the member asks again after the answer (this request is then unresolved)


@dataclass
class Staff:
    staff_id: str
    role: str
    requests: list[Request] = field(default_factory=list)
    other_messages: list[tuple[date, int, bool]] = field(default_factory=list)  # (day, minute, violates)
    surveys: list[int] = field(default_factory=list)  # csat scores
    ratings: list[tuple[str, float, int]] = field(default_factory=list)  # (rater_type, score, scale)


def calendar_days() -> tuple[list[date], int]:
    """Ordinary workdays of the quarter (for generation) and the calendar's business-day count."""
    calendar = yaml.safe_load((SAMPLES / "config" / "calendar.yaml").read_text(encoding="utf-8"))["calendars"]["cn_office"]
    holidays = {date.fromisoformat(str(d)) for d in calendar["holidays"]}
    makeup = {date.fromisoformat(str(d)) for d in calendar["makeup_workdays"]}
    days = [QUARTER_START + timedelta(n) for n in range((QUARTER_END - QUARTER_START).days + 1)]
    ordinary = [d for d in days if d.weekday() < 5 and d not in holidays]
    return ordinary, len(ordinary) + sum(QUARTER_START <= d <= QUARTER_END for d in makeup)


def _chain(rng: random.Random, member: str, workdays: list[date]) -> list[Request]:
    """One member's requests: a question, and when it is answered and reopened, a follow-up question."""
    answered = rng.random() < 0.8
    reopened = answered and rng.random() < 0.25
    first = rng.randint(1, 120) if answered else None
    gap, second = (rng.randint(5, 60), rng.randint(1, 120)) if reopened else (0, 0)
    span = (first or 0) + gap + second
    opened = rng.randint(9 * 60, 18 * 60 - 1 - span)
    day = rng.choice(workdays)
    chain = [Request(member, day, opened, first, reopened)]
    if reopened:
        chain.append(Request(member, day, opened + first + gap, second))
    return chain


def draw_staff(rng: random.Random, index: int, role: str, workdays: list[date]) -> Staff:
    staff = Staff(f"S{index}", role)
    for chain in range(rng.randint(6, 14)):
        staff.requests += _chain(rng, f"m{index}_{chain:02d}", workdays)
    days = rng.sample(workdays, rng.randint(3, 30))
    staff.other_messages = [(rng.choice(days), rng.randint(19 * 60, 22 * 60 + 59), False)
                            for _ in range(rng.randint(len(days), 3 * len(days)))]
    for n in rng.sample(range(len(staff.other_messages)), rng.randint(0, 3)):
        day, minute, _ = staff.other_messages[n]
        staff.other_messages[n] = (day, minute, True)
    staff.surveys = [rng.randint(1, 5) for _ in range(rng.choice([0, 3, 5, 8, 12]))]
    for rater_type in rng.sample(RATER_TYPES, rng.randint(0, 4)):
        for _ in range(1 if rater_type == "self" else rng.randint(1, 3)):
            scale = rng.choice([100, 10, 5])
            score = {100: rng.randint(50, 100), 10: rng.randint(5, 10), 5: rng.choice([3, 3.5, 4, 4.5, 5])}[scale]
            staff.ratings.append((rater_type, score, scale))
    return staff


def draw_world(seed: int) -> list[Staff]:
    rng = random.Random(seed)
    workdays, _ = calendar_days()
    return [draw_staff(rng, index, role, workdays) for index, role in enumerate(ROLES, start=1)]


def contact_name(member: str) -> str:
    staff, chain = member[1:].split("_")
    return f"会员{staff}号{chain}"


def _hhmm(day: date, minute: int) -> str:
    return f"{day.isoformat()} {minute // 60:02d}:{minute % 60:02d}"


def _messages(staff: Staff) -> list[tuple[str, str, str, str, str]]:
    """(msgid, sender, local time, text, room) of one staff member's group."""
    room, handle, rows = f"room{staff.staff_id[1:]}", staff.staff_id.lower(), []
    for n, request in enumerate(staff.requests):
        follow_up = n > 0 and staff.requests[n - 1].reopened and staff.requests[n - 1].member == request.member
        text = FOLLOW_UP if follow_up else QUESTIONS[n % len(QUESTIONS)]
        rows.append((f"{room}-q{n}", request.member, _hhmm(request.day, request.opened), text, room))
        if request.minutes is not None:
            rows.append((f"{room}-a{n}", handle, _hhmm(request.day, request.opened + request.minutes),
                         f"@{contact_name(request.member)} 已经为您处理好了", room))
    for n, (day, minute, violates) in enumerate(staff.other_messages):
        text = f"第{n}期活动详情{ADS_TERM}了解" if violates else f"今晚活动预告第{n}期"
        rows.append((f"{room}-o{n}", handle, _hhmm(day, minute), text, room))
    return rows


def write_world(world: list[Staff], data: Path) -> None:
    ids = [staff.staff_id for staff in world]
    lead_cs, lead_ops = [s.staff_id for s in world if s.role == "team_lead"][:2]
    managers = {"customer_service": lead_cs, "community_ops": lead_ops, "team_lead": ""}
    roster = "staff_id,name,role,team,manager_id,calendar_id,active_from,active_to\n" + "".join(
        f"{s.staff_id},员工{s.staff_id},{s.role},运营部,{managers[s.role]},cn_office,2026-01-01,\n" for s in world)
    handles = "staff_id,platform,handle,valid_from,valid_to\n" + "".join(f"{i},wecom,{i.lower()},,\n" for i in ids)
    groups = "group_id,platform,source_key,name,category,owner_staff_id,assigned_staff_ids,calendar_id\n" + "".join(
        f"G{i[1:]},wecom,room{i[1:]},客服群{i[1:]},customer_service,{i},{i},cn_office\n" for i in ids)
    members = sorted({r.member for s in world for r in s.requests})
    contacts = "platform,handle,name\n" + "".join(f"wecom,{m},{contact_name(m)}\n" for m in members)
    write_config(data, roster=roster, handles=handles, groups=groups, contacts=contacts)

    exports = data / "exports" / "wecom"
    exports.mkdir(parents=True)
    for staff in world:
        lines = [wecom_line(*row) for row in _messages(staff)]
        (exports / f"room{staff.staff_id[1:]}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")

    surveys = data / "inputs" / "surveys"
    surveys.mkdir(parents=True)
    (surveys / "满意度回访_2026-Q3.csv").write_text(
        "response_id,responded_at,staff_id,group_id,csat,nps\n" + "".join(
            f"{s.staff_id}-R{n},2026-08-{1 + n % 28:02d} 10:00,{s.staff_id},,{csat},\n"
            for s in world for n, csat in enumerate(s.surveys)), encoding="utf-8")
    evaluations = data / "inputs" / "evaluations"
    evaluations.mkdir(parents=True)
    (evaluations / "考核评价_2026-Q3.csv").write_text(
        "staff_id,period,rater_type,rater_id,score,scale,submitted_at,comment\n" + "".join(
            f"{s.staff_id},{QUARTER},{rater},{'' if rater == 'self' else f'{rater}-{s.staff_id}-{n}'},{score},{scale},,\n"
            for s in world for n, (rater, score, scale) in enumerate(s.ratings)), encoding="utf-8")
