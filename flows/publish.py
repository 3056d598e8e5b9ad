"""Publish: write a run's tables as a complete snapshot and switch readers to it atomically.

Owns the layout of an output folder and every write into it::

    snapshots/.staging-<run_id>/...                 a run being written (no reader looks here)
    snapshots/<run_id>/<table>/part-00000.parquet   one folder per table, per run
    snapshots/<run_id>/report.html, summary.json, validation.json, data_docs/
    latest -> snapshots/<run_id>                    switched with one atomic rename
    <table> -> latest/<table>                       stable paths for pandas, DuckDB, Polars
    report.html -> latest/report.html
    data_docs -> latest/data_docs                   the GX site (the report links into it)

Crash safety, step by step (a SIGKILL anywhere leaves readers on a complete snapshot):

1. Everything of a run is written under ``snapshots/.staging-<run_id>``; every file goes to a
   temporary name, is fsynced and then ``os.replace``-d into place.
2. The staging folder is fsynced and renamed to ``snapshots/<run_id>`` in one step
   (``commit_snapshot``): a snapshot folder is complete or absent.
3. ``latest`` is replaced by a new symlink with one ``os.replace`` (``switch_latest``), then the
   output folder is fsynced. Before this, readers see the previous snapshot; after it, the new.
4. Old snapshots beyond ``keep_snapshots`` are renamed to ``snapshots/.trash-<run_id>`` and then
   deleted (``prune_snapshots``), never the one ``latest`` points to.

Staging and trash folders that a killed run left behind are removed by the next run
(``remove_leftovers``). A snapshot whose validation
failed is committed (for inspection) but never becomes ``latest``. Every snapshot holds every
document of its run, so a document removed from the input is gone from the next snapshot, and
``doc_id`` is content-based, so a re-run on the same input gives the same rows (only ``run_id``
differs).

Output locations are fsspec URLs: a plain path or ``file://`` is local disk (``local_path``),
published as above with symlinks. Object stores have no atomic rename and no symlinks; there the
pointer is a manifest: the run is built in a local folder, its snapshot uploaded to
``<url>/snapshots/<run_id>/`` and then ``<url>/LATEST`` (JSON naming the run and its tables) is
written last (``mirror_to_url``); ``read_manifest`` finds the current snapshot from it.

One run at a time per output (``output_lock``): a run holds an exclusive ``fcntl.flock`` on
``<output>/.lock`` from before its first write into the output until it has published. Without it
a second run's ``remove_leftovers`` would delete the first run's staging folder, and both would
race on ``latest`` and pruning. A run that finds the lock taken waits up to
``run.lock_timeout_s`` (0, the default: not at all) and then fails with ``OutputBusy``, whose one
line names the holder (run id, pid, host, since when; written into the lock file). The OS drops
the lock when its process ends in any way, SIGKILL included, so a crashed run never leaves a
stale lock; the lock file itself stays (it is empty when no run holds it). The lock is
re-entrant within a process (the CLI takes it before Prefect starts, the flow again). It is
advisory and local: it excludes runs on this machine and, where the filesystem supports
``flock`` across machines (local disks; NFS through POSIX locks), on others. A remote fsspec
output is locked only on this machine (a lock file in the temporary folder named by the URL's
hash): two machines publishing to one bucket at once are not excluded.

Test hook: ``BROADSHEET_CRASH_AT=<point>`` (``CRASH_POINTS``) makes the process SIGKILL itself
at that point of publishing, so tests can crash a real run deterministically. Unset (always, in
production) it does nothing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fcntl
import hashlib
import json
import os
import shutil
import signal
import socket
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from flows.preflight import UsageError
from flows.redact import redact

SNAPSHOTS = "snapshots"
LATEST = "latest"
MANIFEST = "LATEST"
PART_FILE = "part-00000.parquet"
REPORT_FILE = "report.html"
DATA_DOCS_DIR = "data_docs"
STAGING_PREFIX = ".staging-"
TRASH_PREFIX = ".trash-"
LOCK_FILE = ".lock"
# Where the locks of remote outputs live (this machine only), under the temporary folder.
REMOTE_LOCKS_DIR = "broadsheet-locks"
# How often a run waiting for an output's lock tries again.
LOCK_POLL_S = 0.1

CRASH_ENV = "BROADSHEET_CRASH_AT"
CRASH_POINTS = (
    "staging",  # after the first table file of the snapshot is in the staging folder
    "committed",  # after the staging folder became snapshots/<run_id>, before the switch
    "switched",  # right after latest points at the new snapshot (before table links, pruning)
    "pruning",  # while removing an old snapshot (renamed to trash, not yet deleted)
)


def crash_point(name: str) -> None:
    """Test hook: SIGKILL this process when ``BROADSHEET_CRASH_AT`` names this point."""
    if os.environ.get(CRASH_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)


def local_path(output: str | Path) -> Path:
    """The local folder of an output location: a plain path or a ``file://`` URL."""
    if isinstance(output, Path):
        return output
    if is_remote(output):
        raise ValueError(f"{output} is not on local disk")
    return Path(output.removeprefix("file://"))


