"""Seeded sample inputs (issue 4): platform metrics and business logs beside the chats.

`generate.py` calls `write_inputs` after simulating the chats and hands over what it built (a
`World`: its STAFF, GROUPS, HANDLES, calendar, and every group's members and messages), so the
inputs agree with the exports: group member totals follow the simulated membership, tickets open
minutes after real complaint messages and name their message ids, and surveys, tickets, audits and
ratings name staff who were employed that day. Written under `inputs/`:

    wecom_behavior/<userid>/2026-MM.json          get_user_behavior_data, bare responses (folder = userid):
                                                  customer-service staff serving WeCom groups, 2026-Q2..Q3
    wecom_groupchat/<owner_userid>/2026-MM.json   groupchat/statistic_group_by_day per customer-group owner,
                                                  2026-Q3 only (pulled from July: Q2 shows absence)
    group_stats/2026-Q2.csv, 2026-Q3.csv          群统计 per WeCom group and day
    content_posts/douyin/<account>/2026-MM_作品数据.csv        monthly creator-center downloads
    content_posts/kuaishou/<account>/2026-10-09_作品数据.xlsx  one workbook (polars write_excel)
    surveys/满意度回访_2026-Qn.csv   tickets/工单导出_2026-Qn.csv
    content_audits/审核记录_2026-Qn.csv   evaluations/考核评价_2026-Qn.csv

Each kind draws from its own `random.Random(f"{seed}:{kind}")`: the same seed gives the same
files, and changing one kind reshuffles neither the others nor the exports. The workbook's bytes
are fixed too (xlsxwriter's zip timestamps are constant and its creation date is set here), but
deflate output depends on the zlib build, so tests compare workbooks by their cells.

Deliberately bad rows, so `raw.input_quarantine` has something to show (everything else loads):
- wecom_behavior: zhangwei 2026-06-17 reply_percentage 108.33 (over 100); liqiang 2026-08-20
  avg_reply_time "N/A".
- wecom_groupchat: zhaomin 2026-07-15 stat_time "2026-07-15" (not epoch seconds); huangxiaoyan
  2026-08-12 new_member_cnt -2.
- group_stats: G02 2026-06-15 written "2026.06.15" (no accepted date layout); G04 2026-08-12 群成员数 -12.
- content_posts: one Douyin work with 完播率 135% (in one monthly file only: the next one loads it);
  one Kuaishou work with 点赞量 -5.
- surveys: Q2 a 满意度 of 6; Q3 a 提交时间 of 2026/9/31.
- tickets: Q2 a status row 挂起 (no such status); Q3 a 创建时间 of 2026/8/32.
- content_audits: Q2 an 初审结果 of 待定 (no such verdict); Q3 a 评分 of 6.
- evaluations: Q2 a peer score of 105 (out of 100); Q3 a rating by a 下属 (no such rater type).
By design, not by mistake, tickets also quarantine their earlier status rows ("superseded by its
later entry") and evaluations one re-submitted peer rating ("superseded by").
"""

from __future__ import annotations

import csv
import json
import math
import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any

import polars as pl
import xlsxwriter

#: Asia/Shanghai as a fixed offset (no DST since 1991), as in generate.py.
TZ = timezone(timedelta(hours=8))
QUARTERS: dict[str, tuple[date, date]] = {
    "2026-Q2": (date(2026, 4, 1), date(2026, 6, 30)),
    "2026-Q3": (date(2026, 7, 1), date(2026, 9, 30)),
}
#: When each quarter's business logs were exported (tickets still open then have no closed_at).
EXPORTED_AT = {"2026-Q2": datetime(2026, 7, 2, 10, 0, tzinfo=TZ), "2026-Q3": datetime(2026, 10, 9, 18, 0, tzinfo=TZ)}
#: Message kinds that are not messages (membership notices, recalls, WeCom `switch`).
NOT_MESSAGES = ("recall", "switch", "joined_by_link", "invited", "removed")


# --- What generate.py hands over -------------------------------------------------------------------
@dataclass(frozen=True)
class GroupDay:
    """One group's day: customers at the end of it, staff on the group, flows and messages."""

    customers: int
    staff: int
    joins: int
    leaves: int
    messages: int
    senders_to_date: int  # distinct senders (customers and staff) since the samples start


