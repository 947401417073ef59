"""A steward's split, join and undo through the API (roles, region scope, reasons, audit), and the
one candidate a review page shows with the waterfall of its score."""

from __future__ import annotations

from typing import Any

import pytest

from hub.privacy.access import Role
from hub.privacy.audit import AuditLog
from tests.resolvers.conftest import Api
from tests.resolvers.test_officer_scope import places

REGENCIES = [f"33.{n:02d}" for n in (*range(1, 30), *range(71, 77))]

QUEUE = """{ matchCandidates(first: 1) { edges { node { candidateId probability matchWeight
  weights { comparison weight } } } } }"""
CANDIDATE = """query($c: ID!) { matchCandidate(candidateId: $c) { candidateId differing
  left { personId record { recordId name nik birthDate sex kk motherName address regionCode } }
  right { personId record { recordId name nik birthDate sex kk motherName address regionCode } }
  waterfall { prior matchWeight probability steps { comparison level weight total } } } }"""
RECORDS = "query($p: ID) { person(personId: $p) { personId records { recordId } } }"
REDIRECT = "query($p: ID!) { personRedirect(personId: $p) { kind currentIds } }"
SPLIT = """mutation($p: ID!, $r: [String!]!, $why: String!) { splitPerson(personId: $p, recordIds: $r, reason: $why) {
  ok message candidateId decision personsBefore personsAfter } }"""
JOIN = """mutation($p: ID!, $o: ID!, $why: String!) { joinPersons(personId: $p, otherPersonId: $o, reason: $why) {
  ok candidateId personsAfter } }"""
UNDO = "mutation($c: ID!) { undoVerdict(candidateId: $c) { ok decision personsAfter } }"
MINE = "{ myVerdicts { candidateId decision reason origin recordCount } }"
CONFLICTS = "{ conflictingPersons(first: 5) { edges { node { personId recordCount } } } }"
SEARCH = """query($region: String) { searchPersons(region: $region, first: 40) { edges { node { personId
  records { recordId } } } } }"""


def _errors(api: Api, query: str, variables: dict[str, Any], key: str) -> str:
    body = api.post(query, variables, key=key).json()
    assert body.get("errors"), body
    return " ".join(e["message"] for e in body["errors"])


def _data(api: Api, query: str, variables: dict[str, Any], key: str) -> Any:
    body = api.post(query, variables, key=key).json()
    assert "errors" not in body, body
    return body["data"]


def _elsewhere(api: Api, *person_ids: str) -> str:
    """A steward key scoped to a regency that places none of the persons."""
    codes = [c for p in person_ids for c in places(api, p)]
    regency = next(r for r in REGENCIES if not any(c.startswith(r) for c in codes))
    return api.officer_key(Role.STEWARD, regency, "steward elsewhere")[1]


def _records(api: Api, person_id: str) -> set[str]:
    return {r["recordId"] for r in api.data_of(RECORDS, {"p": person_id})["person"]["records"]}


def test_a_candidate_shows_its_waterfall_and_the_fields_that_differ(api: Api) -> None:
    (edge,) = api.data_of(QUEUE, role=Role.STEWARD)["matchCandidates"]["edges"]
    node = api.data_of(CANDIDATE, {"c": edge["node"]["candidateId"]}, role=Role.STEWARD)["matchCandidate"]
    fall = node["waterfall"]
    # prior + each comparison's weight = the match weight; each step is the weight the full run stored.
    assert fall["prior"] + sum(s["weight"] for s in fall["steps"]) == pytest.approx(fall["matchWeight"], abs=1e-6)
    assert fall["steps"][-1]["total"] == pytest.approx(fall["matchWeight"], abs=1e-6)
    # The full run (Splink) scored the pair alike: its evidence is the match weight less the prior.
    assert fall["matchWeight"] - fall["prior"] == pytest.approx(edge["node"]["matchWeight"], abs=0.01)
    assert fall["probability"] == pytest.approx(edge["node"]["probability"], abs=1e-3)
    assert [s["comparison"] for s in fall["steps"]][:3] == [w["comparison"] for w in edge["node"]["weights"]][:3]
    assert all(s["level"] for s in fall["steps"])
    left, right = node["left"]["record"], node["right"]["record"]
    fields = {"name": "name", "nik": "nik", "kk": "kk", "birth_date": "birthDate", "sex": "sex",
              "mother_name": "motherName", "address": "address", "region_code": "regionCode"}
    expected = [f for f, g in fields.items() if left[g] and right[g] and
                " ".join(left[g].upper().split()) != " ".join(right[g].upper().split())]
    assert node["differing"] == expected
    denied = api.post(CANDIDATE, {"c": edge["node"]["candidateId"]}, role=Role.APP).json()
    assert "may not read the review queue" in denied["errors"][0]["message"]
    assert denied["data"]["matchCandidate"] is None


