"""Appended articles: unrelated articles that a scrape glued after the page's own article.

This module owns ``find_appended``: given the blocks and the labels ``classify_blocks`` chose,
it finds kept paragraphs at the end of the page that belong to *other* articles (teasers of
other stories, or a whole next article) and returns ``appended_article`` labels for them.

The evidence is topic coherence, measured with sublinear TF-IDF vectors (IDF from the shared
document-frequency table ``flows/data/keyphrase_df.txt``, built from ``shared/corpus``):

- *units*: every kept prose paragraph, and every group of consecutive short kept body lines
  (table rows, Q&A lines), is one unit with a vector;
- a candidate cut ``p`` splits the units into the article (the title, then the units before
  ``p``) and a run (from ``p`` to the end). The run is appended when it is foreign to the article
  and stays foreign: its centroid and, for short runs, each of its units are dissimilar to the
  article, and a unit that is somewhat like the article is only accepted when it is more like
  the rest of the run (a paragraph of another coherent article, not the real article's ending);
- the article side must hold an article (enough words in sentences, coherent with each other or
  with the title). A coherent run bigger than the article may itself be the page's article (the
  "article" before it being kept furniture), so it is only cut when the title describes the
  article and not the run, or when the layout says so: the run ends the page, with no removed
  footer after it, i.e. it came after the page's own end;
- the earliest cut that passes wins; if the run starts right after the article but the page's
  own furniture (a break of removed text) comes later in it, the run starts after the break
  instead (what comes before the break is the article's ending). Every kept block from the run's
  first unit to the end is labelled.

It errs towards keeping: a short run (under ``appended_min_words``) is never cut, an off-topic
closing paragraph has to be clearly foreign, and nothing before the article is ever removed.
Pure Python and numpy; the IDF table is read once, at import.

Speed (the check runs twice per page): logarithms of counts are looked up; prefix and suffix
vectors are weighed in one pass (by blocks on big pages, whose big temporary arrays would cost
page faults); what only some cuts need is computed when first asked for; the cuts whose run is
like the article are passed over on similarities from one numpy pass. Every float a decision or
a reason reads is the one the straightforward computation gives (row by row the same
operations), or, for sums numpy orders differently, within ``NEAR`` of it, with the exact figure
taken when that could matter (tests/test_appended_equivalence.py keeps the old code to compare).
"""

from __future__ import annotations

import math
import re
from array import array
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain, compress, filterfalse, repeat
from operator import attrgetter
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from flows.config import CleaningSettings
from flows.records import Block
from flows.steps import phrases

if TYPE_CHECKING:  # boilerplate imports this module; Label is imported lazily at run time
    from flows.steps.boilerplate import Label

APPENDED_KIND = "appended_article"
TOPIC_SHIFT = "topic shift"
DF_TABLE = Path(__file__).resolve().parents[1] / "data" / "keyphrase_df.txt"

# --- terms ---------------------------------------------------------------------------------
# Words shorter than this carry little topic (and are mostly function words in any language).
MIN_TERM_CHARS = 3
# Prefix stemming: "investigated"/"investigation" -> "invest"; cheap and language-agnostic.
STEM_CHARS = 6
# Reporting verbs, calendar words and other words every news story uses; the IDF table comes
# from scientific texts, where they are rare enough to look topical.
NEWS_STOPWORDS = frozenset(
    ["said", "says", "told", "according", "also", "one", "two", "new", "like", "get", "got",
     "would", "could", "year", "years", "time", "people", "many", "much", "well", "even",
     "still", "just", "make", "made", "way", "back", "first", "last", "week", "today",
     "yesterday", "tomorrow", "monday", "tuesday", "wednesday", "thursday", "friday",
     "saturday", "sunday", "january", "february", "march", "april", "may", "june", "july",
     "august", "september", "october", "november", "december"]
)  # fmt: skip
STOPWORDS = phrases.STOPWORDS | NEWS_STOPWORDS
# Kinds whose blocks are paragraphs of running text (headings, lists and tables ride along).
PROSE_KINDS = frozenset({"body", "quote"})

