"""The statements of a steward's split, join and undo on each backend, and their FalkorDB plans
(every one finds its nodes through an index: candidate id, record id, the candidates' status)."""

from __future__ import annotations

import pytest

from graph_schema import steward_queries as sq
from graph_schema.port import GraphStore
from hub.embedded_db import EmbeddedServer
from tests.graph_schema.plans import falkordb_plan
from tests.graph_schema.test_contract import write_world
from tests.graph_schema.test_live_plans import SCANS
from tests.graph_schema.world import P1

STEWARD_ACTION_STATEMENTS = {name for name in vars(sq) if name.isupper() and not name.startswith("_")}
MADE = {"candidate_id": "MC-NEW", "left": "dtks:DTKS-1", "right": "ppks:PPKS-9", "origin": "split", "run_id": "steward",
        "at": "2026-11-30T10:00:00+00:00"}
STATE = {"status": "decided", "decision": "DIFFERENT", "decided_by": "Sri (key k1)",
         "decided_at": "2026-11-30T10:00:00+00:00", "reason": "two people", "left_records": ["dtks:DTKS-1"],
         "right_records": ["ppks:PPKS-9"], "history": '{"decision": "DIFFERENT"}\n', "undo": "[]"}


async def test_a_split_or_join_candidate_is_made_once_and_keeps_a_linker_candidate(store: GraphStore) -> None:
    await write_world(store)
    assert await store.run(sq.STEWARD_ACTION_CANDIDATE, MADE, write=True) == [{"candidate_id": "MC-NEW"}]
    await store.run(sq.STEWARD_ACTION_CANDIDATE, {**MADE, "left": "ppks:PPKS-9", "right": "dtks:DTKS-1"}, write=True)
    (made,) = await store.run(sq.MATCH_CANDIDATE_FOR_REVIEW, {"candidate_id": "MC-NEW"})
    assert made["candidate"]["origin"] == "split" and made["candidate"]["status"] == "open"
    assert sorted((s["side"], s["record"]["record_id"]) for s in made["sides"]) == [
        ("left", "dtks:DTKS-1"), ("right", "ppks:PPKS-9")]  # sides kept as first made
    assert {p["person_id"] for p in made["persons"]} == {P1}
    # The linker's own candidate between the two records is judged as it is (no origin given it).
    await store.run(sq.STEWARD_ACTION_CANDIDATE, {**MADE, "candidate_id": "MC-1", "left": "ppks:PPKS-9",
                                                  "right": "outreach:OUT-3"}, write=True)
    (linker,) = await store.run(sq.CANDIDATE_STATE, {"candidate_id": "MC-1"})
    assert linker["origin"] is None and linker["status"] == "open"
    assert await store.run(sq.MATCH_CANDIDATE_FOR_REVIEW, {"candidate_id": "MC-NONE"}) == []


async def test_undo_state_is_kept_restored_and_own_verdicts_listed(store: GraphStore) -> None:
    await write_world(store)
    await store.run(sq.STEWARD_ACTION_CANDIDATE, MADE, write=True)
    await store.run(sq.RESTORE_CANDIDATE, {"candidate_id": "MC-NEW", **STATE}, write=True)
    await store.run(sq.SET_CANDIDATE_UNDO, {"candidate_id": "MC-NEW", "undo": '[{"state": null}]'}, write=True)
    (state,) = await store.run(sq.CANDIDATE_STATE, {"candidate_id": "MC-NEW"})
    assert state["decision"] == "DIFFERENT" and state["undo"] == '[{"state": null}]'
    assert list(state["right_records"]) == ["ppks:PPKS-9"]
    mine = {"by": "Sri (key k1)", "day": "2026-11-30", "limit": 10}
    (own,) = await store.run(sq.OWN_VERDICTS_SINCE, mine)
    assert (own["candidate_id"], own["origin"], own["reason"]) == ("MC-NEW", "split", "two people")
    assert await store.run(sq.OWN_VERDICTS_SINCE, {**mine, "by": "Budi (key k2)"}) == []
    assert await store.run(sq.OWN_VERDICTS_SINCE, {**mine, "day": "2026-12-01"}) == []
    assert sorted((r["record_id"], r["person_id"]) for r in await store.run(
        sq.PERSONS_OF_RECORDS, {"ids": ["dtks:DTKS-1", "nope:1"]})) == [("dtks:DTKS-1", P1)]
    assert await store.run(sq.DELETE_CANDIDATE, {"candidate_id": "MC-NEW"}, write=True) == [{"deleted": 1}]
    assert await store.run(sq.CANDIDATE_STATE, {"candidate_id": "MC-NEW"}) == []


@pytest.mark.parametrize("name", sorted(STEWARD_ACTION_STATEMENTS))
async def test_a_steward_action_statement_seeks_by_index(name: str, falkordb_server: EmbeddedServer) -> None:
    params = {**MADE, **STATE, "candidate_id": "MC-1", "ids": ["dtks:DTKS-1"], "by": "s", "day": "d", "limit": 1}
    plan = await falkordb_plan(falkordb_server, write_world, getattr(sq, name), params)
    assert not any(scan in plan for scan in SCANS), f"{name} scans:\n{plan}"
