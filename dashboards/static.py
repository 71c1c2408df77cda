"""The site's shared stylesheet and script, written once to `assets/` beside the local plotly.js.

Kept as Python strings rather than package data files so an installed copy of the project can never
miss them. Pages link them instead of inlining them: 7,000 pages would otherwise repeat ~6 KB each.
Neither loads anything: no `@import`, no `url(...)`, no web font, no request of any kind.
"""

from __future__ import annotations

from typing import Final

from dashboards.figures import FONT_STACKS, GRADE_COLOURS

#: Draws every chart the page lists in its `<script type="application/json" id="figures">` block
#: (a data block the browser never executes, so figure JSON is not code), and wires the filter boxes
#: of the long group and staff lists. No mode-bar logo or "edit in Chart Studio" link: both point
#: at plotly.com.
SITE_JS: Final = """\
(function () {
  "use strict";
  var CONFIG = {displaylogo: false, showLink: false, showEditInChartStudio: false, responsive: true};

  function drawCharts() {
    var holder = document.getElementById("figures");
    if (!holder) { return; }
    var figures = JSON.parse(holder.textContent);
    Object.keys(figures).forEach(function (id) {
      var target = document.getElementById(id);
      if (target) { Plotly.newPlot(target, figures[id].data, figures[id].layout, CONFIG); }
    });
  }

  function wireFilters() {
    document.querySelectorAll("input[data-filter]").forEach(function (input) {
      var table = document.getElementById(input.getAttribute("data-filter"));
      if (!table) { return; }
      input.addEventListener("input", function () {
        var query = input.value.trim().toLowerCase();
        table.querySelectorAll("tbody tr").forEach(function (row) {
          row.hidden = query !== "" && row.textContent.toLowerCase().indexOf(query) < 0;
        });
      });
    });
  }

  drawCharts();
  wireFilters();
})();
"""


def site_css(lang: str) -> str:
    """The stylesheet; the font stack is the page language's (CJK faces first for Chinese)."""
    grade_rules = "\n".join(f".grade-{grade} {{ --grade: {colour}; }}" for grade, colour in GRADE_COLOURS.items())
    return f""":root {{
  --text: #1f2933;
  --muted: #616e7c;
  --line: #e4e7eb;
  --bg: #f5f7fa;
  --card: #ffffff;
  --accent: #2f6fb3;
  --bad: #c0392b;
  --good: #1b7f3b;
}}
* {{ box-sizing: border-box; }}
body {{ margin: 0; font-family: {FONT_STACKS[lang]}; line-height: 1.5; color: var(--text); background: var(--bg); }}
a {{ color: var(--accent); text-decoration: none; }}
a:hover {{ text-decoration: underline; }}
.topbar {{ position: sticky; top: 0; z-index: 10; background: #1f2933; }}
.topbar nav {{ max-width: 1280px; margin: 0 auto; padding: 0 32px; display: flex; flex-wrap: wrap; gap: 4px 20px; align-items: center; min-height: 48px; }}
.topbar a {{ color: #e4e7eb; font-size: 14px; }}
.topbar a.brand {{ color: #ffffff; font-weight: 600; margin-right: 12px; }}
.topbar a[aria-current="page"] {{ color: #ffffff; border-bottom: 2px solid #ffffff; }}
main {{ max-width: 1280px; margin: 0 auto; padding: 20px 32px 48px; }}
h1 {{ margin: 8px 0 0; font-size: 24px; font-weight: 600; overflow-wrap: anywhere; }}
.subtitle {{ margin: 2px 0 20px; color: var(--muted); font-size: 14px; overflow-wrap: anywhere; }}
.subtitle span + span::before {{ content: " · "; }}
section {{ margin: 0 0 20px; }}
h2 {{ margin: 0 0 8px; font-size: 17px; font-weight: 600; }}
.grid {{ display: grid; grid-template-columns: repeat(auto-fit, minmax(440px, 1fr)); gap: 16px; align-items: start; }}
.card {{ min-width: 0; margin: 0; padding: 16px; background: var(--card); border: 1px solid var(--line); border-radius: 8px; }}
.card > h2, figure.card > figcaption {{ margin: 0 0 8px; font-size: 15px; font-weight: 600; }}
.chart {{ width: 100%; min-height: 120px; }}
.cards {{ display: grid; grid-template-columns: repeat(auto-fit, minmax(170px, 1fr)); gap: 12px; margin-bottom: 20px; }}
.stat {{ padding: 12px 16px; background: var(--card); border: 1px solid var(--line); border-radius: 8px; }}
.stat .value {{ display: block; font-size: 24px; font-weight: 600; font-variant-numeric: tabular-nums; }}
.stat .label {{ color: var(--muted); font-size: 13px; }}
.table-wrap {{ overflow-x: auto; }}
table {{ width: 100%; border-collapse: collapse; font-size: 14px; }}
th, td {{ padding: 6px 10px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }}
th {{ font-weight: 600; color: var(--muted); }}
td {{ overflow-wrap: anywhere; }}
.num {{ text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }}
tbody tr:hover {{ background: #f0f4f8; }}
tr.muted td {{ color: var(--muted); }}
.grade {{ white-space: nowrap; }}
.grade::before {{ content: ""; display: inline-block; width: 8px; height: 8px; margin-right: 6px; border-radius: 50%; background: var(--grade); }}
{grade_rules}
.nowrap {{ white-space: nowrap; }}
.tag {{ display: inline-block; white-space: nowrap; padding: 0 6px; margin-left: 6px; border-radius: 4px; background: var(--line); color: var(--muted); font-size: 12px; }}
.pass {{ color: var(--good); font-weight: 600; }}
.fail-result {{ color: var(--bad); font-weight: 600; }}
.note {{ color: var(--muted); font-size: 13px; margin: 4px 0 8px; }}
.empty {{ color: var(--muted); margin: 8px 0; }}
.filter {{ width: 100%; max-width: 360px; margin: 0 0 8px; padding: 6px 10px; border: 1px solid var(--line); border-radius: 6px; font: inherit; }}
details > summary {{ cursor: pointer; color: var(--accent); margin: 8px 0; }}
footer {{ max-width: 1280px; margin: 0 auto; padding: 16px 32px 32px; color: var(--muted); font-size: 13px; }}
footer span + span::before {{ content: " · "; }}
"""
