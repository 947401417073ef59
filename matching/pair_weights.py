"""Why the linker was unsure about a pair: each comparison's level and weight, as a waterfall.

The saved model scores the two records (``matching/scorer.py``, equal to Splink's own scores):
the prior, then each comparison's weight (its level's ``log2(m/u)`` with the name's rarity) in
the model's order, adds up to the pair's match weight. Read-only. Also which identity fields
the two records state differently, for the steward's side-by-side view.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from graph_schema import queries
from graph_schema.port import GraphStore, Row
from matching.extract import COLUMNS
from matching.features import features
from matching.scorer import Part
from matching.seen import LiveModel

# Identity fields a steward compares side by side, in the order the page shows them.
COMPARED_FIELDS = ("name", "nik", "kk", "birth_date", "sex", "mother_name", "address", "region_code")


@dataclass(frozen=True)
class PairScore:
    prior: float
    parts: list[Part]
    match_weight: float
    probability: float


async def pair_score(store: GraphStore, live: LiveModel, left: str, right: str) -> PairScore | None:
    """The saved model's score of records ``left`` and ``right``; None when either is unknown."""
    rows = {r["record_id"]: r for r in await store.run(queries.RECORDS_BY_IDS, {"ids": [left, right]})}
    if left not in rows or right not in rows:
        return None
    records = pd.DataFrame([rows[left], rows[right]]).reindex(columns=COLUMNS).astype(object)
    frame = features(records.where(records.notna(), None)).reset_index(drop=True)
    if len(frame) != 2:  # a record without a name is not compared
        return None
    scores = live.scorer.score_pairs(frame.iloc[[0]], frame.iloc[[1]], live.tf)
    return PairScore(live.prior_weight, scores.parts(0), float(scores.match_weight[0]),
                     float(scores.match_probability[0]))


def differing_fields(left: Row, right: Row) -> list[str]:
    """The compared fields both records state, differently (case and spacing aside)."""
    def norm(value: object) -> str:
        return " ".join(str(value).upper().split()) if value is not None else ""

    return [f for f in COMPARED_FIELDS if norm(left.get(f)) and norm(right.get(f)) and norm(left.get(f)) != norm(
        right.get(f))]
