"""Boilerplate: label every block with a kind and a reason, and find where the article is.

The evidence is what a careful reader uses: block shape (length, sentence punctuation, names,
roles, lists, tables), known phrasing families (``phrases``), repetition (captions printed twice,
a lead repeated in the body), and position relative to the run of prose that is the article
(furniture above it, end-of-article markers such as author bios and disclaimers below it).

``classify_blocks`` returns one ``Label`` per block; kinds in ``BODY_KINDS`` are kept. Blocks are
judged as the cleaner publishes them: without their over-long tokens (``cleaning.max_token_chars``;
a block of nothing else is debris). A paragraph in a script written without spaces (Chinese,
Japanese) is prose by its characters (``cleaning.unspaced_prose_min_chars``), and on a page
without prose a menu of short items between separators is navigation, not text.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass, field
from itertools import chain, compress, count
from operator import attrgetter, ne

import numpy as np

from flows.config import CleaningSettings
from flows.records import BODY_KINDS, Block
from flows.steps import phrases
from flows.steps.appended import find_appended, topic_similarity
from flows.steps.block_model import TreeEnsemble, load_model
from flows.steps.features import block_features

_SHINGLE = 4
# Near-repeats are looked for among blocks of at least this many shingles (and characters).
MIN_REPEAT_SHINGLES = 4
MIN_REPEAT_CHARS = 30
# A block whose shingles are mostly inside another, longer block repeats it (caption, teaser).
REPEAT_CONTAINMENT = 0.6
# End-of-article markers only count once this share of the prose (or this many words of it)
# lies before them: appended articles can hold more prose than the article itself.
END_MARKER_MIN_PROSE_SHARE = 0.5
END_MARKER_MIN_PROSE_WORDS = 150
# A "related" header ends the article only when it is this short (a bare prompt, not a link).
RELATED_HEADER_MAX_WORDS = 8
# A "By ..." block this long that ends like a sentence is prose, not a byline.
BYLINE_SENTENCE_MIN_WORDS = 6
# Kinds that, found late in the article, mark its end.
END_MARKER_KINDS = frozenset({"author_bio", "disclaimer", "credit", "footer"})
# The phrasing family (phrases.FAMILIES) of copyright notices.
COPYRIGHT_REASON = "copyright notice"
_QUOTE_SHAPE = re.compile(r"^[\"“‘'].+[\"”’']$")
_WORD = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class Label:
    """A block's kind and why. ``firm`` labels rest on evidence the block model may not overrule
    (a block repeated word for word, a topic shift to another article)."""

    kind: str
    reason: str
    firm: bool = False

    @property
    def kept(self) -> bool:
        return self.kind in BODY_KINDS


@dataclass(frozen=True, slots=True)
class BlockShape:
    """Shape evidence of one block, computed once."""

    n_words: int
    ends_sentence: bool
    is_prose: bool
    is_heading_shape: bool
    family: phrases.Family | None


def _unspaced_prose(text: str, settings: CleaningSettings) -> bool:
    """Prose in a script written without spaces (Chinese, Japanese, Thai): its word count,
    one or two space-separated "words" per paragraph, says nothing about it."""
    least = settings.unspaced_prose_min_chars
    return 0 < least <= len(text) and phrases.unspaced_chars(text) >= least


def capitalised_share(text: str) -> float:
    """Share of the words whose first letter is a capital."""
    words = _WORD.findall(text)
    return sum(w[0].isupper() for w in words) / len(words) if words else 0.0


def block_shape(block: Block, settings: CleaningSettings) -> BlockShape:
    text = block.text
    n_words = len(text.split())
    ends = phrases.ends_sentence(text)
    is_prose = (
        n_words >= settings.prose_min_words
        and (
            ends
            or (
                n_words >= 2 * settings.prose_min_words
                and capitalised_share(text) <= settings.prose_max_capitalised_share
            )
        )
    ) or _unspaced_prose(text, settings)
    heading = 1 <= n_words <= settings.heading_max_words and not ends and "\t" not in text
    return BlockShape(n_words, ends, is_prose, heading, phrases.match_family(text))


# Shingle keys: a hash of four token ids (uint64 arithmetic wraps; collisions are negligible).
_SHINGLE_HASH = np.uint64(0x9E3779B97F4A7C15)
# A shingle found in more blocks than this is site phrasing ("Share this article on ..."), not
# a repeated caption or lead; it is left out so that pair counting stays linear.
MAX_REPEAT_OWNERS = 50
# The page's blocks are tokenised in one pass, lower-cased and joined by " A ": "A" is a token
# that ``str.lower`` never leaves in a text, so it marks where each block ends.
_BLOCK_MARK = "A"
_TEXT = attrgetter("text")
_KIND = attrgetter("kind")
_FIRM = attrgetter("firm")


# ``_WORD`` tokens read from UTF-8: ASCII characters other than \w become spaces, and a run of
# the rest is a token when it is ASCII; a run holding other characters is read with ``_WORD``.
_ASCII_NOT_WORD = bytes(c for c in range(128) if not _WORD.match(chr(c)))
_NOT_WORD_TO_SPACE = bytes.maketrans(_ASCII_NOT_WORD, b" " * len(_ASCII_NOT_WORD))
_UTF8 = ("utf-8", "surrogatepass")
# Texts with more bytes beyond their characters than this share are read with ``_WORD`` at once.
_MOST_EXTRA_BYTES = 0.1


def _words(text: str) -> list[str] | list[bytes]:
    """``_WORD.findall(text)``, each token as UTF-8 bytes unless the text is mostly not ASCII."""
    data = text.encode(*_UTF8)
    spaced = data.translate(_NOT_WORD_TO_SPACE)
    if len(data) == len(text):
        return spaced.split()
    if len(data) - len(text) > _MOST_EXTRA_BYTES * len(text):
        return _WORD.findall(text)
    high = np.frombuffer(spaced, dtype=np.uint8) >= 0x80
    runs = np.flatnonzero(high[1:] & ~high[:-1]) + 1  # where runs of non-ASCII bytes start
    words: list[bytes] = []
    done = 0  # the bytes before were read
    for at in chain([0] if high[0] else [], runs.tolist()):
        if at < done:
            continue  # in the token just read
        start = spaced.rfind(b" ", 0, at) + 1
        end = spaced.find(b" ", at)
        end = len(spaced) if end < 0 else end
        words += spaced[done:start].split()
        words += [w.encode(*_UTF8) for w in _WORD.findall(data[start:end].decode(*_UTF8))]
        done = end
    words += spaced[done:].split()
    return words


def _shingle_pairs(
    texts: list[str], lowered: list[str] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Distinct (block, shingle key) pairs of the blocks of at least MIN_REPEAT_CHARS: the
    lower-cased (``lowered``, if known) ``\\w+`` 4-token shingles of each block, as sorted
    arrays."""
    long_enough = [i for i, n in enumerate(map(len, texts)) if n >= MIN_REPEAT_CHARS]
    if lowered is None:
        low = map(str.lower, map(texts.__getitem__, long_enough))
    else:
        low = map(lowered.__getitem__, long_enough)
    flat = _words(f"{_BLOCK_MARK} " + f" {_BLOCK_MARK} ".join(low))
    # Token ids in order of first appearance (from where each token is first seen); the mark
    # comes first (id 0), so a block token's id less one is what it gets among the blocks'
    # tokens alone.
    first_seen: dict[str | bytes, int] = {}
    seen_at = map(first_seen.setdefault, flat, count())
    at = np.fromiter(seen_at, dtype=np.int64, count=len(flat))
    ids = np.cumsum(at == np.arange(len(at)))[at] - 1
    marks = ids == 0
    tokens = ~marks
    owner = np.array(long_enough, dtype=np.int64)[(np.cumsum(marks) - 1)[tokens]]
    ids = (ids[tokens] - 1).astype(np.uint64)
    if len(ids) < _SHINGLE:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.uint64)
    keys = ids[: 1 - _SHINGLE].copy()
    for k in range(1, _SHINGLE):
        keys = keys * _SHINGLE_HASH + ids[k : len(ids) - _SHINGLE + 1 + k]
    within = owner[: 1 - _SHINGLE] == owner[_SHINGLE - 1 :]  # no shingle spans two blocks
    block, keys = owner[: 1 - _SHINGLE][within], keys[within]
    # Blocks are in order, so a stable sort by key sorts by (key, block).
    order = np.argsort(keys, kind="stable")
    block, keys = block[order], keys[order]
    distinct = np.ones(len(keys), dtype=bool)
    distinct[1:] = (keys[1:] != keys[:-1]) | (block[1:] != block[:-1])
    return block[distinct], keys[distinct]


