"""Throughput: the whole Prefect flow on a folder of real texts, with time per stage and memory.

    python benchmarks/throughput.py [--input PATH] [--limit N] [--output PATH] [--batch-size N]

Defaults to ../shared/corpus (3,120 unlabelled texts, abstracts to 100-page theses); ``--limit``
takes the first N texts (sorted by path). Prints documents and words per second over the whole
run (Prefect's server start included, and without it), the stage timings the flow records, the
share of the run that validation (Great Expectations, Data Docs included) takes, and the peak
resident memory of the process.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from flows.pipeline import run  # noqa: E402

DEFAULT_INPUT = REPO.parent / "shared" / "corpus"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--input", type=Path, default=DEFAULT_INPUT)
    parser.add_argument("--output", type=Path, help="default: a temporary folder")
    parser.add_argument("--batch-size", type=int)
    parser.add_argument("--limit", type=int, help="only the first N texts")
    args = parser.parse_args(argv)
    texts = sorted(args.input.rglob("*.txt"))[: args.limit]
    words = sum(len(p.read_bytes().split()) for p in texts)
    with tempfile.TemporaryDirectory() as tmp:
        output = args.output or Path(tmp) / "out"
        if args.limit is not None:
            # A folder of links to the chosen texts: the flow reads a folder.
            chosen = Path(tmp) / "input"
            for number, path in enumerate(texts):
                link = chosen / f"{number:05d}_{path.name}"
                link.parent.mkdir(parents=True, exist_ok=True)
                link.symlink_to(path.resolve())
            args.input = chosen
        overrides = {"run": {"batch_size": args.batch_size}} if args.batch_size else None
        started = time.perf_counter()
        summary = run(input=str(args.input), output=str(output), overrides=overrides)
        elapsed = time.perf_counter() - started
    work = sum(summary.stage_seconds.values())
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"\n{summary.documents_in} inputs ({words:,} words): {summary.processed} processed, "
        f"{summary.quarantined} quarantined; validation {summary.validation}"
    )
    print(
        f"wall {elapsed:.1f} s: {summary.documents_in / elapsed:.1f} docs/s, "
        f"{words / elapsed:,.0f} words/s"
    )
    print(
        f"stages {work:.1f} s (without Prefect start-up): {summary.documents_in / work:.1f} docs/s, "
        f"{words / work:,.0f} words/s"
    )
    for stage, seconds in summary.stage_seconds.items():
        print(f"  {stage:10s} {seconds:8.2f} s  {seconds / work:6.1%}")
    validate = summary.stage_seconds.get("validate", 0.0)
    print(
        f"validation: {validate:.2f} s = {validate / elapsed:.1%} of the run's wall time "
        f"({validate / work:.1%} of stage time; target < 10%)"
    )
    print(f"peak memory {peak_mib:,.0f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
