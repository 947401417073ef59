"""A steward's verdict, applied at once: SAME joins the two persons now, DIFFERENT parts them now.

The verdict is also stored on the candidate (``review.judge``), so every later ``hub match``
keeps to it through the clustering's must-link and cannot-link. Applying it here changes
only the persons the candidate touches: their records are re-assigned and their facts
projected again; nothing else in the graph is read or written.

DIFFERENT on two records that are already one person detaches the candidate's right-hand
record (with nothing else) into a person of its own; the next full ``hub match`` then
re-clusters that person's other records around the cannot-link.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pandas as pd

from graph_schema import api_queries
from graph_schema.port import GraphStore
from matching.extract import COLUMNS, Resolutions
from matching.judgement import Judgement
from matching.resolve import write_persons
from matching.review import judge


@dataclass(frozen=True)
class Verdict:
    """What a verdict did: ``found`` False when there is no such candidate."""

    found: bool
    decision: Judgement
    persons_before: tuple[str, ...] = ()
    persons_after: tuple[str, ...] = ()
    records_moved: int = 0


async def apply_judgement(store: GraphStore, candidate_id: str, decision: Judgement, by: str, reason: str) -> Verdict:
    if not await judge(store, candidate_id, decision, by, reason):
        return Verdict(False, decision)
    rows = await store.run(api_queries.CANDIDATE_PERSON_RECORDS, {"candidate_id": candidate_id})
    sides = {r["side"]: r["record_id"] for r in await store.run(api_queries.CANDIDATE_RECORD_SIDES,
                                                                {"candidate_id": candidate_id})}
    frame = pd.DataFrame(rows).drop_duplicates("record_id") if rows else pd.DataFrame()
    if frame.empty or len(sides) != 2:
        return Verdict(True, decision)
    before = tuple(sorted(set(frame["person_id"])))
    assigned = _assignment(frame, sides, decision)
    if assigned is None:
        return Verdict(True, decision, before, before)
    resolutions = Resolutions(dict(zip(frame["record_id"], frame["person_id"], strict=True)),
                              {r: (m, float(p or 0.0)) for r, m, p in
                               zip(frame["record_id"], frame["method"], frame["probability"], strict=True)})
    report = await write_persons(store, assigned, frame[COLUMNS], resolutions, run_id="steward-" + uuid.uuid4().hex[:8],
                                 only_persons=list(before))
    after = await store.run(api_queries.CANDIDATE_PERSON_RECORDS, {"candidate_id": candidate_id})
    return Verdict(True, decision, before, tuple(sorted({r["person_id"] for r in after})), report.relinked)


def _assignment(frame: pd.DataFrame, sides: dict[str, str], decision: Judgement) -> pd.DataFrame | None:
    """The new clusters of the touched records, or None when the verdict changes nobody."""
    person_of = dict(zip(frame["record_id"], frame["person_id"], strict=True))
    together = person_of.get(sides["left"]) == person_of.get(sides["right"])
    method = dict(zip(frame["record_id"], frame["method"], strict=True))
    probability = dict(zip(frame["record_id"], frame["probability"].fillna(1.0), strict=True))
    if decision == Judgement.SAME and not together:
        cluster = dict.fromkeys(frame["record_id"], 0)
        method[sides["right"]] = method[sides["left"]] = "steward"
        probability[sides["right"]] = probability[sides["left"]] = 1.0
    elif decision == Judgement.DIFFERENT and together:
        persons = sorted(set(frame["person_id"]))
        cluster = {r: persons.index(p) for r, p in person_of.items()}
        cluster[sides["right"]] = len(persons)
        method[sides["right"]], probability[sides["right"]] = "single", 1.0
    else:
        return None
    records = list(frame["record_id"])
    return pd.DataFrame({"record_id": records, "cluster": [cluster[r] for r in records],
                         "method": [method[r] for r in records],
                         "probability": [float(probability[r]) for r in records]})
