"""Line labels for zyte-dev: which raw lines of a page are article body, by alignment with gold.

This module owns (1) loading the zyte-dev benchmark from ``shared/``, (2) ``label_page``, which
labels every raw line of a page body / not body, and (3) a CLI that prints label statistics and
the oracle ceiling ("keep exactly the lines labelled body") and writes
``benchmarks/out/zyte_labels.jsonl`` (one record per raw line) for training a line classifier.

How a line is labelled (rules in the order they run):

1. ``aligned``: the page's tokens are aligned with the gold body's tokens by an order-preserving
   matcher (difflib's longest-common-run recursion); only matched runs of at least
   ``MIN_MATCH_TOKENS`` tokens count, since a shorter shared run is as likely to be chance as
   shared text. A run may cross line boundaries, so a heading that sits in gold between two body
   paragraphs is matched together with its neighbours. Because the alignment is monotone, a line
   repeated on the page where gold has it once is matched only at the occurrence that fits the
   order of gold.
2. ``gap``: a short line (fewer than ``MIN_MATCH_TOKENS`` tokens) left unmatched next to an
   aligned anchor is body if its tokens fill part of the small unmatched gap in gold at exactly
   that point (headings, datelines and one-word lines such as "Updates" that gold keeps).
3. ``out_of_order``: a long line that gold has at another place (gold moved a block) is body if
   nearly all its shingles are in gold and not already used by body lines (so duplicates stay
   out).

``coverage`` is the share of the line's tokens aligned to gold (for rule 3, the share of its
shingles); a line is body when coverage >= ``BODY_MIN_COVERAGE``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections import Counter
from dataclasses import asdict, dataclass
from difflib import SequenceMatcher
from pathlib import Path

# flows is not installed into the venv; make the repo importable when run as a script.
REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from flows.evaluation import SHINGLE_SIZE, corpus_prf, shingles, tokens  # noqa: E402

DEV_SUBDIR = Path("benchmarks") / "zyte-dev"
DEFAULT_SHARED = REPO_ROOT.parent / "shared"
OUT_DIR = Path(__file__).resolve().parent / "out"
LABELS_FILE = OUT_DIR / "zyte_labels.jsonl"

# A matched run this long is a shared metric shingle, not a chance coincidence of common words.
MIN_MATCH_TOKENS = SHINGLE_SIZE
# Gap rescue: only when gold's unmatched gap at that point is this small (a heading or dateline,
# not a missing paragraph), and only for lines this close (in non-empty lines) to the anchor.
MAX_RESCUE_GAP_TOKENS = 40
MAX_RESCUE_LINE_DISTANCE = 12
# Out-of-order rescue: long enough that a near-complete shingle match cannot be chance.
OUT_OF_ORDER_MIN_TOKENS = 8
OUT_OF_ORDER_MIN_SHARE = 0.9
# A line is body when at least this share of it is gold text.
BODY_MIN_COVERAGE = 0.5
# Coverage histogram edges for the stats (lower bounds of each bin after "0").
COVERAGE_BINS: tuple[float, ...] = (0.0, 0.25, 0.5, 0.75, 1.0)


@dataclass(frozen=True, slots=True)
class LineLabel:
    """One raw line (``raw.split("\\n")[index]``) with its body label.

    ``rule`` says which rule labelled it: aligned, gap, out_of_order, none (not gold) or empty
    (no word tokens, so it cannot affect the metric).
    """

    index: int
    text: str
    is_body: bool
    coverage: float
    rule: str = "none"


def split_lines(raw: str) -> list[str]:
    """The raw page's lines, as indexed by ``LineLabel.index`` (``\\r`` stripped)."""
    return [line.rstrip("\r") for line in raw.split("\n")]


