"""Duplicates across batches: decided once in the flow, in input order, whatever ran the batches.

Owns the run-wide duplicate decisions. Each batch (``flows.pipeline.process_batch``) dedupes
only within itself, with its own ``seen`` (bytes) and ``seen_texts`` (cleaned text) dicts, and
returns them: they hold, in input order, the documents the batch accepted at ingest and at the
quality check. :func:`merge_batches` walks the batches in order and turns a later copy of an
earlier batch's bytes into an ingest quarantine row, and a later copy of an earlier batch's
article text into a quality quarantine row, exactly as one process walking every batch with
shared dicts would. Batches can therefore run anywhere (threads, Dask workers) and the tables
stay the same.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from flows.records import ProcessedDocument, Quarantined
from flows.stages import QUALITY_STAGE

INGEST_STAGE = "ingest"
# The reasons ``flows.stages.ingest_batch`` and ``quality_batch`` give for a duplicate.
BYTES_DUPLICATE = "duplicate content of {first}"
TEXT_DUPLICATE = "duplicate of {first}: the same article text after cleaning"


@dataclass(slots=True)
class BatchResult:
    """What one batch gives back to the flow (picklable: it travels from Dask workers)."""

    number: int
    processed: list[ProcessedDocument] = field(default_factory=list)
    quarantined: list[Quarantined] = field(default_factory=list)
    # sha256 -> source name of every document the batch accepted at ingest, in input order.
    accepted_bytes: dict[str, str] = field(default_factory=dict)
    # text fingerprint -> source name of every document that passed the quality checks.
    accepted_texts: dict[str, str] = field(default_factory=dict)
    # Seconds per stage spent on this batch (summed into the run's stage timings).
    seconds: dict[str, float] = field(default_factory=dict)


def merge_batches(
    results: Iterable[BatchResult],
) -> tuple[list[ProcessedDocument], list[Quarantined]]:
    """Processed documents and quarantine rows of the run, batches taken in ``number`` order."""
    seen_bytes: dict[str, str] = {}
    seen_texts: dict[str, str] = {}
    processed: list[ProcessedDocument] = []
    quarantined: list[Quarantined] = []
    for result in sorted(results, key=lambda r: r.number):
        # Later copies of an earlier batch's bytes: ingest would have stopped them.
        dropped: dict[str, str] = {}  # source name -> first source with the same bytes
        for sha256, source in result.accepted_bytes.items():
            first = seen_bytes.setdefault(sha256, source)
            if first != source:
                dropped[source] = first
        renamed = {
            BYTES_DUPLICATE.format(first=copy): BYTES_DUPLICATE.format(first=first)
            for copy, first in dropped.items()
        }
        # Later copies of an earlier batch's text: the quality stage would have stopped them.
        text_dropped: dict[str, str] = {}
        for fingerprint, source in result.accepted_texts.items():
            if source in dropped:
                # It never reached the quality stage; a text copy in this batch that named it
                # as the original is a copy of the run's first holder of the text instead.
                if fingerprint in seen_texts:  # always: the same bytes passed earlier
                    renamed[TEXT_DUPLICATE.format(first=source)] = TEXT_DUPLICATE.format(
                        first=seen_texts[fingerprint]
                    )
                continue
            first = seen_texts.setdefault(fingerprint, source)
            if first != source:
                text_dropped[source] = first
        gone = dropped.keys() | text_dropped.keys()
        quarantined += [
            Quarantined(q.source_name, q.stage, renamed.get(q.reason, q.reason))
            for q in result.quarantined
            if q.source_name not in gone
        ]
        quarantined += [
            Quarantined(copy, INGEST_STAGE, BYTES_DUPLICATE.format(first=first))
            for copy, first in dropped.items()
        ]
        quarantined += [
            Quarantined(copy, QUALITY_STAGE, TEXT_DUPLICATE.format(first=first))
            for copy, first in text_dropped.items()
        ]
        processed += [doc for doc in result.processed if doc.source_name not in gone]
    return processed, quarantined
