"""Progress reporting for long ingests: a resource the `kpi` command swaps for a terminal bar."""

from __future__ import annotations

import dagster as dg


class Progress(dg.ConfigurableResource):
    """No-op in the Dagster UI (the run log shows per-file counts); `kpi run` passes a
    `pipelines.cli.TerminalProgress` instead."""

    def update(self, item: str, done: int, total: int) -> None:
        return None