@dataclass
class World:
    """What generate.py simulated. Items are generate.py's own types (Staff, GroupSpec, Handle,
    Member, Msg, Calendar): this module is run beside it, not imported from a package."""

    staff: tuple[Any, ...]
    groups: tuple[Any, ...]
    handles: tuple[Any, ...]
    calendar: Any
    first_day: date  # the samples' first and last day
    last_day: date
    histories: dict[str, tuple[list[Any], list[Any]]]  # source_key -> (members, messages in time order)
    complaints: frozenset[str]  # member texts that are complaints
    _days: dict[str, dict[date, GroupDay]] = field(default_factory=dict)

    def person(self, staff_id: str) -> Any:
        return next(s for s in self.staff if s.staff_id == staff_id)

    def handle(self, staff_id: str, platform: str, day: date) -> str | None:
        return next((h.handle for h in self.handles if h.staff_id == staff_id and h.platform == platform
                     and h.valid_on(day)), None)

    def staff_handles(self) -> set[tuple[str, str]]:
        return {(h.platform, h.handle) for h in self.handles}

    def cs_groups(self) -> list[Any]:
        return [g for g in self.groups if g.registered and g.category == "customer_service"]

    def on_group(self, spec: Any, day: date, role: str | None = None) -> list[Any]:
        """Assigned staff employed on `day` (optionally of one role)."""
        people = [self.person(i) for i in spec.assigned]
        return [s for s in people if s.active_on(day) and (role is None or s.role == role)]

    def group_days(self, spec: Any) -> dict[date, GroupDay]:
        """Per day of the group's export: membership from the simulated members, messages counted."""
        if spec.source_key not in self._days:
            members, msgs = self.histories[spec.source_key]
            people = {(spec.platform, h) for h in [m.handle for m in members]} | self.staff_handles()
            per_day = Counter(m.at.date() for m in msgs if m.kind not in NOT_MESSAGES)
            first_post: dict[str, date] = {}
            for msg in msgs:
                if msg.kind not in NOT_MESSAGES and (spec.platform, msg.sender) in people:
                    first_post.setdefault(msg.sender, msg.at.date())
            newcomers = Counter(first_post.values())
            result, senders = {}, 0
            for day in days(spec.first_day, spec.last_day):
                senders += newcomers[day]
                result[day] = GroupDay(
                    customers=sum(1 for m in members if (m.joined is None or m.joined <= day)
                                  and (m.left is None or day < m.left)),
                    staff=len(self.on_group(spec, day)),
                    joins=sum(1 for m in members if m.joined == day),
                    leaves=sum(1 for m in members if m.left == day),
                    messages=per_day[day],
                    senders_to_date=senders,
                )
            self._days[spec.source_key] = result
        return self._days[spec.source_key]


# --- Small helpers --------------------------------------------------------------------------------
def days(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def month_spans(first: date, last: date) -> list[tuple[date, date]]:
    """(first, last) day of each calendar month touching [first, last], clipped to it."""
    spans, start = [], first
    while start <= last:
        end = min(last, (start.replace(day=1) + timedelta(days=32)).replace(day=1) - timedelta(days=1))
        spans.append((start, end))
        start = end + timedelta(days=1)
    return spans


def quarter_of(day: date) -> str | None:
    return next((name for name, (first, last) in QUARTERS.items() if first <= day <= last), None)


def epoch(day: date) -> int:
    """WeCom's `stat_time`: 00:00 China time of the day, in epoch seconds."""
    return int(datetime.combine(day, time(0), TZ).timestamp())


def at(day: date, hour: int, minute: int, second: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute, second), TZ)


def office(when: datetime) -> datetime:
    """`when`, or 09:mm of the next morning when it falls outside 09:00-19:00 (people at work)."""
    if 9 <= when.hour < 19:
        return when
    return at(when.date() + timedelta(days=int(when.hour >= 19)), 9, when.minute)


def stamp(when: datetime, seconds: bool = False) -> str:
    return when.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def poisson(rng: random.Random, mean: float) -> int:
    """Knuth's sampler (means up to ~30)."""
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def number(value: float) -> int | float:
    """A JSON number as WeCom writes it: 100, not 100.0."""
    return int(value) if value == int(value) else value


def write_table(path: Path, header: list[str], rows: list[list[str]]) -> None:
    """UTF-8 with BOM (what Excel-minded consoles write), `\n` line ends."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def write_response(path: Path, array: str, items: list[dict]) -> None:
    """A saved WeCom response, one array element per line (compact, still readable)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    body = ",\n".join(json.dumps(item, ensure_ascii=False, separators=(",", ":")) for item in items)
    path.write_text(f'{{"errcode":0,"errmsg":"ok","{array}":[\n{body}\n]}}\n', encoding="utf-8")


def patched(item: dict, bad: dict) -> dict:
    """`item` with the deliberately bad values of `bad` (nested objects merged, e.g. `data`)."""
    return item | {key: item[key] | value if isinstance(value, dict) else value for key, value in bad.items()}


def corrupt(rows: list[list[str]], header: list[str], index: int, column: str, value: str) -> None:
    """Overwrite one cell: the deliberately bad rows the module docstring lists."""
    rows[index][header.index(column)] = value


# --- wecom_behavior ---------------------------------------------------------------------------------
CHATS_PER_WORKDAY = 14.0  # 1:1 chats with customers
NEW_CONTACTS_PER_WORKDAY = 2.5
OFFDAY_SHARE = 0.15  # weekend/holiday activity relative to a workday
BEHAVIOR_BAD = {("zhangwei", date(2026, 6, 17)): {"reply_percentage": 108.33},
                ("liqiang", date(2026, 8, 20)): {"avg_reply_time": "N/A"}}


def behavior_item(rng: random.Random, person: Any, day: date, workday: bool) -> dict:
    """One day of get_user_behavior_data; reply rate and time only on days with chats (as WeCom)."""
    share = 1.0 if workday else OFFDAY_SHARE
    chats = poisson(rng, CHATS_PER_WORKDAY * share)
    item: dict = {"stat_time": epoch(day), "chat_cnt": chats,
                  "message_cnt": chats + sum(poisson(rng, 2.2) for _ in range(chats))}
    if chats:
        unanswered = sum(1 for _ in range(chats) if rng.random() < 0.04 * person.pace)
        item["reply_percentage"] = number(round((chats - unanswered) / chats * 100, 2))
        item["avg_reply_time"] = max(1, round(rng.lognormvariate(math.log(5 * person.pace), 0.5)))
    item["negative_feedback_cnt"] = poisson(rng, 0.03 * person.pace ** 2 * share)
    item["new_apply_cnt"] = poisson(rng, 0.6 * share)
    item["new_contact_cnt"] = poisson(rng, NEW_CONTACTS_PER_WORKDAY * share)
    return item


