"""The run report and its Markdown twin, on small hand-built tables (no Prefect, no pipeline)."""

from __future__ import annotations

import datetime as dt
import random
import re
import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

import flows.pipeline as pipeline  # at import time: Prefect configures logging, then caplog
from flows.cli import main
from flows.report import (
    CSP,
    RunSummary,
    kind_breakdown,
    render_markdown,
    render_report,
    summarize,
    top_keyphrases,
)
from flows.schema import TABLES

SCRIPT = '<script>document.title="pwned";window.__pwned=1</script>'
IMG = "<img src=x onerror=alert(1)>"
# A 1,000-document run renders its report in well under this (measured 0.25 s warm, 0.95 s cold).
LARGE_RUN_DOCUMENTS = 1000
LARGE_RUN_BUDGET_S = 3.0


def _table(name: str, rows: list[dict[str, Any]]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=TABLES[name])


def make_tables(n_docs: int, seed: int = 0, hostile: bool = True) -> dict[str, pa.Table]:
    """Tables of ``n_docs`` invented documents (the first one hostile when asked)."""
    rng = random.Random(seed)
    kinds = ["body", "nav", "caption", "byline", "footer", "related"]
    labels = ["PERSON", "ORG", "GPE", "LOC", "NORP"]
    docs, segments, entities, keyphrases = [], [], [], []
    for i in range(n_docs):
        doc_id = f"{i:016x}"
        title = f"Harbour council {SCRIPT} vote {i}" if hostile and i == 0 else f"Story {i}"
        text = "The council met on Tuesday. " * 20
        removed = rng.randint(0, 4)
        share = removed * 10 / (removed * 10 + len(text))
        docs.append(
            {
                "doc_id": doc_id,
                "source_name": f"{IMG}{i}.txt" if hostile and i == 0 else f"story-{i}.txt",
                "source_sha256": f"{i:064x}",
                "encoding": "utf-8",
                "title": title,
                "authors": ["Ann Lee"],
                "published": dt.date(2024, 1, 2),
                "publisher": None,
                "language": "en",
                "text": text,
                "n_words": len(text.split()),
                "removed_share": share,
                "run_id": "run-1",
                "pipeline_version": "test",
            }
        )
        segments.append(
            {
                "doc_id": doc_id,
                "seq": 0,
                "start": 0,
                "end": len(text),
                "kind": "body",
                "kept": True,
                "reason": "prose",
                "text": text,
            }
        )
        for seq in range(1, removed + 1):
            segments.append(
                {
                    "doc_id": doc_id,
                    "seq": seq,
                    "start": len(text),
                    "end": len(text),
                    "kind": rng.choice(kinds[1:]),
                    "kept": False,
                    "reason": "furniture",
                    "text": "x" * 10,
                }
            )
        for k in range(3):
            entities.append(
                {
                    "doc_id": doc_id,
                    "start": 4,
                    "end": 11,
                    "text": "council",
                    "label": labels[(i + k) % len(labels)],
                    "canonical": f"Entity {rng.randint(0, 50)}",
                }
            )
        for rank in range(1, 6):
            phrase = f"phrase {rng.randint(0, 40)}"
            keyphrases.append({"doc_id": doc_id, "rank": rank, "phrase": phrase, "score": 0.5})
    index = [
        {
            "canonical": f"{SCRIPT} Harbour Trust" if hostile else "Harbour Trust",
            "label": "ORG",
            "aliases": [IMG],
            "n_documents": 2,
            "n_mentions": 900,
        },
        {
            "canonical": "Ann Lee",
            "label": "PERSON",
            "aliases": [],
            "n_documents": 1,
            "n_mentions": 3,
        },
    ]
    quarantine = [
        {"source_name": "empty.txt", "stage": "ingest", "reason": "empty file", "run_id": "run-1"},
        {
            "source_name": f"{IMG}.txt",
            "stage": "quality",
            "reason": f"duplicate of {SCRIPT}",
            "run_id": "run-1",
        },
    ]
    if hostile:
        keyphrases.append({"doc_id": "0" * 16, "rank": 1, "phrase": SCRIPT, "score": 0.9})
    return {
        "documents": _table("documents", docs),
        "segments": _table("segments", segments),
        "entities": _table("entities", entities),
        "entity_index": _table("entity_index", index),
        "keyphrases": _table("keyphrases", keyphrases),
        "quarantine": _table("quarantine", quarantine),
    }


