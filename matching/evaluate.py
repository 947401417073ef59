"""Pairwise precision, recall and F1 of a clustering against ``truth.csv``."""

from __future__ import annotations

import pandas as pd


def _pairs(sizes: pd.Series) -> int:
    return int((sizes * (sizes - 1) // 2).sum())


def pairwise_scores(assigned: pd.DataFrame, truth: pd.DataFrame) -> dict[str, float]:
    """``assigned``: record_id, cluster. ``truth``: source, source_key, person_id."""
    truth = truth.assign(record_id=truth["source"] + ":" + truth["source_key"])[["record_id", "person_id"]]
    both = assigned.merge(truth, on="record_id", how="inner")
    true_positive = _pairs(both.groupby(["cluster", "person_id"]).size())
    predicted = _pairs(both.groupby("cluster").size())
    actual = _pairs(both.groupby("person_id").size())
    precision = true_positive / predicted if predicted else 1.0
    recall = true_positive / actual if actual else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4),
            "true_pairs": actual, "predicted_pairs": predicted, "records_evaluated": len(both)}
