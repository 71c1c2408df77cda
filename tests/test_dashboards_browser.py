"""The dashboards in a real browser: headless Chromium (Debian's, installed by `make browser`) opens
every page type from file://, with hostile names fed through the whole pipeline.

The data is a copy of data_samples/ with names an attacker would choose: a staff member and a team
lead, two groups (config files) and a member's display name and a chat title in a Telegram export.
The real pipeline (Dagster materialisation) builds the English site; `kpi dashboards --lang zh`
builds the Chinese one from the same warehouse. Screenshots go to build/screenshots/ for a person
to look at.
"""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dashboards.site import page_slugs
from tests.conftest import REPO, materialize_all, query

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None:
    pytest.skip("Chromium not found: `make browser` installs Debian's chromium and fonts-noto-cjk", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright missing: pip install -c constraints.txt -e '.[dev]'")

#: As documented for running Chromium headless as root in a container; no network features.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
SCREENSHOTS = REPO / "build" / "screenshots"

# plotly.js draws <b>, <br> and <a href> in chart text as markup and decodes &amp;: names carry those too,
# so a chart that forgot to escape shows a different text (bold, a line break, a live link).
STAFF_IMG = "<img src=x onerror=alert('staff')><a href=\"https://example.com/x\">link</a>"
STAFF_SCRIPT = '</script><script>alert("lead")</script>'
GROUP_SCRIPT = "</script><script>alert(1)</script>"
GROUP_IMG = "<img src=x onerror=alert(2)> <b>bold</b><br>&amp; \"quoted\" 'name'"
TEAM_TAGS = "<b>bold</b><iframe src=javascript:alert(5)>"
SENDER_IMG = "<img src=x onerror=alert(3)>"
CHAT_TITLE = "<svg onload=alert(4)>"


def _rewrite_csv(path: Path, change) -> None:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        fields, rows = reader.fieldnames, list(reader)
    for row in rows:
        change(row)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)


def _hostile_names(data: Path) -> None:
    def staff(row):
        row["name"] = {"S003": STAFF_IMG, "S001": STAFF_SCRIPT}.get(row["staff_id"], row["name"])
        if row["staff_id"] == "S004":
            row["team"] = TEAM_TAGS

    def groups(row):
        row["name"] = {"G01": GROUP_SCRIPT, "G03": GROUP_IMG}.get(row["group_id"], row["name"])

    _rewrite_csv(data / "config" / "roster.csv", staff)
    _rewrite_csv(data / "config" / "groups.csv", groups)
    export = data / "exports" / "telegram" / "overseas_member_service" / "result.json"
    chat = json.loads(export.read_text(encoding="utf-8"))
    chat["name"] = CHAT_TITLE
    renamed = 0
    for message in chat["messages"]:
        if message.get("from_id") == "user7310002422":  # a member (赵先生), not a roster handle
            message["from"] = SENDER_IMG
            renamed += 1
    assert renamed > 5
    export.write_text(json.dumps(chat, ensure_ascii=False), encoding="utf-8")


