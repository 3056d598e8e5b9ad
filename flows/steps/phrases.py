"""Known phrasing families of page furniture, and shapes of names, roles, dates and headings.

Also the shapes of text the cleaner's steps share: over-long tokens (data, not words; see
``long_token_spans``) and scripts written without spaces, whose words are counted by character
(``word_count``).

These are families of wording that recur across sites ("By ...", "Photo: ...", "You may also
like", "Editor's note", "Follow us", "© 2021 ..."), never the wording of one site. The cleaner
and the metadata extractor share them, so a family is defined once.
"""

from __future__ import annotations

import datetime as dt
import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import accumulate, compress
from operator import itemgetter, methodcaller, not_
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


# Letters of scripts written without spaces between words: Thai, Lao, Tibetan, Myanmar, Khmer,
# kana, CJK ideographs (and their extensions), half-width katakana. Hangul is spaced.
_UNSPACED_SCRIPT = re.compile(
    "[\u0e00-\u0eff\u0f00-\u0fff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf"
    "\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f\U00020000-\U0003134f]"
)


# Over-long tokens: a run of more than ``cleaning.max_token_chars`` characters without a space
# (a base64 blob, a pasted hash) is data, not a word. The cleaner classifies blocks as they read
# without them and removes them from the paragraphs it keeps.
LONG_TOKEN_REASON = "over-long token"
SPACE_BEFORE_PUNCT = re.compile(r"\s+([.,;:!?])")
DOUBLE_SPACE = re.compile(r" {2,}")


def long_token_reason(length: int, max_chars: int) -> str:
    """Why a run of ``length`` characters without a space is removed (the cleaner's words)."""
    return (
        f"{LONG_TOKEN_REASON}: {length} characters without a space, data rather than text "
        f"(cleaning.max_token_chars = {max_chars})"
    )


def long_token_spans(text: str, max_chars: int) -> list[tuple[int, int]]:
    """(start, end) of every run of more than ``max_chars`` non-space characters (none when
    ``max_chars`` is 0)."""
    if (
        max_chars <= 0
        or len(text) <= max_chars
        or max(map(len, text.split()), default=0) <= max_chars
    ):
        return []  # (str.split cuts at what \s matches: the cheap test first)
    # Anchored at a run's start, so a long text of runs just under the limit costs one pass.
    pattern = re.compile(rf"(?<!\S)\S{{{max_chars + 1},}}")
    return [m.span() for m in pattern.finditer(text)]


def tidy_after_removal(text: str) -> str:
    """A paragraph with spans cut out: no space before punctuation, single spaces, stripped."""
    return DOUBLE_SPACE.sub(" ", SPACE_BEFORE_PUNCT.sub(r"\1", text)).strip()


def without_long_tokens(text: str, max_chars: int) -> str:
    """``text`` as the cleaner publishes it once its over-long tokens are cut out (``text``
    itself when it has none)."""
    spans = long_token_spans(text, max_chars)
    if not spans:
        return text
    pieces, cursor = [], 0
    for start, end in spans:
        pieces.append(text[cursor:start])
        cursor = end
    pieces.append(text[cursor:])
    return tidy_after_removal(" ".join(" ".join(pieces).split()))


def unspaced_chars(text: str) -> int:
    """How many characters of ``text`` belong to scripts written without spaces."""
    return 0 if text.isascii() else len(_UNSPACED_SCRIPT.findall(text))


def word_count(text: str) -> int:
    """Words of ``text``: space-separated, and one per character of a script written without
    spaces (a Chinese word is one or two characters), so such text is not "a few words"."""
    unspaced = unspaced_chars(text)
    if not unspaced:
        return len(text.split())
    return len(_UNSPACED_SCRIPT.sub(" ", text).split()) + unspaced


@lru_cache(maxsize=_SHAPE_CACHE_SIZE)
def ends_sentence(text: str) -> bool:
    body = text.rstrip()
    # A match is a stop followed only by closers, so search from just before the trailing
    # closers instead of trying every position of a long paragraph.
    return bool(_TERMINAL.search(body, max(len(body.rstrip(_CLOSERS)) - 1, 0)))


