"""Worklists over the shared API world: the graph's evaluation of a rule agrees with the person's own
gaps, pages cover the count, roles and officer regions hold, a rules edit shows at once."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import neo4j
import pytest
from falkordb import FalkorDB

from graph_schema import targeting_queries as tq
from graph_schema.dialect import FALKORDB, NEO4J
from hub.embedded_db import HOST
from hub.privacy.access import Role
from hub.privacy.audit import AuditLog
from resolvers import gaps, worklists
from resolvers.gaps import load_rules
from tests.resolvers.conftest import Api

WORKLIST = """query($rule: String!, $region: String!, $first: Int, $after: String) {
  worklist(rule: $rule, region: $region, first: $first, after: $after) {
    region totalCount countsBySubRegion { code name count }
    rule { id subject }
    edges { cursor node { reasons person { personId identity { nik { best } name { best } } }
                          household { kk decile members { personId } } } }
    pageInfo { hasNextPage endCursor } } }"""


def _regency(api: Api) -> str:
    rows = asyncio.run(api.cypher("MATCH (p:Person) WHERE p.region_code IS NOT NULL "
                                  "RETURN left(p.region_code, 5) AS regency, count(*) AS n ORDER BY n DESC LIMIT 1"))
    return str(rows[0]["regency"])


def _all_pages(api: Api, rule: str, region: str, role: Role = Role.ADMIN, first: int = 40) -> tuple[list[Any], Any]:
    edges: list[Any] = []
    after = None
    while True:
        data = api.data_of(WORKLIST, {"rule": rule, "region": region, "first": first, "after": after}, role)["worklist"]
        edges += data["edges"]
        if not data["pageInfo"]["hasNextPage"]:
            return edges, data
        after = data["pageInfo"]["endCursor"]


def _flagged_by_gaps(api: Api, rule: str, region: str) -> set[str]:
    """Persons of the region whose own history's gaps name ``rule`` (the per-person evaluation)."""
    ids = [r["id"] for r in asyncio.run(api.cypher(
        "MATCH (p:Person) WHERE p.region_code STARTS WITH $r RETURN p.person_id AS id", {"r": region}))]
    flagged = set()
    for start in range(0, len(ids), 15):
        chunk = ids[start:start + 15]
        query = "{" + " ".join(f'p{i}: person(personId: "{pid}") {{ personId gaps {{ rule }} }}'
                               for i, pid in enumerate(chunk)) + "}"
        for person in api.data_of(query).values():
            if rule in {g["rule"] for g in person["gaps"]}:
                flagged.add(person["personId"])
    return flagged


@pytest.mark.parametrize("rule", ["dtks-poor-without-kis", "disability-without-assistive-device",
                                  "street-person-met-twice-unregistered", "panti-resident-without-nik"])
def test_the_graph_flags_exactly_whom_the_persons_own_gaps_name(api: Api, rule: str) -> None:
    region = _regency(api)
    edges, last = _all_pages(api, rule, region.replace(".", ""))
    listed = [e["node"]["person"]["personId"] for e in edges]
    assert len(listed) == len(set(listed)) == last["totalCount"]
    assert sum(c["count"] for c in last["countsBySubRegion"]) == last["totalCount"]
    assert set(listed) == _flagged_by_gaps(api, rule, region)
    assert all(e["node"]["reasons"] for e in edges)
    if rule in ("dtks-poor-without-kis", "disability-without-assistive-device"):
        assert listed  # the world holds some: an agreement on nobody would prove nothing


def test_a_household_rule_lists_households_with_their_reasons(api: Api) -> None:
    region = _regency(api)
    edges, last = _all_pages(api, "dtks-poor-household-without-kis", region, first=7)
    assert last["rule"]["subject"] == "HOUSEHOLD" and edges
    kks = [e["node"]["household"]["kk"] for e in edges]
    assert len(kks) == len(set(kks)) == last["totalCount"]
    expected = asyncio.run(api.cypher(
        "MATCH (h:Household) WHERE h.region_code STARTS WITH $r AND h.decile <= 4 "
        "WITH h, [(h)<-[:MEMBER_OF]-(:Person)-[:ENROLLED_IN]->(g:Program) | g.code] AS programs "
        "WHERE NOT 'KIS_PBI_APBN' IN programs AND NOT 'KIS_PBI_APBD' IN programs RETURN h.kk AS kk", {"r": region}))
    assert set(kks) == {r["kk"] for r in expected}
    reasons = edges[0]["node"]["reasons"]
    assert any("decile" in r for r in reasons) and any("KIS_PBI_APBN" in r for r in reasons)


def test_an_analyst_gets_masked_persons_and_a_scoped_officer_only_their_region(api: Api) -> None:
    region = _regency(api)
    data = api.data_of(WORKLIST, {"rule": "dtks-poor-without-kis", "region": region, "first": 5}, Role.ANALYST)
    person = data["worklist"]["edges"][0]["node"]["person"]
    shown = f'{person["identity"]["nik"]["best"] or ""}{person["identity"]["name"]["best"] or ""}'
    assert shown and not any(ch.isalnum() for ch in shown)  # masked: no digit of the NIK, no letter of the name
    _, key = api.officer_key(Role.STEWARD, region)
    district = data["worklist"]["countsBySubRegion"][0]["code"]
    inside = api.post(WORKLIST, {"rule": "dtks-poor-without-kis", "region": district, "first": 3}, key=key).json()
    assert "errors" not in inside and inside["data"]["worklist"]["region"] == district
    other = "33.01" if not region.startswith("33.01") else "33.02"
    refused = api.post(WORKLIST, {"rule": "dtks-poor-without-kis", "region": other}, key=key).json()
    assert refused["data"] is None and f"outside your region {region}" in refused["errors"][0]["message"]
    app = api.post(WORKLIST, {"rule": "dtks-poor-without-kis", "region": region}, role=Role.APP).json()
    assert "may not read worklists" in app["errors"][0]["message"]


