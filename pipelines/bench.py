"""`make bench`: ingest throughput on generated exports, next to a bare DuckDB read of the same bytes.

For each format (issue 3's sizes by default: 10 million WeCom messages, a 2 GB Telegram
`result.json`, a 0.9 GB WhatsApp TXT) it measures, each in a fresh child process so the peak RSS
(`ru_maxrss` of that child, via wait4) is its own:

- `parse`: the streaming parser alone, every part consumed;
- `load`: what `kpi run` spends on the file: hash, detect, parse and insert into a new warehouse;
- `duckdb`: a plain DuckDB read of the same bytes into a table (`read_json`; for Telegram the
  `messages` array is first copied to its own file, since DuckDB reading the whole 2 GB document
  takes minutes and about 10 GB; for WhatsApp `read_csv` of one column per line).

Figures are printed, never asserted: tests do not depend on wall time. Generated files are kept in
the work folder and reused.

    python -m pipelines.bench [--formats wecom,telegram,whatsapp] [--workdir build/bench]
    env: BENCH_MESSAGES (WeCom, 10000000), BENCH_TELEGRAM_BYTES (2e9), BENCH_WHATSAPP_BYTES (9e8)
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from importlib import import_module
from pathlib import Path

#: Child-process code per (format, job). PATH is the export, WORK a scratch folder; each prints
#: the number of records it read.
_PARSE = (
    "from pathlib import Path\n"
    "from assets.ingest import {module}\n"
    "n = 0\n"
    "for part in {module}.parse_parts(Path(PATH), rel_path='bench'):\n"
    "    n += part.messages.height + part.events.height + part.quarantine.height\n"
    "print(n)\n"
)
_LOAD = (
    "import shutil, duckdb\n"
    "from pathlib import Path\n"
    "from assets.ingest.load import sync_exports\n"
    "from assets.ingest.schema import SourceOptions\n"
    "work = Path(WORK); shutil.rmtree(work, ignore_errors=True)\n"
    "(work / 'exports').mkdir(parents=True)\n"
    "(work / 'exports' / Path(PATH).name).symlink_to(Path(PATH).resolve())\n"
    "con = duckdb.connect(str(work / 'warehouse.duckdb'))\n"
    "con.execute(\"set memory_limit = '2GB'\")\n"
    "report = sync_exports(con, work, source_options=lambda _: SourceOptions())\n"
    "f = report.files[0]\n"
    "print(f['messages'] + f['events'] + f['quarantined'])\n"
)
_DUCKDB = {
    "wecom": (
        "import duckdb\n"
        "con = duckdb.connect()\n"
        "con.execute(\"create table t as select * from read_json(?, format='newline_delimited', "
        "columns={'msgid': 'varchar', 'action': 'varchar', 'from': 'varchar', 'roomid': 'varchar', "
        "'msgtime': 'bigint', 'msgtype': 'varchar', 'text': 'struct(content varchar)'})\", [PATH])\n"
        "print(con.sql('select count(*) from t').fetchall()[0][0])\n"
    ),
    "telegram": (
        "import duckdb, shutil\n"
        "from pathlib import Path\n"
        "src = Path(PATH); out = Path(WORK + '.messages.json')\n"
        "size = src.stat().st_size\n"
        "with src.open('rb') as f:\n"
        "    head = f.read(1 << 20); start = head.index(b'\"messages\": [') + len(b'\"messages\": ')\n"
        "    f.seek(max(0, size - 4096)); tail = f.read(); end = size - len(tail) + tail.rindex(b']') + 1\n"
        "    f.seek(start)\n"
        "    with out.open('wb') as o:\n"
        "        left = end - start\n"
        "        while left:\n"
        "            block = f.read(min(left, 1 << 24)); o.write(block); left -= len(block)\n"
        "con = duckdb.connect()\n"
        "con.execute(\"create table t as select * from read_json(?, format='array', maximum_object_size=1e8)\", [str(out)])\n"
        "print(con.sql('select count(*) from t').fetchall()[0][0])\n"
        "out.unlink()\n"
    ),
    "whatsapp": (
        "import duckdb\n"
        "con = duckdb.connect()\n"
        "con.execute(\"create table t as select * from read_csv(?, columns={'line': 'varchar'}, header=false, "
        "delim=chr(1), quote='', escape='', auto_detect=false, strict_mode=false)\", [PATH])\n"
        "print(con.sql('select count(*) from t').fetchall()[0][0])\n"
    ),
}


def _inputs(workdir: Path) -> dict[str, tuple[Path, int]]:
    """Each format's generated file and how to make it (`pipelines/bench_<format>.py`)."""
    messages = int(os.environ.get("BENCH_MESSAGES", 10_000_000))
    telegram_bytes = int(float(os.environ.get("BENCH_TELEGRAM_BYTES", 2e9)))
    whatsapp_bytes = int(float(os.environ.get("BENCH_WHATSAPP_BYTES", 9e8)))
    return {
        "wecom": (workdir / f"wecom_{messages}.jsonl", messages),
        "telegram": (workdir / f"telegram_{telegram_bytes}.json", telegram_bytes),
        "whatsapp": (workdir / f"whatsapp_{whatsapp_bytes}.txt", whatsapp_bytes),
    }


#: Appended to every job: the child reports its own peak RSS (all its threads, DuckDB's included).
_PEAK_RSS = "import resource\nprint(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"


def measure(code: str, path: Path, work: Path) -> dict:
    """Run one job in a child process: wall time (interpreter start and imports included),
    records read, and that child's own peak RSS."""
    code = f"PATH = {str(path)!r}\nWORK = {str(work)!r}\n" + code + _PEAK_RSS
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode:
        raise SystemExit(f"failed:\n{done.stderr[-3000:]}")
    rows, peak_kb = done.stdout.strip().splitlines()[-2:]
    return {"rows": int(rows), "seconds": wall, "peak_rss_mb": int(peak_kb) / 1024}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--formats", default="wecom,telegram,whatsapp")
    parser.add_argument("--workdir", type=Path, default=Path("build/bench"))
    args = parser.parse_args(argv)
    plans = _inputs(args.workdir)
    print(f"{'format':<10}{'reader':<8}{'records':>13}{'seconds':>9}{'records/s':>13}{'peak RSS MB':>13}   input")
    for fmt in args.formats.split(","):
        path, size = plans[fmt]
        if not path.exists():
            print(f"generating {path} …", flush=True)
            partial = path.with_suffix(path.suffix + ".partial")
            import_module(f"pipelines.bench_{fmt}").generate(partial, size)
            partial.rename(path)
        described = f"{path.name}, {path.stat().st_size / 1e9:.2f} GB"
        jobs = {"parse": _PARSE.format(module=fmt), "load": _LOAD, "duckdb": _DUCKDB[fmt]}
        for job, code in jobs.items():
            row = measure(code, path, args.workdir / f"work_{fmt}")
            print(f"{fmt:<10}{job:<8}{row['rows']:>13,}{row['seconds']:>9.1f}{row['rows'] / row['seconds']:>13,.0f}"
                  f"{row['peak_rss_mb']:>13,.0f}   {described}", flush=True)


if __name__ == "__main__":
    main()
