"""Search, households, networks and program aggregates, as an analyst asks for them."""

from __future__ import annotations

import asyncio

from hub.privacy.access import Role
from hub.privacy.disclosure import K
from tests.resolvers.conftest import Api

SEARCH = """query($name: String, $birthDate: String, $region: String, $after: String) {
  searchPersons(name: $name, birthDate: $birthDate, region: $region, first: 5, after: $after) {
    edges { cursor score node { personId identity { name { best } birthDate { best } } region { code } } }
    pageInfo { hasNextPage endCursor } } }"""


def test_search_is_fuzzy_filtered_and_paginated(api: Api) -> None:
    name = api.showcase["name"]
    typo = name[:-1] + ("A" if name[-1] != "A" else "E")
    # Names are identifiers: only roles that see them search by one (an analyst's search is refused).
    found = api.data_of(SEARCH, {"name": typo}, role=Role.STEWARD)["searchPersons"]
    assert api.showcase["person_id"] in [e["node"]["personId"] for e in found["edges"]]
    person = api.data_of("query($p: ID) { person(personId: $p) { identity { birthDate { best } } region { code } } }",
                         {"p": api.showcase["person_id"]})["person"]
    born = person["identity"]["birthDate"]["best"]
    narrowed = api.data_of(SEARCH, {"name": name, "birthDate": born}, role=Role.STEWARD)["searchPersons"]
    assert narrowed["edges"] and all(e["node"]["identity"]["birthDate"]["best"] == born for e in narrowed["edges"])
    regency = person["region"]["code"][:5]
    page1 = api.data_of(SEARCH, {"region": regency}, role=Role.ANALYST)["searchPersons"]
    assert page1["pageInfo"]["hasNextPage"] and len(page1["edges"]) == 5
    assert all(e["node"]["region"]["code"].startswith(regency) for e in page1["edges"])
    page2 = api.data_of(SEARCH, {"region": regency, "after": page1["pageInfo"]["endCursor"]},
                        role=Role.ANALYST)["searchPersons"]
    first_ids = {e["node"]["personId"] for e in page1["edges"]}
    assert page2["edges"] and not first_ids & {e["node"]["personId"] for e in page2["edges"]}
    bad = api.post(SEARCH, {"region": "Semarang"}, role=Role.ANALYST).json()
    assert "is not a Kemendagri region code" in bad["errors"][0]["message"]
    cursor = api.post(SEARCH, {"name": "siti", "after": "garbage"}, role=Role.STEWARD).json()
    assert "not a cursor this API gave out for this list" in cursor["errors"][0]["message"]


def test_household_and_its_network(api: Api) -> None:
    (row,) = asyncio.run(api.cypher(
        "MATCH (p:Person)-[m:MEMBER_OF]->(h:Household) WITH h, count(p) AS n, collect(m.relation) AS relations "
        "WHERE n >= 3 AND 'head' IN relations "
        "RETURN h.kk AS kk, n ORDER BY n DESC, kk LIMIT 1"))
    household = api.data_of("query($kk: String!) { household(kk: $kk) { decile region { name } "
                            "members { personId name relation programs } programs } }", {"kk": row["kk"]},
                            role=Role.STEWARD)["household"]
    assert len(household["members"]) == row["n"]
    relations = [m["relation"] for m in household["members"]]
    assert "HEAD" in relations and relations[0] == "HEAD"  # the head first, then spouse, children ...
    assert set(household["programs"]) == {p for m in household["members"] for p in m["programs"]}
    network = api.data_of("query($kk: String) { householdNetwork(kk: $kk, depth: 3, withPrograms: true) { "
                          "nodes { id kind label depth } edges { source target kind relation } truncated } }",
                          {"kk": row["kk"]}, role=Role.STEWARD)["householdNetwork"]
    kinds = {n["kind"] for n in network["nodes"]}
    assert {"PERSON", "HOUSEHOLD"} <= kinds
    ids = {n["id"] for n in network["nodes"]}
    assert all(e["source"] in ids and e["target"] in ids for e in network["edges"])
    members = [e for e in network["edges"] if e["kind"] == "MEMBER_OF"]
    assert len({e["source"] for e in members}) >= row["n"]
    # Households are addressed by a digest: the KK number is personal data.
    assert row["kk"] not in str(network)
    deep = api.post("query($kk: String) { householdNetwork(kk: $kk, depth: 9) { truncated } }", {"kk": row["kk"]},
                    role=Role.STEWARD).json()
    assert "depth 9 must be between 1 and 6" in deep["errors"][0]["message"]


