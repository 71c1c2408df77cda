"""Short-video works (作品) from the Douyin (抖音) and Kuaishou (快手) creator centers (FORMATS.md §8.4–§8.6).

They feed `posts_published` and `post_engagement_rate` (KPI_SPEC §4.1, §4.2). The creator center
exports one account per file and does not always write the account into it, so the folder names it:
`inputs/content_posts/<douyin|kuaishou>/<account_handle>/<file>.csv|.xlsx`. An account column in
the file, where present, wins row by row (a warning says when it differs from the folder).

Creator-center downloads put a note such as `数据更新时间：2026-06-30 12:00` above the header. The
same work appears in every monthly download with growing counts, so that time is kept as `as_of`
on each row (staging keeps the latest); `tables.read_table` expects the header on the first row,
so the note is read and cut off here first (tables.py is shared and not ours to change).

Times: epoch numbers decide their own unit by length (the Douyin API writes seconds, Kuaishou
milliseconds: 10 vs 13 digits), anything else is local wall-clock time in `timezone`.
"""

from __future__ import annotations

import csv
import re
import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path, PurePosixPath

import polars as pl

from assets.ingest.common import registered
from assets.ingest.encoding import read_text
from assets.ingest.errors import ExportReadError
from assets.inputs.base import InputKind, InputResult, snippet
from assets.inputs.tables import (
    Column,
    count_problem,
    datetime_problem,
    parse_count,
    parse_local_datetime,
    read_table,
)

KIND_NAME = "content_posts"
PLATFORMS = ("douyin", "kuaishou")

#: Counts read with `parse_count`, which must be ≥ 0 when present (blank stays null, never an
#: invented 0). `shares` is one too, read from the share or else the forward column.
COUNTS = ("views", "likes", "comments", "new_followers", "favorites")

#: What consoles write in a number cell that has no data yet (`完播率: -` on a fresh work): blank,
#: like an empty cell, rather than an unreadable number that would quarantine the whole work.
_NO_DATA = ["-", "--", "—", "——", "－"]
_NUMERIC = ("published_at", *COUNTS, "shares", "forwards", "completion_rate", "avg_play_seconds")

#: Columns kept. Aliases: the creator centers' Chinese headers and the open-platform API field names
#: (headers are matched ignoring case, spaces, `_`/`-` and a trailing unit in brackets, so
#: `play_count`, `playCount` and `播放量（次）` are one header).
COLUMNS: tuple[Column, ...] = (
    Column("post_id", ("作品ID", "作品编号", "视频ID", "item_id", "photo_id", "aweme_id", "video_id"), required=False),
    Column("title", ("作品名称", "作品标题", "标题", "视频标题", "视频名称", "描述", "作品描述", "视频描述",
                     "caption", "desc", "description"), required=False),
    Column("published_at", ("发布时间", "发布日期", "作品发布时间", "create_time", "publish_time", "timestamp")),
    Column("views", ("播放量", "播放数", "播放次数", "观看量", "观看数", "观看次数", "play_count", "view_count",
                     "play_cnt", "total_play", "plays")),
    Column("likes", ("点赞量", "点赞数", "点赞次数", "点赞", "digg_count", "like_count", "like_cnt", "total_like")),
    Column("comments", ("评论量", "评论数", "评论次数", "评论", "comment_count", "comment_cnt", "total_comment")),
    Column("shares", ("分享量", "分享数", "分享次数", "分享", "share_count", "share_cnt", "total_share"),
           required=False),
    # Douyin's API returns forward_count (转发) beside share_count; alone it is the file's share count.
    Column("forwards", ("转发量", "转发数", "转发次数", "转发", "forward_count", "forward_cnt"), required=False),
    Column("completion_rate", ("完播率", "完整播放率", "play_finish_rate", "finish_rate"), required=False),
    Column("new_followers", ("涨粉量", "涨粉数", "新增粉丝", "新增粉丝数", "new_fans_cnt", "new_fans",
                             "new_follower_count"), required=False),
    Column("account_handle", ("账号", "抖音号", "快手号", "account"), required=False),
    Column("favorites", ("收藏量", "收藏数", "收藏次数", "收藏", "collect_count", "favorite_count"), required=False),
    Column("avg_play_seconds", ("平均播放时长", "平均观看时长", "avg_play_duration"), required=False),
    Column("share_url", ("作品链接", "视频链接", "分享链接", "链接", "url", "link"), required=False),
)

