"""Keyphrases of cleaned article text, from the spaCy Doc the NLP step has already parsed.

Owns candidate extraction, candidate features, scoring and selection; :mod:`flows.steps.nlp`
feeds it parsed chunks (:func:`collect_candidates` per chunk, then :func:`rank_candidates`).

Candidates (pooled over a text's chunks):

* every contiguous sub-phrase of at most ``keyphrase_max_words`` words of a noun-phrase run
  (nouns, proper nouns, adjectives and attributive participles; hyphen compounds kept whole) that
  ends in a noun, and every single word of such a run.

Lone verbs and adverbs ("strengthened", "increasingly") are not candidates although news
annotators pick some: with them the cross-validated F1@10 was 19.9 (kpcrowd-dev) and 34.4
(inspec-dev), without them 19.6 and 34.6, and the keyphrases read as topics, not word salad.

Words are keyed by lemma with a light plural strip, so case and plural variants ("API", "APIs",
"apis") are one candidate. Each candidate gets the features in :data:`FEATURE_NAMES` (counts,
positions, title, corpus IDF from ``flows/data/keyphrase_df.txt``, in-document word frequency,
part of speech, entity share, nesting) plus the document row :data:`DOC_FEATURE_NAMES` (length
and genre markers). The shipped model (``flows/models/keyphrase_model.json``, trained and
cross-validated by ``benchmarks/train_keyphrase_model.py``, evaluated with numpy) has two
gradient-boosted tree experts, one for news and one for scientific abstracts, mixed by a small
gate on the document row: one joint model scored about 1 F1@10 point lower on both genres in
cross-validation. Picking is greedy by P(keyphrase): a multi-word candidate with no mentions
outside a picked phrase is a near-duplicate and dropped; other candidates that nest in (or
contain) a pick have their score multiplied by ``keyphrase_nested_penalty``.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from spacy.attrs import POS, TAG
from spacy.strings import get_string_id
from spacy.symbols import ADJ, NOUN, NUM, PRON, PROPN, PUNCT, SPACE, SYM, VERB
from spacy.tokens import Doc, Token

from flows.config import NlpSettings
from flows.records import Keyphrase
from flows.steps.block_model import TreeEnsemble

# Leading words never part of a keyphrase: determiners and possessive pronouns (the entity rules
# in flows.steps.nlp reuse this list).
LEADING_DROP_WORDS: frozenset[str] = frozenset(
    {"the", "a", "an", "this", "that", "these", "those", "his", "her", "its", "their", "our"}
    | {"my", "your"}
)

DF_TABLE_PATH = Path(__file__).resolve().parents[1] / "data" / "keyphrase_df.txt"
MODEL_PATH = Path(__file__).resolve().parents[1] / "models" / "keyphrase_model.json"
# Part-of-speech ids (ints compare faster than the ``pos_`` strings in the hot loop).
_PHRASE_POS_IDS: frozenset[int] = frozenset({NOUN, PROPN, ADJ})
_HEAD_POS_IDS: frozenset[int] = frozenset({NOUN, PROPN})
_PROPN_ID: int = PROPN
_NOUN_ID: int = NOUN
_PRON_ID: int = PRON
_NUM_ID: int = NUM
_NON_WORD_POS_IDS: frozenset[int] = frozenset({PUNCT, SPACE, SYM})
# Penn verb tags; news narrates in the past tense (VBD), abstracts in the present.
_VERB_TAG_IDS: frozenset[int] = frozenset(
    get_string_id(tag) for tag in ("VB", "VBD", "VBG", "VBN", "VBP", "VBZ")
)
_PAST_TAG_ID: int = get_string_id("VBD")
_VERB_ID: int = VERB
_ADJ_ID: int = ADJ
# Participles used attributively ("distributed systems", "Web-based platforms").
PARTICIPLE_TAGS: frozenset[str] = frozenset({"VBN", "VBG"})
ATTRIBUTIVE_DEPS: frozenset[str] = frozenset({"amod", "compound"})
CALENDAR_ENT_TYPES: frozenset[str] = frozenset({"DATE", "TIME"})
_LETTERS = re.compile(r"[^\W\d_]+")
_WORD_TOKEN = re.compile(r"^(?=.*[^\W\d_])[^\W_]+(?:-[^\W_]+)*$")

# Columns of the candidate feature matrix, in model order (the model file repeats them).
FEATURE_NAMES: tuple[str, ...] = (
    "n_words",
    "log_count",
    "maximal_share",
    "first_position",
    "last_position",
    "spread",
    "in_title",
    "idf_mean",
    "idf_min",
    "idf_max",
    "idf_first",
    "idf_head",
    "head_share",
    "first_is_adjective",
    "tfidf_relative",
    "word_tf_mean",
    "word_tf_min",
    "head_tf",
    "propn_share",
    "entity_share",
    "head_is_noun",
    "is_adjective",
    "is_acronym",
    "log_containers",
    "mean_word_chars",
    "title_word_share",
)
# Document-level columns: appended to every candidate row, and the gate's input (which expert
# the text resembles: news or scientific abstracts).
DOC_FEATURE_NAMES: tuple[str, ...] = (
    "doc_log_tokens",
    "doc_propn_share",
    "doc_past_share",
    "doc_pronoun_share",
    "doc_number_share",
    "doc_mean_idf",
    "doc_title_words",
)
ALL_FEATURE_NAMES: tuple[str, ...] = FEATURE_NAMES + DOC_FEATURE_NAMES
# Below this gate weight an expert is not run (the other decides alone): it saves a third of
# the cost on long news texts and changed cross-validated F1@10 by under 0.1 on both dev sets.
GATE_SKIP_BELOW = 0.05
# Part-of-speech kinds of a candidate's last word, stored per candidate.
_KIND_NOUN, _KIND_PROPN, _KIND_ADJ = range(3)
_NOUN_KINDS: frozenset[int] = frozenset({_KIND_NOUN, _KIND_PROPN})


@dataclass(frozen=True, slots=True)
class DocumentFrequencies:
    """Document frequencies of lowercased words over ``n_docs`` reference documents."""

    n_docs: int
    df: dict[str, int]

    def idf(self, word: str) -> float:
        return math.log((self.n_docs + 1) / (self.df.get(word, 0) + 1))


@functools.lru_cache(maxsize=2)
def load_document_frequencies(path: Path = DF_TABLE_PATH) -> DocumentFrequencies:
    """The shipped DF table (header ``# n_docs=N``, then ``word<TAB>df`` lines)."""
    n_docs = 0
    df: dict[str, int] = {}
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("#"):
                n_docs = int(line.split("=", 1)[1])
            elif line.strip():
                word, count = line.rstrip("\n").split("\t")
                df[word] = int(count)
    if n_docs <= 0:
        raise RuntimeError(f"{path} has no '# n_docs=' header; rebuild it")
    return DocumentFrequencies(n_docs, df)


class ModelMismatch(RuntimeError):
    """The shipped keyphrase model was trained on other features than this module computes."""


@dataclass(frozen=True)
class KeyphraseModel:
    """Two experts (tree ensembles, one per training genre) mixed by a gate on the document row.

    P(keyphrase) = (1 - g) * expert_0(candidate row) + g * expert_1(candidate row), where
    g = gate(document row) is P(the text resembles expert 1's genre), itself a tree ensemble.
    """

    names: tuple[str, str]
    experts: tuple[TreeEnsemble, TreeEnsemble]
    gate_model: TreeEnsemble
    meta: dict[str, Any]

    def gate(self, doc_row: np.ndarray) -> float:
        """P(the document belongs to the genre of ``experts[1]``)."""
        return float(self.gate_model.predict_proba(doc_row[None, :])[0])

    def predict_proba(self, features: np.ndarray, doc_row: np.ndarray) -> np.ndarray:
        second = self.gate(doc_row)
        first_expert, second_expert = self.experts
        # A document clearly of one genre needs only that expert (half the tree walks).
        if second < GATE_SKIP_BELOW:
            return first_expert.predict_proba(features)
        if second > 1.0 - GATE_SKIP_BELOW:
            return second_expert.predict_proba(features)
        mixed = (1.0 - second) * first_expert.predict_proba(features)
        return mixed + second * second_expert.predict_proba(features)

    def to_json(self) -> dict[str, Any]:
        return {
            "feature_names": list(ALL_FEATURE_NAMES),
            "doc_feature_names": list(DOC_FEATURE_NAMES),
            "names": list(self.names),
            "experts": [e.to_json() for e in self.experts],
            "gate": self.gate_model.to_json(),
            "meta": self.meta,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> KeyphraseModel:
        first, second = (TreeEnsemble.from_json(e) for e in data["experts"])
        first_name, second_name = data["names"]
        return cls(
            names=(first_name, second_name),
            experts=(first, second),
            gate_model=TreeEnsemble.from_json(data["gate"]),
            meta=dict(data.get("meta", {})),
        )


@functools.lru_cache(maxsize=2)
def load_keyphrase_model(path: Path = MODEL_PATH) -> KeyphraseModel:
    """The shipped keyphrase ranker (see ``benchmarks/train_keyphrase_model.py``)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if (
        tuple(data["feature_names"]) != ALL_FEATURE_NAMES
        or tuple(data["gate"]["feature_names"]) != DOC_FEATURE_NAMES
        or any(tuple(e["feature_names"]) != ALL_FEATURE_NAMES for e in data["experts"])
    ):
        raise ModelMismatch(
            f"{path} was trained on other features; rebuild it with "
            "benchmarks/train_keyphrase_model.py"
        )
    return KeyphraseModel.from_json(data)


@dataclass(slots=True)
class _Candidate:
    surface: str
    words: tuple[str, ...]
    kind: int
    idfs: tuple[float, float, float, float, float]  # mean, min, max, first word, last word
    first_is_adjective: bool
    propn_share: float
    entity_share: float
    is_acronym: bool
    mean_word_chars: float
    first: float
    last: float = 0.0
    count: int = 0
    maximal: int = 0
    heads: int = 0  # occurrences that end where the noun phrase ends
    in_title: bool = False


@dataclass(slots=True)
class CandidateTable:
    """Keyphrase candidates of one text and the word statistics behind their features."""

    by_key: dict[tuple[str, ...], _Candidate] = field(default_factory=dict)
    # Occurrences of every candidate word.
    word_counts: dict[str, int] = field(default_factory=dict)
    n_words: int = 0
    title_words: int = 0
    # Token counts by coarse and fine part of speech, for the document-level features.
    pos_counts: dict[int, int] = field(default_factory=dict)
    tag_counts: dict[int, int] = field(default_factory=dict)
    title_done: bool = False
    title_keys: set[str] = field(default_factory=set)


def _light_stem(word: str) -> str:
    """Plural-insensitive key for words the lemmatizer leaves alone ("Haskells", "APIs")."""
    if len(word) > 3 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _is_phrase_token(token: Token) -> bool:
    """A word that may sit in a keyphrase (cheapest, most selective tests first)."""
    pos = token.pos
    if pos in _PHRASE_POS_IDS:
        # Weekday and month names ("Monday", "March") date a story; they are not its topic.
        if pos == _PROPN_ID and token.ent_type_ in CALENDAR_ENT_TYPES:
            return False
    elif not (
        pos == _VERB_ID
        and token.tag_ in PARTICIPLE_TAGS
        and token.dep_ in ATTRIBUTIVE_DEPS
        and token.head.i > token.i
    ):
        return False
    return _is_content_word(token)


def _is_content_word(token: Token) -> bool:
    # Stop words are never keys, except acronyms that spell one ("US", "IT").
    if token.is_stop and not (token.is_upper and len(token.text) > 1):
        return False
    if token.lower_ in LEADING_DROP_WORDS:
        return False
    # Words and codes ("COVID-19"), not numbers or abbreviations with dots ("Mr.", "U.S.").
    return not token.like_num and _WORD_TOKEN.match(token.text) is not None


def _phrase_units(doc: Doc) -> Iterable[list[list[Token]]]:
    """Runs of words per sentence, each word a list of hyphen-joined tokens.

    Yields the noun-phrase runs in text order. Works on a plain token list with sentence starts, not
    ``doc.sents``: this loop is much of the keyphrase budget.
    """
    tokens = list(doc)
    usable = [_is_phrase_token(t) for t in tokens]
    run: list[list[Token]] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if run and token.is_sent_start:
            yield run
            run = []
        if usable[i]:
            unit = [token]
            # Glue "high" "-" "performance" into one word when the hyphen has no spaces.
            while (
                i + 2 < len(tokens)
                and usable[i + 2]
                and tokens[i + 1].text == "-"
                and not tokens[i].whitespace_
                and not tokens[i + 1].whitespace_
                and not tokens[i + 2].is_sent_start
            ):
                unit.append(tokens[i + 2])
                i += 2
            run.append(unit)
        elif run:
            yield run
            run = []
        i += 1
    if run:
        yield run


def _unit_surface(unit: list[Token]) -> str:
    """A word as written, lowercased unless a proper noun, an acronym or a capitalised word of
    a named entity ("American" in "American allies")."""
    return "-".join(
        t.text
        if t.pos == _PROPN_ID or (t.is_upper and len(t.text) > 1) or (t.ent_type and t.is_title)
        else t.lower_
        for t in unit
    )


def _unit_kind(unit: list[Token]) -> int:
    pos = unit[-1].pos
    if pos == _PROPN_ID:
        return _KIND_PROPN
    if pos in _HEAD_POS_IDS:
        return _KIND_NOUN
    return _KIND_ADJ


def _title_end(doc: Doc) -> int:
    """Index of the first token after the title: the first line break or sentence end."""
    for token in doc:
        if token.i and (token.is_sent_start or "\n" in token.text):
            return token.i
    return len(doc)


def collect_candidates(
    doc: Doc,
    offset: int,
    text_length: int,
    max_words: int,
    dfs: DocumentFrequencies,
    table: CandidateTable,
) -> None:
    """Add the candidates of ``doc`` (a chunk at ``offset`` of a text) to ``table``."""
    length = max(text_length, 1)
    title_end = -1
    if not table.title_done:
        # The first chunk holds the title (a headline, or a paper's title line).
        title_end = _title_end(doc)
        table.title_done = True
    word_counts = table.word_counts
    by_key = table.by_key
    for counts, attr in ((table.pos_counts, POS), (table.tag_counts, TAG)):
        for kind, n in doc.count_by(attr).items():
            counts[kind] = counts.get(kind, 0) + n
    for run in _phrase_units(doc):
        keys = [_light_stem("-".join(t.lemma_.lower() for t in u)) for u in run]
        for key in keys:
            word_counts[key] = word_counts.get(key, 0) + 1
        table.n_words += len(keys)
        in_title = run[0][0].i < title_end
        if in_title:
            table.title_words += len(run)
            table.title_keys.update(keys)
        words = [_word(u, k, dfs) for u, k in zip(run, keys, strict=True)]
        # The noun-final part of a run, at most max_words long, is its maximal phrase.
        end = len(words)
        while end and words[end - 1].kind not in _NOUN_KINDS:
            end -= 1
        maximal_start = max(0, end - max_words)
        for j in range(1, len(words) + 1):
            head_final = words[j - 1].kind in _NOUN_KINDS
            for i in range(max(0, j - max_words), j) if head_final else (j - 1,):
                key = tuple(keys[i:j])
                position = (offset + words[i].start) / length
                candidate = by_key.get(key)
                if candidate is None:
                    candidate = by_key[key] = _new_candidate(words[i:j], key, position)
                elif candidate.surface.isupper():
                    # Prefer running-text case over a shouted heading ("TRUST" -> "trust").
                    surface = " ".join(w.surface for w in words[i:j])
                    if not surface.isupper():
                        candidate.surface = surface
                candidate.count += 1
                candidate.last = position
                if in_title:
                    candidate.in_title = True
                if j == end:
                    candidate.heads += 1
                    if i == maximal_start:
                        candidate.maximal += 1


@dataclass(frozen=True, slots=True)
class _Word:
    """What candidates need of one word (a unit of hyphen-joined tokens), computed once."""

    key: str
    surface: str
    kind: int
    idfs: tuple[float, ...]  # of its letter runs ("high-performance": two)
    entity_tokens: int
    n_tokens: int
    chars: int
    start: int  # character offset in its chunk


def _word(unit: list[Token], key: str, dfs: DocumentFrequencies) -> _Word:
    return _Word(
        key=key,
        surface=_unit_surface(unit),
        kind=_unit_kind(unit),
        idfs=tuple(dfs.idf(part) for t in unit for part in _LETTERS.findall(t.lower_)) or (0.0,),
        entity_tokens=sum(t.ent_type != 0 for t in unit),
        n_tokens=len(unit),
        chars=sum(len(t.text) for t in unit),
        start=unit[0].idx,
    )


def _new_candidate(words: list[_Word], key: tuple[str, ...], position: float) -> _Candidate:
    idfs = [x for w in words for x in w.idfs]
    surface = " ".join(w.surface for w in words)
    first, head = words[0], words[-1]
    return _Candidate(
        surface=surface,
        words=key,
        kind=head.kind,
        idfs=(
            sum(idfs) / len(idfs),
            min(idfs),
            max(idfs),
            sum(first.idfs) / len(first.idfs),
            sum(head.idfs) / len(head.idfs),
        ),
        first_is_adjective=first.kind not in _NOUN_KINDS,
        propn_share=sum(w.kind == _KIND_PROPN for w in words) / len(words),
        entity_share=sum(w.entity_tokens for w in words) / sum(w.n_tokens for w in words),
        is_acronym=len(words) == 1 and surface.isupper() and len(surface) > 1,
        mean_word_chars=sum(w.chars for w in words) / len(words),
        first=position,
        last=position,
    )


def document_features(table: CandidateTable, dfs: DocumentFrequencies) -> np.ndarray:
    """The text's :data:`DOC_FEATURE_NAMES` row: its length and genre markers."""
    pos, tags = table.pos_counts, table.tag_counts
    tokens = sum(pos.values()) - sum(pos.get(k, 0) for k in _NON_WORD_POS_IDS)
    n_tokens = max(tokens, 1)
    nouns = pos.get(_NOUN_ID, 0) + pos.get(_PROPN_ID, 0)
    verbs = sum(tags.get(k, 0) for k in _VERB_TAG_IDS)
    idfs = [dfs.idf(w) for w in table.word_counts]
    return np.array(
        (
            math.log1p(tokens),
            pos.get(_PROPN_ID, 0) / max(nouns, 1),
            tags.get(_PAST_TAG_ID, 0) / max(verbs, 1),
            pos.get(_PRON_ID, 0) / n_tokens,
            pos.get(_NUM_ID, 0) / n_tokens,
            sum(idfs) / len(idfs) if idfs else 0.0,
            float(table.title_words),
        )
    )


def candidate_features(
    table: CandidateTable, dfs: DocumentFrequencies | None = None
) -> tuple[list[_Candidate], np.ndarray, np.ndarray]:
    """The candidates of ``table``, their rows (columns in :data:`ALL_FEATURE_NAMES`) and the
    document row (:data:`DOC_FEATURE_NAMES`)."""
    candidates = list(table.by_key.values())
    doc_row = document_features(table, dfs or load_document_frequencies())
    features = np.zeros((len(candidates), len(ALL_FEATURE_NAMES)))
    if not candidates:
        return candidates, features, doc_row
    counts = table.word_counts
    # How many longer candidates contain each candidate's words in order.
    containers: dict[tuple[str, ...], int] = {}
    for key in table.by_key:
        for size in range(1, len(key)):
            for start in range(len(key) - size + 1):
                sub = key[start : start + size]
                containers[sub] = containers.get(sub, 0) + 1
    n_own = len(FEATURE_NAMES)
    for row, c in enumerate(candidates):
        word_tfs = [math.log1p(counts[w]) for w in c.words]
        features[row, :n_own] = (
            len(c.words),
            math.log1p(c.count),
            c.maximal / c.count,
            c.first,
            c.last,
            c.last - c.first,
            c.in_title,
            *c.idfs,
            c.heads / c.count,
            c.first_is_adjective,
            math.log1p(c.count) * c.idfs[0],  # made relative below
            sum(word_tfs) / len(word_tfs),
            min(word_tfs),
            word_tfs[-1],
            c.propn_share,
            c.entity_share,
            c.kind in (_KIND_NOUN, _KIND_PROPN),
            c.kind == _KIND_ADJ,
            c.is_acronym,
            math.log1p(containers.get(c.words, 0)),
            c.mean_word_chars,
            sum(w in table.title_keys for w in c.words) / len(c.words),
        )
    features[:, n_own:] = doc_row
    # Scores relative to the document's best: comparable across short and long texts.
    column = FEATURE_NAMES.index("tfidf_relative")
    top = features[:, column].max()
    if top > 0:
        features[:, column] /= top
    return candidates, features, doc_row


def _contains(longer: tuple[str, ...], shorter: tuple[str, ...]) -> bool:
    """Whether ``shorter`` is a contiguous part of ``longer``."""
    n = len(shorter)
    return any(longer[i : i + n] == shorter for i in range(len(longer) - n + 1))


def _same_mentions(a: _Candidate, b: _Candidate) -> bool:
    """A phrase of several words nests in the other and never occurs outside it ("money
    managers" when every mention is "independent money managers"): a near-duplicate.

    Single words stay candidates beside their phrases ("Biden", "Joe Biden"): news annotators
    pick both, and dropping them cost F1 on kpcrowd-dev.
    """
    shorter, longer = (a, b) if len(a.words) < len(b.words) else (b, a)
    return (
        len(shorter.words) > 1
        and shorter.count <= longer.count
        and _contains(longer.words, shorter.words)
    )


def select(
    candidates: list[_Candidate], scores: np.ndarray, top_k: int, nested_penalty: float
) -> list[tuple[_Candidate, float]]:
    """Greedy pick by score, without near-duplicates.

    Case and plural variants share a key already. A candidate that nests in (or contains) a
    pick is dropped when it is a near-duplicate (:func:`_same_mentions`), else its score is
    multiplied by ``nested_penalty``.
    """
    pool_size = min(len(candidates), top_k * POOL_PER_KEYPHRASE)
    order = np.argsort(-scores, kind="stable")[:pool_size]
    pool = {int(i): float(scores[i]) for i in order}
    word_sets = {i: frozenset(candidates[i].words) for i in pool}
    picked: list[tuple[_Candidate, float]] = []
    # Two keys can share a surface when the lemmatizer varies with context ("data").
    surfaces: set[str] = set()
    while pool and len(picked) < top_k:
        best = max(pool, key=lambda i: (pool[i], -i))
        best_score = pool.pop(best)
        if best_score <= 0.0:
            break
        chosen = candidates[best]
        if chosen.surface.casefold() in surfaces:
            continue
        surfaces.add(chosen.surface.casefold())
        picked.append((chosen, best_score))
        words = word_sets[best]
        for i in list(pool):
            if word_sets[i] <= words or words <= word_sets[i]:
                if _same_mentions(candidates[i], chosen):
                    del pool[i]
                else:
                    pool[i] *= nested_penalty
    return picked


# Greedy selection looks at this many best candidates per requested keyphrase.
POOL_PER_KEYPHRASE = 4


def rank_candidates(table: CandidateTable, top_k: int, settings: NlpSettings) -> list[Keyphrase]:
    """The ``top_k`` most probable keyphrases, greedily, with nested candidates penalised."""
    candidates, features, doc_row = candidate_features(table)
    if not candidates:
        return []
    scores = load_keyphrase_model().predict_proba(features, doc_row)
    picked = select(candidates, scores, top_k, settings.keyphrase_nested_penalty)
    if not picked:
        return []
    top = picked[0][1]
    return [
        Keyphrase(phrase=c.surface, score=round(s / top, 6), rank=rank)
        for rank, (c, s) in enumerate(picked, start=1)
    ]


def table_from_doc(doc: Doc, max_words: int) -> CandidateTable:
    """The candidate table of one parsed Doc (whose text is the whole document)."""
    table = CandidateTable()
    # The text's length without ``doc.text``, which rebuilds the string token by token.
    length = doc[-1].idx + len(doc[-1].text_with_ws) if len(doc) else 0
    collect_candidates(doc, 0, length, max_words, load_document_frequencies(), table)
    return table


def keyphrases_from_doc(
    doc: Doc, top_k: int, max_words: int, settings: NlpSettings | None = None
) -> list[Keyphrase]:
    """Keyphrases of an already parsed Doc: the keyphrase part of :func:`analyse_batch` alone."""
    settings = settings or NlpSettings()
    return rank_candidates(table_from_doc(doc, max_words), top_k, settings)
