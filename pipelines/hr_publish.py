"""HR files (KPI_SPEC §5 appeals, §6): versioned quarterly grade files, overrides with an audit trail,
monthly and annual views, and the conversions `kpi grades` hands to HR.

HR pays people on these files, so a published file is never rewritten. Layout under `OUT/published/`:

    grades/<YYYY-Qn>/rev-<n>/   grades.csv (UTF-8 with BOM), grades.xlsx, grades.parquet,
                                metrics.csv (every rubric metric behind the scores), audit.csv (grade
                                changes up to this revision), diff.csv (changes from rev-<n-1>; n > 1),
                                manifest.json (row count, sha256 of each file, every input with its hash,
                                rubric version, code version, created time)
    grades/<YYYY-Qn>/latest     a text file holding `rev-<n>` (written after the folder is in place)
    monthly/<YYYY-MM>/          staff.csv, staff_metrics.csv, groups.csv, group_metrics.csv
    annual/<YYYY>/staff_annual.csv

A revision is written into a hidden temporary folder and renamed to `rev-<n>` in one step, so a reader
sees all of it or nothing. Publishing compares the would-be `grades.csv` and `metrics.csv` with the
latest revision's bytes: equal data makes no new revision (the created time lives only in the
manifest), different data makes `rev-<n+1>` with a diff. Revisions are numbered from the `rev-<n>`
folders themselves (the highest wins), so a crash between the rename and the `latest` update can
never hide or overwrite a revision; `latest` is repaired on the next publish.

The published files are canonical: English headers and grade codes (`excellent`, …), which keep
scripts and diffs stable. `kpi grades --lang zh` converts a revision to Chinese headers and the grade
labels 优秀 / 良好 / 合格 / 不合格 on the way out.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import tempfile
import unicodedata
from dataclasses import dataclass
from importlib import metadata as importlib_metadata
from pathlib import Path

import duckdb
import polars as pl

from assets.ingest.errors import ExportReadError
from assets.ingest.load import sha256_of
from assets.inputs.evaluations import _period as parse_period
from assets.inputs.tables import Column, datetime_problem, parse_local_datetime, read_table
from pipelines.errors import ConfigError, KpiError
from pipelines.explain import GRADE_ZH
from pipelines.partitions import quarter_bounds
from pipelines.xlsx import Sheet, workbook_bytes

#: KPI_SPEC §6 columns, in the order HR sees them. `computed_grade` is the rubric's band,
#: `final_grade` the grade after the optional quota and any override (appeal).
HR_COLUMNS = [
    "staff_id", "name", "role", "team", "quarter",
    "activity_score", "content_quality_score", "resolution_score", "satisfaction_score",
    "overall_score", "computed_grade", "final_grade", "not_rated_reason", "quota_adjusted",
    "override_reason", "overridden_by", "overridden_at",
    "rubric_version", "revision",
    "staff_messages", "active_day_ratio", "business_days", "group_coverage", "assigned_groups",
    "requests", "response_rate", "sla_rate", "median_response_business_minutes", "responded_requests",
    "resolution_rate", "violation_rate", "audit_pass_rate", "reviewed_posts", "csat_rate", "survey_responses",
    "evaluation_score", "evaluation_ratings",
]
OVERRIDE_FIELDS = ["override_reason", "overridden_by", "overridden_at"]

#: One row per rubric metric behind a score (marts.fct_score_explanations): the XLSX detail sheets,
#: `metrics.csv`, the monthly `*_metrics.csv`, and what a diff names as having moved a score.
METRIC_COLUMNS = [
    "period", "dimension", "metric", "status", "value", "sample_size", "floor", "target",
    "sub_score", "metric_weight", "contribution",
]
AUDIT_COLUMNS = [
    "quarter", "revision", "staff_id", "name", "change", "before_grade", "after_grade",
    "decided_by", "decided_at", "reason", "recorded_at",
]
DIFF_COLUMNS = [
    "staff_id", "name", "change", "changed_fields",
    "computed_grade_before", "computed_grade_after", "final_grade_before", "final_grade_after",
    "overall_score_before", "overall_score_after", "overall_score_delta", "metrics_moved",
]

#: Chinese headers for `--lang zh` (every column of every file `kpi grades` can hand out).
ZH_HEADERS = {
    "staff_id": "工号", "name": "姓名", "role": "岗位", "team": "部门", "quarter": "季度",
    "activity_score": "活跃度得分", "content_quality_score": "内容质量得分", "resolution_score": "问题解决得分",
    "satisfaction_score": "满意度得分", "overall_score": "综合得分", "computed_grade": "计算等级",
    "final_grade": "最终等级", "not_rated_reason": "未评级原因", "quota_adjusted": "比例限额调整",
    "override_reason": "申诉调整原因", "overridden_by": "调整决定人", "overridden_at": "调整决定时间",
    "rubric_version": "考核标准版本", "revision": "发布版本",
    "staff_messages": "员工消息数", "active_day_ratio": "活跃工作日占比", "business_days": "工作日数",
    "group_coverage": "社群覆盖率", "assigned_groups": "负责社群数", "requests": "咨询数",
    "response_rate": "响应率", "sla_rate": "时效达标率", "median_response_business_minutes": "响应时长中位数（工作分钟）",
    "responded_requests": "已响应咨询数", "resolution_rate": "解决率", "violation_rate": "违规率",
    "audit_pass_rate": "审核一次通过率", "reviewed_posts": "审核内容数", "csat_rate": "满意率",
    "survey_responses": "回访答卷数", "evaluation_score": "多维评价得分", "evaluation_ratings": "评价条数",
    "period": "周期", "dimension": "维度", "metric": "指标", "status": "状态", "value": "指标值",
    "sample_size": "样本量", "floor": "下限", "target": "目标值", "sub_score": "指标得分",
    "metric_weight": "指标权重", "contribution": "贡献分",
}

#: Detail sheets of the workbook, one per dimension (KPI_SPEC §4), English and Chinese titles.
DIMENSION_SHEETS = {
    "activity": ("Activity", "活跃度"),
    "content_quality": ("Content quality", "内容质量"),
    "resolution": ("Resolution", "问题解决"),
    "satisfaction": ("Satisfaction", "满意度"),
}
MAIN_SHEET = {"en": "Grades", "zh": "等级"}
LANGS = ("en", "zh")
FORMATS = ("csv", "xlsx", "parquet")

#: The overrides (appeals) file under the data folder; `grade_overrides.xlsx` (first sheet) is read instead
#: when that is what HR keeps. Other files in overrides/ (such as the committed example) are not read.
OVERRIDES_FILE = Path("overrides") / "grade_overrides.csv"
OVERRIDES_XLSX = OVERRIDES_FILE.with_suffix(".xlsx")
OVERRIDE_COLUMNS = (
    Column("staff_id", ("工号", "员工工号", "员工编号", "staff id", "employee id")),
    Column("quarter", ("季度", "考核季度", "考核周期", "period")),
    Column("grade", ("等级", "调整后等级", "最终等级", "新等级", "new grade", "final grade")),
    Column("reason", ("原因", "调整原因", "申诉理由", "理由")),
    Column("decided_by", ("决定人", "审批人", "批准人", "decided by", "approved by")),
    Column("decided_at", ("决定时间", "审批时间", "批准时间", "decided at", "approved at")),
)

REVISION_DIR = re.compile(r"^rev-([0-9]+)$")
LATEST_FILE = "latest"


class OverrideError(ConfigError):
    """The overrides file cannot be applied; nothing was published."""


class PublishError(KpiError):
    """A revision cannot be written or read (e.g. another process published the same quarter)."""


# --- small file helpers ---------------------------------------------------------------------------


def write_atomically(path: Path, data: bytes) -> None:
    """Write `data` under a temporary name and rename it over `path`: readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def csv_bytes(frame: pl.DataFrame) -> bytes:
    """CSV with a UTF-8 BOM: without it Excel on Chinese Windows reads UTF-8 as GBK and shows mojibake."""
    return "\ufeff".encode() + frame.write_csv().encode("utf-8")