# --- thresholds ----------------------------------------------------------------------------
# A paragraph at least this similar to the article is "somewhat like it": it may only be in the
# run when it is more like the rest of the run (AFFINITY_RATIO_* times its article similarity).
# (CleaningSettings.appended_low_similarity)
# A short run (fewer than LONG_RUN_UNITS units) holds no unit this similar to the article.
# (CleaningSettings.appended_block_max_similarity)
# The run as a whole (its centroid) is less similar than this to the article.
# (CleaningSettings.appended_run_max_similarity)
LONG_RUN_UNITS = 3
# Short runs need the stricter ratio: a real ending of one or two paragraphs is likelier there.
AFFINITY_RATIO_SHORT = 1.5
AFFINITY_RATIO_LONG = 1.0
# The article before a cut has at least this many words (all of them when it is at most
# SHORT_ARTICLE_UNITS units, else only those coherent with the rest of it or with the title).
# (CleaningSettings.appended_min_article_words)
SHORT_ARTICLE_UNITS = 3
# A unit is coherent with a set of units when its similarity to their centroid reaches this.
COHESION_SIMILARITY = 0.05
# The title describes the article when its similarity to it reaches TITLE_ABOUT_SIMILARITY (and
# then a short run holds no unit at TITLE_UNIT_MAX_SIMILARITY); a unit belongs to the article by
# the title at TITLE_LINK_SIMILARITY; the title is not about the run when the run's similarity to
# it is at most TITLE_RUN_SHARE of the article's.
TITLE_ABOUT_SIMILARITY = 0.10
TITLE_UNIT_MAX_SIMILARITY = 0.10
TITLE_LINK_SIMILARITY = 0.05
TITLE_RUN_SHARE = 0.25
# Which side is the article: a run with more coherent words than SIDE_RATIO times the article's
# (and more than SIDE_MIN_WORDS) is only cut when the title says so, or the layout: the words
# removed after the last kept block (a footer) are at most TAIL_MAX_REMOVED_SHARE of the run's.
# (CleaningSettings.appended_side_ratio)
SIDE_MIN_WORDS = 60
# (CleaningSettings.appended_tail_max_removed_share)
# A break between two units: at least this many removed words (the page's footer or navigation).
BREAK_MIN_WORDS = 30
# The run's minimum length is CleaningSettings.appended_min_words (a teaser is at least this long).

# --- exactness -------------------------------------------------------------------------------
# Similarities summed in another order differ by far less than this (~1e-16): a decision this
# close to its threshold, or a reported figure this close to a change of its 2-decimal rounding,
# is taken from the exact figures (those of the full matrix products).
NEAR = 1e-9

_STEM = re.compile(rf"([^\W\d_]{{{MIN_TERM_CHARS},{STEM_CHARS}}})[^\W\d_]*")
_WORD = re.compile(r"[^\W\d_]+")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
_SENTENCE_END = re.compile(r"[.!?…。！？][\"'”’»)\]]*\s*$")
_SENTENCE_MARKS = ".!?…。！？"  # _SENTENCE_END's classes, for the test from the end
_SENTENCE_CLOSERS = "\"'”’»)]"
_STOP_STEMS = frozenset(w[:STEM_CHARS] for w in STOPWORDS if len(w) >= MIN_TERM_CHARS)


def _bmp_letters() -> str:
    r"""A character class body listing, as ranges, every BMP character ``[^\W\d_]`` matches.

    The regex engine tests a listed range set with one table lookup per character, where
    ``[^\W\d_]`` asks the Unicode database several questions: same matches, about twice as fast.
    """
    bmp = array("I", range(0x10000)).tobytes().decode("utf-32-le", "surrogatepass")
    return "".join(
        f"\\u{m.start():04x}-\\u{m.end() - 1:04x}" for m in re.finditer(r"[^\W\d_]+", bmp)
    )


_LETTER = f"[{_bmp_letters()}]"
# _STEM for text without characters outside the BMP (checked with the CJK test, one pass).
_BMP_STEM = re.compile(rf"({_LETTER}{{{MIN_TERM_CHARS},{STEM_CHARS}}}){_LETTER}*")
_CJK_OR_ASTRAL = re.compile(_CJK.pattern[:-1] + r"\U00010000-\U0010ffff]")


def _ends_sentence(text: str) -> bool:
    """``_SENTENCE_END.search(text)``, read from the end: a mark, then closers, then spaces."""
    body = text.rstrip().rstrip(_SENTENCE_CLOSERS)  # \s is str.isspace, as rstrip() strips
    return body[-1:] in _SENTENCE_MARKS if body else False


def _load_idf(path: Path = DF_TABLE) -> tuple[dict[str, float], float]:
    """IDF per stem, and the IDF of an unseen stem, from a ``# n_docs=N`` + ``word<TAB>df`` file.

    A stem's document frequency is its most frequent word's (a lower bound of the union's).
    """
    lines = path.read_text(encoding="utf-8").splitlines()
    n_docs = int(lines[0].split("=", 1)[1])
    df: dict[str, int] = {}
    for line in lines[1:]:
        word, _, count = line.partition("\t")
        stem, n = word[:STEM_CHARS], int(count)
        if n > df.get(stem, 0):
            df[stem] = n
    idf = {stem: math.log((n_docs + 1) / (n + 1)) for stem, n in df.items()}
    return idf, math.log(n_docs + 1)


