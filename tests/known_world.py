"""A generated test world whose staff metrics are known by construction (issue 4).

`draw_world(seed)` draws, for each staff member, everything their metrics are made of: requests (general
or complaints), which are answered and after how many business minutes, which are reopened; the tickets
a helpdesk opened near them (or for phone complaints); other messages and long announcements (some
repeated), on which days, which violate the ads rule; short-video posts and their monthly downloads;
content-audit submissions and resubmissions; survey CSAT and NPS answers; evaluation ratings; and WeCom
客户联系统计 days (with re-pulled days, an old account that expires and a userid nobody owns).
`write_world` writes the data folder; the test computes every expected metric from the drawn plan
alone, never from the warehouse.

Construction rules that keep each number independent of the others:
  * one group per staff member (they own it and are assigned to it), so attribution never crosses staff;
  * every chain of requests has its own member, so bursts and reopens never merge across chains, and a
    ticket only ever concerns its chain's member;
  * a chain opens on an ordinary workday (Mon-Fri, not a holiday, not a make-up day) inside 09:00-18:00 and
    its answers land on the same day before 18:00, so business minutes equal calendar minutes (and every
    answered complaint is within its 24-hour SLA);
  * an answer @-mentions the member's contact name, so it responds to that member's request only;
  * other staff messages and announcements are sent 19:00-22:59, more than the 30-minute adjacency
    window after any question, so an untargeted message never answers anything;
  * every time is written as Asia/Shanghai wall time, so a local date is the date written.
"""

from __future__ import annotations

import csv
import io
import json
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import yaml

from tests.conftest import SAMPLES, SHANGHAI, wecom_line, write_config

QUARTER = "2026-Q3"
MONTHS = ("2026-07", "2026-08", "2026-09")
PERIODS = (*MONTHS, QUARTER)
QUARTER_START, QUARTER_END = date(2026, 7, 1), date(2026, 9, 30)
ROLES = ["customer_service"] * 3 + ["community_ops"] * 3 + ["team_lead"] * 2
RATER_TYPES = ["self", "supervisor", "peer", "customer"]
QUESTIONS = ["请问今天发货吗？", "请问会员积分怎么用？", "有没有优惠券？", "请问可以开发票吗？", "运费多少钱？"]
COMPLAINTS = ["我要投诉，快递太慢了", "申请退款怎么还没到账？", "东西质量太差，要退货", "不满意这次服务，怎么处理？"]
FOLLOW_UP = "还是不行，怎么办？"
COMPLAINT_FOLLOW_UP = "还是不行，我要投诉！"
ADS_TERM = "加微信"  # in rubric violations.ads
#: Announcements of 50+ characters (KPI_SPEC §4.2 originality: substantive posts). A repeat may come
#: with other punctuation and spacing (`variant`), which still makes it a duplicate.
ANNOUNCEMENTS = [
    "本周会员日活动说明：周六上午十点开始，全场商品九折，积分可以抵扣现金，每位会员限领一张优惠券，数量有限，先到先得。",
    "售后服务提醒：收到商品后七天内可以无理由退换，请保留好包装和发票，退换时在订单页提交申请，客服会在一个工作日内处理。",
    "新品上架通知：本月新款保温杯和便携餐盒已经上架，会员购买可以享受专属折扣，下单时备注群名还可以获得一份小礼品，欢迎选购。",
    "物流时效说明：工作日下午四点前付款的订单当天发出，江浙沪地区一般次日送达，其他地区两到三天送达，节假日期间发货会顺延。",
]
#: (status written, is_resolved as the ticket loader derives it, closed_at written). `resolved` without a
#: closed_at is an unknown outcome: it covers nothing and counts nowhere.
TICKET_OUTCOMES = [("resolved", True, True), ("closed", True, True), ("open", False, False),
                   ("reopened", False, False), ("resolved", None, False)]
OLD_HANDLE_VALID_TO = date(2026, 7, 31)


