"""The offline manager dashboard: files written, nothing remote, hostile text inert, stable bytes."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import plotly.graph_objects as go
import polars as pl
import pytest
from plotly.offline import get_plotlyjs

from dashboards.figures import grade_distribution_figure, overall_score_figure
from dashboards.render import PLOTLY_CONFIG, write_site

SCRIPT_BREAKOUT = "</script><script>alert(1)</script>"
IMG_ONERROR = "<img src=x onerror=alert(1)>"

GRADES_SCHEMA: dict[str, pl.DataType] = {
    "staff_id": pl.String(),
    "name": pl.String(),
    "role": pl.String(),
    "team": pl.String(),
    "quarter": pl.String(),
    "activity_score": pl.Float64(),
    "content_quality_score": pl.Float64(),
    "resolution_score": pl.Float64(),
    "satisfaction_score": pl.Float64(),
    "overall_score": pl.Float64(),
    "computed_grade": pl.String(),
    "final_grade": pl.String(),
    "not_rated_reason": pl.String(),
    "requests": pl.Int64(),
    "response_rate": pl.Float64(),
    "sla_rate": pl.Float64(),
    "rubric_version": pl.String(),
}


def _staff(
    staff_id: str,
    name: str,
    quarter: str,
    overall: float | None,
    grade: str | None,
    *,
    team: str = "North",
    reason: str | None = None,
) -> dict[str, object]:
    """One grades row; dimension scores sit around the overall score so hover text has content."""
    return {
        "staff_id": staff_id,
        "name": name,
        "role": "customer_service",
        "team": team,
        "quarter": quarter,
        "activity_score": overall,
        "content_quality_score": None if overall is None else overall - 5,
        "resolution_score": None if overall is None else min(100.0, overall + 5),
        "satisfaction_score": overall,
        "overall_score": overall,
        "computed_grade": grade,
        "final_grade": grade,
        "not_rated_reason": reason,
        "requests": 0 if overall is None else 40,
        "response_rate": None if overall is None else 0.9,
        "sla_rate": None if overall is None else 0.8,
        "rubric_version": "2026.1",
    }


@pytest.fixture
def grades() -> pl.DataFrame:
    """Two quarters, every grade band, a tie on overall score, a not-rated member and hostile text."""
    rows = [
        _staff("s01", "Alice Chen", "2026-Q3", 93.0, "excellent"),
        _staff("s02", "王小明", "2026-Q3", 80.0, "good"),
        _staff("s03", "Bob Li", "2026-Q3", 80.0, "good"),  # tie with s02: s02 first
        _staff("s04", SCRIPT_BREAKOUT, "2026-Q3", 65.5, "pass", team=IMG_ONERROR),
        _staff("s05", IMG_ONERROR, "2026-Q3", 40.25, "fail"),
        _staff(
            "s06",
            "Carol Wu",
            "2026-Q3",
            None,
            None,
            reason=f"too few requests (0 < 20) {SCRIPT_BREAKOUT}",
        ),
        _staff("s01", "Alice Chen", "2026-Q2", 88.0, "good"),
    ]
    return pl.DataFrame(rows, schema=GRADES_SCHEMA, orient="row")


class _Page(HTMLParser):
    """What a browser would see: element tags outside scripts, and each table row's cell text."""

    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None
        self.feed(page)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)

    def named(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.tags if name == tag]


def _page(out_dir: Path) -> str:
    return (out_dir / "index.html").read_text(encoding="utf-8")


def test_writes_page_and_one_local_plotly_copy(grades: pl.DataFrame, tmp_path: Path) -> None:
    written = write_site(grades, tmp_path)

    bundle = tmp_path / "assets" / "plotly.min.js"
    assert written == [tmp_path / "index.html", bundle]
    assert bundle.read_bytes() == get_plotlyjs().encode("utf-8")
    page = _page(tmp_path)
    scripts_with_src = [attrs["src"] for attrs in _Page(page).named("script") if "src" in attrs]
    assert scripts_with_src == ["assets/plotly.min.js"]
    assert page.count("assets/plotly.min.js") == 1
    assert "plotly.js v" not in page  # the library is referenced, never inlined


def test_plotly_copy_is_rewritten_only_when_its_content_changed(grades: pl.DataFrame, tmp_path: Path) -> None:
    write_site(grades, tmp_path)
    bundle = tmp_path / "assets" / "plotly.min.js"
    first_mtime = bundle.stat().st_mtime_ns

    assert write_site(grades, tmp_path) == [tmp_path / "index.html"]
    assert bundle.stat().st_mtime_ns == first_mtime

    bundle.write_text("stale", encoding="utf-8")
    assert bundle in write_site(grades, tmp_path)
    assert bundle.read_bytes() == get_plotlyjs().encode("utf-8")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_page_loads_nothing_remote(grades: pl.DataFrame, tmp_path: Path, lang: str) -> None:
    write_site(grades, tmp_path, lang=lang)
    page = _page(tmp_path).lower()

    for marker in ("http://", "https://", "//cdn", "mathjax"):
        assert marker not in page
    parsed = _Page(page)
    links = [attrs["href"] for attrs in parsed.named("a")]
    assert links and all(href is not None and href.startswith("#") for href in links)
    assert not parsed.named("link")  # no external stylesheet or font