def write_wecom_behavior(inputs: Path, rng: random.Random, world: World) -> int:
    """The customer-service staff who serve WeCom groups (negative_feedback_rate is their metric;
    S008 serves the Telegram group only, so has none: the metric is absent, not 0), every employed
    day of 2026-Q2 and Q3, one file per userid and month."""
    serving = {i for g in world.cs_groups() if g.platform == "wecom" for i in g.assigned}
    first, last = QUARTERS["2026-Q2"][0], QUARTERS["2026-Q3"][1]
    files = 0
    for person in [s for s in world.staff if s.role == "customer_service" and s.staff_id in serving]:
        active = [d for d in days(first, last) if person.active_on(d)]
        for start, end in month_spans(active[0], active[-1]):
            items = []
            for day in days(start, end):
                item = behavior_item(rng, person, day, world.calendar.is_workday(day))
                items.append(patched(item, BEHAVIOR_BAD.get((person.wecom, day), {})))
            write_response(inputs / "wecom_behavior" / person.wecom / f"{start:%Y-%m}.json", "behavior_data", items)
            files += 1
    return files


# --- wecom_groupchat --------------------------------------------------------------------------------
#: Customer groups an owner has besides the exported ones (not in the chat exports): members at the
#: start, 0 for a group created during the period.
OTHER_GROUPS: dict[str, tuple[int, ...]] = {"S003": (36, 24), "S006": (41,), "S011": (63, 48, 0)}
GROUPCHAT_BAD = {("zhaomin", date(2026, 7, 15)): {"stat_time": "2026-07-15"},
                 ("huangxiaoyan", date(2026, 8, 12)): {"data": {"new_member_cnt": -2}}}


@dataclass
class OtherGroup:
    members: int
    created: date | None  # None: existed before the samples start
    has_msg: int = 0


def groupchat_items(rng: random.Random, world: World, owner: str, specs: list[Any]) -> list[tuple[date, dict]]:
    """statistic_group_by_day rows for one owner: the exported groups' real membership and traffic
    plus their other customer groups. `chat_total`, `chat_has_msg`, `member_has_msg` and `msg_total`
    only grow; `member_total` follows membership (it dips when members leave)."""
    first, last = QUARTERS["2026-Q3"]
    others = [OtherGroup(n, None if n else first + timedelta(days=rng.randrange(40, 120)), round(n * 0.45))
              for n in OTHER_GROUPS.get(owner, ())]
    history = {s.source_key: world.group_days(s) for s in specs}
    # distinct senders before the chat exports start, approximated by those of their first 30 days
    seen_before = {s.source_key: history[s.source_key][s.first_day + timedelta(days=29)].senders_to_date
                   for s in specs}
    msg_total, items = rng.randrange(8_000, 20_000), []
    for day in days(first, last):
        workday = world.calendar.is_workday(day)
        data = Counter()
        for spec in specs:
            if spec.first_day <= day <= spec.last_day:
                stats = history[spec.source_key][day]
                data.update(chat_total=1, chat_has_msg=1, member_total=stats.customers + stats.staff,
                            new_member_cnt=stats.joins, msgs=stats.messages,
                            member_has_msg=max(seen_before[spec.source_key], stats.senders_to_date))
        for group in others:
            if group.created is not None and group.created > day:
                continue
            joins = poisson(rng, 0.5 if workday else 0.3) + (12 if group.created == day else 0)
            group.members += joins
            group.has_msg = min(group.members, group.has_msg + poisson(rng, 0.3))
            data.update(chat_total=1, chat_has_msg=int(group.created != day), new_chat_cnt=int(group.created == day),
                        member_total=group.members, new_member_cnt=joins, member_has_msg=group.has_msg,
                        msgs=poisson(rng, 6 if workday else 2))
        msg_total += data["msgs"]
        items.append((day, {"stat_time": epoch(day), "data": {
            "new_chat_cnt": data["new_chat_cnt"], "chat_total": data["chat_total"],
            "chat_has_msg": data["chat_has_msg"], "new_member_cnt": data["new_member_cnt"],
            "member_total": data["member_total"], "member_has_msg": data["member_has_msg"], "msg_total": msg_total,
        }}))
    return items


def write_wecom_groupchat(inputs: Path, rng: random.Random, world: World) -> int:
    """One folder per owner of a registered WeCom customer group, 2026-Q3 (the statistics were first
    pulled in July: Q2 has none, which is what absent looks like)."""
    owned: dict[str, list[Any]] = {}
    for spec in world.groups:
        if spec.platform == "wecom" and spec.registered and spec.category != "staff":
            owned.setdefault(spec.owner, []).append(spec)
    files = 0
    for owner, specs in owned.items():
        userid = world.person(owner).wecom
        items = groupchat_items(rng, world, owner, specs)
        for start, end in month_spans(items[0][0], items[-1][0]):
            month = [patched(item, GROUPCHAT_BAD.get((userid, day), {})) for day, item in items if start <= day <= end]
            write_response(inputs / "wecom_groupchat" / userid / f"{start:%Y-%m}.json", "items", month)
            files += 1
    return files


# --- group_stats ------------------------------------------------------------------------------------
GROUP_STATS_HEADER = ["社群编号", "群名称", "统计日期", "群成员数", "新增成员", "退群人数", "消息数"]


