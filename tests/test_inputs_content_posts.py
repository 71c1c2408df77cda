"""Short-video content input kind (assets/inputs/content_posts.py) on hand-made fixtures.

tests/fixtures/inputs/content_posts/ is laid out as a data folder's `inputs/content_posts/`:
- douyin/dy_store01/2026-06_作品数据.csv: a Douyin creator-center download (UTF-8 with BOM, CRLF,
  a `数据更新时间` note row above the header, formatted counts, `-`/`--` for no data, console extras);
- kuaishou/ks_store01/photos_2026-06.csv: GB18030, epoch-millisecond times, a 快手号 column with one
  row of another account and one blank;
- douyin/dy_api/video_list.csv: English open-platform field names, epoch seconds, share_count and
  forward_count both present;
- douyin/dy_store01/bad_rows.csv: one good row and every quarantine reason;
- douyin/dy_store01/unknown_header.csv: a header nobody declared.
XLSX files are written in the tests (no binaries committed).
"""

from __future__ import annotations

import hashlib
import shutil
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import polars as pl
import pytest
import xlsxwriter

from assets.ingest.errors import ExportReadError
from assets.inputs import content_posts
from assets.inputs.base import InputResult, sync_inputs

FIXTURES = Path(__file__).parent / "fixtures"
KIND_DIR = FIXTURES / "inputs" / "content_posts"
DOUYIN = "inputs/content_posts/douyin/dy_store01/2026-06_作品数据.csv"
KUAISHOU = "inputs/content_posts/kuaishou/ks_store01/photos_2026-06.csv"
API = "inputs/content_posts/douyin/dy_api/video_list.csv"
BAD = "inputs/content_posts/douyin/dy_store01/bad_rows.csv"
UNKNOWN = "inputs/content_posts/douyin/dy_store01/unknown_header.csv"
QUARANTINE_COLUMNS = ["source_record", "source_record_label", "reason", "raw_snippet"]


def parse(rel_path: str, base: Path = FIXTURES) -> InputResult:
    return content_posts.parse(base / rel_path, rel_path)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def fingerprint(platform: str, account: str, published_at: str, title: str) -> str:
    return "fp:" + hashlib.sha1("\x1f".join([platform, account, published_at, title]).encode()).hexdigest()


def by_label(result: InputResult) -> dict[str, dict]:
    return {row["source_record_label"]: row for row in result.rows.to_dicts()}


def write(base: Path, rel_path: str, text: str, encoding: str = "utf-8") -> str:
    path = base / rel_path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return rel_path


def test_douyin_creator_center_csv_with_bom_and_note_row() -> None:
    raw = (FIXTURES / DOUYIN).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw  # the fixture has what it claims
    result = parse(DOUYIN)
    assert result.rows.schema == pl.Schema(content_posts.SCHEMA)
    assert result.quarantine.height == 0 and result.warnings == []
    rows = by_label(result)
    assert list(rows) == ["line 3", "line 4", "line 5"]  # the note is line 1, the header line 2
    first = rows["line 3"]
    assert first == {
        "platform": "douyin", "account_handle": "dy_store01",
        "post_id": fingerprint("douyin", "dy_store01", "2026-06-01T04:00:00Z", "618 大促开箱｜新品上手"),
        "title": "618 大促开箱｜新品上手", "published_at": utc(2026, 6, 1, 4),
        "views": 12_000, "likes": 3_456, "comments": 128, "shares": 56, "completion_rate": pytest.approx(0.352),
        "new_followers": 37, "favorites": 210, "avg_play_seconds": 12.5,
        "share_url": "https://www.douyin.com/video/7380000000000000001",
        "as_of": utc(2026, 6, 30, 4), "source_record": 3, "source_record_label": "line 3",
    }
    second = rows["line 4"]
    assert second["title"] == "门店日常, 第3期"  # a quoted comma stays in the title
    assert second["published_at"] == utc(2026, 6, 3, 12, 30)  # 2026/6/3 20:30 Shanghai
    assert second["completion_rate"] == pytest.approx(0.418) and second["avg_play_seconds"] == 65.0
    third = rows["line 5"]
    assert (third["views"], third["likes"], third["comments"], third["shares"]) == (23_500, 1_100, 0, 0)
    assert third["published_at"] == utc(2026, 6, 10, 1, 15)  # 2026年6月10日 09:15
    # blank cells, and the console's `-`/`--` for "no data yet", stay null: never an invented zero
    assert [third[c] for c in ("completion_rate", "new_followers", "favorites", "avg_play_seconds", "share_url")] \
        == [None] * 5


