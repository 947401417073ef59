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

import datetime as dt
import json
import uuid
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd

from graph_schema import api_queries, queries, steward_queries
from graph_schema.port import GraphStore, Row
from hub.errors import InputError, quote
from matching.extract import COLUMNS, Resolutions
from matching.judgement import Judgement
from matching.resolve import write_persons
from matching.review import candidate_id as pair_id
from matching.review import judge


@dataclass(frozen=True)
class Verdict:
    """What a verdict did: ``found`` False when there is no such candidate."""

    found: bool
    decision: Judgement
    persons_before: tuple[str, ...] = ()
    persons_after: tuple[str, ...] = ()
    records_moved: int = 0
    candidate_id: str = ""  # the candidate a split or a join was kept on


async def apply_judgement(store: GraphStore, candidate_id: str, decision: Judgement, by: str, reason: str,
                          bind: tuple[list[str], list[str]] | None = None, made: bool = False) -> Verdict:
    """Judge the candidate and apply the verdict. ``bind``: the two record sets it binds when the
    steward chose them (a split or a join), else they follow from the candidate. ``made``: the
    candidate was made for this verdict (undo removes it). What the verdict changes is kept on the
    candidate so that its steward can undo it (``matching/undo.py``)."""
    states = await store.run(steward_queries.CANDIDATE_STATE, {"candidate_id": candidate_id})
    state = states[0] if states else None
    rows = await store.run(api_queries.CANDIDATE_PERSON_RECORDS, {"candidate_id": candidate_id})
    sides = {r["side"]: r["record_id"] for r in await store.run(api_queries.CANDIDATE_RECORD_SIDES,
                                                                {"candidate_id": candidate_id})}
    frame = pd.DataFrame(rows).drop_duplicates("record_id") if rows else pd.DataFrame()
    if frame.empty or len(sides) != 2:
        found = await judge(store, candidate_id, decision, by, reason)
        if found:
            await _keep_undo(store, candidate_id, state, frame, by, made)
        return Verdict(found, decision)
    person_of = dict(zip(frame["record_id"], frame["person_id"], strict=True))
    together = person_of.get(sides["left"]) == person_of.get(sides["right"])
    left: list[str] | None
    right: list[str] | None
    if bind is not None and decision != Judgement.UNSURE:
        left, right = list(bind[0]), list(bind[1])
    else:
        left, right = await _bound_records(store, candidate_id, frame, sides, decision, together)
    if not await judge(store, candidate_id, decision, by, reason, left, right):
        return Verdict(False, decision)
    await _keep_undo(store, candidate_id, state, frame, by, made)
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


async def split_person(store: GraphStore, person_id: str, record_ids: list[str], by: str, reason: str) -> Verdict:
    """Move ``record_ids`` out of the person into a person of their own: a DIFFERENT between them
    and the records that stay, both parts under new ids and the old id pointing at both.
    ``found`` False: no such person.

    Raises:
        InputError: a record is not the person's, or none or all of them were chosen.
    """
    held = sorted({r["record_id"] for r in await store.run(queries.RECORDS_OF_PERSONS, {"person_ids": [person_id]})})
    if not held:
        return Verdict(False, Judgement.DIFFERENT)
    moving = sorted(set(record_ids))
    strangers = [r for r in moving if r not in set(held)]
    if strangers:
        raise InputError(f"recordIds: {quote(strangers[0])} is not a record of person {quote(person_id)}; "
                         "choose among the records the person holds now")
    if not moving or len(moving) == len(held):
        raise InputError(f"recordIds: choose some of the {len(held)} records of person {quote(person_id)} to move "
                         "out, not none and not all of them")
    staying = [r for r in held if r not in set(moving)]
    candidate, made = await _action_candidate(store, staying[0], moving[0], "split")
    verdict = await apply_judgement(store, candidate, Judgement.DIFFERENT, by, reason, (staying, moving), made)
    return replace(verdict, candidate_id=candidate)


async def join_persons(store: GraphStore, person_id: str, other_id: str, by: str, reason: str) -> Verdict:
    """Join two persons into one: a SAME binding every record of both; the id most records had is
    kept, the other points at it. ``found`` False: either person does not exist.

    Raises:
        InputError: the two ids are one person.
    """
    if person_id == other_id:
        raise InputError(f"otherPersonId: {quote(other_id)} is the person itself; give two different persons")
    rows = await store.run(queries.RECORDS_OF_PERSONS, {"person_ids": [person_id, other_id]})
    held: dict[str, list[str]] = {person_id: [], other_id: []}
    for row in rows:
        held[row["person_id"]].append(row["record_id"])
    if not held[person_id] or not held[other_id]:
        return Verdict(False, Judgement.SAME)
    first, second = sorted(held[person_id]), sorted(held[other_id])
    candidate, made = await _action_candidate(store, first[0], second[0], "join")
    verdict = await apply_judgement(store, candidate, Judgement.SAME, by, reason, (first, second), made)
    return replace(verdict, candidate_id=candidate)


async def _action_candidate(store: GraphStore, left: str, right: str, origin: str) -> tuple[str, bool]:
    """The candidate a split or join is judged on (the linker's own between the two records, if
    any), and whether it was made now."""
    candidate = pair_id(left, right)
    made = not await store.run(steward_queries.CANDIDATE_STATE, {"candidate_id": candidate})
    await store.run(steward_queries.STEWARD_ACTION_CANDIDATE, {
        "candidate_id": candidate, "left": left, "right": right, "origin": origin, "run_id": "steward",
        "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}, write=True)
    return candidate, made


async def _keep_undo(store: GraphStore, candidate_id: str, state: Row | None, frame: pd.DataFrame, by: str,
                     made: bool) -> None:
    """Push what undo needs onto the candidate: its state before the verdict (None: made for it)
    and each touched record's person, method and probability before."""
    entries: list[dict[str, Any]] = json.loads((state or {}).get("undo") or "[]")
    before = None if made or state is None else {k: state.get(k) for k in UNDO_STATE}
    records = {} if frame.empty else {
        r: [p, m, None if pd.isna(pr) else float(pr)]
        for r, p, m, pr in zip(frame["record_id"], frame["person_id"], frame["method"], frame["probability"],
                               strict=True)}
    entries.append({"by": by, "state": before, "records": records})
    await store.run(steward_queries.SET_CANDIDATE_UNDO, {"candidate_id": candidate_id, "undo": json.dumps(entries)},
                    write=True)


UNDO_STATE = ("status", "decision", "decided_by", "decided_at", "reason", "left_records", "right_records")
