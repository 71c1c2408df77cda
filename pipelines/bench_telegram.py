"""A large, realistic Telegram Desktop single-chat `result.json` for measuring the streaming parser.

Busy supergroups export to gigabytes; the samples we have are a few kilobytes. `generate` writes
one laid out byte for byte like tdesktop's pretty printer (one-space indentation, `": "` after keys,
one key per line, keys in the exporter's order): plain messages with `text` as a string, messages
whose `text` is an array of strings and entity objects (mentions, mention_name, links, bold) with
the matching `text_entities`, replies, edits, photos, stickers, voice messages, files and service
messages (`invite_members` with `members`, `join_group_by_link`, `remove_members`,
`pin_message`), in Chinese and English, with `\\n`, `\\"` and `\\\\` escapes inside strings.

    python -m pipelines.bench_telegram [--gigabytes 2] [--out build/bench/telegram_2GB.json] [--parse]

`--parse` then consumes `telegram.parse_parts` on the file and prints wall time, messages/s and
this process's peak RSS (run it under `/usr/bin/time -v` for the authoritative figure).
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from pipelines.bench_text import EN as _SHARED_EN, FAMILY as _FAMILY, FIRST as _FIRST, GIVEN as _GIVEN, LAST as _LAST
from pipelines.bench_text import TAIL as _TAIL, ZH as _SHARED_ZH

#: A few more lines than the shared set, with quotes and backslashes that JSON must escape.
_ZH = _SHARED_ZH + ["订单号是多少？", "请把\"发票抬头\"发我一下"]
_EN = _SHARED_EN + ['he said "tomorrow"', "the file is in C:\\shared\\reports"]

_LINKS = ["https://t.me/joinchat/AAAAAE", "https://example.com/order?id=42", "https://github.com/telegramdesktop/tdesktop",
          "https://mp.weixin.qq.com/s/abc123", "https://docs.google.com/document/d/1x"]
_NOT_INCLUDED = "(File not included. Change data exporting settings to download.)"

#: Seconds between consecutive messages: mostly bursts, sometimes a pause, rarely an hour.
_GAPS = [0, 1, 2, 3, 5, 8, 12, 20, 40, 90, 600, 3600]
_GAP_WEIGHTS = [15, 15, 15, 12, 12, 10, 8, 6, 4, 2, 0.6, 0.15]

#: tdesktop writes `date` in the exporting computer's local time.
_LOCAL = timezone(timedelta(hours=8))

_BATCH = 20_000
_CHAT_NAME = "VIP 客户群 · Customers"
_CHAT_ID = 1987654321


def generate(path: Path, target_bytes: int, seed: int = 7) -> int:
    """Write about `target_bytes` of single-chat export to `path`; return the messages written
    (service messages included)."""
    rng = random.Random(seed)
    members = _members(rng, 400)
    texts = _texts(rng, members)
    path.parent.mkdir(parents=True, exist_ok=True)
    start = int(datetime(2021, 3, 1, 8, 0, tzinfo=_LOCAL).timestamp())
    seconds, message_id, written = 0, 0, 0
    dates: tuple[int, str] = (-1, "")
    with path.open("wb", buffering=1 << 22) as out:
        head = (
            "{\n"
            f' "name": {_string(_CHAT_NAME)},\n'
            ' "type": "private_supergroup",\n'
            f' "id": {_CHAT_ID},\n'
            ' "messages": [\n'
        ).encode()
        out.write(head)
        written = len(head)
        separator = ""
        while written < target_bytes:
            gaps = rng.choices(_GAPS, _GAP_WEIGHTS, k=_BATCH)
            senders = rng.choices(members, k=_BATCH)
            bodies = rng.choices(texts, k=_BATCH)
            rolls = [rng.random() for _ in range(_BATCH)]
            chunks = []
            for gap, sender, body, roll in zip(gaps, senders, bodies, rolls):
                seconds += gap
                message_id += 1
                unixtime = start + seconds
                if unixtime != dates[0]:
                    local = datetime.fromtimestamp(unixtime, _LOCAL)
                    dates = (unixtime, f'   "date": "{local:%Y-%m-%dT%H:%M:%S}",\n   "date_unixtime": "{unixtime}",\n')
                if roll < 0.012:
                    record = _service(rng, message_id, dates[1], sender, members)
                else:
                    record = _message(rng, message_id, dates[1], sender, body, roll)
                chunks.append(separator)
                chunks.append(record)
                separator = ",\n"
            data = "".join(chunks).encode()
            out.write(data)
            written += len(data)
        out.write(b"\n ]\n}\n")
    return message_id


def _string(value: str) -> str:
    """A JSON string as tdesktop writes it (UTF-8, not \\u-escaped)."""
    return json.dumps(value, ensure_ascii=False)


def _members(rng: random.Random, count: int) -> list[tuple[str, str, str]]:
    """(name as a JSON string, from_id, username) for Chinese and Latin display names."""
    members: list[tuple[str, str, str]] = []
    names: set[str] = set()
    while len(members) < count:
        if rng.random() < 0.5:
            name = rng.choice(_FAMILY) + rng.choice(_GIVEN)
        else:
            name = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
        if name in names:
            continue
        names.add(name)
        user = rng.randrange(10_000_000, 6_000_000_000)
        members.append((_string(name), f"user{user}", f"{rng.choice(_FIRST).lower()}_{user % 10_000}"))
    return members


def _texts(rng: random.Random, members: list[tuple[str, str, str]]) -> list[tuple[str, str]]:
    """A pool of (`text` value, `text_entities` value) pairs, already rendered at tdesktop's
    indentation: ~80% plain strings (some multi-line, some empty), the rest arrays of parts."""
    pool = []
    for _ in range(20_000):
        roll = rng.random()
        if roll < 0.78:
            if roll < 0.05:
                text = "\n".join(rng.choice(_ZH + _EN) for _ in range(rng.randrange(2, 5)))
            else:
                text = rng.choice(_ZH + _EN) + rng.choice(_TAIL)
            pool.append((_string(text), _entities([("plain", text, None)])))
            continue
        parts: list[tuple[str, str, tuple[str, str] | None]] = []
        for _ in range(rng.randrange(1, 4)):
            parts.append(("plain", rng.choice(_ZH + _EN) + " ", None))
            pick = rng.random()
            if pick < 0.4:
                parts.append(("mention", f"@{rng.choice(members)[2]}", None))
            elif pick < 0.6:
                name, from_id, _ = rng.choice(members)
                parts.append(("mention_name", json.loads(name), ("user_id", from_id.removeprefix("user"))))
            elif pick < 0.85:
                parts.append(("link", rng.choice(_LINKS), None))
            else:
                parts.append(("bold", rng.choice(_ZH + _EN), None))
        items = []
        for kind, text, extra in parts:
            if kind == "plain":
                items.append(f"    {_string(text)}")
            else:
                items.append(_entity(kind, text, extra, "    "))
        pool.append(("[\n" + ",\n".join(items) + "\n   ]", _entities(parts)))
    return pool


def _entity(kind: str, text: str, extra: tuple[str, str] | None, indent: str) -> str:
    lines = [f'{indent} "type": "{kind}"', f'{indent} "text": {_string(text)}']
    if extra:
        lines.append(f'{indent} "{extra[0]}": {extra[1]}')
    return f"{indent}{{\n" + ",\n".join(lines) + f"\n{indent}}}"


def _entities(parts: list[tuple[str, str, tuple[str, str] | None]]) -> str:
    parts = [part for part in parts if part[1]]
    if not parts:
        return "[]"
    return "[\n" + ",\n".join(_entity(kind, text, extra, "    ") for kind, text, extra in parts) + "\n   ]"


def _message(rng: random.Random, message_id: int, dates: str, sender: tuple[str, str, str],
             body: tuple[str, str], roll: float) -> str:
    name, from_id, _ = sender
    lines = [f'  {{\n   "id": {message_id},\n   "type": "message",\n', dates, f'   "from": {name},\n   "from_id": "{from_id}",\n']
    if roll < 0.04:
        lines.append(f'   "edited": "2021-03-01T08:00:00",\n   "edited_unixtime": "1614556800",\n')
    if roll < 0.22 and message_id > 1:
        lines.append(f'   "reply_to_message_id": {max(1, message_id - rng.randrange(1, 50))},\n')
    text, entities = body
    if roll > 0.95:  # photo, with the caption as text
        lines.append(f'   "photo": "{_NOT_INCLUDED}",\n   "width": 1280,\n   "height": 960,\n')
    elif roll > 0.92:
        lines.append(f'   "file": "{_NOT_INCLUDED}",\n   "thumbnail": "{_NOT_INCLUDED}",\n'
                     '   "media_type": "sticker",\n   "sticker_emoji": "👍",\n   "width": 512,\n   "height": 512,\n')
        text, entities = '""', "[]"
    elif roll > 0.91:
        lines.append(f'   "file": "{_NOT_INCLUDED}",\n   "media_type": "voice_message",\n'
                     f'   "mime_type": "audio/ogg",\n   "duration_seconds": {rng.randrange(1, 60)},\n')
        text, entities = '""', "[]"
    elif roll > 0.905:
        lines.append(f'   "file": "{_NOT_INCLUDED}",\n   "mime_type": "application/pdf",\n')
    lines.append(f'   "text": {text},\n   "text_entities": {entities}\n  }}')
    return "".join(lines)


def _service(rng: random.Random, message_id: int, dates: str, actor: tuple[str, str, str],
             members: list[tuple[str, str, str]]) -> str:
    name, actor_id, _ = actor
    head = f'  {{\n   "id": {message_id},\n   "type": "service",\n{dates}   "actor": {name},\n   "actor_id": "{actor_id}",\n'
    roll = rng.random()
    if roll < 0.45:
        invited = rng.sample(members, rng.randrange(1, 4))
        body = '   "action": "invite_members",\n   "members": [\n' + ",\n".join(f"    {m[0]}" for m in invited) + "\n   ],\n"
    elif roll < 0.75:
        body = f'   "action": "join_group_by_link",\n   "inviter": {rng.choice(members)[0]},\n'
    elif roll < 0.9:
        body = f'   "action": "remove_members",\n   "members": [\n    {rng.choice(members + [actor])[0]}\n   ],\n'
    else:
        body = f'   "action": "pin_message",\n   "message_id": {max(1, message_id - rng.randrange(1, 100))},\n'
    return head + body + '   "text": "",\n   "text_entities": []\n  }'


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gigabytes", type=float, default=2.0)
    parser.add_argument("--out", type=Path, default=Path("build/bench/telegram_2GB.json"))
    parser.add_argument("--parse", action="store_true", help="then parse it and report time and peak RSS")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    messages = generate(args.out, int(args.gigabytes * 1e9))
    print(f"wrote {messages:,} messages, {args.out.stat().st_size / 1e9:.2f} GB to {args.out} "
          f"in {time.perf_counter() - started:.1f} s", flush=True)
    if args.parse:
        from assets.ingest import telegram

        started = time.perf_counter()
        rows = 0
        for part in telegram.parse_parts(args.out, rel_path=args.out.name):
            rows += part.messages.height + part.events.height + part.quarantine.height
        seconds = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"parsed {rows:,} records in {seconds:.1f} s ({rows / seconds:,.0f}/s), peak RSS {peak:,.0f} MB")


if __name__ == "__main__":
    main()
