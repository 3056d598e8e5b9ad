"""Features: the evidence about each block as numbers, for the learned block classifier.

One row per block: its shape (length, punctuation, stop-word and capital density, digits,
links), phrasing families and the kind the rules gave it, repetition, position in the page and
relative to the densest run of prose, and the same shape evidence of its neighbours. The names
in ``FEATURE_NAMES`` are stored with the trained model, which refuses a mismatching list.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import count
from operator import attrgetter

import numpy as np

from flows.records import SEGMENT_KINDS, Block
from flows.steps import phrases

_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
_LETTER_CHAR = re.compile(r"[^\W\d_]")  # _WORD's letters
_APOSTROPHES = "'’"  # _WORD's apostrophes, allowed once between two runs of letters
_DIGIT = re.compile(r"\d")
_SENTENCE_END = re.compile(r"[.!?…](?:\s|$)")
_SEPARATOR_CHARS = "|»›•·/"
_TEXT = attrgetter("text")
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


_KIND_INDEX = {kind: i for i, kind in enumerate(SEGMENT_KINDS)}
_TITLE = _KIND_INDEX["title"]
# Where each group of columns starts in FEATURE_NAMES.
_AT_CONTEXT = len(_BASE)
_AT_TOPIC = _AT_CONTEXT + len(_CONTEXT)
_AT_POSITION = _AT_TOPIC + len(_TOPIC)
_AT_KINDS = _AT_POSITION + len(_POSITION)


# --- the page's characters, classified in one pass --------------------------------------------
# The blocks are joined into one document, each between two joiners (a character no feature
# counts and no feature regex matches across), and its characters classified through one
# code-point table. The per-block counts (classes of characters, sentence stops,
# whitespace-separated tokens) and the words (``_WORD``) of all blocks come from numpy over
# that array, in place of a dozen ``str.count``, ``findall`` and ``split`` calls per block.
# The table covers the Basic Multilingual Plane; characters beyond it (emoji, rare scripts) are
# classified one by one.
_JOIN = "\n"  # whitespace: a stop before it ends a sentence, as "$" does at a block's end
_BMP = 0x10000
# Low three bits: the one counted class of a character; then flags.
_SPACE, _TAB, _PUNCT, _SEPARATOR, _DIGIT_CLASS = 1, 2, 3, 4, 5
_CLASSES = 8
_STOP = 1 << 3  # a stop of _SENTENCE_END and _ENDS_SENTENCE
_WHITESPACE = 1 << 4  # \s, which is str.isspace: what str.split splits at
_LETTER = 1 << 5  # a letter of _WORD
_APOSTROPHE = 1 << 6  # an apostrophe of _WORD
_UPPER = 1 << 7  # str.isupper
_LOWER = 1 << 8  # str.islower
_LOWERS = 1 << 9  # str.lower changes it
_CLOSER = 1 << 10  # a closing quote or bracket _ENDS_SENTENCE allows after the stop
_LIST_START = 1 << 11  # may start _LIST_ITEM (as may a digit)

# Two shapes that phrases defines by a pattern are read from the classes where they can be,
# while phrases keeps these definitions (the references in tests/test_speed_equivalence.py use
# the same); should phrases change them, every block is asked again.
_ENDS_SENTENCE = r"[.!?…][\"'”’)\]]*$"  # phrases.ends_sentence: _TERMINAL on text.rstrip()
_LIST_ITEM = r"^(?:\d{1,3}[.)]|[-–•*▪◦·]|\([a-z0-9]\)|[a-z][.)])\s+\S"  # phrases.is_list_item


def _phrases_pattern_is(name: str, pattern: str) -> bool:
    compiled, expected = getattr(phrases, name, None), re.compile(pattern)
    return isinstance(compiled, re.Pattern) and (compiled.pattern, compiled.flags) == (
        expected.pattern,
        expected.flags,
    )


_READ_ENDS_SENTENCE = _phrases_pattern_is("_TERMINAL", _ENDS_SENTENCE)
_READ_LIST_ITEM = _phrases_pattern_is("_LIST_ITEM", _LIST_ITEM)


def _char_table() -> np.ndarray:
    every_char = "".join(map(chr, range(_BMP)))

    def where(test: Callable[[str], object]) -> np.ndarray:
        return np.fromiter(map(test, every_char), dtype=bool, count=_BMP)

    table = np.zeros(_BMP, dtype=np.uint16)
    table[[m.start() for m in _DIGIT.finditer(every_char)]] = _DIGIT_CLASS
    for cls, chars in (
        (_SPACE, " "),
        (_TAB, "\t"),
        (_PUNCT, ",;:"),
        (_SEPARATOR, _SEPARATOR_CHARS),
    ):
        table[[ord(c) for c in chars]] = cls
    table[[ord(c) for c in ".!?…"]] |= _STOP
    table[[m.start() for m in re.finditer(r"\s", every_char)]] |= _WHITESPACE
    table[[m.start() for m in _LETTER_CHAR.finditer(every_char)]] |= _LETTER
    table[[ord(c) for c in _APOSTROPHES]] |= _APOSTROPHE
    table[where(str.isupper)] |= _UPPER
    table[where(str.islower)] |= _LOWER
    table[where(lambda c: c.lower() != c)] |= _LOWERS
    table[[ord(c) for c in "\"'”’)]"]] |= _CLOSER
    table[[ord(c) for c in "-–•*▪◦·(abcdefghijklmnopqrstuvwxyz"]] |= _LIST_START
    return table


_CHAR_TABLE = _char_table()


def _beyond_table(char: str) -> int:
    """The class of a character beyond the Basic Multilingual Plane (none is a space, a tab,
    punctuation, a separator, a stop, an apostrophe, a closer or a list mark)."""
    return (
        (_DIGIT_CLASS if _DIGIT.match(char) else 0)
        | (_WHITESPACE if char.isspace() else 0)
        | (_LETTER if _LETTER_CHAR.match(char) else 0)
        | (_UPPER if char.isupper() else 0)
        | (_LOWER if char.islower() else 0)
        | (_LOWERS if char.lower() != char else 0)
    )


def _char_classes(doc: str) -> tuple[np.ndarray, np.ndarray]:
    """The code point and the class of every character of ``doc``."""
    codes = np.frombuffer(doc.encode("utf-32-le", "surrogatepass"), dtype="<u4")
    classes = _CHAR_TABLE.take(codes, mode="clip")
    if codes.max() >= _BMP:
        beyond = (codes >= _BMP).nonzero()[0].tolist()
        classes[beyond] = list(map(_beyond_table, map(doc.__getitem__, beyond)))
    return codes, classes


def _per_block(positions: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """The block (index into ``starts``, sorted) holding each character position."""
    return starts.searchsorted(positions, "right") - 1


def _find_all(doc: str, needles: Sequence[str]) -> np.ndarray:
    """Every position where one of ``needles`` starts (``str.find``: few hits, fast scans)."""
    found = []
    for needle in needles:
        at = doc.find(needle)
        while at >= 0:
            found.append(at)
            at = doc.find(needle, at + 1)
    return np.array(found, dtype=np.intp)


# --- words --------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Words:
    """The words (``_WORD``) of a document's blocks, in document order."""

    starts: np.ndarray  # position of each word in the document
    ends: np.ndarray
    lowered: list[str]  # each word, lower-cased


