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
(``remove_leftovers``); one output folder takes one run at a time. A snapshot whose validation
failed is committed (for inspection) but never becomes ``latest``. Every snapshot holds every
document of its run, so a document removed from the input is gone from the next snapshot, and
``doc_id`` is content-based, so a re-run on the same input gives the same rows (only ``run_id``
differs).

Output locations are fsspec URLs: a plain path or ``file://`` is local disk (``local_path``),
published as above with symlinks. Object stores have no atomic rename and no symlinks; there the
pointer is a manifest: the run is built in a local folder, its snapshot uploaded to
``<url>/snapshots/<run_id>/`` and then ``<url>/LATEST`` (JSON naming the run and its tables) is
written last (``mirror_to_url``); ``read_manifest`` finds the current snapshot from it.

Test hook: ``BROADSHEET_CRASH_AT=<point>`` (``CRASH_POINTS``) makes the process SIGKILL itself
at that point of publishing, so tests can crash a real run deterministically. Unset (always, in
production) it does nothing.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

SNAPSHOTS = "snapshots"
LATEST = "latest"
MANIFEST = "LATEST"
PART_FILE = "part-00000.parquet"
REPORT_FILE = "report.html"
DATA_DOCS_DIR = "data_docs"
STAGING_PREFIX = ".staging-"
TRASH_PREFIX = ".trash-"

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