def _near_repeats(
    texts: list[str], shapes: list[BlockShape], skip: set[int]
) -> dict[int, tuple[int, float]]:
    """For each block (not in ``skip``, at least MIN_REPEAT_SHINGLES shingles) whose shingles
    are mostly (REPEAT_CONTAINMENT) inside one longer prose block: that block and the share
    (the block holding most of them wins, the earliest on ties)."""
    prose = [s.is_prose for s in shapes]
    return _near_repeats_of(texts, prose, [s.n_words for s in shapes], skip)


def _near_repeats_of(
    texts: list[str],
    prose: list[bool],
    n_words: list[int],
    skip: set[int],
    folded: list[str] | None = None,
    lowered: list[str] | None = None,
) -> dict[int, tuple[int, float]]:
    """``_near_repeats`` on the page's columns (``folded``, ``lowered``: the casefolded and the
    lower-cased texts, if known)."""
    block, keys = _shingle_pairs(texts, lowered)
    n = len(texts)
    # Groups of blocks sharing a shingle (pairs are sorted by key, then block).
    new_key = np.empty(len(keys), dtype=bool)
    new_key[:1] = True
    np.not_equal(keys[1:], keys[:-1], out=new_key[1:])
    starts = np.flatnonzero(new_key)
    lengths = np.diff(np.append(starts, len(keys)))
    groups = (lengths >= 2) & (lengths <= MAX_REPEAT_OWNERS)
    if not groups.any():
        return {}
    sizes = np.bincount(block, minlength=n)
    if folded is None:
        folded = [t.casefold() for t in texts]
    group_lengths = lengths[groups]
    if int(group_lengths @ group_lengths) <= _FEW_PAIRS:
        shared = _shared_few(block, starts[groups], group_lengths, prose, n)
        candidates = []
        size_of = sizes.tolist()
        for key in sorted(shared):
            i, j = divmod(key, n)
            share = shared[key] / max(size_of[i], 1)
            if (
                size_of[i] >= MIN_REPEAT_SHINGLES
                and share >= REPEAT_CONTAINMENT
                and n_words[j] > n_words[i]
            ):
                candidates.append((i, j, share))
    else:
        candidates = _shared_many(block, starts, lengths, groups, sizes, prose, n_words)
    found: dict[int, tuple[int, float]] = {}
    for i, j, sh in candidates:
        if i in skip or folded[i] == folded[j]:
            continue
        if i not in found or sh > found[i][1]:
            found[i] = (j, sh)
    return found


