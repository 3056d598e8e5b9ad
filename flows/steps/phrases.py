"""Known phrasing families of page furniture, and shapes of names, roles, dates and headings.

These are families of wording that recur across sites ("By ...", "Photo: ...", "You may also
like", "Editor's note", "Follow us", "© 2021 ..."), never the wording of one site. The cleaner
and the metadata extractor share them, so a family is defined once.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

try:  # the stdlib's regex parser, read once at import to prefilter ``match_family``
    from re import _constants as _sre
    from re import _parser as _sre_parse
except ImportError:  # pragma: no cover - then every family branch is simply searched
    _sre = _sre_parse = None  # type: ignore[assignment]

# --- vocabularies (lower case) ------------------------------------------------------------------
# fmt: off

ROLE_WORDS = frozenset(
    ["professor", "fellow", "director", "researcher", "analyst", "editor", "writer", "journalist", "correspondent", "author", "lecturer", "student", "scholar", "columnist", "reporter", "chair", "chairman", "chairwoman", "president", "founder", "ceo", "member", "associate", "adviser", "advisor", "consultant", "manager", "officer", "contributor", "candidate", "economist", "historian", "scientist", "expert", "specialist", "coordinator", "head", "dean", "secretary", "ambassador", "minister", "commentator", "strategist", "engineer", "attorney", "lawyer", "partner", "principal", "producer", "photographer", "intern", "assistant", "deputy", "vice", "research", "visiting", "senior", "junior", "acting", "chief", "executive", "managing", "contributing", "lead", "former", "emeritus", "adjunct", "postdoctoral", "staff"]
)
# Role words that alone make a line a job title ("Senior Research Fellow", "Acting Deputy Director").
ROLE_HEADS = frozenset(
    ["professor", "fellow", "director", "researcher", "analyst", "editor", "writer", "journalist", "correspondent", "author", "lecturer", "student", "scholar", "columnist", "reporter", "chair", "chairman", "chairwoman", "president", "founder", "ceo", "adviser", "advisor", "consultant", "manager", "officer", "contributor", "economist", "historian", "scientist", "expert", "specialist", "coordinator", "head", "dean", "secretary", "ambassador", "minister", "commentator", "strategist", "engineer", "attorney", "lawyer", "partner", "producer", "photographer", "intern"]
)
ORG_WORDS = frozenset(
    ["foundation", "institute", "institution", "university", "college", "center", "centre", "council", "association", "society", "agency", "ministry", "department", "group", "company", "corporation", "inc", "inc.", "ltd", "ltd.", "llc", "press", "media", "news", "times", "post", "journal", "review", "forum", "initiative", "program", "programme", "network", "trust", "fund", "bank", "office", "commission", "committee", "party", "organization", "organisation", "school", "academy", "laboratory", "lab", "service", "services", "club", "union", "alliance", "federation", "bureau", "gazette", "herald", "tribune", "daily", "weekly", "magazine", "radio", "television", "tv", "broadcasting"]
)
NAME_PARTICLES = frozenset(
    ["van", "von", "de", "da", "del", "della", "der", "den", "di", "du", "la", "le", "bin", "al", "el", "ibn", "st.", "st"]
)
STOPWORDS = frozenset(
    ["a", "an", "the", "and", "or", "but", "if", "of", "at", "by", "for", "with", "about", "against", "between", "into", "through", "during", "before", "after", "above", "below", "to", "from", "up", "down", "in", "out", "on", "off", "over", "under", "again", "further", "then", "once", "here", "there", "when", "where", "why", "how", "all", "any", "both", "each", "few", "more", "most", "other", "some", "such", "no", "nor", "not", "only", "own", "same", "so", "than", "too", "very", "can", "will", "just", "should", "now", "is", "are", "was", "were", "be", "been", "being", "have", "has", "had", "having", "do", "does", "did", "doing", "i", "me", "my", "we", "our", "ours", "you", "your", "he", "him", "his", "she", "her", "it", "its", "they", "them", "their", "what", "which", "who", "whom", "this", "that", "these", "those", "am", "would", "could", "may", "might", "must", "shall", "us"]
)

# fmt: on
# --- shapes ---------------------------------------------------------------------------------------

_NAME_TOKEN = re.compile(r"^(?:[A-Z][a-z]+(?:[-'’][A-Za-z]+)*|[A-Z]\.|[A-Z][a-z]*[A-Z][a-z]+)$")
_TERMINAL = re.compile(r"[.!?…][\"'”’)\]]*$")
_CLOSERS = "\"'”’)]"  # the closing quotes and brackets _TERMINAL allows after the stop
_ALPHA = re.compile(r"[A-Za-z]+")
# The shape checks below are pure functions of a block's text that the rules, the features and
# the metadata each ask about the same blocks; a bounded cache answers the repeats.
_SHAPE_CACHE_SIZE = 4096
_URL = re.compile(r"<*(?:https?://|www\.)\S+>*", re.IGNORECASE)
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+\.[\w.-]+\b")
_LIST_ITEM = re.compile(r"^(?:\d{1,3}[.)]|[-–•*▪◦·]|\([a-z0-9]\)|[a-z][.)])\s+\S")
_TABLE_LABEL = re.compile(
    r"^(?:table|figure|fig\.|chart|graph|exhibit)\s*\d+[.:]?\s", re.IGNORECASE
)
_NOTE_LABEL = re.compile(r"^(?:notes?|sources?)\s*:", re.IGNORECASE)


def words(text: str) -> list[str]:
    return text.split()


@lru_cache(maxsize=_SHAPE_CACHE_SIZE)
def ends_sentence(text: str) -> bool:
    body = text.rstrip()
    # A match is a stop followed only by closers, so search from just before the trailing
    # closers instead of trying every position of a long paragraph.
    return bool(_TERMINAL.search(body, max(len(body.rstrip(_CLOSERS)) - 1, 0)))


@lru_cache(maxsize=_SHAPE_CACHE_SIZE)
def is_name(text: str, max_tokens: int = 4) -> bool:
    """A person's name shape: 2-4 capitalised tokens, particles allowed, no role/org/stop words."""
    # At most max_tokens splits: a paragraph is rejected without splitting all of it (a
    # remainder left unsplit means more than max_tokens tokens).
    tokens = text.strip().rstrip(",").split(None, max_tokens)
    if not 2 <= len(tokens) <= max_tokens:
        return False
    capitalised = 0
    for token in tokens:
        low = token.lower()
        if low in NAME_PARTICLES:
            continue
        if low in STOPWORDS or low in ROLE_WORDS or low.rstrip(".") in ORG_WORDS:
            return False
        if not _NAME_TOKEN.match(token):
            return False
        capitalised += 1
    return capitalised >= 2


