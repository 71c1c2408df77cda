-- Short-video works (Douyin 抖音 / Kuaishou 快手) with their latest counts, for posts_published (KPI_SPEC
-- §4.1) and post_engagement_rate (§4.2), from raw.content_posts. Grain: (platform, post_id).
-- De-duplication: a work appears in every monthly download with growing counts; the copy with the latest
-- `as_of` (the download's 数据更新时间) wins, a copy without `as_of` counting as the oldest, then the
-- file whose path sorts last, then the later record. `copies` says how many copies were seen.
-- Identity: account_handle -> staff_id through a roster handle on the same platform (douyin/kuaishou)
-- valid on the published date, with the staff member active that day; unresolved rows keep staff_id
-- NULL and say why in `resolution_note`; metrics skip them.
-- published_date/month/quarter are local to the reporting time zone (raw.rubric_settings).
-- Counts stay NULL where the console wrote no data (never an invented 0).
with

settings as (
    select * from raw.rubric_settings
),

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

localised as (
    select
        deduplicated.*,
        timezone(settings.reporting_timezone, deduplicated.published_at)::date as published_date
    from deduplicated
    cross join settings
),

resolved as (
    select
        localised.*,
        handles.staff_id as handle_staff_id,
        staff.staff_id is not null
            and localised.published_date >= staff.active_from
            and localised.published_date <= coalesce(staff.active_to, date '9999-12-31') as is_staff_active
    from localised
    left join raw.staff_handles as handles
        on handles.platform = localised.platform
        and handles.handle = localised.account_handle
        and localised.published_date >= coalesce(handles.valid_from, date '0001-01-01')
        and localised.published_date <= coalesce(handles.valid_to, date '9999-12-31')
    left join raw.staff as staff
        on staff.staff_id = handles.staff_id
),

final as (
    select
        platform,
        post_id,
        case when is_staff_active then handle_staff_id end as staff_id,
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
        case
            when account_handle is null
                then 'names no account'
            when handle_staff_id is null
                then 'no roster handle ' || platform || ':' || account_handle || ' valid on ' || published_date
            when not is_staff_active
                then 'staff ' || handle_staff_id || ' (handle ' || platform || ':' || account_handle
                    || ') is not active on ' || published_date
        end as resolution_note,
        copies,
        source_file,
        source_record,
        source_record_label
    from resolved
)

select * from final
