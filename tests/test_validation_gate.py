"""Validation gates publishing: a corrupted table fails the run and the last snapshot stays.

The flow runs in-process (on Prefect's ephemeral server) with its build-tables task swapped for
one that corrupts what the real one built, as a bug in a step would.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.testing.utilities import prefect_test_harness

from flows import pipeline, publish
from flows.tables import build_tables

from .conftest import SEEDS

Tables = dict[str, pa.Table]


def _offset_past_the_text(tables: Tables) -> Tables:
    entities = tables["entities"]
    ends = entities["end"].to_pylist()
    ends[0] += 10_000
    column = entities.schema.get_field_index("end")
    return {**tables, "entities": entities.set_column(column, "end", pa.array(ends, pa.int64()))}


def _null_doc_id(tables: Tables) -> Tables:
    documents = tables["documents"]
    ids = documents["doc_id"].to_pylist()
    ids[0] = None
    column = documents.schema.get_field_index("doc_id")
    field = pa.field("doc_id", pa.string(), nullable=True)
    return {**tables, "documents": documents.set_column(column, field, pa.array(ids, pa.string()))}


def _read(output: Path) -> dict[str, pd.DataFrame]:
    return {name: pd.read_parquet(output / name) for name in ("documents", "entities")}


@pytest.fixture(scope="module")
def prefect_server() -> Iterator[None]:
    """A temporary Prefect server for this module, stopped while pytest still captures logs."""
    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture(scope="module")
def first_run(prefect_server: None, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("gate")
    inputs = root / "in"
    inputs.mkdir()
    for seed in sorted(SEEDS.glob("*.txt"))[:2]:
        shutil.copy(seed, inputs)
    output = root / "out"
    summary = pipeline.run(input=str(inputs), output=str(output))
    assert summary.published
    return inputs, output


@pytest.mark.parametrize(
    ("corrupt", "table", "column"),
    [
        (_offset_past_the_text, "entities", "text_matches_document"),
        (_null_doc_id, "documents", "doc_id"),
    ],
)
def test_a_corrupted_table_fails_the_run_and_keeps_the_last_snapshot(
    first_run: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
    corrupt: Callable[[Tables], Tables],
    table: str,
    column: str,
) -> None:
    inputs, output = first_run
    published = (output / publish.LATEST).resolve()
    before = _read(output)

    def corrupted_tables(*args: object) -> Tables:
        return corrupt(build_tables(*args))  # type: ignore[arg-type]

    monkeypatch.setattr(
        pipeline,
        "tables_task",
        task(name="build-tables", cache_policy=NO_CACHE, persist_result=False)(corrupted_tables),
    )
    with pytest.raises(pipeline.ValidationFailed, match=table):
        pipeline.run(input=str(inputs), output=str(output))

    # Readers still see the previous snapshot, whole and unchanged.
    assert (output / publish.LATEST).resolve() == published
    after = _read(output)
    for name, frame in before.items():
        pd.testing.assert_frame_equal(after[name], frame)
    # The failed run's snapshot is kept for inspection and says what failed.
    failed = [p for p in (output / publish.SNAPSHOTS).iterdir() if p.is_dir() and p != published]
    newest = max(failed, key=lambda p: p.name)
    validation = json.loads((newest / "validation.json").read_text(encoding="utf-8"))
    assert validation["success"] is False
    hits = [
        o
        for o in validation["outcomes"]
        if not o["success"] and o["table"] == table and o["column"] == column
    ]
    assert hits and all(o["severity"] == "critical" for o in hits)
