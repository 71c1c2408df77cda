"""Render the manager dashboard as a static site that works offline.

`write_site` writes `index.html` plus one local copy of plotly.js under `assets/`. Managers open
the page from a file share or a laptop with no network, and KPI_SPEC §6 forbids leaking anything, so
the page loads nothing remote: no CDN script, no MathJax, no web fonts. Figures are embedded with
`include_plotlyjs=False` and deterministic div ids so the same grades give byte-identical files
(golden-file friendly; STYLE.md bans random plotly ids).

Escaping: table cells go through `html.escape`. Inside the figure `<script>` blocks, plotly's JSON
encoder writes `<`, `>` and `/` as `\\u003c`, `\\u003e`, `\\u002f`, so a name such as
`</script>` cannot end the script early (tests/test_dashboards.py pins this); the figures escape
data text for plotly.js's own pseudo-HTML as well (`figures.plot_text`).
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Final

import plotly.graph_objects as go
import polars as pl
from plotly.offline import get_plotlyjs

from dashboards.figures import (
    DIMENSIONS,
    FONT_STACK,
    GRADE_COLOURS,
    GRADE_ORDER,
    MISSING,
    format_score,
    grade_distribution_figure,
    grade_key,
    labels,
    overall_score_figure,
    rank_staff,
)

#: Where the local plotly.js copy lives, relative to the site root; also the page's `src`.
PLOTLY_JS: Final = "assets/plotly.min.js"

#: No plotly logo link; charts follow their card's width.
PLOTLY_CONFIG: Final = {"displaylogo": False, "responsive": True}

HTML_LANG: Final = {"en": "en", "zh": "zh-CN"}

#: Table and hover scores, in display order.
SCORE_COLUMNS: Final = (*DIMENSIONS, "overall_score")

REQUIRED_COLUMNS: Final = (
    "staff_id",
    "name",
    "role",
    "team",
    "quarter",
    *DIMENSIONS,
    "overall_score",
    "final_grade",
    "not_rated_reason",
    "rubric_version",
)

#: Quarter labels become element ids, so only the canonical `YYYY-Qn` form is accepted.
QUARTER_PATTERN: Final = re.compile(r"\d{4}-Q[1-4]")


def write_site(grades: pl.DataFrame, out_dir: Path, *, lang: str = "en") -> list[Path]:
    """Write `out_dir/index.html` and `out_dir/assets/plotly.min.js`; return the paths written.

    `index.html` is always written. The ~4.8 MB plotly.js copy is written only when its bytes
    differ from what is on disk, so re-renders leave its mtime alone (cheap syncs to a file share);
    it then does not appear in the returned list.
    """
    page = render_page(grades, lang=lang)
    out_dir.mkdir(parents=True, exist_ok=True)
    index = out_dir / "index.html"
    index.write_bytes(page.encode("utf-8"))
    written = [index]
    plotly_js = out_dir / PLOTLY_JS
    if _write_if_changed(plotly_js, get_plotlyjs().encode("utf-8")):
        written.append(plotly_js)
    return written


def render_page(grades: pl.DataFrame, *, lang: str = "en") -> str:
    """The whole page as text: one section per quarter, newest first."""
    text = labels(lang)
    check_grades(grades)
    quarters = sorted(grades["quarter"].unique().to_list(), reverse=True)
    sections = [
        _quarter_section(grades.filter(pl.col("quarter") == quarter), quarter, lang) for quarter in quarters
    ]
    if quarters:
        links = " ".join(f'<a href="#quarter-{quarter}">{quarter}</a>' for quarter in quarters)
        nav = f'<nav>{html.escape(text["quarters"])}: {links}</nav>'
        body = "\n".join(sections)
    else:
        nav = ""
        body = f'<p class="empty">{html.escape(text["no_data"])}</p>'
    return f"""<!DOCTYPE html>
<html lang="{HTML_LANG[lang]}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(text["page_title"])}</title>
<style>
{_css()}
</style>
<script src="{PLOTLY_JS}"></script>
</head>
<body>
<header>
  <h1>{html.escape(text["heading"])}</h1>
  {nav}
</header>
<main>
{body}
</main>
<script>
  // Charts are drawn before the grid settles; fit each one to its card once the page has laid out.
  window.addEventListener("load", function () {{
    document.querySelectorAll(".plotly-graph-div").forEach(function (div) {{ Plotly.Plots.resize(div); }});
  }});
</script>
</body>
</html>
"""


def check_grades(grades: pl.DataFrame) -> None:
    """Reject input the page would misrender, naming what is wrong.

    A missing column, an unknown grade or an odd quarter label would otherwise surface as a
    silently wrong chart in front of a manager.
    """
    missing = [column for column in REQUIRED_COLUMNS if column not in grades.columns]
    if missing:
        raise ValueError(f"grades is missing columns: {', '.join(missing)}")
    quarters = grades["quarter"].unique().to_list()
    bad_quarters = sorted(str(q) for q in quarters if not QUARTER_PATTERN.fullmatch(str(q)))
    if bad_quarters:
        raise ValueError(f"quarter labels must look like 2026-Q3; got {bad_quarters}")
    grades_seen = grades.select(grade_key().unique())["final_grade"].to_list()
    unknown = sorted(g for g in grades_seen if g not in GRADE_ORDER)
    if unknown:
        raise ValueError(f"unknown final_grade values {unknown}; expected {list(GRADE_ORDER[:-1])} or null")


def _quarter_section(grades: pl.DataFrame, quarter: str, lang: str) -> str:
    """One quarter: headline counts, the two charts side by side, then the staff table."""
    text = labels(lang)
    rubrics = sorted(grades["rubric_version"].drop_nulls().unique().to_list())
    summary = text["summary"].format(
        staff=grades.height,
        rated=grades["final_grade"].count(),
        rubric=", ".join(rubrics) or MISSING,
    )
    distribution = _chart(
        grade_distribution_figure(grades, lang), f"grade-distribution-{quarter}", text["grade_distribution"]
    )
    overall = _chart(overall_score_figure(grades, lang), f"overall-score-{quarter}", text["overall_by_staff"])
    return f"""<section class="quarter" id="quarter-{quarter}">
  <h2>{quarter}</h2>
  <p class="summary">{html.escape(summary)}</p>
  <div class="charts">
{distribution}
{overall}
  </div>
  <div class="card table-card">
    <h3>{html.escape(text["staff_table"])}</h3>
{_staff_table(grades, lang)}
  </div>
