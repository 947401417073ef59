"""The review band: pairs the model is unsure about become MatchCandidates for data stewards.

A pair is asked about only when nothing settles it already: its records are not one person
yet, and no DIFFERENT verdict keeps their persons apart (A != B and B = C settles A-C). The queue
is ordered by how much a decision would change: the record pairs it would join (the product
of the two persons' sizes) weighed by how undecided the model is.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from graph_schema import queries
from graph_schema.port import GraphStore, Row, Statement
from matching.clusters import UnionFind
from matching.judgement import Judgement

COMPARISONS = ["name", "birth", "sex", "mother_folded", "household_place", "nik"]


def cursor_safe(value: float) -> float:
    """``value`` as FalkorDB returns it (text of 15 significant digits), so that a keyset cursor made from
    the value read compares equal to the value stored: a cursor rounded above the stored value brought
    the page's last candidate back on the next page, again and again."""
    return float(f"{float(value):.15g}")


def candidate_id(a: str, b: str) -> str:
    left, right = sorted((a, b))
    return "MC-" + hashlib.sha256(f"{left}|{right}".encode()).hexdigest()[:16].upper()


@dataclass(frozen=True)
class Bound:
    """What stewards' verdicts bind, in records (never in person ids, which merges and splits change).

    SAME binds every record both sides' persons held when it was given into one person; DIFFERENT
    keeps the records of one side apart from those of the other, through any chain of links.
    """

    same: list[tuple[str, str]] = field(default_factory=list)
    different: list[tuple[str, str]] = field(default_factory=list)


def sides_of(row: Row) -> tuple[list[str], list[str]]:
    """The two record sets a verdict binds: as stored with it, else the candidate's two records."""
    records = list(row["records"] or [])
    left = list(row.get("left_records") or records[:1])
    right = list(row.get("right_records") or records[1:2])
    return left, right


async def judged_pairs(store: GraphStore) -> Bound:
    """The record pairs the stewards' verdicts bind: SAME chains each verdict's records, DIFFERENT
    pairs every record of one side with every record of the other; an open held candidate binds
    as DIFFERENT until a steward decides."""
    bound = Bound()
    judged, held = await asyncio.gather(store.run(queries.JUDGED_CANDIDATES), store.run(queries.HELD_CANDIDATES))
    for row in judged:
        left, right = sides_of(row)
        if not left or not right:
            continue
        if row["decision"] == Judgement.SAME:
            first = left[0]
            bound.same.extend((first, other) for other in [*left[1:], *right])
        elif row["decision"] == Judgement.DIFFERENT:
            bound.different.extend((a, b) for a in left for b in right)
    # A held candidate (a link a region-scoped write could not make) keeps its sides apart until decided.
    for row in held:
        left, right = sides_of(row)
        bound.different.extend((a, b) for a in left for b in right)
    return bound


def review_band(pairs: pd.DataFrame, assigned: pd.DataFrame, uf: UnionFind, low: float) -> pd.DataFrame:
    """The band's pairs that are still a question, with their priority."""
    # Pairs at or above ``accept`` that were not joined are a question too (an encounter that fits
    # two registered persons); those kept apart by a verdict are skipped below.
    band = pairs[pairs["evidence"] >= low]
    if band.empty:
        return band.assign(priority=pd.Series(dtype=float))
    cluster_of = dict(zip(assigned["record_id"], assigned["cluster"], strict=True))
    size = Counter(cluster_of.values())
    open_rows = []
    for left, right, probability in zip(band["unique_id_l"].astype(str), band["unique_id_r"].astype(str),
                                        band["match_probability"].astype(float), strict=True):
        if cluster_of[left] == cluster_of[right] or uf.kept_apart(left, right):
            continue
        undecided = 1.0 - abs(2 * probability - 1.0)
        open_rows.append((left, right, size[cluster_of[left]] * size[cluster_of[right]] * (0.5 + undecided),
                          probability, *sorted((cluster_of[left], cluster_of[right]))))
    if not open_rows:  # every pair in the band joined or kept apart (a live link's usual answer)
        return band.head(0).assign(priority=pd.Series(dtype=float))
    keep = pd.DataFrame(open_rows, columns=["unique_id_l", "unique_id_r", "priority", "p", "a", "b"])
    # One question per pair of persons: a verdict on it settles every other pair between them, so
    # the queue shows the strongest record pair once, not each of them.
    keep = keep.sort_values(["p", "unique_id_l", "unique_id_r"], ascending=[False, True, True])
    keep = keep.drop_duplicates(["a", "b"])[["unique_id_l", "unique_id_r", "priority"]]
    return band.merge(keep, on=["unique_id_l", "unique_id_r"])


