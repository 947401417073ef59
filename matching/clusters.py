"""Turning links into persons: a union-find over record ids, with stewards' verdicts on top.

Links join records in this order: a steward's SAME, a trusted NIK (deterministic), a
reference (an attendance row is about its resident), then Splink pairs from the strongest
evidence down to the accept threshold. A steward's DIFFERENT is a cannot-link: no link of any
kind may put its two records into one person, directly or through others.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd


class UnionFind:
    def __init__(self, ids: Iterable[str]) -> None:
        self.index = {record_id: i for i, record_id in enumerate(ids)}
        self.parent = np.arange(len(self.index))
        self.apart: list[tuple[int, int]] = []  # record index pairs that must stay apart

    def root(self, i: int) -> int:
        parent = self.parent
        top = i
        while parent[top] != top:
            top = parent[top]
        while parent[i] != top:  # path compression
            parent[i], i = top, parent[i]
        return int(top)

    def keep_apart(self, a: str, b: str) -> None:
        if a in self.index and b in self.index:
            self.apart.append((self.index[a], self.index[b]))

    def allowed(self, ra: int, rb: int) -> bool:
        for x, y in self.apart:
            rx, ry = self.root(x), self.root(y)
            if {rx, ry} == {ra, rb}:
                return False
        return True

    def union(self, a: str, b: str) -> bool:
        """Join the persons of ``a`` and ``b``; False when already one, unknown, or kept apart."""
        ia, ib = self.index.get(a), self.index.get(b)
        if ia is None or ib is None:
            return False
        ra, rb = self.root(ia), self.root(ib)
        if ra == rb or not self.allowed(ra, rb):
            return False
        self.parent[max(ra, rb)] = min(ra, rb)
        return True

    def labels(self) -> dict[str, int]:
        return {record_id: self.root(i) for record_id, i in self.index.items()}

    def kept_apart(self, a: str, b: str) -> bool:
        """Whether joining ``a`` and ``b`` is ruled out by a DIFFERENT verdict."""
        ra, rb = self.root(self.index[a]), self.root(self.index[b])
        return ra != rb and not self.allowed(ra, rb)


def cluster(record_ids: list[str], nik_groups: pd.DataFrame, references: pd.DataFrame, pairs: pd.DataFrame,
            accept: float, same: Iterable[tuple[str, str]] = (), different: Iterable[tuple[str, str]] = (),
            ) -> tuple[pd.DataFrame, UnionFind]:
    """``record_id -> cluster, method, probability`` for every record, and the union-find behind it.

    Args:
        nik_groups: ``unique_id, nik`` of records whose NIK is trusted.
        references: ``record_id, target``.
        pairs: Splink predictions (``unique_id_l, unique_id_r, evidence, match_probability``), evidence in bits.
        accept: the evidence at which a pair joins one person.
        same, different: record pairs a steward judged SAME or DIFFERENT.
    """
    uf = UnionFind(record_ids)
    for a, b in different:
        uf.keep_apart(a, b)
    method = dict.fromkeys(record_ids, "single")
    probability = dict.fromkeys(record_ids, 1.0)
    for a, b in same:
        if uf.union(a, b):
            method[a] = method[b] = "steward"
    for _, group in nik_groups.groupby("nik"):
        ids = group["unique_id"].tolist()
        for other in ids:
            uf.union(ids[0], other)
            if method[other] == "single":
                method[other] = "nik"
    for record_id, target in zip(references["record_id"], references["target"], strict=True):
        if uf.union(record_id, target) or method.get(record_id) == "single":
            method[record_id] = "reference"
    accepted = pairs[pairs["evidence"] >= accept].sort_values("evidence", ascending=False)
    for left, right, p in zip(accepted["unique_id_l"], accepted["unique_id_r"], accepted["match_probability"],
                              strict=True):
        if not uf.union(left, right):
            continue
        for side in (left, right):
            if method[side] == "single":
                method[side] = "splink"
                probability[side] = float(p)
    labels = uf.labels()
    assigned = pd.DataFrame({"record_id": record_ids, "cluster": [labels[r] for r in record_ids],
                             "method": [method[r] for r in record_ids],
                             "probability": [probability[r] for r in record_ids]})
    return assigned, uf