def is_remote(output: str | Path) -> bool:
    """True for an fsspec URL that is not local disk (``s3://``, ``gs://``, ``memory://``...)."""
    return isinstance(output, str) and "://" in output and not output.startswith("file://")


def snapshot_dir(output: Path, run_id: str) -> Path:
    """Where a run's snapshot lives once committed."""
    return output / SNAPSHOTS / run_id


def staging_dir(output: Path, run_id: str) -> Path:
    """Where a run writes its snapshot before ``commit_snapshot``."""
    return output / SNAPSHOTS / f"{STAGING_PREFIX}{run_id}"


def _fsync_dir(path: Path) -> None:
    # A rename or a new entry is durable only once its folder is synced (POSIX).
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_atomic(path: Path, write: Any) -> None:
    """Write through ``write(file)`` to a temporary name, fsync, then rename into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as handle:
        write(handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def write_json(path: Path, data: Any) -> None:
    """Write JSON atomically (readers see the old file or the new one, never part of it)."""
    body = json.dumps(data, indent=2, default=str).encode("utf-8")
    _write_atomic(path, lambda handle: handle.write(body))


def write_text(path: Path, text: str) -> None:
    """Write UTF-8 text atomically."""
    body = text.encode("utf-8")
    _write_atomic(path, lambda handle: handle.write(body))


def write_tables(folder: Path, tables: Mapping[str, pa.Table]) -> None:
    """Every table as ``<folder>/<table>/part-00000.parquet`` (zstd), each written atomically."""
    for number, (name, table) in enumerate(tables.items()):
        _write_atomic(
            folder / name / PART_FILE,
            lambda handle, t=table: pq.write_table(t, handle, compression="zstd"),
        )
        if number == 0:
            crash_point("staging")


def commit_snapshot(output: Path, run_id: str) -> Path:
    """Make the staged snapshot durable and move it to ``snapshots/<run_id>`` in one rename."""
    staging, target = staging_dir(output, run_id), snapshot_dir(output, run_id)
    staging.mkdir(parents=True, exist_ok=True)
    for folder, _, files in os.walk(staging):
        for name in files:
            with open(Path(folder) / name, "rb") as handle:
                os.fsync(handle.fileno())
        _fsync_dir(Path(folder))
    os.rename(staging, target)
    _fsync_dir(target.parent)
    crash_point("committed")
    return target


def write_snapshot(output: Path, run_id: str, tables: Mapping[str, pa.Table]) -> Path:
    """Write every table into the run's staging folder and commit it; returns the snapshot."""
    write_tables(staging_dir(output, run_id), tables)
    return commit_snapshot(output, run_id)


def remove_leftovers(output: Path, keep_run_id: str | None = None) -> list[str]:
    """Remove staging and trash folders that killed runs left (except ``keep_run_id``'s)."""
    root = output / SNAPSHOTS
    if not root.is_dir():
        return []
    removed = []
    for path in sorted(root.iterdir()):
        leftover = path.name.startswith((STAGING_PREFIX, TRASH_PREFIX))
        if leftover and path.name != f"{STAGING_PREFIX}{keep_run_id}":
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path.name)
    return removed


def _atomic_symlink(link: Path, target: str) -> None:
    tmp = link.with_name(f".{link.name}.tmp")
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    tmp.symlink_to(target)
    os.replace(tmp, link)


