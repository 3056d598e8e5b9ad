"""The command line without a Prefect run: config, schema, clean, and usage errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows.cli import main
from flows.config import ConfigError, load_settings

from .conftest import SEEDS


def test_config_round_trips_through_toml(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["config"]) == 0
    text = capsys.readouterr().out
    path = tmp_path / "settings.toml"
    path.write_text(text.replace("batch_size = 64", "batch_size = 7"))
    assert load_settings(path).run.batch_size == 7


def test_unknown_settings_are_rejected(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("[run]\nbatch_sise = 3\n")
    with pytest.raises(ConfigError, match="batch_sise"):
        load_settings(path)
    assert main(["config", "--config", str(path)]) == 2


def test_schema_lists_every_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    out = capsys.readouterr().out
    for table in ("documents:", "segments:", "entities:", "keyphrases:", "quarantine:"):
        assert table in out


def test_clean_prints_body_and_segments(capsys: pytest.CaptureFixture[str]) -> None:
    seed = sorted(SEEDS.glob("*.txt"))[1]
    assert main(["clean", str(seed), "--json"]) == 0
    out = capsys.readouterr().out
    assert '"kind": "caption"' in out and '"reason":' in out


def test_clean_reports_bad_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    assert main(["clean", str(empty)]) == 2
    assert "empty" in capsys.readouterr().err
