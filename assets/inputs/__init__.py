"""Platform metrics and business logs that sit beside the chats (KPI_SPEC §4.2–§4.4).

Each module reads one kind of input file under `inputs/<kind>/` of the data folder into one raw
table, quarantining rows it cannot use, with the same per-file idempotent loading as chat exports.
"""
