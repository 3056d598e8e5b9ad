"""Corpus-level entity canonicalisation and the ``entity_index`` table's rows.

Owns the merging of one entity's names *across* documents. Per document,
:mod:`flows.steps.canonical` has already given every mention a canonical name (acronyms defined
in that text, short person names, case variants, the gazetteer). Here the canonical names of all
documents are grouped once more, with evidence from the whole corpus:

1. same name: canonical names with the same :func:`~flows.steps.canonical.alias_key` and label
   ("U.S.-based" spelling, dots, hyphens, British/American spelling); places (GPE/LOC/FAC) of
   the same key are one place whatever spaCy's label;
2. acronyms defined elsewhere: a short form that some document defines ("Self-Defense Forces
   (SDF)") means the same long form in documents that use it bare; the most frequent definition
   wins;
3. strict initialisms: a short form no document defines joins the one long name of its label
   whose word initials spell it exactly ("NSS" -> "National Security Strategy"), only when that
   long name is unique in the corpus;
4. person name order: "Abe Shinzo" and "Shinzo Abe" (the same words) are one person; a
   one-word person name joins the one multi-word person of the corpus it starts or ends, if
   there is exactly one ("Kishi" -> "Nobuo Kishi");
5. islands: "Xs" and "X" join "X Islands" (place labels).

A group's canonical name is, in order of preference, the gazetteer's name, a name that is not an
acronym, a multi-word name, the most mentioned, then the alphabetically first. Its label is the
majority label of its mentions. Mentions are rewritten with the group's canonical name and label,
so ``entities`` joins ``entity_index`` on ``(canonical, label)``, which is unique.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from flows.records import Entity
from flows.steps import canonical
from flows.steps.canonical import load_gazetteer, looks_like_acronym

PERSON_LABEL = "PERSON"
PLACE_LABELS: frozenset[str] = frozenset({"GPE", "LOC", "FAC"})
# Label used for the place family when grouping (its members keep votes for their own labels).
PLACE_FAMILY = "PLACE"
# Words skipped when spelling an initialism from a long name ("Ministry of Defense" -> "MD").
INITIALISM_SKIP_WORDS: frozenset[str] = frozenset({"of", "and", "for", "the", "on", "in", "&"})
ISLANDS_SUFFIX = " islands"
_WORD = re.compile(r"[^\W_][\w'’-]*")

Node = tuple[str, str]  # (canonical name, label) as produced per document

# A corpus repeats the same names and surface texts many times: compute each once per process.
alias_key = functools.lru_cache(maxsize=1 << 16)(canonical.alias_key)
normalise_surface = functools.lru_cache(maxsize=1 << 16)(canonical.normalise_surface)


@dataclass(frozen=True, slots=True)
class IndexEntry:
    """One row of ``entity_index``: an entity of the corpus and how it is mentioned."""

    canonical: str
    label: str
    aliases: tuple[str, ...]
    n_documents: int
    n_mentions: int


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[Node, Node] = {}

    def find(self, node: Node) -> Node:
        parent = self.parent.setdefault(node, node)
        if parent != node:
            parent = self.parent[node] = self.find(parent)
        return parent

    def union(self, a: Node, b: Node) -> None:
        root_a, root_b = self.find(a), self.find(b)
        if root_a != root_b:
            # Deterministic root: the smaller node, whatever the call order.
            low, high = sorted((root_a, root_b))
            self.parent[high] = low


def _family(label: str) -> str:
    return PLACE_FAMILY if label in PLACE_LABELS else label


def _letters(acronym: str) -> str:
    return "".join(c for c in acronym if c.isalnum()).upper()


def _initials(name: str) -> str:
    words = [w for w in _WORD.findall(name) if w.casefold() not in INITIALISM_SKIP_WORDS]
    # Hyphenated words give one initial per part ("Self-Defense" -> "SD").
    parts = [p for w in words for p in re.split(r"[-‐–]", w) if p]
    return "".join(p[0] for p in parts).upper()


@functools.lru_cache(maxsize=1 << 16)
def _is_acronym(name: str) -> bool:
    return looks_like_acronym(name) and " " not in name


def _group_nodes(documents: Sequence[Sequence[Entity]]) -> tuple[_UnionFind, Counter[Node]]:
    """Union-find over the per-document (canonical, label) nodes, by the module's five rules."""
    mentions: Counter[Node] = Counter((e.canonical, e.label) for doc in documents for e in doc)
    groups = _UnionFind()
    by_key: dict[tuple[str, str], Node] = {}
    for node in sorted(mentions):
        name, label = node
        groups.find(node)
        key = (alias_key(name), _family(label))
        if key in by_key:
            groups.union(node, by_key[key])
        else:
            by_key[key] = node

    # Rule 2: acronym definitions from any document (a mention whose text is an acronym but
    # whose per-document canonical is a longer name was defined in its document).
    definitions: dict[tuple[str, str], Counter[Node]] = defaultdict(Counter)
    for doc in documents:
        for e in doc:
            text = normalise_surface(e.text)
            if _is_acronym(text) and alias_key(e.canonical) != alias_key(text):
                definitions[(_letters(text), _family(e.label))][(e.canonical, e.label)] += 1
    defined: set[tuple[str, str]] = set()
    for node in sorted(mentions):
        name, label = node
        if not _is_acronym(name):
            continue
        key = (_letters(name), _family(label))
        long_forms = definitions.get(key)
        if long_forms:
            defined.add(key)
            best = max(long_forms, key=lambda n: (long_forms[n], n))
            groups.union(node, best)

    # Rule 3: strict initialisms with exactly one long name in the corpus.
    long_by_initials: dict[tuple[str, str], set[Node]] = defaultdict(set)
    for node in mentions:
        name, label = node
        if len(_WORD.findall(name)) > 1:
            long_by_initials[(_initials(name), _family(label))].add(node)
    for node in sorted(mentions):
        name, label = node
        key = (_letters(name), _family(label))
        if not _is_acronym(name) or key in defined:
            continue
        candidates = {groups.find(n) for n in long_by_initials.get(key, ())}
        if len(candidates) == 1:
            groups.union(node, next(iter(candidates)))

    # Rule 4: person names, by word order and then by single first or last names.
    persons = sorted(n for n in mentions if n[1] == PERSON_LABEL)
    by_words: dict[tuple[str, ...], Node] = {}
    for node in persons:
        words = tuple(sorted(alias_key(node[0]).split()))
        if len(words) > 1:
            if words in by_words:
                groups.union(node, by_words[words])
            else:
                by_words[words] = node
    ends: dict[str, set[Node]] = defaultdict(set)
    for node in persons:
        words = alias_key(node[0]).split()
        if len(words) > 1:
            ends[words[0]].add(node)
            ends[words[-1]].add(node)
    for node in persons:
        words = alias_key(node[0]).split()
        if len(words) == 1:
            candidates = {groups.find(n) for n in ends.get(words[0], ())}
            if len(candidates) == 1:
                groups.union(node, next(iter(candidates)))

    # Rule 5: "Xs" and "X" join "X Islands".
    places = {alias_key(n[0]): n for n in sorted(mentions) if n[1] in PLACE_LABELS}
    for key, node in places.items():
        if key.endswith(ISLANDS_SUFFIX):
            stem = key[: -len(ISLANDS_SUFFIX)]
            for variant in (stem, stem + "s"):
                if variant in places:
                    groups.union(places[variant], node)
    return groups, mentions


