"""Throughput: the whole Prefect flow on 100, 1,000 and 3,000 real documents, cold and warm.

    python benchmarks/throughput.py [--sizes 100 1000 3000] [--batch-size N] [--skip-cores]
    python benchmarks/throughput.py --limit 1000          # one cold run, stage table (old mode)

Corpora are built from ../shared/corpus, the dev benchmarks' texts and the seeds: every distinct
text (by SHA-256 of its bytes), in a fixed shuffled order, so each size has the same mix of short
abstracts and long theses, and the smaller corpora are prefixes of the larger. Each size runs in
its own process (so peak memory is that size's): a cold run into an empty output folder, then a
warm re-run on the unchanged corpus (results come from the cache, flows/cache.py). Printed per
size: documents/s and words/s (input words over wall time, Prefect's server start included, and
over the flow's stage time), peak RSS of the run's process and of its NLP workers, validation's
share of the run, and the ratio of end-to-end words/s to bare ``nlp.pipe`` words/s on the same
cleaned texts with the same pipes and processes (words of the cleaned texts for both). Then, on
the 1,000-document corpus, a cold run on one core (``nlp.n_process = 1``) against all cores,
and the wall time of a cold ``broadsheet run`` on the seeds.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

SHARED = REPO.parent / "shared"
SOURCES: tuple[Path, ...] = (
    SHARED / "corpus",
    SHARED / "benchmarks" / "kpcrowd-dev" / "docs",
    SHARED / "benchmarks" / "inspec-dev" / "docs",
    SHARED / "benchmarks" / "zyte-dev" / "raw",
    REPO / "seeds",
)
SIZES: tuple[int, ...] = (100, 1000, 3000)
CORES_SIZE = 1000
SHUFFLE_SEED = 20261121
TARGETS = (
    "targets: e2e/bare >= 0.85; warm <= 5% of cold; RSS(3,000) <= 1.5 x RSS(1,000); "
    "2 cores >= 1.7 x 1 core; cold seeds run <= 20 s"
)


def distinct_texts() -> list[Path]:
    """Every distinct text of the sources, in a fixed shuffled order."""
    seen: set[str] = set()
    paths: list[Path] = []
    for source in SOURCES:
        for path in sorted(source.rglob("*.txt")):
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            if digest not in seen:
                seen.add(digest)
                paths.append(path)
    random.Random(SHUFFLE_SEED).shuffle(paths)
    return paths


def build_corpus(paths: list[Path], folder: Path) -> int:
    """A folder of links to ``paths``; returns their words (whitespace-separated)."""
    folder.mkdir(parents=True, exist_ok=True)
    words = 0
    for number, path in enumerate(paths):
        (folder / f"{number:05d}_{path.name}").symlink_to(path.resolve())
        words += len(path.read_bytes().split())
    return words


def _live_workers_peak_mib() -> float:
    """Largest peak RSS (VmHWM) of the NLP pool's worker processes, which are still running
    (getrusage counts only children that have ended); 0 where /proc is not available."""
    from flows import parallel

    pool = parallel._pool  # the benchmark looks inside: the pool keeps its pids private
    peak = 0.0
    for pid in list(getattr(pool, "_processes", None) or {}):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                peak = max(peak, int(line.split()[1]) / 1024)
    return peak


def _peak_mib() -> tuple[float, float]:
    """Peak RSS of this process and of the largest worker (live pool workers or ended ones)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    ended = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, max(ended, _live_workers_peak_mib())


def _run(corpus: Path, output: Path, overrides: dict | None) -> dict:
    from flows.pipeline import run

    started = time.perf_counter()
    summary = run(input=str(corpus), output=str(output), overrides=overrides)
    wall = time.perf_counter() - started
    stages = sum(summary.stage_seconds.values())
    return {
        "wall": wall,
        "stages": stages,
        "docs": summary.documents_in,
        "processed": summary.processed,
        "quarantined": summary.quarantined,
        "validate": summary.stage_seconds.get("validate", 0.0),
        "nlp": summary.stage_seconds.get("nlp", 0.0),
        "validation": summary.validation,
    }


