"""pipelines/xlsx.py, the vectorised workbook writer behind the HR `grades.xlsx`: values read back
equal (calamine, as `pl.read_excel` reads them), escaping as Excel does it, the header row's freeze
pane, filter, widths and number formats in the XML, the parts Excel needs, fixed bytes for fixed
input, Excel's size limits, and `hr_publish.xlsx_bytes` on synthetic HR frames."""

from __future__ import annotations

import datetime as dt
import io
import math
import random
import struct
import warnings
import zipfile
from xml.etree import ElementTree

import polars as pl
import pytest
import xlsxwriter

from pipelines import hr_publish
from pipelines.xlsx import MAX_COLUMNS, MAX_ROWS, Sheet, column_letter, workbook_bytes

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
CREATED = dt.datetime(2026, 10, 1, 9, 30, tzinfo=dt.UTC)


def mixed_frame() -> pl.DataFrame:
    return pl.DataFrame({
        "text": ["优秀", "a & b <c> d", "  two leading", "trailing ", "ctl\x00\x01\x08\x0b\x0c\x0e\x1f\r\nend",
                 "literal _x0041_ and _X00e9_", None, "", 'quote " apostrophe \'', "tab\tinside"],
        "姓名": ["陈晓明", "刘芳", "张伟", None, "Zoë", "王 五", "李四", "赵六", "孙七", "周八"],
        "count": [1, -2, None, 3, 2**53, 0, 7, 8, 9, 10],
        "score": [0.1, float("nan"), None, float("inf"), 1e-7, 1e16, 0.1 + 0.2, -0.0, 5.5, -float("inf")],
        "flag": [True, False, None, True, False, True, True, False, True, False],
        "day": [dt.date(2026, 1, 1), None, dt.date(1900, 3, 1), dt.date(2099, 12, 31), *[dt.date(2026, 7, 1)] * 6],
        "at": [dt.datetime(2026, 1, 1, 12, 30, 15), None, *[dt.datetime(2026, 7, 1, 0, 0, 1)] * 8],
    })


def read_back(data: bytes, sheet: str, schema: pl.Schema) -> pl.DataFrame:
    return pl.read_excel(io.BytesIO(data), sheet_name=sheet, schema_overrides=schema)


def parts(data: bytes) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name).decode("utf-8") for name in archive.namelist()}


# --- values --------------------------------------------------------------------------------------------------


def test_mixed_dtypes_read_back_equal():
    frame = mixed_frame()
    back = read_back(workbook_bytes([Sheet("Mixed", frame)]), "Mixed", frame.schema)
    # Excel has no NaN or infinity: those cells are left empty and read back as nulls
    expected = frame.with_columns(pl.when(pl.col("score").is_finite()).then(pl.col("score")).alias("score"))
    assert back.columns == frame.columns
    assert back.equals(expected, null_equal=True)
    assert back["text"].to_list()[4] == "ctl\x00\x01\x08\x0b\x0c\x0e\x1f\r\nend"
    assert back["text"].to_list()[5] == "literal _x0041_ and _X00e9_"


def test_strings_are_escaped_as_excel_does():
    frame = mixed_frame().select("text")
    xml = parts(workbook_bytes([Sheet("S", frame)]))["xl/worksheets/sheet1.xml"]
    ElementTree.fromstring(xml)  # well-formed despite the control characters
    assert "a &amp; b &lt;c&gt; d" in xml
    assert "ctl_x0000__x0001__x0008__x000B__x000C__x000E__x001F__x000D_\nend" in xml
    assert "literal _x005F_x0041_ and _X00e9_" in xml, "only a lower-case _xHHHH_ is an escape, as in xlsxwriter"
    assert '<t xml:space="preserve">  two leading</t>' in xml and '<t xml:space="preserve">trailing </t>' in xml
    assert '<t>优秀</t>' in xml and 't="inlineStr"' in xml
    assert '<c r="A8"' not in xml, "a null is an absent cell"


