"""Stream the `messages` arrays out of one big JSON document, block by block, in bounded memory.

A Telegram Desktop export is one JSON document; a busy chat makes it gigabytes, and Python's
`json.loads` needs about five times the file in memory. Nearly all of those bytes sit in the
elements of the chats' `messages` arrays, which the parser wants one per row anyway. So this module
reads the document once, in blocks, and hands on two things:

- per block, the elements of every array that is the value of a key named `messages` (and is not
  itself inside such an array) as NDJSON: one element per line, each with its array's index (in
  document order) and its own 0-based index in the array;
- a *skeleton*: the document with each of those arrays emptied to `[]`, small enough for
  `json.loads`, which is where the caller finds out which arrays are chats.

Everything is vectorised with numpy over the bytes (STYLE.md: no per-byte Python loop), one
segment of about a megabyte at a time (small enough to stay in the CPU cache):

- real quotes: every `"` except those escaped by an odd run of backslashes right before it;
- inside a string: an odd number of real quotes up to a byte, a prefix XOR of the quote bits,
  64 bytes per step on the packed bit mask, then unpacked;
- structure: the `{ } [ ] ,` outside strings and the nesting depth after each (a cumulative sum);
- `"messages": [` keys, looked for only where no such array is open: a `[` preceded, past
  whitespace, by `:` and, past whitespace, by the quoted key;
- elements: the commas directly inside those arrays become the NDJSON line breaks, and raw line
  breaks inside elements (JSON whitespace) become spaces.

Python loops run per segment and per array only.

Blocks may be cut anywhere, even inside a UTF-8 character or an escape: each segment is scanned
up to its last structural byte outside strings, where the scanner's state is simply "outside any
string", and the few bytes after it are scanned again with the next segment. An element that spans
blocks is carried, already converted, until its end arrives.

What the splitter does not check (the caller's JSON readers do): that elements are valid JSON (a
malformed element is still one line) and that the skeleton is. A raw line break inside a string
is invalid JSON that turning line breaks into spaces would hide, so such elements are flagged.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assets.ingest.encoding import TextStream

#: Byte values the scanner cares about.
_QUOTE, _BACKSLASH, _COMMA, _NEWLINE, _RETURN = 34, 92, 44, 10, 13
_OPEN_OBJECT, _CLOSE_OBJECT, _OPEN_ARRAY, _CLOSE_ARRAY = 123, 125, 91, 93
#: `{ } [ ]` all equal 0x59 once bits 0x26 are masked off (so do `Y _ y` and DEL, filtered after):
#: one AND and one compare over the block instead of four compares.
_BRACKET_MASK, _BRACKET_BITS = 0xD9, 0x59
_WHITESPACE = b" \t\r\n"
#: Depth change per structural byte.
_STEPS = np.zeros(256, np.int64)
_STEPS[[_OPEN_OBJECT, _OPEN_ARRAY]] = 1
_STEPS[[_CLOSE_OBJECT, _CLOSE_ARRAY]] = -1
#: Blocks are scanned in slices of this size: the scan's arrays then stay in the CPU cache, which
#: makes the scan about three times faster than on whole 16-64 MB blocks.
_SCAN_BYTES = 1 << 20
#: Skeleton padding that keeps error columns right is capped (a minified array is one long line).
_MAX_PAD = 4096


@dataclass(frozen=True)
class Elements:
    """The elements that ended in one block, as NDJSON `lines` (each line `\\n`-terminated)."""

    lines: bytes
    #: per line: which `messages` array (0-based, document order) and which element of it
    array_index: np.ndarray
    element_index: np.ndarray
    #: per line: offsets in the decoded stream of the element's first byte and one past its last
    #: (the raw text, line breaks included, for error messages)
    start: np.ndarray
    end: np.ndarray
    #: per line: the element has a raw line break inside a string (invalid JSON)
    broken: np.ndarray

    @property
    def count(self) -> int:
        return len(self.array_index)


@dataclass(frozen=True)
class Unterminated:
    """The element the document ended in (a truncated file): where it starts, its raw text."""

    array_index: int
    element_index: int
    start: int
    text: bytes


class MessageArraySplitter:
    """Feed a JSON document block by block (`feed`, then `finish`); read `skeleton()` at the end.

    `key` names the arrays to split out. Offsets are positions in the concatenation of the blocks.
    """

    def __init__(self, key: str = "messages") -> None:
        self._key = np.frombuffer(key.encode(), np.uint8)
        #: bytes after the last structural byte outside strings, scanned again with the next block
        self._pending = b""
        #: stream offset of `_pending[0]`, and nesting depth there
        self._offset = 0
        self._depth = 0
        #: nesting depth just inside the open `messages` array; -1 when none is open
        self._inside = -1
        self.arrays = 0
        #: the open array's next element: index, start offset, converted text so far, flags
        self._element = 0
        self._element_start = 0
        self._partial: list[bytes] = []
        self._partial_broken = False
        #: skeleton: byte fragments and, where each array was, its index (rendered by `skeleton`)
        self._fragments: list[bytes | int] = []
        #: fragments up to the last array opening or closing: a prefix that closing brackets complete
        self._clean = 0
        #: per array: raw line breaks dropped by emptying it, and bytes after its last one (both
        #: only to keep error positions in the skeleton right)
        self._newlines: list[int] = []
        self._pads: list[int] = []
        self.finished = False
        self.unterminated: Unterminated | None = None
        self._scanner = _Scanner()
        self._buffer = bytearray()

    # -- feeding ---------------------------------------------------------------------------------

    def feed(self, data: bytes) -> Elements:
        """Scan one more block; return the elements that ended in it."""
        if self.finished:
            raise ValueError("feed() after finish()")
        buf = self._pending + data if self._pending else data
        view = memoryview(buf)
        out = _Output(self._buffer)
        low, size = 0, len(buf)
        width = _SCAN_BYTES
        while low < size:
            high = min(size, low + width)
            cut = self._scan(view[low:high], out, final=False)
            if cut:
                low, width = low + cut, _SCAN_BYTES
            elif high == size:
                break
            else:  # not one structural byte (inside a very long string): look further
                width *= 2
        self._pending = bytes(view[low:])
        self._buffer = out.buffer
        return out.elements()

    def finish(self) -> Elements:
        """Scan what is left; afterwards `unterminated` says whether the input ended in an element."""
        out = _Output(self._buffer)
        self._scan(memoryview(self._pending), out, final=True)
        self._pending = b""
        self.finished = True
        if self._inside >= 0:
            text = b"".join(self._partial)
            if text.strip(_WHITESPACE) or self._element > 0:
                self.unterminated = Unterminated(self.arrays - 1, self._element, self._element_start, text)
        return out.elements()

    # -- skeleton --------------------------------------------------------------------------------

    def skeleton(self, *, marked: bool = False, keep_lines: bool = False) -> bytes:
        """The document so far with every `messages` array emptied.

        `marked` writes array i as `["\\u0000i"]` instead of `[]`, so a reader can tell which chat
        owns which array even when keys repeat (see `marked_array`). `keep_lines` writes the
        arrays' line breaks back (as bare line breaks) so that a JSON error in the skeleton reports
        the file's line number; for error messages only.
        """
        return self._render(self._fragments, marked, keep_lines)

    @staticmethod
    def marked_array(value: object) -> int | None:
        """The array index a marked skeleton wrote in place of an array's elements, else None."""
        if isinstance(value, list) and len(value) == 1 and isinstance(value[0], str):
            marker = value[0]
            if marker[:1] == "\0" and marker[1:].isdigit():
                return int(marker[1:])
        return None

    def partial_skeleton(self, *, marked: bool = True, keep_lines: bool = False) -> bytes:
        """The skeleton up to the last `messages` array that opened or closed, completed with the
        closing brackets of everything still open there: a valid document (if the file is valid
        so far) that names the chats whose messages are being read. Equals `skeleton()` once the
        input has finished."""
        if self.finished:
            return self.skeleton(marked=marked, keep_lines=keep_lines)
        prefix = self._render(self._fragments[: self._clean], marked, keep_lines)
        return prefix + _closers(prefix)

    def _render(self, fragments: list[bytes | int], marked: bool, keep_lines: bool) -> bytes:
        parts = []
        for fragment in fragments:
            if isinstance(fragment, bytes):
                parts.append(fragment)
                continue
            if marked:
                parts.append(b'"\\u0000%d"' % fragment)
            if keep_lines and self._newlines[fragment]:
                parts.append(b"\n" * self._newlines[fragment] + b" " * self._pads[fragment])
        return b"".join(parts)

    # -- scanning --------------------------------------------------------------------------------

    def _scan(self, segment: memoryview, out: "_Output", *, final: bool) -> int:
        """Scan `segment` (which starts outside any string) up to its last structural byte, or to
        its end when `final`; return how many bytes were consumed (0: no structural byte)."""
        data = np.frombuffer(segment, np.uint8)
        positions, kinds, breaks, in_string = self._scanner.tokens(data)
        if final:
            cut = len(data)
        elif len(positions):
            cut = int(positions[-1]) + 1
        else:
            return 0
        base = self._offset
        self._offset += cut
        depth = np.cumsum(_STEPS.take(kinds))
        depth += self._depth
        if len(depth):
            self._depth = int(depth[-1])
        regions = self._regions(data, positions, kinds, depth)
        breaks = breaks[:cut]
        in_string = in_string[: np.searchsorted(in_string, cut)]
        self._emit(segment, base, cut, positions, kinds, depth, regions, breaks, in_string, out)
        return cut

    def _regions(self, data, positions, kinds, depth) -> list[tuple[int, int, int | None, int]]:
        """(array index, token index of its `[` or -1 when it opened in an earlier block, token
        index of its closing bracket or None while it stays open, depth just inside it) for every
        array with bytes in this block. Arrays inside an array are skipped: the search for the next
        key starts after the previous array's end, and while an array stays open (most segments of
        a big chat) no key is looked for at all."""
        regions: list[tuple[int, int, int | None, int]] = []
        cursor = 0
        if self._inside >= 0:
            inside, self._inside = self._inside, -1
            end = _first_at(depth, 0, inside - 1)
            regions.append((self.arrays - 1, -1, end, inside))
            if end is None:
                self._inside = inside
                return regions
            cursor = end + 1
        keys = cursor + _key_arrays(data, positions[cursor:], kinds[cursor:], self._key,
                                    int(positions[cursor - 1]) if cursor else -1)
        while (at := int(np.searchsorted(keys, cursor))) < len(keys):
            opening = int(keys[at])
            inside = int(depth[opening])
            end = _first_at(depth, opening + 1, inside - 1)
            regions.append((self.arrays, opening, end, inside))
            self.arrays += 1
            self._newlines.append(0)
            self._pads.append(0)
            if end is None:
                self._inside = inside
                break
            cursor = end + 1
        return regions

    def _emit(self, segment, base, cut, positions, kinds, depth, regions, breaks, in_string, out) -> None:
        """Skeleton fragments for the bytes outside the arrays, NDJSON lines for the elements that
        end in this segment; the element still open at `cut` is carried."""
        converted = self._scanner.converted(np.frombuffer(segment, np.uint8, count=cut), breaks)
        skeleton_from = 0
        for array, opening, closing, inside in regions:
            first = int(positions[opening]) + 1 if opening >= 0 else 0
            last = int(positions[closing]) if closing is not None else cut
            if opening >= 0:
                self._fragments += [bytes(segment[skeleton_from:first]), array]
                self._clean = len(self._fragments)
                self._element, self._element_start = 0, base + first
                self._partial, self._partial_broken = [], False
            low, high = opening + 1, closing if closing is not None else len(kinds)
            separators = positions[low + np.flatnonzero((kinds[low:high] == _COMMA) & (depth[low:high] == inside))]
            converted[separators] = 10
            self._count_newlines(array, breaks, first, last)
            ends = separators
            if closing is not None:
                if len(separators) or self._element or not _blank(self._partial, converted[first:last]):
                    converted[last] = 10
                    ends = np.append(separators, last)
                self._fragments.append(bytes(segment[last : last + 1]))
                self._clean = len(self._fragments)
                skeleton_from = last + 1
            else:
                skeleton_from = cut
            low, high = np.searchsorted(in_string, [first, last])
            broken = in_string[low:high]
            if not len(ends):
                self._partial.append(converted[first:last].tobytes())
                self._partial_broken |= bool(len(broken))
                continue
            done = int(ends[-1]) + 1
            for piece in self._partial:
                out.write(piece)
            out.write(converted[first:done])
            count = len(ends)
            owner = np.searchsorted(ends, broken)
            flags = np.zeros(count, bool)
            flags[owner[owner < count]] = True
            flags[0] |= self._partial_broken
            out.arrays.append(np.full(count, array, np.int64))
            out.elements_.append(np.arange(self._element, self._element + count, dtype=np.int64))
            starts = np.empty(count, np.int64)
            starts[0] = self._element_start
            starts[1:] = base + ends[:-1] + 1
            out.starts.append(starts)
            out.ends.append(base + ends)
            out.broken.append(flags)
            self._element += count
            self._element_start = base + done
            self._partial = [converted[done:last].tobytes()] if closing is None else []
            self._partial_broken = bool((owner == count).any())
        if skeleton_from < cut:
            self._fragments.append(bytes(segment[skeleton_from:cut]))

    def _count_newlines(self, array: int, breaks: np.ndarray, first: int, last: int) -> None:
        """Line breaks inside the array (and bytes since the last one): the skeleton can put them
        back when it must report an error position."""
        inside = breaks[first:last]
        count = int(np.count_nonzero(inside))
        self._newlines[array] += count
        if count:
            self._pads[array] = _since_last(inside)
        else:
            self._pads[array] += last - first
        self._pads[array] = min(self._pads[array], _MAX_PAD)