# Up to this many (block, block) pairs of shingle groups (the sum of the squared group sizes)
# are counted one by one; more, in numpy.
_FEW_PAIRS = 256


def _shared_few(
    block: np.ndarray, starts: np.ndarray, lengths: np.ndarray, prose: list[bool], n: int
) -> dict[int, int]:
    """Shingles shared, per ``holder * n + container`` (container prose, not the holder)."""
    shared: dict[int, int] = {}
    owners = block.tolist()
    for start, length in zip(starts.tolist(), lengths.tolist(), strict=True):
        members = owners[start : start + length]
        for first in members:
            for second in members:
                if first != second and prose[second]:
                    key = first * n + second
                    shared[key] = shared.get(key, 0) + 1
    return shared


def _shared_many(
    block: np.ndarray,
    starts: np.ndarray,
    lengths: np.ndarray,
    groups: np.ndarray,
    sizes: np.ndarray,
    prose: list[bool],
    n_words: list[int],
) -> list[tuple[int, int, float]]:
    """(holder, container, share) of the pairs ``_near_repeats_of`` keeps, in pair order."""
    n = len(prose)
    is_prose = np.array(prose, dtype=bool)
    pair_keys: list[np.ndarray] = []
    for size in np.unique(lengths[groups]).tolist():
        members = block[starts[groups & (lengths == size)][:, None] + np.arange(size)]
        first = np.repeat(members, size, axis=1).ravel()
        second = np.tile(members, (1, size)).ravel()
        keep = (first != second) & is_prose[second]
        pair_keys.append(first[keep] * n + second[keep])
    pairs, shared = np.unique(np.concatenate(pair_keys), return_counts=True)
    holder, container = np.divmod(pairs, n)
    words = np.array(n_words, dtype=np.int64)
    share = shared / np.maximum(sizes[holder], 1)
    ok = (
        (sizes[holder] >= MIN_REPEAT_SHINGLES)
        & (share >= REPEAT_CONTAINMENT)
        & (words[container] > words[holder])
    )
    return list(zip(holder[ok].tolist(), container[ok].tolist(), share[ok].tolist(), strict=True))


def find_repeats(blocks: list[Block], shapes: list[BlockShape]) -> dict[int, Label]:
    """Blocks that repeat another block: captions printed twice, leads or teasers repeated."""
    texts = [b.text for b in blocks]
    return _repeats(texts, [s.is_prose for s in shapes], [s.n_words for s in shapes])


def _repeats(
    texts: list[str], prose: list[bool], n_words: list[int], lowered: list[str] | None = None
) -> dict[int, Label]:
    """``find_repeats`` on the page's columns (``lowered``: the lower-cased texts, if known)."""
    labels: dict[int, Label] = {}
    folded = list(map(str.casefold, texts))
    n = len(folded)
    first_at = dict(zip(reversed(folded), range(n - 1, -1, -1), strict=True))  # first places
    if len(first_at) < n:
        heads = list(map(first_at.__getitem__, folded))
        seen: dict[int, list[int]] = {}
        for i in compress(range(n), map(ne, heads, range(n))):  # repeated texts
            if heads[i] in seen:
                seen[heads[i]].append(i)
            else:
                seen[heads[i]] = [heads[i], i]
        for head in sorted(seen):
            indices = seen[head]
            if not prose[indices[0]]:
                label = Label("caption", f"short block printed {len(indices)} times")
                for i in indices:
                    labels[i] = label
            else:
                label = Label("debris", f"repeats block {indices[0]} word for word", firm=True)
                for i in indices[1:]:
                    labels[i] = label
    # Near-repeats: most of a block's shingles inside one other, longer prose block.
    near = _near_repeats_of(texts, prose, n_words, set(labels), folded, lowered)
    for i, (j, share) in sorted(near.items()):
        if i < j:
            labels[i] = Label("caption", f"{share:.0%} repeated in later paragraph {j}")
        else:
            labels[i] = Label("debris", f"{share:.0%} repeats earlier paragraph {j}")
    return labels


