-- Counted messages per group and month (KPI_SPEC §3: no system events, bots or recalled messages), split
-- into member and staff messages, with the number of distinct active members. Counts only: no text,
-- no sender. Feeds the group pages' activity trend and the data-quality coverage map.
-- Grain: (group_id, month).
select
    group_id,
    sent_month as month,
    count(*) as messages,
    count(*) filter (where member_key is not null) as member_messages,
    count(*) filter (where staff_id is not null) as staff_messages,
    count(distinct member_key) as active_members,
    min(sent_date) as first_date,
    max(sent_date) as last_date
from staging.stg_chat__messages
where is_counted
group by all
order by group_id, month