_IDF, _UNSEEN_IDF = _load_idf()


# classify_blocks looks for appended articles twice, on the same paragraphs: cached (the bags
# are only read, never changed).
@lru_cache(maxsize=4096)
def terms(text: str) -> Counter[str]:
    """Stemmed content terms of ``text``; CJK runs (no spaces between words) as bigrams."""
    low = text.lower()
    bag: Counter[str]
    if low.isascii() or _CJK_OR_ASTRAL.search(low) is None:  # the common case, all in C
        # Stop stems filtered out before counting: Counter.__delitem__ is Python code.
        return Counter(filterfalse(_STOP_STEMS.__contains__, _BMP_STEM.findall(low)))
    if _CJK.search(low) is None:
        return Counter(filterfalse(_STOP_STEMS.__contains__, _STEM.findall(low)))
    bag = Counter()
    for tok in _WORD.findall(low):
        if _CJK.search(tok):
            bag.update(tok[i : i + 2] for i in range(max(1, len(tok) - 1)))
        elif len(tok) >= MIN_TERM_CHARS and tok not in STOPWORDS:
            bag[tok[:STEM_CHARS]] += 1
    return bag


def topic_similarity(first: list[str], second: list[str]) -> float:
    """Cosine of the sublinear TF-IDF vectors of two groups of texts (each group one bag)."""
    bags = [Counter(), Counter()]
    for bag, texts in zip(bags, (first, second), strict=True):
        for text in texts:
            bag.update(terms(text))
    if not bags[0] or not bags[1]:
        return 0.0
    vocab = list(bags[0].keys() | bags[1].keys())
    counts = np.array([[bag[t] for t in vocab] for bag in bags], dtype=np.float64)
    idf = np.array([_IDF.get(t, _UNSEEN_IDF) for t in vocab])
    vectors = _weigh(counts, idf, 0.0)
    return float(vectors[0] @ vectors[1])


def _weigh(counts: np.ndarray, idf: np.ndarray, extra_sq: np.ndarray | float) -> np.ndarray:
    """Unit-length sublinear tf-idf rows; ``extra_sq`` adds the norm of terms left out."""
    x = np.zeros_like(counts)
    np.log(counts, out=x, where=counts > 0)
    x = np.where(counts > 0, x + 1.0, 0.0) * idf
    extra = np.maximum(np.reshape(extra_sq, (-1, 1)), 0.0)  # float error can make it -1e-17
    norm = np.sqrt((x * x).sum(axis=-1, keepdims=True) + extra)
    return x / np.where(norm > 0, norm, 1.0)


def _sublinear_table(size: int) -> np.ndarray:
    """``1 + log(c)`` for every count ``c < size`` (0 for 0), computed as ``_weigh`` does."""
    counts = np.arange(size, dtype=np.float64)
    x = np.zeros_like(counts)
    np.log(counts, out=x, where=counts > 0)
    return np.where(counts > 0, x + 1.0, 0.0)


_SUBLINEAR = _sublinear_table(1024)


def _sublinear(top: int) -> np.ndarray:
    """The ``_sublinear_table``, grown to hold counts up to ``top``."""
    global _SUBLINEAR
    if top >= len(_SUBLINEAR):
        _SUBLINEAR = _sublinear_table(max(2 * len(_SUBLINEAR), top + 1))
    return _SUBLINEAR


def _weigh_counts(
    counts: np.ndarray, idf: np.ndarray, extra_sq: np.ndarray, table: np.ndarray
) -> np.ndarray:
    """``_weigh`` of integer ``counts`` (2-d, each below ``len(table)``): the logs looked up in
    ``table``, then the same operations on the same floats."""
    return _normalise(table.take(counts, mode="clip"), idf, extra_sq)


# Rows are squared and summed in blocks of about this many numbers: big pages then need no big
# temporary array (fresh memory costs page faults); each row's sum is the same.
_BLOCK = 8192
# A page whose prefix and suffix matrices together hold more numbers than this is done by blocks.
_BIG = 4 * _BLOCK