def _words(codes: np.ndarray, classes: np.ndarray) -> _Words:
    """``_WORD.findall`` over a document (that starts and ends with a joiner), from its classes.

    A word is a run of letters, joined to the next run when exactly one apostrophe separates
    them, unless the run was itself joined to the previous one (findall resumes after a match):
    of a chain of runs joined by apostrophes, the 1st and 2nd make a word, the 3rd and 4th...
    The texts come from one ``str.split`` of the document with every character outside a word
    blanked out, lower-cased at once: ``str.lower`` of each word, as the characters around a
    word in that text (spaces) are neither cased nor case-ignorable (so final sigmas are
    read as in the word alone).
    """
    letter = (classes & _LETTER) != 0
    edges = (letter[1:] != letter[:-1]).nonzero()[0]  # joiners at both ends: pairs
    starts, ends = edges[0::2] + 1, edges[1::2] + 1
    kept = np.where(letter, codes, 32).astype("<u4", copy=False)
    gaps = (starts[1:] == ends[:-1] + 1).nonzero()[0]
    joined = gaps[(classes[ends[gaps]] & _APOSTROPHE) != 0]  # run i joins run i + 1
    if joined.size:
        # In a chain of joined runs, every other run joins the next.
        if joined.size > 1 and (joined[1:] == joined[:-1] + 1).any():
            follows = np.zeros(len(starts), dtype=bool)
            follows[joined + 1] = True
            runs = np.arange(len(starts))
            chain_start = np.maximum.accumulate(np.where(follows, 0, runs))
            second = ((runs - chain_start) & 1).nonzero()[0]
        else:
            second = joined + 1
        apostrophes = starts[second] - 1
        kept[apostrophes] = codes[apostrophes]
        ends[second - 1] = ends[second]
        lone = np.zeros(len(starts), dtype=bool)
        lone[second] = True
        starts, ends = starts[~lone], ends[~lone]
    return _Words(starts, ends, kept.tobytes().decode("utf-32-le").lower().split())


