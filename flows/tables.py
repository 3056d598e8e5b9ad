"""Tables: turn processed documents and quarantine records into Arrow tables of ``flows.schema``.

Rows are built column-wise (lists per column), which is the cheap way into Arrow, and every
table is cast to its published schema here, so a shape error fails at build time, not in a
reader's notebook.
"""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa

from flows import schema
from flows.records import ProcessedDocument, Quarantined
from flows.steps.entity_index import index_corpus


def doc_id_for(sha256: str) -> str:
    """Documents are identified by their content: the same bytes get the same id in every run."""
    return sha256[:16]


def build_tables(
    documents: Sequence[ProcessedDocument],
    quarantined: Sequence[Quarantined],
    run_id: str,
    pipeline_version: str,
) -> dict[str, pa.Table]:
    """The published tables for one run (see :data:`flows.schema.TABLES`).

    Entity names are merged across the run's documents here (:func:`index_corpus`), so
    ``entities.canonical`` and ``entity_index`` agree.
    """
    docs: dict[str, list] = {f.name: [] for f in schema.DOCUMENTS}
    segs: dict[str, list] = {f.name: [] for f in schema.SEGMENTS}
    ents: dict[str, list] = {f.name: [] for f in schema.ENTITIES}
    keys: dict[str, list] = {f.name: [] for f in schema.KEYPHRASES}
    corpus_entities, index = index_corpus([doc.entities for doc in documents])
    for doc, entities in zip(documents, corpus_entities, strict=True):
        cleaned = doc.cleaned
        row = {
            "doc_id": doc.doc_id,
            "source_name": doc.source_name,
            "source_sha256": doc.source_sha256,
            "encoding": doc.encoding,
            "title": cleaned.title,
            "authors": list(cleaned.authors),
            "published": cleaned.published,
            "publisher": cleaned.publisher,
            "language": cleaned.language,
            "text": cleaned.text,
            "n_words": cleaned.n_words,
            "removed_share": cleaned.removed_share,
            "run_id": run_id,
            "pipeline_version": pipeline_version,
        }
        for name, value in row.items():
            docs[name].append(value)
        for seg in cleaned.segments:
            for name, value in (
                ("doc_id", doc.doc_id),
                ("seq", seg.seq),
                ("start", seg.start),
                ("end", seg.end),
                ("kind", seg.kind),
                ("kept", seg.kept),
                ("reason", seg.reason),
                ("text", seg.text),
            ):
                segs[name].append(value)
        for ent in entities:
            for name, value in (
                ("doc_id", doc.doc_id),
                ("start", ent.start),
                ("end", ent.end),
                ("text", ent.text),
                ("label", ent.label),
                ("canonical", ent.canonical),
            ):
                ents[name].append(value)
        for key in doc.keyphrases:
            for name, value in (
                ("doc_id", doc.doc_id),
                ("rank", key.rank),
                ("phrase", key.phrase),
                ("score", key.score),
            ):
                keys[name].append(value)
    quarantine: dict[str, list] = {
        "source_name": [q.source_name for q in quarantined],
        "stage": [q.stage for q in quarantined],
        "reason": [q.reason for q in quarantined],
        "run_id": [run_id] * len(quarantined),
    }
    entity_index = {
        "canonical": [e.canonical for e in index],
        "label": [e.label for e in index],
        "aliases": [list(e.aliases) for e in index],
        "n_documents": [e.n_documents for e in index],
        "n_mentions": [e.n_mentions for e in index],
    }
    return {
        "documents": pa.Table.from_pydict(docs, schema=schema.DOCUMENTS),
        "segments": pa.Table.from_pydict(segs, schema=schema.SEGMENTS),
        "entities": pa.Table.from_pydict(ents, schema=schema.ENTITIES),
        "entity_index": pa.Table.from_pydict(entity_index, schema=schema.ENTITY_INDEX),
        "keyphrases": pa.Table.from_pydict(keys, schema=schema.KEYPHRASES),
        "quarantine": pa.Table.from_pydict(quarantine, schema=schema.QUARANTINE),
    }
