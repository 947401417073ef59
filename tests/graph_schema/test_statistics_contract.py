"""The statistics statements on every backend (a small world written with the loader's own statements),
and their FalkorDB plans: a region is found through an index, never by reading every node of a label."""

from __future__ import annotations

from typing import Any

import pytest

from graph_schema import statistics_queries as sq
from graph_schema.port import GraphStore
from hub.embedded_db import EmbeddedServer
from tests.graph_schema.plans import falkordb_plan
from tests.graph_schema.world import statements

STATISTICS_STATEMENTS = {"PPKS_BY_CATEGORY", "PSKS_BY_KIND", "COMPLAINTS_BY_STATUS", "REFERRALS_BY_STATUS",
                         "REFERRALS_BY_AGENCY", "OUTREACH_ENCOUNTERS", "PROPOSALS_BY_STATUS", "PROPOSALS_BY_WELFARE",
                         "PANTI_RESIDENTS", "PANTI_ATTENDANCE", "DATA_STAMP", "MARK_DATA_CHANGED", "BIGGEST_REGENCY"}
VILLAGE, OTHER = "33.74.01.1001", "33.01.02.2003"
WELFARE = '{"KATEGORI_KESEJAHTERAAN": "SANGAT MISKIN", "NIK": "1"}'


def _event(event_id: str, kind: str, date: str, region: str | None = None, **props: Any) -> dict[str, Any]:
    return {"event_id": event_id, "props": {"kind": kind, "date": date, "region_code": region, **props}}


def _link(start: dict[str, str], end: dict[str, str], **props: Any) -> dict[str, Any]:
    return {"start": start, "end": end, "props": props}


E = "event_id"
WORLD: list[tuple[str, list[dict[str, Any]]]] = [
    ("UPSERT_REGIONS", [{"code": c, "props": {"name": n, "level": c.count(".") + 1}} for c, n in (
        ("33.74", "Kota Semarang"), ("33.74.01", "Semarang Tengah"), ("33.01", "Kabupaten Cilacap"))]),
    ("UPSERT_PERSONS", [{"person_id": p, "props": {"name": p, "region_code": r}}
                        for p, r in (("P1", VILLAGE), ("P2", VILLAGE), ("P3", OTHER))]),
    ("UPSERT_SOURCE_RECORDS", [
        {"record_id": "usulan_kis_pbi:U1", "props": {"source": "usulan_kis_pbi", "source_key": "U1", "raw": WELFARE}},
        {"record_id": "ppks:K1", "props": {"source": "ppks", "source_key": "K1", "raw": "{}"}}]),
    ("UPSERT_PPKS_CATEGORIES", [{"code": "09", "props": {"name": "09 - PENYANDANG DISABILITAS"}}]),
    ("LINK_RECORD_CONDITIONS", [_link({"record_id": "ppks:K1"}, {"code": "09"}, recorded_on="2025-01-02")]),
    ("UPSERT_AGENCIES", [{"agency_id": "RSUD", "props": {"name": "RSUD"}}]),
    ("UPSERT_PANTI", [{"panti_id": "PANTI-7", "props": {"name": "Panti Wredha"}}]),
    ("LINK_PANTI_STAYS", [
        _link({"person_id": "P1"}, {"panti_id": "PANTI-7"}, **{"from": "2025-03-01", "source": "panti_penghuni",
                                                                "source_key": "R1", "batch_id": "b"}),
        _link({"person_id": "P3"}, {"panti_id": "PANTI-7"}, **{"from": "2025-03-09", "to": "2025-04-01",
                                                                "source": "panti_penghuni", "source_key": "R2",
                                                                "batch_id": "b"})]),
    ("UPSERT_PSKS_ACTORS", [{"actor_id": "A1", "props": {"kind": "TKSK", "region_code": "33.74.01"}},
                            {"actor_id": "A2", "props": {"kind": "TAGANA", "region_code": "33.01.02"}}]),
    ("UPSERT_SERVICE_EVENTS", [
        _event("C1", "complaint", "2025-04-02", VILLAGE, status="DIRUJUK"),
        _event("C2", "complaint", "2025-05-01", OTHER, status="SELESAI"),
        _event("F1", "referral", "2025-04-03", status="DIKIRIM"),
        _event("O1", "outreach", "2025-04-05", VILLAGE), _event("O2", "outreach", "2025-04-06", VILLAGE),
        _event("O3", "outreach", "2025-05-06", VILLAGE),
        _event("U1", "proposal", "2025-02-01", VILLAGE, status="DIUSULKAN", summary="kis_pbi_apbd"),
        _event("U2", "proposal", "2025-02-01", VILLAGE, status="DIUSULKAN", summary="assistive_device"),
        _event("K1", "ppks_registration", "2025-01-02", VILLAGE),
        _event("T1", "attendance", "2025-03-02", status="present", summary="PANTI-7"),
        _event("T2", "attendance", "2025-03-03", status="absent", summary="PANTI-7")]),
    ("LINK_EVENT_SUBJECTS", [_link({E: e}, {"person_id": p}, role="subject") for e, p in (
        ("C1", "P1"), ("C2", "P3"), ("F1", "P1"), ("O1", "P2"), ("O2", "P2"), ("O3", "P1"), ("U1", "P1"),
        ("K1", "P2"), ("T1", "P1"), ("T2", "P1"))]),
    ("LINK_EVENT_RECORDS", [_link({E: "U1"}, {"record_id": "usulan_kis_pbi:U1"}),
                            _link({E: "K1"}, {"record_id": "ppks:K1"})]),
    ("LINK_EVENT_FOLLOW_UPS", [_link({E: "F1"}, {E: "C1"})]),
    ("LINK_REFERRALS_TO_AGENCIES", [_link({E: "F1"}, {"agency_id": "RSUD"}, status="DIKIRIM", date="2025-04-03")]),
]