#: Console columns accepted and dropped by design: nothing in KPI_SPEC reads them. Any other
#: header is an error (FORMATS.md §8.6), so a new console column is looked at, not lost.
IGNORED: tuple[Column, ...] = (
    Column("cover (dropped)", ("封面", "封面图", "封面链接", "cover", "cover_url"), required=False),
    Column("profile_visits (dropped)", ("主页访问量", "主页访问数", "主页访问"), required=False),
    Column("play_url (dropped)", ("播放地址", "play_url"), required=False),
    Column("is_top (dropped)", ("是否置顶", "置顶", "is_top"), required=False),
    Column("status (dropped)", ("作品状态", "审核状态", "video_status", "pending"), required=False),
    Column("downloads (dropped)", ("下载量", "下载数", "download_count"), required=False),
    Column("row_number (dropped)", ("序号",), required=False),
)

SCHEMA: dict[str, pl.DataType] = {
    "platform": pl.String(),
    "account_handle": pl.String(),
    "post_id": pl.String(),
    "title": pl.String(),
    "published_at": pl.Datetime("us", "UTC"),
    "views": pl.Int64(),
    "likes": pl.Int64(),
    "comments": pl.Int64(),
    "shares": pl.Int64(),
    "completion_rate": pl.Float64(),
    "new_followers": pl.Int64(),
    "favorites": pl.Int64(),
    "avg_play_seconds": pl.Float64(),
    "share_url": pl.String(),
    "as_of": pl.Datetime("us", "UTC"),
    "source_record": pl.Int64(),
    "source_record_label": pl.String(),
}

#: The creator center's "data updated at" line above the header (`数据更新时间：2026-06-30 12:00`).
_NOTE = re.compile(
    r"^(?:数据)?(?:更新|统计|截止|截至)(?:时间|日期|于|至)\s*[：:]?\s*(?P<time>\S.*)$"
    r"|^(?:data\s+)?(?:last\s+updated|updated(?:\s+at)?|as\s+of)\s*[：:]?\s*(?P<en_time>\S.*)$",
    re.IGNORECASE,
)
#: How many leading rows are looked at for the note and the blank rows after it.
_LEAD_ROWS = 8


def parse(path: Path, rel_path: str, timezone: str = "Asia/Shanghai") -> InputResult:
    """One creator-center or API export: every work is a row or a quarantined record."""
    platform, folder_account = _layout(rel_path)
    cells, as_of = _read_cells(path, rel_path, timezone)
    checked = _check(cells, platform, folder_account, timezone)
    good, duplicates = _drop_duplicates(_with_post_ids(checked.filter(pl.col("problem").is_null())))
    rejected = pl.concat([checked.filter(pl.col("problem").is_not_null()), duplicates], how="diagonal_relaxed")
    rows = good.with_columns(pl.lit(as_of, pl.Datetime("us", "UTC")).alias("as_of")).select(
        [pl.col(f"{name}_value" if f"{name}_value" in good.columns else name).cast(dtype).alias(name)
         for name, dtype in SCHEMA.items()]
    )
    return InputResult(rows=rows, quarantine=_quarantine_frame(rejected, _shown_columns(cells)),
                       warnings=_warnings(checked, folder_account))


