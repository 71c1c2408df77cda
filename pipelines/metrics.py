"""The catalogue of KPI_SPEC §4 metrics: which dimension each belongs to, for which entity, and
which way is better.

The rubric may only name metrics listed here (a typo would otherwise silently score nothing), and
its floor/target order must agree with the direction (a lower-is-better metric has floor > target).
The SQL marts compute the values; this table only describes them.
"""

from __future__ import annotations

from dataclasses import dataclass

DIMENSIONS = ("activity", "content_quality", "resolution", "satisfaction")

#: Denominator kinds that carry a minimum sample (KPI_SPEC §4, rubric `min_samples`).
SAMPLE_KINDS = ("requests", "survey_responses", "reviewed_posts")


@dataclass(frozen=True)
class MetricDef:
    name: str
    dimension: str
    entities: tuple[str, ...]  # 'staff', 'group'
    higher_is_better: bool = True


_METRICS = [
    # §4.1 activity
    MetricDef("staff_messages", "activity", ("staff",)),
    MetricDef("active_day_ratio", "activity", ("staff", "group")),
    MetricDef("group_coverage", "activity", ("staff",)),
    MetricDef("posts_published", "activity", ("staff",)),
    MetricDef("participation_rate", "activity", ("group",)),
    MetricDef("messages_per_member_day", "activity", ("group",)),
    MetricDef("net_growth_rate", "activity", ("group",)),
    # §4.2 content quality
    MetricDef("violation_rate", "content_quality", ("staff",), higher_is_better=False),
    MetricDef("member_violation_rate", "content_quality", ("group",), higher_is_better=False),
    MetricDef("staff_violation_rate", "content_quality", ("group",), higher_is_better=False),
    MetricDef("audit_pass_rate", "content_quality", ("staff", "group")),
    MetricDef("audit_score", "content_quality", ("staff", "group")),
    MetricDef("post_engagement_rate", "content_quality", ("staff",)),
    MetricDef("originality", "content_quality", ("staff",)),
    # §4.3 problem resolution
    MetricDef("response_rate", "resolution", ("staff", "group")),
    MetricDef("sla_rate", "resolution", ("staff", "group")),
    MetricDef("median_response_business_minutes", "resolution", ("staff", "group"), False),
    MetricDef("p90_response_business_minutes", "resolution", ("staff", "group"), False),
    MetricDef("resolution_rate", "resolution", ("staff", "group")),
    MetricDef("complaint_resolution_rate", "resolution", ("staff", "group")),
    # §4.4 satisfaction
    MetricDef("csat_rate", "satisfaction", ("staff", "group")),
    MetricDef("csat_mean", "satisfaction", ("staff", "group")),
    MetricDef("nps", "satisfaction", ("staff", "group")),
    MetricDef("evaluation_score", "satisfaction", ("staff",)),
    MetricDef("negative_feedback_rate", "satisfaction", ("staff",), higher_is_better=False),
]

METRICS: dict[tuple[str, str], MetricDef] = {
    (entity, metric.name): metric for metric in _METRICS for entity in metric.entities
}
