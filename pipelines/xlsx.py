"""A small, vectorised XLSX writer for Polars frames (the HR workbook, `hr_publish.xlsx_bytes`).

Why it exists: `DataFrame.write_excel` hands every cell to xlsxwriter, which writes it with several
Python calls (`_write_cell`, `_write_number`, the shared-string table); the HR workbook's ~1.2 M cells
took ~9 s that way. Here each worksheet's XML is built by Polars string expressions, one expression
per column (no Python loop over rows or cells), and the parts are zipped with `zipfile` (deflate).

What a sheet gets: a bold, filled header row that is frozen and carries an autofilter over the used
range, column widths in pixels, a number format per column (floats without one show 4 decimals,
integers General, dates `yyyy-mm-dd`), strings as inline strings, booleans as `t="b"`. Nulls, NaN and
±inf are written as absent (empty) cells: Excel has no NaN or infinity. Values are stored unrounded;
formats only change how they display. Same input gives the same bytes (fixed zip timestamps and
order; the created time only when given).
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

import polars as pl

MAX_ROWS = 1_048_576  # Excel's limits, the header row included
MAX_COLUMNS = 16_384
MAX_STRING = 32_767  # characters in one cell
DEFAULT_FLOAT_FORMAT = "0.0000"
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
DEFAULT_COLUMN_PIXELS = 64  # Excel's default column width, which needs no customWidth
MAX_DIGIT_PIXELS = 7  # Calibri 11's digit width, as xlsxwriter assumes
EXCEL_EPOCH_DAYS = 25_569  # Excel's serial number of 1970-01-01 (days since 1899-12-30)
FIRST_EXCEL_DATE = dt.date(1900, 3, 1)  # before it Excel's serials are off by its 1900 leap-year bug

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
#: characters XML 1.0 forbids (and CR, which a parser would read as LF), written as `_xHHHH_` like Excel does
_CONTROL_RE = r"[\x00-\x08\x0b-\x1f\ufffe\uffff]"
_CONTROL = [chr(c) for c in (*range(0x00, 0x09), *range(0x0B, 0x20), 0xFFFE, 0xFFFF)]
_ESCAPE_RE = r"[&<>_\x00-\x08\x0b-\x1f\ufffe\uffff]"  # whatever `_escape` may have to change
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # zip entries' timestamp: fixed, so the bytes are too
#: deflate level: 1 takes ~0.17 s on the HR workbook's ~50 MB of XML, 6 (zlib's default) ~0.5 s for a
#: file ~20 % smaller
COMPRESS_LEVEL = 1


@dataclass(frozen=True)
class Sheet:
    """One worksheet: `frame` as a table under a header row of its column names. `number_formats` and
    `widths` (pixels) are keyed by column name; columns without a width keep Excel's default."""

    name: str
    frame: pl.DataFrame
    number_formats: dict[str, str] = field(default_factory=dict)
    widths: dict[str, int] = field(default_factory=dict)
    header_bold: bool = True
    header_fill: str | None = "#DDEBF7"