def _layout(rel_path: str) -> tuple[str, str]:
    """(platform, account handle) from `…/content_posts/<platform>/<account_handle>/<file>`."""
    parts = PurePosixPath(rel_path).parts
    platform = parts[-3].lower() if len(parts) >= 4 else ""
    if len(parts) < 4 or parts[-4] != KIND_NAME or platform not in PLATFORMS or not parts[-2].strip():
        raise ExportReadError(
            rel_path,
            f"expected inputs/{KIND_NAME}/<platform>/<account_handle>/<file> with platform one of "
            f"{', '.join(PLATFORMS)} (the creator center exports one account per file and does not always "
            "name it, so its folder does), e.g. inputs/content_posts/douyin/dy_store01/2026-06.xlsx",
        )
    return platform, parts[-2].strip()


def _read_cells(path: Path, rel_path: str, timezone: str) -> tuple[pl.DataFrame, datetime | None]:
    """Every cell as text under canonical names (`read_table`), and `as_of` from the note row.

    `read_table` wants the header on the first row, so with a note the rows from the header on are
    written to a temporary UTF-8 CSV and row numbers shifted back to the file's own. An XLSX always
    goes that way: `read_table` reads sheets with blank rows dropped, which would shift the
    `Sheet!row N` of every row below a blank one; here blank rows are kept until numbered.
    """
    suffix = path.suffix.lower()
    if suffix == ".xls":
        raise ExportReadError(rel_path, "an old-format .xls workbook; expected .xlsx or CSV (open it and save as "
                                        ".xlsx or CSV UTF-8)")
    is_xlsx = suffix in (".xlsx", ".xlsm")
    lead, write_from, label = _xlsx_lead(path, rel_path) if is_xlsx else _csv_lead(path, rel_path)
    skip, note_time = _note(lead)
    as_of = None
    if note_time is not None:
        as_of = pl.select(parse_local_datetime(pl.lit(note_time, pl.String), timezone)).item()
        if as_of is None:
            raise ExportReadError(rel_path, f"the note above the header gives no readable time ({lead[0][0]!r}; "
                                            "expected e.g. 数据更新时间：2026-06-30 12:00)")
    if not skip and not is_xlsx:  # a CSV without a note: read as it is
        cells = read_table(path, rel_path, COLUMNS + IGNORED)
    else:
        with tempfile.TemporaryDirectory(prefix="content_posts_") as folder:
            trimmed = Path(folder) / "table.csv"
            write_from(skip, trimmed)
            cells = read_table(trimmed, rel_path, COLUMNS + IGNORED)
        cells = cells.with_columns(pl.col("source_record") + skip).with_columns(
            pl.format(f"{label} {{}}", "source_record").alias("source_record_label"))
    names = [c.name for c in COLUMNS + IGNORED]
    return cells.filter(~pl.all_horizontal(pl.col(n).is_null() for n in names)), as_of


def _csv_lead(path: Path, rel_path: str) -> tuple[list[list[str]], Callable[[int, Path], None], str]:
    """The first rows split into cells (decoded here, so a GB18030 note reads as the text it is), a
    writer of the text from row `skip` on, and the `line` label."""
    text, _ = read_text(path, display_path=rel_path)
    lead = [next(csv.reader([line.rstrip("\r")]), []) for line in text.split("\n", _LEAD_ROWS)[:_LEAD_ROWS]]

    def write_from(skip: int, target: Path) -> None:
        parts = text.split("\n", skip)
        target.write_text(parts[skip] if len(parts) > skip else "", encoding="utf-8")

    return lead, write_from, "line"


