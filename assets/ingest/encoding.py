"""Decode export files whose encoding nobody wrote down, in bounded memory.

Chinese exporters write UTF-8, UTF-8 with a BOM (Windows tools), UTF-16 (some Windows tools) or
GB18030/GBK (older PC clients and Excel round-trips); FORMATS.md §9 gives the order in which to
try them. Decoding happens here, in Python, because DuckDB cannot read GB18030.

Files are read in blocks (`BLOCK_BYTES`) that end at a line break, so a multi-gigabyte export
never sits in memory whole, and each block reaches the parsers as UTF-8 bytes ready for
`pl.read_lines`:

- a BOM decides the encoding outright (a lying BOM is a broken file);
- without one, blocks of pure ASCII leave the question open (ASCII is the same in every
  candidate), and the first block with other bytes decides it: UTF-8 if that block is valid
  UTF-8, otherwise GB18030 — a superset of GBK/GB2312, tried strictly rather than through
  charset-normalizer's guess, which on short Chinese text often prefers Big5 or CP949 and would
  silently garble it;
- a later block that is not valid in the decided encoding stops the run with the byte offset,
  instead of loading mojibake.

UTF-8 blocks are passed through as bytes (Polars validates them while splitting lines); the other
encodings go through Python's incremental decoder, which carries characters split across blocks.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from assets.ingest.errors import ExportReadError

#: Byte-order marks in the order they must be tested (none is a prefix of a later one).
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

#: How much of a file `read_head` decodes: enough for a format's opening keys and first records.
HEAD_BYTES = 16_384

#: Bytes read per block: large enough that per-block overhead vanishes, small enough that a
#: block's parsed frames stay a few hundred MB.
BLOCK_BYTES = 64 << 20

_NOT_TEXT = (
    "expected a UTF-8, UTF-16 (with BOM) or GB18030 text export"
)


@dataclass(frozen=True)
class TextBlock:
    """Whole lines of a file as UTF-8 bytes; `first_line` is the 1-based number of the first."""

    data: bytes
    first_line: int
    #: bytes of the source file consumed once this block is processed (for progress)
    end_offset: int

    def lines(self, path: Path | str, name: str = "raw") -> pl.DataFrame:
        """`(line_no, <name>)` per physical line, split on `\\n` only with a trailing `\\r`
        removed: `str.splitlines` would also split on U+2028 and other separators that may sit
        inside message text, shifting every later line number."""
        try:
            frame = pl.read_lines(self.data, name=name, row_index_name="line_no", row_index_offset=self.first_line)
        except pl.exceptions.ComputeError:
            raise ExportReadError(path, self.invalid_utf8_reason()) from None
        return frame.with_columns(pl.col("line_no").cast(pl.Int64))

    def text(self, path: Path | str) -> str:
        try:
            return self.data.decode("utf-8")
        except UnicodeDecodeError:
            raise ExportReadError(path, self.invalid_utf8_reason()) from None

    def invalid_utf8_reason(self) -> str:
        """Where a block that should be UTF-8 is not (slow path: errors only)."""
        try:
            self.data.decode("utf-8")
        except UnicodeDecodeError as error:
            line = self.first_line + self.data.count(b"\n", 0, error.start)
            offset = self.end_offset - len(self.data) + error.start
            return (
                f"line {line} (byte offset {offset}): invalid UTF-8 byte 0x{self.data[error.start]:02x} in a "
                f"file whose earlier text or byte-order mark said UTF-8; {_NOT_TEXT}"
            )
        return f"lines from {self.first_line}: cannot be split into lines; {_NOT_TEXT}"


class TextStream:
    """A file decoded block by block; `encoding` is final once iteration has finished."""

    def __init__(self, path: Path, *, display_path: Path | str | None = None, block_bytes: int = BLOCK_BYTES):
        self.path = path
        self.display_path = display_path or path
        self.block_bytes = block_bytes
        self.encoding = "utf-8"
        self._decided = False

    def __iter__(self) -> Iterator[TextBlock]:
        """Blocks in file order; an empty file is one empty block, so parsers always yield."""
        line = 1
        for data, end_offset in self._blocks():
            yield TextBlock(data, line, end_offset)
            line += data.count(b"\n")

    def line_frames(self, name: str = "raw") -> Iterator[tuple[TextBlock, pl.DataFrame]]:
        """Each block with its lines (`TextBlock.lines`), the next block read and split on a
        second thread while the caller parses this one: file reading and line splitting then
        overlap DuckDB's work instead of adding to it. Line numbers continue from the previous
        block's line count, so the bytes are never scanned for line breaks in Python."""
        with ThreadPoolExecutor(max_workers=1) as pool:
            blocks = self._blocks()
            line = 1

            def next_frame() -> tuple[TextBlock, pl.DataFrame] | None:
                nonlocal line
                item = next(blocks, None)
                if item is None:
                    return None
                block = TextBlock(item[0], line, item[1])
                frame = block.lines(self.display_path, name)
                line += frame.height
                return block, frame

            pending = pool.submit(next_frame)
            while (ready := pending.result()) is not None:
                pending = pool.submit(next_frame)
                yield ready

    def read_bytes(self) -> bytes:
        """The whole file as UTF-8 bytes without a BOM (for files small enough to hold whole)."""
        return b"".join(data for data, _ in self._blocks())

    def read(self) -> str:
        """The whole file as one string (for formats parsed as one document)."""
        return "".join(block.text(self.display_path) for block in self)

    def _blocks(self) -> Iterator[tuple[bytes, int]]:
        """`_utf8_blocks`, with one empty block for an empty file."""
        empty = True
        for item in self._utf8_blocks():
            empty = False
            yield item
        if empty:
            yield b"", 0

    def _utf8_blocks(self) -> Iterator[tuple[bytes, int]]:
        """UTF-8 byte blocks each ending just after a `\\n` (the last one possibly not)."""
        try:
            handle = self.path.open("rb")
        except OSError as error:
            raise ExportReadError(self.display_path, f"cannot read the file ({error.strerror})") from None
        with handle:
            first = _read(handle, self.block_bytes, self.display_path)
            bom = _bom_encoding(first)
            if bom and bom != "utf-8-sig":
                self.encoding, self._decided = bom, True
                yield from self._decoded_blocks(handle, first, bom)
                return
            if bom:
                self.encoding, self._decided = "utf-8-sig", True
                first = first[len(codecs.BOM_UTF8):]
            yield from self._plain_blocks(handle, first)

    def _plain_blocks(self, handle, data: bytes) -> Iterator[tuple[bytes, int]]:
        """BOM-less or UTF-8-BOM files: pass UTF-8 through, switch to GB18030 when it is that."""
        carry = b""
        offset = handle.tell() - len(data)
        while data:
            offset += len(data)
            if not self._decided and not data.isascii():
                utf8_error = _utf8_error(carry + data)
                if utf8_error is not None:
                    start = offset - len(carry + data)
                    self.encoding, self._decided = "gb18030", True
                    yield from self._decoded_blocks(
                        handle, carry + data, "gb18030", offset,
                        not_also=f"not UTF-8 (invalid byte 0x{(carry + data)[utf8_error]:02x} at byte offset "
                                 f"{start + utf8_error}) and ",
                    )
                    return
                self.encoding, self._decided = "utf-8", True
            # at most one copy per block: the carried partial line joins the block's whole lines
            cut = data.rfind(b"\n") + 1
            if not cut:  # a line longer than a block: keep reading
                carry += data
            elif not carry and cut == len(data):
                yield data, offset
            else:
                yield carry + data[:cut] if cut < len(data) else carry + data, offset
                carry = data[cut:]
            data = _read(handle, self.block_bytes, self.display_path)
        if carry:
            yield carry, offset

    def _decoded_blocks(
        self, handle, data: bytes, encoding: str, offset: int | None = None, not_also: str = ""
    ) -> Iterator[tuple[bytes, int]]:
        decoder = codecs.getincrementaldecoder(encoding)()
        offset = handle.tell() if offset is None else offset
        consumed = offset - len(data)
        carry, first = "", True
        while True:
            final = not data
            try:
                text = carry + decoder.decode(data, final=final)
            except UnicodeDecodeError as error:
                raise ExportReadError(
                    self.display_path,
                    f"cannot decode the file: {not_also}byte offset {consumed + error.start} is not "
                    f"valid {encoding.upper()}; {_NOT_TEXT}",
                ) from None
            consumed += len(data)
            if first:
                text, first = text.removeprefix("\ufeff"), False
            if final:
                if text:
                    yield text.encode("utf-8"), consumed
                return
            cut = text.rfind("\n") + 1
            if cut:
                yield text[:cut].encode("utf-8"), consumed
            carry = text[cut:]
            data = _read(handle, self.block_bytes, self.display_path)


