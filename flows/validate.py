"""Validation of Broadsheet's published tables against the Great Expectations suites.

This module owns the data-quality gate of a run: it loads the suites in ``expectations/`` (one GX
suite JSON per table of :mod:`flows.schema`), validates each Arrow table against its suite in an
ephemeral, in-memory GX context (analytics disabled; nothing is written to disk except the Data
Docs, and only when asked) and returns a :class:`ValidationReport` that the run report embeds and
the CLI uses to decide the exit code.

Every expectation carries ``meta = {"severity": "critical" | "warning", "why": "..."}``. A run is
valid when every *critical* expectation passed; failed warnings are reported but do not fail it.
A table without a suite is itself a critical failure (expectation ``suite_exists``).

Derived check columns
---------------------
Some rules span tables or rows ("offsets inside documents.text", "every child row has a
document"). A single-table expectation cannot express them, so :func:`validate_tables` adds these
columns to a *copy* of each frame before validation, and the suites expect values of them:

documents
  ``doc_id_matches_sha256`` (bool): ``doc_id == source_sha256[:16]``.
  ``text_word_count`` (int): ``len(text.split())``, compared with ``n_words``.
  ``entities_per_1000_words`` (float, null when ``entities`` is not validated or ``n_words`` is
  not positive): the document's ``entities`` rows per 1,000 words, for the density warnings.
segments
  ``removed_is_zero_width`` (bool): ``kept or start == end``.
  ``kept_kind_is_body_kind`` (bool): ``not kept or kind in flows.records.BODY_KINDS``.
  ``doc_exists`` (bool): ``doc_id`` is a ``documents.doc_id``.
  ``doc_text_length`` (int, null when the document is missing): ``len(documents.text)``.
  ``text_matches_document`` (bool, null for removed segments and orphans):
  ``documents.text[start:end] == text``.
entities
  ``doc_exists``, ``doc_text_length`` as for segments; ``text_matches_document`` (null for
  orphans): ``documents.text[start:end] == text``.
  ``indexed`` (bool): ``(canonical, label)`` is a row of ``entity_index``.
keyphrases
  ``doc_exists`` as for segments.
entity_index
  ``mentions_match_entities`` (bool): ``n_mentions`` equals the number of ``entities`` rows with
  this ``(canonical, label)``; ``documents_match_entities`` (bool): ``n_documents`` equals the
  number of distinct ``doc_id`` among them. Every figure of the index traces to entity rows.

Null derived values are "not applicable": GX skips nulls in value-set expectations, and the
offset check ignores rows whose document is missing, so an orphan row fails ``doc_exists`` only.
Table-shape expectations (column layout and row counts: ``TABLE_SHAPE_EXPECTATIONS``) run on the
original frame, so they see exactly the schema columns of the table that will be published.

Row-count drift
---------------
Suites may hold ``expect_table_row_count_to_be_between`` with ``{"$PARAMETER":
"previous_row_count_min"}`` / ``"previous_row_count_max"`` bounds (warnings: a corpus can grow).
:func:`validate_tables` fills them from ``previous_counts`` (:func:`published_row_counts` of the
output's ``latest`` run) with :func:`drift_bounds`: the previous count plus or minus
``[validation] row_count_drift_tolerance`` of it, at least ``row_count_drift_min_rows``. The
parameters are substituted before GX sees the suite (outcomes are matched to expectations by their
kwargs); a table without a previous count (the first run) gets a passed, "not applicable" outcome.

Data Docs
---------
With ``docs_dir`` (the pipeline passes ``snapshots/<run_id>/data_docs``) the GX site is built
there: one validation page per suite part (``<table>.shape``, ``<table>.rows``), made to work
offline by :mod:`flows.data_docs`, and an ``index.html`` listing them. Pages need observed values,
so the first validation pass is BASIC instead of pass/fail (about the same cost), and failures'
detailed results replace theirs on the page. Each outcome's ``docs_page`` and the report's
``data_docs_index`` are paths relative to the folder holding the site (the snapshot). A docs
failure is logged and leaves them None; it never changes the verdict.

Validation memo
---------------
With ``memo_dir`` (the pipeline passes ``<cache>/validation``, see :mod:`flows.cache`), each
suite part's outcomes and GX result are stored under a key that hashes the tables, the bound
part and the code; a later run on the same tables reuses them instead of validating again (a
warm re-run of an unchanged corpus). Row-count drift bounds are part of the key, so the shape
parts are validated again whenever the previous published run's counts differ.

GX is imported lazily inside the functions (its import takes seconds), so ``import
flows.validate`` stays cheap.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import hashlib
import json
import logging
import math
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlparse

import pyarrow as pa
import pyarrow.parquet as pq

from flows import data_docs
from flows.config import ValidationSettings
from flows.records import BODY_KINDS

if TYPE_CHECKING:
    import pandas as pd
    from great_expectations import ExpectationSuite
    from great_expectations.core import ExpectationValidationResult

CRITICAL = "critical"
WARNING = "warning"
SEVERITIES: frozenset[str] = frozenset({CRITICAL, WARNING})

# Pseudo-expectation reported when a table has no suite file.
SUITE_EXISTS = "suite_exists"
SUITE_SUFFIX = ".json"

# Expectations about the table's shape: they run on the frame without derived columns.
TABLE_SHAPE_EXPECTATIONS: frozenset[str] = frozenset(
    {
        "expect_table_columns_to_match_ordered_list",
        "expect_table_columns_to_match_set",
        "expect_table_column_count_to_equal",
        "expect_table_column_count_to_be_between",
        # Row counts are the same on both frames; in the shape part, the drift bounds (which
        # change with every previous run) do not touch the row part's memo key.
        "expect_table_row_count_to_be_between",
        "expect_table_row_count_to_equal",
    }
)
# Expectations whose ``column_list`` kwarg is their domain (not an expected table layout).
MULTICOLUMN_EXPECTATIONS: frozenset[str] = frozenset(
    {
        "expect_compound_columns_to_be_unique",
        "expect_multicolumn_values_to_be_unique",
        "expect_select_column_values_to_be_unique_within_record",
        "expect_multicolumn_sum_to_equal",
    }
)

# Columns that identify a row in failure examples, so a reader can find the offending row.
ROW_KEYS: dict[str, tuple[str, ...]] = {
    "documents": ("doc_id",),
    "segments": ("doc_id", "seq"),
    "entities": ("doc_id", "start", "end"),
    "keyphrases": ("doc_id", "rank"),
    "entity_index": ("canonical", "label"),
    "quarantine": ("source_name",),
}
DOCUMENTS = "documents"
ENTITIES = "entities"
ENTITY_INDEX = "entity_index"
# Tables whose rows point into documents (and whose suites expect the cross-table columns).
CHILD_TABLES: frozenset[str] = frozenset({"segments", "entities", "keyphrases"})
# Children whose [start, end) spans index documents.text.
SPAN_TABLES: frozenset[str] = frozenset({"segments", "entities"})
DOC_ID_HEX_DIGITS = 16

# Failure examples kept per outcome, and the longest observed string a report line carries.
MAX_EXAMPLES = 3
MAX_OBSERVED_CHARS = 240
ELLIPSIS = "..."
PASS_FAIL_FORMAT: dict[str, Any] = {"result_format": "BOOLEAN_ONLY"}
DETAIL_FORMAT: dict[str, Any] = {
    "result_format": "SUMMARY",
    "partial_unexpected_count": MAX_EXAMPLES,
}
PASSED = "passed"
GX_DATASOURCE = "broadsheet"
# kwargs GX adds to an expectation's configuration when it runs (not part of the suite).
GX_RUNTIME_KWARGS: frozenset[str] = frozenset({"batch_id"})
GX_BATCH_DEFINITION = "whole_table"

# Data Docs: the site's folder inside a snapshot. Pages need an observed value for table-level
# expectations, which the pass/fail format omits; BASIC costs about the same (measured).
DATA_DOCS_DIR = "data_docs"
DOCS_PASS_FORMAT: dict[str, Any] = {"result_format": "BASIC"}
DEFAULT_RUN_NAME = "broadsheet"
RUN_NAME_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
SHAPE_PART = "shape"
ROWS_PART = "rows"
# Bumped when the validation memo's entry layout changes (see _PartMemo).
MEMO_FORMAT = 1

# Row-count drift: suites name these parameters in their expect_table_row_count_to_be_between
# ({"$PARAMETER": ...}); validate_tables fills them from the previous published run's counts.
DRIFT_MIN_PARAMETER = "previous_row_count_min"
DRIFT_MAX_PARAMETER = "previous_row_count_max"
GX_PARAMETER_KEY = "$PARAMETER"
NOT_EVALUATED = "not evaluated"
NO_PREVIOUS_RUN = "not applicable: no previous published run to compare row counts with"

# Entity density is reported per this many words of documents.text.
WORDS_PER_DENSITY = 1000

logger = logging.getLogger(__name__)


class SuiteError(ValueError):
    """A suite file is not a valid GX suite or breaks Broadsheet's suite conventions."""


