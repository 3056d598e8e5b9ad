"""Entity canonicalisation: one stable name for every variant of an entity within a document.

Owns the ``canonical`` field of :class:`flows.records.Entity`. Rules, applied per document:

1. surface normalisation: NFKC, curly quotes and dashes to ASCII, whitespace collapsed, a leading
   "the" and a trailing possessive ("'s", "'") removed;
2. acronyms defined by the text, ``Long Name (LN)`` or ``LN (Long Name)``, map the short form to
   the long one wherever the short form occurs in the document;
3. an elliptical conjunct takes the name it abbreviates ("East" in "East and South China Sea"
   is "East China Sea"), and a one-word name that is the head of exactly one longer name of
   its label is that name ("the Strait" after "Taiwan Strait");
4. a PERSON mention that is the first or last name(s) of exactly one longer PERSON mention in the
   same document takes that longer name ("Biden" -> "Joe Biden"); ambiguous short names
   ("Clinton" with both "Bill Clinton" and "Hillary Clinton") keep their own name;
5. case variants of one name share one spelling: not a shouted headline form ("JOE BIDEN")
   when another exists, else the most frequent ("NATO" over a single "Nato");
6. a name found in the shipped gazetteer ``flows/data/entity_aliases.json`` (well-known
   countries, organisations and places with several names: "U.S.", "USA", "America") takes the
   gazetteer's canonical name and label. Names are compared by :func:`alias_key`, which ignores
   case, dots, hyphens and British/American spelling.

Merging across documents (acronyms defined elsewhere, name-order variants) is corpus-level work:
see :mod:`flows.steps.entity_index`.

Example::

    >>> canonical_names("Joe Biden spoke. Biden left.",
    ...                 [(0, 9, "Joe Biden", "PERSON"), (17, 22, "Biden", "PERSON")])
    ['Joe Biden', 'Joe Biden']
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import json
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from flows.records import Entity

# Typographic characters folded to ASCII so that variants compare equal.
_CHAR_FOLD = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2212": "-",
        "\u00a0": " ",
    }
)
_SPACES = re.compile(r"\s+")
_LEADING_THE = re.compile(r"^the\s+", re.IGNORECASE)
_POSSESSIVE = re.compile(r"(?:'s|')$")
# Characters that never start or end a name.
_EDGE_CHARS = "\"'`,;:!?()[]{}<>-/\\|*#"
# Text allowed between a long form and its parenthesised short form, and after the short form.
_OPEN_PAREN = re.compile(r"\s*[(\[]\s*$")
_CLOSE_PAREN = re.compile(r"^\s*[)\]]")
# "the " right before a mention (searched with endpos = the mention's start).
_DEFINITE_BEFORE = re.compile(r"\b[Tt]he\s+$")
# Labels whose one-word mentions are never a shortened longer name of the document.
HEAD_NAME_EXCLUDED_LABELS: frozenset[str] = frozenset({"PERSON", "NORP"})
# Modifiers that coordinate elliptically in place and organisation names ("North and South
# Korea", "Upper and Lower House"): the left conjunct lacks the shared head.
ELLIPTICAL_MODIFIERS: frozenset[str] = frozenset(
    {"North", "South", "East", "West", "Northern", "Southern", "Eastern", "Western", "Central"}
    | {"Northeast", "Northwest", "Southeast", "Southwest", "Upper", "Lower", "Inner", "Outer"}
)
# Text between two conjoined names: "East and South China Sea", "North or South Korea".
_CONJUNCTION_GAP = re.compile(r"\s+(?:and|or|&)\s+")

# Acronym shape: 2..10 characters, starts with a capital, at least two capitals, no spaces
# ("NATO", "PvdA", "U.S.", "PML-N").
ACRONYM_MIN_CAPITALS = 2
ACRONYM_MAX_CHARS = 10
_ACRONYM = re.compile(r"^[A-Z][A-Za-z0-9&.\-]{1,9}$")
# At least this share of an acronym's capitals must be initials of the long form's words.
ACRONYM_MIN_INITIAL_SHARE = 0.5

PERSON_LABEL = "PERSON"

GAZETTEER_PATH = Path(__file__).resolve().parents[1] / "data" / "entity_aliases.json"
# British spellings folded to American ones so that "Self-Defence Forces" and "Self-Defense
# Forces" compare equal; whole-word or suffix rules only, never names ("Labour" stays).
_SPELLING_FOLDS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\b(def|off|pret)ence\b"), r"\1ense"),
    (re.compile(r"isation(s?)\b"), r"ization\1"),
    (re.compile(r"\bcentre(s?)\b"), r"center\1"),
    (re.compile(r"\bprogramme(s?)\b"), r"program\1"),
)
_KEY_SEPARATORS = re.compile(r"[\s\-/]+")


def normalise_surface(text: str) -> str:
    """The comparable form of a mention: folded characters, one space, no "the", no possessive."""
    name = unicodedata.normalize("NFKC", text).translate(_CHAR_FOLD)
    # Trailing dots are kept: they belong to abbreviations ("D.C.", "Inc.").
    name = _SPACES.sub(" ", name).strip().strip(_EDGE_CHARS).strip()
    name = _POSSESSIVE.sub("", name) if len(name) > 2 else name
    return _LEADING_THE.sub("", name).strip()


def alias_key(text: str) -> str:
    """The key two spellings of one name share: "U.S." and "US"; "Self Defence Forces" and
    "Self-Defense Forces"; "the US'" and "US"."""
    key = normalise_surface(text).casefold().replace(".", "")
    for pattern, replacement in _SPELLING_FOLDS:
        key = pattern.sub(replacement, key)
    return _KEY_SEPARATORS.sub(" ", key).strip()


@dataclass(frozen=True, slots=True)
class GazetteerEntry:
    """A well-known entity: its canonical name and label."""

    canonical: str
    label: str


@functools.lru_cache(maxsize=2)
def load_gazetteer(path: Path = GAZETTEER_PATH) -> dict[str, GazetteerEntry]:
    """Alias key -> entry for every name and alias in the gazetteer file.

    Raises ValueError when two entries claim the same alias, which would make a lookup depend on
    file order.
    """
    raw = json.loads(path.read_text(encoding="utf-8"))
    by_key: dict[str, GazetteerEntry] = {}
    for item in raw["entries"]:
        entry = GazetteerEntry(item["canonical"], item["label"])
        for name in (item["canonical"], *item["aliases"]):
            key = alias_key(name)
            if by_key.get(key, entry) != entry:
                raise ValueError(f"{path}: alias {name!r} belongs to two entries")
            by_key[key] = entry
    return by_key


def looks_like_acronym(text: str) -> bool:
    """True for short capitalised tokens such as "NATO", "PvdA", "U.S."."""
    return (
        len(text) <= ACRONYM_MAX_CHARS
        and bool(_ACRONYM.match(text))
        and sum(c.isupper() for c in text) >= ACRONYM_MIN_CAPITALS
    )


def is_acronym_of(short: str, long: str) -> bool:
    """Whether ``short`` plausibly abbreviates ``long``: most of its capitals are initials.

    Word order is not required, so foreign-language acronyms of translated names still match
    ("SDI" for "Italian Democratic Socialists").
    """
    if not looks_like_acronym(short) or len(long.split()) < 2:
        return False
    capitals = [c for c in short if c.isupper()]
    initials = Counter(w[0].upper() for w in re.findall(r"[^\W\d_][\w'-]*", long))
    matched = 0
    for c in capitals:
        if initials[c] > 0:
            initials[c] -= 1
            matched += 1
    return capitals[0] in {w[0].upper() for w in long.split()} and (
        matched / len(capitals) >= ACRONYM_MIN_INITIAL_SHARE
    )


Mention = tuple[int, int, str, str]  # (start, end, text, label)


def acronym_definitions(text: str, mentions: Sequence[Mention]) -> dict[str, str]:
    """Short form -> long form for every ``Long (SHORT)`` or ``SHORT (Long)`` pair in ``text``."""
    ordered = sorted(mentions)
    found: dict[str, str] = {}
    for (_, a_end, a_text, _), (b_start, b_end, b_text, _) in itertools.pairwise(ordered):
        if a_end > b_start or not _OPEN_PAREN.match(text[a_end:b_start]):
            continue
        if not _CLOSE_PAREN.match(text[b_end : b_end + 3]):
            continue
        a_name, b_name = normalise_surface(a_text), normalise_surface(b_text)
        if is_acronym_of(b_name, a_name):
            found.setdefault(b_name, a_name)
        elif is_acronym_of(a_name, b_name):
            found.setdefault(a_name, b_name)
    return found


def is_name_part(part: tuple[str, ...], whole: tuple[str, ...]) -> bool:
    """Whether ``part`` is the leading or trailing name(s) of the longer ``whole``."""
    n = len(part)
    return len(whole) > n and (whole[-n:] == part or whole[:n] == part)


def resolve_person_name(name: str, person_names: Iterable[str]) -> str | None:
    """The one longer person name that ``name`` is the first or last part of, if unambiguous.

    Variants of one person collapse to the fullest form ("Biden" -> "Joe R. Biden" when "Joe
    Biden" is also there); two different people ("Bill Clinton", "Hillary Clinton") give None.
    """
    toks = tuple(name.split())
    fulls = {tuple(p.split()) for p in person_names}
    longer = [f for f in fulls if is_name_part(toks, f)]
    maximal = [f for f in longer if not any(_subsumed(f, g) for g in longer)]
    return " ".join(maximal[0]) if len(maximal) == 1 else None


def _subsumed(short: tuple[str, ...], full: tuple[str, ...]) -> bool:
    """``short`` names the same person as the longer ``full``: a leading/trailing part of it, or
    the same first and last names without the middle ("Joe Biden" in "Joe R. Biden")."""
    same_ends = len(short) > 1 and short[0] == full[0] and short[-1] == full[-1]
    return is_name_part(short, full) or (same_ends and len(full) > len(short))


def _person_full_names(names: Sequence[str], labels: Sequence[str]) -> dict[str, str]:
    """Short PERSON name -> the one longer PERSON name it is part of."""
    persons = {n for n, lab in zip(names, labels, strict=True) if lab == PERSON_LABEL}
    resolved: dict[str, str] = {}
    for name in persons:
        full = resolve_person_name(name, persons)
        if full is not None:
            resolved[name] = full
    return resolved


def _is_shouted(name: str) -> bool:
    return name.isupper() and not looks_like_acronym(name)


def _coordinated_names(text: str, mentions: Sequence[Mention]) -> dict[int, str]:
    """Full names of elliptical conjuncts: "East" in "the East and South China Sea".

    A one-word mention followed by "and"/"or" and a longer mention of the same label shares the
    longer one's head when both start with a parallel modifier (a compass point or the like):
    "East" + "China Sea" -> "East China Sea"; "North" in "North and South Korea" -> "North
    Korea". "France and South Korea" is two names. Keys are positions in ``mentions``.
    """
    order = sorted(range(len(mentions)), key=lambda i: mentions[i][0])
    found: dict[int, str] = {}
    for i, j in itertools.pairwise(order):
        (_, a_end, a_text, a_label), (b_start, _, b_text, b_label) = mentions[i], mentions[j]
        left, right = normalise_surface(a_text), normalise_surface(b_text).split()
        if (
            a_label == b_label
            and left in ELLIPTICAL_MODIFIERS
            and len(right) > 1
            and right[0] in ELLIPTICAL_MODIFIERS
            and _CONJUNCTION_GAP.fullmatch(text[a_end:b_start])
        ):
            found[i] = " ".join([left, *right[1:]])
    return found


def _head_names(text: str, mentions: Sequence[Mention], names: Sequence[str]) -> dict[int, str]:
    """Definite head nouns that stand for a longer name: "the Strait" after "Taiwan Strait".

    A one-word mention right after "the" whose word ends exactly one longer name of its label in
    the document takes that name. The "the" matters: "Europe" beside "Eastern Europe" is a name
    of its own, "the Strait" is not. Not for persons (see :func:`resolve_person_name`) or
    nationalities. Keys are positions in ``mentions``.
    """
    longer: dict[tuple[str, str], set[str]] = defaultdict(set)
    for name, (_, _, _, label) in zip(names, mentions, strict=True):
        words = name.split()
        if len(words) > 1:
            longer[(words[-1], label)].add(name)
    found: dict[int, str] = {}
    for i, (start, _, _, label) in enumerate(mentions):
        full = longer.get((names[i], label))
        if (
            full
            and len(full) == 1
            and label not in HEAD_NAME_EXCLUDED_LABELS
            and _DEFINITE_BEFORE.search(text, 0, start)
        ):
            found[i] = next(iter(full))
    return found


def canonical_names(text: str, mentions: Sequence[Mention]) -> list[str]:
    """The canonical name of every mention of one document, in the order given."""
    names = [normalise_surface(m[2]) or m[2] for m in mentions]
    labels = [m[3] for m in mentions]
    acronyms = acronym_definitions(text, mentions)
    names = [acronyms.get(n, n) for n in names]
    for i, full in _coordinated_names(text, mentions).items():
        names[i] = full
    for i, full in _head_names(text, mentions, names).items():
        names[i] = full
    persons = _person_full_names(names, labels)
    names = [
        persons.get(n, n) if lab == PERSON_LABEL else n
        for n, lab in zip(names, labels, strict=True)
    ]

    # One spelling per case-insensitive name: not a shouted headline form ("JOE BIDEN") when
    # another exists, then the most frequent, then the first seen. Acronyms are not shouting.
    variants: dict[str, Counter[str]] = defaultdict(Counter)
    for n in names:
        variants[n.casefold()][n] += 1
    chosen = {
        key: max(counts, key=lambda v: (not _is_shouted(v), counts[v]))
        for key, counts in variants.items()
    }
    return [chosen[n.casefold()] for n in names]


def canonicalise(text: str, entities: Sequence[Entity]) -> list[Entity]:
    """``entities`` of ``text`` with their ``canonical`` field filled in.

    A mention the gazetteer knows (by its canonical name or its own text) takes the gazetteer's
    name and label: general knowledge beats a per-mention guess ("US" tagged ORG is the country).
    """
    mentions = [(e.start, e.end, e.text, e.label) for e in entities]
    gazetteer = load_gazetteer()
    out: list[Entity] = []
    for entity, name in zip(entities, canonical_names(text, mentions), strict=True):
        known = gazetteer.get(alias_key(name)) or gazetteer.get(alias_key(entity.text))
        if known is not None:
            out.append(dataclasses.replace(entity, canonical=known.canonical, label=known.label))
        else:
            out.append(dataclasses.replace(entity, canonical=name))
    return out