def split_file(path: Path, *, key: str = "messages", block_bytes: int | None = None,
               display_path: Path | str | None = None) -> Iterator[tuple[MessageArraySplitter, Elements, int]]:
    """Split one file: (splitter, elements, bytes of the file consumed) per block, then once more
    after `finish`. Any encoding `TextStream` reads works (UTF-8 with or without BOM, UTF-16,
    GB18030). The splitter's skeleton is complete after the last item."""
    kwargs = {"block_bytes": block_bytes} if block_bytes else {}
    stream = TextStream(path, display_path=display_path, **kwargs)
    splitter = MessageArraySplitter(key)
    end_offset = 0
    for block in stream:
        end_offset = block.end_offset
        yield splitter, splitter.feed(block.data), end_offset
    yield splitter, splitter.finish(), end_offset


def split_blocks(blocks: Iterable[bytes], *, key: str = "messages") -> tuple[MessageArraySplitter, list[Elements]]:
    """Split a document given as byte blocks (tests, small inputs); elements of every block."""
    splitter = MessageArraySplitter(key)
    parts = [splitter.feed(block) for block in blocks]
    parts.append(splitter.finish())
    return splitter, parts


class _Scanner:
    """The vectorised tokenizer, with scratch arrays reused from segment to segment: fresh
    multi-megabyte temporaries cost more in page faults and cache misses than the work on them."""

    def __init__(self) -> None:
        self._arrays: tuple[np.ndarray, ...] = ()

    def _scratch(self, size: int) -> tuple[np.ndarray, ...]:
        if not self._arrays or len(self._arrays[0]) < size:
            self._arrays = (np.empty(size, bool), np.empty(size, bool), np.empty(size, np.uint8), np.empty(size, bool),
                            np.empty(size, np.uint8))
        return tuple(array[:size] for array in self._arrays)

    def converted(self, data: np.ndarray, breaks: np.ndarray) -> np.ndarray:
        """`data` with line breaks turned into spaces (JSON whitespace), in a reused buffer valid
        until the next segment: the larger of each byte and 32 where there is a break, which is
        far faster than a masked copy."""
        size = len(data)
        _, _, spaces, _, converted = self._scratch(size)
        np.multiply(breaks[:size].view(np.uint8), np.uint8(32), out=spaces)
        return np.maximum(data, spaces, out=converted)

    def tokens(self, data: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """For `data`, which starts outside strings: positions and bytes of `{ } [ ] ,` outside
        strings, a mask of the line breaks (valid until the next call) and the positions of the
        line breaks inside strings (invalid JSON; almost always none).

        A quote is real unless an odd run of backslashes right before it escapes it; a byte is
        inside a string when the real quotes up to it are odd in number: a prefix XOR of the quote
        bits, computed 64 bytes at a time on the packed bit mask (`_string_bits`).
        """
        size = len(data)
        quotes, mask, scratch, breaks, _ = self._scratch(size)
        np.equal(data, _QUOTE, out=quotes)
        if size > 1:
            after_backslash = mask[: size - 1]
            np.equal(data[:-1], _BACKSLASH, out=after_backslash)
            np.logical_and(after_backslash, quotes[1:], out=after_backslash)
            if after_backslash.any():
                quotes[_escaped_quotes(data, np.flatnonzero(after_backslash) + 1)] = False
        inside = np.unpackbits(_string_bits(quotes).view(np.uint8), count=size, bitorder="little").view(bool)
        # `{ } [ ]` and `,` outside strings: one AND and compare for the four brackets (plus
        # `Y _ y` DEL, which valid JSON has only inside strings; dropped below all the same)
        np.bitwise_and(data, _BRACKET_MASK, out=scratch)
        np.equal(scratch, _BRACKET_BITS, out=mask)
        np.equal(data, _COMMA, out=quotes)
        np.logical_or(mask, quotes, out=mask)
        np.greater(mask, inside, out=mask)  # and not inside
        positions = np.flatnonzero(mask)
        kinds = data.take(positions)
        keep = kinds == _COMMA
        for bracket in (_OPEN_OBJECT, _CLOSE_OBJECT, _OPEN_ARRAY, _CLOSE_ARRAY):
            keep |= kinds == bracket
        if not keep.all():
            positions, kinds = positions[keep], kinds[keep]
        np.equal(data, _NEWLINE, out=breaks)
        np.equal(data, _RETURN, out=quotes)
        np.logical_or(breaks, quotes, out=breaks)
        np.logical_and(breaks, inside, out=mask)
        broken = np.flatnonzero(mask) if mask.any() else positions[:0]
        return positions, kinds, breaks, broken


#: Shifts that turn each 64-bit word of quote bits into its running XOR.
_PREFIX_SHIFTS = tuple(np.uint64(shift) for shift in (1, 2, 4, 8, 16, 32))


def _string_bits(quotes: np.ndarray) -> np.ndarray:
    """Bit i (of 64-bit word i // 64) is set when byte i is inside a string (the real quotes up to
    and including it are odd in number)."""
    bits = np.packbits(quotes, bitorder="little")
    padding = -len(bits) % 8
    if padding:
        bits = np.concatenate((bits, np.zeros(padding, np.uint8)))
    words = bits.view(np.uint64)
    for shift in _PREFIX_SHIFTS:
        words ^= words << shift
    # carry each word's parity into every later word
    carry = np.bitwise_xor.accumulate(words >> np.uint64(63))
    words[1:] ^= np.uint64(0) - carry[:-1]
    return words


def _inside(strings: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """Whether each position (not itself a quote) lies inside a string."""
    bits = strings.take(positions >> 6) >> (positions & 63).astype(np.uint64)
    return (bits & np.uint64(1)).astype(bool)


def _escaped_quotes(data: np.ndarray, follows: np.ndarray) -> np.ndarray:
    """Positions, among `follows` (quotes right after a backslash), of the quotes escaped by an
    odd run of backslashes: walk back one backslash at a time (runs are short); a pathological run
    is measured with one search of its own."""
    escaped = []
    active = follows
    for run in range(1, 65):
        back = active - run - 1
        longer = back >= 0
        longer[longer] = data.take(back[longer]) == _BACKSLASH
        if run % 2:
            escaped.append(active[~longer])
        active = active[longer]
        if not len(active):
            break
    for quote in active.tolist():  # runs of 64+ backslashes (hand-made files only)
        before = data[:quote][::-1] != _BACKSLASH
        run = int(before.argmax()) if before.any() else quote
        if run % 2:
            escaped.append(np.array([quote], np.int64))
    return np.concatenate(escaped)


def _key_arrays(data: np.ndarray, positions: np.ndarray, kinds: np.ndarray, key: np.ndarray,
                before: int) -> np.ndarray:
    """Token indices of the `[` that open the value of a `"<key>"` key: before the bracket, past
    whitespace, a `:`, past whitespace, the key's closing quote, with the key and an unescaped
    opening quote before it, all after the previous structural byte (`before` for the first)."""
    opens = np.flatnonzero(kinds == _OPEN_ARRAY)
    if not len(opens) or not len(key):
        return opens[:0]
    floor = np.where(opens > 0, positions.take(np.maximum(opens - 1, 0)), before)
    colon = _previous_nonspace(data, positions.take(opens), floor)
    keep = colon >= 0
    keep[keep] = data.take(colon[keep]) == ord(":")
    opens, floor, colon = opens[keep], floor[keep], colon[keep]
    close = _previous_nonspace(data, colon, floor)
    start = close - len(key) - 1
    keep = start > floor
    keep[keep] = (data.take(close[keep]) == _QUOTE) & (data.take(start[keep]) == _QUOTE)
    opens, start = opens[keep], start[keep]
    if not len(opens):
        return opens
    keep = (data[start[:, None] + 1 + np.arange(len(key))] == key).all(axis=1)
    opens, start = opens[keep], start[keep]
    # the opening quote must be real: not escaped by an odd run of backslashes
    suspects = np.flatnonzero(start > 0)
    suspects = suspects[data.take(start[suspects] - 1) == _BACKSLASH]
    if len(suspects):
        keep = np.ones(len(opens), bool)
        keep[suspects] = ~np.isin(start[suspects], _escaped_quotes(data, start[suspects]))
        opens = opens[keep]
    return opens


def _previous_nonspace(data: np.ndarray, ends: np.ndarray, floors: np.ndarray) -> np.ndarray:
    """For each position, the nearest earlier byte that is not JSON whitespace and lies after its
    floor; -1 when there is none. Looks back in windows that grow for the few rows that need it."""
    found = np.full(len(ends), -1, np.int64)
    rows = np.arange(len(ends))
    cursor = ends.copy()
    width = 16
    while len(rows):
        back = cursor[:, None] - 1 - np.arange(width)
        valid = back > floors[rows, None]
        window = data.take(np.maximum(back, 0))
        solid = valid & (window != 32) & (window != 9) & (window != 10) & (window != 13)
        hit = solid.any(axis=1)
        found[rows[hit]] = back[hit, solid[hit].argmax(axis=1)]
        more = ~hit & valid[:, -1]
        rows, cursor = rows[more], cursor[more] - width
        width *= 4
    return found


def _first_at(depth: np.ndarray, start: int, target: int) -> int | None:
    """First token index >= start whose depth is `target` (where an array closes), searching in
    growing windows so the cost follows the array's length, not the segment's; None (after one
    look at the minimum) when the array stays open."""
    if start >= len(depth) or depth[start:].min() > target:
        return None
    width = 1024
    while True:
        window = depth[start : start + width] <= target
        hit = int(window.argmax())
        if window[hit]:
            return start + hit
        start += width
        width *= 4


def _blank(partial: list[bytes], rest: np.ndarray) -> bool:
    """Whether the only element of an array is whitespace, i.e. the array is empty."""
    return not any(chunk.strip(_WHITESPACE) for chunk in partial) and not rest.tobytes().strip(_WHITESPACE)


def _since_last(flags: np.ndarray) -> int:
    """Entries after the last set one (which exists), looking back from the end in growing steps."""
    width = 256
    while True:
        hits = np.flatnonzero(flags[-width:])
        if len(hits):
            return min(width, len(flags)) - 1 - int(hits[-1])
        width *= 16


def _closers(prefix: bytes) -> bytes:
    """The closing brackets, innermost first, of the brackets `prefix` leaves open."""
    kinds = _Scanner().tokens(np.frombuffer(prefix, np.uint8))[1]
    kinds = kinds[kinds != _COMMA]
    if not len(kinds):
        return b""
    steps = _STEPS[kinds]
    depth = np.cumsum(steps)
    # an opening bracket is still open when the depth never falls below its level afterwards
    later_min = np.minimum.accumulate(depth[::-1])[::-1]
    later_min = np.append(later_min[1:], np.iinfo(np.int64).max)
    still_open = (steps == 1) & (later_min >= depth)
    opened = kinds[still_open][::-1]
    return bytes(np.where(opened == _OPEN_OBJECT, _CLOSE_OBJECT, _CLOSE_ARRAY).astype(np.uint8))


class _Output:
    """What one `feed` produces: NDJSON, written into the splitter's buffer (reused from feed to
    feed: fresh pages cost more than the copying), and the per-line columns, joined at the end."""

    def __init__(self, buffer: bytearray) -> None:
        self.buffer = buffer
        self.size = 0
        self.arrays: list[np.ndarray] = []
        self.elements_: list[np.ndarray] = []
        self.starts: list[np.ndarray] = []
        self.ends: list[np.ndarray] = []
        self.broken: list[np.ndarray] = []

    def write(self, chunk: bytes | np.ndarray) -> None:
        end = self.size + len(chunk)
        if end > len(self.buffer):
            grown = bytearray(max(end, 2 * len(self.buffer)))
            grown[: self.size] = memoryview(self.buffer)[: self.size]
            self.buffer = grown
        memoryview(self.buffer)[self.size : end] = chunk
        self.size = end

    def elements(self) -> Elements:
        def join(parts: list[np.ndarray], dtype) -> np.ndarray:
            if len(parts) == 1:
                return parts[0].astype(dtype, copy=False)
            return np.concatenate(parts).astype(dtype, copy=False) if parts else np.zeros(0, dtype)

        return Elements(
            lines=bytes(memoryview(self.buffer)[: self.size]),
            array_index=join(self.arrays, np.int64),
            element_index=join(self.elements_, np.int64),
            start=join(self.starts, np.int64),
            end=join(self.ends, np.int64),
            broken=join(self.broken, bool),
        )
