"""Household networks start only from what the graph knows; candidates show every verdict given."""

from __future__ import annotations

import asyncio
from typing import Any

from hub.privacy.access import Role
from tests.resolvers.conftest import Api

NETWORK = """query($p: ID, $kk: String) { householdNetwork(personId: $p, kk: $kk, depth: 2, withPrograms: true) {
  nodes { id kind label personId decile depth } edges { source target kind } truncated } }"""
QUEUE = """query($s: CandidateStatus, $after: String) { matchCandidates(status: $s, first: 100, after: $after) {
  edges { node { candidateId status decision decidedBy reason history { decision by at reason } } }
  pageInfo { hasNextPage endCursor } } }"""
JUDGE = """mutation($c: ID!, $d: Decision!, $r: String!) { judgeMatch(candidateId: $c, decision: $d, reason: $r) {
  ok } }"""


def test_an_unknown_start_gives_an_empty_network(api: Api) -> None:
    for start in ({"p": "PRS-NOPE"}, {"kk": "3374000000000000"}):
        network = api.data_of(NETWORK, start, role=Role.STEWARD)["householdNetwork"]
        assert network == {"nodes": [], "edges": [], "truncated": False}, start


def test_network_depths_count_hops_from_the_start(api: Api) -> None:
    (row,) = asyncio.run(api.cypher(
        "MATCH (p:Person)-[:MEMBER_OF]->(h:Household), (p)-[:ENROLLED_IN]->(:Program) WHERE h.decile IS NOT NULL "
        "RETURN p.person_id AS person_id, p.name AS name, h.kk AS kk ORDER BY person_id LIMIT 1"))
    by_person = api.data_of(NETWORK, {"p": row["person_id"]}, role=Role.STEWARD)["householdNetwork"]
    nodes = {n["id"]: n for n in by_person["nodes"]}
    start = nodes[f"person:{row['person_id']}"]
    assert start["depth"] == 0 and start["label"] == row["name"]
    for edge in by_person["edges"]:
        source, target = nodes[edge["source"]], nodes[edge["target"]]
        assert abs(source["depth"] - target["depth"]) <= 1, edge
    programs = [n for n in by_person["nodes"] if n["kind"] == "PROGRAM"]
    assert programs and all(n["depth"] >= 1 for n in by_person["nodes"] if n is not start)
    # A program is one hop beyond its nearest enrolled person.
    for program in programs:
        enrolled = [nodes[e["source"]]["depth"] for e in by_person["edges"] if e["target"] == program["id"]]
        assert program["depth"] == min(enrolled) + 1
    by_kk = api.data_of(NETWORK, {"kk": row["kk"]}, role=Role.STEWARD)["householdNetwork"]
    (household,) = [n for n in by_kk["nodes"] if n["depth"] == 0]
    assert household["kind"] == "HOUSEHOLD" and household["decile"] is not None


def test_a_reversed_verdict_keeps_the_one_it_reverses(api: Api) -> None:
    edges = api.data_of(QUEUE, {"s": "OPEN"}, role=Role.STEWARD)["matchCandidates"]["edges"]
    candidate = edges[-1]["node"]  # the least consequential: other tests judge the first ones
    assert candidate["status"] == "OPEN" and candidate["history"] == [] and candidate["decision"] is None
    for decision, reason in (("UNSURE", "need the KK to tell"), ("DIFFERENT", "KK shows two brothers")):
        assert api.data_of(JUDGE, {"c": candidate["candidateId"], "d": decision, "r": reason},
                           role=Role.STEWARD)["judgeMatch"]["ok"]
    judged = find_candidate(api, candidate["candidateId"])
    assert judged["status"] == "DECIDED" and judged["decision"] == "DIFFERENT"
    assert judged["reason"] == "KK shows two brothers"
    history = judged["history"]
    assert [(v["decision"], v["reason"]) for v in history] == [("UNSURE", "need the KK to tell"),
                                                               ("DIFFERENT", "KK shows two brothers")]
    assert all(v["by"] == judged["decidedBy"] and v["at"] for v in history)
    assert history[0]["at"] <= history[1]["at"]


def find_candidate(api: Api, candidate_id: str) -> dict[str, Any]:
    after = None
    while True:
        page = api.data_of(QUEUE, {"s": "DECIDED", "after": after}, role=Role.STEWARD)["matchCandidates"]
        for edge in page["edges"]:
            if edge["node"]["candidateId"] == candidate_id:
                node: dict[str, Any] = edge["node"]
                return node
        assert page["pageInfo"]["hasNextPage"], f"{candidate_id} is not among the decided candidates"
        after = page["pageInfo"]["endCursor"]
