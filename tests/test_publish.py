"""Publishing: snapshots, the atomic switch of ``latest``, the validation gate, retention."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

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
    index = publish.snapshot_dir(tmp_path, "run-2") / publish.DATA_DOCS_DIR / "index.html"
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
