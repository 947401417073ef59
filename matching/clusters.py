"""Turning links into persons: a union-find over record ids, with stewards' verdicts on top.

Links join records in this order: a steward's SAME, a trusted NIK (deterministic), a
reference (an attendance row is about its resident), then Splink pairs from the strongest
evidence down to the accept threshold. A steward's DIFFERENT is a cannot-link: no link of any
kind may put its two records into one person, directly or through others. An encounter record
(street outreach) may join one registered person, never bridge two.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from matching.membership import absent, within

# How far (in bits) an encounter's best registered person must lead the next one for it to join.
ENCOUNTER_MARGIN = 3.0


# Rounds of setting ambiguous records aside (each may uncover another behind it).
MAX_AMBIGUITY_ROUNDS = 3

# Two NIK-confirmed records (each NIK agreeing with its own record) born more than this many
# years apart are two people: a mother and a daughter of one name in one KK, two namesakes of a
# village, joined through rows that state neither birth date nor NIK.
CONFIRMED_YEARS_APART = 2

# Who a set's NIK-confirmed records say it is: earliest and latest birth year, sexes, their NIKs,
# and those of them corroborated (stated by two or more records that agree with it).
Confirmed = tuple[int, int, frozenset[str], frozenset[str], frozenset[str]]


def _together(a: Confirmed, b: Confirmed) -> Confirmed:
    return min(a[0], b[0]), max(a[1], b[1]), a[2] | b[2], a[3] | b[3], a[4] | b[4]


def one_typo(a: str, b: str) -> bool:
    """Whether two NIKs are one slip apart: one digit changed, or two neighbours swapped."""
    if len(a) != len(b):
        return False
    apart = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
    return len(apart) <= 1 or (len(apart) == 2 and apart[1] == apart[0] + 1
                               and a[apart[0]] == b[apart[1]] and a[apart[1]] == b[apart[0]])


def _two_niks(niks: frozenset[str], corroborated: frozenset[str]) -> bool:
    """Whether confirmed NIKs are two people's. A person has one NIK; a typo'd copy of it is one
    slip away. NIKs further apart, or two one slip apart that several rows each state (namesakes
    born on one day in one regency, whose NIKs differ in a digit, or twins), are two people's."""
    if len(niks) < 2:
        return False
    ordered = sorted(niks)
    return any(not one_typo(a, b) or (a in corroborated and b in corroborated)
               for i, a in enumerate(ordered) for b in ordered[i + 1:])


def _two_people(confirmed: Confirmed) -> bool:
    """Born years apart, of both sexes, or holding two people's NIKs (``_two_niks``)."""
    lo, hi, sexes, niks, corroborated = confirmed
    return hi - lo > CONFIRMED_YEARS_APART or len(sexes) > 1 or _two_niks(niks, corroborated)


