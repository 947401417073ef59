"""The figures of ``hub bench truth``, each read from the served API's answers and compared with
the synthesiser's truth. What each figure means is defined in ``hub.truth_bench``'s docstring."""

from __future__ import annotations

import asyncio
import datetime as dt
import random
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

import httpx
import numpy as np

from graph_schema import api_queries
from graph_schema.port import GraphStore
from hub.privacy.access import Role
from hub.synth.name_variants import WRITTEN_AS_KINDS, written_as
from hub.truth_files import RecordKey, Truth, regency_of
from matching.identity import REGISTRY, kk_district

LOOKUP = "query($nik: String) { person(nik: $nik) { personId records { source sourceKey } } }"
RELATIONS = ("query($id: ID) { person(personId: $id) { personId records { source sourceKey kk } "
             "households { kk members { personId relation } } } }")
SEARCH = ("query($name: String, $born: String, $region: String) { searchPersons(name: $name, birthDate: $born, "
          "region: $region, first: 10) { edges { node { personId } } } }")
COVERAGE = "query($program: String!) { programCoverage(program: $program) { region { code } enrolled } }"
OVERLAP = ("query($programs: [String!]!) { programOverlap(programs: $programs) { totals { program persons } "
           "pairs { a b persons } } }")
CONFLICT_QUEUE = ("query($after: String) { conflictingPersons(first: 100, after: $after) { "
                  "edges { node { personId reasons } } pageInfo { hasNextPage endCursor } } }")
OVERLAP_PROGRAMS = ("KIS_PBI_APBN", "PKH", "SEMBAKO")
MIN_CELL = 20  # cells with fewer true persons are too small for a relative error to mean much
TWO_YEARS_DAYS = 730.5


@dataclass(frozen=True)
class Samples:
    lookups: int = 1000
    relations: int = 1000
    searches: int = 500
    seed: int = 42


class ApiClient:
    """The served API as users ask it: one key per role, a few requests in flight at once."""

    def __init__(self, url: str, keys: dict[Role, str], concurrency: int = 4) -> None:
        self.url, self.keys = url, keys
        self._slots = asyncio.Semaphore(concurrency)
        self._http = httpx.AsyncClient(timeout=120)

    async def close(self) -> None:
        await self._http.aclose()

    async def ask(self, role: Role, query: str, variables: dict[str, Any]) -> tuple[Any, str | None]:
        """The answer's data and, when it failed, its first error message."""
        async with self._slots:
            response = await self._http.post(self.url, json={"query": query, "variables": variables},
                                             headers={"Authorization": f"Bearer {self.keys[role]}"})
        try:
            body = response.json()
        except ValueError:
            return None, f"HTTP {response.status_code}: not a GraphQL answer"
        if response.status_code != 200 or body.get("errors"):
            return body.get("data"), (body.get("errors") or [{}])[0].get("message") or f"HTTP {response.status_code}"
        return body["data"], None

    async def ask_all(self, role: Role, query: str, variables: Iterable[dict[str, Any]]) -> list[tuple[Any, str | None]]:
        return list(await asyncio.gather(*(self.ask(role, query, v) for v in variables)))


