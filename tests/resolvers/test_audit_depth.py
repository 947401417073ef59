"""Every person a response carries, at any depth, is audited with the fields sent for them; an app key
sees a relative as a name, a relation and a person id, and cannot walk from one person to another."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from hub.api.keys import ApiKeys
from hub.privacy.access import Role
from hub.privacy.audit import AuditEntry, AuditLog, Outcome
from hub.store import open_redis
from tests.resolvers.conftest import Api

RELATIVES = """query($p: ID) { person(personId: $p) {
  household { programs members { personId name relation nik sex birthDate programs } }
  households { members { personId name relation nik programs } } } }"""


def make_key(api: Api, role: Role) -> tuple[str, str]:
    async def create() -> tuple[str, str]:
        redis = await open_redis(api.settings)
        try:
            info, key = await ApiKeys(redis, api.settings.graph_name).create(role, f"{role} depth",
                                                                             officer="Budi Santoso", office="Dinsos")
            return info.key_id, key
        finally:
            await redis.aclose()

    return asyncio.run(create())


def entries(api: Api, key_id: str) -> list[AuditEntry]:
    return list(AuditLog.of(api.settings).entries(key_id=key_id, newest_first=False))


def data(api: Api, key: str, query: str, variables: dict[str, Any] | None = None) -> Any:
    body = api.post(query, variables, key=key).json()
    assert "errors" not in body, body
    return body["data"]


def test_an_app_key_sees_relatives_as_name_relation_and_id_only(api: Api) -> None:
    person_id = api.showcase["person_id"]
    app_id, app = make_key(api, Role.APP)
    _, steward = make_key(api, Role.STEWARD)
    full = data(api, steward, RELATIVES, {"p": person_id})["person"]
    assert len(full["household"]["members"]) > 1 and full["household"]["programs"]
    assert any(m["nik"] and m["birthDate"] and m["programs"] for m in full["household"]["members"])

    shown = data(api, app, RELATIVES, {"p": person_id})["person"]
    members = shown["household"]["members"] + [m for h in shown["households"] for m in h["members"]]
    assert [m["personId"] for m in shown["household"]["members"]] == [
        m["personId"] for m in full["household"]["members"]]
    assert all(m["name"] and m["personId"] for m in members) and any(m["relation"] for m in members)
    assert all(m["nik"] is None and m["programs"] == [] for m in members)
    assert all(m["sex"] is None and m["birthDate"] is None for m in shown["household"]["members"])
    assert shown["household"]["programs"] == []
    audited = [e for e in entries(api, app_id) if e.operation == "household.members"]
    assert len(audited) == 2 and all(set(e.person_ids) == {m["personId"] for m in shown["household"]["members"]}
                                     for e in audited)  # household, and the same one among households
    assert all(e.fields == ("name", "personId", "relation") for e in audited)  # what was sent, not what was asked

    # A relative's own history is not reachable through the household: it takes its own lookup.
    through = api.post("query($p: ID) { person(personId: $p) { household { members { person { enrolments "
                       "{ program } } } } } }", {"p": person_id}, key=app).json()
    assert through["errors"][0]["message"].startswith("household.members.person: the app role may not read a "
                                                      "relative's history through a household")
    assert all(m["person"] is None for m in through["data"]["person"]["household"]["members"])


@pytest.mark.parametrize("query", [
    '{ household(kk: "3374010101100001") { kk } }',
    '{ householdNetwork(personId: "x") { nodes { id } } }',
    '{ searchPersons(name: "siti") { edges { node { personId } } } }',
    "{ matchCandidates { edges { node { candidateId } } } }",
    "{ conflictingPersons { edges { node { personId } } } }",
])
def test_an_app_key_cannot_walk_from_person_to_person(api: Api, query: str) -> None:
    _, app = make_key(api, Role.APP)
    assert api.post(query, key=app).json()["errors"][0]["message"].startswith("the app role may not ")


def test_every_person_at_every_depth_is_audited_with_the_fields_sent(api: Api) -> None:
    person_id = api.showcase["person_id"]
    key_id, key = make_key(api, Role.STEWARD)
    got = data(api, key, """query($p: ID) { person(personId: $p) { identity { name { best } }
      household { kk members { personId nik person { personId enrolments { program } } } } } }""",
               {"p": person_id})["person"]
    member_ids = {m["personId"] for m in got["household"]["members"]}
    log = entries(api, key_id)
    by_operation = {e.operation: e for e in log}
    assert by_operation["person"].person_ids == (person_id,)
    assert by_operation["person"].fields == ("household.kk", "household.members", "identity.name")
    assert set(by_operation["household.members"].person_ids) == member_ids
    assert by_operation["household.members"].fields == ("nik", "person.enrolments", "person.personId", "personId")
    nested = [e for e in log if e.operation == "household.member"]
    assert {p for e in nested for p in e.person_ids} == member_ids
    assert all(e.fields == ("enrolments.program", "personId") for e in nested)
    assert all(e.officer == "Budi Santoso" and e.office == "Dinsos" for e in log)

    # Search results, and the households under them.
    found = data(api, key, '{ searchPersons(name: "siti", first: 3) { edges { node { personId '
                 "household { members { personId name } } } } } }")["searchPersons"]["edges"]
    shown = {e["node"]["personId"] for e in found}
    relatives = {m["personId"] for e in found if e["node"]["household"] for m in e["node"]["household"]["members"]}
    log = entries(api, key_id)[len(log):]
    (search,) = [e for e in log if e.operation == "searchPersons"]
    assert set(search.person_ids) == shown and search.fields == ("household.members", "personId")
    members = [e for e in log if e.operation == "household.members"]
    assert {p for e in members for p in e.person_ids} == relatives and relatives
    assert all(e.fields == ("name", "personId") for e in members)

    # Network nodes, with the node fields sent.
    nodes = data(api, key, 'query($p: ID) { householdNetwork(personId: $p) { nodes { personId label } } }',
                 {"p": person_id})["householdNetwork"]["nodes"]
    (network,) = [e for e in entries(api, key_id) if e.operation == "householdNetwork"]
    assert set(network.person_ids) == {n["personId"] for n in nodes if n["personId"]}
    assert network.fields == ("label", "personId")

    # Both sides of every candidate; every conflicting person.
    pairs = data(api, key, "{ matchCandidates(status: null, first: 50) { edges { node { left { personId record "
                 "{ name } } right { personId } } } } }")["matchCandidates"]["edges"]
    (review,) = [e for e in entries(api, key_id) if e.operation == "matchCandidates"]
    assert set(review.person_ids) == {s["personId"] for p in pairs for s in (p["node"]["left"], p["node"]["right"])
                                      if s and s["personId"]}
    assert review.fields == ("left.personId", "left.record", "right.personId")
    conflicting = data(api, key, "{ conflictingPersons(first: 5) { edges { node { personId name } } } }")
    (queue,) = [e for e in entries(api, key_id) if e.operation == "conflictingPersons"]
    assert set(queue.person_ids) == {e["node"]["personId"] for e in conflicting["conflictingPersons"]["edges"]}


def test_two_selections_of_person_are_audited_each_with_its_fields(api: Api) -> None:
    person_id = api.showcase["person_id"]
    key_id, key = make_key(api, Role.STEWARD)
    data(api, key, "query($p: ID) { a: person(personId: $p) { identity { name { best } } } "
         "b: person(personId: $p) { enrolments { program } } }", {"p": person_id})
    assert sorted(e.fields for e in entries(api, key_id)) == [("enrolments.program",), ("identity.name",)]
    # One response name selected twice is resolved once, with both selections merged: both count.
    merged_id, merged = make_key(api, Role.STEWARD)
    data(api, merged, "query($p: ID) { person(personId: $p) { identity { name { best } } } "
         "person(personId: $p) { records { raw { column value } } } }", {"p": person_id})
    assert [e.fields for e in entries(api, merged_id)] == [("identity.name", "records.raw")]


def test_a_lookup_that_finds_no_one_is_audited(api: Api) -> None:
    key_id, key = make_key(api, Role.STEWARD)
    assert data(api, key, '{ person(personId: "PRS-nobody") { personId } }')["person"] is None
    assert data(api, key, '{ person(nik: "3374014506880099") { personId } }')["person"] is None
    log = entries(api, key_id)
    assert [(e.operation, e.outcome, e.detail) for e in log] == [
        ("person", Outcome.NOT_FOUND, "no person with this personId"),
        ("person", Outcome.NOT_FOUND, "no person with this nik")]
