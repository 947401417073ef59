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
from collections import Counter
from dataclasses import dataclass

import pandas as pd

from graph_schema import queries
from graph_schema.port import GraphStore, Statement


@dataclass(frozen=True)
class ResolveReport:
    persons: int
    records: int
    relinked: int
    new_persons: int


def _new_id(record_ids: list[str]) -> str:
    return "PRS-" + hashlib.sha256(min(record_ids).encode()).hexdigest()[:12].upper()


def most_common(frame: pd.DataFrame, key: str, column: str) -> pd.Series:
    """Per ``key``, the most frequent non-null value of ``column`` (ties: the smallest)."""
    present = frame[[key, column]].dropna()
    if present.empty:
        return pd.Series(dtype=object)
    counts = present.groupby([key, column]).size().reset_index(name="n")
    counts = counts.sort_values([key, "n", column], ascending=[True, False, True])
    return counts.drop_duplicates(key).set_index(key)[column]


def person_ids(assigned: pd.DataFrame, previous: dict[str, str]) -> dict[int, str]:
    """cluster -> person_id, reusing the id most of a cluster's records had (each id used once)."""
    out: dict[int, str] = {}
    taken: set[str] = set()
    groups = assigned.groupby("cluster")["record_id"].apply(list)
    # Larger clusters choose first, so a split leaves the old id with its larger part.
    for cluster_id, records in sorted(groups.items(), key=lambda kv: -len(kv[1])):
        votes = Counter(previous[r] for r in records if r in previous)
        chosen = next((pid for pid, _ in votes.most_common() if pid not in taken), None)
        out[int(str(cluster_id))] = chosen or _new_id(records)
        taken.add(out[int(str(cluster_id))])
    return out


async def write_persons(store: GraphStore, assigned: pd.DataFrame, records: pd.DataFrame,
                        previous: dict[str, str], run_id: str, batch_size: int = 5000) -> ResolveReport:
    ids = person_ids(assigned, previous)
    frame = assigned.merge(records, on="record_id", how="left")
    frame["person_id"] = frame["cluster"].map(ids)
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    # The best value of each field: the most frequent one among the person's records (for the
    # NIK, among the records whose NIK was trusted, if any).
    best = pd.DataFrame({column: most_common(frame, "person_id", column)
                         for column in ("name", "birth_date", "sex", "kk", "mother_name", "region_code", "nik")})
    trusted = most_common(frame[frame["method"] == "nik"], "person_id", "nik")
    best.loc[trusted.index, "nik"] = trusted
    sizes = frame.groupby("person_id").size()
    best_by_person = best.to_dict("index")
    persons = []
    for person_id, count in sizes.items():
        props = {k: v for k, v in best_by_person.get(person_id, {}).items() if isinstance(v, str)}
        persons.append({"person_id": person_id, "props": {**props, "updated_at": now, "record_count": int(count)}})
    moved = [{"record_id": r, "person_id": previous[r], "source": r.split(":", 1)[0], "source_key": r.split(":", 1)[1]}
             for r, p in zip(frame["record_id"], frame["person_id"], strict=True) if r in previous and previous[r] != p]
    links = [{"start": {"record_id": r}, "end": {"person_id": p},
              "props": {"method": m, "probability": float(pr), "linked_at": now, "run_id": run_id}}
             for r, p, m, pr in zip(frame["record_id"], frame["person_id"], frame["method"], frame["probability"],
                                    strict=True)]
    for start in range(0, max(len(persons), len(links), len(moved)), batch_size):
        statements = []
        if moved[start:start + batch_size]:
            rows = {"rows": moved[start:start + batch_size]}
            statements += [Statement(queries.DELETE_MOVED_FACTS, rows), Statement(queries.DELETE_MOVED_SUBJECTS, rows),
                           Statement(queries.UNLINK_RECORDS, rows)]
        if persons[start:start + batch_size]:
            statements.append(Statement(queries.UPSERT_PERSONS, {"rows": persons[start:start + batch_size]}))
        await store.run_batch(statements)
    for start in range(0, len(links), batch_size):
        await store.run_batch([Statement(queries.LINK_RECORDS_TO_PERSONS, {"rows": links[start:start + batch_size]})])
    await store.run(queries.DELETE_ORPHAN_PERSONS, write=True)
    for projection in queries.PERSON_FACT_PROJECTIONS:
        await store.run(projection, write=True)
    known = set(previous.values())
    return ResolveReport(len(persons), len(frame), len(moved), sum(1 for p in ids.values() if p not in known))