def test_kuaishou_gb18030_epoch_milliseconds_and_account_column() -> None:
    raw = (FIXTURES / KUAISHOU).read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")  # the fixture really is GB18030
    result = parse(KUAISHOU)
    assert result.quarantine.height == 0
    rows = by_label(result)
    assert [(r["post_id"], r["account_handle"], r["published_at"]) for r in rows.values()] == [
        ("3xk9qz7w2mpa001", "ks_store01", utc(2026, 6, 1, 4)),
        ("3xk9qz7w2mpa002", "ks_store01", utc(2026, 6, 3, 12, 30)),  # blank 快手号: the folder's account
        ("3xk9qz7w2mpa003", "ks_store02", utc(2026, 6, 10, 1, 15, 30)),  # the file's account wins
    ]
    assert rows["line 2"]["title"] == "夏季新品试穿 #穿搭"
    assert (rows["line 2"]["likes"], rows["line 2"]["completion_rate"]) == (15_000, pytest.approx(0.225))
    assert rows["line 4"]["views"] == 32_000 and rows["line 3"]["completion_rate"] == pytest.approx(0.301)
    assert rows["line 4"]["completion_rate"] == pytest.approx(0.41)  # `41％`, a full-width percent sign
    assert all(r["platform"] == "kuaishou" and r["as_of"] is None for r in rows.values())
    assert len(result.warnings) == 1 and "ks_store02" in result.warnings[0] and "'ks_store01'" in result.warnings[0]


def test_english_api_header_epoch_seconds_and_share_versus_forward() -> None:
    result = parse(API)
    assert result.quarantine.height == 0
    rows = by_label(result)
    first, second = rows["line 2"], rows["line 3"]
    assert first["post_id"] == "@9VwKzuuES8gmaXS6d4c4QM780mDoNv2EPZd0ruGmLFYUb/60zdRmYqig357zEBq6"
    assert first["published_at"] == utc(2026, 6, 1, 4) and second["published_at"] == utc(2026, 5, 28, 10)
    assert first["views"] == 0  # the API's 0 is the file's value, kept as it is
    assert (first["likes"], first["comments"], first["shares"]) == (532, 47, 21)
    assert second["shares"] is None  # a blank share_count is not filled from forward_count
    assert first["share_url"] == "https://www.iesdouyin.com/share/video/7380000000000000011/"
    assert first["as_of"] is None and first["account_handle"] == "dy_api"
    assert result.warnings == ["the file has both a share column (分享/share_count) and a forward column "
                               "(转发/forward_count); shares is the share column and forwards are not stored"]


def test_forward_column_alone_is_the_share_count_and_camel_case_headers(tmp_path: Path) -> None:
    rel = write(tmp_path, "inputs/content_posts/kuaishou/ks_gql/graphql.csv",
                "photoId,caption,timestamp,viewCount,likeCount,commentCount,转发量（次）\n"
                "3xabc,测试视频,1780286400000,1.2w,300,12,7\n")
    row = parse(rel, tmp_path).rows.to_dicts()[0]
    assert (row["post_id"], row["title"], row["published_at"]) == ("3xabc", "测试视频", utc(2026, 6, 1, 4))
    assert (row["views"], row["likes"], row["comments"], row["shares"]) == (12_000, 300, 12, 7)


