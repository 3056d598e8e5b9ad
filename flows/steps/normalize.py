"""Normalize: repair unicode and layout so later steps see one consistent text shape.

What it does, in order: ftfy (mojibake, HTML entities, control characters, NFC; curly quotes
are kept), invisible characters (zero-width spaces and joiners, bidi controls as in "Trojan
Source" text, soft hyphens: a word split by one is whole again), CR and CRLF line ends (the text equals its LF version's), non-breaking spaces, markup residue
(HTML tags, markdown emphasis, heading marks, links and images), words hyphenated at a line end
("secu-\\nrity"), per-line whitespace. Line structure (and blank lines, which are evidence for
page breaks) is preserved; joining lines into paragraphs is the job of ``blocks``.
``normalize_text`` is idempotent (the result is NFC even where a removal put a combining mark
next to a letter).
"""

from __future__ import annotations

import html
import re
import unicodedata

import ftfy
from ftfy import fixes as ftfy_fixes
from ftfy.badness import is_bad

from flows.config import NormalizeSettings

_FTFY_CONFIG = ftfy.TextFixerConfig(uncurl_quotes=False, explain=False)

# Cheap scans that decide which of ftfy's repairs can apply. UTF-8 read as Latin-1/cp1252
# ("â€™", "Ã©") shows a lead byte (U+00C2-U+00F4) followed by a continuation byte's character.
_MOJIBAKE_LEAD = re.compile("[\u00c2-\u00f4]")
_MOJIBAKE_HINT = re.compile(
    _MOJIBAKE_LEAD.pattern + "[\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192"
    "\u02c6\u02dc\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]"
)
_CONTROL = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ufff9-\ufffc]")
_LIGATURE = re.compile("[\u0132\u0133\u01c4-\u01cc\u01f1-\u01f3\ufb00-\ufb06]")
_FULLWIDTH = re.compile("[\u3000\uff01-\uff5e]")
_SURROGATE = re.compile("[\ud800-\udfff]")
# One scan for the three rare repairs above; each is then checked on its own, in order.
_RARE_REPAIR = re.compile("|".join(p.pattern for p in (_LIGATURE, _FULLWIDTH, _SURROGATE)))

# Horizontal whitespace other than the tab (tabs separate table cells and are kept).
_HSPACE = re.compile(r"[^\S\t\n]+")
# The runs of _HSPACE that replacing by one space changes: two or more characters, or one that
# is not a space. Substituting only these gives the same text without rewriting every space.
_HSPACE_CHANGE = re.compile(r"[^\S\t\n]{2,}|[^\S \t\n]")
# Whitespace other than space, tab and newline, as a positive class (much faster to scan for
# than the negated one). \s has no characters beyond the BMP (the tests check).
_ODD_SPACE = re.compile(
    "[" + re.escape("".join(re.findall(r"[^\S \t\n]", "".join(map(chr, range(0x10000)))))) + "]"
)
# textacy 0.13's preprocessing patterns (resources.RE_ZWSP, RE_BULLET_POINTS and
# normalize.bullet_points), copied: importing textacy.preprocessing imports all of textacy (~2.6 s
# of every run's start-up). tests/test_speed_equivalence.py checks they stay equal to textacy's.
RE_ZWSP = re.compile(r"[\u200B\u2060\uFEFF]+")
RE_BULLET_POINTS = re.compile(
    r"((^|\n)\s*?)([\u2022\u2023\u2043\u204C\u204D\u2219\u25aa\u25CF\u25E6\u29BE\u29BF\u30fb])"
)


def bullet_points(text: str) -> str:
    """Fancy bullet symbols that start a line become "-" (textacy's ``bullet_points``)."""
    return RE_BULLET_POINTS.sub(r"\1-", text)


_ZWSP_CHARS = "\u200b\u2060\ufeff"  # what textacy's RE_ZWSP removes (the tests check)