# Labels of constant reasons, made once (labels are frozen: one object serves every block).
_TITLE = Label("title", "headline: last heading-shaped line above the article")
_AUTHOR_BIO = Label("author_bio", "author bio: a named person and a role")
_HEADER_NAME = Label("byline", "author name above the article")
_HEADER_ROLE = Label("byline", "author role above the article")
_HEADER_HEADING = Label("nav", "section label or menu item above the article")
_HEADER_URL = Label("debris", "bare link above the article")
_HEADER_OTHER = Label("nav", "furniture above the article")
_TAIL_APPENDED = Label("appended_article", "long prose after the article's end")
_TAIL_URL = Label("footer", "bare link after the article")
_TAIL_WORD = Label("debris", "short fragment after the article")
_TAIL_SHORT = Label("nav", "short fragment after the article")
_TAIL_OTHER = Label("footer", "furniture after the article")
_CORE_PROSE = Label("body", "prose inside the article")
_CORE_TABLE = Label("table", "table row or table label inside the article")
_CORE_FIGURES = Label("table", "row of a table of figures inside the article")
_CORE_NOTE = Label("table", "note under a table")
_CORE_LIST = Label("list", "list item inside the article")
_CORE_QUOTE = Label("quote", "quotation inside the article")
_CORE_SENTENCE = Label("body", "sentence inside the article")
_CORE_HEADING = Label("heading", "heading followed by article text")
_CORE_SHORT = Label("debris", "short fragment inside the article")
_CORE_LONE_HEADING = Label("debris", "heading-shaped line not followed by article text")
_CORE_TEXT = Label("body", "text inside the article")
_LONE_TEXT = Label("body", "text of a page without long prose")
_LONE_FRAGMENT = Label("debris", "short fragment of a page without long prose")
_LONE_MENU = Label("nav", "menu of a page without long prose: short items between separators")
_FAMILY_LABELS = {id(f): Label(f.kind, f.reason) for f in phrases.FAMILIES}
# Labels above the article that may stand between the headline and the article.
_ABOVE_TITLE = frozenset({"byline", "dateline", "caption", "credit", "debris"})
# ``phrases.is_name`` needs 2 to 4 tokens once trailing commas are gone: 2 to 5 words.
_NAME_MIN_WORDS, _NAME_MAX_WORDS = 2, 5


def _family_label_of(
    text: str, family: phrases.Family | None, ends: bool, n_words: int
) -> Label | None:
    if family is None:
        date = phrases.is_date_only(text)
        return Label("dateline", f"date line ({date.date.isoformat()})") if date else None
    if family.kind == "dateline" or family.reason.startswith("site tagline"):
        date = phrases.find_date(text)
        if date is not None:
            return Label("dateline", f"{family.reason}: {date.date.isoformat()}")
        if family.kind == "dateline":
            return None
    is_sentence = ends and n_words > BYLINE_SENTENCE_MIN_WORDS
    if family.kind == "byline" and family.reason.startswith("byline") and is_sentence:
        return None  # "By then, the talks had ..." opens a sentence, not a byline
    label = _FAMILY_LABELS.get(id(family))
    if label is None or label.reason != family.reason or label.kind != family.kind:
        label = Label(family.kind, family.reason)
    return label