def test_booleans_numbers_and_empty_cells_in_the_xml():
    xml = parts(workbook_bytes([Sheet("S", mixed_frame())]))["xl/worksheets/sheet1.xml"]
    assert '<c r="E2" t="b"><v>1</v></c>' in xml and '<c r="E3" t="b"><v>0</v></c>' in xml
    assert '<c r="C2"><v>1</v></c>' in xml, "integers have the General format"
    assert '<c r="D3"' not in xml and '<c r="D5"' not in xml, "NaN and inf are empty cells"
    day = ElementTree.fromstring(xml).find(".//m:c[@r='F2']", NS)
    assert day.find("m:v", NS).text == "46023", "2026-01-01 as Excel's serial day number"


def test_floats_round_trip_exactly():
    rng = random.Random(7)
    values = [rng.uniform(-1e6, 1e6) for _ in range(3000)]
    values += [rng.random() * 10 ** rng.randint(-300, 300) for _ in range(3000)]
    values += [struct.unpack("<d", rng.getrandbits(64).to_bytes(8, "little"))[0] for _ in range(3000)]
    values = [v for v in values if math.isfinite(v)] + [0.1 + 0.2, 5e-324, 1.7976931348623157e308, -0.0, 1e16, 1e15]
    series = pl.Series("x", values, dtype=pl.Float64)
    # the text the writer puts in <v> is Polars' cast, which must be exact …
    assert all(float(text) == value for text, value in zip(series.cast(pl.String), values, strict=True))
    # … and what a reader gets back too
    back = read_back(workbook_bytes([Sheet("F", series.to_frame())]), "F", {"x": pl.Float64})
    assert back["x"].to_list() == values


def test_same_cells_as_xlsxwriter_wrote_them():
    """The old writer (`write_excel` → xlsxwriter) and this one give a reader the same cells, except
    where the old one lost data: it wrote an empty string as an empty cell (read back as null) and
    floats with 16 significant digits (0.1 + 0.2 came back as 0.3)."""
    frame = mixed_frame().filter(pl.col("score").is_finite() | pl.col("score").is_null())
    old = io.BytesIO()
    frame.write_excel(old, worksheet="S")
    new = read_back(workbook_bytes([Sheet("S", frame)]), "S", frame.schema)
    old = read_back(old.getvalue(), "S", frame.schema)
    kept = frame.select(~((pl.col("text") == "") | (pl.col("score") == 0.1 + 0.2)).fill_null(False)).to_series()
    assert new.equals(frame, null_equal=True)
    assert kept.sum() == 5 and new.filter(kept).equals(old.filter(kept), null_equal=True)
    assert old.filter(pl.col("count") == 8)["text"].to_list() == [None]
    assert old.filter(pl.col("count") == 7)["score"].to_list() == [0.3]


def test_empty_frame_keeps_its_header():
    frame = pl.DataFrame(schema={"工号": pl.String, "score": pl.Float64})
    data = workbook_bytes([Sheet("Empty", frame)])
    assert read_back(data, "Empty", frame.schema).columns == ["工号", "score"]
    assert '<autoFilter ref="A1:B1"/>' in parts(data)["xl/worksheets/sheet1.xml"]


# --- layout and styles ---------------------------------------------------------------------------------------