@dataclass(frozen=True)
class ExpectationOutcome:
    """The result of one expectation on one table."""

    table: str
    expectation: str
    column: str | None
    severity: str
    success: bool
    observed: str  # short human-readable observed value / unexpected examples
    # The Data Docs page with this result, relative to the folder holding the docs site (the
    # run's snapshot); None without Data Docs or for outcomes GX did not compute.
    docs_page: str | None = None


@dataclass(frozen=True)
class ValidationReport:
    """Every expectation outcome of a validation, with the verdict for the run."""

    outcomes: tuple[ExpectationOutcome, ...]
    # index.html of the run's Data Docs, relative to the folder holding the site; None if unbuilt.
    data_docs_index: str | None = None

    @property
    def success(self) -> bool:
        """True when every critical expectation passed."""
        return not self.failed_critical

    @property
    def failed_critical(self) -> tuple[ExpectationOutcome, ...]:
        return tuple(o for o in self.outcomes if not o.success and o.severity == CRITICAL)

    @property
    def failed_warnings(self) -> tuple[ExpectationOutcome, ...]:
        return tuple(o for o in self.outcomes if not o.success and o.severity == WARNING)

    def summary(self) -> str:
        passed = sum(o.success for o in self.outcomes)
        n_critical = len(self.failed_critical)
        n_warning = len(self.failed_warnings)
        return (
            f"{passed}/{len(self.outcomes)} expectations passed "
            f"({n_critical} critical failure{'' if n_critical == 1 else 's'}, "
            f"{n_warning} warning{'' if n_warning == 1 else 's'})"
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form for the run report."""
        return {
            "success": self.success,
            "summary": self.summary(),
            "n_expectations": len(self.outcomes),
            "n_failed_critical": len(self.failed_critical),
            "n_failed_warnings": len(self.failed_warnings),
            "data_docs_index": self.data_docs_index,
            "outcomes": [asdict(o) for o in self.outcomes],
        }


def _import_gx() -> Any:
    """Import great_expectations with analytics off (the pipeline runs offline)."""
    os.environ["GX_ANALYTICS_ENABLED"] = "false"
    import great_expectations as gx
    from great_expectations.execution_engine import pandas_execution_engine

    # GX fingerprints every in-memory batch below this many bytes, by pickling the whole frame
    # when a column holds lists (documents.authors): about 0.3 s a run for a marker on the result
    # that Broadsheet never reads (batches are named by table and run). 0 turns it off.
    pandas_execution_engine.HASH_THRESHOLD = 0
    return gx


def _check_suite_conventions(path: Path, raw: Any) -> None:
    """Reject suites GX would silently weaken, and enforce the severity/why metadata."""
    if not isinstance(raw, dict):
        raise SuiteError(f"{path}: a suite is a JSON object")
    if raw.get("name") != path.stem:
        raise SuiteError(f"{path}: suite name {raw.get('name')!r} must equal {path.stem!r}")
    expectations = raw.get("expectations")
    if not isinstance(expectations, list) or not expectations:
        raise SuiteError(f"{path}: a suite needs a non-empty 'expectations' list")
    for i, exp in enumerate(expectations):
        if not isinstance(exp, dict):
            raise SuiteError(f"{path}: expectation {i} is not a JSON object")
        meta = exp.get("meta") or {}
        where = f"{path}: expectation {i} ({exp.get('type')})"
        if meta.get("severity") not in SEVERITIES:
            raise SuiteError(f"{where}: meta.severity must be one of {sorted(SEVERITIES)}")
        if not str(meta.get("why", "")).strip():
            raise SuiteError(f"{where}: meta.why must say why the expectation exists")
        # GX has its own severity field; keep it in step so GX tooling agrees with the report.
        if exp.get("severity", meta["severity"]) != meta["severity"]:
            raise SuiteError(f"{where}: severity and meta.severity disagree")


def load_suites(suites_dir: Path) -> dict[str, ExpectationSuite]:
    """Every ``<table>.json`` suite in ``suites_dir``, keyed by table name.

    Raises :class:`SuiteError` for a malformed suite: suites are reviewed code, so a broken one
    should stop the run loudly rather than validate less than it claims.
    """
    gx = _import_gx()
    suites: dict[str, ExpectationSuite] = {}
    for path in sorted(Path(suites_dir).glob(f"*{SUITE_SUFFIX}")):
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise SuiteError(f"cannot read suite {path}: {exc}") from exc
        _check_suite_conventions(path, raw)
        try:
            suite = gx.ExpectationSuite(**raw)
        except Exception as exc:  # GX raises pydantic, GX and type errors for a bad expectation
            raise SuiteError(f"{path}: not a valid GX suite: {exc}") from exc
        # GX logs and drops expectations it cannot build; a dropped check must not pass quietly.
        if len(suite.expectations) != len(raw["expectations"]):
            raise SuiteError(
                f"{path}: GX built {len(suite.expectations)} of "
                f"{len(raw['expectations'])} expectations (see the GX log for the invalid one)"
            )
        suites[path.stem] = suite
    return suites


# --- derived check columns -------------------------------------------------------------------


def _as_int(value: Any) -> int | None:
    """An offset as int, or None when null or not integral (the suite reports those rows)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        as_float = float(value)
    except (TypeError, ValueError):
        return None
    if as_float != as_float or not as_float.is_integer():  # NaN or fractional
        return None
    return int(as_float)


def _document_texts(documents: pd.DataFrame | None) -> dict[str, str]:
    """doc_id -> text of the documents table (first row wins; duplicates fail on their own)."""
    if documents is None or not {"doc_id", "text"} <= set(documents.columns):
        return {}
    texts: dict[str, str] = {}
    for doc_id, text in zip(_values(documents, "doc_id"), _values(documents, "text"), strict=True):
        if isinstance(doc_id, str) and isinstance(text, str):
            texts.setdefault(doc_id, text)
    return texts


def _values(frame: pd.DataFrame, column: str) -> list[Any]:
    """A column as a Python list: the same values as iterating the Series, which for an
    Arrow-backed column converts one element per call (several times slower)."""
    return frame[column].tolist()


def _has(frame: pd.DataFrame, columns: Iterable[str]) -> bool:
    # A missing input column leaves its derived column out: GX then reports the expectation as
    # not evaluated, and the ordered-column expectation names the real problem.
    return set(columns) <= set(frame.columns)


def _entity_density(n_words: Any, n_entities: int | None) -> float | None:
    """Entities per WORDS_PER_DENSITY words, or None when not applicable (no count, no words)."""
    words = _as_int(n_words)
    if n_entities is None or words is None or words <= 0:
        return None
    return n_entities * WORDS_PER_DENSITY / words


def _derive_documents(frame: pd.DataFrame, cross: _CrossTable) -> pd.DataFrame:
    import pandas as pd

    out = frame.copy()
    if _has(frame, ("doc_id", "source_sha256")):
        out["doc_id_matches_sha256"] = pd.array(
            [
                None
                if not (isinstance(d, str) and isinstance(s, str))
                else d == s[:DOC_ID_HEX_DIGITS]
                for d, s in zip(
                    _values(frame, "doc_id"), _values(frame, "source_sha256"), strict=True
                )
            ],
            dtype="boolean",
        )
    if _has(frame, ("text",)):
        out["text_word_count"] = pd.array(
            [len(t.split()) if isinstance(t, str) else None for t in _values(frame, "text")],
            dtype="Int64",
        )
    if _has(frame, ("doc_id", "n_words")):
        counts = cross.entities_per_doc
        out["entities_per_1000_words"] = pd.array(
            [
                _entity_density(n, None if counts is None else counts.get(d, 0))
                for d, n in zip(_values(frame, "doc_id"), _values(frame, "n_words"), strict=True)
            ],
            dtype="Float64",
        )
    return out


def _flag(value: Any) -> bool | None:
    """A boolean cell as bool, or None when null."""
    import pandas as pd

    return None if value is None or pd.isna(value) else bool(value)


def _span_matches(
    doc_text: str | None, start: int | None, end: int | None, text: Any
) -> bool | None:
    """documents.text[start:end] == text, or None when the document or an offset is missing."""
    if doc_text is None or start is None or end is None:
        return None
    return doc_text[start:end] == text


def _derive_child(table: str, frame: pd.DataFrame, doc_texts: Mapping[str, str]) -> pd.DataFrame:
    """Add the cross-table (and, for segments, the kept/removed) columns to a child table."""
    import pandas as pd

    out = frame.copy()
    if not _has(frame, ("doc_id",)):
        return out
    doc_ids = _values(frame, "doc_id")
    out["doc_exists"] = pd.array([d in doc_texts for d in doc_ids], dtype="boolean")
    if table not in SPAN_TABLES or not _has(frame, ("start", "end", "text")):
        return out
    starts = [_as_int(v) for v in _values(frame, "start")]
    ends = [_as_int(v) for v in _values(frame, "end")]
    out["doc_text_length"] = pd.array(
        [len(doc_texts[d]) if d in doc_texts else None for d in doc_ids], dtype="Int64"
    )
    if table == "segments":
        if not _has(frame, ("kept", "kind")):
            return out
        kept = [_flag(v) for v in _values(frame, "kept")]
        out["removed_is_zero_width"] = pd.array(
            [
                None if k is None else k or (lo is not None and hi is not None and lo == hi)
                for k, lo, hi in zip(kept, starts, ends, strict=True)
            ],
            dtype="boolean",
        )
        out["kept_kind_is_body_kind"] = pd.array(
            [
                None if k is None else not k or kind in BODY_KINDS
                for k, kind in zip(kept, _values(frame, "kind"), strict=True)
            ],
            dtype="boolean",
        )
        # Removed segments carry the removed text, not the body's: only kept spans are compared.
        compared = [k is True for k in kept]
    else:
        compared = [True] * len(doc_ids)
    out["text_matches_document"] = pd.array(
        [
            _span_matches(doc_texts.get(d), lo, hi, text) if c else None
            for d, lo, hi, text, c in zip(
                doc_ids, starts, ends, _values(frame, "text"), compared, strict=True
            )
        ],
        dtype="boolean",
    )
    return out


EntityKey = tuple[str, str]


@dataclass(frozen=True)
class _CrossTable:
    """What one table's derived columns need to know about the others."""

    doc_texts: Mapping[str, str]
    # (canonical, label) -> (entity rows, distinct documents) from the entities table, and the
    # (canonical, label) rows of entity_index; None when that table is not being validated (the
    # derived column is then null: not applicable).
    entity_counts: Mapping[EntityKey, tuple[int, int]] | None
    index_keys: frozenset[EntityKey] | None
    # doc_id -> entity rows; None when entities is not being validated.
    entities_per_doc: Mapping[str, int] | None = None


def _cross_table(frames: Mapping[str, pd.DataFrame]) -> _CrossTable:
    entities = frames.get(ENTITIES)
    counts: dict[EntityKey, tuple[int, int]] | None = None
    per_doc: dict[str, int] | None = None
    if entities is not None and _has(entities, ("doc_id",)):
        per_doc = {}
        for doc_id in _values(entities, "doc_id"):
            per_doc[doc_id] = per_doc.get(doc_id, 0) + 1
    if entities is not None and _has(entities, ("doc_id", "canonical", "label")):
        docs: dict[EntityKey, set[Any]] = {}
        rows: dict[EntityKey, int] = {}
        for doc_id, name, label in zip(
            _values(entities, "doc_id"),
            _values(entities, "canonical"),
            _values(entities, "label"),
            strict=True,
        ):
            rows[(name, label)] = rows.get((name, label), 0) + 1
            docs.setdefault((name, label), set()).add(doc_id)
        counts = {key: (rows[key], len(docs[key])) for key in rows}
    index = frames.get(ENTITY_INDEX)
    keys: frozenset[EntityKey] | None = None
    if index is not None and _has(index, ("canonical", "label")):
        keys = frozenset(zip(_values(index, "canonical"), _values(index, "label"), strict=True))
    return _CrossTable(_document_texts(frames.get(DOCUMENTS)), counts, keys, per_doc)


def _derive_entity_index(frame: pd.DataFrame, cross: _CrossTable) -> pd.DataFrame:
    import pandas as pd

    out = frame.copy()
    if not _has(frame, ("canonical", "label", "n_mentions", "n_documents")):
        return out
    if cross.entity_counts is None:
        out["mentions_match_entities"] = pd.array([None] * len(frame), dtype="boolean")
        out["documents_match_entities"] = pd.array([None] * len(frame), dtype="boolean")
        return out
    counted = [
        cross.entity_counts.get((n, lab), (0, 0))
        for n, lab in zip(_values(frame, "canonical"), _values(frame, "label"), strict=True)
    ]
    out["mentions_match_entities"] = pd.array(
        [_as_int(v) == c[0] for v, c in zip(_values(frame, "n_mentions"), counted, strict=True)],
        dtype="boolean",
    )
    out["documents_match_entities"] = pd.array(
        [_as_int(v) == c[1] for v, c in zip(_values(frame, "n_documents"), counted, strict=True)],
        dtype="boolean",
    )
    return out


def _derive(table: str, frame: pd.DataFrame, cross: _CrossTable) -> pd.DataFrame:
    import pandas as pd

    if table == DOCUMENTS:
        return _derive_documents(frame, cross)
    if table == ENTITY_INDEX:
        return _derive_entity_index(frame, cross)
    if table in CHILD_TABLES:
        out = _derive_child(table, frame, cross.doc_texts)
        if table == ENTITIES and _has(frame, ("canonical", "label")):
            keys = cross.index_keys
            out["indexed"] = pd.array(
                [
                    None if keys is None else (n, lab) in keys
                    for n, lab in zip(
                        _values(frame, "canonical"), _values(frame, "label"), strict=True
                    )
                ],
                dtype="boolean",
            )
        return out
    return frame


# --- turning GX results into outcomes ---------------------------------------------------------


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else repr(_plain(value))
    if len(text) > MAX_OBSERVED_CHARS:
        return text[: MAX_OBSERVED_CHARS - len(ELLIPSIS)] + ELLIPSIS
    return text


def _plain(value: Any) -> Any:
    """numpy scalars, arrays and containers as plain Python, for readable reprs."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_plain(v) for v in value)
    to_python = getattr(value, "tolist", None)  # numpy scalar -> scalar, array -> list
    return to_python() if callable(to_python) else value


def _column_of(expectation_type: str, kwargs: Mapping[str, Any]) -> str | None:
    if "column" in kwargs:
        return str(kwargs["column"])
    if "column_A" in kwargs:
        return f"{kwargs['column_A']}, {kwargs['column_B']}"
    if expectation_type in MULTICOLUMN_EXPECTATIONS:
        return ", ".join(kwargs.get("column_list", []))
    return None


def _exception_message(info: Any) -> str | None:
    """GX reports exceptions flat or keyed by metric id; return the first message."""
    if not isinstance(info, Mapping):
        return None
    if info.get("raised_exception"):
        return str(info.get("exception_message"))
    for nested in info.values():
        if isinstance(nested, Mapping) and nested.get("raised_exception"):
            return str(nested.get("exception_message"))
    return None


def _row_label(frame: pd.DataFrame, table: str, index: Any) -> str:
    keys = [k for k in ROW_KEYS.get(table, ()) if k in frame.columns]
    if not keys or index not in frame.index:
        return f"row {index}"
    row = frame.loc[index]
    return ", ".join(f"{k}={_plain(row[k])!r}" for k in keys)


def _example(value: Any, row_label: str) -> str:
    """One unexpected value and the row it sits in, without saying the same thing twice."""
    if isinstance(value, Mapping):  # compound-key value: it names its row already
        return ", ".join(f"{k}={_plain(v)!r}" for k, v in value.items())
    shown = repr(_plain(value))
    if any(part.endswith(f"={shown}") for part in row_label.split(", ")):
        return row_label
    return f"{_short(shown)} at {row_label}"


def _observed(result: ExpectationValidationResult, frame: pd.DataFrame, table: str) -> str:
    error = _exception_message(result.exception_info)
    if error is not None:
        return _short(f"not evaluated: {error}")
    res = dict(result.result or {})
    if "unexpected_count" in res:
        count, total = res.get("unexpected_count", 0), res.get("element_count", 0)
        if not count:
            return f"0 of {total} rows unexpected"
        values = res.get("partial_unexpected_list") or []
        indices = res.get("partial_unexpected_index_list") or []
        examples = [
            _example(v, _row_label(frame, table, i))
            for v, i in zip(values[:MAX_EXAMPLES], indices[:MAX_EXAMPLES], strict=False)
        ] or [_short(repr(_plain(v))) for v in values[:MAX_EXAMPLES]]
        return _short(f"{count} of {total} rows unexpected, e.g. " + "; ".join(examples))
    if "observed_value" in res:
        return _short(res["observed_value"])
    if result.success and not res:  # pass/fail-only result: nothing more to say
        return PASSED
    return _short(res) if res else ""


def _outcome(
    table: str, result: ExpectationValidationResult, frame: pd.DataFrame
) -> ExpectationOutcome:
    config = result.expectation_config
    kwargs = dict(config.kwargs)
    return ExpectationOutcome(
        table=table,
        expectation=config.type,
        column=_column_of(config.type, kwargs),
        severity=str((config.meta or {}).get("severity", CRITICAL)),
        success=bool(result.success),
        observed=_observed(result, frame, table),
    )


# --- validation ------------------------------------------------------------------------------


def _split_suite(gx: Any, suite: ExpectationSuite) -> tuple[Any, Any]:
    """(shape suite, row suite): table-shape expectations run on the undecorated frame."""
    shape, rows = [], []
    for exp in suite.expectations:
        (shape if exp.expectation_type in TABLE_SHAPE_EXPECTATIONS else rows).append(
            exp.configuration
        )
    return (
        gx.ExpectationSuite(name=f"{suite.name}.{SHAPE_PART}", expectations=shape),
        gx.ExpectationSuite(name=f"{suite.name}.{ROWS_PART}", expectations=rows),
    )


def _in_memory_config(docs_dir: Path | None = None) -> Any:
    """GX context config: in-memory stores, no analytics, no progress bars; a docs site under
    ``docs_dir`` when given, else none."""
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    return DataContextConfig(
        # The default ephemeral config reserves a temp folder for a docs site; ours is explicit.
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
        data_docs_sites=data_docs.site_config(docs_dir) if docs_dir is not None else {},
        analytics_enabled=False,
        # One bar per metric batch would spam the run log.
        progress_bars=ProgressBarsConfig(globally=False),
    )


def _missing_suite(table: str, suites_dir: Path) -> ExpectationOutcome:
    return ExpectationOutcome(
        table=table,
        expectation=SUITE_EXISTS,
        column=None,
        severity=CRITICAL,
        success=False,
        observed=f"no suite {Path(suites_dir) / (table + SUITE_SUFFIX)}",
    )


def drift_bounds(previous: int, settings: ValidationSettings) -> tuple[int, int]:
    """(min, max) rows a table may have given the previous published run's ``previous`` rows."""
    slack = max(
        math.ceil(previous * settings.row_count_drift_tolerance),
        settings.row_count_drift_min_rows,
    )
    return max(0, previous - slack), previous + slack


def published_row_counts(output: Path) -> dict[str, int]:
    """Rows per table of the run ``output/latest`` points to; empty before the first publish.

    Read from the Parquet footers only, so it costs milliseconds whatever the tables' size.
    """
    latest = Path(output) / "latest"
    if not latest.is_dir():
        return {}
    counts: dict[str, int] = {}
    for folder in sorted(p for p in latest.iterdir() if p.is_dir()):
        parts = sorted(folder.glob("*.parquet"))
        if parts:
            counts[folder.name] = sum(pq.ParquetFile(part).metadata.num_rows for part in parts)
    return counts


def _parameter_names(value: Any) -> set[str]:
    """The $PARAMETER names a kwarg value refers to."""
    if isinstance(value, Mapping):
        if GX_PARAMETER_KEY in value:
            return {str(value[GX_PARAMETER_KEY])}
        return set().union(*(_parameter_names(v) for v in value.values()))
    if isinstance(value, (list, tuple)):
        return set().union(*(_parameter_names(v) for v in value))
    return set()


def _resolve(value: Any, parameters: Mapping[str, Any]) -> Any:
    """``value`` with every {"$PARAMETER": name} replaced by ``parameters[name]``."""
    if isinstance(value, Mapping):
        if GX_PARAMETER_KEY in value:
            return parameters[str(value[GX_PARAMETER_KEY])]
        return {k: _resolve(v, parameters) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, parameters) for v in value]
    return value


