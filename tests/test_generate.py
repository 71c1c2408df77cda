"""data_samples/generate.py: determinism, format validity and coverage of the sample data folder.

The sample folder is what `make run` grades out of the box, so these tests pin down that it stays
reproducible (same seed, same bytes; the committed copy is the generator's output) and that it keeps
exercising every rule KPI_SPEC §1-§4 needs: registry columns, calendars, handles changing owner,
holiday / make-up-day timing, recalls, bots, violations and the unregistered-group path.
"""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from types import ModuleType

import chinese_calendar
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data_samples"
GENERATOR = SAMPLES / "generate.py"
SHANGHAI = timezone(timedelta(hours=8))
NATIONAL_DAY = [date(2026, 10, d) for d in range(1, 8)]


def run_generator(out: Path, *args: str) -> None:
    subprocess.run([sys.executable, str(GENERATOR), "--out", str(out), *args], check=True, capture_output=True)


def snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def comparable(files: dict[str, bytes]) -> dict[str, object]:
    """What to compare between two copies of the folder: bytes, except XLSX workbooks by their cells.
    A workbook is a zip whose deflated bytes depend on the zlib build, so one regenerated on another
    machine may differ in bytes and not in content (on one machine the bytes are fixed too)."""
    return {path: xlsx_cells(data) if path.endswith(".xlsx") else data for path, data in files.items()}


def xlsx_cells(data: bytes) -> dict[str, list[tuple]]:
    import io

    import polars as pl

    sheets = pl.read_excel(io.BytesIO(data), sheet_id=0, has_header=False, infer_schema_length=0,
                           drop_empty_rows=False)
    return {name: frame.rows() for name, frame in sheets.items()}


def read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


@dataclass(frozen=True)
class Record:
    platform: str
    source_key: str
    at: datetime  # local (Asia/Shanghai)
    sender: str
    kind: str
    text: str
    reply_to: int | None = None


