"""Train the keyphrase ranker shipped in flows/models/keyphrase_model.json, with cross-validation.

    python benchmarks/train_keyphrase_model.py [--folds 5] [--no-write]

Training data: every candidate of every kpcrowd-dev and inspec-dev document (see
``flows.steps.keyphrases`` for candidates and features), labelled 1 when its phrase matches a gold
key under the benchmarks' metric (lowercase, end punctuation stripped, Porter stems, exact match).
The model is scikit-learn's histogram gradient boosting, exported as a numpy-only
:class:`~flows.steps.block_model.TreeEnsemble`. Cross-validation holds out whole documents
(fold = position in the set's sorted ids modulo ``folds``, so every fold mixes news and
abstracts) and scores the held-out documents with the benchmark's F1@k after the full selection,
so the printed figures are what the extractor would score on documents it never saw. Everything
is deterministic (fixed seed, fixed folds). Needs NLTK for the metric's stemmer, like
``benchmarks/extraction.py``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import sklearn
from sklearn.ensemble import HistGradientBoostingClassifier
from spacy.tokens import Doc
from threadpoolctl import threadpool_limits

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
for path in (REPO, HERE):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from extraction import (  # noqa: E402
    CUTOFFS,
    KEYPHRASE_SETS,
    keyphrase_prf,
    load_keyphrase_set,
    normalise_key,
)

from flows.config import NlpSettings  # noqa: E402
from flows.steps.block_model import TreeEnsemble  # noqa: E402
from flows.steps.keyphrases import (  # noqa: E402
    ALL_FEATURE_NAMES,
    DOC_FEATURE_NAMES,
    MODEL_PATH,
    KeyphraseModel,
    candidate_features,
    select,
    table_from_doc,
)
from flows.steps.nlp import load_model  # noqa: E402

HYPERPARAMETERS = {
    "max_iter": 200,
    "max_depth": 3,
    "learning_rate": 0.1,
    "min_samples_leaf": 40,
    "l2_regularization": 1.0,
    "early_stopping": False,
    "random_state": 0,
}
# The gate (which expert a document resembles, from the document row alone): a few shallow trees.
GATE_HYPERPARAMETERS = {
    "max_iter": 50,
    "max_depth": 2,
    "learning_rate": 0.1,
    "min_samples_leaf": 10,
    "early_stopping": False,
    "random_state": 0,
}


@dataclass(slots=True)
class LabelledDoc:
    """One document's candidates, feature rows and labels."""

    dataset: str
    phrases: list[str]
    features: np.ndarray
    doc_row: np.ndarray
    y: np.ndarray
    gold: list[str]
    candidates: list


def label_doc(dataset: str, doc: Doc, gold: Sequence[str], settings: NlpSettings) -> LabelledDoc:
    table = table_from_doc(doc, settings.keyphrase_max_words)
    candidates, features, doc_row = candidate_features(table)
    keys = {normalise_key(g) for g in gold} - {""}
    phrases = [c.surface for c in candidates]
    y = np.array([normalise_key(p) in keys for p in phrases], dtype=np.int64)
    return LabelledDoc(dataset, phrases, features, doc_row, y, list(gold), candidates)


def load_labelled(stride: int, settings: NlpSettings) -> list[LabelledDoc]:
    """Parse and label the dev sets (every ``stride``-th document)."""
    nlp = load_model(settings.spacy_model)
    labelled: list[LabelledDoc] = []
    for name in KEYPHRASE_SETS:
        texts, golds = load_keyphrase_set(name, stride)
        docs = nlp.pipe(texts, batch_size=settings.batch_size)
        labelled += [label_doc(name, d, g, settings) for d, g in zip(docs, golds, strict=True)]
    return labelled


def fit_expert(docs: Sequence[LabelledDoc], hyperparameters: dict, meta: dict) -> TreeEnsemble:
    """A tree ensemble trained on every candidate of ``docs``."""
    x = np.vstack([d.features for d in docs])
    y = np.concatenate([d.y for d in docs])
    # One thread: several times faster than two on this size (thread overhead), and repeatable.
    with threadpool_limits(limits=1):
        model = HistGradientBoostingClassifier(**hyperparameters).fit(x, y)
    return export(model, ALL_FEATURE_NAMES, meta)


def fit(docs: Sequence[LabelledDoc], meta: dict) -> KeyphraseModel:
    """One expert per dataset in ``docs`` and the gate that tells their documents apart."""
    first, second = KEYPHRASE_SETS
    experts = tuple(
        fit_expert([d for d in docs if d.dataset == n], HYPERPARAMETERS, {"dataset": n})
        for n in (first, second)
    )
    rows = np.vstack([d.doc_row for d in docs])
    is_second = np.array([d.dataset == second for d in docs], dtype=np.int64)
    with threadpool_limits(limits=1):
        gate = HistGradientBoostingClassifier(**GATE_HYPERPARAMETERS).fit(rows, is_second)
    return KeyphraseModel(
        (first, second),
        (experts[0], experts[1]),
        export(gate, DOC_FEATURE_NAMES, {"predicts": f"P({second})"}),
        meta,
    )