@dataclass(slots=True)
class _Page:
    """The blocks' shapes as columns (``block_shape`` of every block), their rule labels so
    far (None: none yet), and the answers asked of some blocks, kept for the later passes."""

    texts: list[str]
    n_words: list[int]
    ends: list[bool]
    prose: list[bool]
    heading: list[bool]
    labels: list[Label | None]
    settings: CleaningSettings
    authors: set[str] | None = None
    bio_from: int = 0  # blocks from here on were asked whether AUTHOR_BIO matches them
    bios: set[int] = field(default_factory=set)  # those it matches

    @classmethod
    def read(cls, texts: list[str], settings: CleaningSettings) -> _Page:
        n_words = list(map(len, map(str.split, texts)))
        ends = phrases.ends_sentences(texts)
        least, most_capitalised = settings.prose_min_words, settings.prose_max_capitalised_share
        twice = 2 * least
        prose = [
            (n >= least and (e or (n >= twice and capitalised_share(t) <= most_capitalised)))
            or _unspaced_prose(t, settings)
            for n, e, t in zip(n_words, ends, texts, strict=True)
        ]
        longest = settings.heading_max_words
        heading = [
            1 <= n <= longest and not e and "\t" not in t
            for n, e, t in zip(n_words, ends, texts, strict=True)
        ]
        labels: list[Label | None] = [None] * len(texts)
        page = cls(texts, n_words, ends, prose, heading, labels, settings)
        page.bio_from = len(texts)
        return page

    def is_name(self, i: int) -> bool:
        return _NAME_MIN_WORDS <= self.n_words[i] <= _NAME_MAX_WORDS and phrases.is_name(
            self.texts[i]
        )

    def authors_hint(self) -> set[str]:
        """Lower-cased tokens of the bylines and of the blocks shaped like a name."""
        if self.authors is None:
            texts, labels = self.texts, self.labels
            self.authors = {
                token.lower()
                for i, label in enumerate(labels)
                if label is not None and label.kind == "byline"
                for token in _WORD.findall(texts[i])
            } | {
                token.lower()
                for i in range(len(texts))
                if self.is_name(i)
                for token in texts[i].split()
            }
        return self.authors

    def may_be_bio(self, i: int) -> bool:
        """False when ``phrases.looks_like_bio`` would find no bio in block ``i``."""
        if i < self.bio_from:
            found = phrases.may_be_bios(self.texts[i : self.bio_from])
            self.bios.update([i + k for k in found])
            self.bio_from = i
        return i in self.bios

    def bio_label(self, i: int) -> Label | None:
        """An author bio late in the article, confirmed by a known author or a following
        marker."""
        if not self.may_be_bio(i):
            return None
        match = phrases.looks_like_bio(self.texts[i])
        if match is None:
            return None
        labels = self.labels
        n = len(labels)
        if i == n - 1 or any(labels[j] is not None for j in range(i + 1, min(i + 3, n))):
            return _AUTHOR_BIO
        name_tokens = {t.lower() for t in match.group("name").split()}
        return _AUTHOR_BIO if name_tokens & self.authors_hint() else None

    def is_end_marker(self, i: int) -> bool:
        label = self.labels[i]
        if label is None:
            return False
        if label.kind in END_MARKER_KINDS:
            return label.kind != "credit" or label.reason.startswith("translator")
        if label.kind == "byline":
            return True
        if label.kind == "related":
            text = self.texts[i]
            named = _WORD.findall(text.partition(":")[2])
            return (
                self.n_words[i] <= RELATED_HEADER_MAX_WORDS
                and len(named) <= self.settings.related_header_max_named_words
            )
        return False

    def is_page_end(self, i: int) -> bool:
        """The page's copyright line: the end of a page (its own article is above it)."""
        label = self.labels[i]
        return (
            label is not None
            and label.kind == "footer"
            and label.reason == COPYRIGHT_REASON
            and phrases.is_page_copyright(self.texts[i])
        )


def _article_goes_on(page: _Page, i: int, prose: list[int]) -> bool:
    """Whether the prose after the marker at ``i`` continues the article before it (an in-text
    "Related" box between the lead and the rest) rather than being other text.

    The prose that follows runs up to the next marker; it continues the article when it is long
    (comments and teasers come in short pieces between markers) and on the same topic.
    """
    texts, n_words = page.texts, page.n_words
    k = bisect_left(prose, i)  # the marker is no prose: prose[:k] is before it, the rest after
    stop = len(texts)
    if k < len(prose):
        for j in range(prose[k] + 1, len(texts)):
            if page.labels[j] is not None and page.is_end_marker(j):
                stop = j
                break
    after = prose[k : bisect_left(prose, stop)]
    if sum(n_words[j] for j in after) < END_MARKER_MIN_PROSE_WORDS:
        return False
    before = [texts[p] for p in prose[:k]]
    similarity = topic_similarity(before, [texts[j] for j in after])
    return similarity >= page.settings.end_marker_continuation_similarity


def _first_reaching(prose: list[int], n_words: list[int], bound: float) -> int | None:
    """The prose block at which the words of the prose so far first reach ``bound``."""
    seen = 0
    for i in prose:
        seen += n_words[i]
        if seen >= bound:
            return i
    return None


