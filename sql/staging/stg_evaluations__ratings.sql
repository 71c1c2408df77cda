-- Multi-rater evaluations, one rating of one staff member for one period (KPI_SPEC §4.4
-- evaluation_score), from raw.evaluations. Grain: one rating — (staff_id, period, rater_type, rater) for
-- named raters; anonymous ratings are rows of their own.
-- De-duplication across files follows the loader's rule within a file: a named rater (rater_id, or the
-- staff member for a self rating) rating the same staff member, period and rater type in several files
-- counts once, the latest submitted_at winning (a blank time counts as earliest), then the file whose
-- path sorts last, then the later record. An anonymous rating (no rater_id) is never a duplicate within
-- a file, but the n-th identical anonymous rating (same staff, period, rater type, score, scale and
-- submitted_at) of one file and the n-th of another are the same rating delivered twice: kept once, from
-- the file whose path sorts last. `copies` says how many copies were seen.
-- staff_id must be in the roster and active during some day of the period; otherwise it is NULL and
-- `resolution_note` says why (the file's id stays in `named_staff_id`).
-- rater_id and comment are dropped: they never leave the raw layer. score_normalised is out of 100.
with

ratings as (
    select
        * exclude (comment),
        case when rater_type = 'self' then staff_id else rater_id end as rater_key
    from raw.evaluations
),

-- Occurrence of identical anonymous ratings within their file (1, 2, …), so copies match across files.
keyed as (
    select
        ratings.*,
        case
            when rater_key is not null then 'rater:' || rater_key
            else 'anonymous:' || concat_ws('|', score, scale, coalesce(strftime(submitted_at, '%Y-%m-%dT%H:%M:%S'), ''))
                || '#' || row_number() over (
                    partition by source_file, staff_id, period_type, period, rater_type, rater_key is null,
                        score, scale, submitted_at
                    order by source_record
                )
        end as rating_key
    from ratings
),

deduplicated as (
    select
        *,
        count(*) over same_rating as copies
    from keyed
    window same_rating as (partition by staff_id, period_type, period, rater_type, rating_key)
    qualify row_number() over (
        partition by staff_id, period_type, period, rater_type, rating_key
        order by submitted_at desc nulls last, source_file desc, source_record desc
    ) = 1
),

bounded as (
    select
        deduplicated.*,
        case
            when period_type = 'quarter'
                then make_date(left(period, 4)::int, (right(period, 1)::int - 1) * 3 + 1, 1)
            else strptime(period || '-01', '%Y-%m-%d')::date
        end as period_start
    from deduplicated
),

resolved as (
    select
        bounded.* rename (staff_id as named_staff_id),
        (bounded.period_start + case when bounded.period_type = 'quarter' then interval 3 month
            else interval 1 month end - interval 1 day)::date as period_end,
        staff.staff_id as roster_staff_id,
        staff.active_from,
        staff.active_to
    from bounded
    left join raw.staff as staff
        on staff.staff_id = bounded.staff_id
),

final as (
    select
        case
            when active_from <= period_end and coalesce(active_to, period_end) >= period_start then roster_staff_id
        end as staff_id,
        period_type,
        period,
        period_start,
        period_end,
        rater_type,
        score,
        scale,
        score_normalised,
        submitted_at,
        named_staff_id,
        case
            when roster_staff_id is null then 'staff_id ' || named_staff_id || ' is not in the roster'
            when not (active_from <= period_end and coalesce(active_to, period_end) >= period_start)
                then 'staff ' || roster_staff_id || ' is not active in ' || period
        end as resolution_note,
        copies,
        source_file,
        source_record,
        source_record_label
    from resolved
)

select * from final