def _flatten(line_tokens: list[list[str]]) -> tuple[list[str], list[int], list[int]]:
    """Flat token list, the line of each token, and each line's first flat index."""
    flat: list[str] = []
    owner: list[int] = []
    starts: list[int] = []
    for i, toks in enumerate(line_tokens):
        starts.append(len(flat))
        flat.extend(toks)
        owner.extend([i] * len(toks))
    return flat, owner, starts


def _find_run(
    needle: list[str], hay: list[str], free: list[bool], lo: int, hi: int, from_end: bool
) -> int | None:
    """Index in ``hay[lo:hi]`` where ``needle`` occurs on free positions (last one if from_end)."""
    n = len(needle)
    starts = range(hi - n, lo - 1, -1) if from_end else range(lo, hi - n + 1)
    for j in starts:
        if hay[j : j + n] == needle and all(free[j : j + n]):
            return j
    return None


def _rescue_short_lines(
    line_tokens: list[list[str]],
    starts: list[int],
    matched: list[int],
    gold_toks: list[str],
    gold_used: list[bool],
) -> set[int]:
    """Rule 2: short unmatched lines that fill the small gold gap next to an aligned anchor.

    Updates ``matched`` and ``gold_used`` in place and returns the rescued line indices. Lines
    before the first anchor are scanned backwards from it (so the occurrence nearest the body
    wins, e.g. the headline above the article rather than the one in the <title>); all other
    lines forwards from the previous anchor.
    """
    rescued: set[int] = set()
    n_lines = len(line_tokens)

    def gold_anchor_before(flat_pos: int) -> int:
        for k in range(flat_pos - 1, -1, -1):
            if matched[k] >= 0:
                return matched[k]
        return -1

    def gold_anchor_after(flat_pos: int) -> int:
        for k in range(flat_pos, len(matched)):
            if matched[k] >= 0:
                return matched[k]
        return len(gold_toks)

    def try_line(i: int, from_end: bool) -> None:
        toks = line_tokens[i]
        start = starts[i]
        lo = gold_anchor_before(start) + 1
        hi = gold_anchor_after(start + len(toks))
        if hi - lo > MAX_RESCUE_GAP_TOKENS or hi <= lo:
            return
        j = _find_run(toks, gold_toks, [not u for u in gold_used], lo, hi, from_end)
        if j is None:
            return
        for k, tok_pos in enumerate(range(start, start + len(toks))):
            matched[tok_pos] = j + k
            gold_used[j + k] = True
        rescued.add(i)

    def is_candidate(i: int) -> bool:
        toks = line_tokens[i]
        return 0 < len(toks) < MIN_MATCH_TOKENS and all(
            matched[p] < 0 for p in range(starts[i], starts[i] + len(toks))
        )

    anchored = [
        i
        for i in range(n_lines)
        if any(matched[p] >= 0 for p in range(starts[i], starts[i] + len(line_tokens[i])))
    ]
    if not anchored:
        return rescued
    anchored_set = set(anchored)
    first = anchored[0]
    # Before the first anchor: walk back from it.
    seen = 0
    for i in range(first - 1, -1, -1):
        if not line_tokens[i]:
            continue
        seen += 1
        if seen > MAX_RESCUE_LINE_DISTANCE:
            break
        if is_candidate(i):
            try_line(i, from_end=True)
    # After each anchor: walk forward until the next anchor or the distance limit.
    for a in anchored:
        seen = 0
        for i in range(a + 1, n_lines):
            if not line_tokens[i]:
                continue
            if i in anchored_set:
                break
            seen += 1
            if seen > MAX_RESCUE_LINE_DISTANCE:
                break
            if is_candidate(i):
                try_line(i, from_end=False)
    return rescued


