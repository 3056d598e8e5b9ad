"""Tests of flows/validate.py and the suites in expectations/: valid tables pass, each critical
property caught, warnings reported without failing, suites in step with flows/schema.py."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from flows import publish, validate
from flows.config import ValidationSettings
from flows.records import SEGMENT_KINDS
from flows.schema import TABLES

REPO = Path(__file__).resolve().parent.parent
SUITES = REPO / "expectations"

SHA = hashlib.sha256(b"raw bytes of a.txt").hexdigest()
DOC_ID = SHA[:16]
PARA_1 = "Alice Smith met Bob in Paris."
# Long enough to be article-length, so the distribution warnings stay quiet on valid rows.
PARA_2 = "The meeting was brief. " + " ".join(
    ["They talked about the trains and the weather."] * 20
)
TEXT = f"{PARA_1}\n\n{PARA_2}"

Rows = dict[str, list[dict[str, Any]]]
# What may stay of GX's static assets once unused ones are pruned (its logo is ~20 KB).
MAX_STATIC_BYTES = 100_000


@pytest.fixture(scope="module", autouse=True)
def _gx() -> None:
    """Import GX once for the module (about 3 s); every test then validates in well under 1 s."""
    validate.load_suites(SUITES)


def valid_rows() -> Rows:
    """One small, fully consistent document with its children; fresh dicts on every call."""
    return {
        "documents": [
            {
                "doc_id": DOC_ID,
                "source_name": "a.txt",
                "source_sha256": SHA,
                "encoding": "utf-8",
                "title": "A meeting in Paris",
                "authors": ["Jane Doe"],
                "published": dt.date(2024, 1, 2),
                "publisher": None,
                "language": "en",
                "text": TEXT,
                "n_words": len(TEXT.split()),
                "removed_share": 0.4,
                "run_id": "run-1",
                "pipeline_version": "0.1.0",
            }
        ],
        "segments": [
            _segment(0, 0, 0, "title", False, "A meeting in Paris"),
            _segment(1, 0, len(PARA_1), "body", True, PARA_1),
            _segment(2, len(PARA_1) + 2, len(TEXT), "body", True, PARA_2),
            _segment(3, len(TEXT), len(TEXT), "nav", False, "Home | News"),
        ],
        "entities": [
            _entity(0, 11, "Alice Smith", "PERSON"),
            _entity(PARA_1.index("Paris"), PARA_1.index("Paris") + 5, "Paris", "GPE"),
        ],
        "entity_index": [
            _index_row("Alice Smith", "PERSON", ["Alice Smith"]),
            _index_row("Paris", "GPE", ["Paris"]),
        ],
        "keyphrases": [
            {"doc_id": DOC_ID, "rank": 1, "phrase": "meeting", "score": 0.9},
            {"doc_id": DOC_ID, "rank": 2, "phrase": "Paris", "score": 0.5},
        ],
        "quarantine": [
            {
                "source_name": "b.bin",
                "stage": "decode",
                "reason": "binary content",
                "run_id": "run-1",
            }
        ],
    }


def _segment(seq: int, start: int, end: int, kind: str, kept: bool, text: str) -> dict[str, Any]:
    reason = "prose paragraph" if kept else f"{kind} line"
    return {
        "doc_id": DOC_ID,
        "seq": seq,
        "start": start,
        "end": end,
        "kind": kind,
        "kept": kept,
        "reason": reason,
        "text": text,
    }


def _entity(start: int, end: int, text: str, label: str) -> dict[str, Any]:
    return {
        "doc_id": DOC_ID,
        "start": start,
        "end": end,
        "text": text,
        "label": label,
        "canonical": text,
    }


def _index_row(canonical: str, label: str, aliases: list[str]) -> dict[str, Any]:
    return {
        "canonical": canonical,
        "label": label,
        "aliases": aliases,
        "n_documents": 1,
        "n_mentions": 1,
    }


def to_tables(rows: Rows, *only: str) -> dict[str, pa.Table]:
    """Arrow tables of ``rows``; with ``only``, just those tables (validating fewer is faster)."""
    names = only or tuple(rows)
    return {name: pa.Table.from_pylist(rows[name], schema=TABLES[name]) for name in names}


def failed(report: validate.ValidationReport, table: str, expectation: str, column: str | None):
    return [
        o
        for o in report.outcomes
        if not o.success
        and o.table == table
        and o.expectation == expectation
        and o.column == column
    ]


def test_valid_tables_pass() -> None:
    report = validate.validate_tables(to_tables(valid_rows()), SUITES)
    assert report.success, [o for o in report.outcomes if not o.success]
    assert not report.failed_warnings
    n = len(report.outcomes)
    assert {o.table for o in report.outcomes} == set(TABLES)
    assert report.summary() == f"{n}/{n} expectations passed (0 critical failures, 0 warnings)"


def test_empty_tables_pass(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # also proves GX writes nothing to the working directory
    report = validate.validate_tables({n: s.empty_table() for n, s in TABLES.items()}, SUITES)
    assert report.success, report.failed_critical
    assert list(tmp_path.iterdir()) == []


def _dup_doc(rows: Rows) -> None:
    rows["documents"].append({**rows["documents"][0], "source_name": "copy-of-a.txt"})


def _entity_past_end(rows: Rows) -> None:
    rows["entities"].append(_entity(len(TEXT) - 3, len(TEXT) + 4, "rief.xyz", "ORG"))


def _entity_text_mismatch(rows: Rows) -> None:
    rows["entities"][0]["text"] = "Alice Smyth"


def _removed_not_zero_width(rows: Rows) -> None:
    rows["segments"][3]["start"] = len(TEXT) - 5


def _unknown_kind(rows: Rows) -> None:
    rows["segments"][3]["kind"] = "sidebar"


def _kept_text_mismatch(rows: Rows) -> None:
    rows["segments"][1]["text"] = "Alice Smith met Bob in Rome."


def _doc_id_not_sha_prefix(rows: Rows) -> None:
    rows["documents"][0]["doc_id"] = "0123456789abcdef"
    for name in ("segments", "entities", "keyphrases"):
        for row in rows[name]:
            row["doc_id"] = "0123456789abcdef"


def _orphan_keyphrase(rows: Rows) -> None:
    rows["keyphrases"][1]["doc_id"] = "ffffffffffffffff"


def _duplicate_rank(rows: Rows) -> None:
    rows["keyphrases"][1]["rank"] = 1


def _null_entity_doc_id(rows: Rows) -> None:
    rows["entities"][1]["doc_id"] = None


def _unknown_stage(rows: Rows) -> None:
    rows["quarantine"][0]["stage"] = "somewhere"


def _bad_removed_share(rows: Rows) -> None:
    rows["documents"][0]["removed_share"] = 1.5


def _unknown_label(rows: Rows) -> None:
    rows["entities"][0]["label"] = "PER"


CORRUPTIONS: list[tuple[str, Callable[[Rows], None], str, str, str | None]] = [
    ("duplicate doc_id", _dup_doc, "documents", "expect_column_values_to_be_unique", "doc_id"),
    (
        "entity offset past text end",
        _entity_past_end,
        "entities",
        "expect_column_pair_values_a_to_be_greater_than_b",
        "doc_text_length, end",
    ),
    (
        "entity text mismatch",
        _entity_text_mismatch,
        "entities",
        "expect_column_values_to_be_in_set",
        "text_matches_document",
    ),
    (
        "removed segment with start != end",
        _removed_not_zero_width,
        "segments",
        "expect_column_values_to_be_in_set",
        "removed_is_zero_width",
    ),
    ("unknown kind", _unknown_kind, "segments", "expect_column_values_to_be_in_set", "kind"),
    (
        "kept segment text mismatch",
        _kept_text_mismatch,
        "segments",
        "expect_column_values_to_be_in_set",
        "text_matches_document",
    ),
    (
        "doc_id not the sha256 prefix",
        _doc_id_not_sha_prefix,
        "documents",
        "expect_column_values_to_be_in_set",
        "doc_id_matches_sha256",
    ),
    (
        "keyphrase of a missing document",
        _orphan_keyphrase,
        "keyphrases",
        "expect_column_values_to_be_in_set",
        "doc_exists",
    ),
    (
        "duplicate (doc_id, rank)",
        _duplicate_rank,
        "keyphrases",
        "expect_compound_columns_to_be_unique",
        "doc_id, rank",
    ),
    (
        "null entity doc_id",
        _null_entity_doc_id,
        "entities",
        "expect_column_values_to_not_be_null",
        "doc_id",
    ),
    ("unknown stage", _unknown_stage, "quarantine", "expect_column_values_to_be_in_set", "stage"),
    (
        "removed_share above 1",
        _bad_removed_share,
        "documents",
        "expect_column_values_to_be_between",
        "removed_share",
    ),
    ("unknown label", _unknown_label, "entities", "expect_column_values_to_be_in_set", "label"),
]


@pytest.mark.parametrize(
    ("mutate", "table", "expectation", "column"),
    [pytest.param(*case[1:], id=case[0]) for case in CORRUPTIONS],
)
def test_critical_corruption_fails(
    mutate: Callable[[Rows], None], table: str, expectation: str, column: str | None
) -> None:
    rows = valid_rows()
    mutate(rows)
    # Children are checked against documents, so documents always come along.
    report = validate.validate_tables(to_tables(rows, *{"documents", table}), SUITES)
    assert not report.success
    hits = failed(report, table, expectation, column)
    assert hits, report.failed_critical
    assert all(o.severity == validate.CRITICAL for o in hits)
    assert all(o in report.failed_critical for o in hits)
    assert " rows unexpected, e.g. " in hits[0].observed


def test_failure_observed_names_the_row() -> None:
    rows = valid_rows()
    _entity_text_mismatch(rows)
    report = validate.validate_tables(to_tables(rows, "documents", "entities"), SUITES)
    (hit,) = failed(
        report, "entities", "expect_column_values_to_be_in_set", "text_matches_document"
    )
    assert hit.observed.startswith("1 of 2 rows unexpected")
    assert f"doc_id={DOC_ID!r}, start=0, end=11" in hit.observed


def test_offset_past_end_does_not_crash_on_orphans() -> None:
    rows = valid_rows()
    rows["entities"][0]["doc_id"] = "ffffffffffffffff"  # orphan: fails doc_exists only
    report = validate.validate_tables(to_tables(rows, "documents", "entities"), SUITES)
    failing = {(o.table, o.column) for o in report.failed_critical}
    assert failing == {("entities", "doc_exists")}


@pytest.mark.parametrize(
    "reshape",
    [
        pytest.param(lambda t: t.drop_columns(["publisher"]), id="missing column"),
        pytest.param(lambda t: t.select(t.column_names[::-1]), id="reordered columns"),
        pytest.param(
            lambda t: t.append_column("extra", pa.array([1] * t.num_rows)), id="extra column"
        ),
    ],
)
def test_wrong_columns_fail(reshape: Callable[[pa.Table], pa.Table]) -> None:
    tables = to_tables(valid_rows(), "documents")
    tables["documents"] = reshape(tables["documents"])
    report = validate.validate_tables(tables, SUITES)
    assert not report.success
    assert failed(report, "documents", "expect_table_columns_to_match_ordered_list", None)


def test_missing_input_column_is_reported_not_raised() -> None:
    tables = to_tables(valid_rows(), "documents", "entities")
    tables["entities"] = tables["entities"].drop_columns(["text"])
    report = validate.validate_tables(tables, SUITES)
    assert failed(report, "entities", "expect_table_columns_to_match_ordered_list", None)
    (hit,) = failed(
        report, "entities", "expect_column_values_to_be_in_set", "text_matches_document"
    )
    assert hit.observed.startswith("not evaluated:")


def test_missing_suite_is_a_critical_outcome(tmp_path: Path) -> None:
    for path in SUITES.glob("*.json"):
        if path.stem != "entities":
            shutil.copy(path, tmp_path / path.name)
    report = validate.validate_tables(to_tables(valid_rows(), "documents", "entities"), tmp_path)
    assert not report.success
    (hit,) = report.failed_critical
    assert (hit.table, hit.expectation, hit.severity) == (
        "entities",
        validate.SUITE_EXISTS,
        "critical",
    )
    assert "entities.json" in hit.observed


def test_warning_only_failure_keeps_success() -> None:
    rows = valid_rows()
    rows["documents"][0]["language"] = "und"  # a known code, but the share of English drops
    # Entities come along: the entity density of documents needs them.
    report = validate.validate_tables(to_tables(rows, "documents", "entities"), SUITES)
    assert report.success
    assert not report.failed_critical
    (hit,) = report.failed_warnings
    assert (hit.table, hit.expectation, hit.column) == (
        "documents",
        "expect_column_values_to_be_in_set",
        "language",
    )
    n = len(report.outcomes)
    assert report.summary() == f"{n - 1}/{n} expectations passed (0 critical failures, 1 warning)"


def test_report_to_dict_is_json() -> None:
    rows = valid_rows()
    _dup_doc(rows)
    report = validate.validate_tables(to_tables(rows, "documents"), SUITES)
    data = json.loads(json.dumps(report.to_dict()))
    assert data["success"] is False
    assert data["n_failed_critical"] == len(report.failed_critical) >= 1
    assert data["outcomes"][0].keys() == {
        "table",
        "expectation",
        "column",
        "severity",
        "success",
        "observed",
        "docs_page",
    }
    assert data["data_docs_index"] is None  # no docs folder given


# --- the suites themselves --------------------------------------------------------------------


def _raw_suites() -> dict[str, dict[str, Any]]:
    return {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in SUITES.glob("*.json")}


def test_every_table_has_a_suite_matching_the_schema() -> None:
    raw = _raw_suites()
    assert set(raw) == set(TABLES)
    assert set(validate.load_suites(SUITES)) == set(TABLES)
    for name, schema in TABLES.items():
        exps = raw[name]["expectations"]
        (ordered,) = [e for e in exps if e["type"] == "expect_table_columns_to_match_ordered_list"]
        assert ordered["kwargs"]["column_list"] == schema.names, name
        not_null = {
            e["kwargs"]["column"]
            for e in exps
            if e["type"] == "expect_column_values_to_not_be_null"
        }
        assert not_null == {f.name for f in schema if not f.nullable}, name
        for exp in exps:
            assert exp["meta"]["severity"] in {"critical", "warning"}, exp
            assert exp["meta"]["why"].strip(), exp


def test_segment_kinds_match_records() -> None:
    exps = _raw_suites()["segments"]["expectations"]
    (kinds,) = [
        e for e in exps if e["kwargs"].get("column") == "kind" and "value_set" in e["kwargs"]
    ]
    assert kinds["kwargs"]["value_set"] == list(SEGMENT_KINDS)


@pytest.mark.parametrize(
    "breakage",
    [
        pytest.param(lambda e: e["meta"].pop("why"), id="no why"),
        pytest.param(lambda e: e["meta"].update(severity="fatal"), id="unknown severity"),
        pytest.param(lambda e: e["kwargs"].update(colum="x"), id="bad kwarg"),
        pytest.param(lambda e: e.update(type="expect_nonsense"), id="unknown expectation"),
    ],
)
def test_load_suites_rejects_malformed_suites(
    tmp_path: Path, breakage: Callable[[dict[str, Any]], Any]
) -> None:
    suite = _raw_suites()["quarantine"]
    breakage(suite["expectations"][1])
    (tmp_path / "quarantine.json").write_text(json.dumps(suite), encoding="utf-8")
    with pytest.raises(validate.SuiteError, match=r"quarantine\.json"):
        validate.load_suites(tmp_path)


def test_import_is_cheap() -> None:
    code = "import sys, flows.validate; print('great_expectations' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"


def test_entity_index_counts_must_trace_to_entity_rows() -> None:
    rows = valid_rows()
    rows["entity_index"][0]["n_mentions"] = 3
    report = validate.validate_tables(to_tables(rows, "entities", "entity_index"), SUITES)
    assert failed(
        report, "entity_index", "expect_column_values_to_be_in_set", "mentions_match_entities"
    )
    assert not report.success


def test_an_entity_without_an_index_row_fails() -> None:
    rows = valid_rows()
    del rows["entity_index"][1]
    report = validate.validate_tables(to_tables(rows, "entities", "entity_index"), SUITES)
    [outcome] = failed(report, "entities", "expect_column_values_to_be_in_set", "indexed")
    assert "Paris" not in outcome.observed or "start=" in outcome.observed
    assert not report.success


def test_entity_index_key_is_unique() -> None:
    rows = valid_rows()
    rows["entity_index"].append(dict(rows["entity_index"][0]))
    report = validate.validate_tables(to_tables(rows, "entities", "entity_index"), SUITES)
    assert failed(
        report, "entity_index", "expect_compound_columns_to_be_unique", "canonical, label"
    )


# --- distributions, drift and Data Docs -------------------------------------------------------


def test_distribution_warnings_fire_on_a_stub_document() -> None:
    rows = valid_rows()
    stub = rows["documents"][0]
    # Six words, two entities (333 per 1,000 words), most of the page removed: every warning.
    stub.update(text=PARA_1, n_words=len(PARA_1.split()), removed_share=0.9)
    rows["segments"] = rows["segments"][:2]
    report = validate.validate_tables(to_tables(rows, "documents", "entities"), SUITES)
    assert report.success, report.failed_critical
    assert {(o.expectation, o.column) for o in report.failed_warnings} == {
        ("expect_column_values_to_be_between", "n_words"),
        ("expect_column_median_to_be_between", "n_words"),
        ("expect_column_mean_to_be_between", "removed_share"),
        ("expect_column_quantile_values_to_be_between", "removed_share"),
        ("expect_column_values_to_be_between", "entities_per_1000_words"),
        ("expect_column_mean_to_be_between", "entities_per_1000_words"),
    }


def test_an_unknown_language_code_is_critical() -> None:
    rows = valid_rows()
    rows["documents"][0]["language"] = "de"  # detect_language writes only en or und
    report = validate.validate_tables(to_tables(rows, "documents", "entities"), SUITES)
    assert not report.success
    assert failed(report, "documents", "expect_column_values_to_be_in_set", "language")


DRIFT = "expect_table_row_count_to_be_between"
DRIFT_TABLES = ("documents", "segments", "entities", "keyphrases", "entity_index")


def _drift(report: validate.ValidationReport) -> dict[str, validate.ExpectationOutcome]:
    return {o.table: o for o in report.outcomes if o.expectation == DRIFT}


def test_drift_is_not_applicable_on_the_first_run() -> None:
    report = validate.validate_tables(to_tables(valid_rows()), SUITES, previous_counts={})
    drift = _drift(report)
    assert set(drift) == set(DRIFT_TABLES)
    assert all(o.success and o.observed == validate.NO_PREVIOUS_RUN for o in drift.values())
    assert all(o.severity == validate.WARNING for o in drift.values())


def test_drift_warns_when_counts_jump_beyond_tolerance() -> None:
    rows = valid_rows()
    settings = ValidationSettings(row_count_drift_tolerance=0.5, row_count_drift_min_rows=0)
    current = {name: len(rows[name]) for name in DRIFT_TABLES}
    previous = {**current, "segments": 40, "entities": 10 * current["entities"]}
    report = validate.validate_tables(
        to_tables(rows), SUITES, previous_counts=previous, settings=settings
    )
    drift = _drift(report)
    assert report.success  # drift is a warning: a corpus can legitimately grow or shrink
    assert {t for t, o in drift.items() if not o.success} == {"segments", "entities"}
    assert drift["segments"].observed == "4 rows; previous published run 40, allowed 20..60"
    assert drift["documents"].success
    assert "previous published run 1" in drift["documents"].observed


def test_drift_bounds_follow_the_settings() -> None:
    settings = ValidationSettings(row_count_drift_tolerance=0.25, row_count_drift_min_rows=10)
    assert validate.drift_bounds(1000, settings) == (750, 1250)
    assert validate.drift_bounds(4, settings) == (0, 14)  # small tables get the absolute slack


def test_published_row_counts_read_the_latest_snapshot(tmp_path: Path) -> None:
    assert validate.published_row_counts(tmp_path) == {}
    tables = to_tables(valid_rows())
    publish.write_snapshot(tmp_path, "run-1", tables)
    assert validate.published_row_counts(tmp_path) == {}  # written, not yet published
    publish.switch_latest(tmp_path, "run-1", list(tables))
    assert validate.published_row_counts(tmp_path) == {n: t.num_rows for n, t in tables.items()}


@pytest.fixture(scope="module")
def docs_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, validate.ValidationReport]:
    """One validation with Data Docs (a warning and a drift failure, so pages show failures)."""
    snapshot = tmp_path_factory.mktemp("snapshot")
    rows = valid_rows()
    rows["documents"][0]["language"] = "und"
    cwd = Path.cwd()
    before = set(cwd.iterdir())
    report = validate.validate_tables(
        to_tables(rows),
        SUITES,
        previous_counts={"documents": 100},
        docs_dir=snapshot / validate.DATA_DOCS_DIR,
        run_name="20250101T000000Z-abc123",
    )
    assert set(cwd.iterdir()) == before  # GX writes nothing outside the docs folder
    return snapshot, report


def test_data_docs_have_an_index_and_one_page_per_suite_part(docs_run) -> None:
    snapshot, report = docs_run
    assert report.data_docs_index == "data_docs/index.html"
    index = (snapshot / report.data_docs_index).read_text(encoding="utf-8")
    assert "20250101T000000Z-abc123" in index
    pages = sorted((snapshot / "data_docs" / "validations").rglob("*.html"))
    parts = {(p.relative_to(snapshot / "data_docs" / "validations").parts[:2]) for p in pages}
    assert parts == {(t, part) for t in TABLES for part in ("shape", "rows")}
    assert len(pages) == len(parts)
    for page in pages:  # the index links every page
        assert page.relative_to(snapshot / "data_docs").as_posix() in index
    assert set(snapshot.iterdir()) == {snapshot / "data_docs"}


def test_outcomes_link_to_their_data_docs_page(docs_run) -> None:
    snapshot, report = docs_run
    assert report.success and report.failed_warnings
    for outcome in report.outcomes:
        if outcome.observed == validate.NO_PREVIOUS_RUN:
            assert outcome.docs_page is None  # GX did not compute it: no page
            continue
        assert outcome.docs_page is not None, outcome
        page = snapshot / outcome.docs_page
        assert page.is_file()
        assert page.relative_to(snapshot / "data_docs" / "validations").parts[0] == outcome.table
    data = json.loads(json.dumps(report.to_dict()))
    assert data["data_docs_index"] == "data_docs/index.html"
    assert data["outcomes"][0]["docs_page"].startswith("data_docs/validations/")


REMOTE_ASSET = re.compile(r"<(?:script|link|img)\b[^>]*(?:src|href)=[\"']https?:", re.IGNORECASE)


def test_data_docs_load_nothing_remote(docs_run) -> None:
    snapshot, _ = docs_run
    docs = snapshot / "data_docs"
    for page in docs.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert not REMOTE_ASSET.search(text), page
        assert "<script" not in text.lower(), page
        assert "url(https:" not in text and "url('https:" not in text, page
    # GX's 4 MB of fonts and tutorial GIFs are pruned; only what a page references stays.
    static = sum(p.stat().st_size for p in (docs / "static").rglob("*") if p.is_file())
    assert static < MAX_STATIC_BYTES


def test_a_data_docs_failure_keeps_the_verdict(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(docs_dir: Path) -> None:
        raise RuntimeError("renderer broke")

    monkeypatch.setattr(validate.data_docs, "make_offline", broken)
    rows = valid_rows()
    _dup_doc(rows)
    report = validate.validate_tables(
        to_tables(rows, "documents"), SUITES, docs_dir=tmp_path / "data_docs"
    )
    assert not report.success  # the duplicate still fails the run
    assert report.data_docs_index is None
    assert all(o.docs_page is None for o in report.outcomes)


# --- validation memo ---------------------------------------------------------------------------


def _without_pages(report: validate.ValidationReport) -> list[validate.ExpectationOutcome]:
    return [dataclasses.replace(o, docs_page=None) for o in report.outcomes]


@pytest.fixture
def gx_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The suite parts GX really validates (the memo's misses), in order."""
    calls: list[str] = []
    real = validate._validate_part

    def spy(gx, batch, part, table, data, for_docs):  # type: ignore[no-untyped-def]
        calls.append(part.name)
        return real(gx, batch, part, table, data, for_docs)

    monkeypatch.setattr(validate, "_validate_part", spy)
    return calls