def test_bad_rows_are_quarantined_with_the_reason() -> None:
    result = parse(BAD)
    assert result.quarantine.columns == QUARANTINE_COLUMNS
    reasons = dict(zip(result.quarantine["source_record_label"], result.quarantine["reason"], strict=True))
    assert reasons == {
        "line 4": "views 约五千 is not a count (expected e.g. 1234, 1,234, 1.2万 or 1.2w)",
        "line 5": "likes -3 is negative (expected a count of 0 or more)",
        "line 6": "published_at 2026-13-45 25:00 is not a date/time (expected e.g. 2026-05-01 14:30, 2026/5/1 14:30, "
                  "2026年5月1日 14:30 or epoch seconds)",
        "line 7": "published_at is missing (expected 发布时间/create_time)",
        "line 8": "completion_rate 135% is outside 0–1 (a percentage needs its % sign, e.g. 35.2%)",
        "line 9": "completion_rate 35.2 is outside 0–1 (a percentage needs its % sign, e.g. 35.2%)",
        "line 10": "completion_rate 很高 is not a rate (expected e.g. 35.2% or 0.352)",
        "line 11": "no title and no post_id (expected 作品名称/title or 作品ID/item_id/photo_id)",
        "line 12": "avg_play_seconds 很久 is not a duration (expected seconds such as 12.5, 12.5秒, 1:05 or 1分5秒)",
        "line 13": "duplicate post_id 7380000000000000111 in this file: kept line 14 (1100 views, more than this row)",
        "line 15": "views abc is not a count (expected e.g. 1234, 1,234, 1.2万 or 1.2w); "
                   "shares -1 is negative (expected a count of 0 or more)",
        "line 16": "new_followers -2 is negative (expected a count of 0 or more)",
    }
    assert result.quarantine["source_record"].to_list() == [4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 15, 16]
    snippet = result.quarantine.filter(pl.col("source_record") == 4)["raw_snippet"].item()
    assert snippet.startswith("post_id=7380000000000000102; title=播放量看不懂; published_at=2026-06-05 11:00; views=约五千")
    kept = by_label(result)
    assert list(kept) == ["line 3", "line 14"]
    assert kept["line 14"]["title"] == "重复作品（新读数）" and kept["line 14"]["views"] == 1_100
    assert kept["line 3"]["as_of"] == utc(2026, 6, 30, 4) and kept["line 3"]["completion_rate"] == pytest.approx(0.3)


def test_same_fingerprint_twice_keeps_the_first_on_equal_views(tmp_path: Path) -> None:
    rel = write(tmp_path, "inputs/content_posts/douyin/dy_x/twice.csv",
                "作品名称,发布时间,播放量,点赞量,评论量\n门店日常,2026-06-01 12:00,100,5,1\n门店日常,2026-06-01 12:00,100,6,1\n")
    result = parse(rel, tmp_path)
    assert result.rows["likes"].to_list() == [5]
    reason = result.quarantine["reason"].item()
    assert reason.startswith("duplicate post_id fp:") and reason.endswith(
        "kept line 2 (100 views, the same as this row and earlier in the file)")


def test_fingerprint_is_stable_across_monthly_downloads(tmp_path: Path) -> None:
    header = "作品名称,发布时间,播放量,点赞量,评论量\n"
    june = write(tmp_path, "inputs/content_posts/douyin/dy_x/06.csv",
                 "数据更新时间：2026-06-30 12:00\n" + header + "门店日常,2026-06-01 12:00,100,5,1\n")
    july = write(tmp_path, "inputs/content_posts/douyin/dy_x/07.csv",
                 "数据更新时间：2026-07-31 08:00（北京时间）\n" + header + "门店日常,2026/6/1 12:00,1.5万,80,9\n")
    a, b = parse(june, tmp_path).rows.to_dicts()[0], parse(july, tmp_path).rows.to_dicts()[0]
    assert a["post_id"] == b["post_id"] and (a["views"], b["views"]) == (100, 15_000)
    assert (a["as_of"], b["as_of"]) == (utc(2026, 6, 30, 4), utc(2026, 7, 31, 0))


def test_xlsx_with_note_and_blank_row_keeps_sheet_row_numbers(tmp_path: Path) -> None:
    """The note in A1, a blank row 2, the header in row 3, typed cells (an Excel date, numbers, a
    number formatted as a percentage) and a blank row between the works."""
    rel = "inputs/content_posts/kuaishou/ks_store01/2026-06.xlsx"
    (tmp_path / rel).parent.mkdir(parents=True)
    works = pl.DataFrame({
        "作品ID": ["3xk9qz7w2mpa001", None, "3xk9qz7w2mpa002"],
        "作品标题": ["夏季新品试穿", None, "店长答疑"],
        "发布时间": [datetime(2026, 6, 1, 12, 0), None, datetime(2026, 6, 3, 20, 30)],
        "播放数": [45678, None, 9021],
        "点赞数": ["1.5w", None, "455"],
        "评论数": [320, None, -1],
        "分享数": [88, None, 12],
        "完播率": [0.352, None, 0.301],
    })
    with xlsxwriter.Workbook(tmp_path / rel) as workbook:
        pl.DataFrame({"note": ["数据更新时间：2026-06-30 12:00"]}).write_excel(
            workbook, worksheet="作品数据", include_header=False)
        works.write_excel(workbook, worksheet="作品数据", position="A3", column_formats={"完播率": "0.0%"})
    result = parse(rel, tmp_path)
    row = result.rows.to_dicts()[0]
    assert (row["source_record_label"], row["source_record"]) == ("作品数据!row 4", 4)
    assert (row["published_at"], row["views"], row["likes"], row["comments"], row["shares"]) == (
        utc(2026, 6, 1, 4), 45_678, 15_000, 320, 88)
    assert row["completion_rate"] == pytest.approx(0.352) and row["as_of"] == utc(2026, 6, 30, 4)
    assert result.quarantine.to_dicts() == [{
        "source_record": 6, "source_record_label": "作品数据!row 6",
        "reason": "comments -1 is negative (expected a count of 0 or more)",
        "raw_snippet": "post_id=3xk9qz7w2mpa002; title=店长答疑; published_at=2026-06-03 20:30:00; views=9021; "
                       "likes=455; comments=-1; shares=12; completion_rate=0.301",
    }]


