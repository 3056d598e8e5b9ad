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
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain, filterfalse, repeat
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

_STEM = re.compile(rf"([^\W\d_]{{{MIN_TERM_CHARS},{STEM_CHARS}}})[^\W\d_]*")
_WORD = re.compile(r"[^\W\d_]+")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
_SENTENCE_END = re.compile(r"[.!?…。！？][\"'”’»)\]]*\s*$")
_STOP_STEMS = frozenset(w[:STEM_CHARS] for w in STOPWORDS if len(w) >= MIN_TERM_CHARS)


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
    if _CJK.search(low) is None:  # the common case, all in C: one regex pass, one Counter
        # Stop stems filtered out before counting: Counter.__delitem__ is Python code.
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


def _units(
    blocks: list[Block], labels: list[Label], min_words: int
) -> tuple[list[list[int]], list[int]]:
    """Kept prose paragraphs one by one, consecutive short kept body lines as one group; and
    the words of each unit."""
    units: list[list[int]] = []
    unit_words: list[int] = []
    group: list[int] = []
    group_words = 0
    for i, (block, label) in enumerate(zip(blocks, labels, strict=True)):
        if not label.kept:
            continue
        n_words = len(block.text.split())
        if label.kind in PROSE_KINDS and n_words < min_words:
            group.append(i)
            group_words += n_words
            continue
        if group_words >= min_words:
            units.append(group)
            unit_words.append(group_words)
        group, group_words = [], 0
        if label.kind in PROSE_KINDS:
            units.append([i])
            unit_words.append(n_words)
    if group_words >= min_words:
        units.append(group)
        unit_words.append(group_words)
    return units, unit_words


