"""Live linking: the records a load or an API write added or changed become persons at once.

``link_records`` takes those records (the delta) and, with the saved model:

1. reads them, and every other record of the persons they held before (a changed record is
   re-evaluated with its person: it may leave it, and the rest then stays together or splits as
   the rules say): together, the records linked again here (the core);
2. finds the known records sharing a blocking key with a delta record (``blocking.neighbours``:
   index lookups, never every record) and scores the core against them and among itself with the
   saved Splink model, names weighed by the full run's term frequencies;
3. takes in the persons the core may join: those holding a record it scores at or above the
   review band with, shares a trusted NIK or a reference with, or that a steward's SAME binds to
   it; their records are read whole and kept together as they are;
4. clusters these records by the batch run's rules (``clusters.cluster``: stewards' verdicts, NIK,
   references, Splink pairs, the encounter rules) and writes persons, history and candidates for
   them alone (``resolve.write_persons`` with the persons that changed: one left exactly as it was
   is not written again, ``_standing``).

The delta's blocking keys are written while the hub scores, before its persons: a key is the
record's own values, so a stored one is never wrong, only early. Until the link ends the records
are found by key holding no person, or their earlier one ("seen before?" passes over a record
without a person); a link that fails leaves them so, and the next link of them, or ``hub match``,
links them.

A write by a key scoped to a region passes ``may_join`` (which of some persons belong to the
key's region): a person outside it is never joined, since the delta record would place them in
the region and open their whole history to the key. The delta record becomes (or stays) a person
of the region, and each refused link is a match candidate held for a steward, with its reason.

With no saved model yet (a first load) it runs the full ``hub match`` once, which trains.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from graph_schema import queries
from graph_schema.port import GraphStore, Statement
from matching import blocking, frequencies, model
from matching.clusters import cluster
from matching.extract import COLUMNS, Resolutions
from matching.features import SMALL_FRAME, features, finish, own_features
from matching.membership import absent, within
from matching.pipeline import ACCEPT, run_match, thresholds
from matching.resolve import person_ids, write_persons
from matching.review import Bound, candidate_id, candidate_statements, judged_pairs, review_band
from matching.scorer import Scores

PAIR_COLUMNS = ["unique_id_l", "unique_id_r", "match_weight", "match_probability"]
READ_BATCH = 5000
# Why a held candidate is before a steward (its ``proposed_because``).
HELD_BECAUSE = ("written by a key scoped to a region, this record was not linked to a person outside that region; "
                "a steward decides whether they are one person")
PersonsFilter = Callable[[list[str]], Awaitable[set[str]]]


@dataclass(frozen=True)
class LinkedRecord:
    record_id: str
    person_id: str
    method: str  # nik, reference, splink, steward or single (a person of its own)
    probability: float


@dataclass(frozen=True)
class HeldLink:
    """A link the delta record would have made to a person the write's key may not reach."""

    record_id: str
    candidate_id: str


@dataclass(frozen=True)
class LiveReport:
    """What linking a delta did: per record its person, and what happened to persons."""

    records: list[LinkedRecord]
    persons_new: int  # persons that did not exist before (new records alone, or parts of a split)
    joined: int  # delta records that now belong to a person that existed before
    moved: int  # records that held a person before and now hold another (the delta's or others')
    persons_touched: int
    pairs_scored: int
    review_candidates: int
    trained: bool  # no saved model: the full run linked everything (and trained)
    seconds: float
    stages: dict[str, float] = field(default_factory=dict)
    held: list[HeldLink] = field(default_factory=list)  # links refused to a scoped write, now candidates
    write_parts: dict[str, float] = field(default_factory=dict)  # write_persons' seconds by part (a big delta's)

    @property
    def records_per_s(self) -> float:
        return len(self.records) / self.seconds if self.seconds else 0.0


# Up to this many rows the records of several reads are put together in Python (``_union``).
SMALL_UNION = 2_000


def _union(*frames: pd.DataFrame) -> pd.DataFrame:
    """The records of several reads, once each, missing values as None (as a read gives them)."""
    if sum(len(f) for f in frames) <= SMALL_UNION:
        return _union_counted(frames)
    frame = pd.concat(frames, ignore_index=True).drop_duplicates("record_id").reset_index(drop=True)
    return frame.astype(object).where(frame.notna(), None)


