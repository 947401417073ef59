"""seenBefore over real HTTP: what an officer knows on the street, against the persons known."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter
from typing import Any

from hub.privacy.access import Role
from hub.privacy.audit import AuditLog
from hub.store import open_redis
from tests.resolvers.conftest import Api

SEEN = """query($name: String!, $age: Int, $birthDate: String, $sex: String, $region: String, $nik: String,
               $street: Boolean!) {
  seenBefore(name: $name, age: $age, birthDate: $birthDate, sex: $sex, region: $region, nik: $nik,
             metOnStreet: $street, first: 5) {
    personId probability matchWeight recordId source comparisons { comparison level weight }
    person { personId identity { nik { best } } } } }"""


def registered(api: Api) -> list[dict[str, Any]]:
    """DTKS members whose name no other record has, with the person each is."""
    rows = asyncio.run(api.cypher(
        "MATCH (d:SourceRecord {source: 'dtks'})-[:RESOLVES_TO]->(p:Person) WHERE d.birth_date IS NOT NULL "
        "AND d.sex IS NOT NULL RETURN d.name AS name, d.birth_date AS born, d.sex AS sex, d.region_code AS region, "
        "d.nik AS nik, p.person_id AS person_id ORDER BY d.record_id LIMIT 2000"))
    names = Counter(r["name"] for r in asyncio.run(api.cypher("MATCH (s:SourceRecord) RETURN s.name AS name")))
    return [r for r in rows if names[r["name"]] == 1]


def test_a_registered_person_is_found_first_with_each_comparison_weighed(api: Api) -> None:
    me = registered(api)[0]
    born = dt.date.fromisoformat(me["born"])
    found = api.data_of(SEEN, {"name": me["name"], "birthDate": born.strftime("%d-%m-%Y"), "sex": me["sex"],
                               "region": me["region"], "street": False}, role=Role.APP)["seenBefore"]
    best = found[0]
    assert best["personId"] == me["person_id"] == best["person"]["personId"] and best["probability"] > 0.99
    parts = {c["comparison"]: c for c in best["comparisons"]}
    assert parts["name"]["level"] == "Exact match on name_folded" and parts["name"]["weight"] > 5
    assert parts["birth"]["level"] == "Exact match on birth_date" and parts["birth"]["weight"] > 10
    assert parts["nik"]["level"] == "nik is NULL" and parts["nik"]["weight"] == 0.0
    assert [f["matchWeight"] for f in found] == sorted((f["matchWeight"] for f in found), reverse=True)
    assert len({f["personId"] for f in found}) == len(found)


def test_on_the_street_a_name_a_guessed_age_and_the_regency_find_the_person(api: Api) -> None:
    hits = 0
    people = registered(api)[:10]
    for me in people:
        age = dt.date.today().year - int(me["born"][:4]) + 2  # a guess, two years off
        found = api.data_of(SEEN, {"name": me["name"], "age": age, "sex": me["sex"], "region": me["region"][:5],
                                   "street": True}, role=Role.APP)["seenBefore"]
        hits += bool(found) and found[0]["personId"] == me["person_id"]
        if found and found[0]["personId"] == me["person_id"]:
            levels = {c["comparison"]: c["level"] for c in found[0]["comparisons"]}
            assert levels["birth"] in {"year within 2 of a guessed age", "year within 6 of a guessed age"}
            assert levels["household_place"] == "met in the regency of the other"
    assert hits >= 9, hits


def test_seen_before_is_for_roles_that_may_ask_audited_and_checks_its_arguments(api: Api) -> None:
    me = next(r for r in registered(api)[1:] if r["nik"])
    refused = api.post(SEEN, {"name": me["name"], "street": True}, role=Role.ANALYST).json()
    assert refused["errors"][0]["message"].startswith("the analyst role may not ask whether a person was seen before")
    bad = api.post(SEEN, {"name": me["name"], "sex": "X", "street": True}, role=Role.APP).json()
    assert bad["errors"][0]["message"].startswith("sex: 'X' is not a sex")
    bad_age = api.post(SEEN, {"name": me["name"], "age": 400, "street": True}, role=Role.APP).json()
    assert bad_age["errors"][0]["message"].startswith("age: 400 is not an age")
    with_nik = api.data_of(SEEN, {"name": me["name"], "nik": me["nik"], "sex": me["sex"], "street": False},
                           role=Role.APP)["seenBefore"]
    assert with_nik[0]["personId"] == me["person_id"]
    assert {c["comparison"]: c["level"] for c in with_nik[0]["comparisons"]}["nik"] != "nik is NULL"

    async def latest() -> list[Any]:
        redis = await open_redis(api.settings)
        try:
            return list(await AuditLog(redis, api.settings.graph_name).latest(1, me["person_id"]))
        finally:
            await redis.aclose()

    (entry,) = asyncio.run(latest())
    assert (entry.operation, entry.role) == ("seenBefore", "app")