async def write(store: GraphStore) -> None:
    for name, rows in WORLD:
        for text, params in statements(name, rows):
            await store.run(text, params, write=True)


def cells(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [(r["area"], r["area_name"], r["month"], r["grp"], r["label"], r["n"],
             r["persons"], None if r["extra"] is None else int(r["extra"])) for r in rows]


async def count(store: GraphStore, name: str, region: str, width: int, month: bool = False) -> list[tuple[Any, ...]]:
    params = {**sq.region_range(region), "width": width, "month": month,
              "welfare_key": '"KATEGORI_KESEJAHTERAAN": "'}
    return cells(await store.run(getattr(sq, name), params))


SEMARANG, TENGAH = ("33.74", "Kota Semarang"), ("33.74.01", "Semarang Tengah")
CASES: list[tuple[str, str, int, bool, list[tuple[Any, ...]]]] = [
    ("COMPLAINTS_BY_STATUS", "", 5, False, [(*("33.01", "Kabupaten Cilacap"), None, "SELESAI", "SELESAI", 1, 1, None),
                                            (*SEMARANG, None, "DIRUJUK", "DIRUJUK", 1, 1, None)]),
    ("COMPLAINTS_BY_STATUS", "33.74", 8, True, [(*TENGAH, "2025-04", "DIRUJUK", "DIRUJUK", 1, 1, None)]),
    ("REFERRALS_BY_STATUS", "33.74", 8, False, [(*TENGAH, None, "DIKIRIM", "DIKIRIM", 1, 1, None)]),
    ("REFERRALS_BY_AGENCY", "33.74", 5, True, [(*SEMARANG, "2025-04", "RSUD", "RSUD", 1, 1, None)]),
    ("REFERRALS_BY_STATUS", "33.01", 8, False, []),
    ("OUTREACH_ENCOUNTERS", "33.74", 8, False, [(*TENGAH, None, None, None, 3, 2, 1)]),
    ("OUTREACH_ENCOUNTERS", "33.74", 8, True, [(*TENGAH, "2025-04", None, None, 2, 1, 1),
                                                (*TENGAH, "2025-05", None, None, 1, 1, 0)]),
    ("PROPOSALS_BY_STATUS", "", 5, False, [(*SEMARANG, None, "DIUSULKAN", "DIUSULKAN", 1, 1, None)]),
    ("PROPOSALS_BY_WELFARE", "", 5, False, [(*SEMARANG, None, "SANGAT MISKIN", "SANGAT MISKIN", 1, 1, None)]),
    ("PPKS_BY_CATEGORY", "33.74.01", 13, False, [(VILLAGE, None, None, "09", "09 - PENYANDANG DISABILITAS", 1, 1,
                                                  None)]),
    ("PSKS_BY_KIND", "", 5, False, [(*("33.01", "Kabupaten Cilacap"), None, "TAGANA", "TAGANA", 1, None, None),
                                    (*SEMARANG, None, "TKSK", "TKSK", 1, None, None)]),
    ("PANTI_RESIDENTS", "", 5, True, [(*("33.01", "Kabupaten Cilacap"), "2025-03", "PANTI-7", "Panti Wredha", 1, 1, 0),
                                      (*SEMARANG, "2025-03", "PANTI-7", "Panti Wredha", 1, 1, 1)]),
    ("PANTI_ATTENDANCE", "33.74", 8, False, [(*TENGAH, None, "PANTI-7", "Panti Wredha", 2, 1, 1)]),
]


@pytest.mark.parametrize(("name", "region", "width", "month", "expected"), CASES,
                         ids=[f"{c[0]}-{c[1] or 'all'}-{c[2]}{'-month' if c[3] else ''}" for c in CASES])
async def test_a_statistic_counts_its_cells(store: GraphStore, name: str, region: str, width: int, month: bool,
                                            expected: list[tuple[Any, ...]]) -> None:
    await write(store)
    assert await count(store, name, region, width, month) == expected


async def test_the_data_stamp_changes_with_every_mark(store: GraphStore) -> None:
    assert await sq.data_stamp(store) == ""
    first = await sq.mark_data_changed(store)
    assert await sq.data_stamp(store) == first
    second = await sq.mark_data_changed(store)
    assert second != first and await sq.data_stamp(store) == second
    await write(store)
    (row,) = await store.run(sq.BIGGEST_REGENCY)
    assert (row["regency"], row["n"]) == ("33.74", 2)


# Labels whose every node a region filter must not read.
POPULOUS = ("(p:Person)", "(e:ServiceEvent)", "(c:ServiceEvent)", "(a:PsksActor)", "(s:SourceRecord)")


@pytest.mark.parametrize("name", sorted(STATISTICS_STATEMENTS - {"DATA_STAMP", "MARK_DATA_CHANGED", "BIGGEST_REGENCY"}))
async def test_a_statistic_finds_its_region_by_index(name: str, falkordb_server: EmbeddedServer) -> None:
    params = {**sq.region_range("33.74"), "width": 8, "month": False, "welfare_key": "x"}
    plan = await falkordb_plan(falkordb_server, write, getattr(sq, name), params)
    scans = [line for line in plan.splitlines() if "Label Scan" in line or "All Node Scan" in line]
    assert not [line for line in scans if any(label in line for label in POPULOUS)], f"{name} scans:\n{plan}"
    assert "Index Scan" in plan, plan
