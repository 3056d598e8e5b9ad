"""The Prefect API server a one-shot run starts for itself when no server is configured.

Prefect's own ephemeral server does the same job, but only once the flow is called: the
process first imports Prefect's server package (~2 s) and then waits for the server process to
import it again and start (~5 s). ``broadsheet run`` instead starts the server process first
thing (:func:`start_early`, before the heavy imports of the run itself) and lets both start
side by side; :func:`for_run` then hands that server (or a new one) to the run, which points
``PREFECT_API_URL`` at it. Later runs of the process reuse it; it stops when the process exits,
after Prefect has sent its last logs.

The server is the same application Prefect's ephemeral mode runs (``create_app`` under uvicorn
with the ephemeral flags, no UI, SQLite under ``PREFECT_HOME``), listening on 127.0.0.1 only.
On Linux the server process is told to end with its parent, so a killed run leaves no server
behind. Only the standard library is imported here, so starting early costs milliseconds.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

HOST = "127.0.0.1"
# Same settings Prefect gives its ephemeral server process.
SERVER_ENV = {
    "PREFECT_UI_ENABLED": "0",
    "PREFECT__SERVER_EPHEMERAL": "1",
    "PREFECT__SERVER_FINAL": "1",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
}
START_TIMEOUT_S = 60.0
POLL_INTERVAL_S = 0.05
# uvicorn exits with this code when the port was taken meanwhile; try another.
PORT_IN_USE_EXIT = 3
MAX_ATTEMPTS = 3
PR_SET_PDEATHSIG = 1


FIX = (
    "start one with `prefect server start --host 127.0.0.1` and set "
    "PREFECT_API_URL=http://127.0.0.1:4200/api"
)


class ServerError(RuntimeError):
    """The local Prefect server did not start; the message says how to use another."""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _end_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    # Elsewhere the parent's atexit still ends it; only a killed parent would leave it running.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class LocalServer:
    """A Prefect API server process on 127.0.0.1, for one run."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.process = self._spawn()
        self.used = False  # handed to a run by for_run()
        # At exit, after Prefect's log and event workers (registered later, so run earlier)
        # have sent what they hold to this server.
        atexit.register(self.stop)

    @property
    def api_url(self) -> str:
        return f"http://{HOST}:{self.port}/api"

    def _spawn(self) -> subprocess.Popen[bytes]:
        command = [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "prefect.server.api.server:create_app",
            "--host",
            HOST,
            "--port",
            str(self.port),
            "--log-level",
            "error",
            "--lifespan",
            "on",
        ]
        return subprocess.Popen(
            command,
            env={**os.environ, **SERVER_ENV},
            stdin=subprocess.DEVNULL,
            preexec_fn=_end_with_parent if sys.platform.startswith("linux") else None,
        )

    def wait_ready(self, timeout_s: float = START_TIMEOUT_S) -> None:
        """Block until the server answers its health check; ServerError if it never does."""
        deadline = time.monotonic() + timeout_s
        attempts = 1
        while time.monotonic() < deadline:
            code = self.process.poll()
            if code == PORT_IN_USE_EXIT and attempts < MAX_ATTEMPTS:
                attempts += 1
                self.port = _free_port()
                self.process = self._spawn()
                continue
            if code is not None:
                raise ServerError(f"the local Prefect server exited with code {code}; {FIX}")
            try:
                with urllib.request.urlopen(f"{self.api_url}/health", timeout=1) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(POLL_INTERVAL_S)
        self.stop()
        raise ServerError(
            f"the local Prefect server did not answer within {timeout_s:.0f} s; {FIX}"
        )

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()


_server: LocalServer | None = None


def start_early() -> None:
    """Start the server now for the run this process is about to make, unless one is
    configured (``PREFECT_API_URL``) or already running."""
    global _server
    if _server is None and not os.environ.get("PREFECT_API_URL"):
        _server = LocalServer()


def discard_early() -> None:
    """Stop a server started early that no run has used: the run found a configured server
    after all (a profile, a test harness). A server earlier runs used stays up until exit:
    Prefect's log and event workers may still hold items for it, and draining them (as
    Prefect's test harness does) against a stopped server waits on retries."""
    global _server
    if _server is not None and not _server.used:
        _server.stop()
        _server = None


def for_run() -> LocalServer:
    """This process's server: the one started early or by an earlier run (if it still runs),
    else a new one. The caller waits for it to be ready; it stops when the process exits."""
    global _server
    if _server is None or _server.process.poll() is not None:
        _server = LocalServer()
    _server.used = True
    return _server
