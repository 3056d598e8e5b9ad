"""Warm-up of a run's slow imports while Prefect starts its server.

Owns one background thread, started just before the flow is called. Prefect's ephemeral server
takes about ten seconds to come up in a subprocess; meanwhile this process sits idle. The
thread uses that time to import Great Expectations (~2.6 s), Altair and vl-convert (the
report's charts, ~1 s) and, when the run is small enough to parse in this process (see
:mod:`flows.parallel`), to load the spaCy model. The run does the same work later if the thread
has not finished or failed: warming changes no result, only when the cost is paid.
"""

from __future__ import annotations

import threading

from flows.config import Settings


def _warm(settings: Settings) -> None:
    try:
        from flows.validate import _import_gx

        _import_gx()
        import altair  # noqa: F401
        import vl_convert  # noqa: F401
    except Exception:  # warming is best effort; the run reports real errors itself
        pass
    try:
        from flows import stages
        from flows.parallel import worker_count

        sources, _ = stages.list_sources(settings.run.input, settings)
        in_process = worker_count(settings.nlp) * settings.nlp.min_docs_per_process
        # Under Dask the batches (and spaCy) run in the workers, not here.
        if settings.run.runner == "local" and 0 < len(sources) < in_process:
            from flows.steps.keyphrases import load_document_frequencies
            from flows.steps.nlp import load_model

            load_model(settings.nlp.spacy_model)
            load_document_frequencies()
    except Exception:
        pass


def start(settings: Settings) -> threading.Thread:
    """Start warming in a daemon thread (it never delays the process's exit)."""
    thread = threading.Thread(
        target=_warm, args=(settings,), name="broadsheet-prewarm", daemon=True
    )
    thread.start()
    return thread
