"""``hub match``: read what is loaded, link it, write persons.

1. deterministic: records whose NIK is trusted (it agrees with the record) join by NIK;
2. references: a record about another record's person (attendance -> resident) joins it;
3. Splink (DuckDB) scores candidate pairs from the blocking rules with the saved model
   (trained, and saved, when there is none or ``retrain`` is asked); pairs at or above the
   accept threshold join;
4. clusters become persons, keeping the ids they had.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from graph_schema.port import GraphStore
from matching import model
from matching.clusters import cluster
from matching.extract import load_records, load_references, load_resolutions
from matching.features import features
from matching.resolve import write_persons
from matching.review import judged_pairs, review_band, write_candidates

# Evidence (the sum of the comparisons' match weights, in bits, before the prior) at which a
# pair joins one person: a Bayes factor of 2^16. A threshold on evidence, unlike one on match
# probability, does not move with the size of the population (the prior falls as it grows).
ACCEPT = 16.0
# Pairs from here up to ACCEPT go to data stewards as MatchCandidates; below, they stay apart.
REVIEW = ACCEPT - 6.0


@dataclass(frozen=True)
class MatchReport:
    records: int
    persons: int
    pairs_scored: int
    pairs_accepted: int
    relinked: int
    review_candidates: int
    trained: bool
    seconds: float
    assigned: pd.DataFrame

    @property
    def records_per_s(self) -> float:
        return self.records / self.seconds if self.seconds else 0.0


async def run_match(store: GraphStore, model_path: Path, retrain: bool = False, accept: float = ACCEPT) -> MatchReport:
    started = time.perf_counter()
    records = await load_records(store)
    references = await load_references(store)
    resolutions = await load_resolutions(store)
    frame = features(records)
    saved = None if retrain else model.load(model_path)
    trained = saved is None
    if saved is None:
        saved = model.trained_model(model.train(frame), model.encounter_share(frame))
        model.save(saved, model_path)
    pairs = pd.DataFrame(columns=["unique_id_l", "unique_id_r", "match_probability", "evidence"])
    if len(frame) > 1:
        linker = model.new_linker(frame, saved)
        prior = model.prior_weight(saved)
        pairs = model.scored_pairs(linker, prior + REVIEW, frame)
        pairs["evidence"] = pairs["match_weight"] - prior
    trusted = frame[frame["nik_trusted"].astype(bool)][["unique_id", "nik"]]
    same, different = await judged_pairs(store)
    encounters = frozenset(frame.loc[frame["encounter"].astype(bool), "unique_id"])
    assigned, uf = cluster(records["record_id"].tolist(), trusted, references, pairs, accept, same, different,
                           encounters)
    run_id = uuid.uuid4().hex[:12]
    written = await write_persons(store, assigned, records, resolutions, run_id=run_id)
    candidates = await write_candidates(store, review_band(pairs, assigned, uf, REVIEW), run_id)
    return MatchReport(len(records), written.persons, len(pairs), int((pairs["evidence"] >= accept).sum()),
                       written.relinked, candidates, trained, time.perf_counter() - started, assigned)
