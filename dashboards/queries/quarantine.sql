-- Records quarantined while loading, per file and reason (raw.ingest_quarantine for chat exports,
-- raw.input_quarantine for platform inputs): how many, and the first record labels (file line or record
-- number) so someone can open the file at the right place. Never `raw_snippet`: it may hold a member's
-- text. Grain: (kind, source_file, reason).
with

quarantined as (
    select 'chat_export' as kind, source_file, source_record, source_record_label, reason
    from raw.ingest_quarantine
    union all
    select input_kind as kind, source_file, source_record, source_record_label, reason
    from raw.input_quarantine
)

select
    kind,
    source_file,
    reason,
    count(*) as records,
    list(source_record_label order by source_record, source_record_label)[1:10] as first_records
from quarantined
group by all
order by source_file, records desc, reason
