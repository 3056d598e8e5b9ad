"""Integration: a real Prefect server records the run; a real browser renders the report."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

try:
    from selenium.webdriver.common.by import By
except ImportError:  # the browser tests skip; the Prefect server tests still run
    By = None

from .conftest import SEEDS
from .test_pipeline import run_cli

pytestmark = pytest.mark.integration
SERVER_START_TIMEOUT_S = 90


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get_json(url: str, payload: dict | None = None) -> object:
    data = json.dumps(payload).encode() if payload is not None else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


@pytest.fixture(scope="module")
def prefect_server(tmp_path_factory: pytest.TempPathFactory):
    home = tmp_path_factory.mktemp("prefect-home")
    port = _free_port()
    env = {
        **os.environ,
        "PREFECT_HOME": str(home),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "PREFECT_UI_ENABLED": "false",
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "prefect",
            "server",
            "start",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    api = f"http://127.0.0.1:{port}/api"
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            _get_json(f"{api}/health")
            break
        except OSError:
            time.sleep(0.5)
    else:
        server.terminate()
        pytest.fail("Prefect server did not start")
    yield api, home
    server.terminate()
    server.wait(timeout=30)


def test_a_run_is_recorded_by_a_running_prefect_server(prefect_server, tmp_path: Path) -> None:
    api, home = prefect_server
    inputs = tmp_path / "in"
    inputs.mkdir()
    shutil.copy(sorted(SEEDS.glob("*.txt"))[0], inputs)
    result = run_cli(
        "run",
        "--input",
        str(inputs),
        "--output",
        str(tmp_path / "out"),
        env={"PREFECT_API_URL": api, "PREFECT_HOME": str(home)},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    runs = _get_json(f"{api}/flow_runs/filter", {"limit": 10})
    states = [(run["state"]["type"], run["name"]) for run in runs]
    assert any(state == "COMPLETED" for state, _ in states), states
    tasks = _get_json(f"{api}/task_runs/filter", {"limit": 50})
    names = {task["task_key"].split("-")[0] for task in tasks}
    # One task per batch runs the whole chain (flows/pipeline.py process_batch), then the
    # corpus-level tasks.
    assert {"process_batch", "build_tables", "validate_task", "publish_task"} <= names


# --- the run report and Data Docs in a real browser --------------------------------------------

# An article whose headline and a paragraph carry markup: the report must show it as text.
HOSTILE_ARTICLE = """\
Harbour council approves <script>document.title="pwned";window.__pwned=1</script> flood barrier plan

The city council voted on Tuesday to approve a long-delayed flood barrier for the old harbour, \
ending three years of argument over its cost and its effect on the fishing fleet that still works \
from the quay.

Councillors backed the plan by twenty-one votes to nine after a four-hour debate. The barrier, a \
row of steel gates that can be raised when storm tides are forecast, is expected to cost about 48 \
million pounds and to take two years to build.

Residents of the streets behind the harbour wall, which flooded twice last winter, welcomed the \
decision. "We have been pumping water out of our kitchens every February," said one shop owner, \
who asked that the council publish the timetable for the works \
<img src=x onerror="window.__pwned=2"> as soon as possible.

Fishermen had warned that the gates would narrow the harbour mouth and make it harder to land \
catches in bad weather. The council said the final design leaves the main channel at its present \
width and that the gates will stay open except during storm warnings.

