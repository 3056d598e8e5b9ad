"""The Prefect server a run starts for itself (flows/local_server.py): real processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import urllib.request
from pathlib import Path

import pytest

from flows import local_server

REPO = Path(__file__).resolve().parent.parent


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead for our purpose: its parent (init here) has not reaped it yet.
    status = Path(f"/proc/{pid}/status")
    return not (status.exists() and "State:\tZ" in status.read_text())


def test_the_server_answers_on_loopback_only() -> None:
    server = local_server.LocalServer()
    try:
        server.wait_ready()
        assert server.api_url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(f"{server.api_url}/health", timeout=5) as response:
            assert json.loads(response.read()) is True
        listening = Path("/proc/net/tcp").read_text().splitlines()[1:]
        port_hex = f"{server.port:04X}"
        bound = [line.split()[1] for line in listening if line.split()[1].endswith(f":{port_hex}")]
        assert bound and all(address == f"0100007F:{port_hex}" for address in bound)
    finally:
        server.stop()
    assert server.process.poll() is not None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parent-death signal is Linux")
def test_a_killed_run_leaves_no_server_behind(tmp_path: Path) -> None:
    child = textwrap.dedent(
        """
        import sys, time
        from flows import local_server
        server = local_server.LocalServer()
        server.wait_ready()
        print(server.process.pid, flush=True)
        time.sleep(600)
        """
    )
    run = subprocess.Popen(
        [sys.executable, "-c", child], cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    try:
        assert run.stdout is not None
        server_pid = int(run.stdout.readline())
        assert _alive(server_pid)
        run.send_signal(signal.SIGKILL)
        run.wait(timeout=10)
        deadline = time.monotonic() + 15
        while _alive(server_pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _alive(server_pid)
    finally:
        run.kill()
