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
import math
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, cast

import pandas as pd

from graph_schema import queries
from graph_schema.port import GraphStore, Statement
from graph_schema.statistics_queries import data_changed
from matching.extract import Resolutions
from matching.features import number
from matching.identity import (
    coherent,
    conflict_rank,
    conflicts,
    disowned_nik,
    home_regions,
    met,
    most_common,
    most_common_of,
)
from matching.membership import absent, within
from matching.names import fold_name
from matching.search_names import SEPARATOR, search_names

# Why a person's records parted, in its history.
SPLIT_CAUSE = "no longer linked to the rest (a steward's DIFFERENT, changed records or a retrained model)"
# A person's best values besides the NIK, each the most frequent among its records that agree.
BEST_FIELDS = ("name", "birth_date", "sex", "kk", "mother_name", "region_code")


@dataclass(frozen=True)
class ResolveReport:
    persons: int
    records: int
    relinked: int
    new_persons: int
    changes: int
    # Seconds per part of the write (plan, persons, moves, links, ..., facts), where it ran part by part.
    seconds: dict[str, float] = field(default_factory=dict)


def _new_id(record_ids: list[str]) -> str:
    return "PRS-" + hashlib.sha256(min(record_ids).encode()).hexdigest()[:12].upper()


def person_ids(assigned: pd.DataFrame, previous: dict[str, str], retire: frozenset[str] = frozenset(),
               prefer: dict[str, str] | None = None) -> dict[int, str]:
    """cluster -> person_id, reusing the id most of a cluster's records had (each id used once).

    Ids in ``retire`` (a steward's split) are not reused: every part gets a new id, derived from
    its records and the id it leaves, so never the retired one again. ``prefer``: the id a record
    votes for instead of its current one (an undone verdict gives the records their ids back).
    """
    # Grouped in Python: as fast as pandas' groupby for a run's million records, and a live link's
    # few do not pay its fixed cost.
    members: dict[Any, list[str]] = {}
    for cluster_id, record in zip(assigned["cluster"].tolist(), assigned["record_id"].tolist(), strict=True):
        if not absent(cluster_id):
            members.setdefault(cluster_id, []).append(record)
    groups = [(c, members[c]) for c in sorted(members)]
    prefer = prefer or {}
    out: dict[int, str] = {}
    taken: set[str] = set(retire)
    # Larger clusters choose first, so a split leaves the old id with its larger part.
    for cluster_id, records in sorted(groups, key=lambda kv: -len(kv[1])):
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
    return frame[within(frame["record_id"], previous.keys())].assign(before=lambda f: f["record_id"].map(previous))


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
                "cause": SPLIT_CAUSE,
            }) + "\n"})
    return entries


def redirects(had: pd.DataFrame, current: set[str], run_id: str, at: str) -> list[dict[str, object]]:
    """A pointer from each person id this run retired to the persons its records belong to now.
    ``had``: see ``earlier``; only the retired ids are grouped, not every earlier person."""
    rows: list[dict[str, object]] = []
    retired = had[~within(had["before"], current)]
    for old_id, now_ids in retired.groupby("before")["person_id"]:
        to = sorted(set(now_ids))
        rows.append({"person_id": str(old_id), "to": to, "kind": "merge" if len(to) == 1 else "split",
                     "at": at, "run_id": run_id})
    return rows


@dataclass(frozen=True)
class Plan:
    """What ``write_persons`` writes, worked out before anything is written."""

    ids: dict[int, str]  # cluster -> person id
    persons: list[dict[str, Any]]  # UPSERT_PERSONS rows
    links: list[dict[str, Any]]  # RESOLVES_TO links that are new or different
    moved: list[dict[str, Any]]  # those of records leaving an earlier person
    redirects: list[dict[str, object]]
    changes: list[dict[str, str]]  # history entries
    records: int


# Up to this many records (a live link's, a verdict's) the plan is made in Python, row by row:
# pandas' merge, grouping and frame building cost ~70 ms a single-row write whatever the size.
# tests/matching/test_resolve_plan.py keeps the two equal.
SMALL_PLAN = 10_000


