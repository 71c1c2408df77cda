"""`make bench`'s pipeline part, end to end on a tiny generated world: every step runs and prints
its figures, and the incremental run parses exactly the new day's export files. Wall times are
printed, never asserted."""

from __future__ import annotations

import re

from pipelines import bench


def test_the_pipeline_bench_runs_and_the_new_day_reads_only_new_files(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("BENCH_WORLD_MESSAGES", "20000")
    monkeypatch.setenv("BENCH_GROUPS", "20")
    monkeypatch.setenv("BENCH_STAFF", "30")
    bench.main(["--formats", "pipeline", "--workdir", str(tmp_path)])
    printed = capsys.readouterr().out
    rows = {}
    for line in printed.splitlines():
        found = re.match(r"pipeline\s+(\w+)\s+([\d,]+)\s", line)
        if found:
            rows.setdefault(found.group(1), []).append(int(found.group(2).replace(",", "")))
    assert rows["full"] == [20_000]  # every generated record loaded
    assert len(rows["baseline"]) == 2 and rows["baseline"][0] == rows["baseline"][1] > 0  # same requests twice
    new_files = int(re.search(r"of ([\d,]+) new", printed).group(1).replace(",", ""))
    assert rows["incr"] == [new_files] and new_files > 0  # only the new day's files were parsed
    assert rows["dashboards"][0] > 0
    assert re.search(r"pipeline: full / baseline [\d.]+x .* peak RSS [\d,]+ MB", printed)
