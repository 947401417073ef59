"""Masking that holds (issue 17), attacked over real HTTP on the synthetic world of ``conftest.api``.

Each test states a way an analyst's key could single a person out or read an identifier, and
shows it closed; the counts that prove k-anonymity are recomputed here from the graph, not read
from the code under test.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

from hub.privacy.access import Role
from hub.privacy.disclosure import K
from hub.privacy.secret import SECRET_FILE, keyed_digest
from tests.resolvers.conftest import Api, serve

DIGITS = re.compile(r"\d")
LONG_NUMBER = re.compile(r"\d{8,}")
# Everything an analyst can be shown about a person, in one selection.
SHOWN = """identity { name { best values { value } } nik { best values { value } } kk { best values { value } }
  birthDate { best values { value } } sex { best values { value } } motherName { best } birthPlace { best }
  address { best } }
region { code level }
records { source name nik kk birthDate sex motherName address regionCode raw { column value } }
household { kk address region { code level } locatedIn members { personId name nik sex birthDate } }
events { kind regionCode latitude longitude summary }"""
PAGE = ("query($region: String, $born: String, $after: String) { "
        "searchPersons(region: $region, birthDate: $born, first: 30, after: $after) { "
        "edges { node { personId " + SHOWN + " } } pageInfo { hasNextPage endCursor } withheld } }")
BY_ID = "query($p: ID) { person(personId: $p) { personId " + SHOWN + " } }"


def persons(api: Api) -> list[dict[str, Any]]:
    return asyncio.run(api.cypher("MATCH (p:Person) RETURN p.person_id AS person_id, p.birth_date AS birth_date, "
                                  "p.sex AS sex, p.region_code AS region_code"))


def sharing(population: list[dict[str, Any]], birth: str | None, sex: str | None, region: str | None,
            known_region: str = "", known_year: int | None = None) -> int:
    """How many persons of the graph fit a combination as shown: a band "1955-1959" (or none), a sex (or
    none), a region code prefix (or none). A null band beside a sex or a region finer than a regency can
    only mean an unknown birth date (the rule withholds the band only after the sex and the village), so
    an observer who knows the rule counts only the persons without one. ``known_region`` and
    ``known_year``: what the observer knew of the person before (the region and the year it listed by)."""
    low, high = (int(birth[:4]), int(birth[5:])) if birth else (0, 9999)
    unknown_birth = birth is None and known_year is None and (sex is not None or len(region or "") > len("33.74"))

    def fits(p: dict[str, Any]) -> bool:
        year = int(p["birth_date"][:4]) if p["birth_date"] else None
        if (unknown_birth and year is not None) or (birth and (year is None or not low <= year <= high)):
            return False
        if known_year is not None and year != known_year:
            return False
        code = p["region_code"] or ""
        return (sex is None or p["sex"] == sex) and (region is None or code.startswith(region)) and \
            code.startswith(known_region)

    return sum(map(fits, population))


def analyst_pages(api: Api, region: str | None, born: str | None = None, key: str | None = None) -> list[dict[str, Any]]:
    nodes: list[dict[str, Any]] = []
    after = None
    while True:
        variables = {"region": region, "born": born, "after": after}
        reply = api.post(PAGE, variables, key=key) if key else api.post(PAGE, variables, role=Role.ANALYST)
        assert "errors" not in reply.json(), reply.json()
        page = reply.json()["data"]["searchPersons"]
        nodes += [e["node"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return nodes
        after = page["pageInfo"]["endCursor"]


def test_every_combination_an_analyst_is_shown_fits_at_least_k_persons(api: Api) -> None:
    population = persons(api)
    regencies = sorted({p["region_code"][:5] for p in population if p["region_code"]})
    shown = [node for regency in regencies for node in analyst_pages(api, regency)]
    assert len(shown) >= 0.9 * len(population)  # nearly everyone was looked at
    coarsened = Counter[str]()
    for node in shown:
        birth, sex = node["identity"]["birthDate"]["best"], node["identity"]["sex"]["best"]
        region = node["region"]["code"] if node["region"] else None
        assert sharing(population, birth, sex, region) >= K, node["personId"]
        coarsened[f"level {node['region']['level'] if node['region'] else None}, band {bool(birth)}, sex {bool(sex)}"] += 1
        assert birth is None or re.fullmatch(r"\d{4}-\d{4}", birth), birth  # a band, never a date
        assert not LONG_NUMBER.search(str([node["identity"], node["records"], node["events"]])), node["personId"]
        for record in node["records"]:
            assert (record["birthDate"], record["sex"]) == (birth, sex)
            assert record["regionCode"] is None or len(record["regionCode"]) <= len(region or "33.74.01.1001")
        household = node["household"]
        if household:
            where = household["region"]["code"] if household["region"] else None
            assert all(len(code) <= len(where or "") for code in household["locatedIn"])
            for member in household["members"]:
                assert sharing(population, member["birthDate"], member["sex"], where) >= K, member
    # The rule was needed and applied (this small world spreads its persons thin: most are shown at their
    # regency), and it does not hide everything: bands and sexes are shown where enough persons share them.
    assert sum(n for shape, n in coarsened.items() if not shape.startswith("level 4")) > 0, coarsened
    assert sum(n for shape, n in coarsened.items() if "band True, sex True" in shape) > 0, coarsened


def _shown(node: dict[str, Any]) -> tuple[str | None, str | None, str | None]:
    """A listed person's band, sex and region as shown (a search's node or a worklist's person)."""
    return (node["identity"]["birthDate"]["best"], node["identity"]["sex"]["best"],
            node["region"]["code"] if node["region"] else None)


