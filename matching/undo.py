"""Undo of a steward's own verdict: the graph and the candidate as they were before it.

A steward may undo their own last ``UNDO_LIMIT`` verdicts of the day (a split and a join are
verdicts too), and no one else's: the candidate's latest verdict must be theirs. Each verdict
pushed what it changed onto its candidate (``matching/steward.py`` ``_keep_undo``); undo pops it:

* the records the verdict touched go back to the persons they had, under the ids they had (an
  id a SAME absorbed is in use again and its pointer goes; ids a split made point at the person
  they went back to), each linked as it was before; records linked to those persons since stay
  with the part most of their person's records return to;
* the candidate takes back the state it had (open again, or the verdict before), the undone line
  of its history marked, not removed; a candidate a split or join made for itself goes.

Candidates the verdict settled (removed from the queue) come back with the next ``hub match``.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections import Counter
from typing import Any

import pandas as pd

from graph_schema import queries, steward_queries
from graph_schema.port import GraphStore, Row
from hub.errors import InputError, quote
from matching.extract import COLUMNS, Resolutions
from matching.judgement import Judgement
from matching.resolve import write_persons
from matching.steward import Verdict

UNDO_LIMIT = 10


class CannotUndo(InputError):
    """The verdict is not one the caller may undo (someone else's, older, or not kept)."""


# The offices' day: Western Indonesian Time (Central Java), UTC+7 all year (no daylight saving).
WIB = dt.timezone(dt.timedelta(hours=7), "WIB")


def today(now: dt.datetime | None = None) -> str:
    """When the offices' day began (midnight WIB), as a UTC stamp in the form ``decided_at`` is kept in,
    so that ``decided_at >= today()`` holds for the verdicts of the steward's own day: one given at
    06:30 WIB (23:30 UTC the evening before) is today's, not yesterday's."""
    local = (now or dt.datetime.now(dt.UTC)).astimezone(WIB)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight.astimezone(dt.UTC).isoformat(timespec="seconds")


async def own_verdicts(store: GraphStore, by: str, day: str | None = None) -> list[Row]:
    """``by``'s verdicts of the day that still stand, newest first: the ones they may undo."""
    return await store.run(steward_queries.OWN_VERDICTS_SINCE, {"by": by, "day": day or today(), "limit": UNDO_LIMIT})


async def undo_verdict(store: GraphStore, candidate_id: str, by: str) -> Verdict:
    """Undo ``by``'s latest verdict on the candidate; ``found`` False: no such candidate.

    Raises:
        CannotUndo: the latest verdict is someone else's, or not among ``by``'s last ten of the day,
            or was given before undo was kept.
    """
    rows = await store.run(steward_queries.CANDIDATE_STATE, {"candidate_id": candidate_id})
    if not rows:
        return Verdict(False, Judgement.UNSURE)
    state = rows[0]
    if state["decision"] is None or state["decided_by"] != by:
        raise CannotUndo(f"candidateId: {quote(candidate_id)} has no verdict of yours to undo; a steward undoes only "
                         "their own verdicts")
    if candidate_id not in {r["candidate_id"] for r in await own_verdicts(store, by)}:
        raise CannotUndo(f"candidateId: the verdict on {quote(candidate_id)} is not among your last {UNDO_LIMIT} "
                         "verdicts of today; ask another steward to judge it again")
    entries: list[dict[str, Any]] = json.loads(state["undo"] or "[]")
    if not entries:
        raise CannotUndo(f"candidateId: the verdict on {quote(candidate_id)} was given before verdicts could be "
                         "undone; judge it again instead")
    entry = entries.pop()
    persons_before, persons_after, moved = await _restore_persons(store, entry["records"])
    if entry["state"] is None:
        await store.run(steward_queries.DELETE_CANDIDATE, {"candidate_id": candidate_id}, write=True)
    else:
        await store.run(steward_queries.RESTORE_CANDIDATE, {
            "candidate_id": candidate_id, **entry["state"], "history": _mark_undone(state["history"], by),
            "undo": json.dumps(entries) if entries else None}, write=True)
    return Verdict(True, Judgement(state["decision"]), persons_before, persons_after, moved)


def _mark_undone(history: str | None, by: str) -> str:
    """The history with its latest standing verdict marked undone (kept: the trail stays whole)."""
    lines = [line for line in (history or "").splitlines() if line.strip()]
    at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    for i in range(len(lines) - 1, -1, -1):
        entry = json.loads(lines[i])
        if "undone_at" not in entry:
            lines[i] = json.dumps({**entry, "undone_at": at, "undone_by": by})
            break
    return "".join(line + "\n" for line in lines)


async def _restore_persons(store: GraphStore, before: dict[str, list[Any]]) -> tuple[tuple[str, ...], tuple[str, ...],
                                                                                     int]:
    """Put the records back with the persons they had; the persons before and after, and records moved."""
    if not before:
        return (), (), 0
    now = {r["record_id"]: r["person_id"] for r in await store.run(steward_queries.PERSONS_OF_RECORDS,
                                                                   {"ids": sorted(before)})}
    persons = sorted(set(now.values()))
    if all(now.get(r) == held[0] for r, held in before.items()):
        return tuple(persons), tuple(persons), 0
    frame = pd.DataFrame(await store.run(queries.RECORDS_OF_PERSONS, {"person_ids": persons}))
    current = dict(zip(frame["record_id"], frame["person_id"], strict=True))
    # Records linked since the verdict follow the part most of their person's records go back to.
    returning: dict[str, Counter[str]] = {}
    for record, person in current.items():
        if record in before:
            returning.setdefault(person, Counter())[before[record][0]] += 1
    target = {r: before[r][0] if r in before else returning.get(p, Counter({p: 1})).most_common(1)[0][0]
              for r, p in current.items()}
    clusters = {pid: i for i, pid in enumerate(sorted(set(target.values())))}
    methods = {r: before[r][1] if r in before else m for r, m in zip(frame["record_id"], frame["method"], strict=True)}
    probability = {r: before[r][2] if r in before else p
                   for r, p in zip(frame["record_id"], frame["probability"], strict=True)}
    records = list(frame["record_id"])
    assigned = pd.DataFrame({"record_id": records, "cluster": [clusters[target[r]] for r in records],
                             "method": [methods[r] or "single" for r in records],
                             "probability": [float(1.0 if pd.isna(probability[r]) else probability[r])
                                             for r in records]})
    resolutions = Resolutions(current, {r: (m, float(p or 0.0)) for r, m, p in
                                        zip(frame["record_id"], frame["method"], frame["probability"], strict=True)})
    identity = frame.reindex(columns=COLUMNS).astype(object)
    identity = identity.where(identity.notna(), None)
    report = await write_persons(store, assigned, identity, resolutions, run_id="undo-" + uuid.uuid4().hex[:8],
                                 only_persons=persons, prefer=target)
    after = {r["person_id"] for r in await store.run(steward_queries.PERSONS_OF_RECORDS, {"ids": records})}
    return tuple(persons), tuple(sorted(after)), report.relinked
