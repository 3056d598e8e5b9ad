"""Features: the evidence about each block as numbers, for the learned block classifier.

One row per block: its shape (length, punctuation, stop-word and capital density, digits,
links), phrasing families and the kind the rules gave it, repetition, position in the page and
relative to the densest run of prose, and the same shape evidence of its neighbours. The names
in ``FEATURE_NAMES`` are stored with the trained model, which refuses a mismatching list.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain
from operator import attrgetter, itemgetter

import numpy as np

from flows.records import SEGMENT_KINDS, Block
from flows.steps import phrases

_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
_DIGIT = re.compile(r"\d")
_SENTENCE_END = re.compile(r"[.!?…](?:\s|$)")
_SEPARATOR_CHARS = "|»›•·/"
_FIRST = itemgetter(0)
_HEAD = itemgetter(slice(0, 1))
_BLANK_BEFORE = attrgetter("blank_before")
_JOINED_FROM = attrgetter("joined_from")
SHORT_BLOCK_WORDS = 7
HEADING_MAX_WORDS = 16
MAX_BLANK_LINES = 4
MIN_CONTENT_WORD_LEN = 3
# Size of the densest run's topic: its most frequent content words.
TOPIC_WORDS = 20
# Densest run: a block adds its words minus this many, so menus (short lines) subtract.
DENSITY_WORD_OFFSET = 10
# Neighbourhoods (in blocks) over which context is averaged.
CONTEXT_WINDOWS = (1, 3, 8)

_BASE = (
    "log_words",
    "log_chars",
    "ends_sentence",
    "sentences",
    "stopword_share",
    "capitalised_share",
    "digit_share",
    "punct_per_word",
    "separator_share",
    "mean_word_len",
    "has_url",
    "is_list_item",
    "is_table_row",
    "is_name",
    "is_role",
    "is_date_only",
    "is_heading_shape",
    "starts_lower",
    "blank_before",
    "joined",
)
_CONTEXT = tuple(
    f"{name}_w{w}"
    for w in CONTEXT_WINDOWS
    for name in ("log_words", "ends_sentence", "stopword_share")
)
_TOPIC = ("title_overlap", "topic_overlap")
_POSITION = (
    "rel_index",
    "words_before_share",
    "in_densest_run",
    "blocks_to_densest_run",
    "repeat_count",
)
_KINDS = tuple(f"rule_{kind}" for kind in SEGMENT_KINDS)
FEATURE_NAMES: tuple[str, ...] = _BASE + _CONTEXT + _TOPIC + _POSITION + _KINDS


# --- shape columns, for all blocks at once ---------------------------------------------------
# The blocks are joined into one document (with a character no feature counts and that no
# feature regex matches across) and its characters classified through one code-point array, in
# place of a dozen ``str.count`` and ``findall`` calls per block. A lookup table covers the Basic
# Multilingual Plane; characters beyond it (emoji, rare scripts) are classified one by one.
_JOIN = "\n"  # whitespace: a stop before it ends a sentence, as "$" does at a block's end
_BMP = 0x10000
# Low three bits: the one counted class of a character; then two flags.
_SPACE, _TAB, _PUNCT, _SEPARATOR, _DIGIT_CLASS = 1, 2, 3, 4, 5
_CLASSES = 8
_STOP = 8  # a stop of _SENTENCE_END
_WHITESPACE = 16  # \s


def _char_table() -> np.ndarray:
    every_char = "".join(map(chr, range(_BMP)))
    table = np.zeros(_BMP, dtype=np.uint8)
    table[[m.start() for m in _DIGIT.finditer(every_char)]] = _DIGIT_CLASS
    for cls, chars in (
        (_SPACE, " "),
        (_TAB, "\t"),
        (_PUNCT, ",;:"),
        (_SEPARATOR, _SEPARATOR_CHARS),
    ):
        table[[ord(c) for c in chars]] = cls
    table[[m.start() for m in re.finditer(r"\s", every_char)]] |= _WHITESPACE
    table[[ord(c) for c in ".!?…"]] |= _STOP
    return table


_CHAR_TABLE = _char_table()


def _char_classes(doc: str) -> np.ndarray:
    """The class byte of every character of ``doc``."""
    codes = np.frombuffer(doc.encode("utf-32-le", "surrogatepass"), dtype="<u4")
    classes = _CHAR_TABLE[np.minimum(codes, _BMP - 1)]
    for i in np.flatnonzero(codes >= _BMP).tolist():
        char = doc[i]
        classes[i] = (_DIGIT_CLASS if _DIGIT.match(char) else 0) | (
            _WHITESPACE if char.isspace() else 0
        )
    return classes


def _per_block(positions: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """The block (index into ``starts``, sorted) holding each character position."""
    return np.searchsorted(starts, positions, side="right") - 1


def _find_all(doc: str, needles: Sequence[str]) -> np.ndarray:
    """Every position where one of ``needles`` starts (``str.find``: few hits, fast scans)."""
    found = []
    for needle in needles:
        at = doc.find(needle)
        while at >= 0:
            found.append(at)
            at = doc.find(needle, at + 1)
    return np.array(found, dtype=np.intp)


@dataclass(frozen=True, slots=True)
class _Words:
    """The words (``_WORD``) of a document's blocks, as ids into its distinct words."""

    owner: np.ndarray  # block of each word
    ids: np.ndarray  # distinct-word id of each word
    distinct: list[str]
    found: np.ndarray  # words per block