def write_group_stats(inputs: Path, world: World) -> int:
    """The registered WeCom customer groups (their exports carry no join/leave events, so these totals
    are what members are counted from): customers in the group at the end of each day (what KPI_SPEC
    calls members: staff and bots excluded), joins, leaves and messages, straight from the simulation."""
    groups = [g for g in world.groups if g.registered and g.platform == "wecom" and g.category != "staff"]
    bad = {("G02", date(2026, 6, 15)): ("统计日期", "2026.06.15"), ("G04", date(2026, 8, 12)): ("群成员数", "-12")}
    for quarter, (first, last) in QUARTERS.items():
        rows = []
        for day in days(first, last):
            for spec in groups:
                stats = world.group_days(spec)[day]
                rows.append([spec.group_id, spec.name, day.isoformat(), str(stats.customers), str(stats.joins),
                             str(stats.leaves), str(stats.messages)])
                if (spec.group_id, day) in bad:
                    corrupt(rows, GROUP_STATS_HEADER, -1, *bad[spec.group_id, day])
        write_table(inputs / "group_stats" / f"{quarter}.csv", GROUP_STATS_HEADER, rows)
    return len(QUARTERS)


# --- content_posts ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Account:
    staff_id: str
    platform: str
    handle: str
    per_week: float
    median_views: float
    titles: tuple[str, ...]


TITLES_PROMO = ("新品开箱｜{}", "三分钟看懂{}", "会员日攻略：{}", "直播回放｜{}", "门店探访：{}", "福利来了！{}")
TITLES_PARTNER = ("渠道伙伴说｜{}", "一周订货复盘：{}", "门店陈列小技巧：{}", "新品培训速看：{}")
TOPICS = ("冰柚茶", "秋季新款", "积分商城", "拼团玩法", "夏日限定", "礼盒套装", "会员权益", "门店上新")


def accounts(world: World) -> list[Account]:
    """The community_ops staff's short-video accounts, as declared in generate.py's HANDLES."""
    style = {"S011": (1.5, 9000, TITLES_PROMO), "S012": (0.8, 4000, TITLES_PROMO), "S013": (1.0, 3000, TITLES_PARTNER)}
    result = []
    for h in world.handles:
        if h.platform in ("douyin", "kuaishou"):
            per_week, views, titles = style[h.staff_id]
            result.append(Account(h.staff_id, h.platform, h.handle, per_week if h.platform == "douyin" else 0.6,
                                  views if h.platform == "douyin" else 6000, titles))
    return result


@dataclass(frozen=True)
class Work:
    account: Account
    post_id: str
    title: str
    published: datetime
    views: int
    likes: int
    comments: int
    shares: int
    favorites: int
    followers: int
    completion: float
    play_seconds: float

    def seen(self, as_of: datetime) -> float:
        """Share of the final counts reached by `as_of` (most views come in the first week)."""
        age = (as_of - self.published).total_seconds() / 86400
        return 1 - math.exp(-max(age, 0) / 4)


def make_works(rng: random.Random, world: World) -> list[Work]:
    """Each account's works from the samples' first day to their last, published at lunch or evening."""
    works = []
    for account in accounts(world):
        for day in days(world.first_day, world.last_day):
            if rng.random() >= account.per_week / 7:
                continue
            topic = rng.choice(TOPICS)
            views = max(200, round(rng.lognormvariate(math.log(account.median_views), 1.0)))
            likes = round(views * rng.uniform(0.02, 0.08))
            post_id = (f"3x{''.join(rng.choice('abcdefghijkmnpqrstuvwxyz23456789') for _ in range(13))}"
                       if account.platform == "kuaishou" else "")
            works.append(Work(
                account, post_id, f"{rng.choice(account.titles).format(topic)} #{topic}",
                at(day, rng.choice((12, 18, 20)), rng.randrange(60)), views, likes,
                round(likes * rng.uniform(0.03, 0.15)), round(likes * rng.uniform(0.02, 0.2)),
                round(likes * rng.uniform(0.05, 0.3)), round(views * rng.uniform(0.001, 0.006)),
                rng.uniform(0.12, 0.55), rng.uniform(6, 40)))
    return works


def console_count(value: int) -> str:
    """`1.2万` from ten thousand on, plain digits below (as the creator centers show them)."""
    return f"{value / 10_000:.1f}万" if value >= 10_000 else str(value)


DOUYIN_HEADER = ["作品名称", "发布时间", "播放量", "完播率", "平均播放时长", "点赞量", "评论量", "分享量", "收藏量",
                 "主页访问量", "涨粉量"]


def douyin_row(work: Work, as_of: datetime) -> list[str]:
    seen = work.seen(as_of)
    views = round(work.views * seen)
    return [work.title, stamp(work.published), console_count(views), f"{work.completion * 100:.1f}%",
            f"{work.play_seconds:.1f}秒", console_count(round(work.likes * seen)),
            str(round(work.comments * seen)), str(round(work.shares * seen)), str(round(work.favorites * seen)),
            str(round(views * 0.012)), str(round(work.followers * seen))]


