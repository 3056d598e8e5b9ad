"""Corpus-level entity merging (flows/steps/entity_index.py) and the alias gazetteer."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from flows.records import Entity
from flows.steps.canonical import alias_key, canonical_names, canonicalise, load_gazetteer
from flows.steps.entity_index import IndexEntry, index_corpus


def _doc(*mentions: tuple[str, str] | tuple[str, str, str]) -> list[Entity]:
    """Entities of one document from (text, label[, per-document canonical]) triples."""
    out: list[Entity] = []
    start = 0
    for mention in mentions:
        text, label = mention[0], mention[1]
        canonical = mention[2] if len(mention) == 3 else text
        out.append(Entity(start, start + len(text), text, label, canonical))
        start += len(text) + 1
    return out


def _row(index: Sequence[IndexEntry], canonical: str) -> IndexEntry:
    [row] = [r for r in index if r.canonical == canonical]
    return row


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("U.S.", "US"),
        ("the US’", "US"),
        ("Self Defence Forces", "Self-Defense Forces"),
        ("World Health Organisation", "world health organization"),
    ],
)
def test_alias_key_ignores_dots_case_hyphens_and_spelling(a: str, b: str) -> None:
    assert alias_key(a) == alias_key(b)


def test_alias_key_keeps_different_names_apart() -> None:
    assert alias_key("Labour Party") != alias_key("Labor Party")
    assert alias_key("Austria") != alias_key("Australia")


def test_gazetteer_aliases_are_unambiguous_and_labelled() -> None:
    gazetteer = load_gazetteer()
    assert gazetteer[alias_key("U.S.A.")].canonical == "United States"
    assert gazetteer[alias_key("Diaoyutais")].canonical == "Senkaku Islands"
    assert {entry.label for entry in gazetteer.values()} <= {"GPE", "LOC", "ORG"}


def test_gazetteer_fixes_name_and_label_within_a_document() -> None:
    text = "The US and Diaoyutais."
    entities = [Entity(4, 6, "US", "ORG", ""), Entity(11, 21, "Diaoyutais", "PERSON", "")]
    us, islands = canonicalise(text, entities)
    assert (us.canonical, us.label) == ("United States", "GPE")
    assert (islands.canonical, islands.label) == ("Senkaku Islands", "LOC")
    assert islands.text == "Diaoyutais"  # the surface text is never rewritten


def test_spelling_variants_merge_across_documents() -> None:
    docs = [
        _doc(("Kerr-Dale", "LOC")),
        _doc(("Kerr Dale", "LOC"), ("Kerr Dale", "LOC")),
    ]
    rewritten, index = index_corpus(docs)
    row = _row(index, "Kerr Dale")
    assert (row.n_documents, row.n_mentions) == (2, 3)
    assert row.aliases == ("Kerr Dale", "Kerr-Dale")
    assert rewritten[0][0].canonical == "Kerr Dale"


def test_an_acronym_defined_in_one_document_resolves_in_another() -> None:
    docs = [
        _doc(("Global Ocean Fund", "ORG"), ("GOF", "ORG", "Global Ocean Fund")),
        _doc(("GOF", "ORG")),
    ]
    rewritten, index = index_corpus(docs)
    assert rewritten[1][0].canonical == "Global Ocean Fund"
    assert _row(index, "Global Ocean Fund").n_documents == 2


def test_a_strict_initialism_joins_its_only_long_form() -> None:
    rewritten, _ = index_corpus([_doc(("National Defense Strategy", "ORG")), _doc(("NDS", "ORG"))])
    assert rewritten[1][0].canonical == "National Defense Strategy"


def test_an_initialism_with_two_long_forms_stays_itself() -> None:
    docs = [
        _doc(("National Defense Strategy", "ORG")),
        _doc(("Nordic Data Society", "ORG")),
        _doc(("NDS", "ORG")),
    ]
    rewritten, _ = index_corpus(docs)
    assert rewritten[2][0].canonical == "NDS"


def test_person_name_order_and_single_names_merge_when_unambiguous() -> None:
    docs = [
        _doc(("Shinzo Abe", "PERSON"), ("Shinzo Abe", "PERSON")),
        _doc(("Abe Shinzo", "PERSON")),
        _doc(("Kishi", "PERSON"), ("Nobuo Kishi", "PERSON", "Nobuo Kishi")),
        _doc(("Abe", "PERSON")),
    ]
    rewritten, index = index_corpus(docs)
    assert rewritten[1][0].canonical == "Shinzo Abe"
    assert rewritten[3][0].canonical == "Shinzo Abe"
    assert _row(index, "Shinzo Abe").n_mentions == 4


def test_two_people_sharing_a_surname_keep_the_surname_apart() -> None:
    docs = [
        _doc(("Bill Clinton", "PERSON")),
        _doc(("Hillary Clinton", "PERSON")),
        _doc(("Clinton", "PERSON")),
    ]
    rewritten, _ = index_corpus(docs)
    assert rewritten[2][0].canonical == "Clinton"


def test_islands_variants_merge_and_labels_stay_separate_entities() -> None:
    docs = [
        _doc(("Kerr Islands", "LOC"), ("Kerrs", "GPE")),
        _doc(("Kerr", "FAC"), ("Washington", "GPE"), ("Washington", "PERSON")),
    ]
    rewritten, index = index_corpus(docs)
    assert {e.canonical for e in rewritten[0]} == {"Kerr Islands"}
    assert rewritten[1][0].canonical == "Kerr Islands"
    assert {(r.canonical, r.label) for r in index if r.canonical == "Washington"} == {
        ("Washington", "GPE"),
        ("Washington", "PERSON"),
    }


def test_index_figures_trace_to_rewritten_mentions() -> None:
    docs = [
        _doc(("US", "GPE", "United States"), ("Japan", "GPE")),
        _doc(("United States", "GPE"), ("Japan", "GPE"), ("Japan", "GPE")),
    ]
    rewritten, index = index_corpus(docs)
    keys = [(e.canonical, e.label) for doc in rewritten for e in doc]
    assert len({(r.canonical, r.label) for r in index}) == len(index)
    for row in index:
        assert row.n_mentions == keys.count((row.canonical, row.label))
    assert index[0].canonical == "Japan"  # most mentioned first
    assert index_corpus([]) == ([], [])


def test_an_elliptical_conjunct_takes_the_full_name() -> None:
    text = "Ships in the East and South China Sea, and North or South Korea."
    mentions = [
        (13, 17, "East", "LOC"),
        (22, 37, "South China Sea", "LOC"),
        (43, 48, "North", "GPE"),
        (52, 63, "South Korea", "GPE"),
    ]
    assert canonical_names(text, mentions) == [
        "East China Sea",
        "South China Sea",
        "North Korea",
        "South Korea",
    ]
    two_names = [(0, 6, "France", "GPE"), (11, 22, "South Korea", "GPE")]
    assert canonical_names("France and South Korea", two_names) == ["France", "South Korea"]


def test_a_definite_head_noun_stands_for_the_one_longer_name() -> None:
    text = "The Taiwan Strait is calm. Peace in the Strait matters. Europe and Eastern Europe."
    mentions = [
        (4, 17, "Taiwan Strait", "LOC"),
        (40, 46, "Strait", "LOC"),
        (56, 62, "Europe", "LOC"),
        (67, 81, "Eastern Europe", "LOC"),
    ]
    assert canonical_names(text, mentions) == [
        "Taiwan Strait",
        "Taiwan Strait",
        "Europe",  # a name of its own: no "the" before it
        "Eastern Europe",
    ]
