"""Keyphrases of cleaned article text, from the spaCy Doc the NLP step has already parsed.

Owns candidate extraction, scoring and selection; :mod:`flows.steps.nlp` feeds it parsed chunks.
Candidates are maximal head-final noun phrases (nouns, proper nouns, adjectives and attributive
participles, hyphen compounds kept whole), at most ``keyphrase_max_words`` words. A candidate's
score is::

    count * mean_idf(words) * n_words ** keyphrase_length_exponent / (1 + first_position)

with ``first_position`` the relative offset (0..1) of its first occurrence and IDF from the
shipped table ``flows/data/keyphrase_df.txt`` (built by ``benchmarks/build_keyphrase_idf.py``).
Candidates with the same light stems are one candidate; picking is greedy, and a candidate that
nests in (or contains) an already picked one has its score multiplied by ``keyphrase_nested_penalty``.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from spacy.symbols import ADJ, NOUN, PROPN, VERB
from spacy.tokens import Doc, Token

from flows.config import NlpSettings
from flows.records import Keyphrase

# Leading words never part of a keyphrase: determiners and possessive pronouns (the entity rules
# in flows.steps.nlp reuse this list).
LEADING_DROP_WORDS: frozenset[str] = frozenset(
    {"the", "a", "an", "this", "that", "these", "those", "his", "her", "its", "their", "our"}
    | {"my", "your"}
)

# ---------------------------------------------------------------------------------------------
# Keyphrases
# ---------------------------------------------------------------------------------------------

# Hyperparameters of the keyphrase score (see the module docstring). Chosen on the dev sets as a
# compromise between news (short keys) and abstracts (longer keys); see benchmarks/extraction.py.
# They live in NlpSettings: keyphrase_length_exponent and keyphrase_nested_penalty.
# Greedy selection looks at this many best candidates per requested keyphrase.
POOL_PER_KEYPHRASE = 4
DF_TABLE_PATH = Path(__file__).resolve().parents[1] / "data" / "keyphrase_df.txt"
# Part-of-speech ids (ints compare faster than the ``pos_`` strings in the hot loop).
_PHRASE_POS_IDS: frozenset[int] = frozenset({NOUN, PROPN, ADJ})
_HEAD_POS_IDS: frozenset[int] = frozenset({NOUN, PROPN})
_PROPN_ID: int = PROPN
_VERB_ID: int = VERB
# Participles used attributively ("distributed systems", "Web-based platforms").
PARTICIPLE_TAGS: frozenset[str] = frozenset({"VBN", "VBG"})
ATTRIBUTIVE_DEPS: frozenset[str] = frozenset({"amod", "compound"})
CALENDAR_ENT_TYPES: frozenset[str] = frozenset({"DATE", "TIME"})
_LETTERS = re.compile(r"[^\W\d_]+")
_WORD_TOKEN = re.compile(r"^(?=.*[^\W\d_])[^\W_]+(?:-[^\W_]+)*$")


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


@dataclass(slots=True)
class _Candidate:
    surface: str
    words: frozenset[str]
    n_words: int
    idf: float
    count: int = 0


@dataclass(slots=True)
class CandidateTable:
    """Keyphrase candidates of one text, accumulated over its chunks."""

    by_key: dict[tuple[str, ...], _Candidate] = field(default_factory=dict)
    # Relative position (0..1) of the first occurrence of every head-final (sub-)phrase.
    first_seen: dict[tuple[str, ...], float] = field(default_factory=dict)


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
    # Stop words break phrases, except acronyms that spell one ("US", "IT"); determiners always do.
    if token.is_stop and not (token.is_upper and len(token.text) > 1):
        return False
    if token.lower_ in LEADING_DROP_WORDS:
        return False
    # Words and codes ("COVID-19"), not numbers or abbreviations with dots ("Mr.", "U.S.").
    return not token.like_num and _WORD_TOKEN.match(token.text) is not None


def _phrase_units(doc: Doc) -> Iterable[list[list[Token]]]:
    """Runs of phrase words per sentence; each word is a list of hyphen-joined tokens.

    Works on a plain token list with sentence starts, not ``doc.sents``: this loop is most of
    the keyphrase budget.
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
    """A word as written, lowercased unless a proper noun or an acronym."""
    return "-".join(
        t.text if t.pos_ == "PROPN" or (t.is_upper and len(t.text) > 1) else t.lower_ for t in unit
    )