def _preferred_name(
    members: Sequence[Node], mentions: Counter[Node], gazetteer_names: set[str]
) -> str:
    counts: Counter[str] = Counter()
    for node in members:
        counts[node[0]] += mentions[node]
    return min(
        counts,
        key=lambda n: (
            n not in gazetteer_names,
            _is_acronym(n),
            len(n.split()) < 2,
            -counts[n],
            n,
        ),
    )


def index_corpus(
    documents: Sequence[Sequence[Entity]],
) -> tuple[list[list[Entity]], list[IndexEntry]]:
    """Entities of every document with corpus-level canonical names and labels, and the index.

    ``documents`` holds each document's entities as :func:`flows.steps.canonical.canonicalise`
    left them. Index rows are sorted by mentions (most first), then canonical name and label.
    """
    groups, mentions = _group_nodes(documents)
    gazetteer_names = {entry.canonical for entry in load_gazetteer().values()}
    members: dict[Node, list[Node]] = defaultdict(list)
    for node in mentions:
        members[groups.find(node)].append(node)
    resolved: dict[Node, Node] = {}
    for nodes in members.values():
        name = _preferred_name(nodes, mentions, gazetteer_names)
        votes: Counter[str] = Counter()
        for node in nodes:
            votes[node[1]] += mentions[node]
        label = min(votes, key=lambda lab: (-votes[lab], lab))
        for node in nodes:
            resolved[node] = (name, label)

    out: list[list[Entity]] = []
    aliases: dict[Node, Counter[str]] = defaultdict(Counter)
    doc_counts: Counter[Node] = Counter()
    for doc in documents:
        rewritten: list[Entity] = []
        seen: set[Node] = set()
        for e in doc:
            name, label = resolved[(e.canonical, e.label)]
            if (name, label) != (e.canonical, e.label):
                e = dataclasses.replace(e, canonical=name, label=label)
            rewritten.append(e)
            aliases[(name, label)][normalise_surface(e.text) or e.text] += 1
            seen.add((name, label))
        doc_counts.update(seen)
        out.append(rewritten)
    entries = [
        IndexEntry(
            canonical=name,
            label=label,
            aliases=tuple(sorted(counts, key=lambda a: (-counts[a], a))),
            n_documents=doc_counts[(name, label)],
            n_mentions=sum(counts.values()),
        )
        for (name, label), counts in aliases.items()
    ]
    entries.sort(key=lambda r: (-r.n_mentions, r.canonical, r.label))
    return out, entries