def export(
    model: HistGradientBoostingClassifier, names: tuple[str, ...], meta: dict
) -> TreeEnsemble:
    """The fitted histogram ensemble as a numpy-only TreeEnsemble (leaf values pre-shrunk).

    Numeric splits send ``x <= num_threshold`` left, as TreeEnsemble does; no feature has
    missing values, so the missing-value direction never applies.
    """
    nodes = [predictors[0].nodes for predictors in model._predictors]
    width = max(len(n) for n in nodes)

    def stack(column: str, fill: float, dtype: type) -> np.ndarray:
        out = np.full((len(nodes), width), fill, dtype=dtype)
        for i, tree in enumerate(nodes):
            values = tree[column]
            if column in ("feature_idx", "left", "right"):
                values = np.where(tree["is_leaf"].astype(bool), -1, values)
            out[i, : len(tree)] = values
        return out

    return TreeEnsemble(
        feature_names=names,
        init=float(np.ravel(model._baseline_prediction)[0]),
        rate=1.0,
        feature=stack("feature_idx", -1, np.int64),
        threshold=stack("num_threshold", 0.0, np.float64),
        left=stack("left", -1, np.int64),
        right=stack("right", -1, np.int64),
        value=stack("value", 0.0, np.float64),
        depth=int(model.max_depth),
        meta=meta,
    )


def fold_ids(docs: Sequence[LabelledDoc], folds: int) -> np.ndarray:
    """Fold of each document: its position within its own set, modulo ``folds``."""
    seen: dict[str, int] = {}
    ids = []
    for d in docs:
        ids.append(seen.get(d.dataset, 0) % folds)
        seen[d.dataset] = seen.get(d.dataset, 0) + 1
    return np.array(ids)


def held_out_scores(docs: Sequence[LabelledDoc], folds: int) -> list[np.ndarray]:
    """P(keyphrase) of every candidate from a model that never saw its document."""
    fold = fold_ids(docs, folds)
    scores: list[np.ndarray] = [np.zeros(0)] * len(docs)
    for k in range(folds):
        model = fit([d for d, f in zip(docs, fold, strict=True) if f != k], {})
        for i in np.flatnonzero(fold == k):
            scores[i] = model.predict_proba(docs[i].features, docs[i].doc_row)
    return scores


def predictions(
    docs: Sequence[LabelledDoc], scores: Sequence[np.ndarray], settings: NlpSettings
) -> list[list[str]]:
    """The extractor's output phrases (top ``max(CUTOFFS)``) given candidate scores."""
    top = max(CUTOFFS)
    return [
        [c.surface for c, _ in select(d.candidates, s, top, settings.keyphrase_nested_penalty)]
        for d, s in zip(docs, scores, strict=True)
    ]


def report(
    docs: Sequence[LabelledDoc], scores: Sequence[np.ndarray], settings: NlpSettings
) -> dict[str, dict[str, list[float]]]:
    """P/R/F1 at every cutoff, per dataset, for the given candidate scores."""
    out: dict[str, dict[str, list[float]]] = {}
    predicted = predictions(docs, scores, settings)
    for name in KEYPHRASE_SETS:
        idx = [i for i, d in enumerate(docs) if d.dataset == name]
        golds = [docs[i].gold for i in idx]
        out[name] = {
            f"@{k}": [round(v, 2) for v in keyphrase_prf([predicted[i] for i in idx], golds, k)]
            for k in CUTOFFS
        }
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--no-write", action="store_true", help="cross-validate only")
    args = parser.parse_args(argv)
    settings = NlpSettings()
    started = time.perf_counter()
    docs = load_labelled(1, settings)
    rows = sum(len(d.y) for d in docs)
    print(f"{len(docs)} documents, {rows} candidates, {sum(int(d.y.sum()) for d in docs)} positive")
    cv = report(docs, held_out_scores(docs, args.folds), settings)
    print(f"{args.folds}-fold CV by document, P/R/F1 on held-out documents:")
    for name, cells in cv.items():
        figures = "  ".join(f"{k} {p:.1f}/{r:.1f}/{f:.1f}" for k, (p, r, f) in cells.items())
        print(f"  {name:12s} P/R/F1 {figures}")
    if not args.no_write:
        meta = {
            "trained_on": "kpcrowd-dev (100 docs) + inspec-dev (400 docs), every candidate",
            "hyperparameters": HYPERPARAMETERS,
            "gate_hyperparameters": GATE_HYPERPARAMETERS,
            "cross_validation_prf": cv,
            "folds": args.folds,
            "scikit_learn": sklearn.__version__,
        }
        model = fit(docs, meta)
        MODEL_PATH.parent.mkdir(parents=True, exist_ok=True)
        MODEL_PATH.write_text(json.dumps(model.to_json()), encoding="utf-8")
        print(f"wrote {MODEL_PATH.relative_to(REPO)} ({MODEL_PATH.stat().st_size // 1024} KiB)")
    print(f"took {time.perf_counter() - started:.1f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
