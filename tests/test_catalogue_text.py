"""Catalogue of hostile text content (issue 7): each kind has a documented outcome.

The files are decoded text by the time these kinds matter (file-level kinds, encodings, BOMs,
empty, binary, huge files, links and names are in tests/test_catalogue_files.py). Outcomes:

| input kind | outcome |
| --- | --- |
| NUL bytes inside good text | repaired: removed by normalize, the words they split are whole |
| CRLF line ends | processed: the published text and segments equal the LF version's |
| lone CR line ends | processed: the published text and segments equal the LF version's |
| only boilerplate (menus, "Subscribe", "Share this", ©, "You may also ...") | quarantined (clean: "no article text found (all blocks removed as ...)") |
| Chinese article | quarantined (quality: "not in an accepted language ...; it looks like Chinese") |
| Japanese article | quarantined (quality: "not in an accepted language ...; it looks like Japanese") |
| English with Cyrillic, Greek, Arabic, CJK names and emoji | processed: every script kept, offsets valid |
| a 100,000-character token inside a paragraph | processed: the token removed inline (segment kind debris, "over-long token: 100000 characters ...") |
| a 5 MB base64 blob between paragraphs | processed: the blob removed (debris, "over-long token: 5000000 characters ..."), in bounded time |
| zero-width characters (U+200B/C/D, U+2060, U+FEFF) inside words | repaired: removed, the words whole again |
| bidi controls (U+202A-E, U+2066-9, U+200E/F; "Trojan Source") | repaired: removed, the text equals the text without them |

Zero-width joiners stay only between letters of joining scripts (Arabic, Indic, ...) and inside
emoji sequences, where they are part of the writing, not an attack.

The unit tests call the steps directly; one end-to-end run (module fixture) publishes all the
kinds with three good articles and checks the published tables.
"""

from __future__ import annotations

import base64
import hashlib
import re
import shutil
import time
from typing import Any

import pandas as pd
import pytest

from flows.config import NlpSettings, QualitySettings, Settings
from flows.records import CleanedDocument, DecodedDocument, RawDocument
from flows.schema import TABLES
from flows.stages import InFlight, classify_batch, normalize_batch, segment_batch
from flows.steps import ingest
from flows.steps.blocks import split_blocks
from flows.steps.boilerplate import classify_blocks, is_menu
from flows.steps.clean import clean_text
from flows.steps.normalize import normalize_text
from flows.steps.phrases import word_count
from flows.steps.quality import document_problem, guess_language

from .conftest import SEEDS, assert_offsets_index_text

SEED_FILES = sorted(SEEDS.glob("*.txt"))

# --- the kinds -------------------------------------------------------------------------------

NUL_CLEAN = (
    "Regional Water Authority Raises Prices\n\n"
    "The regional water authority approved a rise of six percent in household tariffs on "
    "Thursday, saying that ageing pipes and a dry summer had left it with a deficit of almost "
    "forty million pounds.\n\n"
    "Consumer groups said the increase would hit pensioners hardest and asked the regulator to "
    "review the decision before the new prices take effect in April."
)
# NULs inside words, between words and at a line end (what a broken scraper leaves).
NUL_TEXT = (
    NUL_CLEAN.replace("authority approved", "auth\x00ority approved")
    .replace("pensioners", "pension\x00\x00ers")
    .replace("Thursday,", "Thursday,\x00")
    .replace("deficit of", "deficit\x00 of")
    .replace("Prices\n", "Prices\x00\n")
)

BIDI_CLEAN = (
    "Researchers Warn of Invisible Code Attacks\n\n"
    "Security researchers at the University of Cambridge warned on Monday that invisible "
    "characters can make source code and text read differently to people and to machines, an "
    "attack they called Trojan Source.\n\n"
    'In one example a check such as access_level != "user" hides a comment that flips the '
    "order in which the letters are shown, so reviewers approve code that does something else.\n\n"
    "The group said that compilers, editors and code review tools should warn about the "
    "characters, and several vendors have already shipped fixes."
)
# Every bidi control inside words and around the quoted string.
BIDI_TEXT = (
    BIDI_CLEAN.replace("invisible", "invi\u202esible")
    .replace('"user"', '"user\u202e\u2066"\u2069\u2066')
    .replace("Cambridge", "Camb\u2067ridge\u2069")
    .replace("reviewers", "\u200freview\u200eers")
    .replace("compilers", "com\u202apil\u202cers")
    .replace("editors", "\u202bedit\u202dors\u202c")
    .replace("vendors", "ven\u2068dors\u2069")
)
BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f"
ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
INVISIBLE = re.compile(f"[\x00{BIDI_CONTROLS}{ZERO_WIDTH}]")


