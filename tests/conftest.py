"""Shared fixtures: the seed texts and their gold, copied into the repo so tests need no ../shared."""

from __future__ import annotations

import json
import os
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