# Invisible characters that no published text keeps (textacy's RE_ZWSP covers three): bidi
# controls (U+061C, U+200E/F, U+202A-E, U+2066-9: "Trojan Source" reordering), the deprecated
# format controls U+206A-F, soft hyphens, the Mongolian vowel separator and invisible
# operators. All are in the BMP and outside ASCII. (C1 controls stay: ftfy reads them as
# evidence of mojibake, and ingest counts them as binary garbage. Tag characters U+E0000-7F
# stay: an astral range in the one scan below would double its cost on every text.)
_INVISIBLE_CLASS = (
    "\u00ad\u061c\u180e\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff"
)
_INVISIBLE = re.compile(f"[{_INVISIBLE_CLASS}]+")
# Every character ``remove_invisible`` may remove (the joiners too), for the one scan below.
_INVISIBLE_CHAR = re.compile(f"[{_INVISIBLE_CLASS}\u200c\u200d]")
# Zero-width (non-)joiners shape letters of joining scripts (Arabic, Syriac, Indic, Tibetan,
# Myanmar, Khmer) and glue emoji sequences (U+FE0F, pictographs, skin tones); only there, with
# such a character on both sides, are they kept. Elsewhere (inside a Latin word) they go.
_JOINING = (
    "\u0600-\u06ff\u0700-\u074f\u0750-\u077f\u08a0-\u08ff\u0900-\u0dff\u0f00-\u0fff"
    "\u1000-\u109f\u1780-\u17ff\u2600-\u27bf\ufb50-\ufdff\ufe0f\ufe70-\ufefc"
    "\U0001f000-\U0001faff"
)
_STRAY_JOINER = re.compile(f"(?<![{_JOINING}])[\u200c\u200d]|[\u200c\u200d](?![{_JOINING}])")


def remove_invisible(text: str) -> str:
    """``text`` without invisible characters (``_INVISIBLE``, joiners outside ``_JOINING``)."""
    if text.isascii():
        return text
    text = _INVISIBLE.sub("", text)
    if "\u200c" in text or "\u200d" in text:
        text = _STRAY_JOINER.sub("", text)
    return text


def without_invisible(text: str, fix_mojibake: bool = True) -> tuple[str, bool]:
    """``remove_invisible(text)``, repaired by ftfy again where the removal uncovered mojibake
    (a soft hyphen inside "Â\x80" hides it from ftfy); and whether ftfy ran (it may add
    characters). Without the second repair, normalizing the result would change it."""
    refixed = False
    while True:
        cleaned = remove_invisible(text)
        if cleaned == text:
            return text, refixed
        text = cleaned
        if not (fix_mojibake and _MOJIBAKE_HINT.search(text) and is_bad(text)):
            return text, refixed
        text, refixed = ftfy.fix_text(text, _FTFY_CONFIG), True


_TABS_AROUND = re.compile(r" *\t *")

# HTML residue: only real element names, so "<https://...>" autolinks are not mistaken for tags.
_BLOCK_TAGS = "p|div|br|li|ul|ol|h[1-6]|tr|table|section|article|blockquote|hr"
_INLINE_TAGS = "a|b|i|u|em|strong|span|small|sup|sub|font|img|abbr|cite|code|mark|time"
_BLOCK_TAG = re.compile(rf"</?(?:{_BLOCK_TAGS})(?:\s[^<>]*)?/?>", re.IGNORECASE)
_INLINE_TAG = re.compile(rf"</?(?:{_INLINE_TAGS})(?:\s[^<>]*)?/?>", re.IGNORECASE)
_HTML_ENTITY = re.compile(r"&(?:#\d{1,7}|#x[0-9a-fA-F]{1,6}|[a-zA-Z]{2,8});")

# Markdown residue.
_MD_IMAGE = re.compile(r"!\[([^\]\n]*)\]\([^)\n]*\)")
_MD_LINK = re.compile(r"\[([^\]\n]+)\]\((?:https?://|/|#)[^)\s]*\)")
_MD_HEADING = re.compile(r"^[ \t]{0,3}#{1,6}[ \t]+(?=\S)", re.MULTILINE)
# Emphasis: *x*, **x**, ***x***, __x__ around non-space text on one line; stars may wrap
# underscores (***__x__***: the loop strips both), underscores never wrap underscores.
_MD_EMPHASIS = re.compile(
    r"(?<![\w*])(\*{1,3}|_{2,3})(?=[^\s*])(?!(?<=_)_)([^\n*]*?(?:[^\s*_]|_(?=\*)))\1(?![\w*])"
)
_LINE_END_HYPHEN = re.compile(r"(?<=[^\W\d]{2})-\n(?=[a-z]{2})")
_MD_STRAY_STARS = re.compile(r"(?<=\w)\*{2,3}(?=\s|$)|(?<=\s)\*{2,3}(?=\w)")