def _bare_pipe_seconds(output: Path, n_process: int) -> tuple[float, int]:
    """Seconds of bare ``nlp.pipe`` over the run's cleaned texts, same pipes and processes."""
    import pandas as pd

    from flows.config import NlpSettings
    from flows.parallel import worker_count
    from flows.steps.nlp import load_model

    settings = NlpSettings(n_process=n_process)
    texts = pd.read_parquet(output / "documents")["text"].tolist()
    words = sum(len(t.split()) for t in texts)
    nlp = load_model(settings.spacy_model)
    # Long texts are cut into max_chars chunks by the pipeline too.
    from flows.steps.nlp import split_chunks

    chunks = [c for t in texts for _, c in split_chunks(t, settings.max_chars)]
    started = time.perf_counter()
    for _ in nlp.pipe(chunks, batch_size=settings.batch_size, n_process=worker_count(settings)):
        pass
    return time.perf_counter() - started, words


def one_size(size: int, batch_size: int | None, n_process: int | None, bare: bool) -> dict:
    """Cold and warm runs of one corpus size (called in a fresh process)."""
    paths = distinct_texts()[:size]
    overrides: dict = {}
    if batch_size:
        overrides["run"] = {"batch_size": batch_size}
    if n_process is not None:
        overrides["nlp"] = {"n_process": n_process}
    with tempfile.TemporaryDirectory() as tmp:
        corpus, output = Path(tmp) / "corpus", Path(tmp) / "out"
        words = build_corpus(paths, corpus)
        cold = _run(corpus, output, overrides or None)
        cold_rss = _peak_mib()
        warm = _run(corpus, output, overrides or None)
        result = {"size": size, "words": words, "cold": cold, "warm": warm, "rss": cold_rss}
        if bare:
            seconds, cleaned_words = _bare_pipe_seconds(output, n_process or 0)
            result["bare_seconds"], result["cleaned_words"] = seconds, cleaned_words
    return result


