"""Cleaning benchmark: Broadsheet's ``clean_text`` against baselines on zyte-dev, in one run.

This script owns the comparison table. For the 50 zyte-dev pages it prints, side by side, the
strict and official body precision / recall / F1 (``flows.evaluation``) of:

- ``raw``: no cleaning;
- ``ours``: Broadsheet ``flows.clean_text`` with the shipped block model, which was trained on
  these very pages: an optimistic, in-sample figure;
- ``ours-cv``: the same, but each page is cleaned by a block model trained without it (5 folds
  by page, as ``train_block_model.py`` does): the honest estimate for unseen pages;
- ``justext``: jusText with each raw line as a ``<p>``, English stoplist, default parameters;
- ``c4``: the C4 line filter (T5 paper, section 2.2), as TFDS ``c4_utils.clean_page`` does it;
- ``densest``: the contiguous run of lines with the most text (max-sum run of line scores);
- ``oracle``: keep exactly the lines labelled body by ``zyte_labels`` (line-level ceiling).

Then the appended-article test (``appended.build_cases``): F1 per case kind, leak (mean
``surviving_share`` of the appended text) and control-minus-plain F1; then, for Broadsheet, which
segment kinds leak non-body text and which kinds body lines were lost to (line labels from
``zyte_labels``); then Broadsheet's speed in ms per 1,000 words.

Usage: ``python benchmarks/cleaning.py [--shared PATH] [--only ours[,raw,...]] [--json PATH]``
"""

from __future__ import annotations

import argparse
import html
import json
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

# flows is not installed into the venv; make the repo importable when run as a script.
REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from benchmarks.appended import KINDS, AppendedCase, build_cases, first_appended_line  # noqa: E402
from benchmarks.zyte_labels import (  # noqa: E402
    LineLabel,
    default_shared,
    label_page,
    load_pages,
    oracle_text,
    split_lines,
)
from flows.evaluation import (  # noqa: E402
    PRF,
    SHINGLE_SIZE,
    corpus_prf,
    document_prf,
    shingles,
    surviving_share,
    tokens,
)
from flows.records import CleanedDocument, Segment  # noqa: E402

CleanFn = Callable[[str], CleanedDocument]
Predict = Callable[[str], str]

METHODS: tuple[str, ...] = ("raw", "ours", "ours-cv", "justext", "c4", "densest")
CV_FOLDS = 5
ORACLE = "oracle"
APPENDED_SEED = 0
UNALIGNED = "(unaligned)"
WORDS_PER_TIMING_UNIT = 1000

# --- C4 (TFDS c4_utils.clean_page defaults; the T5 paper, section 2.2) ----------------------
C4_MIN_WORDS_PER_LINE = 5  # the paper: "only retained lines that contained at least 5 words"
C4_MIN_NUM_SENTENCES = 3  # the paper: "discarded any page with fewer than 3 sentences"
C4_MAX_WORD_LENGTH = 1000
C4_END_MARKS: tuple[str, ...] = (".", "?", "!", '"')
C4_ELLIPSIS = "..."
C4_POLICY_SUBSTRINGS: tuple[str, ...] = (
    "terms of use",
    "privacy policy",
    "cookie policy",
    "uses cookies",
    "use of cookies",
    "use cookies",
)
C4_CITATION = re.compile(r"\[\d*\]|\[edit\]|\[citation needed\]")

# --- densest block ---------------------------------------------------------------------------
# A line scores (its words - this); the kept block is the run of lines with the largest total, so
# prose lines pull the block out and short navigation-like lines push it back.
DENSE_LINE_WORDS = 10

# --- jusText ---------------------------------------------------------------------------------
JUSTEXT_STOPLIST = "English"


# === methods =================================================================================


def stand_in_clean_text(raw: str) -> CleanedDocument:
    """Identity stand-in for ``flows.clean_text``: every non-empty line kept as a body segment."""
    segments: list[Segment] = []
    pos = 0
    for line in raw.split("\n"):
        if line.strip():
            segments.append(
                Segment(len(segments), pos, pos + len(line), "body", True, "stand-in", line)
            )
        pos += len(line) + 1
    return CleanedDocument(
        text=raw, title=None, authors=[], published=None, publisher=None, segments=segments
    )


