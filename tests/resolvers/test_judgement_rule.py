"""The judgement rule: a verdict binds records; a merge or a split leaves a pointer from the old id;
one question per pair of persons, and a verdict settles the others between them."""

from __future__ import annotations

from hub.privacy.access import Role
from tests.resolvers.conftest import Api

QUEUE = """query($after: String) { matchCandidates(first: 100, after: $after) { edges { cursor node {
  candidateId left { personId record { recordId } } right { personId record { recordId } } } }
  pageInfo { hasNextPage endCursor } } }"""
JUDGE = """mutation($c: ID!, $d: Decision!, $r: String!) { judgeMatch(candidateId: $c, decision: $d, reason: $r) {
  ok message personsBefore personsAfter recordsMoved } }"""
RECORDS = "query($p: ID) { person(personId: $p) { personId records { recordId } } }"
REDIRECT = "query($p: ID!) { personRedirect(personId: $p) { personId kind currentIds } }"
CONFLICTS = """query($after: String) { conflictingPersons(first: 50, after: $after) { edges { cursor node {
  personId recordCount rank reasons } } pageInfo { hasNextPage endCursor } } }"""


def _queue(api: Api) -> list[dict[str, object]]:
    nodes, after = [], None
    while True:
        page = api.data_of(QUEUE, {"after": after}, role=Role.STEWARD)["matchCandidates"]
        nodes += [e["node"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return nodes
        after = page["pageInfo"]["endCursor"]


def _records(api: Api, person_id: str) -> set[str]:
    return {r["recordId"] for r in api.data_of(RECORDS, {"p": person_id})["person"]["records"]}


def _pair(node: dict[str, object]) -> frozenset[str]:
    return frozenset((node["left"]["personId"], node["right"]["personId"]))  # type: ignore[index]


def test_one_question_per_pair_of_persons(api: Api) -> None:
    pairs = [_pair(n) for n in _queue(api)]
    assert pairs and len(pairs) == len(set(pairs))
    assert all(len(p) == 2 for p in pairs)


def test_a_reversed_same_moves_back_every_record_and_ids_point_on(api: Api) -> None:
    node = _queue(api)[0]
    left, right = node["left"]["personId"], node["right"]["personId"]  # type: ignore[index]
    held = {left: _records(api, left), right: _records(api, right)}
    same = api.data_of(JUDGE, {"c": node["candidateId"], "d": "SAME", "r": "same mother and KK"},
                       role=Role.STEWARD)["judgeMatch"]
    (merged,) = same["personsAfter"]
    absorbed = ({left, right} - {merged}).pop()
    assert _records(api, merged) == held[left] | held[right]
    # The absorbed id still finds the person it became, and says where it went.
    assert api.data_of(RECORDS, {"p": absorbed})["person"]["personId"] == merged
    assert api.data_of(REDIRECT, {"p": absorbed})["personRedirect"] == {
        "personId": absorbed, "kind": "MERGE", "currentIds": [merged]}
    assert api.data_of(REDIRECT, {"p": merged})["personRedirect"] is None
    # No open candidate is left with that one person on both sides.
    assert all(_pair(n) != frozenset((merged,)) for n in _queue(api))
    # Reversed: every record the SAME moved goes back, under new ids, and the merged id points at both.
    different = api.data_of(JUDGE, {"c": node["candidateId"], "d": "DIFFERENT", "r": "other birth date"},
                            role=Role.STEWARD)["judgeMatch"]
    parts = different["personsAfter"]
    assert len(parts) == 2 and merged not in parts
    assert sorted(map(sorted, (_records(api, p) for p in parts))) == sorted(map(sorted, held.values()))
    redirect = api.data_of(REDIRECT, {"p": merged})["personRedirect"]
    assert redirect["kind"] == "SPLIT" and sorted(redirect["currentIds"]) == sorted(parts)
    assert api.data_of(RECORDS, {"p": merged})["person"] is None
    # The two persons a DIFFERENT keeps apart are no longer asked about.
    assert frozenset(parts) not in {_pair(n) for n in _queue(api)}


def test_conflicting_persons_queue_pages_by_keyset(api: Api) -> None:
    first = api.data_of(CONFLICTS, role=Role.STEWARD)["conflictingPersons"]
    nodes = [e["node"] for e in first["edges"]]
    assert nodes, "a synthetic population with wrong sexes and relatives' NIKs has conflicting persons"
    order = [(n["rank"], n["recordCount"]) for n in nodes]
    assert order == sorted(order, reverse=True)
    reasons = {"TWO_TRUSTED_NIKS", "TWO_NIKS", "BOTH_SEXES", "BIRTH_DATES_APART"}
    assert all(n["reasons"] and set(n["reasons"]) <= reasons for n in nodes)
    if first["pageInfo"]["hasNextPage"]:
        nxt = api.data_of(CONFLICTS, {"after": first["pageInfo"]["endCursor"]}, role=Role.STEWARD)
        assert not {n["personId"] for n in nodes} & {e["node"]["personId"] for e in nxt["conflictingPersons"]["edges"]}
    denied = api.post(CONFLICTS, role=Role.APP).json()
    assert "errors" in denied and denied.get("data") is None
