"""Data Docs of a run: the Great Expectations site of its validation results, readable offline.

:func:`flows.validate.validate_tables` stores each suite part's validation result in its GX
context and asks GX to build the pages (:func:`site_config` is the site's configuration). GX's
pages load Bootstrap, jQuery, bootstrap-table, Vega and Font Awesome from CDNs and its logo from
S3, and its ``index.html`` fills its table of results *from JavaScript* (bootstrap-table). Runs
are read offline (and the pipeline has no internet), where those assets cannot load: the index
would be an empty page and every page would log load and ``$ is not defined`` errors.

So after GX has built the pages, :func:`make_offline` rewrites them to need nothing remote:

* remote ``<script>`` and ``<link>`` tags go, and so do the inline scripts and ``onclick``
  handlers, which only drive those libraries' widgets (the content is server-rendered HTML);
* remote images are pointed at the copy in the site's ``static/images`` (GX ships its logos),
  remote CSS backgrounds are dropped, and so are links to local files that do not exist (GX
  gets the favicon's depth wrong on validation pages);
* a small inline stylesheet stands in for the status icons and table borders of those libraries;
* static assets no page references (GX copies ~4 MB of fonts and tutorial GIFs) are removed.

:func:`write_index` then writes Broadsheet's own ``index.html``: plain HTML and inline CSS, one
row per validation page with its table, part and verdict counts, every value escaped.
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SITE_NAME = "broadsheet"
INDEX_FILE = "index.html"
STATIC_DIR = "static"
STATIC_IMAGES = Path(STATIC_DIR) / "images"
HTML_SUFFIX = ".html"

_SCRIPT = re.compile(r"<script\b[^>]*>.*?</script\s*>", re.IGNORECASE | re.DOTALL)
_REMOTE_LINK = re.compile(r"<link\b[^>]*\bhref=[\"']https?://[^>]*>", re.IGNORECASE)
_REMOTE_SRC = re.compile(r"\bsrc=([\"'])(https?://[^\"']*)\1", re.IGNORECASE)
_REMOTE_CSS_URL = re.compile(r"url\(\s*[\"']?https?://[^)]*\)", re.IGNORECASE)
_ONCLICK = re.compile(r"\sonclick=(\"[^\"]*\"|'[^']*')", re.IGNORECASE)
_LOCAL_REF = re.compile(r"\b(?:src|href)=[\"'](?![a-z]+:|#)([^\"'?#]+)", re.IGNORECASE)
_IMG_WITH_REMOTE_SRC = re.compile(r"<img\b[^>]*\bsrc=[\"']https?://[^>]*>", re.IGNORECASE)
_LOCAL_LINK = re.compile(r"<link\b[^>]*\bhref=[\"'](?![a-z]+:)([^\"']+)[\"'][^>]*>", re.IGNORECASE)


def site_config(docs_dir: Path) -> dict[str, Any]:
    """The ``data_docs_sites`` entry of a GX context: validation pages only, under ``docs_dir``.

    No expectation-suite or profiling sections (the validation pages list every expectation)
    and no "how to" buttons (they link to GX tutorials, not to this run).
    """
    return {
        SITE_NAME: {
            "class_name": "SiteBuilder",
            "show_how_to_buttons": False,
            "store_backend": {
                "class_name": "TupleFilesystemStoreBackend",
                "base_directory": str(docs_dir),
            },
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            "site_section_builders": {"expectations": "None", "profiling": "None"},
        }
    }


@dataclass(frozen=True)
class PageEntry:
    """One validation page of the site, as the index lists it."""

    table: str
    part: str
    page: str  # path relative to the docs folder
    n_expectations: int
    n_failed_critical: int
    n_failed_warnings: int


# Stand-ins for what GX's pages take from Bootstrap and Font Awesome (CDN): the status icons
# (a check or a cross), bordered tables, and a navigation bar that does not cover the title.
_OFFLINE_CSS = """<style>
body { font-family: system-ui, sans-serif; margin: 0 1.5rem; }
.sticky-top { position: static !important; height: auto !important; }
.breadcrumb { list-style: none; display: flex; gap: .75rem; padding: 0; }
table { border-collapse: collapse; margin: .25rem 0; }
td, th { border: 1px solid #ddd; padding: .2rem .5rem; vertical-align: top; }
.fas, .far { font-style: normal; }
.fa-check-circle::before { content: "\\2714"; }
.fa-times::before { content: "\\2716"; }
.fa-exclamation-triangle::before { content: "\\26A0"; }
.fa-question-circle::before { content: "?"; }
.text-success { color: #176117; }
.text-danger { color: #a00; }
.text-warning { color: #8a5a00; }
</style>"""
HEAD_END = "</head>"


def _local_image(docs_dir: Path, page: Path, url: str) -> str | None:
    """Relative path from ``page`` to GX's local copy of a remote image, if the site has one."""
    name = url.split("?", 1)[0].rsplit("/", 1)[-1]
    local = docs_dir / STATIC_IMAGES / name
    if not name or not local.is_file():
        return None
    return Path(os.path.relpath(local, page.parent)).as_posix()


def _offline_html(text: str, docs_dir: Path, page: Path) -> str:
    text = _SCRIPT.sub("", text)
    text = _REMOTE_LINK.sub("", text)
    text = _REMOTE_CSS_URL.sub("none", text)
    text = _ONCLICK.sub("", text)

    def local_src(match: re.Match[str]) -> str:
        local = _local_image(docs_dir, page, match.group(2))
        return match.group(0) if local is None else f'src="{html.escape(local)}"'

    def existing_link(match: re.Match[str]) -> str:
        # GX counts one folder too few for validation pages' favicon: drop dead links.
        return match.group(0) if (page.parent / match.group(1)).is_file() else ""

    text = _REMOTE_SRC.sub(local_src, text)
    text = _LOCAL_LINK.sub(existing_link, text)
    # An image with no local copy would still be fetched (and fail) offline.
    text = _IMG_WITH_REMOTE_SRC.sub("", text)
    return text.replace(HEAD_END, _OFFLINE_CSS + HEAD_END, 1)


def make_offline(docs_dir: Path) -> None:
    """Rewrite every page under ``docs_dir`` to load nothing remote; drop unused static files."""
    pages = sorted(docs_dir.rglob(f"*{HTML_SUFFIX}"))
    used: set[Path] = set()
    for page in pages:
        text = _offline_html(page.read_text(encoding="utf-8"), docs_dir, page)
        page.write_text(text, encoding="utf-8")
        used.update((page.parent / ref).resolve() for ref in _LOCAL_REF.findall(text))
    static = docs_dir / STATIC_DIR
    if not static.is_dir():
        return
    for path in sorted(static.rglob("*"), reverse=True):  # files before their folders
        if path.is_file() and path.resolve() not in used:
            path.unlink()
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()


_INDEX_CSS = """
body { font-family: system-ui, sans-serif; margin: 2rem; color: #222; }
table { border-collapse: collapse; }
th, td { border: 1px solid #ccc; padding: .35rem .7rem; text-align: left; }
th { background: #f3f3f3; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.fail { color: #a00; font-weight: 600; }
.warn { color: #8a5a00; }
.ok { color: #176117; }
"""


def _verdict(entry: PageEntry) -> tuple[str, str]:
    if entry.n_failed_critical:
        return "fail", "critical failure"
    if entry.n_failed_warnings:
        return "warn", "warnings"
    return "ok", "passed"


def write_index(docs_dir: Path, entries: Sequence[PageEntry], run_name: str) -> Path:
    """Broadsheet's index of the run's validation pages (no scripts, no remote assets)."""
    rows: list[str] = []
    for entry in entries:
        css, verdict = _verdict(entry)
        rows.append(
            "<tr>"
            f"<td>{html.escape(entry.table)}</td><td>{html.escape(entry.part)}</td>"
            f'<td class="{css}">{verdict}</td>'
            f'<td class="n">{entry.n_expectations}</td>'
            f'<td class="n">{entry.n_failed_critical}</td>'
            f'<td class="n">{entry.n_failed_warnings}</td>'
            f'<td><a href="{html.escape(entry.page)}">validation results</a></td>'
            "</tr>"
        )
    title = f"Data Docs: validation of run {run_name}"
    text = "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            f"<title>{html.escape(title)}</title>",
            f"<style>{_INDEX_CSS}</style></head><body>",
            f"<h1>{html.escape(title)}</h1>",
            "<p>Great Expectations results of every suite part: <em>shape</em> checks the "
            "published columns, <em>rows</em> the values and the derived check columns.</p>",
            "<table><thead><tr><th>table</th><th>part</th><th>verdict</th>"
            "<th>expectations</th><th>critical failures</th><th>warnings</th><th>page</th>"
            "</tr></thead><tbody>",
            *rows,
            "</tbody></table></body></html>",
            "",
        ]
    )
    path = docs_dir / INDEX_FILE
    path.write_text(text, encoding="utf-8")
    return path
