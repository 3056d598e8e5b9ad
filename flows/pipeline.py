"""The Prefect flow of a Broadsheet run: orchestration only, every computation is a stage.

ingest -> normalize -> segment -> clean -> metadata -> quality -> nlp, batch by batch, then
build tables -> validate (Great Expectations) -> publish (snapshot, report, atomic switch).

Batches (``run.batch_size`` documents) keep the task count low; arguments are passed with
``quote`` and tasks use ``NO_CACHE`` so Prefect neither walks nor hashes large batches.
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
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import pyarrow as pa
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.exceptions import MissingContextError
from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
from prefect.utilities.annotations import quote

import flows
from flows import publish, stages
from flows.config import Settings, ValidationSettings, load_settings
from flows.records import ProcessedDocument, Quarantined
from flows.report import ARTIFACT_KEY, RunSummary, render_markdown, render_report, summarize
from flows.tables import build_tables

T = TypeVar("T")
DEFAULT_SUITES = Path(__file__).resolve().parent.parent / "expectations"


class InputNotFound(FileNotFoundError):
    """The run's input folder or file does not exist."""


class ValidationFailed(RuntimeError):
    """A critical expectation failed: the run's snapshot was written but not published."""


def new_run_id() -> str:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"{stamp}-{secrets.token_hex(3)}"


def _stage_task(name: str, fn: Callable[..., T]) -> Any:
    return task(name=name, cache_policy=NO_CACHE, persist_result=False)(fn)


ingest_task = _stage_task("ingest", stages.ingest_batch)
normalize_task = _stage_task("normalize", stages.normalize_batch)
segment_task = _stage_task("segment", stages.segment_batch)
clean_task = _stage_task("clean", stages.classify_batch)
metadata_task = _stage_task("metadata", stages.metadata_batch)
quality_task = _stage_task("quality", stages.quality_batch)
nlp_task = _stage_task("nlp", stages.nlp_batch)
tables_task = _stage_task("build-tables", build_tables)


@task(name="validate", cache_policy=NO_CACHE, persist_result=False)
def validate_task(
    tables: dict[str, pa.Table],
    suites_dir: Path,
    output: Path | None = None,
    run_id: str | None = None,
    settings: ValidationSettings | None = None,
) -> dict[str, Any]:
    """Validate ``tables``; with ``output`` and ``run_id``, drift against ``output/latest`` (read
    before this run publishes) and Data Docs under the run's snapshot."""
    from flows import validate  # Great Expectations imports in ~2.6 s

    settings = settings or ValidationSettings()
    docs_dir = None
    if output is not None and run_id is not None and settings.data_docs:
        docs_dir = publish.snapshot_dir(output, run_id) / validate.DATA_DOCS_DIR
    report = validate.validate_tables(
        tables,
        suites_dir,
        previous_counts=validate.published_row_counts(output) if output is not None else None,
        docs_dir=docs_dir,
        run_name=run_id,
        settings=settings,
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
    target = publish.write_snapshot(output, summary.run_id, tables)
    summary.published = bool(validation["success"])
    (target / publish.REPORT_FILE).write_text(
        render_report(summary, tables, validation), encoding="utf-8"
    )
    publish.write_json(target / "validation.json", validation)
    publish.write_json(target / "summary.json", summary.to_dict())
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


@flow(name="broadsheet-run", log_prints=False, validate_parameters=False)
def broadsheet_run(
    input: str | None = None,
    output: str | None = None,
    config: str | None = None,
    overrides: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Process every input under ``input`` into validated Parquet tables under ``output``."""
    logger = get_run_logger()
    settings = load_settings(config)
    for section, values in (overrides or {}).items():
        settings = settings.with_overrides(section, **values)
    settings = settings.with_overrides("run", input=input, output=output)
    out = Path(settings.run.output)
    run_id = new_run_id()
    timings: dict[str, float] = {}

    def timed(name: str, call: Callable[[], T]) -> T:
        started = time.perf_counter()
        result = call()
        timings[name] = timings.get(name, 0.0) + time.perf_counter() - started
        return result

    sources, root = stages.list_sources(settings.run.input, settings)
    if root is not None and not root.exists():
        raise InputNotFound(f"input not found: {settings.run.input}")
    batches = _batches(sources, settings.run.batch_size)
    logger.info(
        "run %s: %d inputs in %d batches from %s",
        run_id,
        len(sources),
        len(batches),
        settings.run.input,
    )

    processed: list[ProcessedDocument] = []
    quarantined: list[Quarantined] = []
    seen: dict[str, str] = {}
    seen_texts: dict[str, str] = {}
    chain = (
        ("normalize", normalize_task),
        ("segment", segment_task),
        ("clean", clean_task),
        ("metadata", metadata_task),
        ("nlp", nlp_task),
    )
    for number, sources_batch in enumerate(batches, start=1):
        batch, dropped = timed(
            "ingest",
            lambda b=sources_batch: ingest_task(quote(list(b)), root, quote(settings), quote(seen)),
        )
        quarantined += dropped
        for name, stage in chain:
            batch, dropped = timed(name, lambda s=stage, b=batch: s(quote(b), quote(settings)))
            quarantined += dropped
            if name == "metadata":
                batch, dropped = timed(
                    "quality",
                    lambda b=batch: quality_task(quote(b), quote(settings), quote(seen_texts)),
                )
                quarantined += dropped
        processed += stages.finish(batch)
        logger.info(
            "batch %d/%d: %d processed, %d quarantined so far",
            number,
            len(batches),
            len(processed),
            len(quarantined),
        )

    tables = timed(
        "tables",
        lambda: tables_task(quote(processed), quote(quarantined), run_id, flows.__version__),
    )
    summary = summarize(tables, run_id, flows.__version__, settings.run.input, str(out))
    validation = timed(
        "validate",
        lambda: validate_task(
            quote(tables), DEFAULT_SUITES, out, run_id, quote(settings.validation)
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


def run(
    input: str | None = None,
    output: str | None = None,
    config: str | None = None,
    overrides: dict[str, dict[str, Any]] | None = None,
) -> RunSummary:
    """Run the flow (on the configured Prefect API, else an ephemeral local server)."""
    # No heartbeat thread: a one-shot run would otherwise wait for it at exit.
    with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        result = broadsheet_run(input=input, output=output, config=config, overrides=overrides)
    return RunSummary(**result)


__all__ = ["InputNotFound", "Settings", "ValidationFailed", "broadsheet_run", "run"]
