"""The rubric file (KPI_SPEC §5): models, validation, and the tables the SQL reads.

Thresholds, weights, lexicons and bands live in `config/rubric.yaml`; SQL never hard-codes them.
Loading turns the file into four small tables (`raw.rubric_settings`, `raw.rubric_dimensions`,
`raw.rubric_metrics`, `raw.rubric_grade_bands`) so every model joins the same numbers.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Literal

import polars as pl
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from pipelines.errors import ConfigError
from pipelines.metrics import DIMENSIONS, METRICS, SAMPLE_KINDS

GROUP_CATEGORIES = ("customer_service", "promotion", "staff", "partner")
GRADES = ("excellent", "good", "pass", "fail")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MetricRule(_Strict):
    floor: float
    target: float
    weight: float = Field(default=1.0, ge=0)
    sample: Literal["requests", "survey_responses", "reviewed_posts"] | None = None
    min_sample: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _floor_differs(self) -> "MetricRule":
        if self.floor == self.target:
            raise ValueError(f"floor and target are both {self.floor}; they must differ")
        return self


class EntityRubric(_Strict):
    label_zh: str | None = None
    dimensions: dict[str, float]
    metrics: dict[str, dict[str, MetricRule]] = Field(default_factory=dict)

    @field_validator("dimensions")
    @classmethod
    def _weights(cls, dims: dict[str, float]) -> dict[str, float]:
        unknown = set(dims) - set(DIMENSIONS)
        if unknown:
            raise ValueError(f"unknown dimension(s) {sorted(unknown)}; expected {list(DIMENSIONS)}")
        if any(w < 0 for w in dims.values()):
            raise ValueError("dimension weights must be >= 0")
        total = sum(dims.values())
        if not math.isclose(total, 1.0, abs_tol=1e-6):
            raise ValueError(f"dimension weights sum to {total:g}; they must sum to 1")
        return dims


class RequestRules(_Strict):
    categories: list[str] = ["customer_service", "promotion", "partner"]
    adjacency_window_minutes: float = Field(30, gt=0)
    reopen_window_hours: float = Field(24, gt=0)
    ticket_match_minutes: float = Field(10, ge=0)


class SlaRules(_Strict):
    general_business_minutes: float = Field(60, gt=0)
    complex_calendar_minutes: float = Field(1440, gt=0)


class Lexicons(_Strict):
    acknowledgement: list[str]
    question: list[str]
    complaint: list[str]


class FloodRule(_Strict):
    messages: int = Field(5, ge=2)
    window_minutes: float = Field(10, gt=0)


class ViolationRules(_Strict):
    """KPI_SPEC §4.2 rules. `ads` also flags every URL whose host is not on `url_allow_list` (a
    host matches itself and its subdomains); `privacy` (mobile, resident ID and bank card numbers)
    is built in; `sensitive` is the company's own word list."""

    ads: list[str] = ["加微信", "加V", "加v", "代理", "兼职", "刷单"]
    url_allow_list: list[str] = []
    abuse: list[str] = []
    sensitive: list[str] = []
    flood: FloodRule = FloodRule()


class EvaluationWeights(_Strict):
    """KPI_SPEC §4.4 multi-rater weights, renormalised over the rater types present."""

    self_: float = Field(0.1, ge=0, alias="self")
    supervisor: float = Field(0.4, ge=0)
    peer: float = Field(0.2, ge=0)
    customer: float = Field(0.3, ge=0)

    @model_validator(mode="after")
    def _some_weight(self) -> "EvaluationWeights":
        if self.self_ + self.supervisor + self.peer + self.customer <= 0:
            raise ValueError("at least one rater type needs a weight above 0")
        return self


class MemberTiers(_Strict):
    """KPI_SPEC §5 member tiers (per group and quarter)."""

    opinion_leader_top_share: float = Field(0.05, gt=0, le=1)
    opinion_leader_min_messages: int = Field(20, ge=1)
    core_min_week_share: float = Field(0.5, gt=0, le=1)
    active_min_weeks: int = Field(3, ge=1)


class GradeBand(_Strict):
    grade: Literal["excellent", "good", "pass", "fail"]
    min_score: float = Field(ge=0, le=100)


class Quota(_Strict):
    enabled: bool = False
    min_calibration_group: int = 25
    max_excellent_share: float = Field(0.2, ge=0, le=1)