def label_page(raw: str, gold: str) -> list[LineLabel]:
    """Label every line of ``raw`` (split on ``\\n``) body or not body against ``gold``."""
    lines = split_lines(raw)
    line_tokens = [tokens(line) for line in lines]
    flat, _owner, starts = _flatten(line_tokens)
    gold_toks = tokens(gold)

    # Rule 1: order-preserving alignment; keep only runs long enough to be shared shingles.
    matched = [-1] * len(flat)
    gold_used = [False] * len(gold_toks)
    matcher = SequenceMatcher(None, flat, gold_toks, autojunk=False)
    for a, b, size in matcher.get_matching_blocks():
        if size >= MIN_MATCH_TOKENS:
            for k in range(size):
                matched[a + k] = b + k
                gold_used[b + k] = True

    rescued = _rescue_short_lines(line_tokens, starts, matched, gold_toks, gold_used)

    coverage: list[float] = []
    rule: list[str] = []
    for i, toks in enumerate(line_tokens):
        if not toks:
            coverage.append(0.0)
            rule.append("empty")
            continue
        hit = sum(1 for p in range(starts[i], starts[i] + len(toks)) if matched[p] >= 0)
        coverage.append(hit / len(toks))
        rule.append("gap" if i in rescued else ("aligned" if hit else "none"))

    # Rule 3: long lines gold has elsewhere, using only gold shingles no body line has taken.
    remaining = shingles(gold)
    for i, line in enumerate(lines):
        if coverage[i] >= BODY_MIN_COVERAGE:
            remaining -= shingles(line)
    for i, toks in enumerate(line_tokens):
        if coverage[i] >= BODY_MIN_COVERAGE or len(toks) < OUT_OF_ORDER_MIN_TOKENS:
            continue
        own = shingles(lines[i])
        found = sum(min(c, remaining[s]) for s, c in own.items())
        share = found / sum(own.values())
        if share >= OUT_OF_ORDER_MIN_SHARE:
            coverage[i] = share
            rule[i] = "out_of_order"
            remaining -= own

    return [
        LineLabel(
            i,
            line,
            coverage[i] >= BODY_MIN_COVERAGE and rule[i] != "empty",
            round(coverage[i], 4),
            rule[i],
        )
        for i, line in enumerate(lines)
    ]


def oracle_text(labels: list[LineLabel]) -> str:
    """The body a perfect line-level cleaner would output: the body-labelled lines, in order."""
    return "\n".join(lab.text for lab in labels if lab.is_body)


def default_shared() -> Path:
    return DEFAULT_SHARED


def load_pages(shared: Path) -> dict[str, tuple[str, str]]:
    """zyte-dev pages as {key: (raw text, gold article body)}, sorted by key."""
    root = shared / DEV_SUBDIR
    gold = json.loads((root / "gold.json").read_text(encoding="utf-8"))
    return {
        key: ((root / "raw" / f"{key}.txt").read_text(encoding="utf-8"), gold[key]["articleBody"])
        for key in sorted(gold)
    }