def plan_persons(assigned: pd.DataFrame, records: pd.DataFrame, resolutions: Resolutions, run_id: str, now: str,
                 retire: frozenset[str] = frozenset(), prefer: dict[str, str] | None = None) -> Plan:
    """Persons, links, moves, redirects and history for ``assigned`` (see ``write_persons``)."""
    if len(assigned) <= SMALL_PLAN and "person_id" not in records and not (set(assigned) & set(records)) - {"record_id"}:
        return _plan_counted(assigned, records, resolutions, run_id, now, retire, prefer)
    return _plan_grouped(assigned, records, resolutions, run_id, now, retire, prefer)


def _plan_grouped(assigned: pd.DataFrame, records: pd.DataFrame, resolutions: Resolutions, run_id: str, now: str,
                  retire: frozenset[str], prefer: dict[str, str] | None) -> Plan:
    previous = resolutions.person
    ids = person_ids(assigned, previous, retire, prefer)
    frame = assigned.merge(records, on="record_id", how="left")
    frame["person_id"] = frame["cluster"].map(ids)
    # The best value of each field: the most frequent one among the person's records that agree
    # with its identity (never a blend of two people's: see matching/identity.py), and for the
    # NIK, among the records whose NIK was trusted, if any.
    agreeing = frame[coherent(frame)]
    best = pd.DataFrame({column: most_common(agreeing, "person_id", column) for column in BEST_FIELDS})
    # A street encounter's name is a call name ("IAN" for IAN SABAR HARYANTO): it names the person
    # only where no registered record of theirs states a name.
    best["name"] = most_common(agreeing[~met(agreeing)], "person_id", "name").combine_first(best["name"])
    # A NIK its own record contradicts is someone else's (a relative's typed into the row): it never
    # names the record's person, so a lookup by it finds no one rather than the wrong person.
    owned = agreeing[~disowned_nik(agreeing)]
    trusted = most_common(owned[owned["method"] == "nik"], "person_id", "nik")
    nik = trusted.combine_first(most_common(owned, "person_id", "nik"))
    # A person whose records state a NIK and nothing else has it too (a person of their own).
    best = best.reindex(best.index.union(nik.index))
    best["nik"] = nik
    niks = owned[["person_id", "nik"]].dropna().groupby("person_id")["nik"].agg(lambda n: sorted(set(n)))
    best["region_code"] = home_regions(agreeing, best["kk"])
    best["search_names"] = search_names(frame)  # every record's name, folded: what search finds them by
    sizes = frame.groupby("person_id").size()
    had = earlier(frame, previous)
    best_of = cast(dict[Any, dict[str, Any]], best.to_dict("index"))
    return _plan(ids, frame, best_of, niks.to_dict(), sizes.to_dict(), resolutions, run_id, now,
                 redirects(had, set(ids.values()), run_id, now), identity_changes(had, run_id, now))


def _plan(ids: dict[int, str], frame: pd.DataFrame, best: dict[Any, dict[str, Any]], niks: dict[Any, list[str]],
          sizes: dict[Any, int], resolutions: Resolutions, run_id: str, now: str, retired: list[dict[str, object]],
          changes: list[dict[str, str]]) -> Plan:
    """The rows to write, from the persons' best values, NIKs and sizes (both twins end here)."""
    previous = resolutions.person
    disagree = conflicts(frame)
    persons = []
    for person_id in sorted(sizes):
        props: dict[str, str] = {str(k): v for k, v in best.get(person_id, {}).items() if isinstance(v, str)}
        # Every best value is written, a missing one as null: no record of the person states it any
        # more (a row cleared, the record that said it gone), and a value kept from before would be
        # one that nothing in the hub says now.
        persons.append({"person_id": person_id, "props": {
            **dict.fromkeys(("nik", *BEST_FIELDS)), **props, "niks": niks.get(person_id, []), "updated_at": now,
            "record_count": int(sizes[person_id]),
            "conflicts": disagree.get(str(person_id)),
            "conflict_rank": conflict_rank(disagree.get(str(person_id)))}})
    # Only links that are new or different are written: a rerun over unchanged data writes none.
    links = [{"start": {"record_id": r}, "end": {"person_id": p},
              "props": {"method": m, "probability": float(pr), "linked_at": now, "run_id": run_id}}
             for r, p, m, pr in zip(frame["record_id"].tolist(), frame["person_id"].tolist(), frame["method"].tolist(),
                                    frame["probability"].tolist(), strict=True)
             if previous.get(r) != p or resolutions.how.get(r) != (m, float(pr))]
    moved = [{**link, "record_id": r, "person_id": previous[r], "source": r.split(":", 1)[0],
              "source_key": r.split(":", 1)[1]}
             for link in links if (r := link["start"]["record_id"]) in previous and previous[r] != link["end"]["person_id"]]
    return Plan(ids, persons, links, moved, retired, changes, len(frame))


