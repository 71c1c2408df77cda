"""HR publishing (issue 5, KPI_SPEC §5 appeals and §6) on the sample data, through real Dagster
materialisations on a real DuckDB file: versioned revisions, manifests checked against the files,
golden grade files, no-op republishing, a changed input making revision 2 with the right diff,
overrides flowing through with their audit rows, invalid overrides failing cleanly, monthly and annual
views, the `kpi grades` command, and no member handle, name or message text in any published file.

Golden files: `tests/golden/grades_<YYYY-Qn>.csv` are the sample quarters' rev-1 `grades.csv`, byte for
byte. After an intended change to the samples, the SQL or the HR columns, regenerate them with
`UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_hr_publish.py -k golden` and review the diff.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
import pytest
import yaml
from typer.testing import CliRunner

from assets import publish
from assets.models import sql_checks
from pipelines import hr_publish
from pipelines.cli import _failure_message, app
from pipelines.definitions import all_assets, resources
from pipelines.partitions import partition_key_from_quarter
from tests.conftest import SAMPLES, materialize_all

GOLDEN = Path(__file__).parent / "golden"
QUARTERS = ("2026-Q2", "2026-Q3")
REVISION_FILES = {"grades.csv", "grades.xlsx", "grades.parquet", "metrics.csv", "audit.csv", "manifest.json"}


@dataclass(frozen=True)
class World:
    data: Path
    out: Path

    @property
    def published(self) -> Path:
        return self.out / "published"

    def rev(self, quarter: str, number: int) -> Path:
        return hr_publish.revision_dir(self.published, quarter, number)


def publish_quarter(world: World, quarter: str) -> dg.ExecuteInProcessResult:
    """Materialise the HR file of one quarter partition, as `kpi run` and the Dagster UI do."""
    return dg.materialize(
        [*all_assets, *sql_checks],
        selection=dg.AssetSelection.assets(publish.hr_grades),
        partition_key=partition_key_from_quarter(quarter),
        resources=resources(str(world.data), str(world.out), str(world.out / "warehouse.duckdb")),
        instance=dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
    )


def publish_metadata(result: dg.ExecuteInProcessResult) -> dict:
    assert result.success, _failure_message(result)
    metadata = result.asset_materializations_for_node("publish__hr_grades")[0].metadata
    return {key: value.value for key, value in metadata.items()}


def sql(world: World, query: str, params: dict | None = None) -> pl.DataFrame:
    with duckdb.connect(str(world.out / "warehouse.duckdb"), read_only=True) as con:
        return con.sql(query, params=params or {}).pl()


def snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under `root` with its bytes and modification time: 'nothing changed' means equal."""
    return {str(p.relative_to(root)): (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(root.rglob("*")) if p.is_file()}


def read_grades_csv(path: Path, schema: pl.Schema) -> pl.DataFrame:
    return pl.read_csv(path, schema=schema)


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> World:
    """The samples ingested and scored once, both complete quarters published (rev-1). Tests that
    change anything use `private_world`."""
    root = tmp_path_factory.mktemp("hr")
    data = root / "data"
    shutil.copytree(SAMPLES, data, ignore=shutil.ignore_patterns("generate*.py", "README.md"))
    world = World(data, root / "out")
    materialize_all(data, world.out)
    for quarter in QUARTERS:
        publish_metadata(publish_quarter(world, quarter))
    return world


@pytest.fixture
def private_world(world: World, tmp_path: Path) -> World:
    """A copy of the published world (data folder, warehouse, published files) a test may change."""
    copy = World(tmp_path / "data", tmp_path / "out")
    shutil.copytree(world.data, copy.data)
    shutil.copytree(world.out, copy.out)
    return copy


def write_overrides(world: World, text: str) -> Path:
    path = world.data / "overrides" / "grade_overrides.csv"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# --- layout, manifest, formats ---------------------------------------------------------------------


def test_each_complete_quarter_is_revision_1_with_latest_pointer(world):
    for quarter in QUARTERS:
        assert hr_publish.revisions(world.published, quarter) == [1]
        assert (world.published / "grades" / quarter / "latest").read_text(encoding="utf-8") == "rev-1\n"
        assert {p.name for p in world.rev(quarter, 1).iterdir()} == REVISION_FILES
        assert not (world.published / "grades" / quarter / "grades.csv").exists(), "no flat file any more"
    assert hr_publish.published_quarters(world.published) == list(QUARTERS), "2026-Q4 is incomplete"


def test_manifest_hashes_match_the_files_and_the_inputs(world):
    rubric_version = str(yaml.safe_load((world.data / "config" / "rubric.yaml").read_text(encoding="utf-8"))["version"])
    loaded = set(sql(world, "select source_file from raw.source_files union all select source_file from raw.input_files")
                 ["source_file"])
    for quarter in QUARTERS:
        folder = world.rev(quarter, 1)
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        assert set(manifest["files"]) == REVISION_FILES - {"manifest.json"}
        for name, entry in manifest["files"].items():
            data = (folder / name).read_bytes()
            assert entry == {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}, name
        grades = pl.read_parquet(folder / "grades.parquet")
        assert manifest["row_count"] == grades.height > 0
        assert (manifest["quarter"], manifest["revision"], manifest["previous_revision"]) == (quarter, 1, None)
        assert manifest["rubric_version"] == rubric_version
        assert manifest["code_version"].startswith("0.1.0")
        assert manifest["created_at"].endswith("Z")
        assert manifest["final_grade_counts"] == {
            g or "not_rated": n for g, n in grades.group_by("final_grade").len().iter_rows()}
        inputs = {entry["path"]: entry for entry in manifest["inputs"]}
        config_files = {f"config/{p.name}" for p in (world.data / "config").iterdir()}
        assert loaded | config_files == set(inputs)
        for path, entry in inputs.items():
            assert entry["sha256"] == hashlib.sha256((world.data / path).read_bytes()).hexdigest(), path


@pytest.mark.parametrize("quarter", QUARTERS)
def test_grades_match_golden_file(world, quarter):
    published = (world.rev(quarter, 1) / "grades.csv").read_bytes()
    golden = GOLDEN / f"grades_{quarter}.csv"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        golden.parent.mkdir(exist_ok=True)
        golden.write_bytes(published)
    assert golden.exists(), f"{golden} missing: run with UPDATE_GOLDEN=1 once and review it"
    assert published == golden.read_bytes(), f"{quarter} grades.csv differs from {golden} (UPDATE_GOLDEN=1 to accept)"


def test_csv_opens_with_chinese_intact(world):
    roster = list(csv.DictReader((world.data / "config" / "roster.csv").open(encoding="utf-8")))
    raw = (world.rev("2026-Q3", 1) / "grades.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "UTF-8 BOM so Excel opens Chinese correctly"
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert list(rows[0]) == hr_publish.HR_COLUMNS
    names = {r["staff_id"]: r["name"] for r in roster}
    teams = {r["staff_id"]: r["team"] for r in roster}
    for row in rows:
        assert (row["name"], row["team"]) == (names[row["staff_id"]], teams[row["staff_id"]])
        assert row["quarter"] == "2026-Q3" and row["revision"] == "1"
    assert any(re.search(r"[\u4e00-\u9fff]", r["name"]) for r in rows)


@pytest.mark.parametrize("quarter", QUARTERS)
def test_csv_parquet_and_xlsx_hold_the_same_rows(world, quarter):
    folder = world.rev(quarter, 1)
    parquet = pl.read_parquet(folder / "grades.parquet")
    assert parquet.columns == hr_publish.HR_COLUMNS
    assert read_grades_csv(folder / "grades.csv", parquet.schema).equals(parquet, null_equal=True)
    sheets = pl.read_excel(folder / "grades.xlsx", sheet_id=0)
    assert list(sheets) == ["Grades", "Activity", "Content quality", "Resolution", "Satisfaction"]
    main = pl.read_excel(folder / "grades.xlsx", sheet_name="Grades", schema_overrides=parquet.schema)
    assert main.equals(parquet, null_equal=True)
    metrics = pl.read_csv(folder / "metrics.csv", infer_schema_length=None)
    for title, dimension in zip(list(sheets)[1:], hr_publish.DIMENSION_SHEETS, strict=True):
        expected = metrics.filter(pl.col("dimension") == dimension)
        detail = pl.read_excel(folder / "grades.xlsx", sheet_name=title, schema_overrides=expected.schema)
        assert detail.height > 0 and detail.equals(expected, null_equal=True), title
    with zipfile.ZipFile(folder / "grades.xlsx") as workbook:
        for number in range(1, 6):
            xml = workbook.read(f"xl/worksheets/sheet{number}.xml").decode("utf-8")
            assert 'ySplit="1"' in xml and 'state="frozen"' in xml, "header row frozen"
            assert "<cols>" in xml, "column widths set"


def test_sheet_names_are_valid_and_unique():
    taken: set[str] = set()
    names = [hr_publish.sheet_name(title, taken) for title in
             ["Grades", "grades", "a/b:c*d?e[f]g\\h", "'quoted'", "x" * 40, "x" * 40, "", "内容质量"]]
    assert len({n.lower() for n in names}) == len(names)
    for name in names:
        assert 0 < len(name) <= 31 and not re.search(r"[\[\]:*?/\\]", name) and not name.startswith("'")
    assert names[0] == "Grades" and names[-1] == "内容质量"


def test_every_column_has_a_chinese_header_and_grades_translate():
    columns = hr_publish.HR_COLUMNS + hr_publish.METRIC_COLUMNS
    assert set(columns) <= set(hr_publish.ZH_HEADERS)
    assert len(set(hr_publish.ZH_HEADERS.values())) == len(hr_publish.ZH_HEADERS), "two columns, one header"
    frame = pl.DataFrame({"staff_id": ["S1", "S2", "S3", "S4", "S5"],
                          "final_grade": ["excellent", "good", "pass", "fail", None]})
    zh = hr_publish.localise(frame, "zh")
    assert zh.columns == ["工号", "最终等级"]
    assert zh["最终等级"].to_list() == ["优秀", "良好", "合格", "不合格", None]
    assert hr_publish.localise(frame, "en").equals(frame)


# --- revisions ----------------------------------------------------------------------------------------


def test_republishing_the_same_inputs_creates_nothing(private_world):
    before = snapshot(private_world.published / "grades")
    for quarter in QUARTERS:
        metadata = publish_metadata(publish_quarter(private_world, quarter))
        assert (metadata["revision"], metadata["new_revision"]) == (1, False)
    assert snapshot(private_world.published / "grades") == before


def test_changed_input_makes_revision_2_with_the_right_diff(private_world):
    """S001's Q3 evaluations drop to 0: only S001's Q3 satisfaction and overall score may move, and the
    diff must name evaluation_score; Q2 is untouched; rev-1 stays byte for byte as published."""
    evaluations = private_world.data / "inputs" / "evaluations" / "考核评价_2026-Q3.csv"
    lines = evaluations.read_text(encoding="utf-8-sig").splitlines()
    header = lines[0].split(",")
    score = header.index("评分")
    edited = [lines[0]]
    for line in lines[1:]:
        cells = line.split(",")
        if cells[0] == "S001" and cells[1] == "2026-Q3":
            cells[score] = "0"
        edited.append(",".join(cells))
    assert edited != lines
    evaluations.write_text("\n".join(edited) + "\n", encoding="utf-8")
    rev1 = snapshot(private_world.rev("2026-Q3", 1))

    materialize_all(private_world.data, private_world.out)
    q2 = publish_metadata(publish_quarter(private_world, "2026-Q2"))
    q3 = publish_metadata(publish_quarter(private_world, "2026-Q3"))

    assert (q2["revision"], q2["new_revision"]) == (1, False)
    assert (q3["revision"], q3["new_revision"], q3["changed_rows"]) == (2, True, 1)
    assert snapshot(private_world.rev("2026-Q3", 1)) == rev1, "a published revision is never modified"
    assert (private_world.published / "grades" / "2026-Q3" / "latest").read_text(encoding="utf-8") == "rev-2\n"
    old = pl.read_parquet(private_world.rev("2026-Q3", 1) / "grades.parquet").row(0, named=True)
    new = pl.read_parquet(private_world.rev("2026-Q3", 2) / "grades.parquet").row(0, named=True)
    assert old["staff_id"] == new["staff_id"] == "S001"
    assert new["evaluation_score"] == 0 and new["overall_score"] < old["overall_score"]

    diff = pl.read_csv(private_world.rev("2026-Q3", 2) / "diff.csv")
    assert diff["staff_id"].to_list() == ["S001"]
    row = diff.row(0, named=True)
    assert (row["overall_score_before"], row["overall_score_after"]) == (old["overall_score"], new["overall_score"])
    assert (row["final_grade_before"], row["final_grade_after"]) == (old["final_grade"], new["final_grade"])
    assert row["change"] == ("grade" if old["final_grade"] != new["final_grade"] else "score")
    assert row["metrics_moved"].startswith("evaluation_score ")
    assert "evaluation_score" in row["changed_fields"] and "satisfaction_score" in row["changed_fields"]

    audit = pl.read_csv(private_world.rev("2026-Q3", 2) / "audit.csv", infer_schema=False)
    expected = [("S001", "recomputed", old["final_grade"], new["final_grade"])] if old["final_grade"] != new["final_grade"] else []
    assert list(audit.select("staff_id", "change", "before_grade", "after_grade").iter_rows()) == expected

    shown = CliRunner().invoke(app, ["grades", "--diff", "2026-Q3", "--rev", "1", "--rev", "2",
                                     "--out", str(private_world.out)])
    assert shown.exit_code == 0, shown.output
    assert "S001" in shown.output and "evaluation_score" in shown.output and "rev-1 → rev-2" in shown.output


def test_override_flows_through_with_its_audit_row(private_world):
    q3 = pl.read_parquet(private_world.rev("2026-Q3", 1) / "grades.parquet")
    target = q3.filter(pl.col("final_grade") != "excellent").row(0, named=True)
    write_overrides(private_world, "工号,季度,等级,调整原因,审批人,审批时间\n"
                    f"{target['staff_id']},2026年第三季度,优秀,申诉成立：系统故障期间的工单不计入,HR 王敏,2026/10/15 14:30\n")

    metadata = publish_metadata(publish_quarter(private_world, "2026-Q3"))
    assert (metadata["revision"], metadata["new_revision"], metadata["overrides_applied"]) == (2, True, 1)
    assert publish_metadata(publish_quarter(private_world, "2026-Q2"))["new_revision"] is False

    rev2 = pl.read_parquet(private_world.rev("2026-Q3", 2) / "grades.parquet")
    row = rev2.filter(pl.col("staff_id") == target["staff_id"]).row(0, named=True)
    assert row["final_grade"] == "excellent"
    assert row["computed_grade"] == target["computed_grade"], "the computed grade stays beside the final one"
    assert (row["override_reason"], row["overridden_by"], row["overridden_at"]) == (
        "申诉成立：系统故障期间的工单不计入", "HR 王敏", "2026-10-15 14:30")
    others = pl.col("staff_id") != target["staff_id"]
    assert rev2.filter(others).drop("revision").equals(q3.filter(others).drop("revision"), null_equal=True)

    audit = pl.read_csv(private_world.rev("2026-Q3", 2) / "audit.csv", infer_schema=False)
    assert audit.select("quarter", "revision", "staff_id", "change", "before_grade", "after_grade", "decided_by",
                        "decided_at", "reason").rows() == [
        ("2026-Q3", "2", target["staff_id"], "override", target["final_grade"], "excellent", "HR 王敏",
         "2026-10-15 14:30", "申诉成立：系统故障期间的工单不计入")]
    stored = sql(private_world, "select staff_id, change, before_grade, after_grade from publish.grade_audit")
    assert stored.rows() == [(target["staff_id"], "override", target["final_grade"], "excellent")]
    latest = sql(private_world, "select final_grade, revision from publish.hr_grades where staff_id = $s and quarter = '2026-Q3'",
                 {"s": target["staff_id"]})
    assert latest.rows() == [("excellent", 2)]
    diff = pl.read_csv(private_world.rev("2026-Q3", 2) / "diff.csv", infer_schema=False)
    assert diff.select("staff_id", "change", "final_grade_before", "final_grade_after").rows() == [
        (target["staff_id"], "override", target["final_grade"], "excellent")]

    with duckdb.connect(str(private_world.out / "warehouse.duckdb")) as con:
        con.execute("drop table publish.grade_audit")  # as in a rebuilt warehouse
    assert publish_metadata(publish_quarter(private_world, "2026-Q3"))["new_revision"] is False, "same overrides: no-op"
    assert sql(private_world, "select staff_id, change from publish.grade_audit").rows() == [
        (target["staff_id"], "override")], "the audit table is restored from the published audit.csv"

    rev2_files = snapshot(private_world.rev("2026-Q3", 2))
    (private_world.data / "overrides" / "grade_overrides.csv").unlink()
    assert publish_metadata(publish_quarter(private_world, "2026-Q3"))["revision"] == 3
    rev3 = pl.read_parquet(private_world.rev("2026-Q3", 3) / "grades.parquet")
    assert rev3.drop("revision").equals(q3.drop("revision"), null_equal=True), "withdrawn: back to the computed grade"
    history = pl.read_csv(private_world.rev("2026-Q3", 3) / "audit.csv", infer_schema=False)
    assert history.select("revision", "change", "before_grade", "after_grade").rows() == [
        ("2", "override", target["final_grade"], "excellent"),
        ("3", "override_withdrawn", "excellent", target["final_grade"])]
    assert snapshot(private_world.rev("2026-Q3", 2)) == rev2_files
    assert sql(private_world, "select count(*) as n from publish.grade_audit")["n"][0] == 2


@pytest.mark.parametrize(
    "row, expected",
    [
        ("S999,2026-Q3,good,r,HR,2026-10-15", "line 2: staff S999 is not in config/roster.csv"),
        ("S001,2026-Q3,outstanding,r,HR,2026-10-15", "line 2: grade 'outstanding' is not one of excellent, good, pass, fail, 优秀"),
        ("S001,2026-Q4,good,r,HR,2026-10-15", "line 2: 2026-Q4 has not been published yet"),
        ("S001,2026-Q3,good,,HR,2026-10-15", "line 2: reason is empty"),
        ("S001,2026-Q3,good,r,HR,next week", "line 2: decided_at next week is not a date/time"),
    ],
)
def test_invalid_override_is_rejected_and_changes_nothing(private_world, row, expected):
    path = write_overrides(private_world, "staff_id,quarter,grade,reason,decided_by,decided_at\n"
                                          f"{row}\nS002,2026-Q3,excellent,a valid row,HR,2026-10-15\n")
    before = snapshot(private_world.published)
    for quarter in QUARTERS:  # a bad row stops every quarter, not only its own
        result = publish_quarter(private_world, quarter)
        assert not result.success
        message = _failure_message(result)
        assert str(path) in message and expected in message and "nothing was published" in message, message
    assert snapshot(private_world.published) == before
    tables = sql(private_world, "select table_name from information_schema.tables where table_schema = 'publish'")
    assert set(tables["table_name"]) == {"hr_grades", "grade_audit"}
    assert sql(private_world, "select count(*) as n from publish.grade_audit")["n"][0] == 0


def test_overrides_file_with_unknown_header_names_the_accepted_ones(private_world):
    path = write_overrides(private_world, "staff,quarter,grade\nS001,2026-Q3,good\n")
    message = _failure_message(publish_quarter(private_world, "2026-Q3"))
    assert f"{path}: unknown header(s) 'staff'" in message and "staff_id: 工号" in message


def test_overrides_may_be_kept_as_xlsx_but_not_beside_a_csv(world, tmp_path):
    data = tmp_path / "data"
    (data / "overrides").mkdir(parents=True)
    pl.DataFrame({"工号": ["S003"], "季度": ["2026-Q3"], "等级": ["合格"], "申诉理由": ["复核后下调"],
                  "审批人": ["HR 李娜"], "审批时间": ["2026年10月20日 09:05"]}).write_excel(
        data / "overrides" / "grade_overrides.xlsx")
    with duckdb.connect(str(world.out / "warehouse.duckdb"), read_only=True) as con:
        overrides = hr_publish.load_overrides(con, data, world.published)
        assert overrides.drop("line").rows() == [("S003", "2026-Q3", "pass", "复核后下调", "HR 李娜", "2026-10-20 09:05")]
        (data / "overrides" / "grade_overrides.csv").write_text("staff_id,quarter,grade,reason,decided_by,decided_at\n",
                                                                encoding="utf-8")
        with pytest.raises(hr_publish.OverrideError, match="both grade_overrides.csv and grade_overrides.xlsx exist"):
            hr_publish.load_overrides(con, data, world.published)


def test_the_committed_example_overrides_file_is_valid(world, tmp_path):
    data = tmp_path / "data"
    (data / "overrides").mkdir(parents=True)
    shutil.copy(SAMPLES / "overrides" / "grade_overrides.example.csv", data / "overrides" / "grade_overrides.csv")
    with duckdb.connect(str(world.out / "warehouse.duckdb"), read_only=True) as con:
        assert hr_publish.load_overrides(con, data, world.published).height == 1


def test_duplicate_override_rows_are_rejected(private_world):
    write_overrides(private_world, "staff_id,quarter,grade,reason,decided_by,decided_at\n"
                                   "S001,2026-Q3,good,a,HR,2026-10-15\nS001,2026-Q3,pass,b,HR,2026-10-16\n")
    message = _failure_message(publish_quarter(private_world, "2026-Q3"))
    assert "line 3: S001 2026-Q3 is already overridden on line 2" in message


# --- monthly and annual views ----------------------------------------------------------------------------


def test_monthly_views_cover_every_complete_month(world):
    months = sql(world, "select period from intermediate.int_periods where period_type = 'month' and is_complete "
                        "order by period")["period"].to_list()
    assert sorted(p.name for p in (world.published / "monthly").iterdir()) == months
    for month in months:
        folder = world.published / "monthly" / month
        assert {p.name for p in folder.iterdir()} == {"staff.csv", "staff_metrics.csv", "groups.csv", "group_metrics.csv"}
        for name, entity in (("staff.csv", "staff"), ("groups.csv", "group")):
            assert (folder / name).read_bytes().startswith(b"\xef\xbb\xbf")
            published = pl.read_csv(folder / name)
            scores = sql(world, "select entity_id, overall_score, grade from marts.fct_scores where entity_type = $t "
                                "and period_type = 'month' and period = $m order by entity_id", {"t": entity, "m": month})
            assert published.height == scores.height > 0
            assert published.select(published.columns[0], "overall_score", "grade").rows() == scores.rows()
            assert set(published["month"]) == {month}


def test_annual_view_holds_the_published_quarters(world):
    annual = pl.read_csv(world.published / "annual" / "2026" / "staff_annual.csv")
    q2 = pl.read_parquet(world.rev("2026-Q2", 1) / "grades.parquet")
    q3 = pl.read_parquet(world.rev("2026-Q3", 1) / "grades.parquet")
    assert annual["staff_id"].to_list() == sorted(set(q2["staff_id"]) | set(q3["staff_id"]))
    for prefix, grades in (("q2", q2), ("q3", q3)):
        joined = annual.join(grades, on="staff_id")
        assert joined.height == grades.height
        assert joined[f"{prefix}_overall_score"].equals(joined["overall_score"])
        assert joined[f"{prefix}_final_grade"].equals(joined["final_grade"])
        assert (joined[f"{prefix}_revision"] == 1).all()
    assert annual["q1_final_grade"].null_count() == annual["q4_overall_score"].null_count() == annual.height
    graded = (annual["q2_final_grade"].is_not_null().cast(pl.Int64) + annual["q3_final_grade"].is_not_null().cast(pl.Int64))
    assert annual["quarters_graded"].equals(graded.alias("quarters_graded"))


# --- kpi grades -----------------------------------------------------------------------------------------------


def test_kpi_grades_hands_out_lists_and_converts(world, tmp_path):
    runner = CliRunner()
    listed = runner.invoke(app, ["grades", "--list", "--out", str(world.out)])
    assert listed.exit_code == 0, listed.output
    for quarter in QUARTERS:
        assert re.search(rf"{quarter}\s+rev-1 \(latest\)", listed.output)

    english = tmp_path / "q3.csv"
    done = runner.invoke(app, ["grades", "--quarter", "2026-Q3", "-o", str(english), "--out", str(world.out)])
    assert done.exit_code == 0, done.output
    assert str(english) in done.output and "rev-1" in done.output
    manifest = json.loads((world.rev("2026-Q3", 1) / "manifest.json").read_text(encoding="utf-8"))
    assert hashlib.sha256(english.read_bytes()).hexdigest() == manifest["files"]["grades.csv"]["sha256"]

    chinese = tmp_path / "q3_zh.csv"
    done = runner.invoke(app, ["grades", "--quarter", "2026-q3", "--lang", "zh", "-o", str(chinese), "--out", str(world.out)])
    assert done.exit_code == 0, done.output
    raw = chinese.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert list(rows[0]) == [hr_publish.ZH_HEADERS[c] for c in hr_publish.HR_COLUMNS]
    source = pl.read_parquet(world.rev("2026-Q3", 1) / "grades.parquet")
    assert [r["最终等级"] for r in rows] == [hr_publish.GRADE_ZH.get(g, g or "") for g in source["final_grade"]]

    workbook = tmp_path / "q3_zh.xlsx"
    done = runner.invoke(app, ["grades", "--quarter", "2026-Q3", "--format", "xlsx", "--lang", "zh", "-o", str(workbook),
                               "--out", str(world.out)])
    assert done.exit_code == 0, done.output
    sheets = pl.read_excel(workbook, sheet_id=0)
    assert list(sheets) == ["等级", "活跃度", "内容质量", "问题解决", "满意度"]
    assert sheets["等级"]["姓名"].to_list() == source["name"].to_list()

    parquet = tmp_path / "q3.parquet"
    done = runner.invoke(app, ["grades", "--quarter", "2026-Q3", "--format", "parquet", "-o", str(parquet), "--out", str(world.out)])
    assert done.exit_code == 0 and pl.read_parquet(parquet).equals(source, null_equal=True)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--quarter", "2026-Q1"], "2026-Q1 has not been published"),
        (["--quarter", "2026-Q3", "--rev", "7"], "no such revision of 2026-Q3 (published: rev-1)"),
        (["--quarter", "2026-Q3", "--format", "pdf"], "--format pdf: expected one of csv, xlsx, parquet"),
        (["--quarter", "2026-Q3", "--lang", "fr"], "--lang fr: expected one of en, zh"),
        (["--list", "--quarter", "2026-Q3"], "give exactly one of"),
        (["--diff", "2026-Q3"], "2026-Q3 has 1 revision(s); a diff needs two"),
        (["--quarter", "2026-Q9"], "not a quarter like 2026-Q3"),
    ],
)
def test_kpi_grades_errors_are_one_line(world, tmp_path, args, message):
    done = CliRunner().invoke(app, ["grades", *args, "-o", str(tmp_path / "x.csv"), "--out", str(world.out)])
    assert done.exit_code == 2 and message in done.output, done.output
    assert "Traceback" not in done.output and not (tmp_path / "x.csv").exists()


