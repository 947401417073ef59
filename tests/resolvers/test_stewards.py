"""The review queue and judgeMatch, which changes the graph at once."""

from __future__ import annotations

from hub.privacy.access import Role
from tests.resolvers.conftest import Api

QUEUE = """query($after: String) { matchCandidates(first: 3, after: $after) { edges { cursor node {
  candidateId probability matchWeight priority weights { comparison weight }
  left { personId record { recordId source name nik birthDate } }
  right { personId record { recordId source name nik birthDate } } } }
  pageInfo { hasNextPage endCursor } } }"""
JUDGE = """mutation($c: ID!, $d: Decision!, $r: String!) { judgeMatch(candidateId: $c, decision: $d, reason: $r) {
  ok message personsBefore personsAfter recordsMoved } }"""
RECORDS = "query($p: ID) { person(personId: $p) { records { recordId } } }"


def test_queue_shows_both_sides_with_weights_most_consequential_first(api: Api) -> None:
    page = api.data_of(QUEUE, role=Role.STEWARD)["matchCandidates"]
    nodes = [e["node"] for e in page["edges"]]
    assert len(nodes) == 3 and page["pageInfo"]["hasNextPage"]
    assert [n["priority"] for n in nodes] == sorted((n["priority"] for n in nodes), reverse=True)
    for node in nodes:
        assert node["left"]["record"]["recordId"] != node["right"]["record"]["recordId"]
        assert {w["comparison"] for w in node["weights"]} >= {"name", "birth"}
        # In the review band: between the reject (10) and accept (16) bits of evidence.
        assert 10 <= node["matchWeight"] < 16 and 0 < node["probability"] < 1
    nxt = api.data_of(QUEUE, {"after": page["pageInfo"]["endCursor"]}, role=Role.STEWARD)["matchCandidates"]
    assert not {n["candidateId"] for n in nodes} & {e["node"]["candidateId"] for e in nxt["edges"]}


def test_judgements_join_and_part_persons_at_once(api: Api) -> None:
    node = api.data_of(QUEUE, role=Role.STEWARD)["matchCandidates"]["edges"][0]["node"]
    left, right = node["left"], node["right"]
    assert left["personId"] != right["personId"]
    same = api.data_of(JUDGE, {"c": node["candidateId"], "d": "SAME", "r": "same mother and KK"},
                       role=Role.STEWARD)["judgeMatch"]
    assert same["ok"] and same["message"] == "joined into one person" and len(same["personsAfter"]) == 1
    joined = same["personsAfter"][0]
    records = {r["recordId"] for r in api.data_of(RECORDS, {"p": joined})["person"]["records"]}
    assert {left["record"]["recordId"], right["record"]["recordId"]} <= records
    history = api.data_of("query($p: ID) { person(personId: $p) { history { kind detail } } }",
                          {"p": joined})["person"]["history"]
    assert history[-1]["kind"] == "merge" and "steward" in history[-1]["detail"]
    # Decided: no longer in the open queue.
    open_ids = {e["node"]["candidateId"] for e in api.data_of(QUEUE, role=Role.STEWARD)["matchCandidates"]["edges"]}
    assert node["candidateId"] not in open_ids
    # Revisited: DIFFERENT parts them again, now.
    different = api.data_of(JUDGE, {"c": node["candidateId"], "d": "DIFFERENT", "r": "other birth date"},
                            role=Role.STEWARD)["judgeMatch"]
    assert different["ok"] and len(different["personsAfter"]) == 2
    after = [{r["recordId"] for r in api.data_of(RECORDS, {"p": p})["person"]["records"]}
             for p in different["personsAfter"]]
    assert not any(left["record"]["recordId"] in s and right["record"]["recordId"] in s for s in after)
    missing = api.data_of(JUDGE, {"c": "MC-NOPE", "d": "SAME", "r": "x"}, role=Role.STEWARD)["judgeMatch"]
    assert missing == {"ok": False, "message": "no match candidate MC-NOPE", "personsBefore": [], "personsAfter": [],
                       "recordsMoved": 0}
    blank = api.post(JUDGE, {"c": node["candidateId"], "d": "SAME", "r": "  "}, role=Role.STEWARD).json()
    assert "reason must say why" in blank["errors"][0]["message"]