def with_zero_width(text: str) -> str:
    """Every fifth word of ``text`` split after its second letter by a zero-width character."""
    words = text.split(" ")
    for n, i in enumerate(range(0, len(words), 5)):
        word = words[i]
        if len(word) > 3 and word[:2].isalpha():
            words[i] = word[:2] + ZERO_WIDTH[n % len(ZERO_WIDTH)] + word[2:]
    return " ".join(words)


MIXED_SCRIPT = (
    "Leaders Meet in Geneva for Climate Talks 🌍\n\n"
    "Leaders from Russia, Greece, Saudi Arabia and China met in Geneva on Tuesday to discuss a "
    "new fund for climate adaptation, officials said after the first session ended. 🚀\n\n"
    "The Russian delegation was led by Sergei Lavrov (Сергей Лавров), who said Moscow "
    "(Москва) would support the fund if it was managed by the United Nations.\n\n"
    "Greek Prime Minister Kyriakos Mitsotakis (Κυριάκος Μητσοτάκης) arrived from Athens "
    "(Αθήνα) and said the summer fires had shown how urgent the work was. 👍🏽\n\n"
    "Saudi Crown Prince Mohammed bin Salman (محمد بن سلمان) sent a written statement, and the "
    "Chinese envoy Liu Zhenmin (刘振民) said Beijing (北京) was ready to contribute. "
    "Delegates posted a family photo with the caption 👨‍👩‍👧 and the talks continue on Wednesday."
)
MIXED_NAMES = (
    "Сергей Лавров",
    "Москва",
    "Κυριάκος Μητσοτάκης",
    "محمد بن سلمان",
    "刘振民",
    "🚀",
    "👍🏽",
)

LONG_TOKEN = hashlib.shake_256(b"a long token").hexdigest(50_000)  # 100,000 characters
LONG_TOKEN_TEXT = (
    "Court Orders Release of Contract Files\n\n"
    "A court in Lisbon ordered the transport ministry on Friday to publish the contracts it "
    f"signed with two rail operators, including the file reference {LONG_TOKEN} and the "
    "annexes on pricing, which the ministry had refused to release.\n\n"
    "Judges said the public interest in the spending outweighed the commercial concerns raised "
    "by the companies, who have thirty days to appeal the ruling."
)
BLOB = base64.b64encode(hashlib.shake_256(b"a 5 MB blob").digest(3_750_000)).decode()
BLOB_TEXT = (
    "Museum Reopens After Three Years of Repairs\n\n"
    "The city museum reopened its doors on Saturday after three years of repairs to the roof "
    "and the galleries, and more than four thousand visitors came on the first day.\n\n"
    f"data:image/png;base64,{BLOB}\n\n"
    "The director said the building now has its own solar panels and a new wing for the "
    "collection of maritime paintings, which had been kept in storage since the closure."
)

BOILERPLATE_ONLY = (
    "Home | News | Sport | Business | Culture | Travel\n"
    "Skip to content\n"
    "Subscribe\n"
    "Sign in\n"
    "Share this\n"
    "Share on Facebook\n"
    "Follow us on Twitter\n"
    "Advertisement\n\n"
    "You may also be interested in\n"
    "Most read\n"
    "Get our newsletter\n"
    "Terms of use | Privacy policy | Cookie settings\n"
    "© 2024 Example Media Group. All rights reserved.\n"
)

