"""Clean: the whole text-cleaning path for one document, raw text in, ``CleanedDocument`` out.

normalize -> blocks -> classify -> inline removals -> assemble body and segments -> metadata.
Kept blocks are joined with a blank line; every block and inline span becomes a ``Segment``
(kept ones index into the body, removed ones are zero-width where they stood).
"""

from __future__ import annotations

import re

from flows.config import Settings
from flows.records import Block, CleanedDocument, Segment
from flows.steps import phrases
from flows.steps.block_model import TreeEnsemble
from flows.steps.blocks import split_blocks
from flows.steps.boilerplate import Label, classify_blocks
from flows.steps.metadata import extract_metadata
from flows.steps.normalize import normalize_text

PARAGRAPH_SEPARATOR = "\n\n"
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([.,;:!?])")
_DOUBLE_SPACE = re.compile(r" {2,}")

# Inline spans removed from kept paragraphs, with the kind and reason they are recorded under.
INLINE_RULES: tuple[tuple[re.Pattern[str], str, str], ...] = (
    (phrases.INLINE_RELATED, "related", "inline related-article link"),
    (phrases.INLINE_PROMPT, "nav", "inline share/follow prompt or image credit"),
)
# Most paragraphs hold none of the literals these patterns need: skip their (IGNORECASE) scans.
_INLINE_MAY_MATCH = tuple(phrases.literal_prefilter(pattern) for pattern, _, _ in INLINE_RULES)


def _paragraph_text(block: Block, label: Label) -> str:
    """Tables keep their tab-separated cells; other paragraphs are single-spaced."""
    return block.text if label.kind == "table" else " ".join(block.text.split())


def remove_inline(text: str) -> tuple[str, list[tuple[int, str, str, str]]]:
    """``text`` without inline furniture, and each removal as (offset in result, kind, reason, span)."""
    spans: list[tuple[int, int, str, str]] = []
    for (pattern, kind, reason), may_match in zip(INLINE_RULES, _INLINE_MAY_MATCH, strict=True):
        if not may_match(text):
            continue
        for match in pattern.finditer(text):
            if not any(s < match.end() and match.start() < e for s, e, _, _ in spans):
                spans.append((match.start(), match.end(), kind, reason))
    if not spans:
        return text, []
    spans.sort()
    pieces: list[str] = []
    removed: list[tuple[int, str, str, str]] = []
    cursor = 0
    for start, end, kind, reason in spans:
        pieces.append(text[cursor:start])
        removed.append((len("".join(pieces)), kind, reason, text[start:end].strip()))
        cursor = end
    pieces.append(text[cursor:])
    result = "".join(pieces)
    tidy = _DOUBLE_SPACE.sub(" ", _SPACE_BEFORE_PUNCT.sub(r"\1", result)).strip()
    if tidy != result:
        # Offsets were measured before tidying; clamp them into the tidied text.
        removed = [(min(off, len(tidy)), k, r, s) for off, k, r, s in removed]
    return tidy, removed


def assemble(blocks: list[Block], labels: list[Label]) -> tuple[str, list[Segment]]:
    """The body text and one segment per block or inline removal."""
    body_parts: list[str] = []
    segments: list[Segment] = []
    length = 0
    for block, label in zip(blocks, labels, strict=True):
        if not label.kept:
            segments.append(
                Segment(len(segments), length, length, label.kind, False, label.reason, block.text)
            )
            continue
        paragraph, inline = remove_inline(_paragraph_text(block, label))
        if not paragraph:
            segments.append(
                Segment(
                    len(segments),
                    length,
                    length,
                    label.kind,
                    False,
                    "only inline furniture",
                    block.text,
                )
            )
            continue
        if body_parts:
            length += len(PARAGRAPH_SEPARATOR)
        start = length
        body_parts.append(paragraph)
        length += len(paragraph)
        segments.append(
            Segment(len(segments), start, length, label.kind, True, label.reason, paragraph)
        )
        for offset, kind, reason, span in inline:
            at = start + offset
            segments.append(Segment(len(segments), at, at, kind, False, reason, span))
    return PARAGRAPH_SEPARATOR.join(body_parts), segments


def clean_text(
    raw: str, settings: Settings | None = None, model: TreeEnsemble | bool | None = True
) -> CleanedDocument:
    """Article body, metadata and every kept/removed segment of one scraped text.

    ``model``: the shipped block model (True), another one (benchmarks cross-validate with it),
    or None for the rules alone.

    >>> doc = clean_text("Follow us\\n\\nBy Ann Lee\\n\\n" + "A sentence of the article body. " * 5)
    >>> doc.authors, doc.text.startswith("A sentence")
    (['Ann Lee'], True)
    """
    settings = settings or Settings()
    text = normalize_text(raw, settings.normalize)
    blocks = split_blocks(text, settings.normalize)
    return cleaned_document(blocks, classify_blocks(blocks, settings.cleaning, model))


def cleaned_document(blocks: list[Block], labels: list[Label]) -> CleanedDocument:
    """Body, segments and metadata from labelled blocks."""
    body, segments = assemble(blocks, labels)
    meta = extract_metadata(blocks, labels)
    return CleanedDocument(
        text=body,
        title=meta.title,
        authors=meta.authors,
        published=meta.published,
        publisher=meta.publisher,
        segments=segments,
        language=detect_language(body),
    )


# English running text has about a fifth of its words from this set, which other languages
# written in Latin letters rarely use (unlike "a", "do", "no", "in"). Short texts (titles, notes)
# are judged by their letters instead: ASCII letters and at least one English stop-word.
_ENGLISH_MARKERS = frozenset(
    [
        "the",
        "and",
        "of",
        "to",
        "is",
        "that",
        "with",
        "for",
        "was",
        "were",
        "are",
        "this",
        "from",
        "by",
        "it",
        "be",
        "have",
        "has",
        "which",
        "would",
        "their",
        "they",
        "you",
        "not",
        "but",
        "or",
        "an",
        "at",
        "as",
        "been",
        "will",
        "its",
        "who",
        "what",
        "there",
    ]
)
_ENGLISH_MARKER_MIN_SHARE = 0.08
_SHORT_TEXT_WORDS = 30
_SHORT_TEXT_MAX_NON_ASCII_LETTERS = 0.02


def detect_language(text: str) -> str:
    """ "en" for English text, else "und" (undetermined): a cheap check, not a language identifier."""
    lowered = text.lower()
    words = re.findall(r"[^\W\d_]+", lowered)
    if not words:
        return "und"
    if len(words) < _SHORT_TEXT_WORDS:
        letters = "".join(words)
        non_ascii = sum(not ch.isascii() for ch in letters) / len(letters)
        has_stopword = any(w in phrases.STOPWORDS for w in words)
        return "en" if has_stopword and non_ascii <= _SHORT_TEXT_MAX_NON_ASCII_LETTERS else "und"
    markers = sum(map(_ENGLISH_MARKERS.__contains__, words))
    return "en" if markers / len(words) >= _ENGLISH_MARKER_MIN_SHARE else "und"
