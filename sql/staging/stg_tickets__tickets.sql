-- The ticket / complaint log with handler and group resolved (KPI_SPEC §3 ticket status, §4.3
-- complaint_resolution_rate), from raw.tickets. Grain: ticket_id.
-- De-duplication: a ticket in several files (logs re-exported, or listing status changes) counts once,
-- by the loader's own rule applied across files: the copy with the latest of (closed_at, opened_at) wins,
-- then the file whose path sorts last, then the later record. `copies` says how many copies were seen.
-- Identity (staff member and group on the row's local date) and that date (reporting time zone) come
-- from staging.stg_inputs__identities.
-- What the file named is kept in the `named_*` columns; what could not be resolved is explained in
-- `resolution_note`.
-- is_resolved is the loader's: true when resolved/closed with a closed_at, false when open/reopened,
-- NULL when resolved/closed without a closed_at (counts neither way).
-- Requester (KPI_SPEC §3: a ticket covers a request of the same group and requester, see
-- marts.fct_requests): `member_key` is the customer's pseudonym, the same key chat messages carry —
-- `customer` read as a handle on the group's platform and looked up in raw.member_pseudonyms (the one
-- place handles are hashed). When the customer column is empty or is not a handle seen in the chats
-- (helpdesks that write a name), the sender of the linked chat message (`message_id`, in the ticket's
-- group) is the requester. `member_key_source` says which: 'customer' or 'linked_message'; NULL when
-- neither identifies a member (the ticket then covers no request). The customer column itself is not
-- selected: it never leaves the raw layer.
with

tickets as (
    select * from raw.tickets
),

deduplicated as (
    select
        *,
        count(*) over (partition by ticket_id) as copies
    from tickets
    qualify row_number() over (
        partition by ticket_id
        order by greatest(closed_at, opened_at) desc, source_file desc, source_record desc
    ) = 1
),

noted as (
    select
        deduplicated.* rename (staff_id as named_staff_id, group_id as named_group_id),
        identities.on_date as opened_date,
        identities.resolved_staff_id as staff_id,
        identities.resolved_group_id as group_id,
        identities.staff_note,
        identities.group_note
    from deduplicated
    inner join staging.stg_inputs__identities as identities
        on identities.input_kind = 'tickets'
        and identities.source_file = deduplicated.source_file
        and identities.source_record = deduplicated.source_record
),

requesters as (
    select
        noted.ticket_id,
        coalesce(by_customer.member_key, linked.member_key) as member_key,
        case
            when by_customer.member_key is not null then 'customer'
            when linked.member_key is not null then 'linked_message'
        end as member_key_source
    from noted
    left join raw.groups as groups
        on groups.group_id = noted.group_id
    left join raw.member_pseudonyms as by_customer
        on by_customer.platform = coalesce(groups.platform, noted.platform)
        and by_customer.handle = noted.customer
    left join staging.stg_chat__messages as linked
        on linked.group_id = noted.group_id
        and linked.message_id = noted.message_id
        and linked.member_key is not null
),

final as (
    select
        ticket_id,
        ticket_type,
        ticket_type = 'complaint' as is_complaint,
        status,
        is_resolved,
        opened_at,
        closed_at,
        opened_date,
        strftime(opened_date, '%Y-%m') as opened_month,
        year(opened_date) || '-Q' || quarter(opened_date) as opened_quarter,
        staff_id,
        group_id,
        requesters.member_key,
        requesters.member_key_source,
        message_id,
        satisfaction,
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
                then 'names neither a handler nor a group' end
        ), '') as resolution_note,
        copies,
        source_file,
        source_record,
        source_record_label
    from noted
    inner join requesters
        using (ticket_id)
)

select * from final