def collect_candidates(
    doc: Doc,
    offset: int,
    text_length: int,
    max_words: int,
    dfs: DocumentFrequencies,
    table: CandidateTable,
) -> None:
    """Add the maximal head-final noun phrases of ``doc`` (a chunk at ``offset``) to ``table``.

    Also records where every head-final sub-phrase is first seen, so that "Lopilato" counts as
    mentioned where "Luisana Lopilato" first is.
    """
    length = max(text_length, 1)
    for run in _phrase_units(doc):
        # Phrases end in a noun: drop trailing adjectives and participles.
        while run and run[-1][-1].pos not in _HEAD_POS_IDS:
            run.pop()
        if not run:
            continue
        keys = [_light_stem("-".join(t.lemma_.lower() for t in u)) for u in run]
        for j in range(1, len(run) + 1):
            if run[j - 1][-1].pos in _HEAD_POS_IDS:
                for i in range(max(0, j - max_words), j):
                    position = (offset + run[i][0].idx) / length
                    table.first_seen.setdefault(tuple(keys[i:j]), position)
        # A run longer than the budget keeps its head-final last words.
        units = run[-max_words:]
        key = tuple(keys[-max_words:])
        candidate = table.by_key.get(key)
        if candidate is None:
            tokens = [t for u in units for t in u]
            idfs = [dfs.idf(part) for t in tokens for part in _LETTERS.findall(t.lower_)]
            candidate = _Candidate(
                surface=" ".join(_unit_surface(u) for u in units),
                words=frozenset(key),
                n_words=len(units),
                idf=sum(idfs) / len(idfs) if idfs else 0.0,
            )
            table.by_key[key] = candidate
        elif candidate.surface.isupper():
            # Prefer running-text case over a shouted heading ("TRUST" -> "trust").
            surface = " ".join(_unit_surface(u) for u in units)
            if not surface.isupper():
                candidate.surface = surface
        candidate.count += 1


def rank_candidates(table: CandidateTable, top_k: int, settings: NlpSettings) -> list[Keyphrase]:
    """The ``top_k`` best candidates, greedily, with nested candidates penalised."""
    exponent = settings.keyphrase_length_exponent
    scores = {
        key: c.count * c.idf * c.n_words**exponent / (1.0 + table.first_seen[key])
        for key, c in table.by_key.items()
    }
    pool = dict(
        sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[: top_k * POOL_PER_KEYPHRASE]
    )
    picked: list[tuple[_Candidate, float]] = []
    # Two keys can share a surface when the lemmatizer varies with context ("data").
    surfaces: set[str] = set()
    while pool and len(picked) < top_k:
        best = max(pool, key=lambda k: (pool[k], k))
        best_score = pool.pop(best)
        if best_score <= 0.0:
            break
        chosen = table.by_key[best]
        if chosen.surface.casefold() in surfaces:
            continue
        surfaces.add(chosen.surface.casefold())
        picked.append((chosen, best_score))
        for key in pool:
            words = table.by_key[key].words
            if words <= chosen.words or chosen.words <= words:
                pool[key] *= settings.keyphrase_nested_penalty
    if not picked:
        return []
    top = picked[0][1]
    return [
        Keyphrase(phrase=c.surface, score=round(s / top, 6), rank=rank)
        for rank, (c, s) in enumerate(picked, start=1)
    ]


def keyphrases_from_doc(
    doc: Doc, top_k: int, max_words: int, settings: NlpSettings | None = None
) -> list[Keyphrase]:
    """Keyphrases of an already parsed Doc: the keyphrase part of :func:`analyse_batch` alone."""
    table = CandidateTable()
    # The text's length without ``doc.text``, which rebuilds the string token by token.
    length = doc[-1].idx + len(doc[-1].text_with_ws) if len(doc) else 0
    collect_candidates(doc, 0, length, max_words, load_document_frequencies(), table)
    return rank_candidates(table, top_k, settings or NlpSettings())