CHINESE = (
    "国家统计局周一发布的数据显示，今年第三季度国内生产总值同比增长百分之四点九，增速略低于市场"
    "预期。分析人士指出，房地产市场持续低迷和外部需求疲软是拖累经济增长的主要因素。与此同时，消费"
    "和服务业保持稳定恢复，九月份社会消费品零售总额同比增长百分之五点五。\n\n"
    "国务院常务会议表示，将继续实施积极的财政政策和稳健的货币政策，加大对中小企业和民营经济的支持"
    "力度，进一步扩大国内需求，推动经济持续回升向好。多家国际机构近期上调了对中国全年经济增长的预测。"
)
JAPANESE = (
    "気象庁は二十日、大型で強い台風十四号が今週末にも西日本に接近する恐れがあると発表した。九州南部"
    "では二十二日夜から非常に強い風が吹き、大雨となる見込みで、土砂災害や河川の氾濫に厳重な警戒を呼"
    "びかけている。\n\n"
    "政府は同日、関係閣僚会議を開き、自治体と連携して早めの避難を促す方針を確認した。鉄道各社は計画"
    "運休の可能性を検討しており、航空会社も欠航便の情報を順次発表するとしている。"
)


def seed(i: int) -> str:
    return SEED_FILES[i].read_text(encoding="utf-8")


def same_document(a: CleanedDocument, b: CleanedDocument) -> None:
    assert a.text == b.text
    assert a.segments == b.segments
    assert (a.title, a.authors, a.published, a.publisher, a.language) == (
        b.title,
        b.authors,
        b.published,
        b.publisher,
        b.language,
    )


def stage_outcome(text: str) -> tuple[str, str] | None:
    """(stage, reason) where the normalize/segment/clean stages quarantine ``text``, else None."""
    decoded = DecodedDocument("x.txt", "0" * 64, "utf-8", text)
    batch = [InFlight(decoded)]
    settings = Settings()
    for stage in (normalize_batch, segment_batch, classify_batch):
        batch, quarantined = stage(batch, settings)
        if quarantined:
            return quarantined[0].stage, quarantined[0].reason
    return None


# --- unit tests, one kind at a time ----------------------------------------------------------


def test_nul_bytes_pass_ingest_and_are_removed_with_the_words_whole() -> None:
    data = NUL_TEXT.encode("utf-8")
    decoded = ingest.decode(RawDocument("nul.txt", data, "0" * 64), Settings().ingest)
    assert isinstance(decoded, DecodedDocument)  # a few NULs in text are not a binary file
    assert "\x00" not in normalize_text(NUL_TEXT)
    same_document(clean_text(NUL_TEXT), clean_text(NUL_CLEAN))
    assert "authority approved" in clean_text(NUL_TEXT).text


@pytest.mark.parametrize("line_end", ["\r\n", "\r"], ids=["crlf", "cr"])
def test_crlf_and_lone_cr_line_ends_clean_as_lf(line_end: str) -> None:
    for i in range(len(SEED_FILES)):
        lf = seed(i)
        assert "\r" not in lf
        same_document(clean_text(lf.replace("\n", line_end)), clean_text(lf))


def test_menus_are_short_items_between_separators() -> None:
    assert is_menu("Home | News | Sport | Business | Culture | Travel")
    assert is_menu("World · Business · Climate change")
    assert not is_menu("Prices rose | officials said the rise would continue into the spring")
    assert not is_menu("Home | News")


def test_a_page_of_only_boilerplate_is_quarantined_at_clean() -> None:
    blocks = split_blocks(normalize_text(BOILERPLATE_ONLY))
    labels = classify_blocks(blocks)
    assert not any(label.kept for label in labels), [
        (b.text, label.kind) for b, label in zip(blocks, labels, strict=True) if label.kept
    ]
    assert all(label.reason for label in labels)
    outcome = stage_outcome(BOILERPLATE_ONLY)
    assert outcome is not None
    stage, reason = outcome
    assert stage == "clean"
    assert "no article text found (all blocks removed as" in reason


