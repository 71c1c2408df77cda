"""`make bench`: ingest throughput on generated exports, next to a bare DuckDB read of the same bytes.

Each measurement runs in a fresh child process so its peak RSS is its own (ru_maxrss of the child),
not the high-water mark of everything measured before it. Figures are printed, never asserted:
tests do not depend on wall time.

    python -m pipelines.bench [--messages N] [--workdir build/bench]

The default is 1,000,000 messages: at 10 million (issue 3's size) the current WeCom parser, which
holds the decoded file and every line in memory, would need about 25 GB; set BENCH_MESSAGES=10000000
once it streams.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

#: Work a child process runs: (label, python source using PATH).
_JOBS = {
    "wecom parser": (
        "from pathlib import Path\n"
        "from assets.ingest import wecom\n"
        "r = wecom.parse(Path(PATH), rel_path='bench.jsonl')\n"
        "print(r.messages.height + r.quarantine.height)\n"
    ),
    "duckdb read_json": (
        "import duckdb\n"
        "con = duckdb.connect()\n"
        "n = con.execute(\"select count(*) from read_json(?, format='newline_delimited', "
        "columns={'msgid': 'varchar', 'from': 'varchar', 'roomid': 'varchar', 'msgtime': 'bigint', "
        "'msgtype': 'varchar', 'text': 'struct(content varchar)'})\", [PATH]).fetchall()[0][0]\n"
        "print(n)\n"
    ),
}


def generate_wecom(path: Path, messages: int, seed: int = 7) -> None:
    """WeCom archive JSONL: 2,000 rooms, members and staff, text and some images, in time order."""
    rng = random.Random(seed)
    texts = ["请问发货了吗？", "好的，谢谢", "怎么申请退款", "收到", "今天有活动吗", "@客服 我的订单还没到", "👍"]
    start_ms = 1_775_000_000_000
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        batch = []
        for i in range(messages):
            room = f"wr{rng.randrange(2000):06d}"
            sender = f"wm{rng.randrange(200_000):08d}" if rng.random() < 0.8 else f"staff{rng.randrange(5000):04d}"
            at = start_ms + i * 780 + rng.randrange(500)
            if rng.random() < 0.9:
                payload = f'"msgtype":"text","text":{{"content":{json.dumps(rng.choice(texts), ensure_ascii=False)}}}'
            else:
                payload = '"msgtype":"image","image":{"md5sum":"0f","filesize":1024,"sdkfileid":"x"}'
            batch.append(f'{{"msgid":"{i}_{at}_external","action":"send","from":"{sender}","tolist":[],'
                         f'"roomid":"{room}","msgtime":{at},{payload}}}\n')
            if len(batch) == 100_000:
                out.writelines(batch)
                batch.clear()
        out.writelines(batch)


def measure(label: str, path: Path) -> dict:
    """Run one job in a child process; wall time, rows and that child's own peak RSS (wait4)."""
    code = f"PATH = {str(path)!r}\n" + _JOBS[label]
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    stdout, stderr = child.stdout.read(), child.stderr.read()
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{label} failed:\n{stderr[-2000:]}")
    return {"label": label, "rows": int(stdout.strip().splitlines()[-1]), "seconds": wall,
            "peak_rss_mb": usage.ru_maxrss / 1024}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=int(os.environ.get("BENCH_MESSAGES", 1_000_000)))
    parser.add_argument("--workdir", type=Path, default=Path("build/bench"))
    args = parser.parse_args(argv)
    path = args.workdir / f"wecom_{args.messages}.jsonl"
    if not path.exists():
        print(f"generating {args.messages:,} WeCom messages -> {path}", flush=True)
        generate_wecom(path, args.messages)
    size_mb = path.stat().st_size / 1e6
    print(f"\nWeCom JSONL: {args.messages:,} messages, {size_mb:,.0f} MB")
    print(f"{'reader':<18}{'rows':>12}{'seconds':>10}{'msgs/s':>14}{'peak RSS MB':>14}")
    for label in _JOBS:
        row = measure(label, path)
        print(f"{row['label']:<18}{row['rows']:>12,}{row['seconds']:>10.1f}"
              f"{row['rows'] / row['seconds']:>14,.0f}{row['peak_rss_mb']:>14,.0f}", flush=True)


if __name__ == "__main__":
    main()