WORKLIST = ("query($region: String!, $after: String) { worklist(rule: \"dtks-poor-without-kis\", region: $region, "
            "first: 50, after: $after) { edges { node { person { personId identity { birthDate { best } sex { best } } "
            "region { code } } } } pageInfo { hasNextPage endCursor } } }")


def test_what_the_caller_listed_by_counts_as_known(api: Api) -> None:
    """Attack: list one district's or village's persons (a search by region, a worklist), or one birth
    year's, or use a key scoped to a district. The analyst then knows each one's place and year as asked,
    so a sex or a band shown beside a coarser place, or a band around the year, must still fit K persons
    of what was asked, not of the regency shown."""
    population = persons(api)
    districts = Counter((p["region_code"] or "")[:8] for p in population if p["region_code"])
    villages = Counter(p["region_code"] for p in population if p["region_code"])
    asked = [d for d, _ in districts.most_common(3)] + [v for v, n in villages.most_common(2) if n >= K]
    told = Counter[str]()
    for region in asked:
        nodes = analyst_pages(api, region)
        assert nodes, region
        for node in nodes:
            birth, sex, shown = _shown(node)
            assert sharing(population, birth, sex, shown, known_region=region) >= K, (region, node["personId"])
            told[f"band {bool(birth)}, sex {bool(sex)}"] += 1
            household = node["household"]
            where = (household or {}).get("region") and household["region"]["code"]
            if where and (where.startswith(region) or region.startswith(where)):  # the person's household is there too
                for member in household["members"]:
                    assert sharing(population, member["birthDate"], member["sex"], where, known_region=region) >= K, member
        after = None
        while True:  # the same region's worklist: everyone on it is known to live there too
            page = api.data_of(WORKLIST, {"region": region, "after": after}, role=Role.ANALYST)["worklist"]
            for edge in page["edges"]:
                birth, sex, shown = _shown(edge["node"]["person"])
                assert sharing(population, birth, sex, shown, known_region=region) >= K, (region, edge)
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
    # It still tells what K persons share: a band or a sex for some of them.
    assert sum(n for shape, n in told.items() if "True" in shape) > 0, told
    # A key scoped to a district, listing its regency: every person it gets lives in the district.
    district = asked[0]
    for node in analyst_pages(api, district[:5], key=api.officer_key(Role.ANALYST, district)[1]):
        birth, sex, shown = _shown(node)
        assert sharing(population, birth, sex, shown, known_region=district) >= K, node
    # A birth year asked for (this small world has K persons of one year only across the province).
    year = Counter(int(p["birth_date"][:4]) for p in population if p["birth_date"]).most_common(1)[0][0]
    nodes = analyst_pages(api, None, born=str(year))
    assert nodes, year
    for node in nodes:
        birth, sex, shown = _shown(node)
        assert sharing(population, birth, sex, shown, known_year=year) >= K, node


