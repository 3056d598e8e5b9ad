"""Document-level quality checks (flows/steps/quality.py) and the quality stage."""

from __future__ import annotations

import dataclasses

import pytest

from flows.config import QualitySettings, Settings
from flows.records import CleanedDocument, DecodedDocument
from flows.stages import InFlight, quality_batch
from flows.steps.clean import clean_text
from flows.steps.quality import document_problem, guess_language, text_fingerprint

ARTICLE = (
    "The city council approved a new budget on Tuesday after a long debate about schools, "
    "roads and the future of the harbour, officials said after the vote.\n\n"
    "The mayor said the plan would be reviewed in the spring, when the first figures on "
    "spending and revenue are expected from the finance office."
)


def _cleaned(text: str) -> CleanedDocument:
    return clean_text(text)


def _item(name: str, text: str) -> InFlight:
    decoded = DecodedDocument(source_name=name, sha256=name * 4, encoding="utf-8", text=text)
    return InFlight(decoded=decoded, cleaned=_cleaned(text))


def test_a_normal_article_passes() -> None:
    assert document_problem(_cleaned(ARTICLE), QualitySettings()) is None


def test_short_and_long_bodies_are_named_with_the_setting() -> None:
    problem = document_problem(_cleaned(ARTICLE), QualitySettings(min_words=500))
    assert problem is not None and "too short" in problem and "quality.min_words = 500" in problem
    problem = document_problem(_cleaned(ARTICLE), QualitySettings(max_words=10))
    assert problem is not None and "too long" in problem


def test_other_languages_are_named_and_can_be_accepted() -> None:
    french = (
        "Le gouvernement a présenté lundi un projet de loi pour les entreprises, qui doit être "
        "examiné par les députés avant la fin du mois. Les syndicats demandent des garanties "
        "sur les salaires et sur la durée du travail dans les petites entreprises du pays."
    )
    cleaned = _cleaned(french)
    problem = document_problem(cleaned, QualitySettings())
    assert problem is not None and "it looks like French" in problem
    assert document_problem(cleaned, QualitySettings(languages=())) is None


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("日本政府は月曜日、新しい法律を発表した。国会で審議される予定だ。", "Japanese"),
        ("中国政府周一宣布了新的法律，将提交全国人大审议。", "Chinese"),
        ("Правительство в понедельник объявило о новом законе.", "a Cyrillic-script language"),
        ("Die Regierung hat am Montag das Gesetz vorgelegt, und es ist nicht neu.", "German"),
        ("12345 !!!", None),
    ],
)
def test_guess_language(text: str, language: str | None) -> None:
    assert guess_language(text) == language


def test_fingerprint_ignores_case_punctuation_and_spacing() -> None:
    assert text_fingerprint("The Vote, today!") == text_fingerprint("the  vote today")
    assert text_fingerprint("The vote today") != text_fingerprint("The vote tomorrow")


def test_the_stage_quarantines_repeats_across_batches_and_keeps_the_first() -> None:
    settings = Settings()
    seen: dict[str, str] = {}
    kept, dropped = quality_batch([_item("a.txt", ARTICLE)], settings, seen)
    assert [i.source_name for i in kept] == ["a.txt"] and not dropped
    repost = "Home | News | Sport\n\n" + ARTICLE.upper() + "\n\nShare this article\n"
    kept, dropped = quality_batch([_item("b.txt", repost)], settings, seen)
    assert not kept
    assert [(q.source_name, q.stage) for q in dropped] == [("b.txt", "quality")]
    assert "duplicate of a.txt" in dropped[0].reason
    off = dataclasses.replace(settings, quality=QualitySettings(drop_duplicate_text=False))
    kept, _ = quality_batch([_item("c.txt", ARTICLE)], off, seen)
    assert [i.source_name for i in kept] == ["c.txt"]
