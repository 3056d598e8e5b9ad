"""Block model: a small gradient-boosted tree ensemble that scores P(block is article body).

The model is trained by ``benchmarks/train_block_model.py`` (scikit-learn, cross-validated on the
dev pages) and shipped as plain JSON in ``flows/models/block_model.json``: per tree, arrays of
split feature, threshold, children and leaf values. Inference is numpy only, so no pickle and no
scikit-learn version is involved at run time.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
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

    def predict_proba(self, features: np.ndarray) -> np.ndarray:
        """P(body) for each row of ``features`` (columns in ``feature_names`` order)."""
        n = features.shape[0]
        if n == 0:
            return np.zeros(0)
        trees = np.arange(self.feature.shape[0])[:, None]
        rows = np.arange(n)[None, :]
        node = np.zeros((len(trees), n), dtype=np.int64)  # all trees descend together
        for _ in range(self.depth):
            split = self.feature[trees, node]
            leaf = split == _LEAF
            values = features[rows, np.where(leaf, 0, split)]
            go_left = values <= self.threshold[trees, node]
            child = np.where(go_left, self.left[trees, node], self.right[trees, node])
            node = np.where(leaf, node, child)
        logit = self.init + self.rate * self.value[trees, node].sum(axis=0)
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