class UnionFind:
    def __init__(self, ids: Iterable[str]) -> None:
        self.index = {record_id: i for i, record_id in enumerate(ids)}
        self.parent = np.arange(len(self.index))
        # Per root: the records its set must stay apart from (a verdict binds every record of one
        # side against every record of the other, so these grow with verdicts, not with the graph).
        self.apart: dict[int, set[int]] = {}
        # Per root: who its NIK-confirmed records say it is (``Confirmed``).
        self.confirmed: dict[int, Confirmed] = {}

    def confirm(self, record_id: str, birth_year: int | None, sex: str | None, nik: str | None = None,
                corroborated: bool = False) -> None:
        """What a record whose NIK agrees with it says of its person (``corroborated``: other records
        state that NIK too): a set holding two such records born years apart, of both sexes, or with
        two people's NIKs (``_two_niks``) is two people, and no link may make it."""
        i = self.index.get(record_id)
        if i is None:
            return
        root = self.root(i)
        lo, hi, sexes, niks, sure = self.confirmed.get(root, (10_000, -10_000, frozenset(), frozenset(), frozenset()))
        if birth_year is not None:
            lo, hi = min(lo, birth_year), max(hi, birth_year)
        self.confirmed[root] = (lo, hi, sexes | ({sex} if sex else set()), niks | ({nik} if nik else set()),
                                sure | ({nik} if nik and corroborated else set()))

    def root(self, i: int) -> int:
        parent = self.parent
        top = i
        while parent[top] != top:
            top = parent[top]
        while parent[i] != top:  # path compression
            parent[i], i = top, parent[i]
        return int(top)

    def keep_apart(self, a: str, b: str) -> None:
        if a in self.index and b in self.index:
            ia, ib = self.index[a], self.index[b]
            self.apart.setdefault(self.root(ia), set()).add(ib)
            self.apart.setdefault(self.root(ib), set()).add(ia)

    def two_people(self, ra: int, rb: int) -> bool:
        """Whether the NIK-confirmed records of ``ra`` and ``rb`` together would be two people."""
        a, b = self.confirmed.get(ra), self.confirmed.get(rb)
        # A person a steward joined despite it stays as joined; no link makes a new such person.
        return a is not None and b is not None and _two_people(_together(a, b)) and not (_two_people(a) or _two_people(b))

    def allowed(self, ra: int, rb: int) -> bool:
        if self.two_people(ra, rb):
            return False
        small, large = sorted((ra, rb), key=lambda r: len(self.apart.get(r, ())))
        return all(self.root(y) != large for y in self.apart.get(small, ()))

    def union(self, a: str, b: str) -> bool:
        """Join the persons of ``a`` and ``b``; False when already one, unknown, or kept apart."""
        ia, ib = self.index.get(a), self.index.get(b)
        if ia is None or ib is None:
            return False
        ra, rb = self.root(ia), self.root(ib)
        if ra == rb or not self.allowed(ra, rb):
            return False
        top, child = min(ra, rb), max(ra, rb)
        self.parent[child] = top
        if child in self.apart:
            self.apart.setdefault(top, set()).update(self.apart.pop(child))
        if child in self.confirmed:
            kept = self.confirmed.get(top)
            moved = self.confirmed.pop(child)
            self.confirmed[top] = moved if kept is None else _together(kept, moved)
        return True

    def labels(self) -> dict[str, int]:
        return {record_id: self.root(i) for record_id, i in self.index.items()}

    def kept_apart(self, a: str, b: str) -> bool:
        """Whether joining ``a`` and ``b`` is ruled out by a DIFFERENT verdict."""
        ra, rb = self.root(self.index[a]), self.root(self.index[b])
        return ra != rb and not self.allowed(ra, rb)


def cluster(record_ids: list[str], nik_groups: pd.DataFrame, references: pd.DataFrame, pairs: pd.DataFrame,
            accept: float, same: Iterable[tuple[str, str]] = (), different: Iterable[tuple[str, str]] = (),
            encounters: frozenset[str] = frozenset(),
            kept: Iterable[list[str]] = ()) -> tuple[pd.DataFrame, UnionFind]:
    """``record_id -> cluster, method, probability`` for every record, and the union-find behind it.

    A record that fits two persons who cannot be one (born years apart, or of both sexes, by their
    NIK-confirmed records) about equally well, typically a roster row stating a name and a KK but
    neither birth date nor NIK, shared by a mother and her daughter of one name, joins neither: its
    accepted pairs are left to the review band, which asks a steward (``ambiguous_records``).
    """
    same, different, kept = list(same), list(different), [list(m) for m in kept]
    accepted = pairs[pairs["evidence"] >= accept]
    assigned, uf, refused = _cluster_once(record_ids, nik_groups, references, accepted, same, different,
                                          encounters, kept)
    ambiguous: set[str] = set()
    for _ in range(MAX_AMBIGUITY_ROUNDS):
        found = ambiguous_records(uf, accepted, refused, set(nik_groups["unique_id"])) - ambiguous
        if not found:
            break
        ambiguous |= found
        unsure = within(accepted["unique_id_l"], ambiguous) | within(accepted["unique_id_r"], ambiguous)
        assigned, uf, refused = _cluster_once(record_ids, nik_groups, references, accepted[~unsure], same,
                                              different, encounters, kept)
    return assigned, uf