def test_no_identifier_reaches_an_analyst(api: Api) -> None:
    nik, person_id = api.showcase["nik"], api.showcase["person_id"]
    clear = api.data_of(BY_ID, {"p": person_id}, role=Role.STEWARD)["person"]
    masked = api.data_of(BY_ID, {"p": person_id}, role=Role.ANALYST)["person"]
    assert clear["identity"]["nik"]["best"] == nik and clear["identity"]["name"]["best"] not in {None, "***"}
    identity = masked["identity"]
    for field in ("nik", "kk"):  # a masked NIK or KK carries no digit at all
        assert identity[field]["best"] in {None, "*" * 16}
        assert all(not DIGITS.search(v["value"]) for v in identity[field]["values"])
    assert identity["name"]["best"] == "***" and {v["value"] for v in identity["name"]["values"]} == {"***"}
    assert identity["motherName"]["best"] in {None, "***"} and identity["address"]["best"] in {None, "***"}
    assert identity["birthPlace"]["best"] in {None, "***"}
    assert re.fullmatch(r"\d{4}-\d{4}", identity["birthDate"]["best"] or "1950-1954")
    household = masked["household"]
    assert household["kk"] == "*" * 16 and household["address"] in {None, "***"}
    assert all(m["nik"] in {None, "*" * 16} and m["name"] in {None, "***"} for m in household["members"])
    for record in masked["records"]:
        assert not LONG_NUMBER.search(str(record)), record  # no NIK, KK or phone number, raw cells included
    # An app serves the person at a desk: it sees the NIK it looked them up by.
    app = api.data_of("query($n: String) { person(nik: $n) { identity { nik { best } } } }", {"n": nik}, role=Role.APP)
    assert app["person"]["identity"]["nik"]["best"] == nik


def test_other_peoples_identifiers_in_raw_rows_are_masked(api: Api) -> None:
    (row,) = asyncio.run(api.cypher(
        "MATCH (s:SourceRecord {source: 'slrt_pengaduan'})-[:RESOLVES_TO]->(p:Person) WHERE s.raw CONTAINS "
        "'NIK_PELAPOR' AND p.region_code IS NOT NULL RETURN p.person_id AS person_id, s.record_id AS record_id, "
        "s.raw AS raw LIMIT 1"))
    masked = api.data_of(BY_ID, {"p": row["person_id"]}, role=Role.ANALYST)["person"]
    (record,) = [r for r in masked["records"] if r["source"] == "slrt_pengaduan"][:1]
    cells = {c["column"]: c["value"] for c in record["raw"]}
    reporter = re.search(r'"NIK_PELAPOR": "(\d*)"', row["raw"])
    assert reporter and reporter.group(1) and reporter.group(1) not in str(record)
    assert cells["NIK_PELAPOR"] == "*" * 16 and cells["NAMA_PELAPOR"] in {"***", ""}
    clear = api.data_of(BY_ID, {"p": row["person_id"]}, role=Role.STEWARD)["person"]
    (seen,) = [r for r in clear["records"] if r["source"] == "slrt_pengaduan"][:1]
    assert {c["column"]: c["value"] for c in seen["raw"]}["NIK_PELAPOR"] == reporter.group(1)


