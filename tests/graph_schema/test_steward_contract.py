"""The judgement rule's statements on each backend: redirects from retired person ids, the
records a verdict binds, settled candidates, and the queue of conflicting persons."""

from __future__ import annotations

from graph_schema import api_queries, queries
from graph_schema.port import GraphStore
from tests.graph_schema.test_contract import write_world
from tests.graph_schema.world import P1, P2

# What the product never sends (a record moves in one statement, MOVE_RECORDS), but a write cut
# short by an older hub may have left: a record with no person.
UNLINK_RECORD = "MATCH (:SourceRecord {record_id: $record_id})-[r:RESOLVES_TO]->() DELETE r"

STEWARD_STATEMENTS = {"UPSERT_PERSON_REDIRECTS", "DELETE_PERSON_REDIRECTS", "PERSON_REDIRECTS_BY_IDS",
                      "DELETE_SETTLED_CANDIDATES", "CANDIDATE_BINDINGS", "CONFLICTING_PERSONS_PAGE",
                      "UNRESOLVED_RECORD_COUNT"}


async def test_redirects_are_written_read_and_removed(store: GraphStore) -> None:
    rows = [{"person_id": "P-OLD", "to": [P1], "kind": "merge", "at": "2026-11-30T10:00:00+00:00", "run_id": "r1"},
            {"person_id": "P-SPLIT", "to": [P1, P2], "kind": "split", "at": "2026-11-30T10:00:00+00:00", "run_id": "r1"}]
    assert await store.run(queries.UPSERT_PERSON_REDIRECTS, {"rows": rows}, write=True) == [{"written": 2}]
    await store.run(queries.UPSERT_PERSON_REDIRECTS, {"rows": rows[:1]}, write=True)  # idempotent
    found = await store.run(api_queries.PERSON_REDIRECTS_BY_IDS, {"keys": ["P-SPLIT", "P-OLD", "P-NONE"]})
    assert sorted((r["key"], r["redirect"]["kind"], list(r["redirect"]["to"])) for r in found) == [
        ("P-OLD", "merge", [P1]), ("P-SPLIT", "split", [P1, P2])]
    await store.run(queries.DELETE_PERSON_REDIRECTS, {"ids": ["P-OLD", "P-NONE"]}, write=True)
    assert [r["key"] for r in await store.run(api_queries.PERSON_REDIRECTS_BY_IDS, {"keys": ["P-OLD", "P-SPLIT"]})] == [
        "P-SPLIT"]


async def test_a_verdict_stores_the_records_it_binds(store: GraphStore) -> None:
    await write_world(store)
    assert await store.run(queries.CANDIDATE_BINDINGS, {"candidate_id": "MC-1"}) == [
        {"decision": None, "left_records": None, "right_records": None}]
    await store.run(queries.JUDGE_CANDIDATE, {
        "candidate_id": "MC-1", "decision": "SAME", "by": "s", "at": "t", "reason": "r", "history_entry": "{}\n",
        "left_records": ["ppks:PPKS-9"], "right_records": ["outreach:OUT-3", "dtks:DTKS-1"]}, write=True)
    (bound,) = await store.run(queries.CANDIDATE_BINDINGS, {"candidate_id": "MC-1"})
    assert (bound["decision"], list(bound["left_records"]), list(bound["right_records"])) == (
        "SAME", ["ppks:PPKS-9"], ["outreach:OUT-3", "dtks:DTKS-1"])
    (judged,) = await store.run(queries.JUDGED_CANDIDATES)
    assert list(judged["right_records"]) == ["outreach:OUT-3", "dtks:DTKS-1"]


async def test_settled_candidates_leave_the_queue_judged_ones_stay(store: GraphStore) -> None:
    await write_world(store)  # MC-1 compares two records that both resolve to P1
    assert await store.run(queries.DELETE_SETTLED_CANDIDATES, {"pairs": [[P1, P2]]}, write=True) == [{"deleted": 0}]
    await store.run(queries.JUDGE_CANDIDATE, {
        "candidate_id": "MC-1", "decision": "UNSURE", "by": "s", "at": "t", "reason": "r", "history_entry": "{}\n",
        "left_records": None, "right_records": None}, write=True)
    assert await store.run(queries.DELETE_SETTLED_CANDIDATES, {"pairs": [[P1, P1]]}, write=True) == [{"deleted": 0}]
    await store.run("MATCH (c:MatchCandidate) SET c.decision = null", write=True)
    assert await store.run(queries.DELETE_SETTLED_CANDIDATES, {"pairs": [[P1, P1]]}, write=True) == [{"deleted": 1}]
    assert await store.run("MATCH (c:MatchCandidate) RETURN count(c) AS n") == [{"n": 0}]


async def test_conflicting_persons_page_likeliest_first(store: GraphStore) -> None:
    await write_world(store)
    rows = [{"person_id": P1, "props": {"conflicts": ["BOTH_SEXES"], "conflict_rank": 1, "record_count": 9,
                                        "region_code": "33.74.01.1001"}},
            {"person_id": P2, "props": {"conflicts": ["TWO_TRUSTED_NIKS", "BIRTH_DATES_APART"], "conflict_rank": 8,
                                        "record_count": 2, "region_code": "33.01.01.1001"}}]
    await store.run(queries.UPSERT_PERSONS, {"rows": rows}, write=True)
    page = {"region": None, "after": None, "limit": 10}
    found = await store.run(api_queries.CONFLICTING_PERSONS_PAGE, page)
    assert [(r["person_id"], r["rank"], r["record_count"], list(r["reasons"])) for r in found] == [
        (P2, 8, 2, ["TWO_TRUSTED_NIKS", "BIRTH_DATES_APART"]), (P1, 1, 9, ["BOTH_SEXES"])]
    assert [r["person_id"] for r in await store.run(api_queries.CONFLICTING_PERSONS_PAGE,
                                                    {**page, "after": [8, 2, P2]})] == [P1]
    assert [r["person_id"] for r in await store.run(api_queries.CONFLICTING_PERSONS_PAGE,
                                                    {**page, "region": "33.74"})] == [P1]


async def test_records_no_person_holds_are_counted(store: GraphStore) -> None:
    await write_world(store)
    assert await store.run(queries.UNRESOLVED_RECORD_COUNT) == [{"unresolved": 0}]
    await store.run(UNLINK_RECORD, {"record_id": "ppks:PPKS-9"}, write=True)
    assert await store.run(queries.UNRESOLVED_RECORD_COUNT) == [{"unresolved": 1}]