@dataclass
class Request:
    """One request: opened at `opened` (minute of day) on `day` by `member`; answered after `minutes`."""
    member: str
    day: date
    opened: int
    minutes: int | None  # None = never answered
    reopened: bool = False  # the member asks again after the answer (the chat rule: unresolved)
    complaint: bool = False  # a complex request
    msgid: str = ""

    @property
    def opened_at(self) -> datetime:
        return datetime.combine(self.day, datetime.min.time()) + timedelta(minutes=self.opened)


@dataclass
class Ticket:
    """A helpdesk ticket. `member` is the requester the log identifies (by handle or linked message);
    None for a customer the chats never saw (a phone complaint) or one written by name without a link."""
    ticket_id: str
    opened_at: datetime
    status: str
    is_resolved: bool | None
    has_closed_at: bool
    is_complaint: bool
    member: str | None
    customer: str  # as written in the log
    message_id: str  # linked chat message, or ''
    handler_by_handle: bool  # names the handler by WeCom account instead of staff_id


@dataclass
class Post:
    """A short-video work; `views` None is a console '-' (no data)."""
    post_id: str
    platform: str
    account: str
    published_at: datetime
    views: int | None
    likes: int
    comments: int
    shares: int | None  # None: Kuaishou downloads have no shares column


@dataclass
class AuditSubmission:
    post_id: str
    submitted_at: datetime
    verdict: str | None  # pass / fail / revise; None = pending
    score: float | None


@dataclass
class BehaviourDay:
    """One WeCom 客户联系统计 day as finally loaded (a re-pulled day holds the re-pull's figures)."""
    userid: str
    day: date
    negative_feedback: int | None
    new_contacts: int | None
    repulled_from: tuple[int | None, int | None] | None = None  # the first pull's figures, overwritten


@dataclass
class Staff:
    staff_id: str
    role: str
    requests: list[Request] = field(default_factory=list)
    tickets: list[Ticket] = field(default_factory=list)
    other_messages: list[tuple[date, int, bool]] = field(default_factory=list)  # (day, minute, violates)
    announcements: list[tuple[date, int, int, bool]] = field(default_factory=list)  # (day, minute, template, variant)
    surveys: list[tuple[date, int | None, int | None]] = field(default_factory=list)  # (day, csat, nps)
    ratings: list[tuple[str, float, int]] = field(default_factory=list)  # (rater_type, score, scale)
    content_handles: list[tuple[str, str]] = field(default_factory=list)  # (platform, account) in handles.csv
    posts: list[Post] = field(default_factory=list)
    audits: list[AuditSubmission] = field(default_factory=list)
    behaviour: list[BehaviourDay] = field(default_factory=list)
    old_wecom_handle: str | None = None  # a second WeCom account, valid until OLD_HANDLE_VALID_TO

    @property
    def handle(self) -> str:
        return self.staff_id.lower()

    @property
    def room(self) -> str:
        return f"room{self.staff_id[1:]}"

    @property
    def group_id(self) -> str:
        return f"G{self.staff_id[1:]}"


def month_of(day: date) -> str:
    return f"{day.year}-{day.month:02d}"


def periods_of(day: date) -> tuple[str, str]:
    """The month and the quarter a local date belongs to (everything here is in 2026-Q3)."""
    assert QUARTER_START <= day <= QUARTER_END, day
    return month_of(day), QUARTER


def _calendar() -> tuple[set[date], set[date]]:
    calendars = yaml.safe_load((SAMPLES / "config" / "calendar.yaml").read_text(encoding="utf-8"))["calendars"]
    calendar = calendars["cn_office"]
    holidays = {date.fromisoformat(str(d)) for d in calendar["holidays"]}
    makeup = {date.fromisoformat(str(d)) for d in calendar["makeup_workdays"]}
    return holidays, makeup


def quarter_days() -> list[date]:
    return [QUARTER_START + timedelta(n) for n in range((QUARTER_END - QUARTER_START).days + 1)]


def calendar_days() -> tuple[list[date], dict[str, int]]:
    """Ordinary workdays of the quarter (for generation) and the calendar's business days per period
    (ordinary workdays plus make-up workdays)."""
    holidays, makeup = _calendar()
    ordinary = [d for d in quarter_days() if d.weekday() < 5 and d not in holidays]
    business = sorted(set(ordinary) | {d for d in makeup if QUARTER_START <= d <= QUARTER_END})
    counts = {period: sum(period in periods_of(d) for d in business) for period in PERIODS}
    return ordinary, counts