def read_text(path: Path, *, display_path: Path | str | None = None) -> tuple[str, str]:
    """Return the whole file decoded, without a BOM, and the name of the encoding used.

    Raises ExportReadError when the bytes are neither UTF-8 (with or without a BOM), UTF-16 with
    a BOM, nor GB18030, so a file in an unknown encoding stops the run instead of loading mojibake.
    """
    stream = TextStream(path, display_path=display_path)
    text = stream.read()
    return text, stream.encoding


def read_small(path: Path, *, display_path: Path | str | None = None) -> tuple[bytes, str]:
    """A file small enough to hold whole, as UTF-8 bytes without a BOM, and its encoding: the
    same checks and decoding as `TextStream`, for loaders that parse many small files at once."""
    stream = TextStream(path, display_path=display_path)
    data = stream.read_bytes()
    return data, stream.encoding


def read_small_files(sources: Sequence[tuple[Path, str]]) -> list[tuple[bytes, str]]:
    """`read_small` of each `(path, display_path)`, the same bytes and encodings, for a batch.

    Most exports are UTF-8: each is read whole and validated by Polars, at GB/s, without building
    a Python str (decoding it in Python, as `TextStream` does block by block, ran at ~0.5 GB/s on
    Chinese text: a tenth of the load time). A file with a UTF-16 BOM, or whose bytes are not
    UTF-8, goes through `read_small`, which decodes it or names the byte that is neither."""
    read = []
    for path, display_path in sources:
        try:
            data = path.read_bytes()
        except OSError as error:
            raise ExportReadError(display_path, f"cannot read the file ({error.strerror})") from None
        bom = _bom_encoding(data)
        text = data[len(codecs.BOM_UTF8):] if bom == "utf-8-sig" else data
        if bom in (None, "utf-8-sig") and _is_utf8(text):
            read.append((text, bom or "utf-8"))
        else:
            read.append(read_small(path, display_path=display_path))
    return read


