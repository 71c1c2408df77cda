-- The latest violations of each group (at most 20) with the group's total: date, rule, who (staff id, or
-- the member's pseudonym), the masked match the ledger keeps (KPI_SPEC §4.2: never the message), the
-- offence number and the recommended action. Grain: violation_id.
select
    violation_id,
    group_id,
    sent_date,
    rule,
    sender_kind,
    staff_id,
    member_key,
    matched_text_masked,
    offence_number,
    recommended_action,
    count(*) over (partition by group_id) as group_total
from marts.fct_violations
qualify row_number() over (partition by group_id order by sent_at desc, violation_id) <= 20
order by group_id, sent_at desc, violation_id