@lru_cache(maxsize=_SHAPE_CACHE_SIZE)
def is_role(text: str) -> bool:
    """A job-title line: a few capitalised words that include a role head word."""
    tokens = _ALPHA.findall(text)
    if not 1 <= len(tokens) <= 7:
        return False
    # The cheap, usually decisive test first: no role head word, no role.
    if ROLE_HEADS.isdisjoint(map(str.lower, tokens)):
        return False
    if ends_sentence(text) and not text.endswith("."):
        return False
    content = [t for t in tokens if t.lower() not in STOPWORDS]
    return all(t[0].isupper() or t.lower() in ROLE_WORDS for t in content)


def clear_shape_caches() -> None:
    """Empty the shape caches (benchmarks time cold calls; tests compare fresh answers)."""
    for cached in (ends_sentence, is_name, is_role, is_date_only):
        cached.cache_clear()


def is_url_only(text: str) -> bool:
    stripped = _URL.sub("", text).strip(" <>()[]|·-–")
    return not stripped and bool(_URL.search(text))


# A page's own copyright line: it opens with the notice or reserves all rights (a photo caption
# ending in "© Reuters" does neither).
_PAGE_COPYRIGHT = re.compile(r"^\s*(?:©|\(c\)|copyright\b)|\ball rights reserved\b", re.IGNORECASE)


def is_page_copyright(text: str) -> bool:
    return bool(_PAGE_COPYRIGHT.search(text))


def is_list_item(text: str) -> bool:
    return bool(_LIST_ITEM.match(text))


_FIGURE = re.compile(r"^[-+−(]?[$€£]?\d[\d.,:/%]*\)?$")
# A row of a table of figures: at least two numbers, making up this share of its tokens.
FIGURE_ROW_MIN_NUMBERS = 2
FIGURE_ROW_MIN_SHARE = 0.3