class Rubric(_Strict):
    version: str
    reporting_timezone: str = "Asia/Shanghai"
    requests: RequestRules = RequestRules()
    sla: SlaRules = SlaRules()
    lexicons: Lexicons
    violations: ViolationRules = ViolationRules()
    evaluation_weights: EvaluationWeights = EvaluationWeights()
    excellent_communities_per_category: int = Field(3, ge=0)
    member_tiers: MemberTiers = MemberTiers()
    min_samples: dict[str, int] = {"requests": 10, "survey_responses": 5, "reviewed_posts": 3}
    grade_bands: list[GradeBand]
    not_rated_min_weight: float = Field(0.5, ge=0, le=1)
    quota: Quota = Quota()
    staff_roles: dict[str, EntityRubric]
    group_categories: dict[str, EntityRubric]

    @field_validator("grade_bands")
    @classmethod
    def _bands(cls, bands: list[GradeBand]) -> list[GradeBand]:
        scores = [band.min_score for band in bands]
        if scores != sorted(scores, reverse=True) or len(set(scores)) != len(scores):
            raise ValueError("grade_bands must be listed highest first with distinct min_score")
        if sorted(b.grade for b in bands) != sorted(GRADES):
            raise ValueError(f"grade_bands must name each of {list(GRADES)} once")
        if bands[-1].min_score != 0:
            raise ValueError("the lowest grade band must start at min_score 0")
        return bands


def _validate_metrics(rubric: Rubric, path: Path) -> None:
    """Cross-field checks pydantic cannot express alone: known metrics in the right dimension,
    floor/target in the metric's direction, sample kinds defined, categories known."""
    for kind in SAMPLE_KINDS:
        if kind not in rubric.min_samples:
            raise ConfigError(path, "min_samples", f"missing minimum for '{kind}'")
    unknown_categories = set(rubric.group_categories) - set(GROUP_CATEGORIES)
    if unknown_categories:
        raise ConfigError(
            path, "group_categories",
            f"unknown category {sorted(unknown_categories)}; expected one of {list(GROUP_CATEGORIES)}",
        )
    bad_request_categories = set(rubric.requests.categories) - set(GROUP_CATEGORIES)
    if bad_request_categories:
        raise ConfigError(path, "requests.categories", f"unknown category {sorted(bad_request_categories)}")
    for entity, section in (("staff", rubric.staff_roles), ("group", rubric.group_categories)):
        for key, entity_rubric in section.items():
            for dimension, metrics in entity_rubric.metrics.items():
                where = f"{'staff_roles' if entity == 'staff' else 'group_categories'}.{key}.metrics.{dimension}"
                if dimension not in DIMENSIONS:
                    raise ConfigError(path, where, f"unknown dimension; expected one of {list(DIMENSIONS)}")
                for name, rule in metrics.items():
                    definition = METRICS.get((entity, name))
                    if definition is None:
                        known = sorted(m for (e, m) in METRICS if e == entity)
                        raise ConfigError(path, f"{where}.{name}", f"unknown {entity} metric; known: {known}")
                    if definition.dimension != dimension:
                        raise ConfigError(
                            path, f"{where}.{name}",
                            f"belongs to dimension '{definition.dimension}', not '{dimension}'",
                        )
                    if (rule.target > rule.floor) != definition.higher_is_better:
                        direction = "higher" if definition.higher_is_better else "lower"
                        raise ConfigError(
                            path, f"{where}.{name}",
                            f"{direction} is better for this metric, so target must be "
                            f"{'above' if definition.higher_is_better else 'below'} floor",
                        )


def load_rubric(path: Path) -> Rubric:
    if not path.exists():
        raise ConfigError(path, None, "file not found; every data folder needs config/rubric.yaml")
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else None
        raise ConfigError(path, where, f"not valid YAML ({getattr(exc, 'problem', exc)})") from None
    try:
        rubric = Rubric.model_validate(document)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"])
        raise ConfigError(path, where, error["msg"]) from None
    _validate_metrics(rubric, path)
    return rubric


# --- lexicon patterns -------------------------------------------------------------------------

_RE2_SPECIAL = re.compile(r"([\\.^$|?*+()\[\]{}])")