def _plan_counted(assigned: pd.DataFrame, records: pd.DataFrame, resolutions: Resolutions, run_id: str, now: str,
                  retire: frozenset[str], prefer: dict[str, str] | None) -> Plan:
    """``_plan_grouped`` for a few records, row by row in Python: the same plan."""
    previous = resolutions.person
    ids = person_ids(assigned, previous, retire, prefer)
    frame = _joined(assigned, records, ids)
    agree = coherent(frame).tolist()
    disowned = _disowned_counted(frame)
    column = {c: frame[c].tolist() for c in dict.fromkeys(("person_id", "name", "nik", "method", *BEST_FIELDS))}
    encounter = met(frame).tolist()
    votes: dict[str, dict[Any, Counter[Any]]] = {c: {} for c in BEST_FIELDS}
    registered_names: dict[Any, Counter[Any]] = {}  # an encounter's name is a call name (see _plan_grouped)
    nik_votes: dict[Any, Counter[Any]] = {}
    trusted_votes: dict[Any, Counter[Any]] = {}
    owned: dict[Any, set[Any]] = {}
    names: dict[Any, set[Any]] = {}
    sizes: Counter[Any] = Counter()
    for i, person in enumerate(column["person_id"]):
        if absent(person):
            continue
        sizes[person] += 1
        if not absent(column["name"][i]):
            names.setdefault(person, set()).add(column["name"][i])
        if not agree[i]:
            continue
        for c in BEST_FIELDS:
            if not absent(column[c][i]):
                votes[c].setdefault(person, Counter())[column[c][i]] += 1
        if not encounter[i] and not absent(column["name"][i]):
            registered_names.setdefault(person, Counter())[column["name"][i]] += 1
        nik = column["nik"][i]
        if disowned[i] or absent(nik):
            continue
        nik_votes.setdefault(person, Counter())[nik] += 1
        owned.setdefault(person, set()).add(nik)
        if column["method"][i] == "nik":
            trusted_votes.setdefault(person, Counter())[nik] += 1
    best_of = {c: most_common_of(votes[c]) for c in BEST_FIELDS}
    best_of["name"] |= most_common_of(registered_names)
    nik_of = most_common_of(nik_votes) | most_common_of(trusted_votes)
    region_of = home_regions(frame[pd.Series(agree, index=frame.index, dtype=bool)],
                             pd.Series(best_of["kk"], dtype=object).rename_axis("person_id")).to_dict()
    folded = {name: fold_name(name) for held in names.values() for name in held}
    searched = {person: SEPARATOR.join(sorted(forms)) for person, held in names.items()
                if (forms := {f for name in held if (f := folded[name]) is not None})}
    best: dict[Any, dict[str, Any]] = {}
    for c in BEST_FIELDS:
        for person, value in best_of[c].items():
            best.setdefault(person, {})[c] = value
    for person in nik_of:  # a person whose records state a NIK and nothing else has it too
        best.setdefault(person, {})
    for person, values in best.items():
        values |= {"region_code": region_of.get(person), "nik": nik_of.get(person), "search_names": searched.get(person)}
    had = [(r, previous[r], p, m) for r, p, m in zip(frame["record_id"].tolist(), column["person_id"], column["method"],
                                                      strict=True) if r in previous]
    return _plan(ids, frame, best, {p: sorted(n) for p, n in owned.items()}, dict(sizes), resolutions, run_id, now,
                 _redirects_counted(had, set(ids.values()), run_id, now), _identity_changes_counted(had, run_id, now))


