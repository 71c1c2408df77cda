"""The shared machinery of tabular inputs: header aliases, formatted counts, local times, per-file loading."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl
import pytest

from assets.ingest.errors import ExportReadError
from assets.inputs.base import InputKind, InputResult, snippet, sync_inputs
from assets.inputs.tables import Column, parse_choice, parse_count, parse_local_datetime, read_table

COLUMNS = (
    Column("title", ("作品名称", "标题")),
    Column("views", ("播放量",)),
    Column("note", ("备注",), required=False),
)


def test_headers_map_through_aliases_ignoring_case_space_and_units(tmp_path: Path) -> None:
    path = tmp_path / "posts.csv"
    path.write_text('\ufeff作品名称 ,播放量（次）\n春季上新,1.2万\n,\n"两行\n标题", \n', encoding="utf-8")
    frame = read_table(path, "inputs/x/posts.csv", COLUMNS)
    assert frame.columns == ["source_record", "title", "views", "note", "source_record_label"]
    assert frame.row(0, named=True) == {"source_record": 2, "title": "春季上新", "views": "1.2万", "note": None,
                                        "source_record_label": "line 2"}
    # the empty line-3 row is no record; a quoted cell spanning lines 4-5 keeps its line; blank is null
    assert frame.row(1, named=True) == {"source_record": 4, "title": "两行\n标题", "views": None, "note": None,
                                        "source_record_label": "line 4"}


@pytest.mark.parametrize(
    "header, message",
    [
        ("作品名称,播放量,点赞量", r"unknown header\(s\) '点赞量'; accepted headers — title: 作品名称, 标题"),
        ("作品名称", r"missing required column\(s\) views"),
        ("作品名称,标题,播放量", "two headers mean 'title'"),
    ],
)
def test_header_errors_name_the_file_and_what_is_accepted(tmp_path: Path, header: str, message: str) -> None:
    path = tmp_path / "posts.csv"
    path.write_text(header + "\n", encoding="utf-8")
    with pytest.raises(ExportReadError, match=message) as caught:
        read_table(path, "inputs/x/posts.csv", COLUMNS)
    assert caught.value.path == "inputs/x/posts.csv"


def test_gb18030_csv_and_xlsx_read_the_same(tmp_path: Path) -> None:
    csv_path = tmp_path / "posts.csv"
    csv_path.write_bytes("标题,播放量\n国庆活动,3,456\n".replace("3,456", '"3,456"').encode("gb18030"))
    xlsx_path = tmp_path / "posts.xlsx"
    pl.DataFrame({"标题": ["国庆活动"], "播放量": ["3,456"]}).write_excel(xlsx_path, worksheet="数据")
    from_csv = read_table(csv_path, "a.csv", COLUMNS)
    from_xlsx = read_table(xlsx_path, "a.xlsx", COLUMNS)
    assert from_csv.drop("source_record_label").equals(from_xlsx.drop("source_record_label"))
    assert from_xlsx["source_record_label"].to_list() == ["数据!row 2"]


def test_counts_times_and_choices() -> None:
    frame = pl.DataFrame({
        "count": ["1.2万", "1.2w", "1,234", "3亿", "12.5k", "7", "abc", None],
        "time": ["2026-05-01 14:30", "2026/5/1 14:30", "2026年5月1日 14:30", "1777616200", "1777616200000",
                 "2026-05-01T08:30:00+02:00", "2026-05-01", "junk"],
        "word": ["通过", " PASS ", "驳回", "x", None, None, None, None],
    })
    out = frame.select(
        parse_count(pl.col("count")).alias("count"),
        parse_local_datetime(pl.col("time"), "Asia/Shanghai").dt.strftime("%Y-%m-%d %H:%M").alias("time"),
        parse_choice(pl.col("word"), {"pass": "pass", "通过": "pass", "驳回": "fail"}).alias("word"),
    )
    assert out["count"].to_list() == [12000, 12000, 1234, 300_000_000, 12500, 7, None, None]
    assert out["time"].to_list() == ["2026-05-01 06:30"] * 3 + ["2026-05-01 06:16"] * 2 + [
        "2026-05-01 06:30", "2026-04-30 16:00", None]
    assert out["word"].to_list() == ["pass", "pass", "fail", None, None, None, None, None]


def _toy_parse(path: Path, rel_path: str) -> InputResult:
    frame = read_table(path, rel_path, COLUMNS).with_columns(views_n=parse_count(pl.col("views")))
    bad = frame.filter(pl.col("views_n").is_null())
    return InputResult(
        rows=frame.filter(pl.col("views_n").is_not_null()).select(
            "title", pl.col("views_n").alias("views"), "source_record", "source_record_label"),
        quarantine=bad.select("source_record", "source_record_label",
                              pl.lit("views is not a count").alias("reason"),
                              snippet(bad, ["title", "views"]).alias("raw_snippet")),
    )


TOY = InputKind(name="toy", table="raw.toy_rows", schema={"title": pl.String(), "views": pl.Int64()},
                parse=_toy_parse, description="test kind")


def test_sync_inputs_is_idempotent_per_file_and_forgets_removed_files(tmp_path: Path) -> None:
    folder = tmp_path / "inputs" / "toy"
    folder.mkdir(parents=True)
    (folder / "a.csv").write_text("标题,播放量\nA,1.2万\nB,很多\n", encoding="utf-8")
    (folder / "b.csv").write_text("标题,播放量\nC,5\n", encoding="utf-8")
    con = duckdb.connect()
    first = sync_inputs(con, tmp_path, {"toy": TOY})
    assert [(f["source_file"], f["rows"], f["quarantined"], f["skipped"]) for f in first.files] == [
        ("inputs/toy/a.csv", 1, 1, False), ("inputs/toy/b.csv", 1, 0, False)]
    assert con.sql("select reason, raw_snippet, source_record_label from raw.input_quarantine").fetchall() == [
        ("views is not a count", "title=B; views=很多", "line 3")]
    second = sync_inputs(con, tmp_path, {"toy": TOY})
    assert all(f["skipped"] for f in second.files)
    assert con.sql("select count(*) from raw.toy_rows").fetchall() == [(2,)]
    (folder / "b.csv").unlink()
    third = sync_inputs(con, tmp_path, {"toy": TOY})
    assert third.removed == ["inputs/toy/b.csv"]
    assert con.sql("select title, views, source_file from raw.toy_rows").fetchall() == [("A", 12000, "inputs/toy/a.csv")]


def test_a_file_outside_a_kind_folder_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "inputs" / "surveys_2026").mkdir(parents=True)
    (tmp_path / "inputs" / "surveys_2026" / "q3.csv").write_text("x\n", encoding="utf-8")
    with pytest.raises(ExportReadError, match="expected the file under one of inputs/toy/"):
        sync_inputs(duckdb.connect(), tmp_path, {"toy": TOY})


def test_xlsx_rows_keep_their_sheet_row_numbers_across_blank_rows(tmp_path: Path) -> None:
    path = tmp_path / "posts.xlsx"
    pl.DataFrame({"标题": ["A", None, "B"], "播放量": ["1", None, "2"]}).write_excel(path, worksheet="Sheet1")
    frame = read_table(path, "posts.xlsx", COLUMNS)
    assert frame.select("title", "source_record_label").rows() == [("A", "Sheet1!row 2"), ("B", "Sheet1!row 4")]


def test_only_the_first_sheet_is_read_and_an_empty_notes_sheet_is_fine(tmp_path: Path) -> None:
    import xlsxwriter

    path = tmp_path / "posts.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    data = workbook.add_worksheet("数据")
    data.write_row(0, 0, ["标题", "播放量"])
    data.write_row(1, 0, ["A", "1.2万"])
    workbook.add_worksheet("说明")
    workbook.close()
    frame = read_table(path, "posts.xlsx", COLUMNS)
    assert frame.select("title", "views", "source_record_label").rows() == [("A", "1.2万", "数据!row 2")]
