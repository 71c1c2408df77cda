"""The data folder's `config/` files: loading, validation, and the raw tables they become.

Config files are small and hand-edited, so they are read row by row with the csv module: that is
what lets every error name the file and line a person has to fix. (Exports, which are large, are
parsed vectorised in `assets/ingest`.)
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import functools
import hashlib
import hmac
import os
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import polars as pl
import yaml

from assets.ingest.schema import DATE_ORDER_FORMATS, DATE_ORDERS, SourceOptions
from dashboards.i18n import LANGUAGES as DASHBOARD_LANGUAGES
from pipelines.errors import ConfigError
from pipelines.rubric import GROUP_CATEGORIES, Rubric, load_rubric, rubric_tables

PLATFORMS = ("wecom", "wechat", "telegram", "qq", "whatsapp", "slack", "discord", "douyin", "kuaishou")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


# --- csv helpers --------------------------------------------------------------------------------


def _read_csv(path: Path, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> list[tuple[int, dict[str, str]]]:
    """Rows of a config CSV with their line numbers; checks the header."""
    if not path.exists():
        raise ConfigError(path, None, "file not found")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        missing = [c for c in required if c not in header]
        if missing:
            raise ConfigError(path, "line 1", f"missing column(s) {missing}; expected header {list(required + optional)}")
        unknown = [c for c in header if c not in required + optional]
        if unknown:
            raise ConfigError(path, "line 1", f"unknown column(s) {unknown}; expected {list(required + optional)}")
        rows = []
        for row in reader:
            if not any((value or "").strip() for value in row.values()):
                continue
            rows.append((reader.line_num, {k: (v or "").strip() for k, v in row.items() if k}))
        return rows


def _date(path: Path, line: int, column: str, value: str, *, required: bool) -> dt.date | None:
    if not value:
        if required:
            raise ConfigError(path, f"line {line}", f"{column} is empty; expected a date YYYY-MM-DD")
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ConfigError(path, f"line {line}", f"{column} '{value}' is not a date YYYY-MM-DD") from None


def _platform(path: Path, line: int, row: dict[str, str]) -> str:
    platform = _nonempty(path, line, row, "platform")
    if platform not in PLATFORMS:
        raise ConfigError(path, f"line {line}", f"unknown platform '{platform}'; expected one of {list(PLATFORMS)}")
    return platform


def _nonempty(path: Path, line: int, row: dict[str, str], column: str) -> str:
    if not row.get(column):
        raise ConfigError(path, f"line {line}", f"{column} is empty")
    return row[column]


# --- entities -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Staff:
    staff_id: str
    name: str
    role: str
    team: str
    manager_id: str | None
    calendar_id: str
    active_from: dt.date
    active_to: dt.date | None
    line: int


@dataclass(frozen=True)
class Handle:
    staff_id: str
    platform: str
    handle: str
    valid_from: dt.date | None
    valid_to: dt.date | None
    line: int


@dataclass(frozen=True)
class Group:
    group_id: str
    platform: str
    source_key: str
    name: str
    category: str
    owner_staff_id: str
    assigned_staff_ids: tuple[str, ...]
    calendar_id: str
    line: int


@dataclass(frozen=True)
class Calendar:
    calendar_id: str
    timezone: str
    weekly_hours: dict[int, list[tuple[dt.time, dt.time]]]  # weekday 0=Mon -> intervals
    makeup_hours: list[tuple[dt.time, dt.time]]
    statutory: str | None
    holidays: frozenset[dt.date]
    makeup_workdays: frozenset[dt.date]


@dataclass
class Settings:
    pseudonym_key: bytes
    default_timezone: str = "Asia/Shanghai"
    source_timezones: dict[str, str] = field(default_factory=dict)
    source_date_orders: dict[str, str] = field(default_factory=dict)
    dashboards_lang: str = "en"  # settings.yaml `dashboards.lang`: the dashboards' language

    def source_timezone(self, platform: str) -> str:
        return self.source_timezones.get(platform, self.default_timezone)

    def source_options(self, platform: str) -> SourceOptions:
        """How to read `platform`'s exports where the files do not say (settings.yaml `sources`)."""
        return SourceOptions(self.source_timezone(platform), self.source_date_orders.get(platform, "auto"))


