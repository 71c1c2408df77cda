"""Seeded generator for the committed sample data folder (`data_samples/`).

    python data_samples/generate.py --out data_samples [--seed 20260701]

Writes `config/{roster,handles,bots,groups}.csv`, `config/calendar.yaml`, `config/settings.yaml`,
`exports/wecom/<roomid>/<YYYY-MM>.jsonl` and `exports/telegram/<slug>/result.json` for 2026-Q2 and
2026-Q3 plus 2026-10-01..09 (so that late-September questions get their answers), and, through
`generate_inputs.py` beside it, the `inputs/` files that agree with those chats. It never touches
`config/rubric.yaml` or `README.md`, and before writing it deletes only the export and input files it
would write itself (`exports/wecom/*/*.jsonl`, `exports/telegram/*/result.json`, see generate_inputs).

The same seed gives byte-identical files: one `random.Random(seed)` drives everything, in a fixed
order, and nothing reads the clock or iterates a hash-ordered set.

What the data exercises (KPI_SPEC §1-§4): staff vs member vs bot senders, a handle that changes
owner, a joiner and a leaver, questions / complaints / bursts / acknowledgements / follow-ups
within 24 h, targeted (WeCom `@name `, Telegram `reply_to_message_id`) and untargeted replies,
replies after hours, weekends, holidays and on the make-up workday 2026-09-20, unanswered questions,
violations (ads, phone number, profanity, flood), WeCom recalls, media and a `switch` record,
Telegram membership service messages, members renaming themselves, one export whose group is not
in `groups.csv`, and monthly WeCom files that overlap by one day (de-duplication).

Deliberate simplifications (to keep the whole folder under 4 MB):
- WeCom `tolist` lists the group's staff on duty (minus the sender), not every group member as the
  real archive does; nothing in the KPIs reads `tolist`.
- `sdkfileid` values are ~80 characters instead of several hundred.
"""

from __future__ import annotations

import argparse
import base64
import csv
import json
import math
import random
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from types import ModuleType

import chinese_calendar

DEFAULT_SEED = 20260701
FIRST_DAY = date(2026, 4, 1)
LAST_DAY = date(2026, 10, 9)
CALENDAR_ID = "cn_office"
TZ_NAME = "Asia/Shanghai"
# Asia/Shanghai has been UTC+8 without DST since 1991; a fixed offset keeps the output independent
# of the host's tz database.
TZ = timezone(timedelta(hours=8))
OPEN_AT, CLOSE_AT = time(9), time(18)
WEEKDAYS_ZH = "一二三四五六日"

# --- Behaviour knobs -------------------------------------------------------------------------
BURST_RATE = 0.25  # a member sends 2-3 questions before anyone answers
ACK_RATE = 0.45  # the member acknowledges the answer
FOLLOWUP_RATE = 0.14  # a new question by the same member within 24 h of the answer (reopen)
ONCALL_RATE = 0.08  # a staff member answers a question after hours anyway
ONCALL_COMPLAINT_RATE = 0.25  # ... or a complaint
TELEGRAM_MENTION_RATE = 0.3  # a Telegram reply also mentions the member
FILE_NOT_INCLUDED = "(File not included. Change data exporting settings to download.)"


# --- Business calendar -----------------------------------------------------------------------
@dataclass(frozen=True)
class Calendar:
    """Mon-Fri 09:00-18:00 in Asia/Shanghai with mainland-China holidays and make-up workdays."""

    holidays: dict[date, str]  # closed dates -> Chinese holiday name
    makeup_workdays: dict[date, str]  # open weekend dates (调休) -> the holiday they make up for

    @classmethod
    def statutory_cn(cls, year: int) -> Calendar:
        """Read the year's statutory calendar from `chinesecalendar` (kept library, 2026 included)."""
        zh = {holiday.value: holiday.chinese for holiday in chinese_calendar.Holiday}
        holidays: dict[date, str] = {}
        makeup: dict[date, str] = {}
        day = date(year, 1, 1)
        while day.year == year:
            is_holiday, name = chinese_calendar.get_holiday_detail(day)
            if is_holiday and name:
                holidays[day] = zh[name]
            elif not is_holiday and day.weekday() >= 5:
                makeup[day] = zh[name]
            day += timedelta(days=1)
        return cls(holidays, makeup)

    def is_workday(self, day: date) -> bool:
        return day in self.makeup_workdays or (day.weekday() < 5 and day not in self.holidays)

    def is_open(self, at: datetime) -> bool:
        return self.is_workday(at.date()) and OPEN_AT <= at.time() < CLOSE_AT

    def next_open(self, at: datetime) -> datetime:
        """`at` itself when open, else the next opening instant."""
        day = at.date()
        if self.is_workday(day) and at.time() < CLOSE_AT:
            return max(at, datetime.combine(day, OPEN_AT, TZ))
        day += timedelta(days=1)
        while not self.is_workday(day):
            day += timedelta(days=1)
        return datetime.combine(day, OPEN_AT, TZ)

    def previous_workday(self, day: date) -> date:
        day -= timedelta(days=1)
        while not self.is_workday(day):
            day -= timedelta(days=1)
        return day

    def holiday_blocks(self, first: date, last: date) -> list[tuple[date, date]]:
        """(first, last) day of each run of consecutive holidays that starts within [first, last]."""
        blocks = []
        for day in sorted(self.holidays):
            if first <= day <= last and day - timedelta(days=1) not in self.holidays:
                end = day
                while end + timedelta(days=1) in self.holidays:
                    end += timedelta(days=1)
                blocks.append((day, end))
        return blocks

    def add_business_minutes(self, at: datetime, minutes: float) -> datetime:
        """The instant `minutes` open minutes after `at` (a closed `at` starts at the next opening)."""
        left = timedelta(minutes=minutes)
        at = self.next_open(at)
        while True:
            close = datetime.combine(at.date(), CLOSE_AT, TZ)
            if at + left < close:
                return at + left
            left -= close - at
            at = self.next_open(close)


def days(first: date, last: date) -> Iterator[date]:
    """Every date from `first` to `last`, inclusive."""
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def md(day: date) -> str:
    """`9月20日`."""
    return f"{day.month}月{day.day}日"


# --- Staff, handles, bots, groups --------------------------------------------------------------
@dataclass(frozen=True)
class Staff:
    staff_id: str
    name: str
    role: str
    team: str
    manager_id: str
    active_from: date
    active_to: date | None
    wecom: str
    share: float  # relative share of the group's replies and posts
    pace: float  # multiplies reply delays (< 1 = faster than average)
    targeted: float  # share of quick replies that @-mention / quote the member

    def active_on(self, day: date) -> bool:
        return self.active_from <= day and (self.active_to is None or day <= self.active_to)


STAFF: tuple[Staff, ...] = (
    Staff("S001", "陈晓明", "team_lead", "客服部", "", date(2023, 3, 1), None, "chenxiaoming", 1.0, 1.3, 0.8),
    Staff("S002", "刘芳", "team_lead", "社群运营部", "", date(2023, 6, 12), None, "liufang", 1.0, 1.2, 0.8),
    Staff("S003", "张伟", "customer_service", "客服部", "S001", date(2024, 2, 19), None, "zhangwei", 3.0, 0.8, 0.75),
    Staff("S004", "王静", "customer_service", "客服部", "S001", date(2024, 7, 1), None, "wangjing", 2.5, 1.0, 0.7),
    Staff("S005", "李强", "customer_service", "客服部", "S001", date(2025, 3, 3), None, "liqiang", 1.5, 1.9, 0.5),
    Staff("S006", "赵敏", "customer_service", "客服部", "S001", date(2024, 9, 2), None, "zhaomin", 3.0, 0.7, 0.85),
    Staff("S007", "孙磊", "customer_service", "客服部", "S001", date(2025, 1, 6), None, "sunlei", 2.0, 1.1, 0.6),
    Staff("S008", "周婷", "customer_service", "客服部", "S001", date(2024, 4, 15), None, "zhouting", 3.0, 0.9, 0.8),
    Staff("S009", "吴昊", "customer_service", "客服部", "S001", date(2026, 5, 15), None, "wuhao", 2.0, 1.4, 0.7),
    Staff("S010", "郑丽", "customer_service", "客服部", "S001", date(2023, 11, 20), date(2026, 8, 31), "zhengli",
          2.5, 1.0, 0.75),
    Staff("S011", "黄晓燕", "community_ops", "社群运营部", "S002", date(2024, 5, 6), None, "huangxiaoyan", 3.0, 1.0, 0.7),
    Staff("S012", "林涛", "community_ops", "社群运营部", "S002", date(2025, 8, 18), None, "lintao", 1.5, 1.5, 0.6),
    Staff("S013", "何佳", "community_ops", "社群运营部", "S002", date(2024, 11, 11), None, "hejia", 3.0, 0.9, 0.8),
)
STAFF_BY_ID = {staff.staff_id: staff for staff in STAFF}