def _words(block_words: list[list[str]]) -> _Words:
    found = np.fromiter(map(len, block_words), dtype=np.int64, count=len(block_words))
    words = list(chain.from_iterable(block_words))
    # Per-word tests run once per distinct word (C-level maps; a page repeats most words).
    distinct = list(dict.fromkeys(words))
    index = dict(zip(distinct, range(len(distinct)), strict=True))
    ids = np.fromiter(map(index.__getitem__, words), dtype=np.intp, count=len(words))
    return _Words(np.repeat(np.arange(len(block_words)), found), ids, distinct, found)


def _shape_columns(blocks: Sequence[Block], texts: list[str], words: _Words) -> np.ndarray:
    """The ``_BASE`` columns of every block (``_shape_row`` in tests/test_speed_equivalence.py)."""
    n = len(blocks)
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=n)
    starts = np.cumsum(lengths + len(_JOIN)) - lengths - len(_JOIN)
    doc = _JOIN.join(texts)
    classes = _char_classes(doc + _JOIN)

    counted = np.flatnonzero(classes & (_CLASSES - 1))
    counts = np.bincount(
        _per_block(counted, starts) * _CLASSES + (classes[counted] & (_CLASSES - 1)),
        minlength=n * _CLASSES,
    ).reshape(n, _CLASSES)
    spaces, tabs, punct = counts[:, _SPACE], counts[:, _TAB], counts[:, _PUNCT]
    n_words = spaces + tabs + 1
    # _SENTENCE_END: a stop followed by whitespace (the joiner stands for the block's end).
    stops = np.flatnonzero(classes[:-1] & _STOP)
    stops = stops[(classes[stops + 1] & _WHITESPACE) != 0]
    sentences = np.bincount(_per_block(stops, starts), minlength=n)
    has_url = np.zeros(n, dtype=bool)
    has_url[_per_block(_find_all(doc, ("http", "www.", "@")), starts)] = True

    distinct, owner, ids = words.distinct, words.owner, words.ids
    capital = np.fromiter(map(str.isupper, map(_FIRST, distinct)), dtype=bool, count=len(distinct))
    stop = np.fromiter(
        map(phrases.STOPWORDS.__contains__, distinct), dtype=bool, count=len(distinct)
    )
    letters = np.fromiter(map(len, distinct), dtype=np.float64, count=len(distinct))
    n_alpha = np.maximum(words.found, 1)

    ends_sentence = np.fromiter(map(phrases.ends_sentence, texts), dtype=bool, count=n)
    name, role, date = np.zeros((3, n))
    # Name, role and date shapes only exist in short blocks (the rules cached most of them).
    for i in np.flatnonzero(n_words <= SHORT_BLOCK_WORDS).tolist():
        text = texts[i]
        name[i] = phrases.is_name(text)
        role[i] = phrases.is_role(text)
        date[i] = phrases.is_date_only(text) is not None

    columns = np.empty((n, len(_BASE)))
    columns[:, 0] = list(map(math.log1p, n_words.tolist()))  # math's, as in training
    columns[:, 1] = list(map(math.log1p, lengths.tolist()))
    columns[:, 2] = ends_sentence
    columns[:, 3] = sentences
    columns[:, 4] = np.bincount(owner, weights=(stop & ~capital)[ids], minlength=n) / n_alpha
    columns[:, 5] = np.bincount(owner, weights=capital[ids], minlength=n) / n_alpha
    columns[:, 6] = counts[:, _DIGIT_CLASS] / np.maximum(lengths, 1)
    columns[:, 7] = punct / n_words
    columns[:, 8] = counts[:, _SEPARATOR] / n_words
    columns[:, 9] = np.bincount(owner, weights=letters[ids], minlength=n) / n_alpha
    columns[:, 10] = has_url
    columns[:, 11] = np.fromiter(map(phrases.is_list_item, texts), dtype=bool, count=n)
    columns[:, 12] = tabs > 0
    columns[:, 13] = name
    columns[:, 14] = role
    columns[:, 15] = date
    columns[:, 16] = (n_words <= HEADING_MAX_WORDS) & ~ends_sentence
    columns[:, 17] = np.fromiter(map(str.islower, map(_HEAD, texts)), dtype=bool, count=n)
    columns[:, 18] = np.minimum(list(map(_BLANK_BEFORE, blocks)), MAX_BLANK_LINES)
    columns[:, 19] = np.array(list(map(_JOINED_FROM, blocks))) > 1
    return columns