def write_content_posts(inputs: Path, rng: random.Random, world: World) -> tuple[int, list[Work]]:
    """Douyin: a monthly download (数据更新时间 note row) listing the works of that month and the one
    before, with counts as of the download, so a work appears twice with growing counts. Kuaishou:
    one workbook with every work as of the samples' last day."""
    works, files, last = make_works(rng, world), 0, world.last_day
    bad_douyin = min((w for w in works if w.account.staff_id == "S012"),  # the bad row: any seed has one
                     key=lambda w: abs(w.published.date() - date(2026, 6, 15)))
    for account in accounts(world):
        mine = [w for w in works if w.account == account and w.published < at(last, 18, 0)]
        if account.platform == "kuaishou":
            write_kuaishou(inputs / "content_posts" / "kuaishou" / account.handle / f"{last}_作品数据.xlsx", mine,
                           at(last, 18, 0))
            files += 1
            continue
        for start, _ in month_spans(mine[0].published.date().replace(day=1), last):
            nxt = (start + timedelta(days=32)).replace(day=1)
            as_of = at(nxt, 8, 0) if nxt <= last else at(last, 18, 0)
            since = (start - timedelta(days=1)).replace(day=1)
            listed = [w for w in mine if since <= w.published.date() and w.published < as_of]
            rows = [douyin_row(w, as_of) for w in reversed(listed)]  # newest first, as the console lists
            if bad_douyin in listed and start.month == bad_douyin.published.month:
                corrupt(rows, DOUYIN_HEADER, listed[::-1].index(bad_douyin), "完播率", "135%")
            path = inputs / "content_posts" / "douyin" / account.handle / f"{start:%Y-%m}_作品数据.csv"
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("w", encoding="utf-8-sig", newline="") as handle:
                writer = csv.writer(handle, lineterminator="\n")
                writer.writerow([f"数据更新时间：{stamp(as_of)}"] + [""] * (len(DOUYIN_HEADER) - 1))
                writer.writerow(DOUYIN_HEADER)
                writer.writerows(rows)
            files += 1
    return files, works