def switch_latest(output: Path, run_id: str, table_names: list[str]) -> None:
    """Point ``latest`` at the run's snapshot and make sure the stable table links exist."""
    _atomic_symlink(output / LATEST, f"{SNAPSHOTS}/{run_id}")
    _fsync_dir(output)
    crash_point("switched")
    names = [*table_names, REPORT_FILE]
    # The report's relative links into Data Docs resolve from output/ when it is opened there.
    if (snapshot_dir(output, run_id) / DATA_DOCS_DIR).is_dir():
        names.append(DATA_DOCS_DIR)
    for name in names:
        link = output / name
        if link.is_symlink():
            continue
        if link.exists():
            # A real folder from an older layout would shadow the link: move it aside, keep it.
            link.rename(output / f"{name}.replaced-by-{run_id}")
        link.symlink_to(f"{LATEST}/{name}")


def current_run(output: Path) -> str | None:
    """The run ``latest`` points to, or None before the first publish."""
    link = output / LATEST
    return Path(os.readlink(link)).name if link.is_symlink() else None


def snapshot_runs(output: Path) -> list[str]:
    """Committed snapshots, oldest first (run ids sort by time)."""
    root = output / SNAPSHOTS
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))


def prune_snapshots(output: Path, keep: int) -> list[str]:
    """Remove the oldest snapshots beyond ``keep``; never the one ``latest`` points to."""
    current = current_run(output)
    runs = snapshot_runs(output)
    removed = []
    for name in runs[: max(0, len(runs) - keep)]:
        if name == current:
            continue
        # Renamed first, so a crash mid-delete leaves a trash folder, not a half snapshot.
        trash = output / SNAPSHOTS / f"{TRASH_PREFIX}{name}"
        os.rename(output / SNAPSHOTS / name, trash)
        crash_point("pruning")
        shutil.rmtree(trash)
        removed.append(name)
    return removed


def read_manifest(url: str) -> dict[str, Any] | None:
    """The ``LATEST`` manifest of a remote output (run id, snapshot and table URLs), or None."""
    import fsspec

    fs, root = fsspec.core.url_to_fs(url)
    path = f"{root.rstrip('/')}/{MANIFEST}"
    if not fs.exists(path):
        return None
    return json.loads(fs.cat_file(path).decode("utf-8"))


def mirror_to_url(local: Path, url: str, run_id: str, published: bool, keep: int) -> None:
    """Upload a run's committed local snapshot to a remote fsspec URL; when ``published``,
    write the ``LATEST`` manifest last (the atomic switch there) and prune beyond ``keep``."""
    import fsspec

    fs, root = fsspec.core.url_to_fs(url)
    root = root.rstrip("/")
    remote = f"{root}/{SNAPSHOTS}/{run_id}"
    source = snapshot_dir(local, run_id)
    for path in sorted(source.rglob("*")):
        if path.is_file():
            fs.pipe_file(f"{remote}/{path.relative_to(source).as_posix()}", path.read_bytes())
    if not published:
        return
    tables = sorted(p.parent.name for p in source.glob(f"*/{PART_FILE}"))
    protocol = url.split("://", 1)[0]
    manifest = {
        "run_id": run_id,
        "snapshot": f"{protocol}://{remote}",
        "tables": {name: f"{protocol}://{remote}/{name}/{PART_FILE}" for name in tables},
    }
    crash_point("committed")
    fs.pipe_file(f"{root}/{MANIFEST}", json.dumps(manifest, indent=2).encode("utf-8"))
    crash_point("switched")
    runs = sorted(Path(p).name for p in fs.ls(f"{root}/{SNAPSHOTS}", detail=False) if fs.isdir(p))
    for name in runs[: max(0, len(runs) - keep)]:
        if name != run_id:
            with contextlib.suppress(FileNotFoundError):
                fs.rm(f"{root}/{SNAPSHOTS}/{name}", recursive=True)


# --- one run at a time per output ----------------------------------------------------------------


class OutputError(UsageError):
    """The output cannot be used: it cannot be created or written, or it cannot be locked. The
    message is one line: what is wrong and how to fix it."""


class OutputBusy(OutputError):
    """Another run holds the output's lock (and did not let go within ``lock_timeout_s``)."""


@dataclass(slots=True)
class _Held:
    fd: int
    depth: int