def is_figure_row(text: str) -> bool:
    """A line of a table of figures flattened to text ("3 Kevin Harvick 5033 4 6 15 26")."""
    tokens = text.split()
    numbers = sum(1 for t in tokens if _FIGURE.match(t))
    return numbers >= FIGURE_ROW_MIN_NUMBERS and numbers >= FIGURE_ROW_MIN_SHARE * len(tokens)


def is_table_label(text: str) -> bool:
    return bool(_TABLE_LABEL.match(text))


def is_note_label(text: str) -> bool:
    return bool(_NOTE_LABEL.match(text))


def strip_urls(text: str) -> str:
    return _EMAIL.sub(" ", _URL.sub(" ", text))


# --- dates ----------------------------------------------------------------------------------------

_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}
_MONTH = r"(?P<month>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
_DATE_PATTERNS = (
    re.compile(
        rf"\b(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH},?\s+(?P<year>\d{{4}})\b", re.I
    ),
    re.compile(rf"\b{_MONTH}\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<year>\d{{4}})\b", re.I),
    re.compile(r"\b(?P<year>\d{4})-(?P<mnum>\d{1,2})-(?P<day>\d{1,2})\b"),
    re.compile(r"\b(?P<year>\d{4})/(?P<mnum>\d{1,2})/(?P<day>\d{1,2})\b"),
)
_DATE_WORDS = re.compile(
    r"\b(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?|\b\d{1,2}:\d{2}(?::\d{2})?\s*(?:[ap]\.?m\.?)?|"
    r"\b(?:[ap]\.?m\.?|utc|gmt|[a-z]{1,2}t|hrs?)\b|\b(?:at|on|updated|published|posted|\|)\b",
    re.I,
)


_DIGITS4 = re.compile(r"\d{4}")
DATE_LINE_MAX_WORDS = 12


@dataclass(frozen=True, slots=True)
class DateMatch:
    date: dt.date
    start: int
    end: int


def find_date(text: str) -> DateMatch | None:
    """The first calendar date written in ``text`` (month names or ISO order), if any."""
    if not _DIGITS4.search(text):
        return None
    best: DateMatch | None = None
    for pattern in _DATE_PATTERNS:
        for match in pattern.finditer(text):
            parts = match.groupdict()
            month = _MONTHS.get(parts["month"].lower()) if parts.get("month") else None
            month = month or int(parts.get("mnum") or 0)
            try:
                date = dt.date(int(parts["year"]), month, int(parts["day"]))
            except ValueError:
                continue
            if best is None or match.start() < best.start:
                best = DateMatch(date, match.start(), match.end())
            break
    return best


@lru_cache(maxsize=_SHAPE_CACHE_SIZE)
def is_date_only(text: str) -> DateMatch | None:
    """A date when ``text`` is little more than a date (and maybe a time or weekday)."""
    if len(text) > DATE_LINE_MAX_WORDS * 12 or not _DIGITS4.search(text):
        return None  # every date form here has a four-digit year
    found = find_date(text)
    if found is None:
        return None
    rest = (text[: found.start] + " " + text[found.end :]).strip()
    rest = _DATE_WORDS.sub(" ", rest)
    return found if len(re.findall(r"\w+", rest)) <= 1 else None


# --- families of page furniture -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Family:
    """A phrasing family: the kind it signals, why, and the longest block it applies to."""

    kind: str
    reason: str
    pattern: re.Pattern[str]
    max_words: int


def _f(kind: str, reason: str, pattern: str, max_words: int) -> Family:
    return Family(kind, reason, re.compile(pattern, re.IGNORECASE), max_words)


_NAME_LIST = r"[A-Z][\w'’.-]+(?:\s+[\w'’.-]+){0,4}"