@pytest.mark.parametrize(
    ("text", "language"), [(CHINESE, "Chinese"), (JAPANESE, "Japanese")], ids=["zh", "ja"]
)
def test_cjk_articles_are_quarantined_for_their_language_not_their_length(
    text: str, language: str
) -> None:
    assert len(text) >= 150
    assert stage_outcome(text) is None  # the cleaner keeps the paragraphs
    cleaned = clean_text(text)
    # Nothing removed: both paragraphs are the article (full-width commas made ASCII).
    assert cleaned.text == normalize_text(text)
    assert [s.kind for s in cleaned.segments] == ["body", "body"]
    assert cleaned.language == "und"
    assert guess_language(cleaned.text) == language
    assert word_count(cleaned.text) >= 150  # one word per character: not "too short"
    problem = document_problem(cleaned, QualitySettings())
    assert problem is not None
    assert problem.startswith("not in an accepted language")
    assert f"it looks like {language}" in problem
    # Accepted languages open the gate: the length check counts it as a long text.
    assert document_problem(cleaned, QualitySettings(languages=())) is None


def test_a_short_cjk_text_is_still_too_short() -> None:
    problem = document_problem(clean_text("国家统计局周一发布的数据显示。"), QualitySettings())
    assert problem is not None and problem.startswith("too short")


def test_mixed_scripts_and_emoji_are_kept_and_analysed() -> None:
    from flows.steps.nlp import analyse_batch

    cleaned = clean_text(MIXED_SCRIPT)
    for name in MIXED_NAMES:
        assert name in cleaned.text, name
    assert "👨\u200d👩\u200d👧" in cleaned.text  # an emoji sequence keeps its joiners
    assert cleaned.title == "Leaders Meet in Geneva for Climate Talks 🌍"
    assert cleaned.language == "en"
    assert document_problem(cleaned, QualitySettings()) is None
    [(entities, keyphrases)] = analyse_batch([cleaned.text], NlpSettings())
    names = {e.text for e in entities}
    assert {"Sergei Lavrov", "Geneva", "Kyriakos Mitsotakis"} <= names, names
    for entity in entities:
        assert cleaned.text[entity.start : entity.end] == entity.text
        assert entity.text == entity.text.strip() and any(c.isalnum() for c in entity.text)
    assert keyphrases and all(k.phrase.strip() for k in keyphrases)


def test_a_100000_character_token_is_removed_inline_with_its_length() -> None:
    started = time.perf_counter()
    cleaned = clean_text(LONG_TOKEN_TEXT)
    assert time.perf_counter() - started < 10
    assert LONG_TOKEN[:50] not in cleaned.text
    assert "including the file reference and the annexes on pricing" in cleaned.text
    [removed] = [s for s in cleaned.segments if s.text == LONG_TOKEN]
    assert (removed.kind, removed.kept, removed.start, removed.end) == (
        "debris",
        False,
        removed.start,
        removed.start,
    )
    assert removed.reason.startswith("over-long token: 100000 characters without a space")
    assert document_problem(cleaned, QualitySettings()) is None


def test_a_5mb_base64_blob_is_removed_in_bounded_time() -> None:
    from flows.steps.nlp import analyse_batch

    started = time.perf_counter()
    cleaned = clean_text(BLOB_TEXT)
    assert time.perf_counter() - started < 30
    assert len(cleaned.text) < 1000
    assert "maritime paintings" in cleaned.text and "four thousand visitors" in cleaned.text
    [removed] = [s for s in cleaned.segments if len(s.text) >= len(BLOB)]
    assert not removed.kept and removed.kind == "debris"
    assert removed.reason.startswith("over-long token: 5000022 characters")  # with "data:..."
    assert document_problem(cleaned, QualitySettings()) is None
    [(entities, _)] = analyse_batch([cleaned.text], NlpSettings())
    assert all(cleaned.text[e.start : e.end] == e.text for e in entities)


def test_a_blob_wrapped_in_lines_is_removed_in_bounded_time() -> None:
    # MIME wraps base64 at 76 characters: a megabyte of one-word lines between paragraphs.
    wrapped = "\n".join(BLOB[i : i + 76] for i in range(0, 1_000_000, 76))
    text = BLOB_TEXT.replace(BLOB, wrapped)
    started = time.perf_counter()
    cleaned = clean_text(text)
    assert time.perf_counter() - started < 30
    assert "maritime paintings" in cleaned.text and "four thousand visitors" in cleaned.text
    assert BLOB[:76] not in cleaned.text
    assert len(cleaned.text) < 1000


