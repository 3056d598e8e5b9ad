"""Unit tests for the benchmark helpers: the appended-article cases and the zyte line labels.

Synthetic inputs only (no /work/shared), so these run in well under a second.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

# The benchmarks/ folder is not an installed package; import it from the repo root.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.appended import (
    KINDS,
    MAX_TEASERS,
    MIN_TEASERS,
    PARAGRAPH_SEPARATOR,
    TEASER_MAX_WORDS,
    TEASER_MIN_WORDS,
    append_after,
    build_cases,
    first_appended_line,
    teaser_cuts,
)
from benchmarks.zyte_labels import label_page, oracle_text

SENTENCE_WORDS = 12
SENTENCES_PER_PARAGRAPH = 3
N_PAGES = 6


def sentence(tag: str, n: int, words: int = SENTENCE_WORDS) -> str:
    """A sentence of unique tokens, so alignments in the tests are unambiguous."""
    return " ".join(f"{tag}w{n}x{i}" for i in range(words)).capitalize() + "."


def paragraph(tag: str, n: int) -> str:
    return " ".join(
        sentence(tag, n * SENTENCES_PER_PARAGRAPH + j) for j in range(SENTENCES_PER_PARAGRAPH)
    )


def make_pages(n_pages: int = N_PAGES) -> dict[str, tuple[str, str]]:
    pages: dict[str, tuple[str, str]] = {}
    for p in range(n_pages):
        tag = f"p{p}"
        body = "\n\n".join(paragraph(tag, k) for k in range(4))
        raw = "\n".join(
            [
                "Home",
                "News",
                "Sport",
                "",
                f"Title of {tag}",
                "",
                body,
                "",
                "Copyright 2019 Example Media. All rights reserved.",
            ]
        )
        pages[f"key{p}"] = (raw, body)
    return pages


# --- build_cases ------------------------------------------------------------------------------


def test_each_page_once_per_kind_and_gold_is_own_body() -> None:
    pages = make_pages()
    cases = build_cases(pages)
    assert len(cases) == len(KINDS) * len(pages)
    for key, (raw, gold) in pages.items():
        mine = [c for c in cases if c.key == key]
        assert sorted(c.kind for c in mine) == sorted(KINDS)
        for c in mine:
            assert c.gold == gold
            assert c.raw.startswith(raw)


def test_deterministic_for_a_seed() -> None:
    pages = make_pages()
    assert build_cases(pages, seed=3) == build_cases(pages, seed=3)
    assert build_cases(pages, seed=3) == build_cases(dict(reversed(pages.items())), seed=3)
    assert build_cases(pages, seed=3) != build_cases(pages, seed=4)


def test_control_appends_nothing() -> None:
    pages = make_pages()
    for c in build_cases(pages):
        if c.kind == "control":
            assert c.raw == pages[c.key][0]
            assert c.appended_text == ""


def test_whole_is_another_pages_body_one_paragraph_per_line() -> None:
    pages = make_pages()
    bodies = {k: v[1] for k, v in pages.items()}
    donors = []
    for c in build_cases(pages):
        if c.kind != "whole":
            continue
        donor = [
            k
            for k, b in bodies.items()
            if b.replace("\n\n", PARAGRAPH_SEPARATOR) == c.appended_text
        ]
        assert donor and donor[0] != c.key
        donors.append(donor[0])
        assert c.raw == pages[c.key][0] + PARAGRAPH_SEPARATOR + c.appended_text
        lines = c.raw.split("\n")[first_appended_line(pages[c.key][0]) :]
        assert [x for x in lines if x] == [p for p in c.appended_text.split("\n") if p]
    assert sorted(donors) == sorted(pages)  # every page donates its body exactly once


def test_teasers_are_openings_of_other_bodies_cut_at_sentence_ends() -> None:
    pages = make_pages()
    flat_bodies = {k: " ".join(v[1].split()) for k, v in pages.items()}
    for c in build_cases(pages):
        if c.kind != "teasers":
            continue
        teasers = c.appended_text.split(PARAGRAPH_SEPARATOR)
        assert MIN_TEASERS <= len(teasers) <= MAX_TEASERS
        donors = set()
        for t in teasers:
            assert "\n" not in t
            assert TEASER_MIN_WORDS <= len(t.split()) <= TEASER_MAX_WORDS
            assert t.endswith(".")
            donor = [k for k, b in flat_bodies.items() if b.startswith(t)]
            assert donor and donor[0] != c.key
            donors.add(donor[0])
        assert len(donors) == len(teasers)  # distinct donors


def test_teaser_cuts_skip_abbreviations_and_lower_case_continuations() -> None:
    words = " ".join(f"w{i}" for i in range(TEASER_MIN_WORDS))
    body = (
        f"Gov. Smith said {words} in the U.S. capital. She cited e.g. tax. Then {words} ends here."
    )
    cuts = teaser_cuts(body)
    assert cuts, "the sentence end after 'capital.' is a valid cut"
    assert all(not re.search(r"(Gov|U\.S|e\.g)\.$", c) for c in cuts)
    assert cuts[0].endswith("capital.")


def test_teaser_cuts_respect_word_limits() -> None:
    long_sentence = " ".join(f"w{i}" for i in range(TEASER_MAX_WORDS + 1)) + "."
    assert teaser_cuts(long_sentence) == []
    short = "Too short. " * 3
    assert teaser_cuts(short) == []


def test_needs_two_pages() -> None:
    with pytest.raises(ValueError):
        build_cases(dict(list(make_pages().items())[:1]))


def test_append_after_starts_a_new_block() -> None:
    assert append_after("a\nb\n", "X") == "a\nb" + PARAGRAPH_SEPARATOR + "X"
    assert append_after("a", "") == "a"
    assert append_after("a\n\n", "X\n\nY").split("\n")[first_appended_line("a\n\n") :] == [
        "X",
        "",
        "Y",
    ]


# --- label_page -------------------------------------------------------------------------------


def body_flags(raw: str, gold: str) -> list[bool]:
    return [lab.is_body for lab in label_page(raw, gold)]


def test_labels_every_line_and_keeps_exactly_the_body() -> None:
    raw, gold = make_pages(1)["key0"]
    labels = label_page(raw, gold)
    assert [lab.index for lab in labels] == list(range(len(raw.split("\n"))))
    assert [lab.text for lab in labels] == raw.split("\n")
    assert oracle_text(labels).split("\n") == [p for p in gold.split("\n") if p]
    for lab in labels:
        assert lab.coverage == (1.0 if lab.is_body else 0.0)
        if not lab.text.strip():
            assert lab.rule == "empty" and not lab.is_body


def test_heading_in_gold_is_body_and_same_word_elsewhere_is_not() -> None:
    p1, p2 = paragraph("a", 0), paragraph("a", 1)
    gold = f"{p1}\n\nBackground\n\n{p2}"
    raw = "\n".join(["Background", "Menu", p1, "Background", p2, "Share"])
    assert body_flags(raw, gold) == [False, False, True, True, True, False]


def test_short_heading_between_junk_lines_is_rescued_from_the_gold_gap() -> None:
    p1, p2 = paragraph("b", 0), paragraph("b", 1)
    gold = f"{p1}\n\nWhat next\n\n{p2}"
    raw = "\n".join([p1, "Advertisement", "What next", "Share this", p2])
    labels = label_page(raw, gold)
    assert [lab.is_body for lab in labels] == [True, False, True, False, True]
    assert labels[2].rule == "gap"


def test_short_line_is_not_rescued_when_gold_has_it_only_far_away() -> None:
    paras = [paragraph("c", k) for k in range(3)]
    gold = f"{paras[0]} Update\n\n{paras[1]}\n\n{paras[2]}"
    raw = "\n".join([paras[0], paras[1], "Update", paras[2]])
    assert body_flags(raw, gold) == [True, True, False, True]


def test_repeated_title_only_the_occurrence_next_to_the_body_is_body() -> None:
    p1 = paragraph("d", 0)
    gold = f"Big Story Title\n\n{p1}"
    raw = "\n".join(["Big Story Title", "Home", "World", "Big Story Title", p1, "Footer"])
    assert body_flags(raw, gold) == [False, False, False, True, True, False]


def test_duplicated_paragraph_only_one_copy_is_body() -> None:
    p1, p2 = paragraph("e", 0), paragraph("e", 1)
    gold = f"{p1}\n\n{p2}"
    raw = "\n".join([p1, p2, "Most read", p1])
    assert body_flags(raw, gold) == [True, True, False, False]


def test_block_moved_by_gold_is_body_out_of_order() -> None:
    p1, p2, p3 = (paragraph("f", k) for k in range(3))
    gold = f"{p3}\n\n{p1}\n\n{p2}"
    raw = "\n".join([p1, p2, "Related", p3])
    labels = label_page(raw, gold)
    assert [lab.is_body for lab in labels] == [True, True, False, True]
    # The monotone alignment keeps the longer in-order run (p1, p2); p3 comes back by rule 3.
    assert [lab.rule for lab in labels] == ["aligned", "aligned", "none", "out_of_order"]


def test_line_mostly_junk_with_a_little_gold_is_not_body() -> None:
    p1 = paragraph("g", 0)
    first = sentence("g", 99, words=5)
    gold = f"{first} {p1}"
    junk = " ".join(f"junk{i}" for i in range(20))
    raw = "\n".join([f"{junk} {first}", p1])
    labels = label_page(raw, gold)
    assert [lab.is_body for lab in labels] == [False, True]
    assert 0.0 < labels[0].coverage < 0.5