# The bullet characters textacy's ``bullet_points`` replaces (the last group of its pattern):
# without one of them in the text it changes nothing.
_BULLET_CLASS = RE_BULLET_POINTS.pattern.rpartition("(")[2].removesuffix(")")
_BULLET_CHAR = re.compile(_BULLET_CLASS) if _BULLET_CLASS.startswith("[") else None


# A character that each markup pass needs ("![" needs "!", "](" needs "]", "__" needs "_").
_MARKUP_CHARS = "![]#*_<&"
# The line-end hyphen pattern with its look-behind after the hyphen: the same matches, found
# from the hyphens (a pattern that opens with a look-behind is tried at every position).
_HYPHEN_AT_LINE_END = re.compile(r"-(?<=[^\W\d]{2}-)\n(?=[a-z]{2})")

# Every character that a pass looks for on its own (control characters, mojibake's lead
# characters, ligatures, full-width forms, surrogates, zero-width spaces, bullets, whitespace
# other than space and newline, markup characters), found in one scan instead of one per
# pass. A pass whose characters are not among the ones found is skipped. The found set stays
# right (or holds more) through passes that only remove characters or add newlines, spaces
# and "-" (none in it); after one that may add others (ftfy's repairs, an NFC that changes
# the text, HTML entities) it is dropped and the passes look in the text again.
_SPECIAL = re.compile(
    "["
    + "".join(
        p.pattern[1:-1]
        for p in (
            _CONTROL,
            _MOJIBAKE_LEAD,
            _LIGATURE,
            _FULLWIDTH,
            _SURROGATE,
            _ODD_SPACE,
            _INVISIBLE_CHAR,
        )
    )
    + re.escape(_ZWSP_CHARS + "\t" + _MARKUP_CHARS)
    + (_BULLET_CLASS[1:-1] if _BULLET_CHAR is not None else "")
    + "]"
)


def _special_chars(text: str) -> str:
    """The characters of ``text`` that ``_SPECIAL`` matches, each once."""
    return "".join(set(_SPECIAL.findall(text)))


def fix_unicode(text: str) -> str:
    """ftfy's repairs, each run only where a cheap scan finds something for it to repair."""
    return _fix_unicode(text, _special_chars(text))[0]


def _fix_unicode(text: str, found: str) -> tuple[str, str | None]:
    """``fix_unicode`` of ``text`` whose special characters are ``found``, and those of the
    result, or None where a repair may have added some."""
    if _CONTROL.search(found):
        text = ftfy_fixes.remove_terminal_escapes(ftfy_fixes.remove_control_chars(text))
    if text.isascii():  # no mojibake hint, ligature, full-width form or surrogate is ASCII
        return text, found
    if _MOJIBAKE_LEAD.search(found) and _MOJIBAKE_HINT.search(text) and is_bad(text):
        return ftfy.fix_text(text, _FTFY_CONFIG), None
    if not _RARE_REPAIR.search(found):
        fixed = unicodedata.normalize("NFC", text)
        return fixed, (found if fixed is text or fixed == text else None)
    if _LIGATURE.search(text):
        text = ftfy_fixes.fix_latin_ligatures(text)
    if _FULLWIDTH.search(text):
        text = ftfy_fixes.fix_character_width(text)
    if _SURROGATE.search(text):
        text = ftfy_fixes.fix_surrogates(text)
    return unicodedata.normalize("NFC", text), None


def _strip_emphasis(text: str) -> str:
    """``_MD_EMPHASIS`` substituted until nothing changes, only in the lines that hold "*" or
    "__": a match lies within one line, and its look-arounds read a newline as they read the
    ends of the text, so each line comes out as from substituting the whole text."""
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if "*" in line or "__" in line:
            while "*" in line or "__" in line:  # nested emphasis such as ***x*** or *a **b** c*
                line, found = _MD_EMPHASIS.subn(r"\2", line)
                if not found:  # a match always shortens the text: none found, nothing changed
                    break
            lines[i] = line
    return "\n".join(lines)