def resolve_broadsheet(force_stand_in: bool) -> tuple[CleanFn, str]:
    """``flows.clean_text`` if it imports, else the identity stand-in; and which one it is."""
    if force_stand_in:
        return stand_in_clean_text, "identity stand-in (--stand-in)"
    try:
        from flows import clean_text
    except ImportError as exc:
        return stand_in_clean_text, f"identity stand-in (from flows import clean_text: {exc})"
    return clean_text, "flows.clean_text"


def justext_body(raw: str) -> str:
    """jusText, default parameters, each non-empty raw line as one ``<p>``."""
    import justext  # a test dependency only; imported when this method runs

    paragraphs = [
        f"<p>{html.escape(line.strip())}</p>" for line in split_lines(raw) if line.strip()
    ]
    if not paragraphs:
        return ""
    page = "<html><body>" + "\n".join(paragraphs) + "</body></html>"
    result = justext.justext(page, justext.get_stoplist(JUSTEXT_STOPLIST))
    return "\n".join(p.text for p in result if not p.is_boilerplate)


_SENTENCE_SPLITTER: Callable[[str], list[str]] | None = None


def _sentences(text: str) -> list[str]:
    """NLTK punkt as C4 uses it; the untrained punkt model when english.pickle is not installed."""
    global _SENTENCE_SPLITTER
    if _SENTENCE_SPLITTER is None:
        import nltk
        from nltk.tokenize.punkt import PunktSentenceTokenizer

        try:
            _SENTENCE_SPLITTER = nltk.data.load("tokenizers/punkt/english.pickle").tokenize
        except LookupError:  # no internet to fetch the trained model: same algorithm, no params
            _SENTENCE_SPLITTER = PunktSentenceTokenizer().tokenize
    return list(_SENTENCE_SPLITTER(text))


def c4_filter(raw: str) -> str:
    """C4's clean_page line rules in TFDS order; ``""`` when C4 would drop the whole page.

    Not applied (page-level, need external data or are corpus-level): the bad-words list, the
    English language filter, and deduplication of repeated three-sentence spans.
    """
    valid: list[str] = []
    n_sentences = 0
    for line in raw.splitlines():
        line = line.strip()
        if any(len(word) > C4_MAX_WORD_LENGTH for word in line.split()):
            continue
        line = C4_CITATION.sub("", line)
        if not line.endswith(C4_END_MARKS) or line.endswith(C4_ELLIPSIS):
            continue
        if len(line.split()) < C4_MIN_WORDS_PER_LINE:
            continue
        lower = line.lower()
        if "lorem ipsum" in lower:
            return ""
        if "javascript" in lower:
            continue
        if "{" in line:  # C4 drops the page: probably code
            return ""
        if any(p in lower for p in C4_POLICY_SUBSTRINGS):
            continue
        n_sentences += len(_sentences(line))
        valid.append(line)
    if n_sentences < C4_MIN_NUM_SENTENCES:
        return ""
    return "\n".join(valid).strip()


def densest_block(raw: str) -> str:
    """The max-sum contiguous run of non-empty lines, a line scoring words - DENSE_LINE_WORDS."""
    lines = [line for line in split_lines(raw) if line.strip()]
    best, best_span = 0.0, (0, -1)
    run, run_start = 0.0, 0
    for i, line in enumerate(lines):
        if run <= 0:
            run, run_start = 0.0, i
        run += len(line.split()) - DENSE_LINE_WORDS
        if run > best:
            best, best_span = run, (run_start, i)
    return "\n".join(lines[best_span[0] : best_span[1] + 1])


