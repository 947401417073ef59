"""Contract cases for the API's reads (``api_queries``) and the scoped projections, on every backend."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from graph_schema import api_queries, queries
from graph_schema.port import GraphStore
from tests.graph_schema import lookups
from tests.graph_schema.test_contract import write_world
from tests.graph_schema.world import KK, NIK1, P1, P2

Rows = list[dict[str, Any]]
VILLAGE = "33.74.01.1001"


def _core(rows: Rows) -> None:
    (row,) = rows
    assert row["person"]["person_id"] == P1 and row["region"]["name"] == "Miroto"
    assert sorted(a["code"] for a in row["region_above"]) == ["33", "33.74", "33.74.01"]
    assert sorted((r["record"]["source"], r["method"]) for r in row["records"]) == [
        ("dtks", "nik"), ("outreach", "splink"), ("ppks", "nik")]
    assert sorted((e["program"], e["from"]) for e in row["enrolments"]) == [("PKH", "2024-01-01"), ("PKH", "2025-01-01")]
    assert [c["code"] for c in row["conditions"]] == ["PPKS-05"] and [s["panti_id"] for s in row["stays"]] == ["PANTI-7"]
    assert row["households"] == [{"kk": KK, "relation": "ISTRI"}]


def _events(rows: Rows) -> None:
    (row,) = rows
    assert [e["event_id"] for e in row["events"]] == ["SLRT-1"]
    assert [(h["event_id"], h["actor_id"], h["role"]) for h in row["handlers"]] == [("SLRT-1", "TKSK-33.74.01", "petugas")]
    assert sorted(r["target"] for r in row["referrals"]) == ["DINKES-3374", "KIS-PBI-APBD"]
    assert row["follow_ups"] == [{"event_id": "SLRT-1", "follows": "SLRT-0"}] and row["attendance"] == []


def _household(rows: Rows) -> None:
    (row,) = rows
    assert row["household"]["decile"] == 2 and row["region"]["name"] == "Miroto" and len(row["region_above"]) == 3
    assert row["located_in"] == [VILLAGE]
    assert sorted((m["person_id"], m["relation"]) for m in row["members"]) == [(P1, "ISTRI"), (P2, "KEPALA KELUARGA")]
    assert sorted((m["person_id"], m["program"]) for m in row["member_programs"]) == [(P1, "PKH"), (P1, "PKH")]


def _equals(extract: Callable[[Rows], Any], expected: Any) -> Callable[[Rows], None]:
    def check(rows: Rows) -> None:
        assert extract(rows) == expected, rows
    return check


API_LOOKUPS: list[tuple[str, dict[str, Any], Callable[[Rows], None]]] = [
    ("PERSON_CORE_BY_IDS", {"keys": [P1, "nope"]}, _core),
    ("PERSON_CORE_BY_NIKS", {"keys": [NIK1, "0000000000000000"]}, _core),
    ("EVENTS_BY_PERSONS", {"keys": [P1]}, _events),
    ("HOUSEHOLDS_BY_KKS", {"keys": [KK, "nope"]}, _household),
    ("REGIONS_BY_CODES", {"keys": [VILLAGE]},
     _equals(lambda rows: (rows[0]["region"]["name"], sorted(a["level"] for a in rows[0]["above"])), ("Miroto", [1, 2, 3]))),
    ("PERSON_SEARCH_BY_NAME", {"query": None, "words": [["SITI"], ["AMINHA"]], "birth_date": "1988-06-05",
                               "birth_year": None, "region": "33.74", "after": None, "limit": 5},
     _equals(lambda rows: [(r["person"]["person_id"], r["fit"]) for r in rows], [(P1, 0)])),
    ("PERSON_SEARCH_BY_NAME", {"query": None, "words": [["SITI"]], "birth_date": None, "birth_year": "1988",
                               "region": None, "after": None, "limit": 5},
     _equals(lambda rows: [(r["person"]["person_id"], r["fit"]) for r in rows], [(P1, 3)])),
    ("PERSON_SEARCH_BY_NAME_IN_SCOPE", {"query": None, "words": [["SITI"]], "birth_date": None, "birth_year": "1988",
                                        "region": None, "after": None, "limit": 5, "scope": "33.74.01"},
     _equals(lambda rows: [(r["person"]["person_id"], r["fit"]) for r in rows], [(P1, 3)])),
    ("PERSON_SEARCH_BY_NAME_IN_SCOPE", {"query": None, "words": [["SITI"]], "birth_date": None, "birth_year": None,
                                        "region": None, "after": None, "limit": 5, "scope": "33.16"},
     _equals(lambda rows: rows, [])),
    ("PERSON_SEARCH_BY_FILTERS", {"birth_date": None, "birth_year": "1985", "region": "33.74", "after": None,
                                  "limit": 5},
     _equals(lambda rows: [r["person"]["person_id"] for r in rows], [P2])),
    ("PERSON_SEARCH_BY_FILTERS", {"birth_date": None, "birth_year": None, "region": "33.74", "after": [0, 1.0, P1],
                                  "limit": 5},
     _equals(lambda rows: [r["person"]["person_id"] for r in rows], [P2])),
    ("PERSON_SEARCH_BY_FILTERS_IN_SCOPE", {"birth_date": None, "birth_year": None, "region": None,
                                           "after": [0, 1.0, P1], "limit": 5, "scope": "33.74"},
     _equals(lambda rows: [r["person"]["person_id"] for r in rows], [P2])),
    ("PERSON_SEARCH_BY_FILTERS_IN_SCOPE", {"birth_date": None, "birth_year": "1985", "region": None, "after": None,
                                           "limit": 5, "scope": "33.16"},
     _equals(lambda rows: rows, [])),
    ("HOUSEHOLDS_OF_PERSONS", {"keys": [P1]},
     _equals(lambda rows: [(r["person_id"], r["name"], r["kk"], r["decile"], r["relation"]) for r in rows],
             [(P1, "SITI AMINAH", KK, 2, "ISTRI")])),
    ("MEMBERS_OF_HOUSEHOLDS", {"keys": [KK]},
     _equals(lambda rows: [(r["kk"], r["person_id"], r["relation"]) for r in rows],
             [(KK, P1, "ISTRI"), (KK, P2, "KEPALA KELUARGA")])),
    ("MEMBERS_OF_HOUSEHOLDS_IN_SCOPE", {"keys": [KK], "scope": "33.74"},
     _equals(lambda rows: [(r["kk"], r["person_id"]) for r in rows], [(KK, P1), (KK, P2)])),
    ("MEMBERS_OF_HOUSEHOLDS_IN_SCOPE", {"keys": [KK], "scope": "33.16"}, _equals(lambda rows: rows, [])),
    ("CONFLICTING_PERSONS_PAGE_IN_SCOPE", {"region": None, "after": None, "limit": 10, "scope": "33.74"},
     _equals(lambda rows: rows, [])),  # no conflicts in this world: see the test of belonging below
    ("PROGRAMS_OF_PERSONS", {"keys": [P1, P2]},
     _equals(lambda rows: [(r["person_id"], r["program"]) for r in rows], [(P1, "PKH")])),
    ("PROGRAM_COVERAGE", {"program": "PKH", "region": "33", "width": 5},
     _equals(lambda rows: rows, [{"area": "33.74", "name": "Kota Semarang", "persons": 2, "dtks_persons": 1,
                                  "enrolled": 1, "enrolled_in_dtks": 1}])),
    ("PROGRAM_OVERLAP", {"programs": ["PKH", "KIS-PBI-APBD"], "region": "33.74"},
     _equals(lambda rows: rows, [{"programs": ["PKH"], "persons": 1}])),
    ("MATCH_CANDIDATES_PAGE", {"status": "open", "region": None, "after": None, "limit": 10},
     _equals(lambda rows: [(r["candidate"]["candidate_id"], sorted(s["side"] for s in r["sides"]),
                            sorted(p["person_id"] for p in r["persons"])) for r in rows],
             [("MC-1", ["left", "right"], [P1, P1])])),
    ("MATCH_CANDIDATES_PAGE_IN_SCOPE", {"status": "open", "region": None, "after": None, "limit": 10,
                                        "scope": "33.74"},
     _equals(lambda rows: [(r["candidate"]["candidate_id"], sorted(p["person_id"] for p in r["persons"]))
                           for r in rows], [("MC-1", [P1, P1])])),
    ("MATCH_CANDIDATES_PAGE_IN_SCOPE", {"status": "open", "region": None, "after": None, "limit": 10,
                                        "scope": "33.16"},
     _equals(lambda rows: rows, [])),
    ("PERSON_CORE_BY_IDS_IN_SCOPE", {"keys": [P1, "nope"], "scope": "33.74.01"}, _core),
    ("PERSON_CORE_BY_IDS_IN_SCOPE", {"keys": [P1], "scope": "33.16"}, _equals(lambda rows: rows, [])),
    ("PERSON_CORE_BY_NIKS_IN_SCOPE", {"keys": [NIK1, "0000000000000000"], "scope": "33.74"}, _core),
    ("PERSON_CORE_BY_NIKS_IN_SCOPE", {"keys": [NIK1], "scope": "33.16.01"}, _equals(lambda rows: rows, [])),
    ("PERSONS_IN_SCOPE", {"keys": [P1, P2, "nope"], "scope": "33.74"},
     _equals(lambda rows: sorted(r["key"] for r in rows), [P1, P2])),
    ("PERSONS_IN_SCOPE", {"keys": [P1, P2], "scope": "33.16"}, _equals(lambda rows: rows, [])),
    ("CANDIDATE_PERSON_RECORDS", {"candidate_id": "MC-1"},
     _equals(lambda rows: sorted({(r["person_id"], r["record_id"]) for r in rows}),
             [(P1, "dtks:DTKS-1"), (P1, "outreach:OUT-3"), (P1, "ppks:PPKS-9")])),
    ("CANDIDATE_RECORD_SIDES", {"candidate_id": "MC-1"},
     _equals(lambda rows: rows, [{"side": "left", "record_id": "ppks:PPKS-9"},
                                 {"side": "right", "record_id": "outreach:OUT-3"}])),
    ("PERSON_KEYS", {}, _equals(lambda rows: [(r["person_id"], r["kk"]) for r in rows], [(P1, KK), (P2, KK)])),
    ("RECORD_PERSON_LINKS", {},
     _equals(lambda rows: [(r["source"], r["source_key"], r["person_id"], r["nik"], r["encounter"], r["kk"])
                           for r in rows],
             [("dtks", "DTKS-1", P1, NIK1, None, KK), ("outreach", "OUT-3", P1, None, True, None),
              ("ppks", "PPKS-9", P1, NIK1, None, None)])),
    ("SHOWCASE_PERSON", {}, _equals(lambda rows: [(r["person_id"], r["sources"]) for r in rows], [(P1, 3)])),
    ("STREET_SHOWCASE_PERSON", {"registry": "dtks", "roster_prefix": "pp", "min_met": 1},
     _equals(lambda rows: [(r["person_id"], sorted(r["sources"]), r["met_without_nik"]) for r in rows],
             [(P1, ["dtks", "outreach", "ppks"], 1)])),
    ("STREET_SHOWCASE_PERSON", {"registry": "dtks", "roster_prefix": "pp", "min_met": 2},
     _equals(lambda rows: rows, [])),
    ("QUASI_IDENTIFIER_COUNTS", {"regions": ["33.74", "33.99"]},
     _equals(lambda rows: sorted((r["region"], r["village"], r["year"], r["sex"], r["persons"]) for r in rows),
             [("33.74", VILLAGE, "1985", "L", 1), ("33.74", VILLAGE, "1988", "P", 1)])),
]
SCOPED_PROJECTIONS = {"PROJECT_ENROLMENTS_FOR_PERSONS", "PROJECT_CONDITIONS_FOR_PERSONS",
                      "PROJECT_PANTI_STAYS_FOR_PERSONS", "PROJECT_HOUSEHOLDS_FOR_PERSONS",
                      "PROJECT_EVENT_SUBJECTS_FOR_PERSONS"}


async def write_placed_world(store: GraphStore) -> None:
    await write_world(store)
    await store.run(queries.UPSERT_PERSONS, {"rows": [{"person_id": p, "props": {"region_code": VILLAGE}}
                                                      for p in (P1, P2)]}, write=True)


@pytest.mark.parametrize(("name", "params", "check"), API_LOOKUPS, ids=[case[0] for case in API_LOOKUPS])
async def test_api_lookup(store: GraphStore, name: str, params: dict[str, Any], check: Callable[[Rows], None]) -> None:
    await write_placed_world(store)
    if name.startswith("PERSON_SEARCH_BY_NAME"):
        params = {**params, "query": store.dialect.fulltext_query(params["words"])}
    check(await store.run(getattr(api_queries, name), params))


async def test_candidates_filter_by_region(store: GraphStore) -> None:
    await write_placed_world(store)
    page = {"status": None, "after": None, "limit": 10}
    assert await store.run(api_queries.MATCH_CANDIDATES_PAGE, {**page, "region": "33.99"}) == []
    assert await store.run(api_queries.MATCH_CANDIDATES_PAGE, {**page, "status": "decided", "region": None}) == []


async def test_projections_for_some_persons_touch_only_them(store: GraphStore) -> None:
    await write_world(store)
    await store.run(lookups.DELETE_ALL, write=True)
    await write_world(store)
    scoped = [getattr(queries, name) for name in sorted(SCOPED_PROJECTIONS)]
    assert [(await store.run(q, {"person_ids": [P2]}, write=True))[0]["written"] for q in scoped] == [0] * 5
    assert [(await store.run(q, {"person_ids": [P1]}, write=True))[0]["written"] for q in scoped] == [1] * 5


async def test_a_person_belongs_to_every_region_that_places_them(store: GraphStore) -> None:
    """Not only the home village: every linked record's region and every household's regions."""
    await write_world(store)  # no home region on either person; their household lies in 33.74.01.1001

    async def belonging(scope: str) -> list[str]:
        return sorted(r["key"] for r in await store.run(api_queries.PERSONS_IN_SCOPE, {"keys": [P1, P2],
                                                                                       "scope": scope}))

    assert await belonging("33.74.01") == [P1, P2]  # through the household
    assert await belonging("33.16") == []
    # SITI was met by street outreach in Sragen (33.14): that record places her there too, not P2.
    await store.run("MATCH (s:SourceRecord {record_id: 'outreach:OUT-3'}) SET s.region_code = '33.14.02.2003'",
                    write=True)
    assert await belonging("33.14") == [P1]
    # A household a roster placed in a second village places every member there.
    await store.run("MATCH (h:Household) CREATE (h)-[:LOCATED_IN]->(:Region {code: '33.16.01.2001'})", write=True)
    assert await belonging("33.16") == [P1, P2]
    members = await store.run(api_queries.MEMBERS_OF_HOUSEHOLDS_IN_SCOPE, {"keys": [KK], "scope": "33.14"})
    assert [r["person_id"] for r in members] == [P1]
    conflicts = {"region": None, "after": None, "limit": 10}
    await store.run(queries.UPSERT_PERSONS, {"rows": [{"person_id": p, "props": {"conflicts": ["BOTH_SEXES"],
                                                                                 "conflict_rank": 1, "record_count": 1}}
                                                      for p in (P1, P2)]}, write=True)
    assert [r["person_id"] for r in await store.run(api_queries.CONFLICTING_PERSONS_PAGE_IN_SCOPE,
                                                    {**conflicts, "scope": "33.14"})] == [P1]
    assert [r["person_id"] for r in await store.run(api_queries.CONFLICTING_PERSONS_PAGE_IN_SCOPE,
                                                    {**conflicts, "scope": "33.74.01"})] == [P1, P2]
