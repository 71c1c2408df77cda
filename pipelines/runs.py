"""The whole pipeline in process, as `kpi run` and the tests run it.

Dagster runs one partitions definition at a time, so a full run is three runs in order:

1. ingest — the `raw` assets (unpartitioned: they read only new or changed files);
2. monthly — every monthly asset and the unpartitioned models between them, over the range of
   months to compute, as one run (the assets take ranges, `BackfillPolicy.single_run`): every
   month of data on the first run, afterwards only the months that changed (pipelines/changes.py),
   in two runs: everything up to `marts.fct_requests`, then what depends on requests over those
   months and any earlier ones whose requests the first rewrote (a late answer, KPI_SPEC §3);
3. quarterly — grades and everything downstream of them (the dashboards), over the quarters of
   those months.

A run that fails stops the sequence, so a failing blocking check in the KPIs never lets the
grades or the dashboards be rebuilt from bad data. The analysts' jobs in the UI are the same three
selections (pipelines/definitions.py).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import dagster as dg

from pipelines import changes, quality
from pipelines.partitions import (
    RANGE_END_TAG, RANGE_START_TAG, PeriodScope, monthly_partitions, quarterly_partitions,
)
from pipelines.resources import Warehouse



@dataclass(frozen=True)
class Stages:
    """The three selections of a full run (see the module docstring)."""

    ingest: dg.AssetSelection
    monthly: dg.AssetSelection
    quarterly: dg.AssetSelection


def stages(assets: list[dg.AssetsDefinition]) -> Stages:
    def with_partitions(partitions_def: dg.PartitionsDefinition) -> dg.AssetSelection:
        return dg.AssetSelection.assets(*[a for a in assets if a.partitions_def == partitions_def])

    raw = dg.AssetSelection.key_prefixes(["raw"])
    quarterly = with_partitions(quarterly_partitions)
    after_quarterly = quarterly.downstream()
    return Stages(
        ingest=raw,
        monthly=dg.AssetSelection.all() - raw - after_quarterly,
        quarterly=after_quarterly,
    )


#: The asset whose runs may change rows of months outside their scope (sql/scopes/fct_requests.sql).
REQUESTS = dg.AssetKey(["marts", "fct_requests"])


@dataclass
class PipelineRun:
    """The Dagster results of the stages that ran, the months they covered and why."""

    results: list[dg.ExecuteInProcessResult] = field(default_factory=list)
    scope: PeriodScope | None = None
    reason: str = ""
    #: Earlier months whose requests the run's messages changed (computed again downstream).
    later_answers: list[str] = field(default_factory=list)

    def describe(self) -> str:
        """The months computed, for the run summary."""
        if self.scope is None:
            return f"none ({self.reason})" if self.reason else "none"
        text = f"{self.scope.describe()} ({self.reason})"
        if self.later_answers:
            text += f"; requests opened in {', '.join(self.later_answers)} changed by later messages, recomputed"
        return text

    @property
    def success(self) -> bool:
        return all(result.success for result in self.results)

    def get_asset_check_evaluations(self) -> list[dg.AssetCheckEvaluation]:
        return [e for result in self.results for e in result.get_asset_check_evaluations()]

    def get_asset_materialization_events(self) -> list:
        return [e for result in self.results for e in result.get_asset_materialization_events()]

    def asset_materializations_for_node(self, node_name: str) -> list:
        return [m for result in self.results if node_name in _nodes(result)
                for m in result.asset_materializations_for_node(node_name)]

    @property
    def failed(self) -> dg.ExecuteInProcessResult | None:
        return next((result for result in self.results if not result.success), None)


def _nodes(result: dg.ExecuteInProcessResult) -> set[str]:
    return {event.node_name for event in result.all_node_events}


def data_scope(warehouse: Warehouse) -> PeriodScope:
    """The local months from the first to the last message in `raw.chat_messages`, clamped to the
    partitions that exist (messages outside them are owned by the edge partitions and stopped by
    the staging data-quality suite). With no messages yet, the current month, so every table
    exists (empty)."""
    with warehouse.connect(read_only=True) as con:
        zone = con.execute("select reporting_timezone from raw.rubric_settings").fetchall()[0][0]
        first, last = con.execute(
            "select min(timezone($zone, sent_at))::date, max(timezone($zone, sent_at))::date from raw.chat_messages",
            {"zone": zone},
        ).fetchall()[0]
    if first is None:
        first = last = dt.datetime.now(ZoneInfo(zone)).date()
    lowest = dt.date.fromisoformat(monthly_partitions.get_first_partition_key())
    highest = dt.date.fromisoformat(monthly_partitions.get_last_partition_key())
    return PeriodScope.from_months(min(max(first, lowest), highest), min(max(last, lowest), highest))


def range_tags(scope: PeriodScope, partitions_def: dg.TimeWindowPartitionsDefinition) -> dict[str, str]:
    """Run tags that make one run cover the partitions of `scope`'s months."""
    if partitions_def == quarterly_partitions:
        scope = scope.quarter_months
        first, last = scope.months[0], scope.months[-3]
    else:
        first, last = scope.months[0], scope.months[-1]
    return {RANGE_START_TAG: first.isoformat(), RANGE_END_TAG: last.isoformat()}