def _bind_parameters(
    gx: Any, part: ExpectationSuite, table: str, parameters: Mapping[str, Any]
) -> tuple[Any, set[tuple[str, str]], list[ExpectationOutcome]]:
    """``part`` with its parameters filled in, the keys of the expectations that had some, and
    an outcome for each expectation whose parameters are unknown.

    Resolved here rather than by GX (``expectation_parameters``) because GX reports the resolved
    kwargs, and outcomes are matched to expectations by kwargs. An expectation whose parameters
    are unknown (row-count drift on the first run) is not applicable: it passes, saying why.
    """
    configs, bound, skipped = [], set(), []
    for exp in part.expectations:
        config = exp.configuration
        names = _parameter_names(dict(config.kwargs))
        if not names:
            configs.append(config)
        elif names <= set(parameters):
            resolved = copy.deepcopy(config)  # the loaded suite stays a template for later runs
            resolved.kwargs = _resolve(dict(config.kwargs), parameters)
            configs.append(resolved)
            bound.add(_key(resolved))
        else:
            skipped.append(
                ExpectationOutcome(
                    table=table,
                    expectation=config.type,
                    column=_column_of(config.type, dict(config.kwargs)),
                    severity=str((config.meta or {}).get("severity", CRITICAL)),
                    success=True,
                    observed=NO_PREVIOUS_RUN,
                )
            )
    return gx.ExpectationSuite(name=part.name, expectations=configs), bound, skipped