def load_records(root: Path) -> list[Record]:
    """Every message and recall (WeCom de-duplicated by msgid; Telegram service messages excluded)."""
    records, seen = [], set()
    for path in sorted((root / "exports" / "wecom").glob("*/*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            raw = json.loads(line)
            if raw["msgid"] in seen or raw["action"] == "switch":
                continue
            seen.add(raw["msgid"])
            at = datetime.fromtimestamp(raw["msgtime"] / 1000, SHANGHAI)
            text = raw["text"]["content"] if raw["msgtype"] == "text" else ""
            records.append(Record("wecom", raw["roomid"], at, raw["from"], raw["msgtype"], text))
    for path in sorted((root / "exports" / "telegram").glob("*/result.json")):
        chat = json.loads(path.read_text(encoding="utf-8"))
        for msg in chat["messages"]:
            if msg["type"] != "message":
                continue
            text = msg["text"] if isinstance(msg["text"], str) else "".join(
                part if isinstance(part, str) else part["text"] for part in msg["text"])
            at = datetime.fromtimestamp(int(msg["date_unixtime"]), SHANGHAI)
            records.append(Record("telegram", str(chat["id"]), at, msg["from_id"], msg.get("media_type", "text"),
                                  text, msg.get("reply_to_message_id")))
    return records


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("samples")
    run_generator(out)
    return out


@pytest.fixture(scope="module")
def records(generated: Path) -> list[Record]:
    return load_records(generated)


@pytest.fixture(scope="module")
def rubric() -> dict:
    return yaml.safe_load((SAMPLES / "config" / "rubric.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def generator() -> ModuleType:
    # exec instead of an import: no __pycache__ lands in data_samples/ (it would count against its size)
    module = ModuleType("sample_generator")
    module.__file__ = str(GENERATOR)
    sys.modules[module.__name__] = module  # dataclasses resolve annotations through sys.modules
    exec(compile(GENERATOR.read_text(encoding="utf-8"), str(GENERATOR), "exec"), module.__dict__)
    return module


@pytest.fixture(scope="module")
def staff_handles(generated: Path) -> set[tuple[str, str]]:
    return {(row["platform"], row["handle"]) for row in read_csv(generated / "config" / "handles.csv")[1]}


@pytest.fixture(scope="module")
def bot_handles(generated: Path) -> set[tuple[str, str]]:
    return {(row["platform"], row["handle"]) for row in read_csv(generated / "config" / "bots.csv")[1]}


def is_open(at: datetime) -> bool:
    """The cn_office calendar, straight from chinesecalendar (independent of the generator)."""
    return chinese_calendar.is_workday(at.date()) and 9 <= at.hour < 18


def has_any(text: str, terms: list[str]) -> bool:
    """KPI_SPEC §3 lexicon match: Chinese terms as substrings, Latin words whole-word, any case."""
    for term in terms:
        if re.fullmatch(r"[A-Za-z ]+", term):
            if re.search(rf"\b{re.escape(term)}\b", text, re.IGNORECASE):
                return True
        elif term in text:
            return True
    return False


# --- determinism and safety ------------------------------------------------------------------------
def test_same_seed_gives_identical_bytes_and_seed_matters(tmp_path: Path) -> None:
    run_generator(tmp_path / "a", "--seed", "7")
    run_generator(tmp_path / "b", "--seed", "7")
    run_generator(tmp_path / "c", "--seed", "8")
    first, second, other = (snapshot(tmp_path / name) for name in "abc")
    assert first and first == second
    assert first != other


def test_rerun_keeps_rubric_and_readme_and_drops_stale_exports(tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "rubric.yaml").write_text("sentinel: rubric\n", encoding="utf-8")
    (tmp_path / "README.md").write_text("sentinel readme\n", encoding="utf-8")
    stale = tmp_path / "exports" / "wecom" / "wrSTALE" / "2026-01.jsonl"
    stale.parent.mkdir(parents=True)
    stale.write_text("{}\n", encoding="utf-8")
    run_generator(tmp_path)
    assert (tmp_path / "config" / "rubric.yaml").read_text(encoding="utf-8") == "sentinel: rubric\n"
    assert (tmp_path / "README.md").read_text(encoding="utf-8") == "sentinel readme\n"
    assert not stale.parent.exists()


def test_committed_sample_is_the_generator_output(generated: Path) -> None:
    produced = snapshot(generated)
    committed = {path: (SAMPLES / path).read_bytes() for path in produced if (SAMPLES / path).is_file()}
    assert sorted(committed) == sorted(produced), "run `make samples` to refresh data_samples/"
    assert comparable(committed) == comparable(produced), "run `make samples` to refresh data_samples/"
    exports = {p.relative_to(SAMPLES).as_posix() for p in (SAMPLES / "exports").rglob("*") if p.is_file()}
    assert exports == {path for path in produced if path.startswith("exports/")}


def test_output_stays_under_4_mb(generated: Path) -> None:
    assert sum(len(data) for data in snapshot(generated).values()) < 4_000_000


# --- config files ----------------------------------------------------------------------------------
def test_config_columns(generated: Path) -> None:
    config = generated / "config"
    expected = {
        "roster.csv": ["staff_id", "name", "role", "team", "manager_id", "calendar_id", "active_from", "active_to"],
        "handles.csv": ["staff_id", "platform", "handle", "valid_from", "valid_to"],
        "bots.csv": ["platform", "handle", "note"],
        "groups.csv": ["group_id", "platform", "source_key", "name", "category", "owner_staff_id",
                       "assigned_staff_ids", "calendar_id"],
    }
    for name, columns in expected.items():
        header, rows = read_csv(config / name)
        assert header == columns, name
        assert rows, name


def test_roster_and_groups_are_consistent(generated: Path, rubric: dict) -> None:
    _, roster = read_csv(generated / "config" / "roster.csv")
    _, groups = read_csv(generated / "config" / "groups.csv")
    calendars = yaml.safe_load((generated / "config" / "calendar.yaml").read_text(encoding="utf-8"))["calendars"]
    staff = {row["staff_id"]: row for row in roster}
    assert len(staff) == len(roster) >= 12
    roles = Counter(row["role"] for row in roster)
    assert len(roles) >= 3 and set(roles) <= set(rubric["staff_roles"])
    assert 1 <= roles["team_lead"] <= 2 and roles["customer_service"] > roles["community_ops"]
    for row in roster:
        assert row["calendar_id"] in calendars
        assert row["manager_id"] == "" or staff[row["manager_id"]]["role"] == "team_lead"
    assert any(row["active_from"] == "2026-05-15" for row in roster)
    assert any(row["active_to"] == "2026-08-31" for row in roster)

    assert len(groups) >= 6
    assert {row["category"] for row in groups} == {"customer_service", "promotion", "staff", "partner"}
    platforms = Counter(row["platform"] for row in groups)
    assert platforms["telegram"] >= 2 and platforms["wecom"] > platforms["telegram"]
    for row in groups:
        assert row["owner_staff_id"] in staff and row["calendar_id"] in calendars
        assert all(staff_id in staff for staff_id in row["assigned_staff_ids"].split(";"))
        if row["platform"] == "wecom":
            assert re.fullmatch(r"wr[0-9A-Za-z]{30}", row["source_key"])
        else:
            assert row["source_key"].isdigit()


def test_handles(generated: Path) -> None:
    _, roster = read_csv(generated / "config" / "roster.csv")
    _, handles = read_csv(generated / "config" / "handles.csv")
    _, groups = read_csv(generated / "config" / "groups.csv")
    assert {row["staff_id"] for row in handles if row["platform"] == "wecom"} == {row["staff_id"] for row in roster}
    telegram_staff = {row["staff_id"] for row in handles if row["platform"] == "telegram"}
    for group in groups:
        if group["platform"] == "telegram":
            assert set(group["assigned_staff_ids"].split(";")) <= telegram_staff
    claims = defaultdict(list)
    for row in handles:
        claims[(row["platform"], row["handle"])].append(
            (row["valid_from"] or "0000-00-00", row["valid_to"] or "9999-99-99", row["staff_id"]))
    shared = [spans for spans in claims.values() if len({owner for _, _, owner in spans}) > 1]
    assert shared, "one handle should change owner during the period"
    for spans in claims.values():
        spans.sort()
        for (_, end, _), (start, _, _) in zip(spans, spans[1:]):
            assert end < start, f"overlapping claims {spans}"


def test_calendar_yaml(generated: Path) -> None:
    calendars = yaml.safe_load((generated / "config" / "calendar.yaml").read_text(encoding="utf-8"))["calendars"]
    office = calendars["cn_office"]
    assert office["timezone"] == "Asia/Shanghai" and office["statutory"] == "cn"
    assert set(office["weekly_hours"]) == {"mon", "tue", "wed", "thu", "fri"}
    assert all(hours == ["09:00-18:00"] for hours in office["weekly_hours"].values())
    holidays, makeup = set(office["holidays"]), set(office["makeup_workdays"])
    assert set(NATIONAL_DAY) <= holidays
    assert {date(2026, 4, 6), date(2026, 5, 1), date(2026, 5, 5), date(2026, 6, 19), date(2026, 9, 25)} <= holidays
    assert makeup == {d for d in makeup if d.weekday() >= 5}
    assert {date(2026, 5, 9), date(2026, 9, 20), date(2026, 10, 10)} <= makeup
    assert all(not chinese_calendar.is_workday(d) for d in holidays)
    assert all(chinese_calendar.is_workday(d) for d in makeup)


def test_settings_yaml_marks_the_key_sample_only(generated: Path) -> None:
    text = (generated / "config" / "settings.yaml").read_text(encoding="utf-8")
    settings = yaml.safe_load(text)
    assert settings["sources"]["default_timezone"] == "Asia/Shanghai"
    assert "SAMPLE" in settings["pseudonymisation"]["key"].upper() and "SAMPLE ONLY" in text


# --- export formats --------------------------------------------------------------------------------
def test_every_wecom_line_is_a_valid_archive_record(generated: Path) -> None:
    actions = Counter()
    for path in sorted((generated / "exports" / "wecom").glob("*/*.jsonl")):
        assert re.fullmatch(r"\d{4}-\d{2}\.jsonl", path.name)
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            raw = json.loads(line)
            where = f"{path.name} line {number}"
            assert isinstance(raw, dict) and isinstance(raw["msgid"], str), where
            actions[raw["action"]] += 1
            if raw["action"] == "switch":
                assert set(raw) == {"msgid", "action", "time", "user"}, where
                continue
            assert {"msgid", "action", "from", "tolist", "roomid", "msgtime", "msgtype"} <= set(raw), where
            assert raw["roomid"] == path.parent.name and isinstance(raw["msgtime"], int), where
            assert isinstance(raw["tolist"], list) and raw["msgtype"] in raw, where
            assert re.fullmatch(rf"\d{{19}}_{raw['msgtime']}(_external)?", raw["msgid"]), where
            if raw["msgtype"] == "revoke":
                assert raw["action"] == "recall" and raw["revoke"]["pre_msgid"], where
            if raw["msgtype"] == "image":
                assert set(raw["image"]) == {"md5sum", "filesize", "sdkfileid"}, where
    assert actions["recall"] >= 2 and actions["switch"] == 1


def test_recalls_name_earlier_messages(generated: Path) -> None:
    times, recalls = {}, []
    for path in sorted((generated / "exports" / "wecom").glob("*/*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            raw = json.loads(line)
            if raw["action"] != "switch":
                times[raw["msgid"]] = raw["msgtime"]
            if raw["action"] == "recall":
                recalls.append(raw)
    assert recalls
    assert all(times[r["revoke"]["pre_msgid"]] < r["msgtime"] for r in recalls)


def test_consecutive_monthly_files_overlap_by_one_day(generated: Path) -> None:
    def by_day(path: Path) -> dict[date, set[str]]:
        days = defaultdict(set)
        for line in path.read_text(encoding="utf-8").splitlines():
            raw = json.loads(line)
            days[datetime.fromtimestamp(raw.get("msgtime", raw.get("time", 0)) / 1000, SHANGHAI).date()].add(line)
        return days

    overlapping_pairs = 0
    for room in sorted((generated / "exports" / "wecom").iterdir()):
        files = sorted(room.glob("*.jsonl"))
        for earlier, later in zip(files, files[1:]):
            first_day = date.fromisoformat(later.stem + "-01")
            before, after = by_day(earlier), by_day(later)
            assert max(before) <= first_day and min(after) >= first_day, (earlier, later)
            assert before.get(first_day, set()) == after.get(first_day, set()), (earlier, later)
            overlapping_pairs += bool(after.get(first_day))
    assert overlapping_pairs >= 10


def test_telegram_exports(generated: Path) -> None:
    folders = sorted((generated / "exports" / "telegram").glob("*/result.json"))
    assert len(folders) >= 2
    actions, text_kinds, stickers, replies = Counter(), Counter(), 0, 0
    for path in folders:
        raw = path.read_text(encoding="utf-8")
        chat = json.loads(raw)
        assert list(chat) == ["name", "type", "id", "messages"] and chat["type"] == "private_supergroup"
        assert isinstance(chat["id"], int) and raw.startswith('{\n "name"')
        ids = [msg["id"] for msg in chat["messages"]]
        assert ids == sorted(set(ids))
        for msg in chat["messages"]:
            local = datetime.fromtimestamp(int(msg["date_unixtime"]), SHANGHAI).strftime("%Y-%m-%dT%H:%M:%S")
            assert msg["date"] == local
            if msg["type"] == "service":
                actions[msg["action"]] += 1
                assert msg["actor_id"].startswith("user")
                continue
            assert re.fullmatch(r"user\d+", msg["from_id"]) and msg["from"]
            assert isinstance(msg["text_entities"], list)
            text_kinds[type(msg["text"]).__name__] += 1
            stickers += msg.get("media_type") == "sticker" and bool(msg.get("sticker_emoji"))
            replies += msg.get("reply_to_message_id") in ids
    assert {"invite_members", "join_group_by_link", "remove_members"} <= set(actions)
    assert text_kinds["str"] and text_kinds["list"] and stickers and replies


# --- coverage of the KPI rules ---------------------------------------------------------------------
def test_unregistered_export_exists(generated: Path, records: list[Record]) -> None:
    _, groups = read_csv(generated / "config" / "groups.csv")
    registered = {(row["platform"], row["source_key"]) for row in groups}
    exported = {(r.platform, r.source_key) for r in records}
    assert registered <= exported
    assert len(exported - registered) == 1


def test_timing_coverage(records: list[Record], staff_handles: set, bot_handles: set, rubric: dict) -> None:
    question_terms = rubric["lexicons"]["question"]
    staff_days = {r.at.date() for r in records if (r.platform, r.sender) in staff_handles}
    assert date(2026, 9, 20) in staff_days, "staff should work on the make-up workday"
    assert {r.at.date() for r in records} & set(NATIONAL_DAY), "members write during the National Day holiday"
    assert date(2026, 10, 8) in staff_days
    member_questions = [r for r in records if (r.platform, r.sender) not in staff_handles | bot_handles
                        and r.kind == "text" and has_any(r.text, question_terms)]
    after_hours = [r for r in member_questions if not is_open(r.at)]
    assert len(after_hours) >= 50
    assert min(r.at for r in records).date() == date(2026, 4, 1)
    assert max(r.at for r in records).date() == date(2026, 10, 9)


def test_conversation_coverage(records: list[Record], staff_handles: set, bot_handles: set, rubric: dict) -> None:
    members = [r for r in records if (r.platform, r.sender) not in staff_handles | bot_handles]
    staff = [r for r in records if (r.platform, r.sender) in staff_handles]
    assert any(has_any(r.text, rubric["lexicons"]["complaint"]) for r in members)
    assert any(r.text.startswith("@") for r in staff if r.platform == "wecom")
    assert any(not r.text.startswith("@") for r in staff if r.platform == "wecom")
    assert any(r.reply_to for r in staff) and any(r.reply_to is None for r in staff if r.platform == "telegram")
    assert sum(1 for r in records if (r.platform, r.sender) in bot_handles) >= 3
    assert any(r.kind in ("image", "emotion") for r in members)


def test_violations_are_planted(records: list[Record], staff_handles: set) -> None:
    members = [r for r in records if (r.platform, r.sender) not in staff_handles]
    assert any(re.search(r"(?<!\d)1[3-9]\d{9}(?!\d)", r.text) for r in members)
    assert any("加微信" in r.text and "兼职" in r.text and "http" in r.text for r in members)
    assert any("他妈的" in r.text for r in members)
    floods = defaultdict(list)
    for r in members:
        if r.text:
            floods[(r.source_key, r.sender, r.text)].append(r.at)
    assert any(len(times) >= 5 and max(times) - min(times) <= timedelta(minutes=10)
               for times in floods.values() if len(times) <= 8)


def test_members_keep_handles_across_renames(generated: Path) -> None:
    names = defaultdict(set)
    for path in sorted((generated / "exports" / "telegram").glob("*/result.json")):
        for msg in json.loads(path.read_text(encoding="utf-8"))["messages"]:
            if msg["type"] == "message":
                names[msg["from_id"]].add(msg["from"])
    assert any(len(display) > 1 for display in names.values())


# --- the text pools match the rubric lexicons (otherwise the data would not exercise them) ----------
def test_text_pools_match_rubric_lexicons(generator: ModuleType, rubric: dict) -> None:
    lexicons = rubric["lexicons"]
    for name, topic in generator.TOPICS.items():
        for question, _ in topic.questions + topic.followups:
            assert has_any(question, lexicons["question"]), (name, question)
        for complaint, _ in topic.complaints:
            assert has_any(complaint, lexicons["complaint"]), (name, complaint)
        for text in topic.chat:
            assert not has_any(text, lexicons["question"] + lexicons["complaint"]), (name, text)
    for ack in generator.ACKS:
        trimmed = re.sub(r"[\W_]+", "", ack)
        assert trimmed == "" or trimmed in lexicons["acknowledgement"], ack
    assert all(has_any(nudge, lexicons["question"]) for nudge in generator.NUDGES)
