-- Content-quality and content-activity metrics per period for staff and groups, long format (KPI_SPEC
-- §4.1 posts_published, §4.2 audit_pass_rate, audit_score, post_engagement_rate, originality).
-- Grain: (entity_type, entity_id, period_type, period, metric). Each row keeps its raw numerator and
-- denominator; `sample_size` is the count the rubric's minimum sample applies to; `value` is NULL, never
-- 0, when there is no denominator. Rows whose staff member or group is unresolved in staging are skipped.
-- Periods are local months and quarters of the reporting time zone (from the staging date columns).
--
-- audit_pass_rate (staff, group) = reviewed posts that passed at their first submission / reviewed posts.
--   A post is reviewed when its FIRST submission has a verdict (not pending) and belongs to the period,
--   author and group of that first submission (staging.stg_content__audits.is_first_submission); posts
--   whose first submission is missing are not counted. sample_size = reviewed posts.
-- audit_score (staff, group) = mean reviewer score (1–5) over scored reviews: every submission with a
--   score counts once, in the period of its own submission, for its own author and group (a resubmission
--   is a review of new work). sample_size = scored reviews.
--   Group versions count content posted in the group: the group the audit log names for the submission.
-- post_engagement_rate (staff) = Σ (likes + comments + shares) / Σ views over their short-video posts
--   published in the period, with the latest counts (staging.stg_content__posts). Posts without a views
--   figure are left out entirely; a like/comment/share count the console did not report adds nothing
--   (Kuaishou downloads often have no shares column). sample_size = posts with views.
-- posts_published (staff, activity) = their short-video posts published in the period. A staff member
--   gets a row for every period they are active in (intermediate.int_periods) while holding a
--   douyin/kuaishou handle whose account appears in the loaded files — 0 when nothing was published —
--   so publishing nothing is scored, not skipped; staff without a loaded account get no row (unknown).
-- originality (staff) = 1 − duplicates / substantive posts. "Posts" here are the staff member's posts in
--   the groups: their counted text messages in staging.stg_chat__messages (any group), and a post is
--   substantive when its text has ≥ 50 characters. A substantive post is a duplicate when, after removing
--   whitespace, punctuation and symbols (RE2 `[\p{P}\p{S}\s]`), its text equals an earlier substantive post
--   of theirs (by sent_at, then message id) in the same quarter — in any group, so the same announcement
--   pasted into three groups is one original and two duplicates. A month counts its own substantive
--   posts, each judged against the earlier posts of its quarter. sample_size = substantive posts.
-- Partitions: monthly, by period.
with

periods as (
    select * from intermediate.int_periods
),

audits as (
    select * from staging.stg_content__audits
),

posts as (
    select * from staging.stg_content__posts
    where staff_id is not null
),

-- Reviewed posts, at their first submission.
reviewed_posts as (
    select
        entity.entity_type,
        entity.entity_id,
        period.period_type,
        period.period,
        count(*) as reviewed_posts,
        count(*) filter (where audits.post_passed_first_time) as passed_first_time
    from audits,
        unnest([
            {'period_type': 'month', 'period': audits.submitted_month},
            {'period_type': 'quarter', 'period': audits.submitted_quarter}
        ]) as periods(period),
        unnest([
            {'entity_type': 'staff', 'entity_id': audits.staff_id},
            {'entity_type': 'group', 'entity_id': audits.group_id}
        ]) as entities(entity)
    where audits.is_first_submission and audits.post_is_reviewed and entity.entity_id is not null
    group by all
),

scored_reviews as (
    select
        entity.entity_type,
        entity.entity_id,
        period.period_type,
        period.period,
        count(*) as scored_reviews,
        sum(audits.score::decimal(38, 12))::double as score_total  -- exact: independent of row order
    from audits,
        unnest([
            {'period_type': 'month', 'period': audits.submitted_month},
            {'period_type': 'quarter', 'period': audits.submitted_quarter}
        ]) as periods(period),
        unnest([
            {'entity_type': 'staff', 'entity_id': audits.staff_id},
            {'entity_type': 'group', 'entity_id': audits.group_id}
        ]) as entities(entity)
    where audits.score is not null and entity.entity_id is not null
    group by all
),

