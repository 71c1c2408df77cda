-- Files loaded per input kind with rows and quarantined records: chat exports (raw.source_files) and
-- platform inputs (raw.input_files). Grain: kind.
with

files as (
    select 'chat_export' as kind, messages + events as rows, quarantined
    from raw.source_files
    union all
    select input_kind as kind, rows, quarantined
    from raw.input_files
)

select
    kind,
    count(*) as files,
    cast(sum(rows) as bigint) as rows,
    cast(sum(quarantined) as bigint) as quarantined
from files
group by all
order by kind