# --- privacy -----------------------------------------------------------------------------------------------------


def published_text(root: Path) -> dict[str, str]:
    """The readable content of every published file: text files as text, workbooks' XML parts,
    Parquet as CSV."""
    texts = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        if path.suffix == ".xlsx":
            with zipfile.ZipFile(path) as workbook:
                texts[str(path)] = "\n".join(workbook.read(n).decode("utf-8") for n in workbook.namelist())
        elif path.suffix == ".parquet":
            texts[str(path)] = pl.read_parquet(path).write_csv()
        else:
            texts[str(path)] = path.read_text(encoding="utf-8-sig")
    return texts


def test_no_member_handle_name_or_message_text_in_any_published_file(world):
    members = sql(world, """
        select distinct sender_handle as term from staging.stg_chat__messages where staff_id is null and not is_bot
        union select distinct sender_name from staging.stg_chat__messages where staff_id is null and not is_bot
        union select handle from raw.contacts union select name from raw.contacts
        union select distinct text from staging.stg_chat__messages
            where staff_id is null and not is_bot and length(text) >= 8
    """)["term"].drop_nulls().to_list()
    assert len(members) > 100
    texts = published_text(world.published)
    assert any(name.endswith(".xlsx") for name in texts) and any(name.endswith(".parquet") for name in texts)
    leaks = [(term, name) for term in members for name, text in texts.items() if term in text]
    assert leaks == []