@dataclass(frozen=True, slots=True)
class _Page:
    """Vectors of one page's units; row ``p - 1`` of ``prefix``/``suffix`` splits before ``p``.

    Terms found in only one unit (and not in the title) are left out of the matrices: they never
    add to a dot product, only to norms, which ``*_extra`` carry.
    """

    units: list[list[int]]
    words: np.ndarray  # words per unit
    counts: np.ndarray  # units x shared terms
    idf: np.ndarray
    single_sq: np.ndarray  # per unit: squared weight of its own terms
    cum: np.ndarray  # title + units[:p+1] counts
    cum_extra: np.ndarray
    unit_vecs: np.ndarray
    prefix: np.ndarray
    suffix: np.ndarray
    sims: np.ndarray  # sims[q, p - 1]: unit q against the article before p
    title_vec: np.ndarray | None
    title_sims: np.ndarray  # per unit
    sentences: np.ndarray  # per unit: ends like a sentence (prose, not a menu or a list of links)
    blocks: list[Block]
    labels: list[Label]

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
    bags = [terms(" ".join(blocks[i].text for i in unit)) for unit in units]
    title_bag = terms(title) if title else Counter()
    vocab_list = sorted(set(title_bag).union(*bags))  # a fixed order: sums do not vary by run
    if not vocab_list:
        return None
    vocab = {term: k for k, term in enumerate(vocab_list)}
    idf = np.fromiter(map(_IDF.get, vocab_list, repeat(_UNSEEN_IDF)), dtype=float)
    # One (unit, term, count) triple per term occurrence in a unit; the rest is numpy.
    rows = np.repeat(np.arange(len(bags)), [len(bag) for bag in bags])
    cols = np.fromiter(map(vocab.__getitem__, chain.from_iterable(bags)), dtype=np.intp)
    vals = np.fromiter(chain.from_iterable(bag.values() for bag in bags), dtype=float)
    title_row = np.zeros(len(vocab_list))
    title_row[[vocab[t] for t in title_bag]] = list(title_bag.values())
    # Only terms in two or more bags (units or title) can make two vectors similar; the others
    # only add to norms. Title words the page never uses are dropped: they say nothing about
    # which paragraphs belong together.
    shared = (np.bincount(cols, minlength=len(vocab_list)) + (title_row > 0)) >= 2
    weight_sq = ((np.log(vals) + 1.0) * idf[cols]) ** 2
    single = ~shared[cols]
    single_sq = np.bincount(rows[single], weights=weight_sq[single], minlength=len(bags))
    column = np.cumsum(shared) - 1
    counts = np.zeros((len(bags), int(shared.sum())))
    counts[rows[~single], column[cols[~single]]] = vals[~single]
    idf_s, title_s = idf[shared], title_row[shared]

    unit_vecs = _weigh(counts, idf_s, single_sq)
    # The title is read as the article's first line: it is what the article is about.
    cum = np.cumsum(counts, axis=0) + title_s
    cum_extra = np.cumsum(single_sq)
    prefix = _weigh(cum[:-1], idf_s, cum_extra[:-1])
    suffix = _weigh(cum[-1] - cum[:-1], idf_s, cum_extra[-1] - cum_extra[:-1])
    sims = unit_vecs @ prefix.T
    title_vec = None
    title_sims = np.zeros(len(units))
    if title_s.any():
        title_vec = _weigh(title_s[None, :], idf_s, 0.0)[0]
        title_sims = unit_vecs @ title_vec

    return _Page(
        units, np.array(unit_words, dtype=float), counts, idf_s, single_sq, cum, cum_extra,
        unit_vecs, prefix, suffix, sims, title_vec, title_sims,
        np.array([bool(_SENTENCE_END.search(blocks[unit[-1]].text)) for unit in units]),
        blocks, labels,
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Cut:
    """An accepted cut: the run starts at unit ``position``; the evidence for its labels."""

    position: int
    unit_sims: list[float]  # each run unit's similarity to the article
    run_sim: float  # run centroid vs article centroid
    title_article: float
    title_run: float
    coherent_run: bool  # the run is (mostly) one other article rather than unrelated teasers


def _judge(
    page: _Page, p: int, min_run_words: int, settings: CleaningSettings
) -> tuple[_Cut | None, str]:
    """The cut before unit ``p`` if the evidence holds, else None and the check that failed."""
    n = len(page.units)
    long_run = n - p >= LONG_RUN_UNITS
    unit_sims = page.sims[p:, p - 1]
    if not long_run and unit_sims.max() >= settings.appended_block_max_similarity:
        return None, f"a paragraph of the short run is like the article ({unit_sims.max():.2f})"
    run_sim = float(page.prefix[p - 1] @ page.suffix[p - 1])
    if run_sim >= settings.appended_run_max_similarity:
        return None, f"the run is like the article ({run_sim:.2f})"
    run_words = float(page.words[p:].sum())
    if run_words < min_run_words:
        return None, f"the run is short ({run_words:.0f} words)"
    t_article = t_run = 0.0
    if page.title_vec is not None:
        t_article = float(page.title_vec @ page.prefix[p - 1])
        t_run = float(page.title_vec @ page.suffix[p - 1])
    # The title counts only where it describes the article (not a byline or a site name).
    if t_article >= TITLE_ABOUT_SIMILARITY and (
        t_run > t_article
        or (not long_run and page.title_sims[p:].max() >= TITLE_UNIT_MAX_SIMILARITY)
    ):
        return None, f"the run is about the title ({t_run:.2f} vs {t_article:.2f})"

    # Stays foreign: a run unit somewhat like the article must be more like the rest of the run.
    rest = page.cum[-1] - page.cum[p - 1]
    rest_extra = page.cum_extra[-1] - page.cum_extra[p - 1]
    run_loo = _weigh(rest[None, :] - page.counts[p:], page.idf, rest_extra - page.single_sq[p:])
    run_cohesion = np.einsum("ij,ij->i", run_loo, page.unit_vecs[p:])
    ratio = AFFINITY_RATIO_LONG if long_run else AFFINITY_RATIO_SHORT
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
    article = page.cum[p - 1]
    article_loo = _weigh(
        article[None, :] - page.counts[:p], page.idf, page.cum_extra[p - 1] - page.single_sq[:p]
    )
    cohesion = np.einsum("ij,ij->i", article_loo, page.unit_vecs[:p])
    linked = (cohesion >= COHESION_SIMILARITY) | (page.title_sims[:p] >= TITLE_LINK_SIMILARITY)
    # Only sentences make an article: kept menus and link lists are not one.
    prose = page.sentences[:p]
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
    cut = None
    for p in range(1, len(page.units)):
        cut, _ = _judge(page, p, settings.appended_min_words, settings)
        if cut is not None:
            break
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
