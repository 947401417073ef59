"""A steward's verdict, applied at once, by the one judgement rule every later run keeps to.

The rule: **a judgement binds records, never person ids.** SAME binds every record the two
persons held when it was given into one person: the merged person keeps the id most of its
records had, and the absorbed id points at it. DIFFERENT keeps one side's records apart from
the other's through any chain of links: on two persons it binds their current records; on
one person (the linker joined them) it splits the person, both parts under new ids, the old
id pointing at both. A DIFFERENT that reverses a SAME parts exactly the records the SAME had
joined (every record it moved goes back), not only the candidate's two. The verdict and the
records it binds are stored on the candidate (``review.judge``); every later ``hub match``
reads them (``review.judged_pairs``) as must-links and cannot-links. Open candidates a verdict
settles (now one person, or two persons a DIFFERENT keeps apart) leave the queue at once.

Applying a verdict changes only the persons the candidate touches: their records are
re-assigned and their facts projected again; nothing else in the graph is read or written.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pandas as pd

from graph_schema import api_queries, queries
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
    rows = await store.run(api_queries.CANDIDATE_PERSON_RECORDS, {"candidate_id": candidate_id})
    sides = {r["side"]: r["record_id"] for r in await store.run(api_queries.CANDIDATE_RECORD_SIDES,
                                                                {"candidate_id": candidate_id})}
    frame = pd.DataFrame(rows).drop_duplicates("record_id") if rows else pd.DataFrame()
    if frame.empty or len(sides) != 2:
        return Verdict(await judge(store, candidate_id, decision, by, reason), decision)
    person_of = dict(zip(frame["record_id"], frame["person_id"], strict=True))
    together = person_of.get(sides["left"]) == person_of.get(sides["right"])
    left, right = await _bound_records(store, candidate_id, frame, sides, decision, together)
    if not await judge(store, candidate_id, decision, by, reason, left, right):
        return Verdict(False, decision)
    before = tuple(sorted(set(frame["person_id"])))
    assigned, retire = _assignment(frame, left, right, decision, together)
    if assigned is None:
        await _settle(store, decision, before)
        return Verdict(True, decision, before, before)
    resolutions = Resolutions(person_of, {r: (m, float(p or 0.0)) for r, m, p in
                                          zip(frame["record_id"], frame["method"], frame["probability"], strict=True)})
    # The candidate's records as the linker reads them (a field this read lacks is left empty).
    records = frame.reindex(columns=COLUMNS).astype(object)
    records = records.where(records.notna(), None)
    report = await write_persons(store, assigned, records, resolutions, run_id="steward-" + uuid.uuid4().hex[:8],
                                 only_persons=list(before), retire=retire)
    after = tuple(sorted({r["person_id"] for r in await store.run(api_queries.CANDIDATE_PERSON_RECORDS,
                                                                   {"candidate_id": candidate_id})}))
    await _settle(store, decision, after)
    return Verdict(True, decision, before, after, report.relinked)


async def _bound_records(store: GraphStore, candidate_id: str, frame: pd.DataFrame, sides: dict[str, str],
                         decision: Judgement, together: bool) -> tuple[list[str] | None, list[str] | None]:
    """The two record sets this verdict binds (None, None: UNSURE binds nothing)."""
    if decision == Judgement.UNSURE:
        return None, None
    if together:
        # One person already: a DIFFERENT that reverses an earlier SAME parts what that SAME joined.
        (stored,) = await store.run(queries.CANDIDATE_BINDINGS, {"candidate_id": candidate_id})
        if stored["decision"] == Judgement.SAME and stored["left_records"] and stored["right_records"]:
            return list(stored["left_records"]), list(stored["right_records"])
        return [sides["left"]], [sides["right"]]
    person_of = dict(zip(frame["record_id"], frame["person_id"], strict=True))
    held = frame.groupby("person_id")["record_id"].apply(sorted).to_dict()
    return held[person_of[sides["left"]]], held[person_of[sides["right"]]]


def _assignment(frame: pd.DataFrame, left: list[str] | None, right: list[str] | None, decision: Judgement,
                together: bool) -> tuple[pd.DataFrame | None, set[str]]:
    """The new clusters of the touched records (None when the verdict changes nobody), and the
    person ids the change retires for good (a split's)."""
    person_of = dict(zip(frame["record_id"], frame["person_id"], strict=True))
    method = dict(zip(frame["record_id"], frame["method"], strict=True))
    probability = dict(zip(frame["record_id"], frame["probability"].fillna(1.0), strict=True))
    persons = sorted(set(frame["person_id"]))
    retire: set[str] = set()
    if decision == Judgement.SAME and not together and left and right:
        cluster = dict.fromkeys(frame["record_id"], 0)
        for record in (*left, *right):
            if record in method and method[record] != "nik":
                method[record], probability[record] = "steward", 1.0
    elif decision == Judgement.DIFFERENT and together and left and right:
        moving = set(right) & set(person_of)
        cluster = {r: persons.index(p) for r, p in person_of.items()}
        for record in moving:
            cluster[record] = len(persons)
            method[record], probability[record] = "steward", 1.0
        retire = {person_of[r] for r in moving}
    else:
        return None, retire
    records = list(frame["record_id"])
    return pd.DataFrame({"record_id": records, "cluster": [cluster[r] for r in records],
                         "method": [method[r] for r in records],
                         "probability": [float(probability[r]) for r in records]}), retire


async def _settle(store: GraphStore, decision: Judgement, persons: tuple[str, ...]) -> None:
    """Drop the open candidates this verdict answered: within the one person a SAME made, or
    between the two persons a DIFFERENT keeps apart."""
    if decision == Judgement.SAME and len(persons) == 1:
        pairs = [[persons[0], persons[0]]]
    elif decision == Judgement.DIFFERENT and len(persons) == 2:
        pairs = [list(persons)]
    else:
        return
    await store.run(queries.DELETE_SETTLED_CANDIDATES, {"pairs": pairs}, write=True)
