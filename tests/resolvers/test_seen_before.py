"""seenBefore over real HTTP: what an officer knows on the street, against the persons known."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter
from typing import Any

import pytest

from hub.privacy.access import Role
from hub.privacy.audit import Action, AuditLog, Outcome
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

    (entry,) = AuditLog.of(api.settings).latest(1, me["person_id"])
    assert (entry.operation, entry.role, entry.action, entry.outcome) == ("seenBefore", "app", Action.READ, Outcome.OK)
    assert entry.fields == ("comparisons.comparison", "comparisons.level", "comparisons.weight", "identity.nik",
                            "matchWeight", "personId", "probability", "recordId", "source")




def _places(api: Api, person_ids: list[str]) -> dict[str, list[str]]:
    """Every region code that places each person (test_officer_scope.PLACES, for several)."""
    rows = asyncio.run(api.cypher(
        "UNWIND $ps AS id MATCH (p:Person {person_id: id}) RETURN id, [p.region_code] + "
        "[(s:SourceRecord)-[:RESOLVES_TO]->(p) | s.region_code] + [(p)-[:MEMBER_OF]->(h:Household) | h.region_code] + "
        "[(p)-[:MEMBER_OF]->(:Household)-[:LOCATED_IN]->(l:Region) | l.code] AS codes", {"ps": person_ids}))
    return {r["id"]: [c for c in r["codes"] if c] for r in rows}


def _seen(api: Api, key: str, variables: dict[str, Any]) -> list[dict[str, Any]]:
    body = api.post(SEEN, {"street": True} | variables, key=key).json()
    assert "errors" not in body, body
    found: list[dict[str, Any]] = body["data"]["seenBefore"]
    return found


def test_an_officer_is_shown_only_persons_of_its_region(api: Api) -> None:
    people = registered(api)
    me = people[0]
    regency = me["region"][:5]
    _, province = api.officer_key(Role.APP, None)
    officer_id, officer = api.officer_key(Role.APP, regency)
    mine = _seen(api, officer, {"name": me["name"], "birthDate": me["born"], "sex": me["sex"], "street": False})
    assert mine[0]["personId"] == me["person_id"] == mine[0]["person"]["personId"]
    places = _places(api, [f["personId"] for f in mine])
    assert all(any(c.startswith(regency) for c in places[f["personId"]]) for f in mine)

    # A person of another regency, described exactly, is not there for the officer: no different from no one.
    stranger = next(p for p in people if not any(c.startswith(regency) for c in _places(api, [p["person_id"]])[
        p["person_id"]]))
    exactly = {"name": stranger["name"], "birthDate": stranger["born"], "sex": stranger["sex"], "street": False}
    assert _seen(api, province, exactly)[0]["personId"] == stranger["person_id"]
    assert _seen(api, officer, exactly) == []  # the same answer as for no one at all
    nobody = _seen(api, officer, {"name": "XQZV KRWPTL", "birthDate": "1901-01-01"})
    assert nobody == []
    # Both are audited alike, as misses (seenBefore takes no person id, so nothing names the stranger).
    misses = [(e.operation, e.action, e.person_ids, e.region, e.detail)
              for e in AuditLog.of(api.settings).entries(key_id=officer_id) if e.outcome is Outcome.NOT_FOUND]
    assert misses == [("seenBefore", Action.READ, (), regency, "no known person fits the description")] * 2


def test_seen_before_persons_are_masked_as_person_masks_them(api: Api) -> None:
    me = registered(api)[2]
    shown = """personId identity { nik { best } motherName { best } birthDate { best } }
               household { members { personId name nik programs } }"""
    query = SEEN.replace("person { personId identity { nik { best } } }", "person { " + shown + " }")
    assert query != SEEN
    found = api.data_of(query, {"name": me["name"], "sex": me["sex"], "birthDate": me["born"], "street": False},
                        role=Role.APP)["seenBefore"][0]["person"]
    read = api.data_of("query($p: ID) { person(personId: $p) { " + shown + " } }", {"p": me["person_id"]},
                       role=Role.APP)["person"]
    steward = api.data_of("query($p: ID) { person(personId: $p) { " + shown + " } }", {"p": me["person_id"]},
                          role=Role.STEWARD)["person"]
    assert found == read and read["identity"]["motherName"]["best"] != steward["identity"]["motherName"]["best"]
    assert all(m["nik"] is None and m["programs"] == [] for m in read["household"]["members"])


@pytest.mark.parametrize("role", [Role.ANALYST, Role.STEWARD])
def test_analysts_and_stewards_may_not_ask_seen_before(api: Api, role: Role) -> None:
    refused = api.post(SEEN, {"name": "SITI", "street": True}, role=role).json()
    assert refused["data"] is None
    assert refused["errors"][0]["message"].startswith(f"the {role} role may not ask whether a person was seen before")


def test_seen_before_arguments_are_braked(api: Api) -> None:
    long_name = api.post(SEEN, {"name": "A" * 1_001, "street": True}, role=Role.APP).json()
    assert long_name["errors"][0]["message"] == ("$name (seenBefore(name:)) holds a string of 1,001 characters; at "
                                                 "most 1,000 are accepted")
    nul = api.post(SEEN, {"name": "SITI\u0000", "street": True}, role=Role.APP).json()
    assert nul["errors"][0]["message"] == "$name (seenBefore(name:)) holds a NUL character (U+0000), which no argument may"
    many = "query { " + " ".join(f'a{i}: seenBefore(name: "SITI", first: 50) {{ personId person {{ personId }} }}'
                                 for i in range(15)) + " }"
    assert api.post(many, role=Role.APP).json()["errors"][0]["message"].startswith("this query costs ")
