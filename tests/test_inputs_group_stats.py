"""Platform group statistics input kind on hand-written fixtures (tests/fixtures/inputs/group_stats/).

2026-05_群统计.csv is a UTF-8-with-BOM sheet with Chinese headers: good rows identified by group_id
and by platform + source_key (with formatted counts: `1,204`, `1.2万`, blanks), then one row per
quarantine reason, a repeated group-day and a blank padding row. telegram_2026-05.csv uses the
English headers. XLSX, GB18030 and header errors are written in the tests.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import duckdb
import polars as pl
import pytest

from assets.ingest.errors import ExportReadError
from assets.inputs import group_stats
from assets.inputs.base import InputResult, sync_inputs

FIXTURES = Path(__file__).parent / "fixtures" / "inputs" / "group_stats"
CHINESE = "2026-05_群统计.csv"
DATA_COLUMNS = ["group_id", "platform", "source_key", "group_name", "stat_date", "member_total", "new_member_cnt",
                "left_member_cnt", "msg_total"]
ROOM = "wro08WurfBen6YXQbyzdTn6nMf9dd9HA"


def parse(name: str, path: Path | None = None) -> InputResult:
    return group_stats.parse(path or FIXTURES / name, f"inputs/group_stats/{name}")


def test_chinese_headers_and_formatted_counts() -> None:
    result = parse(CHINESE)
    assert result.rows.schema == pl.Schema(group_stats.SCHEMA | {
        "source_record": pl.Int64(), "source_record_label": pl.String()})
    assert result.rows.select(*DATA_COLUMNS, "source_record_label").rows() == [
        ("G01", None, None, "会员服务1群", date(2026, 5, 1), 312, 5, 2, 1204, "line 2"),
        (None, "wecom", ROOM, "会员服务2群", date(2026, 5, 1), 12000, 30, None, 860, "line 3"),
        ("G01", None, None, "会员服务1群", date(2026, 5, 2), 315, 4, 1, None, "line 4"),
        ("G04", "wecom", "wrIZxSegRJiUdK08bJvhem0FrmQpEDyd", "新品推广群", date(2026, 5, 2), 88, None, None, None,
         "line 5"),
    ]


def test_english_headers() -> None:
    result = parse("telegram_2026-05.csv")
    assert result.quarantine.is_empty()
    assert result.rows.select(DATA_COLUMNS).rows() == [
        (None, "telegram", "1874302265", None, date(2026, 5, 1), 1024, 12, 3, 455),
        (None, "telegram", "1874302265", None, date(2026, 5, 2), 1033, 10, 1, None),
        ("G03", None, None, None, date(2026, 5, 3), 1030, None, None, None),
    ]


def test_every_quarantine_reason() -> None:
    result = parse(CHINESE)
    assert dict(result.quarantine.select("source_record_label", "reason").iter_rows()) == {
        "line 6": "no group: expected group_id (the config's group id), or platform and source_key (the platform's chat id)",
        "line 7": "platform wecom without source_key: expected the platform's chat id (e.g. a WeCom roomid), or group_id",
        "line 8": ("source_key 1874302265 without platform: the same chat id can exist on two platforms; add platform "
                   "or use group_id"),
        "line 9": ("platform weixin is not one of: wecom, wechat, telegram, qq, whatsapp, slack, discord, douyin, "
                   "kuaishou, 企业微信, 企微, 微信, QQ群, 抖音, 快手"),
        "line 10": "stat_date 5月1日 is not a date (expected e.g. 2026-05-01, 2026/5/1 or 2026年5月1日)",
        "line 11": "stat_date 2026-05-01 18:00 has a time of day; expected the statistics day (e.g. 2026-05-01)",
        "line 12": "member_total -3 is negative; expected a count ≥ 0",
        "line 13": ("member_total 很多 is not a count (expected e.g. 1234, 1,234, 1.2万 or 1.2w); "
                    "left_member_cnt -1 is negative; expected a count ≥ 0"),
        "line 14": "no statistics: member_total, new_member_cnt, left_member_cnt, msg_total are all blank",
        "line 15": "duplicate of line 2 (same group G01 and stat_date 2026-05-01); the first is kept",
    }
    assert result.quarantine["source_record"].to_list() == list(range(6, 16))
    assert result.quarantine["raw_snippet"][0] == (
        "group_id=; platform=; source_key=; group_name=无名群; stat_date=2026-05-01; member_total=50; "
        "new_member_cnt=1; left_member_cnt=0; msg_total=10")


def test_gb18030_gives_the_same_rows(tmp_path: Path) -> None:
    text = (FIXTURES / CHINESE).read_text(encoding="utf-8-sig")
    path = tmp_path / "gbk.csv"
    path.write_bytes(text.replace("\n", "\r\n").encode("gb18030"))
    assert parse("gbk.csv", path).rows.equals(parse(CHINESE).rows)


def test_xlsx_variant(tmp_path: Path) -> None:
    path = tmp_path / "群统计.xlsx"
    pl.DataFrame({
        "群ID": [ROOM, ROOM, "wr_other"],
        "平台": ["企业微信", "企业微信", "wecom"],
        "日期": [date(2026, 5, 1), date(2026, 5, 2), date(2026, 5, 2)],
        "群人数": [201, 203, -5],
        "入群人数": [3, 2, 0],
        "退群人数": [None, 0, 0],
    }).write_excel(path)
    result = parse("群统计.xlsx", path)
    assert result.rows.select(*DATA_COLUMNS, "source_record_label").rows() == [
        (None, "wecom", ROOM, None, date(2026, 5, 1), 201, 3, None, None, "Sheet1!row 2"),
        (None, "wecom", ROOM, None, date(2026, 5, 2), 203, 2, 0, None, "Sheet1!row 3"),
    ]
    assert result.quarantine.select("source_record", "source_record_label", "reason").rows() == [
        (4, "Sheet1!row 4", "member_total -5 is negative; expected a count ≥ 0")]


@pytest.mark.parametrize(("header", "expected"), [
    ("群ID,平台,日期,群成员数,活跃人数", "unknown header(s) '活跃人数'"),
    ("群ID,平台,群成员数", "missing required column(s) stat_date"),
    ("群ID,平台,日期,群成员数,群人数", "two headers mean 'member_total'"),
])
def test_header_errors(tmp_path: Path, header: str, expected: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(header + "\n", encoding="utf-8")
    with pytest.raises(ExportReadError, match="inputs/group_stats/bad.csv") as error:
        parse("bad.csv", path)
    assert expected in error.value.reason


def test_kind_is_declared() -> None:
    kind = group_stats.KIND
    assert (kind.name, kind.table, kind.version) == ("group_stats", "raw.group_daily_stats", "1")
    assert "never sum it across days" in kind.description


def test_loading_twice_is_idempotent(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES, tmp_path / "inputs" / "group_stats")
    kinds = {"group_stats": group_stats.KIND}
    con = duckdb.connect()

    def counts() -> tuple:
        return con.sql("""
            select
                (select count(*) from raw.group_daily_stats),
                (select count(*) from raw.input_quarantine where input_kind = 'group_stats'),
                (select sum(member_total) from raw.group_daily_stats),
        """).fetchall()[0]

    sync_inputs(con, tmp_path, kinds)
    assert counts() == (4 + 3, 10, 312 + 12000 + 315 + 88 + 1024 + 1033 + 1030)
    report = sync_inputs(con, tmp_path, kinds)
    assert counts() == (7, 10, 15802)
    assert all(f["skipped"] for f in report.files)