def held_out_models(pages: dict[str, tuple[str, str]]) -> dict[str, Any]:
    """For every page, a block model trained on the other folds (and the seeds)."""
    import numpy as np
    from sklearn.model_selection import GroupKFold

    from benchmarks.train_block_model import Page, load_seed_pages, train_model

    keys = list(pages)
    train_pages = [Page(k, *pages[k]) for k in keys]
    seeds = load_seed_pages()
    groups = np.arange(len(keys))
    models: dict[str, Any] = {}
    for train_idx, test_idx in GroupKFold(n_splits=CV_FOLDS).split(groups, groups=groups):
        model = train_model([train_pages[i] for i in train_idx], seeds, {})
        for i in test_idx:
            models[keys[i]] = model
    return models


def make_methods(clean_fn: CleanFn, only: Iterable[str]) -> dict[str, Predict]:
    table: dict[str, Predict] = {
        "raw": lambda raw: raw,
        "ours": lambda raw: clean_fn(raw).text,
        "ours-cv": lambda raw: clean_fn(raw).text,  # replaced by held-out models in run()
        "justext": justext_body,
        "c4": c4_filter,
        "densest": densest_block,
    }
    return {name: table[name] for name in METHODS if name in set(only)}


# === scoring =================================================================================


def prf_dict(prf: PRF) -> dict[str, float]:
    return {"P": prf.precision, "R": prf.recall, "F1": prf.f1}


def score(preds: list[str], golds: list[str]) -> dict[str, Any]:
    pairs = list(zip(preds, golds, strict=True))
    return {
        "strict": prf_dict(corpus_prf(pairs, strict=True)),
        "official": prf_dict(corpus_prf(pairs, strict=False)),
        "empty": sum(1 for p in preds if not tokens(p)),
    }


# === Broadsheet's segments against the line labels ==========================================


def _flat(lines: list[list[str]]) -> tuple[list[str], list[int]]:
    flat: list[str] = []
    owner: list[int] = []
    for i, toks in enumerate(lines):
        flat.extend(toks)
        owner.extend([i] * len(toks))
    return flat, owner


def line_kinds(raw: str, doc: CleanedDocument) -> list[tuple[str, bool] | None]:
    """(kind, kept) of the segment each raw line went into (majority of its aligned tokens).

    Segments are matched to raw lines by an order-preserving token alignment, since a segment
    may join several lines, split one, or carry normalised text. None for lines without words.
    """
    lines = split_lines(raw)
    raw_flat, raw_owner = _flat([tokens(line) for line in lines])
    segs = sorted(doc.segments, key=lambda s: s.seq)
    seg_flat, seg_owner = _flat([tokens(s.text) for s in segs])
    votes: list[Counter[int]] = [Counter() for _ in lines]
    matcher = SequenceMatcher(None, raw_flat, seg_flat, autojunk=False)
    for a, b, size in matcher.get_matching_blocks():
        for k in range(size):
            votes[raw_owner[a + k]][seg_owner[b + k]] += 1
    result: list[tuple[str, bool] | None] = []
    for i, line in enumerate(lines):
        if not tokens(line):
            result.append(None)
        elif votes[i]:
            seg = segs[votes[i].most_common(1)[0][0]]
            result.append((seg.kind, seg.kept))
        else:
            result.append((UNALIGNED, False))
    return result


def _shingle_starts(raw: str) -> list[tuple[tuple[str, ...], int]]:
    """Every metric shingle of the raw text with the line its first token is on."""
    flat, owner = _flat([tokens(line) for line in split_lines(raw)])
    if len(flat) < SHINGLE_SIZE:
        return [(tuple(flat), owner[0])] if flat else []
    return [
        (tuple(flat[i : i + SHINGLE_SIZE]), owner[i]) for i in range(len(flat) - SHINGLE_SIZE + 1)
    ]


@dataclass
class KindTally:
    lines: int = 0
    kept_lines: int = 0
    shingles: int = 0
    hit: int = 0  # surviving (non-body table) or lost (body table) shingles