def densest_run(word_counts: Sequence[int]) -> tuple[int, int]:
    """[start, end] of the run of blocks maximising sum(words - offset) (Kadane)."""
    best, best_span = -math.inf, (0, max(len(word_counts) - 1, 0))
    running, start = 0.0, 0
    for i, n in enumerate(word_counts):
        gain = n - DENSITY_WORD_OFFSET
        if running <= 0:
            running, start = gain, i
        else:
            running += gain
        if running > best:
            best, best_span = running, (start, i)
    return best_span


def _topic_columns(words: _Words, rule_kinds: Sequence[str], run: tuple[int, int]) -> np.ndarray:
    """Overlap of each block's content words with the headline and with the densest run's topic.

    The page's own text shares words with its headline (the first line of a page's text is
    often its <title>) and with the main run of prose; menus and teasers of other pages do not.

    A block's content words are its distinct lower-cased words of at least
    MIN_CONTENT_WORD_LEN letters that are not stop words; the topic is the TOPIC_WORDS content
    words found in most blocks of the run, ties broken by the word. (Sets per block in
    ``_topic_columns`` of tests/test_speed_equivalence.py; here (block, word) pairs in numpy.)
    """
    n = len(words.found)
    lowered = list(map(str.lower, words.distinct))
    vocab = list(dict.fromkeys(lowered))
    index = dict(zip(vocab, range(len(vocab)), strict=True))
    low_id = np.fromiter(map(index.__getitem__, lowered), dtype=np.intp, count=len(lowered))
    long_enough = np.fromiter(map(len, words.distinct), dtype=np.int64, count=len(lowered))
    content = (long_enough >= MIN_CONTENT_WORD_LEN) & ~np.fromiter(
        map(phrases.STOPWORDS.__contains__, lowered), dtype=bool, count=len(lowered)
    )
    keep = content[words.ids]
    pairs = np.sort(words.owner[keep] * len(vocab) + low_id[words.ids[keep]])
    pairs = pairs[np.flatnonzero(np.diff(pairs, prepend=-1))]  # distinct (block, word) pairs
    block, word = np.divmod(pairs, max(len(vocab), 1))
    sizes = np.bincount(block, minlength=n)

    title_blocks = np.zeros(n, dtype=bool)
    title_blocks[0] = True
    title_blocks[[i for i, kind in enumerate(rule_kinds) if kind == "title"]] = True
    title = np.zeros(len(vocab), dtype=bool)
    title[word[title_blocks[block]]] = True

    in_run = (block >= run[0]) & (block <= run[1])
    counts = np.bincount(word[in_run], minlength=len(vocab))
    topic = counts > 0
    if topic.sum() > TOPIC_WORDS:
        cut = np.sort(counts)[-TOPIC_WORDS]
        topic = counts > cut
        tied = sorted(map(vocab.__getitem__, np.flatnonzero(counts == cut).tolist()))
        topic[list(map(index.__getitem__, tied[: TOPIC_WORDS - int(topic.sum())]))] = True

    shared = np.column_stack(
        [
            np.bincount(block, weights=title[word], minlength=n),
            np.bincount(block, weights=topic[word], minlength=n),
        ]
    )
    return shared / np.maximum(sizes, 1)[:, None]