FAMILIES: tuple[Family, ...] = (
    _f(
        "credit",
        "translator or editor credit",
        r"^(?:translated|edited|compiled|adapted)\s+(?:from\s+\w+\s+)?by\b",
        14,
    ),
    _f(
        "byline",
        "byline ('By ...')",
        rf"^(?:by|words by|written by|story by|posted by|reported by|text by)[:\s]+{_NAME_LIST}",
        16,
    ),
    _f(
        "byline",
        "author line ('Author: ...')",
        r"^(?:authors?|writers?|contributors?|reporters?)\s*[:|]\s*\S",
        16,
    ),
    _f(
        "nav",
        "site tagline naming the publisher",
        r"^(?:published|produced|brought to you|a (?:publication|project|service))\s+(?:\w+\s+){0,3}by\s+(?:the\s+)?[A-Z]",
        14,
    ),
    _f(
        "dateline",
        "dateline ('Published <date>')",
        r"^(?:published|posted|updated|last updated|first published|date|created|modified)(?:\s+on)?\s*[:|]?\s*\S",
        12,
    ),  # needs a date: checked by the caller
    _f(
        "credit",
        "photo or image credit",
        r"^(?:photo(?:graph)?s?|images?|pictures?|illustrations?|graphics?|videos?|credits?|caption|source|courtesy)(?:\s+(?:credit|source|courtesy|by))?\s*[:|]",
        40,
    ),
    _f(
        "caption",
        "caption with a photo credit",
        r"\((?:photo|image|picture|credit|illustration|graphic)s?(?:\s+credit)?\s*[:|][^)]*\)|\b(?:getty images|reuters|ap photo|afp|shutterstock|istock|epa|xinhua)\s*\)?\s*$",
        45,
    ),
    _f(
        "related",
        "related-content prompt",
        r"^(?:you (?:may|might) (?:also )?(?:like|enjoy|be interested in)|related(?:\s+(?:articles?|stories|posts|content|coverage|reading|links|news|topics))?|read (?:more|next|also)|see also|also read|more (?:from|on|stories|articles|in|like this)|recommended(?: for you| reading)?|further reading|most (?:read|popular|viewed|shared)|popular (?:stories|posts|now)|trending(?: now)?|latest (?:news|stories|articles)|what to read next|keep reading|don'?t miss|editor'?s picks?|top stories)\b",
        12,
    ),
    _f(
        "disclaimer",
        "editor's note or views disclaimer",
        r"^editor'?s?’?s?\s+note\b|\bviews expressed\b|\bdo(?:es)? not necessarily (?:reflect|represent)\b|\bopinions expressed\b|\bsolely (?:those|the views) of\b",
        80,
    ),
    _f("footer", "copyright notice", r"©|\(c\)\s*\d{4}|\bcopyright\b|\ball rights reserved\b", 40),
    _f(
        "footer",
        "contact details",
        r"^(?:tel|phone|fax|e-?mail|contact(?: us)?|address)\s*[:.]|\b(?:tel|fax)\s*[:.]\s*[+\d(]",
        25,
    ),
    _f(
        "footer",
        "legal or site links",
        r"\b(?:terms (?:of|and) (?:use|service|conditions)|privacy (?:policy|notice)|cookie (?:policy|settings|preferences)|accessibility statement|site ?map)\b",
        20,
    ),
    _f(
        "nav",
        "social or sharing prompt",
        r"^(?:connect with us|follow us|follow (?:@|on)|share (?:this|on|via|the)|share$|like us on|join us on|find us on|subscribe|sign (?:in|up)|log ?in|register|newsletter|get (?:the|our) newsletter|skip to|back to top|jump to|print(?: this)?(?: article| page)?$|email(?: this)?$|tweet$|whatsapp$|comments?\s*\(?\d*\)?$|leave a (?:comment|reply)|view comments|add comment|click here|tap here|download (?:the|our) app)",
        14,
    ),
    _f(
        "footer",
        "comment section",
        r"^\[?\s*\d+\s+(?:comments?|replies|responses)\s*\]?$|^(?:responses?|replies|discussion|join the (?:discussion|conversation))(?:\s*\(\d+\))?\s*:?$|^(?:show|view|load|read|hide|see) (?:all |more |the )?(?:\d+ )?comments?\b|^(?:post|add|write) (?:a |your )?(?:comment|reply)\b|^rating:\s*\d+\s*votes?$|^(?:reply|report|flag|permalink|upvote|downvote)$",
        8,
    ),
    _f(
        "debris",
        "comment timestamp",
        r"^(?:posted\s+)?(?:\d+|an?|one)\s+(?:seconds?|minutes?|mins?|hours?|hrs?|days?|weeks?|months?|years?)\s+ago\b",
        8,
    ),
    _f(
        "debris",
        "advertisement marker",
        r"^(?:advertisement|advertising|sponsored(?: content)?|ad|promoted|story continues below(?: advertisement)?|continue reading(?: below)?|scroll to continue)$",
        6,
    ),
)
# Author bios: "<Name> is (a|an|the) ... <role>" or a parenthesised bio, one or two sentences.
AUTHOR_BIO = re.compile(
    r"^\(?\s*(?:(?:Dr|Prof|Mr|Ms|Mrs|Sir)\.?\s+)?(?P<name>[A-Z][\w'’.-]+(?:\s+[A-Z][\w'’.-]+){0,3})\s+"
    r"(?:is|was|serves as|has been|currently serves as)\s+(?:(?:a|an|the)\s+)?(?P<rest>.+)$"
)
INLINE_RELATED = re.compile(
    r"\s*[(\[]\s*(?:related(?: article| story| content)?|read (?:more|also)|see also|also read|"
    r"recommended|more)\s*[:|-][^()\[\]]*[)\]]",
    re.IGNORECASE,
)
INLINE_PROMPT = re.compile(
    r"\s*(?:\((?:photo|image|picture)s?\s*[:|][^)]*\))|"
    r"\s*(?:click here to (?:read|subscribe|follow)|follow us on (?:twitter|facebook|instagram)"
    r"|(?:share|sign up for) (?:this story|our newsletter)[^.!?]*)[.!]?",
    re.IGNORECASE,
)
PUBLISHER_TAGLINE = re.compile(
    r"^(?i:published|produced|brought to you|a (?:publication|project|service))\s+(?:\w+\s+){0,3}"
    r"(?i:by)\s+(?:the\s+)?(?P<org>[A-Z][\w&'’.-]*(?:\s+(?:of\s+|for\s+|and\s+|&\s+)?[A-Z][\w&'’.-]*){0,6})"
)
PUBLISHER_COPYRIGHT = re.compile(
    r"(?:©|\([cC]\)|[Cc]opyright|COPYRIGHT)\s*(?:©\s*)?(?:\d{4}(?:\s*[-–]\s*\d{4})?\s*)?,?\s*(?:the\s+)?"
    r"(?P<org>[A-Z][\w&'’.-]*(?:\s+(?:of\s+|for\s+|and\s+|&\s+)?[A-Z][\w&'’.-]*){0,6})"
)
PUBLISHER_VIEWS = re.compile(
    r"\b(?:position|positions|views?|opinions?|policies|official policy)\s+of\s+(?:the\s+)?"
    r"(?P<org>[A-Z][\w&'’.-]*(?:\s+(?:of\s+|for\s+|and\s+|&\s+)?[A-Z][\w&'’.-]*){0,6})"
)


