"""Block model: a small gradient-boosted tree ensemble that scores P(block is article body).

The model is trained by ``benchmarks/train_block_model.py`` (scikit-learn, cross-validated on the
dev pages) and shipped as plain JSON in ``flows/models/block_model.json``: per tree, arrays of
split feature, threshold, children and leaf values. Inference is numpy only, so no pickle and no
scikit-learn version is involved at run time.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from flows.steps.features import FEATURE_NAMES

MODEL_PATH = Path(__file__).resolve().parent.parent / "models" / "block_model.json"
_LEAF = -1


@dataclass(frozen=True)
class TreeEnsemble:
    """Binary gradient boosting: logit = init + rate * sum(tree leaf values)."""

    feature_names: tuple[str, ...]
    init: float
    rate: float
    feature: np.ndarray  # (trees, nodes) split feature, -1 at leaves
    threshold: np.ndarray  # (trees, nodes)
    left: np.ndarray  # (trees, nodes) child index, -1 at leaves
    right: np.ndarray
    value: np.ndarray  # (trees, nodes) leaf values
    depth: int
    meta: dict[str, Any]

    @cached_property
    def _flat(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The nodes of all trees as flat tables (node ``t * width + j``), built once.

        A leaf is its own child both ways, so every row takes ``depth`` steps with no leaf
        test; the children of node k sit at 2k (split fails: right) and 2k + 1 (left).
        """
        trees, width = self.feature.shape
        leaf = self.feature == _LEAF
        first = np.arange(trees)[:, None] * width
        own = np.arange(width)[None, :]
        left = np.where(leaf, own, self.left) + first
        right = np.where(leaf, own, self.right) + first
        child = np.stack([right, left], axis=-1).ravel()
        feature = np.where(leaf, 0, self.feature).ravel()
        return first, feature, self.threshold.ravel(), child, self.value.ravel()

    def predict_proba(self, features: np.ndarray) -> np.ndarray:
        """P(body) for each row of ``features`` (columns in ``feature_names`` order)."""
        n = features.shape[0]
        if n == 0:
            return np.zeros(0)
        first, feature, threshold, child, value = self._flat
        cells = np.ascontiguousarray(features).ravel()
        row = np.arange(n) * features.shape[1]
        node = np.repeat(first, n, axis=1)  # (trees, rows): all trees descend together
        for _ in range(self.depth):
            go_left = cells[row + feature[node]] <= threshold[node]
            node = child[2 * node + go_left]
        logit = self.init + self.rate * value[node].sum(axis=0)
        return 1.0 / (1.0 + np.exp(-logit))

    def to_json(self) -> dict[str, Any]:
        return {
            "feature_names": list(self.feature_names),
            "init": self.init,
            "rate": self.rate,
            "depth": self.depth,
            "trees": [
                {
                    "feature": self.feature[t].tolist(),
                    "threshold": self.threshold[t].tolist(),
                    "left": self.left[t].tolist(),
                    "right": self.right[t].tolist(),
                    "value": self.value[t].tolist(),
                }
                for t in range(self.feature.shape[0])
            ],
            "meta": self.meta,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TreeEnsemble:
        trees = data["trees"]
        width = max(len(t["feature"]) for t in trees)

        def stack(key: str, fill: float, dtype: type) -> np.ndarray:
            out = np.full((len(trees), width), fill, dtype=dtype)
            for i, tree in enumerate(trees):
                out[i, : len(tree[key])] = tree[key]
            return out

        return cls(
            feature_names=tuple(data["feature_names"]),
            init=float(data["init"]),
            rate=float(data["rate"]),
            feature=stack("feature", _LEAF, np.int64),
            threshold=stack("threshold", 0.0, np.float64),
            left=stack("left", _LEAF, np.int64),
            right=stack("right", _LEAF, np.int64),
            value=stack("value", 0.0, np.float64),
            depth=int(data["depth"]),
            meta=dict(data.get("meta", {})),
        )


class ModelMismatch(RuntimeError):
    """The shipped model was trained on other features than ``features.FEATURE_NAMES``."""


@lru_cache(maxsize=4)
def load_model(path: Path = MODEL_PATH) -> TreeEnsemble | None:
    """The shipped block model, or None when no model file exists (rules only)."""
    if not path.exists():
        return None
    model = TreeEnsemble.from_json(json.loads(path.read_text(encoding="utf-8")))
    if model.feature_names != FEATURE_NAMES:
        raise ModelMismatch(
            f"{path} was trained on other features; rebuild it with benchmarks/train_block_model.py"
        )
    return model
