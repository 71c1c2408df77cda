-- Counted messages with their KPI_SPEC §3 classification: acknowledgement, question, complaint, and
-- whether the message opens or joins a request (a member's question/complaint in a group whose category
-- takes requests). Grain: one counted message (staging.stg_chat__messages where is_counted).
-- Lexicons come from the rubric: acknowledgement terms compared after trimming punctuation, whitespace
-- and emoji from both ends; question/complaint patterns built by pipelines/rubric.py.
-- Partitions: monthly, by sent_at.
with

settings as (
    select * from raw.rubric_settings
),

counted as (
    select * from staging.stg_chat__messages
    where is_counted
),

trimmed as (
    select
        counted.*,
        lower(regexp_replace(
            coalesce(counted.text, ''),
            '^[\s\p{P}\p{S}\x{FE0F}\x{200D}]+|[\s\p{P}\p{S}\x{FE0F}\x{200D}]+$', '', 'g'
        )) as trimmed_text
    from counted
),

classified as (
    select
        trimmed.*,
        (
            trimmed.kind = 'sticker'
            or (trimmed.kind = 'text' and (trimmed.trimmed_text = ''
                or list_contains(settings.acknowledgement_terms, trimmed.trimmed_text)))
        ) as is_acknowledgement,
        trimmed.member_key is not null and trimmed.kind = 'text' as is_member_text,
        list_contains(settings.request_categories, trimmed.group_category) as is_request_group
    from trimmed
    cross join settings
),

final as (
    select
        * exclude (trimmed_text, is_member_text, is_request_group),
        -- rubric patterns as session variables (pipelines/sql_runner.py): a constant pattern is compiled
        -- once per query; read from a column it would be compiled again for every row
        is_member_text and not is_acknowledgement
            and regexp_matches(text, getvariable('question_pattern')) as is_question,
        is_member_text and regexp_matches(text, getvariable('complaint_pattern')) as is_complaint,
        is_request_group and is_member_text and (
            (not is_acknowledgement and regexp_matches(text, getvariable('question_pattern')))
            or regexp_matches(text, getvariable('complaint_pattern'))
        ) as is_request_message
    from classified
)

select * from final
