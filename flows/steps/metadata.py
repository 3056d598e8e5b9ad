"""Metadata: title, authors, published date and publisher, from the labelled blocks.

Each field comes only from blocks of the kind that can carry it: the title from the headline,
authors from bylines, author lines and author bios (never translators or editors), the date
from datelines (never captions or credits), the publisher from taglines, copyright footers and
"views of ..." disclaimers.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass

from flows.records import Block
from flows.steps import phrases
from flows.steps.boilerplate import Label

_BYLINE_PREFIX = re.compile(
    r"^(?:by|words by|written by|story by|posted by|reported by|text by|authors?|writers?|"
    r"contributors?|reporters?)\s*[:|]?\s*",
    re.IGNORECASE,
)
_NAME_SEPARATORS = re.compile(r"\s*(?:,|;|&|\band\b|\|)\s*")
_HONORIFIC = re.compile(r"^(?:Dr|Prof|Mr|Ms|Mrs|Sir)\.?\s+")
_ORG_TAIL = re.compile(r"\s+All\b.*$")  # "... Group. All rights reserved"


@dataclass(frozen=True, slots=True)
class Metadata:
    title: str | None
    authors: list[str]
    published: dt.date | None
    publisher: str | None


def names_in_byline(text: str) -> list[str]:
    """Person names in a byline such as "By A. Smith and B. Jones, Reuters"."""
    rest = _BYLINE_PREFIX.sub("", text.strip())
    rest = phrases.strip_urls(rest)
    names = []
    for part in _NAME_SEPARATORS.split(rest):
        candidate = _HONORIFIC.sub("", part.strip(" .-–|"))
        if phrases.is_name(candidate):
            names.append(candidate)
    return names


def _add_author(authors: list[str], known: list[set[str]], name: str) -> None:
    """Add ``name`` unless its words are all in an author's name already (``known``: the
    lower-cased words of each of ``authors``, kept alongside)."""
    tokens = set(name.lower().split())
    for words in known:
        if tokens <= words:
            return
    authors.append(name)
    known.append(tokens)


def _clean_org(org: str) -> str | None:
    org = _ORG_TAIL.sub("", org.strip()).rstrip(" .,;:")
    return org if len(org) >= 2 and org.lower() not in phrases.STOPWORDS else None


def _positions(kinds: list[str], kind: str) -> Iterator[int]:
    """The indices of ``kind`` in ``kinds``, in order (``list.index`` scans in C)."""
    if kind not in kinds:
        return
    at = kinds.index(kind)
    while True:
        yield at
        try:
            at = kinds.index(kind, at + 1)
        except ValueError:
            return


_PUBLISHER_SOURCES = (
    ("nav", phrases.PUBLISHER_TAGLINE),
    ("footer", phrases.PUBLISHER_COPYRIGHT),
    ("disclaimer", phrases.PUBLISHER_VIEWS),
)


def extract_metadata(blocks: list[Block], labels: list[Label]) -> Metadata:
    # Each field reads only the blocks of a few kinds: find them by kind, not by a loop over all.
    kinds = [label.kind for _, label in zip(blocks, labels, strict=True)]
    title = blocks[kinds.index("title")].text if "title" in kinds else None

    authors: list[str] = []
    known: list[set[str]] = []  # the authors' lower-cased words
    for i in _positions(kinds, "byline"):
        if labels[i].reason.startswith("author role"):
            continue
        text = blocks[i].text
        if phrases.is_name(text):
            _add_author(authors, known, text.strip())
        else:
            for name in names_in_byline(text):
                _add_author(authors, known, name)
    for i in _positions(kinds, "author_bio"):
        match = phrases.looks_like_bio(blocks[i].text)
        if match is not None:
            name = _HONORIFIC.sub("", match.group("name"))
            if phrases.is_name(name):
                _add_author(authors, known, name)

    published = None
    for i in _positions(kinds, "dateline"):
        found = phrases.find_date(blocks[i].text)
        if found is not None:
            published = found.date
            break

    publisher = None
    for kind, pattern in _PUBLISHER_SOURCES:
        for i in _positions(kinds, kind):
            text = blocks[i].text
            if pattern.search(text) is None:  # far cheaper than finditer finding nothing
                continue
            matches = list(pattern.finditer(text))
            if matches:
                publisher = _clean_org(matches[-1].group("org"))
                if publisher:
                    break
        if publisher:
            break
    return Metadata(title, authors, published, publisher)