# --- matching the families fast ----------------------------------------------------------------
# ``match_family`` runs on every block and most blocks match no family, so it first asks a cheap
# question whose "no" is exact: could any family that admits the block's length match it? Each
# pattern is an alternation of branches that are either anchored ("^by ...") or floating ("...
# all rights reserved"). Anchored branches are tried with one ``match`` of only those that can
# start with the block's first character; floating branches are searched only when the
# lower-cased block holds one of the literal words every match of them contains. Both facts are
# read from the patterns themselves (``re``'s own parser), so editing a family needs no other
# change here; what cannot be read simply stays unfiltered. A block that passes is decided by
# ``family.pattern.search`` in family order, exactly as before.

# Characters IGNORECASE matches to an ASCII letter although ``str.lower`` does not turn them
# into it (U+0130 lowers to "i" + U+0307). U+212A KELVIN SIGN lowers to "k" and needs nothing.
_CASE_TRAPS = {"\u0130": "i", "\u0131": "i", "\u017f": "s"}
_TRAP_MARKS = ("\u0307", "\u0131", "\u017f")  # what they leave in ``text.lower()``


def _plain(code: int) -> bool:
    """A pattern character whose IGNORECASE matches are exactly those ``str.lower`` agrees on."""
    char = chr(code)
    return code < 128 or char.lower() == char.upper() == char


def _alternatives(pattern: str) -> list[str]:
    """The top-level branches of ``pattern`` (split at ``|`` outside groups and classes)."""
    branches, depth, start, i, in_class = [], 0, 0, 0, False
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            i += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
            i += 2 if pattern[i + 1 : i + 2] == "^" else 1
            i += 1 if pattern[i : i + 1] == "]" else 0  # a literal "]" first in the class
            continue
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            branches.append(pattern[start:i])
            start = i + 1
        i += 1
    branches.append(pattern[start:])
    return branches