def _window_means(columns: np.ndarray) -> np.ndarray:
    """Mean of each column over the ``w`` blocks either side (the block itself excluded), for
    each ``w`` in CONTEXT_WINDOWS: one cumulative sum for all columns and widths."""
    n = columns.shape[0]
    padded = np.zeros((n + 1, columns.shape[1]))
    np.cumsum(columns, axis=0, out=padded[1:])
    idx = np.arange(n)
    out = []
    for width in CONTEXT_WINDOWS:
        lo = np.maximum(idx - width, 0)
        hi = np.minimum(idx + width + 1, n)
        total = padded[hi] - padded[lo] - columns
        out.append(total / np.maximum(hi - lo - 1, 1)[:, None])
    return np.hstack(out)


def block_features(blocks: Sequence[Block], rule_kinds: Sequence[str]) -> np.ndarray:
    """The feature matrix (blocks x FEATURE_NAMES) of one document."""
    n = len(blocks)
    if n == 0:
        return np.zeros((0, len(FEATURE_NAMES)))
    texts = [b.text for b in blocks]
    words = _words(list(map(_WORD.findall, texts)))
    base = _shape_columns(blocks, texts, words)
    context = _window_means(base[:, [0, 2, 4]])  # log_words, ends_sentence, stopword_share
    word_counts = list(map(len, map(str.split, texts)))
    total_words = max(sum(word_counts), 1)
    before = np.cumsum([0, *word_counts[:-1]]) / total_words
    run_start, run_end = densest_run(word_counts)
    idx = np.arange(n)
    distance = np.where(idx < run_start, run_start - idx, np.where(idx > run_end, idx - run_end, 0))
    folded = list(map(str.casefold, texts))
    repeats = Counter(folded)
    position = np.column_stack(
        [
            idx / max(n - 1, 1),
            before,
            ((idx >= run_start) & (idx <= run_end)).astype(float),
            np.log1p(distance),
            [repeats[t] - 1 for t in folded],
        ]
    )
    kind_index = {kind: i for i, kind in enumerate(SEGMENT_KINDS)}
    kinds = np.zeros((n, len(SEGMENT_KINDS)))
    kind_of = np.fromiter(map(kind_index.__getitem__, rule_kinds), dtype=np.intp)
    kinds[np.arange(len(kind_of)), kind_of] = 1.0
    topic = _topic_columns(words, rule_kinds, (run_start, run_end))
    return np.hstack([base, context, topic, position, kinds])