def _article_end(page: _Page, prose: list[int]) -> int:
    """The last block of the article: the prose before the first end-of-article marker found
    after most of the prose (a bio found there is labelled), or before the page's copyright
    line once any article stands before it (prose after the page's own footer was glued on by
    the scrape, however long it is)."""
    labels, n_words, settings = page.labels, page.n_words, page.settings
    n = len(labels)
    start = prose[0]
    total_prose = sum(n_words[i] for i in prose)
    # Words seen only grow at prose blocks: each bound holds from the prose block reaching it.
    bound = min(END_MARKER_MIN_PROSE_SHARE * total_prose, END_MARKER_MIN_PROSE_WORDS)
    markers_from = _first_reaching(prose, n_words, bound)
    page_end_from = _first_reaching(prose, n_words, settings.appended_min_article_words)
    markers_from = n if markers_from is None else markers_from
    page_end_from = n if page_end_from is None else page_end_from
    # Only labelled blocks (markers, the copyright line) and bios can end the article.
    events = list(compress(range(start, n), labels[start:]))
    if markers_from < n:
        page.may_be_bio(markers_from)
        events = sorted(set(events).union(i for i in page.bios if labels[i] is None))
    for i in events:
        if i >= page_end_from and page.is_page_end(i):
            break
        if i < markers_from:
            continue
        if labels[i] is None:
            bio = page.bio_label(i)
            if bio is not None:
                labels[i] = bio
                break
            continue
        if page.is_end_marker(i) and not _article_goes_on(page, i, prose):
            break
    else:
        return prose[-1]
    k = bisect_left(prose, i)
    return prose[k - 1] if k else start


def classify_blocks(
    blocks: list[Block],
    settings: CleaningSettings | None = None,
    model: TreeEnsemble | bool | None = True,
) -> list[Label]:
    """A kind and a reason for every block: the rules, the learned model's verdict, then the
    appended-article check (topic coherence with the article and its title).

    ``model=True`` uses the shipped model (if any), ``None``/``False`` the rules alone.
    """
    settings = settings or CleaningSettings()
    longest = settings.max_token_chars
    if longest > 0 and any(len(text) > longest for text in map(_TEXT, blocks)):
        return _classify_without_long_tokens(blocks, settings, model)
    return _classify(blocks, settings, model)


def _classify(
    blocks: list[Block], settings: CleaningSettings, model: TreeEnsemble | bool | None
) -> list[Label]:
    # Unrelated articles appended after the page's own are looked for twice: on the rules'
    # verdict (so the model sees them, and cannot take a long appended article for the page's
    # own), and on the final verdict (paragraphs the model kept).
    labels = with_appended(blocks, rule_labels(blocks, settings), settings)
    ensemble = load_model() if model is True else (model or None)
    n_words = sum(map(len, map(str.split, map(_TEXT, blocks))))
    # The model learnt from whole pages; short texts are the rules' alone.
    if ensemble is not None and n_words >= settings.model_min_words:
        features = block_features(blocks, list(map(_KIND, labels)))
        labels = with_model(blocks, labels, ensemble.predict_proba(features), settings)
    return labels


def _classify_without_long_tokens(
    blocks: list[Block], settings: CleaningSettings, model: TreeEnsemble | bool | None
) -> list[Label]:
    """``classify_blocks`` of the blocks as they read without their over-long tokens: what the
    cleaner publishes (it cuts them out of kept paragraphs), so a second pass over its output
    decides as this one did (a paragraph with a blob in it is no longer unlike its repeat). A
    block of nothing but such tokens is debris, firmly, and left out of the page."""
    longest = settings.max_token_chars
    labels: list[Label | None] = [None] * len(blocks)
    inner: list[Block] = []
    for i, block in enumerate(blocks):
        text = phrases.without_long_tokens(block.text, longest)
        if text is block.text:
            inner.append(block)
        elif text:
            inner.append(Block(block.start, block.end, text, block.blank_before, block.joined_from))
        else:
            length = max(
                end - start for start, end in phrases.long_token_spans(block.text, longest)
            )
            labels[i] = Label("debris", phrases.long_token_reason(length, longest), firm=True)
    inner_labels = iter(_classify(inner, settings, model))
    return [label if label is not None else next(inner_labels) for label in labels]


def with_model(
    blocks: list[Block], labels: list[Label], p_body: np.ndarray, settings: CleaningSettings
) -> list[Label]:
    """The rules' ``labels`` (appended articles found) after the model's say (``combine``).

    Only paragraphs the model brought back can be other articles the first appended pass did
    not see: the check runs again only then.
    """
    judged = combine(labels, p_body, settings)
    if judged is not labels and any(
        new is not old and new.kept and not old.kept
        for new, old in zip(judged, labels, strict=True)
    ):
        judged = with_appended(blocks, judged, settings)
    return judged


def with_appended(
    blocks: list[Block], labels: list[Label], settings: CleaningSettings
) -> list[Label]:
    """``labels`` with the kept paragraphs of unrelated appended articles relabelled."""
    title = next(
        (b.text for b, lab in zip(blocks, labels, strict=True) if lab.kind == "title"), None
    )
    found = find_appended(blocks, labels, title, settings)
    if not found:
        return list(labels)
    return [found.get(i, label) for i, label in enumerate(labels)]


