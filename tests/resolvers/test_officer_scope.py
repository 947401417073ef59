"""Officer keys scoped to a regency, over real HTTP: its own regency is read, every other refused or left out.

A person belongs to every region that places them (their records' regions, their households');
the persons chosen here as "outside" belong to no part of the officer's regency by any of them.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import pytest

from hub.api.keys import region_code
from hub.privacy.access import Role
from hub.privacy.audit import AuditLog, Outcome
from tests.resolvers.conftest import Api

# Every region code that places a person: the definition the hub keeps to, restated for the test.
PLACES = (
    "MATCH (p:Person {person_id: $p}) RETURN [p.region_code] + "
    "[(s:SourceRecord)-[:RESOLVES_TO]->(p) | s.region_code] + [(p)-[:MEMBER_OF]->(h:Household) | h.region_code] + "
    "[(p)-[:MEMBER_OF]->(:Household)-[:LOCATED_IN]->(l:Region) | l.code] AS codes"
)
OUTSIDERS = (
    "MATCH (p:Person) WHERE p.nik IS NOT NULL AND p.kk IS NOT NULL AND NOT p.region_code STARTS WITH $r "
    "WITH p, [(s:SourceRecord)-[:RESOLVES_TO]->(p) | s.region_code] AS own, "
    "[(p)-[:MEMBER_OF]->(h:Household)<-[:MEMBER_OF]-(m:Person) | m.person_id] AS housemates "
    "WHERE none(c IN own WHERE c STARTS WITH $r) "
    "RETURN p.person_id AS person_id, p.nik AS nik, p.kk AS kk, p.name AS name, left(p.region_code, 5) AS regency, "
    "housemates "
    "ORDER BY size(housemates) DESC, person_id LIMIT 40"
)
PERSON = "query($p: ID, $n: String) { person(personId: $p, nik: $n) { personId identity { name { best } } } }"


@dataclass
class Officer:
    key_id: str
    key: str
    region: str


@dataclass
class Scene:
    regency: str
    inside: dict[str, Any]  # the showcase person: household, programs, events
    outside: dict[str, Any]  # a person (with a NIK and KK) no record or household of whom is in the regency


def make_key(api: Api, role: Role, region: str | None) -> Officer:
    key_id, key = api.officer_key(role, region, f"{role} officer")
    return Officer(key_id, key, region_code(region) if region else "")


def places(api: Api, person_id: str) -> list[str]:
    (row,) = asyncio.run(api.cypher(PLACES, {"p": person_id}))
    return [c for c in row["codes"] if c]


def belongs(api: Api, person_id: str, region: str) -> bool:
    return any(c.startswith(region) for c in places(api, person_id))


@pytest.fixture(scope="module")
def scene(api: Api) -> Scene:
    (inside,) = asyncio.run(api.cypher("MATCH (p:Person {person_id: $p}) RETURN p {.*} AS p",
                                       {"p": api.showcase["person_id"]}))
    regency = inside["p"]["region_code"][:5]
    for row in asyncio.run(api.cypher(OUTSIDERS, {"r": regency})):
        if not any(belongs(api, p, regency) for p in [row["person_id"], *row["housemates"]]):
            return Scene(regency, inside["p"], row)
    raise AssertionError("the synthetic population has no person wholly outside the showcase's regency")


def errors(body: dict[str, Any]) -> list[str]:
    return [e["message"] for e in body.get("errors") or []]


def test_a_regency_officer_reads_its_regency_and_is_refused_another(api: Api, scene: Scene) -> None:
    officer = make_key(api, Role.STEWARD, scene.regency.replace(".", ""))  # typed as exports write it
    assert officer.region == scene.regency
    mine = api.post(PERSON, {"p": scene.inside["person_id"]}, key=officer.key).json()
    assert mine["data"]["person"]["personId"] == scene.inside["person_id"], mine
    by_nik = api.post(PERSON, {"n": scene.inside["nik"]}, key=officer.key).json()
    assert by_nik["data"]["person"]["personId"] == scene.inside["person_id"]

    by_id = api.post(PERSON, {"p": scene.outside["person_id"]}, key=officer.key).json()
    assert by_id["data"]["person"] is None
    assert errors(by_id) == [f"person: no person with this person id in your region {scene.regency}: a key scoped "
                             "to a region reads only the persons who belong to it (whose records or households "
                             "place them there)"]
    outside_nik = api.post(PERSON, {"n": scene.outside["nik"]}, key=officer.key).json()
    # A NIK nobody holds gets the very same answer: a refusal confirms nothing about who exists.
    unknown = scene.outside["nik"][:12] + ("9999" if scene.outside["nik"][12:] != "9999" else "9998")
    assert not asyncio.run(api.cypher("MATCH (s:SourceRecord {nik: $n}) RETURN s", {"n": unknown}))
    missing_nik = api.post(PERSON, {"n": unknown}, key=officer.key).json()
    assert errors(outside_nik) == errors(missing_nik) and len(errors(outside_nik)) == 1
    assert errors(outside_nik)[0].startswith(f"person: no person with this NIK in your region {scene.regency}:")
    # The same key without a region (the province) reads the outsider.
    province = make_key(api, Role.STEWARD, None)
    assert api.post(PERSON, {"p": scene.outside["person_id"]}, key=province.key).json()["data"]["person"] is not None

    log = list(AuditLog.of(api.settings).entries(key_id=officer.key_id))
    refused = [e for e in log if e.outcome == Outcome.REFUSED and e.operation == "person"]
    assert {e.person_ids for e in refused} == {(scene.outside["person_id"],)} and len(refused) == 2
    assert all(e.officer == "Sri Wahyuni" and e.region == scene.regency for e in log)
    assert sum(e.outcome == Outcome.NOT_FOUND for e in log) == 1


def test_searches_leave_outsiders_out_and_pages_stay_full(api: Api, scene: Scene) -> None:
    officer = make_key(api, Role.STEWARD, scene.regency)
    province = make_key(api, Role.STEWARD, None)
    search = ("query($name: String, $region: String, $after: String) { searchPersons(name: $name, region: $region, "
              "first: 7, after: $after) { edges { node { personId } } pageInfo { hasNextPage endCursor } } }")
    name = scene.outside["name"]
    everyone = api.post(search, {"name": name}, key=province.key).json()["data"]["searchPersons"]
    assert scene.outside["person_id"] in [e["node"]["personId"] for e in everyone["edges"]]
    scoped = api.post(search, {"name": name}, key=officer.key).json()["data"]["searchPersons"]
    assert scene.outside["person_id"] not in [e["node"]["personId"] for e in scoped["edges"]]
    # Another regency's persons by region: none. The officer's own, page after page: full pages, all inside.
    assert scene.outside["regency"] != scene.regency
    assert api.post(search, {"region": scene.outside["regency"]}, key=officer.key).json()["data"]["searchPersons"] == {
        "edges": [], "pageInfo": {"hasNextPage": False, "endCursor": None}}
    seen: list[str] = []
    after = None
    for _ in range(3):
        page = api.post(search, {"region": scene.regency[:2], "after": after},
                        key=officer.key).json()["data"]["searchPersons"]
        ids = [e["node"]["personId"] for e in page["edges"]]
        assert len(ids) == 7 and page["pageInfo"]["hasNextPage"]
        seen += ids
        after = page["pageInfo"]["endCursor"]
    assert len(set(seen)) == 21 and all(belongs(api, p, scene.regency) for p in seen)


def test_households_and_networks_stop_at_the_regency(api: Api, scene: Scene) -> None:
    officer = make_key(api, Role.STEWARD, scene.regency)
    household = "query($kk: String!) { household(kk: $kk) { members { personId } } }"
    mine = api.post(household, {"kk": scene.inside["kk"]}, key=officer.key).json()
    assert scene.inside["person_id"] in [m["personId"] for m in mine["data"]["household"]["members"]]
    theirs = api.post(household, {"kk": scene.outside["kk"]}, key=officer.key).json()
    assert theirs["data"]["household"] is None
    assert errors(theirs)[0].startswith(f"household: no household with this KK in your region {scene.regency}:")
    unknown = api.post(household, {"kk": "3399999999999999"}, key=officer.key).json()
    assert errors(unknown) == errors(theirs)

    network = ("query($p: ID) { householdNetwork(personId: $p, depth: 6) { nodes { kind personId } "
               "edges { source target } } }")
    walked = api.post(network, {"p": scene.inside["person_id"]}, key=officer.key).json()["data"]["householdNetwork"]
    persons = [n["personId"] for n in walked["nodes"] if n["kind"] == "PERSON"]
    assert scene.inside["person_id"] in persons and all(belongs(api, p, scene.regency) for p in persons)
    refused = api.post(network, {"p": scene.outside["person_id"]}, key=officer.key).json()
    assert refused["data"] is None or refused["data"]["householdNetwork"] is None
    assert errors(refused)[0].startswith(f"householdNetwork: no such person in your region {scene.regency}:")


def test_review_queues_hold_only_the_regencys_persons(api: Api, scene: Scene) -> None:
    officer = make_key(api, Role.STEWARD, scene.regency)
    province = make_key(api, Role.STEWARD, None)
    candidates = ("{ matchCandidates(status: null, first: 100) { edges { node { candidateId left { personId } "
                  "right { personId } } } } }")
    conflicts = "{ conflictingPersons(first: 100) { edges { node { personId } } } }"

    def pairs(key: str) -> dict[str, set[str]]:
        edges = api.post(candidates, key=key).json()["data"]["matchCandidates"]["edges"]
        return {e["node"]["candidateId"]: {s["personId"] for s in (e["node"]["left"], e["node"]["right"]) if s}
                for e in edges}

    everyone, mine = pairs(province.key), pairs(officer.key)
    assert mine and set(mine) < set(everyone)
    assert all(belongs(api, p, scene.regency) for persons in mine.values() for p in persons)
    left_out = {c for c in set(everyone) - set(mine) if not all(belongs(api, p, scene.regency) for p in everyone[c])}
    assert left_out == set(everyone) - set(mine)

    def conflicting(key: str) -> set[str]:
        return {e["node"]["personId"] for e in api.post(conflicts, key=key).json()["data"]["conflictingPersons"]["edges"]}

    all_conflicts, my_conflicts = conflicting(province.key), conflicting(officer.key)
    assert my_conflicts == {p for p in all_conflicts if belongs(api, p, scene.regency)} and my_conflicts

    # A verdict on a pair outside the regency is refused before anything is written.
    outside_pair = next(iter(left_out))
    judged = api.post(f'mutation {{ judgeMatch(candidateId: "{outside_pair}", decision: UNSURE, reason: "r") '
                      "{ ok } }", key=officer.key).json()
    assert errors(judged)[0].startswith(f"judgeMatch: no match candidate {outside_pair} in your region")


def test_aggregates_count_only_the_regency(api: Api, scene: Scene) -> None:
    officer = make_key(api, Role.ANALYST, scene.regency)
    coverage = "query($r: String) { programCoverage(program: \"PKH\", region: $r) { region { code } persons } }"
    rows = api.post(coverage, key=officer.key).json()["data"]["programCoverage"]
    assert rows and all(r["region"]["code"].startswith(scene.regency + ".") for r in rows)
    for outside in ("33", scene.outside["regency"]):
        refused = api.post(coverage, {"r": outside}, key=officer.key).json()
        assert errors(refused) == [f"region: '{outside}' is outside your region {scene.regency}; a key scoped to a "
                                   f"region counts only inside it (give {scene.regency} or a region within it, "
                                   "or no region)"]
    overlap = ("query($r: String) { programOverlap(programs: [\"PKH\", \"SEMBAKO\"], region: $r) "
               "{ region totals { persons } } }")
    assert api.post(overlap, key=officer.key).json()["data"]["programOverlap"]["region"] == scene.regency
    assert errors(api.post(overlap, {"r": "33"}, key=officer.key).json())[0].startswith("region: '33' is outside")


def test_a_scoped_analyst_cannot_single_out_fewer_than_k_in_its_regency(api: Api, scene: Scene) -> None:
    """The k-anonymity check counts the persons the scoped search would give, not the whole province's."""
    officer = make_key(api, Role.ANALYST, scene.regency)
    province = make_key(api, Role.ANALYST, None)
    search = ("query($born: String) { searchPersons(birthDate: $born, first: 100) { edges { node { personId } } "
              "withheld } }")
    # A birth year the province holds at least 5 persons of, but the regency 1 to 4.
    for year in range(1940, 2020):
        everyone = api.post(search, {"born": str(year)}, key=province.key).json()["data"]["searchPersons"]
        inside = [e["node"]["personId"] for e in everyone["edges"] if belongs(api, e["node"]["personId"],
                                                                                scene.regency)]
        if len(everyone["edges"]) >= 5 and 1 <= len(inside) < 5:
            break
    else:
        raise AssertionError("no birth year with 1 to 4 persons in the regency")
    mine = api.post(search, {"born": str(year)}, key=officer.key).json()["data"]["searchPersons"]
    assert mine["edges"] == [] and mine["withheld"].startswith("fewer than 5 persons match these filters"), mine