engagement as (
    select
        posts.staff_id,
        period.period_type,
        period.period,
        count(*) as posts_with_views,
        sum(coalesce(posts.likes, 0) + coalesce(posts.comments, 0) + coalesce(posts.shares, 0)) as interactions,
        sum(posts.views) as views
    from posts,
        unnest([
            {'period_type': 'month', 'period': posts.published_month},
            {'period_type': 'quarter', 'period': posts.published_quarter}
        ]) as periods(period)
    where posts.views is not null
    group by all
),

-- Staff holding a content-platform handle whose account has files loaded, per period they are active in.
content_accounts as (
    select distinct platform, account_handle from staging.stg_content__posts
),

publishing_staff_periods as (
    select distinct staff.staff_id, periods.period_type, periods.period
    from raw.staff as staff
    inner join periods
        on staff.active_from <= periods.period_end
        and coalesce(staff.active_to, periods.period_end) >= periods.period_start
    inner join raw.staff_handles as handles
        on handles.staff_id = staff.staff_id
        and coalesce(handles.valid_from, periods.period_start) <= periods.period_end
        and coalesce(handles.valid_to, periods.period_end) >= periods.period_start
    inner join content_accounts
        on content_accounts.platform = handles.platform
        and content_accounts.account_handle = handles.handle
),

published_counts as (
    select posts.staff_id, period.period_type, period.period, count(*) as posts_published
    from posts,
        unnest([
            {'period_type': 'month', 'period': posts.published_month},
            {'period_type': 'quarter', 'period': posts.published_quarter}
        ]) as periods(period)
    group by all
),

published as (
    select
        coalesce(published_counts.staff_id, publishing_staff_periods.staff_id) as staff_id,
        coalesce(published_counts.period_type, publishing_staff_periods.period_type) as period_type,
        coalesce(published_counts.period, publishing_staff_periods.period) as period,
        coalesce(published_counts.posts_published, 0) as posts_published
    from published_counts
    full outer join publishing_staff_periods
        on publishing_staff_periods.staff_id = published_counts.staff_id
        and publishing_staff_periods.period_type = published_counts.period_type
        and publishing_staff_periods.period = published_counts.period
),

substantive_posts as (
    select
        messages.staff_id,
        messages.sent_month,
        messages.sent_quarter,
        row_number() over (
            partition by messages.staff_id, messages.sent_quarter,
                regexp_replace(messages.text, '[\p{P}\p{S}\s]', '', 'g')
            order by messages.sent_at, messages.message_id
        ) > 1 as is_duplicate
    from staging.stg_chat__messages as messages
    where messages.is_counted
        and messages.staff_id is not null
        and messages.kind = 'text'
        and length(messages.text) >= 50
),

originality as (
    select
        substantive_posts.staff_id,
        period.period_type,
        period.period,
        count(*) as substantive_posts,
        count(*) filter (where substantive_posts.is_duplicate) as duplicate_posts
    from substantive_posts,
        unnest([
            {'period_type': 'month', 'period': substantive_posts.sent_month},
            {'period_type': 'quarter', 'period': substantive_posts.sent_quarter}
        ]) as periods(period)
    group by all
),

long as (
    select entity_type, entity_id, period_type, period,
           'audit_pass_rate' as metric,
           passed_first_time::double as numerator,
           reviewed_posts::double as denominator,
           passed_first_time / nullif(reviewed_posts, 0) as value,
           reviewed_posts as sample_size
    from reviewed_posts
    union all
    select entity_type, entity_id, period_type, period,
           'audit_score', score_total, scored_reviews, score_total / nullif(scored_reviews, 0), scored_reviews
    from scored_reviews
    union all
    select 'staff', staff_id, period_type, period,
           'post_engagement_rate', interactions, views, interactions / nullif(views, 0), posts_with_views
    from engagement
    union all
    select 'staff', staff_id, period_type, period,
           'posts_published', posts_published, null, posts_published, posts_published
    from published
    union all
    select 'staff', staff_id, period_type, period,
           'originality', substantive_posts - duplicate_posts, substantive_posts,
           1 - duplicate_posts / nullif(substantive_posts, 0), substantive_posts
    from originality
),

final as (
    select
        entity_type,
        entity_id,
        period_type,
        period,
        metric,
        numerator::double as numerator,
        denominator::double as denominator,
        value::double as value,
        sample_size::bigint as sample_size
    from long
)

select * from final
