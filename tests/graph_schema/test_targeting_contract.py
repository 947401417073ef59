"""Contract cases for the worklist and export statements (``targeting_queries``), on every backend."""

from __future__ import annotations

from typing import Any

import pytest

from graph_schema import queries
from graph_schema import targeting_queries as tq
from graph_schema.port import GraphStore
from resolvers.gaps import Facts, GapRule, Subject, load_rules, rule_by_id
from tests.graph_schema.test_contract import write_world
from tests.graph_schema.world import KK, NIK1, P1, P2

VILLAGE = "33.74.01.1001"
CODES = ["33.74", "33.74.01", VILLAGE]
TARGETING_STATEMENTS = {name for name, value in vars(tq).items() if name.isupper() and not name.startswith("_")
                        and isinstance(value, str)}  # statements, not the column names beside them


def _rule(rule_id: str) -> dict[str, Any]:
    rule = rule_by_id(rule_id)
    assert isinstance(rule, GapRule)
    return rule.as_params()


async def _world(store: GraphStore) -> None:
    await write_world(store)
    await store.run(queries.UPSERT_PERSONS, {"rows": [{"person_id": P1, "props": {"region_code": VILLAGE}},
                                                      {"person_id": P2, "props": {"region_code": VILLAGE}}]},
                    write=True)


async def test_a_regions_codes_and_names(store: GraphStore) -> None:
    await _world(store)
    (row,) = await store.run(tq.WORKLIST_REGION_CODES, {"region": "33.74"})
    assert row["code"] == "33.74" and row["name"] == "Kota Semarang" and sorted(row["below"]) == CODES[1:]
    assert await store.run(tq.WORKLIST_REGION_NAMES, {"codes": [VILLAGE, "33.99"]}) == [
        {"code": VILLAGE, "name": "Miroto"}]


async def test_a_person_rule_pages_counts_and_lists(store: GraphStore) -> None:
    await _world(store)
    params = {**_rule("dtks-poor-without-kis"), "codes": CODES}
    page = await store.run(tq.WORKLIST_PERSONS_PAGE, {**params, "after_code": None, "after_id": None, "limit": 5})
    assert [(r["id"], r["code"], r["decile"], set(r["programs"])) for r in page] == [(P1, VILLAGE, 2, {"PKH"})]
    assert sorted(page[0]["sources"]) == ["dtks", "outreach", "ppks"] and page[0]["has_nik"] is True
    assert await store.run(tq.WORKLIST_PERSONS_PAGE, {**params, "after_code": VILLAGE, "after_id": P1,
                                                      "limit": 5}) == []
    assert await store.run(tq.WORKLIST_PERSONS_COUNT, {**params, "width": 8}) == [{"area": "33.74.01", "flagged": 1}]
    assert [r["id"] for r in await store.run(tq.WORKLIST_PERSONS_ALL, params)] == [P1]
    covered = {**params, "unless": {**params["unless"], "programs": ["PKH"]}}
    assert await store.run(tq.WORKLIST_PERSONS_COUNT, {**covered, "width": 8}) == []


@pytest.mark.parametrize("rule_id", [rule.id for rule in load_rules()])
async def test_each_rules_own_statements_agree_with_the_statements_of_every_kind(store: GraphStore,
                                                                                rule_id: str) -> None:
    """A rule's statement gathers only the facts it names; it flags what the statement of every kind flags."""
    await _world(store)
    rule = rule_by_id(rule_id)
    assert isinstance(rule, GapRule)
    household = rule.subject is Subject.HOUSEHOLD
    build = tq.household_worklist if household else tq.person_worklist
    full = (tq.WORKLIST_HOUSEHOLDS_ALL, tq.WORKLIST_HOUSEHOLDS_COUNT) if household else (
        tq.WORKLIST_PERSONS_ALL, tq.WORKLIST_PERSONS_COUNT)
    params = {**rule.as_params(), "codes": CODES, "width": 8}
    own, every = (await store.run(build(rule.named_kinds(), tq.Shape.ALL), params), await store.run(full[0], params))
    assert [r["id"] for r in own] == [r["id"] for r in every]
    counted = await store.run(build(rule.named_kinds(), tq.Shape.COUNT), params)
    assert counted == await store.run(full[1], params) and sum(r["flagged"] for r in counted) == len(own)
    # the reasons a rule gives are those of the facts it names, whichever statement read them
    assert [rule.reasons(Facts.of_row(r)) for r in own] == [rule.reasons(Facts.of_row(r)) for r in every]


async def test_a_household_rule_pages_counts_and_lists(store: GraphStore) -> None:
    await _world(store)
    params = {**_rule("dtks-poor-household-without-kis"), "codes": CODES}
    page = await store.run(tq.WORKLIST_HOUSEHOLDS_PAGE, {**params, "limit": 5})
    assert [(r["id"], r["decile"], sorted(r["members"])) for r in page] == [(KK, 2, sorted([P1, P2]))]
    assert await store.run(tq.WORKLIST_HOUSEHOLDS_COUNT, {**params, "width": 13}) == [{"area": VILLAGE, "flagged": 1}]
    assert [r["id"] for r in await store.run(tq.WORKLIST_HOUSEHOLDS_ALL, params)] == [KK]


async def test_export_rows_and_proposals(store: GraphStore) -> None:
    await _world(store)
    keys = {"keys": [P1, "nobody"]}
    (person,) = await store.run(tq.EXPORT_PERSONS_BY_IDS, keys)  # one household: one row
    assert tuple(person) == tq.EXPORT_PERSON_COLUMNS  # the order export_batches unpacks values in
    assert (person["key"], person["nik"], person["household_kk"], person["decile"]) == (P1, NIK1, KK, 2)
    assert await store.run_values(tq.EXPORT_PERSONS_BY_IDS, keys) == [list(person.values())]
    records = await store.run(tq.EXPORT_RECORDS_BY_IDS, keys)
    assert tuple(records[0]) == tq.EXPORT_RECORD_COLUMNS
    assert {r["key"] for r in records} == {P1} and {r["source"] for r in records} == {"dtks", "ppks", "outreach"}
    assert await store.run(tq.PROPOSAL_PERSONS, {"codes": CODES, "kind": "kis_pbi_apbd", "status": "DIUSULKAN"}) == []
