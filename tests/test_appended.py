"""Appended articles: teasers and whole other articles after the page's own article.

Synthetic pages only (no ../shared): blocks are built by hand and labelled ``body`` (what the
cleaner keeps), so these tests exercise ``find_appended`` alone, independent of the classifier.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from flows.config import CleaningSettings
from flows.records import Block
from flows.steps.appended import APPENDED_KIND, find_appended, terms
from flows.steps.boilerplate import Label

TITLE = "Riverside council approves protected bicycle lanes on Harbour Street"

ARTICLE = [
    "The Riverside city council voted on Tuesday to build protected bicycle lanes along the "
    "full length of Harbour Street, ending a two-year argument over parking and traffic.",
    "Councillors approved the bicycle lane plan by seven votes to two after a four-hour "
    "meeting in which shop owners on Harbour Street warned that losing parking would hurt trade.",
    "Mayor Helen Okafor said the protected lanes would make cycling safe for children and older "
    "residents, and that the council had listened to the Harbour Street traders.",
    "Under the approved plan, concrete kerbs will separate the bicycle lanes from traffic, and "
    "forty parking spaces will move to a new car park behind the Harbour Street market.",
    "The council expects construction of the lanes to start in March and to cost about 3.2 "
    "million dollars, most of it from a regional cycling infrastructure grant.",
    "Cycling groups welcomed the council vote. Riverside Cycling Campaign counted more than 900 "
    "bicycle trips a day on Harbour Street even without protected lanes.",
]

TEASERS = [
    "A volcano on Iceland's Reykjanes peninsula erupted overnight, sending lava fountains 100 "
    "metres into the air and forcing the evacuation of the fishing town of Grindavik. Scientists "
    "at the Icelandic Meteorological Office said the fissure was about four kilometres long and "
    "that the eruption could continue for weeks.",
    "Manchester striker Leon Bailey completed a record transfer to Bayern Munich on Friday, "
    "signing a five-year contract worth a reported 90 million euros. Bailey scored 27 goals in "
    "the Premier League last season and becomes the most expensive player in the German club's "
    "history.",
    "Chipmaker Arvana unveiled a smartphone processor built on a two-nanometre process, claiming "
    "it uses forty percent less battery than its predecessor. Phones with the new chip are "
    "expected in stores before the holiday shopping season, analysts at Ferris Research said.",
]

OTHER_ARTICLE = [
    "Marine biologists surveying the Great Barrier Reef found that nearly two thirds of the "
    "corals they examined had bleached during the summer heatwave, the worst event on record.",
    "The survey team dived at 300 reef sites and photographed coral colonies, recording which "
    "corals had turned white after expelling the algae that feed them.",
    "Bleached corals are not dead, but many will starve if ocean temperatures stay high, the "
    "lead biologist said, adding that recovery of a reef takes at least a decade.",
    "Scientists blame marine heatwaves driven by climate change. The reef has now bleached five "
    "times in eight years, leaving corals little time to recover between events.",
    "The reef authority will publish the full survey in June and plans new monitoring of coral "
    "recovery at the worst hit sites off Cairns and Townsville.",
]


def _page(paragraphs: list[str], kinds: list[str] | None = None) -> tuple[list[Block], list[Label]]:
    """One block per paragraph, each labelled as the cleaner keeps it (``body`` by default)."""
    blocks, labels, offset = [], [], 0
    for k, text in enumerate(paragraphs):
        blocks.append(Block(offset, offset + len(text), text))
        offset += len(text) + 2
        kind = kinds[k] if kinds else "body"
        labels.append(Label(kind, "test"))
    return blocks, labels


def _appended(paragraphs: list[str], title: str | None = TITLE) -> set[int]:
    blocks, labels = _page(paragraphs)
    found = find_appended(blocks, labels, title, CleaningSettings())
    assert all(label.kind == APPENDED_KIND and label.reason for label in found.values())
    assert all(not label.kept for label in found.values())
    return set(found)


def test_teasers_after_the_article_are_appended() -> None:
    found = _appended(ARTICLE + TEASERS)
    assert found == set(range(len(ARTICLE), len(ARTICLE) + len(TEASERS)))


def test_a_single_teaser_is_appended() -> None:
    assert _appended(ARTICLE + TEASERS[:1]) == {len(ARTICLE)}


def test_a_whole_other_article_is_appended() -> None:
    found = _appended(ARTICLE + OTHER_ARTICLE)
    assert found == set(range(len(ARTICLE), len(ARTICLE) + len(OTHER_ARTICLE)))


def test_a_whole_other_article_is_appended_without_a_title() -> None:
    found = _appended(ARTICLE + OTHER_ARTICLE, title=None)
    assert found == set(range(len(ARTICLE), len(ARTICLE) + len(OTHER_ARTICLE)))


def test_the_reason_gives_the_evidence() -> None:
    blocks, labels = _page(ARTICLE + TEASERS[:1])
    (label,) = find_appended(blocks, labels, TITLE, CleaningSettings()).values()
    assert label.reason.startswith("topic shift: similarity 0.0")
    assert "title" in label.reason


def test_the_article_alone_loses_nothing() -> None:
    assert _appended(ARTICLE) == set()


def test_a_closing_quote_is_not_appended() -> None:
    quote = (
        "“My children will finally be able to ride to school on Harbour Street without me "
        "worrying every minute,” said Maria Lopez, a mother of three who waited in the council "
        "chamber until midnight to hear the result of the vote."
    )
    assert _appended([*ARTICLE, quote]) == set()


def test_a_short_off_topic_conclusion_is_not_appended() -> None:
    ending = "Anyone with questions can call the city helpline on weekdays between nine and five."
    assert _appended([*ARTICLE, ending]) == set()


def test_furniture_between_the_article_and_the_teasers_is_left_to_the_cleaner() -> None:
    kinds = ["body"] * len(ARTICLE) + ["heading"] + ["body"] * len(TEASERS)
    blocks, labels = _page([*ARTICLE, "Share this story", *TEASERS], kinds)
    found = find_appended(blocks, labels, TITLE, CleaningSettings())
    first_teaser = len(ARTICLE) + 1
    assert set(found) == set(range(first_teaser, first_teaser + len(TEASERS)))


def test_removed_blocks_are_never_relabelled() -> None:
    blocks, labels = _page(ARTICLE + TEASERS)
    labels[-1] = Label("footer", "test")
    found = find_appended(blocks, labels, TITLE, CleaningSettings())
    assert set(found) == set(range(len(ARTICLE), len(ARTICLE) + len(TEASERS) - 1))


def test_an_off_topic_ending_before_the_page_footer_stays_with_the_article() -> None:
    ending = (
        "Separately, the regional water authority announced that reservoir levels had recovered "
        "after the wet autumn, and that the summer hosepipe ban will not return next year, "
        "according to its chief engineer."
    )
    footer = (
        "Copyright 2024 Riverside Gazette. All rights reserved. Terms of use. Privacy policy. "
        "Contact us. Advertise with us. Subscribe to our newsletter for the latest local news "
        "delivered to your inbox every morning."
    )
    paragraphs = [*ARTICLE, ending, footer, *TEASERS]
    blocks, labels = _page(paragraphs)
    labels[len(ARTICLE) + 1] = Label("footer", "test")
    found = find_appended(blocks, labels, TITLE, CleaningSettings())
    # Without the break the ending would start the run; after it, only the teasers are appended.
    assert set(found) == set(range(len(ARTICLE) + 2, len(paragraphs)))


def test_furniture_prose_before_a_short_article_does_not_make_it_appended() -> None:
    cookies = [
        "We use cookies and other tracking technologies to improve your browsing experience on "
        "our site, show personalised content and targeted ads, and analyse site traffic.",
        "By choosing I Accept, you consent to our use of cookies and other tracking "
        "technologies, which you can change at any time in the privacy settings of this site.",
    ]
    footer = (
        "Copyright 2024 Riverside Gazette. All rights reserved. Terms of use. Privacy policy. "
        "Contact us. Advertise with us."
    )
    blocks, labels = _page([*cookies, *ARTICLE, footer])
    labels[-1] = Label("footer", "test")
    # No title: the coherent article after the kept cookie notice is bigger, and the page's
    # footer follows it, so the article is the run, and nothing is cut.
    assert find_appended(blocks, labels, None, CleaningSettings()) == {}


def test_a_bigger_other_article_after_a_short_one_is_cut_when_the_title_tells() -> None:
    short = ARTICLE[:2]
    found = _appended(short + OTHER_ARTICLE)
    assert found == set(range(2, 2 + len(OTHER_ARTICLE)))


def test_a_short_article_keeps_its_teasers_out() -> None:
    found = _appended(ARTICLE[:2] + TEASERS)
    assert found == set(range(2, 2 + len(TEASERS)))


def test_appended_table_rows_are_grouped_and_cut() -> None:
    standings = [f"{k} Driver Number{k} {2300 - 40 * k} 0 {k % 3} 1 {k + 2}" for k in range(1, 16)]
    found = _appended(ARTICLE + standings)
    assert found == set(range(len(ARTICLE), len(ARTICLE) + len(standings)))


def test_pages_with_too_little_prose_are_left_alone() -> None:
    assert _appended([ARTICLE[0]]) == set()
    assert _appended([]) == set()


def test_terms_drop_function_words_and_stem() -> None:
    bag = terms("The councillors said the Council approved the bicycle lanes and a lane.")
    assert "the" not in bag and "said" not in bag and "and" not in bag
    assert bag["counci"] == 2  # councillors, council
    assert bag["lanes"] == 1 and bag["lane"] == 1
    assert bag["bicycl"] == 1


def test_terms_split_cjk_into_bigrams() -> None:
    bag = terms("東京都知事 election")
    assert bag["東京"] == 1 and bag["知事"] == 1
    assert bag["electi"] == 1


_PARAGRAPHS = st.sampled_from(
    [*ARTICLE, *TEASERS, *OTHER_ARTICLE, "Share this story", "Read more", "1 Ann Lee 2194 1 0 10"]
)
_KINDS = st.sampled_from(["body", "body", "body", "quote", "heading", "list", "footer", "nav"])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(_PARAGRAPHS, _KINDS), max_size=20), st.sampled_from([TITLE, None]))
def test_only_a_tail_of_kept_blocks_is_labelled(
    page: list[tuple[str, str]], title: str | None
) -> None:
    blocks, labels = _page([text for text, _ in page], [kind for _, kind in page])
    found = find_appended(blocks, labels, title, CleaningSettings())
    assert all(labels[i].kept for i in found)
    if found:
        # Every kept block from the first labelled one to the end is labelled, none before it.
        first = min(found)
        assert set(found) == {i for i in range(first, len(blocks)) if labels[i].kept}
