"""Report: the run summary and the self-contained HTML data-quality report of a run.

Every figure here is computed from the published tables (``summarize``), so each one can be
traced to rows: documents, quarantine, segments (removed share), entities, keyphrases.
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc


@dataclass(slots=True)
class RunSummary:
    run_id: str
    pipeline_version: str
    input: str
    output: str
    documents_in: int
    processed: int
    quarantined: int
    removed_share: float
    entities: int
    keyphrases: int
    validation: str = "not run"
    validation_passed: bool = False
    published: bool = False
    stage_seconds: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def lines(self) -> list[str]:
        """The short summary printed at the end of a run."""
        timing = ", ".join(f"{k} {v:.2f}s" for k, v in self.stage_seconds.items())
        verdict = "PASSED" if self.validation_passed else "FAILED"
        where = (
            self.output if self.published else f"{self.output} (not published: validation failed)"
        )
        return [
            f"run {self.run_id} (broadsheet {self.pipeline_version})",
            f"documents in: {self.documents_in}   processed: {self.processed}   "
            f"quarantined: {self.quarantined}",
            f"removed share: {self.removed_share:.1%} of source characters",
            f"entities: {self.entities}   keyphrases: {self.keyphrases}",
            f"validation: {verdict} - {self.validation}",
            f"outputs: {where}",
            f"stages: {timing}",
        ]


def summarize(
    tables: Mapping[str, pa.Table], run_id: str, version: str, input_: str, output: str
) -> RunSummary:
    segments = tables["segments"]
    lengths = pc.utf8_length(segments["text"])
    total = pc.sum(lengths).as_py() or 0
    removed = pc.sum(pc.if_else(segments["kept"], 0, lengths)).as_py() or 0
    processed = tables["documents"].num_rows
    quarantined = tables["quarantine"].num_rows
    return RunSummary(
        run_id=run_id,
        pipeline_version=version,
        input=input_,
        output=output,
        documents_in=processed + quarantined,
        processed=processed,
        quarantined=quarantined,
        removed_share=removed / total if total else 0.0,
        entities=tables["entities"].num_rows,
        keyphrases=tables["keyphrases"].num_rows,
    )


# Rows of entity_index shown in the report.
TOP_ENTITIES = 20

_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:70rem;color:#222}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0}
th,td{border-bottom:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f4f4f4}.pass{color:#176b2c;font-weight:600}.fail{color:#b00020;font-weight:600}
.warn{color:#8a5a00}.num{text-align:right;font-variant-numeric:tabular-nums}
"""


def _table(headers: list[str], rows: list[list[Any]], numeric: set[int] | None = None) -> str:
    numeric = numeric or set()
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="num">{html.escape(str(v))}</td>'
            if i in numeric
            else f"<td>{html.escape(str(v))}</td>"
            for i, v in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render_report(
    summary: RunSummary, tables: Mapping[str, pa.Table], validation: Mapping[str, Any]
) -> str:
    """A self-contained HTML page: summary, validation outcomes, documents, removals, quarantine."""
    verdict_class = "pass" if summary.validation_passed else "fail"
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>Broadsheet run {html.escape(summary.run_id)}</title><style>{_CSS}</style></head><body>",
        f"<h1>Broadsheet run {html.escape(summary.run_id)}</h1>",
        f"<p id='verdict' class='{verdict_class}'>Validation "
        f"{'passed' if summary.validation_passed else 'failed'}: {html.escape(summary.validation)}</p>",
        "<h2>Summary</h2>",
        _table(
            ["figure", "value", "from"],
            [
                ["documents in", summary.documents_in, "documents + quarantine rows"],
                ["processed", summary.processed, "documents rows"],
                ["quarantined", summary.quarantined, "quarantine rows"],
                ["removed share", f"{summary.removed_share:.1%}", "segments: removed chars / all"],
                ["entities", summary.entities, "entities rows"],
                ["keyphrases", summary.keyphrases, "keyphrases rows"],
            ],
        ),
    ]
    outcomes = validation.get("outcomes", [])
    parts.append(f"<h2>Validation ({len(outcomes)} expectations)</h2>")
    parts.append(
        _table(
            ["table", "expectation", "column", "severity", "result", "observed"],
            [
                [
                    o.get("table"),
                    o.get("expectation"),
                    o.get("column") or "",
                    o.get("severity"),
                    "pass" if o.get("success") else "FAIL",
                    o.get("observed", ""),
                ]
                for o in outcomes
            ],
        )
    )
    docs = tables["documents"].to_pylist()
    parts.append(f"<h2>Documents ({len(docs)})</h2>")
    parts.append(
        _table(
            ["doc_id", "source", "title", "authors", "published", "publisher", "words", "removed"],
            [
                [
                    d["doc_id"],
                    d["source_name"],
                    d["title"] or "",
                    ", ".join(d["authors"]),
                    d["published"] or "",
                    d["publisher"] or "",
                    d["n_words"],
                    f"{d['removed_share']:.1%}",
                ]
                for d in docs
            ],
            numeric={6, 7},
        )
    )
    segments = tables["segments"]
    removed_kinds = Counter(
        kind
        for kind, kept in zip(
            segments["kind"].to_pylist(), segments["kept"].to_pylist(), strict=True
        )
        if not kept
    )
    parts.append("<h2>Removed segments by kind</h2>")
    parts.append(
        _table(["kind", "segments"], [[k, n] for k, n in removed_kinds.most_common()], {1})
    )
    index = tables["entity_index"]
    top = index.slice(0, TOP_ENTITIES).to_pylist()  # rows come sorted by mentions
    parts.append(f"<h2>Top entities ({len(top)} of {index.num_rows} in entity_index)</h2>")
    parts.append(
        _table(
            ["canonical", "label", "documents", "mentions", "aliases"],
            [
                [
                    e["canonical"],
                    e["label"],
                    e["n_documents"],
                    e["n_mentions"],
                    ", ".join(e["aliases"]),
                ]
                for e in top
            ],
            numeric={2, 3},
        )
    )
    quarantine = tables["quarantine"].to_pylist()
    parts.append(f"<h2>Quarantine ({len(quarantine)})</h2>")
    parts.append(
        _table(
            ["source", "stage", "reason"],
            [[q["source_name"], q["stage"], q["reason"]] for q in quarantine],
        )
        if quarantine
        else "<p>No input was quarantined.</p>"
    )
    timing = [[k, f"{v:.2f}"] for k, v in summary.stage_seconds.items()]
    parts.append("<h2>Stage timings (s)</h2>" + _table(["stage", "seconds"], timing, {1}))
    parts.append("</body></html>")
    return "\n".join(parts)
