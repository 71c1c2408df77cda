-- Satisfaction survey responses with their staff member and group resolved (KPI_SPEC §4.4), from
-- raw.survey_responses. Grain: response_id (the survey tool's id, or the loader's content fingerprint).
-- De-duplication: a response delivered in several files counts once; the copy in the file whose path
-- sorts last wins (a later export replaces an earlier one), then the later record.
-- Identity (staff member and group on the row's local date) and that date (reporting time zone) come
-- from staging.stg_inputs__identities.
-- What the file named is kept in the `named_*` columns; what could not be resolved is explained in
-- `resolution_note`.
-- `attributed_to` (§4.4 "attributed to the staff member it names, else to its group"): 'staff' when the
-- staff member resolves, else 'group' when the group resolves, else NULL (the response counts nowhere).
-- A response naming both counts for the staff member only.
-- The respondent (a customer's name or account) is dropped here: it never leaves the raw layer.
with

responses as (
    select * exclude (respondent) from raw.survey_responses
),

deduplicated as (
    select
        *,
        count(*) over (partition by response_id) as copies
    from responses
    qualify row_number() over (
        partition by response_id
        order by source_file desc, source_record desc
    ) = 1
),

noted as (
    select
        deduplicated.* rename (staff_id as named_staff_id, group_id as named_group_id),
        identities.on_date as responded_date,
        identities.resolved_staff_id as staff_id,
        identities.resolved_group_id as group_id,
        identities.staff_note,
        identities.group_note
    from deduplicated
    inner join staging.stg_inputs__identities as identities
        on identities.input_kind = 'surveys'
        and identities.source_file = deduplicated.source_file
        and identities.source_record = deduplicated.source_record
),

final as (
    select
        response_id,
        responded_at,
        responded_date,
        strftime(responded_date, '%Y-%m') as responded_month,
        year(responded_date) || '-Q' || quarter(responded_date) as responded_quarter,
        staff_id,
        group_id,
        case
            when staff_id is not null then 'staff'
            when group_id is not null then 'group'
        end as attributed_to,
        csat,
        nps,
        channel,
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
                then 'names neither a staff member nor a group' end
        ), '') as resolution_note,
        copies,
        source_file,
        source_record,
        source_record_label
    from noted
)

select * from final