def _parse(pattern: str, flags: int) -> list[tuple[Any, Any]] | None:
    if _sre_parse is None:
        return None
    try:
        return list(_sre_parse.parse(pattern, flags))
    except Exception:  # an internal API: whatever it cannot do, the branch stays unfiltered
        return None


def _first_chars(items: list[tuple[Any, Any]]) -> tuple[frozenset[str] | None, bool]:
    """(lower-cased characters a match can start with or None if unknown, can match empty)."""
    chars: set[str] = set()
    for op, av in items:
        if op is _sre.AT:
            continue
        if op is _sre.LITERAL:
            return (frozenset(chars | {chr(av).lower()}) if _plain(av) else None), False
        if op is _sre.IN:
            for member, value in av:
                if member is _sre.LITERAL and _plain(value):
                    chars.add(chr(value).lower())
                elif (
                    member is _sre.RANGE
                    and value[1] - value[0] < 256
                    and all(_plain(c) for c in range(value[0], value[1] + 1))
                ):
                    chars.update(chr(c).lower() for c in range(value[0], value[1] + 1))
                else:
                    return None, False
            return frozenset(chars), False
        if op is _sre.BRANCH:
            parts = [_first_chars(branch) for branch in av[1]]
            nullable = any(empty for _, empty in parts)
        elif op is _sre.SUBPATTERN:
            parts = [_first_chars(av[-1])]
            nullable = parts[0][1]
        elif op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT):
            parts = [_first_chars(av[2])]
            nullable = av[0] == 0 or parts[0][1]
        else:
            return None, False
        for first, _ in parts:
            if first is None:
                return None, False
            chars |= first
        if not nullable:
            return frozenset(chars), False
    return frozenset(chars), True


def _required_words(items: list[tuple[Any, Any]]) -> frozenset[str] | None:
    """Lower-cased literals one of which every match contains, or None if there are none."""
    best: frozenset[str] | None = None
    i = 0
    while i < len(items):
        op, av = items[i]
        found: frozenset[str] | None = None
        if op is _sre.LITERAL and _plain(av):
            run = []
            while i < len(items) and items[i][0] is _sre.LITERAL and _plain(items[i][1]):
                run.append(chr(items[i][1]).lower())
                i += 1
            i -= 1
            found = frozenset(["".join(run)])
        elif op is _sre.BRANCH:
            parts = [_required_words(branch) for branch in av[1]]
            if all(part is not None for part in parts):
                found = frozenset().union(*parts)  # type: ignore[arg-type]
        elif op is _sre.SUBPATTERN:
            found = _required_words(av[-1])
        elif op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT) and av[0] >= 1:
            found = _required_words(av[2])
        if found and (best is None or min(map(len, found)) > min(map(len, best))):
            best = found
        i += 1
    return best


def _words_regex(words: set[str]) -> re.Pattern[str]:
    """One case-sensitive regex for any of ``words``, as a trie so each position tries one branch."""
    trie: dict[str, dict] = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def emit(node: dict[str, dict]) -> str:
        branches = [re.escape(char) + emit(child) for char, child in sorted(node.items()) if char]
        if not branches:
            return ""
        if len(branches) == 1 and "" not in node:
            return branches[0]
        body = "(?:" + "|".join(branches) + ")"
        return body + "?" if "" in node else body

    return re.compile(emit(trie))


def _join(branches: list[str], flags: int) -> re.Pattern[str] | None:
    return re.compile("|".join(f"(?:{b})" for b in branches), flags) if branches else None


@dataclass(frozen=True, slots=True)
class _Branch:
    source: str
    flags: int
    anchored: bool
    first: frozenset[str] | None  # anchored branches: possible first characters
    needs: frozenset[str] | None  # floating branches: literals every match contains


def _branches(compiled: re.Pattern[str]) -> list[_Branch]:
    """The top-level branches of ``compiled``, with what a prefilter may rely on for each."""
    pattern, flags = compiled.pattern, compiled.flags
    sources = _alternatives(pattern)
    # Verbose patterns (comments, free spacing) are not split; one unfiltered branch instead.
    if flags & re.VERBOSE or "|".join(sources) != pattern or _sre_parse is None:
        return [_Branch(pattern, flags, False, None, None)]
    branches = []
    for source in sources:
        items = _parse(source, flags)
        if items is None:  # pragma: no cover
            branches.append(_Branch(source, flags, False, None, None))
        elif source.startswith("^") and not flags & re.MULTILINE:  # only at 0: ``match``
            first, empty = _first_chars(items)
            branches.append(_Branch(source, flags, True, None if empty else first, None))
        else:
            branches.append(_Branch(source, flags, False, None, _required_words(items)))
    return branches