def _joined(assigned: pd.DataFrame, records: pd.DataFrame, ids: dict[int, str]) -> pd.DataFrame:
    """``assigned`` left-joined with ``records`` on record_id, and each row's person: as the
    grouped plan's merge gives it (a record listed twice gives two rows), as objects."""
    at: dict[Any, list[int]] = {}
    for j, record in enumerate(records["record_id"].tolist()):
        at.setdefault(record, []).append(j)
    left = dict(zip(assigned.columns, assigned.to_numpy(dtype=object).T.tolist(), strict=True))
    # Every column of the records in one conversion, not a pandas read each.
    right = {c: values for c, values in zip(records.columns, records.to_numpy(dtype=object).T.tolist(), strict=True)
             if c != "record_id"}
    out: dict[str, list[Any]] = {c: [] for c in (*left, *right)}
    for i, record in enumerate(left["record_id"]):
        for j in at.get(record, [-1]):
            for c, values in left.items():
                out[c].append(values[i])
            for c, values in right.items():
                out[c].append(None if j < 0 else values[j])
    out["person_id"] = [ids.get(c) for c in out["cluster"]]
    return pd.DataFrame(out, columns=list(out), dtype=object)


def _disowned_counted(frame: pd.DataFrame) -> list[bool]:
    """``identity.disowned_nik`` row by row."""
    out = []
    for nik, nik_date, year, sex, nik_sex, date in zip(*(frame[c].tolist() for c in (
            "nik", "nik_birth_date", "birth_year", "sex", "nik_sex", "birth_date")), strict=True):
        nik_year = math.nan if absent(nik_date) else number(str(nik_date)[:4])
        stated = number(year)
        other_year = nik_year == nik_year and stated == stated and nik_year != stated
        other_sex = not absent(sex) and not absent(nik_sex) and sex != nik_sex
        same_date = not absent(date) and not absent(nik_date) and date == nik_date
        out.append(not absent(nik) and (other_year or (other_sex and not same_date)))
    return out


def _redirects_counted(had: list[tuple[str, str, Any, Any]], current: set[str], run_id: str,
                       at: str) -> list[dict[str, object]]:
    """``redirects`` of ``had`` rows (record, before, person now, method)."""
    now_of: dict[str, set[Any]] = {}
    for _, before, person, _ in had:
        if before not in current:
            now_of.setdefault(before, set())
            if not absent(person):
                now_of[before].add(person)
    return [{"person_id": str(old), "to": sorted(to), "kind": "merge" if len(to) == 1 else "split", "at": at,
             "run_id": run_id} for old, to in sorted(now_of.items())]


def _identity_changes_counted(had: list[tuple[str, str, Any, Any]], run_id: str, at: str) -> list[dict[str, str]]:
    """``identity_changes`` of ``had`` rows (record, before, person now, method)."""
    entries: list[dict[str, str]] = []
    arrived: dict[Any, list[tuple[str, Any]]] = {}
    parts: dict[str, set[Any]] = {}
    for _, before, person, method in had:
        if absent(person):
            continue
        if before != person:
            arrived.setdefault(person, []).append((before, method))
        parts.setdefault(before, set()).add(person)
    for person, moved in sorted(arrived.items()):
        entries.append({"person_id": str(person), "entry": json.dumps({
            "kind": "merge", "run_id": run_id, "at": at, "absorbed": sorted({b for b, _ in moved}),
            "records": len(moved), "linked_by": ", ".join(sorted({m for _, m in moved}))}) + "\n"})
    for before, into in sorted(parts.items()):
        if len(into) > 1:
            for part in sorted(into):
                entries.append({"person_id": str(part), "entry": json.dumps({
                    "kind": "split", "run_id": run_id, "at": at, "from": before, "into": sorted(into),
                    "cause": SPLIT_CAUSE}) + "\n"})
    return entries


