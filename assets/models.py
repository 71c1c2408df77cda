"""Staging, intermediate and mart tables: one asset per file in `sql/`, grouped by layer."""

from __future__ import annotations

from pipelines.factories import sql_check, sql_model_asset
from pipelines.sql_runner import LAYERS, SQL_DIR, discover

sql_assets = [sql_model_asset(model) for layer in LAYERS for model in discover(layer)]

sql_checks = [sql_check(path) for path in sorted((SQL_DIR / "checks").glob("assert_*.sql"))]