def test_split_then_undo_through_the_api_with_roles_scope_reason_and_audit(api: Api) -> None:
    key_id, steward = api.officer_key(Role.STEWARD, None, "split steward")
    person = next(e["node"] for e in api.data_of(CONFLICTS, role=Role.STEWARD)["conflictingPersons"]["edges"]
                  if e["node"]["recordCount"] >= 2)
    records = sorted(_records(api, person["personId"]))
    moving = records[-1:]
    args = {"p": person["personId"], "r": moving, "why": "another birth date and mother"}
    assert "reason must say why" in _errors(api, SPLIT, {**args, "why": "  "}, steward)
    assert "may not" in _errors(api, SPLIT, args, api.keys[Role.ANALYST])
    assert "no person" in _errors(api, SPLIT, args, _elsewhere(api, person["personId"]))
    assert _records(api, person["personId"]) == set(records)  # nothing refused changed anything

    split = _data(api, SPLIT, args, steward)["splitPerson"]
    assert split["ok"] and split["decision"] == "DIFFERENT" and len(split["personsAfter"]) == 2
    moved_to = next(p for p in split["personsAfter"] if _records(api, p) == set(moving))
    assert api.data_of(REDIRECT, {"p": person["personId"]})["personRedirect"] == {
        "kind": "SPLIT", "currentIds": sorted(split["personsAfter"])}
    mine = _data(api, MINE, {}, steward)["myVerdicts"]
    assert mine[0] == {"candidateId": split["candidateId"], "decision": "DIFFERENT", "origin": "split",
                       "reason": "another birth date and mother", "recordCount": len(records)}
    audited = [e for e in AuditLog.of(api.settings).entries(key_id=key_id) if e.operation == "splitPerson"]
    assert audited and {person["personId"], moved_to} <= set(audited[0].person_ids)

    # Another steward may not undo it; its own steward may, and the person is whole again, under its id.
    assert "no verdict of yours" in _errors(api, UNDO, {"c": split["candidateId"]}, api.keys[Role.STEWARD])
    undone = _data(api, UNDO, {"c": split["candidateId"]}, steward)["undoVerdict"]
    assert undone["ok"] and undone["personsAfter"] == [person["personId"]]
    assert _records(api, person["personId"]) == set(records)
    assert api.data_of(REDIRECT, {"p": person["personId"]})["personRedirect"] is None
    assert _data(api, MINE, {}, steward)["myVerdicts"] == []


def test_join_then_undo_and_a_scoped_steward_outside_its_region(api: Api) -> None:
    _, steward = api.officer_key(Role.STEWARD, None, "join steward")
    people = [e["node"] for e in api.data_of(SEARCH, {"region": "33"}, role=Role.STEWARD)["searchPersons"]["edges"]]
    one, other = [p for p in people if len(p["records"]) == 1][-2:]
    args = {"p": one["personId"], "o": other["personId"], "why": "same person, name typed two ways"}
    assert "the person itself" in _errors(api, JOIN, {**args, "o": one["personId"]}, steward)
    assert "no such persons in your region" in _errors(api, JOIN, args, _elsewhere(api, one["personId"]))

    joined = _data(api, JOIN, args, steward)["joinPersons"]
    (merged,) = joined["personsAfter"]
    assert _records(api, merged) == {one["records"][0]["recordId"], other["records"][0]["recordId"]}
    absorbed = ({one["personId"], other["personId"]} - {merged}).pop()
    assert api.data_of(RECORDS, {"p": absorbed})["person"]["personId"] == merged  # the old id finds the person
    _data(api, UNDO, {"c": joined["candidateId"]}, steward)
    assert _records(api, one["personId"]) == {one["records"][0]["recordId"]}
    assert _records(api, other["personId"]) == {other["records"][0]["recordId"]}