@dataclass
class Links:
    """The graph as linked: which person each loaded record resolves to, and each record's identity fields."""

    rows: list[dict[str, Any]]
    persons_of_record: dict[RecordKey, set[str]]
    nik_of_record: dict[RecordKey, str | None]
    regency_of_record: dict[RecordKey, str | None] = field(default_factory=dict)  # where it says they live
    kk_of_record: dict[RecordKey, str | None] = field(default_factory=dict)

    @classmethod
    async def read(cls, store: GraphStore) -> Links:
        rows = await store.run(api_queries.RECORD_PERSON_LINKS)
        persons: dict[RecordKey, set[str]] = {}
        niks: dict[RecordKey, str | None] = {}
        regencies: dict[RecordKey, str | None] = {}
        kks: dict[RecordKey, str | None] = {}
        for row in rows:
            key = (row["source"], row["source_key"])
            niks[key] = row["nik"]
            kks[key] = row.get("kk")
            # An encounter says where street outreach met someone, not where they live.
            regencies[key] = None if row.get("encounter") else regency_of(row.get("region_code") or "")
            linked = persons.setdefault(key, set())  # a loaded record, even when linked to no one
            if row["person_id"] is not None:
                linked.add(row["person_id"])
        return cls(rows, persons, niks, regencies, kks)

    def knowable_regency(self, truth: Truth, true_person: str) -> tuple[str | None, bool]:
        """Where a true person's own records place them, and whether that is where they live.

        The regency most of their loaded records state (encounters aside), the district their KK
        was issued in counting once too (the KK most of them give: ``matching.identity.kk_district``);
        between regencies stated equally often, the KK's, then the registry's, then the first by
        code (the hub's order: matching/identity.py ``home_regions``). A person nothing places is
        placed at home.
        """
        home = regency_of(truth.persons[true_person].village_code)
        stated: Counter[str] = Counter()
        registry: Counter[str] = Counter()
        kks: Counter[str] = Counter()
        for key in truth.records_of_person.get(true_person, []):
            regency = self.regency_of_record.get(key)
            if regency is not None:
                stated[regency] += 1
                registry[regency] += key[0] == REGISTRY
            if kk := self.kk_of_record.get(key):
                kks[kk] += 1
        district = kk_district(min(kks, key=lambda k: (-kks[k], k))) if kks else None
        issuer = regency_of(district) if district else None
        if issuer is not None:
            stated[issuer] += 1
        if not stated:
            return home, True
        top = max(stated.values())
        chosen = min((r for r, n in stated.items() if n == top), key=lambda r: (r != issuer, -registry[r], r))
        return chosen, chosen == home

    def loaded(self, key: RecordKey) -> bool:
        return key in self.persons_of_record

    def persons_of(self, truth: Truth, true_person: str) -> set[str]:
        """The API persons the true person's loaded records resolve to."""
        return {p for key in truth.records_of_person.get(true_person, []) for p in self.persons_of_record.get(key, ())}


def share(count: int, total: int) -> float | None:
    return round(count / total, 4) if total else None


def _sample(items: list[Any], size: int, seed: int) -> list[Any]:
    return random.Random(seed).sample(items, min(size, len(items)))


@dataclass(frozen=True)
class LookupVerdict:
    true_person: str
    answered: str | None  # the person id the API answered with
    complete: bool
    foreign: bool
    nik_stated: bool  # whether any loaded record of the true person states its NIK (else no one could know it)
    error: str | None = None


async def lookup_verdicts(api: ApiClient, truth: Truth, links: Links, samples: Samples) -> list[LookupVerdict]:
    """Each sampled true person asked for by NIK, and what the answer's records say."""
    eligible = sorted(pid for pid, person in truth.persons.items()
                      if person.nik and any(links.loaded(k) for k in truth.records_of_person.get(pid, [])))
    chosen = _sample(eligible, samples.lookups, samples.seed)
    answers = await api.ask_all(Role.APP, LOOKUP, ({"nik": truth.persons[pid].nik} for pid in chosen))
    verdicts = []
    for pid, (data, error) in zip(chosen, answers, strict=True):
        person = (data or {}).get("person") or {}
        got = {(r["source"], r["sourceKey"]) for r in person.get("records", [])}
        loaded = {k for k in truth.records_of_person[pid] if links.loaded(k)}
        verdicts.append(LookupVerdict(
            pid, person.get("personId"), complete=loaded <= got,
            foreign=any(truth.person_of_record.get(k, pid) != pid for k in got),
            nik_stated=any(links.nik_of_record[k] == truth.persons[pid].nik for k in loaded), error=error))
    return verdicts


async def measure_lookups(api: ApiClient, truth: Truth, links: Links, samples: Samples) -> dict[str, Any]:
    verdicts = await lookup_verdicts(api, truth, links, samples)
    n = len(verdicts)
    complete = sum(v.complete for v in verdicts)
    return {"lookups": n, "lookup_complete": share(complete, n), "lookup_missing": share(n - complete, n),
            "lookup_foreign": share(sum(v.foreign for v in verdicts), n),
            "lookup_null": share(sum(v.answered is None and v.error is None for v in verdicts), n),
            "lookup_errors": sum(v.error is not None for v in verdicts),
            "lookup_nik_unstated": share(sum(not v.nik_stated for v in verdicts), n)}


