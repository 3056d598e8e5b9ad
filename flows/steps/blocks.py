"""Blocks: cut normalized text into paragraph-like blocks and rejoin sentences cut in two.

A block is one non-empty line. Two kinds of cuts are mended, both only when the first part ends
mid-sentence (no terminal punctuation):
- page breaks: the sentence resumes after one or more blank lines, starting in lower case, or the
  first part is long prose and the next block is long prose too;
- hard wraps: consecutive lines (no blank line between) where the next starts in lower case.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable

from flows.config import NormalizeSettings
from flows.records import Block

# A sentence is finished when the block ends in one of these (closing quotes/brackets allowed).
_TERMINAL_END = re.compile(r"[.!?:;…][\"'”’)\]]*$|[\"”’]$")
# What may follow the stop of a _TERMINAL_END match: closers, and the newline "$" allows.
_TERMINAL_TAIL = "\"'”’)]\n"
_CONTINUES_LOWER = re.compile(r"^[a-z][a-z'’-]")
_ENDS_IN_WORD = re.compile(r"[\w,]$")
# A page break is a few blank lines at most; a longer gap separates unrelated parts.
MAX_PAGE_BREAK_BLANKS = 4
# A hard-wrapped line has at least this many words; shorter lines are menus or labels.
MIN_WRAPPED_LINE_WORDS = 5
# Lower-case continuation after a blank line needs a first part of at least this many words.
MIN_LOWER_CONTINUATION_WORDS = 3


def _words(text: str) -> int:
    return len(text.split())


def _is_table_row(text: str) -> bool:
    return "\t" in text


# Both end-anchored patterns are searched from where a match can start, not from the start of
# a long paragraph (a regex search tries every position): same answer, constant time.
def _ends_terminal(text: str) -> bool:
    start = len(text.rstrip(_TERMINAL_TAIL)) - 1  # a match starts at or after the last stop
    return _TERMINAL_END.search(text, max(start, 0)) is not None


def _ends_in_word(text: str) -> bool:
    return _ENDS_IN_WORD.search(text, max(len(text) - 2, 0)) is not None  # "$": maybe before "\n"


def continues(previous: Block, following: Block, settings: NormalizeSettings) -> bool:
    """Whether ``following`` continues the sentence that ``previous`` leaves unfinished."""
    return text_continues(
        previous.text, following.text, following.blank_before, settings.page_break_min_words
    )


def text_continues(
    previous: str, following: str, blank_before: int, page_break_min_words: int
) -> bool:
    """``continues`` of two texts, ``blank_before`` blank lines apart (the cleaner asks it of
    kept paragraphs, without building blocks)."""
    if _ends_terminal(previous) or not _ends_in_word(previous):
        return False
    if _is_table_row(previous) or _is_table_row(following):
        return False
    return _resumes(previous, following, blank_before, page_break_min_words)


def _resumes(previous: str, following: str, blank_before: int, page_break_min_words: int) -> bool:
    """The rest of ``continues``, once both texts are known to be no table rows and ``previous``
    to end mid-sentence in a word."""
    lower_start = _CONTINUES_LOWER.match(following) is not None
    if blank_before == 0:
        return lower_start and _words(previous) >= MIN_WRAPPED_LINE_WORDS
    if blank_before > MAX_PAGE_BREAK_BLANKS:
        return False
    if lower_start:
        return _words(previous) >= MIN_LOWER_CONTINUATION_WORDS
    # Upper-case start: only a long paragraph cut mid-sentence, resumed by a finished sentence.
    return _words(previous) >= page_break_min_words and (
        _words(following) >= page_break_min_words
        or (_words(following) >= MIN_WRAPPED_LINE_WORDS and _ends_terminal(following))
    )


_BLOCK_FIELDS = ("start", "end", "text", "blank_before", "joined_from")


def _block_maker() -> Callable[[int, int, str, int, int], Block]:
    """``Block(start, end, text, blank_before, joined_from)`` with the slots set directly, not
    through the frozen dataclass's ``__init__`` (an ``object.__setattr__`` call per field): the
    same block in about half the time (a block is made per line). ``Block`` itself should its
    fields change."""
    fields = tuple(field.name for field in dataclasses.fields(Block))
    if fields != _BLOCK_FIELDS or hasattr(Block, "__post_init__"):  # pragma: no cover
        return Block
    new = object.__new__
    set_start, set_end, set_text, set_blank, set_joined = (
        getattr(Block, name).__set__ for name in _BLOCK_FIELDS
    )

    def make(start: int, end: int, text: str, blank_before: int, joined_from: int) -> Block:
        block = new(Block)
        set_start(block, start)
        set_end(block, end)
        set_text(block, text)
        set_blank(block, blank_before)
        set_joined(block, joined_from)
        return block

    return make


_make_block = _block_maker()


def split_lines(text: str) -> list[Block]:
    """One block per non-empty line, with offsets into ``text`` and blank lines before it."""
    blocks: list[Block] = []
    append = blocks.append
    make = _make_block
    offset = 0
    blank = 0
    for line in text.split("\n"):
        if line and not line.isspace():  # = line.strip(), without building the stripped copy
            end = offset + len(line)
            append(make(offset, end, line, blank, 1))
            blank = 0
            offset = end + 1
        else:
            blank += 1
            offset += len(line) + 1
    return blocks


def split_blocks(text: str, settings: NormalizeSettings | None = None) -> list[Block]:
    """Blocks of ``text`` with sentences cut by page breaks or hard wraps rejoined."""
    settings = settings or NormalizeSettings()
    min_words = settings.page_break_min_words
    min_chars = 2 * min_words - 1  # the shortest text of that many words
    merged: list[Block] = []
    append = merged.append
    make = _make_block
    offset = 0
    blank = 0
    # ``continues`` of the last block and each line, with what it asks of the block read off
    # its last line once (a block whose last line ends in a word character or comma has no
    # terminal end, and a tab-free block is one whose last line is tab-free: lines with tabs are
    # never joined), and the cases that cannot join skipped before the call: no lower-case
    # start and either no blank line before or too few characters for the words a join needs.
    open_end = False
    for line in text.split("\n"):
        if line and not line.isspace():  # = line.strip(), without building the stripped copy
            end = offset + len(line)
            if (
                open_end
                and blank <= MAX_PAGE_BREAK_BLANKS
                and ("a" <= line[0] <= "z" or (blank and len(merged[-1].text) >= min_chars))
                and "\t" not in line
                and _resumes((head := merged[-1]).text, line, blank, min_words)
            ):
                merged[-1] = make(
                    head.start, end, f"{head.text} {line}", head.blank_before, head.joined_from + 1
                )
            else:
                append(make(offset, end, line, blank, 1))
            last = line[-1]
            open_end = (last.isalnum() or last == "," or last == "_") and "\t" not in line
            blank = 0
            offset = end + 1
        else:
            blank += 1
            offset += len(line) + 1
    return merged