# Word ids: a page's vocabulary starts as a copy of _SEED, so stop words and role heads have
# fixed ids below _SEEDED (and their flags in _SEED_FLAGS), and any other word gets _SEEDED +
# the index of its first occurrence on the page: one dict call per word.
_SEED_WORDS = sorted(phrases.STOPWORDS | phrases.ROLE_HEADS)
_SEED = dict(zip(_SEED_WORDS, count()))
_SEEDED = len(_SEED_WORDS)
_IS_STOP, _IS_ROLE_HEAD = 1, 2
_SEED_FLAGS = np.array(  # by id; the last entry (no flag) for the ids of all other words
    [
        *(
            (_IS_STOP if w in phrases.STOPWORDS else 0)
            | (_IS_ROLE_HEAD if w in phrases.ROLE_HEADS else 0)
            for w in _SEED_WORDS
        ),
        0,
    ],
    dtype=np.uint8,
)


@dataclass(frozen=True, slots=True)
class _Page:
    """A page's joined document, its characters and its words (``_WORD``)."""

    doc: str
    lengths: np.ndarray  # of each block's text
    starts: np.ndarray  # of each block in ``doc``
    classes: np.ndarray  # _CHAR_TABLE class of each character
    apostrophes: np.ndarray  # positions of "'"
    # Per word:
    owner: np.ndarray  # its block
    word_lengths: np.ndarray
    capital: np.ndarray  # starts with an upper-case letter
    stop: np.ndarray  # is a stop word (as written)
    role_head: np.ndarray  # lower-cased, is a role head
    content: np.ndarray  # lower-cased, is a content word (see _topic_columns)
    word_id: np.ndarray  # lower-cased, its id (see _SEED)
    lowered: list[str]  # each word, lower-cased
    vocab: dict[str, int]  # lower-cased word -> its id

    def words(self, ids: np.ndarray) -> list[str]:
        """The (lower-cased) words of these ids."""
        seeded = ids < _SEEDED
        return [
            *map(_SEED_WORDS.__getitem__, ids[seeded].tolist()),
            *map(self.lowered.__getitem__, (ids[~seeded] - _SEEDED).tolist()),
        ]


def _page(texts: list[str]) -> _Page:
    n = len(texts)
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=n)
    starts = (lengths + len(_JOIN)).cumsum() - lengths  # after the leading joiner
    doc = _JOIN + _JOIN.join(texts) + _JOIN
    codes, classes = _char_classes(doc)
    words = _words(codes, classes)
    lowered = words.lowered
    vocab = _SEED.copy()
    word_id = np.fromiter(
        map(vocab.setdefault, lowered, count(_SEEDED)), dtype=np.intp, count=len(lowered)
    )
    flags = _SEED_FLAGS.take(word_id, mode="clip")
    stop = (flags & _IS_STOP) != 0
    word_lengths = words.ends - words.starts
    # A word as written is a stop word if it is one lower-cased and lower-casing changes none
    # of its characters (str.lower maps a string character by character; a capital sigma, the
    # one character it maps by context, changes either way).
    if len(lowered):
        changed = (classes & _LOWERS).nonzero()[0]
        word = words.starts.searchsorted(changed, "right") - 1
        stop[word[(word >= 0) & (changed < words.ends[word])]] = False
    return _Page(
        doc=doc,
        lengths=lengths,
        starts=starts,
        classes=classes,
        apostrophes=(codes == ord("'")).nonzero()[0],
        owner=_per_block(words.starts, starts),
        word_lengths=word_lengths,
        capital=(classes[words.starts] & _UPPER) != 0,
        stop=stop,
        role_head=(flags & _IS_ROLE_HEAD) != 0,
        content=(word_lengths >= MIN_CONTENT_WORD_LEN) & ((flags & _IS_STOP) == 0),
        word_id=word_id,
        lowered=lowered,
        vocab=vocab,
    )