@pytest.fixture(scope="module")
def sites(tmp_path_factory) -> dict[str, Path]:
    """{"en": site, "zh": site} built by the real pipeline from the hostile copy of the samples."""
    root = tmp_path_factory.mktemp("browser")
    data = root / "data"
    shutil.copytree(REPO / "data_samples", data, ignore=shutil.ignore_patterns("generate*.py", "README.md"))
    _hostile_names(data)
    out = root / "out"
    assert materialize_all(data, out).success
    assert query(out, "select count(*) from staging.stg_chat__messages where sender_name = $n", {"n": SENDER_IMG})[0][0] > 5
    zh_out = root / "out_zh"
    zh_out.mkdir()
    shutil.copy(out / "warehouse.duckdb", zh_out / "warehouse.duckdb")
    done = subprocess.run([sys.executable, "-m", "pipelines.cli", "dashboards", "--data", str(data), "--out", str(zh_out),
                           "--lang", "zh"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return {"en": out / "dashboards", "zh": zh_out / "dashboards", "out": out}


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Visit:
    """A page opened from file:// with everything that must never happen recorded: console errors,
    uncaught exceptions, dialogs (alert/confirm: a hostile name executing), and any request that is
    not a local file (it is blocked, then reported)."""

    def __init__(self, browser) -> None:
        self.page = browser.new_page(viewport={"width": 1366, "height": 900})
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.remote: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("dialog", self._dialog)
        self.page.route("**/*", self._route)

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def _route(self, route) -> None:
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            self.remote.append(route.request.url)
            route.abort()

    def open(self, path: Path) -> None:
        self.page.goto(path.as_uri())
        self.wait_for_charts()

    def follow(self, selector: str) -> None:
        """Click a link and wait for the page it leads to, charts drawn."""
        with self.page.expect_navigation():
            self.page.click(selector)
        self.wait_for_charts()

    def wait_for_charts(self) -> None:
        """Until every chart the page's figure data lists has been drawn by plotly.js."""
        self.page.wait_for_function(
            "() => { const h = document.getElementById('figures'); if (!h) { return false; }"
            " const f = JSON.parse(h.textContent);"
            " return Object.keys(f).every(id => document.getElementById(id)?.querySelector('.main-svg')); }",
            timeout=20_000,
        )

    def clean(self) -> None:
        assert self.errors == [], self.errors
        assert self.dialogs == [], f"script from the data ran: {self.dialogs}"
        assert self.remote == [], f"requests left the machine: {self.remote}"

    def close(self) -> None:
        self.page.close()


#: Every chart: drawn by plotly (its div got `js-plotly-plot` and an SVG with a size), and not empty
#: (bars, lines or heatmap cells in it).
CHART_STATE = """() => Object.keys(JSON.parse(document.getElementById('figures').textContent)).map(id => {
    const div = document.getElementById(id);
    const svg = div.querySelector('.main-svg');
    const box = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
    const marks = div.querySelectorAll('.cartesianlayer .trace .point, .cartesianlayer .trace path.js-line, .hm image');
    return {id, plotly: div.classList.contains('js-plotly-plot'), width: box.width, height: box.height, marks: marks.length};
})"""


def _page_types(site: Path, out: Path) -> dict[str, Path]:
    unassigned = query(out, "select distinct group_id from staging.stg_chat__messages where group_category = 'unassigned'")[0][0]
    return {
        "overview": site / "index.html",
        "quality": site / "quality.html",
        "group": site / "groups" / "G01.html",
        "group-unassigned": site / "groups" / f"{page_slugs([unassigned])[unassigned]}.html",
        "staff": site / "staff" / "S003.html",
    }


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_page_type_renders_every_chart_without_errors(sites, browser, lang):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for name, path in _page_types(sites[lang], sites["out"]).items():
        visit = Visit(browser)
        try:
            visit.open(path)
            charts = visit.page.evaluate(CHART_STATE)
            assert charts, f"{name}: no chart"
            for chart in charts:
                assert chart["plotly"] and chart["width"] > 100 and chart["height"] > 100, (name, chart)
                assert chart["marks"] > 0, f"{name}: {chart['id']} drew nothing"
            assert visit.page.evaluate("document.querySelectorAll('img, iframe, svg [onload]').length") == 0
            assert visit.page.evaluate("document.scripts.length") == 3, "plotly.js, the figure data, site.js"
            shot = SCREENSHOTS / f"{lang}-{name}.png"
            visit.page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 20_000
            visit.clean()
        finally:
            visit.close()


def test_hostile_names_show_literally_and_nothing_runs(sites, browser):
    site = sites["en"]
    visit = Visit(browser)
    try:
        visit.open(site / "groups" / "G01.html")
        assert visit.page.inner_text("h1") == GROUP_SCRIPT
        subtitle = visit.page.inner_text(".subtitle")
        assert STAFF_IMG in subtitle and STAFF_SCRIPT in subtitle, "owner and assigned staff named literally"
        assert visit.page.title().startswith(GROUP_SCRIPT)

        visit.open(site / "groups" / "G03.html")
        assert visit.page.inner_text("h1") == GROUP_IMG

        visit.open(site / "index.html")
        chart_text = visit.page.evaluate("[...document.querySelectorAll('.js-plotly-plot text')].map(t => t.textContent)")
        assert GROUP_SCRIPT in chart_text and GROUP_IMG in chart_text, "group names drawn as text in the ranking"
        assert STAFF_IMG in chart_text, "staff name drawn as text in the ranking"
        assert TEAM_TAGS in visit.page.inner_text("#staff-table")
        page_text = visit.page.inner_text("body")
        for hidden in (SENDER_IMG, CHAT_TITLE):
            assert hidden not in page_text

        visit.open(site / "staff" / "S003.html")
        assert visit.page.inner_text("h1") == STAFF_IMG
        visit.clean()
    finally:
        visit.close()
    for path in site.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert "onerror=alert(3)" not in text and "onload=alert(4)" not in text, \
            f"{path}: a member's display name or the export's chat title reached the page"
        assert "<img" not in text and "<iframe" not in text and "<svg" not in text and "</script><script>" not in text


def test_navigation_links_lead_to_the_pages(sites, browser):
    site = sites["en"]
    visit = Visit(browser)
    try:
        visit.open(site / "index.html")
        visit.follow("header nav >> text=Data quality")
        assert visit.page.url.endswith("/quality.html") and visit.page.inner_text("h1") == "Data quality"

        visit.follow("header nav a.brand")
        assert visit.page.url.endswith("/index.html") and visit.page.inner_text("h1") == "Overview"

        visit.follow('#groups-table a[href="groups/G01.html"]')
        assert visit.page.url.endswith("/groups/G01.html") and visit.page.inner_text("h1") == GROUP_SCRIPT

        visit.follow('.subtitle a[href="../staff/S003.html"]')
        assert visit.page.url.endswith("/staff/S003.html") and visit.page.inner_text("h1") == STAFF_IMG

        visit.follow("header nav >> text=Groups")
        assert visit.page.url.endswith("/index.html#groups")
        assert visit.page.evaluate("document.getElementById('groups').getBoundingClientRect().top") < 200, \
            "the Groups link scrolls to the group list"

        visit.page.fill('input[data-filter="staff-table"]', "S003")
        visible_rows = visit.page.evaluate("[...document.querySelectorAll('#staff-table tbody tr')].filter(r => !r.hidden).length")
        assert visible_rows == 1, "the filter box narrows the list"
        visit.clean()
    finally:
        visit.close()


def test_chinese_pages_render_in_a_cjk_font(sites, browser):
    visit = Visit(browser)
    try:
        visit.open(sites["zh"] / "index.html")
        assert visit.page.evaluate("document.documentElement.lang") == "zh-CN"
        assert visit.page.inner_text("h1") == "总览"
        assert visit.page.evaluate("""document.fonts.check('16px "Noto Sans CJK SC"', '社群')"""), \
            "Noto Sans CJK SC is installed (fonts-noto-cjk) and matches Chinese text"
        assert visit.page.evaluate("getComputedStyle(document.body).fontFamily").startswith('"Noto Sans CJK SC"')
        chart_font = visit.page.evaluate("getComputedStyle(document.querySelector('.js-plotly-plot .xtick text')).fontFamily")
        assert "Noto Sans CJK SC" in chart_font
        # A CJK character drawn in the page's font is as wide as its em square; a missing glyph (tofu)
        # or a Latin fallback would not be.
        width = visit.page.evaluate("""(() => { const c = document.createElement('canvas').getContext('2d');
            c.font = '20px ' + getComputedStyle(document.body).fontFamily; return c.measureText('社群考核').width; })()""")
        assert 76 <= width <= 84
        visit.clean()
    finally:
        visit.close()