def combine(labels: list[Label], p_body: np.ndarray, settings: CleaningSettings) -> list[Label]:
    """Final labels: the model keeps or drops a block when it is confident enough to overrule.

    A block the rules keep is dropped below ``model_drop_below``; a block the rules drop is kept
    above ``model_keep_above``; kinds the rules found by explicit evidence (bylines, datelines,
    disclaimers, ...: ``model_protected_kinds``) stay as the rules said. Dropped blocks are named by where they stand: above the kept
    text (nav), below it (footer), or inside it (debris).
    """
    if not (
        isinstance(p_body, np.ndarray)
        and p_body.dtype == np.float64
        and p_body.shape == (len(labels),)
    ):
        return _combine_each(labels, p_body, settings)
    # The same decisions on whole columns (float64 compares as the scalars do).
    n = len(labels)
    kinds = list(map(_KIND, labels))
    kept = np.fromiter(map(BODY_KINDS.__contains__, kinds), dtype=bool, count=n)
    protected = map(settings.model_protected_kinds.__contains__, kinds)
    fixed = np.fromiter(map(_FIRM, labels), dtype=bool, count=n)
    fixed |= np.fromiter(protected, dtype=bool, count=n)
    keep = np.where(
        fixed,
        kept,
        np.where(kept, p_body >= settings.model_drop_below, p_body >= settings.model_keep_above),
    )
    kept_at = np.flatnonzero(keep)
    if not len(kept_at):
        return labels  # never let the model empty a page the rules found text in
    first, last = int(kept_at[0]), int(kept_at[-1])
    result = list(labels)
    for i in np.flatnonzero(keep != kept).tolist():
        label, p = labels[i], p_body[i]
        reason = f"model: P(body)={p:.2f} overrules {label.kind} ({label.reason})"
        if keep[i]:
            result[i] = Label("body", reason)
        else:
            result[i] = Label("nav" if i < first else "footer" if i > last else "debris", reason)
    return result


def _combine_each(
    labels: list[Label], p_body: np.ndarray, settings: CleaningSettings
) -> list[Label]:
    """``combine`` one label at a time (any ``p_body`` a column cannot stand for)."""
    keep = [
        label.kept
        if label.firm or label.kind in settings.model_protected_kinds
        else (p >= settings.model_keep_above)
        if not label.kept
        else (p >= settings.model_drop_below)
        for label, p in zip(labels, p_body, strict=True)
    ]
    kept_at = [i for i, k in enumerate(keep) if k]
    if not kept_at:
        return labels  # never let the model empty a page the rules found text in
    first, last = (kept_at[0], kept_at[-1]) if kept_at else (len(labels), -1)
    result = []
    for i, (label, p, k) in enumerate(zip(labels, p_body, keep, strict=True)):
        if k == label.kept:
            result.append(label)
        elif k:
            result.append(
                Label("body", f"model: P(body)={p:.2f} overrules {label.kind} ({label.reason})")
            )
        else:
            kind = "nav" if i < first else "footer" if i > last else "debris"
            result.append(
                Label(kind, f"model: P(body)={p:.2f} overrules {label.kind} ({label.reason})")
            )
    return result


def rule_labels(blocks: list[Block], settings: CleaningSettings | None = None) -> list[Label]:
    """A kind and a reason for every block, from the rules alone."""
    settings = settings or CleaningSettings()
    if not blocks:
        return []
    texts = list(map(_TEXT, blocks))
    page = _Page.read(texts, settings)
    n_words, ends, labels = page.n_words, page.ends, page.labels
    lowered = list(map(str.lower, texts))
    families = phrases.match_families(texts, n_words, lowered)
    for i in phrases.may_be_dates(texts):
        if families[i] is None:
            labels[i] = _family_label_of(texts[i], None, ends[i], n_words[i])
    for i in compress(range(len(texts)), families):
        labels[i] = _family_label_of(texts[i], families[i], ends[i], n_words[i])
    for i, label in _repeats(texts, page.prose, n_words, lowered).items():
        if labels[i] is None:
            labels[i] = label

    prose = [i for i in compress(range(len(texts)), page.prose) if labels[i] is None]
    if not prose:
        return _label_without_article(page)
    start = prose[0]
    end = _article_end(page, prose)

    table_rows = _figure_table_rows(page, start, end)
    result = labels.copy()
    title_index = _find_title(page, start)
    if title_index is not None:
        result[title_index] = _TITLE
    for i in range(start):
        if result[i] is None:
            result[i] = _label_header(page, i)
    is_prose = page.prose
    for i in range(start, end + 1):
        if result[i] is None:
            result[i] = _CORE_PROSE if is_prose[i] else _label_core(page, i, table_rows)
    for i in range(end + 1, len(texts)):
        if result[i] is None:
            result[i] = _label_tail(page, i)
    return result  # type: ignore[return-value]


def _find_title(page: _Page, start: int) -> int | None:
    """The headline: the last heading-shaped block above the article with only furniture after."""
    labels, texts = page.labels, page.texts
    for i in range(start - 1, -1, -1):
        label = labels[i]
        if label is not None:
            if label.kind in _ABOVE_TITLE:
                continue
            return None
        text = texts[i]
        if page.is_name(i) or phrases.is_role(text):
            continue
        if page.heading[i] and len(_WORD.findall(text)) >= 3:
            return i
        return None
    return None