def test_the_memo_reuses_parts_of_unchanged_tables(tmp_path: Path, gx_calls: list[str]) -> None:
    rows = valid_rows()
    rows["documents"][0]["language"] = "und"  # a warning, so a failure is remembered too
    memo = tmp_path / "memo"
    first = validate.validate_tables(
        to_tables(rows), SUITES, docs_dir=tmp_path / "a" / "data_docs", memo_dir=memo
    )
    assert len(gx_calls) == 2 * len(TABLES)
    gx_calls.clear()
    second = validate.validate_tables(
        to_tables(rows), SUITES, docs_dir=tmp_path / "b" / "data_docs", memo_dir=memo
    )
    assert gx_calls == []
    assert _without_pages(second) == _without_pages(first)
    assert first.failed_warnings and len(second.failed_warnings) == len(first.failed_warnings)
    # The remembered results still make this run's pages.
    for outcome in second.outcomes:
        if outcome.docs_page is not None:
            assert (tmp_path / "b" / outcome.docs_page).is_file()


def test_the_memo_never_hides_a_change(tmp_path: Path, gx_calls: list[str]) -> None:
    memo = tmp_path / "memo"
    assert validate.validate_tables(to_tables(valid_rows()), SUITES, memo_dir=memo).success
    rows = valid_rows()
    rows["entities"][0]["end"] += 1  # the entity text no longer matches the document
    gx_calls.clear()
    report = validate.validate_tables(to_tables(rows), SUITES, memo_dir=memo)
    assert not report.success
    assert failed(report, "entities", "expect_column_values_to_be_in_set", "text_matches_document")
    # Derived columns read other tables, so every part sees the change.
    assert len(gx_calls) == 2 * len(TABLES)


def test_new_drift_bounds_revalidate_the_shape_parts_only(
    tmp_path: Path, gx_calls: list[str]
) -> None:
    memo = tmp_path / "memo"
    tables = to_tables(valid_rows())
    validate.validate_tables(tables, SUITES, previous_counts={}, memo_dir=memo)
    gx_calls.clear()
    previous = {name: 1000 for name in DRIFT_TABLES}
    report = validate.validate_tables(tables, SUITES, previous_counts=previous, memo_dir=memo)
    assert sorted(gx_calls) == sorted(f"{t}.shape" for t in DRIFT_TABLES)
    assert not any(o.success for o in _drift(report).values())


def test_an_unreadable_memo_entry_is_a_miss(tmp_path: Path, gx_calls: list[str]) -> None:
    memo = tmp_path / "memo"
    tables = to_tables(valid_rows(), "documents")
    first = validate.validate_tables(tables, SUITES, memo_dir=memo)
    for entry in memo.rglob("*.json"):
        entry.write_text('{"outcomes": [{"bogus": 1}], "result": {}}', encoding="utf-8")
    gx_calls.clear()
    again = validate.validate_tables(tables, SUITES, memo_dir=memo)
    assert gx_calls == ["documents.shape", "documents.rows"]
    assert again == first