# --- drawing -----------------------------------------------------------------------------------------

def _chain(rng: random.Random, member: str, workdays: list[date]) -> list[Request]:
    """One member's requests: a question or complaint, and when it is answered and reopened, a follow-up."""
    answered = rng.random() < 0.8
    reopened = answered and rng.random() < 0.25
    first = rng.randint(1, 120) if answered else None
    gap, second = (rng.randint(5, 60), rng.randint(1, 120)) if reopened else (0, 0)
    span = (first or 0) + gap + second
    opened = rng.randint(9 * 60, 18 * 60 - 1 - span)
    day = rng.choice(workdays)
    chain = [Request(member, day, opened, first, reopened, complaint=rng.random() < 0.3)]
    if reopened:
        chain.append(Request(member, day, opened + first + gap, second, complaint=rng.random() < 0.3))
    return chain


def _tickets(rng: random.Random, staff: Staff, workdays: list[date]) -> list[Ticket]:
    """Tickets near some requests — most within the 10-minute window, some 11-20 minutes away, some on
    either side of its edge — naming the
    requester by handle, by name plus the linked message, or by the linked message alone; and a few
    phone complaints no chat covers."""
    drafts: list[tuple[datetime, dict]] = []
    for request in staff.requests:
        if rng.random() >= 0.45:
            continue
        if rng.random() < 0.75:  # within the window, a fifth of them exactly on its edge
            offset = rng.choice([-10, 10]) if rng.random() < 0.2 else rng.randint(-9, 9)
        else:  # outside it, a third of them by one minute
            offset = rng.choice([-1, 1]) * (11 if rng.random() < 0.3 else rng.randint(12, 20))
        how = rng.choices(["handle", "name_and_link", "link"], weights=[6, 2, 2])[0]
        drafts.append((request.opened_at + timedelta(minutes=offset), {
            "is_complaint": request.complaint,
            "member": request.member,
            "customer": {"handle": request.member, "name_and_link": contact_name(request.member), "link": ""}[how],
            "message_id": "" if how == "handle" else request.msgid,
        }))
    for n in range(rng.randint(0, 3)):
        opened = datetime.combine(rng.choice(workdays), datetime.min.time()) + timedelta(minutes=rng.randint(540, 1079))
        drafts.append((opened, {"is_complaint": True, "member": None, "customer": f"电话客户{staff.staff_id}-{n}",
                                "message_id": ""}))
    tickets = []
    for n, (opened, draft) in enumerate(drafts):
        status, is_resolved, has_closed_at = rng.choice(TICKET_OUTCOMES)
        tickets.append(Ticket(f"T{staff.staff_id[1:]}-{n:03d}", opened, status, is_resolved, has_closed_at,
                              handler_by_handle=rng.random() < 0.2, **draft))
    return tickets


