"""The store contract: every upsert and lookup, on every backend (the embedded FalkorDB and the managed Neo4j)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from graph_schema import load_queries, queries
from graph_schema.port import GraphStore, Statement
from graph_schema.schema import SCHEMA_VERSION
from hub.errors import GraphQueryError
from tests.graph_schema import lookups
from tests.graph_schema.world import (
    EXPECTED_NODES,
    EXPECTED_RELATIONSHIPS,
    KEY_OUTREACH,
    KK,
    NIK1,
    P1,
    P2,
    REC_DTKS,
    WORLD,
    statements,
)

Rows = list[dict[str, Any]]


async def write_world(store: GraphStore) -> None:
    for name, rows in WORLD:
        written = 0
        for text, params in statements(name, rows):
            (result,) = await store.run(text, params, write=True)
            written += result["written"]
        assert written == len(rows), f"{name} wrote {written}, expected {len(rows)}"


async def counts(store: GraphStore) -> tuple[dict[str, int], dict[str, int]]:
    nodes = {r["label"]: r["count"] for r in await store.run(queries.NODE_COUNTS)}
    rels = {r["type"]: r["count"] for r in await store.run(queries.RELATIONSHIP_COUNTS)}
    return nodes, rels


def _person(rows: Rows) -> None:
    assert rows[0]["person"]["nik"] == NIK1 and rows[0]["person"]["name"] == "SITI AMINAH"


def _records_of_person(rows: Rows) -> None:
    assert [(r["record"]["source"], r["method"]) for r in rows] == [
        ("dtks", "nik"), ("outreach", "splink"), ("ppks", "nik")]
    assert rows[1]["probability"] == pytest.approx(0.97)


def _household(rows: Rows) -> None:
    (row,) = rows
    assert row["household"]["decile"] == 2 and row["region_code"] == "33.74.01.1001"
    assert sorted((m["person_id"], m["relation"]) for m in row["members"]) == [
        (P1, "ISTRI"), (P2, "KEPALA KELUARGA")]


def _event(rows: Rows) -> None:
    (row,) = rows
    assert row["event"]["status"] == "DIRUJUK"
    assert row["person_ids"] == [P1] and row["handler_ids"] == ["TKSK-33.74.01"]
    assert sorted(r["target"] for r in row["referrals"]) == ["DINKES-3374", "KIS-PBI-APBD"]


def _candidate(rows: Rows) -> None:
    (row,) = rows
    assert row["candidate"]["probability"] == pytest.approx(0.81)
    sides = {s["side"]: s["record"]["source_key"] for s in row["sides"]}
    assert sides == {"left": "PPKS-9", "right": "OUT-3"}


def _single(key: str, field: str, value: Any) -> Callable[[Rows], None]:
    def check(rows: Rows) -> None:
        assert len(rows) == 1 and rows[0][key][field] == value, rows
    return check


def _equals(extract: Callable[[Rows], Any], expected: Any) -> Callable[[Rows], None]:
    def check(rows: Rows) -> None:
        assert extract(rows) == expected, rows
    return check


LOOKUPS: list[tuple[str, dict[str, Any], Callable[[Rows], None]]] = [
    ("PERSON_BY_ID", {"person_id": P1}, _person),
    ("PERSONS_BY_NIK", {"nik": NIK1}, _person),
    ("PERSONS_BY_NAME", {"query": None, "limit": 5}, _person),
    ("PERSON_SOURCE_RECORDS", {"person_id": P1}, _records_of_person),
    ("SOURCE_RECORD_BY_KEY", KEY_OUTREACH, _equals(lambda rows: [r["person_id"] for r in rows], [P1])),
    ("SOURCE_RECORDS_BY_NIK", {"nik": NIK1}, _equals(lambda rows: [r["record"]["source"] for r in rows], ["dtks", "ppks"])),
    ("HOUSEHOLD_BY_KK", {"kk": KK}, _household),
    ("SOURCE_HAS_RECORDS", {"after": "ppks:", "before": "ppks;"},
     _equals(lambda rows: [r["record_id"] for r in rows], ["ppks:PPKS-9"])),
    ("REGION_CODES", {}, _equals(lambda rows: sorted(r["code"] for r in rows),
                                 ["33", "33.74", "33.74.01", "33.74.01.1001"])),
    ("REGION_BY_CODE", {"code": "33.74.01"},
     _equals(lambda rows: [(r["region"]["name"], r["parent_code"]) for r in rows], [("Semarang Tengah", "33.74")])),
    ("PROGRAM_BY_CODE", {"code": "PKH"}, _single("program", "funding", "APBN")),
    ("PPKS_CATEGORY_BY_CODE", {"code": "PPKS-05"}, _single("category", "name", "Penyandang Disabilitas")),
    ("PANTI_BY_ID", {"panti_id": "PANTI-7"}, _single("panti", "kind", "lansia")),
    ("PSKS_ACTOR_BY_ID", {"actor_id": "TKSK-33.74.01"}, _single("actor", "kind", "TKSK")),
    ("AGENCY_BY_ID", {"agency_id": "DINKES-3374"}, _single("agency", "name", "Dinas Kesehatan Kota Semarang")),
    ("SERVICE_EVENT_BY_ID", {"event_id": "SLRT-1"}, _event),
    ("MATCH_CANDIDATE_BY_ID", {"candidate_id": "MC-1"}, _candidate),
    ("PERSON_ENROLMENTS", {"person_id": P1},
     _equals(lambda rows: [(r["program"], r["from"], r["source"]) for r in rows],
             [("PKH", "2024-01-01", "pkh"), ("PKH", "2025-01-01", "pkh")])),
    ("PERSON_CONDITIONS", {"person_id": P1},
     _equals(lambda rows: [(r["code"], r["recorded_on"]) for r in rows], [("PPKS-05", "2025-02-01")])),
    ("PERSON_PANTI_STAYS", {"person_id": P1},
     _equals(lambda rows: [(r["panti_id"], r["from"], r["to"]) for r in rows], [("PANTI-7", "2025-03-01", None)])),
    ("LOAD_BATCH_BY_ID", {"batch_id": "dtks-abc"}, _single("batch", "status", "complete")),
    ("SOURCE_RECORD_VERSIONS", {"ids": ["dtks:DTKS-1", "dtks:missing"]},
     _equals(lambda rows: [(r["id"], r["content_hash"], r["batch_id"]) for r in rows], [("dtks:DTKS-1", "h1", "dtks-abc")])),
    ("SOURCE_RECORDS_PRESENT", {"ids": ["ppks:PPKS-9", "ppks:nope"]}, _equals(lambda rows: rows, [{"id": "ppks:PPKS-9"}])),
    ("SOURCE_RECORD_COUNTS", {},
     _equals(lambda rows: rows, [{"source": "dtks", "records": 1}, {"source": "outreach", "records": 1},
                                 {"source": "ppks", "records": 1}])),
    ("SOURCES_LOADED", {}, _equals(lambda rows: [r["source"] for r in rows], ["dtks", "outreach", "ppks"])),
    ("RECORDS_FOR_MATCHING", {"after": "dtks:", "before": "dtks;", "limit": 10},
     _equals(lambda rows: [(r["record_id"], r["nik"], r["name"], r["kk"], r["address"], r["phone"], r["register_id"])
                           for r in rows],
             [("dtks:DTKS-1", NIK1, "SITI AMINAH", KK, "JL. PEMUDA 5", "6281234567890", "DTKS-1")])),
    ("RECORD_REFERENCES", {}, _equals(lambda rows: rows, [{"record_id": "outreach:OUT-3", "target": "ppks:PPKS-9"}])),
    ("CURRENT_RESOLUTIONS", {},
     _equals(lambda rows: sorted((r["record_id"], r["person_id"]) for r in rows),
             [("dtks:DTKS-1", P1), ("outreach:OUT-3", P1), ("ppks:PPKS-9", P1)])),
    ("NODE_IDS_OF_PERSON_HOUSEHOLDS", {"person_id": P1},
     _equals(lambda rows: [(r["kk"], isinstance(r["node_id"], str) and r["node_id"] != "") for r in rows], [(KK, True)])),
]

async def _delete_and_count(store: GraphStore, statement: str, rows: list[dict[str, Any]], rel: str) -> int:
    await store.run(statement, {"rows": rows}, write=True)
    return (await counts(store))[1].get(rel, 0)


async def test_deleting_a_changed_records_facts(store: GraphStore) -> None:
    await write_world(store)
    assert await _delete_and_count(store, queries.DELETE_RECORD_FACTS, [REC_DTKS], "IN_HOUSEHOLD") == 0
    rels = (await counts(store))[1]
    assert "LISTS_ENROLMENT" not in rels and rels["REFERS_TO"] == 1  # only the changed record's own facts go
    assert await _delete_and_count(store, queries.DELETE_EVENT_LINKS, [{"event_id": "SLRT-1"}], "REFERRED_TO") == 0
    assert await _delete_and_count(store, queries.DELETE_EVENT_HANDLERS, [{"event_id": "SLRT-1"}], "HANDLED") == 0
    # The record's household now has no record in it: it goes, and a KK no household has is no error.
    households = (await counts(store))[0]["Household"]
    assert await store.run(queries.DELETE_EMPTIED_HOUSEHOLDS, {"kks": [KK, "3374019999990001"]}, write=True) \
        == [{"deleted": 1}]
    assert (await counts(store))[0].get("Household", 0) == households - 1


async def test_person_facts_are_projected_from_their_records(store: GraphStore) -> None:
    await write_world(store)
    await store.run(lookups.DELETE_ALL, write=True)
    await write_world(store)
    before = (await counts(store))[1]
    written = [next(iter((await store.run(q, write=True))[0].values())) for q in queries.PERSON_FACT_PROJECTIONS]
    # Nothing to retract: each record still states its facts. DTKS-1 lists PKH; PPKS-9 a condition and a
    # panti stay; DTKS-1 a household; SLRT-1 is recorded in PPKS-9.
    assert written == [0, 1, 1, 1, 1, 1]
    after = (await counts(store))[1]
    assert after["ENROLLED_IN"] == before["ENROLLED_IN"] + 1 and after["HAS_CONDITION"] == before["HAS_CONDITION"]
    assert after["MEMBER_OF"] == before["MEMBER_OF"] and after["ABOUT"] == before["ABOUT"]
    rows = [{"person_id": P1, "record_id": "dtks:DTKS-1", "source": "dtks", "source_key": "DTKS-1"}]
    assert await store.run(queries.DELETE_MOVED_FACTS, {"rows": rows}, write=True) == [{"deleted": 2}]
    rows = [{"person_id": P1, "record_id": "ppks:PPKS-9", "source": "ppks", "source_key": "PPKS-9"}]
    assert await store.run(queries.DELETE_MOVED_SUBJECTS, {"rows": rows}, write=True) == [{"deleted": 1}]


async def test_steward_review_statements(store: GraphStore) -> None:
    await write_world(store)
    (open_row,) = await store.run(queries.OPEN_CANDIDATES, {"limit": 10})
    assert open_row["candidate"]["candidate_id"] == "MC-1" and len(open_row["sides"]) == 2
    assert await store.run(queries.JUDGED_CANDIDATES) == []
    judged = await store.run(queries.JUDGE_CANDIDATE, {
        "candidate_id": "MC-1", "decision": "DIFFERENT", "by": "steward", "at": "2026-01-01T00:00:00+00:00",
        "reason": "different mothers", "history_entry": "{}\n", "left_records": None, "right_records": None},
        write=True)
    assert judged == [{"candidate_id": "MC-1"}]
    (row,) = await store.run(queries.JUDGED_CANDIDATES)
    assert row["decision"] == "DIFFERENT" and sorted(row["records"]) == ["outreach:OUT-3", "ppks:PPKS-9"]
    assert await store.run(queries.OPEN_CANDIDATES, {"limit": 10}) == []
    # Decided candidates survive a later run's clean-up; undecided ones of other runs do not.
    await store.run(queries.UPSERT_MATCH_CANDIDATES, {"rows": [{"candidate_id": "MC-2", "props": {"run_id": "old"}}]},
                    write=True)
    assert await store.run(queries.DELETE_STALE_CANDIDATES, {"run_id": "new"}, write=True) == [{"deleted": 1}]
    assert (await counts(store))[0]["MatchCandidate"] == 1


async def test_person_history_is_appended(store: GraphStore) -> None:
    await write_world(store)
    for entry in ('{"kind": "merge"}\n', '{"kind": "split"}\n'):
        await store.run(queries.APPEND_PERSON_HISTORY, {"rows": [{"person_id": P1, "entry": entry}]}, write=True)
    (row,) = await store.run(lookups.PERSON_BY_ID, {"person_id": P1})
    assert row["person"]["history"] == '{"kind": "merge"}\n{"kind": "split"}\n'


async def test_a_moved_record_leaves_its_old_person_for_its_new_one(store: GraphStore) -> None:
    await write_world(store)
    move = {"record_id": "outreach:OUT-3", "end": {"person_id": P2}, "props": {"method": "steward", "probability": 1.0}}
    assert await store.run(queries.MOVE_RECORDS, {"rows": [move]}, write=True) == [{"moved": 1}]
    resolved = {r["record_id"]: r["person_id"] for r in await store.run(queries.CURRENT_RESOLUTIONS)}
    assert resolved == {"dtks:DTKS-1": P1, "outreach:OUT-3": P2, "ppks:PPKS-9": P1}
    assert (await counts(store))[1]["RESOLVES_TO"] == 3


async def test_persons_no_record_resolves_to_are_deleted(store: GraphStore) -> None:
    await write_world(store)
    assert await store.run(queries.DELETE_ORPHAN_PERSONS, write=True) == [{"deleted": 1}]  # P2: no record of its own
    assert (await counts(store))[0]["Person"] == 1


HOUSEKEEPING = {"PING", "NODE_COUNTS", "RELATIONSHIP_COUNTS", "SCHEMA_VERSION", "RECORD_SCHEMA_VERSION", "DELETE_ALL",
                "DELETE_RECORD_FACTS", "DELETE_EMPTIED_HOUSEHOLDS", "DELETE_EVENT_LINKS", "DELETE_EVENT_HANDLERS",
                "DELETE_ORPHAN_PERSONS", "MOVE_RECORDS", "DELETE_MOVED_FACTS", "DELETE_MOVED_SUBJECTS", "PROJECT_ENROLMENTS",
                "PROJECT_CONDITIONS", "PROJECT_PANTI_STAYS", "PROJECT_HOUSEHOLDS", "PROJECT_EVENT_SUBJECTS",
                "JUDGED_CANDIDATES", "OPEN_CANDIDATES", "DELETE_STALE_CANDIDATES", "JUDGE_CANDIDATE",
                "APPEND_PERSON_HISTORY"}


async def test_world_writes_every_label_and_type(store: GraphStore) -> None:
    await write_world(store)
    assert await counts(store) == (EXPECTED_NODES, EXPECTED_RELATIONSHIPS)


async def test_upserts_are_idempotent(store: GraphStore) -> None:
    await write_world(store)
    first = await counts(store)
    await write_world(store)
    assert await counts(store) == first


async def test_upsert_updates_properties_in_place(store: GraphStore) -> None:
    await write_world(store)
    await store.run(queries.UPSERT_PERSONS, {"rows": [{"person_id": P1, "props": {"name": "SITI AMINAH S."}}]},
                    write=True)
    (row,) = await store.run(lookups.PERSON_BY_ID, {"person_id": P1})
    assert row["person"]["name"] == "SITI AMINAH S." and row["person"]["nik"] == NIK1
    assert (await counts(store))[0]["Person"] == 2


@pytest.mark.parametrize(("name", "params", "check"), LOOKUPS, ids=[case[0] for case in LOOKUPS])
async def test_lookup(store: GraphStore, name: str, params: dict[str, Any], check: Callable[[Rows], None]) -> None:
    await write_world(store)
    if name == "PERSONS_BY_NAME":
        params = {**params, "query": store.dialect.fulltext_query([["SITI"], ["AMINHA"]])}  # one typo
    rows = await store.run(lookups.statement(name), params)
    check(rows)


async def test_lookups_of_missing_keys_return_nothing(store: GraphStore) -> None:
    await write_world(store)
    assert await store.run(queries.SOURCE_HAS_RECORDS, {"after": "pkh:", "before": "pkh;"}) == []
    assert await store.run(lookups.PERSON_BY_ID, {"person_id": "nope"}) == []
    assert await store.run(queries.HOUSEHOLD_BY_KK, {"kk": "0"}) == []


async def test_unique_person_id_is_enforced(store: GraphStore) -> None:
    await write_world(store)
    with pytest.raises(GraphQueryError):
        await store.run(f"CREATE (:Person {{person_id: '{P1}'}})", write=True)


async def test_source_record_id_is_unique(store: GraphStore) -> None:
    await write_world(store)
    # Same source_key in another source is a different record ...
    ((text, params),) = statements("UPSERT_SOURCE_RECORDS", [
        {"record_id": "pkh:DTKS-1", "props": {"source": "pkh", "source_key": "DTKS-1", "batch_id": "b9"}}])
    await store.run(text, params, write=True)
    assert (await counts(store))[0]["SourceRecord"] == 4
    # ... but the same record twice is refused, however it is written.
    with pytest.raises(GraphQueryError):
        await store.run("CREATE (:SourceRecord {record_id: 'dtks:DTKS-1'})", write=True)
    ((text, params),) = statements("CREATE_SOURCE_RECORDS", [
        {"record_id": "dtks:DTKS-1", "props": {"source": "dtks", "source_key": "DTKS-1"}}])
    with pytest.raises(GraphQueryError):
        await store.run(text, params, write=True)
    assert (await counts(store))[0]["SourceRecord"] == 4


# A record created by a load, with one fact of each kind that starts or ends at it.
NEW_RECORD: dict[str, Any] = {"record_id": "dtks:DTKS-2", "props": {"source": "dtks", "source_key": "DTKS-2", "name": "BUDI",
                                                     "batch_id": "b7", "file_hash": "f7", "loaded_at": "2026-02-02"}}
CREATED_FACTS = [
    ("CREATE_RECORD_HOUSEHOLDS", {"start": {"record_id": "dtks:DTKS-2"}, "end": {"kk": KK},
                                  "props": {"relation": "child"}}, "IN_HOUSEHOLD"),
    ("CREATE_RECORD_ENROLMENTS", {"start": {"record_id": "dtks:DTKS-2"}, "end": {"code": "PKH"},
                                  "props": {"from": "2025-01-01"}}, "LISTS_ENROLMENT"),
    ("CREATE_RECORD_CONDITIONS", {"start": {"record_id": "dtks:DTKS-2"}, "end": {"code": "PPKS-05"}, "props": {}},
     "LISTS_CONDITION"),
    ("CREATE_RECORD_STAYS", {"start": {"record_id": "dtks:DTKS-2"}, "end": {"panti_id": "PANTI-7"}, "props": {}},
     "LISTS_STAY"),
    ("CREATE_RECORD_REFERENCES", {"start": {"record_id": "dtks:DTKS-2"}, "end": REC_DTKS, "props": {"via": "ID"}},
     "REFERS_TO"),
    ("CREATE_ACTOR_RECORDS", {"start": {"actor_id": "TKSK-33.74.01"}, "end": {"record_id": "dtks:DTKS-2"},
                              "props": {}}, "RECORDED_IN"),
    ("CREATE_EVENT_RECORDS", {"start": {"event_id": "SLRT-0"}, "end": {"record_id": "dtks:DTKS-2"}, "props": {}},
     "RECORDED_IN"),
]


async def test_a_region_without_its_parent_link_is_not_known(store: GraphStore) -> None:
    # A load cut short between writing a region and linking it to its parent: the next load
    # must write both, so the region does not count as known.
    await write_world(store)
    ((text, params),) = statements("UPSERT_REGIONS", [{"code": "33.99", "props": {"level": 2}}])
    await store.run(text, params, write=True)
    codes = {r["code"] for r in await store.run(queries.REGION_CODES)}
    assert "33.74" in codes and "33.99" not in codes


async def test_create_forms_write_a_new_record_and_its_facts(store: GraphStore) -> None:
    await write_world(store)
    nodes, rels = await counts(store)
    ((text, params),) = statements("CREATE_SOURCE_RECORDS", [NEW_RECORD])
    assert await store.run(text, params, write=True) == [{"written": 1}]
    for name, row, _ in CREATED_FACTS:
        ((text, params),) = statements(name, [row])
        assert await store.run(text, params, write=True) == [{"written": 1}], name
    after_nodes, after_rels = await counts(store)
    assert after_nodes["SourceRecord"] == nodes["SourceRecord"] + 1
    added = {t: after_rels[t] - rels.get(t, 0) for t in after_rels if after_rels[t] != rels.get(t, 0)}
    assert added == {"IN_HOUSEHOLD": 1, "LISTS_ENROLMENT": 1, "LISTS_CONDITION": 1, "LISTS_STAY": 1, "REFERS_TO": 1,
                     "RECORDED_IN": 2}
    (row,) = await store.run(lookups.SOURCE_RECORD_BY_KEY, {"source": "dtks", "source_key": "DTKS-2"})
    assert row["record"]["name"] == "BUDI" and "nik" not in row["record"] and row["record"]["batch_id"] == "b7"


async def test_new_records_are_written_with_their_households(store: GraphStore) -> None:
    await write_world(store)
    nodes, rels = await counts(store)
    in_household = {**NEW_RECORD, "end": {"kk": KK}, "props": {**NEW_RECORD["props"], "relation": "child"}}
    alone = {"record_id": "dtks:DTKS-3", "end": {"kk": None}, "props": {"source": "dtks", "source_key": "DTKS-3",
                                                                       "batch_id": "b7", "file_hash": "f7",
                                                                       "loaded_at": "2026-02-02"}}
    ((text, params),) = statements("CREATE_SOURCE_RECORDS_IN_HOUSEHOLDS", [in_household, alone])
    assert await store.run(text, params, write=True) == [{"written": 1}]  # one link; both records
    after_nodes, after_rels = await counts(store)
    assert after_nodes["SourceRecord"] == nodes["SourceRecord"] + 2
    assert after_rels["IN_HOUSEHOLD"] == rels["IN_HOUSEHOLD"] + 1
    linked = await store.run("MATCH (s:SourceRecord)-[r:IN_HOUSEHOLD]->(h:Household) WHERE s.source_key = 'DTKS-2' "
                             "RETURN h.kk AS kk, r.relation AS relation")
    assert linked == [{"kk": KK, "relation": "child"}]
    (record,) = await store.run(lookups.SOURCE_RECORD_BY_KEY, {"source": "dtks", "source_key": "DTKS-3"})
    assert record["record"]["batch_id"] == "b7"


async def test_households_are_written_with_their_regions(store: GraphStore) -> None:
    await write_world(store)
    nodes, rels = await counts(store)
    ((text, params),) = statements("UPSERT_HOUSEHOLDS_IN_REGIONS", [
        {"kk": "KK-NEW", "props": {"region_code": "33.74.01.1001", "decile": 3}},
        {"kk": "KK-NOWHERE", "props": {"region_code": None, "address": "JL. MERAPI"}},
        {"kk": KK, "props": {"region_code": "33.74.01.1001", "address": "JL. PEMUDA"}}])
    assert await store.run(text, params, write=True) == [{"written": 2}]  # the linked ones
    after_nodes, after_rels = await counts(store)
    assert after_nodes["Household"] == nodes["Household"] + 2
    assert after_rels["LOCATED_IN"] == rels["LOCATED_IN"] + 1  # KK was linked already: MERGE
    located = await store.run("MATCH (h:Household)-[:LOCATED_IN]->(r:Region) RETURN h.kk AS kk, r.code AS code "
                              "ORDER BY kk")
    assert {"kk": "KK-NEW", "code": "33.74.01.1001"} in located and all(r["kk"] != "KK-NOWHERE" for r in located)
    (row,) = await store.run(queries.HOUSEHOLD_BY_KK, {"kk": KK})
    assert row["household"]["address"] == "JL. PEMUDA" and row["household"]["decile"] == 2


async def test_schema_init_is_idempotent_and_versioned(store: GraphStore) -> None:
    assert await store.ensure_schema("2026-02-02T00:00:00+00:00") == []
    assert await store.run(queries.SCHEMA_VERSION) == [
        {"version": SCHEMA_VERSION, "applied_at": "2026-02-02T00:00:00+00:00"}]


async def test_schema_init_drops_what_schema_4_retired(store: GraphStore) -> None:
    # A graph made before schema 4 has the (source, source_key) constraint and a batch_id index.
    if store.dialect.name == "falkordb":
        for prop in ("source", "source_key", "batch_id"):
            await store.run(f"CREATE INDEX FOR (n:SourceRecord) ON (n.{prop})", write=True)
        await store._db.connection.execute_command(  # type: ignore[attr-defined]
            "GRAPH.CONSTRAINT", "CREATE", store.graph_name, "UNIQUE", "NODE", "SourceRecord", "PROPERTIES", "2",
            "source", "source_key")
    else:
        await store.run("CREATE CONSTRAINT sourcerecord_source_source_key_unique IF NOT EXISTS FOR (n:SourceRecord) "
                        "REQUIRE (n.source, n.source_key) IS UNIQUE", write=True)
        await store.run("CREATE INDEX sourcerecord_batch_id IF NOT EXISTS FOR (n:SourceRecord) ON (n.batch_id)",
                        write=True)
    await asyncio.sleep(0.2)  # FalkorDB builds a constraint in the background
    dropped = await store.ensure_schema("2026-02-02T00:00:00+00:00")
    assert "drop unique SourceRecord(source, source_key)" in dropped
    assert "drop index SourceRecord(batch_id)" in dropped
    assert await store.ensure_schema("2026-02-02T00:00:00+00:00") == []
    await write_world(store)  # the same pair in two records is no longer refused by a constraint of its own
    ((text, params),) = statements("UPSERT_SOURCE_RECORDS", [
        {"record_id": "x:1", "props": {"source": "dtks", "source_key": "DTKS-1"}}])
    await store.run(text, params, write=True)


async def test_batch_writes_all_statements(store: GraphStore) -> None:
    await store.run_batch([
        Statement(load_queries.UPSERT_PROGRAMS, {"rows": [["BLT", "BLT", None]]}),
        Statement(queries.UPSERT_PERSONS, {"rows": [{"person_id": "P-9", "props": {}}]}),
        Statement(lookups.LINK_ENROLMENTS, {"rows": [{"start": {"person_id": "P-9"}, "end": {"code": "BLT"},
                                                      "props": {"source": "blt", "source_key": "1"}}]}),
    ])
    nodes, rels = await counts(store)
    assert (nodes["Program"], nodes["Person"], rels["ENROLLED_IN"]) == (1, 1, 1)


async def test_a_batch_of_long_statements_is_written_in_order(store: GraphStore) -> None:
    # Long row lists take the adapter's fast path (FalkorDB: encoded and pipelined); the links
    # need the programs and records written by the statements before them.
    programs = [[f"P{i}", f"Program {i}", None] for i in range(150)]
    records = [[f"x:{i}", *[None] * (len(load_queries.RECORD_COLUMNS) - 1)] for i in range(150)]
    links = [[f"x:{i}", f"P{i}", None, None, None] for i in range(150)]
    await store.run_batch([Statement(load_queries.UPSERT_PROGRAMS, {"rows": programs}),
                           Statement(load_queries.CREATE_SOURCE_RECORDS, {"rows": records, "batch_id": "b",
                                                                         "file_hash": "h", "loaded_at": "t"}),
                           Statement(load_queries.CREATE_RECORD_ENROLMENTS, {"rows": links})])
    nodes, rels = await counts(store)
    assert (nodes["Program"], nodes["SourceRecord"], rels["LISTS_ENROLMENT"]) == (150, 150, 150)


async def test_a_batch_of_short_statements_is_one_round_trip_in_order(store: GraphStore) -> None:
    # A live write's statements are short (a person or two each): they go together, not one by one,
    # and each still finds what the ones before it wrote.
    before = store.round_trips
    await store.run_batch([Statement(load_queries.UPSERT_PROGRAMS, {"rows": [["BLT", "BLT", None]]}),
                           Statement(queries.UPSERT_PERSONS, {"rows": [{"person_id": "P-9", "props": {}}]}),
                           Statement(lookups.LINK_ENROLMENTS, {"rows": [{"start": {"person_id": "P-9"},
                                                                         "end": {"code": "BLT"},
                                                                         "props": {"source": "blt", "source_key": "1"}}]}),
                           Statement("MATCH (p:Person {person_id: $person_id}) DETACH DELETE p", {"person_id": "P-8"}),
                           Statement("MATCH (p:Program {code: 'BLT'}) SET p.name = 'Bantuan Langsung Tunai'", {})])
    assert store.round_trips == before + 1
    nodes, rels = await counts(store)
    assert (nodes["Program"], nodes["Person"], rels["ENROLLED_IN"]) == (1, 1, 1)
    assert await store.run("MATCH (p:Program) RETURN p.name AS name") == [{"name": "Bantuan Langsung Tunai"}]


async def test_a_failing_short_statement_of_a_batch_is_reported(store: GraphStore) -> None:
    failing = Statement("UNWIND $rows AS row RETURN row[0] / 0 AS x", {"rows": [[1], [2]]})
    with pytest.raises(GraphQueryError):
        await store.run_batch([Statement(load_queries.UPSERT_PROGRAMS, {"rows": [["BLT", "BLT", None]]}), failing])


async def test_a_failing_statement_of_a_batch_is_reported(store: GraphStore) -> None:
    failing = Statement("UNWIND $rows AS row RETURN row[0] / 0 AS x", {"rows": [[i] for i in range(150)]})
    with pytest.raises(GraphQueryError):
        await store.run_batch([Statement(load_queries.UPSERT_PROGRAMS, {"rows": [["BLT", "BLT", None]]}), failing])


async def test_delete_all_empties_the_graph(store: GraphStore) -> None:
    await write_world(store)
    await store.run(lookups.DELETE_ALL, write=True)
    assert await counts(store) == ({}, {})


async def test_ping_statement_answers(store: GraphStore) -> None:
    assert await store.run(queries.PING) == [{"ok": 1}]


async def test_round_trips_are_counted(store: GraphStore) -> None:
    before = store.round_trips
    await store.run(lookups.PERSON_BY_ID, {"person_id": P1})
    assert store.round_trips == before + 1


def test_every_shared_statement_has_a_contract_case() -> None:
    from tests.graph_schema.test_api_contract import API_LOOKUPS, SCOPED_PROJECTIONS

    covered = {name for name, _ in WORLD} | {name for name, _, _ in LOOKUPS} | HOUSEKEEPING
    covered |= {"CREATE_SOURCE_RECORDS", "CREATE_SOURCE_RECORDS_IN_HOUSEHOLDS", "UPSERT_HOUSEHOLDS_IN_REGIONS"}
    covered |= {name for name, _, _ in CREATED_FACTS}
    covered |= {name for name, _, _ in API_LOOKUPS} | SCOPED_PROJECTIONS
    from tests.graph_schema.test_steward_contract import STEWARD_STATEMENTS

    covered |= STEWARD_STATEMENTS
    from tests.graph_schema.test_steward_actions_contract import STEWARD_ACTION_STATEMENTS

    covered |= STEWARD_ACTION_STATEMENTS
    from tests.graph_schema.test_pdp_contract import PDP_STATEMENTS

    covered |= PDP_STATEMENTS
    from tests.loaders.test_facts_across_sources import FACT_STATEMENTS

    covered |= FACT_STATEMENTS
    from tests.graph_schema.test_live_contract import LIVE_STATEMENTS

    covered |= LIVE_STATEMENTS
    from tests.graph_schema.test_statistics_contract import STATISTICS_STATEMENTS

    covered |= STATISTICS_STATEMENTS
    from tests.graph_schema.test_targeting_contract import TARGETING_STATEMENTS

    covered |= TARGETING_STATEMENTS
    assert covered - lookups.names() == set(queries.shared_statements())