# The locks this process holds, by (device, inode) of the lock file: the lock is re-entrant.
_HELD: dict[tuple[int, int], _Held] = {}
_HELD_GUARD = threading.Lock()


def lock_path(output: str | Path) -> Path:
    """The lock file of an output: ``<output>/.lock`` on local disk; for a remote URL, a file in
    this machine's temporary folder named by the URL's hash (it excludes local runs only)."""
    if is_remote(output):
        digest = hashlib.sha256(str(output).rstrip("/").encode("utf-8")).hexdigest()[:24]
        return Path(tempfile.gettempdir()) / REMOTE_LOCKS_DIR / f"{digest}.lock"
    return local_path(output) / LOCK_FILE


def _holder(fd: int) -> dict[str, Any]:
    """What the lock file says about its holder ({} while it is being written or empty)."""
    try:
        data = json.loads(os.pread(fd, 4096, 0).decode("utf-8") or "{}")
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_holder(fd: int, run_id: str | None, since: str | None = None) -> None:
    since = since or dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    info = {"run_id": run_id, "pid": os.getpid(), "host": socket.gethostname(), "since": since}
    body = json.dumps(info).encode("utf-8")
    os.ftruncate(fd, 0)
    os.pwrite(fd, body, 0)


def _busy_message(shown: str, holder: dict[str, Any], waited_s: float) -> str:
    run = f"run {holder['run_id']}" if holder.get("run_id") else "another run"
    who = [f"pid {holder['pid']}"] if holder.get("pid") else []
    if holder.get("host"):
        who.append(f"on {holder['host']}")
    if who:
        run += " (" + " ".join(who) + ")"
    since = f" since {holder['since']}" if holder.get("since") else ""
    waited = f" (waited {waited_s:g} s, run.lock_timeout_s)" if waited_s > 0 else ""
    return (
        f"output {shown} is in use by {run}{since}{waited}; "
        "wait for it to finish, or use another --output"
    )


def _open_lock_file(output: str | Path, shown: str) -> int:
    path = lock_path(output)
    fix = "pass --output with a folder you can write to"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Not inherited by child processes (os.open's default): a worker that outlived a killed
        # run must not keep its lock.
        return os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise OutputError(f"cannot write to output {shown}: {reason}; {fix}") from None


@contextlib.contextmanager
def output_lock(
    output: str | Path, timeout_s: float = 0.0, run_id: str | None = None
) -> Iterator[Path]:
    """Hold the output's lock for the ``with`` block (see the module docstring).

    Creates the output folder when needed (``OutputError`` when that or the lock file fails);
    ``OutputBusy`` when another process holds the lock for longer than ``timeout_s``. Taken
    again in the same process it is re-entrant; ``run_id``, when given, is recorded as the
    holder's. Yields the lock file's path.
    """
    shown = redact(str(output))
    path = lock_path(output)
    fd = _open_lock_file(output, shown)
    stat = os.fstat(fd)
    key = (stat.st_dev, stat.st_ino)
    with _HELD_GUARD:
        held = _HELD.get(key)
        if held is not None:
            held.depth += 1
    if held is not None:
        os.close(fd)
        if run_id is not None:  # the flow names the run the CLI took the lock for
            _write_holder(held.fd, run_id, _holder(held.fd).get("since"))
        try:
            yield path
        finally:
            with _HELD_GUARD:
                held.depth -= 1
        return
    started = time.monotonic()
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                waited = time.monotonic() - started
                if waited >= timeout_s:
                    raise OutputBusy(_busy_message(shown, _holder(fd), timeout_s)) from None
                time.sleep(min(LOCK_POLL_S, timeout_s - waited))
            except OSError as exc:
                if exc.errno not in (errno.ENOLCK, errno.EOPNOTSUPP, errno.EINVAL):
                    raise
                raise OutputError(
                    f"cannot lock output {shown}: its filesystem has no file locks "
                    f"({exc.strerror}); use an --output on a local disk"
                ) from None
        _write_holder(fd, run_id)
    except BaseException:
        os.close(fd)
        raise
    held = _Held(fd, 1)
    with _HELD_GUARD:
        _HELD[key] = held
    try:
        yield path
    finally:
        with _HELD_GUARD:
            held.depth -= 1
            last = held.depth == 0
            if last:
                del _HELD[key]
        if last:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)  # nobody holds it: no stale holder to name
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