@dataclass
class KindBreakdown:
    nonbody: dict[str, KindTally] = field(default_factory=dict)
    body: dict[str, KindTally] = field(default_factory=dict)

    def add_page(
        self,
        raw: str,
        gold: str,
        labels: list[LineLabel],
        kinds: list[tuple[str, bool] | None],
        predicted: str,
    ) -> None:
        """Attribute each raw shingle to its first token's line and that line's assigned kind.

        Non-body lines: shingles not in gold that survive in the prediction (false positives).
        Body lines: shingles in gold that are missing from the prediction (false negatives).
        """
        gold_sh = shingles(gold)
        pred_left = shingles(predicted)
        pred_left_body = Counter(pred_left)
        for lab, kind in zip(labels, kinds, strict=True):
            if kind is None:
                continue
            table = self.body if lab.is_body else self.nonbody
            tally = table.setdefault(kind[0], KindTally())
            tally.lines += 1
            tally.kept_lines += int(kind[1])
        for sh, line in _shingle_starts(raw):
            kind = kinds[line]
            if kind is None:
                continue
            if labels[line].is_body:
                if sh not in gold_sh:
                    continue
                tally = self.body[kind[0]]
                tally.shingles += 1
                if pred_left_body[sh] > 0:
                    pred_left_body[sh] -= 1
                else:
                    tally.hit += 1
            else:
                if sh in gold_sh:
                    continue
                tally = self.nonbody[kind[0]]
                tally.shingles += 1
                if pred_left[sh] > 0:
                    pred_left[sh] -= 1
                    tally.hit += 1

    def as_dict(self) -> dict[str, Any]:
        def table(t: dict[str, KindTally]) -> dict[str, dict[str, float]]:
            total_hit = sum(x.hit for x in t.values()) or 1
            return {
                k: {
                    "lines": v.lines,
                    "kept_lines": v.kept_lines,
                    "shingles": v.shingles,
                    "hit": v.hit,
                    "hit_share": v.hit / v.shingles if v.shingles else 0.0,
                    "share_of_all_hits": v.hit / total_hit,
                }
                for k, v in sorted(t.items(), key=lambda kv: -kv[1].hit)
            }

        def overall(t: dict[str, KindTally]) -> float:
            n = sum(x.shingles for x in t.values())
            return sum(x.hit for x in t.values()) / n if n else 0.0

        return {
            "nonbody_by_kind": table(self.nonbody),
            "body_by_kind": table(self.body),
            "nonbody_surviving_share": overall(self.nonbody),
            "body_lost_share": overall(self.body),
        }


def appended_line_kinds(
    cases: list[AppendedCase], docs: list[CleanedDocument], first_line: dict[str, int]
) -> dict[str, dict[str, float]]:
    """Which kind Broadsheet gave the appended lines, and the share of their tokens kept."""
    tallies: dict[str, list[int]] = {}
    for case, doc in zip(cases, docs, strict=True):
        if not case.appended_text:
            continue
        kinds = line_kinds(case.raw, doc)
        lines = split_lines(case.raw)
        for i in range(first_line[case.key], len(lines)):
            if kinds[i] is None:
                continue
            t = tallies.setdefault(f"{case.kind}:{kinds[i][0]}", [0, 0, 0])
            n_tok = len(tokens(lines[i]))
            t[0] += 1
            t[1] += n_tok
            t[2] += n_tok * int(kinds[i][1])
    return {
        k: {"lines": v[0], "tokens": v[1], "kept_token_share": v[2] / v[1] if v[1] else 0.0}
        for k, v in sorted(tallies.items())
    }


# === the run =================================================================================


