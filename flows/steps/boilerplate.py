"""Boilerplate: label every block with a kind and a reason, and find where the article is.

The evidence is what a careful reader uses: block shape (length, sentence punctuation, names,
roles, lists, tables), known phrasing families (``phrases``), repetition (captions printed twice,
a lead repeated in the body), and position relative to the run of prose that is the article
(furniture above it, end-of-article markers such as author bios and disclaimers below it).

``classify_blocks`` returns one ``Label`` per block; kinds in ``BODY_KINDS`` are kept.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from itertools import chain

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


def capitalised_share(text: str) -> float:
    """Share of the words whose first letter is a capital."""
    words = _WORD.findall(text)
    return sum(w[0].isupper() for w in words) / len(words) if words else 0.0


def block_shape(block: Block, settings: CleaningSettings) -> BlockShape:
    text = block.text
    n_words = len(text.split())
    ends = phrases.ends_sentence(text)
    is_prose = n_words >= settings.prose_min_words and (
        ends
        or (
            n_words >= 2 * settings.prose_min_words
            and capitalised_share(text) <= settings.prose_max_capitalised_share
        )
    )
    heading = 1 <= n_words <= settings.heading_max_words and not ends and "\t" not in text
    return BlockShape(n_words, ends, is_prose, heading, phrases.match_family(text))


# Shingle keys: a hash of four token ids (uint64 arithmetic wraps; collisions are negligible).
_SHINGLE_HASH = np.uint64(0x9E3779B97F4A7C15)
# A shingle found in more blocks than this is site phrasing ("Share this article on ..."), not
# a repeated caption or lead; it is left out so that pair counting stays linear.
MAX_REPEAT_OWNERS = 50


def _shingle_pairs(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Distinct (block, shingle key) pairs of the blocks of at least MIN_REPEAT_CHARS: the
    lower-cased ``\\w+`` 4-token shingles of each block, as sorted arrays."""
    long_enough = [i for i, t in enumerate(texts) if len(t) >= MIN_REPEAT_CHARS]
    tokens = [_WORD.findall(texts[i].lower()) for i in long_enough]
    counts = np.fromiter(map(len, tokens), dtype=np.int64, count=len(tokens))
    flat = list(chain.from_iterable(tokens))
    if len(flat) < _SHINGLE:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.uint64)
    vocab = {token: k for k, token in enumerate(dict.fromkeys(flat))}
    ids = np.fromiter(map(vocab.__getitem__, flat), dtype=np.uint64, count=len(flat))
    owner = np.repeat(np.array(long_enough, dtype=np.int64), counts)
    keys = ids[: 1 - _SHINGLE].copy()
    for k in range(1, _SHINGLE):
        keys = keys * _SHINGLE_HASH + ids[k : len(ids) - _SHINGLE + 1 + k]
    within = owner[: 1 - _SHINGLE] == owner[_SHINGLE - 1 :]  # no shingle spans two blocks
    block, keys = owner[: 1 - _SHINGLE][within], keys[within]
    order = np.lexsort((block, keys))
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
    block, keys = _shingle_pairs(texts)
    n = len(texts)
    sizes = np.bincount(block, minlength=n)
    # Groups of blocks sharing a shingle (pairs are sorted by key, then block).
    starts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
    lengths = np.diff(np.append(starts, len(keys)))
    groups = (lengths >= 2) & (lengths <= MAX_REPEAT_OWNERS)
    prose = np.fromiter((s.is_prose for s in shapes), dtype=bool, count=n)
    pair_keys: list[np.ndarray] = []
    for size in np.unique(lengths[groups]).tolist():
        members = block[starts[groups & (lengths == size)][:, None] + np.arange(size)]
        first = np.repeat(members, size, axis=1).ravel()
        second = np.tile(members, (1, size)).ravel()
        keep = (first != second) & prose[second]
        pair_keys.append(first[keep] * n + second[keep])
    if not pair_keys:
        return {}
    pairs, shared = np.unique(np.concatenate(pair_keys), return_counts=True)
    holder, container = np.divmod(pairs, n)
    words = np.fromiter((s.n_words for s in shapes), dtype=np.int64, count=n)
    share = shared / np.maximum(sizes[holder], 1)
    ok = (
        (sizes[holder] >= MIN_REPEAT_SHINGLES)
        & (share >= REPEAT_CONTAINMENT)
        & (words[container] > words[holder])
    )
    found: dict[int, tuple[int, float]] = {}
    candidates = zip(holder[ok].tolist(), container[ok].tolist(), share[ok].tolist(), strict=True)
    for i, j, sh in candidates:
        if i in skip or texts[i].casefold() == texts[j].casefold():
            continue
        if i not in found or sh > found[i][1]:
            found[i] = (j, sh)
    return found


