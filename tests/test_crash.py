"""Crash safety of publishing: a real ``broadsheet run`` is SIGKILLed at several points of
publishing (``BROADSHEET_CRASH_AT``, the test hook in ``flows.publish``). After each kill readers
still get a complete snapshot (the previous one, or the new one once ``latest`` switched); a
re-run then converges to exactly what an uninterrupted run publishes, with no leftovers.

All runs share one temporary Prefect server started here (each CLI run would otherwise start
its own), and each run is a process group of its own so that nothing outlives a kill.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from flows import publish
from flows.schema import TABLES

from .conftest import SEEDS

KEEP = 2


def run_cli(
    api_url: str, inputs: Path, output: Path, config: Path, crash_at: str | None = None
) -> int:
    env = {**os.environ, "PREFECT_API_URL": api_url}
    env.pop(publish.CRASH_ENV, None)
    if crash_at:
        env[publish.CRASH_ENV] = crash_at
    args = ["run", "--input", str(inputs), "--output", str(output), "--config", str(config)]
    proc = subprocess.Popen(
        [sys.executable, "-m", "flows.cli", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
        start_new_session=True,  # its own process group: killed below with all it started
    )
    try:
        _, stderr = proc.communicate(timeout=300)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    if proc.returncode not in (0, -signal.SIGKILL):
        pytest.fail(f"run failed ({proc.returncode}): {stderr.decode()[-3000:]}")
    return proc.returncode


def tables(output: Path) -> dict[str, pd.DataFrame]:
    """Every table under ``output`` (readers' output/<table>, or a snapshot), without run_id."""
    return {
        name: pd.read_parquet(output / name).drop(columns=["run_id"], errors="ignore")
        for name in TABLES
    }


def assert_same(left: dict[str, pd.DataFrame], right: dict[str, pd.DataFrame]) -> None:
    for name in TABLES:
        pd.testing.assert_frame_equal(left[name], right[name], obj=name)


def test_killed_publishing_leaves_a_complete_snapshot_and_a_rerun_converges(
    tmp_path: Path, api_url: str
) -> None:
    config = tmp_path / "broadsheet.toml"
    config.write_text(f"[run]\nkeep_snapshots = {KEEP}\n", encoding="utf-8")
    seeds = sorted(SEEDS.glob("*.txt"))
    before, after = tmp_path / "before", tmp_path / "after"
    shutil.copytree(SEEDS, before)
    # The next input: one seed removed, a duplicate and an empty file added.
    shutil.copytree(SEEDS, after)
    (after / seeds[-1].name).unlink()
    (after / "zz_copy.txt").write_bytes(seeds[0].read_bytes())
    (after / "empty.txt").write_bytes(b"")

    reference = tmp_path / "reference"
    assert run_cli(api_url, after, reference, config) == 0
    expected = tables(reference)
    assert seeds[-1].name not in set(expected["documents"]["source_name"])

    output = tmp_path / "out"
    assert run_cli(api_url, before, output, config) == 0
    previous_run, previous = publish.current_run(output), tables(output)
    assert previous_run is not None and len(previous["documents"]) == len(seeds)

    for point in publish.CRASH_POINTS:
        assert run_cli(api_url, after, output, config, crash_at=point) == -signal.SIGKILL, point
        current = publish.current_run(output)
        assert current is not None and (output / publish.LATEST).resolve().is_dir(), point
        seen = tables(output)  # complete and readable, whichever snapshot it is
        if point in ("staging", "committed"):
            # Killed before the switch: readers are still on the previous snapshot.
            assert current == previous_run, point
            assert_same(seen, previous)
        else:
            # Killed after the switch: readers are on the new, complete snapshot.
            assert current != previous_run, point
            assert_same(seen, expected)
        # Either way, the snapshot readers were on before the kill is still there, intact.
        assert_same(tables(publish.snapshot_dir(output, previous_run)), previous)
        previous_run, previous = current, seen

    leftovers = [p.name for p in (output / publish.SNAPSHOTS).iterdir() if p.name.startswith(".")]
    assert leftovers  # the kills left staging and trash folders behind

    assert run_cli(api_url, after, output, config) == 0
    assert_same(tables(output), expected)
    names = sorted(p.name for p in (output / publish.SNAPSHOTS).iterdir())
    assert not [n for n in names if n.startswith(".")]  # cleaned up by the re-run
    assert len(names) == KEEP and publish.current_run(output) == names[-1]