async def write_persons(store: GraphStore, assigned: pd.DataFrame, records: pd.DataFrame,
                        resolutions: Resolutions, run_id: str, batch_size: int = 5000,
                        only_persons: list[str] | None = None, retire: set[str] | None = None,
                        prefer: dict[str, str] | None = None) -> ResolveReport:
    """Write persons, links, history and projected facts for ``assigned``.

    ``only_persons``: the persons ``assigned`` covers when it is not every record (a steward's
    verdict); facts are then projected for them alone. ``retire``: person ids no part may keep
    (a steward's split, see ``person_ids``). ``prefer``: record -> the id it votes for (see ``person_ids``).
    """
    started = time.perf_counter()
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    plan = plan_persons(assigned, records, resolutions, run_id, now, frozenset(retire or ()), prefer)
    ids, persons, links, moved = plan.ids, plan.persons, plan.links, plan.moved
    previous = resolutions.person
    # Persons first, then the moves (each record leaves its old person and joins its new one in one
    # statement), then the other links: a write cut short anywhere leaves every record with one person.
    steps: list[tuple[str, list[Statement]]] = []
    for start in range(0, len(persons), batch_size):
        steps.append(("persons", [Statement(queries.UPSERT_PERSONS, {"rows": persons[start:start + batch_size]})]))
    for start in range(0, len(moved), batch_size):
        rows = {"rows": moved[start:start + batch_size]}
        steps.append(("moves", [Statement(queries.DELETE_MOVED_FACTS, rows), Statement(queries.DELETE_MOVED_SUBJECTS, rows),
                                Statement(queries.MOVE_RECORDS, rows)]))
    moving = {m["record_id"] for m in moved}
    stayed = [link for link in links if link["start"]["record_id"] not in moving]
    for start in range(0, len(stayed), batch_size):
        steps.append(("links", [Statement(queries.LINK_RECORDS_TO_PERSONS, {"rows": stayed[start:start + batch_size]})]))
    retired = plan.redirects
    if retired:
        steps.append(("redirects", [Statement(queries.UPSERT_PERSON_REDIRECTS, {"rows": retired})]))
    # An id this run gives that was not in use before may be a retired one coming back (a verdict reversed).
    returning = sorted(set(ids.values()) - set(previous.values()))
    if returning:
        steps.append(("redirects", [Statement(queries.DELETE_PERSON_REDIRECTS, {"ids": returning})]))
    changes = plan.changes
    for start in range(0, len(changes), batch_size):
        steps.append(("history", [Statement(queries.APPEND_PERSON_HISTORY, {"rows": changes[start:start + batch_size]})]))
    if only_persons is None:
        steps.append(("orphans", [Statement(queries.DELETE_ORPHAN_PERSONS, {})]))
        steps += [("facts", [Statement(projection, {})]) for projection in queries.PERSON_FACT_PROJECTIONS]
    else:  # only the persons given can have lost their last record: no scan of every person
        steps.append(("orphans", [Statement(queries.DELETE_ORPHAN_PERSONS_AMONG,
                                            {"person_ids": sorted(set(only_persons))})]))
        scope = {"person_ids": sorted(set(only_persons) | set(ids.values()))}
        steps += [("facts", [Statement(projection, scope)]) for projection in queries.PERSON_FACT_PROJECTIONS_FOR_PERSONS]
    steps.append(("facts", [data_changed()]))  # persons changed: cached statistics lapse (resolvers/stats_cache.py)
    seconds = {"plan": round(time.perf_counter() - started, 3)}
    if only_persons is not None and len(plan.ids) + len(links) <= batch_size:
        # A few persons (a live write's, a verdict's): every step in one pipelined batch, in order.
        await store.run_batch([statement for _, step in steps for statement in step])
    else:
        for part, step in steps:
            began = time.perf_counter()
            await store.run_batch(step)
            seconds[part] = round(seconds.get(part, 0.0) + time.perf_counter() - began, 3)
    known = set(previous.values())
    return ResolveReport(len(persons), plan.records, len(moved), sum(1 for p in ids.values() if p not in known),
                         len(changes), seconds)