# _TERMINAL on a right-stripped text (no final newline left for ``$``) matches exactly when,
# after the trailing closers, the last character is a stop: what ``ends_sentences`` reads.
_STOPS = frozenset(".!?…")
_READ_TERMINAL = _TERMINAL.pattern == r"[.!?…][\"'”’)\]]*$" and not _TERMINAL.flags & (
    re.IGNORECASE | re.MULTILINE
)
_LAST_CHAR = itemgetter(slice(-1, None))
_RSTRIP_CLOSERS = methodcaller("rstrip", _CLOSERS)


def ends_sentences(texts: Sequence[str]) -> list[bool]:
    """``[ends_sentence(t) for t in texts]``, in C-level passes (the cache is left alone)."""
    if not _READ_TERMINAL:  # pragma: no cover - should _TERMINAL change, ask each text
        return [ends_sentence(t) for t in texts]
    stripped = map(_RSTRIP_CLOSERS, map(str.rstrip, texts))
    return list(map(_STOPS.__contains__, map(_LAST_CHAR, stripped)))


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
    # Every _URL match holds "://" or (in any case) "www.": the cheap half of the answer first.
    if ("://" not in text and "www." not in text.lower()) or _URL.search(text) is None:
        return False
    return not _URL.sub("", text).strip(" <>()[]|·-–")


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


# Every number of a figure row holds a digit: a text with fewer digits than the numbers a row
# needs is no row.
_TWO_DIGITS = re.compile(r"\d\D*\d")


def figure_rows(texts: Sequence[str]) -> list[bool]:
    """``[is_figure_row(t) for t in texts]``, asked only of texts with two digits or more."""
    if FIGURE_ROW_MIN_NUMBERS < 2:  # pragma: no cover - then every text is asked
        return list(map(is_figure_row, texts))
    rows = [False] * len(texts)
    maybe = compress(range(len(texts)), map(_TWO_DIGITS.search, texts))
    for i in maybe:
        rows[i] = is_figure_row(texts[i])
    return rows


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
# Every date pattern holds a month name (its first three letters, in any case), "-" or "/".
_DATE_HINT = re.compile(r"[-/]|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec", re.IGNORECASE)
DATE_LINE_MAX_WORDS = 12


@dataclass(frozen=True, slots=True)
class DateMatch:
    date: dt.date
    start: int
    end: int


def find_date(text: str) -> DateMatch | None:
    """The first calendar date written in ``text`` (month names or ISO order), if any."""
    if not _DIGITS4.search(text) or not _DATE_HINT.search(text):
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


# _DIGITS4 spelled so that ``re`` skips to a digit before trying to match.
_FOUR_DIGITS = re.compile(r"\d\d\d\d")


def may_be_dates(texts: Sequence[str]) -> list[int]:
    """Indices of the ``texts`` that ``is_date_only`` may find a date in (the others: None)."""
    limit = DATE_LINE_MAX_WORDS * 12
    short = [i for i, n in enumerate(map(len, texts)) if n <= limit]
    return list(compress(short, map(_FOUR_DIGITS.search, map(texts.__getitem__, short))))


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


# A pattern's starts: (prefix, closed) pairs of at most _START_CHARS characters, written in
# ``_key`` form (lower-cased as IGNORECASE matches, every digit "0", every space " "). Every
# match begins with the prefix of one of them, and a closed one is all of the match so far
# (what follows may extend it); at _START_CHARS characters a prefix is no longer closed.
_START_CHARS = 2


def _key(char: str) -> str:
    """A text's character as the starts write it (``\\d`` is str.isdecimal, ``\\s`` isspace)."""
    char = _CASE_TRAPS.get(char) or char.lower()
    return "0" if char.isdecimal() else " " if char.isspace() else char


_CATEGORY_KEYS = {} if _sre is None else {_sre.CATEGORY_DIGIT: "0", _sre.CATEGORY_SPACE: " "}
_Starts = frozenset[tuple[str, bool]]
_ANYTHING: _Starts = frozenset({("", False)})
_NOTHING_YET: _Starts = frozenset({("", True)})


def _then(first: _Starts, second: _Starts) -> _Starts:
    """The starts of a match of one part followed by a match of another."""
    out = set()
    for head, closed in first:
        if not closed:
            out.add((head, False))
            continue
        for tail, tail_closed in second:
            both = head + tail
            out.add(
                (both[:_START_CHARS], False) if len(both) >= _START_CHARS else (both, tail_closed)
            )
    return frozenset(out)


