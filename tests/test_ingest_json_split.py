"""The streaming `messages`-array splitter against `json.loads` on hand-made tricky documents.

Every document is fed in blocks of several sizes, down to one byte, so that every boundary case
(inside a string, an escape, a UTF-8 character, the `"messages": [` key, between elements) is
crossed; the elements and the skeleton must come out exactly as `json.loads` of the whole
document says, whatever the block size.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from assets.ingest.json_split import MessageArraySplitter, split_blocks, split_file

BLOCK_SIZES = [1, 2, 3, 7, 13, 64, 1 << 20]


def expected(document: Any) -> tuple[Any, list[list[Any]]]:
    """(the document with every top-level `messages` array emptied, those arrays in order): the
    same walk the splitter does, on the parsed document."""
    arrays: list[list[Any]] = []

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            emptied = {}
            for key, value in node.items():
                if key == "messages" and isinstance(value, list):
                    arrays.append(value)
                    emptied[key] = []
                else:
                    emptied[key] = walk(value)
            return emptied
        if isinstance(node, list):
            return [walk(item) for item in node]
        return node

    return walk(document), arrays


def split(data: bytes, block_size: int) -> tuple[MessageArraySplitter, list[list[Any]], list[tuple]]:
    """Split `data` fed in blocks of `block_size`: (splitter, the elements per array as parsed
    from their NDJSON lines, (array, element, raw text) per line)."""
    splitter, parts = split_blocks([data[at : at + block_size] for at in range(0, len(data), block_size)])
    arrays: list[list[Any]] = [[] for _ in range(splitter.arrays)]
    raw = []
    for part in parts:
        lines = part.lines.split(b"\n")
        assert lines.pop() == b"", "every line ends with a line break"
        assert len(lines) == part.count
        for line, array, element, start, end in zip(
            lines, part.array_index, part.element_index, part.start, part.end, strict=True
        ):
            assert element == len(arrays[array]), "elements arrive in order, numbered from 0"
            arrays[array].append(json.loads(line))
            raw.append((int(array), int(element), data[start:end]))
    return splitter, arrays, raw


def assert_splits_like_json_loads(text: str | bytes) -> None:
    data = text.encode("utf-8") if isinstance(text, str) else text
    skeleton, arrays = expected(json.loads(data))
    for block_size in BLOCK_SIZES:
        splitter, got, raw = split(data, block_size)
        assert got == arrays, f"block size {block_size}"
        assert json.loads(splitter.skeleton()) == skeleton, f"block size {block_size}"
        assert splitter.unterminated is None
        for array, element, text in raw:  # the spans point at the raw element text
            assert json.loads(text) == arrays[array][element]


TRICKY = {
    "escaped quotes": r'{"messages": [{"text": "say \"hi\", then [ok]"}, {"text": "\"}, {"}], "x": "\"]"}',
    "backslashes before quotes": r'{"a": "ends with \\", "messages": ["\\", "\\\"", "\\\\\"]\\", "x\\\\"], "b": "\\\\"}',
    "messages in strings": (
        '{"note": "\\"messages\\": [1, 2]", "messages": [{"text": "\\"messages\\": [3]"}, "messages"],'
        ' "messages_note": "messages"}'
    ),
    "nested structures in elements": (
        '{"messages": [{"a": [1, [2, {"b": "]", "c": {}}]], "d": {"messages": [1, 2]}},'
        ' [[], {}], [{"messages": []}], {"e": {"f": [[[]]]}}]}'
    ),
    "empty arrays": '{"messages": [], "chats": {"list": [{"messages": [ \n\t ]}, {"messages": [\r\n]}]}}',
    "messages that are not arrays": '{"messages": {"messages": [1]}, "x": {"messages": "text"}, "y": {"messages": null}}',
    "other keys ending in messages": '{"old_messages": [1, 2], "messages_x": [3], "messages": [4], "Messages": [5]}',
    "whitespace around the key": '{"messages"\n :\r\n\t [ 1 ,\n 2\n ] , "z": {"messages" :[3]}}',
    "scalars and strings as elements": '{"messages": [1, -2.5e3, true, false, null, "a,b", "[", "]", "{", "}", ","]}',
    "unicode": '{"name": "VIP 客户群 😀", "messages": [{"text": "你好 👋 ñ", "from": "王芳"}, "é"]}',
    "backslash-x in strings": r'{"messages": [{"text": "ding\\x07dong \\\\x41"}]}',
}


@pytest.mark.parametrize("name", list(TRICKY))
def test_tricky_documents(name: str) -> None:
    assert_splits_like_json_loads(TRICKY[name])


ACCOUNT = {
    "about": "Here is the data you requested.",
    "personal_information": {"user_id": 1, "first_name": "Wei", "bio": "\"messages\": [\"not this\"]"},
    "contacts": {"about": "contacts", "list": [{"user_id": 2, "first_name": "A"}]},
    "chats": {
        "about": "chats",
        "list": [
            {"name": "Customer A", "type": "personal_chat", "id": 7001,
             "messages": [{"id": 1, "type": "message", "text": ["hi ", {"type": "mention", "text": "@a"}]},
                          {"id": 2, "type": "service", "members": ["A", "B"], "text": ""}]},
            {"name": "售后群", "type": "private_supergroup", "id": 1555, "messages": []},
            {"name": "Group", "type": "private_group", "id": 9, "messages": [{"id": 3, "text": "x"}]},
        ],
    },
    "left_chats": {"about": "left", "list": [{"name": "旧群", "id": 333, "messages": [{"id": 4, "text": "bye"}]}]},
    "other_data": {"about": "x", "messages": "none"},
}


@pytest.mark.parametrize("indent", [None, 1, 4])
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_account_export_pretty_and_minified(indent: int | None, newline: str) -> None:
    text = json.dumps(ACCOUNT, ensure_ascii=False, indent=indent).replace("\n", newline)
    assert_splits_like_json_loads(text)
    splitter, arrays, _ = split(text.encode(), 7)
    assert [len(array) for array in arrays] == [2, 0, 1, 1]  # chats in order, then left_chats


def test_escaped_unicode_and_ascii_only_output() -> None:
    assert_splits_like_json_loads(json.dumps(ACCOUNT, ensure_ascii=True, separators=(",", ":")))


def test_marked_skeleton_names_each_array() -> None:
    splitter, _, _ = split(json.dumps(ACCOUNT).encode(), 13)
    root = json.loads(splitter.skeleton(marked=True))
    chats = root["chats"]["list"] + root["left_chats"]["list"]
    assert [MessageArraySplitter.marked_array(chat["messages"]) for chat in chats] == [0, 1, 2, 3]
    assert MessageArraySplitter.marked_array([]) is None
    assert MessageArraySplitter.marked_array(["\0x"]) is None


def test_partial_skeleton_is_valid_json_at_every_block() -> None:
    data = json.dumps(ACCOUNT, ensure_ascii=False, indent=1).encode()
    splitter = MessageArraySplitter()
    seen = []
    for at in range(0, len(data), 5):
        splitter.feed(data[at : at + 5])
        if splitter.arrays:
            chats = json.loads(splitter.partial_skeleton())["chats"]["list"]
            seen.append(len(chats))
    splitter.finish()
    assert json.loads(splitter.partial_skeleton()) == json.loads(splitter.skeleton(marked=True))
    assert seen[0] == 1 and seen[-1] == 3, "the chats appear as their messages arrays are reached"


def test_keep_lines_puts_the_line_breaks_back() -> None:
    text = '{\n "id": 1,\n "messages": [\n  {"a": 1},\n  {"b": 2}\n ],\n "bad": ,\n "z": 1\n}\n'
    splitter, _, _ = split(text.encode(), 7)
    with pytest.raises(json.JSONDecodeError) as caught:
        json.loads(splitter.skeleton(keep_lines=True))
    assert (caught.value.lineno, caught.value.colno) == (7, 9)  # where json.loads of the file says
    with pytest.raises(json.JSONDecodeError) as whole:
        json.loads(text)
    assert (whole.value.lineno, whole.value.colno) == (7, 9)


def test_truncated_document_reports_the_open_element() -> None:
    text = '{"messages": [{"id": 1}, {"id": 2, "text": "cut off'
    splitter, arrays, _ = split(text.encode(), 3)
    assert arrays == [[{"id": 1}]]
    assert splitter.unterminated is not None
    assert (splitter.unterminated.array_index, splitter.unterminated.element_index) == (0, 1)
    assert splitter.unterminated.text.strip() == b'{"id": 2, "text": "cut off'
    assert text.encode()[splitter.unterminated.start :].strip() == b'{"id": 2, "text": "cut off'
    # an array left open right after its last complete element is not an open element
    splitter, _, _ = split(b'{"messages": [1, 2\n', 4)
    assert splitter.unterminated is not None and splitter.unterminated.text.strip() == b"2"
    splitter, _, _ = split(b'{"messages": [ \n', 4)
    assert splitter.unterminated is None


def test_tdesktop_hex_escapes_pass_through_unchanged() -> None:
    """tdesktop writes control characters as `\\xNN` (not JSON): the splitter leaves the repair
    to the reader and must not be thrown by the escape."""
    data = b'{"messages": [{"text": "ding\\x07dong\\\\"}, "b"]}'
    for block_size in (1, 3, 100):
        _, parts = split_blocks([data[at : at + block_size] for at in range(0, len(data), block_size)])
        lines = b"".join(part.lines for part in parts).split(b"\n")[:-1]
        assert [line.strip() for line in lines] == [b'{"text": "ding\\x07dong\\\\"}', b'"b"']


def test_raw_line_break_inside_a_string_is_flagged() -> None:
    text = '{"messages": [{"text": "ok"}, {"text": "line\none"}, {"text": "fine"}]}'
    for block_size in (1, 5, 100):
        _, parts = split_blocks([text.encode()[at : at + block_size] for at in range(0, len(text), block_size)])
        broken = np.concatenate([part.broken for part in parts])
        assert broken.tolist() == [False, True, False], f"block size {block_size}"


def test_element_offsets_count_decoded_bytes(tmp_path: Path) -> None:
    """split_file reads through TextStream: UTF-16 and GB18030 files split the same, and offsets
    are positions in the decoded (UTF-8) text."""
    text = json.dumps(ACCOUNT, ensure_ascii=False, indent=1)
    results = []
    for encoding in ("utf-8", "utf-8-sig", "utf-16", "gb18030"):
        path = tmp_path / f"{encoding}.json"
        path.write_text(text, encoding=encoding)
        parts = list(split_file(path, block_bytes=64))
        splitter = parts[-1][0]
        lines = b"".join(part.lines for _, part, _ in parts)
        assert json.loads(splitter.skeleton()) == expected(ACCOUNT)[0]
        assert parts[-1][2] == path.stat().st_size  # the last block reaches the end of the file
        results.append(lines)
    assert len(set(results)) == 1


def _random_document(rng: random.Random, depth: int = 0) -> Any:
    pieces = ["a", "b", '"', "\\", "\n", "\t", "messages", "[", "]", "{", "}", ",", ":", "中", "😀", " ", "\\x07", "y"]
    roll = rng.random()
    if depth > 3 or roll < 0.3:
        return rng.choice([1, -2.5, True, None, "messages", "".join(rng.choices(pieces, k=rng.randrange(6)))])
    if roll < 0.6:
        return [_random_document(rng, depth + 1) for _ in range(rng.randrange(4))]
    document = {}
    for _ in range(rng.randrange(4)):
        if rng.random() < 0.3:
            document["messages"] = [_random_document(rng, depth + 2) for _ in range(rng.randrange(5))]
        else:
            document["".join(rng.choices(pieces, k=rng.randrange(4)))] = _random_document(rng, depth + 1)
    return document


@pytest.mark.parametrize("seed", range(40))
def test_random_documents(seed: int) -> None:
    rng = random.Random(seed)
    document = {"x": _random_document(rng), "messages": [_random_document(rng) for _ in range(3)]}
    indent = rng.choice([None, 1, 2])
    text = json.dumps(document, ensure_ascii=rng.random() < 0.5, indent=indent)
    if rng.random() < 0.3:
        text = text.replace("\n", "\r\n")
    assert_splits_like_json_loads(text)