def find_repeats(blocks: list[Block], shapes: list[BlockShape]) -> dict[int, Label]:
    """Blocks that repeat another block: captions printed twice, leads or teasers repeated."""
    labels: dict[int, Label] = {}
    seen: dict[str, list[int]] = defaultdict(list)
    texts = [b.text for b in blocks]
    for i, text in enumerate(texts):
        seen[text.casefold()].append(i)
    for indices in seen.values():
        if len(indices) < 2:
            continue
        if not shapes[indices[0]].is_prose:
            for i in indices:
                labels[i] = Label("caption", f"short block printed {len(indices)} times")
        else:
            for i in indices[1:]:
                labels[i] = Label("debris", f"repeats block {indices[0]} word for word", firm=True)
    # Near-repeats: most of a block's shingles inside one other, longer prose block.
    for i, (j, share) in sorted(_near_repeats(texts, shapes, set(labels)).items()):
        if i < j:
            labels[i] = Label("caption", f"{share:.0%} repeated in later paragraph {j}")
        else:
            labels[i] = Label("debris", f"{share:.0%} repeats earlier paragraph {j}")
    return labels


def _family_label(block: Block, shape: BlockShape) -> Label | None:
    family = shape.family
    if family is None:
        date = phrases.is_date_only(block.text)
        return Label("dateline", f"date line ({date.date.isoformat()})") if date else None
    if family.kind == "dateline" or family.reason.startswith("site tagline"):
        date = phrases.find_date(block.text)
        if date is not None:
            return Label("dateline", f"{family.reason}: {date.date.isoformat()}")
        if family.kind == "dateline":
            return None
    is_sentence = shape.ends_sentence and shape.n_words > BYLINE_SENTENCE_MIN_WORDS
    if family.kind == "byline" and family.reason.startswith("byline") and is_sentence:
        return None  # "By then, the talks had ..." opens a sentence, not a byline
    return Label(family.kind, family.reason)


def _is_end_marker(
    i: int, blocks: list[Block], labels: dict[int, Label], settings: CleaningSettings
) -> bool:
    label = labels.get(i)
    if label is None:
        return False
    if label.kind in END_MARKER_KINDS:
        return label.kind != "credit" or label.reason.startswith("translator")
    if label.kind == "byline":
        return True
    if label.kind == "related":
        text = blocks[i].text
        named = _WORD.findall(text.partition(":")[2])
        return (
            len(text.split()) <= RELATED_HEADER_MAX_WORDS
            and len(named) <= settings.related_header_max_named_words
        )
    return False


def _is_page_end(i: int, blocks: list[Block], labels: dict[int, Label]) -> bool:
    """The page's copyright line: the end of a page (its own article is above it)."""
    label = labels.get(i)
    return (
        label is not None
        and label.kind == "footer"
        and label.reason == COPYRIGHT_REASON
        and phrases.is_page_copyright(blocks[i].text)
    )


def _article_goes_on(
    i: int,
    blocks: list[Block],
    prose: list[int],
    labels: dict[int, Label],
    settings: CleaningSettings,
) -> bool:
    """Whether the prose after the marker at ``i`` continues the article before it (an in-text
    "Related" box between the lead and the rest) rather than being other text.

    The prose that follows runs up to the next marker; it continues the article when it is long
    (comments and teasers come in short pieces between markers) and on the same topic.
    """
    prose_after = set(p for p in prose if p > i)
    after: list[int] = []
    for j in range(i + 1, len(blocks)):
        if j in prose_after:
            after.append(j)
        elif after and _is_end_marker(j, blocks, labels, settings):
            break
    if sum(len(blocks[j].text.split()) for j in after) < END_MARKER_MIN_PROSE_WORDS:
        return False
    before = [blocks[p].text for p in prose if p < i]
    similarity = topic_similarity(before, [blocks[j].text for j in after])
    return similarity >= settings.end_marker_continuation_similarity