def _xlsx_lead(path: Path, rel_path: str) -> tuple[list[list[str | None]], Callable[[int, Path], None], str]:
    """The first sheet's first rows, a writer of the sheet from row `skip` on as CSV, and the
    `Sheet!row` label; the first sheet, as `read_table` reads it."""
    try:
        sheets = pl.read_excel(path, sheet_id=0, has_header=False, infer_schema_length=0,
                               drop_empty_rows=False, raise_if_empty=False)
    except Exception as error:  # calamine raises its own exception types
        raise ExportReadError(rel_path, f"not a readable XLSX workbook ({str(error).splitlines()[0]})") from None
    sheet, frame = next(iter(sheets.items()))
    if frame.height == 0:
        raise ExportReadError(rel_path, f"sheet {sheet!r} is empty; expected a header row (作品名称, 发布时间, "
                                        "播放量, …) and one row per work")

    def write_from(skip: int, target: Path) -> None:
        frame.slice(skip).write_csv(target, include_header=False)

    return [list(row) for row in frame.head(_LEAD_ROWS).iter_rows()], write_from, f"{sheet}!row"


def _note(rows: list[list[str | None]]) -> tuple[int, str | None]:
    """(rows to skip, the note's time text): the note row and any blank rows after it, or (0, None)."""
    def blank(row: list[str | None]) -> bool:
        return all(cell is None or not str(cell).strip() for cell in row)

    if not rows or blank(rows[0]) or not blank(rows[0][1:]):
        return 0, None
    match = _NOTE.match(str(rows[0][0]).replace("\ufeff", "").strip())
    if match is None:
        return 0, None
    skip = 1
    while skip < len(rows) and blank(rows[skip]):
        skip += 1
    time = match.group("time") or match.group("en_time")
    return skip, re.sub(r"\s*[（(][^）)]*[）)]$", "", time).strip()  # `…12:00（北京时间）`


def _check(cells: pl.DataFrame, platform: str, folder_account: str, timezone: str) -> pl.DataFrame:
    """The text cells as read, each typed column beside them as `<name>_value`, and `problem`:
    every reason the row is unusable joined with `; ` (null when it is fine).

    One lazy query, so Polars' common-subexpression elimination parses each cell once although
    the value and its `*_problem` both parse it (eager contexts do not eliminate them: 2× slower).
    """
    cells = cells.with_columns(pl.col(*_NUMERIC).replace(_NO_DATA, None))
    published, rate, seconds = pl.col("published_at"), pl.col("completion_rate"), pl.col("avg_play_seconds")
    shares = _share_column(cells)
    values = [
        pl.lit(platform).alias("platform_value"),
        pl.coalesce(pl.col("account_handle"), pl.lit(folder_account)).alias("account_handle_value"),
        pl.col("post_id").alias("post_id_value"),
        parse_local_datetime(published, timezone).alias("published_at_value"),
        *(parse_count(pl.col(c)).alias(f"{c}_value") for c in COUNTS),
        parse_count(shares).alias("shares_value"),
        _rate(rate).alias("completion_rate_value"),
        _seconds(seconds).alias("avg_play_seconds_value"),
    ]
    problems = [
        pl.when(pl.col("title").is_null() & pl.col("post_id").is_null()).then(
            pl.lit("no title and no post_id (expected 作品名称/title or 作品ID/item_id/photo_id)")),
        pl.when(published.is_null()).then(pl.lit("published_at is missing (expected 发布时间/create_time)")),
        datetime_problem(published, "published_at", timezone),
        *(_count_issue(pl.col(c), c) for c in COUNTS),
        _count_issue(shares, "shares"),
        pl.when(rate.is_not_null() & _rate(rate).is_null()).then(
            pl.format("completion_rate {} is not a rate (expected e.g. 35.2% or 0.352)", rate)),
        pl.when(~_rate(rate).is_between(0, 1)).then(
            pl.format("completion_rate {} is outside 0–1 (a percentage needs its % sign, e.g. 35.2%)", rate)),
        pl.when(seconds.is_not_null() & _seconds(seconds).is_null()).then(
            pl.format("avg_play_seconds {} is not a duration (expected seconds such as 12.5, 12.5秒, 1:05 or "
                      "1分5秒)", seconds)),
    ]
    return cells.lazy().with_columns(
        *values, pl.concat_str(problems, separator="; ", ignore_nulls=True).replace("", None).alias("problem"),
    ).collect()