def strip_emphasis(text: str) -> str:
    """Markdown emphasis and stray stars gone, as ``normalize_text`` strips them from each line
    (for lines that ``blocks`` joins later)."""
    if "*" in text or "__" in text:
        text = _strip_emphasis(text)
    if "**" in text:
        text = _MD_STRAY_STARS.sub("", text)
    return text


def _strip_markup(text: str, found: str | None = None) -> tuple[str, bool]:
    """``text`` without markup residue, and whether HTML entities were replaced (the only
    characters this adds but newlines). ``found``: the text's special characters (or more),
    None if not known; a pattern runs only if they include the ones it needs."""

    def may_hold(chars: str) -> bool:
        return found is None or all(char in found for char in chars)

    # Each pattern needs a literal that ``in`` finds much faster than the regex fails to match
    # (the look-behinds are tried at every position), so it only runs where it can match.
    if may_hold("![") and "![" in text:
        text = _MD_IMAGE.sub("", text)
    if may_hold("]") and "](" in text:
        text = _MD_LINK.sub(r"\1", text)
    if may_hold("#") and "#" in text:
        text = _MD_HEADING.sub("", text)
    if (may_hold("*") and "*" in text) or (may_hold("_") and "__" in text):
        text = _strip_emphasis(text)
    if may_hold("*") and "**" in text:
        text = _MD_STRAY_STARS.sub("", text)
    if may_hold("<") and "<" in text:
        text = _BLOCK_TAG.sub("\n", text)
        text = _INLINE_TAG.sub("", text)
    entities = 0
    if may_hold("&") and "&" in text:
        text, entities = _HTML_ENTITY.subn(lambda m: html.unescape(m.group(0)), text)
    return text, entities > 0


_LINE_EDGE_SPACE = re.compile(r"[ \t]*\n[ \t]*")


def _clean_lines(text: str, found: str | None = None) -> str:
    """Collapse spaces, tidy tabs and strip every line, in whole-text passes.

    ``found``: the text's special characters (or more), None if not known.
    """
    # Each pass only where it can change something: ``in`` scans far faster than a regex.
    if "  " in text or ((found is None or _ODD_SPACE.search(found)) and _ODD_SPACE.search(text)):
        text = _HSPACE_CHANGE.sub(" ", text)
    tabs = (found is None or "\t" in found) and "\t" in text
    if tabs:
        text = _TABS_AROUND.sub("\t", text)
    if " \n" in text or "\n " in text or (tabs and ("\t\n" in text or "\n\t" in text)):
        text = _LINE_EDGE_SPACE.sub("\n", text)
    return text.strip(" \t")


def normalize_text(text: str, settings: NormalizeSettings | None = None) -> str:
    """Repaired text with one line per source line, trailing/leading spaces removed."""
    settings = settings or NormalizeSettings()
    # The special characters the text holds, or more; None: not known (see _SPECIAL).
    found: str | None = _special_chars(text)
    if settings.fix_mojibake:
        text, found = _fix_unicode(text, found)
    # Each later pass runs only where a cheap test says it can change the text.
    if any(char in (text if found is None else found) for char in _ZWSP_CHARS):
        text = RE_ZWSP.sub("", text)
    if found is None or _INVISIBLE_CHAR.search(found):
        text, refixed = without_invisible(text, settings.fix_mojibake)
        if refixed:
            found = None
    if found is None or "\r" in found:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if found is None or "\f" in found:
        text = text.replace("\f", "\n\n")
    if settings.strip_markdown_emphasis:
        text, added = _strip_markup(text, found)
        if added:
            found = None
    if _BULLET_CHAR is None or (
        (found is None or _BULLET_CHAR.search(found)) and _BULLET_CHAR.search(text)
    ):
        text = bullet_points(text)
    if "-\n" in text:
        text = _HYPHEN_AT_LINE_END.sub("", text)
    return nfc(_clean_lines(text, found).strip("\n"))


def nfc(text: str) -> str:
    """``text`` in NFC. A removal (a tag, a control, an invisible character) can put a combining
    mark after the letter it composes with: without this a second pass would change the text."""
    if text.isascii() or unicodedata.is_normalized("NFC", text):
        return text
    return unicodedata.normalize("NFC", text)