def _union_counted(frames: tuple[pd.DataFrame, ...]) -> pd.DataFrame:
    """``_union`` of a few rows, row by row: the same frame without pandas' per-call cost."""
    columns = list(dict.fromkeys(c for f in frames for c in f.columns))
    at = {c: i for i, c in enumerate(columns)}
    key = at["record_id"]
    rows: dict[object, list[object]] = {}
    for f in frames:
        where = [at[c] for c in f.columns]
        # A frame's values row by row, taken once (not a column at a time: pandas' cost per column).
        for values in f.to_numpy(dtype=object).tolist():
            row: list[object] = [None] * len(columns)
            for i, value in zip(where, values, strict=True):
                row[i] = None if absent(value) else value
            rows.setdefault(row[key], row)
    return pd.DataFrame(list(rows.values()), columns=columns, dtype=object)



async def _read(store: GraphStore, statement: str, name: str, values: list[str]) -> pd.DataFrame:
    rows: list[list[object]] = []
    for start in range(0, len(values), READ_BATCH):
        rows += await store.run_values(statement, {name: values[start:start + READ_BATCH]}, queries.RESOLVED_RECORD_TYPES)
    return blocking.records_frame(rows)


async def _references(store: GraphStore, ids: list[str]) -> pd.DataFrame:
    """The references (``record_id`` refers to ``target``) from and to some records."""
    replies = await asyncio.gather(*(store.run(statement, {"ids": ids[i:i + READ_BATCH]})
                                     for statement in (queries.REFERENCES_FROM_RECORDS, queries.REFERENCES_TO_RECORDS)
                                     for i in range(0, max(len(ids), 1), READ_BATCH)))
    rows = [row for reply in replies for row in reply]
    return pd.DataFrame(rows, columns=["record_id", "target"]).drop_duplicates()


def _key_codes(frame: pd.DataFrame, key: tuple[str, ...], factorized: dict[str, tuple[np.ndarray, int]]) -> np.ndarray:
    """Per row of ``frame``, a code equal between rows sharing the key's values, -1 where one is missing
    (such a row does not block on the key, as in Splink's ``block_on``)."""
    codes = np.zeros(len(frame), dtype=np.int64)
    for column in key:
        if column not in factorized:
            values, uniques = pd.factorize(frame[column].to_numpy(dtype=object), use_na_sentinel=True)
            factorized[column] = (values.astype(np.int64), len(uniques))
        values, size = factorized[column]
        codes = np.where((codes < 0) | (values < 0), -1, codes * size + values)
    return codes


# Up to this many rows (a live write's, a "seen before?"'s few) the pairs are found in Python: the
# numpy path's factorising and sorting per key cost some milliseconds a write whatever the size.
SMALL_BLOCKING = 2_000


def _keys() -> list[tuple[tuple[str, ...], bool]]:
    """Each blocking key, and whether it blocks only pairs with an encounter on a side."""
    return [*((k, False) for k in model.BLOCKING_KEYS), *((k, True) for k in model.ENCOUNTER_KEYS)]