def _share_column(cells: pl.DataFrame) -> pl.Expr:
    """The share count's text: the share column (分享/share_count), or where the file has none the
    forward column (转发/forward_count; Kuaishou consoles and some Douyin exports only have that).
    Decided per file, not per cell: a blank share cell beside a forward count stays blank."""
    return pl.col("forwards") if cells["shares"].null_count() == cells.height else pl.col("shares")


def _count_issue(text: pl.Expr, column: str) -> pl.Expr:
    """Why a count cell is unusable: negative (a count cannot be below 0), unreadable, or null."""
    negative = text.str.replace_all(",", "").str.contains(r"^-\s*[0-9]+(?:\.[0-9]+)?\s*(?:万|w|W|亿|k|K)?$")
    return pl.when(negative).then(
        pl.format(f"{column} {{}} is negative (expected a count of 0 or more)", text)
    ).otherwise(count_problem(text, column))


def _rate(text: pl.Expr) -> pl.Expr:
    """`35.2%` → 0.352, `0.352` → 0.352; a bare number is taken as the fraction it is, so `35.2`
    fails the 0–1 check instead of being guessed into a percentage."""
    text = text.str.replace("％", "%", literal=True)  # full-width percent sign
    number = text.str.strip_suffix("%").str.strip_chars().cast(pl.Float64, strict=False)
    return pl.when(text.str.ends_with("%")).then(number / 100).otherwise(number)


#: Average play time: `12.5`, `12.5s`, `12.5秒`, `1:05`, `0:01:05`, `1分5秒`, `1分`.
_PLAIN_SECONDS = r"^([0-9]+(?:\.[0-9]+)?)\s*(?:s|秒|sec)?$"
_CLOCK = r"^(?:([0-9]+):)?([0-9]+):([0-9]{1,2}(?:\.[0-9]+)?)$"
_CHINESE = r"^(?:([0-9]+)\s*(?:小时|时))?\s*(?:([0-9]+)\s*(?:分钟|分))?\s*(?:([0-9]+(?:\.[0-9]+)?)\s*秒)?$"


def _seconds(text: pl.Expr) -> pl.Expr:
    """A duration cell in seconds (null when blank or unreadable)."""
    def hms(pattern: str) -> pl.Expr:
        parts = text.str.extract_groups(pattern)
        fields = [parts.struct.field(str(i)).cast(pl.Float64) for i in (1, 2, 3)]
        total = fields[0].fill_null(0) * 3600 + fields[1].fill_null(0) * 60 + fields[2].fill_null(0)
        return pl.when(text.str.contains(pattern) & pl.any_horizontal(f.is_not_null() for f in fields)).then(total)

    plain = text.str.extract(_PLAIN_SECONDS, 1).cast(pl.Float64)
    return pl.coalesce(plain, hms(_CLOCK), hms(_CHINESE))


def _with_post_ids(good: pl.DataFrame) -> pl.DataFrame:
    """Rows without a post id get `fp:` + sha1 of platform, account, UTC publish time and title, so
    the same work in next month's download gets the same id. SHA-1 comes from DuckDB: Polars' hash
    is not stable across versions, and these ids are stored."""
    keyed = good.select(
        pl.col("platform_value").alias("platform"),
        pl.col("account_handle_value").alias("account"),
        pl.col("published_at_value").dt.strftime("%Y-%m-%dT%H:%M:%S%.fZ").alias("fp_time"),
        pl.col("title").fill_null(""),
    ).with_row_index("fp_row")
    with registered("content_post_keys", keyed) as con:
        ids = con.sql(
            "select 'fp:' || sha1(concat_ws(chr(31), platform, account, fp_time, title)) as fp "
            "from content_post_keys order by fp_row"
        ).pl()
    return good.with_columns(pl.coalesce(pl.col("post_id"), ids["fp"]).alias("post_id_value"))