def _bio_label(
    i: int, blocks: list[Block], labels: dict[int, Label], authors_hint: set[str]
) -> Label | None:
    """An author bio late in the article, confirmed by a known author or a following marker."""
    match = phrases.looks_like_bio(blocks[i].text)
    if match is None:
        return None
    name_tokens = {t.lower() for t in match.group("name").split()}
    follows_marker = any(j in labels for j in range(i + 1, min(i + 3, len(blocks))))
    is_last = i == len(blocks) - 1
    if name_tokens & authors_hint or follows_marker or is_last:
        return Label("author_bio", "author bio: a named person and a role")
    return None


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
    # Unrelated articles appended after the page's own are looked for twice: on the rules'
    # verdict (so the model sees them, and cannot take a long appended article for the page's
    # own), and on the final verdict (paragraphs the model kept).
    labels = with_appended(blocks, rule_labels(blocks, settings), settings)
    ensemble = load_model() if model is True else (model or None)
    n_words = sum(len(b.text.split()) for b in blocks)
    # The model learnt from whole pages; short texts are the rules' alone.
    if ensemble is not None and n_words >= settings.model_min_words:
        features = block_features(blocks, [label.kind for label in labels])
        labels = with_model(blocks, labels, ensemble.predict_proba(features), settings)
    return labels


def with_model(
    blocks: list[Block], labels: list[Label], p_body: np.ndarray, settings: CleaningSettings
) -> list[Label]:
    """The rules' ``labels`` (appended articles found) after the model's say (``combine``).

    Only paragraphs the model brought back can be other articles the first appended pass did
    not see: the check runs again only then.
    """
    judged = combine(labels, p_body, settings)
    if any(new.kept and not old.kept for new, old in zip(judged, labels, strict=True)):
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
    return [found.get(i, label) for i, label in enumerate(labels)]


def combine(labels: list[Label], p_body: np.ndarray, settings: CleaningSettings) -> list[Label]:
    """Final labels: the model keeps or drops a block when it is confident enough to overrule.

    A block the rules keep is dropped below ``model_drop_below``; a block the rules drop is kept
    above ``model_keep_above``; kinds the rules found by explicit evidence (bylines, datelines,
    disclaimers, ...: ``model_protected_kinds``) stay as the rules said. Dropped blocks are named by where they stand: above the kept
    text (nav), below it (footer), or inside it (debris).
    """
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
    shapes = [block_shape(b, settings) for b in blocks]
    labels: dict[int, Label] = {}
    for i, (block, shape) in enumerate(zip(blocks, shapes, strict=True)):
        family_label = _family_label(block, shape)
        if family_label is not None:
            labels[i] = family_label
    for i, label in find_repeats(blocks, shapes).items():
        labels.setdefault(i, label)

    authors_hint = {
        token.lower()
        for i, label in labels.items()
        if label.kind == "byline"
        for token in _WORD.findall(blocks[i].text)
    } | {
        token.lower()
        for i, block in enumerate(blocks)
        if phrases.is_name(block.text)
        for token in block.text.split()
    }

    prose = [i for i, s in enumerate(shapes) if s.is_prose and i not in labels]
    if not prose:
        return _label_without_article(blocks, shapes, labels)
    total_prose = sum(shapes[i].n_words for i in prose)

    # End markers: the first marker after most of the prose ends the article; a copyright
    # notice ends the page once any article stands before it (prose after the page's own
    # footer was glued on by the scrape, however long it is).
    start = prose[0]
    end = prose[-1]
    seen_words = 0
    prose_set = set(prose)
    for i in range(start, len(blocks)):
        if i in prose_set:
            seen_words += shapes[i].n_words
        if _is_page_end(i, blocks, labels) and seen_words >= settings.appended_min_article_words:
            end = max((p for p in prose if p < i), default=start)
            break
        if seen_words < min(END_MARKER_MIN_PROSE_SHARE * total_prose, END_MARKER_MIN_PROSE_WORDS):
            continue
        bio = _bio_label(i, blocks, labels, authors_hint) if i not in labels else None
        if bio is not None:
            labels[i] = bio
        if bio is not None:
            end = max((p for p in prose if p < i), default=start)
            break
        if _is_end_marker(i, blocks, labels, settings) and not _article_goes_on(
            i, blocks, prose, labels, settings
        ):
            end = max((p for p in prose if p < i), default=start)
            break

    table_rows = _figure_table_rows(blocks, shapes, start, end, settings)
    result: list[Label] = []
    title_index = _find_title(blocks, shapes, labels, start)
    for i, (block, shape) in enumerate(zip(blocks, shapes, strict=True)):
        if i in labels:
            result.append(labels[i])
        elif i == title_index:
            result.append(Label("title", "headline: last heading-shaped line above the article"))
        elif i < start:
            result.append(_label_header(block, shape))
        elif i > end:
            result.append(_label_tail(i, block, shape, settings, labels, blocks, authors_hint))
        else:
            result.append(_label_core(i, blocks, shapes, labels, settings, table_rows))
    return result


