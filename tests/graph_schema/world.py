"""A small, complete graph touching every node label and relationship type.

``WORLD`` is a list of (statement name, rows) in dependency order; contract tests write it
with the real upsert statements and then read it back with every lookup.
"""

from __future__ import annotations

from typing import Any

from graph_schema import load_queries
from tests.graph_schema import lookups

P1, P2 = "P-0001", "P-0002"
NIK1, NIK2 = "3374014506880003", "3374011203850001"
KK = "3374010101100001"
REC_DTKS = {"record_id": "dtks:DTKS-1"}
REC_PPKS = {"record_id": "ppks:PPKS-9"}
REC_OUTREACH = {"record_id": "outreach:OUT-3"}
KEY_DTKS = {"source": "dtks", "source_key": "DTKS-1"}
KEY_OUTREACH = {"source": "outreach", "source_key": "OUT-3"}


def _prov(**extra: Any) -> dict[str, Any]:
    return {"source": "dtks", "source_key": "DTKS-1", "batch_id": "b1", **extra}


WORLD: list[tuple[str, list[dict[str, Any]]]] = [
    ("UPSERT_REGIONS", [
        {"code": "33", "props": {"name": "Jawa Tengah", "level": 1, "type": "provinsi"}},
        {"code": "33.74", "props": {"name": "Kota Semarang", "level": 2, "type": "kota"}},
        {"code": "33.74.01", "props": {"name": "Semarang Tengah", "level": 3, "type": "kecamatan"}},
        {"code": "33.74.01.1001", "props": {"name": "Miroto", "level": 4, "type": "kelurahan"}},
    ]),
    ("LINK_REGION_PARENTS", [
        {"start": {"code": "33.74"}, "end": {"code": "33"}, "props": {}},
        {"start": {"code": "33.74.01"}, "end": {"code": "33.74"}, "props": {}},
        {"start": {"code": "33.74.01.1001"}, "end": {"code": "33.74.01"}, "props": {}},
    ]),
    ("UPSERT_PERSONS", [
        {"person_id": P1, "props": {"nik": NIK1, "name": "SITI AMINAH", "birth_date": "1988-06-05", "sex": "P",
                                    "kk": KK, "mother_name": "SUPARMI", "search_names": "SITI | SITI AMINAH"}},
        {"person_id": P2, "props": {"nik": NIK2, "name": "SLAMET RIYADI", "birth_date": "1985-03-12", "sex": "L",
                                    "kk": KK, "search_names": "SLAMET RIYADI"}},
    ]),
    ("UPSERT_SOURCE_RECORDS", [
        {**REC_DTKS, "props": {**KEY_DTKS, "nik": NIK1, "kk": KK, "name": "SITI AMINAH",
                               "raw": '{"NIK": "3374014506880003"}', "batch_id": "b1", "row_number": 2,
                               "address": "JL. PEMUDA 5", "phone": "6281234567890", "register_id": "DTKS-1"}},
        {**REC_PPKS, "props": {"source": "ppks", "source_key": "PPKS-9", "nik": NIK1, "name": "SITI AMINAH",
                               "batch_id": "b2", "row_number": 10}},
        {**REC_OUTREACH, "props": {**KEY_OUTREACH, "name": "SITI", "batch_id": "b3", "encounter": True,
                                   "row_number": 4}},
    ]),
    ("LINK_RECORDS_TO_PERSONS", [
        {"start": REC_DTKS, "end": {"person_id": P1}, "props": {"method": "nik", "probability": 1.0}},
        {"start": REC_PPKS, "end": {"person_id": P1}, "props": {"method": "nik", "probability": 1.0}},
        {"start": REC_OUTREACH, "end": {"person_id": P1}, "props": {"method": "splink", "probability": 0.97}},
    ]),
    ("UPSERT_HOUSEHOLDS", [{"kk": KK, "props": {"region_code": "33.74.01.1001", "decile": 2}}]),
    ("LINK_HOUSEHOLD_REGIONS", [{"start": {"kk": KK}, "end": {"code": "33.74.01.1001"}, "props": {}}]),
    ("LINK_HOUSEHOLD_MEMBERS", [
        {"start": {"person_id": P1}, "end": {"kk": KK}, "props": _prov(relation="ISTRI")},
        {"start": {"person_id": P2}, "end": {"kk": KK}, "props": _prov(relation="KEPALA KELUARGA")},
    ]),
    ("UPSERT_PROGRAMS", [
        {"code": "PKH", "props": {"name": "Program Keluarga Harapan", "funding": "APBN"}},
        {"code": "KIS-PBI-APBD", "props": {"name": "KIS PBI APBD", "funding": "APBD"}},
    ]),
    ("LINK_ENROLMENTS", [
        {"start": {"person_id": P1}, "end": {"code": "PKH"},
         "props": {"from": "2024-01-01", "to": "2024-12-31", "status": "AKTIF", "source": "pkh", "source_key": "R1",
                   "batch_id": "b4"}},
        {"start": {"person_id": P1}, "end": {"code": "PKH"},
         "props": {"from": "2025-01-01", "status": "AKTIF", "source": "pkh", "source_key": "R2", "batch_id": "b5"}},
    ]),
    ("UPSERT_PPKS_CATEGORIES", [{"code": "PPKS-05", "props": {"name": "Penyandang Disabilitas"}}]),
    ("LINK_CONDITIONS", [
        {"start": {"person_id": P1}, "end": {"code": "PPKS-05"},
         "props": {"recorded_on": "2025-02-01", "source": "ppks", "source_key": "PPKS-9", "batch_id": "b2"}},
    ]),
    ("UPSERT_PANTI", [{"panti_id": "PANTI-7", "props": {"name": "Panti Wredha Harapan Ibu", "kind": "lansia"}}]),
    ("LINK_PANTI_STAYS", [
        {"start": {"person_id": P1}, "end": {"panti_id": "PANTI-7"},
         "props": {"from": "2025-03-01", "source": "panti", "source_key": "RES-1", "batch_id": "b6"}},
    ]),
    ("UPSERT_PSKS_ACTORS", [{"actor_id": "TKSK-33.74.01", "props": {"name": "BUDI SANTOSO", "kind": "TKSK"}}]),
    ("UPSERT_AGENCIES", [{"agency_id": "DINKES-3374", "props": {"name": "Dinas Kesehatan Kota Semarang"}}]),
    ("UPSERT_SERVICE_EVENTS", [
        {"event_id": "SLRT-1", "props": {"kind": "complaint", "date": "2025-04-02", "status": "DIRUJUK",
                                         "source": "slrt", "source_key": "SLRT-1"}},
    ]),
    ("LINK_EVENT_SUBJECTS", [{"start": {"event_id": "SLRT-1"}, "end": {"person_id": P1}, "props": {"role": "subject"}}]),
    ("LINK_EVENT_HANDLERS", [
        {"start": {"actor_id": "TKSK-33.74.01"}, "end": {"event_id": "SLRT-1"}, "props": {"role": "petugas"}},
    ]),
    ("LINK_REFERRALS_TO_AGENCIES", [
        {"start": {"event_id": "SLRT-1"}, "end": {"agency_id": "DINKES-3374"},
         "props": {"status": "DIRUJUK", "date": "2025-04-03"}},
    ]),
    ("LINK_REFERRALS_TO_PROGRAMS", [
        {"start": {"event_id": "SLRT-1"}, "end": {"code": "KIS-PBI-APBD"}, "props": {"status": "DIUSULKAN"}},
    ]),
    ("LINK_EVENT_RECORDS", [{"start": {"event_id": "SLRT-1"}, "end": REC_PPKS, "props": {}}]),
    ("UPSERT_MATCH_CANDIDATES", [
        {"candidate_id": "MC-1", "props": {"probability": 0.81, "status": "open",
                                           "match_weights": '{"name": 3.2, "birth_date": -1.1}'}},
    ]),
    ("UPSERT_LOAD_BATCHES", [{"batch_id": "dtks-abc", "props": {"source": "dtks", "status": "complete", "rows_read": 1}}]),
    ("LINK_RECORD_HOUSEHOLDS", [{"start": REC_DTKS, "end": {"kk": KK}, "props": {"relation": "spouse"}}]),
    ("LINK_RECORD_ENROLMENTS", [
        {"start": REC_DTKS, "end": {"code": "PKH"}, "props": {"from": "2024-01-01", "status": "active"}},
    ]),
    ("LINK_RECORD_CONDITIONS", [{"start": REC_PPKS, "end": {"code": "PPKS-05"}, "props": {"recorded_on": "2025-02-01"}}]),
    ("LINK_RECORD_STAYS", [{"start": REC_PPKS, "end": {"panti_id": "PANTI-7"}, "props": {"from": "2025-03-01"}}]),
    ("LINK_ACTOR_REGIONS", [{"start": {"actor_id": "TKSK-33.74.01"}, "end": {"code": "33.74.01"}, "props": {}}]),
    ("LINK_ACTOR_RECORDS", [{"start": {"actor_id": "TKSK-33.74.01"}, "end": REC_OUTREACH, "props": {}}]),
    ("LINK_RECORD_REFERENCES", [{"start": REC_OUTREACH, "end": REC_PPKS, "props": {"via": "ID_PPKS"}}]),
    ("UPSERT_SERVICE_EVENTS", [{"event_id": "SLRT-0", "props": {"kind": "complaint"}}]),
    ("LINK_EVENT_FOLLOW_UPS", [{"start": {"event_id": "SLRT-1"}, "end": {"event_id": "SLRT-0"}, "props": {}}]),
    ("UPSERT_SOURCE_RECORDS", [  # a newer row of the same record replaces it
        {**REC_DTKS, "props": {**KEY_DTKS, "nik": NIK1, "kk": KK, "name": "SITI AMINAH", "content_hash": "h1",
                               "raw": '{"NIK": "3374014506880003"}', "batch_id": "dtks-abc", "row_number": 2,
                               "address": "JL. PEMUDA 5", "phone": "6281234567890", "register_id": "DTKS-1"}},
    ]),
    ("LINK_CANDIDATE_RECORDS", [
        {"start": {"candidate_id": "MC-1"}, "end": REC_PPKS, "props": {"side": "left"}},
        {"start": {"candidate_id": "MC-1"}, "end": REC_OUTREACH, "props": {"side": "right"}},
    ]),
]

