"""NLP on all cores: a pool of worker processes, each loading the spaCy model once.

Owns how a batch's texts are spread over processes. ``analyse_texts`` gives exactly what
:func:`flows.steps.nlp.analyse_batch` gives (every text is analysed on its own, so the split does
not change results); with ``NlpSettings.n_process`` = 0 it uses every core. Small batches stay
in the calling process: starting a worker (interpreter, spaCy, models: ~3 s) only pays off when
each gets ``min_docs_per_process`` documents or more.

Workers are started with "spawn" (a fresh interpreter: forking a process that runs Prefect's
threads can deadlock) and live for the rest of the process, so the model is loaded once per
worker, not once per batch. Where worker processes cannot be started (inside a daemonic Dask
worker, say) the batch runs in-process.
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from flows.config import NlpSettings
from flows.records import Entity, Keyphrase

Result = tuple[list[Entity], list[Keyphrase]]

_pool: ProcessPoolExecutor | None = None
_pool_key: tuple[int, NlpSettings] | None = None


def worker_count(settings: NlpSettings) -> int:
    """Processes the settings ask for: n_process, or every core when it is 0."""
    return settings.n_process if settings.n_process > 0 else (os.cpu_count() or 1)


def _load_worker(settings: NlpSettings) -> None:
    from flows.steps.keyphrases import load_document_frequencies
    from flows.steps.nlp import load_model

    load_model(settings.spacy_model)
    load_document_frequencies()


def _analyse(texts: list[str], settings: NlpSettings) -> list[Result]:
    from flows.steps.nlp import analyse_batch

    return analyse_batch(texts, settings)


def _shutdown() -> None:
    global _pool, _pool_key
    if _pool is not None:
        _pool.shutdown(wait=False, cancel_futures=True)
    _pool, _pool_key = None, None


atexit.register(_shutdown)


def _get_pool(workers: int, settings: NlpSettings) -> ProcessPoolExecutor:
    global _pool, _pool_key
    if _pool is None or _pool_key != (workers, settings):
        _shutdown()
        _pool = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_load_worker,
            initargs=(settings,),
        )
        _pool_key = (workers, settings)
    return _pool


def _ready() -> None:
    """Nothing: submitted once per worker so that each starts (and loads the model) now."""


def start_workers(settings: NlpSettings) -> bool:
    """Start the pool's workers in the background (they load the model as they start); True
    when started. Lets a run overlap the workers' ~3 s start with other waiting, such as the
    Prefect server's start; :func:`analyse_texts` then finds them ready."""
    workers = worker_count(settings)
    if workers <= 1:
        return False
    try:
        pool = _get_pool(workers, settings)
        for _ in range(workers):
            pool.submit(_ready)
    except (BrokenProcessPool, OSError, AssertionError, RuntimeError):
        _shutdown()  # analyse_texts will fall back in its turn
        return False
    return True


def _balanced_shares(texts: Sequence[str], parts: int) -> list[list[int]]:
    """Indices of ``texts`` in ``parts`` groups of about equal length (longest first, greedy)."""
    shares: list[list[int]] = [[] for _ in range(parts)]
    sizes = [0] * parts
    for i in sorted(range(len(texts)), key=lambda i: -len(texts[i])):
        smallest = sizes.index(min(sizes))
        shares[smallest].append(i)
        sizes[smallest] += len(texts[i])
    return [sorted(share) for share in shares if share]


def analyse_texts(texts: Sequence[str], settings: NlpSettings) -> list[Result]:
    """Entities and keyphrases of every text, in order, on as many processes as pay off."""
    from flows.steps.nlp import analyse_batch

    parts = min(worker_count(settings), len(texts) // max(settings.min_docs_per_process, 1))
    if parts <= 1:
        return analyse_batch(list(texts), settings)
    shares = _balanced_shares(texts, parts)
    try:
        pool = _get_pool(worker_count(settings), settings)
        futures = [pool.submit(_analyse, [texts[i] for i in share], settings) for share in shares]
        results: list[Result | None] = [None] * len(texts)
        for share, future in zip(shares, futures, strict=True):
            for i, result in zip(share, future.result(), strict=True):
                results[i] = result
    except (BrokenProcessPool, OSError, AssertionError, RuntimeError):
        # No child processes here (a daemonic worker) or a worker died: do it in-process.
        _shutdown()
        return analyse_batch(list(texts), settings)
    return [r for r in results if r is not None]
