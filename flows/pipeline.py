"""The Prefect flow of a Broadsheet run: orchestration only, every computation is a stage.

ingest -> normalize -> segment -> clean -> metadata -> quality -> nlp, one task per batch (in
the flow's process with ``run.runner = "local"``, on Dask workers with ``"dask"``), duplicates
across batches decided afterwards in input order (``flows.dedupe``), then build tables ->
validate (Great Expectations) -> publish (staged snapshot, atomic switch).

Batches (``run.batch_size`` documents) keep the task count low; arguments are passed with
``quote`` and tasks use ``NO_CACHE`` so Prefect neither walks nor hashes large batches.

Before anything is written the run checks its settings, input and output (``flows.preflight``)
and takes the output's lock (``flows.publish.output_lock``: one run at a time per output,
``run.lock_timeout_s``); ``run`` does both before Prefect's server starts, the flow again for
served runs. Locations are shown and recorded redacted (``flows.redact``): a URL's credentials
never reach a log line, a table, the report or the summary, and an input or output that carries
credentials is handed to the flow as a ``SecretStr``, which Prefect stores as ``**********``.
"""

from __future__ import annotations

import os

# Before Prefect is imported: no telemetry (and no "database is locked" at start-up).
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

import datetime as dt
import logging
import secrets
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import pyarrow as pa
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.exceptions import MissingContextError
from prefect.settings import PREFECT_API_URL, PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
from prefect.task_runners import TaskRunner
from prefect.utilities.annotations import quote
from pydantic import SecretStr

import flows
from flows import local_server, parallel, publish, stages
from flows.cache import VALIDATION_MEMO_DIR, cache_root, result_entry_count
from flows.config import RUNNERS, ConfigError, RunSettings, Settings, ValidationSettings
from flows.dedupe import BatchResult, merge_batches
from flows.preflight import InputNotFound, UsageError, check_run, effective_settings
from flows.records import ProcessedDocument, Quarantined
from flows.redact import has_secret, redact
from flows.report import ARTIFACT_KEY, RunSummary, render_markdown, render_report, summarize
from flows.tables import build_tables

T = TypeVar("T")
DEFAULT_SUITES = Path(__file__).resolve().parent.parent / "expectations"


class ValidationFailed(RuntimeError):
    """A critical expectation failed: the run's snapshot was written but not published."""


def new_run_id() -> str:
    """A fresh id (UTC time and random hex): never taken from input, so it is always a safe
    folder name under ``snapshots/``."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"{stamp}-{secrets.token_hex(3)}"


def _stage_task(name: str, fn: Callable[..., T]) -> Any:
    return task(name=name, cache_policy=NO_CACHE, persist_result=False)(fn)


def process_batch(
    number: int, sources: Sequence[str | Path], root: Path | None, settings: Settings
) -> BatchResult:
    """One batch through every per-document stage, in the flow's process or on a Dask worker.

    Duplicates are caught within the batch only; ``flows.dedupe.merge_batches`` decides them
    across batches afterwards, so no state is shared between batches.
    """
    result = BatchResult(number)

    def timed(name: str, call: Callable[[], stages.StageResult]) -> stages.Batch:
        started = time.perf_counter()
        batch, dropped = call()
        result.seconds[name] = result.seconds.get(name, 0.0) + time.perf_counter() - started
        result.quarantined += dropped
        return batch

    seen, texts = result.accepted_bytes, result.accepted_texts
    batch = timed("ingest", lambda: stages.ingest_batch(sources, root, settings, seen))
    batch = timed("normalize", lambda: stages.normalize_batch(batch, settings))
    batch = timed("segment", lambda: stages.segment_batch(batch, settings))
    batch = timed("clean", lambda: stages.classify_batch(batch, settings))
    batch = timed("metadata", lambda: stages.metadata_batch(batch, settings))
    batch = timed("quality", lambda: stages.quality_batch(batch, settings, texts))
    batch = timed("nlp", lambda: stages.nlp_batch(batch, settings))
    result.processed = stages.finish(batch)
    return result


batch_task = _stage_task("process-batch", process_batch)
tables_task = _stage_task("build-tables", build_tables)


def task_runner(settings: RunSettings) -> TaskRunner | None:
    """The task runner ``run.runner`` names: None keeps the flow's own (local), or Dask."""
    if settings.runner == "local":
        return None
    if settings.runner != "dask":
        raise ConfigError(f"unknown runner {settings.runner!r} (expected {' or '.join(RUNNERS)})")
    from prefect_dask import DaskTaskRunner  # distributed imports in ~1 s; only for Dask runs

    if settings.dask_address:
        return DaskTaskRunner(address=settings.dask_address)
    return DaskTaskRunner(
        cluster_class="distributed.LocalCluster",
        # Processes, one thread each: spaCy and the cleaner hold the GIL. Any free dashboard
        # port (two runs at once must not clash); no INFO chatter from the cluster.
        cluster_kwargs={
            "n_workers": settings.dask_workers,
            "threads_per_worker": 1,
            "processes": True,
            "dashboard_address": ":0",
            "silence_logs": logging.WARNING,
        },
    )


