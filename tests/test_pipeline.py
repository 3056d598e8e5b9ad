"""End to end: the real Prefect flow, through the CLI, on the seeds plus bad inputs.

One run (module fixture) feeds every assertion, which reads only the published Parquet.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import polars as pl
import pytest

from flows.evaluation import PRF, document_prf
from flows.records import BODY_KINDS
from flows.schema import TABLES

from .conftest import SEEDS, assert_offsets_index_text

CP1252_ARTICLE = (
    "Ministers from both countries met in the capital on Monday to discuss café subsidies and the "
    "naïve hopes of exporters, officials said after the talks ended without an agreement on tariffs.\n\n"
    "The talks will resume next month, when both delegations are expected to present new proposals "
    "on agricultural quotas, fishing rights and the protection of regional food names."
)
# A German article: the run accepts English only (quality.languages), so it is quarantined.
GERMAN_ARTICLE = (
    "Die Bundesregierung hat am Montag einen neuen Entwurf für das Gesetz zur Förderung der "
    "Landwirtschaft vorgelegt. Nach Angaben des Ministeriums sollen die Mittel für kleine Betriebe "
    "deutlich steigen, während die Auflagen für den Export vereinfacht werden.\n\n"
    "Die Opposition kritisierte den Entwurf als unzureichend und forderte eine Anhörung im "
    "Bundestag, bevor das Gesetz im Herbst verabschiedet wird."
)
# The CP1252 article again, scraped from another page with its own furniture: same article text.
REPOST = "Home | World | Business | Sport\n\n" + CP1252_ARTICLE + "\n\nShare this article\n"


def _value(value: Any) -> Any:
    """A Parquet null as None (pandas reads it as NaN or NA)."""
    return (
        None if value is None or (not isinstance(value, (list, str)) and pd.isna(value)) else value
    )


def run_cli(
    *args: str, env: dict[str, str] | None = None, timeout: int = 300
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "flows.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        check=False,
    )


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("run")
    inputs = root / "in"
    shutil.copytree(SEEDS, inputs / "seeds")
    (inputs / "bad").mkdir()
    (inputs / "bad" / "empty.txt").write_bytes(b"")
    (inputs / "bad" / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 16)
    (inputs / "zz_copy.txt").write_bytes(next(SEEDS.glob("*.txt")).read_bytes())
    (inputs / "legacy.txt").write_bytes(CP1252_ARTICLE.encode("cp1252"))
    (inputs / "quality").mkdir()
    (inputs / "quality" / "german.txt").write_text(GERMAN_ARTICLE, encoding="utf-8")
    (inputs / "quality" / "repost.txt").write_text(REPOST, encoding="utf-8")
    (inputs / "quality" / "stub.txt").write_text(
        "The council approved the new budget on Tuesday after a short debate, officials said.\n",
        encoding="utf-8",
    )
    output = root / "out"
    result = run_cli("run", "--input", str(inputs), "--output", str(output), "--batch-size", "4")
    tables = {name: pd.read_parquet(output / name) for name in TABLES}
    return {"result": result, "output": output, "tables": tables}


def test_the_run_succeeds_and_prints_a_summary(published: dict[str, Any]) -> None:
    result = published["result"]
    assert result.returncode == 0, result.stderr[-3000:]
    assert "documents in: 12   processed: 6   quarantined: 6" in result.stdout
    assert "validation: PASSED" in result.stdout
    assert "batch 3/3" in result.stdout + result.stderr  # progress, batch by batch


def test_bad_inputs_are_quarantined_with_reasons(published: dict[str, Any]) -> None:
    quarantine = published["tables"]["quarantine"].set_index("source_name")
    assert set(quarantine.index) == {
        "bad/empty.txt",
        "bad/binary.txt",
        "zz_copy.txt",
        "quality/german.txt",
        "quality/repost.txt",
        "quality/stub.txt",
    }
    assert "empty" in quarantine.loc["bad/empty.txt", "reason"]
    assert "binary" in quarantine.loc["bad/binary.txt", "reason"]
    assert "duplicate content of seeds/" in quarantine.loc["zz_copy.txt", "reason"]
    assert "it looks like German" in quarantine.loc["quality/german.txt", "reason"]
    assert "duplicate of legacy.txt" in quarantine.loc["quality/repost.txt", "reason"]
    assert "too short" in quarantine.loc["quality/stub.txt", "reason"]
    quality = quarantine[quarantine["stage"] == "quality"]
    assert set(quality.index) == {"quality/german.txt", "quality/repost.txt", "quality/stub.txt"}
    docs = published["tables"]["documents"].set_index("source_name")
    assert docs.loc["legacy.txt", "encoding"] == "cp1252"
    assert "café subsidies" in docs.loc["legacy.txt", "text"]


def test_seeds_match_their_gold_from_parquet(
    published: dict[str, Any], seeds_gold: dict[str, dict[str, Any]]
) -> None:
    docs = published["tables"]["documents"].set_index("source_name")
    for key, gold in seeds_gold.items():
        row = docs.loc[f"seeds/{gold['doc']}"]
        text = row["text"]
        _, recall = document_prf(text, gold["body_required"])
        precision, _ = document_prf(text, gold["body_with_optional"])
        assert PRF(precision or 0.0, recall).f1 >= 0.98, key
        assert _value(row["title"]) == gold["title"], key
        assert list(row["authors"]) == gold["authors"], key
        published_date = _value(row["published"])
        published_date = published_date.isoformat() if published_date else None
        assert published_date == gold["published"], key
        assert _value(row["publisher"]) == gold["publisher"], key
        for removed in gold["removed"]:
            assert " ".join(removed["text"].split()) not in text, (key, removed["kind"])
        assert "*" not in text, key
        if gold["page_break_joins"]:
            assert "President Joe Biden and" in text


def test_offsets_index_the_document_text(published: dict[str, Any]) -> None:
    tables = published["tables"]
    texts = tables["documents"].set_index("doc_id")["text"]
    assert_offsets_index_text(tables)
    segments = tables["segments"]
    assert segments[segments["kept"]]["kind"].isin(BODY_KINDS).all()
    assert len(tables["entities"]) > 50
    for row in tables["entities"].itertuples():
        assert texts[row.doc_id][row.start : row.end] == row.text
    keyphrases = tables["keyphrases"]
    assert keyphrases.groupby("doc_id")["rank"].min().eq(1).all()


def test_every_reported_figure_traces_to_rows(published: dict[str, Any]) -> None:
    output = published["output"]
    summary = json.loads((output / "latest" / "summary.json").read_text())
    tables = published["tables"]
    assert summary["processed"] == len(tables["documents"])
    assert summary["quarantined"] == len(tables["quarantine"])
    assert summary["entities"] == len(tables["entities"])
    segs = tables["segments"]
    lengths = segs["text"].str.len()
    assert summary["removed_share"] == pytest.approx(lengths[~segs["kept"]].sum() / lengths.sum())


def test_duckdb_and_polars_read_the_tables(published: dict[str, Any]) -> None:
    output = published["output"]
    [(count,)] = duckdb.sql(f"select count(*) from '{output}/documents/*.parquet'").fetchall()
    assert count == 6
    kinds = (
        pl.read_parquet(output / "segments" / "*.parquet")
        .filter(~pl.col("kept"))["kind"]
        .unique()
        .to_list()
    )
    assert {"byline", "caption", "dateline", "footer"} <= set(kinds)


def test_report_and_validation_are_published(published: dict[str, Any]) -> None:
    output = published["output"]
    assert (output / "report.html").read_text().count("<tr>") > 10
    validation = json.loads((output / "latest" / "validation.json").read_text())
    assert validation["success"] is True
    assert {o["table"] for o in validation["outcomes"]} == set(TABLES)
    report = (output / "report.html").read_text()
    for name in ("quality/german.txt", "quality/repost.txt", "quality/stub.txt"):
        assert name in report  # the report lists every quarantined document with its reason
    assert "it looks like German" in report


def test_entity_index_merges_the_seeds_aliases(published: dict[str, Any]) -> None:
    """The aliases issue 4 names: one row per entity, whatever the spelling in each seed."""
    index = published["tables"]["entity_index"]
    rows = {(r.canonical, r.label): set(r.aliases) for r in index.itertuples()}
    assert {"US", "U.S.", "United States"} <= rows[("United States", "GPE")]
    assert {"Senkaku Islands", "Diaoyutai Islands", "Diaoyutais"} <= rows[
        ("Senkaku Islands", "LOC")
    ]
    assert {"SDF", "JSDF", "Self Defense Forces"} <= rows[("Japan Self-Defense Forces", "ORG")]
    assert {"Shinzo Abe", "Abe Shinzo"} <= next(
        a for (c, _), a in rows.items() if "Shinzo Abe" in a
    )
    entities = published["tables"]["entities"]
    for alias in ("US", "U.S.", "United States", "US’", "U.S.’s"):
        canon = set(entities.loc[entities["text"] == alias, "canonical"])
        assert canon <= {"United States"}, (alias, canon)
    # Every entity row joins its index row, and the index counts are the rows' counts.
    joined = entities.merge(index, on=["canonical", "label"], how="left", indicator=True)
    assert (joined["_merge"] == "both").all()
    counts = entities.groupby(["canonical", "label"]).size().to_dict()
    keys = zip(index.canonical, index.label, strict=True)
    assert dict(zip(keys, index.n_mentions, strict=True)) == counts


def test_missing_input_is_a_clear_error(tmp_path: Path) -> None:
    result = run_cli("run", "--input", str(tmp_path / "missing"), "--output", str(tmp_path / "o"))
    assert result.returncode == 2
    assert "input not found" in result.stderr


def test_the_stages_clean_with_the_run_settings() -> None:
    """The flow's stages give what clean_text gives under the same, non-default, settings."""
    import dataclasses

    from flows import stages
    from flows.config import Settings
    from flows.records import DecodedDocument
    from flows.steps.clean import clean_text

    token = "x" * 80
    text = (
        "Taipei and Tokyo agreed on Monday to share more data on ships in the strait, officials "
        f"said after the talks. {token} The two governments will meet again in the spring.\n"
    )
    settings = Settings()
    settings = dataclasses.replace(
        settings, cleaning=dataclasses.replace(settings.cleaning, max_token_chars=40)
    )
    batch = [stages.InFlight(DecodedDocument("a.txt", "0" * 64, "utf-8", text))]
    for stage in (stages.normalize_batch, stages.segment_batch, stages.classify_batch):
        batch, _ = stage(batch, settings)
    batch, _ = stages.metadata_batch(batch, settings)
    [item] = batch
    assert item.cleaned == clean_text(text, settings)
    assert token not in item.cleaned.text