def test_zero_width_characters_are_removed_and_words_rejoined() -> None:
    assert normalize_text("Bi\u200bden met Ma\u200ccron in Pa\u200dris\u2060 and Ber\ufefflin") == (
        "Biden met Macron in Paris and Berlin"
    )
    text = seed(4)
    split = with_zero_width(text)
    assert split != text and all(c in split for c in ZERO_WIDTH)
    cleaned = clean_text(split)
    assert not INVISIBLE.search(cleaned.text)
    same_document(cleaned, clean_text(text))


def test_joiners_stay_where_they_are_part_of_the_writing() -> None:
    persian = "می\u200cخواهم"  # the non-joiner of a Persian verb prefix
    family = "👨\u200d👩\u200d👧"
    assert normalize_text(f"{persian} and {family}") == f"{persian} and {family}"
    assert normalize_text("co\u200dop\u200cer\u200date") == "cooperate"


def test_bidi_controls_are_removed_trojan_source_reads_as_written() -> None:
    assert all(c in BIDI_TEXT for c in BIDI_CONTROLS)
    cleaned = clean_text(BIDI_TEXT)
    assert not INVISIBLE.search(cleaned.text)
    same_document(cleaned, clean_text(BIDI_CLEAN))
    assert 'access_level != "user" hides a comment' in cleaned.text


def test_other_invisible_characters_go_too() -> None:
    raw = "soft\u00adware in\u2063visible op\u2062erator\u180e left\u206a"
    assert normalize_text(raw) == "software invisible operator left"


# --- one end-to-end run ----------------------------------------------------------------------

# kind -> (source name, text); each is a file of the run's input folder.
INPUTS: dict[str, tuple[str, str]] = {
    "good-1": ("good/seed-0.txt", ""),
    "good-2": ("good/seed-1.txt", ""),
    "crlf": ("lines/crlf.txt", ""),
    "cr": ("lines/cr.txt", ""),
    "nul": ("text/nul.txt", NUL_TEXT),
    "zero-width": ("text/zero-width.txt", ""),
    "bidi": ("text/bidi.txt", BIDI_TEXT),
    "mixed-script": ("text/mixed-script.txt", MIXED_SCRIPT),
    "long-token": ("text/long-token.txt", LONG_TOKEN_TEXT),
    "base64-blob": ("text/base64-blob.txt", BLOB_TEXT),
    "boilerplate-only": ("text/boilerplate-only.txt", BOILERPLATE_ONLY),
    "chinese": ("text/chinese.txt", CHINESE),
    "japanese": ("text/japanese.txt", JAPANESE),
}


def input_texts() -> dict[str, str]:
    texts = {kind: text for kind, (_, text) in INPUTS.items()}
    texts["good-1"], texts["good-2"] = seed(0), seed(1)
    texts["crlf"] = seed(2).replace("\n", "\r\n")
    texts["cr"] = seed(3).replace("\n", "\r")
    texts["zero-width"] = with_zero_width(seed(4))
    return texts


# kind -> the text whose cleaning the published document must equal (the repaired kinds).
def equivalents() -> dict[str, str]:
    return {
        "good-1": seed(0),
        "good-2": seed(1),
        "crlf": seed(2),
        "cr": seed(3),
        "zero-width": seed(4),
        "nul": NUL_CLEAN,
        "bidi": BIDI_CLEAN,
    }


# kind -> (stage, reason pattern) of its quarantine row.
QUARANTINED: dict[str, tuple[str, str]] = {
    "boilerplate-only": ("clean", r"^ValueError: no article text found \(all blocks removed as "),
    "chinese": ("quality", r"^not in an accepted language: .*; it looks like Chinese \("),
    "japanese": ("quality", r"^not in an accepted language: .*; it looks like Japanese \("),
}


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    from flows.pipeline import run

    root = tmp_path_factory.mktemp("catalogue-text")
    folder, output = root / "in", root / "out"
    for kind, text in input_texts().items():
        path = folder / INPUTS[kind][0]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))  # bytes: no newline translation on write
    started = time.perf_counter()
    summary = run(input=str(folder), output=str(output))
    seconds = time.perf_counter() - started
    tables = {name: pd.read_parquet(output / "latest" / name) for name in TABLES}
    yield {"summary": summary, "seconds": seconds, "tables": tables, "folder": folder}
    shutil.rmtree(root, ignore_errors=True)