@dataclass
class DataConfig:
    """Everything under `config/`, validated together."""

    data_dir: Path
    rubric: Rubric
    staff: list[Staff]
    handles: list[Handle]
    bots: list[tuple[str, str]]
    contacts: list[tuple[str, str, str]]
    groups: list[Group]
    calendars: dict[str, Calendar]
    settings: Settings

    def config_files(self) -> list[Path]:
        return sorted(p for p in (self.data_dir / "config").glob("*") if p.is_file())


# --- loaders ------------------------------------------------------------------------------------


def load_staff(path: Path, rubric: Rubric) -> list[Staff]:
    rows = _read_csv(path, ("staff_id", "name", "role", "team", "manager_id", "calendar_id", "active_from"), ("active_to",))
    staff, seen = [], {}
    for line, row in rows:
        staff_id = _nonempty(path, line, row, "staff_id")
        if staff_id in seen:
            raise ConfigError(path, f"line {line}", f"staff_id {staff_id} already used on line {seen[staff_id]}")
        seen[staff_id] = line
        role = _nonempty(path, line, row, "role")
        if role not in rubric.staff_roles:
            raise ConfigError(path, f"line {line}", f"unknown role '{role}'; rubric.yaml defines {sorted(rubric.staff_roles)}")
        active_from = _date(path, line, "active_from", row["active_from"], required=True)
        active_to = _date(path, line, "active_to", row.get("active_to", ""), required=False)
        if active_to and active_from and active_to < active_from:
            raise ConfigError(path, f"line {line}", f"active_to {active_to} is before active_from {active_from}")
        staff.append(Staff(staff_id, _nonempty(path, line, row, "name"), role, row["team"],
                           row["manager_id"] or None, _nonempty(path, line, row, "calendar_id"),
                           active_from, active_to, line))
    for person in staff:
        if person.manager_id and person.manager_id not in seen:
            raise ConfigError(path, f"line {person.line}", f"manager_id {person.manager_id} is not in the roster")
    return staff


def _overlaps(a_from, a_to, b_from, b_to) -> bool:
    lo = max(a_from or dt.date.min, b_from or dt.date.min)
    hi = min(a_to or dt.date.max, b_to or dt.date.max)
    return lo <= hi


def load_handles(path: Path, staff_ids: set[str]) -> list[Handle]:
    rows = _read_csv(path, ("staff_id", "platform", "handle"), ("valid_from", "valid_to"))
    handles: list[Handle] = []
    claims: dict[tuple[str, str], list[Handle]] = {}  # earlier claims of each (platform, handle)
    for line, row in rows:
        staff_id = _nonempty(path, line, row, "staff_id")
        if staff_id not in staff_ids:
            raise ConfigError(path, f"line {line}", f"staff_id {staff_id} is not in roster.csv")
        platform = _platform(path, line, row)
        handle = Handle(staff_id, platform, _nonempty(path, line, row, "handle"),
                        _date(path, line, "valid_from", row.get("valid_from", ""), required=False),
                        _date(path, line, "valid_to", row.get("valid_to", ""), required=False), line)
        for other in claims.get((handle.platform, handle.handle), []):
            if _overlaps(
                other.valid_from, other.valid_to, handle.valid_from, handle.valid_to
            ):
                who = "twice" if other.staff_id == staff_id else f"by {other.staff_id} (line {other.line}) and {staff_id}"
                raise ConfigError(
                    path, f"line {line}",
                    f"handle {platform}:{handle.handle} is claimed {who} over overlapping dates; "
                    "give one of them a valid_to before the other's valid_from",
                )
        handles.append(handle)
        claims.setdefault((handle.platform, handle.handle), []).append(handle)
    return handles


def load_bots(path: Path) -> list[tuple[str, str]]:
    if not path.exists():
        return []
    bots = []
    for line, row in _read_csv(path, ("platform", "handle"), ("note",)):
        platform = _platform(path, line, row)
        bots.append((platform, _nonempty(path, line, row, "handle")))
    return bots


def load_contacts(path: Path) -> list[tuple[str, str, str]]:
    """Optional display names for handles whose export does not name the sender (WeCom external
    contacts, as `externalcontact/get` returns them): needed to match `@name` mentions."""
    if not path.exists():
        return []
    valid = _valid_contacts(path)
    if valid is not None:
        return valid
    contacts = []  # a bad row: read line by line, so the error names its line
    for line, row in _read_csv(path, ("platform", "handle", "name")):
        platform = _platform(path, line, row)
        contacts.append((platform, _nonempty(path, line, row, "handle"), _nonempty(path, line, row, "name")))
    return contacts