# --- shapes -------------------------------------------------------------------------------------
def _ends_sentence(texts: list[str], page: _Page) -> np.ndarray:
    """phrases.ends_sentence of each block (_ENDS_SENTENCE on its right-stripped text): a
    block whose last character is neither whitespace nor a closer ends a sentence when that
    character is a stop; only the others are asked."""
    if not _READ_ENDS_SENTENCE:
        return np.fromiter(map(phrases.ends_sentence, texts), dtype=bool, count=len(texts))
    last = page.classes[page.starts + page.lengths - 1]  # an empty block's: the joiner before
    ends = (last & _STOP) != 0
    for i in (last & (_WHITESPACE | _CLOSER)).nonzero()[0].tolist():
        ends[i] = phrases.ends_sentence(texts[i])
    return ends


def _list_items(texts: list[str], page: _Page) -> np.ndarray:
    """phrases.is_list_item of each block, asked only where the first character may start
    _LIST_ITEM."""
    if not _READ_LIST_ITEM:
        return np.fromiter(map(phrases.is_list_item, texts), dtype=bool, count=len(texts))
    first = page.classes[page.starts]  # an empty block's: the joiner after it
    maybe = ((first & _LIST_START) != 0) | ((first & (_CLASSES - 1)) == _DIGIT_CLASS)
    items = np.zeros(len(texts), dtype=bool)
    for i in maybe.nonzero()[0].tolist():
        items[i] = phrases.is_list_item(texts[i])
    return items


def _ask(texts: list[str], test: Callable[[str], object], where: np.ndarray) -> np.ndarray:
    """``test`` of the texts ``where`` says, as 0/1 (0 elsewhere)."""
    answers = np.zeros(len(texts))
    for i in where.nonzero()[0].tolist():
        answers[i] = test(texts[i])
    return answers


def _is_date(text: str) -> bool:
    return phrases.is_date_only(text) is not None


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


def _densest_run(word_counts: np.ndarray) -> tuple[int, int]:
    """``densest_run`` of a non-empty int64 array, from prefix sums: the running sum ending at
    block i is prefix[i + 1] minus the least prefix up to prefix[i]; Kadane restarts after the
    last least prefix (it restarts when the running sum is <= 0) and keeps the first best end.
    """
    prefix = np.zeros(len(word_counts) + 1, dtype=np.int64)
    (word_counts - DENSITY_WORD_OFFSET).cumsum(out=prefix[1:])
    least = np.minimum.accumulate(prefix)
    end = int((prefix[1:] - least[:-1]).argmax())
    start = end - int((prefix[end::-1] == least[end]).argmax())
    return start, end


# math.log1p (as in training) of the small counts, looked up.
_LOG1P = np.array(list(map(math.log1p, range(1 << 14))))


def _log1p(values: np.ndarray) -> np.ndarray | list[float]:
    """math.log1p of non-negative integers."""
    if values.max() < len(_LOG1P):
        return _LOG1P[values]
    return list(map(math.log1p, values.tolist()))


