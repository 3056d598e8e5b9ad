"""Publishing: snapshots, the atomic switch of ``latest``, the validation gate, retention."""

from __future__ import annotations

from pathlib import Path

import fsspec
import pandas as pd
import pytest

from flows import publish
from flows.records import CleanedDocument, ProcessedDocument, Quarantined, Segment
from flows.report import render_report, summarize
from flows.tables import build_tables


def _tables(run_id: str) -> dict:
    cleaned = CleanedDocument(
        text="Body text.",
        title="A title",
        authors=["Ann Lee"],
        published=None,
        publisher=None,
        segments=[
            Segment(0, 0, 0, "nav", False, "menu", "Home"),
            Segment(1, 0, 10, "body", True, "prose", "Body text."),
        ],
    )
    doc = ProcessedDocument("ab" * 8, "a.txt", "ab" * 32, "utf-8", cleaned)
    return build_tables([doc], [Quarantined("b.txt", "decode", "empty file")], run_id, "test")


def test_switch_points_tables_at_the_new_snapshot(tmp_path: Path) -> None:
    for run_id in ("run-1", "run-2"):
        tables = _tables(run_id)
        publish.write_snapshot(tmp_path, run_id, tables)
        publish.switch_latest(tmp_path, run_id, list(tables))
    assert (tmp_path / "latest").resolve().name == "run-2"
    assert pd.read_parquet(tmp_path / "documents")["run_id"].tolist() == ["run-2"]
    assert pd.read_parquet(tmp_path / "quarantine")["reason"].tolist() == ["empty file"]


def test_data_docs_are_linked_from_the_output_folder_when_the_run_has_them(
    tmp_path: Path,
) -> None:
    tables = _tables("run-1")
    publish.write_snapshot(tmp_path, "run-1", tables)
    publish.switch_latest(tmp_path, "run-1", list(tables))
    assert not (tmp_path / publish.DATA_DOCS_DIR).is_symlink()  # no site, no dangling link
    # Validation builds Data Docs in the run's staging folder, before publishing commits it.
    index = publish.staging_dir(tmp_path, "run-2") / publish.DATA_DOCS_DIR / "index.html"
    index.parent.mkdir(parents=True)
    index.write_text("<html>docs</html>", encoding="utf-8")
    publish.write_snapshot(tmp_path, "run-2", _tables("run-2"))
    publish.switch_latest(tmp_path, "run-2", list(tables))
    assert (tmp_path / publish.DATA_DOCS_DIR / "index.html").read_text() == "<html>docs</html>"


def test_a_failed_run_is_written_but_not_switched(tmp_path: Path) -> None:
    tables = _tables("run-1")
    publish.write_snapshot(tmp_path, "run-1", tables)
    publish.switch_latest(tmp_path, "run-1", list(tables))
    publish.write_snapshot(tmp_path, "run-2", _tables("run-2"))  # validation failed: no switch
    assert pd.read_parquet(tmp_path / "documents")["run_id"].tolist() == ["run-1"]
    assert (tmp_path / "snapshots" / "run-2" / "documents").is_dir()


def test_pruning_keeps_the_newest_and_the_current(tmp_path: Path) -> None:
    for run_id in ("r1", "r2", "r3", "r4"):
        publish.write_snapshot(tmp_path, run_id, _tables(run_id))
    publish.switch_latest(tmp_path, "r1", ["documents"])
    removed = publish.prune_snapshots(tmp_path, keep=2)
    assert removed == ["r2"]
    assert sorted(p.name for p in (tmp_path / "snapshots").iterdir()) == ["r1", "r3", "r4"]


def test_summary_figures_come_from_the_tables() -> None:
    tables = _tables("run-1")
    summary = summarize(tables, "run-1", "test", "in", "out")
    assert (summary.processed, summary.quarantined, summary.documents_in) == (1, 1, 2)
    assert summary.removed_share == 4 / 14
    page = render_report(summary, tables, {"outcomes": []})
    assert "A title" in page and "empty file" in page