async def write_candidates(store: GraphStore, band: pd.DataFrame, run_id: str, batch_size: int = 5000,
                           only_records: list[str] | None = None) -> int:
    """Write the band's candidates; undecided candidates this run did not propose again go: every
    such one (a full run), or (``only_records``: live linking) those comparing one of these records."""
    steps, written = candidate_statements(band, run_id, batch_size, only_records)
    for step in steps:
        await store.run_batch(step)
    return written


def candidate_statements(band: pd.DataFrame, run_id: str, batch_size: int = 5000,
                         only_records: list[str] | None = None) -> tuple[list[list[Statement]], int]:
    """``write_candidates``' statements, in steps to run in order, and the candidates they write."""
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    nodes: list[dict[str, Any]] = []
    links: list[dict[str, Any]] = []
    for row in band.to_dict("records"):
        cid = candidate_id(row["unique_id_l"], row["unique_id_r"])
        weights = {c: round(float(row[f"mw_{c}"]), 3) for c in COMPARISONS if f"mw_{c}" in row}
        nodes.append({"candidate_id": cid, "props": {
            "probability": float(row["match_probability"]), "match_weight": round(float(row["evidence"]), 3),
            "match_weights": json.dumps(weights), "priority": cursor_safe(row["priority"]), "status": "open",
            "created_at": now, "run_id": run_id}})
        if isinstance(row.get("because"), str):  # held apart for a reason beyond its score, until decided
            nodes[-1]["props"] |= {"proposed_because": row["because"], "held_apart": True,
                                   "left_records": [row["unique_id_l"]], "right_records": [row["unique_id_r"]]}
        for side, record in (("left", row["unique_id_l"]), ("right", row["unique_id_r"])):
            links.append({"start": {"candidate_id": cid}, "end": {"record_id": record}, "props": {"side": side}})
    steps = [[Statement(queries.UPSERT_MATCH_CANDIDATES, {"rows": nodes[start:start + batch_size]}),
              Statement(queries.LINK_CANDIDATE_RECORDS, {"rows": links[2 * start:2 * (start + batch_size)]})]
             for start in range(0, len(nodes), batch_size)]
    if only_records is None:
        steps.append([Statement(queries.DELETE_STALE_CANDIDATES, {"run_id": run_id})])
    else:
        steps += [[Statement(queries.DELETE_STALE_CANDIDATES_OF_RECORDS,
                             {"ids": only_records[start:start + batch_size], "run_id": run_id})]
                  for start in range(0, len(only_records), batch_size)]
    return steps, len(nodes)


async def judge(store: GraphStore, candidate: str, decision: Judgement, by: str, reason: str,
                left: list[str] | None = None, right: list[str] | None = None) -> bool:
    """Record a verdict (earlier ones stay in ``history``) with the records it binds (``left`` and
    ``right``; None: the candidate's own two); False when there is no such candidate."""
    now = dt.datetime.now(dt.UTC)
    at = now.isoformat(timespec="seconds")
    entry = json.dumps({"decision": str(decision), "by": by, "at": at, "reason": reason}) + "\n"
    # decided_at to the microsecond: a steward's own verdicts are listed newest first, and a split
    # and a join given within one second tied and came back in either order.
    rows = await store.run(queries.JUDGE_CANDIDATE, {"candidate_id": candidate, "decision": str(decision), "by": by,
                                                      "at": now.isoformat(timespec="microseconds"), "reason": reason,
                                                      "history_entry": entry,
                                                      "left_records": left, "right_records": right}, write=True)
    return bool(rows)
