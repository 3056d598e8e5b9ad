"""Broadsheet: scraped article text in, clean, validated, analysis-ready Parquet out.

Public API (imported lazily, so ``import flows`` stays cheap):

- ``clean_text(raw) -> CleanedDocument``: article body, metadata, kept/removed segments.
- ``extract_entities(text) -> list[Entity]``: named entities with spaCy labels and canonical names.
- ``extract_keyphrases(text, top_k=10) -> list[Keyphrase]``: ranked keyphrases.
- ``run(...)``: the Prefect flow that processes a folder or URL into Parquet tables.
"""

from __future__ import annotations

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version
from typing import Any

try:
    __version__ = version("broadsheet")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+local"

_API = {
    "clean_text": "flows.steps.clean",
    "extract_entities": "flows.steps.nlp",
    "extract_keyphrases": "flows.steps.nlp",
    "run": "flows.pipeline",
    "CleanedDocument": "flows.records",
    "Entity": "flows.records",
    "Keyphrase": "flows.records",
    "Segment": "flows.records",
    "Settings": "flows.config",
}

__all__ = [*_API, "__version__"]


def __getattr__(name: str) -> Any:
    if name in _API:
        return getattr(import_module(_API[name]), name)
    raise AttributeError(f"module 'flows' has no attribute {name!r}")