EXPECTED_NODES = {"Region": 4, "Person": 2, "SourceRecord": 3, "Household": 1, "Program": 2, "PpksCategory": 1,
                  "Panti": 1, "PsksActor": 1, "Agency": 1, "ServiceEvent": 2, "MatchCandidate": 1, "HubMeta": 1,
                  "LoadBatch": 1}
EXPECTED_RELATIONSHIPS = {"PART_OF": 3, "RESOLVES_TO": 3, "LOCATED_IN": 1, "MEMBER_OF": 2, "ENROLLED_IN": 2,
                          "HAS_CONDITION": 1, "RESIDENT_OF": 1, "ABOUT": 1, "HANDLED": 1, "REFERRED_TO": 2,
                          "RECORDED_IN": 2, "COMPARES": 2, "IN_HOUSEHOLD": 1, "LISTS_ENROLMENT": 1,
                          "LISTS_CONDITION": 1, "LISTS_STAY": 1, "ASSIGNED_TO": 1, "REFERS_TO": 1, "FOLLOWS_UP": 1}


def statements(name: str, rows: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """The statement called ``name`` with its parameters, once per batch of the rows.

    The loader's statements (``load_queries.py``) take rows as lists, made here from the readable
    maps above in the statement's column order; a record's batch (id, file hash, load time) is a
    parameter of the statement, so records of different batches are written by separate calls.
    """
    if not hasattr(load_queries, name):
        return [(lookups.statement(name), {"rows": rows})]
    text = getattr(load_queries, name)
    if text not in (load_queries.CREATE_SOURCE_RECORDS, load_queries.UPSERT_SOURCE_RECORDS,
                    load_queries.CREATE_SOURCE_RECORDS_IN_HOUSEHOLDS):
        return [(text, {"rows": [positional(text, row) for row in rows]})]
    batches: dict[tuple[Any, ...], list[list[Any]]] = {}
    for row in rows:
        batch = tuple(row["props"].get(p) for p in load_queries.BATCH_PARAMETERS)
        batches.setdefault(batch, []).append(positional(text, row))
    return [(text, {"rows": batch_rows, **dict(zip(load_queries.BATCH_PARAMETERS, batch, strict=True))})
            for batch, batch_rows in batches.items()]


def positional(text: str, row: dict[str, Any]) -> list[Any]:
    def value(column: str) -> Any:
        end, _, key = column.partition(".")
        if key:
            return row[end][key]
        return row[column] if column in row else row["props"].get(column)
    return [value(c) for c in load_queries.COLUMNS[text]]
