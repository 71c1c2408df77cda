-- Content audit log, one row per submission of a post to review, with author and group resolved and the
-- post's first-time result (KPI_SPEC §4.2 audit_pass_rate, audit_score), from raw.content_audits.
-- Grain: (post_id, submitted_at) — one submission.
-- De-duplication: the same submission (post_id and submitted_at) in several files counts once; a copy
-- with a first verdict beats a pending one, then the copy reviewed last (latest final/first review time),
-- then the file whose path sorts last, then the later record. `copies` says how many copies were seen.
-- First submission: submissions are numbered across all files by submission time (`submission_number`).
-- The earliest one is the post's first submission only if some file numbers it 1 (`submission` in
-- raw.content_audits is numbered before quarantine, so a file whose submission 1 was quarantined starts
-- at 2): otherwise the first submission is missing, the post has no first-time result and is not counted
-- as reviewed. The FIRST submission decides `post_passed_first_time` (its first verdict is 'pass'; a
-- later resubmission that passes does not turn a first-time failure into a pass) and `post_is_reviewed`
-- (its first verdict is not NULL, i.e. not pending); both are repeated on every row of the post.
-- Identity (author and group on the submission's local date) and that date come from
-- staging.stg_inputs__identities;
-- unresolved parts are explained in `resolution_note`.
-- The reviewer's name is dropped (raw only, never published).
with

audits as (
    select * exclude (reviewer) from raw.content_audits
),

deduplicated as (
    select
        *,
        count(*) over same_submission as copies,
        min(submission) over same_submission as min_file_submission
    from audits
    window same_submission as (partition by post_id, submitted_at)
    qualify row_number() over (
        partition by post_id, submitted_at
        order by first_verdict is not null desc,
            greatest(final_reviewed_at, first_reviewed_at) desc nulls last,
            source_file desc,
            source_record desc
    ) = 1
),

numbered as (
    select
        deduplicated.* rename (submission as file_submission),
        row_number() over (partition by post_id order by submitted_at) as submission_number
    from deduplicated
),

posts as (
    select
        post_id,
        min_file_submission = 1 as is_first_known,
        case when min_file_submission = 1 then first_verdict = 'pass' end as post_passed_first_time,
        min_file_submission = 1 and first_verdict is not null as post_is_reviewed
    from numbered
    where submission_number = 1
),

noted as (
    select
        numbered.* rename (staff_id as named_staff_id, group_id as named_group_id),
        identities.on_date as submitted_date,
        posts.is_first_known,
        posts.post_passed_first_time,
        posts.post_is_reviewed,
        identities.resolved_staff_id as staff_id,
        identities.resolved_group_id as group_id,
        identities.staff_note,
        identities.group_note
    from numbered
    inner join posts
        on posts.post_id = numbered.post_id
    inner join staging.stg_inputs__identities as identities
        on identities.input_kind = 'content_audits'
        and identities.source_file = numbered.source_file
        and identities.source_record = numbered.source_record
),

final as (
    select
        audit_id,
        post_id,
        submission_number,
        file_submission,
        submission_number = 1 and is_first_known as is_first_submission,
        submitted_at,
        submitted_date,
        strftime(submitted_date, '%Y-%m') as submitted_month,
        year(submitted_date) || '-Q' || quarter(submitted_date) as submitted_quarter,
        content_type,
        first_verdict,
        first_reviewed_at,
        final_verdict,
        final_reviewed_at,
        score,
        first_verdict is not null as is_reviewed,
        post_is_reviewed,
        post_passed_first_time,
        staff_id,
        group_id,
        named_staff_id,
        staff_platform as named_staff_platform,
        staff_handle as named_staff_handle,
        named_group_id,
        platform as named_platform,
        source_key as named_source_key,
        nullif(concat_ws('; ',
            staff_note,
            group_note,
            case when staff_id is null and group_id is null and staff_note is null and group_note is null
                then 'names neither an author nor a group' end,
            case when submission_number = 1 and not is_first_known
                then 'the first submission of post ' || post_id
                    || ' is missing (quarantined or not delivered): no first-time result' end
        ), '') as resolution_note,
        copies,
        source_file,
        source_record,
        source_record_label
    from noted
)

select * from final
