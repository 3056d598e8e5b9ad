"""Integration: a real Prefect server records the run; a real browser renders the report."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

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
    assert {
        "ingest_batch",
        "normalize_batch",
        "nlp_batch",
        "validate_task",
        "publish_task",
    } <= names


def _chromium() -> str | None:
    return (
        shutil.which("chromium")
        or shutil.which("chromium-browser")
        or shutil.which("google-chrome")
    )


@pytest.mark.skipif(_chromium() is None, reason="Chromium is not installed (.ci/run installs it)")
def test_the_report_renders_in_a_headless_browser(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    for seed in sorted(SEEDS.glob("*.txt"))[:2]:
        shutil.copy(seed, inputs)
    (inputs / "empty.txt").write_bytes(b"")
    result = run_cli("run", "--input", str(inputs), "--output", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr[-3000:]
    report = (tmp_path / "out" / "report.html").resolve()
    with tempfile.TemporaryDirectory() as profile:
        flags = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
        ]
        dom = subprocess.run(
            [_chromium(), *flags, "--dump-dom", report.as_uri()],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        ).stdout
        shot = tmp_path / "report.png"
        subprocess.run(
            [
                _chromium(),
                *flags,
                f"--screenshot={shot}",
                "--window-size=1200,900",
                report.as_uri(),
            ],
            capture_output=True,
            timeout=120,
            check=True,
        )
    assert 'id="verdict" class="pass"' in dom
    assert "Why strengthening the Taiwan-Japan alliance makes perfect sense" in dom
    assert "empty file" in dom
    assert shot.stat().st_size > 10_000
