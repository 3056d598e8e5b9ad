"""The "appended unrelated articles" dev test, built deterministically from zyte-dev pages.

This module owns ``build_cases``: for every page it makes three cases (see the zyte-dev README),
each the page's raw text with something appended after it on new lines, and the page's own gold:

- ``teasers``: 1 to 4 teasers, each the opening 40-110 words of another page's gold body, cut at
  a sentence end, one teaser per line;
- ``whole``: the complete gold body of another page, one paragraph per line;
- ``control``: nothing appended (the page's real ending must survive).

Appended paragraphs are separated by a blank line, which is how html-text lays out consecutive
``<p>`` blocks in the raw files. Everything is drawn from one ``random.Random(seed)`` over the
pages in sorted key order, so the same pages and seed always give the same cases.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

KINDS: tuple[str, ...] = ("teasers", "whole", "control")
TEASER_MIN_WORDS = 40
TEASER_MAX_WORDS = 110
MIN_TEASERS = 1
MAX_TEASERS = 4
DEFAULT_SEED = 0
# html-text separates <p> blocks by one blank line; the appended text starts a new block too.
PARAGRAPH_SEPARATOR = "\n\n"

# A sentence end: terminal mark(s), optional closing quotes/brackets, then whitespace or the end.
_SENTENCE_END = re.compile(r"[.!?…。！？]+[\"'”’»)\]]*(?=\s|$)")
# Words that end in a period without ending a sentence (kept short: a wrong cut only shortens a
# teaser, it never makes the case invalid).
_ABBREVIATIONS = frozenset(
    {
        "mr",
        "mrs",
        "ms",
        "dr",
        "gov",
        "sen",
        "rep",
        "st",
        "jr",
        "sr",
        "prof",
        "gen",
        "col",
        "lt",
        "sgt",
        "capt",
        "no",
        "vs",
        "inc",
        "corp",
        "co",
        "ltd",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "u.s",
        "u.k",
        "e.g",
        "i.e",
        "etc",
        "approx",
        "ft",
        "mt",
        "ave",
        "prov",
        "sra",
        "dra",
    }
)


@dataclass(frozen=True, slots=True)
class AppendedCase:
    """One test case: ``raw`` is the page with ``appended_text`` after it (``""`` for control)."""

    key: str
    kind: str
    raw: str
    gold: str
    appended_text: str


def _is_sentence_end(text: str, end: int, mark_start: int) -> bool:
    """False for periods after abbreviations and initials ("Gov.", "J.") and before lower case."""
    rest = text[end:].lstrip()
    if rest and rest[0].islower():
        return False
    if text[mark_start] != ".":
        return True
    word = text[:mark_start].split()[-1] if text[:mark_start].split() else ""
    word = word.lstrip("\"'“‘(")
    if word.lower() in _ABBREVIATIONS:
        return False
    # A single capital letter before the period is an initial.
    return not (len(word) == 1 and word.isupper())


def teaser_cuts(body: str) -> list[str]:
    """Every opening of ``body`` that ends at a sentence end and has 40-110 words, one line each."""
    flat = " ".join(body.split())
    cuts: list[str] = []
    for m in _SENTENCE_END.finditer(flat):
        if not _is_sentence_end(flat, m.end(), m.start()):
            continue
        opening = flat[: m.end()]
        n_words = len(opening.split())
        if n_words > TEASER_MAX_WORDS:
            break
        if n_words >= TEASER_MIN_WORDS:
            cuts.append(opening)
    return cuts


def body_as_lines(body: str) -> str:
    """A gold body laid out as a scrape would have it: one paragraph per line, blank between."""
    return PARAGRAPH_SEPARATOR.join(p.strip() for p in body.split("\n") if p.strip())


def append_after(raw: str, appended: str) -> str:
    """``raw`` with ``appended`` after it, starting on a new block."""
    if not appended:
        return raw
    return raw.rstrip("\n") + PARAGRAPH_SEPARATOR + appended


def first_appended_line(page_raw: str) -> int:
    """Index (in ``raw.split("\\n")``) of the first appended line of a case built from page_raw."""
    # The page's last line, then one line per separator newline (the blank line between).
    return page_raw.rstrip("\n").count("\n") + PARAGRAPH_SEPARATOR.count("\n")


def build_cases(pages: dict[str, tuple[str, str]], seed: int = DEFAULT_SEED) -> list[AppendedCase]:
    """Cases for every page in ``pages`` ({key: (raw, gold body)}), one per kind, in key order.

    Donors are always other pages. Teaser donors are drawn among pages whose body has a valid
    cut; the whole-body donors form one shuffled cycle, so every page donates its body once.
    """
    if len(pages) < 2:
        raise ValueError("need at least two pages: appended text comes from another page")
    rng = random.Random(seed)
    keys = sorted(pages)
    cuts = {k: teaser_cuts(pages[k][1]) for k in keys}
    teaser_donors = [k for k in keys if cuts[k]]

    cycle = keys[:]
    rng.shuffle(cycle)
    whole_donor = {cycle[i]: cycle[(i + 1) % len(cycle)] for i in range(len(cycle))}

    cases: list[AppendedCase] = []
    for key in keys:
        raw, gold = pages[key]
        others = [d for d in teaser_donors if d != key]
        if not others:
            raise ValueError(
                f"no other page has a {TEASER_MIN_WORDS}-{TEASER_MAX_WORDS} word "
                f"opening cut at a sentence end to use as a teaser for {key}"
            )
        n = rng.randint(MIN_TEASERS, min(MAX_TEASERS, len(others)))
        teasers = [rng.choice(cuts[d]) for d in rng.sample(others, n)]
        appended = PARAGRAPH_SEPARATOR.join(teasers)
        cases.append(AppendedCase(key, "teasers", append_after(raw, appended), gold, appended))
        whole = body_as_lines(pages[whole_donor[key]][1])
        cases.append(AppendedCase(key, "whole", append_after(raw, whole), gold, whole))
        cases.append(AppendedCase(key, "control", raw, gold, ""))
    return cases
