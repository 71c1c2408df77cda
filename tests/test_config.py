"""Config validation: each mistake is one error naming the file, the line or key, and the fix."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from pipelines.config import calendar_tables, load_calendars, load_data_config
from pipelines.errors import ConfigError
from pipelines.rubric import lexicon_pattern, load_rubric

SAMPLES = Path(__file__).resolve().parents[1] / "data_samples"


def _copy_rubric(tmp_path: Path, old: str, new: str) -> Path:
    path = tmp_path / "rubric.yaml"
    text = (SAMPLES / "config" / "rubric.yaml").read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_sample_config_is_valid():
    config = load_data_config(SAMPLES)
    assert len(config.staff) >= 12 and len({s.role for s in config.staff}) >= 3
    assert {g.category for g in config.groups} == {"customer_service", "promotion", "staff", "partner"}


@pytest.mark.parametrize(
    "old, new, message",
    [
        ("staff_messages:          {floor: 100, target: 600", "staff_mesages:          {floor: 100, target: 600",
         "unknown staff metric"),
        ("response_rate:           {floor: 0.6, target: 0.98", "response_rate:           {floor: 0.6, target: 0.6",
         "floor and target are both 0.6"),
        ("median_response_business_minutes: {floor: 60, target: 10", "median_response_business_minutes: {floor: 10, target: 60",
         "lower is better for this metric"),
        ("{grade: good, min_score: 75}", "{grade: good, min_score: 95}", "highest first"),
    ],
)
def test_rubric_errors(tmp_path, old, new, message):
    with pytest.raises(ConfigError, match=message):
        load_rubric(_copy_rubric(tmp_path, old, new))


def test_lexicon_pattern_latin_whole_words_chinese_substrings():
    import re

    pattern = lexicon_pattern(["can i", "吗", "?"]).replace("(?i)", "")
    assert re.search(pattern, "Can I pay?".lower())
    assert re.search(pattern, "好吗")
    assert not re.search(pattern, "scan it")


def test_calendar_statutory_holidays_and_makeup_days():
    calendars = load_calendars(SAMPLES / "config" / "calendar.yaml")
    days, intervals, warnings = calendar_tables(calendars, dt.date(2026, 9, 18), dt.date(2026, 10, 10))
    types = dict(zip(days["local_date"].to_list(), days["day_type"].to_list()))
    assert types[dt.date(2026, 9, 20)] == "makeup_workday"
    assert types[dt.date(2026, 10, 1)] == "holiday"
    assert types[dt.date(2026, 10, 10)] == "makeup_workday"
    assert types[dt.date(2026, 9, 19)] == "weekend"
    first = intervals.filter(intervals["local_date"] == dt.date(2026, 9, 18)).row(0, named=True)
    assert first["opens_at"].hour == 1  # 09:00 Asia/Shanghai is 01:00 UTC
    assert warnings == []


def test_calendar_errors(tmp_path):
    path = tmp_path / "calendar.yaml"
    path.write_text("calendars:\n  c:\n    weekly_hours:\n      mon: ['18:00-09:00']\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="ends before it starts"):
        load_calendars(path)


def test_unknown_group_calendar(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(SAMPLES / "config", data / "config")
    groups = data / "config" / "groups.csv"
    groups.write_text(groups.read_text(encoding="utf-8").replace(",cn_office", ",nowhere", 1), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"groups.csv line 2: unknown calendar_id 'nowhere'"):
        load_data_config(data)


def _settings(tmp_path: Path, sources: str) -> Path:
    path = tmp_path / "settings.yaml"
    path.write_text('pseudonymisation:\n  key: "k"\nsources:\n' + sources, encoding="utf-8")
    return path


def test_source_options_per_platform(tmp_path):
    from pipelines.config import load_settings

    settings = load_settings(_settings(tmp_path, "  default_timezone: Europe/Berlin\n"
                                                 "  whatsapp: {timezone: America/New_York, date_order: month_first}\n"))
    assert settings.source_options("whatsapp").timezone == "America/New_York"
    assert settings.source_options("whatsapp").date_order == "month_first"
    assert settings.source_options("telegram").timezone == "Europe/Berlin"
    assert settings.source_options("telegram").date_order == "auto"


@pytest.mark.parametrize(
    "sources, message",
    [
        ("  whatsapp: {date_order: middle_first}\n", r"sources.whatsapp.date_order: got 'middle_first'; expected one of auto"),
        ("  telegram: {date_order: month_first}\n", "telegram exports write unambiguous dates"),
        ("  whatsap: {timezone: UTC}\n", "unknown platform 'whatsap'"),
        ("  whatsapp: {tz: UTC}\n", r"unknown keys \['tz'\]"),
    ],
)
def test_source_option_errors(tmp_path, sources, message):
    from pipelines.config import load_settings

    with pytest.raises(ConfigError, match=message):
        load_settings(_settings(tmp_path, sources))


def test_mixed_script_lexicon_terms_match_as_substrings():
    import re

    pattern = lexicon_pattern(["加V", "OK"]).replace("(?i)", "")
    assert re.search(pattern, "请加V详聊") and re.search(pattern, "OK 👍")
    assert not re.search(pattern, "BOOK")


@pytest.mark.parametrize(
    "old, new, message",
    [
        ("evaluation_weights: {self: 0.1, supervisor: 0.4, peer: 0.2, customer: 0.3}",
         "evaluation_weights: {self: 0, supervisor: 0, peer: 0, customer: 0}", "at least one rater type"),
        ("flood: {messages: 5, window_minutes: 10}", "flood: {messages: 1, window_minutes: 10}",
         "greater than or equal to 2"),
        ("  abuse: [", "  abusive: [", "abusive"),
    ],
)
def test_violation_and_evaluation_settings_are_validated(tmp_path, old, new, message):
    with pytest.raises(ConfigError, match=message):
        load_rubric(_copy_rubric(tmp_path, old, new))


def test_data_in_a_year_without_statutory_holidays_must_list_them(tmp_path):
    from pipelines.config import check_statutory_years

    calendars = load_calendars(SAMPLES / "config" / "calendar.yaml")
    path = SAMPLES / "config" / "calendar.yaml"
    check_statutory_years(calendars, path, dt.date(2026, 3, 1), dt.date(2026, 12, 31))  # bundled: fine
    with pytest.raises(ConfigError, match="the data reaches 2027 but the bundled statutory calendar stops"):
        check_statutory_years(calendars, path, dt.date(2026, 12, 1), dt.date(2027, 2, 1))
    text = path.read_text(encoding="utf-8")
    own = tmp_path / "calendar.yaml"
    marker = "    holidays:                     # closed dates\n"
    assert marker in text
    own.write_text(text.replace(marker, marker + "      - 2027-01-01\n", 1), encoding="utf-8")
    check_statutory_years(load_calendars(own), own, dt.date(2026, 12, 1), dt.date(2027, 2, 1))


def test_contacts_read_in_one_pass_match_the_line_by_line_reader_and_bad_rows_name_their_line(tmp_path):
    """The vectorised contacts reader must give exactly what the csv module gives (quoted commas
    and line breaks, CJK, BOM, CRLF, blank rows, padding); a bad row falls back to the line-by-line
    reader, whose error names the line."""
    from pipelines.config import _read_csv, load_contacts

    path = tmp_path / "contacts.csv"
    path.write_bytes(
        "\ufeffplatform,handle,name\r\n"
        "wecom,wmA, 张三 \r\n"
        "\r\n"
        'wecom,wmB,"Li, Si"\r\n'
        'wecom,wmC,"two\nlines"\r\n'
        ',,\r\n'
        'telegram,user9,"say ""hi"""\r\n'.encode("utf-8")
    )
    slow = [(row["platform"], row["handle"], row["name"]) for _, row in _read_csv(path, ("platform", "handle", "name"))]
    assert load_contacts(path) == slow
    assert [name for *_, name in slow] == ["张三", "Li, Si", "two\nlines", 'say "hi"']
    path.write_text("platform,handle,name\nwecom,wmA,Zhang\nfax,wmB,Li\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"line 3.*unknown platform 'fax'"):
        load_contacts(path)