def _account_posts(rng: random.Random, staff: Staff, platform: str) -> None:
    """A content account for the staff member (in handles.csv) and 1-8 works published on it."""
    account = f"{ {'douyin': 'dy', 'kuaishou': 'ks'}[platform]}_{staff.handle}"
    staff.content_handles.append((platform, account))
    days = quarter_days()
    for n in range(rng.randint(1, 8)):
        views = rng.randint(100, 50000) if rng.random() < 0.9 else None
        ceiling = (views or 1000) // 10
        staff.posts.append(Post(
            f"{account}-v{n}", platform, account,
            datetime.combine(rng.choice(days), datetime.min.time()) + timedelta(minutes=rng.randint(0, 1439)),
            views, rng.randint(0, ceiling), rng.randint(0, ceiling // 4),
            rng.randint(0, ceiling // 4) if platform == "douyin" else None,
        ))


def _audits(rng: random.Random, staff: Staff, workdays: list[date]) -> None:
    for n in range(rng.randint(0, 8)):
        post_id = f"{staff.staff_id}-P{n}"
        submitted = (datetime.combine(rng.choice(workdays), datetime.min.time())
                     + timedelta(minutes=rng.randint(540, 1000)))
        verdict = rng.choices(["pass", "fail", "revise", None], weights=[5, 2, 2, 1])[0]
        score = rng.choice([1, 2, 3, 3.5, 4, 4.5, 5]) if verdict and rng.random() < 0.8 else None
        staff.audits.append(AuditSubmission(post_id, submitted, verdict, score))
        if verdict in ("fail", "revise") and rng.random() < 0.6:
            again = submitted + timedelta(days=rng.randint(1, 6))
            if again.date() <= QUARTER_END:
                staff.audits.append(AuditSubmission(post_id, again, rng.choice(["pass", "fail"]),
                                                    rng.choice([3, 4, 5, None])))


def _behaviour_days(rng: random.Random, userid: str, days: list[date]) -> list[BehaviourDay]:
    rows = []
    for day in days:
        if rng.random() < 0.8:
            rows.append(BehaviourDay(userid, day,
                                     rng.randint(0, 2) if rng.random() < 0.9 else None,
                                     rng.randint(0, 12) if rng.random() < 0.95 else None))
    return rows


def draw_staff(rng: random.Random, index: int, role: str, workdays: list[date]) -> Staff:
    staff = Staff(f"S{index}", role)
    for chain in range(rng.randint(6, 14)):
        staff.requests += _chain(rng, f"m{index}_{chain:02d}", workdays)
    for n, request in enumerate(staff.requests):
        request.msgid = f"{staff.room}-q{n}"
    if rng.random() < 0.7:  # staff whose groups have a helpdesk
        staff.tickets = _tickets(rng, staff, workdays)
    days = rng.sample(workdays, rng.randint(3, 30))
    staff.other_messages = [(rng.choice(days), rng.randint(19 * 60, 22 * 60 + 59), False)
                            for _ in range(rng.randint(len(days), 3 * len(days)))]
    for n in rng.sample(range(len(staff.other_messages)), rng.randint(0, 3)):
        day, minute, _ = staff.other_messages[n]
        staff.other_messages[n] = (day, minute, True)
    staff.announcements = [(rng.choice(workdays), rng.randint(19 * 60, 22 * 60 + 59),
                            rng.randrange(len(ANNOUNCEMENTS)), rng.random() < 0.5)
                           for _ in range(rng.randint(0, 6))]
    for _ in range(rng.choice([0, 3, 5, 8, 12])):
        csat = rng.randint(1, 5) if rng.random() < 0.9 else None
        nps = rng.randint(0, 10) if csat is None or rng.random() < 0.7 else None
        staff.surveys.append((rng.choice(quarter_days()), csat, nps))
    for rater_type in rng.sample(RATER_TYPES, rng.randint(0, 4)):
        for _ in range(1 if rater_type == "self" else rng.randint(1, 3)):
            scale = rng.choice([100, 10, 5])
            score = {100: rng.randint(50, 100), 10: rng.randint(5, 10), 5: rng.choice([3, 3.5, 4, 4.5, 5])}[scale]
            staff.ratings.append((rater_type, score, scale))
    for platform, chance in (("douyin", 0.5), ("kuaishou", 0.3)):
        if rng.random() < chance:
            _account_posts(rng, staff, platform)
    _audits(rng, staff, workdays)
    if rng.random() < 0.8:
        staff.behaviour = _behaviour_days(rng, staff.handle, quarter_days())
        for day in rng.sample(staff.behaviour, min(3, len(staff.behaviour))):
            day.repulled_from = (day.negative_feedback, day.new_contacts)
            day.negative_feedback, day.new_contacts = rng.randint(0, 3), rng.randint(1, 15)
    return staff


def draw_world(seed: int) -> list[Staff]:
    rng = random.Random(seed)
    workdays, _ = calendar_days()
    world = [draw_staff(rng, index, role, workdays) for index, role in enumerate(ROLES, start=1)]
    # One staff member also had an old WeCom account, valid until the end of July: its July-August days
    # count for them in July only. Another holds a Douyin account no file mentions (no posts row: unknown).
    if all(s.behaviour for s in world):  # someone without WeCom data (no negative_feedback_rate row)
        world[1].behaviour = []
    old = world[2]
    old.old_wecom_handle = f"{old.handle}old"
    old.behaviour += _behaviour_days(rng, old.old_wecom_handle,
                                     [d for d in quarter_days() if d.month in (7, 8)])
    for platform in ("douyin", "kuaishou"):  # both platforms whatever the seed
        if not any(p.platform == platform for s in world for p in s.posts):
            _account_posts(rng, next(s for s in world if not s.content_handles), platform)
    unused = next(s for s in world if not s.content_handles)
    unused.content_handles.append(("douyin", f"dy_{unused.handle}_unused"))
    return world


def contact_name(member: str) -> str:
    staff, chain = member[1:].split("_")
    return f"会员{staff}号{chain}"


def announcement_text(template: int, variant: bool) -> str:
    """The template, or the same words with other punctuation and spacing (equal after normalising)."""
    text = ANNOUNCEMENTS[template]
    return text.replace("：", ": ").replace("，", ", ").replace("。", "!!") if variant else text


# --- writing -----------------------------------------------------------------------------------------

def _hhmm(day: date, minute: int) -> str:
    return f"{day.isoformat()} {minute // 60:02d}:{minute % 60:02d}"


def _local(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M")


def _epoch(day: date) -> int:
    return int(datetime.combine(day, datetime.min.time(), SHANGHAI).timestamp())


def _csv(path: Path, header: list[str], rows: list[list], preamble: str = "") -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([["" if value is None else value for value in row] for row in rows])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(preamble + buffer.getvalue(), encoding="utf-8")


def announcement_id(staff: Staff, n: int) -> str:
    return f"{staff.room}-n{n}"


def _messages(staff: Staff) -> list[tuple[str, str, str, str, str]]:
    """(msgid, sender, local time, text, room) of one staff member's group."""
    room, handle, rows = staff.room, staff.handle, []
    for n, request in enumerate(staff.requests):
        follow_up = n > 0 and staff.requests[n - 1].reopened and staff.requests[n - 1].member == request.member
        if follow_up:
            text = COMPLAINT_FOLLOW_UP if request.complaint else FOLLOW_UP
        else:
            text = COMPLAINTS[n % len(COMPLAINTS)] if request.complaint else QUESTIONS[n % len(QUESTIONS)]
        rows.append((request.msgid, request.member, _hhmm(request.day, request.opened), text, room))
        if request.minutes is not None:
            rows.append((f"{room}-a{n}", handle, _hhmm(request.day, request.opened + request.minutes),
                         f"@{contact_name(request.member)} 已经为您处理好了", room))
    for n, (day, minute, violates) in enumerate(staff.other_messages):
        text = f"第{n}期活动详情{ADS_TERM}了解" if violates else f"今晚活动预告第{n}期"
        rows.append((f"{room}-o{n}", handle, _hhmm(day, minute), text, room))
    for n, (day, minute, template, variant) in enumerate(staff.announcements):
        rows.append((announcement_id(staff, n), handle, _hhmm(day, minute), announcement_text(template, variant), room))
    return rows


def _write_tickets(world: list[Staff], inputs: Path) -> None:
    rows = []
    for staff in world:
        for ticket in staff.tickets:
            closed = _local(ticket.opened_at + timedelta(hours=5)) if ticket.has_closed_at else ""
            handler = ["", "wecom", staff.handle] if ticket.handler_by_handle else [staff.staff_id, "", ""]
            rows.append([ticket.ticket_id, _local(ticket.opened_at), closed,
                         "complaint" if ticket.is_complaint else "consultation", ticket.status, *handler,
                         staff.group_id, ticket.customer, ticket.message_id])
    _csv(inputs / "tickets" / "工单导出_2026-Q3.csv",
         ["ticket_id", "opened_at", "closed_at", "ticket_type", "status", "staff_id", "staff_platform",
          "staff_handle", "group_id", "customer", "message_id"], rows)


def _write_posts(world: list[Staff], inputs: Path) -> None:
    """Douyin: one download per month (as of the 1st of the next month) listing every work published so
    far, with half the final counts in the earlier downloads: the latest download's counts must win.
    Kuaishou: one download after the quarter, without a shares column."""
    header = ["post_id", "title", "published_at", "views", "likes", "comments", "shares"]
    for staff in world:
        for platform, account in staff.content_handles:
            posts = [p for p in staff.posts if p.account == account]
            if not posts:
                continue
            folder = inputs / "content_posts" / platform / account
            if platform == "kuaishou":
                _csv(folder / "2026-10-09_作品数据.csv", header[:-1], [
                    [p.post_id, f"作品{p.post_id}", _local(p.published_at), p.views if p.views is not None else "-",
                     p.likes, p.comments] for p in posts], preamble="数据更新时间：2026-10-09 12:00,,,,,\n")
                continue
            for n, month in enumerate(MONTHS):
                as_of = date(2026, 8 + n, 1)
                final = month == MONTHS[-1]
                listed = [p for p in posts if p.published_at.date() < as_of]
                if not listed:
                    continue
                _csv(folder / f"{month}_作品数据.csv", header, [
                    [p.post_id, f"作品{p.post_id}", _local(p.published_at),
                     "-" if p.views is None else (p.views if final else p.views // 2),
                     p.likes if final else p.likes // 2, p.comments if final else p.comments // 2,
                     p.shares if final else p.shares // 2] for p in listed],
                     preamble=f"数据更新时间：{as_of.isoformat()} 09:00,,,,,,\n")


def _write_audits(world: list[Staff], inputs: Path) -> None:
    rows = []
    for staff in world:
        for audit in staff.audits:
            reviewed = "" if audit.verdict is None else _local(audit.submitted_at + timedelta(hours=2))
            rows.append([audit.post_id, staff.staff_id, staff.group_id, _local(audit.submitted_at),
                         audit.verdict or "", reviewed, audit.score, "" if audit.verdict is None else "审核员甲"])
    _csv(inputs / "content_audits" / "审核记录_2026-Q3.csv",
         ["post_id", "staff_id", "group_id", "submitted_at", "first_verdict", "first_reviewed_at", "score",
          "reviewer"], rows)


def _behaviour_response(days: list[tuple[date, int | None, int | None]]) -> dict:
    data = []
    for day, negative, new in days:
        item = {"stat_time": _epoch(day), "chat_cnt": 3, "message_cnt": 9}
        if negative is not None:
            item["negative_feedback_cnt"] = negative
        if new is not None:
            item["new_contact_cnt"] = new
        data.append(item)
    return {"errcode": 0, "errmsg": "ok", "behavior_data": data}


def _write_behaviour(world: list[Staff], inputs: Path) -> None:
    """Each staff member's own account: bare monthly responses in a folder named after the userid, and
    the re-pulled days in a later file (`2026-MM_repull.json` sorts after `2026-MM.json`). The old account
    and a userid nobody owns: JSON Lines of wrappers, one line per month with many days on it."""
    folder = inputs / "wecom_behavior"
    lines = []
    for staff in world:
        for month in MONTHS:
            own = [d for d in staff.behaviour if d.userid == staff.handle and month_of(d.day) == month]
            first = [(d.day, *(d.repulled_from or (d.negative_feedback, d.new_contacts))) for d in own]
            repull = [(d.day, d.negative_feedback, d.new_contacts) for d in own if d.repulled_from]
            if first:
                path = folder / staff.handle / f"{month}.json"
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(json.dumps(_behaviour_response(first)), encoding="utf-8")
            if repull:
                (folder / staff.handle / f"{month}_repull.json").write_text(
                    json.dumps(_behaviour_response(repull)), encoding="utf-8")
            if staff.old_wecom_handle:
                old = [(d.day, d.negative_feedback, d.new_contacts) for d in staff.behaviour
                       if d.userid == staff.old_wecom_handle and month_of(d.day) == month]
                if old:
                    lines.append({"userid": staff.old_wecom_handle, "response": _behaviour_response(old)})
    lines.append({"userid": "ghost", "response": _behaviour_response(
        [(date(2026, 7, 1), 1, 3), (date(2026, 7, 2), 2, 4)])})
    (folder / "legacy.jsonl").write_text("\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")


def groupchat_days(world: list[Staff]) -> dict[tuple[str, date], str | None]:
    """(owner userid, day) -> the staff member the day belongs to, for the 群聊数据统计 written: the 1st and
    15th of each month for every staff account, July and August for the old account (which expires)."""
    days = [date(2026, month, day) for month in (7, 8, 9) for day in (1, 15)]
    owners: dict[tuple[str, date], str | None] = {}
    for staff in world:
        owners.update({(staff.handle, day): staff.staff_id for day in days})
        if staff.old_wecom_handle:
            owners.update({(staff.old_wecom_handle, day): staff.staff_id if day <= OLD_HANDLE_VALID_TO else None
                           for day in days if day.month in (7, 8)})
    return owners


def _write_groupchat(world: list[Staff], inputs: Path) -> None:
    by_owner: dict[str, list[date]] = {}
    for owner, day in groupchat_days(world):
        by_owner.setdefault(owner, []).append(day)
    for owner, days in by_owner.items():
        path = inputs / "wecom_groupchat" / owner / "2026-Q3.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"errcode": 0, "errmsg": "ok", "items": [
            {"stat_time": _epoch(day), "data": {"new_chat_cnt": 0, "chat_total": 1, "new_member_cnt": 2,
                                                "member_total": 40 + n}} for n, day in enumerate(sorted(days))]}),
            encoding="utf-8")


def write_world(world: list[Staff], data: Path) -> None:
    ids = [staff.staff_id for staff in world]
    lead_cs, lead_ops = [s.staff_id for s in world if s.role == "team_lead"][:2]
    managers = {"customer_service": lead_cs, "community_ops": lead_ops, "team_lead": ""}
    roster = "staff_id,name,role,team,manager_id,calendar_id,active_from,active_to\n" + "".join(
        f"{s.staff_id},员工{s.staff_id},{s.role},运营部,{managers[s.role]},cn_office,2026-01-01,\n" for s in world)
    handles = "staff_id,platform,handle,valid_from,valid_to\n" + "".join(
        f"{s.staff_id},wecom,{s.handle},,\n"
        + (f"{s.staff_id},wecom,{s.old_wecom_handle},,{OLD_HANDLE_VALID_TO}\n" if s.old_wecom_handle else "")
        + "".join(f"{s.staff_id},{platform},{account},,\n" for platform, account in s.content_handles)
        for s in world)
    groups = "group_id,platform,source_key,name,category,owner_staff_id,assigned_staff_ids,calendar_id\n" + "".join(
        f"{s.group_id},wecom,{s.room},客服群{i[1:]},customer_service,{i},{i},cn_office\n" for s, i in zip(world, ids))
    members = sorted({r.member for s in world for r in s.requests})
    contacts = "platform,handle,name\n" + "".join(f"wecom,{m},{contact_name(m)}\n" for m in members)
    write_config(data, roster=roster, handles=handles, groups=groups, contacts=contacts)

    exports = data / "exports" / "wecom"
    exports.mkdir(parents=True)
    for staff in world:
        lines = [wecom_line(*row) for row in _messages(staff)]
        (exports / f"{staff.room}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")

    inputs = data / "inputs"
    _csv(inputs / "surveys" / "满意度回访_2026-Q3.csv",
         ["response_id", "responded_at", "staff_id", "group_id", "csat", "nps"],
         [[f"{s.staff_id}-R{n}", f"{day.isoformat()} 10:00", s.staff_id, "", csat, nps]
          for s in world for n, (day, csat, nps) in enumerate(s.surveys)])
    _csv(inputs / "evaluations" / "考核评价_2026-Q3.csv",
         ["staff_id", "period", "rater_type", "rater_id", "score", "scale", "submitted_at", "comment"],
         [[s.staff_id, QUARTER, rater, "" if rater == "self" else f"{rater}-{s.staff_id}-{n}", score, scale, "", ""]
          for s in world for n, (rater, score, scale) in enumerate(s.ratings)])
    _write_tickets(world, inputs)
    _write_posts(world, inputs)
    _write_audits(world, inputs)
    _write_behaviour(world, inputs)
    _write_groupchat(world, inputs)
