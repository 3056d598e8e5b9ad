"""``broadsheet serve``: its argument checks (no server), and a served schedule on a real Prefect
server that runs twice and publishes snapshots (integration)."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from prefect.settings import PREFECT_API_URL, temporary_settings

from flows import serve
from flows.cli import main

from .conftest import SEEDS
from .test_integration import SERVER_START_TIMEOUT_S, _free_port, _get_json

INTERVAL_S = 5
DEPLOYMENT = "test-schedule"
RUNS_WANTED = 2
# Two cold runs of two seeds take about 40 s on 2 cores; CI machines may be slower.
RUNS_TIMEOUT_S = 240
SHUTDOWN_TIMEOUT_S = 30


# --- argument checks, no server ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        ([], "exactly one of --cron EXPR or --interval SECONDS"),
        (["--cron", "0 6 * * *", "--interval", "60"], "exactly one of"),
        (["--cron", "every day"], "--cron: not a valid cron expression: 'every day'"),
        (["--cron", "61 * * * *"], "not a valid cron expression"),
        (["--interval", "0"], "--interval: must be a number of seconds > 0, got '0'"),
        (["--interval", "-5"], "must be a number of seconds > 0"),
        (["--interval", "soon"], "must be a number of seconds > 0, got 'soon'"),
        (["--interval", "nan"], "must be a number of seconds > 0"),
    ],
)
def test_a_bad_schedule_is_a_one_line_usage_error(
    flags: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["serve", *flags]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1, err


def test_schedules_that_parse() -> None:
    assert serve.parse_schedule("*/15 * * * *", None) == serve.ServeSchedule(cron="*/15 * * * *")
    assert serve.parse_schedule(None, "90") == serve.ServeSchedule(interval=90.0)
    assert serve.parse_schedule(None, "0.5").describe() == "every 0.5 s"


def test_parameters_are_absolute_and_the_input_must_exist(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "in").mkdir()
    assert serve.deployment_parameters("in", "out", None) == {
        "input": str(tmp_path / "in"),
        "output": str(tmp_path / "out"),
        "config": None,
    }
    url = "https://example.org/article.txt"
    assert serve.deployment_parameters(url, "out", None)["input"] == url
    with pytest.raises(serve.ServeError, match="input not found: missing"):
        serve.deployment_parameters("missing", "out", None)


def test_a_bad_settings_file_is_a_usage_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[run]\nbatch_sise = 3\n")
    args = ["serve", "--interval", "60", "--input", str(SEEDS), "--config", str(bad)]
    assert main(args) == 2


def test_without_a_server_serve_says_it_needs_one(capsys: pytest.CaptureFixture[str]) -> None:
    # No PREFECT_API_URL: Prefect would use its ephemeral server, which has no scheduler.
    with temporary_settings(restore_defaults={PREFECT_API_URL}):
        assert main(["serve", "--interval", "60", "--input", str(SEEDS)]) == 2
    err = capsys.readouterr().err
    assert "serve needs a running Prefect server" in err and "prefect server start" in err


def test_a_server_that_does_not_answer_is_named_without_credentials(
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = f"http://user:secret@127.0.0.1:{_free_port()}/api"
    with temporary_settings(updates={PREFECT_API_URL: url}):
        assert main(["serve", "--interval", "60", "--input", str(SEEDS)]) == 2
    err = capsys.readouterr().err
    assert "does not answer" in err and "secret" not in err and "127.0.0.1" in err


# --- a real server, a served schedule ------------------------------------------------------------


def _stop(process: subprocess.Popen, sig: signal.Signals) -> int | None:
    """Send ``sig`` to a process started in its own session and wait; then kill what is left of
    its process group (a flow run it started, or itself when it did not exit in time)."""
    if process.poll() is None:
        process.send_signal(sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=SHUTDOWN_TIMEOUT_S)
    with contextlib.suppress(ProcessLookupError):  # the group is already gone
        os.killpg(process.pid, signal.SIGKILL)  # its own session: only what this test started
    process.wait()
    return process.returncode


@pytest.fixture
def server_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A real ``prefect server start`` on 127.0.0.1 with its own PREFECT_HOME (SQLite)."""
    port = _free_port()
    env = {
        **os.environ,
        "PREFECT_HOME": str(tmp_path / "prefect-home"),
        "PREFECT_API_URL": f"http://127.0.0.1:{port}/api",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "PREFECT_UI_ENABLED": "false",
    }
    command = ["prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)]
    with (tmp_path / "server.log").open("wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", *command],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while True:
            try:
                _get_json(f"{env['PREFECT_API_URL']}/health")
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("Prefect server did not start:\n" + _tail(tmp_path / "server.log"))
                time.sleep(0.5)
        yield env
    finally:
        _stop(server, signal.SIGTERM)


def _tail(path: Path, chars: int = 4000) -> str:
    return path.read_text(encoding="utf-8", errors="replace")[-chars:] if path.exists() else ""


def _deployment_runs(api: str) -> list[dict]:
    runs = _get_json(
        f"{api}/flow_runs/filter",
        {"deployments": {"name": {"any_": [DEPLOYMENT]}}, "limit": 200},
    )
    assert isinstance(runs, list)
    return runs


@pytest.mark.integration
def test_a_served_schedule_runs_on_a_real_server_and_publishes(
    server_env: dict[str, str], tmp_path: Path
) -> None:
    api = server_env["PREFECT_API_URL"]
    inputs, output = tmp_path / "in", tmp_path / "out"
    inputs.mkdir()
    for seed in sorted(SEEDS.glob("*.txt"))[:2]:
        shutil.copy(seed, inputs)
    serve_log = tmp_path / "serve.log"
    args = ["serve", "--interval", str(INTERVAL_S), "--name", DEPLOYMENT]
    args += ["--input", str(inputs), "--output", str(output)]
    with serve_log.open("wb") as log:
        served = subprocess.Popen(
            [sys.executable, "-m", "flows.cli", *args],
            # The runner polls every 10 s by default; 1 s picks each scheduled run up at once.
            env={**server_env, "PREFECT_RUNNER_POLL_FREQUENCY": "1"},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    completed: list[dict] = []
    try:
        deadline = time.monotonic() + RUNS_TIMEOUT_S
        while len(completed) < RUNS_WANTED:
            assert served.poll() is None, "serve exited:\n" + _tail(serve_log)
            assert time.monotonic() < deadline, (
                f"{len(completed)} completed runs after {RUNS_TIMEOUT_S} s:\n" + _tail(serve_log)
            )
            time.sleep(1)
            runs = _deployment_runs(api)
            completed = [run for run in runs if run["state_type"] == "COMPLETED"]
            failed = [
                run["state_name"] for run in runs if run["state_type"] in {"FAILED", "CRASHED"}
            ]
            assert not failed, f"runs failed: {failed}\n" + _tail(serve_log)
        # SIGTERM is what a service manager sends; Prefect's runner exits 0 and pauses the schedule.
        assert _stop(served, signal.SIGTERM) == 0, _tail(serve_log)
    finally:
        _stop(served, signal.SIGKILL)

    assert {tuple(run["parameters"].items()) for run in completed} == {
        (("input", str(inputs)), ("output", str(output)), ("config", None))
    }
    deployments = _get_json(f"{api}/deployments/filter", {})
    assert isinstance(deployments, list)
    assert [(d["name"], d["paused"]) for d in deployments] == [(DEPLOYMENT, True)]

    snapshots = sorted(p for p in (output / "snapshots").iterdir() if not p.name.startswith("."))
    assert len(snapshots) >= RUNS_WANTED, snapshots
    latest = (output / "latest").resolve()
    assert (output / "latest").is_symlink() and latest.parent == (output / "snapshots").resolve()
    assert latest.name in {p.name for p in snapshots}
    documents = pq.read_table(latest / "documents" / "part-00000.parquet")
    assert documents.num_rows == len(list(inputs.iterdir()))