def run(shared: Path, only: list[str], force_stand_in: bool = False) -> dict[str, Any]:
    pages = load_pages(shared)
    keys = list(pages)
    golds = [pages[k][1] for k in keys]
    clean_fn, broadsheet_name = resolve_broadsheet(force_stand_in)
    methods = make_methods(clean_fn, only)
    labels = {k: label_page(*pages[k]) for k in keys}
    figures: dict[str, Any] = {
        "dataset": "zyte-dev",
        "pages": len(keys),
        "broadsheet": broadsheet_name,
        "methods": list(methods),
        "plain": {},
        "per_page": {},
        "appended": {},
    }

    # Broadsheet runs first, timed, one page at a time; its documents feed the kind breakdown.
    ours_docs: list[CleanedDocument] = []
    if "ours" in methods:
        clean_fn(pages[keys[0]][0])  # warm-up: model loading is not per-page cost
        ms_per_kw: list[float] = []
        for k in keys:
            raw = pages[k][0]
            t0 = time.perf_counter()
            ours_docs.append(clean_fn(raw))
            elapsed_ms = (time.perf_counter() - t0) * 1000
            ms_per_kw.append(elapsed_ms / max(1, len(raw.split())) * WORDS_PER_TIMING_UNIT)
        figures["timing"] = {
            "ms_per_1000_words_median": statistics.median(ms_per_kw),
            "ms_per_1000_words_max": max(ms_per_kw),
            "pages": len(ms_per_kw),
        }

    fold_models = held_out_models(pages) if "ours-cv" in methods else {}
    if fold_models:
        from flows import clean_text

        methods["ours-cv"] = lambda raw, key: clean_text(raw, model=fold_models[key]).text
    for name, predict in methods.items():
        if name == "ours":
            preds = [d.text for d in ours_docs]
        elif name == "ours-cv":
            preds = [predict(pages[k][0], k) for k in keys]
        else:
            preds = [predict(pages[k][0]) for k in keys]
        figures["plain"][name] = score(preds, golds)
        figures["per_page"][name] = {
            k: dict(zip(("P", "R"), document_prf(p, g), strict=True))
            for k, p, g in zip(keys, preds, golds, strict=True)
        }
    oracle_preds = [oracle_text(labels[k]) for k in keys]
    figures["plain"][ORACLE] = score(oracle_preds, golds)

    cases = build_cases(pages, seed=APPENDED_SEED)
    figures["appended_cases"] = dict(Counter(c.kind for c in cases))
    ours_case_docs: list[CleanedDocument] = []
    for name, predict in methods.items():
        if name == "ours":
            ours_case_docs = [clean_fn(c.raw) for c in cases]
            preds = [d.text for d in ours_case_docs]
        elif name == "ours-cv":
            preds = [predict(c.raw, c.key) for c in cases]
        else:
            preds = [predict(c.raw) for c in cases]
        per_kind: dict[str, Any] = {}
        for kind in KINDS:
            idx = [i for i, c in enumerate(cases) if c.kind == kind]
            per_kind[kind] = score([preds[i] for i in idx], [cases[i].gold for i in idx])
            if kind != "control":
                per_kind[kind]["leak"] = statistics.mean(
                    surviving_share(preds[i], cases[i].appended_text, cases[i].gold) for i in idx
                )
        per_kind["control_minus_plain_f1"] = (
            per_kind["control"]["strict"]["F1"] - figures["plain"][name]["strict"]["F1"]
        )
        figures["appended"][name] = per_kind

    if "ours" in methods:
        breakdown = KindBreakdown()
        for k, doc in zip(keys, ours_docs, strict=True):
            raw, gold = pages[k]
            breakdown.add_page(raw, gold, labels[k], line_kinds(raw, doc), doc.text)
        figures["ours_kinds"] = breakdown.as_dict()
        first_line = {k: first_appended_line(pages[k][0]) for k in keys}
        figures["ours_appended_line_kinds"] = appended_line_kinds(cases, ours_case_docs, first_line)
    return figures


# === printing ================================================================================


def _f(x: float) -> str:
    return f"{x:6.3f}"


