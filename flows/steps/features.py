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

import numpy as np

from flows.records import SEGMENT_KINDS, Block
from flows.steps import phrases

_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
_DIGIT = re.compile(r"\d")
_SENTENCE_END = re.compile(r"[.!?…](?:\s|$)")
_SEPARATOR_CHARS = "|»›•·/"
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


def _shape_row(block: Block, words: list[str]) -> list[float]:
    text = block.text
    n_words = text.count(" ") + text.count("\t") + 1
    n_chars = len(text)
    n_alpha = max(len(words), 1)
    stop = 0
    capital = 0
    letters = 0
    for w in words:
        letters += len(w)
        if w[0].isupper():
            capital += 1
        elif w in phrases.STOPWORDS:
            stop += 1
    ends = phrases.ends_sentence(text)
    short = n_words <= SHORT_BLOCK_WORDS  # name, role and date shapes only exist in short blocks
    return [
        math.log1p(n_words),
        math.log1p(n_chars),
        float(ends),
        float(len(_SENTENCE_END.findall(text))),
        stop / n_alpha,
        capital / n_alpha,
        len(_DIGIT.findall(text)) / max(n_chars, 1),
        (text.count(",") + text.count(";") + text.count(":")) / n_words,
        sum(text.count(c) for c in _SEPARATOR_CHARS) / n_words,
        letters / n_alpha,
        float("http" in text or "www." in text or "@" in text),
        float(phrases.is_list_item(text)),
        float("\t" in text),
        float(short and phrases.is_name(text)),
        float(short and phrases.is_role(text)),
        float(short and phrases.is_date_only(text) is not None),
        float(n_words <= HEADING_MAX_WORDS and not ends),
        float(text[:1].islower()),
        float(min(block.blank_before, MAX_BLANK_LINES)),
        float(block.joined_from > 1),
    ]


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


def _content_words(words: list[str]) -> set[str]:
    return {
        w
        for w in (t.lower() for t in words if len(t) >= MIN_CONTENT_WORD_LEN)
        if w not in phrases.STOPWORDS
    }


def _topic_columns(
    block_words: list[list[str]], rule_kinds: Sequence[str], run: tuple[int, int]
) -> np.ndarray:
    """Overlap of each block's content words with the headline and with the densest run's topic.

    The page's own text shares words with its headline (the first line of a page's text is
    often its <title>) and with the main run of prose; menus and teasers of other pages do not.
    """
    words = [_content_words(ws) for ws in block_words]
    title: set[str] = set(words[0])
    for i, kind in enumerate(rule_kinds):
        if kind == "title":
            title |= words[i]
    counts: Counter[str] = Counter()
    for i in range(run[0], run[1] + 1):
        counts.update(words[i])
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))  # ties broken by word
    topic = {w for w, _ in ranked[:TOPIC_WORDS]}
    columns = np.zeros((len(block_words), 2))
    for i, ws in enumerate(words):
        if ws:
            columns[i, 0] = len(ws & title) / len(ws)
            columns[i, 1] = len(ws & topic) / len(ws)
    return columns


def _window_mean(column: np.ndarray, width: int) -> np.ndarray:
    """Mean of ``column`` over the ``width`` blocks either side (the block itself excluded)."""
    n = len(column)
    padded = np.concatenate([[0.0], np.cumsum(column)])
    idx = np.arange(n)
    lo = np.clip(idx - width, 0, n)
    hi = np.clip(idx + width + 1, 0, n)
    total = padded[hi] - padded[lo] - column
    count = np.maximum(hi - lo - 1, 1)
    return total / count


def block_features(blocks: Sequence[Block], rule_kinds: Sequence[str]) -> np.ndarray:
    """The feature matrix (blocks x FEATURE_NAMES) of one document."""
    n = len(blocks)
    if n == 0:
        return np.zeros((0, len(FEATURE_NAMES)))
    block_words = [_WORD.findall(b.text) for b in blocks]
    base = np.array([_shape_row(b, w) for b, w in zip(blocks, block_words, strict=True)])
    context_columns = []
    for width in CONTEXT_WINDOWS:
        for column in (0, 2, 4):  # log_words, ends_sentence, stopword_share
            context_columns.append(_window_mean(base[:, column], width))
    word_counts = [len(b.text.split()) for b in blocks]
    total_words = max(sum(word_counts), 1)
    before = np.cumsum([0, *word_counts[:-1]]) / total_words
    run_start, run_end = densest_run(word_counts)
    idx = np.arange(n)
    distance = np.where(idx < run_start, run_start - idx, np.where(idx > run_end, idx - run_end, 0))
    repeats = Counter(b.text.casefold() for b in blocks)
    position = np.column_stack(
        [
            idx / max(n - 1, 1),
            before,
            ((idx >= run_start) & (idx <= run_end)).astype(float),
            np.log1p(distance),
            [repeats[b.text.casefold()] - 1 for b in blocks],
        ]
    )
    kind_index = {kind: i for i, kind in enumerate(SEGMENT_KINDS)}
    kinds = np.zeros((n, len(SEGMENT_KINDS)))
    for i, kind in enumerate(rule_kinds):
        kinds[i, kind_index[kind]] = 1.0
    topic = _topic_columns(block_words, rule_kinds, (run_start, run_end))
    return np.hstack([base, np.column_stack(context_columns), topic, position, kinds])