def workbook_bytes(sheets: list[Sheet], *, created: dt.datetime | None = None) -> bytes:
    """The .xlsx file holding `sheets` in order (the first one selected). `created` (a naive time is
    taken as UTC) goes into the document properties; without it there is none, so the bytes depend
    on the sheets alone. Raises ValueError for a sheet Excel cannot hold."""
    _check_names([sheet.name for sheet in sheets])
    styles = _Styles()
    worksheets = [_sheet_xml(sheet, styles, selected=n == 0) for n, sheet in enumerate(sheets)]  # registers styles
    parts = {
        "[Content_Types].xml": _content_types(len(sheets)),
        "_rels/.rels": _ROOT_RELS,
        "docProps/app.xml": _APP,
        "docProps/core.xml": _core(created),
        "xl/workbook.xml": _workbook(sheets),
        "xl/_rels/workbook.xml.rels": _workbook_rels(len(sheets)),
        "xl/styles.xml": styles.xml(),
        **{f"xl/worksheets/sheet{n}.xml": xml for n, xml in enumerate(worksheets, start=1)},
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in parts.items():
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.create_system = 0  # the same bytes whichever system writes them
            info.external_attr = 0
            archive.writestr(info, data if isinstance(data, bytes) else data.encode("utf-8"),
                             compress_type=zipfile.ZIP_DEFLATED, compresslevel=COMPRESS_LEVEL)
    return buffer.getvalue()


# --- worksheets -------------------------------------------------------------------------------------------


def _sheet_xml(sheet: Sheet, styles: _Styles, *, selected: bool) -> bytes:
    frame = sheet.frame
    if frame.height + 1 > MAX_ROWS or frame.width > MAX_COLUMNS:
        raise ValueError(f"sheet {sheet.name!r}: {frame.height:,} rows × {frame.width:,} columns do not fit in Excel "
                         f"({MAX_ROWS - 1:,} rows under the header, {MAX_COLUMNS:,} columns)")
    letters = [column_letter(i) for i in range(frame.width)]
    last_row = frame.height + 1
    used = f"A1:{letters[-1]}{last_row}" if letters else "A1"
    header_style = styles.index(None, bold=sheet.header_bold, fill=sheet.header_fill)
    names = pl.Series(frame.columns, dtype=pl.String)
    escaped = pl.select(_escape(pl.lit(names), names)).to_series() if frame.width else []
    header = "".join(f'<c r="{letter}1"{_s(header_style)} t="inlineStr"><is><t{_preserve(name)}>{text}</t></is></c>'
                     for letter, name, text in zip(letters, frame.columns, escaped, strict=True))

    row = pl.col("__row")
    cells = [_cell(sheet, frame, i, letter, row, styles) for i, letter in enumerate(letters)]
    data = frame.select(pl.nth(i).alias(f"c{i}") for i in range(frame.width)).with_columns(
        pl.int_range(2, pl.len() + 2).cast(pl.String).alias("__row"))
    body = data.lazy().select(
        pl.concat_str([pl.lit('<row r="'), row, pl.lit('">'), *cells, pl.lit("</row>")], ignore_nulls=True)
        .str.join("").cast(pl.Binary)
    ).collect().item() if frame.height else b""

    view = '<sheetView tabSelected="1" workbookViewId="0">' if selected else '<sheetView workbookViewId="0">'
    custom = ' customWidth="1"'
    cols = "".join(
        f'<col min="{i}" max="{i}" width="{_char_width(px):.16g}"{"" if px == DEFAULT_COLUMN_PIXELS else custom}/>'
        for i, name in enumerate(frame.columns, start=1) if (px := sheet.widths.get(name)) is not None)
    head = (
        f'{_XML}<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}"><dimension ref="{used}"/>'
        f'<sheetViews>{view}<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
        '<selection pane="bottomLeft"/></sheetView></sheetViews><sheetFormatPr defaultRowHeight="15"/>'
        + (f"<cols>{cols}</cols>" if cols else "") + "<sheetData>"
        + (f'<row r="1">{header}</row>' if header else "")
    )
    tail = (
        "</sheetData>"
        + (f'<autoFilter ref="{used}"/>' if letters else "")
        + '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/></worksheet>'
    )
    return head.encode("utf-8") + body + tail.encode("utf-8")


def _cell(sheet: Sheet, frame: pl.DataFrame, i: int, letter: str, row: pl.Expr, styles: _Styles) -> pl.Expr:
    """The `<c>` element of column `i` for every row, null where the cell stays empty."""
    name, dtype = frame.columns[i], frame.dtypes[i]
    column = pl.col(f"c{i}")
    number_format = sheet.number_formats.get(name)
    kind = ""
    if dtype == pl.String or isinstance(dtype, pl.Categorical | pl.Enum):
        values = frame.get_column(name).cast(pl.String).unique()  # checks on distinct values are cheaper
        if (values.str.len_chars().max() or 0) > MAX_STRING:
            raise ValueError(f"sheet {sheet.name!r}, column {name!r}: a value is longer than Excel's "
                             f"{MAX_STRING:,} characters in a cell")
        style = styles.index(number_format)
        text = column.cast(pl.String)
        preserve = pl.when(text.str.contains(r"^\s|\s$")).then(pl.lit('<t xml:space="preserve">'))
        return pl.concat_str([pl.lit(f'<c r="{letter}'), row, pl.lit(f'"{_s(style)} t="inlineStr"><is>'),
                              preserve.otherwise(pl.lit("<t>")), _escape(text, values), pl.lit("</t></is></c>")])
    if dtype == pl.Boolean:
        value, kind = column.cast(pl.UInt8).cast(pl.String), ' t="b"'
    elif dtype.is_integer():
        value = column.cast(pl.String)
    elif dtype.is_float() or dtype.is_decimal():
        number_format = number_format or DEFAULT_FLOAT_FORMAT
        number = column.cast(pl.Float64) if dtype.is_decimal() else column
        # NaN and ±inf have no Excel value: the cell is left empty, like a null
        value = pl.when(number.is_finite()).then(number.cast(pl.String))
    elif dtype == pl.Date or isinstance(dtype, pl.Datetime):
        earliest = frame.get_column(name).min()
        day = earliest.date() if isinstance(earliest, dt.datetime) else earliest
        if day is not None and day < FIRST_EXCEL_DATE:
            raise ValueError(f"sheet {sheet.name!r}, column {name!r}: {earliest} is before 1900-03-01, "
                             "where Excel's date numbers are wrong")
        if dtype == pl.Date:
            number_format = number_format or DATE_FORMAT
            value = (column.cast(pl.Int64) + EXCEL_EPOCH_DAYS).cast(pl.String)
        else:
            number_format = number_format or DATETIME_FORMAT
            wall = column.dt.replace_time_zone(None) if dtype.time_zone else column  # the zone's wall clock
            value = (wall.dt.epoch("us") / 86_400_000_000 + EXCEL_EPOCH_DAYS).cast(pl.String)
    elif dtype == pl.Null:
        return pl.lit(None, pl.String)
    else:
        raise TypeError(f"sheet {sheet.name!r}, column {name!r}: {dtype} cannot be written to a cell; "
                        "cast it to a string or number first")
    style = styles.index(number_format)
    return pl.concat_str([pl.lit(f'<c r="{letter}'), row, pl.lit(f'"{_s(style)}{kind}><v>'), value,
                          pl.lit("</v></c>")])


def _escape(text: pl.Expr, values: pl.Series) -> pl.Expr:
    """XML text as Excel writes it: `&<>` as entities, characters XML 1.0 forbids (and CR, which XML
    would turn into LF) as `_xHHHH_`, and a literal `_xHHHH_` with its underscore escaped
    (`_x005F_xHHHH_`) so that readers do not decode it. Passes only for what `values` (the column's
    distinct values) contain."""
    if not values.str.contains(_ESCAPE_RE).any():
        return text
    if values.str.contains(r"_x[0-9a-fA-F]{4}_").any():
        text = text.str.replace_all(r"(_x[0-9a-fA-F]{4}_)", "_x005F$1")
    for char, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")):
        if values.str.contains(char, literal=True).any():
            text = text.str.replace_all(char, entity, literal=True)
    if values.str.contains(_CONTROL_RE).any():
        for char in _CONTROL:
            text = text.str.replace_all(char, f"_x{ord(char):04X}_", literal=True)
    return text


def _preserve(text: str) -> str:
    return ' xml:space="preserve"' if re.search(r"^\s|\s$", text) else ""


def column_letter(index: int) -> str:
    """Excel's column name of a 0-based index: 0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _char_width(pixels: int) -> float:
    """Pixels as the character width a `<col>` holds, as xlsxwriter's `set_column_pixels` writes it
    (the stored width includes Excel's 5 px padding, so it is pixels / digit width, in 1/256ths)."""
    return (pixels * 256 // MAX_DIGIT_PIXELS) / 256


def _s(style: int) -> str:
    return f' s="{style}"' if style else ""


def _check_names(names: list[str]) -> None:
    seen: set[str] = set()
    for name in names:
        if not 1 <= len(name) <= 31 or re.search(r"[\[\]:*?/\\]", name) or name.startswith("'") or name.endswith("'"):
            raise ValueError(f"sheet name {name!r}: Excel needs 1 to 31 characters, none of []:*?/\\, "
                             "and no apostrophe first or last")
        if name.lower() in seen:
            raise ValueError(f"sheet name {name!r} is used twice (Excel ignores case)")
        seen.add(name.lower())


# --- styles ---------------------------------------------------------------------------------------------


class _Styles:
    """The cell formats (cellXfs) the sheets use, numbered in order of first use; 0 is the default."""

    def __init__(self) -> None:
        self.keys: list[tuple[str | None, bool, str | None]] = [(None, False, None)]

    def index(self, number_format: str | None, *, bold: bool = False, fill: str | None = None) -> int:
        key = (number_format, bold, fill.lstrip("#").upper() if fill else None)
        if key not in self.keys:
            self.keys.append(key)
        return self.keys.index(key)

    def xml(self) -> str:
        formats = list(dict.fromkeys(f for f, _, _ in self.keys if f is not None))
        fills = list(dict.fromkeys(c for _, _, c in self.keys if c is not None))
        num_fmts = "".join(f'<numFmt numFmtId="{164 + n}" formatCode={quoteattr(f)}/>' for n, f in enumerate(formats))
        num_fmts = f'<numFmts count="{len(formats)}">{num_fmts}</numFmts>' if formats else ""
        fill_xml = "".join(f'<fill><patternFill patternType="solid"><fgColor rgb="FF{c}"/><bgColor indexed="64"/>'
                           "</patternFill></fill>" for c in fills)
        xfs = []
        for number_format, bold, fill in self.keys:
            num_id = 164 + formats.index(number_format) if number_format else 0
            fill_id = 2 + fills.index(fill) if fill else 0
            applied = "".join([' applyNumberFormat="1"' if num_id else "", ' applyFont="1"' if bold else "",
                               ' applyFill="1"' if fill_id else ""])
            xfs.append(f'<xf numFmtId="{num_id}" fontId="{int(bold)}" fillId="{fill_id}" borderId="0" xfId="0"'
                       f"{applied}/>")
        font = '<sz val="11"/><name val="Calibri"/><family val="2"/>'
        return (
            f'{_XML}<styleSheet xmlns="{_MAIN}">{num_fmts}'
            f'<fonts count="2"><font>{font}</font><font><b/>{font}</font></fonts>'
            f'<fills count="{2 + len(fills)}"><fill><patternFill patternType="none"/></fill>'
            f'<fill><patternFill patternType="gray125"/></fill>{fill_xml}</fills>'
            '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
            '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
            f'<cellXfs count="{len(xfs)}">{"".join(xfs)}</cellXfs>'
            '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
            "</styleSheet>"
        )


# --- package parts -----------------------------------------------------------------------------------------


def _workbook(sheets: list[Sheet]) -> str:
    entries = "".join(f'<sheet name={quoteattr(s.name)} sheetId="{n}" r:id="rId{n}"/>'
                      for n, s in enumerate(sheets, start=1))
    # the autofilter's range, as Excel itself records it
    names = "".join(
        f'<definedName name="_xlnm._FilterDatabase" localSheetId="{n}" hidden="1">'
        f"{escape(_quote_sheet(s.name))}!$A$1:${column_letter(s.frame.width - 1)}${s.frame.height + 1}</definedName>"
        for n, s in enumerate(sheets) if s.frame.width)
    return (
        f'{_XML}<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><workbookPr/>'
        '<bookViews><workbookView xWindow="240" yWindow="15" windowWidth="16095" windowHeight="9660"/></bookViews>'
        f'<sheets>{entries}</sheets>{f"<definedNames>{names}</definedNames>" if names else ""}</workbook>'
    )


def _quote_sheet(name: str) -> str:
    return "'" + name.replace("'", "''") + "'"


def _workbook_rels(count: int) -> str:
    sheets = "".join(f'<Relationship Id="rId{n}" Type="{_REL}/worksheet" Target="worksheets/sheet{n}.xml"/>'
                     for n in range(1, count + 1))
    return (f'{_XML}<Relationships xmlns="{_PKG_REL}">{sheets}'
            f'<Relationship Id="rId{count + 1}" Type="{_REL}/styles" Target="styles.xml"/></Relationships>')


def _content_types(count: int) -> str:
    kind = "application/vnd.openxmlformats-officedocument"
    sheets = "".join(f'<Override PartName="/xl/worksheets/sheet{n}.xml" '
                     f'ContentType="{kind}.spreadsheetml.worksheet+xml"/>' for n in range(1, count + 1))
    return (
        f'{_XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/docProps/app.xml" ContentType="{kind}.extended-properties+xml"/>'
        '<Override PartName="/docProps/core.xml" '
        'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
        f'<Override PartName="/xl/styles.xml" ContentType="{kind}.spreadsheetml.styles+xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{kind}.spreadsheetml.sheet.main+xml"/>'
        f"{sheets}</Types>"
    )


def _core(created: dt.datetime | None) -> str:
    when = ""
    if created is not None:
        utc = created.astimezone(dt.UTC) if created.tzinfo else created
        stamp = utc.strftime("%Y-%m-%dT%H:%M:%SZ")
        when = (f'<dcterms:created xsi:type="dcterms:W3CDTF">{stamp}</dcterms:created>'
                f'<dcterms:modified xsi:type="dcterms:W3CDTF">{stamp}</dcterms:modified>')
    return (
        f'{_XML}<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
        'xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f"{when}</cp:coreProperties>"
    )


_ROOT_RELS = (
    f'{_XML}<Relationships xmlns="{_PKG_REL}">'
    f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
    f'<Relationship Id="rId2" Type="{_PKG_REL}/metadata/core-properties" Target="docProps/core.xml"/>'
    f'<Relationship Id="rId3" Type="{_REL}/extended-properties" Target="docProps/app.xml"/></Relationships>'
)
_APP = (
    f'{_XML}<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
    "<Application>Microsoft Excel</Application></Properties>"
)