def _normalise(x: np.ndarray, idf: np.ndarray, extra_sq: np.ndarray) -> np.ndarray:
    """``x`` (sublinear counts, 2-d) times ``idf``, each row divided by its norm (with
    ``extra_sq`` added to its square), in place: ``_weigh``'s operations."""
    x *= idf
    n_rows, width = x.shape
    if n_rows * width <= _BLOCK:
        norm = (x * x).sum(axis=-1, keepdims=True)
    else:
        norm = np.empty((n_rows, 1))
        step = max(1, _BLOCK // max(width, 1))
        for start in range(0, n_rows, step):
            block = x[start : start + step]
            np.add.reduce(block * block, axis=-1, keepdims=True, out=norm[start : start + step])
    norm += np.maximum(extra_sq, 0.0)[:, None]  # float error can make it -1e-17
    np.sqrt(norm, out=norm)
    if not norm.all():
        norm[norm == 0.0] = 1.0
    x /= norm
    return x


def _cumsum_rows(counts: np.ndarray) -> np.ndarray:
    """``np.cumsum(counts, axis=0)`` of an integer matrix (row by row when it is big: numpy
    accumulates down the columns one by one)."""
    n_rows, width = counts.shape
    if n_rows * width <= _BLOCK:
        return np.cumsum(counts, axis=0)
    cum = np.empty_like(counts)
    cum[0] = counts[0]
    for i in range(1, n_rows):
        np.add(cum[i - 1], counts[i], out=cum[i])
    return cum


_KEPT = attrgetter("kept")


def _units(
    blocks: list[Block], labels: list[Label], min_words: int
) -> tuple[list[list[int]], list[int]]:
    """Kept prose paragraphs one by one, consecutive short kept body lines as one group; and
    the words of each unit."""
    if len(labels) != len(blocks):
        side = "shorter" if len(labels) < len(blocks) else "longer"
        raise ValueError(f"zip() argument 2 is {side} than argument 1")
    units: list[list[int]] = []
    unit_words: list[int] = []
    group: list[int] = []
    group_words = 0
    for i in compress(range(len(labels)), map(_KEPT, labels)):
        if labels[i].kind in PROSE_KINDS:  # only prose is counted: other kept blocks end a group
            n_words = len(blocks[i].text.split())
            if n_words < min_words:
                group.append(i)
                group_words += n_words
                continue
            if group_words >= min_words:
                units.append(group)
                unit_words.append(group_words)
            group, group_words = [], 0
            units.append([i])
            unit_words.append(n_words)
        else:
            if group_words >= min_words:
                units.append(group)
                unit_words.append(group_words)
            group, group_words = [], 0
    if group_words >= min_words:
        units.append(group)
        unit_words.append(group_words)
    return units, unit_words


class _Vectors:
    """The TF-IDF vectors of a page's units (they depend on the unit texts and the title only).

    The article before unit ``p`` (the title and the units before ``p``) and the run from ``p``
    to the end are rows ``p - 1`` of the prefix and suffix matrices. Terms found in only one unit
    (and not in the title) are left out of the matrices: they never add to a dot product, only
    to norms, which ``*_extra`` carry. Counts are integers (the same values as float sums of
    them). Each row is weighed on its own (the same floats whichever rows are computed
    together), so what only some cuts need (unit vectors, prefix and suffix rows of a big page,
    the similarities of units to the article before a cut, to the title) is computed when first
    asked for. ``run_sims`` holds every cut's prefix-suffix similarity, summed by numpy's own
    loop (``run_sim`` is the exact figure).
    """

    __slots__ = (
        "_prefix", "_rows", "_sims", "_suffix", "_title_sims", "_vecs", "counts", "cum",
        "cum_extra", "idf", "run_sims", "single_sq", "table", "title_vec",
    )  # fmt: skip

    def __init__(
        self,
        counts: np.ndarray,
        idf: np.ndarray,
        single_sq: np.ndarray,
        title_s: np.ndarray,
    ) -> None:
        n, width = counts.shape
        self.counts = counts  # units x shared terms
        self.idf = idf
        self.single_sq = single_sq  # per unit: squared weight of its own terms
        # The title is read as the article's first line: it is what the article is about.
        cum = _cumsum_rows(counts)
        cum += title_s
        self.cum = cum  # title + units[:p+1] counts
        # No count of the page (a row's, a run's, an article's) is above the last row's.
        self.table = table = _sublinear(int(cum[-1].max(initial=0)))
        self.cum_extra = cum_extra = np.cumsum(single_sq)
        self._prefix: np.ndarray | None = None
        self._suffix: np.ndarray | None = None
        self._rows: dict[int, np.ndarray] = {}  # a big page's prefix (i) and suffix (-1 - i) rows
        if (2 * n - 1) * width <= _BIG:
            # prefix, suffix and title rows weighed at once
            weighed = np.empty((2 * n - 1, width))
            table.take(cum[:-1], out=weighed[: n - 1], mode="clip")
            table.take(cum[-1] - cum[:-1], out=weighed[n - 1 : -1], mode="clip")
            table.take(title_s, out=weighed[-1], mode="clip")
            _normalise(
                weighed,
                idf,
                np.concatenate((cum_extra[:-1], cum_extra[-1] - cum_extra[:-1], _ZERO)),
            )
            self._prefix = prefix = weighed[: n - 1]
            self._suffix = suffix = weighed[n - 1 : -1]
            self.run_sims = np.einsum("ij,ij->i", prefix, suffix)
            title_vec = weighed[-1]
        else:  # a big page: block by block, no big matrix (fresh memory costs page faults)
            self.run_sims = np.empty(n - 1)
            step = max(1, _BLOCK // width)
            for start in range(0, n - 1, step):
                stop = min(start + step, n - 1)
                prefix = self.weigh(cum[start:stop], cum_extra[start:stop])
                suffix = self.weigh(
                    cum[-1] - cum[start:stop], cum_extra[-1] - cum_extra[start:stop]
                )
                np.einsum("ij,ij->i", prefix, suffix, out=self.run_sims[start:stop])
            title_vec = self.weigh(title_s[None, :], _ZERO)[0]
        self.title_vec = title_vec if title_s.any() else None
        self._vecs = (n, np.empty((0, width)))  # the first unit and the vectors from it on
        self._sims: np.ndarray | None = None
        self._title_sims: np.ndarray | None = None

    def prefix(self) -> np.ndarray:
        """Every cut's article row."""
        if self._prefix is None:
            self._prefix = self.weigh(self.cum[:-1], self.cum_extra[:-1])
        return self._prefix

    def prefix_row(self, i: int) -> np.ndarray:
        """Row ``i`` of ``prefix()``."""
        if self._prefix is not None:
            return self._prefix[i]
        row = self._rows.get(i)
        if row is None:
            row = self._rows[i] = self.weigh(self.cum[i : i + 1], self.cum_extra[i : i + 1])[0]
        return row

    def suffix_row(self, i: int) -> np.ndarray:
        """The run row of the cut before unit ``i + 1``."""
        if self._suffix is not None:
            return self._suffix[i]
        row = self._rows.get(-1 - i)
        if row is None:
            cum, extra = self.cum, self.cum_extra
            row = self.weigh(cum[-1] - cum[i : i + 1], extra[-1] - extra[i : i + 1])[0]
            self._rows[-1 - i] = row
        return row

    def run_sim(self, p: int) -> float:
        """The run's similarity to the article, for the cut before unit ``p``."""
        return float(self.prefix_row(p - 1) @ self.suffix_row(p - 1))

    def weigh(self, counts: np.ndarray, extra_sq: np.ndarray) -> np.ndarray:
        """Unit-length rows for counts of the page's shared terms."""
        return _weigh_counts(counts, self.idf, extra_sq, self.table)

    def unit_vecs(self, start: int = 0) -> np.ndarray:
        """The unit vectors of units ``start:`` (each row is weighed on its own: the same floats
        whichever rows are asked for)."""
        first, vecs = self._vecs
        if start < first:
            first, vecs = self._vecs = (
                start,
                self.weigh(self.counts[start:], self.single_sq[start:]),
            )
        return vecs[start - first :]

    def sims(self, p: int) -> np.ndarray:
        """Each unit from ``p`` on against the article before ``p``; numpy's own loop (BLAS
        would spread a big product over threads that then spin on the CPU): its float sums may
        differ from ``exact_sims``' in the last bit."""
        return np.einsum("ij,j->i", self.unit_vecs(p), self.prefix_row(p - 1))

    def exact_sims(self, p: int) -> np.ndarray:
        """``sims`` from the whole units x cuts product (the figures an accepted cut reports)."""
        if self._sims is None:
            self._sims = self.unit_vecs() @ self.prefix().T
        return self._sims[p:, p - 1]

    def title_sims(self, start: int = 0) -> np.ndarray:
        """The similarity to the title of each unit from ``start`` on (zeros without a title),
        summed as ``sims`` are."""
        if self.title_vec is None:
            return np.zeros(len(self.counts) - start)
        return np.einsum("ij,j->i", self.unit_vecs(start), self.title_vec)

    def exact_title_sims(self) -> np.ndarray:
        """``title_sims`` from one matrix-vector product over all units."""
        if self._title_sims is None:
            if self.title_vec is None:
                self._title_sims = np.zeros(len(self.counts))
            else:
                self._title_sims = self.unit_vecs() @ self.title_vec
        return self._title_sims


_ZERO = np.zeros(1)


# classify_blocks looks for appended articles twice; the units are often the same both times.
@lru_cache(maxsize=2)
def _vectors(texts: tuple[str, ...], title: str | None) -> _Vectors | None:
    """The vectors of units with these texts under this title; None without any term."""
    bags = [terms(text) for text in texts]
    n = len(bags)
    bags.append(terms(title) if title else Counter())  # the title: row n of the counts
    vocab_list = sorted(set().union(*bags))  # a fixed order: sums do not vary by run
    if not vocab_list:
        return None
    n_vocab = len(vocab_list)
    vocab = dict(zip(vocab_list, range(n_vocab), strict=True))
    idf = np.fromiter(map(_IDF.get, vocab_list, repeat(_UNSEEN_IDF)), dtype=float, count=n_vocab)
    # One (bag, term, count) triple per term occurrence in a bag; the rest is numpy.
    lens = list(map(len, bags))
    n_triples = sum(lens)
    rows = np.repeat(np.arange(n + 1), lens)
    cols = np.fromiter(
        map(vocab.__getitem__, chain.from_iterable(bags)), dtype=np.intp, count=n_triples
    )
    vals = np.fromiter(
        chain.from_iterable(map(Counter.values, bags)), dtype=np.intp, count=n_triples
    )
    # Only terms in two or more bags (units or title) can make two vectors similar; the others
    # only add to norms. Title words the page never uses are dropped: they say nothing about
    # which paragraphs belong together.
    shared = np.bincount(cols, minlength=n_vocab) >= 2
    in_matrix = shared[cols]
    single = ~in_matrix
    weight_sq = _sublinear(int(vals.max())).take(vals[single]) * idf[cols[single]]
    weight_sq **= 2
    single_sq = np.bincount(rows[single], weights=weight_sq, minlength=n + 1)[:n]
    column = np.cumsum(shared)
    n_shared = int(column[-1])
    counts = np.zeros((n + 1, n_shared), dtype=np.intp)
    counts.ravel()[rows[in_matrix] * n_shared + column[cols[in_matrix]] - 1] = vals[in_matrix]
    return _Vectors(counts[:n], idf[shared], single_sq, counts[n])


class _Page:
    """One page's units (block indices), their words and vectors, and the page's labels."""

    __slots__ = ("_sentences", "blocks", "labels", "units", "vectors", "words")

    def __init__(
        self,
        units: list[list[int]],
        words: np.ndarray,
        vectors: _Vectors,
        blocks: list[Block],
        labels: list[Label],
    ) -> None:
        self.units = units
        self.words = words  # words per unit
        self.vectors = vectors
        self.blocks = blocks
        self.labels = labels
        self._sentences: np.ndarray | None = None

    def sentences(self) -> np.ndarray:
        """Per unit: ends like a sentence (prose, not a menu or a list of links)."""
        if self._sentences is None:
            self._sentences = np.array(
                [_ends_sentence(self.blocks[unit[-1]].text) for unit in self.units], dtype=bool
            )
        return self._sentences

    def removed_words_at_end(self) -> int:
        """Words the cleaner removed after the last kept block (the page's own footer, if any)."""
        removed = 0
        for block, label in zip(reversed(self.blocks), reversed(self.labels), strict=True):
            if label.kept:
                break
            removed += len(block.text.split())
        return removed


def _page(
    blocks: list[Block], labels: list[Label], title: str | None, settings: CleaningSettings
) -> _Page | None:
    """The units of a page and their vectors; None when there are fewer than two units."""
    units, unit_words = _units(blocks, labels, settings.prose_min_words)
    if len(units) < 2:
        return None
    texts = tuple(" ".join([blocks[i].text for i in unit]) for unit in units)
    vectors = _vectors(texts, title)
    if vectors is None:
        return None
    if not all(units):  # only without a minimum (prose_min_words <= 0): the old code failed so
        raise IndexError("list index out of range")
    return _Page(units, np.array(unit_words, dtype=float), vectors, blocks, labels)


@dataclass(frozen=True, slots=True)
class _Cut:
    """An accepted cut: the run starts at unit ``position``; the evidence for its labels."""

    position: int
    unit_sims: list[float]  # each run unit's similarity to the article
    run_sim: float  # run centroid vs article centroid
    title_article: float
    title_run: float
    coherent_run: bool  # the run is (mostly) one other article rather than unrelated teasers


def _near_rounding(values: np.ndarray) -> bool:
    """Whether a value is within ``NEAR`` of a point where its 2-decimal figure changes."""
    scaled = values * 100.0
    return bool((np.abs(scaled - np.floor(scaled) - 0.5) < 100.0 * NEAR).any())


def _title_unit_max(vec: _Vectors, p: int) -> float:
    """The greatest similarity to the title of a unit from ``p`` on."""
    top = vec.title_sims(p).max()
    if abs(top - TITLE_UNIT_MAX_SIMILARITY) < NEAR:
        top = vec.exact_title_sims()[p:].max()
    return top


def _judge(
    page: _Page, p: int, min_run_words: int, settings: CleaningSettings
) -> tuple[_Cut | None, str]:
    """The cut before unit ``p`` if the evidence holds, else None and the check that failed."""
    n = len(page.units)
    vec = page.vectors
    long_run = n - p >= LONG_RUN_UNITS
    # Decisions use the quick similarities unless one is within NEAR of its threshold; the
    # figures reported for an accepted cut are always the exact ones.
    unit_sims, exact = vec.sims(p), False
    if not long_run:
        top = unit_sims.max()
        if abs(top - settings.appended_block_max_similarity) < NEAR:
            unit_sims, exact = vec.exact_sims(p), True
            top = unit_sims.max()
        if top >= settings.appended_block_max_similarity:
            return None, f"a paragraph of the short run is like the article ({top:.2f})"
    run_sim = vec.run_sim(p)
    if run_sim >= settings.appended_run_max_similarity:
        return None, f"the run is like the article ({run_sim:.2f})"
    run_words = float(page.words[p:].sum())
    if run_words < min_run_words:
        return None, f"the run is short ({run_words:.0f} words)"
    t_article = t_run = 0.0
    if vec.title_vec is not None:
        t_article = float(vec.title_vec @ vec.prefix_row(p - 1))
        t_run = float(vec.title_vec @ vec.suffix_row(p - 1))
    # The title counts only where it describes the article (not a byline or a site name).
    if t_article >= TITLE_ABOUT_SIMILARITY and (
        t_run > t_article or (not long_run and _title_unit_max(vec, p) >= TITLE_UNIT_MAX_SIMILARITY)
    ):
        return None, f"the run is about the title ({t_run:.2f} vs {t_article:.2f})"

    # Stays foreign: a run unit somewhat like the article must be more like the rest of the run.
    rest = vec.cum[-1] - vec.cum[p - 1]
    rest_extra = vec.cum_extra[-1] - vec.cum_extra[p - 1]
    run_loo = vec.weigh(rest[None, :] - vec.counts[p:], rest_extra - vec.single_sq[p:])
    run_cohesion = np.einsum("ij,ij->i", run_loo, vec.unit_vecs(p))
    ratio = AFFINITY_RATIO_LONG if long_run else AFFINITY_RATIO_SHORT
    if not exact and (
        (np.abs(unit_sims - settings.appended_low_similarity) < NEAR).any()
        or (np.abs(run_cohesion - ratio * unit_sims) < NEAR).any()
    ):
        unit_sims, exact = vec.exact_sims(p), True
    unlike_run = (unit_sims >= settings.appended_low_similarity) & (
        run_cohesion < ratio * unit_sims
    )
    if unlike_run.any():
        k = int(np.argmax(unlike_run))
        return None, (
            f"a paragraph is like the article ({unit_sims[k]:.2f}) and not the run "
            f"({run_cohesion[k]:.2f})"
        )

    # The article side holds an article.
    article = vec.cum[p - 1]
    article_loo = vec.weigh(
        article[None, :] - vec.counts[:p], vec.cum_extra[p - 1] - vec.single_sq[:p]
    )
    cohesion = np.einsum("ij,ij->i", article_loo, vec.unit_vecs()[:p])
    title_sims = vec.title_sims()[:p]
    if (np.abs(title_sims - TITLE_LINK_SIMILARITY) < NEAR).any():
        title_sims = vec.exact_title_sims()[:p]
    linked = (cohesion >= COHESION_SIMILARITY) | (title_sims >= TITLE_LINK_SIMILARITY)
    # Only sentences make an article: kept menus and link lists are not one.
    prose = page.sentences()[:p]
    coherent_words = float(page.words[:p][linked & prose].sum())
    article_words = (
        float(page.words[:p][prose].sum()) if p <= SHORT_ARTICLE_UNITS else coherent_words
    )
    # A title that describes the paragraphs before the run vouches for a short article.
    if article_words < settings.appended_min_article_words and t_article < TITLE_ABOUT_SIMILARITY:
        return None, f"no article before the run ({article_words:.0f} words)"
    run_coherent = float(page.words[p:][run_cohesion >= COHESION_SIMILARITY].sum())
    if run_coherent > max(settings.appended_side_ratio * coherent_words, SIDE_MIN_WORDS):
        by_title = t_article >= TITLE_ABOUT_SIMILARITY and t_run <= TITLE_RUN_SHARE * t_article
        by_layout = (
            page.removed_words_at_end() <= settings.appended_tail_max_removed_share * run_words
            and p >= 2
            and article_words >= settings.appended_min_article_words
        )
        if not (by_title or by_layout):
            return None, (
                f"the run ({run_coherent:.0f} coherent words) may be the article "
                f"({coherent_words:.0f})"
            )
    if not exact and _near_rounding(unit_sims):
        unit_sims = vec.exact_sims(p)
    return _Cut(
        p, unit_sims.tolist(), run_sim, t_article, t_run, run_coherent >= run_words / 2
    ), "appended"


def _removed_words_between(page: _Page, start: int, end: int) -> int:
    """Words the cleaner removed among blocks ``start`` to ``end`` (exclusive)."""
    return sum(
        len(page.blocks[i].text.split()) for i in range(start, end) if not page.labels[i].kept
    )


def _after_break(page: _Page, cut: _Cut, min_run_words: int, settings: CleaningSettings) -> _Cut:
    """Where the run follows the article without a break but has one (removed furniture: the
    page's own footer) further on, the paragraphs before the break are the article's ending."""
    units = page.units
    p = cut.position
    if _removed_words_between(page, units[p - 1][-1] + 1, units[p][0]) >= BREAK_MIN_WORDS:
        return cut
    for q in range(p + 1, len(units)):
        if _removed_words_between(page, units[q - 1][-1] + 1, units[q][0]) >= BREAK_MIN_WORDS:
            later, _ = _judge(page, q, min_run_words, settings)
            return later if later is not None else cut
    return cut


def _first_cut(page: _Page, settings: CleaningSettings) -> _Cut | None:
    """The earliest cut ``_judge`` accepts. Every check must pass, so cuts that fail a cheap
    one are passed over at once: the run is like the article (the check most cuts fail; on
    similarities from one numpy pass, so that ``_judge`` takes any within ``NEAR`` of the
    threshold), or it is short (sums of whole numbers: exact in any order)."""
    min_run_words = settings.appended_min_words
    run_words = np.cumsum(page.words[:0:-1])[::-1]  # the words from unit p on, p = 1, 2, ...
    maybe = (page.vectors.run_sims < settings.appended_run_max_similarity + NEAR) & (
        run_words >= min_run_words
    )
    for p in (np.flatnonzero(maybe) + 1).tolist():
        cut, _ = _judge(page, p, min_run_words, settings)
        if cut is not None:
            return cut
    return None


def find_appended(
    blocks: list[Block], labels: list[Label], title: str | None, settings: CleaningSettings
) -> dict[int, Label]:
    """``appended_article`` labels for kept blocks of other articles after the page's own.

    ``labels`` are the labels chosen so far (one per block); ``title`` is the headline, if any.
    Only kept blocks at or after the first unit of the earliest acceptable run are returned.
    """
    from flows.steps.boilerplate import Label  # here: boilerplate imports this module

    page = _page(blocks, labels, title, settings)
    if page is None:
        return {}
    cut = _first_cut(page, settings)
    if cut is None:
        return {}
    cut = _after_break(page, cut, settings.appended_min_words, settings)
    sims = {
        i: sim
        for unit, sim in zip(page.units[cut.position :], cut.unit_sims, strict=True)
        for i in unit
    }
    n_units = len(page.units) - cut.position
    what = "another article" if cut.coherent_run else "unrelated paragraphs"
    run = (
        f"run of {n_units} units, {what}: similarity {cut.run_sim:.2f} to the article, "
        f"title {cut.title_run:.2f} vs {cut.title_article:.2f}"
    )
    first = page.units[cut.position][0]
    out: dict[int, Label] = {}
    for i in range(first, len(blocks)):
        if not labels[i].kept:
            continue
        if i in sims:
            reason = f"{TOPIC_SHIFT}: similarity {sims[i]:.2f} to the article ({run})"
        else:
            reason = f"inside the appended run that starts at block {first} ({run})"
        out[i] = Label(APPENDED_KIND, reason, firm=True)
    return out