@dataclass(frozen=True)
class _StoredPart:
    """One suite part's GX result, kept for the Data Docs, and where its outcomes sit."""

    table: str
    part: str  # GX suite name, "<table>.shape" or "<table>.rows"
    result: Any  # ExpectationSuiteValidationResult
    outcomes: range  # indices into the report's outcomes


def validate_tables(
    tables: Mapping[str, pa.Table],
    suites_dir: Path,
    *,
    previous_counts: Mapping[str, int] | None = None,
    docs_dir: Path | None = None,
    run_name: str | None = None,
    settings: ValidationSettings | None = None,
    memo_dir: Path | None = None,
) -> ValidationReport:
    """Validate every table against ``suites_dir/<name>.json``; see the module docstring.

    ``previous_counts`` (rows per table of the previous published run, see
    :func:`published_row_counts`) fills the row-count drift expectations; without a count for a
    table they pass as not applicable. With ``docs_dir`` the run's Data Docs are built there
    (``run_name`` names the run in them) and outcomes link to their pages. With ``memo_dir``,
    a suite part already validated on exactly these tables reuses that result (see
    :class:`_PartMemo`).
    """
    settings = settings or ValidationSettings()
    gx = _import_gx()
    suites = load_suites(suites_dir)
    memo = _PartMemo.open(memo_dir, tables, gx) if memo_dir is not None else None
    context = gx.get_context(mode="ephemeral", project_config=_in_memory_config(docs_dir))
    batch_definition = (
        context.data_sources.add_pandas(GX_DATASOURCE)
        .add_dataframe_asset(GX_DATASOURCE)
        .add_batch_definition_whole_dataframe(GX_BATCH_DEFINITION)
    )
    frames = {name: table.to_pandas() for name, table in tables.items()}
    cross = _cross_table(frames)

    outcomes: list[ExpectationOutcome] = []
    stored: list[_StoredPart] = []
    for name, frame in frames.items():
        suite = suites.get(name)
        if suite is None:
            outcomes.append(_missing_suite(name, suites_dir))
            continue
        previous = None if previous_counts is None else previous_counts.get(name)
        parameters: dict[str, Any] = {}
        if previous is not None:
            low, high = drift_bounds(previous, settings)
            parameters = {DRIFT_MIN_PARAMETER: low, DRIFT_MAX_PARAMETER: high}
        derived = _derive(name, frame, cross)
        for template, data in zip(_split_suite(gx, suite), (frame, derived), strict=True):
            part, bound, skipped = _bind_parameters(gx, template, name, parameters)
            if part.expectations:
                for_docs = docs_dir is not None
                remembered = memo.get(name, part, for_docs) if memo is not None else None
                if remembered is None:
                    batch = batch_definition.get_batch(batch_parameters={"dataframe": data})
                    part_outcomes, result = _validate_part(gx, batch, part, name, data, for_docs)
                    if memo is not None:
                        memo.put(name, part, for_docs, part_outcomes, result)
                else:
                    part_outcomes, result = remembered
                for i, exp in enumerate(part.expectations):
                    if _key(exp.configuration) in bound:
                        part_outcomes[i] = _drift_outcome(
                            part_outcomes[i], len(data), previous, parameters
                        )
                first = len(outcomes)
                outcomes.extend(part_outcomes)
                stored.append(_StoredPart(name, part.name, result, range(first, len(outcomes))))
            outcomes.extend(skipped)
    report = ValidationReport(outcomes=tuple(outcomes))
    if docs_dir is None:
        return report
    return _with_docs(context, report, stored, Path(docs_dir), run_name or DEFAULT_RUN_NAME)


