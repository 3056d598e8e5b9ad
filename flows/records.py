"""The records that flow through Broadsheet, from file bytes to table rows.

Every step takes and returns these plain dataclasses, so each step can be unit-tested without
Prefect. Offsets are Python string indices (code points), half-open ``[start, end)``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

# Block kinds the cleaner keeps in the article body; every other kind is removed.
BODY_KINDS: frozenset[str] = frozenset({"body", "heading", "list", "quote", "table"})

# Every kind a segment may carry (kept or removed). Inline removals use the same vocabulary.
SEGMENT_KINDS: tuple[str, ...] = (
    "body",
    "heading",
    "list",
    "quote",
    "table",
    "title",
    "byline",
    "dateline",
    "caption",
    "credit",
    "nav",
    "footer",
    "disclaimer",
    "related",
    "author_bio",
    "appended_article",
    "debris",
)


@dataclass(frozen=True, slots=True)
class RawDocument:
    """One input file as read from disk or URL, before any decoding decision is final."""

    source_name: str
    data: bytes
    sha256: str


@dataclass(frozen=True, slots=True)
class DecodedDocument:
    """A raw document decoded to text, with the encoding that was used."""

    source_name: str
    sha256: str
    encoding: str
    text: str


@dataclass(frozen=True, slots=True)
class Block:
    """A paragraph-like unit (usually one line) of the normalized text, with offsets into it.

    ``blank_before`` counts the blank lines before the block (layout evidence); ``joined_from``
    counts the source lines rejoined into it across page breaks or hard wraps.
    """

    start: int
    end: int
    text: str
    blank_before: int = 0
    joined_from: int = 1


@dataclass(frozen=True, slots=True)
class Segment:
    """One classified block (or inline span) of a document.

    Kept segments index into the cleaned text: ``clean_text[start:end] == text``. Removed
    segments are zero-width (``start == end``) at the point in the cleaned text where they stood,
    and ``text`` carries what was removed.
    """

    seq: int
    start: int
    end: int
    kind: str
    kept: bool
    reason: str
    text: str


@dataclass(frozen=True, slots=True)
class CleanedDocument:
    """The article body and its metadata, with every kept and removed segment."""

    text: str
    title: str | None
    authors: list[str]
    published: dt.date | None
    publisher: str | None
    segments: list[Segment]
    language: str = "en"

    @property
    def removed_share(self) -> float:
        """Share of source characters (over all segments) that were removed."""
        total = sum(len(s.text) for s in self.segments)
        removed = sum(len(s.text) for s in self.segments if not s.kept)
        return removed / total if total else 0.0

    @property
    def n_words(self) -> int:
        return len(self.text.split())


@dataclass(frozen=True, slots=True)
class Entity:
    """A named entity span in the cleaned text, with spaCy's label and a canonical name."""

    start: int
    end: int
    text: str
    label: str
    canonical: str


@dataclass(frozen=True, slots=True)
class Keyphrase:
    """A ranked keyphrase of a document (rank 1 is best)."""

    phrase: str
    score: float
    rank: int


@dataclass(frozen=True, slots=True)
class Quarantined:
    """A document (or file) that left the happy path, and where and why."""

    source_name: str
    stage: str
    reason: str


@dataclass(slots=True)
class ProcessedDocument:
    """Everything the pipeline knows of one good document, ready to become table rows."""

    doc_id: str
    source_name: str
    source_sha256: str
    encoding: str
    cleaned: CleanedDocument
    entities: list[Entity] = field(default_factory=list)
    keyphrases: list[Keyphrase] = field(default_factory=list)
