"""Body-extraction metrics shared by the tests and the benchmarks.

The metric is the article-extraction-benchmark's: tokens are ``\\w+`` runs, 4-token shingles,
per-document precision and recall over shingle multisets (each side normalised to sum 1).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

_TOKEN = re.compile(r"\w+")
SHINGLE_SIZE = 4


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def shingles(text: str, size: int = SHINGLE_SIZE) -> Counter[tuple[str, ...]]:
    """Multiset of ``size``-token shingles; texts shorter than ``size`` give one short shingle."""
    toks = tokens(text)
    if len(toks) < size:
        return Counter([tuple(toks)]) if toks else Counter()
    return Counter(tuple(toks[i : i + size]) for i in range(len(toks) - size + 1))


@dataclass(frozen=True, slots=True)
class PRF:
    precision: float
    recall: float

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def document_prf(predicted: str, gold: str) -> tuple[float | None, float]:
    """Per-document (precision, recall); precision is None when the prediction is empty."""
    pred, true = shingles(predicted), shingles(gold)
    if not true:
        return (None if not pred else 0.0), 1.0
    if not pred:
        return None, 0.0
    pred_total, true_total = sum(pred.values()), sum(true.values())
    # Normalised multisets: every shingle weighs 1/total on its side.
    tp_pred = sum(min(c, true[s]) for s, c in pred.items())
    return tp_pred / pred_total, tp_pred / true_total


def corpus_prf(pairs: Iterable[tuple[str, str]], strict: bool = True) -> PRF:
    """Mean precision and recall over (predicted, gold) pairs.

    ``strict`` counts an empty prediction as precision 0; the official scorer leaves it out.
    """
    precisions: list[float] = []
    recalls: list[float] = []
    for predicted, gold in pairs:
        p, r = document_prf(predicted, gold)
        recalls.append(r)
        if p is None:
            if strict:
                precisions.append(0.0)
        else:
            precisions.append(p)
    mean = lambda xs: sum(xs) / len(xs) if xs else 0.0  # noqa: E731
    return PRF(mean(precisions), mean(recalls))


def surviving_share(predicted: str, appended: str, own_body: str) -> float:
    """Share of ``appended`` shingles (not also in ``own_body``) that survive in ``predicted``."""
    own = shingles(own_body)
    extra = Counter({s: c for s, c in shingles(appended).items() if s not in own})
    total = sum(extra.values())
    if not total:
        return 0.0
    pred = shingles(predicted)
    return sum(min(c, pred[s]) for s, c in extra.items()) / total
