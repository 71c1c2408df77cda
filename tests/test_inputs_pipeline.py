"""Inputs in a real Dagster run: every kind's folder lands in its raw table, bad rows in quarantine,
and a second run over the same files changes nothing."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.conftest import materialize_all, query

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "inputs"


def test_every_input_kind_loads_in_a_run_and_reruns_count_once(sample_copy, tmp_path):
    out = tmp_path / "out"
    shutil.rmtree(sample_copy / "inputs")  # the fixtures stand in for the samples' own inputs
    shutil.copytree(FIXTURES / "surveys", sample_copy / "inputs" / "surveys")
    shutil.copytree(FIXTURES / "tickets", sample_copy / "inputs" / "tickets")
    shutil.copytree(FIXTURES / "group_stats", sample_copy / "inputs" / "group_stats")
    shutil.copytree(FIXTURES / "wecom_behavior" / "zhangsan", sample_copy / "inputs" / "wecom_behavior" / "zhangsan")
    materialize_all(sample_copy, out)
    counts = """
        select input_kind, count(*), sum(rows), sum(quarantined) from raw.input_files group by all order by all
    """
    first = query(out, counts)
    assert [row[0] for row in first] == ["group_stats", "surveys", "tickets", "wecom_behavior"]
    assert all(row[2] > 0 for row in first)
    assert query(out, "select count(*) from raw.survey_responses")[0][0] == dict(
        (k, r) for k, _, r, _ in first)["surveys"]
    quarantined = query(out, "select input_kind, count(*) from raw.input_quarantine group by all order by all")
    assert quarantined and all(reason for (reason,) in query(out, "select reason from raw.input_quarantine"))
    materialize_all(sample_copy, out)
    assert query(out, counts) == first
    assert query(out, "select input_kind, count(*) from raw.input_quarantine group by all order by all") == quarantined
