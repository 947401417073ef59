""""Have we met this person before?": one probe record against the persons already known.

The probe (what an officer knows on the street) is turned into the linker's features, the known
records that share a blocking key with it are looked up in the graph (``blocking.neighbours``:
index lookups, never a copy of every record), and those alone are scored with the saved model
by the exact scorer (``matching/scorer.py``), weighing names by the full run's term frequencies
(``matching/frequencies.py``). Persons are ranked by their best record. Read-only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from graph_schema.port import GraphStore
from hub.errors import HubError
from matching import frequencies, model
from matching.blocking import neighbours
from matching.extract import COLUMNS
from matching.features import features
from matching.scorer import Part, Scorer

PROBE_ID = "probe:seen-before"


class ModelMissing(HubError):
    """No saved linking model (or its term frequencies) yet: nothing can be scored."""

    http_status = 503
    for_caller = True


@dataclass(frozen=True)
class LiveModel:
    """The saved model ready to score: its scorer and the full run's term frequencies."""

    scorer: Scorer
    tf: dict[str, dict[str, float]]

    @property
    def prior_weight(self) -> float:
        return self.scorer.prior_weight


_LOADED: dict[Path, tuple[float, LiveModel]] = {}


def live_model(model_path: Path) -> LiveModel:
    """The model saved at ``model_path``, read once per process while the file is unchanged.

    Raises:
        ModelMissing: no model (or one of an older version) or its term frequencies are there:
            ``hub match`` makes them.
    """
    # The file unchanged since it was read (and found of this version): no parse again. A write
    # asks several times (its check, its link, its scorer).
    stamp = model_path.stat().st_mtime if model_path.exists() else None
    cached = _LOADED.get(model_path)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    saved = model.load(model_path) if stamp is not None else None
    if stamp is None or saved is None:
        raise ModelMissing("no linking model yet (a new hub, or one upgraded to another model version): an "
                           "administrator runs `hub match` once (it trains and saves it)")
    scorer = Scorer(saved)
    tables = frequencies.load(model_path, scorer.tf_columns)
    if tables is None:
        raise ModelMissing("the linking model has no term frequencies yet: an administrator runs `hub match` once")
    loaded = LiveModel(scorer, frequencies.as_mapping(tables))
    _LOADED[model_path] = (stamp, loaded)
    return loaded


@dataclass(frozen=True)
class SeenPerson:
    """A known person the probe may be: their best record, its score and each comparison's part."""

    person_id: str
    record_id: str
    source: str
    match_weight: float
    probability: float
    evidence: float  # bits above the prior: what the record says for a match beyond chance
    parts: list[Part]


def probe_features(probe: dict[str, Any], as_of: dt.date | None = None) -> pd.DataFrame:
    """The probe (``extract.COLUMNS`` keys; a missing one is unknown) as a one-row features frame."""
    row = {column: probe.get(column) for column in COLUMNS}
    row["record_id"] = row["record_id"] or PROBE_ID
    row["source"] = row["source"] or "probe"
    return features(pd.DataFrame([row], columns=COLUMNS), as_of)


async def seen_before(store: GraphStore, live: LiveModel, probe: dict[str, Any], first: int = 10,
                      as_of: dt.date | None = None,
                      among: Callable[[list[str]], Awaitable[set[str]]] | None = None) -> list[SeenPerson]:
    """The persons ``probe`` may be, best first: at most ``first``, each with evidence for a match
    (a best record whose score is above the prior). A record that holds no person yet is skipped.

    ``among`` (the caller's region scope) keeps only the candidates' persons it returns, before
    any is scored, so that ``first`` persons inside it come back whatever ranks above them outside.
    """
    searched = probe_features(probe, as_of)
    if searched.empty:
        return []
    known = await neighbours(store, searched)
    known = known[known["person_id"].notna()]
    if among is not None and not known.empty:
        allowed = await among(sorted(set(known["person_id"].astype(str))))
        known = known[known["person_id"].astype(str).isin(allowed)]
    if known.empty:
        return []
    person_of = dict(zip(known["record_id"].astype(str), known["person_id"].astype(str), strict=True))
    candidates = features(known[COLUMNS].reset_index(drop=True), as_of).reset_index(drop=True)
    if candidates.empty:
        return []
    scores = live.scorer.score(searched, candidates, live.tf)
    evidence = scores.match_weight - live.prior_weight
    ids = candidates["unique_id"].astype(str).to_numpy()
    sources = candidates["source"].astype(str).to_numpy()
    seen: list[SeenPerson] = []
    taken: set[str] = set()
    # Best first; ties by record id, so the same question gets the same answer.
    for i in sorted(np.flatnonzero(evidence > 0), key=lambda i: (-float(scores.match_weight[i]), ids[i])):
        person = person_of[ids[i]]
        if person in taken:
            continue
        taken.add(person)
        seen.append(SeenPerson(person, str(ids[i]), str(sources[i]), float(scores.match_weight[i]),
                               float(scores.match_probability[i]), float(evidence[i]), scores.parts(int(i))))
        if len(seen) == first:
            break
    return seen