def blocked_pairs(frame: pd.DataFrame, core: set[str]) -> pd.DataFrame:
    """``unique_id_l < unique_id_r`` pairs of ``frame`` with a side in ``core`` that share a blocking
    key (the encounter key only where a side is an encounter), as Splink's blocking finds them,
    sorted. Each key's rows are grouped by integer codes and joined in numpy: a big delta's frame
    has hundreds of thousands of rows and pairs (a few rows: ``_blocked_pairs_counted``)."""
    if len(frame) <= SMALL_BLOCKING:
        return _blocked_pairs_counted(frame, core)
    ids = frame["unique_id"].astype(str).to_numpy(dtype=object)
    met = frame["encounter"].astype(bool).to_numpy()
    mine = np.flatnonzero([i in core for i in ids])
    factorized: dict[str, tuple[np.ndarray, int]] = {}
    found = []
    for key, encounters_only in _keys():
        codes = _key_codes(frame, key, factorized)
        rows = np.flatnonzero(codes >= 0)
        order = rows[np.argsort(codes[rows], kind="stable")]
        sorted_codes = codes[order]
        probes = mine[codes[mine] >= 0]
        # Every row sharing each probe's code: a slice [start, end) of the rows in code order.
        start = np.searchsorted(sorted_codes, codes[probes], side="left")
        end = np.searchsorted(sorted_codes, codes[probes], side="right")
        counts = end - start
        left = np.repeat(probes, counts)
        offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        right = order[np.repeat(start, counts) + offsets]
        keep = left != right
        if encounters_only:
            keep &= met[left] | met[right]
        found.append(np.stack([left[keep], right[keep]]))
    # Rank the ids once: a pair is (lower rank, higher rank), one int64 each, sorted and unique.
    rank = np.empty(len(ids), dtype=np.int64)
    by_id = np.argsort(ids, kind="stable")
    rank[by_id] = np.arange(len(ids))
    both = np.concatenate(found, axis=1) if found else np.zeros((2, 0), dtype=np.int64)
    low = np.minimum(rank[both[0]], rank[both[1]])
    high = np.maximum(rank[both[0]], rank[both[1]])
    pairs = np.unique(low * len(ids) + high)
    return pd.DataFrame({"unique_id_l": ids[by_id[pairs // len(ids)]], "unique_id_r": ids[by_id[pairs % len(ids)]]})


def _blocked_pairs_counted(frame: pd.DataFrame, core: set[str]) -> pd.DataFrame:
    """``blocked_pairs`` of a few rows, in Python: each key's rows grouped by their values in a dict."""
    ids = [str(i) for i in frame["unique_id"].tolist()]
    met = frame["encounter"].astype(bool).tolist()
    mine = [row for row, record in enumerate(ids) if record in core]
    columns: dict[str, list[object]] = {}
    found: set[tuple[str, str]] = set()
    for key, encounters_only in _keys():
        for column in key:
            if column not in columns:
                columns[column] = frame[column].tolist()
        # A row missing any of the key's values does not block on it (as in Splink's ``block_on``).
        values = [None if any(absent(v) for v in value) else value
                  for value in zip(*(columns[c] for c in key), strict=True)]
        rows: dict[tuple[object, ...], list[int]] = {}
        for row, value in enumerate(values):
            if value is not None:
                rows.setdefault(value, []).append(row)
        for probe in mine:
            value = values[probe]
            for other in rows.get(value, ()) if value is not None else ():
                if other != probe and (not encounters_only or met[probe] or met[other]):
                    left, right = ids[probe], ids[other]
                    found.add((left, right) if left < right else (right, left))
    ordered = sorted(found)
    return pd.DataFrame({"unique_id_l": [p[0] for p in ordered], "unique_id_r": [p[1] for p in ordered]}, dtype=object)


def score(model_path: Path, frame: pd.DataFrame, core: set[str], threshold: float) -> pd.DataFrame:
    """Pairs of ``frame`` (a features frame) with at least one side in ``core``, found by the
    model's blocking rules (the encounter rule only where a side is an encounter), scored with the
    saved model at or above ``threshold`` match weight: the pairs a full run would score for them.

    Scored by the exact scorer (``matching.scorer``: Splink's weights, tested against Splink's own
    blocking and scoring in tests/matching/test_incremental.py): on a 10,000-record delta's frame
    and its 458,662 blocked pairs, Splink's ``predict_between`` took 15.5 s (37 s in a bench run),
    this 11 s (the pairs 2.8, their scores 8.3); the bench's score stage was 17 s."""
    if frame.empty or not core:
        return pd.DataFrame(columns=PAIR_COLUMNS)
    pairs = blocked_pairs(frame, core)
    if pairs.empty:
        return pd.DataFrame(columns=PAIR_COLUMNS)
    lefts, rights, scores = _scores(model_path, frame, pairs, core)
    return _pairs_frame(lefts, rights, scores, scores.match_weight >= threshold)


def score_pairs(model_path: Path, frame: pd.DataFrame, pairs: pd.DataFrame, core: set[str]) -> pd.DataFrame:
    """``pairs`` (``unique_id_l``, ``unique_id_r``: records of ``frame``, a side of each in ``core``)
    scored by the exact scorer: match weight, probability and each comparison's ``mw_`` weight."""
    lefts, rights, scores = _scores(model_path, frame, pairs, core)
    return _pairs_frame(lefts, rights, scores, np.ones(len(lefts), dtype=bool))


def _scores(model_path: Path, frame: pd.DataFrame, pairs: pd.DataFrame,
            core: set[str]) -> tuple[np.ndarray, np.ndarray, Scores]:
    from matching.seen import live_model

    live = live_model(model_path)
    lefts = pairs["unique_id_l"].astype(str).to_numpy(dtype=object)
    rights = pairs["unique_id_r"].astype(str).to_numpy(dtype=object)
    # Each pair is scored from a side in the core (the right, as Splink's score_pairs(candidates,
    # probe) puts a probe), all of them in one scorer call.
    left_in_core = np.array([a in core for a in lefts], dtype=bool)
    probes, others = np.where(left_in_core, lefts, rights), np.where(left_in_core, rights, lefts)
    position = pd.Index(frame["unique_id"].astype(str).to_numpy(dtype=object))
    return lefts, rights, live.scorer.score_rows(frame, position.get_indexer(others), position.get_indexer(probes),
                                                 live.tf)


def _pairs_frame(lefts: np.ndarray, rights: np.ndarray, scores: Scores, keep: np.ndarray) -> pd.DataFrame:
    """The pairs ``keep`` marks, with their scores: built once (a column added at a time cost a
    live write's few pairs some milliseconds)."""
    columns = {"unique_id_l": lefts[keep], "unique_id_r": rights[keep], "match_weight": scores.match_weight[keep],
               "match_probability": scores.match_probability[keep]}
    columns |= {f"mw_{name}": weight[keep] for name, weight in scores.weight.items()}
    return pd.DataFrame(columns)


def held_candidates(model_path: Path, records: pd.DataFrame, pairs: list[tuple[str, str]], prior: float,
                    persons_of: dict[str, str]) -> pd.DataFrame:
    """The refused links (delta record, record of a person out of reach) as review-band rows: the
    best-scoring pair per delta record and refused person, with ``because``."""
    if not pairs:
        return pd.DataFrame(columns=[*PAIR_COLUMNS, "evidence", "priority", "because"])
    ordered = sorted({(min(a, b), max(a, b)) for a, b in pairs})
    frame = features(records[records["record_id"].isin({r for p in ordered for r in p})][COLUMNS])
    delta = {a for a, _ in pairs}
    scored = score_pairs(model_path, frame, pd.DataFrame(ordered, columns=["unique_id_l", "unique_id_r"]), delta)
    scored["delta"] = scored["unique_id_l"].where(scored["unique_id_l"].isin(delta), scored["unique_id_r"])
    scored["person"] = [persons_of[r if r != d else o] for d, r, o in
                        zip(scored["delta"], scored["unique_id_r"], scored["unique_id_l"], strict=True)]
    scored = scored.sort_values(["match_weight", "unique_id_l", "unique_id_r"], ascending=[False, True, True])
    scored = scored.drop_duplicates(["delta", "person"]).drop(columns=["delta", "person"])
    scored["evidence"] = scored["match_weight"] - prior
    scored["priority"] = 0.5 + 1.0 - (2 * scored["match_probability"] - 1.0).abs()
    scored["because"] = HELD_BECAUSE
    return scored.reset_index(drop=True)


async def link_records(store: GraphStore, model_path: Path, record_ids: list[str], accept: float = ACCEPT,
                       may_join: PersonsFilter | None = None) -> LiveReport:
    """Link the records a load or a write added or changed (see the module docstring).

    ``may_join`` (a write by a key scoped to a region) says which of the persons the records may
    join are within the key's reach; the others are not joined, each such link held for a steward.

    Returns per record (of those that exist) its person, method and probability, and the links held.
    """
    started = time.perf_counter()
    stages: dict[str, float] = {}

    def lap(stage: str) -> None:
        stages[stage] = round(time.perf_counter() - started - sum(stages.values()), 3)

    ids = sorted(set(record_ids))
    saved = model.load(model_path)
    tf = frequencies.load(model_path, model.tf_columns(saved)) if saved is not None else None
    if saved is None or tf is None:
        full = await run_match(store, model_path)
        now = await _read(store, queries.RECORDS_BY_IDS, "ids", ids)
        linked = [LinkedRecord(r, p, m, float(pr)) for r, p, m, pr in
                  zip(now["record_id"], now["person_id"], now["method"], now["probability"], strict=True)]
        return LiveReport(linked, full.persons, 0, full.relinked, full.persons, full.pairs_scored,
                          full.review_candidates, full.trained, time.perf_counter() - started, full.stages)

    from matching.seen import live_model

    # The scorer (a new process's first link builds it: ~1 s at a million records) is made in a
    # thread while the server reads; the delta's keys are written while the hub scores.
    warming: asyncio.Future[object] = asyncio.ensure_future(asyncio.to_thread(live_model, model_path))
    keys_written: asyncio.Future[None] | None = None
    bound_of: asyncio.Future[tuple[pd.DataFrame, Bound]] | None = None
    try:
        delta = await _read(store, queries.RECORDS_BY_IDS, "ids", ids)
        ids = sorted(delta["record_id"])
        delta_ids = set(ids)
        before = sorted({str(p) for p in delta["person_id"].dropna()})
        core = _union(delta, await _read(store, queries.RECORDS_OF_PERSONS, "person_ids", before))
        core_ids = set(core["record_id"])
        lap("read")
        # A big core's own features are made once: its finished ones find the neighbours, and they
        # go into the frame that is scored (``_scored_features``).
        core_own = own_features(core[COLUMNS]) if len(core) > SMALL_FRAME else None
        delta_features = finish(core_own) if core_own is not None else features(core[COLUMNS])
        delta_features = delta_features[within(delta_features["unique_id"], delta_ids)]
        # A big delta's neighbours have their own features made as each lookup's reply comes in,
        # while the server answers the next one (else the hub waited for the server, then it for the hub).
        made: list[pd.DataFrame] = []
        seen = set(core_ids)

        def make(rows: list[list[object]]) -> None:
            fresh = blocking.records_frame(rows, leave_out=seen)
            seen.update(fresh["record_id"].tolist())
            own = own_features(fresh[COLUMNS]) if len(fresh) else fresh
            if len(own):
                made.append(own)

        known = await blocking.neighbours(store, delta_features, make)
        known = known[~within(known["record_id"], core_ids)]
        # No read of this link looks records up by key again.
        keys_written = asyncio.ensure_future(store.run_batch(blocking.key_statements(delta_features)))
        # What the core's records refer to and stewards' verdicts: read while the hub scores.
        bound_of = asyncio.ensure_future(asyncio.gather(_references(store, sorted(core_ids)), judged_pairs(store)))
        return await _linked(store, model_path, ids, before, core, known, (core_own, made),
                             (keys_written, warming, bound_of), saved, accept, may_join, started, stages)
    finally:
        for pending in (warming, keys_written, bound_of):
            if pending is not None:
                _let_go(pending)


def _let_go(pending: asyncio.Future[Any]) -> None:
    """Cancel work the link started and no longer waits for (it failed, or was cancelled, first).
    Not awaited here: that would swallow a cancellation of the link itself. Its own error was
    raised where the link awaited it, or goes with the link's."""
    if not pending.done():
        pending.cancel()
    pending.add_done_callback(lambda done: None if done.cancelled() else done.exception())


Pending = tuple[asyncio.Future[None], asyncio.Future[object], asyncio.Future[tuple[pd.DataFrame, Bound]]]


async def _linked(store: GraphStore, model_path: Path, ids: list[str], before: list[str], core: pd.DataFrame,
                  known: pd.DataFrame, own: tuple[pd.DataFrame | None, list[pd.DataFrame]], pending: Pending,
                  saved: dict[str, Any],
                  accept: float, may_join: PersonsFilter | None, started: float,
                  stages: dict[str, float]) -> LiveReport:
    """``link_records`` from the scores on: the core and the known records sharing a key with it
    (``own``: the core's own features, made for a big one, and those of the known records, made as
    their lookups came in). ``pending``: the delta's keys
    being written, the scorer being made, the core's references and the stewards' verdicts being read."""
    keys_written, warming, bound_of = pending

    def lap(stage: str) -> None:
        stages[stage] = round(time.perf_counter() - started - sum(stages.values()), 3)

    lap("neighbours")
    delta_ids = set(ids)
    core_ids = set(core["record_id"])
    prior = model.prior_weight(saved)
    accept_bits, review = thresholds(prior, accept)
    scored = _union(core, known)
    frame = _scored_features(scored, core, known, *own)
    lap("features")
    await warming
    pairs = score(model_path, frame, core_ids, prior + review)
    pairs["evidence"] = pairs["match_weight"] - prior
    lap("score")

    # The persons the core may join, and every record of theirs.
    person_of = {str(r): p for r, p in zip(scored["record_id"], scored["person_id"], strict=True)}
    partners: set[str] = set()
    strong = pairs[pairs["evidence"] >= review]
    partners |= set(strong["unique_id_l"]) | set(strong["unique_id_r"])
    trusted = frame[frame["nik_trusted"].astype(bool)]
    shared_niks = set(trusted.loc[within(trusted["unique_id"], core_ids), "nik"])
    partners |= set(trusted.loc[within(trusted["nik"], shared_niks), "unique_id"])
    references, bound = await bound_of
    partners |= set(references["record_id"]) | set(references["target"])
    for a, b in bound.same:
        if a in core_ids or b in core_ids:
            partners |= {a, b}
    unknown = sorted(partners - set(person_of))
    if unknown:
        extra = await _read(store, queries.RECORDS_BY_IDS, "ids", unknown)
        scored = _union(scored, extra)
        person_of.update(zip(extra["record_id"], extra["person_id"], strict=True))
    joinable = sorted({str(person_of[r]) for r in partners if r in person_of and pd.notna(person_of[r])} - set(before))
    unresolved = [r for r in partners if r in person_of and pd.isna(person_of[r]) and r not in core_ids]
    refused: set[str] = set()
    if may_join is not None and joinable:
        refused = set(joinable) - await may_join(joinable)
        joinable = [p for p in joinable if p not in refused]
    if may_join is not None:
        unresolved = []  # a record no person holds yet places nobody: a full run links it
    others = await _read(store, queries.RECORDS_OF_PERSONS, "person_ids", joinable)
    records = _union(core, others, scored[within(scored["record_id"], unresolved)])
    lap("read_persons")

    # The batch run's rules on these records; the persons they may join are kept as they are.
    member = set(records["record_id"])
    every = _features_reusing(records, frame)
    trusted = every[every["nik_trusted"].astype(bool)][["unique_id", "nik", "birth_year", "sex"]]
    inside = pairs[within(pairs["unique_id_l"], member) & within(pairs["unique_id_r"], member)]
    kept_of: dict[str, list[str]] = {}  # the persons joined as they are, each with its records in read order
    for record, person in zip(others["record_id"].tolist(), others["person_id"].tolist(), strict=True):
        if record not in core_ids and not absent(person):
            kept_of.setdefault(str(person), []).append(record)
    kept_groups = [kept_of[p] for p in sorted(kept_of)]
    encounters = frozenset(every.loc[every["encounter"].astype(bool), "unique_id"])
    refs = references[within(references["record_id"], member) & within(references["target"], member)]
    same = [(a, b) for a, b in bound.same if a in member and b in member]
    different = [(a, b) for a, b in bound.different if a in member and b in member]
    assigned, uf = cluster(records["record_id"].tolist(), trusted, refs, inside, accept_bits, same, different,
                           encounters, kept_groups)
    # Records of the persons kept as they are keep how they were linked.
    how = {str(r): (str(m), float(p or 0.0)) for r, m, p in
           zip(records["record_id"], records["method"], records["probability"], strict=True) if pd.notna(m)}
    methods, probabilities = assigned["method"].tolist(), assigned["probability"].tolist()
    for i, record in enumerate(assigned["record_id"].tolist()):
        if record not in core_ids and record in how:
            methods[i], probabilities[i] = how[record]
    assigned["method"], assigned["probability"] = methods, probabilities
    lap("cluster")

    previous = {str(r): str(p) for r, p in zip(records["record_id"], records["person_id"], strict=True) if pd.notna(p)}
    resolutions = Resolutions(previous, how)
    run_id = "live-" + uuid.uuid4().hex[:10]
    # A person the delta could have joined and did not stands as it is: not written again.
    standing = _standing(assigned, previous, delta_ids)
    rewritten = ~assigned["cluster"].isin(list(standing))
    touched = sorted((set(before) | set(joinable)) - set(standing.values()))

    def candidates() -> tuple[pd.DataFrame, list[Statement], int, dict[str, str], dict[str, set[str | None]]]:
        """The review band's candidates and the settled ones' removal: made in a thread of its own
        while the server writes the persons (a big delta's band is seconds of Python)."""
        band = review_band(inside, assigned, uf, review)
        held = pd.DataFrame()
        if refused:
            refused_links = _refused_links(delta_ids, {r for r, p in person_of.items() if pd.notna(p) and str(p) in refused},
                                           strong, frame, references, same=bound.same)
            held = held_candidates(model_path, scored, refused_links, prior,
                                   {str(r): str(p) for r, p in person_of.items() if pd.notna(p)})
            band = pd.concat([band, held], ignore_index=True) if not band.empty else held
        steps, count = candidate_statements(band, run_id, only_records=ids)
        ids_of = person_ids(assigned, previous)
        now_person = {r: ids_of[int(c)] for r, c in zip(assigned["record_id"], assigned["cluster"], strict=True)}
        # Open candidates between records now of one person leave the queue: only a person that took
        # records of several earlier persons (or unlinked ones) can have such a candidate newly settled.
        earlier_of: dict[str, set[str | None]] = {}
        for record, person_now in now_person.items():
            earlier_of.setdefault(person_now, set()).add(previous.get(record))
        settled = sorted(p for p, earlier in earlier_of.items() if len(earlier) > 1)
        if settled:
            steps.append([Statement(queries.DELETE_SETTLED_CANDIDATES, {"pairs": [[p, p] for p in settled]})])
        return held, [statement for step in steps for statement in step], count, now_person, earlier_of

    await keys_written  # long done (it ran while the hub scored): a failure stops the link before any person is written
    # Both run to their end, whichever fails: neither is left writing after the link has answered.
    writing, making = await asyncio.gather(
        write_persons(store, assigned[rewritten], records.loc[within(records["record_id"], set(assigned.loc[
            rewritten, "record_id"])), COLUMNS], resolutions, run_id=run_id, only_persons=touched),
        asyncio.to_thread(candidates), return_exceptions=True)
    if isinstance(writing, BaseException):
        raise writing
    if isinstance(making, BaseException):
        raise making
    written, (held, statements, count, now_person, earlier_of) = writing, making
    lap("write_persons")
    # The candidates and the settled ones' removal, after the persons they name: one pipelined batch, in order.
    await store.run_batch(statements)
    lap("write_candidates_keys")

    # A set made once: rebuilt per element (as it was), it made this tail quadratic (51 s of a 10,000-record delta).
    earlier_ids = set(previous.values())
    held_before = {p for r, p in previous.items() if r not in delta_ids}
    method_of = dict(zip(assigned["record_id"], zip(assigned["method"], assigned["probability"], strict=True),
                         strict=True))
    linked = [LinkedRecord(r, now_person[r], str(method_of[r][0]), float(method_of[r][1])) for r in ids]
    persons_new = len({p for p in now_person.values() if p not in earlier_ids})
    lap("answer")
    return LiveReport(
        records=linked,
        persons_new=persons_new,
        joined=sum(1 for x in linked if x.person_id in held_before),
        moved=written.relinked,
        persons_touched=len(earlier_of), pairs_scored=len(pairs), review_candidates=count, trained=False,
        seconds=time.perf_counter() - started, stages=stages, write_parts=written.seconds,
        held=[HeldLink(a if a in delta_ids else b, candidate_id(a, b))
              for a, b in zip(held.get("unique_id_l", []), held.get("unique_id_r", []), strict=True)])


def _scored_features(scored: pd.DataFrame, core: pd.DataFrame, known: pd.DataFrame, core_own: pd.DataFrame | None,
                     made: list[pd.DataFrame]) -> pd.DataFrame:
    """``features(scored[COLUMNS])`` (``scored``: the core, then the known records), the own
    features (``features.own_features``) of the core taken from ``core_own`` and of the known
    records from ``made`` (as their lookups came in) where a big delta's were made so."""
    if not made or len(scored) <= SMALL_FRAME:
        return features(scored[COLUMNS])
    core_own = own_features(core[COLUMNS]) if core_own is None else core_own
    parts = [part for part in (core_own, _in_order(pd.concat(made, ignore_index=True), known["record_id"])) if len(part)]
    return finish(pd.concat(parts, ignore_index=True))


def _in_order(frame: pd.DataFrame, record_ids: pd.Series) -> pd.DataFrame:
    """The rows of a features frame in the order their records have in ``record_ids`` (each there)."""
    rank = {record: i for i, record in enumerate(record_ids.tolist())}
    order = np.argsort([rank[record] for record in frame["unique_id"].tolist()], kind="stable")
    return frame.iloc[order].reset_index(drop=True)


def _features_reusing(records: pd.DataFrame, made: pd.DataFrame) -> pd.DataFrame:
    """``features(records[COLUMNS])`` in every column a record's own values decide (all but ``nik``,
    which ``features.someone_elses_nik`` clears by the other rows of a frame; the caller reads
    ``nik`` of trusted rows only, which that never clears), taking the rows of records that ``made``
    (a features frame) already has from it: most of a big delta's records were scored, their
    features made then (a write's few records are made again: less than joining frames costs)."""
    if len(records) <= SMALL_FRAME:
        return features(records[COLUMNS])
    have = within(records["record_id"], set(made["unique_id"]))
    reused = made[within(made["unique_id"], set(records["record_id"]))]
    return _in_order(pd.concat([reused, features(records.loc[~have, COLUMNS])], ignore_index=True), records["record_id"])


def _standing(assigned: pd.DataFrame, previous: dict[str, str], delta: set[str]) -> dict[object, str]:
    """cluster -> person id, of the clusters that are a person exactly as it was: every record it
    held and no other, none of them in the delta. Their ids, links, values and facts are unchanged
    (the same records give the same values), so they are not written again. ``previous`` holds every
    record of each person it names (a live link reads persons whole). Such a person's facts stand as
    they were projected: after a ``--no-link`` load changed its records, only ``hub match`` (which
    that load asks for) projects them again, as it links those records."""
    held = Counter(previous.values())
    members: dict[object, list[str]] = {}
    for cluster_id, record in zip(assigned["cluster"].tolist(), assigned["record_id"].tolist(), strict=True):
        members.setdefault(cluster_id, []).append(record)
    out: dict[object, str] = {}
    for cluster_id, records in members.items():
        person = previous.get(records[0])
        if (person is not None and len(records) == held[person] and all(previous.get(r) == person for r in records)
                and not any(r in delta for r in records)):
            out[cluster_id] = person
    return out


def _refused_links(delta: set[str], out_of_reach: set[str], strong: pd.DataFrame, frame: pd.DataFrame,
                   references: pd.DataFrame, same: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """(delta record, record out of reach) pairs that would have linked them: a strong score, a
    shared trusted NIK, a reference, or a steward's SAME."""
    found: set[tuple[str, str]] = set()
    linked = [*zip(strong["unique_id_l"].astype(str), strong["unique_id_r"].astype(str), strict=True),
              *zip(references["record_id"].astype(str), references["target"].astype(str), strict=True), *same]
    for a, b in linked:
        if a in delta and b in out_of_reach:
            found.add((a, b))
        elif b in delta and a in out_of_reach:
            found.add((b, a))
    trusted = frame[frame["nik_trusted"].astype(bool)]
    niks = dict(zip(trusted["unique_id"].astype(str), trusted["nik"], strict=True))
    holders: dict[str, list[str]] = {}
    for record, nik in niks.items():
        if record in out_of_reach:
            holders.setdefault(str(nik), []).append(record)
    for record in delta:
        found |= {(record, other) for other in holders.get(str(niks.get(record)), [])} if record in niks else set()
    return sorted(found)


async def records_of_loads(store: GraphStore, loads: list[tuple[str, str]]) -> list[str]:
    """The records that loads wrote (new or changed), each load given as (source, batch_id)."""
    ids: list[str] = []
    for source, batch_id in loads:
        rows = await store.run(queries.RECORD_IDS_OF_BATCH, {"after": f"{source}:", "before": f"{source};",
                                                              "batch_id": batch_id})
        ids += [str(r["record_id"]) for r in rows]
    return ids