Work is due to begin in the spring, once the contract has been awarded.
"""
HOSTILE_TITLE = 'Harbour council approves <script>document.title="pwned"'
# File names carry markup too ('/' cannot appear in a name, so the tags stay unclosed).
HOSTILE_NAME = "harbour <b>council<b>.txt"
HOSTILE_EMPTY = "<img src=x onerror=window.__pwned=3>.txt"
CHARTS = ("chart-removed-share", "chart-block-kinds", "chart-entity-labels", "chart-stage-seconds")
BROWSER_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
WINDOW_WIDTH = 1280
WINDOW_HEIGHT = 900
# Full-page screenshots stop here (a 1,000-document report would make a huge image).
MAX_SCREENSHOT_HEIGHT = 8000
MIN_SCREENSHOT_BYTES = 10_000
PAGE_LOAD_TIMEOUT_S = 60
# Screenshots are also kept here for CI to upload; the folder ignores itself in git.
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
# Data Docs (GX) link Bootstrap, jQuery and friends from public CDNs; tests run offline, so those
# loads fail, and GX's inline scripts then miss the globals the CDN scripts define. Those are the
# only SEVERE console messages allowed on the Data Docs page.
ARTIFACTS_READ_LIMIT = 50
CDN_GLOBALS = ("$", "jQuery", "bootstrap", "Popper", "vegaEmbed", "vega", "vl")


def _chromium() -> str | None:
    return (
        shutil.which("chromium")
        or shutil.which("chromium-browser")
        or shutil.which("google-chrome")
    )


def _chromedriver() -> str | None:
    return shutil.which("chromedriver")


needs_browser = pytest.mark.skipif(
    _chromium() is None or _chromedriver() is None or By is None,
    reason="Chromium, chromedriver or selenium is missing (.ci/run installs chromium "
    "chromium-driver; selenium is in the test extra)",
)


@pytest.fixture(scope="module")
def report_run(prefect_server, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One run on a real Prefect server: two seeds, the hostile article and a hostile empty file."""
    api, home = prefect_server
    root = tmp_path_factory.mktemp("report-run")
    inputs = root / "in"
    inputs.mkdir()
    for seed in sorted(SEEDS.glob("*.txt"))[:2]:
        shutil.copy(seed, inputs)
    (inputs / HOSTILE_NAME).write_text(HOSTILE_ARTICLE, encoding="utf-8")
    (inputs / HOSTILE_EMPTY).write_bytes(b"")
    output = root / "out"
    result = run_cli(
        "run",
        "--input",
        str(inputs),
        "--output",
        str(output),
        env={"PREFECT_API_URL": api, "PREFECT_HOME": str(home)},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    snapshot = (output / "latest").resolve()
    return {
        "api": api,
        "output": output,
        "snapshot": snapshot,
        "report": snapshot / "report.html",
        "summary": json.loads((snapshot / "summary.json").read_text()),
        "validation": json.loads((snapshot / "validation.json").read_text()),
    }


def test_the_run_summary_is_a_prefect_artifact_on_the_flow_run(report_run) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        ArtifactFilter,
        ArtifactFilterKey,
        FlowRunFilter,
        TaskRunFilter,
    )
    from prefect.client.schemas.sorting import ArtifactSort
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from flows.report import ARTIFACT_KEY

    run_id = report_run["summary"]["run_id"]
    with (
        temporary_settings(updates={PREFECT_API_URL: report_run["api"]}),
        get_client(sync_client=True) as client,
    ):
        # Every field explicit: this client sends unset ones as null, which the server refuses.
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[ARTIFACT_KEY])),
            flow_run_filter=FlowRunFilter(),
            task_run_filter=TaskRunFilter(),
            sort=ArtifactSort.CREATED_DESC,
            limit=ARTIFACTS_READ_LIMIT,
            offset=0,
        )
        ours = [a for a in artifacts if run_id in str(a.data)]
        assert len(ours) == 1, [a.description for a in artifacts]
        artifact = ours[0]
        assert artifact.type == "markdown"
        assert artifact.flow_run_id is not None
        flow_run = client.read_flow_run(artifact.flow_run_id)
    assert flow_run.state is not None and flow_run.state.is_completed()
    markdown = str(artifact.data)
    assert "**Validation PASSED**" in markdown and "empty file" in markdown
    assert (
        "<script" not in markdown and "&lt;img src=x onerror=window.\\_\\_pwned=3&gt;" in markdown
    )
    assert str(report_run["report"]) in markdown


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if _chromium() is None or _chromedriver() is None:
        pytest.skip("Chromium and chromedriver are not installed")
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(_chromium())
    for flag in BROWSER_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--window-size={WINDOW_WIDTH},{WINDOW_HEIGHT}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # The system chromedriver, so Selenium Manager never tries to download one.
    driver = webdriver.Chrome(options=options, service=Service(executable_path=_chromedriver()))
    driver.set_page_load_timeout(PAGE_LOAD_TIMEOUT_S)
    yield driver
    driver.quit()


def _open(driver: Any, page: Path) -> list[dict[str, Any]]:
    """Load a page; returns the console messages it logged while loading."""
    driver.get_log("browser")  # drop messages of earlier pages
    driver.get(page.as_uri())
    return driver.get_log("browser")


def _screenshot(driver: Any, tmp_path: Path, name: str) -> Path:
    """A full-page PNG in the test's tmp dir, copied under tests/artifacts/ for CI."""
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(WINDOW_WIDTH, min(int(height), MAX_SCREENSHOT_HEIGHT))
    shot = tmp_path / name
    assert driver.save_screenshot(str(shot))
    driver.set_window_size(WINDOW_WIDTH, WINDOW_HEIGHT)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / ".gitignore").write_text("*\n")
    shutil.copy(shot, ARTIFACTS / name)
    assert shot.stat().st_size > MIN_SCREENSHOT_BYTES
    return shot