@task(name="validate", cache_policy=NO_CACHE, persist_result=False)
def validate_task(
    tables: dict[str, pa.Table],
    suites_dir: Path,
    output: Path | None = None,
    run_id: str | None = None,
    settings: ValidationSettings | None = None,
    memo_dir: Path | None = None,
) -> dict[str, Any]:
    """Validate ``tables``; with ``output`` and ``run_id``, drift against ``output/latest`` (read
    before this run publishes) and Data Docs under the run's snapshot; with ``memo_dir``, parts
    already validated on the same tables are reused."""
    from flows import validate  # Great Expectations imports in ~2.6 s

    settings = settings or ValidationSettings()
    docs_dir = None
    if output is not None and run_id is not None and settings.data_docs:
        docs_dir = publish.staging_dir(output, run_id) / validate.DATA_DOCS_DIR
    report = validate.validate_tables(
        tables,
        suites_dir,
        previous_counts=validate.published_row_counts(output) if output is not None else None,
        docs_dir=docs_dir,
        run_name=run_id,
        settings=settings,
        memo_dir=memo_dir,
    )
    return {"success": report.success, "summary": report.summary(), **report.to_dict()}


@task(name="publish", cache_policy=NO_CACHE, persist_result=False)
def publish_task(
    output: Path,
    summary: RunSummary,
    tables: dict[str, pa.Table],
    validation: dict[str, Any],
    keep: int,
) -> RunSummary:
    """Stage the snapshot (validation already put Data Docs there), commit it, and switch
    ``latest`` when validation passed; crash-safe at every step (see ``flows.publish``)."""
    publish.remove_leftovers(output, keep_run_id=summary.run_id)
    staging = publish.staging_dir(output, summary.run_id)
    publish.write_tables(staging, tables)
    summary.published = bool(validation["success"])
    publish.write_text(staging / publish.REPORT_FILE, render_report(summary, tables, validation))
    publish.write_json(staging / "validation.json", validation)
    publish.write_json(staging / "summary.json", summary.to_dict())
    target = publish.commit_snapshot(output, summary.run_id)
    if summary.published:
        publish.switch_latest(output, summary.run_id, list(tables))
        publish.prune_snapshots(output, keep)
    report = str(target / publish.REPORT_FILE)
    record_summary_artifact(render_markdown(summary, tables, validation, report), summary.run_id)
    return summary


def record_summary_artifact(markdown: str, run_id: str) -> None:
    """The run summary as a Prefect markdown artifact; a failure is logged, never raised."""
    try:
        create_markdown_artifact(markdown, key=ARTIFACT_KEY, description=f"Broadsheet run {run_id}")
    except Exception as exc:  # the UI's copy of the summary is not worth failing a run over
        try:
            logger: logging.Logger | logging.LoggerAdapter = get_run_logger()
        except MissingContextError:
            logger = logging.getLogger(__name__)
        logger.warning("run summary artifact not recorded: %s", exc)


