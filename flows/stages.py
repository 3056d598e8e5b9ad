"""Stages: the pipeline's steps applied to a batch of documents, without any Prefect.

Each stage takes a batch of ``InFlight`` documents and returns the ones that go on plus
``Quarantined`` records for the ones that could not, with the stage and the reason. The Prefect
flow in ``flows.pipeline`` wraps each stage in a task; tests and benchmarks call them directly.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from flows.cache import CachedResult, ResultCache
from flows.config import Settings
from flows.records import (
    Block,
    CleanedDocument,
    DecodedDocument,
    Entity,
    Keyphrase,
    ProcessedDocument,
    Quarantined,
    RawDocument,
)
from flows.steps import ingest
from flows.steps.blocks import split_blocks
from flows.steps.boilerplate import Label, classify_blocks
from flows.steps.clean import cleaned_document
from flows.steps.normalize import normalize_text
from flows.steps.quality import document_problem, text_fingerprint
from flows.tables import doc_id_for


@dataclass(slots=True)
class InFlight:
    """One document between stages; each stage fills in its part."""

    decoded: DecodedDocument
    text: str = ""
    blocks: list[Block] = field(default_factory=list)
    labels: list[Label] = field(default_factory=list)
    cleaned: CleanedDocument | None = None
    entities: list[Entity] = field(default_factory=list)
    keyphrases: list[Keyphrase] = field(default_factory=list)
    # Results came from the cache (flows/cache.py): the cleaning and NLP stages pass it by.
    cached: bool = False

    @property
    def source_name(self) -> str:
        return self.decoded.source_name


Batch = list[InFlight]
StageResult = tuple[Batch, list[Quarantined]]
QUALITY_STAGE = "quality"


def _error(exc: BaseException) -> str:
    where = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    at = f" at {Path(where.filename).name}:{where.lineno}" if where else ""
    return f"{type(exc).__name__}: {exc}{at}"


def _each(batch: Batch, stage: str, work: Callable[[InFlight], None]) -> StageResult:
    """Apply ``work`` to every document; an exception quarantines that document only."""
    kept: Batch = []
    quarantined: list[Quarantined] = []
    for item in batch:
        if item.cached:
            kept.append(item)
            continue
        try:
            work(item)
        except Exception as exc:
            quarantined.append(Quarantined(item.source_name, stage, _error(exc)))
        else:
            kept.append(item)
    return kept, quarantined


def list_sources(location: str, settings: Settings) -> tuple[list[str | Path], Path | None]:
    """What a run will read: the URL itself, or every entry under a folder that gets an
    outcome (``flows.steps.ingest.list_inputs``: files whose names match ``ingest.patterns``,
    plus links and folders that will not be walked, which ingest quarantines), sorted."""
    if ingest.is_url(location) and not location.startswith("file:"):
        return [location], None
    root = Path(location.removeprefix("file://"))
    if not root.exists():
        return [], root
    return list(ingest.list_inputs(root, settings.ingest)), root


def ingest_batch(
    sources: Sequence[str | Path], root: Path | None, settings: Settings, seen: dict[str, str]
) -> StageResult:
    """Read, hash and decode; the same bytes twice become one document and one quarantine row.

    Every source gives exactly one outcome: an unreadable, special or oversized entry becomes an
    ingest quarantine row (``flows.steps.ingest.read_file``), undecodable bytes a decode row.

    A document whose results are in the cache (same bytes, code, models and result settings)
    comes back with them filled in and ``cached`` set.
    """
    cache = ResultCache.for_settings(settings)
    kept: Batch = []
    quarantined: list[Quarantined] = []
    for source in sources:
        raw: RawDocument | Quarantined
        if isinstance(source, Path) and root is not None:
            raw = ingest.read_file(source, root, settings.ingest)
        else:
            raw = ingest.read_url(str(source), settings.ingest)
        if isinstance(raw, Quarantined):
            quarantined.append(raw)
            continue
        if raw.sha256 in seen:
            quarantined.append(
                Quarantined(raw.source_name, "ingest", f"duplicate content of {seen[raw.sha256]}")
            )
            continue
        decoded = ingest.decode(raw, settings.ingest)
        if isinstance(decoded, Quarantined):
            quarantined.append(decoded)
            continue
        seen[raw.sha256] = raw.source_name
        item = InFlight(decoded)
        hit = cache.get(raw.sha256) if cache is not None else None
        if hit is not None:
            item.cleaned, item.entities, item.keyphrases = hit.cleaned, hit.entities, hit.keyphrases
            item.cached = True
        kept.append(item)
    return kept, quarantined


def normalize_batch(batch: Batch, settings: Settings) -> StageResult:
    def work(item: InFlight) -> None:
        item.text = normalize_text(item.decoded.text, settings.normalize)
        if not item.text.strip():
            raise ValueError("no text left after normalization")

    return _each(batch, "normalize", work)


def segment_batch(batch: Batch, settings: Settings) -> StageResult:
    def work(item: InFlight) -> None:
        item.blocks = split_blocks(item.text, settings.normalize)

    return _each(batch, "segment", work)


def classify_batch(batch: Batch, settings: Settings) -> StageResult:
    def work(item: InFlight) -> None:
        item.labels = classify_blocks(item.blocks, settings.cleaning)
        if not any(label.kept for label in item.labels):
            kinds = sorted({label.kind for label in item.labels})
            raise ValueError(f"no article text found (all blocks removed as {', '.join(kinds)})")

    return _each(batch, "clean", work)


def metadata_batch(batch: Batch, settings: Settings) -> StageResult:
    def work(item: InFlight) -> None:
        item.cleaned = cleaned_document(item.blocks, item.labels, settings)

    return _each(batch, "metadata", work)


def quality_batch(batch: Batch, settings: Settings, seen_texts: dict[str, str]) -> StageResult:
    """Document-level checks (length, language, same text as an earlier document of the run).

    ``seen_texts`` (fingerprint -> source name) carries accepted texts across batches, as
    ``ingest_batch``'s ``seen`` does for bytes; it is updated in place.
    """
    kept: Batch = []
    quarantined: list[Quarantined] = []
    for item in batch:
        assert item.cleaned is not None  # metadata_batch ran
        problem = document_problem(item.cleaned, settings.quality)
        if problem is None and settings.quality.drop_duplicate_text:
            fingerprint = text_fingerprint(item.cleaned.text)
            first = seen_texts.setdefault(fingerprint, item.source_name)
            if first != item.source_name:
                problem = f"duplicate of {first}: the same article text after cleaning"
        if problem is None:
            kept.append(item)
        else:
            quarantined.append(Quarantined(item.source_name, QUALITY_STAGE, problem))
    return kept, quarantined


def nlp_batch(batch: Batch, settings: Settings) -> StageResult:
    """Entities and keyphrases of the batch's new documents, on all cores (flows/parallel.py),
    then stored in the cache; on failure, retry one by one so one bad text quarantines alone."""
    todo = [item for item in batch if not item.cached]
    if not todo:
        return batch, []  # all from the cache: not even spaCy's import is needed
    from flows.parallel import analyse_texts  # spaCy loads only when a run reaches NLP
    from flows.steps.nlp import analyse_batch

    texts = [item.cleaned.text if item.cleaned else "" for item in todo]
    quarantined: list[Quarantined] = []
    try:
        results = analyse_texts(texts, settings.nlp)
    except Exception:

        def work(item: InFlight) -> None:
            [(item.entities, item.keyphrases)] = analyse_batch([item.cleaned.text], settings.nlp)

        done, quarantined = _each(todo, "nlp", work)
    else:
        for item, (entities, keyphrases) in zip(todo, results, strict=True):
            item.entities, item.keyphrases = entities, keyphrases
        done = todo
    cache = ResultCache.for_settings(settings)
    if cache is not None:
        for item in done:
            assert item.cleaned is not None
            cache.put(
                item.decoded.sha256, CachedResult(item.cleaned, item.entities, item.keyphrases)
            )
    failed = {id(item) for item in todo} - {id(item) for item in done}
    return [item for item in batch if id(item) not in failed], quarantined


def finish(batch: Iterable[InFlight]) -> list[ProcessedDocument]:
    """Processed documents ready for ``flows.tables.build_tables``."""
    return [
        ProcessedDocument(
            doc_id=doc_id_for(item.decoded.sha256),
            source_name=item.source_name,
            source_sha256=item.decoded.sha256,
            encoding=item.decoded.encoding,
            cleaned=item.cleaned,
            entities=item.entities,
            keyphrases=item.keyphrases,
        )
        for item in batch
        if item.cleaned is not None
    ]
