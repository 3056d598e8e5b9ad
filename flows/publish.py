"""Publish: write a run's tables as a snapshot and switch readers to it atomically.

Layout of an output folder::

    snapshots/<run_id>/<table>/part-00000.parquet   one folder per table, per run
    snapshots/<run_id>/report.html, summary.json, validation.json
    latest -> snapshots/<run_id>                    switched with one atomic rename
    <table> -> latest/<table>                       stable paths for pandas, DuckDB, Polars
    report.html -> latest/report.html
    data_docs -> latest/data_docs                   the GX site (the report links into it)

A snapshot whose validation failed is written (for inspection) but never becomes ``latest``.
Old snapshots beyond ``keep_snapshots`` are removed, never the one ``latest`` points to.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

SNAPSHOTS = "snapshots"
LATEST = "latest"
PART_FILE = "part-00000.parquet"
REPORT_FILE = "report.html"
DATA_DOCS_DIR = "data_docs"


def snapshot_dir(output: Path, run_id: str) -> Path:
    return output / SNAPSHOTS / run_id


def write_snapshot(output: Path, run_id: str, tables: Mapping[str, pa.Table]) -> Path:
    """Write every table under a new snapshot folder; returns the folder."""
    target = snapshot_dir(output, run_id)
    for name, table in tables.items():
        folder = target / name
        folder.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, folder / PART_FILE, compression="zstd")
    return target


def write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, default=str), encoding="utf-8")
    os.replace(tmp, path)


def _atomic_symlink(link: Path, target: str) -> None:
    tmp = link.with_name(f".{link.name}.tmp")
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    tmp.symlink_to(target)
    os.replace(tmp, link)


def switch_latest(output: Path, run_id: str, table_names: list[str]) -> None:
    """Point ``latest`` at the run's snapshot and make sure the stable table links exist."""
    _atomic_symlink(output / LATEST, f"{SNAPSHOTS}/{run_id}")
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


def prune_snapshots(output: Path, keep: int) -> list[str]:
    """Remove the oldest snapshots beyond ``keep``; never the one ``latest`` points to."""
    root = output / SNAPSHOTS
    if not root.is_dir():
        return []
    current = (output / LATEST).resolve().name if (output / LATEST).is_symlink() else None
    runs = sorted(p.name for p in root.iterdir() if p.is_dir())
    removed = []
    for name in runs[: max(0, len(runs) - keep)]:
        if name != current:
            shutil.rmtree(root / name)
            removed.append(name)
    return removed