def _date(text: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if isinstance(text, str) else None
    except ValueError:
        return None


def conflicting_persons(rows: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Persons whose records disagree on identity, with the reasons (nik, sex, birth_date)."""
    niks: dict[str, set[str]] = defaultdict(set)
    sexes: dict[str, set[str]] = defaultdict(set)
    born: dict[str, list[dt.date]] = defaultdict(list)
    for row in rows:
        pid = row["person_id"]
        if pid is None:
            continue
        if row["nik"]:
            niks[pid].add(row["nik"])
        if row["sex"]:
            sexes[pid].add(row["sex"])
        date = _date(row["birth_date"])
        if date is not None and not row["encounter"]:
            born[pid].append(date)
    reasons: dict[str, list[str]] = defaultdict(list)
    for pid, values in niks.items():
        if len(values) > 1:
            reasons[pid].append("nik")
    for pid, values in sexes.items():
        if len(values) > 1:
            reasons[pid].append("sex")
    for pid, dates in born.items():
        if (max(dates) - min(dates)).days > TWO_YEARS_DAYS:
            reasons[pid].append("birth_date")
    return dict(reasons)


def api_has_conflict_queue() -> bool:
    """Whether the API's schema has the stewards' ``conflictingPersons`` field."""
    from resolvers.schema import SCHEMA

    query = SCHEMA.get_type_by_name("Query")
    fields = getattr(query, "fields", [])
    return any(SCHEMA.config.name_converter.get_graphql_name(f) == "conflictingPersons" for f in fields)


async def conflict_queue(api: ApiClient) -> tuple[set[str], str | None]:
    """Every person id the stewards' conflict queue lists, page by page; and an error, if one came."""
    queued: set[str] = set()
    after: str | None = None
    while True:
        data, error = await api.ask(Role.STEWARD, CONFLICT_QUEUE, {"after": after})
        if error is not None:
            return queued, error
        page = data["conflictingPersons"]
        queued |= {edge["node"]["personId"] for edge in page["edges"]}
        if not page["pageInfo"]["hasNextPage"]:
            return queued, None
        after = page["pageInfo"]["endCursor"]


async def measure_conflicts(api: ApiClient, truth: Truth, links: Links) -> dict[str, Any]:
    conflicting = conflicting_persons(links.rows)
    by_reason: dict[str, int] = defaultdict(int)
    for reasons in conflicting.values():
        for reason in reasons:
            by_reason[reason] += 1
    true_persons: dict[str, set[str | None]] = defaultdict(set)
    for row in links.rows:
        if row["person_id"] in conflicting:
            true_persons[row["person_id"]].add(truth.person_of_record.get((row["source"], row["source_key"])))
    queued, error = (await conflict_queue(api)) if api_has_conflict_queue() else (None, None)
    return {"conflicting_persons": len(conflicting), "conflicting_by_reason": dict(sorted(by_reason.items())),
            "conflict_queue": None if queued is None else len(queued), "conflict_queue_error": error,
            "conflicting_unhandled": len(set(conflicting) - (queued or set())),
            "conflicting_truly_mixed": sum(len(t) > 1 for t in true_persons.values())}


def _relation_shown(person: dict[str, Any] | None, key: RecordKey) -> bool:
    if person is None:
        return False
    kks = [r["kk"] for r in person["records"] if (r["source"], r["sourceKey"]) == key]
    households = [h for h in person["households"] if not kks or kks[0] is None or h["kk"] == kks[0]]
    return any(m["personId"] == person["personId"] and m["relation"] for h in households for m in h["members"])


async def measure_relations(api: ApiClient, truth: Truth, links: Links, samples: Samples) -> dict[str, Any]:
    chosen = _sample([k for k in truth.relation_rows if links.loaded(k)], samples.relations, samples.seed)
    asked = [(key, sorted(links.persons_of_record[key])) for key in chosen]
    answers = await api.ask_all(Role.APP, RELATIONS, ({"id": persons[0]} for _, persons in asked if persons))
    found = iter(answers)
    present = errors = 0
    for key, persons in asked:
        if not persons:
            continue
        data, error = next(found)
        errors += error is not None
        present += _relation_shown((data or {}).get("person"), key)
    return {"relation_rows": len(chosen), "relation_present": share(present, len(chosen)), "relation_errors": errors}


def _search_targets(truth: Truth, links: Links, samples: Samples) -> Iterator[tuple[str, str, str]]:
    """(true person, kind, variant) for true persons with a loaded record, in a seeded order."""
    rng = np.random.default_rng(samples.seed)
    ids = sorted(pid for pid in truth.persons if links.persons_of(truth, pid))
    for i in rng.permutation(len(ids)):
        person = truth.persons[ids[i]]
        variants = [(kind, v) for kind in WRITTEN_AS_KINDS if (v := written_as(kind, person.name, rng)) is not None]
        if variants:
            kind, variant = variants[int(rng.integers(0, len(variants)))]
            yield person.person_id, kind, variant


async def measure_search(api: ApiClient, truth: Truth, links: Links, samples: Samples) -> dict[str, Any]:
    targets = [t for _, t in zip(range(samples.searches), _search_targets(truth, links, samples), strict=False)]
    answers = await api.ask_all(Role.STEWARD, SEARCH, (  # names: only roles that see them search by one
        {"name": variant, "born": truth.persons[pid].birth_date[:4],
         "region": truth.persons[pid].regency_as_offices_write_it} for pid, _, variant in targets))
    asked: dict[str, int] = defaultdict(int)
    hits: dict[str, int] = defaultdict(int)
    errors: list[str] = []
    for (pid, kind, _), (data, error) in zip(targets, answers, strict=True):
        asked[kind] += 1
        if error is not None:
            errors.append(error)
            continue
        found = {e["node"]["personId"] for e in data["searchPersons"]["edges"]}
        hits[kind] += bool(found & links.persons_of(truth, pid))
    return {"searches": len(targets), "search_recall_at_10": share(sum(hits.values()), len(targets)),
            "search_recall_by_kind": {k: {"asked": asked[k], "recall": share(hits[k], asked[k])} for k in sorted(asked)},
            "search_errors": len(errors), "search_first_error": errors[0] if errors else None}


def worst_cell(cells: dict[str, int], truth_cells: dict[str, set[str]]) -> tuple[float | None, str | None, int]:
    """The largest |api - true| / true over cells with at least MIN_CELL true persons, its cell, and how many."""
    worst: tuple[float | None, str | None] = (None, None)
    compared = 0
    for cell, persons in sorted(truth_cells.items()):
        if len(persons) < MIN_CELL:
            continue
        compared += 1
        error = abs(cells.get(cell, 0) - len(persons)) / len(persons)
        if worst[0] is None or error > worst[0]:
            worst = (round(error, 4), f"{cell}: api {cells.get(cell, 0)}, true {len(persons)}")
    return worst[0], worst[1], compared


async def measure_coverage(api: ApiClient, truth: Truth, links: Links) -> dict[str, Any]:
    stated: dict[str, set[str]] = defaultdict(set)  # "PKH 33.10" -> true persons
    home: dict[str, set[str]] = defaultdict(set)
    knowable: dict[str, set[str]] = defaultdict(set)
    everywhere: dict[str, set[str]] = defaultdict(set)
    unplaceable: set[str] = set()
    for row in truth.roster_rows:
        pid = truth.person_of_record.get(row.key)
        if pid is None or not links.loaded(row.key):
            continue
        if row.regency:
            stated[f"{row.program} {row.regency}"].add(pid)
        home[f"{row.program} {regency_of(truth.persons[pid].village_code)}"].add(pid)
        regency, placeable = links.knowable_regency(truth, pid)
        knowable[f"{row.program} {regency}"].add(pid)
        if not placeable:
            unplaceable.add(pid)
        everywhere[row.program].add(pid)
    programs = sorted(everywhere)
    # Exact counts, as an admin gets them: an analyst's counts below 5 are withheld (hub.privacy.disclosure).
    answers = await api.ask_all(Role.ADMIN, COVERAGE, ({"program": p} for p in programs))
    cells: dict[str, int] = {}
    errors = [e for _, e in answers if e]
    for program, (data, _) in zip(programs, answers, strict=True):
        for row in (data or {}).get("programCoverage") or []:
            cells[f"{program} {row['region']['code']}"] = row["enrolled"]
    error, cell, compared = worst_cell(cells, home)
    sources_error, sources_cell, _ = worst_cell(cells, knowable)
    stated_error, stated_cell, _ = worst_cell(cells, stated)
    figures = {"coverage_max_rel_error": error, "coverage_worst_cell": cell, "coverage_cells": compared,
               "coverage_unplaceable_persons": len(unplaceable),
               "coverage_max_rel_error_sources": sources_error, "coverage_worst_cell_sources": sources_cell,
               "coverage_max_rel_error_stated_region": stated_error, "coverage_worst_cell_stated_region": stated_cell,
               "coverage_errors": len(errors)}
    wanted = [p for p in OVERLAP_PROGRAMS if p in everywhere]
    data, overlap_error = await api.ask(Role.ADMIN, OVERLAP, {"programs": wanted})
    if overlap_error is not None or len(wanted) < 2:
        return {**figures, "overlap_max_rel_error": None, "overlap_worst": overlap_error}
    answer = data["programOverlap"]
    counted = {t["program"]: t["persons"] for t in answer["totals"]}
    counted |= {f"{p['a']}+{p['b']}": p["persons"] for p in answer["pairs"]}
    true_sets = {p: everywhere[p] for p in wanted} | {f"{a}+{b}": everywhere[a] & everywhere[b]
                                                      for a, b in combinations(sorted(wanted), 2)}
    overlap, worst, _ = worst_cell(counted, true_sets)
    return {**figures, "overlap_max_rel_error": overlap, "overlap_worst": worst}