def literal_prefilter(compiled: re.Pattern[str]) -> Callable[[str], bool]:
    """A cheap test that is False only when ``compiled.search(text)`` would find nothing.

    Each branch of the pattern needs one of a few literal words (read from the pattern); the
    test looks for them in the lower-cased text in one pass. A pattern with a branch that needs
    no literal gets a test that is always True.
    """
    needs: set[str] = set()
    for branch in _branches(compiled):
        if not branch.anchored:
            if not branch.needs:
                return _always
            needs |= branch.needs
        else:
            words = _required_words(_parse(branch.source, branch.flags) or [])
            if not words:
                return _always
            needs |= words
    if not needs:
        return _always
    search = _words_regex(needs | set(_TRAP_MARKS)).search
    return lambda text: search(text.lower()) is not None


def _always(text: str) -> bool:
    return True


@dataclass(slots=True)
class _Plan:
    """How to prefilter blocks of a given length: the families that admit it, and their branches."""

    families: tuple[Family, ...]
    branches: list[_Branch]
    floating: re.Pattern[str] | None = None
    needs: re.Pattern[str] | None = None  # None with ``floating`` set: always search
    by_first: dict[str, re.Pattern[str] | None] = field(default_factory=dict)
    first_chars: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        floating = [b for b in self.branches if not b.anchored]
        self.floating = _join([b.source for b in floating], re.IGNORECASE)
        if floating and all(b.needs for b in floating):
            needs = set().union(*(b.needs or () for b in floating))
            self.needs = _words_regex(needs | set(_TRAP_MARKS))
        self.first_chars = frozenset().union(
            *(b.first for b in self.branches if b.anchored and b.first is not None)
        )
        self.by_first[""] = self._anchored_for("")

    def _anchored_for(self, char: str) -> re.Pattern[str] | None:
        return _join(
            [
                b.source
                for b in self.branches
                if b.anchored and (b.first is None or char in b.first)
            ],
            re.IGNORECASE,
        )

    def may_match(self, text: str) -> bool:
        """False only when no family of the plan matches ``text``."""
        first = text[:1]
        first = _CASE_TRAPS.get(first) or first.lower()
        if first not in self.first_chars:
            first = ""
        try:
            anchored = self.by_first[first]
        except KeyError:  # compiled on first use; at most one per character a branch starts with
            anchored = self.by_first[first] = self._anchored_for(first)
        if anchored is not None and anchored.match(text):
            return True
        if self.floating is None:
            return False
        if self.needs is not None and not self.needs.search(text.lower()):
            return False
        return self.floating.search(text) is not None


def _plans() -> list[_Plan]:
    branches = {family.reason: _branches(family.pattern) for family in FAMILIES}
    by_families: dict[tuple[Family, ...], _Plan] = {}
    plans = []
    for n in range(_LONGEST_FAMILY + 1):
        families = tuple(f for f in FAMILIES if f.max_words >= n)
        if families not in by_families:
            by_families[families] = _Plan(
                families, [b for f in families for b in branches[f.reason]]
            )
        plans.append(by_families[families])
    return plans


_LONGEST_FAMILY = max(f.max_words for f in FAMILIES)
_PLANS = _plans()  # by word count: the families whose max_words admits it


def match_family(text: str) -> Family | None:
    """The first family whose pattern matches ``text`` within its length limit."""
    if text.count(" ") + 1 > _LONGEST_FAMILY:
        return None
    n = len(text.split())
    if n > _LONGEST_FAMILY:
        return None
    plan = _PLANS[n]
    if not plan.may_match(text):
        return None
    for family in plan.families:
        if family.pattern.search(text):
            return family
    return None


def looks_like_bio(text: str) -> re.Match[str] | None:
    """An author bio: a named person and a role, one or two sentences."""
    body = text.strip()
    if len(body.split()) > 70:
        return None
    match = AUTHOR_BIO.match(body)
    if match is None:
        return None
    rest_words = {w.lower().strip(",.;()") for w in match.group("rest").split()}
    return match if rest_words & ROLE_HEADS else None
