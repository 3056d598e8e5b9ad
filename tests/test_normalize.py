"""Normalize and blocks: unicode repair, markup residue, page-break and hard-wrap rejoining."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from flows.steps.blocks import split_blocks, split_lines
from flows.steps.normalize import normalize_text


def test_mojibake_and_entities_are_repaired_and_quotes_kept() -> None:
    assert normalize_text("It’s broken: donâ€™t") == "It’s broken: don’t"
    assert normalize_text("Fish &amp; chips") == "Fish & chips"
    assert normalize_text("“quoted”") == "“quoted”"


def test_spaces_and_zero_width_characters() -> None:
    assert normalize_text("You may\u00a0also  be\u200b interested \n\n  next") == (
        "You may also be interested\n\nnext"
    )


def test_markdown_and_html_residue_is_removed() -> None:
    text = "## Heading\nthe *status quo* and **bold** and ***both*** and a [link](https://x.org).<br>End"
    assert normalize_text(text) == "Heading\nthe status quo and bold and both and a link.\nEnd"
    assert "*" not in normalize_text("a *b **c** d* e")


def test_autolinks_and_tables_survive() -> None:
    assert normalize_text("<http://www.example.org>") == "<http://www.example.org>"
    assert normalize_text("\tA\tB\nrow\t1\t2") == "A\tB\nrow\t1\t2"


def test_page_break_rejoins_a_sentence_cut_in_two() -> None:
    first = (
        "Officials said that "
        + "many words of a long sentence " * 5
        + "on April 16, U.S. President Joe"
    )
    text = (
        f"{first}\n\n\n\nBiden and Japanese Prime Minister Yoshihide Suga also raised concerns about "
        + ("the tensions in the strait and the region as a whole. " * 3)
    )
    [block] = split_blocks(text)
    assert "President Joe Biden and" in block.text
    assert block.joined_from == 2


def test_lower_case_continuation_after_a_heading_like_fragment() -> None:
    text = "Prevention of a military crisis around the strait\n\n\n\nis the first priority of the government."
    [block] = split_blocks(text)
    assert block.text.startswith("Prevention of a military crisis around the strait is the first")


def test_headings_and_finished_paragraphs_are_not_joined() -> None:
    text = "Strategic Recalibration\n\nJapan's recent recalibration is the result of several factors.\n\nNext one."
    assert len(split_blocks(text)) == 3


def test_hard_wrapped_lines_are_rejoined() -> None:
    text = (
        "The construction uses almost all of the\nmachinery developed in the last couple of\nyears."
    )
    [block] = split_blocks(text)
    assert block.text.endswith("couple of years.")


def test_line_offsets_point_into_the_text() -> None:
    text = "a\n\n b c\nd"
    for block in split_lines(text):
        assert text[block.start : block.end] == block.text


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=300))
def test_normalize_is_idempotent(text: str) -> None:
    once = normalize_text(text)
    assert normalize_text(once) == once


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(["", "Heading", "a sentence that ends.", "and goes on", "x\ty"]),
        max_size=20,
    )
)
def test_unjoined_blocks_index_their_text(lines: list[str]) -> None:
    text = "\n".join(lines)
    for block in split_blocks(text):
        if block.joined_from == 1:
            assert text[block.start : block.end] == block.text
        assert 0 <= block.start <= block.end <= len(text)