def _find_title(
    blocks: list[Block], shapes: list[BlockShape], labels: dict[int, Label], start: int
) -> int | None:
    """The headline: the last heading-shaped block above the article with only furniture after."""
    for i in range(start - 1, -1, -1):
        if i in labels:
            if labels[i].kind in {"byline", "dateline", "caption", "credit", "debris"}:
                continue
            return None
        shape = shapes[i]
        text = blocks[i].text
        if phrases.is_name(text) or phrases.is_role(text):
            continue
        if shape.is_heading_shape and len(_WORD.findall(text)) >= 3:
            return i
        return None
    return None


def _label_header(block: Block, shape: BlockShape) -> Label:
    if phrases.is_name(block.text):
        return Label("byline", "author name above the article")
    if phrases.is_role(block.text):
        return Label("byline", "author role above the article")
    if shape.is_heading_shape:
        return Label("nav", "section label or menu item above the article")
    if phrases.is_url_only(block.text):
        return Label("debris", "bare link above the article")
    return Label("nav", "furniture above the article")


def _label_tail(
    i: int,
    block: Block,
    shape: BlockShape,
    settings: CleaningSettings,
    labels: dict[int, Label],
    blocks: list[Block],
    authors_hint: set[str],
) -> Label:
    bio = _bio_label(i, blocks, labels, authors_hint)
    if bio is not None:
        return bio
    if shape.is_prose and shape.n_words >= settings.appended_min_words:
        return Label("appended_article", "long prose after the article's end")
    if phrases.is_url_only(block.text):
        return Label("footer", "bare link after the article")
    if shape.n_words <= settings.short_block_words and not shape.ends_sentence:
        return Label("debris" if shape.n_words == 1 else "nav", "short fragment after the article")
    return Label("footer", "furniture after the article")


def _next_unlabelled(i: int, blocks: list[Block], labels: dict[int, Label]) -> int | None:
    for j in range(i + 1, len(blocks)):
        if j not in labels:
            return j
    return None


def _figure_table_rows(
    blocks: list[Block], shapes: list[BlockShape], start: int, end: int, settings: CleaningSettings
) -> set[int]:
    """Rows of tables of figures inside the article: runs of at least ``table_min_rows``
    consecutive short blocks made largely of numbers, and the header row just above each."""
    rows: set[int] = set()
    run: list[int] = []
    for i in range(start, end + 2):
        if i <= end and not shapes[i].is_prose and phrases.is_figure_row(blocks[i].text):
            run.append(i)
            continue
        if len(run) >= settings.table_min_rows:
            rows.update(run)
            above = run[0] - 1
            if above >= start and shapes[above].is_heading_shape:
                rows.add(above)
        run = []
    return rows


def _label_core(
    i: int,
    blocks: list[Block],
    shapes: list[BlockShape],
    labels: dict[int, Label],
    settings: CleaningSettings,
    table_rows: set[int],
) -> Label:
    block, shape = blocks[i], shapes[i]
    text = block.text
    if shape.is_prose:
        return Label("body", "prose inside the article")
    if "\t" in text or phrases.is_table_label(text):
        return Label("table", "table row or table label inside the article")
    if i in table_rows:
        return Label("table", "row of a table of figures inside the article")
    if phrases.is_note_label(text) and i > 0 and "\t" in blocks[i - 1].text:
        return Label("table", "note under a table")
    if phrases.is_list_item(text):
        return Label("list", "list item inside the article")
    if _QUOTE_SHAPE.match(text) and shape.n_words >= settings.short_block_words:
        return Label("quote", "quotation inside the article")
    if shape.ends_sentence and shape.n_words > settings.short_block_words:
        return Label("body", "sentence inside the article")
    following = _next_unlabelled(i, blocks, labels)
    if shape.is_heading_shape and shape.n_words > 1 and following is not None:
        nxt = shapes[following]
        if (
            nxt.is_prose
            or phrases.is_list_item(blocks[following].text)
            or nxt.ends_sentence
            or following in table_rows
        ):
            return Label("heading", "heading followed by article text")
    if shape.n_words <= settings.short_block_words:
        return Label("debris", "short fragment inside the article")
    if shape.is_heading_shape:
        return Label("debris", "heading-shaped line not followed by article text")
    return Label("body", "text inside the article")


def _label_without_article(
    blocks: list[Block], shapes: list[BlockShape], labels: dict[int, Label]
) -> list[Label]:
    """No prose at all: keep sentence-like blocks so short texts are not emptied."""
    result = []
    for i, shape in enumerate(shapes):
        if i in labels:
            result.append(labels[i])
        elif shape.ends_sentence or shape.n_words >= 8:
            result.append(Label("body", "text of a page without long prose"))
        else:
            result.append(Label("debris", "short fragment of a page without long prose"))
    return result
