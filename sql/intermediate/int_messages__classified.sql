-- Counted messages with their KPI_SPEC §3 classification: acknowledgement, question, complaint, and
-- whether the message opens or joins a request (a member's question/complaint in a group whose category
-- takes requests). Grain: one counted message (staging.stg_chat__messages where is_counted).
-- Lexicons come from the rubric: acknowledgement terms compared after trimming punctuation, whitespace
-- and emoji from both ends; question/complaint patterns built by pipelines/rubric.py.
-- Partitions: monthly, by sent_at.
-- Materialized: view. Its readers (int_messages__requests, marts.fct_requests) take a few columns of a part
-- of its rows: writing all ten million rows took longer (~14 s) than classifying them where they are read.
with

settings as (
    select
        *,
        -- a trimmed text longer than every acknowledgement term cannot be one (lower() keeps the length)
        list_max(list_transform(acknowledgement_terms, lambda term: length(term))) as longest_acknowledgement_length
    from raw.rubric_settings
),

counted as (
    select * from staging.stg_chat__messages
    where is_counted
),

-- Only a text message can be an acknowledgement by its words, so only text messages are trimmed.
trimmed as (
    select
        counted.*,
        case when counted.kind = 'text' then regexp_replace(
            coalesce(counted.text, ''),
            '^[\s\p{P}\p{S}\x{FE0F}\x{200D}]+|[\s\p{P}\p{S}\x{FE0F}\x{200D}]+$', '', 'g'
        ) end as trimmed_text
    from counted
),

classified as (
    select
        trimmed.*,
        (
            trimmed.kind = 'sticker'
            or (trimmed.kind = 'text' and (trimmed.trimmed_text = ''
                or (length(trimmed.trimmed_text) <= settings.longest_acknowledgement_length
                    and list_contains(settings.acknowledgement_terms, lower(trimmed.trimmed_text)))))
        ) as is_acknowledgement,
        trimmed.member_key is not null and trimmed.kind = 'text' as is_member_text,
        list_contains(settings.request_categories, trimmed.group_category) as is_request_group
    from trimmed
    cross join settings
),

-- The question and complaint lexicons matter for members' text messages only: each regex runs once per
-- such message. Rubric patterns as session variables (pipelines/sql_runner.py): a constant pattern is
-- compiled once per query; read from a column it would be compiled again for every row.
lexicon_terms as (
    select
        *,
        case when is_member_text then regexp_matches(text, getvariable('question_pattern')) end
            as has_question_term,
        case when is_member_text then regexp_matches(text, getvariable('complaint_pattern')) end
            as has_complaint_term
    from classified
),

final as (
    select
        * exclude (trimmed_text, is_member_text, is_request_group, has_question_term, has_complaint_term),
        is_member_text and not is_acknowledgement and has_question_term as is_question,
        is_member_text and has_complaint_term as is_complaint,
        is_request_group and is_member_text and (
            (not is_acknowledgement and has_question_term)
            or has_complaint_term
        ) as is_request_message
    from lexicon_terms
)

select * from final