def _valid_contacts(path: Path) -> list[tuple[str, str, str]] | None:
    """The contacts of a valid file, read in one vectorised pass (an operator's file lists every
    external contact: hundreds of thousands of rows); None when the header or a row is wrong."""
    columns = ("platform", "handle", "name")
    try:
        frame = pl.read_csv(path.read_bytes().removeprefix(codecs.BOM_UTF8), infer_schema=False,
                            empty_string_is_null=False)
    except (pl.exceptions.PolarsError, UnicodeDecodeError):
        return None
    if tuple(frame.columns) != columns:
        return None
    frame = frame.select(pl.col(c).fill_null("").str.strip_chars() for c in columns).filter(
        pl.any_horizontal(pl.col(c) != "" for c in columns))
    if frame.filter(~pl.col("platform").is_in(list(PLATFORMS)) | (pl.col("handle") == "") | (pl.col("name") == "")).height:
        return None
    return frame.rows()


def load_groups(path: Path, staff_ids: set[str], calendars: set[str]) -> list[Group]:
    rows = _read_csv(path, ("group_id", "platform", "source_key", "name", "category", "owner_staff_id",
                            "assigned_staff_ids", "calendar_id"))
    groups, ids, keys = [], {}, {}
    for line, row in rows:
        group_id = _nonempty(path, line, row, "group_id")
        if group_id in ids:
            raise ConfigError(path, f"line {line}", f"group_id {group_id} already used on line {ids[group_id]}")
        ids[group_id] = line
        platform = _platform(path, line, row)
        source_key = _nonempty(path, line, row, "source_key")
        if (platform, source_key) in keys:
            raise ConfigError(path, f"line {line}", f"{platform} source_key {source_key} is already group on line {keys[(platform, source_key)]}")
        keys[(platform, source_key)] = line
        category = _nonempty(path, line, row, "category")
        if category not in GROUP_CATEGORIES:
            raise ConfigError(path, f"line {line}", f"unknown category '{category}'; expected one of {list(GROUP_CATEGORIES)}")
        owner = _nonempty(path, line, row, "owner_staff_id")
        if owner not in staff_ids:
            raise ConfigError(path, f"line {line}", f"owner_staff_id {owner} is not in roster.csv")
        assigned = tuple(s.strip() for s in row["assigned_staff_ids"].split(";") if s.strip())
        for staff_id in assigned:
            if staff_id not in staff_ids:
                raise ConfigError(path, f"line {line}", f"assigned staff {staff_id} is not in roster.csv")
        calendar_id = _nonempty(path, line, row, "calendar_id")
        if calendar_id not in calendars:
            raise ConfigError(path, f"line {line}", f"unknown calendar_id '{calendar_id}'; calendar.yaml defines {sorted(calendars)}")
        groups.append(Group(group_id, platform, source_key, _nonempty(path, line, row, "name"), category,
                            owner, assigned, calendar_id, line))
    return groups


def _interval(path: Path, where: str, text: str) -> tuple[dt.time, dt.time]:
    try:
        start, end = (dt.time.fromisoformat(part.strip()) for part in str(text).split("-"))
    except ValueError:
        raise ConfigError(path, where, f"'{text}' is not an interval like 09:00-18:00") from None
    if end <= start:
        raise ConfigError(path, where, f"'{text}' ends before it starts")
    return start, end


def _dates(path: Path, where: str, values) -> frozenset[dt.date]:
    out = set()
    for value in values or []:
        try:
            out.add(value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)))
        except ValueError:
            raise ConfigError(path, where, f"'{value}' is not a date YYYY-MM-DD") from None
    return frozenset(out)


