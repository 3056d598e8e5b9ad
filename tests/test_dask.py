"""Scale-out: the same inputs through the local runner and a Dask LocalCluster of 2 worker
processes (prefect-dask) publish identical tables; duplicates across batches are decided the same
way whichever runner ran the batches (``flows.dedupe``)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from flows import publish
from flows.dedupe import BYTES_DUPLICATE, TEXT_DUPLICATE, BatchResult, merge_batches
from flows.records import CleanedDocument, ProcessedDocument, Quarantined
from flows.schema import TABLES

from .conftest import SEEDS


def run_cli(*args: str, timeout: int = 420) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "flows.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=os.environ.copy(),
        check=False,
    )


def published_tables(output: Path) -> dict[str, pd.DataFrame]:
    """Every published table of ``output``, without the run_id column."""
    return {
        name: pd.read_parquet(output / name).drop(columns=["run_id"], errors="ignore")
        for name in TABLES
    }


def test_dask_and_local_runners_publish_the_same_tables(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    shutil.copytree(SEEDS, inputs)
    first = sorted(SEEDS.glob("*.txt"))[0]
    (inputs / "zz_copy.txt").write_bytes(first.read_bytes())  # same bytes, in a later batch
    (inputs / "empty.txt").write_bytes(b"")
    outputs = {}
    for runner in ("local", "dask"):
        outputs[runner] = tmp_path / runner
        # Batches of 2: four batches, so the copy and its original land on different workers.
        done = run_cli(
            "run",
            *("--input", str(inputs), "--output", str(outputs[runner])),
            *("--batch-size", "2", "--runner", runner),
        )
        assert done.returncode == 0, done.stderr[-3000:]
    local, dask = published_tables(outputs["local"]), published_tables(outputs["dask"])
    assert len(local["documents"]) == 5
    quarantine = local["quarantine"].set_index("source_name")
    assert quarantine.loc["zz_copy.txt", "reason"] == f"duplicate content of {first.name}"
    assert "empty.txt" in quarantine.index
    for name in TABLES:
        pd.testing.assert_frame_equal(local[name], dask[name], obj=name)
    assert publish.current_run(outputs["dask"]) is not None


def test_an_unknown_runner_is_a_one_line_usage_error(tmp_path: Path) -> None:
    done = run_cli("run", "--input", str(SEEDS), "--output", str(tmp_path), "--runner", "spark")
    assert done.returncode == 2
    assert done.stderr.startswith("broadsheet: argument --runner: invalid choice: 'spark' (choose")
    assert done.stderr.count("\n") == 1 and "'local', 'dask'" in done.stderr


def _doc(source: str, sha: str, text: str = "text") -> ProcessedDocument:
    cleaned = CleanedDocument(text, None, [], None, None, [])
    return ProcessedDocument(sha[:16], source, sha, "utf-8", cleaned)


@pytest.mark.parametrize("order", [(1, 2, 3), (3, 1, 2)])
def test_duplicates_across_batches_are_decided_in_input_order(order: tuple[int, ...]) -> None:
    batches = {
        # a.txt is the first of its bytes and of its text.
        1: BatchResult(1, [_doc("a.txt", "A")], [], {"A": "a.txt"}, {"ta": "a.txt"}),
        # b.txt: a.txt's bytes. c.txt: its text, e.txt: its bytes (the batch named b.txt as
        # their original: a.txt is).
        2: BatchResult(
            2,
            [_doc("b.txt", "A")],
            [
                Quarantined("c.txt", "quality", TEXT_DUPLICATE.format(first="b.txt")),
                Quarantined("e.txt", "ingest", BYTES_DUPLICATE.format(first="b.txt")),
            ],
            {"A": "b.txt"},
            {"ta": "b.txt"},
        ),
        # d2.txt: new bytes, a.txt's text; its batch passed it on and NLP failed on it.
        3: BatchResult(
            3,
            [],
            [Quarantined("d2.txt", "nlp", "boom")],
            {"D2": "d2.txt"},
            {"ta": "d2.txt"},
        ),
    }
    processed, quarantined = merge_batches(batches[n] for n in order)
    assert [d.source_name for d in processed] == ["a.txt"]
    assert {q.source_name: (q.stage, q.reason) for q in quarantined} == {
        "b.txt": ("ingest", BYTES_DUPLICATE.format(first="a.txt")),
        "c.txt": ("quality", TEXT_DUPLICATE.format(first="a.txt")),
        "e.txt": ("ingest", BYTES_DUPLICATE.format(first="a.txt")),
        "d2.txt": ("quality", TEXT_DUPLICATE.format(first="a.txt")),
    }