def _subprocess(args: list[str]) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, check=False
    )
    for line in reversed(done.stdout.splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise SystemExit(f"benchmark child failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")


def seeds_cold_wall() -> float:
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        command = ["run", "--input", str(REPO / "seeds"), "--output", str(Path(tmp) / "out")]
        subprocess.run(
            [sys.executable, "-m", "flows.cli", *command],
            capture_output=True,
            check=True,
            cwd=REPO,
        )
        return time.perf_counter() - started


def report(results: list[dict]) -> None:
    print(
        f"\n{'docs':>6} {'words':>10} {'run':>5} {'wall s':>8} {'docs/s':>7} {'words/s':>9}"
        f" {'stage s':>8} {'words/s':>9} {'valid.':>7} {'RSS MiB':>8} {'workers':>8}"
    )
    for r in results:
        for kind in ("cold", "warm"):
            run = r[kind]
            rss, workers = r["rss"] if kind == "cold" else ("", "")
            rss_text = f"{rss:8,.0f} {workers:8,.0f}" if kind == "cold" else f"{'':8} {'':8}"
            print(
                f"{r['size']:>6} {r['words']:>10,} {kind:>5} {run['wall']:>8.1f} "
                f"{run['docs'] / run['wall']:>7.1f} {r['words'] / run['wall']:>9,.0f} "
                f"{run['stages']:>8.1f} {r['words'] / run['stages']:>9,.0f} "
                f"{run['validate'] / run['wall']:>7.1%} {rss_text}"
            )
    print()
    for r in results:
        cold, warm = r["cold"], r["warm"]
        line = (
            f"{r['size']:>5} docs: warm/cold wall {warm['wall'] / cold['wall']:.1%}, "
            f"stage time {warm['stages'] / cold['stages']:.1%}"
        )
        if "bare_seconds" in r:
            bare = r["cleaned_words"] / r["bare_seconds"]
            e2e_wall = r["cleaned_words"] / cold["wall"]
            e2e_stages = r["cleaned_words"] / cold["stages"]
            line += (
                f"; bare nlp.pipe {bare:,.0f} cleaned words/s, end-to-end {e2e_wall:,.0f} "
                f"(wall, ratio {e2e_wall / bare:.2f}) / {e2e_stages:,.0f} "
                f"(stages, ratio {e2e_stages / bare:.2f})"
            )
        print(line)
    by_size = {r["size"]: r for r in results}
    if 1000 in by_size and 3000 in by_size:
        ratio = max(by_size[3000]["rss"]) / max(by_size[1000]["rss"])
        print(f"peak RSS 3,000 / 1,000 docs: {ratio:.2f} (largest process)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--batch-size", type=int)
    parser.add_argument("--skip-cores", action="store_true", help="no 1-core comparison")
    parser.add_argument("--skip-seeds", action="store_true", help="no seeds cold-run timing")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # child: one size
    parser.add_argument("--n-process", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--no-bare", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--limit", type=int, help="one cold run of the first N texts")
    args = parser.parse_args(argv)
    if args.one is not None:
        result = one_size(args.one, args.batch_size, args.n_process, not args.no_bare)
        print(json.dumps(result))
        return 0
    if args.limit is not None:
        return legacy_limit_run(args.limit, args.batch_size)
    print(TARGETS)
    extra = ["--batch-size", str(args.batch_size)] if args.batch_size else []
    results = [_subprocess(["--one", str(size), *extra]) for size in args.sizes]
    report(results)
    if not args.skip_cores:
        one = _subprocess(["--one", str(CORES_SIZE), "--n-process", "1", "--no-bare", *extra])
        many = next((r for r in results if r["size"] == CORES_SIZE), None) or _subprocess(
            ["--one", str(CORES_SIZE), "--no-bare", *extra]
        )
        cores = os.cpu_count() or 1
        print(
            f"{CORES_SIZE} docs cold, stage time: 1 core {one['cold']['stages']:.1f} s, "
            f"{cores} cores {many['cold']['stages']:.1f} s: speed-up "
            f"{one['cold']['stages'] / many['cold']['stages']:.2f}x "
            f"(wall {one['cold']['wall'] / many['cold']['wall']:.2f}x)"
        )
    if not args.skip_seeds:
        print(f"cold `broadsheet run` on the seeds: {seeds_cold_wall():.1f} s wall")
    return 0


def legacy_limit_run(limit: int, batch_size: int | None) -> int:
    """One cold run of the first ``limit`` texts with the stage table (validation share)."""
    paths = distinct_texts()[:limit]
    overrides = {"run": {"batch_size": batch_size}} if batch_size else None
    with tempfile.TemporaryDirectory() as tmp:
        corpus, output = Path(tmp) / "corpus", Path(tmp) / "out"
        words = build_corpus(paths, corpus)
        from flows.pipeline import run

        started = time.perf_counter()
        summary = run(input=str(corpus), output=str(output), overrides=overrides)
        elapsed = time.perf_counter() - started
    work = sum(summary.stage_seconds.values())
    print(
        f"\n{summary.documents_in} inputs ({words:,} words): {summary.processed} processed, "
        f"{summary.quarantined} quarantined; validation {summary.validation}"
    )
    print(
        f"wall {elapsed:.1f} s: {summary.documents_in / elapsed:.1f} docs/s, "
        f"{words / elapsed:,.0f} words/s"
    )
    for stage, seconds in summary.stage_seconds.items():
        print(f"  {stage:10s} {seconds:8.2f} s  {seconds / work:6.1%}")
    validate = summary.stage_seconds.get("validate", 0.0)
    print(
        f"validation: {validate:.2f} s = {validate / elapsed:.1%} of the run's wall time "
        f"({validate / work:.1%} of stage time; target < 10%)"
    )
    own, workers = _peak_mib()
    print(f"peak memory {own:,.0f} MiB (NLP workers {workers:,.0f} MiB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