def ambiguous_records(uf: UnionFind, accepted: pd.DataFrame, refused: list[tuple[str, str]],
                      confirmed: set[str]) -> set[str]:
    """The records at either end of a link the two-people rule refused that fit the person they
    joined no better (by ``ENCOUNTER_MARGIN`` bits) than the person it kept them from. A record
    whose NIK confirmed it says who it is, and is never ambiguous. A record that fits the other
    person only through another such record waits for the next round (that one set aside first)."""
    ends = {r for pair in refused for r in pair} - confirmed
    if not ends:
        return set()
    near = accepted[within(accepted["unique_id_l"], ends) | within(accepted["unique_id_r"], ends)]
    left, right, evidence = (near[c].to_numpy() for c in ("unique_id_l", "unique_id_r", "evidence"))
    best: dict[tuple[str, int], tuple[float, str]] = {}  # (record, person root) -> strongest pair, and with whom
    for a, b, e in zip(left, right, evidence, strict=True):
        for mine, other in ((a, b), (b, a)):
            if mine in ends and other in uf.index:
                key = (mine, uf.root(uf.index[other]))
                best[key] = max(best.get(key, (float("-inf"), "")), (float(e), str(other)))
    unsure: dict[str, str] = {}  # record -> the record of the other person it fits as well
    for a, b in refused:
        for mine, other in ((a, b), (b, a)):
            if mine not in ends:
                continue
            home = best.get((mine, uf.root(uf.index[mine])), (float("-inf"), ""))
            away = best.get((mine, uf.root(uf.index[other])), (float("-inf"), ""))
            if home[0] - away[0] < ENCOUNTER_MARGIN:
                unsure[mine] = away[1]
    first = {r for r, through in unsure.items() if through not in unsure}
    return first or set(unsure)


