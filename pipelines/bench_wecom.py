"""A large WeCom 会话内容存档 JSONL file for measuring the streaming parser.

2,000 rooms, 200,000 members and 5,000 staff; mostly text (Chinese, some `@` mentions), some
images, the occasional recall, in time order, one JSON object per line as the archive SDK returns
them. Lines are written in batches (no per-line `write` call) so 10 million take about a minute.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

_TEXTS = ["请问发货了吗？", "好的，谢谢", "怎么申请退款", "收到", "今天有活动吗", "@客服小王 我的订单还没到", "👍",
          "麻烦看一下订单 20260412-8812", "Thanks, got it", "这个优惠券怎么用？"]


def generate(path: Path, messages: int, seed: int = 7) -> int:
    """Write `messages` archive records to `path`; returns the number written."""
    rng = random.Random(seed)
    start_ms = 1_775_000_000_000
    texts = [json.dumps(t, ensure_ascii=False) for t in _TEXTS]
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        batch: list[str] = []
        for i in range(messages):
            room = f"wr{rng.randrange(2000):06d}"
            roll = rng.random()
            sender = f"wm{rng.randrange(200_000):08d}" if roll < 0.8 else f"staff{rng.randrange(5000):04d}"
            at = start_ms + i * 780 + rng.randrange(500)
            if roll < 0.001 and i:
                payload = f'"msgtype":"revoke","revoke":{{"pre_msgid":"{i - 1}_x"}}'
                action = "recall"
            elif rng.random() < 0.9:
                payload = f'"msgtype":"text","text":{{"content":{rng.choice(texts)}}}'
                action = "send"
            else:
                payload = '"msgtype":"image","image":{"md5sum":"0f","filesize":1024,"sdkfileid":"x"}'
                action = "send"
            batch.append(f'{{"msgid":"{i}_x","action":"{action}","from":"{sender}","tolist":[],'
                         f'"roomid":"{room}","msgtime":{at},{payload}}}\n')
            if len(batch) == 100_000:
                out.writelines(batch)
                batch.clear()
        out.writelines(batch)
    return messages