def parquet_bytes(frame: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.write_parquet(buffer)
    return buffer.getvalue()


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def code_version() -> str:
    """The package version plus the git commit of the checkout when there is one (`0.1.0+g93ea98208cd3`,
    `.dirty` when tracked files differ from it). Never fails: an installed copy has no git."""
    version = importlib_metadata.version("community-kpi")
    repo = Path(__file__).resolve().parents[1]
    try:
        commit = subprocess.run(["git", "-C", str(repo), "rev-parse", "--short=12", "HEAD"],
                                capture_output=True, text=True, timeout=10)
        if commit.returncode != 0:
            return version
        dirty = subprocess.run(["git", "-C", str(repo), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return version
    suffix = ".dirty" if dirty.returncode == 0 and dirty.stdout.strip() else ""
    return f"{version}+g{commit.stdout.strip()}{suffix}"


# --- tables from the warehouse --------------------------------------------------------------------


def quarter_grades(con: duckdb.DuckDBPyConnection, quarter: str) -> pl.DataFrame:
    """marts.fct_grades__staff for one quarter in HR column order, before overrides and without the
    revision number (which depends on what was published before)."""
    grades = con.sql(
        "select * from marts.fct_grades__staff where quarter = $quarter order by staff_id",
        params={"quarter": quarter},
    ).pl()
    empty = [pl.lit(None, pl.String).alias(name) for name in OVERRIDE_FIELDS]
    return grades.with_columns(*empty).select([c for c in HR_COLUMNS if c != "revision"])


def metric_details(con: duckdb.DuckDBPyConnection, entity_type: str, period_type: str, period: str) -> pl.DataFrame:
    """Every rubric metric of every staff member (or group) in one period, from
    marts.fct_score_explanations, with the entity's name: what the workbook's dimension sheets show and
    what a diff reads to say which metrics moved a score."""
    frame = con.sql(
        """
        with entities as (
            select 'staff' as entity_type, staff_id as entity_id, name from raw.staff
            union all
            select 'group' as entity_type, group_id as entity_id, name from raw.groups
        )
        select
            explanations.entity_id,
            entities.name,
            explanations.period,
            explanations.dimension,
            explanations.metric,
            explanations.status,
            round(explanations.value, 4) as value,
            explanations.sample_size,
            explanations.floor,
            explanations.target,
            round(explanations.sub_score, 2) as sub_score,
            explanations.metric_weight,
            round(explanations.contribution, 4) as contribution
        from marts.fct_score_explanations as explanations
        inner join entities
            on entities.entity_type = explanations.entity_type
            and entities.entity_id = explanations.entity_id
        where explanations.entity_type = $entity_type
            and explanations.period_type = $period_type
            and explanations.period = $period
        order by explanations.entity_id,
            list_position(['activity', 'content_quality', 'resolution', 'satisfaction'], explanations.dimension),
            explanations.dimension, explanations.metric
        """,
        params={"entity_type": entity_type, "period_type": period_type, "period": period},
    ).pl()
    return frame.rename({"entity_id": "staff_id" if entity_type == "staff" else "group_id"})


def input_files(con: duckdb.DuckDBPyConnection, data_dir: Path) -> list[dict]:
    """Every file the published numbers were computed from, relative to the data folder, with its
    sha256: config files and the overrides file hashed now, exports and inputs as they were loaded."""
    files = [
        {"path": p.relative_to(data_dir).as_posix(), "kind": "config", "sha256": sha256_of(p)}
        for p in sorted((data_dir / "config").glob("*")) if p.is_file()
    ]
    overrides = overrides_path(data_dir)
    if overrides is not None:
        files.append({"path": overrides.relative_to(data_dir).as_posix(), "kind": "overrides",
                      "sha256": sha256_of(overrides)})
    loaded = con.sql(
        """
        select source_file, 'export:' || format as kind, sha256 from raw.source_files
        union all
        select source_file, 'input:' || input_kind, sha256 from raw.input_files
        order by source_file
        """
    ).fetchall()
    files += [{"path": path, "kind": kind, "sha256": sha} for path, kind, sha in loaded]
    return files


# --- overrides (appeals) ----------------------------------------------------------------------------


def overrides_path(data_dir: Path) -> Path | None:
    """The overrides file, or None when there is none; both a CSV and an XLSX is an error (which one
    holds HR's decisions would be a guess)."""
    found = [data_dir / name for name in (OVERRIDES_FILE, OVERRIDES_XLSX) if (data_dir / name).is_file()]
    if len(found) > 1:
        raise OverrideError(found[1], None, f"both {OVERRIDES_FILE.name} and {OVERRIDES_XLSX.name} exist; keep one "
                            "— nothing was published")
    return found[0] if found else None


def load_overrides(con: duckdb.DuckDBPyConnection, data_dir: Path, published: Path) -> pl.DataFrame:
    """The overrides file, validated as a whole (every quarter, not only the one being published), so an
    invalid row stops publishing before anything is written.

    Columns: staff_id, quarter, grade (canonical), reason, decided_by, decided_at (reporting-zone
    `YYYY-MM-DD HH:MM`), line. A row is rejected when the staff member is not in the roster or has no
    grade in that quarter, the grade is not a rubric band (English code or 优秀/良好/合格/不合格), the
    quarter has no published revision yet (appeals follow publication), a field is blank or
    unreadable, or the same staff member and quarter appear twice (a later decision replaces the row;
    the audit keeps the history).
    """
    path = overrides_path(data_dir)
    empty = pl.DataFrame(schema={"staff_id": pl.String, "quarter": pl.String, "grade": pl.String,
                                 "reason": pl.String, "decided_by": pl.String, "decided_at": pl.String,
                                 "line": pl.String})
    if path is None:
        return empty
    try:
        rows = read_table(path, str(path), OVERRIDE_COLUMNS)
    except ExportReadError as error:
        raise OverrideError(path, None, error.reason) from None
    if rows.is_empty():
        return empty
    bands = [row[0] for row in con.execute("select grade from raw.rubric_grade_bands order by min_score desc").fetchall()]
    accepted = {band.lower(): band for band in bands} | {GRADE_ZH[b]: b for b in bands if b in GRADE_ZH}
    timezone = con.execute("select reporting_timezone from raw.rubric_settings").fetchall()[0][0]
    roster = {row[0] for row in con.execute("select staff_id from raw.staff").fetchall()}
    graded = con.execute("select quarter, staff_id from marts.fct_grades__staff").fetchall()
    graded_in: dict[str, set[str]] = {}
    for quarter, staff_id in graded:
        graded_in.setdefault(quarter, set()).add(staff_id)

    _, parsed_quarter = parse_period(pl.col("quarter"))
    rows = rows.with_columns(
        parsed_quarter.alias("quarter_parsed"),
        pl.col("grade").str.to_lowercase().replace_strict(accepted, default=None).alias("grade_parsed"),
        parse_local_datetime(pl.col("decided_at"), timezone).alias("decided_utc"),
        datetime_problem(pl.col("decided_at"), "decided_at", timezone).alias("time_problem"),
    )
    problems: list[str] = []
    seen: dict[tuple[str, str], str] = {}
    for row in rows.iter_rows(named=True):
        where = row["source_record_label"]
        for column in ("staff_id", "quarter", "grade", "reason", "decided_by", "decided_at"):
            if row[column] is None:
                problems.append(f"{where}: {column} is empty")
        if any(row[c] is None for c in ("staff_id", "quarter", "grade")):
            continue
        quarter = row["quarter_parsed"]
        if quarter is None or "Q" not in quarter:
            problems.append(f"{where}: quarter {row['quarter']!r} is not a quarter like 2026-Q3")
            continue
        if row["grade_parsed"] is None:
            problems.append(f"{where}: grade {row['grade']!r} is not one of {', '.join(accepted)}")
        if row["staff_id"] not in roster:
            problems.append(f"{where}: staff {row['staff_id']} is not in config/roster.csv")
        elif row["staff_id"] not in graded_in.get(quarter, set()):
            problems.append(f"{where}: staff {row['staff_id']} has no grade in {quarter} "
                            f"(graded: {', '.join(sorted(graded_in.get(quarter, set()))) or 'nobody'})")
        if latest_revision(published, quarter) is None:
            problems.append(f"{where}: {quarter} has not been published yet (no {quarter}/rev-1); "
                            "overrides apply to published quarters only")
        if row["time_problem"]:
            problems.append(f"{where}: {row['time_problem']}")
        key = (row["staff_id"], quarter)
        if key in seen:
            problems.append(f"{where}: {row['staff_id']} {quarter} is already overridden on {seen[key]}; "
                            "keep one row per staff member and quarter (the audit keeps earlier decisions)")
        seen.setdefault(key, where)
    if problems:
        shown = "; ".join(problems[:5]) + (f"; and {len(problems) - 5} more" if len(problems) > 5 else "")
        raise OverrideError(path, None, f"{shown} — nothing was published")
    return rows.select(
        "staff_id",
        pl.col("quarter_parsed").alias("quarter"),
        pl.col("grade_parsed").alias("grade"),
        "reason",
        "decided_by",
        pl.col("decided_utc").dt.convert_time_zone(timezone).dt.strftime("%Y-%m-%d %H:%M").alias("decided_at"),
        pl.col("source_record_label").alias("line"),
    )


def apply_overrides(grades: pl.DataFrame, overrides: pl.DataFrame) -> pl.DataFrame:
    """Overlay the quarter's overrides: `final_grade` becomes the decided grade, the override's reason,
    decider and time fill the override columns, and `computed_grade` stays as computed."""
    quarter = grades["quarter"][0] if grades.height else None
    decided = overrides.filter(pl.col("quarter") == quarter).select(
        "staff_id", pl.col("grade").alias("_grade"), pl.col("reason").alias("_reason"),
        pl.col("decided_by").alias("_by"), pl.col("decided_at").alias("_at"),
    )
    return grades.join(decided, on="staff_id", how="left").with_columns(
        pl.coalesce("_grade", "final_grade").alias("final_grade"),
        pl.col("_reason").alias("override_reason"),
        pl.col("_by").alias("overridden_by"),
        pl.col("_at").alias("overridden_at"),
    ).select(grades.columns)


# --- revisions ----------------------------------------------------------------------------------------


def quarter_dir(published: Path, quarter: str) -> Path:
    return published / "grades" / quarter


def revision_dir(published: Path, quarter: str, revision: int) -> Path:
    return quarter_dir(published, quarter) / f"rev-{revision}"


def revisions(published: Path, quarter: str) -> list[int]:
    """The quarter's revision numbers, oldest first (hidden temporary folders are not revisions)."""
    root = quarter_dir(published, quarter)
    if not root.is_dir():
        return []
    numbers = [int(m.group(1)) for p in root.iterdir() if p.is_dir() and (m := REVISION_DIR.match(p.name))]
    return sorted(numbers)


def latest_revision(published: Path, quarter: str) -> int | None:
    numbers = revisions(published, quarter)
    return numbers[-1] if numbers else None


def published_quarters(published: Path) -> list[str]:
    root = published / "grades"
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if p.is_dir() and revisions(published, p.name))


@dataclass(frozen=True)
class RevisionData:
    """One published revision read back: the tables and the manifest."""

    path: Path
    grades: pl.DataFrame
    metrics: pl.DataFrame
    audit: pl.DataFrame
    manifest: dict


def read_revision(published: Path, quarter: str, revision: int) -> RevisionData:
    path = revision_dir(published, quarter, revision)
    if not path.is_dir():
        have = ", ".join(f"rev-{n}" for n in revisions(published, quarter)) or "none"
        raise PublishError(f"{path}: no such revision of {quarter} (published: {have})")
    grades = pl.read_parquet(path / "grades.parquet")
    return RevisionData(
        path=path,
        grades=grades,
        metrics=pl.read_csv(path / "metrics.csv", infer_schema=False).with_columns(
            pl.col(column).cast(dtype) for column, dtype in _METRIC_SCHEMA.items()),
        audit=pl.read_csv(path / "audit.csv", infer_schema=False).with_columns(pl.col("revision").cast(pl.Int64)),
        manifest=json.loads((path / "manifest.json").read_text(encoding="utf-8")),
    )


_METRIC_SCHEMA = {"value": pl.Float64, "sample_size": pl.Int64, "floor": pl.Float64, "target": pl.Float64,
                  "sub_score": pl.Float64, "metric_weight": pl.Float64, "contribution": pl.Float64}


@dataclass(frozen=True)
class PublishResult:
    quarter: str
    revision: int
    path: Path
    is_new: bool
    row_count: int
    grade_counts: dict[str, int]
    overrides: int
    changes: int


def publish_quarter(con: duckdb.DuckDBPyConnection, data_dir: Path, published: Path, quarter: str,
                    *, now: dt.datetime | None = None) -> PublishResult:
    """Publish `quarter` from the warehouse: nothing new when the data equals the latest revision,
    else the next revision with its diff and audit rows. Invalid overrides raise OverrideError before
    anything is written. `con` must be writable (the audit and latest rows go to the `publish` schema)."""
    overrides = load_overrides(con, data_dir, published)
    grades = apply_overrides(quarter_grades(con, quarter), overrides)
    metrics = metric_details(con, "staff", "quarter", quarter)
    latest = latest_revision(published, quarter)
    if latest is not None:
        previous = read_revision(published, quarter, latest)
        same = (csv_bytes(_with_revision(grades, latest)) == (previous.path / "grades.csv").read_bytes()
                and csv_bytes(metrics) == (previous.path / "metrics.csv").read_bytes())
        if same:
            _point_latest(published, quarter, latest)
            sync_warehouse(con, published, quarter)
            return _result(quarter, latest, previous.path, previous.grades, is_new=False, changes=0)
    now = now or dt.datetime.now(dt.UTC)
    created_at = now.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    number = (latest or 0) + 1
    table = _with_revision(grades, number)
    files: dict[str, bytes] = {
        "grades.csv": csv_bytes(table),
        "grades.xlsx": xlsx_bytes(table, metrics, "en", created=now),
        "grades.parquet": parquet_bytes(table),
        "metrics.csv": csv_bytes(metrics),
    }
    if latest is None:
        audit = pl.DataFrame(schema={c: (pl.Int64 if c == "revision" else pl.String) for c in AUDIT_COLUMNS})
        changes = 0
    else:
        events = audit_events(previous.grades, table, number, created_at)
        audit = pl.concat([previous.audit.select(AUDIT_COLUMNS), events])
        diff = diff_tables(previous.grades, previous.metrics, table, metrics)
        files["diff.csv"] = csv_bytes(diff)
        changes = diff.height
    files["audit.csv"] = csv_bytes(audit)
    files["manifest.json"] = _manifest(con, data_dir, quarter, number, latest, table, files, created_at,
                                       overrides.filter(pl.col("quarter") == quarter).height, changes)
    path = _write_revision(published, quarter, number, files)
    _point_latest(published, quarter, number)
    sync_warehouse(con, published, quarter)
    return _result(quarter, number, path, table, is_new=True, changes=changes)


def _with_revision(grades: pl.DataFrame, revision: int) -> pl.DataFrame:
    return grades.with_columns(pl.lit(revision, pl.Int64).alias("revision")).select(HR_COLUMNS)


def grade_counts(table: pl.DataFrame) -> dict[str, int]:
    """Staff per final grade (alphabetical), `not_rated` for those without one."""
    counts = table.group_by("final_grade").len().sort("final_grade", nulls_last=True)
    return {grade or "not_rated": n for grade, n in counts.iter_rows()}


def _result(quarter: str, revision: int, path: Path, table: pl.DataFrame, *, is_new: bool, changes: int) -> PublishResult:
    return PublishResult(
        quarter=quarter, revision=revision, path=path, is_new=is_new, row_count=table.height,
        grade_counts=grade_counts(table),
        overrides=table.filter(pl.col("override_reason").is_not_null()).height,
        changes=changes,
    )


def _manifest(con, data_dir: Path, quarter: str, number: int, previous: int | None, table: pl.DataFrame,
              files: dict[str, bytes], created_at: str, overrides: int, changes: int) -> bytes:
    rubric_version = con.execute("select rubric_version from raw.rubric_settings").fetchall()[0][0]
    document = {
        "quarter": quarter,
        "revision": number,
        "previous_revision": previous,
        "created_at": created_at,
        "row_count": table.height,
        "final_grade_counts": grade_counts(table),
        "overrides_applied": overrides,
        "changes_from_previous": changes,
        "rubric_version": rubric_version,
        "code_version": code_version(),
        "files": {name: {"sha256": sha256_bytes(data), "bytes": len(data)} for name, data in sorted(files.items())},
        "inputs": input_files(con, data_dir),
    }
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _write_revision(published: Path, quarter: str, number: int, files: dict[str, bytes]) -> Path:
    """Write every file into a hidden temporary folder, make them read-only, and rename the folder to
    `rev-<n>`: the rename is the moment the revision exists, complete. Renaming onto an existing
    revision fails, so two concurrent publishers cannot overwrite each other."""
    root = quarter_dir(published, quarter)
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".rev-{number}.", suffix=".tmp", dir=root))
    final = root / f"rev-{number}"
    try:
        for name, data in files.items():
            (tmp / name).write_bytes(data)
            os.chmod(tmp / name, 0o444)  # published files are never modified in place
        os.chmod(tmp, 0o755)  # mkdtemp makes it private; HR shares read it
        if final.exists():
            raise PublishError(f"{final} already exists: another process published {quarter} meanwhile; run again")
        os.rename(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final


def _point_latest(published: Path, quarter: str, revision: int) -> None:
    """`latest` is a text file (`rev-<n>`) rather than a symlink: it survives zip files, Windows
    shares and copies to a document system unchanged."""
    path = quarter_dir(published, quarter) / LATEST_FILE
    content = f"rev-{revision}\n".encode()
    if not path.is_file() or path.read_bytes() != content:
        write_atomically(path, content)


# --- audit and diff --------------------------------------------------------------------------------------


def audit_events(previous: pl.DataFrame, current: pl.DataFrame, revision: int, recorded_at: str) -> pl.DataFrame:
    """Final-grade changes from the previous revision to this one, one row per staff member:
    `override` (an override appeared or changed: who, when and why from the overrides file),
    `override_withdrawn` (its row left the overrides file: the computed grade applies again), or
    `recomputed` (no override involved; the inputs or rubric changed the grade: see diff.csv).
    Staff new to the quarter have no "before" and are listed in the diff, not here. `decided_at` is
    the decision's time from the overrides file (reporting time zone); `recorded_at` (UTC) is when the
    revision recording the change was created — the only time a withdrawal or recomputation has."""
    keys = ["final_grade", *OVERRIDE_FIELDS]
    joined = previous.select("staff_id", *keys).join(
        current.select("staff_id", "name", "quarter", *keys), on="staff_id", how="inner", suffix="_new")
    has_old, has_new = pl.col("override_reason").is_not_null(), pl.col("override_reason_new").is_not_null()
    override_changed = pl.any_horizontal([~pl.col(k).eq_missing(pl.col(f"{k}_new")) for k in OVERRIDE_FIELDS])
    grade_changed = ~pl.col("final_grade").eq_missing(pl.col("final_grade_new"))
    change = (
        pl.when(has_new & (override_changed | grade_changed)).then(pl.lit("override"))
        .when(has_old & ~has_new).then(pl.lit("override_withdrawn"))
        .when(grade_changed).then(pl.lit("recomputed"))
    )
    events = joined.with_columns(change.alias("change")).filter(pl.col("change").is_not_null())
    return events.select(
        "quarter",
        pl.lit(revision, pl.Int64).alias("revision"),
        "staff_id",
        "name",
        "change",
        pl.col("final_grade").alias("before_grade"),
        pl.col("final_grade_new").alias("after_grade"),
        pl.when(pl.col("change") == "override").then(pl.col("overridden_by_new"))
        .when(pl.col("change") == "recomputed").then(pl.lit("kpi pipeline")).alias("decided_by"),
        pl.when(pl.col("change") == "override").then(pl.col("overridden_at_new")).alias("decided_at"),
        pl.when(pl.col("change") == "override").then(pl.col("override_reason_new"))
        .when(pl.col("change") == "override_withdrawn")
        .then(pl.lit(f"override removed from {OVERRIDES_FILE.as_posix()}; the computed grade applies again"))
        .otherwise(pl.lit("grade recomputed from changed inputs or rubric; see diff.csv")).alias("reason"),
        pl.lit(recorded_at).alias("recorded_at"),
    ).sort("staff_id")


#: Columns whose change makes a diff row name the score and grade columns HR looks at first.
_SCORE_FIELDS = ["activity_score", "content_quality_score", "resolution_score", "satisfaction_score", "overall_score"]


def diff_tables(old: pl.DataFrame, old_metrics: pl.DataFrame, new: pl.DataFrame, new_metrics: pl.DataFrame,
                *, top_metrics: int = 3) -> pl.DataFrame:
    """Whose row changed between two revisions and why: one row per staff member added, removed or
    changed (any HR column but `revision`), `change` = override / grade / score / metrics (the first
    that applies), the grades and overall score before and after, and the metrics that moved the score
    most (by change in contribution points, then by name), e.g.
    `sla_rate 0.81→0.93 (+2.35 pts); response_rate 0.9→0.95 (+0.4 pts)`."""
    compared = [c for c in HR_COLUMNS if c not in ("staff_id", "revision")]
    joined = old.select(HR_COLUMNS).join(new.select(HR_COLUMNS), on="staff_id", how="full", coalesce=True,
                                         suffix="_after")
    differs = {c: ~pl.col(c).eq_missing(pl.col(f"{c}_after")) for c in compared}
    added, removed = pl.col("quarter").is_null(), pl.col("quarter_after").is_null()
    changed_fields = pl.concat_list([pl.when(expr).then(pl.lit(c)) for c, expr in differs.items()]).list.drop_nulls()
    change = (
        pl.when(added).then(pl.lit("added"))
        .when(removed).then(pl.lit("removed"))
        .when(pl.any_horizontal([differs[c] for c in OVERRIDE_FIELDS])).then(pl.lit("override"))
        .when(differs["final_grade"] | differs["computed_grade"]).then(pl.lit("grade"))
        .when(pl.any_horizontal([differs[c] for c in _SCORE_FIELDS])).then(pl.lit("score"))
        .when(pl.any_horizontal(list(differs.values()))).then(pl.lit("metrics"))
    )
    rows = joined.with_columns(
        change.alias("change"),
        pl.when(added | removed).then(None).otherwise(changed_fields.list.join(", ")).alias("changed_fields"),
    )
    rows = rows.filter(pl.col("change").is_not_null())
    moved = _metrics_moved(old_metrics, new_metrics, top_metrics)
    return rows.join(moved, on="staff_id", how="left").select(
        "staff_id",
        pl.coalesce("name_after", "name").alias("name"),
        "change",
        "changed_fields",
        pl.col("computed_grade").alias("computed_grade_before"),
        pl.col("computed_grade_after"),
        pl.col("final_grade").alias("final_grade_before"),
        pl.col("final_grade_after"),
        pl.col("overall_score").alias("overall_score_before"),
        pl.col("overall_score_after"),
        (pl.col("overall_score_after") - pl.col("overall_score")).round(2).alias("overall_score_delta"),
        pl.col("metrics_moved"),
    ).sort("staff_id")


def _metrics_moved(old: pl.DataFrame, new: pl.DataFrame, top: int) -> pl.DataFrame:
    keys = ["staff_id", "metric"]
    joined = old.select(*keys, "value", "contribution").join(
        new.select(*keys, "value", "contribution"), on=keys, how="full", coalesce=True, suffix="_after")
    delta = (pl.col("contribution_after").fill_null(0) - pl.col("contribution").fill_null(0)).round(2)
    moved = joined.with_columns(delta.alias("points")).filter(
        ~pl.col("value").eq_missing(pl.col("value_after")) | (pl.col("points") != 0))
    points = (pl.when(pl.col("points") > 0).then(pl.format("+{}", "points"))
              .when(pl.col("points") < 0).then(pl.col("points").cast(pl.String)).otherwise(pl.lit("0")))
    text = pl.format("{} {}→{} ({} pts)", "metric", _shown("value"), _shown("value_after"), points)
    return (
        moved.with_columns(text.alias("text"), pl.col("points").abs().alias("size"))
        .sort(["staff_id", "size", "metric"], descending=[False, True, False])
        .group_by("staff_id", maintain_order=True)
        .agg(pl.col("text").head(top).str.join("; ").alias("metrics_moved"))
    )


def _shown(column: str) -> pl.Expr:
    return pl.col(column).round(4).cast(pl.String).fill_null("–")


def diff_revisions(published: Path, quarter: str, before: int, after: int) -> pl.DataFrame:
    old, new = read_revision(published, quarter, before), read_revision(published, quarter, after)
    return diff_tables(old.grades, old.metrics, new.grades, new.metrics)


# --- warehouse copies ------------------------------------------------------------------------------------


def sync_warehouse(con: duckdb.DuckDBPyConnection, published: Path, quarter: str) -> None:
    """Mirror the quarter's latest revision into the warehouse: `publish.hr_grades` (the rows HR has,
    for dashboards and SQL; replaced per quarter) and `publish.grade_audit` (append-only: rows of the
    revision's audit.csv that the table lacks are inserted, none is ever updated or deleted — so a
    rebuilt warehouse gets the history back from the published files)."""
    latest = latest_revision(published, quarter)
    if latest is None:
        return
    revision = read_revision(published, quarter, latest)
    grades, audit = revision.grades, revision.audit.select(AUDIT_COLUMNS)  # noqa: F841 - read by DuckDB
    con.execute("create schema if not exists publish")
    con.execute("begin")
    try:
        con.execute("create table if not exists publish.hr_grades as select * from grades limit 0")
        # `union all by name`, not insert: a newer revision may carry a column older quarters lack
        con.execute(
            """
            create or replace table publish.hr_grades as
            select * from publish.hr_grades where quarter <> $quarter
            union all by name
            select * from grades
            order by quarter, staff_id
            """,
            {"quarter": quarter},
        )
        con.execute("create table if not exists publish.grade_audit as select * from audit limit 0")
        con.execute(
            """
            insert into publish.grade_audit by name
            select * from audit
            where not exists (
                select 1 from publish.grade_audit as existing
                where existing.quarter = audit.quarter and existing.revision = audit.revision
                    and existing.staff_id = audit.staff_id and existing.change = audit.change
            )
            """
        )
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise


# --- workbook and conversions ----------------------------------------------------------------------------


def sheet_name(title: str, taken: set[str]) -> str:
    """A valid, unique worksheet name: Excel refuses `[]:*?/\\`, names over 31 characters, names
    starting or ending with an apostrophe, and duplicates (case-insensitive)."""
    name = re.sub(r"[\[\]:*?/\\]", " ", title).strip().strip("'").strip() or "Sheet"
    name = name[:31]
    base, n = name, 2
    while name.lower() in {t.lower() for t in taken}:
        suffix = f" ({n})"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(name)
    return name


def localise(frame: pl.DataFrame, lang: str) -> pl.DataFrame:
    """`zh`: Chinese headers and grade labels (优秀 / 良好 / 合格 / 不合格); `en`: unchanged."""
    if lang == "en":
        return frame
    grades = [c for c in ("computed_grade", "final_grade", "before_grade", "after_grade") if c in frame.columns]
    frame = frame.with_columns(pl.col(c).replace(GRADE_ZH) for c in grades)
    return frame.rename({c: ZH_HEADERS[c] for c in frame.columns if c in ZH_HEADERS})


def _formats(frame: pl.DataFrame) -> dict[str, str]:
    """Number formats by column meaning: scores and points with 2 decimals, rates as percentages."""
    formats = {}
    for column, dtype in frame.schema.items():
        if not dtype.is_float():
            continue
        if column.endswith("_score") or column in ("sub_score", "contribution") or column.endswith("minutes"):
            formats[column] = "0.00"
        elif column.endswith(("_rate", "_ratio")) or column == "group_coverage":
            formats[column] = "0.00%"
        else:
            formats[column] = "0.####"
    return formats


def xlsx_bytes(grades: pl.DataFrame, metrics: pl.DataFrame, lang: str, *, created: dt.datetime | None = None) -> bytes:
    """The workbook HR opens: the main sheet (one row per staff member) and one detail sheet per
    dimension with every metric behind it; frozen header row with filters, fitted column widths, headers
    and grade labels in `lang`. Values are stored unrounded; the formats only change how they display.
    Written by `pipelines.xlsx` (vectorised) rather than xlsxwriter, whose per-cell Python calls took
    seconds on a large roster."""
    taken: set[str] = set()
    sheets = [_sheet(grades, sheet_name(MAIN_SHEET[lang], taken), lang)]
    for dimension, titles in DIMENSION_SHEETS.items():
        rows = metrics.filter(pl.col("dimension") == dimension)
        sheets.append(_sheet(rows, sheet_name(titles[0] if lang == "en" else titles[1], taken), lang))
    return workbook_bytes(sheets, created=created)


def _sheet(frame: pl.DataFrame, name: str, lang: str) -> Sheet:
    formats = _formats(frame)
    shown = localise(frame, lang)
    renamed = dict(zip(frame.columns, shown.columns, strict=True))
    return Sheet(name, shown, number_formats={renamed[c]: f for c, f in formats.items()},
                 widths=_column_widths(shown), header_bold=True, header_fill="#DDEBF7")


def _display_width(text: str) -> int:
    """Characters as a spreadsheet shows them: CJK characters take two columns."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _column_widths(frame: pl.DataFrame, *, cap: int = 50) -> dict[str, int]:
    """Pixel widths fitting the header and the values. xlsxwriter's autofit measures Latin glyphs
    and leaves Chinese names and headers cut off, hence our own measure (about 7 px a column, plus
    room for the filter button)."""
    texts = frame.select(pl.all().cast(pl.String))
    # every value's length in characters, in one pass over the frame; then the values holding
    # non-ASCII characters (names, Chinese labels) get one more column per wide character, found by
    # looking at each distinct character once
    longest = dict(zip(frame.columns, texts.select(pl.all().str.len_chars().max()).row(0), strict=True))
    widths = {}
    for column in frame.columns:
        values = texts.get_column(column)
        others = values.filter(values.str.len_bytes() > values.str.len_chars()).unique()
        if others.len():
            chars = others.str.extract_all(r"[^\x00-\x7F]").explode().unique().drop_nulls()
            wide = "".join(ch for ch in chars if _display_width(ch) == 2)
            if wide:
                shown = others.str.len_chars() + others.str.count_matches(f"[{wide}]")
                longest[column] = max(longest[column], shown.max())
        widths[column] = min(max(_display_width(column), longest[column] or 0), cap) * 7 + 28
    return widths


def export_revision(published: Path, quarter: str, revision: int | None, fmt: str, lang: str, output: Path) -> tuple[Path, int]:
    """Hand HR one revision (the latest unless given) as `fmt` in `lang` at `output`. English files are
    byte-for-byte copies of the published ones (so their sha256 matches the manifest); Chinese ones
    are converted from the published Parquet."""
    if fmt not in FORMATS:
        raise PublishError(f"format {fmt!r}: expected one of {', '.join(FORMATS)}")
    if lang not in LANGS:
        raise PublishError(f"lang {lang!r}: expected one of {', '.join(LANGS)}")
    number = revision if revision is not None else latest_revision(published, quarter)
    if number is None:
        have = ", ".join(published_quarters(published)) or "none"
        raise PublishError(f"{quarter} has not been published under {published / 'grades'} (published: {have})")
    data = read_revision(published, quarter, number)
    output.parent.mkdir(parents=True, exist_ok=True)
    if lang == "en":
        content = (data.path / f"grades.{fmt}").read_bytes()
    elif fmt == "csv":
        content = csv_bytes(localise(data.grades, lang))
    elif fmt == "parquet":
        content = parquet_bytes(localise(data.grades, lang))
    else:
        content = xlsx_bytes(data.grades, data.metrics, lang)
    write_atomically(output, content)
    return output, number


# --- monthly and annual views -------------------------------------------------------------------------


def monthly_views(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, pl.DataFrame]]:
    """Per complete month: scores and grades per staff member and per group (marts.fct_scores, monthly
    assessment in the policies), and the metrics behind them. Keyed by `YYYY-MM`, then file name."""
    months = [row[0] for row in con.execute(
        "select period from intermediate.int_periods where period_type = 'month' and is_complete order by period"
    ).fetchall()]
    views = {}
    for month in months:
        staff = _monthly_scores(con, month, "staff", "raw.staff", "staff_id", "name, role, team")
        groups = _monthly_scores(con, month, "group", "raw.groups", "group_id", "name, platform, category")
        views[month] = {
            "staff.csv": staff,
            "staff_metrics.csv": metric_details(con, "staff", "month", month),
            "groups.csv": groups,
            "group_metrics.csv": metric_details(con, "group", "month", month),
        }
    return views


def _monthly_scores(con: duckdb.DuckDBPyConnection, month: str, entity_type: str, registry: str,
                    key: str, described_by: str) -> pl.DataFrame:
    """One month's scores and grades of one entity type, with the registry columns that name it.
    `registry`, `key` and `described_by` are our own identifiers, never input."""
    described = ", ".join(f"entity.{column.strip()}" for column in described_by.split(","))
    return con.sql(
        f"""
        select entity.{key}, {described}, scores.period as month,
               scores.activity_score, scores.content_quality_score, scores.resolution_score,
               scores.satisfaction_score, scores.overall_score, scores.grade, scores.not_rated_reason,
               scores.rubric_version
        from marts.fct_scores as scores
        inner join {registry} as entity on entity.{key} = scores.entity_id
        where scores.entity_type = $entity_type and scores.period_type = 'month' and scores.period = $month
        order by entity.{key}
        """, params={"month": month, "entity_type": entity_type}).pl()


def write_monthly_views(con: duckdb.DuckDBPyConnection, published: Path) -> list[Path]:
    """Write the monthly views; each file is replaced atomically and only when its bytes change
    (monthly files are not revisioned: they inform, the quarterly revisions are what HR pays on)."""
    written = []
    for month, files in monthly_views(con).items():
        for name, frame in files.items():
            path = published / "monthly" / month / name
            _write_if_changed(path, csv_bytes(frame))
            written.append(path)
    return written


ANNUAL_FIELDS = ("overall_score", "computed_grade", "final_grade", "revision")


def annual_view(published: Path, year: int) -> pl.DataFrame:
    """One row per staff member graded in any published quarter of `year`: the latest revision's overall
    score, computed and final grade (after appeals) of each of the four quarters, blank where a
    quarter is not published or the person was not active, and how many quarters were graded."""
    quarters = [f"{year}-Q{q}" for q in range(1, 5)]
    tables = []
    for quarter in quarters:
        latest = latest_revision(published, quarter)
        if latest is None:
            continue
        grades = pl.read_parquet(revision_dir(published, quarter, latest) / "grades.parquet")
        tables.append(grades.select("staff_id", "name", "role", "team", "quarter", *ANNUAL_FIELDS))
    columns = [f"q{q}_{field}" for q in range(1, 5) for field in ANNUAL_FIELDS]
    if not tables:
        return pl.DataFrame(schema={"staff_id": pl.String, "year": pl.Int64})
    long = pl.concat(tables)
    people = long.sort("quarter").group_by("staff_id").agg(
        pl.col("name", "role", "team").last(), pl.col("final_grade").is_not_null().sum().alias("quarters_graded"))
    wide = long.with_columns(pl.format("q{}", pl.col("quarter").str.slice(6)).alias("q")).pivot(
        on="q", index="staff_id", values=list(ANNUAL_FIELDS))
    wide = wide.rename({f"{field}_{q}": f"{q}_{field}" for field in ANNUAL_FIELDS
                        for q in ("q1", "q2", "q3", "q4") if f"{field}_{q}" in wide.columns})
    missing = {c: (pl.Float64 if "score" in c else pl.Int64 if "revision" in c else pl.String)
               for c in columns if c not in wide.columns}
    wide = wide.with_columns(pl.lit(None, dtype).alias(c) for c, dtype in missing.items())
    return people.join(wide, on="staff_id").with_columns(pl.lit(year, pl.Int64).alias("year")).select(
        "staff_id", "name", "role", "team", "year", *columns, "quarters_graded").sort("staff_id")


def write_annual_view(published: Path, year: int) -> Path:
    path = published / "annual" / str(year) / "staff_annual.csv"
    _write_if_changed(path, csv_bytes(annual_view(published, year)))
    return path


def _write_if_changed(path: Path, data: bytes) -> None:
    if not path.is_file() or path.read_bytes() != data:
        write_atomically(path, data)


def year_of(quarter: str) -> int:
    return quarter_bounds(quarter)[0].year

