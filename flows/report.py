"""Report: the run summary, the self-contained HTML report of a run, and its Markdown twin.

Every figure is computed from the run's tables (and ``summary.stage_seconds``), and every table,
chart and figure names the table and column it comes from, so each one can be traced to rows.

``render_report(summary, tables, validation)`` is a plain function (no Prefect) returning one
HTML page: inputs and counts, validation verdicts (critical failures, then warnings, then the
passes collapsed, with links into Data Docs when the validation carries them), quarantine with
reasons, removed share by block kind, top entities and keyphrases, stage timings, and charts.

Charts are Altair (Vega-Lite) specs drawn to static SVG in-process by ``vl-convert`` (it bundles
its own JavaScript engine), then inlined. The page therefore needs no network and runs no script
at all: its Content-Security-Policy forbids every script and every remote load. A chart that
cannot be drawn becomes a one-line note; the table it came from is still shown.

All text from documents (titles, source names, reasons, entity names, keyphrases) is escaped;
vl-convert escapes the text it writes into SVG. ``render_markdown`` is the same summary for the
Prefect UI (a markdown artifact), escaped for Markdown and HTML.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

import numpy as np
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


# --- sizes and limits ------------------------------------------------------------------------

# Rows of entity_index and of aggregated keyphrases shown in the report (and the artifact).
TOP_ENTITIES = 20
TOP_KEYPHRASES = 20
ARTIFACT_TOP = 10
# Long listings (documents, quarantine, passed expectations) stop here; the page says so.
MAX_LISTED_ROWS = 500
# Chart geometry in CSS pixels; bar charts grow with their number of categories.
CHART_WIDTH = 420
CHART_HEIGHT = 180
BAR_STEP = 18
HISTOGRAM_BINS = 20
# Decimal places of seconds and mean ranks in tables.
SECONDS_DIGITS = 2
RANK_DIGITS = 1

ARTIFACT_KEY = "broadsheet-run-summary"
CRITICAL = "critical"
WARNING = "warning"
# Colours of kept and removed segments (colour-blind-safe pair) in the block-kind chart.
KEPT_COLOURS = {"kept": "#4c78a8", "removed": "#e45756"}

# No script, no remote anything: the page is static HTML, inline CSS and inline SVG.
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"

_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;color:#222}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2.2rem;border-bottom:2px solid #eee}
h3{font-size:1rem;margin-top:1.2rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0}
th,td{border-bottom:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f4f4f4}.pass{color:#176b2c;font-weight:600}.fail{color:#b00020;font-weight:600}
.warn{color:#8a5a00;font-weight:600}.num{text-align:right;font-variant-numeric:tabular-nums}
td{overflow-wrap:anywhere}caption{caption-side:bottom;text-align:left;color:#666;font-size:12px}
figure{margin:1rem 0;display:inline-block;vertical-align:top}
figcaption{color:#555;font-size:12px;max-width:30rem}.note{color:#666}
nav a{margin-right:1rem}details summary{cursor:pointer;margin:.5rem 0}
"""


# --- HTML helpers ----------------------------------------------------------------------------