def _starts(items: list[tuple[Any, Any]]) -> _Starts:
    """The starts of every match of ``items`` (parsed with IGNORECASE): ``_ANYTHING`` where a
    character cannot be read simply, as ``_first_chars`` reads them."""
    found = _NOTHING_YET
    for op, av in items:
        if all(not closed for _, closed in found):
            break
        found = _then(found, _starts_of(op, av))
    return found


def _starts_of(op: Any, av: Any) -> _Starts:
    if op is _sre.AT or op is _sre.ASSERT or op is _sre.ASSERT_NOT:
        return _NOTHING_YET  # takes no character
    if op is _sre.LITERAL:
        return frozenset({(_key(chr(av)), True)}) if _plain(av) else _ANYTHING
    if op is _sre.IN:
        chars: set[str] = set()
        for member, value in av:
            if member is _sre.LITERAL and _plain(value):
                chars.add(_key(chr(value)))
            elif (
                member is _sre.RANGE
                and value[1] - value[0] < 256
                and all(_plain(c) for c in range(value[0], value[1] + 1))
            ):
                chars.update(_key(chr(c)) for c in range(value[0], value[1] + 1))
            elif member is _sre.CATEGORY and value in _CATEGORY_KEYS:
                chars.add(_CATEGORY_KEYS[value])
            else:
                return _ANYTHING
        return frozenset((char, True) for char in chars)
    if op is _sre.BRANCH:
        return frozenset().union(*(_starts(branch) for branch in av[1]))
    if op is _sre.SUBPATTERN:
        return _ANYTHING if av[1] or av[2] else _starts(av[-1])
    if op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT):
        least, most, sub = av[0], av[1], _starts(av[2])
        found = _NOTHING_YET if least == 0 else frozenset()
        so_far, times = _NOTHING_YET, 0
        while times < most and times <= _START_CHARS:
            so_far, times = _then(so_far, sub), times + 1
            if times >= least:
                found |= so_far
            if all(not closed for _, closed in so_far):
                break
        if times < least or times < most:  # more repeats may follow: these go on
            found |= frozenset((head, False) for head, _ in so_far)
        return found
    return _ANYTHING


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


# ``match_families`` asks the same questions of a whole page at once. A block is decided only
# when either the anchored branches of every family that can start with its first two
# characters (``_starts``) match it (one ``match`` per block, in a C-level ``map``), or it holds
# one of the literal words of its plan's floating branches (or a trap mark), found with
# ``str.find`` in the lower-cased blocks of that plan joined by _SEP (no word holds it, so a hit
# is inside one block). Both are supersets of ``_Plan.may_match``. A decided block is searched
# (``family.pattern.search`` in family order, as ``match_family`` does) for the families it
# may match by the same two tests, so the answers are ``match_family``'s.
_SEP = "\x00"
_NEVER = re.compile(r"(?!)")
_FIRST_CHARS = itemgetter(slice(0, _START_CHARS))
_START_TABLE_SIZE = 1 << 16


def _anchored_branches() -> list[tuple[int, str, _Starts]]:
    """(family index, source, starts) of every family's anchored branches, in family order."""
    found = []
    for index, family in enumerate(FAMILIES):
        for branch in _branches(family.pattern):
            if branch.anchored:
                items = _parse(branch.source, branch.flags)
                found.append((index, branch.source, _ANYTHING if items is None else _starts(items)))
    return found


class _StartTable(dict):
    """A text's first characters (as written) -> the union of the anchored branches of every
    family that may match a text starting so (a pattern that matches nothing when there are
    none), and the indices of their families."""

    def __init__(self) -> None:
        super().__init__()
        self.branches = _anchored_branches()
        self.by_key: dict[str, tuple[re.Pattern[str], frozenset[int]]] = {}
        self.unions: dict[tuple[int, ...], tuple[re.Pattern[str], frozenset[int]]] = {}

    def __missing__(self, chars: str) -> tuple[re.Pattern[str], frozenset[int]]:
        key = "".join(map(_key, chars))
        found = self.by_key.get(key)
        if found is None:
            chosen = tuple(
                k
                for k, (_, _, starts) in enumerate(self.branches)
                if any(key.startswith(prefix) for prefix, _ in starts)
            )
            found = self.unions.get(chosen)
            if found is None:
                union = _join([self.branches[k][1] for k in chosen], re.IGNORECASE) or _NEVER
                families = frozenset(self.branches[k][0] for k in chosen)
                found = self.unions[chosen] = (union, families)
            if len(self.by_key) >= _START_TABLE_SIZE:
                self.by_key.clear()
            self.by_key[key] = found
        if len(self) >= _START_TABLE_SIZE:
            self.clear()
        self[chars] = found
        return found


