"""Every word the dashboards show, in English and Chinese.

One flat table of `key -> {"en": ..., "zh": ...}` so a label cannot exist in one language only
(tests/test_dashboards.py checks both are filled for every key, and that the Chinese ones are
Chinese). Enumerations coming from the data (grades, dimensions, metrics, rules, actions, tiers,
group categories, roles, request types, metric statuses) are keyed `<kind>.<value>`; `term()`
falls back to the raw value for one the table does not know (a role added to the rubric), so a
new rubric entry shows its id instead of failing the whole site.

Roles and group categories may carry `label_zh` in rubric.yaml; `Labels` takes those as overrides
so HR's own wording wins on Chinese pages.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

LANGUAGES: Final = ("en", "zh")

#: `<html lang>` per page language (zh-CN makes browsers pick a Simplified Chinese face).
HTML_LANG: Final = {"en": "en", "zh": "zh-CN"}

_TEXT: Final[dict[str, tuple[str, str]]] = {
    # --- site, navigation, footer ---------------------------------------------------------------
    "site.title": ("Community KPI", "社群 KPI"),
    "nav.overview": ("Overview", "总览"),
    "nav.groups": ("Groups", "社群"),
    "nav.staff": ("Staff", "员工"),
    "nav.quality": ("Data quality", "数据质量"),
    "footer.as_of": ("Data up to {date}", "数据截至 {date}"),
    "footer.rubric": ("rubric {version}", "评分标准 {version}"),
    "footer.privacy": (
        "Members appear only as counts or pseudonyms; no member names, handles or message text.",
        "成员仅以人数或化名出现，不含成员姓名、账号或聊天内容。",
    ),
    "no_data": ("No data for this yet.", "暂无数据。"),
    "filter.placeholder": ("Filter by id or name…", "按编号或名称筛选…"),
    "show_all": ("Show all {n}", "展开全部 {n} 项"),
    "none": ("None", "无"),
    "list.separator": (", ", "、"),
    "reason.insufficient_weight": (
        "Scored dimensions carry {share} of the weight (minimum {minimum}); missing: {missing}",
        "已计分维度仅占权重的 {share}（最低 {minimum}）；缺少：{missing}",
    ),
    # --- overview -------------------------------------------------------------------------------
    "overview.title": ("Overview", "总览"),
    "overview.headline": ("Headline KPIs per quarter", "各季度核心指标"),
    "overview.grades": ("Staff grade distribution", "员工等级分布"),
    "overview.staff_trends": ("Staff: monthly average score per dimension", "员工：各维度月度平均得分"),
    "overview.group_trends": ("Groups: monthly average score per dimension", "社群：各维度月度平均得分"),
    "overview.best_worst_groups": ("Best and weakest groups, {period}", "{period} 表现最佳与最弱的社群"),
    "overview.best_worst_staff": ("Best and weakest staff, {period}", "{period} 表现最佳与最弱的员工"),
    "overview.excellent": ("Excellent communities (优秀社群)", "优秀社群"),
    "overview.all_groups": ("All groups", "全部社群"),
    "overview.all_staff": ("All staff", "全部员工"),
    "overview.incomplete": ("incomplete", "未完结"),
    "overview.best": ("best", "最佳"),
    "overview.weakest": ("weakest", "最弱"),
    # --- headline KPI columns ---------------------------------------------------------------------
    "kpi.quarter": ("Quarter", "季度"),
    "kpi.staff_graded": ("Staff graded", "参评员工"),
    "kpi.staff_rated": ("Rated", "已评级"),
    "kpi.mean_overall": ("Mean overall score", "平均综合得分"),
    "kpi.groups_active": ("Active groups", "活跃社群"),
    "kpi.member_messages": ("Member messages", "成员消息数"),
    "kpi.requests": ("Requests", "咨询数"),
    "kpi.response_rate": ("Response rate", "响应率"),
    "kpi.sla_rate": ("Within SLA", "时效达标率"),
    "kpi.unanswered": ("Unanswered", "未响应"),
    "kpi.violations": ("Violations", "违规"),
    # --- common columns and chart words ------------------------------------------------------------
    "col.id": ("ID", "编号"),
    "col.name": ("Name", "名称"),
    "col.group": ("Group", "社群"),
    "col.staff": ("Staff member", "员工"),
    "col.category": ("Category", "类别"),
    "col.platform": ("Platform", "平台"),
    "col.role": ("Role", "岗位"),
    "col.team": ("Team", "团队"),
    "col.manager": ("Manager", "直属主管"),
    "col.owner": ("Owner", "负责人"),
    "col.assigned": ("Assigned staff", "分管员工"),
    "col.groups": ("Groups", "负责社群"),
    "col.period": ("Period", "周期"),
    "col.rank": ("Rank", "排名"),
    "col.overall": ("Overall", "综合得分"),
    "col.grade": ("Grade", "等级"),
    "col.computed_grade": ("Computed grade", "计算等级"),
    "col.not_rated_reason": ("Why not rated", "未评级原因"),
    "col.quota_adjusted": ("Quota adjusted", "配额调整"),
    "col.month": ("Month", "月份"),
    "col.date": ("Date", "日期"),
    "col.opened": ("Opened (local time)", "发起时间（本地）"),
    "col.type": ("Type", "类型"),
    "col.member": ("Member (pseudonym)", "成员（化名）"),
    "col.sender": ("Sender", "发送者"),
    "col.rule": ("Rule", "规则"),
    "col.match": ("Match (masked)", "命中内容（已脱敏）"),
    "col.offence": ("Offence no.", "第几次"),
    "col.action": ("Recommended action", "建议处理"),
    "col.count": ("Count", "数量"),
    "col.messages": ("Counted messages", "有效消息数"),
    "col.months": ("Months with data", "有数据月份"),
    "col.first_day": ("First day", "首日"),
    "col.last_day": ("Last day", "末日"),
    "col.gaps": ("Months without messages", "无消息月份"),
    "col.attributed_to": ("Attributed to", "归属员工"),
    "member_sender": ("member {pseudonym}", "成员 {pseudonym}"),
    "staff_sender": ("staff", "员工"),
    "score_axis": ("Score (0–100)", "得分（0–100）"),
    "messages_axis": ("Messages", "消息数"),
    "members_axis": ("Members", "成员数"),
    "minutes_axis": ("Business minutes", "工作时间（分钟）"),
    "requests_axis": ("Requests", "咨询数"),
    "count_axis": ("Count", "数量"),
    "staff_count": ("Staff", "员工数"),
    "hour_axis": ("Hour of day ({tz})", "时段（{tz}）"),
    # --- group page --------------------------------------------------------------------------------
    "group.scores": ("Scores per quarter", "各季度得分"),
    "group.activity": ("Activity per month", "月度活跃"),
    "group.heatmap": ("Messages by hour and weekday", "各时段消息分布"),
    "group.requests": ("Requests per month: answered within SLA, late, unanswered", "月度咨询：按时响应、超时、未响应"),
    "group.response_times": ("Response time of general requests against the SLA", "普通咨询响应时间与时效标准"),
    "group.unanswered": ("Unanswered requests (latest {n} of {total})", "未响应咨询（最近 {n} 条，共 {total} 条）"),
    "group.violations": ("Violations by rule and recommended action", "违规：按规则与建议处理"),
    "group.violation_ledger": ("Violation ledger (latest {n} of {total})", "违规记录（最近 {n} 条，共 {total} 条）"),
    "group.tiers": ("Member tiers per quarter", "各季度成员分层"),
    "group.membership": ("Membership growth", "成员增长"),
    "group.unassigned_note": (
        "This chat is not in config/groups.csv: it is loaded but not scored.",
        "该群未登记在 config/groups.csv 中：已载入但不参与评分。",
    ),
    "series.member_messages": ("Member messages", "成员消息"),
    "series.staff_messages": ("Staff messages", "员工消息"),
    "series.active_members": ("Active members", "活跃成员"),
    "series.within_sla": ("Within SLA", "按时响应"),
    "series.late": ("Answered late", "超时响应"),
    "series.unanswered": ("Unanswered", "未响应"),
    "series.median": ("Median", "中位数"),
    "series.p90": ("90th percentile", "90 分位"),
    "series.sla": ("SLA {minutes} min", "时效标准 {minutes} 分钟"),
    "series.members": ("Members (month end)", "月末成员数"),
    "series.joins": ("Joined", "加入"),
    "series.leaves": ("Left", "退出"),
    "series.this_staff": ("This staff member", "本人"),
    "series.role_median": ("Median of role {role}", "{role}岗位中位数"),
    "series.overall": ("Overall", "综合得分"),
    "series.requests_responded": ("Requests answered", "已响应咨询"),
    "series.requests_unanswered": ("Unanswered (owner)", "未响应（群负责人）"),
    "series.staff_messages_own": ("Own messages", "本人消息"),
    "series.quarantined": ("Quarantined records", "隔离记录"),
    # --- staff page ----------------------------------------------------------------------------------
    "staff.scorecard": ("Scorecard {period}: dimension scores against the role median", "{period} 计分卡：各维度得分与岗位中位数对比"),
    "staff.grades": ("Grades per quarter", "各季度等级"),
    "staff.explanation": ("Why this grade, {period}: every metric, its sample and its contribution", "{period} 评级依据：各项指标、样本量与得分贡献"),
    "staff.earlier": ("Earlier quarters", "以往季度"),
    "staff.trend": ("Monthly scores", "月度得分"),
    "staff.workload": ("Workload per month", "月度工作量"),
    "staff.raise": ("What would raise the overall score most", "最能提升综合得分的指标"),
    "staff.not_graded": ("Not graded in any quarter yet.", "尚无任何季度的评级。"),
    "metric.col.dimension": ("Dimension", "维度"),
    "metric.col.metric": ("Metric", "指标"),
    "metric.col.value": ("Value", "数值"),
    "metric.col.sample": ("Sample (n / minimum)", "样本量（实际 / 最低）"),
    "metric.col.range": ("Floor → target", "起评 → 目标"),
    "metric.col.sub_score": ("Sub-score", "单项得分"),
    "metric.col.weight": ("Share of overall", "占综合权重"),
    "metric.col.points": ("Points", "贡献分"),
    "metric.col.gain": ("Overall would gain", "综合得分可提升"),
    "metric.col.status": ("Status", "状态"),
    # --- data quality page -------------------------------------------------------------------------
    "quality.title": ("Data quality", "数据质量"),
    "quality.summary": (
        "{files} input files, {records} records quarantined.",
        "共 {files} 个输入文件，{records} 条记录被隔离。",
    ),
    "quality.quarantine": ("Quarantined records per file and why", "各文件被隔离的记录及原因"),
    "quality.quarantine_chart": ("Quarantined records per input kind", "各类输入的隔离记录数"),
    "quality.lines": ("Records (first {n})", "记录位置（前 {n} 条）"),
    "quality.reasons": ("Reasons", "原因"),
    "quality.more_reasons": (
        "… and {n} more reasons (tables raw.input_quarantine and raw.ingest_quarantine, or `kpi inspect FILE`)",
        "… 另有 {n} 种原因（见表 raw.input_quarantine、raw.ingest_quarantine，或运行 `kpi inspect 文件`）",
    ),
    "quality.no_quarantine": ("No record was quarantined.", "没有被隔离的记录。"),
    "quality.checks": ("Check results", "检查结果"),
    "quality.checks_note": (
        "The blocking SQL assertions of sql/checks/, evaluated on this warehouse when the site was generated.",
        "sql/checks/ 中的阻断式 SQL 断言，于生成本站点时在当前数据仓库上执行。",
    ),
    "quality.check": ("Check", "检查项"),
    "quality.table": ("Table", "数据表"),
    "quality.description": ("What it asserts", "检查内容"),
    "quality.failing_rows": ("Failing rows", "不通过行数"),
    "quality.result": ("Result", "结果"),
    "quality.passed": ("passed", "通过"),
    "quality.failed": ("FAILED", "未通过"),
    "quality.coverage": ("Data coverage: counted messages per group and month", "数据覆盖：各社群各月有效消息数"),
    "quality.coverage_limited": (
        "Data coverage: counted messages per month of the {n} groups with the fewest months of data",
        "数据覆盖：有数据月份最少的 {n} 个社群的各月有效消息数",
    ),
    "quality.coverage_table": ("Coverage per group", "各社群数据覆盖"),
    "quality.inputs": ("Platform inputs", "平台输入数据"),
    "quality.input_kind": ("Input", "输入类型"),
    "quality.files": ("Files", "文件数"),
    "quality.rows": ("Rows", "行数"),
    "quality.file": ("File", "文件"),
    "quality.kind": ("Kind", "类型"),
    # --- enumerations ---------------------------------------------------------------------------
    "grade.excellent": ("Excellent", "优秀"),
    "grade.good": ("Good", "良好"),
    "grade.pass": ("Pass", "合格"),
    "grade.fail": ("Fail", "不合格"),
    "grade.not_rated": ("Not rated", "未评级"),
    "dimension.activity": ("Activity", "活跃度"),
    "dimension.content_quality": ("Content quality", "内容质量"),
    "dimension.resolution": ("Problem resolution", "问题解决"),
    "dimension.satisfaction": ("Satisfaction", "满意度"),
    "metric.participation_rate": ("Participation rate", "成员参与率"),
    "metric.messages_per_member_day": ("Messages per member-day", "人均日消息数"),
    "metric.active_day_ratio": ("Active-day ratio", "活跃天数占比"),
    "metric.net_growth_rate": ("Net growth rate", "成员净增长率"),
    "metric.staff_messages": ("Staff messages", "员工消息数"),
    "metric.group_coverage": ("Group coverage", "社群覆盖率"),
    "metric.posts_published": ("Posts published", "发布作品数"),
    "metric.violation_rate": ("Violation rate", "违规率"),
    "metric.member_violation_rate": ("Member violations per 1000 messages", "成员违规（每千条消息）"),
    "metric.staff_violation_rate": ("Staff violation rate", "员工违规率"),
    "metric.audit_pass_rate": ("Audit first-pass rate", "审核一次通过率"),
    "metric.audit_score": ("Audit score", "审核评分"),
    "metric.post_engagement_rate": ("Post engagement rate", "作品互动率"),
    "metric.originality": ("Originality", "原创度"),
    "metric.requests": ("Requests", "咨询数"),
    "metric.response_rate": ("Response rate", "响应率"),
    "metric.sla_rate": ("Within-SLA rate", "时效达标率"),
    "metric.median_response_business_minutes": ("Median response (business min)", "响应时长中位数（工作分钟）"),
    "metric.p90_response_business_minutes": ("90th-percentile response (business min)", "响应时长 90 分位（工作分钟）"),
    "metric.resolution_rate": ("Resolution rate", "解决率"),
    "metric.complaint_resolution_rate": ("Complaint resolution rate", "投诉解决率"),
    "metric.csat_rate": ("CSAT rate (4–5)", "满意率（4–5 分）"),
    "metric.csat_mean": ("Mean CSAT", "平均满意度"),
    "metric.nps": ("NPS", "净推荐值（NPS）"),
    "metric.evaluation_score": ("Multi-rater evaluation", "多维评价得分"),
    "metric.negative_feedback_rate": ("Negative feedback rate", "负面反馈率"),
    "status.scored": ("scored", "已计分"),
    "status.insufficient_data": ("sample below the rubric minimum", "样本量低于最低要求"),
    "status.not_applicable": ("nothing to measure this period", "本期无可计量数据"),
    "status.no_input": ("no input provides this metric yet", "暂无数据来源"),
    "rule.ads": ("Ads", "广告"),
    "rule.abuse": ("Abuse", "辱骂"),
    "rule.privacy": ("Privacy", "隐私泄露"),
    "rule.sensitive": ("Sensitive", "敏感内容"),
    "rule.flood": ("Flood", "刷屏"),
    "action.warning": ("Warning", "警告"),
    "action.restrict": ("Restrict", "限制发言"),
    "action.remove": ("Remove", "移出群聊"),
    "tier.opinion_leader": ("Opinion leader", "意见领袖"),
    "tier.core": ("Core", "核心成员"),
    "tier.active": ("Active", "活跃成员"),
    "tier.ordinary": ("Ordinary", "普通成员"),
    "category.customer_service": ("Customer service", "客服群"),
    "category.promotion": ("Promotion", "推广群"),
    "category.staff": ("Staff", "员工群"),
    "category.partner": ("Partner", "合作伙伴群"),
    "category.unassigned": ("Unassigned", "未登记"),
    "role.customer_service": ("Customer service", "客服专员"),
    "role.community_ops": ("Community operations", "社群运营"),
    "role.team_lead": ("Team lead", "运营主管"),
    "request.general": ("General", "普通"),
    "request.complex": ("Complex", "复杂"),
    "weekday.1": ("Mon", "周一"),
    "weekday.2": ("Tue", "周二"),
    "weekday.3": ("Wed", "周三"),
    "weekday.4": ("Thu", "周四"),
    "weekday.5": ("Fri", "周五"),
    "weekday.6": ("Sat", "周六"),
    "weekday.7": ("Sun", "周日"),
    "input.chat_export": ("Chat exports", "聊天记录导出"),
    "input.content_audits": ("Content audits", "内容审核记录"),
    "input.content_posts": ("Short-video posts", "短视频作品数据"),
    "input.evaluations": ("Evaluations", "考核评价"),
    "input.group_stats": ("Group statistics", "群统计数据"),
    "input.surveys": ("Surveys", "满意度调查"),
    "input.tickets": ("Tickets", "工单"),
    "input.wecom_behavior": ("WeCom contact statistics", "企业微信联系客户统计"),
    "input.wecom_groupchat": ("WeCom group-chat statistics", "企业微信客户群统计"),
    "platform.wecom": ("WeCom", "企业微信"),
    "platform.wechat": ("WeChat", "微信"),
    "platform.telegram": ("Telegram", "Telegram"),
    "platform.qq": ("QQ", "QQ"),
    "platform.whatsapp": ("WhatsApp", "WhatsApp"),
    "platform.slack": ("Slack", "Slack"),
    "platform.discord": ("Discord", "Discord"),
    "platform.douyin": ("Douyin", "抖音"),
    "platform.kuaishou": ("Kuaishou", "快手"),
    "check.assert_fct_grades__staff__grade_consistent": (
        "A rated row has a score in 0–100 and a grade; a not-rated row has neither, and a reason.",
        "已评级的行有 0–100 的得分和等级；未评级的行两者皆无，并写明原因。",
    ),
    "check.assert_fct_grades__staff__one_row_per_staff_quarter": (
        "HR files need exactly one row per staff member per quarter.",
        "人事文件中每位员工每季度恰好一行。",
    ),
    "check.assert_fct_requests__unique_request": (
        "Each request once, and a response never before the request opened.",
        "每条咨询只出现一次，且响应时间不早于咨询发起时间。",
    ),
    "yes": ("yes", "是"),
}

#: The table as the tests and `Labels` read it: key -> {language: text}.
TEXT: Final[dict[str, dict[str, str]]] = {key: dict(zip(LANGUAGES, pair)) for key, pair in _TEXT.items()}


def check_language(lang: str) -> str:
    """`lang` if supported; a ValueError naming the choices otherwise (never a half-English page)."""
    if lang not in LANGUAGES:
        raise ValueError(f"unsupported dashboard language {lang!r}; expected one of {', '.join(LANGUAGES)}")
    return lang


@dataclass(frozen=True)
class Labels:
    """The words of one page language; `overrides` are rubric `label_zh` values keyed like `TEXT`."""

    lang: str
    overrides: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_language(self.lang)

    def __call__(self, key: str, **values: object) -> str:
        """The label `key`, formatted with `values`; a KeyError for an unknown key is a bug to fix."""
        text = self.overrides.get(key) or TEXT[key][self.lang]
        return text.format(**values) if values else text

    def term(self, kind: str, value: str | None) -> str:
        """A data value of `kind` (grade, metric, rule …) in words; unknown values show as they are."""
        if value is None:
            return ""
        key = f"{kind}.{value}"
        if key in self.overrides:
            return self.overrides[key]
        if key in TEXT:
            return TEXT[key][self.lang]
        return str(value)


def rubric_overrides(lang: str, rubric) -> dict[str, str]:
    """The rubric's `label_zh` of roles and group categories (`pipelines.rubric.Rubric`) as label
    overrides for Chinese pages, so HR's own wording names them."""
    if lang != "zh":
        return {}
    overrides = {f"role.{role}": spec.label_zh for role, spec in rubric.staff_roles.items() if spec.label_zh}
    overrides |= {f"category.{cat}": spec.label_zh for cat, spec in rubric.group_categories.items() if spec.label_zh}
    return overrides
