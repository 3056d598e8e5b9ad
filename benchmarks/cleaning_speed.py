"""Cleaning speed: CPU milliseconds per 1,000 words of ``flows.clean_text`` on zyte-dev.

The total is the sum over the 50 pages of each page's best-of-``--repeats`` CPU time
(``time.process_time``: the machine is shared, so wall time is noisy), divided by the pages'
words (``len(raw.split())``).

The breakdown comes from the same ``clean_text`` calls, with the functions it goes through
wrapped in CPU timers (exclusive time: a stage called inside another counts only for itself):
normalize, blocks, rule labels, features, model (``predict_proba`` + ``combine``), appended
articles, assemble + metadata; "other" is the rest (the glue in ``classify_blocks`` and
``clean_text``). Each stage is its best of the repeats per page, so the stages add up to about,
not exactly, the total. Hooking the real calls keeps the breakdown right while the pipeline
changes (a stage it no longer calls reads zero).

Every timed call starts with empty function caches (``phrases``' shape checks and any other
``lru_cache`` on the cleaning path but the model's): a repeat must not be answered from the
previous repeat's cache, so the figures are those of unseen pages.

Usage: ``python benchmarks/cleaning_speed.py [--shared PATH] [--repeats N] [--profile]``
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from flows.steps import boilerplate, clean  # noqa: E402
from flows.steps.block_model import TreeEnsemble  # noqa: E402

DEFAULT_SHARED = REPO_ROOT.parent / "shared"
DEV_RAW = Path("benchmarks") / "zyte-dev" / "raw"
# Stage -> the (owner, attribute) callables clean_text reaches it through.
STAGES: dict[str, tuple[tuple[Any, str], ...]] = {
    "normalize": ((clean, "normalize_text"),),
    "blocks": ((clean, "split_blocks"),),
    "rule labels": ((boilerplate, "rule_labels"),),
    "features": ((boilerplate, "block_features"),),
    "model": ((TreeEnsemble, "predict_proba"), (boilerplate, "combine")),
    "appended": ((boilerplate, "find_appended"),),
    "assemble+metadata": ((clean, "cleaned_document"),),
}
OTHER = "other"


def _caches() -> list[Callable[[], None]]:
    """``cache_clear`` of every function cache on the cleaning path but the model's."""
    found = []
    for module in list(sys.modules.values()):
        if not getattr(module, "__name__", "").startswith("flows.steps."):
            continue
        for name, value in vars(module).items():
            clear = getattr(value, "cache_clear", None)
            if callable(clear) and name != "load_model" and clear not in found:
                found.append(clear)
    return found


def clear_caches() -> None:
    """Empty the caches (shape checks and the like) a previous repeat would have filled."""
    for clear in _caches():
        clear()


def load_raw(shared: Path) -> dict[str, str]:
    """The zyte-dev raw pages, {file name: text}, sorted by name."""
    root = shared / DEV_RAW
    pages = {p.name: p.read_text(encoding="utf-8") for p in sorted(root.glob("*.txt"))}
    if not pages:
        raise SystemExit(f"no pages under {root}; pass --shared")
    return pages


def best_cpu(fn: Callable[[], Any], repeats: int) -> float:
    """The least CPU seconds of ``repeats`` calls of ``fn``, each with empty caches."""
    best = float("inf")
    for _ in range(repeats):
        clear_caches()
        t0 = time.process_time()
        fn()
        best = min(best, time.process_time() - t0)
    return best


@contextmanager
def stage_timers(spent: dict[str, float]) -> Iterator[None]:
    """Wrap each stage's callables so that their exclusive CPU time adds to ``spent``."""
    open_children: list[float] = []  # per open call: CPU time of the stages called inside it

    def timed(stage: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(fn)
        def call(*args: Any, **kwargs: Any) -> Any:
            open_children.append(0.0)
            t0 = time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                took = time.process_time() - t0
                spent[stage] += took - open_children.pop()
                if open_children:
                    open_children[-1] += took

        return call

    originals = []
    for stage, targets in STAGES.items():
        for owner, name in targets:
            if hasattr(owner, name):  # a stage an older or newer pipeline lacks reads zero
                originals.append((owner, name, getattr(owner, name)))
                setattr(owner, name, timed(stage, getattr(owner, name)))
    try:
        yield
    finally:
        for owner, name, original in reversed(originals):
            setattr(owner, name, original)


def stage_times(raw: str, repeats: int) -> dict[str, float]:
    """Per stage, the least CPU seconds of ``repeats`` timed ``clean_text`` calls of one page."""
    best = dict.fromkeys([*STAGES, OTHER], float("inf"))
    for _ in range(repeats):
        spent = dict.fromkeys(STAGES, 0.0)
        with stage_timers(spent):
            clear_caches()
            t0 = time.process_time()
            clean.clean_text(raw)
            total = time.process_time() - t0
        spent[OTHER] = total - sum(spent.values())
        for stage, seconds in spent.items():
            best[stage] = min(best[stage], seconds)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="also print a cProfile top 30")
    args = parser.parse_args(argv)

    pages = load_raw(args.shared)
    words = sum(len(raw.split()) for raw in pages.values())
    clean.clean_text(next(iter(pages.values())))  # warm-up: model load, regex compilation

    total = sum(
        best_cpu(lambda raw=raw: clean.clean_text(raw), args.repeats) for raw in pages.values()
    )
    stages = dict.fromkeys([*STAGES, OTHER], 0.0)
    for raw in pages.values():
        for stage, seconds in stage_times(raw, args.repeats).items():
            stages[stage] += seconds

    per_kw = 1e6 / words  # seconds -> ms per 1,000 words
    print(f"clean_text on {len(pages)} zyte-dev pages, {words:,} words, best of {args.repeats}")
    print(f"  total               {total * per_kw:6.2f} ms CPU / 1,000 words")
    for stage, seconds in stages.items():
        share = seconds / total if total else 0.0
        print(f"  {stage:<19} {seconds * per_kw:6.2f}  ({share:4.0%})")
    print(f"  (stages sum to      {sum(stages.values()) * per_kw:6.2f})")

    if args.profile:
        profiler = cProfile.Profile()
        for raw in pages.values():
            clear_caches()
            profiler.enable()
            clean.clean_text(raw)
            profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(30)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
