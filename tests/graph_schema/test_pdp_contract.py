"""Contract cases for the subject-access reads of ``hub pdp export``, on every backend."""

from __future__ import annotations

from graph_schema import queries
from graph_schema.port import GraphStore
from tests.graph_schema.test_contract import write_world
from tests.graph_schema.world import P1, P2

PDP_STATEMENTS = {"MATCH_CANDIDATES_OF_PERSON", "PERSON_REDIRECTS_TO"}


async def test_the_candidates_that_compare_a_persons_records(store: GraphStore) -> None:
    await write_world(store)
    (row,) = await store.run(queries.MATCH_CANDIDATES_OF_PERSON, {"person_id": P1})
    assert row["candidate_id"] == "MC-1" and row["candidate"]["status"] == "open"
    assert sorted((s["side"], s["record_id"]) for s in row["sides"]) == [
        ("left", "ppks:PPKS-9"), ("right", "outreach:OUT-3")]
    assert await store.run(queries.MATCH_CANDIDATES_OF_PERSON, {"person_id": P2}) == []


async def test_the_retired_ids_that_point_at_a_person(store: GraphStore) -> None:
    rows = [{"person_id": "P-OLD", "to": [P1], "kind": "merge", "at": "2026-11-30T10:00:00+00:00", "run_id": "r1"},
            {"person_id": "P-SPLIT", "to": [P2, P1], "kind": "split", "at": "2026-11-30T10:00:00+00:00", "run_id": "r1"},
            {"person_id": "P-ELSE", "to": [P2], "kind": "merge", "at": "2026-11-30T10:00:00+00:00", "run_id": "r1"}]
    await store.run(queries.UPSERT_PERSON_REDIRECTS, {"rows": rows}, write=True)
    found = await store.run(queries.PERSON_REDIRECTS_TO, {"person_id": P1})
    assert [(r["person_id"], r["redirect"]["kind"]) for r in found] == [("P-OLD", "merge"), ("P-SPLIT", "split")]