def test_coordinates_are_coarsened_where_the_address_is_masked(api: Api) -> None:
    (row,) = asyncio.run(api.cypher(
        "MATCH (e:ServiceEvent)-[:ABOUT]->(p:Person) WHERE e.latitude IS NOT NULL AND e.kind = 'outreach' "
        "AND e.latitude * 10 <> round(e.latitude * 10) RETURN p.person_id AS person_id, e.event_id AS event_id, "
        "e.latitude AS latitude, e.longitude AS longitude LIMIT 1"))
    query = ("query($p: ID) { person(personId: $p) { events { latitude longitude } "
             "records { source raw { column value } } } }")
    masked = api.data_of(query, {"p": row["person_id"]}, role=Role.ANALYST)["person"]
    points = {(e["latitude"], e["longitude"]) for e in masked["events"] if e["latitude"] is not None}
    assert (round(row["latitude"], 1), round(row["longitude"], 1)) in points
    assert all(lat == round(lat, 1) and lon == round(lon, 1) for lat, lon in points)
    raw = [c for r in masked["records"] if r["source"] == "penjangkauan" for c in r["raw"]
           if c["column"] in {"LATITUDE", "LONGITUDE"} and c["value"]]
    assert raw and all(len(c["value"].split(".")[-1]) <= 1 for c in raw), raw
    clear = api.data_of(query, {"p": row["person_id"]}, role=Role.STEWARD)["person"]
    assert (row["latitude"], row["longitude"]) in {(e["latitude"], e["longitude"]) for e in clear["events"]}


def test_lookups_by_an_identifier_the_role_does_not_see_are_refused(api: Api) -> None:
    nik = api.showcase["nik"]
    (household,) = asyncio.run(api.cypher("MATCH (h:Household) RETURN h.kk AS kk LIMIT 1"))
    asks = [("query($v: String) { person(nik: $v) { personId } }", nik, "person(nik:)"),
            ("query($v: String) { person(nik: $v) { personId } }", "3374015505800099", "person(nik:)"),
            ("query($v: String!) { household(kk: $v) { decile } }", household["kk"], "household(kk:)"),
            ("query($v: String) { householdNetwork(kk: $v) { truncated } }", household["kk"], "householdNetwork(kk:)"),
            ("query($v: String) { searchPersons(name: $v) { edges { cursor } } }", "SITI", "searchPersons(name:)")]
    for query, value, argument in asks:  # a hit and a miss answer alike: refused
        body = api.post(query, {"v": value}, role=Role.ANALYST).json()
        assert body["data"] is None or not any(body["data"].values()), body
        message = body["errors"][0]["message"]
        assert message.startswith(f"{argument}: the analyst role does not see"), message
    assert api.data_of("query($v: String) { person(nik: $v) { personId } }", {"v": nik}, role=Role.STEWARD)["person"]


def test_search_filters_cannot_single_out_fewer_than_k_persons(api: Api) -> None:
    population = persons(api)
    alone = Counter((p["birth_date"], p["region_code"]) for p in population if p["birth_date"] and p["region_code"])
    (born, village), _ = next((key, n) for key, n in sorted(alone.items()) if n == 1)
    query = ("query($b: String, $r: String) { searchPersons(birthDate: $b, region: $r) { "
             "edges { node { personId identity { birthDate { best } } } } withheld } }")
    masked = api.data_of(query, {"b": born, "r": village}, role=Role.ANALYST)["searchPersons"]
    assert masked["edges"] == [] and f"fewer than {K} persons match" in masked["withheld"]
    steward = api.data_of(query, {"b": born, "r": village}, role=Role.STEWARD)["searchPersons"]
    assert len(steward["edges"]) == 1 and steward["withheld"] is None
    # The analyst's birth date is used as its year only: the same year in the regency finds others too.
    regency = village[:5]
    same_year = [p for p in population if (p["birth_date"] or "")[:4] == born[:4] and
                 (p["region_code"] or "").startswith(regency)]
    if len(same_year) >= K:
        found = api.data_of(query, {"b": born, "r": regency}, role=Role.ANALYST)["searchPersons"]
        assert len(found["edges"]) == min(len(same_year), 20) and found["withheld"] is None


