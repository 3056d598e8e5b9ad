"""Blocks: cut normalized text into paragraph-like blocks and rejoin sentences cut in two.

A block is one non-empty line. Two kinds of cuts are mended, both only when the first part ends
mid-sentence (no terminal punctuation):
- page breaks: the sentence resumes after one or more blank lines, starting in lower case, or the
  first part is long prose and the next block is long prose too;
- hard wraps: consecutive lines (no blank line between) where the next starts in lower case.
"""

from __future__ import annotations

import re

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
    if _is_table_row(previous.text) or _is_table_row(following.text):
        return False
    if _ends_terminal(previous.text) or not _ends_in_word(previous.text):
        return False
    lower_start = bool(_CONTINUES_LOWER.match(following.text))
    if following.blank_before == 0:
        return lower_start and _words(previous.text) >= MIN_WRAPPED_LINE_WORDS
    if following.blank_before > MAX_PAGE_BREAK_BLANKS:
        return False
    if lower_start:
        return _words(previous.text) >= MIN_LOWER_CONTINUATION_WORDS
    # Upper-case start: only a long paragraph cut mid-sentence, resumed by a finished sentence.
    return _words(previous.text) >= settings.page_break_min_words and (
        _words(following.text) >= settings.page_break_min_words
        or (_words(following.text) >= MIN_WRAPPED_LINE_WORDS and _ends_terminal(following.text))
    )


def split_lines(text: str) -> list[Block]:
    """One block per non-empty line, with offsets into ``text`` and blank lines before it."""
    blocks: list[Block] = []
    offset = 0
    blank = 0
    for line in text.split("\n"):
        if line and not line.isspace():  # = line.strip(), without building the stripped copy
            blocks.append(Block(offset, offset + len(line), line, blank_before=blank))
            blank = 0
        else:
            blank += 1
        offset += len(line) + 1
    return blocks


def split_blocks(text: str, settings: NormalizeSettings | None = None) -> list[Block]:
    """Blocks of ``text`` with sentences cut by page breaks or hard wraps rejoined."""
    settings = settings or NormalizeSettings()
    merged: list[Block] = []
    for block in split_lines(text):
        if merged and continues(merged[-1], block, settings):
            head = merged[-1]
            merged[-1] = Block(
                head.start,
                block.end,
                f"{head.text} {block.text}",
                blank_before=head.blank_before,
                joined_from=head.joined_from + block.joined_from,
            )
        else:
            merged.append(block)
    return merged