def test_program_coverage_and_overlap_add_up(api: Api) -> None:
    # Exact counts, as an admin sees them (an analyst's small counts are withheld: the next test).
    coverage = api.data_of("{ programCoverage(program: \"PKH\") { region { code name level } persons dtksPersons "
                           "enrolled enrolledInDtks coverage } }", role=Role.ADMIN)["programCoverage"]
    assert coverage and all(r["region"]["level"] == 2 and r["region"]["name"] for r in coverage)
    (total,) = asyncio.run(api.cypher(
        "MATCH (p:Person)-[:ENROLLED_IN]->(:Program {code: 'PKH'}) RETURN count(DISTINCT p) AS n"))
    assert sum(r["enrolled"] for r in coverage) == total["n"]
    assert all(r["enrolledInDtks"] <= r["dtksPersons"] <= r["persons"] for r in coverage)
    regency = coverage[0]["region"]["code"]
    districts = api.data_of("query($r: String) { programCoverage(program: \"PKH\", region: $r) { region { level } "
                            "enrolled } }", {"r": regency}, role=Role.ADMIN)["programCoverage"]
    assert {r["region"]["level"] for r in districts} == {3}
    assert sum(r["enrolled"] for r in districts) == coverage[0]["enrolled"]
    overlap = api.data_of("{ programOverlap(programs: [\"PKH\", \"SEMBAKO\", \"P3KE\"]) { totals { program persons } "
                          "pairs { a b persons jaccard } combinations { programs persons } } }",
                          role=Role.ADMIN)["programOverlap"]
    totals = {t["program"]: t["persons"] for t in overlap["totals"]}
    assert totals["PKH"] == total["n"]
    for pair in overlap["pairs"]:
        assert pair["persons"] <= min(totals[pair["a"]], totals[pair["b"]])
    assert sum(c["persons"] for c in overlap["combinations"] if "PKH" in c["programs"]) == totals["PKH"]
    unknown = api.post("{ programCoverage(program: \"NOPE\") { enrolled } }", role=Role.ADMIN).json()
    assert "not a known program code" in unknown["errors"][0]["message"]


COVERAGE_BY_VILLAGE = """{ programCoverage(program: "PKH", level: 4) { region { code } persons dtksPersons enrolled
  enrolledInDtks coverage } }"""
OVERLAP = """{ programOverlap(programs: ["PKH", "SEMBAKO", "P3KE", "KUBE"]) { totals { program persons }
  pairs { a b persons jaccard } combinations { programs persons } } }"""


def test_an_analyst_gets_no_count_below_k_that_would_single_people_out(api: Api) -> None:
    exact = api.data_of(COVERAGE_BY_VILLAGE, role=Role.ADMIN)["programCoverage"]
    shown = api.data_of(COVERAGE_BY_VILLAGE, role=Role.ANALYST)["programCoverage"]
    fields = ("persons", "dtksPersons", "enrolled", "enrolledInDtks")
    assert any(0 < row[f] < K for row in exact for f in fields), "the world needs villages with small counts"
    assert [r["region"]["code"] for r in shown] == [r["region"]["code"] for r in exact]
    for clear, masked in zip(exact, shown, strict=True):
        for f in fields:
            assert masked[f] == (None if 0 < clear[f] < K else clear[f]), (clear, masked, f)
        # a ratio of a withheld count would give it back
        small = any(0 < clear[f] < K for f in ("dtksPersons", "enrolledInDtks"))
        assert masked["coverage"] == (None if small else clear["coverage"]), (clear, masked)
    exact_overlap = api.data_of(OVERLAP, role=Role.ADMIN)["programOverlap"]
    overlap = api.data_of(OVERLAP, role=Role.ANALYST)["programOverlap"]
    counts = [c["persons"] for c in exact_overlap["combinations"]] + [p["persons"] for p in exact_overlap["pairs"]]
    assert any(0 < n < K for n in counts), "the world needs small program combinations"
    for clear_set, set_ in zip(exact_overlap["combinations"], overlap["combinations"], strict=True):
        assert set_["persons"] == (None if 0 < clear_set["persons"] < K else clear_set["persons"])
    for clear_pair, pair in zip(exact_overlap["pairs"], overlap["pairs"], strict=True):
        assert pair["persons"] == (None if 0 < clear_pair["persons"] < K else clear_pair["persons"])
        assert pair["jaccard"] is None if pair["persons"] is None else pair["jaccard"] == clear_pair["jaccard"]
    assert all(t["persons"] is None or not 0 < t["persons"] < K for t in overlap["totals"])


def test_every_region_argument_takes_the_code_as_exports_write_it(api: Api) -> None:
    query = """query($r: String) { programCoverage(program: "PKH", region: $r) { region { code } enrolled } }"""
    dotted = api.data_of(query, {"r": "33.74"}, role=Role.ANALYST)["programCoverage"]
    assert dotted and api.data_of(query, {"r": "3374"}, role=Role.ANALYST)["programCoverage"] == dotted
    queue = """query($r: String) { matchCandidates(region: $r) { edges { node { candidateId } } } }"""
    assert (api.data_of(queue, {"r": "3374"}, role=Role.STEWARD) == api.data_of(queue, {"r": "33.74"}, role=Role.STEWARD))
    refused = api.post(query, {"r": "99.99"}, role=Role.ANALYST).json()
    assert "region" in refused["errors"][0]["message"]