def _esc(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _table(
    headers: list[str],
    rows: Iterable[list[Any]],
    numeric: set[int] | None = None,
    caption: str | None = None,
    raw: set[int] | None = None,
) -> str:
    """An HTML table; every cell is escaped except columns in ``raw`` (built here, escaped)."""
    numeric = numeric or set()
    raw = raw or set()
    head = "".join(f"<th scope='col'>{_esc(h)}</th>" for h in headers)
    body = "".join(
        "<tr>"
        + "".join(
            f"<td{' class=num' if i in numeric else ''}>{v if i in raw else _esc(v)}</td>"
            for i, v in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    cap = f"<caption>{_esc(caption)}</caption>" if caption else ""
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _safe_href(path: Any) -> str | None:
    """A relative link target, or None: absolute URLs and schemes (javascript:, http:) are refused."""
    if not isinstance(path, str) or not path.strip():
        return None
    parts = urlsplit(path)
    if parts.scheme or parts.netloc or path.startswith(("/", "\\")):
        return None
    return _esc(quote(path, safe="/#.-_~"))


def _link(path: Any, text: str) -> str:
    href = _safe_href(path)
    return f"<a href='{href}'>{_esc(text)}</a>" if href else ""


def _section(anchor: str, title: str) -> str:
    return f"<h2 id='{anchor}'>{_esc(title)}</h2>"


def _more(shown: int, total: int, what: str) -> str:
    return f"<p class='note'>Showing {shown} of {total} {_esc(what)}.</p>" if total > shown else ""


# --- aggregations (pure pyarrow, each traceable to a table and columns) -----------------------


def kind_breakdown(segments: pa.Table) -> list[dict[str, Any]]:
    """Per block kind: kept and removed segments, removed characters and their shares.

    ``share_of_removed``: removed characters of the kind / all removed characters;
    ``share_of_source``: removed characters of the kind / all segment characters (the kinds'
    shares sum to the run's removed share).
    """
    if segments.num_rows == 0:
        return []
    lengths = pc.utf8_length(segments["text"])
    work = pa.table({"kind": segments["kind"], "kept": segments["kept"], "chars": lengths})
    grouped = work.group_by(["kind", "kept"]).aggregate([("chars", "sum"), ("chars", "count")])
    total_chars = pc.sum(lengths).as_py() or 0
    by_kind: dict[str, dict[str, Any]] = {}
    for row in grouped.to_pylist():
        entry = by_kind.setdefault(
            row["kind"],
            {"kind": row["kind"], "kept": 0, "removed": 0, "removed_chars": 0},
        )
        if row["kept"]:
            entry["kept"] += row["chars_count"]
        else:
            entry["removed"] += row["chars_count"]
            entry["removed_chars"] += row["chars_sum"] or 0
    removed_chars = sum(e["removed_chars"] for e in by_kind.values())
    for entry in by_kind.values():
        entry["share_of_removed"] = entry["removed_chars"] / removed_chars if removed_chars else 0.0
        entry["share_of_source"] = entry["removed_chars"] / total_chars if total_chars else 0.0
    return sorted(by_kind.values(), key=lambda e: (-e["removed_chars"], -e["removed"], e["kind"]))


def top_entities(entity_index: pa.Table, n: int = TOP_ENTITIES) -> list[dict[str, Any]]:
    """The ``n`` entities of entity_index with most mentions (then documents, then name)."""
    if entity_index.num_rows == 0:
        return []
    ordered = entity_index.sort_by(
        [("n_mentions", "descending"), ("n_documents", "descending"), ("canonical", "ascending")]
    )
    return ordered.slice(0, n).to_pylist()


def top_keyphrases(keyphrases: pa.Table, n: int = TOP_KEYPHRASES) -> list[dict[str, Any]]:
    """Keyphrases across the corpus: per phrase, the documents that rank it and its mean rank.

    Ordered by documents (descending), then mean rank (ascending, 1 is most salient), then phrase.
    """
    if keyphrases.num_rows == 0:
        return []
    grouped = keyphrases.group_by("phrase").aggregate(
        [("doc_id", "count_distinct"), ("rank", "mean")]
    )
    ordered = grouped.sort_by(
        [
            ("doc_id_count_distinct", "descending"),
            ("rank_mean", "ascending"),
            ("phrase", "ascending"),
        ]
    )
    return [
        {
            "phrase": r["phrase"],
            "documents": r["doc_id_count_distinct"],
            "mean_rank": r["rank_mean"],
        }
        for r in ordered.slice(0, n).to_pylist()
    ]


def label_counts(entities: pa.Table) -> list[dict[str, Any]]:
    """Rows of entities per label, most frequent first."""
    if entities.num_rows == 0:
        return []
    grouped = entities.group_by("label").aggregate([("label", "count")])
    rows = [{"label": r["label"], "mentions": r["label_count"]} for r in grouped.to_pylist()]
    return sorted(rows, key=lambda r: (-r["mentions"], r["label"]))


def ordered_outcomes(
    validation: Mapping[str, Any],
) -> tuple[list[Mapping[str, Any]], list[Mapping[str, Any]], list[Mapping[str, Any]]]:
    """(critical failures, warnings, passes) of a validation, each in table order."""
    outcomes = list(validation.get("outcomes") or [])
    failed = [o for o in outcomes if not o.get("success")]
    critical = [o for o in failed if o.get("severity", CRITICAL) == CRITICAL]
    warnings = [o for o in failed if o.get("severity", CRITICAL) != CRITICAL]
    passed = [o for o in outcomes if o.get("success")]
    return critical, warnings, passed


# --- charts ----------------------------------------------------------------------------------


def _draw(spec: dict[str, Any]) -> str:
    """Vega-Lite spec -> static SVG; no data may be loaded from anywhere."""
    import vl_convert as vlc  # imported on first chart: it starts a JavaScript engine

    return vlc.vegalite_to_svg(spec, allowed_base_urls=[])


def _figure(anchor: str, title: str, source: str, build: Any) -> str:
    """A <figure> with the chart's SVG (role=img, labelled by the caption) and its data source."""
    caption_id = f"{anchor}-caption"
    caption = (
        f"<figcaption id='{caption_id}'><b>{_esc(title)}</b>. From {_esc(source)}.</figcaption>"
    )
    try:
        svg = _draw(build().to_dict())
    except Exception as exc:  # a chart must never cost the run its report
        note = f"<p class='note'>Chart not drawn ({_esc(type(exc).__name__)}: {_esc(exc)}).</p>"
        return f"<figure id='{anchor}' class='chart'>{note}{caption}</figure>"
    # The SVG root gets an accessible name: the caption (title and data source).
    svg = re.sub(r"^<svg ", f"<svg role='img' aria-labelledby='{caption_id}' ", svg, count=1)
    return f"<figure id='{anchor}' class='chart'>{svg}{caption}</figure>"


def removed_share_bins(shares: pa.ChunkedArray | pa.Array) -> list[dict[str, Any]]:
    """Documents per removed-share bin: ``HISTOGRAM_BINS`` equal bins over [0, 1].

    Binned here, not in the chart, so the chart's data stays small whatever the run's size.
    """
    counts, edges = np.histogram(
        np.asarray(shares.to_numpy(zero_copy_only=False), dtype=float),
        bins=HISTOGRAM_BINS,
        range=(0.0, 1.0),
    )
    return [
        {"start": float(edges[i]), "end": float(edges[i + 1]), "documents": int(n)}
        for i, n in enumerate(counts)
    ]


def _removed_share_chart(bins: list[dict[str, Any]]) -> Any:
    import altair as alt

    return (
        alt.Chart(alt.Data(values=bins))
        .mark_bar()
        .encode(
            alt.X(
                "start:Q",
                bin="binned",
                title="removed share of source characters",
                axis=alt.Axis(format="%"),
            ),
            alt.X2("end:Q"),
            alt.Y("documents:Q", title="documents"),
        )
        .properties(
            title="Removed share per document",
            width=CHART_WIDTH,
            height=CHART_HEIGHT,
            description="Histogram of documents.removed_share",
        )
    )


def _kinds_chart(kinds: list[dict[str, Any]]) -> Any:
    import altair as alt

    values = [
        {"kind": k["kind"], "decision": decision, "segments": k[decision]}
        for k in kinds
        for decision in ("kept", "removed")
        if k[decision]
    ]
    return (
        alt.Chart(alt.Data(values=values))
        .mark_bar()
        .encode(
            alt.Y("kind:N", sort="-x", title="block kind"),
            alt.X("sum(segments):Q", title="segments"),
            alt.Color(
                "decision:N",
                scale=alt.Scale(domain=list(KEPT_COLOURS), range=list(KEPT_COLOURS.values())),
                title="decision",
            ),
        )
        .properties(
            title="Segments by block kind, kept and removed",
            width=CHART_WIDTH,
            height=alt.Step(BAR_STEP),
            description="Stacked bars: segments rows counted by kind and kept",
        )
    )


def _bar_chart(
    values: list[dict[str, Any]], category: str, amount: str, title: str, axis: tuple[str, str]
) -> Any:
    import altair as alt

    return (
        alt.Chart(alt.Data(values=values))
        .mark_bar()
        .encode(
            alt.Y(f"{category}:N", sort=None, title=axis[0]),
            alt.X(f"{amount}:Q", title=axis[1]),
        )
        .properties(title=title, width=CHART_WIDTH, height=alt.Step(BAR_STEP), description=title)
    )


# --- the page --------------------------------------------------------------------------------


def _outcome_rows(outcomes: list[Mapping[str, Any]]) -> list[list[Any]]:
    return [
        [
            o.get("table"),
            o.get("expectation"),
            o.get("column") or "",
            o.get("severity"),
            o.get("observed", ""),
            _link(o.get("docs_page"), "Data Docs"),
        ]
        for o in outcomes
    ]


_OUTCOME_HEADERS = ["table", "expectation", "column", "severity", "observed", "details"]


def _validation_section(validation: Mapping[str, Any]) -> list[str]:
    critical, warnings, passed = ordered_outcomes(validation)
    total = len(critical) + len(warnings) + len(passed)
    parts = [_section("validation", f"Validation ({total} expectations)")]
    index = _link(validation.get("data_docs_index"), "Great Expectations Data Docs for this run")
    if index:
        parts.append(f"<p id='data-docs'>{index}</p>")
    parts.append(
        f"<p>{len(critical)} critical failure(s), {len(warnings)} warning(s), "
        f"{len(passed)} passed. From validation.json (one outcome per expectation).</p>"
    )
    for level, rows, css in (
        ("Critical failures", critical, "fail"),
        ("Warnings", warnings, "warn"),
    ):
        parts.append(f"<h3 class='{css}'>{level} ({len(rows)})</h3>")
        parts.append(
            _table(_OUTCOME_HEADERS, _outcome_rows(rows), raw={5}) if rows else "<p>None.</p>"
        )
    shown = passed[:MAX_LISTED_ROWS]
    parts.append(
        f"<details id='passed'><summary class='pass'>Passed ({len(passed)})</summary>"
        + _table(_OUTCOME_HEADERS, _outcome_rows(shown), raw={5})
        + _more(len(shown), len(passed), "passed expectations")
        + "</details>"
    )
    return parts


def _count_rows(summary: RunSummary) -> list[list[Any]]:
    """The run's counts as (figure, value, rows it comes from), for the HTML and Markdown."""
    return [
        ["documents in", summary.documents_in, "documents + quarantine rows"],
        ["processed", summary.processed, "documents rows"],
        ["quarantined", summary.quarantined, "quarantine rows"],
        ["removed share", f"{summary.removed_share:.1%}", "segments: removed chars / all"],
        ["entities", summary.entities, "entities rows"],
        ["keyphrases", summary.keyphrases, "keyphrases rows"],
    ]


def render_report(
    summary: RunSummary, tables: Mapping[str, pa.Table], validation: Mapping[str, Any]
) -> str:
    """One self-contained HTML page for a run (see the module docstring for its contents)."""
    verdict_class = "pass" if summary.validation_passed else "fail"
    verdict = "passed" if summary.validation_passed else "failed"
    published = (
        "published" if summary.published else "not published (the previous outputs are kept)"
    )
    title = f"Broadsheet run {summary.run_id}"
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<meta http-equiv='Content-Security-Policy' content=\"{CSP}\">",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>{_esc(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{_esc(title)}</h1>",
        f"<p id='verdict' class='{verdict_class}'>Validation {verdict}: "
        f"{_esc(summary.validation)}; {published}.</p>",
        "<nav>"
        + "".join(
            f"<a href='#{a}'>{t}</a>"
            for a, t in (
                ("inputs", "Inputs"),
                ("validation", "Validation"),
                ("quarantine", "Quarantine"),
                ("removed", "Removed"),
                ("entities", "Entities"),
                ("keyphrases", "Keyphrases"),
                ("timings", "Timings"),
                ("documents", "Documents"),
            )
        )
        + "</nav>",
        _section("inputs", "Inputs"),
        _table(
            ["figure", "value", "from"],
            [
                ["input", summary.input, "run.input setting"],
                ["output", summary.output, "run.output setting"],
                ["pipeline version", summary.pipeline_version, "documents.pipeline_version"],
                *_count_rows(summary),
            ],
        ),
    ]
    parts += _validation_section(validation)
    parts += _quarantine_section(tables["quarantine"])
    parts += _removed_section(tables["documents"], tables["segments"])
    parts += _entities_section(tables["entities"], tables["entity_index"])
    parts += _keyphrases_section(tables["keyphrases"])
    parts += _timings_section(summary.stage_seconds)
    parts += _documents_section(tables["documents"])
    parts.append("</body></html>")
    return "\n".join(parts)


def _quarantine_section(quarantine: pa.Table) -> list[str]:
    parts = [_section("quarantine", f"Quarantine ({quarantine.num_rows})")]
    if quarantine.num_rows == 0:
        return [*parts, "<p>No input was quarantined.</p>"]
    stages = quarantine.group_by("stage").aggregate([("stage", "count")]).to_pylist()
    parts.append(
        _table(
            ["stage", "inputs"],
            sorted(([r["stage"], r["stage_count"]] for r in stages), key=lambda r: (-r[1], r[0])),
            numeric={1},
            caption="From quarantine rows, counted by stage.",
        )
    )
    rows = quarantine.slice(0, MAX_LISTED_ROWS).to_pylist()
    parts.append(
        _table(
            ["source", "stage", "reason"],
            [[q["source_name"], q["stage"], q["reason"]] for q in rows],
            caption="From quarantine: source_name, stage, reason.",
        )
    )
    parts.append(_more(len(rows), quarantine.num_rows, "quarantined inputs"))
    return parts


def _removed_section(documents: pa.Table, segments: pa.Table) -> list[str]:
    parts = [_section("removed", "Removed text")]
    kinds = kind_breakdown(segments)
    if documents.num_rows:
        bins = removed_share_bins(documents["removed_share"])
        parts.append(
            _figure(
                "chart-removed-share",
                "Removed share per document",
                f"documents.removed_share ({documents.num_rows} documents, "
                f"{HISTOGRAM_BINS} bins of {1 / HISTOGRAM_BINS:.0%})",
                lambda: _removed_share_chart(bins),
            )
        )
    if kinds:
        parts.append(
            _figure(
                "chart-block-kinds",
                "Segments by block kind, kept and removed",
                f"segments.kind x segments.kept ({segments.num_rows} segments)",
                lambda: _kinds_chart(kinds),
            )
        )
    if not kinds:
        return [*parts, "<p>No segments.</p>"]
    parts.append(
        _table(
            [
                "kind",
                "kept segments",
                "removed segments",
                "removed chars",
                "share of removed",
                "share of source",
            ],
            [
                [
                    k["kind"],
                    k["kept"],
                    k["removed"],
                    k["removed_chars"],
                    f"{k['share_of_removed']:.1%}",
                    f"{k['share_of_source']:.1%}",
                ]
                for k in kinds
            ],
            numeric={1, 2, 3, 4, 5},
            caption="From segments: rows by kind and kept; characters are len(segments.text) of "
            "removed rows; share of source divides by the characters of all segments.",
        )
    )
    return parts


def _entities_section(entities: pa.Table, entity_index: pa.Table) -> list[str]:
    top = top_entities(entity_index)
    parts = [_section("entities", f"Top entities ({len(top)} of {entity_index.num_rows})")]
    labels = label_counts(entities)
    if labels:
        parts.append(
            _figure(
                "chart-entity-labels",
                "Entity mentions by label",
                f"entities.label ({entities.num_rows} mentions)",
                lambda: _bar_chart(
                    labels, "label", "mentions", "Entity mentions by label", ("label", "mentions")
                ),
            )
        )
    if not top:
        return [*parts, "<p>No entities.</p>"]
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
            caption="From entity_index (canonical, label, n_documents, n_mentions, aliases), "
            "most mentions first.",
        )
    )
    return parts


def _keyphrases_section(keyphrases: pa.Table) -> list[str]:
    top = top_keyphrases(keyphrases)
    distinct = pc.count_distinct(keyphrases["phrase"]).as_py() if keyphrases.num_rows else 0
    parts = [_section("keyphrases", f"Top keyphrases ({len(top)} of {distinct} phrases)")]
    if not top:
        return [*parts, "<p>No keyphrases.</p>"]
    parts.append(
        _table(
            ["phrase", "documents", "mean rank"],
            [[k["phrase"], k["documents"], f"{k['mean_rank']:.{RANK_DIGITS}f}"] for k in top],
            numeric={1, 2},
            caption="From keyphrases grouped by phrase: distinct doc_id, mean of rank (1 is most "
            "salient); most documents first.",
        )
    )
    return parts


def _timings_section(stage_seconds: Mapping[str, float]) -> list[str]:
    parts = [_section("timings", "Stage timings")]
    if not stage_seconds:
        return [*parts, "<p>No timings recorded.</p>"]
    values = [{"stage": k, "seconds": round(v, SECONDS_DIGITS)} for k, v in stage_seconds.items()]
    parts.append(
        _figure(
            "chart-stage-seconds",
            "Seconds per stage",
            "summary.json stage_seconds (wall time of each stage, all batches)",
            lambda: _bar_chart(
                values, "stage", "seconds", "Seconds per stage", ("stage", "seconds")
            ),
        )
    )
    parts.append(
        _table(
            ["stage", "seconds"],
            [[v["stage"], f"{v['seconds']:.{SECONDS_DIGITS}f}"] for v in values],
            numeric={1},
            caption="From summary.json stage_seconds; publish is timed after this page is written.",
        )
    )
    return parts


def _documents_section(documents: pa.Table) -> list[str]:
    rows = documents.slice(0, MAX_LISTED_ROWS).to_pylist()
    return [
        _section("documents", f"Documents ({documents.num_rows})"),
        f"<details id='documents-list'><summary>Every processed document "
        f"({documents.num_rows})</summary>",
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
                for d in rows
            ],
            numeric={6, 7},
            caption="From documents: one row per processed document.",
        ),
        _more(len(rows), documents.num_rows, "documents"),
        "</details>",
    ]


