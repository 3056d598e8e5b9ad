"""The ``broadsheet`` command: parse flags, call the pipeline or a step, print the outcome.

    broadsheet run [--input PATH|URL] [--output PATH] [--config FILE] [--batch-size N]
                   [--runner local|dask] [--dask-address tcp://HOST:PORT]
    broadsheet clean FILE [--json]     clean one file and print the body (or segments as JSON)
    broadsheet config [--config FILE]  print the effective settings as TOML
    broadsheet schema                  print every published table and column
    broadsheet report [--output PATH] [--open]  print (or open) the latest published run report
    broadsheet serve (--cron EXPR | --interval SECONDS) [--input PATH|URL] [--output PATH]
                     [--config FILE] [--name NAME]  serve a scheduled deployment (needs a server)

Exit codes: 0 success, 1 validation failed (snapshot kept, not published), 2 usage or input error
(``report``: 2 when there is no published report yet; ``serve``: 0 when interrupted, 2 when no
Prefect server is configured or it does not answer; ``run``: 2 also when another run holds the
output, see ``run.lock_timeout_s``).

A misuse (bad flag, bad settings file or value, missing input, an output that cannot be written
or is in use) is one line on stderr, ``broadsheet: <what is wrong>; <how to fix it>``, with exit
code 2 and no traceback. ``run`` checks all of them before it imports Prefect or starts its
server, so the answer comes at once.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import webbrowser
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from flows import local_server
from flows.config import RUNNERS, ConfigError, load_settings
from flows.preflight import UsageError
from flows.records import Quarantined


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (``broadsheet: ...``) instead of usage plus message."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"broadsheet: {message} (see `{self.prog} --help`)\n")


def _one_line(message: object) -> str:
    """A message as one line (a path or a value may carry newlines)."""
    return " ".join(str(message).split())


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1, got {text!r}")
    return value


def _scheduler_address(text: str) -> str:
    if "://" not in text:
        raise argparse.ArgumentTypeError(
            f"must be a scheduler address like tcp://HOST:8786, got {text!r}"
        )
    return text


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="broadsheet", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="process a folder, file or URL into Parquet tables")
    run.add_argument("--input", help="folder, file or http(s) URL to read (default: run.input)")
    run.add_argument("--output", help="folder to publish into (default: run.output)")
    run.add_argument("--config", help="TOML settings file")
    run.add_argument("--batch-size", type=_positive_int, help="documents per task batch")
    run.add_argument(
        "--runner", choices=RUNNERS, help="where batch tasks run (default: run.runner)"
    )
    run.add_argument(
        "--dask-address",
        type=_scheduler_address,
        help="scheduler of an existing Dask cluster (tcp://...)",
    )

    clean = commands.add_parser("clean", help="clean one text file and print the result")
    clean.add_argument("file", type=Path)
    clean.add_argument("--config", help="TOML settings file")
    clean.add_argument("--json", action="store_true", help="print metadata and segments as JSON")

    config = commands.add_parser("config", help="print the effective settings")
    config.add_argument("--config", help="TOML settings file")

    commands.add_parser("schema", help="print the published tables and their columns")

    report = commands.add_parser("report", help="print the path of the latest run report")
    report.add_argument("--output", help="output folder of the runs (default: run.output)")
    report.add_argument("--config", help="TOML settings file")
    report.add_argument("--open", action="store_true", help="open the report in a web browser")

    serve = commands.add_parser(
        "serve", help="serve a Prefect deployment of the run on a schedule (needs a server)"
    )
    # Exactly one of --cron/--interval is checked by flows.serve.parse_schedule (one-line error).
    serve.add_argument("--cron", help="cron expression in UTC, e.g. '0 6 * * *'")
    serve.add_argument("--interval", help="seconds between runs")
    serve.add_argument("--input", help="folder, file or http(s) URL to read (default: run.input)")
    serve.add_argument("--output", help="folder to publish into (default: run.output)")
    serve.add_argument("--config", help="TOML settings file")
    serve.add_argument("--name", help="deployment name (default: scheduled)")
    return parser


def _run(args: argparse.Namespace) -> int:
    from flows import preflight, publish

    flags = {
        "batch_size": args.batch_size,
        "runner": args.runner,
        "dask_address": args.dask_address,
    }
    overrides = {"run": flags} if any(v is not None for v in flags.values()) else None
    # Every misuse is found before Prefect is imported (seconds) and its server started.
    settings = preflight.effective_settings(args.input, args.output, args.config, overrides)
    preflight.check_run(settings)
    with publish.output_lock(settings.run.output, settings.run.lock_timeout_s):
        # The run's Prefect server boots while this process imports the pipeline (seconds).
        local_server.start_early()
        from flows.pipeline import ValidationFailed, run

        try:
            summary = run(
                input=args.input, output=args.output, config=args.config, overrides=overrides
            )
        except ValidationFailed as exc:
            print(f"broadsheet: {_one_line(exc)}", file=sys.stderr)
            return 1
    print("\n".join(["", "== Broadsheet run summary ==", *summary.lines()]))
    return 0


def _clean(args: argparse.Namespace) -> int:
    from flows.steps.clean import clean_text
    from flows.steps.ingest import decode, read_file

    settings = load_settings(args.config)
    raw = read_file(args.file, args.file, settings.ingest)
    decoded = raw if isinstance(raw, Quarantined) else decode(raw, settings.ingest)
    if isinstance(decoded, Quarantined):
        print(f"broadsheet: {decoded.source_name}: {decoded.reason}", file=sys.stderr)
        return 2
    doc = clean_text(decoded.text, settings)
    if not args.json:
        print(doc.text)
        return 0
    payload = {
        "title": doc.title,
        "authors": doc.authors,
        "published": doc.published.isoformat() if doc.published else None,
        "publisher": doc.publisher,
        "removed_share": round(doc.removed_share, 4),
        "segments": [
            {"seq": s.seq, "kind": s.kind, "kept": s.kept, "reason": s.reason, "text": s.text}
            for s in doc.segments
        ],
    }
    print(json.dumps(payload, indent=2, ensure_ascii=False))
    return 0


def _report(args: argparse.Namespace) -> int:
    from flows.publish import REPORT_FILE, SNAPSHOTS

    output = Path(args.output or load_settings(args.config).run.output)
    report = (output / REPORT_FILE).resolve()  # output/report.html -> latest/report.html
    if not report.is_file():
        # A run whose validation failed keeps its report in its snapshot but is never latest.
        unpublished = sorted((output / SNAPSHOTS).glob(f"*/{REPORT_FILE}"))
        hint = (
            f"no published report under {output}; newest unpublished run report: {unpublished[-1]}"
            if unpublished
            else f"no report yet under {output} (run `broadsheet run` first)"
        )
        print(f"broadsheet: {hint}", file=sys.stderr)
        return 2
    print(report)
    if args.open and not webbrowser.open(report.as_uri()):
        print("broadsheet: no web browser could be started; open the path above", file=sys.stderr)
    return 0


def _serve(args: argparse.Namespace) -> int:
    from flows import serve

    try:
        schedule = serve.parse_schedule(args.cron, args.interval)
        parameters = serve.deployment_parameters(args.input, args.output, args.config)
        api = serve.require_server()
    except (serve.ServeError, UsageError) as exc:
        print(f"broadsheet: {_one_line(exc)}", file=sys.stderr)
        return 2
    name = args.name or serve.DEFAULT_DEPLOYMENT_NAME
    print(f"broadsheet: serving broadsheet-run/{name} {schedule.describe()} on {api}", flush=True)
    # Prefect's runner ends quietly on Ctrl-C and SIGTERM; this covers Ctrl-C before it started.
    with contextlib.suppress(KeyboardInterrupt):
        serve.serve(schedule, parameters, name)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "run":
            return _run(args)
        if args.command == "clean":
            return _clean(args)
        if args.command == "report":
            return _report(args)
        if args.command == "serve":
            return _serve(args)
        if args.command == "config":
            print(load_settings(args.config).to_toml())
            return 0
        from flows.schema import describe

        print(describe())
        return 0
    except (ConfigError, UsageError) as exc:
        # Settings, input and output problems (publish.OutputError and OutputBusy included).
        print(f"broadsheet: {_one_line(exc)}", file=sys.stderr)
        return 2
    except local_server.ServerError as exc:  # the run's own Prefect server would not start
        print(f"broadsheet: {_one_line(exc)}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