def _docs(published: dict[str, Any]) -> pd.DataFrame:
    return published["tables"]["documents"].set_index("source_name")


def test_every_input_is_published_or_quarantined(published: dict[str, Any]) -> None:
    summary = published["summary"]
    docs, quarantine = _docs(published), published["tables"]["quarantine"]
    names = {name for name, _ in INPUTS.values()}
    assert set(docs.index) | set(quarantine["source_name"]) == names
    assert not set(docs.index) & set(quarantine["source_name"])
    assert len(docs) + len(quarantine) == len(INPUTS)
    assert summary.processed == len(INPUTS) - len(QUARANTINED)
    assert summary.quarantined == len(QUARANTINED)
    assert published["seconds"] < 240


def test_quarantined_kinds_have_their_stage_and_reason(published: dict[str, Any]) -> None:
    rows = published["tables"]["quarantine"].set_index("source_name")
    for kind, (stage, pattern) in QUARANTINED.items():
        row = rows.loc[INPUTS[kind][0]]
        assert row["stage"] == stage, kind
        assert re.search(pattern, row["reason"]), (kind, row["reason"])


def test_repaired_kinds_publish_the_text_of_their_clean_version(published: dict[str, Any]) -> None:
    docs = _docs(published)
    for kind, text in equivalents().items():
        assert docs.loc[INPUTS[kind][0], "text"] == clean_text(text).text, kind


def test_no_invisible_character_is_published(published: dict[str, Any]) -> None:
    tables = published["tables"]
    for text in tables["documents"]["text"]:
        assert not INVISIBLE.search(text.replace("\u200d", "")), INVISIBLE.search(text)
    kept = tables["segments"][tables["segments"]["kept"]]
    assert not any(INVISIBLE.search(t.replace("\u200d", "")) for t in kept["text"])
    assert not any(INVISIBLE.search(t) for t in tables["entities"]["text"])
    # The only joiners published are the emoji sequence's.
    joiners = [t for t in tables["documents"]["text"] if "\u200d" in t]
    assert len(joiners) == 1 and joiners[0].count("\u200d") == 2


def test_offsets_of_the_published_kinds_index_their_text(published: dict[str, Any]) -> None:
    tables = published["tables"]
    texts = tables["documents"].set_index("doc_id")["text"]
    assert_offsets_index_text(tables)
    spans = {
        doc_id: list(zip(group["start"], group["end"], strict=True))
        for doc_id, group in tables["segments"][tables["segments"]["kept"]].groupby("doc_id")
    }
    for row in tables["entities"].itertuples():
        assert texts[row.doc_id][row.start : row.end] == row.text
        assert any(s <= row.start and row.end <= e for s, e in spans[row.doc_id])


def test_mixed_scripts_are_published_with_their_entities(published: dict[str, Any]) -> None:
    docs = _docs(published)
    row = docs.loc[INPUTS["mixed-script"][0]]
    for name in MIXED_NAMES:
        assert name in row["text"], name
    entities = published["tables"]["entities"]
    names = set(entities.loc[entities["doc_id"] == row["doc_id"], "text"])
    assert {"Sergei Lavrov", "Geneva", "Kyriakos Mitsotakis"} <= names, names


@pytest.mark.parametrize(
    ("kind", "length"),
    [("long-token", 100_000), ("base64-blob", len("data:image/png;base64,") + len(BLOB))],
)
def test_long_tokens_are_removed_segments_with_their_length(
    published: dict[str, Any], kind: str, length: int
) -> None:
    docs = _docs(published)
    doc_id = docs.loc[INPUTS[kind][0], "doc_id"]
    text = docs.loc[INPUTS[kind][0], "text"]
    assert len(text) < 1000 and max(map(len, text.split())) < 100
    segments = published["tables"]["segments"]
    removed = segments[(segments["doc_id"] == doc_id) & ~segments["kept"]]
    [reason] = [r for r in removed["reason"] if r.startswith("over-long token")]
    assert reason.startswith(f"over-long token: {length} characters without a space")
    [span] = [t for t in removed["text"] if len(t) == length]
    assert span.strip() == span
