-- Violation ledger (KPI_SPEC §4.2): published evidence, one row per (message, rule) hit of
-- intermediate.int_messages__violations, with the sender's offence number in that group and the
-- recommended action. Grain: violation_id = platform:source_key:message_id:rule.
-- Offences: one offence per message, however many rules it hits, numbered 1, 2, … per (group, sender)
-- in time order (sent_at, then source file and record) over all loaded data — the count never restarts
-- at a period boundary. Every rule row of a message carries the same offence_number, offence_rules
-- and recommended_action.
-- Recommended action per offence: `remove` when any of its rules is `privacy` or `sensitive`, else by
-- offence number: 1 → `warning`, 2–3 → `restrict`, 4 and later → `remove`. Each flood hit (the n-th
-- identical message onwards) is its own message and so its own offence. Staff and members alike.
-- Identity: members only as member_key (keyed pseudonym), staff as staff_id; no message text, and
-- privacy matches masked. Stamped with the rubric version.
-- Partitions: monthly, by sent_at.
with

settings as (
    select * from raw.rubric_settings
),

violations as (
    select * from intermediate.int_messages__violations
),

offences as (
    select
        platform,
        source_key,
        message_id,
        group_id,
        sender_kind,
        coalesce(staff_id, member_key) as sender_id,
        sent_at,
        source_file,
        source_record,
        list_sort(list(rule)) as offence_rules
    from violations
    group by all
),

numbered as (
    select
        *,
        row_number() over (
            partition by group_id, sender_kind, sender_id
            order by sent_at, source_file, source_record, platform, source_key, message_id
        ) as offence_number
    from offences
),

actions as (
    select
        *,
        case
            when list_has_any(offence_rules, ['privacy', 'sensitive']) then 'remove'
            when offence_number = 1 then 'warning'
            when offence_number <= 3 then 'restrict'
            else 'remove'
        end as recommended_action
    from numbered
),

final as (
    select
        violations.platform || ':' || violations.source_key || ':' || violations.message_id || ':'
            || violations.rule as violation_id,
        violations.message_id,
        violations.platform,
        violations.source_key,
        violations.group_id,
        violations.group_category,
        violations.sent_at,
        violations.sent_date,
        violations.sent_month,
        violations.sent_quarter,
        violations.sender_kind,
        violations.staff_id,
        violations.member_key,
        violations.rule,
        violations.matched_text_masked,
        actions.offence_number,
        actions.offence_rules,
        actions.recommended_action,
        settings.rubric_version,
        violations.source_file,
        violations.source_record,
        violations.source_record_label
    from violations
    inner join actions
        on actions.platform = violations.platform
        and actions.source_key = violations.source_key
        and actions.message_id = violations.message_id
    cross join settings
)

select * from final