def _drop_duplicates(good: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(rows kept, rows quarantined): of rows sharing a post_id, the one with the most views stays
    (an export that repeats a work was read at two moments; the larger count is the later
    reading); on a tie, the first in the file."""
    repeated = pl.col("post_id_value").is_duplicated()
    if not good.select(repeated.any()).item():
        return good, good.clear()
    ranked = good.sort(["views_value", "source_record"], descending=[True, False], nulls_last=True).with_columns(
        pl.int_range(pl.len()).over("post_id_value").alias("duplicate_rank"),
        pl.col("source_record_label").first().over("post_id_value").alias("kept_label"),
        pl.col("views_value").first().over("post_id_value").alias("kept_views"),
    )
    duplicates = ranked.filter(pl.col("duplicate_rank") > 0).with_columns(
        pl.format("duplicate post_id {} in this file: kept {} ({} views{})", "post_id_value", "kept_label",
                  pl.col("kept_views").cast(pl.String).fill_null("no"),
                  pl.when(pl.col("views_value").eq_missing(pl.col("kept_views")))
                  .then(pl.lit(", the same as this row and earlier in the file"))
                  .otherwise(pl.lit(", more than this row"))).alias("problem")
    )
    kept = ranked.filter(pl.col("duplicate_rank") == 0).sort("source_record")
    return kept, duplicates


def _shown_columns(cells: pl.DataFrame) -> list[str]:
    """The kept columns the file actually has, for quarantine snippets (`read_table` adds every
    declared column; all-blank ones would only crowd the 200 characters)."""
    return [c.name for c in COLUMNS if cells[c.name].null_count() < cells.height]


def _quarantine_frame(rejected: pl.DataFrame, shown: list[str]) -> pl.DataFrame:
    """Quarantine rows in file order; the snippet shows the cells as read."""
    return rejected.sort("source_record").select(
        "source_record", "source_record_label", pl.col("problem").alias("reason"),
        snippet(rejected, shown).alias("raw_snippet") if shown else pl.lit("", pl.String).alias("raw_snippet"),
    )


def _warnings(checked: pl.DataFrame, folder_account: str) -> list[str]:
    """Facts about the file an analyst should know although no row was lost over them."""
    warnings = []
    other = checked.filter(pl.col("account_handle").is_not_null() & (pl.col("account_handle") != folder_account))
    if other.height:
        handles = ", ".join(other["account_handle"].unique(maintain_order=True).head(5).to_list())
        warnings.append(f"{other.height} row(s) name account(s) {handles} in the file's account column, not the "
                        f"folder's {folder_account!r}; they are loaded under the account the file names")
    if checked["shares"].is_not_null().any() and checked["forwards"].is_not_null().any():
        warnings.append("the file has both a share column (分享/share_count) and a forward column "
                        "(转发/forward_count); shares is the share column and forwards are not stored")
    return warnings


KIND = InputKind(
    name=KIND_NAME,
    table="raw.content_posts",
    schema=SCHEMA,
    parse=parse,
    description=(
        "Short-video works (作品) published on Douyin (抖音) and Kuaishou (快手), one row per work per export "
        "file, from creator-center downloads or open-platform API dumps saved as CSV/XLSX under "
        "inputs/content_posts/<douyin|kuaishou>/<account_handle>/. Counts (views, likes, comments, shares, "
        "new_followers, favorites) are as of the file's 数据更新时间 note (`as_of`, UTC; null when the file has "
        "none): the same work appears in several monthly downloads with growing counts, so use the latest "
        "as_of per (platform, post_id). completion_rate is a fraction 0–1; blank cells are null, never 0. "
        "post_id is the platform's id, or `fp:`+sha1 of platform, account, publish time and title when the "
        "file has none. account_handle is the platform handle as exported; mapping to staff happens in staging."
    ),
    version="1",
)
