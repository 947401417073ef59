"""The live-linking statements on each backend: blocking keys written and looked up by index, the
records and references of a few records or persons, and the clean-ups limited to them."""

from __future__ import annotations

from typing import Any

from graph_schema import queries
from graph_schema.port import GraphStore
from tests.graph_schema.test_contract import write_world
from tests.graph_schema.world import KK, NIK1, P1, P2

LIVE_STATEMENTS = {
    "RECORDS_SHARING_NIK", "RECORDS_SHARING_KK", "RECORDS_SHARING_NAME_YEAR", "RECORDS_SHARING_FIRST_DATE",
    "RECORDS_SHARING_SORTED_DISTRICT", "RECORDS_SHARING_FIRST_VILLAGE", "RECORDS_SHARING_DATE_VILLAGE",
    "RECORDS_SHARING_FIRST_REGENCY", "RECORDS_SHARING_MET_FIRST_REGENCY", "RECORDS_SHARING_PHONE",
    "RECORDS_SHARING_REGISTER_ID", "RECORDS_SHARING_SORTED_ADDRESS", "RECORDS_SHARING_LAST_DATE",
    "RECORDS_SHARING_DATE_ADDRESS", "WRITE_BLOCKING_KEYS",
    "UNKEYED_RECORD_COUNT", "RECORDS_BY_IDS", "RECORDS_OF_PERSONS", "REFERENCES_FROM_RECORDS",
    "REFERENCES_TO_RECORDS", "DELETE_ORPHAN_PERSONS_AMONG", "DELETE_STALE_CANDIDATES_OF_RECORDS",
    "RECORD_IDS_OF_BATCH", "RECORDS_SHARING_ANY_KEY", "HELD_CANDIDATES",
}
# Those both registered records and encounters carry first, then the two only some records carry.
PROPS = ["bk_name_year", "bk_first_date", "bk_sorted_district", "bk_first_village", "bk_date_village",
         "bk_phone", "bk_register_id", "bk_sorted_address", "bk_last_date", "bk_date_address", "bk_first_regency",
         "bk_met_first_regency"]


def _keys(record_id: str, digest: str, **values: str | None) -> dict[str, Any]:
    return {"record_id": record_id, "bk_hash": digest, **dict.fromkeys(PROPS), **values}


async def _ids(store: GraphStore, statement: str, values: list[str]) -> list[tuple[str, str | None]]:
    rows = await store.run(statement, {"values": values})
    return sorted((r["record_id"], r["person_id"]) for r in rows)


async def test_blocking_keys_are_written_once_and_found_by_each_key(store: GraphStore) -> None:
    await write_world(store)
    assert await store.run(queries.UNKEYED_RECORD_COUNT) == [{"unkeyed": 3}]
    rows = [_keys("dtks:DTKS-1", "h1", **{p: f"{p}-A" for p in PROPS[:-1]}),
            _keys("ppks:PPKS-9", "h2", **{p: f"{p}-A" for p in PROPS[:-1]}),
            _keys("outreach:OUT-3", "h3", bk_first_regency="SITI|33.74", bk_met_first_regency="SITI|33.74")]
    assert await store.run(queries.WRITE_BLOCKING_KEYS, {"rows": rows}, write=True) == [{"written": 3}]
    # Unchanged keys are not written again; a changed one is, and a key it no longer has goes.
    rows[1] = _keys("ppks:PPKS-9", "h2b", bk_name_year="bk_name_year-B")
    assert await store.run(queries.WRITE_BLOCKING_KEYS, {"rows": rows}, write=True) == [{"written": 1}]
    assert await store.run(queries.UNKEYED_RECORD_COUNT) == [{"unkeyed": 0}]
    for prop in PROPS[:-2]:  # each lookup statement is named for its property
        statement = queries.shared_statements()["RECORDS_SHARING_" + prop.removeprefix("bk_").upper()]
        assert await _ids(store, statement, [f"{prop}-A", "nothing"]) == [("dtks:DTKS-1", P1)], prop
    assert await _ids(store, queries.RECORDS_SHARING_NAME_YEAR, ["bk_name_year-B"]) == [("ppks:PPKS-9", P1)]
    assert await _ids(store, queries.RECORDS_SHARING_FIRST_REGENCY, ["SITI|33.74"]) == [("outreach:OUT-3", P1)]
    assert await _ids(store, queries.RECORDS_SHARING_MET_FIRST_REGENCY, ["SITI|33.74"]) == [("outreach:OUT-3", P1)]
    assert await _ids(store, queries.RECORDS_SHARING_NIK, [NIK1]) == [("dtks:DTKS-1", P1), ("ppks:PPKS-9", P1)]
    assert await _ids(store, queries.RECORDS_SHARING_KK, [KK]) == [("dtks:DTKS-1", P1)]
    # All of them at once, one list of values per lookup.
    asked: dict[str, Any] = {f"k{i}": [] for i in range(len(queries.RECORDS_SHARING_PARTS))}
    asked |= {"k0": [NIK1], "k1": [KK], "k7": ["SITI|33.74"]}
    rows = await store.run(queries.RECORDS_SHARING_ANY_KEY, asked)
    assert sorted(r["record_id"] for r in rows) == ["dtks:DTKS-1", "dtks:DTKS-1", "outreach:OUT-3", "ppks:PPKS-9"]
    (row,) = await store.run(queries.RECORDS_SHARING_KK, {"values": [KK]})
    assert (row["name"], row["nik"], row["method"], row["probability"]) == ("SITI AMINAH", NIK1, "nik", 1.0)