def _is_utf8(data: bytes) -> bool:
    """Whether `data` is UTF-8, checked by Polars (Rust's validator) without decoding to a str."""
    try:
        pl.Series([data], dtype=pl.Binary).cast(pl.String)
    except pl.exceptions.ComputeError:
        return False
    return True


def batch_lines(texts: list[tuple[str, bytes]]) -> pl.DataFrame:
    """`(source_file, line_no, raw)` for every physical line of many files' UTF-8 texts
    (`(source_file, data)` each), split exactly as `TextBlock.lines` splits one file, in a single
    pass over all of them: a file's lines are numbered from 1 and its last line needs no `\\n`."""
    whole = [data if not data or data.endswith(b"\n") else data + b"\n" for _, data in texts]
    counts = pl.DataFrame(
        {"source_file": [name for name, _ in texts], "lines": [data.count(b"\n") for data in whole]},
        schema={"source_file": pl.String(), "lines": pl.Int64()},
    ).filter(pl.col("lines") > 0)
    if not counts.height:
        return pl.DataFrame(schema={"source_file": pl.String(), "line_no": pl.Int64(), "raw": pl.String()})
    try:
        raw = pl.read_lines(b"".join(whole), name="raw")
    except pl.exceptions.ComputeError:
        for (name, data) in texts:  # name the file and line that is not UTF-8
            TextBlock(data, 1, len(data)).lines(name)
        raise
    numbered = counts.select(
        pl.col("source_file").repeat_by("lines").explode(),
        pl.int_ranges(1, pl.col("lines") + 1).explode().alias("line_no"),
    )
    return pl.concat([numbered, raw], how="horizontal")


def read_head(path: Path, size: int = HEAD_BYTES) -> str:
    """Decode the first `size` bytes leniently, for format sniffing only.

    The cut may split a multi-byte character and a GB18030 file may not be identified from a
    fragment, so undecodable bytes are replaced instead of raising: sniffing looks for ASCII keys.
    """
    try:
        with path.open("rb") as handle:
            data = handle.read(size)
    except OSError as error:
        raise ExportReadError(path, f"cannot read the file ({error.strerror})") from None
    encoding = _bom_encoding(data) or "utf-8"
    return data.decode(encoding, errors="replace").removeprefix("\ufeff")


def _read(handle, size: int, display_path: Path | str) -> bytes:
    try:
        return handle.read(size)
    except OSError as error:
        raise ExportReadError(display_path, f"cannot read the file ({error.strerror})") from None


def _bom_encoding(data: bytes) -> str | None:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return encoding
    return None


def _utf8_error(data: bytes) -> int | None:
    """Offset of the first byte that is not UTF-8, allowing a character cut off by the block's
    end; None when `data` is UTF-8."""
    try:
        codecs.getincrementaldecoder("utf-8")().decode(data, final=False)
    except UnicodeDecodeError as error:
        return error.start
    return None