def _outcome(name: str, severity: str, success: bool, **extra: Any) -> dict[str, Any]:
    return {
        "table": "documents",
        "expectation": name,
        "column": "doc_id",
        "severity": severity,
        "success": success,
        "observed": f"observed {name}",
        **extra,
    }


VALIDATION: dict[str, Any] = {
    "success": False,
    "summary": "1/4 expectations passed (1 critical failure, 2 warnings)",
    "data_docs_index": "data_docs/index.html",
    "outcomes": [
        _outcome("expect_pass_one", "critical", True, docs_page="data_docs/validations/a.html"),
        _outcome("expect_warn_one", "warning", False, docs_page=None),
        _outcome("expect_crit_one", "critical", False, docs_page="data_docs/validations/b.html"),
        _outcome("expect_warn_two", "warning", False, docs_page="javascript:alert(1)"),
    ],
}


def _summary(tables: dict[str, pa.Table], passed: bool = False) -> RunSummary:
    summary = summarize(tables, "run-1", "test", f"in/{IMG}", "out")
    summary.validation = VALIDATION["summary"]
    summary.validation_passed = passed
    summary.stage_seconds = {"ingest": 0.5, "nlp": 2.25, "validate": 1.0}
    return summary


@pytest.fixture(scope="module")
def page() -> str:
    tables = make_tables(12)
    return render_report(_summary(tables), tables, VALIDATION)


def test_document_text_is_escaped_everywhere(page: str) -> None:
    assert "<script" not in page.lower()
    assert "<img" not in page.lower()
    assert "&lt;script&gt;document.title=&quot;pwned&quot;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "javascript:" not in page  # the hostile docs_page is not linked
    assert f'content="{CSP}"' in page and "script-src" not in CSP  # default-src 'none' covers it


def test_every_chart_is_inline_svg_with_marks_and_a_name(page: str) -> None:
    for anchor in (
        "chart-removed-share",
        "chart-block-kinds",
        "chart-entity-labels",
        "chart-stage-seconds",
    ):
        figure = re.search(rf"<figure id='{anchor}'.*?</figure>", page, re.S)
        assert figure, anchor
        svg = figure.group(0)
        assert f"<svg role='img' aria-labelledby='{anchor}-caption'" in svg, anchor
        assert "<path" in svg and "role-mark" in svg, anchor
        assert "From " in svg  # the caption names the table and column
    assert "http://" not in page.replace("http://www.w3.org/", "")  # nothing remote


def test_validation_lists_critical_then_warnings_then_passes_collapsed(page: str) -> None:
    crit, warn, passed = (
        page.index("expect_crit_one"),
        page.index("expect_warn_one"),
        page.index("expect_pass_one"),
    )
    assert crit < warn < page.index("expect_warn_two") < passed
    assert page.index("<details id='passed'>") < passed
    assert "<a href='data_docs/index.html'>" in page
    assert "<a href='data_docs/validations/b.html'>Data Docs</a>" in page


def test_validation_without_data_docs_renders_no_links() -> None:
    tables = make_tables(2)
    bare = {
        "outcomes": [
            {k: v for k, v in o.items() if k != "docs_page"} for o in VALIDATION["outcomes"]
        ]
    }
    page = render_report(_summary(tables), tables, bare)
    assert "<a href='data_docs" not in page and "id='data-docs'" not in page


def test_sections_trace_figures_to_tables(page: str) -> None:
    for source in (
        "documents.removed_share",
        "segments.kind x segments.kept",
        "entities.label",
        "stage_seconds",
        "From entity_index",
        "From keyphrases grouped by phrase",
        "From quarantine",
    ):
        assert source in page, source
    assert page.index("Harbour Trust") < page.index("Ann Lee")  # most mentions first
    assert "duplicate of" in page and "empty file" in page


def test_kind_breakdown_shares_add_up_to_the_removed_share() -> None:
    tables = make_tables(30, hostile=False)
    kinds = kind_breakdown(tables["segments"])
    summary = summarize(tables, "r", "v", "i", "o")
    assert sum(k["share_of_source"] for k in kinds) == pytest.approx(summary.removed_share)
    assert sum(k["share_of_removed"] for k in kinds) == pytest.approx(1.0)
    assert sum(k["kept"] + k["removed"] for k in kinds) == tables["segments"].num_rows


