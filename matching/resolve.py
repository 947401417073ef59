"""The writer of links: persons with stable ids, each record's RESOLVES_TO, and the person-level
facts (ENROLLED_IN, HAS_CONDITION, RESIDENT_OF, MEMBER_OF, ABOUT) projected from the records.

Kept apart from the scorer (``model.py``): scoring reads, this module is the only one that
changes who is who. A cluster keeps the person id most of its records already had, so ids
survive reruns and new records joining; a cluster with no prior person gets an id derived
from its smallest record id (the same on every run over the same records).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import Counter
from dataclasses import dataclass

import pandas as pd

from graph_schema import queries
from graph_schema.port import GraphStore, Statement
from graph_schema.statistics_queries import mark_data_changed
from matching.extract import Resolutions
from matching.identity import coherent, conflict_rank, conflicts, disowned_nik, home_regions, most_common
from matching.search_names import search_names

# A person's best values besides the NIK, each the most frequent among its records that agree.
BEST_FIELDS = ("name", "birth_date", "sex", "kk", "mother_name", "region_code")


@dataclass(frozen=True)
class ResolveReport:
    persons: int
    records: int
    relinked: int
    new_persons: int
    changes: int


def _new_id(record_ids: list[str]) -> str:
    return "PRS-" + hashlib.sha256(min(record_ids).encode()).hexdigest()[:12].upper()


def person_ids(assigned: pd.DataFrame, previous: dict[str, str], retire: frozenset[str] = frozenset(),
               prefer: dict[str, str] | None = None) -> dict[int, str]:
    """cluster -> person_id, reusing the id most of a cluster's records had (each id used once).

    Ids in ``retire`` (a steward's split) are not reused: every part gets a new id, derived from
    its records and the id it leaves, so never the retired one again. ``prefer``: the id a record
    votes for instead of its current one (an undone verdict gives the records their ids back).
    """
    prefer = prefer or {}
    out: dict[int, str] = {}
    taken: set[str] = set(retire)
    groups = assigned.groupby("cluster")["record_id"].apply(list)
    # Larger clusters choose first, so a split leaves the old id with its larger part.
    for cluster_id, records in sorted(groups.items(), key=lambda kv: -len(kv[1])):
        votes = Counter(prefer.get(r) or previous[r] for r in records if r in previous or r in prefer)
        chosen = next((pid for pid, _ in votes.most_common() if pid not in taken), None)
        if chosen is None:
            chosen = _new_id(records)
            if chosen in taken:
                left = sorted({previous[r] for r in records if r in previous} & retire)
                chosen = _new_id([min(records) + "|split from " + ",".join(left)])
        out[int(str(cluster_id))] = chosen
        taken.add(chosen)
    return out


def earlier(frame: pd.DataFrame, previous: dict[str, str]) -> pd.DataFrame:
    """The rows of records that had a person before this run, with that person as ``before``."""
    return frame[frame["record_id"].isin(previous.keys())].assign(before=lambda f: f["record_id"].map(previous))


def identity_changes(had: pd.DataFrame, run_id: str, at: str) -> list[dict[str, str]]:
    """History entries for persons that merged or split in this run, with what caused it.

    A merge: one person now holds records of several earlier persons; the cause is how the
    records of the absorbed persons are linked now (steward, NIK, Splink, reference). A split:
    one earlier person's records now belong to several persons. ``had``: see ``earlier``.
    """
    entries: list[dict[str, str]] = []
    # Only the few persons whose records came from another earlier person are looked at one by
    # one (grouping every person made this the slowest step of writing a run's persons).
    arrived = had[had["before"] != had["person_id"]]
    for person_id, moved in arrived.groupby("person_id"):
        absorbed = sorted(set(moved["before"]))
        cause = ", ".join(sorted(set(moved["method"])))
        entries.append({"person_id": str(person_id), "entry": json.dumps({
            "kind": "merge", "run_id": run_id, "at": at, "absorbed": absorbed,
            "records": len(moved), "linked_by": cause}) + "\n"})
    parted = had.groupby("before")["person_id"].nunique()
    for before, group in had[had["before"].isin(parted[parted > 1].index)].groupby("before"):
        parts = sorted(set(group["person_id"]))
        for part in parts:
            entries.append({"person_id": str(part), "entry": json.dumps({
                "kind": "split", "run_id": run_id, "at": at, "from": before, "into": parts,
                "cause": "no longer linked to the rest (a steward's DIFFERENT, changed records or a retrained model)",
            }) + "\n"})
    return entries


def redirects(had: pd.DataFrame, current: set[str], run_id: str, at: str) -> list[dict[str, object]]:
    """A pointer from each person id this run retired to the persons its records belong to now.
    ``had``: see ``earlier``; only the retired ids are grouped, not every earlier person."""
    rows: list[dict[str, object]] = []
    retired = had[~had["before"].isin(current)]
    for old_id, now_ids in retired.groupby("before")["person_id"]:
        to = sorted(set(now_ids))
        rows.append({"person_id": str(old_id), "to": to, "kind": "merge" if len(to) == 1 else "split",
                     "at": at, "run_id": run_id})
    return rows


async def write_persons(store: GraphStore, assigned: pd.DataFrame, records: pd.DataFrame,
                        resolutions: Resolutions, run_id: str, batch_size: int = 5000,
                        only_persons: list[str] | None = None, retire: set[str] | None = None,
                        prefer: dict[str, str] | None = None) -> ResolveReport:
    """Write persons, links, history and projected facts for ``assigned``.

    ``only_persons``: the persons ``assigned`` covers when it is not every record (a steward's
    verdict); facts are then projected for them alone. ``retire``: person ids no part may keep
    (a steward's split, see ``person_ids``). ``prefer``: record -> the id it votes for (see ``person_ids``).
    """
    previous = resolutions.person
    ids = person_ids(assigned, previous, frozenset(retire or ()), prefer)
    frame = assigned.merge(records, on="record_id", how="left")
    frame["person_id"] = frame["cluster"].map(ids)
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    # The best value of each field: the most frequent one among the person's records that agree
    # with its identity (never a blend of two people's: see matching/identity.py), and for the
    # NIK, among the records whose NIK was trusted, if any.
    agreeing = frame[coherent(frame)]
    best = pd.DataFrame({column: most_common(agreeing, "person_id", column) for column in BEST_FIELDS})
    # A NIK its own record contradicts is someone else's (a relative's typed into the row): it never
    # names the record's person, so a lookup by it finds no one rather than the wrong person.
    owned = agreeing[~disowned_nik(agreeing)]
    best["nik"] = most_common(owned, "person_id", "nik")
    trusted = most_common(owned[owned["method"] == "nik"], "person_id", "nik")
    best.loc[trusted.index, "nik"] = trusted
    niks = owned[["person_id", "nik"]].dropna().groupby("person_id")["nik"].agg(lambda n: sorted(set(n)))
    best["region_code"] = home_regions(agreeing, best["kk"])
    best["search_names"] = search_names(frame)  # every record's name, folded: what search finds them by
    sizes = frame.groupby("person_id").size()
    best_by_person = best.to_dict("index")
    disagree = conflicts(frame)
    persons = []
    for person_id, count in sizes.items():
        props: dict[str, str] = {str(k): v for k, v in best_by_person.get(person_id, {}).items() if isinstance(v, str)}
        # Every best value is written, a missing one as null: no record of the person states it any
        # more (a row cleared, the record that said it gone), and a value kept from before would be
        # one that nothing in the hub says now.
        persons.append({"person_id": person_id, "props": {
            **dict.fromkeys(("nik", *BEST_FIELDS)), **props, "niks": niks.get(person_id, []), "updated_at": now,
            "record_count": int(count),
            "conflicts": disagree.get(str(person_id)),
            "conflict_rank": conflict_rank(disagree.get(str(person_id)))}})
    # Only links that are new or different are written: a rerun over unchanged data writes none.
    links = [{"start": {"record_id": r}, "end": {"person_id": p},
              "props": {"method": m, "probability": float(pr), "linked_at": now, "run_id": run_id}}
             for r, p, m, pr in zip(frame["record_id"], frame["person_id"], frame["method"], frame["probability"],
                                    strict=True)
             if previous.get(r) != p or resolutions.how.get(r) != (m, float(pr))]
    moved = [{**link, "record_id": r, "person_id": previous[r], "source": r.split(":", 1)[0],
              "source_key": r.split(":", 1)[1]}
             for link in links if (r := link["start"]["record_id"]) in previous and previous[r] != link["end"]["person_id"]]
    # Persons first, then the moves (each record leaves its old person and joins its new one in one
    # statement), then the other links: a write cut short anywhere leaves every record with one person.
    for start in range(0, len(persons), batch_size):
        await store.run_batch([Statement(queries.UPSERT_PERSONS, {"rows": persons[start:start + batch_size]})])
    for start in range(0, len(moved), batch_size):
        rows = {"rows": moved[start:start + batch_size]}
        await store.run_batch([Statement(queries.DELETE_MOVED_FACTS, rows), Statement(queries.DELETE_MOVED_SUBJECTS, rows),
                               Statement(queries.MOVE_RECORDS, rows)])
    moving = {m["record_id"] for m in moved}
    stayed = [link for link in links if link["start"]["record_id"] not in moving]
    for start in range(0, len(stayed), batch_size):
        await store.run_batch([Statement(queries.LINK_RECORDS_TO_PERSONS, {"rows": stayed[start:start + batch_size]})])
    had = earlier(frame, previous)
    retired = redirects(had, set(ids.values()), run_id, now)
    if retired:
        await store.run(queries.UPSERT_PERSON_REDIRECTS, {"rows": retired}, write=True)
    # An id this run gives that was not in use before may be a retired one coming back (a verdict reversed).
    await store.run(queries.DELETE_PERSON_REDIRECTS, {"ids": sorted(set(ids.values()) - set(previous.values()))},
                    write=True)
    changes = identity_changes(had, run_id, now)
    for start in range(0, len(changes), batch_size):
        await store.run(queries.APPEND_PERSON_HISTORY, {"rows": changes[start:start + batch_size]}, write=True)
    if only_persons is None:
        await store.run(queries.DELETE_ORPHAN_PERSONS, write=True)
    else:  # only the persons given can have lost their last record: no scan of every person
        await store.run(queries.DELETE_ORPHAN_PERSONS_AMONG, {"person_ids": sorted(set(only_persons))}, write=True)
    if only_persons is None:
        for projection in queries.PERSON_FACT_PROJECTIONS:
            await store.run(projection, write=True)
    else:
        scope = {"person_ids": sorted(set(only_persons) | set(ids.values()))}
        for projection in queries.PERSON_FACT_PROJECTIONS_FOR_PERSONS:
            await store.run(projection, scope, write=True)
    await mark_data_changed(store)  # persons changed: cached statistics lapse (resolvers/stats_cache.py)
    known = set(previous.values())
    return ResolveReport(len(persons), len(frame), len(moved), sum(1 for p in ids.values() if p not in known),
                         len(changes))