def materialize_pipeline(
    assets: list[dg.AssetsDefinition],
    checks: list[dg.AssetChecksDefinition],
    resources: dict,
    *,
    exclude: dg.AssetSelection | None = None,
    run_config: dict | None = None,
) -> PipelineRun:
    """Ingest, then the monthly KPIs over the data's months, then the quarterly grades: each stage
    one in-process run on one ephemeral instance; the first failure stops the rest."""
    plan = stages(assets)
    instance = dg.DagsterInstance.ephemeral()
    pipeline = PipelineRun()

    def run(selection: dg.AssetSelection, tags: dict | None = None) -> bool:
        if exclude is not None:
            selection = selection - exclude
        result = dg.materialize(
            [*assets, *checks], selection=selection, resources=resources, instance=instance,
            run_config=run_config or {}, tags=tags, raise_on_error=False,
        )
        pipeline.results.append(result)
        return result.success

    if not run(plan.ingest):
        return pipeline
    warehouse = resources["warehouse"]
    computing = changes.plan(warehouse, resources["paths"].data, data_scope(warehouse))
    pipeline.scope, pipeline.reason = computing.scope, computing.reason
    if computing.scope is None:
        return pipeline
    quality.warm_up()
    # The monthly stage is two runs: up to marts.fct_requests over the months that changed, then what
    # depends on requests over those months and the earlier ones whose requests changed (one run
    # each, not the figures of the changed months computed twice).
    after_requests = plan.monthly & (dg.AssetSelection.assets(REQUESTS).downstream() - dg.AssetSelection.assets(REQUESTS))
    if not run(plan.monthly - after_requests, range_tags(computing.scope, monthly_partitions)):
        return pipeline
    pipeline.later_answers = _requests_changed_outside(pipeline.results[-1])
    earlier = [dt.date.fromisoformat(f"{month}-01") for month in pipeline.later_answers]
    covered = PeriodScope.from_months(min([*earlier, computing.scope.first_month]), computing.scope.months[-1])
    if not run(after_requests, range_tags(covered, monthly_partitions)):
        return pipeline
    if run(plan.quarterly, range_tags(covered, quarterly_partitions)):
        changes.mark_computed(warehouse, computing)
    return pipeline


def _requests_changed_outside(result: dg.ExecuteInProcessResult) -> list[str]:
    """The months outside the run's scope whose requests its `marts.fct_requests` step rewrote."""
    node = "__".join(REQUESTS.path)
    if node not in _nodes(result):
        return []
    materialized = result.asset_materializations_for_node(node)
    value = materialized[0].metadata.get("months_changed_outside_scope") if materialized else None
    return list(value.value) if value is not None else []
