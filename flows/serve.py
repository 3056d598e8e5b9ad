"""``broadsheet serve``: run the flow on a schedule from a Prefect deployment served by this process.

This module owns checking the schedule (exactly one of a cron expression or an interval), turning
the CLI's input/output/config into the deployment's parameters, checking that a Prefect server is
configured and reachable, and serving the deployment of ``flows.pipeline.broadsheet_run`` until
the process is interrupted. The flow itself is untouched: a served run is an ordinary run.

Serving needs a real Prefect server (``prefect server start``): Prefect's ephemeral server, which
``broadsheet run`` starts by itself, runs no scheduler, so a schedule on it would never fire.
"""

from __future__ import annotations

import logging
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flows.config import load_settings
from flows.preflight import UsageError, check_input, check_output
from flows.redact import has_secret, redact

DEFAULT_DEPLOYMENT_NAME = "scheduled"
# Every run of the deployment publishes into the same output folder; two at once would race on
# the `latest` switch and on pruning, so a run that comes due while one is still going is
# cancelled instead of queued (a queue would only grow when runs take longer than the interval).
MAX_CONCURRENT_RUNS = 1
NO_SERVER_HINT = (
    "serve needs a running Prefect server: start one with "
    "`prefect server start --host 127.0.0.1` and set "
    "PREFECT_API_URL=http://127.0.0.1:4200/api (the ephemeral server that `broadsheet run` "
    "starts has no scheduler)"
)


class ServeError(ValueError):
    """A usage error of ``broadsheet serve`` (bad schedule, missing input, no server): exit 2."""


@dataclass(frozen=True, slots=True)
class ServeSchedule:
    """Exactly one of ``cron`` (a five-field cron expression, UTC) or ``interval`` (seconds)."""

    cron: str | None = None
    interval: float | None = None

    def describe(self) -> str:
        return f"cron {self.cron!r} (UTC)" if self.cron else f"every {self.interval:g} s"


def parse_schedule(cron: str | None, interval: str | None) -> ServeSchedule:
    """Check the flags up front, with Prefect's own cron validation, so a bad schedule fails here
    and not in the middle of creating the deployment."""
    if (cron is None) == (interval is None):
        raise ServeError("serve needs exactly one of --cron EXPR or --interval SECONDS")
    if cron is not None:
        from prefect.client.schemas.schedules import CronSchedule

        try:
            CronSchedule(cron=cron)
        except ValueError:  # pydantic's ValidationError is a ValueError
            raise ServeError(
                f"--cron: not a valid cron expression: {cron!r} "
                "(five fields: minute hour day-of-month month day-of-week, e.g. '0 6 * * *')"
            ) from None
        return ServeSchedule(cron=cron)
    assert interval is not None
    try:
        seconds = float(interval)
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds) or seconds <= 0:
        raise ServeError(f"--interval: must be a number of seconds > 0, got {interval!r}")
    return ServeSchedule(interval=seconds)


def _is_url(location: str) -> bool:
    return urlsplit(location).scheme in {"http", "https"}


def deployment_parameters(
    input: str | None, output: str | None, config: str | None
) -> dict[str, Any]:
    """The flow parameters every scheduled run gets: the effective input and output (flags, else
    the settings file, else defaults) as absolute paths, since served runs may start in another
    working directory and the deployment should say plainly where it reads and writes.

    Input and output are checked as ``broadsheet run`` checks them. A location with credentials
    is refused: deployment parameters are stored on the Prefect server and shown in its UI."""
    settings = load_settings(config)  # a bad settings file fails now (ConfigError, exit 2)
    source = input or settings.run.input
    target = output or settings.run.output
    for flag, location in (("--input", source), ("--output", target)):
        if has_secret(location):
            raise ServeError(
                f"{flag} {redact(location)} carries credentials, which the deployment would store "
                "on the Prefect server; serve a location without them"
            )
    if not _is_url(source):
        source = os.path.expanduser(source.removeprefix("file://"))
    if "://" not in target or target.startswith("file://"):
        target = str(Path(target.removeprefix("file://")).expanduser().resolve())
    try:
        check_input(source)
        check_output(target)
    except UsageError as exc:
        raise ServeError(str(exc)) from None
    if not _is_url(source):
        source = str(Path(source).resolve())
    settings_file = str(Path(config).expanduser().resolve()) if config else None
    return {"input": source, "output": target, "config": settings_file}


def _redacted(url: str) -> str:
    """scheme://host:port of an API URL: never echo credentials a URL may carry (nor its path:
    less to leak than ``flows.redact.redact`` keeps)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    return f"{parts.scheme}://{host}{f':{parts.port}' if parts.port else ''}"


def require_server() -> str:
    """The configured Prefect API URL (redacted), after checking the server answers."""
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL

    url = PREFECT_API_URL.value()
    if not url:
        raise ServeError(NO_SERVER_HINT)
    with get_client(sync_client=True) as client:
        failure = client.api_healthcheck()
    if failure is not None:
        raise ServeError(
            f"the Prefect server at {_redacted(url)} (PREFECT_API_URL) does not answer: "
            f"{type(failure).__name__}; start it with `prefect server start --host 127.0.0.1`"
        )
    return _redacted(url)


def serve(schedule: ServeSchedule, parameters: dict[str, Any], name: str) -> None:
    """Create (or update) the deployment ``broadsheet-run/<name>`` and serve it until interrupted.

    The schedule is paused when serving stops, so no runs pile up for a runner that is gone; the
    next ``serve`` of the same name resumes it.
    """
    from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
    from prefect.types.entrypoint import EntrypointType

    from flows.pipeline import broadsheet_run

    try:
        broadsheet_run.serve(
            name=name,
            cron=schedule.cron,
            interval=schedule.interval,
            parameters=parameters,
            description=f"Broadsheet run, {schedule.describe()}",
            global_limit=ConcurrencyLimitConfig(
                limit=MAX_CONCURRENT_RUNS, collision_strategy=ConcurrencyLimitStrategy.CANCEL_NEW
            ),
            pause_on_shutdown=True,
            # Runs import the installed package, whatever the working directory of the runner.
            entrypoint_type=EntrypointType.MODULE_PATH,
        )
    finally:
        _pause(f"{broadsheet_run.name}/{name}")


def _pause(deployment: str) -> None:
    """Pause the deployment's schedule (again). Prefect's runner pauses it on Ctrl-C, but on
    SIGTERM it exits from inside its signal handler and may cut its own pause request short."""
    from prefect.client.orchestration import get_client

    try:
        with get_client(sync_client=True) as client:
            client.pause_deployment(client.read_deployment_by_name(deployment).id)
    except Exception as exc:  # the server may be gone already; stopping must still succeed
        logging.getLogger(__name__).warning(
            "could not pause %s: %s", deployment, type(exc).__name__
        )