def _batches(items: Sequence[T], size: int) -> list[Sequence[T]]:
    return [items[i : i + size] for i in range(0, len(items), size)] or [[]]


def _reveal(value: str | SecretStr | None) -> str | None:
    return value.get_secret_value() if isinstance(value, SecretStr) else value


def _hidden(value: str | None) -> str | SecretStr | None:
    """A location as a flow parameter: Prefect records parameters on its server, so one with
    credentials goes as a ``SecretStr`` (recorded as ``**********``)."""
    return SecretStr(value) if value is not None and has_secret(value) else value


def _redacted_records(
    processed: list[ProcessedDocument], quarantined: list[Quarantined]
) -> tuple[list[ProcessedDocument], list[Quarantined]]:
    """Source names and reasons as the tables show them: without the credentials of a URL."""
    for doc in processed:
        doc.source_name = redact(doc.source_name)
    return processed, [
        Quarantined(redact(q.source_name), q.stage, redact(q.reason)) for q in quarantined
    ]


@flow(name="broadsheet-run", log_prints=False, validate_parameters=False)
def broadsheet_run(
    input: str | SecretStr | None = None,
    output: str | SecretStr | None = None,
    config: str | None = None,
    overrides: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Process every input under ``input`` into validated Parquet tables under ``output``."""
    settings = effective_settings(_reveal(input), _reveal(output), config, overrides)
    check_run(settings)
    run_id = new_run_id()
    with publish.output_lock(settings.run.output, settings.run.lock_timeout_s, run_id):
        return _locked_run(settings, run_id)


def _locked_run(settings: Settings, run_id: str) -> dict[str, Any]:
    """The flow's work, while it holds the output's lock."""
    logger = get_run_logger()
    # A remote fsspec output (object store) is built in a local folder, then mirrored to it.
    remote = settings.run.output if publish.is_remote(settings.run.output) else None
    out = Path(tempfile.mkdtemp(prefix="broadsheet-")) if remote else None
    out = out or publish.local_path(settings.run.output)
    shown_input, shown_output = redact(settings.run.input), redact(settings.run.output)
    timings: dict[str, float] = {}

    def timed(name: str, call: Callable[[], T]) -> T:
        started = time.perf_counter()
        result = call()
        timings[name] = timings.get(name, 0.0) + time.perf_counter() - started
        return result

    sources, root = stages.list_sources(settings.run.input, settings)
    if root is not None and not root.exists():
        raise InputNotFound(f"input not found: {shown_input}")
    batches = _batches(sources, settings.run.batch_size)
    logger.info(
        "run %s: %d inputs in %d batches from %s",
        run_id,
        len(sources),
        len(batches),
        shown_input,
    )

    results: list[BatchResult] = []
    if settings.run.runner == "dask":
        # Dask is the parallelism: no NLP process pool inside its (daemonic) workers.
        settings = settings.with_overrides("nlp", n_process=1)
        # No quote() here: distributed would ship it as a bare tuple, and the arguments (paths
        # and settings) are small; the large values are the results, which Prefect does not walk.
        futures = [
            batch_task.submit(number, list(b), root, settings)
            for number, b in enumerate(batches, start=1)
        ]
        for future in futures:
            results.append(future.result())
            logger.info("batch %d/%d done", len(results), len(batches))
    else:
        for number, b in enumerate(batches, start=1):
            results.append(batch_task(number, list(b), root, settings))
            logger.info("batch %d/%d done", number, len(batches))
    for result in results:
        for name, seconds in result.seconds.items():
            timings[name] = timings.get(name, 0.0) + seconds
    processed, quarantined = _redacted_records(*merge_batches(results))

    tables = timed(
        "tables",
        lambda: tables_task(quote(processed), quote(quarantined), run_id, flows.__version__),
    )
    summary = summarize(
        tables, run_id, flows.__version__, shown_input, shown_output if remote else str(out)
    )
    cache_folder = cache_root(settings)
    memo_dir = cache_folder / VALIDATION_MEMO_DIR if cache_folder is not None else None
    validation = timed(
        "validate",
        lambda: validate_task(
            quote(tables), DEFAULT_SUITES, out, run_id, quote(settings.validation), memo_dir
        ),
    )
    summary.validation = validation["summary"]
    summary.validation_passed = bool(validation["success"])
    summary.stage_seconds = timings
    summary = timed(
        "publish",
        lambda: publish_task(
            out, summary, quote(tables), quote(validation), settings.run.keep_snapshots
        ),
    )
    summary.stage_seconds = {k: round(v, 3) for k, v in timings.items()}
    publish.write_json(publish.snapshot_dir(out, run_id) / "summary.json", summary.to_dict())
    if remote:
        publish.mirror_to_url(out, remote, run_id, summary.published, settings.run.keep_snapshots)
        shutil.rmtree(out, ignore_errors=True)
    for line in summary.lines():
        logger.info(line)
    if not summary.validation_passed and settings.run.fail_on_validation_error:
        failed = [
            o
            for o in validation.get("outcomes", [])
            if not o["success"] and o["severity"] == "critical"
        ]
        names = "; ".join(f"{o['table']}: {o['expectation']}" for o in failed[:5])
        raise ValidationFailed(
            f"validation failed ({names}); snapshot kept at {publish.snapshot_dir(out, run_id)}"
        )
    return summary.to_dict()


def _expects_new_documents(settings: Settings) -> bool:
    """Whether the run surely has enough documents to analyse for the NLP pool to start: more
    inputs than the cache has entries (each input makes at most one), and enough to split."""
    try:
        sources, _ = stages.list_sources(settings.run.input, settings)
    except (OSError, ValueError):
        return False  # the flow reports the input problem itself
    if len(sources) < 2 * settings.nlp.min_docs_per_process:
        return False
    root = cache_root(settings)
    return len(sources) > (result_entry_count(root) if root is not None else 0)


def run(
    input: str | None = None,
    output: str | None = None,
    config: str | None = None,
    overrides: dict[str, dict[str, Any]] | None = None,
) -> RunSummary:
    """Run the flow (on the configured Prefect API, else the process's own local server,
    ``flows.local_server``).

    Settings, input and output are checked and the output's lock is taken first, before any
    server or worker starts (``ConfigError``, ``UsageError``, ``publish.OutputError``). A
    flow's task runner is fixed when it is decorated, so ``run.runner`` picks it here.
    """
    settings = effective_settings(input, output, config, overrides)
    check_run(settings)
    with publish.output_lock(settings.run.output, settings.run.lock_timeout_s):
        return _run_flow(settings, input, output, config, overrides)


def _run_flow(
    settings: Settings,
    input: str | None,
    output: str | None,
    config: str | None,
    overrides: dict[str, dict[str, Any]] | None,
) -> RunSummary:
    runner = task_runner(settings.run)
    flow_fn = broadsheet_run if runner is None else broadsheet_run.with_options(task_runner=runner)
    # No heartbeat thread: a one-shot run would otherwise wait for it at exit.
    updates: dict[Any, Any] = {PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}
    server: local_server.LocalServer | None = None
    if PREFECT_API_URL.value():
        local_server.discard_early()
    else:
        # The process's own server (flows/local_server.py; started early by the CLI, else
        # now), rather than Prefect's ephemeral one. Dask workers, other processes, reach it.
        server = local_server.for_run()
        updates[PREFECT_API_URL] = server.api_url
    if runner is None and _expects_new_documents(settings):
        # Spawned NLP workers load the model while the server starts (both seconds of
        # waiting); the flow's NLP stage then finds them ready.
        parallel.start_workers(settings.nlp)
    if server is not None:
        server.wait_ready()
    with temporary_settings(updates=updates):
        result = flow_fn(
            input=_hidden(input), output=_hidden(output), config=config, overrides=overrides
        )
    return RunSummary(**result)


__all__ = [
    "InputNotFound",
    "Settings",
    "UsageError",
    "ValidationFailed",
    "broadsheet_run",
    "effective_settings",
    "run",
]