def test_header_frozen_filtered_styled_with_widths_and_formats():
    frame = pl.DataFrame({"staff_id": ["S1", "S2", "S3"], "rate": [0.5, 0.25, None], "score": [80.123, 90.0, 70.5],
                          "raw": [1.23456, 2.0, 3.0], "n": [1, 2, 3]})
    sheet = Sheet("Grades", frame, number_formats={"rate": "0.00%", "score": "0.00"},
                  widths={"staff_id": 84, "rate": 100, "score": 64})
    files = parts(workbook_bytes([sheet, Sheet("Other", frame.head(1))]))
    xml = files["xl/worksheets/sheet1.xml"]
    root = ElementTree.fromstring(xml)
    pane = root.find("m:sheetViews/m:sheetView/m:pane", NS)
    assert pane.get("ySplit") == "1" and pane.get("state") == "frozen" and pane.get("topLeftCell") == "A2"
    assert root.find("m:sheetViews/m:sheetView", NS).get("tabSelected") == "1"
    assert ElementTree.fromstring(files["xl/worksheets/sheet2.xml"]).find(
        "m:sheetViews/m:sheetView", NS).get("tabSelected") is None
    assert root.find("m:autoFilter", NS).get("ref") == "A1:E4"
    assert root.find("m:dimension", NS).get("ref") == "A1:E4"
    assert ("<definedName name=\"_xlnm._FilterDatabase\" localSheetId=\"0\" hidden=\"1\">'Grades'!$A$1:$E$4"
            in files["xl/workbook.xml"])
    assert "'Other'!$A$1:$E$2" in files["xl/workbook.xml"]

    widths = {col.get("min"): (col.get("width"), col.get("customWidth")) for col in root.find("m:cols", NS)}
    assert widths == {"1": ("12", "1"), "2": ("14.28515625", "1"), "3": ("9.140625", None)}
    assert widths == xlsxwriter_widths({0: 84, 1: 100, 2: 64})

    styles = ElementTree.fromstring(files["xl/styles.xml"])
    codes = {f.get("numFmtId"): f.get("formatCode") for f in styles.find("m:numFmts", NS)}
    xfs = styles.find("m:cellXfs", NS).findall("m:xf", NS)
    fonts = styles.find("m:fonts", NS).findall("m:font", NS)
    fills = styles.find("m:fills", NS).findall("m:fill", NS)

    def style_of(ref: str) -> dict:
        xf = xfs[int(root.find(f".//m:c[@r='{ref}']", NS).get("s", "0"))]
        return {"format": codes.get(xf.get("numFmtId")),
                "bold": fonts[int(xf.get("fontId"))].find("m:b", NS) is not None,
                "fill": (fills[int(xf.get("fillId"))].find("m:patternFill/m:fgColor", NS).get("rgb")
                         if xf.get("fillId") != "0" else None)}

    assert style_of("A1") == {"format": None, "bold": True, "fill": "FFDDEBF7"}
    assert style_of("A2") == {"format": None, "bold": False, "fill": None}
    assert style_of("B2")["format"] == "0.00%" and style_of("C2")["format"] == "0.00"
    assert style_of("D2")["format"] == "0.0000", "floats without a format show 4 decimals"
    assert style_of("E2")["format"] is None, "integers General"
    assert root.find(".//m:c[@r='C2']/m:v", NS).text == "80.123", "stored unrounded"


def xlsxwriter_widths(pixels: dict[int, int]) -> dict[str, tuple[str, str | None]]:
    """The `<col>` widths xlsxwriter writes for the same pixel widths (what the old workbook had)."""
    buffer = io.BytesIO()
    with xlsxwriter.Workbook(buffer, {"in_memory": True}) as workbook:
        sheet = workbook.add_worksheet()
        for column, width in pixels.items():
            sheet.set_column_pixels(column, column, width)
    with zipfile.ZipFile(buffer) as archive:
        root = ElementTree.fromstring(archive.read("xl/worksheets/sheet1.xml"))
    return {col.get("min"): (col.get("width"), col.get("customWidth")) for col in root.find("m:cols", NS)}


def test_column_letters():
    assert [column_letter(i) for i in (0, 25, 26, 51, 52, 701, 702, MAX_COLUMNS - 1)] == [
        "A", "Z", "AA", "AZ", "BA", "ZZ", "AAA", "XFD"]


# --- package ---------------------------------------------------------------------------------------------------


