"""Turning links into persons: a union-find over record ids.

Three kinds of link join records: a trusted NIK (deterministic), a reference (an attendance
row is about its resident), and a Splink pair at or above the accept threshold.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd


class UnionFind:
    def __init__(self, ids: Iterable[str]) -> None:
        self.index = {record_id: i for i, record_id in enumerate(ids)}
        self.parent = np.arange(len(self.index))

    def _root(self, i: int) -> int:
        parent = self.parent
        root = i
        while parent[root] != root:
            root = parent[root]
        while parent[i] != root:  # path compression
            parent[i], i = root, parent[i]
        return int(root)

    def union(self, a: str, b: str) -> bool:
        ia, ib = self.index.get(a), self.index.get(b)
        if ia is None or ib is None:
            return False
        ra, rb = self._root(ia), self._root(ib)
        if ra == rb:
            return False
        self.parent[max(ra, rb)] = min(ra, rb)
        return True

    def labels(self) -> dict[str, int]:
        return {record_id: self._root(i) for record_id, i in self.index.items()}


def cluster(record_ids: list[str], nik_groups: pd.DataFrame, references: pd.DataFrame,
            pairs: pd.DataFrame, accept: float) -> pd.DataFrame:
    """``record_id -> cluster, method, probability`` for every record.

    Args:
        nik_groups: ``unique_id, nik`` of records whose NIK is trusted.
        references: ``record_id, target``.
        pairs: Splink predictions (``unique_id_l, unique_id_r, evidence``), evidence in bits.
        accept: the evidence at which a pair joins one person.
    """
    uf = UnionFind(record_ids)
    method = dict.fromkeys(record_ids, "single")
    probability = dict.fromkeys(record_ids, 1.0)
    for _, group in nik_groups.groupby("nik"):
        ids = group["unique_id"].tolist()
        for other in ids:
            uf.union(ids[0], other)
            method[other] = "nik"
    accepted = pairs[pairs["evidence"] >= accept]
    for left, right, p in zip(accepted["unique_id_l"], accepted["unique_id_r"], accepted["match_probability"],
                              strict=True):
        uf.union(left, right)
        for side in (left, right):
            if method[side] == "single":
                method[side] = "splink"
                probability[side] = float(p)
            elif method[side] == "splink":
                probability[side] = max(probability[side], float(p))
    for record_id, target in zip(references["record_id"], references["target"], strict=True):
        if uf.union(record_id, target) or method.get(record_id) == "single":
            method[record_id] = "reference"
    labels = uf.labels()
    return pd.DataFrame({"record_id": record_ids, "cluster": [labels[r] for r in record_ids],
                         "method": [method[r] for r in record_ids],
                         "probability": [probability[r] for r in record_ids]})