def _shape_columns(
    blocks: Sequence[Block], texts: list[str], page: _Page, columns: np.ndarray
) -> np.ndarray:
    """Fill ``columns`` with the ``_BASE`` columns of every block (``_shape_row`` in
    tests/test_speed_equivalence.py); return the blocks' whitespace-separated word counts
    (``len(text.split())``)."""
    n, starts, classes = len(texts), page.starts, page.classes
    counted = (classes & (_CLASSES - 1)).nonzero()[0]
    counts = np.bincount(
        _per_block(counted, starts) * _CLASSES + (classes[counted] & (_CLASSES - 1)),
        minlength=n * _CLASSES,
    ).reshape(n, _CLASSES)
    spaces, tabs, punct = counts[:, _SPACE], counts[:, _TAB], counts[:, _PUNCT]
    digits, separators = counts[:, _DIGIT_CLASS], counts[:, _SEPARATOR]
    n_words = spaces + tabs + 1
    whitespace = (classes & _WHITESPACE) != 0
    # _SENTENCE_END: a stop followed by whitespace (the joiner stands for the block's end).
    stops = (((classes[:-1] & _STOP) != 0) & whitespace[1:]).nonzero()[0]
    sentences = np.bincount(_per_block(stops, starts), minlength=n)
    # str.split's words: their first characters, each after whitespace (or a joiner).
    split_starts = (whitespace[:-1] > whitespace[1:]).nonzero()[0] + 1
    word_counts = np.bincount(_per_block(split_starts, starts), minlength=n)
    has_url = np.zeros(n, dtype=bool)
    has_url[_per_block(_find_all(page.doc, ("http", "www.", "@")), starts)] = True

    owner = page.owner
    n_alpha = np.maximum(np.bincount(owner, minlength=n), 1)
    capital = np.bincount(owner, weights=page.capital, minlength=n)
    stop = np.bincount(owner, weights=page.stop & ~page.capital, minlength=n)
    letters = np.bincount(owner, weights=page.word_lengths, minlength=n)
    ends_sentence = _ends_sentence(texts, page)

    # Name, role and date shapes only exist in short blocks, and are asked only where a
    # necessary condition holds (the rules have cached some of the answers):
    # - a name has 2+ tokens, each a particle or letters A-Z (a capital first, which starts a
    #   word), "-", "'", "’" or "." (so no digit and no separator);
    # - a job title has a role head among its runs of letters A-Z, and such a run is a whole
    #   word unless it touches a non-ASCII letter or an apostrophe (so the block has a word
    #   that is a role head, a character beyond ASCII or a "'");
    # - every date form has a four-digit year.
    short = n_words <= SHORT_BLOCK_WORDS
    maybe_name = (word_counts >= 2) & (capital >= 2) & (digits == 0) & (separators == 0)
    maybe_role = ~np.fromiter(map(str.isascii, texts), dtype=bool, count=n)
    maybe_role[_per_block(page.apostrophes, starts)] = True
    maybe_role |= np.bincount(owner, weights=page.role_head, minlength=n) > 0

    columns[:, 0] = _log1p(n_words)
    columns[:, 1] = _log1p(page.lengths)
    columns[:, 2] = ends_sentence
    columns[:, 3] = sentences
    columns[:, 4] = stop / n_alpha
    columns[:, 5] = capital / n_alpha
    columns[:, 6] = digits / np.maximum(page.lengths, 1)
    columns[:, 7] = punct / n_words
    columns[:, 8] = separators / n_words
    columns[:, 9] = letters / n_alpha
    columns[:, 10] = has_url
    columns[:, 11] = _list_items(texts, page)
    columns[:, 12] = tabs > 0
    columns[:, 13] = _ask(texts, phrases.is_name, short & maybe_name)
    columns[:, 14] = _ask(texts, phrases.is_role, short & maybe_role)
    columns[:, 15] = _ask(texts, _is_date, short & (digits >= 4))
    columns[:, 16] = (n_words <= HEADING_MAX_WORDS) & ~ends_sentence
    columns[:, 17] = (classes[starts] & _LOWER) != 0  # text[:1].islower()
    columns[:, 18] = np.minimum(
        np.fromiter(map(_BLANK_BEFORE, blocks), dtype=np.int64, count=n), MAX_BLANK_LINES
    )
    columns[:, 19] = np.fromiter(map(_JOINED_FROM, blocks), dtype=np.int64, count=n) > 1
    return word_counts


