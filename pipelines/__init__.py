"""Wiring of the Community KPI code location: definitions, resources, partitions, jobs, SQL runner, CLI."""