async def test_records_and_references_of_a_few(store: GraphStore) -> None:
    await write_world(store)
    rows = await store.run(queries.RECORDS_BY_IDS, {"ids": ["outreach:OUT-3", "dtks:nope"]})
    assert [(r["record_id"], r["person_id"], r["method"], r["encounter"]) for r in rows] == [
        ("outreach:OUT-3", P1, "splink", True)]
    rows = await store.run(queries.RECORDS_OF_PERSONS, {"person_ids": [P1, P2]})
    assert sorted(r["record_id"] for r in rows) == ["dtks:DTKS-1", "outreach:OUT-3", "ppks:PPKS-9"]
    assert await store.run(queries.REFERENCES_FROM_RECORDS, {"ids": ["outreach:OUT-3", "ppks:PPKS-9"]}) == [
        {"record_id": "outreach:OUT-3", "target": "ppks:PPKS-9"}]
    rows = await store.run(queries.RECORD_IDS_OF_BATCH, {"after": "dtks:", "before": "dtks;", "batch_id": "dtks-abc"})
    assert rows == [{"record_id": "dtks:DTKS-1"}]
    assert await store.run(queries.RECORD_IDS_OF_BATCH, {"after": "ppks:", "before": "ppks;", "batch_id": "dtks-abc"}) == []
    assert await store.run(queries.REFERENCES_TO_RECORDS, {"ids": ["ppks:PPKS-9", "outreach:OUT-3"]}) == [
        {"record_id": "outreach:OUT-3", "target": "ppks:PPKS-9"}]


async def test_clean_ups_touch_only_the_given(store: GraphStore) -> None:
    await write_world(store)  # P2 holds no record; MC-1 (undecided, no run) compares PPKS-9 and OUT-3
    assert await store.run(queries.DELETE_ORPHAN_PERSONS_AMONG, {"person_ids": [P1]}, write=True) == [{"deleted": 0}]
    assert await store.run(queries.DELETE_ORPHAN_PERSONS_AMONG, {"person_ids": [P1, P2]}, write=True) == [
        {"deleted": 1}]
    await store.run(queries.UPSERT_MATCH_CANDIDATES, {"rows": [{"candidate_id": "MC-1", "props": {"run_id": "r1"}}]},
                    write=True)
    assert await store.run(queries.DELETE_STALE_CANDIDATES_OF_RECORDS, {"ids": ["dtks:DTKS-1"], "run_id": "r2"},
                           write=True) == [{"deleted": 0}]
    assert await store.run(queries.DELETE_STALE_CANDIDATES_OF_RECORDS, {"ids": ["ppks:PPKS-9"], "run_id": "r1"},
                           write=True) == [{"deleted": 0}]
    assert await store.run(queries.DELETE_STALE_CANDIDATES_OF_RECORDS,
                           {"ids": ["ppks:PPKS-9", "outreach:OUT-3"], "run_id": "r2"}, write=True) == [{"deleted": 1}]


async def test_a_held_candidate_outlives_every_clean_up_until_a_steward_decides(store: GraphStore) -> None:
    await write_world(store)  # MC-1 (undecided, no run) compares PPKS-9 and OUT-3
    assert await store.run(queries.HELD_CANDIDATES) == []
    await store.run(queries.UPSERT_MATCH_CANDIDATES, {"rows": [{"candidate_id": "MC-1", "props": {
        "run_id": "r1", "status": "open", "held_apart": True, "left_records": ["ppks:PPKS-9"],
        "right_records": ["outreach:OUT-3"]}}]}, write=True)
    (held,) = await store.run(queries.HELD_CANDIDATES)
    assert (held["candidate_id"], held["left_records"], held["right_records"], sorted(held["records"])) == (
        "MC-1", ["ppks:PPKS-9"], ["outreach:OUT-3"], ["outreach:OUT-3", "ppks:PPKS-9"])
    assert await store.run(queries.DELETE_STALE_CANDIDATES_OF_RECORDS, {"ids": ["ppks:PPKS-9"], "run_id": "r2"},
                           write=True) == [{"deleted": 0}]
    assert await store.run(queries.DELETE_STALE_CANDIDATES, {"run_id": "r2"}, write=True) == [{"deleted": 0}]
    await store.run(queries.JUDGE_CANDIDATE, {"candidate_id": "MC-1", "history_entry": "{}\n", "decision": "same",
                                              "by": "steward", "at": "2026-11-30T00:00:00+00:00", "reason": "one",
                                              "left_records": ["ppks:PPKS-9"], "right_records": ["outreach:OUT-3"]},
                    write=True)
    assert await store.run(queries.HELD_CANDIDATES) == []