def _topic_columns(
    page: _Page, title_blocks: np.ndarray, run: tuple[int, int], columns: np.ndarray
) -> None:
    """Fill ``columns`` with the overlap of each block's content words with the headline and
    with the densest run's topic.

    The page's own text shares words with its headline (the first line of a page's text is
    often its <title>) and with the main run of prose; menus and teasers of other pages do not.

    A block's content words are its distinct lower-cased words of at least
    MIN_CONTENT_WORD_LEN letters that are not stop words; the topic is the TOPIC_WORDS content
    words found in most blocks of the run, ties broken by the word. (Sets per block in
    ``_topic_columns`` of tests/test_speed_equivalence.py; here (block, word) pairs in numpy.)
    """
    n = len(title_blocks)
    n_ids = _SEEDED + len(page.lowered)
    keep = page.content.nonzero()[0]
    pairs = np.sort(page.owner[keep] * n_ids + page.word_id[keep])
    distinct = np.empty(len(pairs), dtype=bool)
    distinct[:1] = True
    np.not_equal(pairs[1:], pairs[:-1], out=distinct[1:])
    block, word = np.divmod(pairs[distinct], n_ids)  # distinct (block, word) pairs

    title = np.zeros(n_ids, dtype=bool)
    title[word[title_blocks[block]]] = True
    in_run = (block >= run[0]) & (block <= run[1])
    counts = np.bincount(word[in_run], minlength=n_ids)
    topic = counts > 0
    if np.count_nonzero(topic) > TOPIC_WORDS:
        cut = np.sort(counts[topic])[-TOPIC_WORDS]  # (partition is slow on many zeros)
        topic = counts > cut
        tied = sorted(page.words((counts == cut).nonzero()[0]))
        need = TOPIC_WORDS - int(np.count_nonzero(topic))
        topic[list(map(page.vocab.__getitem__, tied[:need]))] = True

    sizes = np.maximum(np.bincount(block, minlength=n), 1)
    columns[:, 0] = np.bincount(block, weights=title[word], minlength=n) / sizes
    columns[:, 1] = np.bincount(block, weights=topic[word], minlength=n) / sizes


_WIDTHS = np.array(CONTEXT_WINDOWS)


def _window_means(columns: np.ndarray, out: np.ndarray) -> None:
    """Fill ``out`` with the mean of each column over the ``w`` blocks either side (the block
    itself excluded), for each ``w`` in CONTEXT_WINDOWS: one cumulative sum for all columns
    and widths."""
    n = columns.shape[0]
    padded = np.zeros((n + 1, columns.shape[1]))
    columns.cumsum(axis=0, out=padded[1:])
    idx = np.arange(n)[:, None]
    lo = idx - _WIDTHS  # blocks x widths
    np.maximum(lo, 0, out=lo)
    hi = idx + (_WIDTHS + 1)
    np.minimum(hi, n, out=hi)
    total = padded.take(hi, axis=0)  # blocks x widths x columns
    total -= padded.take(lo, axis=0)
    total -= columns[:, None, :]
    hi -= lo + 1  # blocks in the window
    np.maximum(hi, 1, out=hi)
    total /= hi[:, :, None]
    out[:] = total.reshape(n, -1)


def block_features(blocks: Sequence[Block], rule_kinds: Sequence[str]) -> np.ndarray:
    """The feature matrix (blocks x FEATURE_NAMES) of one document."""
    n = len(blocks)
    if n == 0:
        return np.zeros((0, len(FEATURE_NAMES)))
    out = np.zeros((n, len(FEATURE_NAMES)))
    texts = list(map(_TEXT, blocks))
    page = _page(texts)
    base = out[:, :_AT_CONTEXT]
    word_counts = _shape_columns(blocks, texts, page, base)
    # log_words, ends_sentence, stopword_share
    _window_means(base[:, [0, 2, 4]], out[:, _AT_CONTEXT:_AT_TOPIC])

    run_start, run_end = _densest_run(word_counts)
    idx = np.arange(n)
    distance = np.where(idx < run_start, run_start - idx, np.where(idx > run_end, idx - run_end, 0))
    # Repeats: blocks with the same case-folded text (``seen`` maps it to its first block).
    seen: dict[str, int] = {}
    same = np.fromiter(
        map(seen.setdefault, map(str.casefold, texts), count()), dtype=np.intp, count=n
    )
    position = out[:, _AT_POSITION:_AT_KINDS]
    position[:, 0] = idx / max(n - 1, 1)
    position[:, 1] = (word_counts.cumsum() - word_counts) / max(int(word_counts.sum()), 1)
    position[:, 2] = (idx >= run_start) & (idx <= run_end)
    position[:, 3] = np.log1p(distance)
    position[:, 4] = np.bincount(same, minlength=n)[same] - 1

    kind_of = np.fromiter(map(_KIND_INDEX.__getitem__, rule_kinds), dtype=np.intp)
    out[np.arange(len(kind_of)), _AT_KINDS + kind_of] = 1.0
    title_blocks = kind_of == _TITLE
    if len(title_blocks) != n:  # fewer kinds than blocks: the others are no title
        title_blocks = np.concatenate([title_blocks, np.zeros(n - len(kind_of), dtype=bool)])
    title_blocks[0] = True
    _topic_columns(page, title_blocks, (run_start, run_end), out[:, _AT_TOPIC:_AT_POSITION])
    return out