def test_keyphrases_aggregate_by_phrase() -> None:
    rows = [
        {"doc_id": "a", "rank": 1, "phrase": "tariffs", "score": 0.9},
        {"doc_id": "b", "rank": 3, "phrase": "tariffs", "score": 0.5},
        {"doc_id": "a", "rank": 2, "phrase": "ports", "score": 0.7},
    ]
    top = top_keyphrases(_table("keyphrases", rows))
    assert top[0] == {"phrase": "tariffs", "documents": 2, "mean_rank": 2.0}
    assert top[1]["phrase"] == "ports"


def test_empty_tables_render() -> None:
    tables = {name: schema.empty_table() for name, schema in TABLES.items()}
    summary = summarize(tables, "run-0", "test", "in", "out")
    page = render_report(summary, tables, {})
    assert "No input was quarantined." in page and "No entities." in page
    assert "<figure" not in page  # no chart without rows
    assert "# Broadsheet run" in render_markdown(summary, tables, {})


def test_a_chart_that_cannot_be_drawn_leaves_a_note(monkeypatch: pytest.MonkeyPatch) -> None:
    import flows.report as report

    def broken(spec: dict[str, Any]) -> str:
        raise RuntimeError("engine unavailable")

    monkeypatch.setattr(report, "_draw", broken)
    tables = make_tables(3)
    page = render_report(_summary(tables), tables, VALIDATION)
    assert "Chart not drawn (RuntimeError: engine unavailable)" in page
    assert "From documents.removed_share" in page


def test_markdown_escapes_and_summarises() -> None:
    tables = make_tables(5)
    md = render_markdown(_summary(tables), tables, VALIDATION, report_path="out/report.html")
    assert "<script" not in md and "<img" not in md
    assert "&lt;script&gt;" in md
    assert "expect\\_crit\\_one" in md and "expect_pass_one" not in md
    assert "Full report: `out/report.html`" in md
    # Table rows keep their column count: a '|' in a cell is escaped.
    assert all(line.count(" | ") >= 1 for line in md.splitlines() if line.startswith("| "))


def test_a_large_run_renders_quickly() -> None:
    tables = make_tables(LARGE_RUN_DOCUMENTS, hostile=False)
    summary = _summary(tables)
    started = time.perf_counter()
    page = render_report(summary, tables, VALIDATION)
    elapsed = time.perf_counter() - started
    assert elapsed < LARGE_RUN_BUDGET_S, elapsed
    assert page.count("<svg") == 4
    assert f"Showing 500 of {LARGE_RUN_DOCUMENTS} documents" in page


def test_a_failed_artifact_is_a_warning_not_a_failure(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise ConnectionError("Prefect API unreachable")

    monkeypatch.setattr(pipeline, "create_markdown_artifact", refuse)
    pipeline.record_summary_artifact("# run", "run-1")  # must not raise
    assert "run summary artifact not recorded: Prefect API unreachable" in caplog.text


# --- broadsheet report -------------------------------------------------------------------------


def _published(tmp_path: Path) -> Path:
    snapshot = tmp_path / "out" / "snapshots" / "run-1"
    snapshot.mkdir(parents=True)
    (snapshot / "report.html").write_text("<html></html>")
    (tmp_path / "out" / "latest").symlink_to("snapshots/run-1")
    (tmp_path / "out" / "report.html").symlink_to("latest/report.html")
    return snapshot / "report.html"


def test_report_command_prints_the_latest_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = _published(tmp_path)
    assert main(["report", "--output", str(tmp_path / "out")]) == 0
    assert capsys.readouterr().out.strip() == str(report.resolve())


def test_report_command_opens_a_browser(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    report = _published(tmp_path)
    opened: list[str] = []
    monkeypatch.setattr("webbrowser.open", lambda url: opened.append(url) or True)
    assert main(["report", "--output", str(tmp_path / "out"), "--open"]) == 0
    assert opened == [report.resolve().as_uri()]


def test_report_command_without_a_report_fails_clearly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", "--output", str(tmp_path / "nothing")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("broadsheet: no report yet") and len(err.strip().splitlines()) == 1


def test_report_command_points_at_an_unpublished_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    failed = tmp_path / "out" / "snapshots" / "run-9"
    failed.mkdir(parents=True)
    (failed / "report.html").write_text("<html></html>")
    assert main(["report", "--output", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "no published report" in err and str(failed / "report.html") in err


def test_report_command_defaults_to_the_configured_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = _published(tmp_path)
    config = tmp_path / "settings.toml"
    config.write_text(f'[run]\noutput = "{tmp_path / "out"}"\n')
    assert main(["report", "--config", str(config)]) == 0
    assert capsys.readouterr().out.strip() == str(report.resolve())
