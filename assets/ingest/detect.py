"""Pick the parser for an export file by looking at its content, not its name.

Exports arrive renamed (`result (3).json`, `群聊记录.txt`), and both WeCom archives and Telegram
exports are `.json`, so the extension cannot decide. Only the first `HEAD_BYTES` are decoded: the
opening keys and first records identify a format, and a multi-gigabyte export is not read twice.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from collections.abc import Callable, Iterator
from typing import Protocol

from assets.ingest import discord, qq_qce, qq_qce_txt, qq_txt, slack, telegram, wechat, wecom, whatsapp
from assets.ingest.encoding import read_head
from assets.ingest.errors import ExportReadError
from assets.ingest.schema import DATE_ORDER_FORMATS, BatchResult, ParseResult

#: How many leading lines may be inspected for a WeCom record (the first ones may be broken).
_SNIFF_LINES = 20

#: A Telegram full-account export opens with these keys (tdesktop writes `about`, then
#: `personal_information`); `chats` may come only after a long contact list.
_TELEGRAM_ACCOUNT = re.compile(r'"personal_information"\s*:\s*\{')
#: Where a single chat's messages or the account's chats start.
_TELEGRAM_CONTAINER = re.compile(r'"(?:messages"\s*:\s*\[|chats"\s*:\s*\{)')
#: Telegram-specific values; "messages" alone would also match DiscordChatExporter or QCE JSON.
_TELEGRAM_MARKERS = re.compile(
    r'"date_unixtime"\s*:\s*"\d+"'
    r'|"text_entities"\s*:'
    r'|"type"\s*:\s*"(?:personal_chat|bot_chat|private_group|private_supergroup|public_supergroup'
    r'|private_channel|public_channel|saved_messages|replies)"'
)


class Parser(Protocol):
    """The signature every parser module's `parse` has."""

    def __call__(self, path: Path, *, rel_path: str, source_tz: str = ...) -> ParseResult: ...


class PartParser(Protocol):
    """`parse_parts` of a streaming parser: one result per block of the file, in file order."""

    def __call__(self, path: Path, *, rel_path: str, source_tz: str = ...) -> Iterator[ParseResult]: ...


PARSERS: dict[str, Parser] = {
    "wecom": wecom.parse,
    "telegram": telegram.parse,
    "wechat": wechat.parse,
    "qq": qq_txt.parse,
    "qq_qce": qq_qce.parse,
    "qq_qce_txt": qq_qce_txt.parse,
    "whatsapp": whatsapp.parse,
    "slack": slack.parse,
    "discord": discord.parse,
}

#: Formats read in blocks, for exports that reach gigabytes (WeCom archives, Telegram account
#: exports, years of WhatsApp): the loader inserts each part as it comes.
PART_PARSERS: dict[str, PartParser] = {
    "wecom": wecom.parse_parts,
    "whatsapp": whatsapp.parse_parts,
    "telegram": telegram.parse_parts,
}

class BatchParser(Protocol):
    """`parse_batch` of a format whose small files are parsed many at a time, from
    `(path, rel_path)` pairs: each file's rows are what `parse` gives for that file."""

    def __call__(self, sources: list[tuple[Path, str]], *, source_tz: str = ...) -> BatchResult: ...


#: Formats that parse many small files in one query (the loader's batches of small files).
BATCH_PARSERS: dict[str, BatchParser] = {
    "wecom": wecom.parse_batch,
}

#: Content sniffers, most specific first: several formats are JSON objects with a message array,
#: so the ones with distinctive keys (Telegram, QCE, Discord) are tried before looser text rules.
_SNIFFERS: list[tuple[str, Callable[[str], bool]]] = [
    ("wecom", lambda head: _looks_like_wecom(head)),
    ("telegram", lambda head: _looks_like_telegram(head)),
    ("qq_qce", qq_qce.sniff),
    ("discord", discord.sniff),
    ("slack", slack.sniff),
    ("qq_qce_txt", qq_qce_txt.sniff),
    ("wechat", wechat.sniff),
    ("qq", qq_txt.sniff),
    ("whatsapp", whatsapp.sniff),
]

#: Platform of each format, where they differ (settings.yaml keys time zones by platform).
_PLATFORM_OF_FORMAT = {"qq_qce": "qq", "qq_qce_txt": "qq"}


def platform_of(format_name: str) -> str:
    return _PLATFORM_OF_FORMAT.get(format_name, format_name)


#: What `--format` accepts, for error messages.
FORMAT_NAMES = ", ".join(sorted(PARSERS))


def detect_format(path: Path) -> str | None:
    """Name of the format the file's opening bytes look like, or None when nothing matches."""
    if path.suffix.lower() == ".zip":
        return "slack" if slack.sniff_zip(path) else None
    head = read_head(path)
    for name, sniff in _SNIFFERS:
        if sniff(head):
            return name
    return None


def parse_parts(
    path: Path,
    *,
    rel_path: str,
    format: str | None = None,
    source_tz: str = "Asia/Shanghai",
    date_order: str = "auto",
) -> Iterator[ParseResult]:
    """Parse one export with the parser `format` names, or the detected one when it is None:
    one result per block for streaming formats, a single result for the others. `date_order`
    reaches only the formats in DATE_ORDER_FORMATS; the others' dates say their own order."""
    name = format or detect_format(path)
    if name is None:
        raise ExportReadError(
            rel_path,
            "cannot tell the export format of this file; expected one of the supported exports "
            f"({FORMAT_NAMES}) — pass --format",
        )
    options = {"source_tz": source_tz} | ({"date_order": date_order} if name in DATE_ORDER_FORMATS else {})
    if name in PART_PARSERS:
        yield from PART_PARSERS[name](path, rel_path=rel_path, **options)
        return
    parser = PARSERS.get(name)
    if parser is None:
        raise ExportReadError(rel_path, f"unknown format {name!r}; expected one of {FORMAT_NAMES}")
    yield parser(path, rel_path=rel_path, **options).conformed()


def parse_file(
    path: Path,
    *,
    rel_path: str,
    format: str | None = None,
    source_tz: str = "Asia/Shanghai",
    date_order: str = "auto",
) -> ParseResult:
    """The whole export as one result (tests); the loader and `kpi inspect` use `parse_parts`."""
    return ParseResult.combine(
        parse_parts(path, rel_path=rel_path, format=format, source_tz=source_tz, date_order=date_order)
    )


def _looks_like_wecom(head: str) -> bool:
    """Any of the first lines is a JSON object with WeCom's `msgid` and `msgtime` (or `action`).

    `action` covers files that open with `switch` records, which have `time` instead of `msgtime`.
    """
    for line in head.split("\n")[:_SNIFF_LINES]:
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and "msgid" in record and ("msgtime" in record or "action" in record):
            return True
    return False


def _looks_like_telegram(head: str) -> bool:
    if not head.lstrip().startswith("{"):
        return False
    if _TELEGRAM_ACCOUNT.search(head):
        return True
    return bool(_TELEGRAM_CONTAINER.search(head) and _TELEGRAM_MARKERS.search(head))