@dataclass(frozen=True, slots=True)
class _FamilyCheck:
    """A family of a plan, with what a text needs for its floating branches to have a chance
    (as ``_Plan.may_match`` reads them): one of the literal ``words``, or nothing (``always``)."""

    index: int  # in FAMILIES
    family: Family
    words: frozenset[str]
    always: bool


def _family_check(index: int, family: Family) -> _FamilyCheck:
    floating = [b for b in _branches(family.pattern) if not b.anchored]
    words = frozenset().union(*(b.needs or () for b in floating))
    return _FamilyCheck(index, family, words, any(not b.needs for b in floating))


def _plan_ids() -> tuple[list[int], list[_Plan]]:
    distinct: list[_Plan] = []
    ids = []
    for plan in _PLANS:
        if not any(plan is known for known in distinct):
            distinct.append(plan)
        ids.append(next(k for k, known in enumerate(distinct) if known is plan))
    return ids, distinct


def _plan_words(plan: _Plan) -> tuple[str, ...] | None:
    """The literal words of the plan's floating branches and the trap marks (None: a floating
    branch needs none; empty: there are no floating branches)."""
    floating = [b for b in plan.branches if not b.anchored]
    if not floating:
        return ()
    if not all(b.needs for b in floating):
        return None
    return tuple(sorted(set().union(*(b.needs or () for b in floating)) | set(_TRAP_MARKS)))


_START_TABLE = _StartTable()
_PLAN_IDS, _DISTINCT_PLANS = _plan_ids()
_CHECKS = {id(family): _family_check(k, family) for k, family in enumerate(FAMILIES)}
_PLAN_CHECKS = [
    tuple(
        (c.index, c.family, c.words, c.always)
        for c in map(_CHECKS.__getitem__, map(id, plan.families))
    )
    for plan in _DISTINCT_PLANS
]
_TRAPS = frozenset(_TRAP_MARKS)
_COUNT_SPACES = methodcaller("count", " ")
_PLAN_WORDS = [_plan_words(plan) for plan in _DISTINCT_PLANS]
_ONE = 1


def _word_limits() -> tuple[int, list[tuple[str, int]]]:
    """The most words of a block all of whose plan's floating branches are searched (-1 if
    none), and for each literal word, the most words of a block whose plan looks for it."""
    floating_up_to = -1
    limits: dict[str, int] = {}
    for n, plan_id in enumerate(_PLAN_IDS):
        words = _PLAN_WORDS[plan_id]
        if words is None:
            floating_up_to = n
        for word in words or ():
            limits[word] = n
    return floating_up_to, sorted(limits.items())


_ALL_FLOATING_UP_TO, _WORD_LIMITS = _word_limits()
# The plans' words only shrink as blocks grow (a plan of more words admits fewer families).
_NESTED = all(
    _PLAN_WORDS[_PLAN_IDS[n]] is None
    if n <= _ALL_FLOATING_UP_TO
    else _PLAN_WORDS[_PLAN_IDS[n]] is not None
    and set(_PLAN_WORDS[_PLAN_IDS[n]]) == {w for w, most in _WORD_LIMITS if most >= n}
    for n in range(len(_PLAN_IDS))
)
_SEPARABLE = _NESTED and (
    all(_SEP not in word for words in _PLAN_WORDS for word in words or ())
    and len(_PLANS[0].families) == len(FAMILIES)
    and len(_CHECKS) == len(FAMILIES)
)


