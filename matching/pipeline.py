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

from graph_schema import queries
from graph_schema.port import GraphStore
from matching import blocking, frequencies, model
from matching.clusters import cluster
from matching.extract import load_records, load_references, load_resolutions
from matching.features import features
from matching.resolve import write_persons
from matching.review import judged_pairs, review_band, write_candidates

# Evidence (the sum of the comparisons' match weights, in bits, before the prior) at which a
# pair joins one person: a Bayes factor of at least 2^16, and never less than even odds once the
# prior is counted. The prior falls as the population grows (a million records: about -19 bits),
# so a fixed 16 bits would accept pairs that are more likely two namesakes than one person.
ACCEPT = 16.0
# Pairs this many bits below the accept threshold and up go to data stewards as MatchCandidates;
# below, they stay apart.
REVIEW_BAND = 6.0


def thresholds(prior: float, accept: float = ACCEPT) -> tuple[float, float]:
    """(accept, review) evidence thresholds in bits for a model whose prior weight is ``prior``."""
    joined = max(accept, -prior)
    return joined, joined - REVIEW_BAND


async def links_current(store: GraphStore, model_path: Path) -> bool:
    """Whether a full run would change nothing a load left: every record holds a person and the
    saved model is this version's. (What a load changed, it reports; the caller asks both.)"""
    saved = model.load(model_path)
    if saved is None or frequencies.load(model_path, model.tf_columns(saved)) is None:
        return False
    (row,) = await store.run(queries.UNRESOLVED_RECORD_COUNT)
    if int(row["unresolved"]) != 0:
        return False
    # Live linking looks records up by their blocking keys: a graph whose keys were never written
    # (loaded before schema 6, or with --no-link) needs the full run that writes them.
    (row,) = await store.run(queries.UNKEYED_RECORD_COUNT)
    return int(row["unkeyed"]) == 0


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
    stages: dict[str, float]  # seconds per stage: read, features, train, predict, cluster, write_*
    accept_bits: float  # the evidence at which pairs joined (see ``thresholds``)

    @property
    def records_per_s(self) -> float:
        return self.records / self.seconds if self.seconds else 0.0


async def run_match(store: GraphStore, model_path: Path, retrain: bool = False, accept: float = ACCEPT) -> MatchReport:
    started = time.perf_counter()
    stages: dict[str, float] = {}

    def lap(stage: str) -> None:
        stages[stage] = round(time.perf_counter() - started - sum(stages.values()), 2)

    records = await load_records(store)
    references = await load_references(store)
    resolutions = await load_resolutions(store)
    lap("read")
    frame = features(records)
    lap("features")
    await blocking.write_keys(store, frame)
    lap("write_keys")
    saved = None if retrain else model.load(model_path)
    trained = saved is None
    if saved is None:
        saved = model.trained_model(model.train(frame), model.encounter_share(frame))
        model.save(saved, model_path)
    lap("train")
    # Live linking weighs names as this run does (matching/frequencies.py).
    frequencies.save(frequencies.compute(frame, model.tf_columns(saved)), model_path)
    prior = model.prior_weight(saved)
    accept, review = thresholds(prior, accept)
    pairs = pd.DataFrame(columns=["unique_id_l", "unique_id_r", "match_probability", "evidence"])
    if len(frame) > 1:
        linker = model.new_linker(frame, saved)
        pairs = model.scored_pairs(linker, prior + review, frame)
        pairs["evidence"] = pairs["match_weight"] - prior
    lap("predict")
    trusted = frame[frame["nik_trusted"].astype(bool)][["unique_id", "nik", "birth_year", "sex"]]
    bound = await judged_pairs(store)
    encounters = frozenset(frame.loc[frame["encounter"].astype(bool), "unique_id"])
    assigned, uf = cluster(records["record_id"].tolist(), trusted, references, pairs, accept, bound.same, bound.different,
                           encounters)
    lap("cluster")
    run_id = uuid.uuid4().hex[:12]
    written = await write_persons(store, assigned, records, resolutions, run_id=run_id)
    lap("write_persons")
    candidates = await write_candidates(store, review_band(pairs, assigned, uf, review), run_id)
    lap("write_candidates")
    return MatchReport(len(records), written.persons, len(pairs), int((pairs["evidence"] >= accept).sum()),
                       written.relinked, candidates, trained, time.perf_counter() - started, assigned, stages,
                       accept)