def _cluster_once(record_ids: list[str], nik_groups: pd.DataFrame, references: pd.DataFrame, accepted: pd.DataFrame,
                  same: list[tuple[str, str]], different: list[tuple[str, str]], encounters: frozenset[str],
                  kept: list[list[str]]) -> tuple[pd.DataFrame, UnionFind, list[tuple[str, str]]]:
    """One clustering of ``accepted`` pairs (see ``cluster``), with the Splink links the two-people
    rule refused.

    Args:
        nik_groups: ``unique_id, nik`` of records whose NIK is trusted, with ``birth_year`` and
            ``sex`` when known: persons of such records born years apart, or of both sexes, stay apart.
        references: ``record_id, target``.
        pairs: Splink predictions (``unique_id_l, unique_id_r, evidence, match_probability``), evidence in bits.
        accept: the evidence at which a pair joins one person.
        same, different: record pairs a steward judged SAME or DIFFERENT.
        encounters: ids of encounter records (street outreach). An encounter joins at most one
            registered person, its best match: a call name, a guessed age and a regency fit many
            people, so two registered persons an encounter both fits stay apart (and go to review).
        kept: groups of records that are one person already and are not linked again here (live
            linking: the persons a new record may join, whose own links no new record changed).
            Joined right after stewards' SAMEs, keeping their methods.
    """
    uf = UnionFind(record_ids)
    for a, b in different:
        uf.keep_apart(a, b)
    method = dict.fromkeys(record_ids, "single")
    probability = dict.fromkeys(record_ids, 1.0)
    for a, b in same:
        if uf.union(a, b):
            method[a] = method[b] = "steward"
    for members in kept:
        for other in members[1:]:
            uf.union(members[0], other)
    # Columns as lists and missing values by ``absent``: pandas' per-value isna was most of this
    # function's time for a big delta's records, clustered twice.
    nik_list, id_list = nik_groups["nik"].tolist(), nik_groups["unique_id"].tolist()
    if "birth_year" in nik_groups:
        stated = Counter(nik for nik in nik_list if not absent(nik))
        for record_id, year, sex, nik in zip(id_list, nik_groups["birth_year"].tolist(), nik_groups["sex"].tolist(),
                                             nik_list, strict=True):
            uf.confirm(record_id, None if absent(year) else int(year), None if absent(sex) else str(sex),
                       None if absent(nik) else str(nik), corroborated=not absent(nik) and stated[nik] > 1)
    # Each NIK's records join its first, NIK by NIK in code order (as a groupby would, without
    # its cost of a frame per NIK: 8 s of a 100,000-person run).
    niks = [(nik, record_id) for nik, record_id in zip(nik_list, id_list, strict=True) if not absent(nik)]
    first: dict[Any, str] = {}
    for nik, other in sorted(niks, key=lambda pair: pair[0]):
        uf.union(first.setdefault(nik, other), other)
        if method[other] == "single":
            method[other] = "nik"
    for record_id, target in zip(references["record_id"], references["target"], strict=True):
        if uf.union(record_id, target) or method.get(record_id) == "single":
            method[record_id] = "reference"
    accepted = accepted.sort_values("evidence", ascending=False)
    refused: list[tuple[str, str]] = []
    left_met = within(accepted["unique_id_l"], encounters)
    right_met = within(accepted["unique_id_r"], encounters)

    def join(left: str, right: str, p: float) -> bool:
        if not uf.union(left, right):
            ra, rb = uf.root(uf.index[left]), uf.root(uf.index[right])
            if ra != rb and uf.two_people(ra, rb):
                refused.append((left, right))
            return False
        for side in (left, right):
            if method[side] == "single":
                method[side] = "splink"
                probability[side] = float(p)
        return True

    def rows(mask: np.ndarray) -> zip[tuple[str, str, float, float]]:
        chosen = accepted[mask]
        return zip(chosen["unique_id_l"], chosen["unique_id_r"], chosen["evidence"], chosen["match_probability"],
                   strict=True)

    for left, right, _, p in rows(~left_met & ~right_met):
        join(left, right, p)
    # An encounter (a call name, a guessed age, a regency) fits many people: it joins the registered
    # person it fits best, and only when that one is clearly ahead of the next; never two of them.
    fits: dict[str, list[tuple[float, int, str, float]]] = {}
    for left, right, evidence, p in rows(left_met != right_met):
        met, other = (left, right) if left in encounters else (right, left)
        root = uf.root(uf.index[other])
        found = fits.setdefault(met, [])
        if all(root != r for _, r, _, _ in found):  # the strongest pair per person: rows come strongest first
            found.append((float(evidence), root, other, float(p)))
    undecided = set()  # roots holding an encounter that fits several registered persons about equally
    for met, found in fits.items():
        if len(found) == 1 or found[0][0] - found[1][0] >= ENCOUNTER_MARGIN:
            join(met, found[0][2], found[0][3])
        else:
            undecided.add(uf.root(uf.index[met]))
    registered = {uf.root(i) for record_id, i in uf.index.items() if record_id not in encounters}
    for left, right, _, p in rows(left_met & right_met):
        ra, rb = uf.root(uf.index[left]), uf.root(uf.index[right])
        if (ra in registered or ra in undecided) and (rb in registered or rb in undecided):
            continue  # not for two encounters to merge registered persons, or settle an undecided one
        if join(left, right, p):
            root = uf.root(uf.index[left])
            if ra in registered or rb in registered:
                registered.add(root)
            if ra in undecided or rb in undecided:
                undecided.add(root)
    labels = uf.labels()
    assigned = pd.DataFrame({"record_id": record_ids, "cluster": [labels[r] for r in record_ids],
                             "method": [method[r] for r in record_ids],
                             "probability": [probability[r] for r in record_ids]})
    return assigned, uf, refused
