"""The analysts' UI for real: dagster-webserver on 127.0.0.1 lists the assets over GraphQL, launches
one monthly partition of the KPI job, the run succeeds, and a headless Chromium screenshot of the
asset graph lands under build/."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from pipelines.definitions import defs

from .conftest import REPO

SCREENSHOTS = REPO / "build" / "screenshots"
CHROMIUM = shutil.which("chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def graphql(url: str, query: str, variables: dict | None = None) -> dict:
    request = urllib.request.Request(
        f"{url}/graphql", data=json.dumps({"query": query, "variables": variables or {}}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        body = json.loads(response.read())
    assert "errors" not in body, body["errors"]
    return body["data"]


@pytest.fixture(scope="module")
def webserver(tmp_path_factory):
    """dagster-webserver over the project's workspace.yaml with the sample data, a private
    DAGSTER_HOME whose runs start at once (no daemon) in subprocesses, and a fresh warehouse."""
    root = tmp_path_factory.mktemp("ui")
    home, out = root / "dagster_home", root / "out"
    home.mkdir()
    out.mkdir()
    # the project's instance config (one-writer pool) plus a coordinator that starts runs at once
    (home / "dagster.yaml").write_text(
        (REPO / "dagster.yaml").read_text(encoding="utf-8")
        + "run_coordinator:\n  module: dagster._core.run_coordinator\n  class: DefaultRunCoordinator\n",
        encoding="utf-8")
    port = free_port()
    env = {**os.environ, "DAGSTER_HOME": str(home), "KPI_DATA_DIR": str(REPO / "data_samples"),
           "KPI_OUT_DIR": str(out), "KPI_WAREHOUSE": str(out / "warehouse.duckdb")}
    log = (root / "webserver.log").open("w")
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "dagster-webserver"), "-w", "workspace.yaml", "-h", "127.0.0.1",
         "-p", str(port)], cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                urllib.request.urlopen(f"{url}/server_info", timeout=5)
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError((root / "webserver.log").read_text()[-3000:]) from None
                time.sleep(1)
        yield url, out
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def test_graphql_lists_every_asset(webserver):
    url, _ = webserver
    data = graphql(url, "{ assetNodes { assetKey { path } groupName description } }")
    listed = {"/".join(node["assetKey"]["path"]) for node in data["assetNodes"]}
    expected = {key.to_user_string() for key in defs.resolve_asset_graph().get_all_asset_keys()}
    assert listed == expected
    assert all(node["groupName"] and node["description"] for node in data["assetNodes"])


LAUNCH = """
mutation($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message }
    ... on InvalidSubsetError { message }
    ... on RunConfigValidationInvalid { errors { message } }
  }
}"""

STATUS = "query($id: ID!) { runOrError(runId: $id) { __typename ... on Run { status } } }"


def test_launch_one_monthly_partition_over_graphql(webserver):
    url, out = webserver
    params = {
        "selector": {"repositoryLocationName": "community_kpi", "repositoryName": "__repository__",
                     "jobName": "monthly_kpi_job"},
        "executionMetadata": {"tags": [{"key": "dagster/partition", "value": "2026-07-01"}]},
        "runConfigData": {},
    }
    launched = graphql(url, LAUNCH, {"params": params})["launchRun"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    run_id = launched["run"]["runId"]
    deadline = time.monotonic() + 600
    while (status := graphql(url, STATUS, {"id": run_id})["runOrError"]["status"]) not in (
            "SUCCESS", "FAILURE", "CANCELED"):
        assert time.monotonic() < deadline, f"run {run_id} still {status}"
        time.sleep(2)
    assert status == "SUCCESS"
    import duckdb

    with duckdb.connect(str(out / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from marts.fct_scores where period = '2026-07'").fetchall()[0][0] > 0


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (make test installs it)")
def test_screenshot_of_the_asset_graph(webserver):
    url, _ = webserver
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shots = {
        "dagster_asset_graph.png": ("/asset-groups", ["raw", "staging", "intermediate", "marts", "publish"]),
        "dagster_marts_group.png": ("/locations/community_kpi/asset-groups/marts", ["fct_grades__staff"]),
    }
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        for name, (route, labels) in shots.items():
            page.goto(f"{url}{route}", wait_until="networkidle", timeout=120_000)
            skip = page.get_by_role("button", name="Skip")  # the UI's first-visit newsletter dialog
            if skip.count():
                skip.first.click()
            for label in labels:
                page.get_by_text(label, exact=True).first.wait_for(timeout=120_000)
            page.screenshot(path=str(SCREENSHOTS / name))
        browser.close()
    for name in shots:
        assert (SCREENSHOTS / name).stat().st_size > 20_000
