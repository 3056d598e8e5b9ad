"""The command line without a Prefect run: config, schema, clean, and usage errors (the real
command in a subprocess: one line, exit code 2, no traceback, found before Prefect starts)."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import pytest

from flows.cli import main
from flows.config import ConfigError, Settings, load_settings, validate_settings

from .conftest import SEEDS


def test_config_round_trips_through_toml(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["config"]) == 0
    text = capsys.readouterr().out
    path = tmp_path / "settings.toml"
    path.write_text(text.replace("batch_size = 256", "batch_size = 7"))
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


# --- misuse of the real command: one line, exit code 2, no traceback, no Prefect --------------

# Runs flows.cli as ``python -m flows.cli`` does (runpy, as __main__) and says at exit whether
# Prefect was imported: a misuse must be reported before the run imports Prefect and starts its
# server (seconds), not after.
_CLI = (
    "import atexit, runpy, sys\n"
    "atexit.register(lambda: print('prefect imported:', 'prefect' in sys.modules))\n"
    "runpy.run_module('flows.cli', run_name='__main__', alter_sys=True)\n"
)
MISUSE_TIMEOUT_S = 120


def _misuse(tmp_path: Path, *args: str) -> str:
    """Run the CLI with ``args`` and check the misuse contract; returns the one stderr line."""
    proc = subprocess.run(
        [sys.executable, "-c", _CLI, *args],
        capture_output=True,
        text=True,
        timeout=MISUSE_TIMEOUT_S,
        cwd=tmp_path,
        env={k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"},
        check=False,
    )
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stderr
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("broadsheet: "), proc.stderr
    if args[0] == "run":
        assert proc.stdout == "prefect imported: False\n", proc.stdout
    return proc.stderr.strip()


def _settings_file(tmp_path: Path, text: str) -> str:
    path = tmp_path / "settings.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (
            '[run]\nbatch_size = "ten"\n',
            '[run] batch_size = "ten" is not allowed: it must be a whole number >= 1',
        ),
        ("[run]\nbatch_size = 0\n", "[run] batch_size = 0 is not allowed"),
        (
            "[ingest]\nmax_bytes = -5\n",
            "[ingest] max_bytes = -5 is not allowed: it must be a whole number >= 1",
        ),
        (
            "[validation]\nrow_count_drift_tolerance = 1.5\n",
            "row_count_drift_tolerance = 1.5 is not allowed: it must be a number from 0 to 1",
        ),
        ("[nlp]\nn_process = -1\n", "[nlp] n_process = -1 is not allowed"),
        (
            '[run]\nrunner = "spark"\n',
            "[run] runner = \"spark\" is not allowed: it must be 'local' or 'dask'",
        ),
        ("[run]\nlock_timeout_s = nan\n", "[run] lock_timeout_s = nan is not allowed"),
        (
            '[ingest]\npatterns = "*.txt"\n',
            '[ingest] patterns = "*.txt" is not allowed: it must be a non-empty list of strings',
        ),
        (
            "[quality]\nmin_words = 500\nmax_words = 100\n",
            "[quality] min_words = 500 is not allowed: it must be <= max_words (100)",
        ),
        (
            "[run]\nbatch_sise = 3\n",
            "unknown key 'batch_sise' in [run]; `broadsheet config` lists every setting",
        ),
        ("[runs]\nbatch_size = 3\n", "unknown section [runs]"),
        ("[run\nbatch_size = 3\n", "is not valid TOML: "),
    ],
)
def test_a_bad_settings_file_is_one_line_naming_the_key(
    tmp_path: Path, settings: str, message: str
) -> None:
    config = _settings_file(tmp_path, settings)
    err = _misuse(tmp_path, "run", "--input", str(SEEDS), "--output", "out", "--config", config)
    assert message in err and config in err, err
    assert not (tmp_path / "out").exists()  # nothing was started or written


def test_a_missing_settings_file_is_a_usage_error(tmp_path: Path) -> None:
    err = _misuse(tmp_path, "run", "--input", str(SEEDS), "--config", "nowhere.toml")
    assert err == (
        "broadsheet: cannot read settings file nowhere.toml: No such file or directory; "
        "pass --config with a UTF-8 TOML file"
    )


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--runner", "spark"], "argument --runner: invalid choice: 'spark' (choose from "),
        (["--batch-size", "0"], "argument --batch-size: must be a whole number >= 1, got '0'"),
        (["--batch-size", "-3"], "argument --batch-size: must be a whole number >= 1, got '-3'"),
        (["--batch-size", "ten"], "must be a whole number >= 1, got 'ten'"),
        (["--dask-address", "localhost"], "argument --dask-address: must be a scheduler address"),
        (["--inptu", "x"], "unrecognized arguments: --inptu x"),
    ],
)
def test_bad_flags_are_one_line(tmp_path: Path, flags: list[str], message: str) -> None:
    err = _misuse(tmp_path, "run", "--input", str(SEEDS), *flags)
    assert message in err and err.endswith(" --help`)"), err


def test_a_missing_input_is_named_with_the_fix(tmp_path: Path) -> None:
    err = _misuse(tmp_path, "run", "--input", "missing", "--output", "out")
    assert err == (
        "broadsheet: input not found: missing; "
        "pass --input with an existing folder, a text file or an http(s) URL"
    )
    assert not (tmp_path / "out").exists()


def test_an_input_that_is_neither_folder_nor_file_is_refused(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")  # reading it would block the run forever
    err = _misuse(tmp_path, "run", "--input", "pipe", "--output", "out")
    assert "input pipe is a named pipe (FIFO), not a folder or a regular file" in err
    err = _misuse(tmp_path, "run", "--input", "ftp://example.org/a.txt")
    assert "unsupported URL scheme 'ftp'" in err


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any folder whatever its mode")
def test_an_unreadable_input_folder_is_refused(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0)
    try:
        err = _misuse(tmp_path, "run", "--input", "locked", "--output", "out")
    finally:
        locked.chmod(0o755)
    assert "input folder locked cannot be read (permission denied)" in err


def test_an_output_that_cannot_be_written_is_refused(tmp_path: Path) -> None:
    (tmp_path / "file.txt").write_text("a file, not a folder")
    err = _misuse(tmp_path, "run", "--input", str(SEEDS), "--output", "file.txt/out")
    assert err == (
        f"broadsheet: cannot create output file.txt/out: {tmp_path / 'file.txt'} is a file; "
        "pass --output with a folder path you can write to"
    )
    err = _misuse(tmp_path, "run", "--input", str(SEEDS), "--output", "file.txt")
    assert "output file.txt is a file, not a folder" in err
    # /proc refuses new folders even to root (chmod would not stop root).
    err = _misuse(tmp_path, "run", "--input", str(SEEDS), "--output", "/proc/broadsheet/out")
    assert err.startswith("broadsheet: cannot write to output /proc/broadsheet/out: "), err
    assert err.endswith("; pass --output with a folder you can write to")


@pytest.mark.parametrize(
    "flags", [[], ["--cron", "0 6 * * *", "--interval", "60"], ["--interval", "0"]]
)
def test_serve_misuse_is_one_line_too(tmp_path: Path, flags: list[str]) -> None:
    err = _misuse(tmp_path, "serve", *flags)
    assert "--interval" in err


def test_every_default_setting_is_valid_and_every_setting_is_checked() -> None:
    settings = validate_settings(Settings())
    for section in dataclasses.fields(settings):
        for item in dataclasses.fields(getattr(settings, section.name)):
            bad = {"not": "a setting value"}  # wrong type for every setting
            with pytest.raises(ConfigError, match=rf"\[{section.name}\] {item.name} = "):
                validate_settings(settings.with_overrides(section.name, **{item.name: bad}))