def _is_latin(term: str) -> bool:
    """Whole-word matching only makes sense for purely Latin terms: `\\b` is an ASCII word boundary,
    so a mixed term such as `加V` wrapped in it could never match after a Chinese character."""
    return bool(re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9 '\-]*", term))


def lexicon_pattern(terms: list[str]) -> str:
    """One RE2 pattern for a lexicon (KPI_SPEC §3): Chinese terms match as substrings, Latin-script
    terms as whole words, case-insensitively. One regex per lexicon keeps matching a single
    vectorised pass in DuckDB instead of a message × term cross join."""
    parts = []
    for term in sorted(set(terms), key=lambda t: (-len(t), t)):
        escaped = _RE2_SPECIAL.sub(r"\\\1", term)
        parts.append(rf"\b{escaped}\b" if _is_latin(term) else escaped)
    return "(?i)(?:" + "|".join(parts) + ")"


# --- tables -----------------------------------------------------------------------------------


def rubric_tables(rubric: Rubric) -> dict[str, pl.DataFrame]:
    """The rubric as the four `raw.rubric_*` tables."""
    settings = pl.DataFrame(
        {
            "rubric_version": [rubric.version],
            "reporting_timezone": [rubric.reporting_timezone],
            "request_categories": [rubric.requests.categories],
            "adjacency_window_minutes": [float(rubric.requests.adjacency_window_minutes)],
            "reopen_window_hours": [float(rubric.requests.reopen_window_hours)],
            "ticket_match_minutes": [float(rubric.requests.ticket_match_minutes)],
            "sla_general_business_minutes": [float(rubric.sla.general_business_minutes)],
            "sla_complex_calendar_minutes": [float(rubric.sla.complex_calendar_minutes)],
            "acknowledgement_terms": [sorted({t.lower() for t in rubric.lexicons.acknowledgement})],
            "question_pattern": [lexicon_pattern(rubric.lexicons.question)],
            "complaint_pattern": [lexicon_pattern(rubric.lexicons.complaint)],
            "not_rated_min_weight": [float(rubric.not_rated_min_weight)],
            "ads_pattern": [lexicon_pattern(rubric.violations.ads)],
            "url_allow_hosts": [sorted({h.lower().strip() for h in rubric.violations.url_allow_list})],
            "abuse_pattern": [lexicon_pattern(rubric.violations.abuse) if rubric.violations.abuse else None],
            "sensitive_pattern": [lexicon_pattern(rubric.violations.sensitive) if rubric.violations.sensitive else None],
            "flood_messages": [rubric.violations.flood.messages],
            "flood_window_minutes": [float(rubric.violations.flood.window_minutes)],
            "evaluation_weights": [{
                "self": rubric.evaluation_weights.self_, "supervisor": rubric.evaluation_weights.supervisor,
                "peer": rubric.evaluation_weights.peer, "customer": rubric.evaluation_weights.customer,
            }],
            "excellent_communities_per_category": [rubric.excellent_communities_per_category],
            "quota_enabled": [rubric.quota.enabled],
            "quota_min_calibration_group": [rubric.quota.min_calibration_group],
            "quota_max_excellent_share": [float(rubric.quota.max_excellent_share)],
            "tier_opinion_leader_top_share": [float(rubric.member_tiers.opinion_leader_top_share)],
            "tier_opinion_leader_min_messages": [rubric.member_tiers.opinion_leader_min_messages],
            "tier_core_min_week_share": [float(rubric.member_tiers.core_min_week_share)],
            "tier_active_min_weeks": [rubric.member_tiers.active_min_weeks],
        },
        schema_overrides={"abuse_pattern": pl.String, "sensitive_pattern": pl.String},
    )
    dimension_rows, metric_rows = [], []
    for entity, section in (("staff", rubric.staff_roles), ("group", rubric.group_categories)):
        for key, entity_rubric in section.items():
            for dimension, weight in entity_rubric.dimensions.items():
                dimension_rows.append((entity, key, dimension, float(weight)))
            for dimension, metrics in entity_rubric.metrics.items():
                for name, rule in metrics.items():
                    min_sample = rule.min_sample
                    if min_sample is None and rule.sample is not None:
                        min_sample = rubric.min_samples[rule.sample]
                    metric_rows.append(
                        (entity, key, dimension, name, rule.floor, rule.target, rule.weight,
                         rule.sample, min_sample or 0)
                    )
    dimensions = pl.DataFrame(
        dimension_rows, orient="row",
        schema={"entity_type": pl.String, "rubric_key": pl.String, "dimension": pl.String,
                "dimension_weight": pl.Float64},
    )
    metrics = pl.DataFrame(
        metric_rows, orient="row",
        schema={"entity_type": pl.String, "rubric_key": pl.String, "dimension": pl.String,
                "metric": pl.String, "floor": pl.Float64, "target": pl.Float64,
                "metric_weight": pl.Float64, "sample_kind": pl.String, "min_sample": pl.Int64},
    )
    bands = pl.DataFrame(
        [(band.grade, float(band.min_score), rank) for rank, band in enumerate(rubric.grade_bands, 1)],
        orient="row",
        schema={"grade": pl.String, "min_score": pl.Float64, "band_rank": pl.Int64},
    )
    return {
        "rubric_settings": settings,
        "rubric_dimensions": dimensions,
        "rubric_metrics": metrics,
        "rubric_grade_bands": bands,
    }