def label_stats(
    labelled: dict[str, list[LineLabel]], pages: dict[str, tuple[str, str]]
) -> dict[str, object]:
    """Counts, coverage histogram, rule use, duplicates and the oracle ceiling."""
    all_labels = [lab for labs in labelled.values() for lab in labs]
    worded = [lab for lab in all_labels if lab.rule != "empty"]
    body = [lab for lab in worded if lab.is_body]
    hist: Counter[str] = Counter()
    for lab in worded:
        if lab.coverage == 0.0:
            hist["0"] += 1
        elif lab.coverage == 1.0:
            hist["1"] += 1
        else:
            lo = max(b for b in COVERAGE_BINS if b < lab.coverage)
            hist[f"({lo:.2f},{min(b for b in COVERAGE_BINS if b > lo):.2f}]"] += 1
    # Lines whose text repeats on the page with one copy body and another not.
    dup_split = 0
    for labs in labelled.values():
        by_text: dict[str, set[bool]] = {}
        for lab in labs:
            if lab.rule != "empty":
                by_text.setdefault(lab.text.strip(), set()).add(lab.is_body)
        dup_split += sum(1 for flags in by_text.values() if len(flags) == 2)
    pairs = [(oracle_text(labelled[k]), pages[k][1]) for k in labelled]
    strict, official = corpus_prf(pairs, strict=True), corpus_prf(pairs, strict=False)
    per_page_f1 = {k: corpus_prf([p]).f1 for k, p in zip(labelled, pairs, strict=True)}
    ambiguous = sum(1 for lab in worded if 0.0 < lab.coverage < 1.0)
    return {
        "pages": len(labelled),
        "lines": len(all_labels),
        "lines_with_words": len(worded),
        "body_lines": len(body),
        "body_share_of_worded_lines": len(body) / len(worded) if worded else 0.0,
        "body_tokens_share": (
            sum(len(tokens(b.text)) for b in body)
            / max(1, sum(len(tokens(w.text)) for w in worded))
        ),
        "coverage_hist": dict(sorted(hist.items())),
        "partial_coverage_lines": ambiguous,
        "rules": dict(Counter(lab.rule for lab in all_labels)),
        "body_rules": dict(Counter(lab.rule for lab in body)),
        "short_body_lines": sum(1 for b in body if len(tokens(b.text)) < MIN_MATCH_TOKENS),
        "duplicate_texts_split": dup_split,
        "oracle_strict": {"P": strict.precision, "R": strict.recall, "F1": strict.f1},
        "oracle_official": {"P": official.precision, "R": official.recall, "F1": official.f1},
        "oracle_page_f1_min": min(per_page_f1.values()) if per_page_f1 else 0.0,
        "oracle_page_f1_median": statistics.median(per_page_f1.values()) if per_page_f1 else 0.0,
        "oracle_worst_pages": sorted(per_page_f1.items(), key=lambda kv: kv[1])[:5],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--shared",
        type=Path,
        default=default_shared(),
        help="the shared/ folder (default: next to the repo)",
    )
    parser.add_argument("--out", type=Path, default=LABELS_FILE, help="JSONL written here")
    args = parser.parse_args(argv)

    pages = load_pages(args.shared)
    labelled = {key: label_page(raw, gold) for key, (raw, gold) in pages.items()}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8") as fh:
        for key, labs in labelled.items():
            for lab in labs:
                fh.write(json.dumps({"key": key, **asdict(lab)}, ensure_ascii=False) + "\n")

    st = label_stats(labelled, pages)
    print(
        f"zyte-dev line labels: {st['pages']} pages, {st['lines']} lines "
        f"({st['lines_with_words']} with words)"
    )
    print(
        f"  body lines          {st['body_lines']} "
        f"({st['body_share_of_worded_lines']:.1%} of lines with words, "
        f"{st['body_tokens_share']:.1%} of their tokens)"
    )
    print(f"  short body lines    {st['short_body_lines']} (< {MIN_MATCH_TOKENS} tokens)")
    print(f"  coverage histogram  {st['coverage_hist']}")
    print(f"  partial coverage    {st['partial_coverage_lines']} lines strictly between 0 and 1")
    print(f"  rules (all lines)   {st['rules']}")
    print(f"  rules (body lines)  {st['body_rules']}")
    print(f"  repeated texts split body/not-body on a page: {st['duplicate_texts_split']}")
    so, oo = st["oracle_strict"], st["oracle_official"]
    print(
        f"  oracle (keep body-labelled lines) strict   P {so['P']:.3f} R {so['R']:.3f} "
        f"F1 {so['F1']:.3f}"
    )
    print(
        f"  oracle (keep body-labelled lines) official P {oo['P']:.3f} R {oo['R']:.3f} "
        f"F1 {oo['F1']:.3f}"
    )
    worst = ", ".join(f"{k[:8]} {f:.3f}" for k, f in st["oracle_worst_pages"])
    print(
        f"  oracle per-page F1 median {st['oracle_page_f1_median']:.3f}, "
        f"min {st['oracle_page_f1_min']:.3f}; worst: {worst}"
    )
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