def test_xlsx_without_note(tmp_path: Path) -> None:
    rel = "inputs/content_posts/douyin/dy_store01/export.xlsx"
    (tmp_path / rel).parent.mkdir(parents=True)
    pl.DataFrame({"作品名称": ["门店日常"], "发布时间": ["2026-06-03 20:30"], "播放量": ["8620"], "点赞量": [302],
                  "评论量": [41], "分享量": [9], "封面": ["https://p3.douyinpic.com/b.jpg"]}).write_excel(tmp_path / rel)
    result = parse(rel, tmp_path)
    row = result.rows.to_dicts()[0]
    assert (row["source_record_label"], row["views"], row["as_of"]) == ("Sheet1!row 2", 8_620, None)
    assert row["published_at"] == utc(2026, 6, 3, 12, 30)


def test_unknown_header_is_an_error() -> None:
    with pytest.raises(ExportReadError, match="unknown header.*'粉丝总数'") as error:
        parse(UNKNOWN)
    assert error.value.path == UNKNOWN


@pytest.mark.parametrize("rel_path", [
    "inputs/content_posts/douyin/export.csv",  # no account folder
    "inputs/content_posts/bilibili/acc/export.csv",  # not a supported platform
    "inputs/content_posts/douyin/acc/2026/export.csv",  # one folder too deep
    "inputs/content_posts/export.csv",
])
def test_other_folder_layouts_are_errors(rel_path: str) -> None:
    with pytest.raises(ExportReadError, match=r"expected inputs/content_posts/<platform>/<account_handle>/<file>"):
        content_posts.parse(FIXTURES / DOUYIN, rel_path)


def test_unreadable_note_time_is_an_error(tmp_path: Path) -> None:
    rel = write(tmp_path, "inputs/content_posts/douyin/dy_x/note.csv",
                "数据更新时间：昨天\n作品名称,发布时间,播放量,点赞量,评论量\n门店日常,2026-06-01 12:00,100,5,1\n")
    with pytest.raises(ExportReadError, match="no readable time"):
        parse(rel, tmp_path)


def test_header_only_file_has_no_rows(tmp_path: Path) -> None:
    rel = write(tmp_path, "inputs/content_posts/douyin/dy_x/empty.csv", "作品名称,发布时间,播放量,点赞量,评论量\n")
    result = parse(rel, tmp_path)
    assert result.rows.height == 0 and result.quarantine.height == 0
    assert result.rows.schema == pl.Schema(content_posts.SCHEMA)


def test_sync_inputs_twice_is_idempotent(tmp_path: Path) -> None:
    data = tmp_path / "data"
    for rel in (DOUYIN, KUAISHOU, API, BAD):
        (data / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(FIXTURES / rel, data / rel)
    kinds = {content_posts.KIND.name: content_posts.KIND}
    con = duckdb.connect()
    counts = "select (select count(*) from raw.content_posts), (select count(*) from raw.input_quarantine), " \
             "(select count(*) from raw.input_files)"
    first = sync_inputs(con, data, kinds)
    once = con.execute(counts).fetchall()
    second = sync_inputs(con, data, kinds)
    assert con.execute(counts).fetchall() == once == [(3 + 3 + 2 + 2, 12, 4)]
    assert not any(f["skipped"] for f in first.files) and all(f["skipped"] for f in second.files)
    (data / BAD).unlink()
    sync_inputs(con, data, kinds)
    assert con.execute(counts).fetchall() == [(8, 0, 3)]
    warnings = con.execute("select warnings from raw.input_files where source_file = $f", {"f": KUAISHOU}).fetchall()
    assert "ks_store02" in warnings[0][0][0]
