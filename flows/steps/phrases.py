"""Known phrasing families of page furniture, and shapes of names, roles, dates and headings.

These are families of wording that recur across sites ("By ...", "Photo: ...", "You may also
like", "Editor's note", "Follow us", "© 2021 ..."), never the wording of one site. The cleaner
and the metadata extractor share them, so a family is defined once.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

# --- vocabularies (lower case) ------------------------------------------------------------------

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

# --- shapes ---------------------------------------------------------------------------------------

_NAME_TOKEN = re.compile(r"^(?:[A-Z][a-z]+(?:[-'’][A-Za-z]+)*|[A-Z]\.|[A-Z][a-z]*[A-Z][a-z]+)$")
_TERMINAL = re.compile(r"[.!?…][\"'”’)\]]*$")
_URL = re.compile(r"<*(?:https?://|www\.)\S+>*", re.IGNORECASE)
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+\.[\w.-]+\b")
_LIST_ITEM = re.compile(r"^(?:\d{1,3}[.)]|[-–•*▪◦·]|\([a-z0-9]\)|[a-z][.)])\s+\S")
_TABLE_LABEL = re.compile(
    r"^(?:table|figure|fig\.|chart|graph|exhibit)\s*\d+[.:]?\s", re.IGNORECASE
)
_NOTE_LABEL = re.compile(r"^(?:notes?|sources?)\s*:", re.IGNORECASE)


def words(text: str) -> list[str]:
    return text.split()


def ends_sentence(text: str) -> bool:
    return bool(_TERMINAL.search(text.rstrip()))


def is_name(text: str, max_tokens: int = 4) -> bool:
    """A person's name shape: 2-4 capitalised tokens, particles allowed, no role/org/stop words."""
    tokens = text.strip().rstrip(",").split()
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


def is_role(text: str) -> bool:
    """A job-title line: a few capitalised words that include a role head word."""
    tokens = re.findall(r"[A-Za-z]+", text)
    if not 1 <= len(tokens) <= 7 or (ends_sentence(text) and not text.endswith(".")):
        return False
    lowered = [t.lower() for t in tokens]
    if not any(t in ROLE_HEADS for t in lowered):
        return False
    content = [t for t in tokens if t.lower() not in STOPWORDS]
    return all(t[0].isupper() or t.lower() in ROLE_WORDS for t in content)


def is_url_only(text: str) -> bool:
    stripped = _URL.sub("", text).strip(" <>()[]|·-–")
    return not stripped and bool(_URL.search(text))


def is_list_item(text: str) -> bool:
    return bool(_LIST_ITEM.match(text))


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


# One pass over a block finds whether any family can match; most blocks match none.
_ANY_FAMILY = re.compile("|".join(f"(?:{f.pattern.pattern})" for f in FAMILIES), re.IGNORECASE)
_LONGEST_FAMILY = max(f.max_words for f in FAMILIES)


def match_family(text: str) -> Family | None:
    """The first family whose pattern matches ``text`` within its length limit."""
    n = text.count(" ") + 1
    if n > _LONGEST_FAMILY or not _ANY_FAMILY.search(text):
        return None
    n = len(text.split())
    for family in FAMILIES:
        if n <= family.max_words and family.pattern.search(text):
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
