-- Short-video works (Douyin 抖音 / Kuaishou 快手) with their latest counts, for posts_published (KPI_SPEC
-- §4.1) and post_engagement_rate (§4.2), from raw.content_posts. Grain: (platform, post_id).
-- De-duplication: a work appears in every monthly download with growing counts; the copy with the latest
-- `as_of` (the download's 数据更新时间) wins, a copy without `as_of` counting as the oldest, then the
-- file whose path sorts last, then the later record. `copies` says how many copies were seen.
-- Identity: account_handle -> staff_id through a roster handle on the same platform (douyin/kuaishou)
-- valid on the published date, with the staff member active that day (staging.stg_inputs__identities);
-- unresolved rows keep staff_id NULL and say why in `resolution_note`; metrics skip them.
-- published_date/month/quarter are local to the reporting time zone (raw.rubric_settings, via the identities).
-- Counts stay NULL where the console wrote no data (never an invented 0).
with

posts as (
    select * from raw.content_posts
),

deduplicated as (
    select
        *,
        count(*) over (partition by platform, post_id) as copies
    from posts
    qualify row_number() over (
        partition by platform, post_id
        order by as_of desc nulls last, source_file desc, source_record desc
    ) = 1
),

resolved as (
    select
        deduplicated.*,
        identities.on_date as published_date,
        identities.resolved_staff_id,
        identities.staff_note
    from deduplicated
    inner join staging.stg_inputs__identities as identities
        on identities.input_kind = 'content_posts'
        and identities.source_file = deduplicated.source_file
        and identities.source_record = deduplicated.source_record
        and identities.source_record_label = deduplicated.source_record_label
),

final as (
    select
        platform,
        post_id,
        resolved_staff_id as staff_id,
        account_handle,
        title,
        published_at,
        published_date,
        strftime(published_date, '%Y-%m') as published_month,
        year(published_date) || '-Q' || quarter(published_date) as published_quarter,
        views,
        likes,
        comments,
        shares,
        completion_rate,
        new_followers,
        favorites,
        avg_play_seconds,
        share_url,
        as_of,
        case when account_handle is null then 'names no account' else staff_note end as resolution_note,
        copies,
        source_file,
        source_record,
        source_record_label
    from resolved
)

select * from final