def test_a_staged_snapshot_is_invisible_until_committed(tmp_path: Path) -> None:
    tables = _tables("run-1")
    publish.write_snapshot(tmp_path, "run-1", tables)
    publish.switch_latest(tmp_path, "run-1", list(tables))
    staging = publish.staging_dir(tmp_path, "run-2")
    publish.write_tables(staging, _tables("run-2"))
    assert publish.snapshot_runs(tmp_path) == ["run-1"]  # staging is not a snapshot
    assert not publish.snapshot_dir(tmp_path, "run-2").exists()
    target = publish.commit_snapshot(tmp_path, "run-2")
    assert not staging.exists() and target == publish.snapshot_dir(tmp_path, "run-2")
    assert pd.read_parquet(target / "documents")["run_id"].tolist() == ["run-2"]
    assert not list(target.rglob(".*.tmp"))  # every file went through a temporary name
    assert publish.current_run(tmp_path) == "run-1"  # committed, not yet switched


def test_leftovers_of_killed_runs_are_removed_but_not_the_running_one(tmp_path: Path) -> None:
    publish.write_tables(publish.staging_dir(tmp_path, "dead"), _tables("dead"))
    publish.write_tables(publish.staging_dir(tmp_path, "mine"), _tables("mine"))
    (tmp_path / "snapshots" / ".trash-old").mkdir()
    removed = publish.remove_leftovers(tmp_path, keep_run_id="mine")
    assert removed == [".staging-dead", ".trash-old"]
    assert publish.staging_dir(tmp_path, "mine").is_dir()


def test_pruning_goes_through_a_trash_folder_and_skips_leftovers(tmp_path: Path) -> None:
    for run_id in ("r1", "r2", "r3"):
        publish.write_snapshot(tmp_path, run_id, _tables(run_id))
    publish.switch_latest(tmp_path, "r3", ["documents"])
    publish.write_tables(publish.staging_dir(tmp_path, "r4"), _tables("r4"))
    assert publish.prune_snapshots(tmp_path, keep=1) == ["r1", "r2"]
    names = sorted(p.name for p in (tmp_path / "snapshots").iterdir())
    assert names == [".staging-r4", "r3"]


def test_the_crash_hook_does_nothing_unless_it_names_the_point(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(publish.CRASH_ENV, raising=False)
    for point in publish.CRASH_POINTS:
        publish.crash_point(point)  # still alive
    monkeypatch.setenv(publish.CRASH_ENV, "some-other-point")
    publish.crash_point("staging")


def test_file_urls_are_local_paths_and_object_stores_are_remote() -> None:
    assert publish.local_path("file:///data/out") == Path("/data/out")
    assert publish.local_path("out") == Path("out")
    assert not publish.is_remote("file:///data/out") and not publish.is_remote("out")
    assert publish.is_remote("s3://bucket/out") and publish.is_remote("memory://out")
    with pytest.raises(ValueError):
        publish.local_path("s3://bucket/out")


def test_a_remote_output_switches_with_a_manifest_written_last(tmp_path: Path) -> None:
    url = f"memory://broadsheet-{tmp_path.name}"
    assert publish.read_manifest(url) is None
    for run_id in ("r1", "r2", "r3"):
        publish.write_snapshot(tmp_path, run_id, _tables(run_id))
        publish.mirror_to_url(tmp_path, url, run_id, published=run_id != "r3", keep=5)
    manifest = publish.read_manifest(url)
    assert manifest is not None and manifest["run_id"] == "r2"  # r3 failed validation
    documents = pd.read_parquet(manifest["tables"]["documents"])
    assert documents["run_id"].tolist() == ["r2"]
    publish.mirror_to_url(tmp_path, url, "r3", published=True, keep=1)
    fs, root = fsspec.core.url_to_fs(url)
    assert [Path(p).name for p in fs.ls(f"{root}/snapshots", detail=False)] == ["r3"]