@dataclass(frozen=True)
class Handle:
    staff_id: str
    platform: str
    handle: str
    valid_from: date | None = None
    valid_to: date | None = None

    def valid_on(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (self.valid_to is None or day <= self.valid_to)


SHARED_TELEGRAM = "user6021558340"  # the overseas group's work phone, handed from S010 to S009
TELEGRAM_HANDLES: tuple[Handle, ...] = (
    Handle("S001", "telegram", "user5204113987"),
    Handle("S002", "telegram", "user5316620458"),
    Handle("S008", "telegram", "user5830147762"),
    Handle("S009", "telegram", SHARED_TELEGRAM, valid_from=date(2026, 9, 1)),
    Handle("S010", "telegram", SHARED_TELEGRAM, valid_to=date(2026, 8, 31)),
    Handle("S012", "telegram", "user5977301246"),
    Handle("S013", "telegram", "user5489962015"),
)
#: The community_ops staff's short-video accounts (抖音号 / 快手号): inputs/content_posts/<platform>/<handle>/.
VIDEO_HANDLES: tuple[Handle, ...] = (
    Handle("S011", "douyin", "dy_xiaoyan_daily"),
    Handle("S012", "douyin", "dy_lintao_shop"),
    Handle("S013", "douyin", "dy_hejia_partner"),
    Handle("S013", "kuaishou", "ks_hejia_live"),
)
HANDLES: tuple[Handle, ...] = (tuple(Handle(s.staff_id, "wecom", s.wecom) for s in STAFF) + TELEGRAM_HANDLES
                               + VIDEO_HANDLES)
#: Telegram display names (what `from` shows); the shared account keeps its persona name.
TELEGRAM_NAMES = {
    "user5204113987": "陈晓明",
    "user5316620458": "刘芳",
    "user5830147762": "周婷 | 客服",
    SHARED_TELEGRAM: "客服小美",
    "user5977301246": "林涛",
    "user5489962015": "何佳 Jia",
}

BOT_HANDLE = "wbsV40yrqfvMySVw1ksMd88exU92t6h9"
BOTS = (("wecom", BOT_HANDLE, "订单助手：群机器人，自动推送发货/物流/维护通知"),)


@dataclass(frozen=True)
class GroupSpec:
    group_id: str  # empty for the export that is not registered in groups.csv
    platform: str
    source_key: str
    name: str
    category: str
    owner: str
    assigned: tuple[str, ...]
    topic: str
    episodes_per_day: float  # conversation episodes on a workday
    members: int  # members present on the first day
    joiners: int
    leavers: int
    renames: int = 0  # members who change their display name during the period
    first_day: date = FIRST_DAY
    last_day: date = LAST_DAY
    slug: str = ""  # Telegram export folder
    first_message_id: int = 1  # Telegram message ids continue from the chat's history

    @property
    def registered(self) -> bool:
        return bool(self.group_id)


GROUPS: tuple[GroupSpec, ...] = (
    GroupSpec("G01", "wecom", "wr2T5bjU6GEasfPnpBVXrolOy9RPAigQ", "会员服务1群", "customer_service", "S003",
              ("S001", "S003", "S004", "S005"), "member_service", 3.8, 42, 18, 6, renames=1),
    GroupSpec("G02", "wecom", "wro08WurfBen6YXQbyzdTn6nMf9dd9HA", "会员服务2群", "customer_service", "S006",
              ("S001", "S006", "S007", "S009", "S010"), "member_service", 3.8, 38, 16, 5),
    GroupSpec("G03", "telegram", "1874302265", "海外会员服务群", "customer_service", "S008",
              ("S001", "S008", "S009", "S010"), "overseas", 3.5, 30, 14, 5, renames=1,
              slug="overseas_member_service", first_message_id=4120),
    GroupSpec("G04", "wecom", "wrIZxSegRJiUdK08bJvhem0FrmQpEDyd", "新品推广群", "promotion", "S011",
              ("S002", "S011", "S012"), "promotion", 4.1, 55, 25, 10),
    GroupSpec("G05", "telegram", "2093317458", "渠道合作伙伴群", "partner", "S013",
              ("S002", "S012", "S013"), "partner", 4.0, 18, 6, 2,
              slug="channel_partners", first_message_id=910),
    GroupSpec("G06", "wecom", "wrYQN8lapVxT7ksEVlaGUA68QW5rRQkM", "运营团队内部群", "staff", "S002",
              tuple(s.staff_id for s in STAFF), "staff", 10.5, 0, 0, 0),
    # A pilot group that was never registered: loaded as auto:wecom:<roomid>, category unassigned.
    GroupSpec("", "wecom", "wrfgTF8a47UR061GtWcgyN9g68J4QIpI", "会员服务3群（试点）", "customer_service", "S004",
              ("S004", "S005"), "member_service", 3.5, 20, 5, 2, last_day=date(2026, 5, 31)),
)

#: Episode mix per group category (relative weights).
EPISODE_MIX: dict[str, dict[str, float]] = {
    "customer_service": {"question": 48, "complaint": 8, "chat": 26, "media": 10, "post": 8},
    "promotion": {"question": 34, "complaint": 4, "chat": 34, "media": 12, "post": 16},
    "partner": {"question": 50, "complaint": 6, "chat": 30, "media": 6, "post": 8},
}
#: Unanswered share per category (no staff ever replies).
UNANSWERED: dict[str, float] = {"customer_service": 0.05, "promotion": 0.12, "partner": 0.08}
#: Relative share of replies and posts by role, per group category.
ROLE_WEIGHT: dict[str, dict[str, float]] = {
    "customer_service": {"customer_service": 1.0, "community_ops": 0.5, "team_lead": 0.6},
    "promotion": {"customer_service": 0.5, "community_ops": 1.0, "team_lead": 0.6},
    "partner": {"customer_service": 0.5, "community_ops": 1.0, "team_lead": 0.8},
    "staff": {"customer_service": 1.0, "community_ops": 1.0, "team_lead": 3.0},
}


# --- What people say ---------------------------------------------------------------------------
Pair = tuple[str, str]  # (member text, staff answer)
Post = tuple[str, str, str]  # (bold headline, body, link or "")

CONSUMER_HOURS = (0.3, 0.1, 0.05, 0.02, 0.02, 0.05, 0.3, 0.8, 1.5, 2.5, 3, 3,
                  2.5, 2, 2.5, 2.5, 2.2, 2, 2, 2.5, 3, 3, 2.2, 1)
BUSINESS_HOURS = (0.02, 0, 0, 0, 0, 0, 0.05, 0.4, 1.5, 3, 3.5, 3,
                  1.5, 2.5, 3, 3, 2.8, 2, 1, 0.8, 0.8, 0.6, 0.3, 0.1)

ACKS = ("好的", "谢谢", "收到", "👍", "谢谢！", "感谢", "OK", "好", "嗯", "收到～", "好的👍")
NUDGES = ("在吗？", "有人吗？", "客服在吗？", "急，今天能处理吗？", "麻烦看一下好吗？")

CONSUMER_CHAT = (
    "今天的快递好快，上午下单下午就到了", "新出的口味挺好喝的", "大家早上好", "周末愉快～",
    "我也买了同款，确实不错", "哈哈哈", "天气好热", "晒一下刚到的货", "这次活动力度挺大的",
    "我家孩子特别喜欢", "已下单", "支持一下", "早", "晚安", "刚用积分换了个杯子，挺好看",
    "回购第三次了", "这个颜色比图片上还好看", "坐等会员日", "群里好热闹", "包装很用心",
)
CS_COMPLAINTS: tuple[Pair, ...] = (
    ("我要投诉，快递三天了物流都没更新", "非常抱歉，已经帮您联系快递加急处理，今天内给您回复进度。"),
    ("收到的东西是坏的，我要退款", "非常抱歉给您带来不好的体验，麻烦私信发一下照片和订单号，马上为您处理退款。"),
    ("对这次的服务很不满意", "抱歉让您不满意了，麻烦私信说一下具体情况，我们一定改进。"),
    ("客服回复太慢了，差评", "抱歉久等了，现在由我来跟进您的问题。"),
    ("质量太差了，穿了一次就开线，要退货", "非常抱歉，支持退货，运费由我们承担，退货地址已私信您。"),
    ("说好的赠品没有发，我要投诉", "抱歉，核实后是仓库漏发，赠品今天补发，单号稍后发您。"),
    ("退款申请一周了还没到账，怎么回事？", "帮您查了，退款已经原路退回，银行卡一般1-3个工作日到账。"),
    ("第二次收到破损的了，太差了", "实在抱歉，已经给您安排换新，并补偿一张20元无门槛券。"),
    ("包装太差了，瓶子都漏了，要求退款", "抱歉，已为您登记退款，款项会原路退回。"),
    ("再不处理我就去平台维权了", "您别着急，已经升级给主管处理，今天一定给您答复。"),
)
CS_FOLLOWUPS: tuple[Pair, ...] = (
    ("还有个问题，积分什么时候到账？", "积分在确认收货后24小时内到账。"),
    ("刚才说的退款我这边还是没看到，能再查一下吗？", "好的，我再帮您确认一下，稍等。"),
    ("那如果超过7天还能退吗？", "超过7天可以走质量问题售后，需要提供照片。"),
    ("再问一下，发票抬头可以改吗？", "开票前可以改，在订单详情里修改抬头就行。"),
    ("快递还是没动，能再催一下吗？", "已经帮您再催了，有进展第一时间告诉您。"),
)
CS_POSTS: tuple[Post, ...] = (
    ("【温馨提示】", "客服在线时间为工作日 9:00-18:00，非工作时间的留言我们会在下一个工作日尽快回复。", ""),
    ("【会员日预告】", "本周六会员日，全场积分翻倍，记得来逛逛～", ""),
    ("【物流通知】", "受天气影响，华南地区部分快递可能延迟1-2天，敬请谅解。", ""),
    ("【早安】", "大家早上好，今天客服在线，有问题随时@我们～", ""),
    ("【防骗提醒】", "官方客服不会私下要求转账，请大家注意甄别。", ""),
    ("【新品】", "秋季新款已上架，会员专享9折 ", "https://shop.example.com/new"),
)


@dataclass(frozen=True)
class Topic:
    """What a kind of group talks about, and when its members are online."""

    questions: tuple[Pair, ...]
    complaints: tuple[Pair, ...]
    followups: tuple[Pair, ...]
    chat: tuple[str, ...]
    posts: tuple[Post, ...]
    hours: tuple[float, ...]
    offday_factor: float  # member activity on weekends and holidays relative to workdays
    nicknames: str  # key of NICKNAMES


TOPICS: dict[str, Topic] = {
    "member_service": Topic(
        questions=(
            ("请问会员积分怎么兑换？", "积分可以在小程序「会员中心-积分商城」里直接兑换哦～"),
            ("我上周下的单什么时候发货？", "您好，帮您查了一下，订单已经在打包了，预计明天发出。"),
            ("退货地址是哪里？", "退货地址在订单详情页「申请售后」里可以看到，寄回时记得备注订单号。"),
            ("这个月的会员日是几号？", "每月18号是会员日，当天积分翻倍。"),
            ("积分有没有过期时间？", "积分有效期是获得后的12个月，到期前会有短信提醒。"),
            ("优惠券怎么用不了？", "麻烦确认一下订单金额是否满足使用门槛，满199才能用哦。"),
            ("请问可以开发票吗？", "可以的，在订单详情页点「申请开票」，电子发票3个工作日内发到邮箱。"),
            ("运费怎么算的？", "单笔满99包邮，不满99收8元运费，偏远地区另计。"),
            ("订单显示已签收，但我没收到，怎么回事？", "您先别着急，我联系快递核实一下，稍后给您回复。"),
            ("会员等级怎么升级？", "一年内累计消费满2000元就自动升级为金卡会员。"),
            ("能不能改收货地址？", "订单还没发货的话可以改，麻烦私信我新地址。"),
            ("买了两件能合并发货吗？", "同一仓库的商品会自动合并发货的。"),
            ("生日礼包在哪里领？", "生日当月在「会员中心-我的权益」里就能领取。"),
            ("积分抵扣上限是多少？", "积分最多抵扣订单金额的30%。"),
            ("商品有质量问题可以换吗？", "可以的，签收7天内拍照联系我们，来回运费我们承担。"),
            ("为什么我的订单一直显示待发货？", "最近订单量比较大，仓库在加急处理，48小时内一定发出。"),
            ("请问App里在哪里看物流？", "在「我的-订单」里点进订单就能看到物流信息。"),
            ("如何注销会员账号？", "在「设置-账号与安全」里申请，注销后积分会清零，请慎重哦。"),
            ("客服周末上班吗？", "客服在线时间是工作日9:00-18:00，周末留言会在下个工作日回复。"),
            ("可不可以同时用两张优惠券？", "每笔订单只能使用一张优惠券哦。"),
            ("请问有没有线下门店？", "目前在北京、上海、广州有直营门店，地址在小程序首页可以查看。"),
        ),
        complaints=CS_COMPLAINTS,
        followups=CS_FOLLOWUPS,
        chat=CONSUMER_CHAT,
        posts=CS_POSTS,
        hours=CONSUMER_HOURS,
        offday_factor=0.7,
        nicknames="consumer",
    ),
    "overseas": Topic(
        questions=(
            ("寄到新加坡运费多少？", "新加坡首重58元，续重每500克18元。"),
            ("海外能用国内的会员积分吗？", "可以的，积分全球通用。"),
            ("请问支持PayPal付款吗？", "支持PayPal和Visa/Master信用卡。"),
            ("清关一般要多久？", "一般3-5个工作日，旺季会稍慢一些。"),
            ("请问可以寄到马来西亚吗？", "可以的，马来西亚走新马专线，7-10天送达。"),
            ("海外订单怎么退货？", "海外订单请先联系我们登记，退回运费由我们报销。"),
            ("为什么物流一直停在国际转运？", "我帮您查一下转运仓的情况，稍后回复您。"),
            ("有没有海外专享的优惠？", "海外会员每月有一张15元无门槛券，在会员中心领取。"),
            ("税费是谁承担？", "目前税费由我们承担，您只需要付运费。"),
            ("什么时候有澳洲直邮？", "澳洲直邮预计下个月开通，开通后群里通知大家。"),
        ),
        complaints=CS_COMPLAINTS,
        followups=CS_FOLLOWUPS,
        chat=CONSUMER_CHAT + ("这边刚收到货，挺快的", "新加坡今天下大雨", "终于到了，等了十天"),
        posts=CS_POSTS,
        hours=CONSUMER_HOURS,
        offday_factor=0.8,
        nicknames="overseas",
    ),
    "promotion": Topic(
        questions=(
            ("这个活动什么时候结束？", "活动到本周日晚上24点结束哦。"),
            ("优惠券在哪里领？", "点击群公告里的链接就能领～"),
            ("拼团需要几个人？", "3人成团，24小时内拼不满自动退款。"),
            ("新品有没有试用装？", "有的，前100名下单送试用装。"),
            ("秒杀是几点开始？", "今晚20:00准时开始。"),
            ("满减可以和会员折扣叠加吗？", "可以叠加的，先算折扣再满减。"),
            ("请问直播间的价格和群里一样吗？", "群内价格和直播间同价，还多送一张无门槛券。"),
            ("这个套装多少钱？", "套装原价299，群内专享239。"),
            ("为什么我领不到券？", "券已经被领完了，明天上午10点会补一批。"),
            ("活动商品有没有包邮？", "活动商品全部包邮。"),
        ),
        complaints=(
            ("说好的赠品没收到，差评", "抱歉，已经给您补发赠品，单号稍后私信您。"),
            ("活动价下单第二天就降价了，太差了，要求退差价", "抱歉，已为您登记价保，差价会原路退回。"),
            ("抢了三次券都没抢到，感觉被骗了", "抱歉，券的数量有限，给您单独补发一张。"),
        ),
        followups=(
            ("那明天还有秒杀吗？", "明天晚上8点还有一场。"),
            ("券能转给朋友用吗？", "券绑定账号，不能转赠哦。"),
        ),
        chat=("已下单", "抢到了！", "冲", "这个价格很香", "蹲一个秒杀", "晒单", "已种草",
              "上次买的很好用", "好看", "等发工资再买", "支持新品", "已经拉了两个朋友进群"),
        posts=(
            ("【新品上市】", "夏季限定冰柚茶今日开售，群内专享8折 ", "https://shop.example.com/p/summer26"),
            ("【限时秒杀】", "今晚20:00整点开抢，数量有限，先到先得！", ""),
            ("【拼团】", "3人成团立减20元，快拉上好友一起拼 ", "https://shop.example.com/g/team3"),
            ("【会员日】", "每月18日会员日，积分翻倍，满199减30。", ""),
            ("【直播预告】", "周五晚7点新品直播，直播间抽奖送礼。", ""),
            ("【福利】", "群内专享券已发放，先到先得 ", "https://shop.example.com/c/vip"),
        ),
        hours=CONSUMER_HOURS,
        offday_factor=0.9,
        nicknames="consumer",
    ),
    "partner": Topic(
        questions=(
            ("请问6月的返点什么时候结算？", "返点在次月15日前结算，到账后会邮件通知。"),
            ("对账单里的金额和我们这边对不上，怎么处理？", "麻烦把差异明细发到对账邮箱，我们2个工作日内核对回复。"),
            ("新品的渠道价是多少？", "渠道价表已经发到群文件，按您的等级是8折。"),
            ("物料什么时候能寄到？", "物料今天已发顺丰，单号稍后发您。"),
            ("能不能加急发一批货？", "可以，下午3点前下单当天发出。"),
            ("季度销售目标怎么算？", "按季度实际回款金额计算，明细以对账单为准。"),
            ("合同续签需要准备哪些材料？", "营业执照副本和上一年度的销售报表就可以。"),
            ("下个月有没有新的促销政策？", "下月政策下周一会在群里统一发布。"),
            ("请问发票什么时候开？", "对账确认后5个工作日内开具。"),
        ),
        complaints=(
            ("这批货有三箱破损，需要退货", "抱歉，麻烦拍照发我，破损部分我们安排补发。"),
            ("返点晚了半个月还没到，我要投诉", "抱歉，财务那边已经加急，本周内一定到账。"),
            ("对接人一直不回消息，很不满意", "抱歉，之后由我直接对接您，有问题随时找我。"),
        ),
        followups=(
            ("那破损的部分是补发还是退款？", "默认补发，如果您需要退款也可以。"),
            ("邮件已经发了，麻烦查收一下？", "收到了，我们核对后回复您。"),
        ),
        chat=("好的，已转给财务", "本月目标已完成 💪", "大家辛苦了", "明天到仓库提货", "已确认对账单",
              "上周的活动效果不错", "门店反馈新品卖得很好", "收到物料了"),
        posts=(
            ("【通知】", "上月对账单已发到各位邮箱，请于5个工作日内确认。", ""),
            ("【物料】", "新版门店海报已上传共享盘，需要的伙伴请自取。", ""),
            ("【政策】", "本季度渠道返点政策已更新，详见群文件。", ""),
            ("【提醒】", "月底前请完成下月订货计划的提报。", ""),
            ("【培训】", "本周四下午两点线上新品培训，会议链接稍后发群里。", ""),
            ("【喜报】", "上月华东区整体销售额环比增长12%，感谢各位伙伴！", ""),
            ("【通知】", "仓库盘点期间暂停发货一天，请提前安排订货。", ""),
        ),
        hours=BUSINESS_HOURS,
        offday_factor=0.25,
        nicknames="business",
    ),
    "staff": Topic(questions=(), complaints=(), followups=(), chat=(), posts=(), hours=BUSINESS_HOURS,
                   offday_factor=0.05, nicknames="business"),
}

STAFF_CHATTER = (
    "早，今天我值早班", "收到", "本周周报记得周五前提交", "下午3点例会，别忘了", "好的",
    "今天咨询量有点大，大家辛苦了", "新版话术已更新到知识库", "有个客户要求加急退款，我先处理了",
    "月底了，记得把工单都关掉", "会员日活动的FAQ发群里了", "下周一培训，9点半会议室", "这个问题我来跟",
    "OK", "👍", "值班表已更新，请大家确认", "今天的投诉都处理完了",
)
STAFF_PINGS = ("@{name} {group}有个退款投诉，麻烦跟进一下", "@{name} 帮忙看一下{group}的未回复消息",
               "@{name} 明天我请假，{group}麻烦帮忙看一下")
BOT_NOTICES = (
    (date(2026, 5, 6), "【订单助手】五一期间订单已恢复发货，如何查询物流？在小程序「我的订单」中即可查看。"),
    (date(2026, 6, 18), "【订单助手】618大促订单发货提醒：预计48小时内发出，请耐心等待。"),
    (date(2026, 7, 22), "【订单助手】系统将于今晚23:00-次日01:00维护，期间无法下单。"),
    (date(2026, 8, 26), "【订单助手】您关注的商品已补货，点击 https://shop.example.com/restock 查看。"),
    (date(2026, 9, 16), "【订单助手】国庆前最后发货日为9月30日，有什么疑问可以咨询群内客服。"),
)

NICKNAMES: dict[str, tuple[str, ...]] = {
    "consumer": (
        "小鱼儿", "阿杰", "晴天", "木子李", "快乐的猫", "安静的风", "橙子", "西瓜太郎", "柠檬不萌", "大白",
        "小太阳", "向日葵", "星星点灯", "云淡风轻", "莫妮卡", "豆豆妈", "乐乐爸", "一只喵", "糖糖", "凉白开",
        "阿May", "Coco", "Jenny", "小熊饼干", "蓝莓", "花卷", "芒果布丁", "咸鱼翻身", "北方的狼", "南风",
        "海盐汽水", "甜甜圈", "奶茶续命", "静待花开", "老王", "阿飞", "小美同学", "Vivian", "天天向上",
        "追风少年",
    ) + tuple(f"{surname}{title}" for surname in "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
              for title in ("先生", "女士", "姐")),
    "overseas": (
        "Lily", "Kevin陈", "阿明 Ming", "新加坡-张姐", "Tony", "悉尼小王", "Grace", "Jason Li", "多伦多-阿May",
        "Annie", "KL-小黄", "Eric", "温哥华老李", "Mia", "Leo", "伦敦-小周", "Sunny", "东京-阿彬", "Helen",
        "Ray", "墨尔本-琪琪", "Alex王", "Cindy", "洛杉矶老陈", "Nancy",
    ) + tuple(f"{surname}{title}" for surname in "王李张刘陈杨黄赵吴周" for title in ("先生", "女士")),
    "business": tuple(
        f"{org}-{contact}"
        for org in ("鑫源商贸", "华东渠道", "成都分销", "恒达贸易", "金港批发", "南方供应链", "北京优选",
                    "杭州云仓", "武汉百汇", "深圳联创", "苏州顺达", "青岛海川")
        for contact in ("王经理", "李总", "小刘")
    ),
}
USERNAME_STEMS = ("lily", "kevin", "ming", "tony", "grace", "leo", "mia", "annie", "eric", "sunny", "coco", "ray")
CITIES = ("北京", "上海", "杭州", "深圳", "成都")


# --- Members and messages ----------------------------------------------------------------------
@dataclass
class Member:
    """A customer or partner: one stable handle, display names that may change over time."""

    handle: str
    names: list[tuple[date, str]]  # (first day used, display name), ascending
    weight: float  # how much they talk
    joined: date | None = None  # None = already a member when the period starts
    left: date | None = None
    username: str = ""  # Telegram @username, when they have one

    def name_on(self, day: date) -> str:
        return [name for since, name in self.names if since <= day][-1]

    def present_on(self, day: date) -> bool:
        """Able to post on `day` (joined before it, not yet gone)."""
        return (self.joined is None or self.joined < day) and (self.left is None or day < self.left)


@dataclass(frozen=True)
class Part:
    """A run of text: `plain`, or a Telegram entity type (`mention`, `mention_name`, `bold`, `link`)."""

    kind: str
    text: str
    user_id: int = 0  # mention_name only


@dataclass(eq=False)
class Msg:
    """One platform-neutral record; the renderers turn it into WeCom or Telegram JSON."""

    at: datetime
    sender: str  # handle
    sender_name: str
    kind: str  # text, image, sticker, recall, switch, joined_by_link, invited, removed
    parts: tuple[Part, ...] = ()
    reply_to: Msg | None = None
    subjects: tuple[str, ...] = ()  # service messages: display names whose membership changed
    target: Msg | None = None  # recall: the withdrawn message
    inviter: str = ""  # join_group_by_link: whose invite link was used
    seq: int = 0  # creation order, breaks ties between equal timestamps

    @property
    def text(self) -> str:
        return "".join(part.text for part in self.parts)


def plain(text: str) -> tuple[Part, ...]:
    """Text without entities."""
    return (Part("plain", text),)


def poisson(rng: random.Random, mean: float) -> int:
    """Knuth's Poisson sampler (small means only)."""
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def wecom_external_id(rng: random.Random) -> str:
    """`wm` + 30 alphanumerics, like WeCom external contact ids."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    return "wm" + "".join(rng.choice(alphabet) for _ in range(30))


def make_members(spec: GroupSpec, rng: random.Random) -> list[Member]:
    """Initial members, joiners spread over the period, some leavers, and `spec.renames` renames."""
    pool = NICKNAMES[TOPICS[spec.topic].nicknames]
    count = spec.members + spec.joiners
    names = rng.sample(pool, count)
    span = (spec.last_day - spec.first_day).days
    members = []
    for index, name in enumerate(names):
        if spec.platform == "telegram":
            handle = f"user{rng.randrange(1_000_000_000, 7_999_999_999)}"
            username = f"{rng.choice(USERNAME_STEMS)}{rng.randrange(10, 999)}" if rng.random() < 0.3 else ""
        else:
            handle, username = wecom_external_id(rng), ""
        joined = None if index < spec.members else spec.first_day + timedelta(days=rng.randrange(1, span))
        members.append(Member(handle, [(FIRST_DAY, name)], rng.paretovariate(1.3), joined, username=username))
    for member in rng.sample(members, spec.leavers):
        start = member.joined or spec.first_day
        member.left = start + timedelta(days=rng.randrange(7, max(8, (spec.last_day - start).days)))
    talkative = sorted(members[: spec.members], key=lambda m: -m.weight)[: spec.renames]
    for member in talkative:
        since = date(2026, 6, 1) + timedelta(days=rng.randrange(0, 90))
        member.names.append((since, f"{member.names[0][1]}-{rng.choice(CITIES)}"))
    return members


# --- Simulation ----------------------------------------------------------------------------------
class GroupSim:
    """Builds one group's message history day by day, then adds the scripted scenarios."""

    def __init__(self, spec: GroupSpec, rng: random.Random, cal: Calendar) -> None:
        self.spec, self.rng, self.cal = spec, rng, cal
        self.topic = TOPICS[spec.topic]
        self.members = make_members(spec, rng)
        self.msgs: list[Msg] = []
        self.start = datetime.combine(spec.first_day, time(0), TZ)
        self.end = datetime.combine(spec.last_day + timedelta(days=1), time(0), TZ)

    # -- plumbing
    def emit(self, msg: Msg) -> Msg | None:
        """Keep `msg` when it falls inside the export's window."""
        if not self.start <= msg.at < self.end:
            return None
        msg.seq = len(self.msgs)
        self.msgs.append(msg)
        return msg

    def handle_of(self, staff: Staff, day: date) -> str | None:
        """The staff member's handle on this group's platform that is valid on `day`."""
        for handle in HANDLES:
            if handle.staff_id == staff.staff_id and handle.platform == self.spec.platform and handle.valid_on(day):
                return handle.handle
        return None

    def staff_name(self, staff: Staff, handle: str) -> str:
        """Display name behind a handle (Telegram accounts have their own names)."""
        return TELEGRAM_NAMES.get(handle, staff.name)

    def owner_name(self, day: date) -> str:
        """The group owner's display name on this platform (whose invite link members use)."""
        owner = STAFF_BY_ID[self.spec.owner]
        return self.staff_name(owner, self.handle_of(owner, day) or "")

    def on_duty(self, day: date) -> list[Staff]:
        """Assigned staff who are employed on `day` and hold a handle on this platform then."""
        return [
            STAFF_BY_ID[staff_id] for staff_id in self.spec.assigned
            if STAFF_BY_ID[staff_id].active_on(day) and self.handle_of(STAFF_BY_ID[staff_id], day)
        ]

    def recipients(self, day: date) -> list[str]:
        """WeCom `tolist` stand-in: the userids of the staff on duty in this group."""
        return [handle for staff in self.on_duty(day) if (handle := self.handle_of(staff, day))]

    def pick_staff(self, day: date) -> Staff | None:
        """A staff member on duty, weighted by personal share and by role for this kind of group."""
        staff = self.on_duty(day)
        if not staff:
            return None
        weights = ROLE_WEIGHT[self.spec.category]
        return self.rng.choices(staff, [s.share * weights[s.role] for s in staff])[0]

    def pick_member(self, day: date) -> Member | None:
        """A present member, weighted by talkativeness (a few members write most messages)."""
        present = [m for m in self.members if m.present_on(day)]
        return self.rng.choices(present, [m.weight for m in present])[0] if present else None

    def member_time(self, day: date) -> datetime:
        """An instant on `day` drawn from the topic's hourly activity profile."""
        hour = self.rng.choices(range(24), self.topic.hours)[0]
        return datetime.combine(day, time(hour, self.rng.randrange(60), self.rng.randrange(60)), TZ)

    def office_time(self, day: date) -> datetime:
        """An instant between 09:15 and 17:45 on `day`."""
        minute = self.rng.randrange(15, 8 * 60 + 45)
        return datetime.combine(day, OPEN_AT, TZ) + timedelta(minutes=minute, seconds=self.rng.randrange(60))

    def later(self, at: datetime, low_s: int, high_s: int) -> datetime:
        """`at` plus a random number of seconds in [low_s, high_s]."""
        return at + timedelta(seconds=self.rng.randint(low_s, high_s))

    # -- speaking
    def say(self, member: Member, at: datetime, text: str, kind: str = "text") -> Msg | None:
        """A member message under the display name they use that day."""
        return self.emit(Msg(at, member.handle, member.name_on(at.date()), kind, plain(text) if text else ()))

    def staff_say(self, staff: Staff, at: datetime, parts: tuple[Part, ...], reply_to: Msg | None = None
                  ) -> Msg | None:
        """A staff text message, sent from the handle they hold on that date (none: not sent)."""
        handle = self.handle_of(staff, at.date())
        if handle is None:
            return None
        return self.emit(Msg(at, handle, self.staff_name(staff, handle), "text", parts, reply_to=reply_to))

    def mention(self, member: Member, day: date) -> Part:
        """How a staff message names a member: WeCom `@name`, Telegram @username or a name link."""
        name = member.name_on(day)
        if self.spec.platform == "wecom":
            return Part("plain", f"@{name}")
        if member.username:
            return Part("mention", f"@{member.username}")
        return Part("mention_name", name, user_id=int(member.handle.removeprefix("user")))

    def post(self, staff: Staff, at: datetime, headline: str, body: str, link: str = "") -> Msg | None:
        """An announcement: bold headline (Telegram entity), body, optional link."""
        parts = (Part("bold", headline), Part("plain", body)) + ((Part("link", link),) if link else ())
        return self.staff_say(staff, at, parts)

    # -- replies
    def reply_time(self, asked_at: datetime, complex_: bool) -> tuple[datetime, Staff] | None:
        """When and by whom a question gets its reply: on-call after hours, else on the business clock."""
        rng = self.rng
        oncall = ONCALL_COMPLAINT_RATE if complex_ else ONCALL_RATE
        if not self.cal.is_open(asked_at) and 8 <= asked_at.hour < 22 and rng.random() < oncall:
            when = self.later(asked_at, 3 * 60, 40 * 60)
            staff = self.pick_staff(when.date())
            return (when, staff) if staff else None
        staff = self.pick_staff(self.cal.next_open(asked_at).date())
        if staff is None:
            return None
        roll = rng.random()
        minutes = (rng.uniform(1, 15) if roll < 0.55 else rng.uniform(15, 45) if roll < 0.85
                   else rng.uniform(45, 120) if roll < 0.96 else rng.uniform(120, 400))
        when = self.cal.add_business_minutes(asked_at, minutes * staff.pace)
        if not staff.active_on(when.date()) or not self.handle_of(staff, when.date()):
            staff = self.pick_staff(when.date())
        return (when, staff) if staff else None

    def answer(self, asked: list[Msg], member: Member, text: str, complex_: bool = False,
               at: datetime | None = None) -> Msg | None:
        """Reply to `asked` (maybe never); random timing unless `at` is given, random responder.

        Quick replies are targeted with the responder's `targeted` share, slow ones nearly always
        (a slow untargeted reply would answer nobody under the adjacency rule of KPI_SPEC §3).
        """
        if at is None:
            if self.rng.random() < UNANSWERED[self.spec.category]:
                return None
            slot = self.reply_time(asked[-1].at, complex_)
        else:
            staff_then = self.pick_staff(at.date())
            slot = (at, staff_then) if staff_then else None
        if slot is None:
            return None
        at, staff = slot
        quick = at - asked[-1].at < timedelta(minutes=30)
        if self.rng.random() >= (staff.targeted if quick else 0.9):
            return self.staff_say(staff, at, plain(text))
        if self.spec.platform == "wecom":
            return self.staff_say(staff, at, (self.mention(member, at.date()), Part("plain", f" {text}")))
        parts = plain(text)
        if self.rng.random() < TELEGRAM_MENTION_RATE:
            parts = (self.mention(member, at.date()), Part("plain", f" {text}"))
        return self.staff_say(staff, at, parts, reply_to=self.rng.choice(asked))

    def after_answer(self, member: Member, reply: Msg) -> None:
        """Maybe an acknowledgement, maybe a follow-up question within 24 h (a reopen)."""
        rng = self.rng
        if rng.random() < ACK_RATE:
            self.say(member, self.later(reply.at, 30, 25 * 60), rng.choice(ACKS))
        if rng.random() < FOLLOWUP_RATE:
            at = self.later(reply.at, 20 * 60, 20 * 3600)
            if at.hour < 7:
                at = at.replace(hour=rng.randrange(8, 11))
            question, answer = rng.choice(self.topic.followups)
            asked = self.say(member, at, question)
            if asked:
                self.answer([asked], member, answer)

    # -- episodes
    def ep_question(self, day: date, complaint: bool = False) -> None:
        """A question or complaint (maybe a burst of 2-3), its reply, an acknowledgement, a follow-up."""
        member = self.pick_member(day)
        if member is None:
            return
        question, answer = self.rng.choice(self.topic.complaints if complaint else self.topic.questions)
        at = self.member_time(day)
        asked = [self.say(member, at, question)]
        if self.rng.random() < BURST_RATE:
            extra = [self.rng.choice(NUDGES), self.rng.choice(self.topic.questions)[0]]
            for text in extra[: self.rng.randint(1, 2)]:
                at = self.later(at, 40, 300)
                asked.append(self.say(member, at, text))
        asked_kept = [msg for msg in asked if msg]
        if asked_kept:
            reply = self.answer(asked_kept, member, answer, complex_=complaint)
            if reply:
                self.after_answer(member, reply)

    def ep_complaint(self, day: date) -> None:
        """A complaint episode (a complex request)."""
        self.ep_question(day, complaint=True)

    def ep_chat(self, day: date) -> None:
        """A few members chatting, sometimes with a sticker."""
        at = self.member_time(day)
        for _ in range(self.rng.randint(1, 4)):
            member = self.pick_member(day)
            if member is None:
                return
            if self.rng.random() < 0.15:
                self.say(member, at, "", kind="sticker")
            else:
                self.say(member, at, self.rng.choice(self.topic.chat))
            at = self.later(at, 20, 600)

    def ep_media(self, day: date) -> None:
        """A member shares a picture (WeCom image / Telegram photo, sometimes captioned)."""
        member = self.pick_member(day)
        if member is None:
            return
        caption = self.rng.choice(("", "", "晒单", "刚收到的", "看图")) if self.spec.platform == "telegram" else ""
        self.say(member, self.member_time(day), caption, kind="image")

    def ep_post(self, day: date) -> None:
        """A staff announcement in office hours (promotion groups also post evenings and weekends)."""
        evening = self.spec.category == "promotion" and self.rng.random() < 0.3
        if not evening and not self.cal.is_workday(day):
            self.ep_chat(day)
            return
        at = (datetime.combine(day, time(20), TZ) + timedelta(seconds=self.rng.randrange(600))
              if evening else self.office_time(day))
        staff = self.pick_staff(day)
        if staff:
            self.post(staff, at, *self.rng.choice(self.topic.posts))

    def simulate_day(self, day: date) -> None:
        """A Poisson number of episodes, fewer on weekends and holidays, mixed by group category."""
        workday = self.cal.is_workday(day)
        if self.spec.category == "staff":
            mean = self.spec.episodes_per_day * (1 if workday else self.topic.offday_factor)
            self.staff_chatter(day, poisson(self.rng, mean))
            return
        mix = EPISODE_MIX[self.spec.category]
        episodes = {"question": self.ep_question, "complaint": self.ep_complaint, "chat": self.ep_chat,
                    "media": self.ep_media, "post": self.ep_post}
        mean = self.spec.episodes_per_day * (1 if workday else self.topic.offday_factor)
        for _ in range(poisson(self.rng, mean)):
            episodes[self.rng.choices(list(mix), list(mix.values()))[0]](day)

    def staff_chatter(self, day: date, count: int) -> None:
        """Internal staff group: coordination messages, some @-mentioning a colleague."""
        groups = [g.name for g in GROUPS if g.registered and g.category != "staff"]
        for _ in range(count):
            staff = self.pick_staff(day)
            if staff is None:
                return
            at = self.office_time(day) if self.rng.random() < 0.9 else self.member_time(day)
            if self.rng.random() < 0.2:
                colleague = self.rng.choice([s for s in self.on_duty(day) if s is not staff] or [staff])
                text = self.rng.choice(STAFF_PINGS).format(name=colleague.name, group=self.rng.choice(groups))
            else:
                text = self.rng.choice(STAFF_CHATTER)
            self.staff_say(staff, at, plain(text))

    def membership_events(self) -> None:
        """Telegram service messages for members who join or leave during the period."""
        for member in self.members:
            if member.joined:
                at = self.member_time(member.joined)
                inviter = self.pick_staff(member.joined)
                name = member.name_on(member.joined)
                if inviter and self.rng.random() < 0.4:
                    handle = self.handle_of(inviter, member.joined) or ""
                    self.emit(Msg(at, handle, self.staff_name(inviter, handle), "invited", subjects=(name,)))
                else:
                    self.emit(Msg(at, member.handle, name, "joined_by_link", inviter=self.owner_name(member.joined)))
            if member.left:
                at = self.member_time(member.left)
                name = member.name_on(member.left)
                self.emit(Msg(at, member.handle, name, "removed", subjects=(name,)))

    def holiday_notices(self) -> None:
        """On the workday before each holiday and each make-up workday, the owner posts the hours."""
        owner = STAFF_BY_ID[self.spec.owner]
        for first, last in self.cal.holiday_blocks(self.spec.first_day, self.spec.last_day):
            reopen = self.cal.next_open(datetime.combine(last + timedelta(days=1), time(0), TZ)).date()
            self.post(owner, self.notice_time(first), "【放假通知】",
                      f"{md(first)}至{md(last)}{self.cal.holidays[first]}放假，"
                      f"期间留言将于{md(reopen)}起陆续回复，祝大家节日快乐！")
        for day in sorted(self.cal.makeup_workdays):
            if self.spec.first_day < day <= self.spec.last_day + timedelta(days=1):
                self.post(owner, self.notice_time(day), "【温馨提示】",
                          f"{md(day)}（周{WEEKDAYS_ZH[day.weekday()]}）调休上班，我们正常在线。")

    def notice_time(self, day: date) -> datetime:
        """Late afternoon of the last workday before `day`."""
        eve = self.cal.previous_workday(day)
        return datetime.combine(eve, time(16, 30), TZ) + timedelta(seconds=self.rng.randrange(1800))

    def run(self) -> list[Msg]:
        """The whole history, in time order."""
        for day in days(self.spec.first_day, self.spec.last_day):
            self.simulate_day(day)
        if self.spec.platform == "telegram":
            self.membership_events()
        if self.spec.category != "staff":
            self.holiday_notices()
        for scenario in SCENARIOS.get(self.spec.group_id, ()):
            scenario(self)
        return sorted(self.msgs, key=lambda msg: (msg.at, msg.seq))


# --- Scripted scenarios (always present, whatever the seed) --------------------------------------
def at_(day: date, hh: int, mm: int, ss: int = 0) -> datetime:
    """A local instant."""
    return datetime.combine(day, time(hh, mm, ss), TZ)


def ask_and_answer(sim: GroupSim, asked_at: datetime, question: str, answer_at: datetime, answer: str,
                   complex_: bool = False) -> None:
    """A member question with a reply at a fixed instant (e.g. the first morning after a holiday)."""
    member = sim.pick_member(asked_at.date())
    asked = sim.say(member, asked_at, question) if member else None
    if member and asked:
        sim.answer([asked], member, answer, complex_=complex_, at=answer_at)


def off_hours_questions(sim: GroupSim) -> None:
    """Saturday-night question answered on the make-up workday; holiday questions answered on 10-08."""
    ask_and_answer(sim, at_(date(2026, 9, 19), 21, 40, 12), "请问周末下的单什么时候发货？",
                   at_(date(2026, 9, 20), 9, 12, 40), "周末的订单今天统一发出，晚上就能看到物流信息。")
    ask_and_answer(sim, at_(date(2026, 9, 30), 23, 5, 31), "请问国庆期间还发货吗？",
                   at_(date(2026, 10, 8), 9, 6, 2), "国庆期间仓库休息，今天开始按下单顺序陆续发货。")
    ask_and_answer(sim, at_(date(2026, 10, 3), 15, 20, 8), "快递一周了还没到，我要投诉！",
                   at_(date(2026, 10, 8), 9, 21, 45), "非常抱歉，节后快递积压，已经帮您加急催件。", complex_=True)


def wecom_ad_spam(sim: GroupSim) -> None:
    """A newcomer posts a side-job ad with a URL; staff warns and removes them (WeCom: no event)."""
    day = date(2026, 5, 20)
    spammer = Member(wecom_external_id(sim.rng), [(FIRST_DAY, "日结兼职-小雨")], 0.0, joined=day, left=day)
    sim.members.append(spammer)
    sim.say(spammer, at_(day, 13, 12, 5), "加微信 jz8899，兼职刷单日结300+，详情 https://spam.example.net/jz")
    staff = STAFF_BY_ID[sim.spec.owner]
    sim.staff_say(staff, at_(day, 13, 20, 41), (sim.mention(spammer, day), Part("plain", " 群内禁止发广告，已移出群聊。")))


def profanity_complaint(sim: GroupSim) -> None:
    """An angry evening complaint with a profanity, answered the next morning."""
    day = date(2026, 8, 5)
    ask_and_answer(sim, at_(day, 20, 47, 19), "服务太差了，他妈的等了三天都没人管",
                   at_(day + timedelta(days=1), 9, 8, 3), "非常抱歉让您久等了，已经安排专人处理，请留意私信。",
                   complex_=True)


def wrong_group_recall(sim: GroupSim) -> None:
    """A member posts into the wrong group, recalls it, apologises."""
    day = date(2026, 6, 16)
    member = sim.pick_member(day)
    if member is None:
        return
    wrong = sim.say(member, at_(day, 11, 2, 14), "今晚七点老地方吃饭，别迟到")
    if wrong:
        sim.emit(Msg(at_(day, 11, 2, 58), member.handle, member.name_on(day), "recall", target=wrong))
        sim.say(member, at_(day, 11, 3, 30), "不好意思发错群了")


def bot_notices(sim: GroupSim) -> None:
    """Automated notices from the order bot (listed in bots.csv; some contain question words)."""
    for day, text in BOT_NOTICES:
        sim.emit(Msg(at_(day, 10, 0, sim.rng.randrange(60)), BOT_HANDLE, "订单助手", "text", plain(text)))


def flood_complaint(sim: GroupSim) -> None:
    """One member pastes the same refund question six times within ten minutes, answered next morning."""
    day = date(2026, 7, 14)
    member = sim.pick_member(day)
    if member is None:
        return
    at = at_(day, 20, 12, 9)
    asked = []
    for _ in range(6):
        asked.append(sim.say(member, at, "退款什么时候到账？？"))
        at = sim.later(at, 50, 100)
    sim.answer([m for m in asked if m], member, "您好，退款已经提交财务，预计今天到账，请留意银行通知。",
               complex_=True, at=at_(day + timedelta(days=1), 9, 3, 30))


def phone_number(sim: GroupSim) -> None:
    """A member posts their mobile number in the group (a privacy violation)."""
    day = date(2026, 6, 10)
    ask_and_answer(sim, at_(day, 16, 20, 44), "我电话13812345678，麻烦尽快联系我，什么时候能处理？",
                   at_(day, 16, 31, 2), "已经收到，为保护隐私建议撤回号码，我私信联系您。")


def staff_correction(sim: GroupSim) -> None:
    """A staff member announces the wrong discount, recalls it, posts the correction."""
    day = date(2026, 8, 12)
    staff = STAFF_BY_ID[sim.spec.owner]
    wrong = sim.staff_say(staff, at_(day, 10, 31, 7), plain("本周六会员日全场5折"))
    if wrong:
        sim.emit(Msg(at_(day, 10, 32, 40), wrong.sender, wrong.sender_name, "recall", target=wrong))
        sim.post(staff, at_(day, 10, 33, 15), "【更正】", "本周六会员日全场8.5折，以此条为准。")


def holiday_question(sim: GroupSim) -> None:
    """Questions during the National Day holiday, answered on the first workday after it."""
    ask_and_answer(sim, at_(date(2026, 10, 5), 11, 0, 37), "请问假期里下单的什么时候发货？",
                   at_(date(2026, 10, 8), 9, 15, 12), "今天开始陆续发货，预计3天内全部发出。")
    ask_and_answer(sim, at_(date(2026, 10, 2), 20, 15, 3), "请问积分兑换的礼品到了吗？",
                   at_(date(2026, 10, 8), 10, 2, 26), "礼品今天发出，单号稍后私信您。")


def telegram_ad_spam(sim: GroupSim) -> None:
    """A spammer joins by link, posts an ad with a link entity, and is removed by staff."""
    day = date(2026, 6, 23)
    spammer = Member(f"user{sim.rng.randrange(7_000_000_000, 7_999_999_999)}", [(FIRST_DAY, "兼职招聘小雨")], 0.0,
                     joined=day, left=day)
    sim.members.append(spammer)
    sim.emit(Msg(at_(day, 14, 2, 11), spammer.handle, "兼职招聘小雨", "joined_by_link", inviter=sim.owner_name(day)))
    sim.emit(Msg(at_(day, 14, 5, 40), spammer.handle, "兼职招聘小雨", "text",
                 (Part("plain", "加微信 jz8899，兼职刷单日结300+，详情 "), Part("link", "https://spam.example.net/jz"))))
    staff = STAFF_BY_ID[sim.spec.owner]
    handle = sim.handle_of(staff, day) or ""
    sim.emit(Msg(at_(day, 14, 20, 2), handle, sim.staff_name(staff, handle), "removed", subjects=("兼职招聘小雨",)))
    sim.post(staff, at_(day, 14, 21, 30), "【防骗提醒】", "已移除发广告的账号，大家不要添加陌生人微信，谨防诈骗。")


def telegram_handover(sim: GroupSim) -> None:
    """The shared work account changes hands on 09-01 and says so."""
    sim.staff_say(STAFF_BY_ID["S009"], at_(date(2026, 9, 1), 9, 10, 5),
                  plain("大家好，「客服小美」账号从今天起由新同事接手，有问题继续在群里找我就好～"))


def staff_group_moments(sim: GroupSim) -> None:
    """Welcome for the joiner, farewell of the leaver, and one WeCom `switch` record."""
    sim.staff_say(STAFF_BY_ID["S001"], at_(date(2026, 5, 15), 9, 30, 12), plain("欢迎新同事@吴昊 加入客服部！"))
    sim.staff_say(STAFF_BY_ID["S009"], at_(date(2026, 5, 15), 9, 31, 40), plain("大家好，请多关照🙏"))
    sim.staff_say(STAFF_BY_ID["S010"], at_(date(2026, 8, 31), 17, 40, 3), plain("明天起我就不在了，谢谢大家这几年的照顾！"))
    sim.staff_say(STAFF_BY_ID["S002"], at_(date(2026, 9, 28), 15, 2, 9), plain("国庆值班表已发群文件，请大家确认"))
    sim.emit(Msg(at_(date(2026, 6, 3), 8, 55, 12), "lintao", "林涛", "switch"))


SCENARIOS: dict[str, tuple[Callable[[GroupSim], None], ...]] = {
    "G01": (off_hours_questions, wecom_ad_spam, profanity_complaint, wrong_group_recall, bot_notices),
    "G02": (flood_complaint, phone_number, staff_correction, holiday_question, bot_notices),
    "G03": (telegram_ad_spam, telegram_handover, holiday_question),
    "G04": (wrong_group_recall,),
    "G06": (staff_group_moments,),
}


# --- WeCom rendering -----------------------------------------------------------------------------
def sdk_blob(rng: random.Random) -> str:
    """A stand-in for the SDK media id (`sdkfileid`)."""
    return base64.b64encode(rng.randbytes(60)).decode()


def wecom_payload(msg: Msg, rng: random.Random, ids: dict[Msg, str]) -> tuple[str, dict]:
    """(msgtype, payload object) for one message."""
    if msg.kind == "image":
        return "image", {"md5sum": rng.randbytes(16).hex(), "filesize": rng.randrange(40_000, 2_000_000),
                         "sdkfileid": sdk_blob(rng)}
    if msg.kind == "sticker":
        return "emotion", {"type": 1, "width": 240, "height": 240, "imagesize": rng.randrange(8_000, 90_000),
                           "md5sum": rng.randbytes(16).hex(), "sdkfileid": sdk_blob(rng)}
    if msg.kind == "recall":
        return "revoke", {"pre_msgid": ids[msg.target]}
    return "text", {"content": msg.text}


def wecom_lines(spec: GroupSpec, msgs: list[Msg], rng: random.Random, recipients: Callable[[date], list[str]]
                ) -> list[tuple[datetime, str]]:
    """One compact JSON line per message, as the archive SDK returns it after decryption.

    `recipients(day)` gives the `tolist` userids (see the module docstring on why not every member).
    """
    suffix = "" if spec.category == "staff" else "_external"
    ids: dict[Msg, str] = {}
    lines = []
    for msg in msgs:
        msgtime = int(msg.at.timestamp()) * 1000 + rng.randrange(1000)
        ids[msg] = f"{rng.randrange(10**18, 10**19)}_{msgtime}{suffix}"
        if msg.kind == "switch":
            record: dict = {"msgid": ids[msg], "action": "switch", "time": msgtime, "user": msg.sender}
        else:
            msgtype, payload = wecom_payload(msg, rng, ids)
            record = {"msgid": ids[msg], "action": "recall" if msg.kind == "recall" else "send", "from": msg.sender,
                      "tolist": [h for h in recipients(msg.at.date()) if h != msg.sender],
                      "roomid": spec.source_key, "msgtime": msgtime, "msgtype": msgtype, msgtype: payload}
        lines.append((msg.at, json.dumps(record, ensure_ascii=False, separators=(",", ":"))))
    return lines


def month_starts(first: date, last: date) -> list[date]:
    """First day of every month touching [first, last]."""
    months, day = [], first.replace(day=1)
    while day <= last:
        months.append(day)
        day = (day + timedelta(days=32)).replace(day=1)
    return months


def write_wecom(out: Path, spec: GroupSpec, lines: list[tuple[datetime, str]]) -> None:
    """Monthly files; each also holds the next month's first day, so neighbours overlap by one day."""
    for month in month_starts(spec.first_day, spec.last_day):
        start = datetime.combine(month, time(0), TZ)
        end = datetime.combine((month + timedelta(days=32)).replace(day=2), time(0), TZ)
        chunk = [line for at, line in lines if start <= at < end]
        if chunk:
            path = out / "exports" / "wecom" / spec.source_key / f"{month:%Y-%m}.jsonl"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("\n".join(chunk) + "\n", encoding="utf-8")


# --- Telegram rendering --------------------------------------------------------------------------
def telegram_text(parts: tuple[Part, ...]) -> tuple[str | list, list[dict]]:
    """Telegram Desktop's `text` (string, or mixed array) and `text_entities`."""
    entities = []
    for part in parts:
        entity = {"type": part.kind, "text": part.text}
        if part.user_id:
            entity["user_id"] = part.user_id
        entities.append(entity)
    if all(part.kind == "plain" for part in parts):
        return "".join(part.text for part in parts), entities
    return [part.text if part.kind == "plain" else entity for part, entity in zip(parts, entities)], entities


def telegram_message(msg: Msg, message_id: int, ids: dict[Msg, int], rng: random.Random) -> dict:
    """One `messages[]` object, keys in Telegram Desktop's order."""
    record: dict = {"id": message_id, "type": "message", "date": msg.at.strftime("%Y-%m-%dT%H:%M:%S"),
                    "date_unixtime": str(int(msg.at.timestamp()))}
    if msg.kind in ("joined_by_link", "invited", "removed"):
        record.update(type="service", actor=msg.sender_name, actor_id=msg.sender)
        if msg.kind == "joined_by_link":
            record.update(action="join_group_by_link", inviter=msg.inviter)
        else:
            record.update(action="invite_members" if msg.kind == "invited" else "remove_members",
                          members=list(msg.subjects))
        record.update(text="", text_entities=[])
        return record
    record.update({"from": msg.sender_name, "from_id": msg.sender})
    if msg.reply_to is not None and msg.reply_to in ids:
        record["reply_to_message_id"] = ids[msg.reply_to]
    if msg.kind == "image":
        record.update(photo=FILE_NOT_INCLUDED, width=rng.choice((1280, 1080, 960)),
                      height=rng.choice((960, 1280, 1440)))
    elif msg.kind == "sticker":
        record.update(file=FILE_NOT_INCLUDED, thumbnail=FILE_NOT_INCLUDED, media_type="sticker",
                      sticker_emoji=rng.choice(("👍", "😂", "🙏", "❤️", "😊")), width=512, height=512)
    text, entities = telegram_text(msg.parts)
    record.update(text=text, text_entities=entities)
    return record


def telegram_export(spec: GroupSpec, msgs: list[Msg], rng: random.Random) -> dict:
    """Single-chat `result.json` root; ids skip now and then where messages were deleted."""
    ids: dict[Msg, int] = {}
    messages = []
    next_id = spec.first_message_id
    for msg in msgs:
        next_id += 1 + (rng.randrange(1, 4) if rng.random() < 0.02 else 0)
        ids[msg] = next_id
        messages.append(telegram_message(msg, next_id, ids, rng))
    return {"name": spec.name, "type": "private_supergroup", "id": int(spec.source_key), "messages": messages}


# --- Config files ----------------------------------------------------------------------------------
def iso(day: date | None) -> str:
    """`YYYY-MM-DD`, or empty for an open end."""
    return day.isoformat() if day else ""


def write_csv(path: Path, header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    """UTF-8 CSV without BOM, `\n` line ends (stable bytes on every OS)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def calendar_yaml(cal: Calendar) -> str:
    """`cn_office` with the statutory dates spelled out, so the file reads without the library."""
    weekly = "\n".join(f'      {day}: ["09:00-18:00"]' for day in ("mon", "tue", "wed", "thu", "fri"))
    holidays = "\n".join(f"      - {day}  # {name}" for day, name in sorted(cal.holidays.items()))
    makeup = "\n".join(f"      - {day}  # 调休（{name}）" for day, name in sorted(cal.makeup_workdays.items()))
    return f"""# Business calendars (KPI_SPEC §2). Generated by data_samples/generate.py.
# Statutory dates: mainland China 2026 as published by the State Council (read via chinesecalendar).
calendars:
  {CALENDAR_ID}:
    timezone: {TZ_NAME}
    weekly_hours:                 # weekday -> open intervals, local time; missing day = closed
{weekly}
    makeup_hours: ["09:00-18:00"] # hours of a make-up workday (调休)
    statutory: cn                 # also apply chinesecalendar; the lists below are the same dates for 2026
    holidays:                     # closed dates
{holidays}
    makeup_workdays:              # weekend dates that are open
{makeup}
"""


SETTINGS_YAML = f"""# Generated by data_samples/generate.py.
pseudonymisation:
  # SAMPLE ONLY: this key is public (committed with the synthetic sample data). Never use it for real
  # exports; set KPI_PSEUDONYM_KEY or put a secret of your own here.
  key: "SAMPLE-ONLY-not-a-secret-4f1c9a2e7b"
sources:
  default_timezone: {TZ_NAME}   # for formats that write local wall-clock time (Telegram `date`, QQ, WhatsApp)
"""


def write_config(out: Path, cal: Calendar) -> None:
    """roster, handles, bots, groups, calendar and settings (never rubric.yaml)."""
    config = out / "config"
    write_csv(config / "roster.csv",
              ("staff_id", "name", "role", "team", "manager_id", "calendar_id", "active_from", "active_to"),
              [(s.staff_id, s.name, s.role, s.team, s.manager_id, CALENDAR_ID, iso(s.active_from), iso(s.active_to))
               for s in STAFF])
    handles = sorted(HANDLES, key=lambda h: (h.staff_id, h.platform, iso(h.valid_from)))
    write_csv(config / "handles.csv", ("staff_id", "platform", "handle", "valid_from", "valid_to"),
              [(h.staff_id, h.platform, h.handle, iso(h.valid_from), iso(h.valid_to)) for h in handles])
    write_csv(config / "bots.csv", ("platform", "handle", "note"), list(BOTS))
    write_csv(config / "groups.csv",
              ("group_id", "platform", "source_key", "name", "category", "owner_staff_id", "assigned_staff_ids",
               "calendar_id"),
              [(g.group_id, g.platform, g.source_key, g.name, g.category, g.owner, ";".join(g.assigned), CALENDAR_ID)
               for g in GROUPS if g.registered])
    (config / "calendar.yaml").write_text(calendar_yaml(cal), encoding="utf-8")
    (config / "settings.yaml").write_text(SETTINGS_YAML, encoding="utf-8")


# --- Driver ----------------------------------------------------------------------------------------
def clean_exports(out: Path) -> None:
    """Delete the export files a previous run wrote (and nothing else), so no stale file survives."""
    exports = out / "exports"
    for path in sorted(exports.glob("wecom/*/*.jsonl")) + sorted(exports.glob("telegram/*/result.json")):
        path.unlink()
    for folder in sorted(exports.glob("wecom/*")) + sorted(exports.glob("telegram/*")):
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()


def inputs_module() -> ModuleType:
    """generate_inputs.py beside this file, run from source: no __pycache__ lands in data_samples/."""
    path = Path(__file__).resolve().with_name("generate_inputs.py")
    module = ModuleType("generate_inputs")
    module.__file__ = str(path)
    sys.modules[module.__name__] = module  # dataclasses resolve annotations through sys.modules
    exec(compile(path.read_text(encoding="utf-8"), str(path), "exec"), module.__dict__)
    return module


def generate(out: Path, seed: int = DEFAULT_SEED) -> list[tuple[GroupSpec, int]]:
    """Write the whole sample folder under `out`; returns the records written per group."""
    rng = random.Random(seed)
    cal = Calendar.statutory_cn(FIRST_DAY.year)
    clean_exports(out)
    write_config(out, cal)
    counts, contacts, histories = [], set(), {}
    for spec in GROUPS:
        sim = GroupSim(spec, rng, cal)
        msgs = sim.run()
        histories[spec.source_key] = (sim.members, msgs)
        if spec.platform == "wecom":
            contacts |= {("wecom", m.handle, name) for m in sim.members for _, name in m.names}
            write_wecom(out, spec, wecom_lines(spec, msgs, rng, sim.recipients))
        else:  # Telegram `@username` mentions name neither the user id nor the display name
            contacts |= {("telegram", m.handle, m.username) for m in sim.members if m.username}
            path = out / "exports" / "telegram" / spec.slug / "result.json"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(telegram_export(spec, msgs, rng), ensure_ascii=False, indent=1) + "\n",
                            encoding="utf-8")
        counts.append((spec, len(msgs)))
    # The WeCom archive names nobody: staff write `@刘姐`, the record says `from: wm…`; Telegram exports
    # carry no @usernames. Real deployments export these from the platforms' contact APIs; the pipeline
    # needs them to match @-mentions to requesters.
    write_csv(out / "config" / "contacts.csv", ("platform", "handle", "name"), sorted(contacts))
    inputs = inputs_module()  # after the exports: tickets name the message ids written there
    complaints = frozenset(text for topic in TOPICS.values() for text, _ in topic.complaints)
    inputs.write_inputs(out, seed, inputs.World(STAFF, GROUPS, HANDLES, cal, FIRST_DAY, LAST_DAY, histories,
                                                complaints))
    return counts


def main(argv: list[str] | None = None) -> None:
    """CLI: write the folder and print the volume per group."""
    parser = argparse.ArgumentParser(description="Write the seeded sample data folder (config + exports).")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent, help="data folder to write")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
    args = parser.parse_args(argv)
    for spec, count in generate(args.out, args.seed):
        weeks = ((spec.last_day - spec.first_day).days + 1) / 7
        print(f"{spec.group_id or 'unregistered'} {spec.name}: {count} records ({count / weeks:.0f}/week)")


if __name__ == "__main__":
    main()
