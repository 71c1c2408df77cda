"""A large, realistic WhatsApp Android export for measuring the streaming parser.

Real exports of busy groups reach a gigabyte after a few years; the samples we have are a few
kilobytes. `generate` writes one that looks like a real Android export (`dd/mm/yyyy, HH:MM -
Name: text`): the encryption banner first, ~300 members (some known only by phone number),
Chinese and English text, multi-line messages, media placeholders, deletions, `@` mentions
wrapped in isolates, stray U+200E marks and membership notices, all in time order.

    python -m pipelines.bench_whatsapp [--gigabytes 0.9] [--out build/bench/whatsapp_0.9GB.txt]
        [--parse]

`--parse` then consumes `whatsapp.parse_parts` on the file and prints wall time, messages/s and
this process's peak RSS (run it under `/usr/bin/time -v` for the authoritative figure).
"""

from __future__ import annotations

import argparse
import random
import resource
import time
from datetime import datetime, timedelta
from pathlib import Path

from pipelines.bench_text import EN as _EN, FAMILY as _FAMILY, FIRST as _FIRST, GIVEN as _GIVEN, LAST as _LAST
from pipelines.bench_text import TAIL as _TAIL, ZH as _ZH

_ENCRYPTION = ("Messages and calls are end-to-end encrypted. No one outside of this chat, not even WhatsApp, "
               "can read or listen to them. Tap to learn more.")

#: Seconds between consecutive messages: mostly bursts, sometimes a pause, rarely an hour (a
#: busy group: ~17 s on average, so 0.9 GB spans about six and a half years).
_GAPS = [0, 1, 2, 3, 5, 8, 12, 20, 40, 90, 600, 3600]
_GAP_WEIGHTS = [15, 15, 15, 12, 12, 10, 8, 6, 4, 2, 0.6, 0.15]

_BATCH = 20_000


def generate(path: Path, target_bytes: int, seed: int = 7) -> int:
    """Write about `target_bytes` of Android-dialect export to `path`; return the messages written
    (every header line, system notices included)."""
    rng = random.Random(seed)
    members = _members(rng, 300)
    texts = _texts(rng, members)
    path.parent.mkdir(parents=True, exist_ok=True)
    start = datetime(2021, 3, 1, 8, 0)
    seconds, minute, prefix = 0, -1, ""
    written, messages = 0, 0
    with path.open("wb", buffering=1 << 22) as out:
        data = f"{start:%d/%m/%Y, %H:%M} - {_ENCRYPTION}\n".encode()
        out.write(data)
        written, messages = len(data), 1
        while written < target_bytes:
            gaps = rng.choices(_GAPS, _GAP_WEIGHTS, k=_BATCH)
            senders = rng.choices(members, k=_BATCH)
            bodies = rng.choices(texts, k=_BATCH)
            rolls = [rng.random() for _ in range(_BATCH)]
            lines = []
            for gap, sender, body, roll in zip(gaps, senders, bodies, rolls):
                seconds += gap
                if seconds // 60 != minute:
                    minute = seconds // 60
                    prefix = f"{start + timedelta(minutes=minute):%d/%m/%Y, %H:%M} - "
                if roll < 0.004:
                    lines.append(f"{prefix}{_notice(rng, sender, members)}\n")
                elif roll < 0.009:
                    lines.append(f"\u200e{prefix}{sender}: {body}\n")  # a mark before the header
                else:
                    lines.append(f"{prefix}{sender}: {body}\n")
            data = "".join(lines).encode()
            out.write(data)
            written += len(data)
            messages += _BATCH
    return messages


def _members(rng: random.Random, count: int) -> list[str]:
    """Display names as exports show them: Chinese and Latin names, `~ Name` for people not in the
    phone's contacts, and bare phone numbers."""
    members: list[str] = []
    while len(members) < count:
        roll = rng.random()
        if roll < 0.45:
            name = rng.choice(_FAMILY) + rng.choice(_GIVEN)
        elif roll < 0.8:
            name = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
        elif roll < 0.9:
            name = f"~ {rng.choice(_FIRST)}{rng.randrange(100)}"
        else:
            name = f"+86 1{rng.randrange(30, 90)}-{rng.randrange(10_000):04d}-{rng.randrange(10_000):04d}"
        if name not in members:
            members.append(name)
    return members


def _texts(rng: random.Random, members: list[str]) -> list[str]:
    """A pool of message bodies: sentence pairs, placeholders, mentions and ~5% multi-line ones."""
    texts = []
    for _ in range(20_000):
        roll = rng.random()
        if roll < 0.05:
            text = "\n".join(rng.choice(_ZH + _EN) for _ in range(rng.randrange(2, 5)))
        elif roll < 0.10:
            text = "<Media omitted>"
        elif roll < 0.11:
            text = "This message was deleted"
        elif roll < 0.13:
            text = f"@\u2068{rng.choice(members)}\u2069 {rng.choice(_ZH + _EN)}"
        elif roll < 0.14:
            text = f"\u200e{rng.choice(_EN)}"
        elif roll < 0.55:
            text = rng.choice(_ZH) + rng.choice(_ZH) + rng.choice(_TAIL)
        else:
            text = f"{rng.choice(_EN)} {rng.choice(_EN).lower()}{rng.choice(_TAIL)}"
        texts.append(text)
    return texts


def _notice(rng: random.Random, actor: str, members: list[str]) -> str:
    roll = rng.random()
    if roll < 0.5:
        return f"{actor} added {rng.choice(members)}"
    if roll < 0.8:
        return f"{actor} left"
    return f"{actor} joined using this group's invite link"


def _measure(path: Path) -> None:
    from assets.ingest import whatsapp

    started = time.perf_counter()
    messages = events = quarantined = 0
    for part in whatsapp.parse_parts(path, rel_path=path.name):
        messages += part.messages.height
        events += part.events.height
        quarantined += part.quarantine.height
    wall = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"parsed {messages:,} messages, {events:,} events, {quarantined:,} quarantined in {wall:.1f} s "
          f"({messages / wall:,.0f} messages/s), peak RSS {peak_mb:,.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gigabytes", type=float, default=0.9)
    parser.add_argument("--out", type=Path, default=Path("build/bench/whatsapp_0.9GB.txt"))
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--parse", action="store_true", help="then parse the file and report throughput")
    args = parser.parse_args()
    started = time.perf_counter()
    messages = generate(args.out, int(args.gigabytes * 1e9), args.seed)
    print(f"wrote {messages:,} messages ({args.out.stat().st_size / 1e9:.2f} GB) to {args.out} "
          f"in {time.perf_counter() - started:.1f} s")
    if args.parse:
        _measure(args.out)


if __name__ == "__main__":
    main()