def _severe(messages: list[dict[str, Any]]) -> list[str]:
    return [m["message"] for m in messages if m["level"] == "SEVERE"]


@needs_browser
def test_the_report_draws_its_charts_without_console_errors(
    report_run, browser, tmp_path: Path
) -> None:
    messages = _open(browser, report_run["report"])
    assert _severe(messages) == []
    assert browser.title == f"Broadsheet run {report_run['summary']['run_id']}"
    assert "pass" in browser.find_element(By.ID, "verdict").get_attribute("class")
    for anchor in CHARTS:
        svg = browser.find_element(By.CSS_SELECTOR, f"#{anchor} svg")
        assert svg.size["width"] > 0 and svg.size["height"] > 0, anchor
        marks = svg.find_elements(By.CSS_SELECTOR, ".role-mark path, .role-mark rect")
        assert marks, f"{anchor}: no marks drawn"
        assert svg.get_attribute("aria-labelledby") == f"{anchor}-caption"
        caption = browser.find_element(By.ID, f"{anchor}-caption").text
        assert "From " in caption, anchor  # every chart names the table and column it shows
    body = browser.find_element(By.TAG_NAME, "body").text
    assert "empty file" in body  # the quarantine reason
    assert "Why strengthening the Taiwan-Japan alliance makes perfect sense" not in body  # folded
    _screenshot(browser, tmp_path, "report.png")


@needs_browser
def test_markup_in_documents_shows_as_text_and_runs_nothing(report_run, browser) -> None:
    messages = _open(browser, report_run["report"])
    assert _severe(messages) == []
    assert browser.execute_script("return window.__pwned === undefined")
    assert "pwned" not in browser.title
    assert browser.find_elements(By.TAG_NAME, "script") == []
    assert browser.find_elements(By.TAG_NAME, "img") == []
    assert browser.find_elements(By.CSS_SELECTOR, "td b") == []  # '<b>' in a file name
    # The hostile empty file is quarantined: its name is shown, as text, in the quarantine list.
    assert HOSTILE_EMPTY in browser.find_element(By.TAG_NAME, "body").text
    # The hostile article is a document: its title and source name show once the list is open.
    browser.find_element(By.CSS_SELECTOR, "#documents-list summary").click()
    documents = browser.find_element(By.ID, "documents-list").text
    assert HOSTILE_TITLE in documents
    assert HOSTILE_NAME in documents
    assert browser.execute_script("return window.__pwned === undefined")


@needs_browser
def test_the_data_docs_index_renders(report_run, browser, tmp_path: Path) -> None:
    index = report_run["validation"].get("data_docs_index")
    if not index:
        pytest.skip("validation.json has no data_docs_index yet (Data Docs land with validation)")
    page = report_run["snapshot"] / index
    assert page.is_file(), page
    messages = _open(browser, page)
    severe = _severe(messages)
    assert [m for m in severe if not _is_cdn_consequence(m)] == []
    assert browser.find_element(By.TAG_NAME, "body").text.strip()
    _screenshot(browser, tmp_path, "data_docs_index.png")


@needs_browser
@pytest.mark.parametrize("entry", ["snapshot", "output"])
def test_the_report_links_into_data_docs(report_run, browser, entry: str) -> None:
    """The report's Data Docs link works from the snapshot and from output/report.html."""
    index = report_run["validation"].get("data_docs_index")
    if not index:
        pytest.skip("validation.json has no data_docs_index yet (Data Docs land with validation)")
    report = report_run["report"] if entry == "snapshot" else report_run["output"] / "report.html"
    # output/report.html is a link to latest/report.html; a browser resolves relative links
    # against the link's own folder, so publish also links output/data_docs -> latest/data_docs.
    _open(browser, report)
    browser.find_element(By.CSS_SELECTOR, "#data-docs a").click()
    assert browser.current_url.endswith(index)
    assert browser.find_element(By.TAG_NAME, "body").text.strip()
    assert _severe(browser.get_log("browser")) == []


def _is_cdn_consequence(message: str) -> bool:
    """A failed load of a remote (http/https) asset, or an inline script missing its CDN global."""
    remote_load = ("http://" in message or "https://" in message) and (
        "Failed to load resource" in message or "net::ERR_" in message
    )
    missing_global = any(f"{name} is not defined" in message for name in CDN_GLOBALS)
    return remote_load or missing_global