def test_hostile_text_is_escaped_and_inert(grades: pl.DataFrame, tmp_path: Path) -> None:
    write_site(grades, tmp_path)
    page = _page(tmp_path)
    parsed = _Page(page)

    assert SCRIPT_BREAKOUT not in page
    assert "<img" not in page.lower()
    assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    # The head script, one per chart (two charts per quarter, two quarters) and the resize script at
    # the end: a name that closed a figure's <script> would add one; the img payload an <img> element.
    assert len(parsed.named("script")) == 1 + 2 * 2 + 1
    assert not parsed.named("img")
    # Escaped, yet shown to the reader exactly as typed.
    cells = {cell for row in parsed.rows for cell in row}
    assert {SCRIPT_BREAKOUT, IMG_ONERROR} <= cells


def test_plotly_json_cannot_close_its_script_tag() -> None:
    """The second line of defence, pinned: the figures pre-escape data text, but raw text that
    reached plotly's JSON must still not end the inline <script> (plotly writes `<` as \\u003c)."""
    block = go.Figure(go.Bar(x=[SCRIPT_BREAKOUT, IMG_ONERROR], y=[1, 2])).to_html(
        full_html=False, include_plotlyjs=False, div_id="probe", config=PLOTLY_CONFIG
    )

    assert block.lower().count("</script") == 1
    assert "<img" not in block.lower()


def test_zh_page_is_chinese(grades: pl.DataFrame, tmp_path: Path) -> None:
    write_site(grades, tmp_path, lang="zh")
    page = _page(tmp_path)

    assert '<html lang="zh-CN">' in page
    for label in ("优秀", "良好", "合格", "不合格", "未评级"):
        assert label in page
    assert '"PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC"' in page
    assert "Excellent" not in page


def test_same_grades_give_identical_bytes_whatever_the_row_order(grades: pl.DataFrame, tmp_path: Path) -> None:
    write_site(grades, tmp_path / "a")
    write_site(grades.reverse(), tmp_path / "b")

    for name in ("index.html", "assets/plotly.min.js"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert 'id="grade-distribution-2026-Q3"' in _page(tmp_path / "a")


def test_table_lists_staff_best_first_and_shows_the_not_rated_reason(grades: pl.DataFrame, tmp_path: Path) -> None:
    write_site(grades, tmp_path)
    rows = _Page(_page(tmp_path)).rows
    header, q3 = rows[0], rows[1:7]

    assert header == [
        "Name",
        "Team",
        "Role",
        "Activity",
        "Content quality",
        "Resolution",
        "Satisfaction",
        "Overall",
        "Grade",
        "Not-rated reason",
    ]
    assert [row[0] for row in q3] == ["Alice Chen", "王小明", "Bob Li", SCRIPT_BREAKOUT, IMG_ONERROR, "Carol Wu"]
    assert q3[4][7] == "40.3"  # half away from zero, the same digits the chart shows
    carol = q3[5]
    assert carol[7:] == ["—", "Not rated", f"too few requests (0 < 20) {SCRIPT_BREAKOUT}"]


def test_quarters_are_newest_first(grades: pl.DataFrame, tmp_path: Path) -> None:
    write_site(grades, tmp_path)
    sections = [attrs["id"] for attrs in _Page(_page(tmp_path)).named("section")]

    assert sections == ["quarter-2026-Q3", "quarter-2026-Q2"]


def test_grade_distribution_counts_every_band_in_fixed_order(grades: pl.DataFrame) -> None:
    q2 = grades.filter(pl.col("quarter") == "2026-Q2")
    (bar,) = grade_distribution_figure(q2).data

    assert list(bar.x) == ["Excellent", "Good", "Pass", "Fail", "Not rated"]
    assert list(bar.y) == [0, 1, 0, 0, 0]


def test_overall_score_bars_are_ranked_and_leave_out_the_unscored(grades: pl.DataFrame) -> None:
    figure = overall_score_figure(grades.filter(pl.col("quarter") == "2026-Q3"), lang="zh")

    assert list(figure.layout.yaxis.categoryarray) == ["s01", "s02", "s03", "s04", "s05"]
    assert [trace.name for trace in figure.data] == ["优秀", "良好", "合格", "不合格"]
    assert "&lt;/script&gt;" in figure.layout.yaxis.ticktext[3]  # plotly.js shows it literally
    assert "活跃度" in figure.data[0].hovertemplate


def test_rejects_input_it_would_misrender(grades: pl.DataFrame, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="language"):
        write_site(grades, tmp_path, lang="fr")
    with pytest.raises(ValueError, match="final_grade"):
        write_site(grades.with_columns(final_grade=pl.lit("A+")), tmp_path)
    with pytest.raises(ValueError, match="quarter"):
        write_site(grades.with_columns(quarter=pl.lit("Q3 2026")), tmp_path)
    assert not (tmp_path / "index.html").exists()


def test_no_grades_gives_a_page_that_says_so(tmp_path: Path) -> None:
    write_site(pl.DataFrame(schema=GRADES_SCHEMA), tmp_path)
    parsed = _Page(_page(tmp_path))

    assert "No grades to show." in _page(tmp_path)
    assert not parsed.named("section") and not parsed.named("nav")