def write_kuaishou(path: Path, works: list[Work], as_of: datetime) -> None:
    """An XLSX creator-center download: note row, then the table (numbers as numbers)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frame = pl.DataFrame({
        "作品ID": [w.post_id for w in works],
        "作品描述": [w.title for w in works],
        "发布时间": [stamp(w.published, seconds=True) for w in works],
        "播放量": [round(w.views * w.seen(as_of)) for w in works],
        "点赞量": [round(w.likes * w.seen(as_of)) for w in works],
        "评论量": [round(w.comments * w.seen(as_of)) for w in works],
        "分享量": [round(w.shares * w.seen(as_of)) for w in works],
        "完播率": [f"{w.completion * 100:.1f}%" for w in works],
        "涨粉量": [round(w.followers * w.seen(as_of)) for w in works],
    }).reverse()
    frame = frame.with_columns(pl.when(pl.int_range(pl.len()) == 3).then(-5).otherwise(pl.col("点赞量"))
                               .alias("点赞量"))  # the deliberately bad row
    workbook = xlsxwriter.Workbook(str(path), {"in_memory": True})
    workbook.set_properties({"created": as_of.astimezone(timezone.utc)})  # fixed bytes: no "now"
    sheet = workbook.add_worksheet("作品数据")
    sheet.write_string(0, 0, f"数据更新时间：{stamp(as_of)}")
    frame.write_excel(workbook=workbook, worksheet=sheet, position="A2", autofilter=False)
    workbook.close()


# --- surveys ----------------------------------------------------------------------------------------
SURVEY_HEADER = ["答卷ID", "提交时间", "客服工号", "群编号", "平台", "群ID", "满意度", "推荐意愿", "答题人", "渠道"]
CSAT_WORDS = {5: "非常满意", 4: "满意", 3: "一般", 2: "不满意", 1: "非常不满意"}
CHANNELS = ("群内链接", "群内链接", "私聊推送", "短信回访")
#: (staff_id, quarter) answered fewer times than the minimum sample of 5.
FEW_RESPONSES = {("S009", "2026-Q2"): 3, ("S010", "2026-Q3"): 4, ("S005", "2026-Q3"): 4}


def csat_score(rng: random.Random, pace: float) -> int:
    """Slower staff (pace > 1) get fewer 5s and more 1–3s."""
    roll = rng.random() * pace
    return 5 if roll < 0.55 else 4 if roll < 0.9 else 3 if roll < 1.2 else 2 if roll < 1.5 else 1


def present_member(rng: random.Random, world: World, spec: Any, day: date) -> Any | None:
    members = [m for m in world.histories[spec.source_key][0]
               if (m.joined is None or m.joined <= day) and (m.left is None or day < m.left)]
    return rng.choice(members) if members else None


def survey_row(rng: random.Random, world: World, when: datetime, spec: Any, staff_id: str, number_: int) -> list[str]:
    """A response naming the staff member (and their group), or only the group when `staff_id` is ''."""
    pace = world.person(staff_id).pace if staff_id else 1.1
    score = csat_score(rng, pace)
    csat = CSAT_WORDS[score] if rng.random() < 0.35 else str(score)
    nps = str(min(10, max(0, round(rng.gauss(6 + score, 1.5))))) if rng.random() < 0.45 else ""
    member = present_member(rng, world, spec, when.date())
    by_key = not staff_id and spec.platform == "telegram"  # the survey tool writes the chat id, not our id
    return [str(number_), when.strftime("%Y/%m/%d %H:%M:%S"), staff_id, "" if by_key else spec.group_id,
            spec.platform if by_key else "", spec.source_key if by_key else "", csat, nps,
            member.handle if member else "", rng.choice(CHANNELS)]


def write_surveys(inputs: Path, rng: random.Random, world: World) -> int:
    """Customer-service staff get 6–11 responses a quarter (a few fewer), each group 4–7 of its own."""
    number_ = 10_458_000
    for quarter, (first, last) in QUARTERS.items():
        responses: list[tuple[datetime, Any, str]] = []
        for person in [s for s in world.staff if s.role == "customer_service"]:
            groups = [g for g in world.cs_groups() if person.staff_id in g.assigned]
            active = [d for d in days(first, last) if person.active_on(d) and world.calendar.is_workday(d)]
            count = FEW_RESPONSES.get((person.staff_id, quarter), rng.randint(6, 11))
            for _ in range(count):
                day = rng.choice(active)
                responses.append((at(day, rng.randrange(9, 22), rng.randrange(60), rng.randrange(60)),
                                  rng.choice(groups), person.staff_id))
        for spec in world.cs_groups():
            for _ in range(rng.randint(4, 7)):
                day = first + timedelta(days=rng.randrange((last - first).days + 1))
                responses.append((at(day, rng.randrange(9, 22), rng.randrange(60)), spec, ""))
        rows = []
        for when, spec, staff_id in sorted(responses, key=lambda r: (r[0], r[2])):
            number_ += rng.randrange(3, 40)
            rows.append(survey_row(rng, world, when, spec, staff_id, number_))
        if quarter == "2026-Q2":
            corrupt(rows, SURVEY_HEADER, len(rows) // 3, "满意度", "6")
        else:
            corrupt(rows, SURVEY_HEADER, len(rows) // 2, "提交时间", "2026/9/31 15:20:07")
        write_table(inputs / "surveys" / f"满意度回访_{quarter}.csv", SURVEY_HEADER, rows)
    return len(QUARTERS)


# --- tickets ----------------------------------------------------------------------------------------
TICKET_HEADER = ["工单号", "创建时间", "关闭时间", "工单类型", "状态", "处理人", "来源群", "客户", "关联消息ID", "评价"]


def export_ids(out: Path) -> dict[tuple[str, str, int, str], str]:
    """(source_key, sender, epoch second, text) -> the message id the export gave it, read back from
    the exports generate.py has just written (the simulation does not keep ids)."""
    ids = {}
    for path in sorted((out / "exports" / "wecom").glob("*/*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            raw = json.loads(line)
            if raw.get("msgtype") == "text":
                ids[(raw["roomid"], raw["from"], raw["msgtime"] // 1000, raw["text"]["content"])] = raw["msgid"]
    for path in sorted((out / "exports" / "telegram").glob("*/result.json")):
        chat = json.loads(path.read_text(encoding="utf-8"))
        for msg in chat["messages"]:
            if msg["type"] == "message" and isinstance(msg["text"], str):
                ids[(str(chat["id"]), msg["from_id"], int(msg["date_unixtime"]), msg["text"])] = str(msg["id"])
    return ids


@dataclass(frozen=True)
class Ticket:
    ticket_id: str
    opened: datetime
    kind: str  # 投诉 / 咨询 / 售后
    handler: str
    spec: Any
    customer: str
    message_id: str


def raised_tickets(rng: random.Random, world: World, ids: dict) -> list[Ticket]:
    """Every member complaint in a registered customer-service group becomes a complaint ticket (the
    group's bot files it within minutes); some questions become consultations or after-sales."""
    raised = []
    for spec in world.cs_groups():
        members, msgs = world.histories[spec.source_key]
        handles = {m.handle for m in members}
        for msg in msgs:
            if msg.kind != "text" or msg.sender not in handles or quarter_of(msg.at.date()) is None:
                continue
            if msg.text in world.complaints or "投诉" in msg.text:
                kind = "投诉"
            elif msg.text.endswith(("？", "?")) and rng.random() < 0.05:
                kind = "售后" if any(w in msg.text for w in ("退", "换", "发票")) else "咨询"
            else:
                continue
            opened = msg.at + timedelta(seconds=rng.randrange(60, 540))
            handlers = world.on_group(spec, opened.date(), "customer_service") or [world.person(spec.owner)]
            handler = rng.choices(handlers, [s.share for s in handlers])[0]
            raised.append((opened, kind, handler.staff_id, spec, msg.sender,
                           ids.get((spec.source_key, msg.sender, int(msg.at.timestamp()), msg.text), "")))
    tickets, per_day = [], Counter()
    for opened, *rest in sorted(raised, key=lambda r: r[0]):  # numbered per day in creation order
        per_day[opened.date()] += 1
        tickets.append(Ticket(f"GD{opened:%Y%m%d}{per_day[opened.date()]:03d}", opened, *rest))
    return tickets


def ticket_rows(rng: random.Random, world: World, ticket: Ticket, exported: datetime) -> list[list[str]]:
    """The ticket's rows: its latest state, sometimes preceded by a 处理中 row (a status-change log);
    a few are reopened after being solved. Open at export time: no closed_at."""
    pace = world.person(ticket.handler).pace
    hours = rng.lognormvariate(math.log((8 if ticket.kind == "投诉" else 3) * pace), 0.8)
    closed = ticket.opened + timedelta(hours=hours)
    if not 9 <= closed.hour < 21:
        closed = at(closed.date() + timedelta(days=int(closed.hour >= 21)), 9, rng.randrange(60))
    base = [ticket.ticket_id, stamp(ticket.opened, seconds=True)]
    tail = [ticket.handler, ticket.spec.group_id, ticket.customer, ticket.message_id]
    open_row = [*base, "", ticket.kind, "处理中", *tail, ""]
    roll = rng.random()
    if closed > exported or roll < 0.04:
        return [open_row]
    rating = str(csat_score(rng, pace)) if rng.random() < 0.45 else ""
    done = [*base, stamp(closed, seconds=True), ticket.kind, "已关闭" if roll < 0.3 else "已解决", *tail, rating]
    rows = [open_row, done] if rng.random() < 0.15 else [done]
    if roll > 0.96 and ticket.kind == "投诉":  # the customer came back: same closed_at, later line
        rows = [open_row, done, [*done[:4], "重新打开", *tail, ""]]
    return rows


def write_tickets(inputs: Path, rng: random.Random, world: World, ids: dict) -> int:
    tickets = raised_tickets(rng, world, ids)
    for quarter, (first, last) in QUARTERS.items():
        rows = []
        for ticket in tickets:
            if first <= ticket.opened.date() <= last:
                rows.extend(ticket_rows(rng, world, ticket, EXPORTED_AT[quarter]))
        if quarter == "2026-Q2":  # an extra status row with a status the helpdesk does not have
            stray = next(i for i, row in enumerate(rows) if i > len(rows) // 3 and row[4] == "处理中")
            rows.insert(stray + 1, [*rows[stray][:4], "挂起", *rows[stray][5:]])
        else:
            corrupt(rows, TICKET_HEADER, len(rows) // 2, "创建时间", "2026/8/32 10:20")
        write_table(inputs / "tickets" / f"工单导出_{quarter}.csv", TICKET_HEADER, rows)
    return len(QUARTERS)


# --- content_audits ---------------------------------------------------------------------------------
AUDIT_HEADER = ["审核编号", "内容编号", "作者工号", "群编号", "平台", "发布群", "内容类型", "提交时间", "初审结果",
                "初审时间", "终审结果", "终审时间", "评分（1-5分）", "审核人"]
OPS = ("S011", "S012", "S013")
#: Per author: (mean reviewer score, chance the first submission passes).
AUDIT_QUALITY = {"S011": (4.2, 0.88), "S012": (3.5, 0.62), "S013": (3.9, 0.76)}
REVIEWERS = ("审核员-周", "审核员-钱")


@dataclass(frozen=True)
class Submission:
    post_id: str
    author: str
    spec: Any | None  # the group it is posted in; None for a short video
    content_type: str
    published: datetime


def submissions(rng: random.Random, world: World, works: list[Work]) -> list[Submission]:
    """A quarter of the ops staff's group announcements (posters, campaigns) and every short video
    go through review."""
    found = []
    for spec in world.groups:
        if not spec.registered:
            continue
        for index, msg in enumerate(world.histories[spec.source_key][1]):
            author = next((s for s in OPS if world.handle(s, spec.platform, msg.at.date()) == msg.sender), None)
            if author and msg.parts and msg.parts[0].kind == "bold" and rng.random() < 0.25:
                kind = "活动海报" if "http" in msg.text else "群公告"
                found.append(Submission(f"GP-{spec.group_id}-{msg.at:%y%m%d}-{index}", author, spec, kind, msg.at))
    for number_, work in enumerate(works, 1):
        label = "短视频（抖音）" if work.account.platform == "douyin" else "短视频（快手）"
        found.append(Submission(work.post_id or f"DY-{work.account.handle}-{number_:03d}", work.account.staff_id,
                                None, label, work.published))
    return sorted(found, key=lambda s: (s.published, s.post_id))


def audit_rows(rng: random.Random, sub: Submission, number_: int) -> list[list[str]]:
    """First submission, and a resubmission when sent back; short videos also get a 终审."""
    quality, first_pass = AUDIT_QUALITY[sub.author]
    submitted = sub.published - timedelta(hours=rng.uniform(20, 60))
    submitted = submitted.replace(hour=rng.randrange(9, 17))
    group = ([sub.spec.group_id, "", ""] if sub.spec.platform == "wecom"
             else ["", sub.spec.platform, sub.spec.source_key]) if sub.spec else ["", "", ""]
    rows = []
    for attempt in (1, 2):
        reviewed = office(submitted + timedelta(minutes=rng.randrange(20, 300)))
        roll = rng.random()
        passed = first_pass if attempt == 1 else 0.9
        verdict = "通过" if roll < passed else "需修改" if roll < passed + (1 - passed) * 0.6 else "驳回"
        score = min(5.0, max(1.0, round((rng.gauss(quality, 0.4) - (1.2 if verdict == "驳回" else 0)) * 2) / 2))
        final = verdict == "通过" and sub.spec is None
        rows.append([f"SH{submitted:%y%m%d}{number_:04d}{attempt}", sub.post_id, sub.author, *group, sub.content_type,
                     stamp(submitted), verdict, stamp(reviewed), "通过" if final else "",
                     stamp(office(reviewed + timedelta(minutes=rng.randrange(60, 600)))) if final else "",
                     f"{score:g}", rng.choice(REVIEWERS)])
        if verdict == "通过":
            break
        submitted = office(reviewed + timedelta(minutes=rng.randrange(30, 600)))
    return rows


def write_content_audits(inputs: Path, rng: random.Random, world: World, works: list[Work]) -> int:
    subs = submissions(rng, world, works)
    for quarter, (first, last) in QUARTERS.items():
        rows = []
        for number_, sub in enumerate(subs, 1):
            for row in audit_rows(rng, sub, number_):
                if first <= datetime.strptime(row[7], "%Y-%m-%d %H:%M").date() <= last:
                    rows.append(row)
        # submitted at the quarter's end, not reviewed yet at export time
        pending = at(last, 16, 40)
        rows.append([f"SH{pending:%y%m%d}9999", f"GP-G04-{pending:%y%m%d}-draft", "S011", "G04", "", "", "活动海报",
                     stamp(pending), "待审核", "", "", "", "", ""])
        if quarter == "2026-Q2":
            corrupt(rows, AUDIT_HEADER, len(rows) // 3, "初审结果", "待定")
        else:
            corrupt(rows, AUDIT_HEADER, len(rows) // 2, "评分（1-5分）", "6")
        write_table(inputs / "content_audits" / f"审核记录_{quarter}.csv", AUDIT_HEADER, rows)
    return len(QUARTERS)


# --- evaluations ------------------------------------------------------------------------------------
EVAL_HEADER = ["被评人工号", "考核周期", "评价人类型", "评价人", "评分", "满分", "提交时间", "评语"]
PERIOD_TEXT = {"2026-Q2": "2026年第二季度", "2026-Q3": "2026-Q3"}
COMMENTS = ("响应及时", "专业耐心", "沟通清楚", "需要加强投诉处理", "主动跟进", "团队协作好", "有待提高时效", "")


def rating(rng: random.Random, pace: float, scale: int, bias: float = 0.0) -> str:
    """A score on `scale` for someone of this pace (faster = better), as the sheet writes it."""
    out_of_100 = min(99.0, max(55.0, rng.gauss(90 - 12 * (pace - 0.8) + bias, 4)))
    value = out_of_100 / 100 * scale
    return f"{round(value * 2) / 2:g}" if scale <= 10 else str(round(value))


def rated_at(rng: random.Random, last: date) -> str:
    """A submission time in the rating window: the quarter's last fortnight."""
    return stamp(at(last - timedelta(days=rng.randrange(4, 12)), rng.randrange(9, 20), rng.randrange(60)))


def write_evaluations(inputs: Path, rng: random.Random, world: World) -> int:
    """Self (百分制), supervisor (百分制, absent for the team leads: they have no manager in the
    roster, so their score renormalises over the other types), two peers (10分制), customers (5分制)."""
    for quarter, (first, last) in QUARTERS.items():
        rows = []
        for person in [s for s in world.staff if any(s.active_on(d) for d in days(first, last))]:
            rows.append([person.staff_id, PERIOD_TEXT[quarter], "自评", person.staff_id,
                         rating(rng, person.pace, 100, 5), "", rated_at(rng, last), rng.choice(COMMENTS)])
            if person.manager_id:
                rows.append([person.staff_id, PERIOD_TEXT[quarter], "上级", person.manager_id,
                             rating(rng, person.pace, 100), "100", rated_at(rng, last), rng.choice(COMMENTS)])
            peers = [s for s in world.staff if s.team == person.team and s is not person
                     and any(s.active_on(d) for d in days(first, last))]
            for peer in rng.sample(peers, 2):
                rows.append([person.staff_id, PERIOD_TEXT[quarter], "同事", peer.staff_id,
                             rating(rng, person.pace, 10), "10", rated_at(rng, last), rng.choice(COMMENTS)])
            for _ in range(2 if person.role == "customer_service" else 1):
                rows.append([person.staff_id, PERIOD_TEXT[quarter], "客户", "", rating(rng, person.pace, 5), "5",
                             rated_at(rng, last), ""])
        if quarter == "2026-Q2":
            peer_row = next(i for i, row in enumerate(rows) if i > len(rows) // 3 and row[2] == "同事")
            rows[peer_row][4:6] = ["105", ""]  # out of 100 (百分制 by default)
        else:
            # a re-submitted peer rating (the earlier copy is superseded) and a rating by a subordinate
            again = next(i for i, row in enumerate(rows) if row[0] == "S004" and row[2] == "同事")
            rows.insert(again + 1, [*rows[again][:4], "8.5", "10", stamp(at(last, 9, 12)), "重新评价：补充了投诉处理"])
            by_report = at(last - timedelta(days=3), 10, 5)
            rows.append(["S001", PERIOD_TEXT[quarter], "下属", "S003", "92", "", stamp(by_report), ""])
        write_table(inputs / "evaluations" / f"考核评价_{quarter}.csv", EVAL_HEADER, rows)
    return len(QUARTERS)


# --- Driver -----------------------------------------------------------------------------------------
#: What each kind writes (relative to inputs/), for cleaning a previous run's files and nothing else.
WRITTEN = ("wecom_behavior/*/*.json", "wecom_groupchat/*/*.json", "group_stats/*.csv",
           "content_posts/*/*/*.csv", "content_posts/*/*/*.xlsx", "surveys/*.csv", "tickets/*.csv",
           "content_audits/*.csv", "evaluations/*.csv")


def clean_inputs(inputs: Path) -> None:
    """Delete the files a previous run wrote (and folders left empty), so no stale file survives."""
    for pattern in WRITTEN:
        for path in sorted(inputs.glob(pattern)):
            path.unlink()
    for folder in sorted((p for p in inputs.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)):
        if not any(folder.iterdir()):
            folder.rmdir()


def write_inputs(out: Path, seed: int, world: World) -> dict[str, int]:
    """Write every kind under `out/inputs/` (after the exports: tickets read their message ids);
    returns the files written per kind."""
    inputs = out / "inputs"
    clean_inputs(inputs)

    def rng(kind: str) -> random.Random:
        return random.Random(f"{seed}:{kind}")

    posts, works = write_content_posts(inputs, rng("content_posts"), world)
    return {
        "wecom_behavior": write_wecom_behavior(inputs, rng("wecom_behavior"), world),
        "wecom_groupchat": write_wecom_groupchat(inputs, rng("wecom_groupchat"), world),
        "group_stats": write_group_stats(inputs, world),
        "content_posts": posts,
        "surveys": write_surveys(inputs, rng("surveys"), world),
        "tickets": write_tickets(inputs, rng("tickets"), world, export_ids(out)),
        "content_audits": write_content_audits(inputs, rng("content_audits"), world, works),
        "evaluations": write_evaluations(inputs, rng("evaluations"), world),
    }
