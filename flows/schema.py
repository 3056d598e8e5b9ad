"""Every Parquet table Broadsheet publishes: its pyarrow schema and the meaning of each column.

This is the only place a table's shape is defined. Writers build tables with these schemas, the
Great Expectations suites in ``expectations/`` check them, and ``broadsheet schema`` prints them.
"""

from __future__ import annotations

import pyarrow as pa


def _field(name: str, dtype: pa.DataType, doc: str, nullable: bool = False) -> pa.Field:
    return pa.field(name, dtype, nullable=nullable, metadata={"doc": doc})


DOCUMENTS = pa.schema(
    [
        _field("doc_id", pa.string(), "Stable id: first 16 hex digits of source_sha256."),
        _field("source_name", pa.string(), "Input file path relative to the input root (or URL)."),
        _field("source_sha256", pa.string(), "SHA-256 of the raw input bytes."),
        _field("encoding", pa.string(), "Text encoding the raw bytes were decoded with."),
        _field("title", pa.string(), "Headline of the article, null when the page has none.", True),
        _field("authors", pa.list_(pa.string()), "Author names (never translators or editors)."),
        _field("published", pa.date32(), "Publication date from a dateline, null if absent.", True),
        _field("publisher", pa.string(), "Publishing organisation, null when not stated.", True),
        _field("language", pa.string(), 'ISO 639-1 code of the text, or "und" when undetermined.'),
        _field("text", pa.string(), "Cleaned article body; paragraphs separated by a blank line."),
        _field("n_words", pa.int32(), "Whitespace-separated words in text."),
        _field(
            "removed_share",
            pa.float64(),
            "Share of source characters removed (sum of removed segments / all segments).",
        ),
        _field("run_id", pa.string(), "Id of the run that produced this row."),
        _field("pipeline_version", pa.string(), "Version of Broadsheet that produced this row."),
    ],
    metadata={"doc": "One row per successfully processed input document."},
)

SEGMENTS = pa.schema(
    [
        _field("doc_id", pa.string(), "Document the segment belongs to."),
        _field("seq", pa.int32(), "Order of the segment in the source document, from 0."),
        _field(
            "start",
            pa.int64(),
            "Offset into documents.text; kept: where the text starts; removed: where it stood.",
        ),
        _field("end", pa.int64(), "End offset into documents.text (equal to start if removed)."),
        _field("kind", pa.string(), "Block kind: body, heading, list, caption, byline, nav, ..."),
        _field("kept", pa.bool_(), "Whether the segment is part of the cleaned body."),
        _field("reason", pa.string(), "Human-readable evidence for the kind and decision."),
        _field("text", pa.string(), "The segment's text as it stood in the normalized source."),
    ],
    metadata={"doc": "Every block (and inline span) of every document, kept or removed."},
)

ENTITIES = pa.schema(
    [
        _field("doc_id", pa.string(), "Document the entity was found in."),
        _field("start", pa.int64(), "Start offset into documents.text."),
        _field("end", pa.int64(), "End offset into documents.text."),
        _field("text", pa.string(), "Surface text, equal to documents.text[start:end]."),
        _field("label", pa.string(), "spaCy label: PERSON, ORG, GPE, LOC, NORP, ..."),
        _field(
            "canonical",
            pa.string(),
            "Corpus-wide name of the entity; (canonical, label) is a row of entity_index.",
        ),
    ],
    metadata={"doc": "Named entities in the cleaned text."},
)

ENTITY_INDEX = pa.schema(
    [
        _field("canonical", pa.string(), "Name of the entity, one per (canonical, label)."),
        _field("label", pa.string(), "Label of the entity, as in entities.label."),
        _field(
            "aliases",
            pa.list_(pa.string()),
            "Distinct surface forms of its mentions (normalised), most frequent first.",
        ),
        _field("n_documents", pa.int32(), "Documents with at least one mention."),
        _field("n_mentions", pa.int32(), "Rows of entities with this canonical and label."),
    ],
    metadata={
        "doc": "One row per entity of the snapshot: its aliases merged across documents "
        "(see flows/steps/entity_index.py)."
    },
)

KEYPHRASES = pa.schema(
    [
        _field("doc_id", pa.string(), "Document the keyphrase describes."),
        _field("rank", pa.int32(), "1 is the most salient keyphrase."),
        _field("phrase", pa.string(), "The keyphrase, lower-cased unless a proper name."),
        _field("score", pa.float64(), "Extractor score (higher is more salient)."),
    ],
    metadata={"doc": "Top keyphrases per document."},
)

QUARANTINE = pa.schema(
    [
        _field("source_name", pa.string(), "Input that left the happy path."),
        _field("stage", pa.string(), "Step where it left: ingest, decode, clean, nlp, ..."),
        _field("reason", pa.string(), "Why, in words a person can act on."),
        _field("run_id", pa.string(), "Id of the run that quarantined it."),
    ],
    metadata={"doc": "Inputs not published as documents, with the stage and reason."},
)

TABLES: dict[str, pa.Schema] = {
    "documents": DOCUMENTS,
    "segments": SEGMENTS,
    "entities": ENTITIES,
    "entity_index": ENTITY_INDEX,
    "keyphrases": KEYPHRASES,
    "quarantine": QUARANTINE,
}


def describe() -> str:
    """Every table and column with its type and doc, as plain text."""
    lines: list[str] = []
    for name, schema in TABLES.items():
        lines.append(f"{name}: {schema.metadata[b'doc'].decode()}")
        for fld in schema:
            null = " (nullable)" if fld.nullable else ""
            lines.append(f"  {fld.name}: {fld.type}{null} - {fld.metadata[b'doc'].decode()}")
        lines.append("")
    return "\n".join(lines)