def _timezone(path: Path, where: str, name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(path, where, f"unknown time zone '{name}'; expected an IANA name like Asia/Shanghai") from None
    return name


def load_calendars(path: Path) -> dict[str, Calendar]:
    if not path.exists():
        raise ConfigError(path, None, "file not found; every data folder needs config/calendar.yaml")
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(document.get("calendars"), dict) or not document["calendars"]:
        raise ConfigError(path, "calendars", "expected a mapping of calendar_id -> calendar")
    calendars = {}
    for calendar_id, spec in document["calendars"].items():
        where = f"calendars.{calendar_id}"
        spec = spec or {}
        unknown = set(spec) - {"timezone", "weekly_hours", "makeup_hours", "statutory", "holidays", "makeup_workdays"}
        if unknown:
            raise ConfigError(path, where, f"unknown key(s) {sorted(unknown)}")
        weekly: dict[int, list[tuple[dt.time, dt.time]]] = {}
        for day, intervals in (spec.get("weekly_hours") or {}).items():
            if day not in WEEKDAYS:
                raise ConfigError(path, f"{where}.weekly_hours", f"unknown weekday '{day}'; expected {list(WEEKDAYS)}")
            weekly[WEEKDAYS.index(day)] = [_interval(path, f"{where}.weekly_hours.{day}", i) for i in intervals or []]
        if not any(weekly.values()):
            raise ConfigError(path, f"{where}.weekly_hours", "no open hours on any weekday")
        makeup = spec.get("makeup_hours")
        makeup_hours = ([_interval(path, f"{where}.makeup_hours", i) for i in makeup] if makeup is not None
                        else weekly.get(0, []))
        statutory = spec.get("statutory")
        if statutory not in (None, "cn"):
            raise ConfigError(path, f"{where}.statutory", f"'{statutory}' is not supported; use 'cn' or omit it")
        calendars[str(calendar_id)] = Calendar(
            str(calendar_id), _timezone(path, f"{where}.timezone", spec.get("timezone", "Asia/Shanghai")),
            weekly, makeup_hours, statutory,
            _dates(path, f"{where}.holidays", spec.get("holidays")),
            _dates(path, f"{where}.makeup_workdays", spec.get("makeup_workdays")),
        )
    return calendars


def load_settings(path: Path) -> Settings:
    document = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else {}
    document = document or {}
    key = os.environ.get("KPI_PSEUDONYM_KEY") or (document.get("pseudonymisation") or {}).get("key")
    if not key:
        raise ConfigError(
            path, "pseudonymisation.key",
            "no pseudonymisation key: set it here or in the KPI_PSEUDONYM_KEY environment variable",
        )
    sources = document.get("sources") or {}
    default_tz = _timezone(path, "sources.default_timezone", sources.get("default_timezone", "Asia/Shanghai"))
    platforms = {platform: spec for platform, spec in sources.items() if platform != "default_timezone"}
    for platform, spec in platforms.items():
        _check_source(path, platform, spec)
    per_source = {
        platform: _timezone(path, f"sources.{platform}.timezone", spec["timezone"])
        for platform, spec in platforms.items() if spec.get("timezone")
    }
    date_orders = {platform: spec["date_order"] for platform, spec in platforms.items() if spec.get("date_order")}
    return Settings(str(key).encode("utf-8"), default_tz, per_source, date_orders, _dashboards_lang(path, document))


def _dashboards_lang(path: Path, document: dict) -> str:
    """`dashboards: {lang: en|zh}`; English when absent."""
    spec = document.get("dashboards") or {}
    if not isinstance(spec, dict):
        raise ConfigError(path, "dashboards", "expected a mapping such as `lang: zh`")
    unknown = set(spec) - {"lang"}
    if unknown:
        raise ConfigError(path, "dashboards", f"unknown keys {sorted(unknown)}; expected lang")
    lang = spec.get("lang", "en")
    if lang not in DASHBOARD_LANGUAGES:
        raise ConfigError(path, "dashboards.lang", f"got {lang!r}; expected one of {', '.join(DASHBOARD_LANGUAGES)}")
    return lang


def _check_source(path: Path, platform: str, spec: object) -> None:
    """`sources.<platform>` is a mapping of known keys; `date_order` only where dates need it."""
    where = f"sources.{platform}"
    if platform not in PLATFORMS:
        raise ConfigError(path, where, f"unknown platform {platform!r}; expected one of {', '.join(sorted(PLATFORMS))}")
    if not isinstance(spec, dict):
        raise ConfigError(path, where, "expected a mapping such as `timezone: Asia/Shanghai`")
    unknown = set(spec) - {"timezone", "date_order"}
    if unknown:
        raise ConfigError(path, where, f"unknown keys {sorted(unknown)}; expected timezone and/or date_order")
    order = spec.get("date_order")
    if order is None:
        return
    if platform not in DATE_ORDER_FORMATS:
        raise ConfigError(path, f"{where}.date_order",
                          f"{platform} exports write unambiguous dates; date_order applies to "
                          f"{', '.join(sorted(DATE_ORDER_FORMATS))} only")
    if order not in DATE_ORDERS:
        raise ConfigError(path, f"{where}.date_order", f"got {order!r}; expected one of {', '.join(DATE_ORDERS)}")


def load_data_config(data_dir: Path) -> DataConfig:
    """Load and cross-validate every config file of a data folder.

    Several assets of one run need the config; the result is cached on the files' paths, sizes and
    modification times, so an edited file is always read again and an unchanged one only once.
    """
    data_dir = Path(data_dir)
    config = data_dir / "config"
    stamp = tuple(
        (p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(config.glob("*")) if p.is_file()
    ) if config.is_dir() else ()
    return _load_data_config(data_dir.resolve(), stamp, os.environ.get("KPI_PSEUDONYM_KEY"))


@functools.lru_cache(maxsize=8)
def _load_data_config(data_dir: Path, _stamp: tuple, _key_env: str | None) -> DataConfig:
    if not data_dir.is_dir():
        raise ConfigError(data_dir, None, "data folder not found")
    config = data_dir / "config"
    rubric = load_rubric(config / "rubric.yaml")
    calendars = load_calendars(config / "calendar.yaml")
    staff = load_staff(config / "roster.csv", rubric)
    staff_ids = {s.staff_id for s in staff}
    for person in staff:
        if person.calendar_id not in calendars:
            raise ConfigError(config / "roster.csv", f"line {person.line}",
                              f"unknown calendar_id '{person.calendar_id}'; calendar.yaml defines {sorted(calendars)}")
    handles = load_handles(config / "handles.csv", staff_ids)
    groups = load_groups(config / "groups.csv", staff_ids, set(calendars))
    for group in groups:
        if group.category not in rubric.group_categories:
            raise ConfigError(config / "groups.csv", f"line {group.line}",
                              f"category '{group.category}' has no weights in rubric.yaml group_categories")
    return DataConfig(data_dir, rubric, staff, handles, load_bots(config / "bots.csv"),
                      load_contacts(config / "contacts.csv"), groups, calendars,
                      load_settings(config / "settings.yaml"))


# --- derived tables -----------------------------------------------------------------------------


def pseudonym(key: bytes, platform: str, handle: str) -> str:
    """Keyed pseudonym of a member: stable across runs and files, irreversible without the key."""
    digest = hmac.new(key, f"{platform}:{handle}".encode("utf-8"), hashlib.sha256).hexdigest()
    return f"m_{digest[:16]}"


def _statutory_day(calendar: Calendar, day: dt.date) -> tuple[bool | None, bool]:
    """(is_open per statutory calendar or None when unknown, known)."""
    if calendar.statutory != "cn":
        return None, True
    import chinese_calendar  # local import: only calendars that ask for it pay for it

    try:
        return chinese_calendar.is_workday(day), True
    except NotImplementedError:
        return None, False


def calendar_tables(calendars: dict[str, Calendar], start: dt.date, end: dt.date) -> tuple[pl.DataFrame, pl.DataFrame, list[str]]:
    """Day types and open intervals (as UTC instants) for every calendar over [start, end].

    Returns (calendar_days, calendar_open_intervals, warnings). A day is open when it is a make-up
    workday, or a weekday with hours that is not a holiday.
    """
    day_rows, interval_rows, unknown_years = [], [], set()
    for calendar in calendars.values():
        zone = ZoneInfo(calendar.timezone)
        day = start
        while day <= end:
            statutory_open, known = _statutory_day(calendar, day)
            if not known:
                unknown_years.add((calendar.calendar_id, day.year))
            weekly = calendar.weekly_hours.get(day.weekday(), [])
            if day in calendar.makeup_workdays or (statutory_open is True and not weekly):
                day_type, hours = "makeup_workday", calendar.makeup_hours
            elif day in calendar.holidays or (statutory_open is False and weekly):
                day_type, hours = "holiday", []
            elif weekly:
                day_type, hours = "workday", weekly
            else:
                day_type, hours = "weekend", []
            day_rows.append((calendar.calendar_id, day, day_type, bool(hours)))
            for opens, closes in hours:
                opens_at = dt.datetime.combine(day, opens, zone).astimezone(dt.timezone.utc)
                closes_at = dt.datetime.combine(day, closes, zone).astimezone(dt.timezone.utc)
                interval_rows.append((calendar.calendar_id, day, opens_at, closes_at))
            day += dt.timedelta(days=1)
    days = pl.DataFrame(day_rows, orient="row", schema={
        "calendar_id": pl.String, "local_date": pl.Date, "day_type": pl.String, "is_business_day": pl.Boolean})
    intervals = pl.DataFrame(interval_rows, orient="row", schema={
        "calendar_id": pl.String, "local_date": pl.Date,
        "opens_at": pl.Datetime("us", "UTC"), "closes_at": pl.Datetime("us", "UTC")})
    warnings = [
        f"calendar {cid}: chinesecalendar has no statutory data for {year}; weekly hours only"
        for cid, year in sorted(unknown_years)
    ]
    return days, intervals, warnings


def check_statutory_years(calendars: dict[str, Calendar], path: Path, first: dt.date, last: dt.date) -> None:
    """Fail when the data reaches a year whose mainland-China holidays nobody has supplied.

    The bundled chinesecalendar data ends at a year (2026 for 1.11); business minutes over a Spring
    Festival counted as workdays would fail staff on SLA. A calendar that lists its own holidays or
    make-up workdays for that year (from the State Council notice) is fine; padding after the data
    only warns.
    """
    for calendar in calendars.values():
        if calendar.statutory != "cn":
            continue
        own_years = {d.year for d in calendar.holidays | calendar.makeup_workdays}
        for year in range(first.year, last.year + 1):
            if year in own_years or _statutory_day(calendar, dt.date(year, 6, 1))[1]:
                continue
            raise ConfigError(
                path, f"calendars.{calendar.calendar_id}",
                f"the data reaches {year} but the bundled statutory calendar stops before it; list {year}'s "
                f"holidays and make-up workdays (State Council notice) under holidays/makeup_workdays",
            )


def config_tables(config: DataConfig) -> dict[str, pl.DataFrame]:
    """Roster, handles, bots, groups and rubric as `raw.*` tables."""
    staff = pl.DataFrame(
        [(s.staff_id, s.name, s.role, s.team, s.manager_id, s.calendar_id, s.active_from, s.active_to) for s in config.staff],
        orient="row",
        schema={"staff_id": pl.String, "name": pl.String, "role": pl.String, "team": pl.String,
                "manager_id": pl.String, "calendar_id": pl.String, "active_from": pl.Date, "active_to": pl.Date},
    )
    handles = pl.DataFrame(
        [(h.staff_id, h.platform, h.handle, h.valid_from, h.valid_to) for h in config.handles], orient="row",
        schema={"staff_id": pl.String, "platform": pl.String, "handle": pl.String,
                "valid_from": pl.Date, "valid_to": pl.Date},
    )
    bots = pl.DataFrame(config.bots, orient="row", schema={"platform": pl.String, "handle": pl.String})
    contacts = pl.DataFrame(config.contacts, orient="row",
                            schema={"platform": pl.String, "handle": pl.String, "name": pl.String})
    groups = pl.DataFrame(
        [(g.group_id, g.platform, g.source_key, g.name, g.category, g.owner_staff_id, g.calendar_id) for g in config.groups],
        orient="row",
        schema={"group_id": pl.String, "platform": pl.String, "source_key": pl.String, "name": pl.String,
                "category": pl.String, "owner_staff_id": pl.String, "calendar_id": pl.String},
    )
    group_staff = pl.DataFrame(
        sorted({(g.group_id, s, "owner" if s == g.owner_staff_id else "assigned")
                for g in config.groups for s in (g.owner_staff_id, *g.assigned_staff_ids)}),
        orient="row", schema={"group_id": pl.String, "staff_id": pl.String, "relation": pl.String},
    )
    return {"staff": staff, "staff_handles": handles, "bots": bots, "contacts": contacts, "groups": groups,
            "group_staff": group_staff, **rubric_tables(config.rubric)}
