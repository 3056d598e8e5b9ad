"""One run at a time per output: the output lock (``flows.publish.output_lock``) on its own, and
real ``broadsheet run`` processes started on the same output while another one runs.

A run that finds the output in use fails at once with exit code 2 and one line naming the holder
(``run.lock_timeout_s = 0``, the default), or waits for it and then runs (a timeout > 0); either
way the published snapshot is complete and readable and no staging folder is left behind.
The CLI runs share one temporary Prefect server started here (as in ``test_crash``).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from flows import publish
from flows.schema import TABLES

from .conftest import SEEDS

# A cold seeds run takes ~10-20 s on 2 cores; CI machines may be slower.
RUN_TIMEOUT_S = 300
# How long a started run may take to take the lock (Python start-up and the CLI's checks).
LOCK_TAKEN_TIMEOUT_S = 60
# "At once": a busy output is reported well before Prefect could even be imported.
FAIL_FAST_S = 1.0


def _holder(output: Path) -> dict:
    try:
        return json.loads((output / publish.LOCK_FILE).read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        return {}


def _wait_for_holder(output: Path, pid: int, proc: subprocess.Popen | None = None) -> dict:
    deadline = time.monotonic() + LOCK_TAKEN_TIMEOUT_S
    while time.monotonic() < deadline:
        holder = _holder(output)
        if holder.get("pid") == pid:
            return holder
        if proc is not None and proc.poll() is not None:
            pytest.fail(f"process {pid} ended ({proc.returncode}) before it took the lock")
        time.sleep(0.05)
    pytest.fail(f"process {pid} did not take the lock of {output}")


@contextlib.contextmanager
def _lock_holder(output: Path) -> Iterator[subprocess.Popen]:
    """A child process that holds ``output``'s lock until it is killed."""
    code = textwrap.dedent(
        f"""
        import time
        from flows.publish import output_lock
        with output_lock({str(output)!r}, run_id="holder-run"):
            time.sleep(600)
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", code])
    try:
        _wait_for_holder(output, proc.pid, proc)
        yield proc
    finally:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        proc.wait(timeout=30)


# --- the lock itself ---------------------------------------------------------------------------


def test_a_second_process_fails_at_once_and_the_lock_dies_with_its_holder(tmp_path: Path) -> None:
    output = tmp_path / "out"
    with _lock_holder(output) as holder:
        started = time.monotonic()
        with pytest.raises(publish.OutputBusy) as busy, publish.output_lock(output):
            pytest.fail("the lock was taken twice")
        assert time.monotonic() - started < FAIL_FAST_S
        message = str(busy.value)
        assert "\n" not in message
        assert f"output {output} is in use by run holder-run (pid {holder.pid} on " in message
        assert "wait for it to finish, or use another --output" in message

        started = time.monotonic()
        with (
            pytest.raises(publish.OutputBusy, match=r"waited 0\.3 s"),
            publish.output_lock(output, timeout_s=0.3),
        ):
            pytest.fail("the lock was taken twice")
        assert time.monotonic() - started >= 0.3

        holder.send_signal(signal.SIGKILL)  # no clean-up at all: the OS drops the lock
        holder.wait(timeout=30)
    with publish.output_lock(output, run_id="next") as path:
        assert path == output / publish.LOCK_FILE
        assert _holder(output)["run_id"] == "next" and _holder(output)["pid"] == os.getpid()
        with publish.output_lock(output, run_id="nested"):  # re-entrant in one process
            assert _holder(output)["run_id"] == "nested"
    assert _holder(output) == {}  # released: nobody named as holder


def test_a_waiting_run_gets_the_lock_when_the_holder_ends(tmp_path: Path) -> None:
    output = tmp_path / "out"
    with _lock_holder(output) as holder:

        def kill_soon() -> None:
            time.sleep(0.5)
            holder.kill()

        killer = threading.Thread(target=kill_soon)
        killer.start()
        started = time.monotonic()
        with publish.output_lock(output, timeout_s=60):
            waited = time.monotonic() - started
        killer.join()
    assert 0.4 <= waited < 30


def test_an_output_that_cannot_be_created_is_one_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file.txt"
    blocker.write_text("not a folder")
    match = r"^cannot write to output .*file\.txt/out: "
    with pytest.raises(publish.OutputError, match=match), publish.output_lock(blocker / "out"):
        pytest.fail("locked an output under a file")


def test_remote_outputs_are_locked_on_this_machine() -> None:
    path = publish.lock_path("s3://user:secret@bucket/out")
    assert path.parent.name == publish.REMOTE_LOCKS_DIR and "secret" not in str(path)
    assert path == publish.lock_path("s3://user:secret@bucket/out/")
    assert path != publish.lock_path("s3://user:secret@bucket/other")


# --- real runs on one output -------------------------------------------------------------------


def _start(api_url: str, output: Path, config: Path) -> subprocess.Popen:
    env = {**os.environ, "PREFECT_API_URL": api_url}
    env.pop(publish.CRASH_ENV, None)
    args = ["run", "--input", str(SEEDS), "--output", str(output), "--config", str(config)]
    return subprocess.Popen(
        [sys.executable, "-m", "flows.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,  # its own process group: killed below with all it started
    )


def _finish(proc: subprocess.Popen) -> tuple[int, str, str]:
    try:
        stdout, stderr = proc.communicate(timeout=RUN_TIMEOUT_S)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    return proc.returncode, stdout, stderr


def test_runs_on_one_output_fail_fast_or_wait_and_the_snapshot_stays_whole(
    tmp_path: Path, api_url: str
) -> None:
    output = tmp_path / "out"
    fail_fast, wait = tmp_path / "fail-fast.toml", tmp_path / "wait.toml"
    fail_fast.write_text("[run]\nlock_timeout_s = 0\n", encoding="utf-8")
    wait.write_text(f"[run]\nlock_timeout_s = {RUN_TIMEOUT_S}\n", encoding="utf-8")

    first = _start(api_url, output, fail_fast)
    try:
        _wait_for_holder(output, first.pid, first)
        waiting = _start(api_url, output, wait)  # waits for the first, then runs
        started = time.monotonic()
        code, stdout, stderr = _finish(_start(api_url, output, fail_fast))
        elapsed = time.monotonic() - started
    except BaseException:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(first.pid, signal.SIGKILL)
        raise
    first_code, _, first_err = _finish(first)
    waiting_code, _, waiting_err = _finish(waiting)

    # The run that found the output in use: exit 2 at once, one line, who holds it, no traceback.
    assert code == 2, stderr
    assert stdout == "" and stderr.count("\n") == 1 and "Traceback" not in stderr
    assert stderr.startswith(f"broadsheet: output {output} is in use by "), stderr
    assert f"(pid {first.pid} on " in stderr and "use another --output" in stderr
    assert elapsed < RUN_TIMEOUT_S / 10  # nowhere near a run's time (Python start-up only)
    # The first run and the one that waited for it both published.
    assert first_code == 0, first_err[-3000:]
    assert waiting_code == 0, waiting_err[-3000:]

    runs = publish.snapshot_runs(output)
    assert len(runs) == 2 and publish.current_run(output) == runs[-1]
    assert not [p.name for p in (output / publish.SNAPSHOTS).iterdir() if p.name.startswith(".")]
    latest = (output / publish.LATEST).resolve()
    assert latest == (output / publish.SNAPSHOTS / runs[-1]).resolve()
    summary = json.loads((latest / "summary.json").read_text(encoding="utf-8"))
    assert summary["published"] and summary["run_id"] == runs[-1]
    for name in TABLES:
        table = pq.read_table(output / name)  # the stable link, as readers use it
        assert table.num_rows == pq.read_table(latest / name).num_rows
        if "run_id" in table.column_names:
            assert set(table.column("run_id").to_pylist()) <= {runs[-1]}
    assert pq.read_table(output / "documents").num_rows == len(list(SEEDS.glob("*.txt")))
    assert _holder(output) == {}  # nobody holds the output now
