"""The statements live linking sends for a delta find their nodes through indexes, on FalkorDB's own
plans: a label scan (every SourceRecord, Person or MatchCandidate) makes a link's cost grow with the
graph, not with the delta (RETRACT_UNSTATED_FACTS_FOR_PERSONS scanned every record once per person:
11 s of a 1,000-record delta at 30,000 persons)."""

from __future__ import annotations

from typing import Any

import pytest

from graph_schema import queries
from hub.embedded_db import EmbeddedServer
from tests.graph_schema.plans import falkordb_plan
from tests.graph_schema.test_contract import write_world

# What link_records, write_persons (for the persons touched), write_candidates (for the delta's
# records) and the neighbour lookups send.
LINK_STATEMENTS = [
    "RECORDS_BY_IDS", "RECORDS_OF_PERSONS", "RECORDS_SHARING_ANY_KEY", "REFERENCES_FROM_RECORDS",
    "REFERENCES_TO_RECORDS", "JUDGED_CANDIDATES", "DELETE_MOVED_FACTS", "DELETE_MOVED_SUBJECTS", "MOVE_RECORDS",
    "UPSERT_PERSONS", "LINK_RECORDS_TO_PERSONS", "UPSERT_PERSON_REDIRECTS", "DELETE_PERSON_REDIRECTS",
    "APPEND_PERSON_HISTORY", "DELETE_ORPHAN_PERSONS_AMONG", "RETRACT_UNSTATED_FACTS_FOR_PERSONS",
    "PROJECT_ENROLMENTS_FOR_PERSONS", "PROJECT_CONDITIONS_FOR_PERSONS", "PROJECT_PANTI_STAYS_FOR_PERSONS",
    "PROJECT_HOUSEHOLDS_FOR_PERSONS", "PROJECT_EVENT_SUBJECTS_FOR_PERSONS", "UPSERT_MATCH_CANDIDATES",
    "LINK_CANDIDATE_RECORDS", "DELETE_STALE_CANDIDATES_OF_RECORDS", "DELETE_SETTLED_CANDIDATES",
    "WRITE_BLOCKING_KEYS", "HELD_CANDIDATES",
]
SCANS = ("Label Scan", "All Node Scan")

_ROW: dict[str, Any] = {
    "record_id": "dtks:DTKS-1", "person_id": "P1", "candidate_id": "MC-1", "source": "dtks", "source_key": "DTKS-1",
    "entry": "{}\n", "to": ["P1"], "kind": "merge", "at": "t", "run_id": "r", "bk_hash": "h",
    "start": {"record_id": "dtks:DTKS-1", "candidate_id": "MC-1"}, "end": {"person_id": "P1", "record_id": "dtks:DTKS-1"},
    "props": {"method": "nik", "probability": 1.0, "side": "left"},
}
PARAMS: dict[str, Any] = {
    "ids": ["dtks:DTKS-1"], "person_ids": ["P1"], "rows": [_ROW], "pairs": [["P1", "P1"]], "run_id": "r",
    **{f"k{i}": ["x"] for i in range(len(queries.RECORDS_SHARING_PARTS))},
}


@pytest.mark.parametrize("name", LINK_STATEMENTS)
async def test_a_link_statement_seeks_by_index(name: str, falkordb_server: EmbeddedServer) -> None:
    plan = await falkordb_plan(falkordb_server, write_world, getattr(queries, name), PARAMS)
    assert not any(scan in plan for scan in SCANS), f"{name} scans:\n{plan}"