def test_a_worklist_is_audited_like_a_search(api: Api) -> None:
    region = _regency(api)
    data = api.data_of(WORKLIST, {"rule": "dtks-poor-without-kis", "region": region, "first": 4})
    ids = {e["node"]["person"]["personId"] for e in data["worklist"]["edges"]}
    read = [e for e in AuditLog.of(api.settings).entries(person_ids=ids) if e.operation == "worklist"]
    assert read and ids <= {p for e in read for p in e.person_ids}


def test_bad_arguments_are_named(api: Api) -> None:
    unknown = api.post(WORKLIST, {"rule": "no-such-rule", "region": "33"}).json()
    assert "rule: 'no-such-rule' is not a gap rule" in unknown["errors"][0]["message"]
    assert "dtks-poor-without-kis" in unknown["errors"][0]["message"]
    bad = api.post(WORKLIST, {"rule": "dtks-poor-without-kis", "region": "33", "after": "nonsense"}).json()
    assert "after:" in bad["errors"][0]["message"]


def test_the_province_counts_every_regency(api: Api) -> None:
    data = api.data_of(WORKLIST, {"rule": "dtks-poor-without-kis", "region": "33", "first": 1})["worklist"]
    assert data["region"] == "33" and all(len(c["code"]) == 5 for c in data["countsBySubRegion"])
    regency = next(c for c in data["countsBySubRegion"] if c["code"] == _regency(api))
    alone = api.data_of(WORKLIST, {"rule": "dtks-poor-without-kis", "region": _regency(api), "first": 1})["worklist"]
    assert regency["count"] == alone["totalCount"] > 0 and data["totalCount"] >= alone["totalCount"]


@pytest.fixture
def edited_rules() -> Iterator[Path]:
    original = gaps.DEFAULT_RULES.read_bytes()
    yield gaps.DEFAULT_RULES
    gaps.DEFAULT_RULES.write_bytes(original)


def test_a_rules_edit_shows_in_the_next_request(api: Api, edited_rules: Path) -> None:
    query = "{ worklistRules { id title subject } }"
    before = {r["id"] for r in api.data_of(query)["worklistRules"]}
    stat = edited_rules.stat()
    edited_rules.write_text(edited_rules.read_text() + '\n[[gap]]\nid = "decile-1"\ntitle = "Desil 1"\n'
                            'explanation = "In DTKS decile 1."\nsuggest = "Visit"\nwhen = { decile_at_most = 1 }\n')
    os.utime(edited_rules, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    after = {r["id"] for r in api.data_of(query)["worklistRules"]}
    assert after == before | {"decile-1"}
    data = api.data_of(WORKLIST, {"rule": "decile-1", "region": _regency(api), "first": 3})["worklist"]
    assert all(any("decile 1 " in r for r in e["node"]["reasons"]) for e in data["edges"])


def _plan(api: Api, statement: str, params: dict[str, Any]) -> tuple[str, bool, bool]:
    """The plan the world's server makes for ``statement``: its text, whether it seeks an index, whether
    it scans a label or every node (FalkorDB's GRAPH.EXPLAIN; Neo4j's EXPLAIN, its operators' names)."""
    if api.settings.backend == "falkordb":
        graph = FalkorDB(host=HOST, port=api.settings.db_port).select_graph(api.settings.graph_name)
        plan = str(graph.explain(FALKORDB.render(statement), params))
        return plan, "Index Scan" in plan, "Label Scan" in plan or "All Node Scan" in plan
    with neo4j.GraphDatabase.driver(api.env["HUB_GRAPH_URI"],
                                    auth=(api.env["HUB_GRAPH_USER"], api.env["HUB_GRAPH_PASSWORD"])) as driver:
        summary = driver.execute_query("EXPLAIN " + NEO4J.render(statement), params, database_="neo4j").summary
    assert summary.plan is not None
    operators, todo = [], [summary.plan]
    while todo:
        node = todo.pop()
        operators.append(node["operatorType"].split("@")[0])
        todo += node.get("children", [])
    return " ".join(operators), any("IndexSeek" in o for o in operators), \
        any(o in ("NodeByLabelScan", "AllNodesScan") for o in operators)


def test_person_worklist_statements_seek_by_index(api: Api) -> None:
    params = {**load_rules()[0].as_params(), "codes": ["33.16"], "width": 8, "limit": 5, "after_code": None,
              "after_id": None, "region": "33.16"}
    built = [s for rule in load_rules() for s in worklists._statements(rule)]  # what each rule of gaps.toml sends
    for statement in (tq.WORKLIST_PERSONS_PAGE, tq.WORKLIST_PERSONS_COUNT, tq.WORKLIST_HOUSEHOLDS_COUNT,
                      tq.WORKLIST_REGION_CODES, *built):
        plan, seeks, scans = _plan(api, statement, params)
        assert seeks and not scans, plan

