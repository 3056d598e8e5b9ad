"""Clean: the whole text-cleaning path for one document, raw text in, ``CleanedDocument`` out.

normalize -> blocks -> classify -> inline removals -> assemble body and segments -> metadata.
Kept blocks are joined with a blank line; every block and inline span becomes a ``Segment``
(kept ones index into the body, removed ones are zero-width where they stood); a kept paragraph
that continues a sentence the one before it leaves unfinished (furniture between them removed)
follows it after a space, as a second pass would join them. Inline removals
are furniture (related links, share prompts) and over-long tokens: a run of more than
``cleaning.max_token_chars`` characters without a space (a base64 blob, a pasted hash) is data,
not text, and would only cost the later steps time; it is removed as "debris" with its length.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable

from flows.config import NormalizeSettings, Settings
from flows.records import Block, CleanedDocument, Segment
from flows.steps import phrases
from flows.steps.block_model import TreeEnsemble
from flows.steps.blocks import split_blocks, text_continues
from flows.steps.boilerplate import Label, classify_blocks
from flows.steps.metadata import extract_metadata
from flows.steps.normalize import normalize_text, strip_emphasis

PARAGRAPH_SEPARATOR = "\n\n"
_SPACE_BEFORE_PUNCT = phrases.SPACE_BEFORE_PUNCT
_DOUBLE_SPACE = phrases.DOUBLE_SPACE

# Inline spans removed from kept paragraphs, with the kind and reason they are recorded under.
INLINE_RULES: tuple[tuple[re.Pattern[str], str, str], ...] = (
    (phrases.INLINE_RELATED, "related", "inline related-article link"),
    (phrases.INLINE_PROMPT, "nav", "inline share/follow prompt or image credit"),
)
# Most paragraphs hold none of the literals these patterns need: skip their (IGNORECASE) scans.
_INLINE_MAY_MATCH = tuple(phrases.literal_prefilter(pattern) for pattern, _, _ in INLINE_RULES)
# The rules each of whose spans holds a bracket, "(" or "[" (their patterns open with one; the
# tests check), and the prefilters of the others.
_BRACKETED_RULES = (phrases.INLINE_RELATED,)
_UNBRACKETED_MAY_MATCH = tuple(
    may_match
    for (pattern, _, _), may_match in zip(INLINE_RULES, _INLINE_MAY_MATCH, strict=True)
    if pattern not in _BRACKETED_RULES
)


# The characters ``str.split`` cuts at, but the space (the tests check).
_OTHER_WHITESPACE = re.compile(
    "[\t\n\x0b\x0c\r\x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
)


def _single_spaced(text: str) -> str:
    """``" ".join(text.split())``, without splitting a text that it would give back as it is."""
    if "  " in text or text[:1] == " " or text[-1:] == " " or _OTHER_WHITESPACE.search(text):
        return " ".join(text.split())
    return text


def _paragraph_text(block: Block, label: Label, emphasis: bool = False) -> str:
    """Tables keep their tab-separated cells; other paragraphs are single-spaced. ``emphasis``:
    markdown emphasis that a join of lines brought onto one line goes too (normalize strips it
    line by line; a second pass would find it)."""
    text = block.text if label.kind == "table" else _single_spaced(block.text)
    return strip_emphasis(text) if emphasis and block.joined_from > 1 else text


LONG_TOKEN_KIND = "debris"


def _long_tokens(text: str, max_chars: int) -> list[tuple[int, int, str, str]]:
    """Spans of the runs of more than ``max_chars`` non-space characters in ``text``."""
    return [
        (start, end, LONG_TOKEN_KIND, phrases.long_token_reason(end - start, max_chars))
        for start, end in phrases.long_token_spans(text, max_chars)
    ]


def remove_inline(
    text: str, max_token_chars: int = 0
) -> tuple[str, list[tuple[int, str, str, str]]]:
    """``text`` without inline furniture (and tokens over ``max_token_chars`` characters, when
    positive), and each removal as (offset in result, kind, reason, span)."""
    spans = _long_tokens(text, max_token_chars)
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
    length = 0  # of "".join(pieces)
    for start, end, kind, reason in spans:
        piece = text[cursor:start]
        pieces.append(piece)
        length += len(piece)
        removed.append((length, kind, reason, text[start:end].strip()))
        cursor = end
    pieces.append(text[cursor:])
    result = "".join(pieces)
    tidy = phrases.tidy_after_removal(result)
    if tidy != result:
        # Offsets were measured before tidying; clamp them into the tidied text.
        removed = [(min(off, len(tidy)), k, r, s) for off, k, r, s in removed]
    return tidy, removed


_SEGMENT_FIELDS = ("seq", "start", "end", "kind", "kept", "reason", "text")


def _segment_maker() -> Callable[[int, int, int, str, bool, str, str], Segment]:
    """``Segment(seq, start, end, kind, kept, reason, text)`` with the slots set directly, not
    through the frozen dataclass's ``__init__`` (an ``object.__setattr__`` call per field): the
    same segment in about half the time (a segment is made per block). ``Segment`` itself
    should its fields change."""
    fields = tuple(field.name for field in dataclasses.fields(Segment))
    if fields != _SEGMENT_FIELDS or hasattr(Segment, "__post_init__"):  # pragma: no cover
        return Segment
    new = object.__new__
    set_seq, set_start, set_end, set_kind, set_kept, set_reason, set_text = (
        getattr(Segment, name).__set__ for name in _SEGMENT_FIELDS
    )

    def make(
        seq: int, start: int, end: int, kind: str, kept: bool, reason: str, text: str
    ) -> Segment:
        segment = new(Segment)
        set_seq(segment, seq)
        set_start(segment, start)
        set_end(segment, end)
        set_kind(segment, kind)
        set_kept(segment, kept)
        set_reason(segment, reason)
        set_text(segment, text)
        return segment

    return make


_make_segment = _segment_maker()


def _inline_candidates(paragraphs: list[str]) -> list[bool]:
    """For each paragraph, False where ``remove_inline`` would surely return it unchanged.

    A paragraph without "(" or "[" can only hold spans of the unbracketed rules (the prompts),
    and their prefilters are asked first of all such paragraphs at once: a prefilter finds
    nothing in the joined text only if its rule has no match there, and then none in any of
    them (the rules have no anchors or look-arounds: a match in a paragraph is one in the
    joined text). Paragraphs with a bracket go through ``remove_inline`` as they are.
    """
    bracketed = ["(" in p or "[" in p for p in paragraphs]
    plain = [p for p, b in zip(paragraphs, bracketed, strict=True) if not b]
    if not plain:
        return bracketed
    joined = PARAGRAPH_SEPARATOR.join(plain)
    may_match = [m for m in _UNBRACKETED_MAY_MATCH if m(joined)]
    if not may_match:
        return bracketed
    return [b or any(m(p) for m in may_match) for p, b in zip(paragraphs, bracketed, strict=True)]


def assemble(
    blocks: list[Block],
    labels: list[Label],
    max_token_chars: int = 0,
    rejoin: NormalizeSettings | None = None,
) -> tuple[str, list[Segment]]:
    """The body text and one segment per block or inline removal (``max_token_chars``: see
    ``remove_inline``).

    ``rejoin``: kept paragraphs that continue the sentence the kept text before them leaves
    unfinished, as ``blocks`` reads a page break (what a second pass over the body would
    join), follow it after a space instead of a blank line. The first pass kept them apart for
    what stood between them (removed furniture, a line break before a capital, a long gap).
    With it, markdown emphasis that spanned lines ``blocks`` joined is stripped as normalize
    strips it (when ``rejoin.strip_markdown_emphasis``).
    """
    emphasis = rejoin is not None and rejoin.strip_markdown_emphasis
    paragraphs = [
        _paragraph_text(block, label, emphasis) if label.kept else None
        for block, label in zip(blocks, labels, strict=True)
    ]
    candidates = iter(_inline_candidates([p for p in paragraphs if p is not None]))
    # Each block's paragraph after its inline removals (None: removed, with kind and reason).
    done: list[tuple[str | None, list[tuple[int, str, str, str]], str, str]] = []
    kept: list[str] = []
    for label, paragraph in zip(labels, paragraphs, strict=True):
        if paragraph is None:
            done.append((None, [], label.kind, label.reason))
            continue
        inline: list[tuple[int, str, str, str]] = []
        if next(candidates) or phrases.long_token_spans(paragraph, max_token_chars):
            paragraph, inline = remove_inline(paragraph, max_token_chars)
        if not paragraph:
            reasons = [r for _, _, r, _ in inline if r.startswith(phrases.LONG_TOKEN_REASON)]
            if reasons:
                done.append((None, [], LONG_TOKEN_KIND, reasons[0]))
            else:
                done.append((None, [], label.kind, "only inline furniture"))
            continue
        done.append((paragraph, inline, label.kind, label.reason))
        kept.append(paragraph)
    separators = _separators(kept, rejoin) if rejoin is not None else None
    make = _make_segment
    body_parts: list[str] = []  # with the separators
    segments: list[Segment] = []
    append = segments.append
    length = 0
    n_kept = 0
    for block, (paragraph, inline, kind, reason) in zip(blocks, done, strict=True):
        if paragraph is None:
            append(make(len(segments), length, length, kind, False, reason, block.text))
            continue
        if n_kept:
            separator = separators[n_kept - 1] if separators else PARAGRAPH_SEPARATOR
            body_parts.append(separator)
            length += len(separator)
        n_kept += 1
        start = length
        body_parts.append(paragraph)
        length += len(paragraph)
        append(make(len(segments), start, length, kind, True, reason, paragraph))
        for offset, removed_kind, removed_reason, span in inline:
            at = start + offset
            append(make(len(segments), at, at, removed_kind, False, removed_reason, span))
    return "".join(body_parts), segments


def _separators(paragraphs: list[str], rejoin: NormalizeSettings) -> list[str]:
    """What goes between each kept paragraph and the next: a space where the next continues
    the sentence the text before it leaves unfinished, else a blank line. A paragraph that
    grows by a join is asked again against the one before it, so that no two paragraphs the
    result keeps apart would be joined by a second pass."""
    least = rejoin.page_break_min_words
    separators: list[str] = []
    groups: list[str] = []  # the body's paragraphs so far, rejoined parts included
    starts: list[int] = []  # for each group but the first, the separator before it
    for paragraph in paragraphs:
        if not groups:
            groups.append(paragraph)
            continue
        if not text_continues(groups[-1], paragraph, 1, least):
            separators.append(PARAGRAPH_SEPARATOR)
            starts.append(len(separators) - 1)
            groups.append(paragraph)
            continue
        separators.append(" ")
        groups[-1] = f"{groups[-1]} {paragraph}"
        while len(groups) > 1 and text_continues(groups[-2], groups[-1], 1, least):
            separators[starts.pop()] = " "
            last = groups.pop()
            groups[-1] = f"{groups[-1]} {last}"
    return separators


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
    labels = classify_blocks(blocks, settings.cleaning, model)
    return cleaned_document(blocks, labels, settings)


_DEFAULT_SETTINGS = Settings()  # frozen: one shared instance, not one built per document


def cleaned_document(
    blocks: list[Block], labels: list[Label], settings: Settings | None = None
) -> CleanedDocument:
    """Body, segments and metadata from labelled blocks (``settings``: the cleaning's
    ``max_token_chars`` and ``rejoin_cut_sentences``, the page-break rule of normalize)."""
    settings = settings or _DEFAULT_SETTINGS
    cleaning = settings.cleaning
    rejoin = settings.normalize if cleaning.rejoin_cut_sentences else None
    body, segments = assemble(blocks, labels, cleaning.max_token_chars, rejoin)
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


# Words for the marker count: runs of letters in the lower-cased text, ``[^\W\d_]+`` (what
# the regex finds is slow to build one string at a time). ASCII text: a translation lower-cases
# it and turns every non-letter into a space, and ``split`` cuts out the runs. Other text is
# made ASCII first: frequent non-letters (quotes, dashes) become spaces; then, lower-cased, the
# other non-ASCII non-letters become spaces and the non-ASCII letters "A" (lower-cased text has
# no capitals, so such a word is no marker, as the real one is not). Text with many non-ASCII
# characters is left to the regex.
_LETTER_RUNS = re.compile(r"[^\W\d_]+")
_NON_ASCII_LETTER = re.compile(r"[^\W\d_\x00-\x7f]")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_ASCII_NON_LETTERS = str.maketrans(
    {c: " " for c in map(chr, range(128)) if not _LETTER_RUNS.fullmatch(c)}
)
_ASCII_LOWER = str.maketrans({c: c.lower() for c in map(chr, range(128)) if c != c.lower()})
_ASCII_LOWER_NON_LETTERS = {**_ASCII_NON_LETTERS, **_ASCII_LOWER}
_FREQUENT_NON_ASCII = "’“”‘—–…\xa0"


def _marker_words(text: str) -> list[str]:
    """The words of ``text.lower()`` as ``_LETTER_RUNS.findall`` finds them, except that one
    holding a non-ASCII letter may have an "A" for it: as many words, and the same markers.

    Spaces for non-letters before lower-casing change no letter run: ``str.lower`` maps each
    character on its own but for the Greek capital sigma, whose two lower-case forms are both
    non-ASCII letters.
    """
    if text.isascii():
        return text.translate(_ASCII_LOWER_NON_LETTERS).split()
    for char in _FREQUENT_NON_ASCII:
        if char in text:
            text = text.replace(char, " ")
    if text.isascii():
        return text.translate(_ASCII_LOWER_NON_LETTERS).split()
    lowered = text.lower()
    if len(lowered) - len(lowered.encode("ascii", "ignore")) > len(lowered) >> 3:
        return _LETTER_RUNS.findall(lowered)
    lowered = _NON_ASCII.sub(" ", _NON_ASCII_LETTER.sub("A", lowered))
    return lowered.translate(_ASCII_NON_LETTERS).split()


def detect_language(text: str) -> str:
    """ "en" for English text, else "und" (undetermined): a cheap check, not a language identifier."""
    words = _marker_words(text)
    if not words:
        return "und"
    if len(words) < _SHORT_TEXT_WORDS:
        words = _LETTER_RUNS.findall(text.lower())  # the words themselves
        letters = "".join(words)
        non_ascii = sum(not ch.isascii() for ch in letters) / len(letters)
        has_stopword = any(w in phrases.STOPWORDS for w in words)
        return "en" if has_stopword and non_ascii <= _SHORT_TEXT_MAX_NON_ASCII_LETTERS else "und"
    markers = sum(map(_ENGLISH_MARKERS.__contains__, words))
    return "en" if markers / len(words) >= _ENGLISH_MARKER_MIN_SHARE else "und"