def test_workbook_has_the_parts_excel_needs():
    data = workbook_bytes([Sheet("一", mixed_frame()), Sheet("Two & <three>", mixed_frame().head(2))], created=CREATED)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        assert archive.testzip() is None
        assert all(info.compress_type == zipfile.ZIP_DEFLATED for info in archive.infolist())
    assert names[0] == "[Content_Types].xml"
    assert set(names) == {"[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels",
                          "xl/styles.xml", "xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml",
                          "docProps/core.xml", "docProps/app.xml"}
    files = parts(data)
    for name, text in files.items():
        ElementTree.fromstring(text)  # every part well-formed
    for name in names:
        if name != "[Content_Types].xml" and not name.endswith(".rels"):
            assert f'PartName="/{name}"' in files["[Content_Types].xml"], name
    assert 'Target="worksheets/sheet2.xml"' in files["xl/_rels/workbook.xml.rels"]
    assert 'Target="styles.xml"' in files["xl/_rels/workbook.xml.rels"]
    assert 'Target="xl/workbook.xml"' in files["_rels/.rels"]
    created = '<dcterms:created xsi:type="dcterms:W3CDTF">2026-10-01T09:30:00Z</dcterms:created>'
    assert created in files["docProps/core.xml"]
    assert list(pl.read_excel(io.BytesIO(data), sheet_id=0)) == ["一", "Two & <three>"]


def test_same_input_gives_the_same_bytes():
    sheets = [Sheet("A", mixed_frame(), {"score": "0.00"}, {"text": 120}), Sheet("B", mixed_frame().head(3))]
    first = workbook_bytes(sheets, created=CREATED)
    assert workbook_bytes(sheets, created=CREATED) == first
    assert workbook_bytes(sheets, created=CREATED.astimezone(dt.timezone(dt.timedelta(hours=8)))) == first
    assert workbook_bytes(sheets, created=CREATED + dt.timedelta(seconds=1)) != first
    assert workbook_bytes(sheets) == workbook_bytes(sheets)
    assert "dcterms:created" not in parts(workbook_bytes(sheets))["docProps/core.xml"]
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}


# --- limits ----------------------------------------------------------------------------------------------------


def test_too_many_rows_raises_naming_the_sheet():
    frame = pl.DataFrame({"n": pl.int_range(MAX_ROWS, eager=True)})  # one more than fits under the header
    with pytest.raises(ValueError, match=r"sheet 'Big': 1,048,576 rows"):
        workbook_bytes([Sheet("Small", frame.head(3)), Sheet("Big", frame)])


def test_too_many_columns_raises_naming_the_sheet():
    frame = pl.DataFrame({f"c{i}": [i] for i in range(MAX_COLUMNS + 1)})
    with pytest.raises(ValueError, match=r"sheet 'Wide': .*16,385 columns"):
        workbook_bytes([Sheet("Wide", frame)])


def test_invalid_sheet_names_and_dtypes_raise():
    frame = pl.DataFrame({"a": [1]})
    for name in ("", "x" * 32, "a/b", "'quoted'"):
        with pytest.raises(ValueError, match="sheet name"):
            workbook_bytes([Sheet(name, frame)])
    with pytest.raises(ValueError, match="used twice"):
        workbook_bytes([Sheet("Data", frame), Sheet("DATA", frame)])
    with pytest.raises(TypeError, match="column 'l'"):
        workbook_bytes([Sheet("L", pl.DataFrame({"l": [[1, 2]]}))])
    with pytest.raises(ValueError, match="before 1900-03-01"):
        workbook_bytes([Sheet("Old", pl.DataFrame({"d": [dt.date(1899, 12, 31)]}))])


def test_opens_in_openpyxl_without_warnings():
    openpyxl = pytest.importorskip("openpyxl")
    data = workbook_bytes([Sheet("Mixed", mixed_frame(), {"score": "0.00"}, {"text": 120})], created=CREATED)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        workbook = openpyxl.load_workbook(io.BytesIO(data))
    sheet = workbook["Mixed"]
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:G11"
    assert sheet["A2"].value == "优秀" and sheet["D2"].number_format == "0.00"


# --- the HR workbook -------------------------------------------------------------------------------------------


