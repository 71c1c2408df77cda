"""Decode export files whose encoding nobody wrote down.

Chinese exporters write UTF-8, UTF-8 with a BOM (Windows tools), UTF-16 (some Windows tools) or
GB18030/GBK (older PC clients and Excel round-trips); FORMATS.md §9 gives the order in which to
try them. Decoding happens here, in Python, because DuckDB cannot read GB18030.

GB18030 is tried with a strict direct decode rather than charset-normalizer's guess: it is the only
legacy encoding we accept, it is a superset of GBK/GB2312, and on short Chinese files
charset-normalizer often prefers Big5 or CP949, which would silently garble the text.
"""

from __future__ import annotations

import codecs
from pathlib import Path

from assets.ingest.errors import ExportReadError

#: Byte-order marks in the order they must be tested (none is a prefix of a later one).
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

#: How much of a file `read_head` decodes: enough for a format's opening keys and first records.
HEAD_BYTES = 16_384


def read_text(path: Path) -> tuple[str, str]:
    """Return the whole file decoded, without a BOM, and the name of the encoding used.

    Raises ExportReadError when the bytes are neither UTF-8 (with or without a BOM), UTF-16 with
    a BOM, nor GB18030, so a file in an unknown encoding stops the run instead of loading mojibake.
    """
    data = _read_bytes(path)
    encoding = _bom_encoding(data)
    if encoding is not None:
        return _decode_with_bom(path, data, encoding), encoding
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as utf8_error:
        try:
            return data.decode("gb18030"), "gb18030"
        except UnicodeDecodeError:
            raise ExportReadError(
                path,
                f"cannot decode the file: not UTF-8 (invalid byte 0x{data[utf8_error.start]:02x} "
                f"at byte offset {utf8_error.start}) and not GB18030; expected a UTF-8, UTF-16 "
                "(with BOM) or GB18030 text export",
            ) from None


def read_head(path: Path, size: int = HEAD_BYTES) -> str:
    """Decode the first `size` bytes leniently, for format sniffing only.

    The cut may split a multi-byte character and a GB18030 file may not be identified from a
    fragment, so undecodable bytes are replaced instead of raising: sniffing looks for ASCII keys.
    """
    data = _read_bytes(path, size)
    encoding = _bom_encoding(data) or "utf-8"
    return data.decode(encoding, errors="replace").removeprefix("\ufeff")


def _read_bytes(path: Path, size: int = -1) -> bytes:
    """Read `size` bytes (all when negative); an unreadable file is an ExportReadError."""
    try:
        with path.open("rb") as handle:
            return handle.read(size)
    except OSError as error:
        raise ExportReadError(path, f"cannot read the file ({error.strerror})") from None


def _bom_encoding(data: bytes) -> str | None:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return encoding
    return None


def _decode_with_bom(path: Path, data: bytes, encoding: str) -> str:
    """Decode strictly in the encoding the BOM announces; a lying BOM is a broken file."""
    try:
        return data.decode(encoding).removeprefix("\ufeff")
    except UnicodeDecodeError as error:
        raise ExportReadError(
            path,
            f"the file starts with a {encoding} byte-order mark but byte offset {error.start} is "
            f"not valid {encoding}",
        ) from None