def test_household_ids_are_keyed_and_stable_across_requests_and_restarts(api: Api) -> None:
    (row,) = asyncio.run(api.cypher("MATCH (p:Person)-[:MEMBER_OF]->(h:Household) RETURN p.person_id AS p, h.kk AS kk "
                                    "ORDER BY p LIMIT 1"))
    query = "query($p: ID) { householdNetwork(personId: $p, depth: 1) { nodes { id kind kk } } }"
    first = api.data_of(query, {"p": row["p"]}, role=Role.ANALYST)["householdNetwork"]["nodes"]
    (node,) = [n for n in first if n["kind"] == "HOUSEHOLD"]
    digest = node["id"].removeprefix("household:")
    # Not the unsalted digest a search over KK numbers would undo, and no KK digit shown.
    assert digest not in hashlib.sha256(row["kk"].encode()).hexdigest() and node["kk"] == "*" * 16
    secret_file = Path(api.settings.home) / SECRET_FILE
    assert secret_file.stat().st_mode & 0o777 == 0o600
    assert digest == keyed_digest(secret_file.read_bytes(), "household", row["kk"])
    assert digest != hmac.new(b"another secret" * 3, row["kk"].encode(), hashlib.sha256).hexdigest()[:len(digest)]
    again = api.data_of(query, {"p": row["p"]}, role=Role.ANALYST)["householdNetwork"]["nodes"]
    assert again == first
    restarted = serve(api.settings)
    try:
        import httpx

        body = httpx.post(restarted.url, json={"query": query, "variables": {"p": row["p"]}},
                          headers={"Authorization": f"Bearer {api.keys[Role.ANALYST]}"}, timeout=60).json()
        assert body["data"]["householdNetwork"]["nodes"] == first
    finally:
        restarted.stop()
    # A steward, who sees KK numbers, starts a network from one and finds the same household id.
    by_kk = api.data_of("query($k: String) { householdNetwork(kk: $k, depth: 1) { nodes { id } } }", {"k": row["kk"]},
                        role=Role.STEWARD)["householdNetwork"]["nodes"]
    assert node["id"] in {n["id"] for n in by_kk}


def test_the_counts_are_not_fetched_again_for_each_request(api: Api) -> None:
    rows = asyncio.run(api.cypher("MATCH (p:Person) WHERE p.region_code STARTS WITH '33.' RETURN p.person_id AS p, "
                                  "left(p.region_code, 5) AS regency ORDER BY p LIMIT 200"))
    regency = Counter(r["regency"] for r in rows).most_common(1)[0][0]
    first, second = [r["p"] for r in rows if r["regency"] == regency][:2]

    def trips(person_id: str, role: Role) -> int:
        before = api.round_trips
        api.data_of(BY_ID, {"p": person_id}, role=role)
        return api.round_trips - before

    trips(first, Role.ANALYST)  # the regency's census, if no request asked for it yet
    trips(second, Role.ANALYST)  # the load batches of this person's records, if none asked yet
    # Now an analyst's request costs what a steward's does: no count query, no scan of the persons.
    assert trips(second, Role.ANALYST) == trips(second, Role.STEWARD)


def test_other_peoples_identifiers_in_raw_rows_are_masked_for_every_role_but_steward_and_admin(api: Api) -> None:
    """An app sees the person's own NIK; a complaint's reporter and a village operator are someone else."""
    rows = asyncio.run(api.cypher(
        "MATCH (s:SourceRecord)-[:RESOLVES_TO]->(p:Person) WHERE s.source IN ['slrt_pengaduan', 'usulan_kis_pbi'] "
        "RETURN s.source AS source, p.person_id AS person_id, s.raw AS raw ORDER BY s.record_id"))
    others = {"slrt_pengaduan": ("NIK_PELAPOR", "NAMA_PELAPOR"), "usulan_kis_pbi": ("OPERATOR_DESA",)}
    chosen = {}
    for row in rows:  # per source, a person whose row names someone else
        raw = json.loads(row["raw"])
        if row["source"] not in chosen and all(raw.get(c) for c in others[row["source"]]):
            chosen[row["source"]] = (row["person_id"], raw)
    assert set(chosen) == set(others), "the world needs a complaint with a reporter and a proposal with an operator"
    query = "query($p: ID) { person(personId: $p) { records { source raw { column value } } } }"
    for source, (person_id, raw) in chosen.items():
        for role in Role:
            records = api.data_of(query, {"p": person_id}, role=role)["person"]["records"]
            cells = [{c["column"]: c["value"] for c in r["raw"]} for r in records if r["source"] == source]
            assert cells, (source, role)
            for column in others[source]:
                shown = {row[column] for row in cells}
                if role in (Role.STEWARD, Role.ADMIN):
                    assert raw[column] in shown, (source, role, column)
                else:
                    assert shown <= {"***", "*" * 16, None, ""}, (source, role, column, shown)