def hr_frames(staff: int = 40) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Small grades and metrics frames with the dtypes `quarter_grades` / `metric_details` give."""
    rng = random.Random(11)
    floats = {"activity_score", "content_quality_score", "resolution_score", "satisfaction_score", "overall_score",
              "active_day_ratio", "group_coverage", "response_rate", "sla_rate", "median_response_business_minutes",
              "resolution_rate", "violation_rate", "audit_pass_rate", "csat_rate", "evaluation_score"}
    ints = {"revision", "staff_messages", "business_days", "assigned_groups", "requests", "responded_requests",
            "reviewed_posts", "survey_responses", "evaluation_ratings"}
    ids = [f"S{i:03d}" for i in range(staff)]
    columns = {}
    for column in hr_publish.HR_COLUMNS:
        if column in floats:
            values = [None if rng.random() < 0.1 else rng.random() * 100 for _ in ids]
            columns[column] = pl.Series(values, dtype=pl.Float64)
        elif column in ints:
            columns[column] = pl.Series([rng.randint(0, 900) for _ in ids], dtype=pl.Int64)
        elif column == "quota_adjusted":
            columns[column] = pl.Series([rng.random() < 0.2 for _ in ids], dtype=pl.Boolean)
        elif column in ("computed_grade", "final_grade"):
            columns[column] = pl.Series([rng.choice(["excellent", "good", "pass", "fail", None]) for _ in ids])
        elif column == "name":
            columns[column] = pl.Series([rng.choice("陈刘张王") + rng.choice(["晓明", "芳", " 伟"]) for _ in ids])
        elif column == "staff_id":
            columns[column] = pl.Series(ids)
        else:
            columns[column] = pl.Series([rng.choice(["x", "客服部", None]) for _ in ids], dtype=pl.String)
    grades = pl.DataFrame(columns)
    metrics = pl.DataFrame({
        "staff_id": [s for s in ids for _ in range(8)], "name": [n for n in grades["name"] for _ in range(8)],
        "period": "2026-Q3", "dimension": [d for _ in ids for d in hr_publish.DIMENSION_SHEETS for _ in range(2)],
        "metric": [f"metric_{i % 8}" for i in range(staff * 8)],
        "status": [rng.choice(["scored", "insufficient_data"]) for _ in range(staff * 8)],
        "value": [round(rng.random(), 4) for _ in range(staff * 8)],
        "sample_size": [rng.randint(0, 99) for _ in range(staff * 8)],
        "floor": 0.5, "target": 0.9, "sub_score": [round(rng.random() * 100, 2) for _ in range(staff * 8)],
        "metric_weight": 1.0, "contribution": [round(rng.random() * 10, 4) for _ in range(staff * 8)],
    })
    return grades, metrics


@pytest.mark.parametrize("lang", hr_publish.LANGS)
def test_hr_workbook_holds_every_sheet_with_formats_and_widths(lang):
    grades, metrics = hr_frames()
    data = hr_publish.xlsx_bytes(grades, metrics, lang, created=CREATED)
    assert data == hr_publish.xlsx_bytes(grades, metrics, lang, created=CREATED)
    sheets = pl.read_excel(io.BytesIO(data), sheet_id=0)
    titles = [hr_publish.MAIN_SHEET[lang],
              *(en if lang == "en" else zh for en, zh in hr_publish.DIMENSION_SHEETS.values())]
    assert list(sheets) == titles
    shown = hr_publish.localise(grades, lang)
    assert read_back(data, titles[0], shown.schema).equals(shown, null_equal=True)
    for title, dimension in zip(titles[1:], hr_publish.DIMENSION_SHEETS, strict=True):
        expected = hr_publish.localise(metrics.filter(pl.col("dimension") == dimension), lang)
        assert read_back(data, title, expected.schema).equals(expected, null_equal=True), title
    if lang == "zh":
        assert "优秀" in shown["最终等级"].to_list() or "良好" in shown["最终等级"].to_list()

    files = parts(data)
    root = ElementTree.fromstring(files["xl/worksheets/sheet1.xml"])
    widths = hr_publish._column_widths(shown)
    cols = {int(col.get("min")): float(col.get("width")) for col in root.find("m:cols", NS)}
    assert cols == {i: (px * 256 // 7) / 256 for i, px in enumerate(widths.values(), start=1)}
    codes = set(hr_publish._formats(grades).values())
    assert codes == {"0.00", "0.00%"} and all(f'formatCode="{code}"' in files["xl/styles.xml"] for code in codes)
    assert '<fgColor rgb="FFDDEBF7"/>' in files["xl/styles.xml"]
