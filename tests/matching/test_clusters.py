"""Clustering links into persons."""

from __future__ import annotations

import pandas as pd

from matching.clusters import cluster
from matching.evaluate import pairwise_scores


def test_nik_references_and_accepted_pairs_join_records() -> None:
    ids = ["a", "b", "c", "d", "e", "f"]
    nik = pd.DataFrame({"unique_id": ["a", "b"], "nik": ["3374014506880003"] * 2})
    refs = pd.DataFrame({"record_id": ["f"], "target": ["c"]})
    pairs = pd.DataFrame({"unique_id_l": ["b", "d"], "unique_id_r": ["c", "e"], "evidence": [20.0, 9.0],
                          "match_probability": [0.99, 0.4]})
    out = cluster(ids, nik, refs, pairs, accept=16.0).set_index("record_id")
    group = dict(zip(out.index, out["cluster"].tolist(), strict=True))
    assert len({group[r] for r in "abcf"}) == 1  # NIK a-b, Splink b-c, reference f->c
    assert group["d"] != group["e"]  # below the threshold: kept apart
    assert out.loc["a", "method"] == "nik" and out.loc["c", "method"] == "splink"
    assert out.loc["f", "method"] == "reference" and out.loc["d", "method"] == "single"


def test_pairwise_scores() -> None:
    assigned = pd.DataFrame({"record_id": ["s:1", "s:2", "s:3", "s:4"], "cluster": [1, 1, 1, 2]})
    truth = pd.DataFrame({"source": ["s"] * 4, "source_key": ["1", "2", "3", "4"], "person_id": ["A", "A", "B", "B"]})
    scores = pairwise_scores(assigned, truth)
    # predicted pairs 1-2, 1-3, 2-3 (one right), true pairs 1-2, 3-4
    assert (scores["precision"], scores["recall"]) == (round(1 / 3, 4), 0.5)
