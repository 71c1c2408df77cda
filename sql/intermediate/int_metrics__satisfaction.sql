-- Member-satisfaction metrics per period for staff and groups, long format (KPI_SPEC §4.4).
-- Grain: (entity_type, entity_id, period_type, period, metric). Each row keeps its raw numerator and
-- denominator; `value` is NULL, never 0, when there is no denominator; `sample_size` is the count of
-- responses, ratings or contacts in the denominator. Rows unresolved in staging are skipped. Entities
-- without any survey response, rating or behaviour day in a period get no row for that source.
--
-- Surveys (staging.stg_surveys__responses), by the response's local month/quarter:
--   csat_rate = responses scoring 4–5 / responses with a csat score; csat_mean = Σ csat / responses with
--   a csat score; nps = 100 × (promoters 9–10 − detractors 0–6) / responses with an nps answer (NULL when
--   no response of the period answered the NPS question).
--   Each response counts once, for the entity it is attributed to (KPI_SPEC §4.4 "attributed to the
--   staff member it names, else to its group"): staff get the responses naming them; a group gets the
--   responses naming it but no (resolvable) staff member.
-- evaluation_score (staff) = Σ_t w_t × mean(score_normalised of rater type t) / Σ_t w_t over the rater
--   types t present, w from raw.rubric_settings.evaluation_weights (self / supervisor / peer / customer),
--   so a missing rater type renormalises the others; 0–100 (staging.stg_evaluations__ratings).
--   Month rows come from ratings given for that month. Quarter rows, per rater type: that type's ratings
--   given for the quarter, or, when the type has none for the quarter, its ratings given for the
--   quarter's months (an organisation that evaluates monthly still gets a quarterly score).
--   numerator = Σ w_t × mean_t, denominator = Σ w_t, sample_size = ratings used.
-- negative_feedback_rate (staff, lower is better) = Σ negative_feedback_cnt / Σ new_contact_cnt over the
--   period's WeCom behaviour days (staging.stg_wecom__user_behavior) on which both counts are known; days
--   missing from the data are unknown and left out, never taken as zeros. NULL when there were no new
--   contacts. The deletions are WeCom's for the day, not only by that day's new contacts, so the rate can
--   exceed 1. sample_size = new contacts.
-- Partitions: monthly, by period.
with

settings as (
    select * from raw.rubric_settings
),

responses as (
    select * from staging.stg_surveys__responses
),

ratings as (
    select * from staging.stg_evaluations__ratings
    where staff_id is not null
),

behavior as (
    select * from staging.stg_wecom__user_behavior
    where staff_id is not null
        and negative_feedback_cnt is not null
        and new_contact_cnt is not null
),

survey_counts as (
    select
        entity.entity_type,
        entity.entity_id,
        period.period_type,
        period.period,
        count(responses.csat) as csat_responses,
        count(*) filter (where responses.csat between 4 and 5) as satisfied_responses,
        sum(responses.csat) as csat_total,
        count(responses.nps) as nps_responses,
        count(*) filter (where responses.nps >= 9) as promoters,
        count(*) filter (where responses.nps <= 6) as detractors
    from responses,
        unnest([
            {'period_type': 'month', 'period': responses.responded_month},
            {'period_type': 'quarter', 'period': responses.responded_quarter}
        ]) as periods(period),
        unnest([
            {'entity_type': 'staff', 'entity_id': case when responses.attributed_to = 'staff' then responses.staff_id end},
            {'entity_type': 'group', 'entity_id': case when responses.attributed_to = 'group' then responses.group_id end}
        ]) as entities(entity)
    where entity.entity_id is not null
    group by all
),

weights as (
    select weight.*
    from settings,
        unnest([
            {'rater_type': 'self', 'weight': settings.evaluation_weights.self},
            {'rater_type': 'supervisor', 'weight': settings.evaluation_weights.supervisor},
            {'rater_type': 'peer', 'weight': settings.evaluation_weights.peer},
            {'rater_type': 'customer', 'weight': settings.evaluation_weights.customer}
        ]) as weights(weight)
    where weight.weight is not null
),

-- Quarter candidates: ratings for the quarter itself and ratings for its months.
quarter_candidates as (
    select staff_id, period as quarter, rater_type, score_normalised, true as is_for_quarter
    from ratings
    where period_type = 'quarter'
    union all
    select staff_id, year(period_start) || '-Q' || quarter(period_start), rater_type, score_normalised, false
    from ratings
    where period_type = 'month'
),

rated as (
    select staff_id, period_type, period, rater_type, score_normalised
    from ratings
    where period_type = 'month'
    union all
    select staff_id, 'quarter', quarter, rater_type, score_normalised
    from quarter_candidates
    qualify is_for_quarter or not bool_or(is_for_quarter) over (partition by staff_id, quarter, rater_type)
),

rater_type_means as (
    -- DECIMAL sums are exact: the score must not depend on the order rows are added in
    select staff_id, period_type, period, rater_type,
           avg(score_normalised::decimal(38, 12)) as mean_score, count(*) as ratings
    from rated
    group by all
),

evaluation as (
    select
        rater_type_means.staff_id,
        rater_type_means.period_type,
        rater_type_means.period,
        sum((weights.weight * rater_type_means.mean_score)::decimal(38, 12))::double as weighted_total,
        sum(weights.weight::decimal(38, 12))::double as weight_total,
        sum(rater_type_means.ratings) as ratings
    from rater_type_means
    inner join weights
        on weights.rater_type = rater_type_means.rater_type
    group by all
),

negative_feedback as (
    select
        behavior.staff_id,
        period.period_type,
        period.period,
        sum(behavior.negative_feedback_cnt) as negative_feedback,
        sum(behavior.new_contact_cnt) as new_contacts
    from behavior,
        unnest([
            {'period_type': 'month', 'period': behavior.stat_month},
            {'period_type': 'quarter', 'period': behavior.stat_quarter}
        ]) as periods(period)
    group by all
),

long as (
    select entity_type, entity_id, period_type, period,
           'csat_rate' as metric,
           satisfied_responses::double as numerator,
           csat_responses::double as denominator,
           satisfied_responses / nullif(csat_responses, 0) as value,
           csat_responses as sample_size
    from survey_counts
    union all
    select entity_type, entity_id, period_type, period,
           'csat_mean', csat_total, csat_responses, csat_total / nullif(csat_responses, 0), csat_responses
    from survey_counts
    union all
    select entity_type, entity_id, period_type, period,
           'nps', 100 * (promoters - detractors), nps_responses,
           100 * (promoters - detractors) / nullif(nps_responses, 0), nps_responses
    from survey_counts
    union all
    select 'staff', staff_id, period_type, period,
           'evaluation_score', weighted_total, weight_total, weighted_total / nullif(weight_total, 0), ratings
    from evaluation
    union all
    select 'staff', staff_id, period_type, period,
           'negative_feedback_rate', negative_feedback, new_contacts, negative_feedback / nullif(new_contacts, 0),
           new_contacts
    from negative_feedback
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
