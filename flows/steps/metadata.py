"""Metadata: title, authors, published date and publisher, from the labelled blocks.

Each field comes only from blocks of the kind that can carry it: the title from the headline,
authors from bylines, author lines and author bios (never translators or editors), the date
from datelines (never captions or credits), the publisher from taglines, copyright footers and
"views of ..." disclaimers.
"""

from __future__ import annotations

import datetime as dt
import re
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


def _add_author(authors: list[str], name: str) -> None:
    tokens = set(name.lower().split())
    for known in authors:
        if tokens <= set(known.lower().split()):
            return
    authors.append(name)


def _clean_org(org: str) -> str | None:
    org = _ORG_TAIL.sub("", org.strip()).rstrip(" .,;:")
    return org if len(org) >= 2 and org.lower() not in phrases.STOPWORDS else None


def extract_metadata(blocks: list[Block], labels: list[Label]) -> Metadata:
    title = next(
        (b.text for b, lab in zip(blocks, labels, strict=True) if lab.kind == "title"), None
    )

    authors: list[str] = []
    bios: list[str] = []
    for block, label in zip(blocks, labels, strict=True):
        if label.kind == "byline":
            if label.reason.startswith("author role"):
                continue
            if phrases.is_name(block.text):
                _add_author(authors, block.text.strip())
            else:
                for name in names_in_byline(block.text):
                    _add_author(authors, name)
        elif label.kind == "author_bio":
            match = phrases.looks_like_bio(block.text)
            if match is not None:
                bios.append(_HONORIFIC.sub("", match.group("name")))
    for name in bios:
        if phrases.is_name(name):
            _add_author(authors, name)

    published = None
    for block, label in zip(blocks, labels, strict=True):
        if label.kind == "dateline":
            found = phrases.find_date(block.text)
            if found is not None:
                published = found.date
                break

    publisher = None
    sources = (
        ("nav", phrases.PUBLISHER_TAGLINE),
        ("footer", phrases.PUBLISHER_COPYRIGHT),
        ("disclaimer", phrases.PUBLISHER_VIEWS),
    )
    for kind, pattern in sources:
        for block, label in zip(blocks, labels, strict=True):
            if label.kind != kind:
                continue
            matches = list(pattern.finditer(block.text))
            if matches:
                publisher = _clean_org(matches[-1].group("org"))
                if publisher:
                    break
        if publisher:
            break
    return Metadata(title, authors, published, publisher)
