"""Shared fixtures: the seed texts and their gold, copied into the repo so tests need no ../shared."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

# CI explores a fixed set of examples (a red build must be reproducible); local runs explore
# new random examples every time and keep failures in .hypothesis/.
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"
GOLD_FILE = Path(__file__).resolve().parent / "fixtures" / "seeds_gold.json"


@pytest.fixture(scope="session")
def seeds_gold() -> dict[str, dict[str, Any]]:
    return json.loads(GOLD_FILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def seed_texts(seeds_gold: dict[str, dict[str, Any]]) -> dict[str, str]:
    return {
        key: (SEEDS / gold["doc"]).read_text(encoding="utf-8") for key, gold in seeds_gold.items()
    }


@pytest.fixture(scope="session")
def api_url() -> Iterator[str]:
    """A Prefect API server for tests that run the CLI in subprocesses (one boot per session)."""
    from flows.local_server import LocalServer

    server = LocalServer()
    server.wait_ready()
    yield server.api_url
    server.stop()


def assert_offsets_index_text(tables: dict[str, Any]) -> None:
    """Kept segments index into their document's text; removed segments are zero-width in it."""
    texts = tables["documents"].set_index("doc_id")["text"]
    for row in tables["segments"].itertuples():
        text = texts[row.doc_id]
        assert 0 <= row.start <= row.end <= len(text)
        if row.kept:
            assert text[row.start : row.end] == row.text
        else:
            assert row.start == row.end