</section>"""


def _chart(figure: go.Figure, div_id: str, caption: str) -> str:
    """A figure as an embeddable block; plotly.js itself is loaded once in <head>."""
    div = figure.to_html(full_html=False, include_plotlyjs=False, div_id=div_id, config=PLOTLY_CONFIG)
    return f"""    <figure class="card">
      <figcaption>{html.escape(caption)}</figcaption>
      {div}
    </figure>"""


def _staff_table(grades: pl.DataFrame, lang: str) -> str:
    """Staff in chart order with scores, grade and not-rated reason; every data string escaped."""
    text = labels(lang)
    rows = rank_staff(grades).with_columns(
        grade_key().alias("grade"),
        *(format_score(column).alias(column) for column in SCORE_COLUMNS),
    )
    header = "".join(
        [
            *(f'<th scope="col">{html.escape(text[c])}</th>' for c in ("name", "team", "role")),
            *(f'<th scope="col" class="num">{html.escape(text[c])}</th>' for c in SCORE_COLUMNS),
            *(f'<th scope="col">{html.escape(text[c])}</th>' for c in ("grade", "not_rated_reason")),
        ]
    )
    body = "\n".join(_staff_row(row, text) for row in rows.iter_rows(named=True))
    return f"""    <table class="staff">
      <thead><tr>{header}</tr></thead>
      <tbody>
{body}
      </tbody>
    </table>"""


def _staff_row(row: dict[str, object], text: dict[str, str]) -> str:
    """One table row; not-rated rows are muted so the reason column reads as the point of the row."""
    grade = str(row["grade"])
    cells = "".join(
        [
            *(f"<td>{_cell(row[c])}</td>" for c in ("name", "team", "role")),
            *(f'<td class="num">{_cell(row[c])}</td>' for c in SCORE_COLUMNS),
            f'<td><span class="grade grade-{grade}">{html.escape(text[grade])}</span></td>',
            f'<td class="reason">{_cell(row["not_rated_reason"])}</td>',
        ]
    )
    css_class = ' class="not-rated"' if grade == "not_rated" else ""
    return f"        <tr{css_class}>{cells}</tr>"


def _cell(value: object) -> str:
    """Escaped cell text; null becomes an empty cell."""
    return "" if value is None else html.escape(str(value))


def _css() -> str:
    """Page styles; the grade dot colours come from `GRADE_COLOURS` so table and charts match."""
    grade_rules = "\n".join(f".grade-{grade} {{ --grade: {colour}; }}" for grade, colour in GRADE_COLOURS.items())
    return f""":root {{
  --text: #1f2933;
  --muted: #616e7c;
  --line: #e4e7eb;
  --bg: #f5f7fa;
  --card: #ffffff;
  --accent: #2f6fb3;
}}
* {{ box-sizing: border-box; }}
body {{
  margin: 0;
  font-family: {FONT_STACK};
  line-height: 1.5;
  color: var(--text);
  background: var(--bg);
}}
header {{ background: var(--card); border-bottom: 1px solid var(--line); padding: 20px 32px; }}
header h1 {{ margin: 0; font-size: 22px; font-weight: 600; }}
nav {{ margin-top: 4px; font-size: 14px; color: var(--muted); }}
nav a {{ color: var(--accent); text-decoration: none; margin-right: 12px; }}
nav a:hover {{ text-decoration: underline; }}
main {{ max-width: 1280px; margin: 0 auto; padding: 24px 32px 48px; }}
.quarter {{ margin-bottom: 48px; }}
.quarter h2 {{ margin: 0; font-size: 20px; font-weight: 600; }}
.summary {{ margin: 2px 0 16px; font-size: 14px; color: var(--muted); }}
.charts {{
  display: grid;
  grid-template-columns: repeat(auto-fit, minmax(380px, 1fr));
  gap: 16px;
  align-items: start;
}}
.card {{ min-width: 0; margin: 0; padding: 16px; background: var(--card); border: 1px solid var(--line); border-radius: 8px; }}
.card figcaption, .card h3 {{ margin: 0 0 8px; font-size: 15px; font-weight: 600; }}
.table-card {{ margin-top: 16px; overflow-x: auto; }}
table {{ width: 100%; border-collapse: collapse; font-size: 14px; }}
th, td {{ padding: 8px 10px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }}
th {{ font-weight: 600; color: var(--muted); white-space: nowrap; }}
.num {{ text-align: right; font-variant-numeric: tabular-nums; }}
tbody tr:hover {{ background: #f0f4f8; }}
tr.not-rated td {{ color: var(--muted); }}
.grade {{ white-space: nowrap; }}
.grade::before {{
  content: "";
  display: inline-block;
  width: 8px;
  height: 8px;
  margin-right: 6px;
  border-radius: 50%;
  background: var(--grade);
}}
{grade_rules}
.empty {{ color: var(--muted); }}"""


def _write_if_changed(path: Path, content: bytes) -> bool:
    """Write `content` unless the file already holds exactly it; True when written."""
    if path.is_file() and path.read_bytes() == content:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return True