def _label_header(page: _Page, i: int) -> Label:
    text = page.texts[i]
    if page.is_name(i):
        return _HEADER_NAME
    if phrases.is_role(text):
        return _HEADER_ROLE
    if page.heading[i]:
        return _HEADER_HEADING
    if phrases.is_url_only(text):
        return _HEADER_URL
    return _HEADER_OTHER


def _label_tail(page: _Page, i: int) -> Label:
    bio = page.bio_label(i)
    if bio is not None:
        return bio
    settings, n_words = page.settings, page.n_words[i]
    if page.prose[i] and n_words >= settings.appended_min_words:
        return _TAIL_APPENDED
    if phrases.is_url_only(page.texts[i]):
        return _TAIL_URL
    if n_words <= settings.short_block_words and not page.ends[i]:
        return _TAIL_WORD if n_words == 1 else _TAIL_SHORT
    return _TAIL_OTHER


def _next_unlabelled(i: int, labels: list[Label | None]) -> int | None:
    for j in range(i + 1, len(labels)):
        if labels[j] is None:
            return j
    return None


def _figure_table_rows(page: _Page, start: int, end: int) -> set[int]:
    """Rows of tables of figures inside the article: runs of at least ``table_min_rows``
    consecutive short blocks made largely of numbers, and the header row just above each."""
    least = page.settings.table_min_rows
    rows: set[int] = set()
    if not least > 0:  # an empty run would count: the step by step reading
        return _figure_table_rows_each(page, start, end)
    texts, heading = page.texts, page.heading
    candidates = [i for i in range(start, end + 1) if not page.prose[i]]
    found = phrases.figure_rows([texts[i] for i in candidates])
    run: list[int] = []
    for i in chain(compress(candidates, found), [end + 2]):
        if run and i == run[-1] + 1:
            run.append(i)
            continue
        if len(run) >= least:
            rows.update(run)
            above = run[0] - 1
            if above >= start and heading[above]:
                rows.add(above)
        run = [i]
    return rows


def _figure_table_rows_each(page: _Page, start: int, end: int) -> set[int]:
    rows: set[int] = set()
    run: list[int] = []
    for i in range(start, end + 2):
        if i <= end and not page.prose[i] and phrases.is_figure_row(page.texts[i]):
            run.append(i)
            continue
        if len(run) >= page.settings.table_min_rows:
            rows.update(run)
            above = run[0] - 1
            if above >= start and page.heading[above]:
                rows.add(above)
        run = []
    return rows


def _label_core(page: _Page, i: int, table_rows: set[int]) -> Label:
    """A block inside the article that is not prose."""
    texts, n_words, ends, settings = page.texts, page.n_words, page.ends, page.settings
    text, words = texts[i], n_words[i]
    if "\t" in text or phrases.is_table_label(text):
        return _CORE_TABLE
    if i in table_rows:
        return _CORE_FIGURES
    if phrases.is_note_label(text) and i > 0 and "\t" in texts[i - 1]:
        return _CORE_NOTE
    if phrases.is_list_item(text):
        return _CORE_LIST
    if _QUOTE_SHAPE.match(text) and words >= settings.short_block_words:
        return _CORE_QUOTE
    if ends[i] and words > settings.short_block_words:
        return _CORE_SENTENCE
    if page.heading[i] and words > 1:
        following = _next_unlabelled(i, page.labels)
        if following is not None and (
            page.prose[following]
            or phrases.is_list_item(texts[following])
            or ends[following]
            or following in table_rows
        ):
            return _CORE_HEADING
    if words <= settings.short_block_words:
        return _CORE_SHORT
    if page.heading[i]:
        return _CORE_LONE_HEADING
    return _CORE_TEXT


# A menu: at least this many items between separators ("Home | News | Sport"), each short.
_MENU_SEPARATOR = re.compile(r"\s[|·•]\s")
MENU_MIN_ITEMS = 3
MENU_ITEM_MAX_WORDS = 3


def is_menu(text: str) -> bool:
    """Short items between separators: site navigation, not text."""
    items = _MENU_SEPARATOR.split(text)
    return len(items) >= MENU_MIN_ITEMS and all(
        0 < len(item.split()) <= MENU_ITEM_MAX_WORDS for item in items
    )


def _label_without_article(page: _Page) -> list[Label]:
    """No prose at all: keep sentence-like blocks so short texts are not emptied (a long
    block without a sentence end that is a menu of links is no text)."""
    return [
        label
        if label is not None
        else _LONE_TEXT
        if ends or (n_words >= 8 and not is_menu(text))
        else _LONE_MENU
        if n_words >= 8
        else _LONE_FRAGMENT
        for label, ends, n_words, text in zip(
            page.labels, page.ends, page.n_words, page.texts, strict=True
        )
    ]