def format_report(fig: dict[str, Any]) -> str:
    out: list[str] = []
    out.append(f"zyte-dev cleaning benchmark: {fig['pages']} pages; ours = {fig['broadsheet']}")
    out.append(f"{'':10} {'strict':^22} {'official':^22}")
    out.append(f"{'method':10} {'P':>6} {'R':>6} {'F1':>6}   {'P':>6} {'R':>6} {'F1':>6}  empty")
    for name, s in fig["plain"].items():
        st, of = s["strict"], s["official"]
        out.append(
            f"{name:10} {_f(st['P'])} {_f(st['R'])} {_f(st['F1'])}   "
            f"{_f(of['P'])} {_f(of['R'])} {_f(of['F1'])}  {s['empty']:5d}"
        )
    out.append("(oracle = keep exactly the lines labelled body by zyte_labels)")

    cases = fig["appended_cases"]
    out.append("")
    out.append(
        "Appended unrelated articles: "
        + ", ".join(f"{v} {k}" for k, v in cases.items())
        + " cases; strict F1, leak = mean share of appended shingles surviving"
    )
    out.append(
        f"{'method':10} {'F1 teas':>7} {'F1 whole':>8} {'F1 ctrl':>7}  "
        f"{'leak teas':>9} {'leak whole':>10}  {'ctrl-plain':>10}"
    )
    for name, a in fig["appended"].items():
        out.append(
            f"{name:10} {a['teasers']['strict']['F1']:7.3f} "
            f"{a['whole']['strict']['F1']:8.3f} {a['control']['strict']['F1']:7.3f}  "
            f"{a['teasers']['leak']:9.3f} {a['whole']['leak']:10.3f}  "
            f"{a['control_minus_plain_f1']:+10.3f}"
        )

    if "ours_kinds" in fig:
        kinds = fig["ours_kinds"]
        out.append("")
        out.append("ours by assigned segment kind, on the 50 pages (line labels from zyte_labels)")
        out.append(
            f"non-body lines: {kinds['nonbody_surviving_share']:.3f} of their non-gold "
            "shingles survive"
        )
        out.append(
            f"  {'kind':18} {'lines':>6} {'kept':>6} {'shingles':>8} {'survive':>7} {'of leak':>7}"
        )
        for kind, t in kinds["nonbody_by_kind"].items():
            out.append(
                f"  {kind:18} {t['lines']:6d} {t['kept_lines']:6d} {t['shingles']:8d} "
                f"{t['hit_share']:7.3f} {t['share_of_all_hits']:7.3f}"
            )
        out.append(f"body lines: {kinds['body_lost_share']:.3f} of their gold shingles lost")
        out.append(
            f"  {'kind':18} {'lines':>6} {'kept':>6} {'shingles':>8} {'lost':>7} {'of loss':>7}"
        )
        for kind, t in kinds["body_by_kind"].items():
            out.append(
                f"  {kind:18} {t['lines']:6d} {t['kept_lines']:6d} {t['shingles']:8d} "
                f"{t['hit_share']:7.3f} {t['share_of_all_hits']:7.3f}"
            )
        out.append("appended lines by assigned kind (case kind:segment kind)")
        out.append(f"  {'kind':28} {'lines':>6} {'tokens':>7} {'kept':>6}")
        for kind, t in fig["ours_appended_line_kinds"].items():
            out.append(f"  {kind:28} {t['lines']:6d} {t['tokens']:7d} {t['kept_token_share']:6.3f}")
    if "timing" in fig:
        t = fig["timing"]
        out.append("")
        out.append(
            f"ours speed: median {t['ms_per_1000_words_median']:.1f} ms per 1,000 words "
            f"(max {t['ms_per_1000_words_max']:.1f}; {t['pages']} pages, one process)"
        )
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--shared",
        type=Path,
        default=default_shared(),
        help="the shared/ folder (default: next to the repo)",
    )
    parser.add_argument(
        "--only",
        default=",".join(METHODS),
        help=f"comma-separated methods to run, from {','.join(METHODS)}",
    )
    parser.add_argument("--json", type=Path, help="also write every figure to this JSON file")
    parser.add_argument(
        "--stand-in",
        action="store_true",
        help="use the identity stand-in even if flows.clean_text imports",
    )
    args = parser.parse_args(argv)
    only = [m.strip() for m in args.only.split(",") if m.strip()]
    unknown = sorted(set(only) - set(METHODS))
    if unknown:
        parser.error(f"unknown method(s) {unknown}; choose from {list(METHODS)}")

    figures = run(args.shared, only, force_stand_in=args.stand_in)
    print(format_report(figures))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=1, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
