"""Document-level quality checks: which cleaned documents are not published, and why.

Owns the decision to quarantine a document that cleaned without error but should not reach the
tables: a body too short or too long to be an article, a language the run does not accept, or
the same article text as a document already accepted in this run (the same story scraped twice
with different page furniture). Each check gives a reason a person can act on; the stage calls
them after metadata and before NLP, so quarantined documents cost no spaCy time.

Length is counted in words as :func:`flows.steps.phrases.word_count` counts them: a character of
a script written without spaces (Chinese, Japanese, Thai) is a word, so a long Chinese article
is named for its language, not called "too short" for having few spaces.

Language: the cleaner's ``language`` field says "en" or "und" (see
:func:`flows.steps.clean.detect_language`). For the reason only, :func:`guess_language` names
the likely language from its script or its commonest words ("German", "Japanese").
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter

from flows.config import QualitySettings
from flows.records import CleanedDocument
from flows.steps.phrases import word_count

_WORDS = re.compile(r"[^\W\d_]+")


def _wordset(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Words that are each among the commonest of one language and rare in the others: a few are
# enough to name a language for a human-readable reason (not to route text).
_STOPWORDS: dict[str, frozenset[str]] = {
    "German": _wordset("der die das und ist nicht mit sich des dem ein eine auf für von zu auch"),
    "French": _wordset("le la les et est une des du dans pour qui que pas sur au avec"),
    "Spanish": _wordset("el los las y es una del en por que con para como pero más se"),
    "Italian": _wordset("il gli e è una della che per con non del le di si sono"),
    "Portuguese": _wordset("o os as e é uma do da em que com para não dos das se"),
    "Dutch": _wordset("de het een en is van niet met op voor dat zijn ook aan"),
    "English": _wordset("the and of to is that with for was were are this from by"),
}
# Unicode script (first word of the character name) -> language named in reasons.
_SCRIPTS: dict[str, str] = {
    "HIRAGANA": "Japanese",
    "KATAKANA": "Japanese",
    "HANGUL": "Korean",
    "CJK": "Chinese",
    "CYRILLIC": "a Cyrillic-script language",
    "ARABIC": "Arabic",
    "GREEK": "Greek",
    "HEBREW": "Hebrew",
    "DEVANAGARI": "Hindi",
    "THAI": "Thai",
}
# Letters sampled to find a text's script (enough to decide, cheap on huge texts).
SCRIPT_SAMPLE_LETTERS = 2000
# Share of sampled letters a non-Latin script needs to name the text's language.
SCRIPT_MIN_SHARE = 0.3


def guess_language(text: str) -> str | None:
    """A human-readable guess at the language of ``text`` ("German", "Japanese"), or None."""
    letters = [ch for ch in text[: SCRIPT_SAMPLE_LETTERS * 4] if ch.isalpha()]
    letters = letters[:SCRIPT_SAMPLE_LETTERS]
    if not letters:
        return None
    scripts: Counter[str] = Counter()
    for ch in letters:
        if not ch.isascii():
            scripts[unicodedata.name(ch, "UNKNOWN").split(" ", 1)[0]] += 1
    # Japanese mixes kana with Han characters: any kana share decides for Japanese.
    if scripts["HIRAGANA"] + scripts["KATAKANA"] >= SCRIPT_MIN_SHARE * len(letters) / 3:
        return "Japanese"
    script, count = max(scripts.items(), key=lambda kv: kv[1], default=("", 0))
    if count >= SCRIPT_MIN_SHARE * len(letters) and script in _SCRIPTS:
        return _SCRIPTS[script]
    words = Counter(w.lower() for w in _WORDS.findall(text[: SCRIPT_SAMPLE_LETTERS * 4]))
    hits = {lang: sum(words[w] for w in stop) for lang, stop in _STOPWORDS.items()}
    best = max(hits, key=lambda lang: hits[lang])
    return best if hits[best] else None


def text_fingerprint(text: str) -> str:
    """Key of an article's wording: case, punctuation and spacing do not change it."""
    words = " ".join(w.casefold() for w in _WORDS.findall(text))
    return hashlib.sha256(words.encode("utf-8")).hexdigest()


def document_problem(cleaned: CleanedDocument, settings: QualitySettings) -> str | None:
    """Why ``cleaned`` must not be published (length or language), or None when it may."""
    n_words = word_count(cleaned.text)
    if n_words < settings.min_words:
        return (
            f"too short to be an article: {n_words} words after cleaning "
            f"(quality.min_words = {settings.min_words})"
        )
    if n_words > settings.max_words:
        return (
            f"too long to be one article: {n_words} words after cleaning "
            f"(quality.max_words = {settings.max_words})"
        )
    if settings.languages and cleaned.language not in settings.languages:
        guess = guess_language(cleaned.text)
        likely = f"; it looks like {guess}" if guess and guess != "English" else ""
        accepted = ", ".join(settings.languages)
        return (
            f"not in an accepted language: detected {cleaned.language!r}{likely} "
            f"(quality.languages = {accepted})"
        )
    return None