# --- Markdown (the Prefect artifact) ---------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~>-])")


def _md(value: Any) -> str:
    """One Markdown table cell: HTML-escaped, Markdown punctuation backslash-escaped, one line."""
    text = " ".join(("" if value is None else str(value)).split())
    return _MD_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))


def _md_table(headers: list[str], rows: list[list[Any]]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(_md(v) for v in row) + " |" for row in rows]
    return [*lines, ""]


def render_markdown(
    summary: RunSummary,
    tables: Mapping[str, pa.Table],
    validation: Mapping[str, Any],
    report_path: str | None = None,
) -> str:
    """The run summary as Markdown for the Prefect UI: the same figures as the HTML report."""
    critical, warnings, passed = ordered_outcomes(validation)
    verdict = "PASSED" if summary.validation_passed else "FAILED"
    lines = [
        f"# Broadsheet run {_md(summary.run_id)}",
        "",
        f"**Validation {verdict}**: {_md(summary.validation)}; "
        f"{'published' if summary.published else 'not published'}.",
        "",
        *_md_table(
            ["figure", "value", "from"],
            [
                ["input", summary.input, "run.input setting"],
                *_count_rows(summary),
                [
                    "expectations passed",
                    f"{len(passed)}/{len(passed) + len(critical) + len(warnings)}",
                    "validation",
                ],
            ],
        ),
    ]
    if report_path:
        lines += [f"Full report: `{report_path.replace('`', '')}`", ""]
    failed = critical + warnings
    if failed:
        lines += ["## Failed expectations", ""]
        lines += _md_table(
            ["severity", "table", "expectation", "column", "observed"],
            [
                [
                    o.get("severity"),
                    o.get("table"),
                    o.get("expectation"),
                    o.get("column") or "",
                    o.get("observed", ""),
                ]
                for o in failed[:MAX_LISTED_ROWS]
            ],
        )
    quarantine = tables["quarantine"].slice(0, MAX_LISTED_ROWS).to_pylist()
    if quarantine:
        lines += [f"## Quarantine ({tables['quarantine'].num_rows})", ""]
        lines += _md_table(
            ["source", "stage", "reason"],
            [[q["source_name"], q["stage"], q["reason"]] for q in quarantine],
        )
    entities = top_entities(tables["entity_index"], ARTIFACT_TOP)
    if entities:
        lines += ["## Top entities", ""]
        lines += _md_table(
            ["canonical", "label", "documents", "mentions"],
            [[e["canonical"], e["label"], e["n_documents"], e["n_mentions"]] for e in entities],
        )
    phrases = top_keyphrases(tables["keyphrases"], ARTIFACT_TOP)
    if phrases:
        lines += ["## Top keyphrases", ""]
        lines += _md_table(
            ["phrase", "documents", "mean rank"],
            [[k["phrase"], k["documents"], f"{k['mean_rank']:.{RANK_DIGITS}f}"] for k in phrases],
        )
    if summary.stage_seconds:
        lines += ["## Stage timings (s)", ""]
        lines += _md_table(
            ["stage", "seconds"],
            [[k, f"{v:.{SECONDS_DIGITS}f}"] for k, v in summary.stage_seconds.items()],
        )
    return "\n".join(lines)