def _plain_successes(result: Any) -> None:
    """Some GX expectations (quantile ranges) report success as numpy.bool, which JSON
    serialisers (GX's store, the memo) reject: make them bool, in place."""
    for item in result.results:
        if item.success is not None:
            item.success = bool(item.success)


class _PartMemo:
    """Results of suite parts already validated on exactly these tables (``flows.cache``).

    A part's outcome is a function of the tables (its derived columns read the others too), the
    bound part (expectations and their kwargs, drift bounds filled in), the result format, and
    the code (GX's version, the ``flows`` package). The key hashes all of them, so any change is
    a miss; the stored GX result (its JSON form) still feeds this run's Data Docs pages.
    """

    def __init__(self, store: Any, tables_digest: str, code: str) -> None:
        self.store = store
        self.tables_digest = tables_digest
        self.code = code

    @classmethod
    def open(cls, root: Path, tables: Mapping[str, pa.Table], gx: Any) -> _PartMemo:
        from flows.cache import JsonStore, package_digest

        digest = hashlib.sha256()
        for name in sorted(tables):
            digest.update(name.encode() + b"\0")
            sink = pa.BufferOutputStream()
            with pa.ipc.new_stream(sink, tables[name].schema) as writer:
                writer.write_table(tables[name])
            digest.update(sink.getvalue())
        return cls(
            JsonStore(Path(root)), digest.hexdigest(), f"{gx.__version__}:{package_digest()}"
        )

    def _key(self, table: str, part: Any, for_docs: bool) -> str:
        expectations = [
            [*_key(e.configuration), e.configuration.meta or {}] for e in part.expectations
        ]
        identity = [MEMO_FORMAT, self.code, self.tables_digest, table, part.name, for_docs]
        text = json.dumps([identity, expectations], sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()

    def get(
        self, table: str, part: Any, for_docs: bool
    ) -> tuple[list[ExpectationOutcome], Any] | None:
        entry = self.store.get(self._key(table, part, for_docs))
        if entry is None:
            return None
        try:
            from great_expectations.core.expectation_validation_result import (
                expectationSuiteValidationResultSchema,
            )

            outcomes = [ExpectationOutcome(**o) for o in entry["outcomes"]]
            result = expectationSuiteValidationResultSchema.load(entry["result"])
        except Exception:  # an entry GX or this code cannot read back: validate again
            logger.debug("validation memo entry of %s unreadable", part.name, exc_info=True)
            return None
        if len(outcomes) != len(part.expectations):
            return None
        return outcomes, result

    def put(
        self,
        table: str,
        part: Any,
        for_docs: bool,
        outcomes: Sequence[ExpectationOutcome],
        result: Any,
    ) -> None:
        try:
            _plain_successes(result)
            entry = {"outcomes": [asdict(o) for o in outcomes], "result": result.to_json_dict()}
        except Exception:  # a result GX cannot serialise is validated again next time
            logger.debug("validation memo: %s not stored", part.name, exc_info=True)
            return
        self.store.put(self._key(table, part, for_docs), entry)


def _drift_outcome(
    outcome: ExpectationOutcome, rows: int, previous: int | None, parameters: Mapping[str, Any]
) -> ExpectationOutcome:
    """A drift outcome that says what it compared: rows now, the previous run's, the range."""
    if outcome.observed.startswith(NOT_EVALUATED):
        return outcome
    observed = (
        f"{rows} rows; previous published run {previous}, allowed "
        f"{parameters[DRIFT_MIN_PARAMETER]}..{parameters[DRIFT_MAX_PARAMETER]}"
    )
    return dataclasses.replace(outcome, observed=_short(observed))


def _validate_part(
    gx: Any, batch: Any, part: ExpectationSuite, table: str, data: pd.DataFrame, for_docs: bool
) -> tuple[list[ExpectationOutcome], Any]:
    """Outcomes of ``part`` on ``batch``, in suite order, and the GX suite result for Data Docs.

    A pass/fail-only run costs about half of a detailed one, and a good run has no failures, so
    details (unexpected values, their rows) are computed only for the expectations that failed.
    For Data Docs the first run is BASIC (observed values for the pages, about the same cost),
    and the detailed results of failures replace theirs in the stored suite result.
    """
    suite_result = batch.validate(
        part, result_format=DOCS_PASS_FORMAT if for_docs else PASS_FAIL_FORMAT
    )
    results = {_key(r.expectation_config): r for r in suite_result.results}
    failed = [e.configuration for e in part.expectations if not _passed(results, e.configuration)]
    if failed:
        detail_suite = gx.ExpectationSuite(name=f"{part.name}.failed", expectations=failed)
        detailed = {
            _key(r.expectation_config): r
            for r in batch.validate(detail_suite, result_format=DETAIL_FORMAT).results
        }
        results.update(detailed)
        suite_result.results = [
            detailed.get(_key(r.expectation_config), r) for r in suite_result.results
        ]
    outcomes: list[ExpectationOutcome] = []
    for exp in part.expectations:
        result = results.get(_key(exp.configuration))
        if result is None:  # never seen; a check GX skipped must not count as passed
            outcomes.append(_no_result(table, exp.configuration))
        else:
            outcomes.append(_outcome(table, result, data))
    return outcomes, suite_result


# --- Data Docs ---------------------------------------------------------------------------------


def _page_path(context: Any, key: Any) -> Path:
    """Where GX writes the page of the result stored under ``key``."""
    (site,) = context.get_docs_sites_urls(
        resource_identifier=key, site_name=data_docs.SITE_NAME, only_if_exists=False
    )
    return Path(unquote(urlparse(site["site_url"]).path))


def _relative(path: Path, root: Path) -> str:
    return Path(os.path.relpath(path, root)).as_posix()


def _safe_run_name(run_name: str) -> str:
    """GX makes the run name a folder of the page paths: no separators or odd characters."""
    return RUN_NAME_UNSAFE.sub("_", run_name) or DEFAULT_RUN_NAME


def _with_docs(
    context: Any,
    report: ValidationReport,
    stored: Sequence[_StoredPart],
    docs_dir: Path,
    run_name: str,
) -> ValidationReport:
    """``report`` with links into the run's Data Docs, built under ``docs_dir``.

    Data Docs are a view of results already computed: if GX fails to store or render them, the
    run keeps its verdict and the report says there are no docs (and the log says why).
    """
    try:
        pages = _build_docs(context, stored, docs_dir, _safe_run_name(run_name), report)
    except Exception:  # any GX error: docs must not cost the verdict (see the docstring)
        logger.exception("Data Docs could not be built under %s", docs_dir)
        return report
    outcomes = list(report.outcomes)
    for part, page in zip(stored, pages, strict=True):
        for i in part.outcomes:
            outcomes[i] = dataclasses.replace(outcomes[i], docs_page=page)
    index = _relative(docs_dir / data_docs.INDEX_FILE, docs_dir.parent)
    return ValidationReport(outcomes=tuple(outcomes), data_docs_index=index)


def _build_docs(
    context: Any,
    stored: Sequence[_StoredPart],
    docs_dir: Path,
    run_name: str,
    report: ValidationReport,
) -> list[str]:
    """Store the parts' results, build their pages offline-ready, write the index; returns each
    part's page relative to the folder holding the site (the snapshot)."""
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    run_id = RunIdentifier(run_name=run_name, run_time=dt.datetime.now(dt.UTC))
    keys = []
    for part in stored:
        key = ValidationResultIdentifier(
            expectation_suite_identifier=ExpectationSuiteIdentifier(part.part),
            run_id=run_id,
            batch_identifier=part.table,
        )
        _plain_successes(part.result)
        part.result.meta["run_id"] = run_id  # the page's "Run Name" and "Run Time"
        context.validation_results_store.set(key, part.result)
        keys.append(key)
    # GX's own index fills its table from CDN JavaScript, so Broadsheet writes the index.
    context.build_data_docs(site_names=[data_docs.SITE_NAME], build_index=False)
    data_docs.make_offline(docs_dir)
    entries = []
    for part, key in zip(stored, keys, strict=True):
        page = _page_path(context, key)
        if not page.is_file():  # GX logs and skips a result it cannot render
            raise FileNotFoundError(f"GX rendered no page for {part.part}: {page}")
        failed = [report.outcomes[i] for i in part.outcomes if not report.outcomes[i].success]
        entries.append(
            data_docs.PageEntry(
                table=part.table,
                part=part.part.rsplit(".", 1)[-1],
                page=_relative(page, docs_dir),
                n_expectations=len(part.outcomes),
                n_failed_critical=sum(o.severity == CRITICAL for o in failed),
                n_failed_warnings=sum(o.severity == WARNING for o in failed),
            )
        )
    data_docs.write_index(docs_dir, entries, run_name)
    return [_relative(docs_dir / e.page, docs_dir.parent) for e in entries]


def _key(config: Any) -> tuple[str, str]:
    """Identity of an expectation: a suite is set-like over (type, kwargs)."""
    kwargs = {k: v for k, v in config.kwargs.items() if k not in GX_RUNTIME_KWARGS}
    return config.type, json.dumps(kwargs, sort_keys=True, default=str)


def _passed(results: Mapping[tuple[str, str], Any], config: Any) -> bool:
    result = results.get(_key(config))
    return result is not None and bool(result.success)


def _no_result(table: str, config: Any) -> ExpectationOutcome:
    return ExpectationOutcome(
        table=table,
        expectation=config.type,
        column=_column_of(config.type, dict(config.kwargs)),
        severity=str((config.meta or {}).get("severity", CRITICAL)),
        success=False,
        observed="not evaluated: GX returned no result for this expectation",
    )
