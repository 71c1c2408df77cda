"""`make bench`: ingest throughput on generated exports, next to a bare DuckDB read of the same bytes.

For each format (issue 3's sizes by default: 10 million WeCom messages, a 2 GB Telegram
`result.json`, a 0.9 GB WhatsApp TXT) it measures, each in a fresh child process so the peak RSS
(`ru_maxrss` of that child, via wait4) is its own:

- `parse`: the streaming parser alone, every part consumed;
- `load`: what `kpi run` spends on the file: hash, detect, parse and insert into a new warehouse;
- `duckdb`: a plain DuckDB read of the same bytes into a table (`read_json`; for Telegram the
  `messages` array is first copied to its own file, since DuckDB reading the whole 2 GB document
  takes minutes and about 10 GB; for WhatsApp `read_csv` of one column per line).

`dashboards` (issue 6's scale: 2,000 groups, 5,000 staff; with issue 8's 10 million messages) times
`kpi dashboards` on a synthetic warehouse: the dashboard queries on the warehouse, then rendering and
writing every page. The warehouse is made directly in SQL (`DASHBOARD_WORLD`: the columns the
dashboard queries and checks read, filled with generate_series), not by the pipeline: this measures
page generation, not ingestion.

`pipeline` (issue 8) runs the whole job on a generated quarter (`pipelines/bench_world.py`: 2026-Q3,
`BENCH_GROUPS` groups, `BENCH_STAFF` staff, `BENCH_WORLD_MESSAGES` WeCom records, with behaviour data,
surveys and tickets in proportion; made once under `build/bench/world_<N>/`, outside the timings),
each step in a fresh child process on a hard-linked copy of its data folder:

- `baseline`: `pipelines/bench_baseline.py`, a plain DuckDB script computing the same request,
  response and per-staff figures from the same files into Parquet (the floor);
- `full`: `kpi run --no-dashboard` into a new output folder (ingest, KPIs, checks, grades, HR
  files; the issue times the dashboards separately);
- `baseline` again, right after `full`: a shared machine's speed drifts (the same baseline measured
  48-67 s within one afternoon), so the ratio divides by the mean of the two runs around `full`
  and the printout shows how far they differ;
- `incr`: the next day's exports (2026-10-01) copied in, then `kpi run --no-dashboard` again on
  that warehouse;
  its records are the export files parsed again or anew (their `raw.source_files` row was written
  by this run);
- `dashboards`: `kpi dashboards` on that warehouse.

and prints each one's wall time and peak RSS, then the ratios the issue sets targets for.

Figures are printed, never asserted: tests do not depend on wall time. Generated files are kept in
the work folder and reused.

    python -m pipelines.bench [--formats wecom,telegram,whatsapp,dashboards,pipeline] [--workdir build/bench]
    env: BENCH_MESSAGES (WeCom and the dashboards' warehouse, 10000000), BENCH_TELEGRAM_BYTES (2e9),
         BENCH_WHATSAPP_BYTES (9e8), BENCH_GROUPS (2000), BENCH_STAFF (5000),
         BENCH_WORLD_MESSAGES (the pipeline's world, 10000000)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
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


#: A warehouse shaped like the pipeline's, at any size, for the dashboards benchmark: every table and
#: column the dashboard queries and SQL checks read (a query reading a column missing here fails the
#: benchmark, which keeps the two in step). $groups, $staff and $messages size it; six months
#: (2026-04 … 2026-09), two complete quarters. One statement per entry (DuckDB binds parameters on the
#: last statement only).
DASHBOARD_WORLD = [
    "create schema if not exists raw", "create schema if not exists staging",
    "create schema if not exists intermediate", "create schema if not exists marts",
    """create or replace table raw.rubric_settings as select '2026.1' as rubric_version, 'Asia/Shanghai' as reporting_timezone,
       60.0 as sla_general_business_minutes, 1440.0 as sla_complex_calendar_minutes, 0.5 as not_rated_min_weight""",
    """create or replace table intermediate.int_periods as
       select 'month' as period_type, strftime(d, '%Y-%m') as period, d::date as period_start,
              (d + interval 1 month - interval 1 day)::date as period_end, true as is_complete
       from range(timestamp '2026-04-01', timestamp '2026-10-01', interval 1 month) t(d)
       union all select 'quarter', '2026-Q2', date '2026-04-01', date '2026-06-30', true
       union all select 'quarter', '2026-Q3', date '2026-07-01', date '2026-09-30', true""",
    """create or replace table raw.staff as
       select 'S' || lpad(i::varchar, 5, '0') as staff_id, '员工' || i as name,
              ['customer_service', 'community_ops', 'team_lead'][1 + i % 3] as role, '团队' || (i % 40) as team,
              case when i >= 40 then 'S' || lpad((i % 40)::varchar, 5, '0') end as manager_id
       from range($staff) t(i)""",
    """create or replace table raw.groups as
       select 'G' || lpad(i::varchar, 5, '0') as group_id, '社群' || i as name, 'wecom' as platform,
              ['customer_service', 'promotion', 'partner', 'staff'][1 + i % 4] as category,
              'S' || lpad((i % $staff)::varchar, 5, '0') as owner_staff_id
       from range($groups) t(i)""",
    """create or replace table raw.group_staff as
       select group_id, owner_staff_id as staff_id, 'owner' as relation from raw.groups
       union all
       select 'G' || lpad(i::varchar, 5, '0'), 'S' || lpad(((i * 7 + k) % $staff)::varchar, 5, '0'), 'assigned'
       from range($groups) t(i), range(1, 4) s(k)""",
    """create or replace table staging.stg_chat__messages as
       with generated as (
           select 'G' || lpad((i % $groups)::varchar, 5, '0') as group_id, 'customer_service' as group_category,
                  'wecom' as platform,
                  timestamptz '2026-04-01 00:00:00+08' + to_seconds((i * 15724800 // $messages)::bigint) as sent_at,
                  case when i % 4 = 0 then 'S' || lpad(((i // 4) % $staff)::varchar, 5, '0') end as staff_id,
                  case when i % 4 <> 0 then 'm_' || ((i // $groups) % 300 * $groups + i % $groups) end as member_key,
                  i % 97 <> 0 as is_counted
           from range($messages) t(i)
       )
       select *, timezone('Asia/Shanghai', sent_at)::date as sent_date,
              strftime(timezone('Asia/Shanghai', sent_at), '%Y-%m') as sent_month,
              year(timezone('Asia/Shanghai', sent_at)) || '-Q' || quarter(timezone('Asia/Shanghai', sent_at)) as sent_quarter
       from generated""",
    """create or replace table marts.fct_requests as
       select 'R' || i as request_id, group_id, member_key, sent_at as opened_at, sent_month as opened_month,
              sent_quarter as opened_quarter, ['general', 'complex'][1 + (i % 5 = 0)::int] as request_type,
              i % 23 <> 0 as is_responded,
              case when i % 23 <> 0 then sent_at + to_minutes((i % 300)::bigint) end as responded_at,
              case when i % 23 <> 0 then (i % 300)::double end as response_business_minutes,
              case when i % 23 <> 0 then (i % 300) <= 60 end as is_within_sla,
              case when i % 23 <> 0 then 'S' || lpad((i % $staff)::varchar, 5, '0') end as responder_staff_id,
              'S' || lpad((i % $staff)::varchar, 5, '0') as attributed_staff_id
       from (select *, row_number() over () as i from staging.stg_chat__messages where member_key is not null and hash(member_key, sent_at) % 16 = 0)""",
    """create or replace table marts.fct_violations as
       with generated as (
           select 'V' || i as violation_id, 'G' || lpad((i % $groups)::varchar, 5, '0') as group_id,
                  timestamptz '2026-04-01 10:00:00+08' + to_hours((i % 4000)::bigint) as sent_at,
                  ['ads', 'abuse', 'privacy', 'flood', 'sensitive'][1 + i % 5] as rule, 'member' as sender_kind,
                  cast(null as varchar) as staff_id, 'm_' || i as member_key,
                  '138****' || (i % 10000) as matched_text_masked, 1 + i % 4 as offence_number,
                  ['warning', 'restrict', 'restrict', 'remove'][1 + i % 4] as recommended_action
           from range($groups * 10) t(i)
       )
       select *, timezone('Asia/Shanghai', sent_at)::date as sent_date,
              year(timezone('Asia/Shanghai', sent_at)) || '-Q' || quarter(timezone('Asia/Shanghai', sent_at)) as sent_quarter
       from generated""",
    """create or replace table intermediate.int_group_members as
       select 'G' || lpad(g::varchar, 5, '0') as group_id, 'm_' || (m * $groups + g) as member_key,
              case when m % 3 = 0 then 'first_message' else 'join_event' end as joined_via,
              timestamptz '2026-04-01 00:00:00+08' + to_hours(((m * 37 + g) % 4300)::bigint) as joined_at,
              case when m % 9 = 0 then timestamptz '2026-04-01 00:00:00+08' + to_hours((4300 + (m * 11 + g) % 100)::bigint) end as left_at
       from range($groups) a(g), range(300) b(m)""",
    """create or replace table staging.stg_platform__group_daily_stats as
       select 'G' || lpad(g::varchar, 5, '0') as group_id, d::date as stat_date, strftime(d, '%Y-%m') as stat_month,
              200 + g % 50 + date_diff('day', date '2026-04-01', d::date) // 7 as member_total
       from range($groups) a(g), range(date '2026-04-01', date '2026-10-01', interval 1 day) b(d) where g % 2 = 0""",
    """create or replace table marts.fct_member_tiers as
       select 'G' || lpad(g::varchar, 5, '0') as group_id, q as quarter, 'm_' || (m * $groups + g) as member_key,
              case when m < 5 then 'opinion_leader' when m < 40 then 'core' when m < 150 then 'active' else 'ordinary' end as tier
       from range($groups) a(g), range(300) b(m), (values ('2026-Q2'), ('2026-Q3')) c(q)""",
    """create or replace table marts.fct_scores as
       with entities as (
           select 'staff' as entity_type, staff_id as entity_id, hash(staff_id) % 1000003 as h from raw.staff
           union all select 'group', group_id, hash(group_id) % 1000003 from raw.groups
       ), periods as (select period_type, period from intermediate.int_periods)
       select entity_type, entity_id, period_type, period,
              40 + (h + hash(period) % 1000003) % 600 / 10.0 as activity_score, 50 + (h // 7 + hash(period) % 1000003) % 500 / 10.0 as content_quality_score,
              30 + (h // 11 + hash(period) % 1000003) % 700 / 10.0 as resolution_score,
              case when h % 5 = 0 then null else 45 + (h // 13) % 550 / 10.0 end as satisfaction_score,
              cast(null as double) as overall_score, cast(null as varchar) as grade, cast(null as varchar) as not_rated_reason,
              1.0 as available_weight, case when h % 5 = 0 then 'satisfaction' end as missing_dimensions
       from entities, periods""",
    """update marts.fct_scores set overall_score = round((activity_score + content_quality_score + resolution_score
           + coalesce(satisfaction_score, resolution_score)) / 4, 2)""",
    """update marts.fct_scores set grade = case when overall_score >= 90 then 'excellent' when overall_score >= 75 then 'good'
           when overall_score >= 60 then 'pass' else 'fail' end""",
    """create or replace table marts.fct_grades__staff as
       select scores.entity_id as staff_id, staff.name, staff.role, staff.team, scores.period as quarter, true as quarter_is_complete,
              activity_score, content_quality_score, resolution_score, satisfaction_score, overall_score,
              grade as computed_grade, grade as final_grade, not_rated_reason, false as quota_adjusted, '2026.1' as rubric_version
       from marts.fct_scores as scores join raw.staff as staff on staff.staff_id = scores.entity_id
       where entity_type = 'staff' and period_type = 'quarter'""",
    """create or replace table marts.fct_score_explanations as
       select scores.entity_type, scores.entity_id, scores.period_type, scores.period, m.dimension, m.metric, 'scored' as status,
              (hash(scores.entity_id, m.metric) % 1000) / 1000.0 as value, 10 + hash(scores.entity_id) % 200 as sample_size,
              10 as min_sample, 0.5 as floor, 0.95 as target, (hash(scores.entity_id, m.metric) % 1000) / 10.0 as sub_score,
              1 / 12 as overall_share, (hash(scores.entity_id, m.metric) % 1000) / 120.0 as contribution,
              (1000 - hash(scores.entity_id, m.metric) % 1000) / 120.0 as potential_gain
       from marts.fct_scores as scores,
            (values ('activity', 'staff_messages'), ('activity', 'active_day_ratio'), ('activity', 'group_coverage'),
                    ('content_quality', 'violation_rate'), ('content_quality', 'audit_pass_rate'),
                    ('resolution', 'response_rate'), ('resolution', 'sla_rate'), ('resolution', 'resolution_rate'),
                    ('resolution', 'median_response_business_minutes'), ('resolution', 'p90_response_business_minutes'),
                    ('satisfaction', 'csat_rate'), ('satisfaction', 'evaluation_score')) m(dimension, metric)
       where scores.entity_type = 'staff' and scores.period_type = 'quarter'""",
    """create or replace table marts.fct_excellent_communities as
       select * from (
           select g.category, s.period_type, s.period, s.entity_id as group_id, s.overall_score, s.grade,
                  row_number() over (partition by g.category, s.period_type, s.period order by s.overall_score desc, s.entity_id) as rank
           from marts.fct_scores s join raw.groups g on g.group_id = s.entity_id where s.entity_type = 'group'
       ) where rank <= 3""",
    """create or replace table raw.source_files as
       select 'exports/wecom/' || i || '.jsonl' as source_file, $messages // 200 as messages, 0 as events, i % 3 as quarantined
       from range(200) t(i)""",
    """create or replace table raw.ingest_quarantine as
       select 'wecom' as platform, 'exports/wecom/' || (i % 200) || '.jsonl' as source_file, i as source_record,
              'line ' || i as source_record_label, 'msgtime is not an epoch' as reason, '{...}' as raw_snippet
       from range(200) t(i) where i % 3 <> 0""",
    """create or replace table raw.input_files as
       select 'inputs/tickets/' || i || '.csv' as source_file, 'tickets' as input_kind, 1000 as rows, 2 as quarantined
       from range(20) t(i)""",
    """create or replace table raw.input_quarantine as
       select 'tickets' as input_kind, 'inputs/tickets/' || (i % 20) || '.csv' as source_file, i as source_record,
              'line ' || i as source_record_label, 'status 待定 is not a known status' as reason, 'x' as raw_snippet
       from range(40) t(i)""",
]

#: Child-process code: the dashboard queries on the warehouse PATH, then every page into WORK; prints
#: the pages written and leaves the split of the time in WORK/timings.json.
_DASHBOARDS = (
    "import json, time\n"
    "from pathlib import Path\n"
    "from dashboards.data import load_site_data\n"
    "from dashboards.site import write_site\n"
    "from pipelines.resources import Warehouse\n"
    "started = time.perf_counter()\n"
    "with Warehouse(path=PATH).connect(read_only=True) as con:\n"
    "    data = load_site_data(con)\n"
    "queried = time.perf_counter()\n"
    "report = write_site(data, Path(WORK) / 'dashboards', lang='zh')\n"
    "done = time.perf_counter()\n"
    "Path(WORK, 'timings.json').write_text(json.dumps({'queries': queried - started, 'pages': done - queried, "
    "'megabytes': report.bytes / 1e6}))\n"
    "print(sum(report.pages.values()))\n"
)


def dashboard_world(path: Path, groups: int, staff: int, messages: int) -> None:
    """Build the synthetic warehouse of `DASHBOARD_WORLD` at `path` (under a partial name first)."""
    import duckdb

    partial = path.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(partial))
    try:
        con.execute("set TimeZone = 'UTC'")
        sizes = {"groups": groups, "staff": staff, "messages": messages}
        for statement in DASHBOARD_WORLD:
            con.execute(statement, {name: value for name, value in sizes.items() if f"${name}" in statement})
    finally:
        con.close()
    partial.rename(path)


def bench_dashboards(workdir: Path) -> None:
    """Time `kpi dashboards` on a synthetic warehouse of BENCH_GROUPS groups, BENCH_STAFF staff and
    BENCH_MESSAGES messages, in a child process (its own peak RSS)."""
    groups = int(os.environ.get("BENCH_GROUPS", 2000))
    staff = int(os.environ.get("BENCH_STAFF", 5000))
    messages = int(os.environ.get("BENCH_MESSAGES", 10_000_000))
    path = workdir / f"dashboards_{groups}g_{staff}s_{messages}m.duckdb"
    if not path.exists():
        print(f"generating {path} …", flush=True)
        dashboard_world(path, groups, staff, messages)
    work = workdir / "work_dashboards"
    work.mkdir(parents=True, exist_ok=True)
    row = measure(_DASHBOARDS, path, work)
    split = json.loads((work / "timings.json").read_text())
    print(f"{'dashboard':<10}{'site':<8}{row['rows']:>13,}{row['seconds']:>9.1f}{row['rows'] / row['seconds']:>13,.0f}"
          f"{row['peak_rss_mb']:>13,.0f}   pages (records = pages) of {groups:,} groups, {staff:,} staff, "
          f"{messages:,} messages: queries {split['queries']:.1f} s, pages {split['pages']:.1f} s, "
          f"{split['megabytes']:,.0f} MB written", flush=True)


#: Child-process code for the `pipeline` steps. PATH is the data folder, WORK the output folder.
_BASELINE = (
    "from pathlib import Path\n"
    "from pipelines.bench_baseline import run\n"
    "print(run(Path(PATH), Path(WORK))['requests'])\n"
)
#: `kpi run` in process (its DuckDB threads are this child's: RUSAGE_SELF covers them); prints the
#: archive records loaded. With INCREMENTAL, the export files whose raw.source_files row this run wrote
#: (new, or parsed again: a re-load deletes and re-inserts the row, so its rowid changes).
_KPI_RUN = (
    "import duckdb, json\n"
    "import dagster as dg\n"
    "from pipelines.cli import app\n"
    # where the time goes: every Dagster step's duration, from the results of the runs `kpi run` makes
    # (the real dg.materialize, wrapped; nothing else changes), into WORK/steps_<full|incr>.json
    "steps, materialize = [], dg.materialize\n"
    "def timed(*args, **kwargs):\n"
    "    result = materialize(*args, **kwargs)\n"
    "    steps.extend((e.step_key, e.event_specific_data.duration_ms / 1000) for e in result.all_events if e.is_step_success)\n"
    "    return result\n"
    "dg.materialize = timed\n"
    "def loaded():\n"
    "    con = duckdb.connect(WORK + '/warehouse.duckdb', read_only=True)\n"
    "    try:\n"
    "        return dict(con.execute('select source_file, rowid from raw.source_files').fetchall())\n"
    "    finally:\n"
    "        con.close()\n"
    "before = loaded() if INCREMENTAL else {}\n"
    "code = app(['run', '--data', PATH, '--out', WORK, '--no-dashboard'], standalone_mode=False)\n"
    "if code:\n"
    "    raise SystemExit(code)\n"
    "after = loaded()\n"
    "open(WORK + ('/steps_incr.json' if INCREMENTAL else '/steps_full.json'), 'w').write(json.dumps(steps))\n"
    "if INCREMENTAL:\n"
    "    print(sum(1 for f, rowid in after.items() if before.get(f) != rowid))\n"
    "else:\n"
    "    con = duckdb.connect(WORK + '/warehouse.duckdb', read_only=True)\n"
    "    print(con.execute('select count(*) from raw.chat_messages').fetchall()[0][0])\n"
    "    con.close()\n"
)
_KPI_DASHBOARDS = (
    "from pathlib import Path\n"
    "from pipelines.cli import app\n"
    "code = app(['dashboards', '--data', PATH, '--out', WORK], standalone_mode=False)\n"
    "if code:\n"
    "    raise SystemExit(code)\n"
    "print(sum(1 for _ in Path(WORK, 'dashboards').rglob('*.html')))\n"
)

#: The issue's targets, printed beside the figures.
TARGET_RATIO, TARGET_SECONDS, TARGET_RSS_MB, TARGET_INCREMENTAL = 2.0, 60.0, 2048, 0.10


def _world(workdir: Path) -> Path:
    """The generated quarter for `pipeline`, made (untimed) when missing or of other sizes."""
    from pipelines import bench_world

    messages = int(os.environ.get("BENCH_WORLD_MESSAGES", 10_000_000))
    groups = int(os.environ.get("BENCH_GROUPS", 2000))
    staff = int(os.environ.get("BENCH_STAFF", 5000))
    world = workdir / f"world_{messages}"
    summary = world / "world.json"
    if summary.exists():
        made = json.loads(summary.read_text(encoding="utf-8"))
        if (made["messages"], made["groups"], made["staff"]) == (messages, groups, staff):
            return world
    print(f"generating {world} ({messages:,} messages, {groups:,} groups, {staff:,} staff) …", flush=True)
    started = time.perf_counter()
    bench_world.generate(world, messages=messages, groups=groups, staff=staff)
    print(f"generated in {time.perf_counter() - started:.0f} s (not part of any timing)", flush=True)
    return world


def _linked_copy(source: Path, target: Path) -> None:
    """`source`'s files under `target` as hard links: a private data folder in no time and no space."""
    shutil.copytree(source, target, copy_function=os.link, dirs_exist_ok=True)


def bench_pipeline(workdir: Path) -> None:
    """The end-to-end benchmark of issue 8 (module docstring): baseline, full run, incremental run,
    dashboards, each in its own child process; then the ratios against the issue's targets."""
    world = _world(workdir)
    made = json.loads((world / "world.json").read_text(encoding="utf-8"))
    work = workdir / "work_pipeline"
    shutil.rmtree(work, ignore_errors=True)
    data, out = work / "data", work / "out"
    _linked_copy(world / "data", data)
    size = sum(p.stat().st_size for p in (data / "exports").rglob("*") if p.is_file()) / 1e9
    described = (f"{made['messages']:,} messages in {made['export_files']:,} files ({size:.2f} GB), "
                 f"{made['groups']:,} groups, {made['staff']:,} staff")

    def show(job: str, row: dict, what: str) -> None:
        print(f"{'pipeline':<10}{job:<11}{row['rows']:>10,}{row['seconds']:>9.1f}{row['rows'] / row['seconds']:>13,.0f}"
              f"{row['peak_rss_mb']:>13,.0f}   {what}", flush=True)

    def slowest(name: str) -> None:
        steps = sorted(json.loads((out / f"steps_{name}.json").read_text()), key=lambda step: -step[1])
        print(f"{'':<21}steps {sum(s for _, s in steps):,.0f} s, slowest: "
              + ", ".join(f"{key} {seconds:,.1f} s" for key, seconds in steps[:6]), flush=True)

    baseline = measure(_BASELINE, data, work / "baseline")
    show("baseline", baseline, f"requests; bare DuckDB script to Parquet, {described}")
    full = measure("INCREMENTAL = False\n" + _KPI_RUN, data, out)
    show("full", full, "records loaded; kpi run --no-dashboard (ingest, KPIs, checks, grades, HR files)")
    slowest("full")
    again = measure(_BASELINE, data, work / "baseline_again")
    show("baseline", again, "requests; the same script again, after the full run (the machine's drift)")
    _linked_copy(world / "next_day" / "exports", data / "exports")
    incremental = measure("INCREMENTAL = True\n" + _KPI_RUN, data, out)
    show("incr", incremental, f"export files parsed (of {made['next_day_files']:,} new, "
                              f"{made['next_day_messages']:,} messages of 2026-10-01); kpi run again")
    slowest("incr")
    dashboards = measure(_KPI_DASHBOARDS, data, out)
    show("dashboards", dashboards, "pages; kpi dashboards on that warehouse")
    floor = (baseline["seconds"] + again["seconds"]) / 2
    ratio = full["seconds"] / floor
    share = incremental["seconds"] / full["seconds"]
    peak = max(full["peak_rss_mb"], incremental["peak_rss_mb"])
    print(f"pipeline: full / baseline {ratio:.2f}x (baseline {baseline['seconds']:.0f} s and {again['seconds']:.0f} s "
          f"around it; target <= {TARGET_RATIO:g}x), full {full['seconds']:.0f} s "
          f"(target <= {TARGET_SECONDS:.0f} s), incremental / full {share:.0%} (target <= {TARGET_INCREMENTAL:.0%}), "
          f"peak RSS {peak:,.0f} MB (target <= {TARGET_RSS_MB:,}), dashboards {dashboards['seconds']:.0f} s "
          f"(target <= {TARGET_SECONDS:.0f} s)", flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--formats", default="wecom,telegram,whatsapp,dashboards,pipeline")
    parser.add_argument("--workdir", type=Path, default=Path("build/bench"))
    args = parser.parse_args(argv)
    plans = _inputs(args.workdir)
    print(f"{'format':<10}{'reader':<8}{'records':>13}{'seconds':>9}{'records/s':>13}{'peak RSS MB':>13}   input")
    for fmt in args.formats.split(","):
        if fmt == "dashboards":
            bench_dashboards(args.workdir)
            continue
        if fmt == "pipeline":
            bench_pipeline(args.workdir)
            continue
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
