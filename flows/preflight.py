"""Preflight: the checks of a run's settings, input and output before anything starts.

Owns turning a misuse into one line that says what is wrong and how to fix it, early: the
effective settings (defaults, settings file, CLI flags, input and output; every value checked by
``flows.config.validate_settings``), the input (an existing folder or regular file we can read,
or an http(s) URL) and the output (a folder, or a place where one can be created; a known fsspec
protocol for remote outputs). The CLI runs these before it imports Prefect, so a misuse is
reported in well under a second instead of after the ephemeral server has booted; the flow runs
them again for runs that do not come through the CLI (``broadsheet serve``, ``flows.run``).

Nothing here imports Prefect or the NLP stack. Whether the output can really be written is
settled by taking its lock (``flows.publish.output_lock`` creates the folder and the lock file).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flows.config import Settings, load_settings, validate_settings
from flows.redact import redact

# Schemes an input may have besides a plain path (flows.stages.list_sources reads these).
INPUT_URL_SCHEMES = ("http", "https")
FIX_INPUT = "pass --input with an existing folder, a text file or an http(s) URL"


class UsageError(ValueError):
    """A run was asked for something it cannot do (missing input, an output that is a file...);
    the message is one line: what is wrong and how to fix it."""


class InputNotFound(UsageError, FileNotFoundError):
    """The run's input folder or file does not exist."""


def effective_settings(
    input: str | None = None,
    output: str | None = None,
    config: str | None = None,
    overrides: dict[str, dict[str, Any]] | None = None,
) -> Settings:
    """Defaults, then the settings file, then ``overrides`` (CLI flags), then input/output; every
    value checked (``ConfigError`` names the first bad one)."""
    settings = load_settings(config)
    for section, values in (overrides or {}).items():
        settings = settings.with_overrides(section, **values)
    return validate_settings(settings.with_overrides("run", input=input, output=output))


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def check_input(location: str) -> None:
    """An http(s) URL with a host, or an existing folder or regular file that can be read."""
    shown = redact(location)
    if "://" in location and not location.startswith("file://"):
        parts = urlsplit(location)
        if parts.scheme.lower() not in INPUT_URL_SCHEMES:
            raise UsageError(f"input {shown}: unsupported URL scheme {parts.scheme!r}; {FIX_INPUT}")
        if not parts.hostname:
            raise UsageError(f"input {shown}: the URL has no host; {FIX_INPUT}")
        return
    path = Path(location.removeprefix("file://"))
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise InputNotFound(f"input not found: {shown}; {FIX_INPUT}") from None
    except OSError as exc:
        raise UsageError(f"input {shown} cannot be read: {exc.strerror}; {FIX_INPUT}") from None
    try:
        if stat.S_ISDIR(mode):
            with os.scandir(path) as entries:
                next(entries, None)
        elif stat.S_ISREG(mode):
            with open(path, "rb"):
                pass
        else:
            raise UsageError(
                f"input {shown} is {_kind(mode)}, not a folder or a regular file; {FIX_INPUT}"
            )
    except PermissionError:
        what = "folder" if stat.S_ISDIR(mode) else "file"
        raise UsageError(
            f"input {what} {shown} cannot be read (permission denied); "
            f"give this user read access to it, or {FIX_INPUT}"
        ) from None


def check_output(location: str) -> None:
    """A local output is a folder or can become one (no file in the way); a remote one names a
    protocol fsspec knows. (Permissions are settled when the lock file is created.)"""
    shown = redact(location)
    fix = "pass --output with a folder path you can write to"
    if "://" in location and not location.startswith("file://"):
        import fsspec  # light; only for remote outputs

        protocol = location.split("://", 1)[0]
        try:
            fsspec.get_filesystem_class(protocol)
        except (ValueError, ImportError) as exc:
            raise UsageError(f"output {shown}: {exc}; {fix}") from None
        return
    path = Path(location.removeprefix("file://"))
    if path.exists() and not path.is_dir():
        raise UsageError(f"output {shown} is a file, not a folder; {fix}")
    for parent in path.absolute().parents:
        if parent.exists():
            if not parent.is_dir():
                raise UsageError(f"cannot create output {shown}: {parent} is a file; {fix}")
            break


def check_run(settings: Settings) -> None:
    """Input and output of a run, before anything starts (``UsageError`` otherwise)."""
    check_input(settings.run.input)
    check_output(settings.run.output)
