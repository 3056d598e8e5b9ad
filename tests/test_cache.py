"""The result cache (flows/cache.py) and NLP on worker processes (flows/parallel.py)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from flows import parallel
from flows.cache import CachedResult, ResultCache, pipeline_fingerprint
from flows.config import NlpSettings, RunSettings, Settings
from flows.parallel import _balanced_shares, analyse_texts, start_workers
from flows.stages import ingest_batch, list_sources
from flows.steps.clean import clean_text
from flows.steps.nlp import analyse_batch

from .conftest import SEEDS

TEXTS = [
    "Joe Biden met Fumio Kishida in Tokyo on Monday to discuss the Taiwan Strait.",
    "The European Union and NATO agreed on new sanctions against Russia.",
    "Shares of Toyota rose in Tokyo after the Bank of Japan kept rates unchanged.",
    "Angela Merkel visited Paris, where Emmanuel Macron greeted her at the Elysee.",
]


def _settings(output: Path | str, **run: object) -> Settings:
    return dataclasses.replace(
        Settings(), run=dataclasses.replace(RunSettings(), output=str(output), **run)
    )


def test_an_entry_round_trips(tmp_path: Path) -> None:
    cleaned = clean_text((SEEDS / sorted(p.name for p in SEEDS.glob("*.txt"))[0]).read_text())
    [(entities, keyphrases)] = analyse_batch([cleaned.text], NlpSettings())
    cache = ResultCache(tmp_path, "fingerprint")
    cache.put("ab" * 32, CachedResult(cleaned, entities, keyphrases))
    assert cache.get("ab" * 32) == CachedResult(cleaned, entities, keyphrases)
    assert cache.get("cd" * 32) is None
    assert ResultCache(tmp_path, "other code").get("ab" * 32) is None


def test_a_torn_entry_is_a_miss(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path, "fingerprint")
    cleaned = clean_text("A short article body that is long enough to be kept as text here.")
    cache.put("ef" * 32, CachedResult(cleaned, [], []))
    [entry] = tmp_path.rglob("*.json")
    entry.write_text('{"text": "trunc', encoding="utf-8")
    assert cache.get("ef" * 32) is None


def test_the_fingerprint_follows_result_settings_only(tmp_path: Path) -> None:
    base = Settings()
    assert pipeline_fingerprint(base) == pipeline_fingerprint(_settings(tmp_path, batch_size=7))
    other = dataclasses.replace(base, nlp=NlpSettings(keyphrase_top_k=3))
    assert pipeline_fingerprint(other) != pipeline_fingerprint(base)


def test_where_the_cache_lives(tmp_path: Path) -> None:
    cache = ResultCache.for_settings(_settings(tmp_path))
    assert cache is not None and cache.root == tmp_path / "cache"
    assert ResultCache.for_settings(_settings(tmp_path, cache=False)) is None
    assert ResultCache.for_settings(_settings("s3://bucket/out")) is None
    own = ResultCache.for_settings(_settings(tmp_path, cache_dir=str(tmp_path / "c")))
    assert own is not None and own.root == tmp_path / "c"


def test_ingest_fills_cached_documents(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    sources, root = list_sources(str(SEEDS), settings)
    batch, _ = ingest_batch(sources[:2], root, settings, {})
    assert not any(item.cached for item in batch)
    cache = ResultCache.for_settings(settings)
    assert cache is not None
    first = batch[0]
    cleaned = clean_text(first.decoded.text)
    cache.put(first.decoded.sha256, CachedResult(cleaned, [], []))
    again, _ = ingest_batch(sources[:2], root, settings, {})
    assert [item.cached for item in again] == [True, False]
    assert again[0].cleaned == cleaned


def test_balanced_shares_cover_every_text_once() -> None:
    texts = ["x" * n for n in (50, 10, 40, 20, 30)]
    shares = _balanced_shares(texts, 2)
    assert sorted(i for share in shares for i in share) == list(range(5))
    sizes = [sum(len(texts[i]) for i in share) for share in shares]
    assert max(sizes) - min(sizes) <= 10


def test_worker_processes_give_the_same_results_as_one_process() -> None:
    settings = NlpSettings(n_process=2, min_docs_per_process=1)
    assert analyse_texts(TEXTS, settings) == analyse_batch(TEXTS, NlpSettings())


def test_result_entries_are_counted_without_reading(tmp_path: Path) -> None:
    from flows.cache import JsonStore, result_entry_count

    assert result_entry_count(tmp_path / "missing") == 0
    cleaned = clean_text(TEXTS[0])
    cache = ResultCache(tmp_path, "fingerprint")
    for n in range(3):
        cache.put(f"{n:064x}", CachedResult(cleaned, [], []))
    JsonStore(tmp_path / "validation").put("ab" * 32, {"not": "a document"})
    assert result_entry_count(tmp_path) == 3


def test_started_workers_are_the_ones_analyse_texts_uses() -> None:
    settings = NlpSettings(n_process=2, min_docs_per_process=1)
    assert start_workers(settings)
    started = parallel._pool
    assert analyse_texts(TEXTS, settings) == analyse_batch(TEXTS, settings)
    assert parallel._pool is started is not None
    assert not start_workers(NlpSettings(n_process=1))  # one process: nothing to start