def match_families(
    texts: Sequence[str],
    counts: Sequence[int] | None = None,
    lowered: Sequence[str] | None = None,
) -> list[Family | None]:
    """``[match_family(t) for t in texts]``; ``counts`` are ``len(t.split())`` and ``lowered``
    ``t.lower()``, if known."""
    if counts is None:
        counts = list(map(len, map(str.split, texts)))
    found: list[Family | None] = [None] * len(texts)
    longest = _LONGEST_FAMILY
    where = [i for i, n in enumerate(counts) if n <= longest]
    spaces = map(_COUNT_SPACES, map(texts.__getitem__, where))
    where = list(compress(where, map(longest.__gt__, spaces)))
    if not where:
        return found
    if not _SEPARABLE:  # pragma: no cover - a literal word holds the separator
        for i in where:
            found[i] = match_family(texts[i])
        return found
    candidates = list(map(texts.__getitem__, where))
    starts = list(map(_START_TABLE.__getitem__, map(_FIRST_CHARS, candidates)))
    unions = map(itemgetter(0), starts)
    decide = set(compress(range(len(where)), map(re.Pattern.match, unions, candidates)))
    # Floating branches: the blocks that hold a literal word of their plan. A plan of more words
    # admits fewer families, so each word is looked for in the blocks of at most so many words:
    # a prefix of the blocks in order of word count.
    sizes = list(map(counts.__getitem__, where))
    plan_of = list(map(_PLAN_IDS.__getitem__, sizes))
    order = sorted(range(len(where)), key=sizes.__getitem__)
    sizes = list(map(sizes.__getitem__, order))
    decide.update(order[: bisect_right(sizes, _ALL_FLOATING_UP_TO)])
    if lowered is None:
        parts = list(map(str.lower, map(candidates.__getitem__, order)))
    else:
        parts = list(map(lowered.__getitem__, map(where.__getitem__, order)))
    joined = _SEP.join(parts)
    bounds = list(accumulate(map(_ONE.__add__, map(len, parts)), initial=0))
    held: dict[int, list[str]] = {}  # the words found in a block (those its plan looks for)
    for word, most in _WORD_LIMITS:
        end = bounds[bisect_right(sizes, most)]
        at = joined.find(word, 0, end)
        while at >= 0:
            slot = bisect_right(bounds, at) - 1
            k = order[slot]
            if k in held:
                held[k].append(word)
            else:
                held[k] = [word]
            at = joined.find(word, bounds[slot + 1], end)  # on from the next block
    decide.update(held)
    # Each family is searched only where one of its own branches may match.
    for k in sorted(decide):
        text = candidates[k]
        anchored = starts[k][1]
        plan_id = plan_of[k]
        words = held.get(k, ())
        # Any floating branch may match where its plan's have no words, or where IGNORECASE may
        # match what ``str.lower`` left as a trap mark.
        every = _PLAN_WORDS[plan_id] is None or not _TRAPS.isdisjoint(words)
        for index, family, needs, always in _PLAN_CHECKS[plan_id]:
            if (
                index in anchored or always or (needs and (every or not needs.isdisjoint(words)))
            ) and family.pattern.search(text):
                found[where[k]] = family
                break
    return found


# AUTHOR_BIO's verb is a whole word ("is", "was", or the first of "serves as", "has been",
# "currently serves as") after at most an opening bracket, a title and four name words: one
# of the first seven words. (Should the pattern change, every text is matched.)
_BIO_PATTERN = (
    r"^\(?\s*(?:(?:Dr|Prof|Mr|Ms|Mrs|Sir)\.?\s+)?(?P<name>[A-Z][\w'’.-]+(?:\s+[A-Z][\w'’.-]+){0,3})\s+"
    r"(?:is|was|serves as|has been|currently serves as)\s+(?:(?:a|an|the)\s+)?(?P<rest>.+)$"
)
_BIO_VERBS = frozenset({"is", "was", "serves", "has", "currently"})
_BIO_HEAD = methodcaller("split", None, 7)


def may_be_bios(texts: Sequence[str]) -> list[int]:
    """Indices of the ``texts`` ``looks_like_bio`` may accept: AUTHOR_BIO matches them."""
    maybe: Iterable[int] = range(len(texts))
    if AUTHOR_BIO.pattern == _BIO_PATTERN and AUTHOR_BIO.flags == re.UNICODE:
        no_verb = map(_BIO_VERBS.isdisjoint, map(_BIO_HEAD, texts))
        maybe = list(compress(maybe, map(not_, no_verb)))
    return [i for i in maybe if AUTHOR_BIO.match(texts[i].strip())]


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
