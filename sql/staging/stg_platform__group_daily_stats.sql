-- Platform group statistics per registered group and day (KPI_SPEC §4.1: where they give a member total
-- for a group and day, the total wins over the count rebuilt from membership events), from
-- raw.group_daily_stats. Grain: (group_id, stat_date); rows whose group is not resolved are kept once
-- per (named group, stat_date) with group_id NULL.
-- Identity: the file's group_id when it gives one (it must be in the registry), else platform +
-- source_key looked up in the registry (raw.groups). Unresolved rows say why in `resolution_note`.
-- De-duplication: one group and day delivered in several files (or named once by group_id and once by
-- platform + source_key) counts once; the copy in the file whose path sorts last wins (a later export
-- replaces an earlier one), then the later record.
-- member_total is a snapshot of that day: never sum it across days. new_member_cnt, left_member_cnt and
-- msg_total count the day; NULL where the platform did not report them.
with

stats as (
    select * from raw.group_daily_stats
),

resolved as (
    select
        stats.* rename (group_id as named_group_id, platform as named_platform, source_key as named_source_key),
        case
            when stats.group_id is not null then by_id.group_id
            else by_key.group_id
        end as group_id,
        case
            when stats.group_id is not null and by_id.group_id is null
                then 'group_id ' || stats.group_id || ' is not in the group registry'
            when stats.group_id is null and stats.source_key is not null and by_key.group_id is null
                then 'group ' || coalesce(stats.platform, '?') || ':' || stats.source_key
                    || ' is not in the group registry'
            when stats.group_id is null and stats.source_key is null
                then 'names no group (expected group_id or platform + source_key)'
        end as resolution_note
    from stats
    left join raw.groups as by_id
        on by_id.group_id = stats.group_id
    left join raw.groups as by_key
        on by_key.platform = stats.platform
        and by_key.source_key = stats.source_key
),

deduplicated as (
    select
        *,
        count(*) over same_group_day as copies
    from resolved
    window same_group_day as (
        partition by coalesce(group_id, 'unresolved:' || coalesce(named_group_id, named_platform || ':' || named_source_key, '')),
            stat_date
    )
    qualify row_number() over (same_group_day order by source_file desc, source_record desc) = 1
),

final as (
    select
        group_id,
        named_group_id,
        named_platform,
        named_source_key,
        group_name,
        stat_date,
        strftime(stat_date, '%Y-%m') as stat_month,
        year(stat_date) || '-Q' || quarter(stat_date) as stat_quarter,
        member_total,
        new_member_cnt,
        left_member_cnt,
        msg_total,
        resolution_note,
        copies,
        source_file,
        source_record,
        source_record_label
    from deduplicated
)

select * from final
