"""Facts that several sources state about the same person or household: a source that says
nothing (a program roster names the KK but no relation) never erases what another said (DTKS's
relation), whatever the order the files are loaded or the records are projected in; a newer
export of the same source that really clears a value does clear it."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

from graph_schema import api_queries, queries
from graph_schema.port import GraphStore
from hub.synth.run import SOURCE_ORDER
from loaders.mapping import mapping_for
from loaders.run import load_file
from matching.pipeline import run_match
from tests.graph_schema import lookups

KK = "3374010101100001"
HEAD_NIK, CHILD_NIK = "3374011203850001", "3374015510100002"
DTKS_HEADER = ["ID_DTKS", "NO_KK", "NIK", "NAMA", "TEMPAT_LAHIR", "TGL_LAHIR", "JENIS_KELAMIN", "NAMA_IBU_KANDUNG",
               "HUBUNGAN_KELUARGA", "ALAMAT", "KODE_WILAYAH", "DESIL"]
PKH_HEADER = ["ID_PENERIMA", "NIK", "NO_KK", "NAMA", "KODE_WILAYAH", "PERIODE_MULAI", "PERIODE_SELESAI", "STATUS"]


def dtks_rows(head_relation: str = "KEPALA KELUARGA", decile: str = "2") -> list[list[str]]:
    return [["D1", KK, HEAD_NIK, "SLAMET RIYADI", "SEMARANG", "12-03-1985", "LAKI-LAKI", "SUPARMI", head_relation,
             "RT 1 RW 2", "3374011001", decile],
            ["D2", KK, CHILD_NIK, "DEWI LESTARI", "SEMARANG", "15-10-2010", "PEREMPUAN", "SITI", "ANAK",
             "RT 1 RW 2", "3374011001", decile]]


# The roster names the head and the child with their KK; it knows no relation, address or decile.
PKH_ROWS = [["PKH1", HEAD_NIK, KK, "SLAMET RIYADI", "3374011001", "2024-01-01", "", "AKTIF"],
            ["PKH2", CHILD_NIK, KK, "DEWI LESTARI", "3374011001", "2024-01-01", "", "AKTIF"]]


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


async def link_by_nik(store: GraphStore, projections: list[str]) -> None:
    """Each record to the person of its NIK (what the deterministic linker does), then the
    person-level facts projected, as ``matching/resolve.py`` does after a run or a verdict."""
    records = [r["record"] for r in await store.run("MATCH (s:SourceRecord) RETURN s {.*} AS record")]
    persons = {nik: f"P-{nik}" for nik in {r["nik"] for r in records}}
    await store.run(queries.UPSERT_PERSONS, {"rows": [
        {"person_id": pid, "props": {"nik": nik}} for nik, pid in persons.items()]}, write=True)
    await store.run(queries.LINK_RECORDS_TO_PERSONS, {"rows": [
        {"start": {"record_id": r["record_id"]}, "end": {"person_id": persons[r["nik"]]},
         "props": {"method": "nik", "probability": 1.0}} for r in records]}, write=True)
    for projection in projections:
        await store.run(projection, {"person_ids": sorted(persons.values())}, write=True)


async def members(store: GraphStore) -> dict[str, Any]:
    """The household as the API reads it: each member's relation, and the household's own facts."""
    (row,) = await store.run(api_queries.HOUSEHOLDS_BY_KKS, {"keys": [KK]})
    return {"relations": {m["nik"]: m["relation"] for m in row["members"]},
            "decile": row["household"].get("decile"), "address": row["household"].get("address")}


# Statements the tests here run on each backend (the contract suite counts them as covered).
FACT_STATEMENTS = {"RETRACT_UNSTATED_FACTS", "RETRACT_UNSTATED_FACTS_FOR_PERSONS"}
PROJECTIONS = pytest.mark.parametrize("projections", [queries.PERSON_FACT_PROJECTIONS,
                                                      queries.PERSON_FACT_PROJECTIONS_FOR_PERSONS],
                                      ids=["full-run", "for-persons"])


@PROJECTIONS
@pytest.mark.parametrize("order", [("dtks", "program_pkh"), ("program_pkh", "dtks")])
async def test_a_roster_without_relations_keeps_the_relation_dtks_gave(
        store: GraphStore, tmp_path: Path, order: tuple[str, str], projections: list[str]) -> None:
    files = {"dtks": write_csv(tmp_path / "dtks.csv", DTKS_HEADER, dtks_rows()),
             "program_pkh": write_csv(tmp_path / "pkh.csv", PKH_HEADER, PKH_ROWS)}
    for source in order:
        await load_file(store, mapping_for(source), files[source], tmp_path)
    await link_by_nik(store, projections)
    household = await members(store)
    assert household == {"relations": {HEAD_NIK: "head", CHILD_NIK: "child"}, "decile": 2, "address": "RT 1 RW 2"}
    # The relation's provenance is the record that stated it.
    (row,) = await store.run(api_queries.HOUSEHOLDS_OF_PERSONS, {"keys": [f"P-{HEAD_NIK}"]})
    assert row["relation"] == "head"
    (link,) = await store.run("MATCH (:Person {nik: $nik})-[m:MEMBER_OF]->() RETURN m {.*} AS m", {"nik": HEAD_NIK})
    assert (link["m"]["source"], link["m"]["source_key"]) == ("dtks", "D1")


@PROJECTIONS
async def test_a_newer_export_that_clears_or_changes_a_relation_is_told(
        store: GraphStore, tmp_path: Path, projections: list[str]) -> None:
    await load_file(store, mapping_for("dtks"), write_csv(tmp_path / "dtks.csv", DTKS_HEADER, dtks_rows()), tmp_path)
    await load_file(store, mapping_for("program_pkh"), write_csv(tmp_path / "pkh.csv", PKH_HEADER, PKH_ROWS), tmp_path)
    await link_by_nik(store, projections)
    changed = write_csv(tmp_path / "dtks_2.csv", DTKS_HEADER, dtks_rows(head_relation="LAINNYA"))
    report = await load_file(store, mapping_for("dtks"), changed, tmp_path)
    assert report.updated == 1
    await link_by_nik(store, projections)
    assert (await members(store))["relations"] == {HEAD_NIK: "other", CHILD_NIK: "child"}
    cleared = write_csv(tmp_path / "dtks_3.csv", DTKS_HEADER, dtks_rows(head_relation=""))
    await load_file(store, mapping_for("dtks"), cleared, tmp_path)
    await link_by_nik(store, projections)
    # No source states the head's relation any more: none is shown, not the stale one.
    assert (await members(store))["relations"] == {HEAD_NIK: None, CHILD_NIK: "child"}


@PROJECTIONS
async def test_a_member_who_left_for_a_new_kk_is_no_longer_shown_in_the_old_one(
        store: GraphStore, tmp_path: Path, projections: list[str]) -> None:
    await load_file(store, mapping_for("dtks"), write_csv(tmp_path / "dtks.csv", DTKS_HEADER, dtks_rows()), tmp_path)
    await link_by_nik(store, projections)
    new_kk = "3374010202200003"
    rows = dtks_rows()
    rows[1][1] = new_kk  # the child married and heads a KK of her own
    rows[1][8] = "KEPALA KELUARGA"
    await load_file(store, mapping_for("dtks"), write_csv(tmp_path / "dtks_2.csv", DTKS_HEADER, rows), tmp_path)
    await link_by_nik(store, projections)
    assert (await members(store))["relations"] == {HEAD_NIK: "head"}
    households = await store.run(api_queries.HOUSEHOLDS_OF_PERSONS, {"keys": [f"P-{CHILD_NIK}"]})
    assert [(r["kk"], r["relation"]) for r in households] == [(new_kk, "head")]


@PROJECTIONS
async def test_a_kk_that_no_record_names_any_more_is_no_household(
        store: GraphStore, tmp_path: Path, projections: list[str]) -> None:
    # The family's KK was reissued: the newer DTKS export states every member under the new number.
    # The old household, with its decile, must not stay behind as a household of nobody (a worklist of
    # poor households without KIS would list it, with no one to call).
    await load_file(store, mapping_for("dtks"), write_csv(tmp_path / "dtks.csv", DTKS_HEADER, dtks_rows()), tmp_path)
    await link_by_nik(store, projections)
    new_kk = "3374010202200003"
    rows = [[row[0], new_kk, *row[2:]] for row in dtks_rows()]
    await load_file(store, mapping_for("dtks"), write_csv(tmp_path / "dtks_2.csv", DTKS_HEADER, rows), tmp_path)
    await link_by_nik(store, projections)
    assert await store.run(api_queries.HOUSEHOLDS_BY_KKS, {"keys": [KK]}) == []
    (moved,) = await store.run(api_queries.HOUSEHOLDS_BY_KKS, {"keys": [new_kk]})
    assert {m["nik"]: m["relation"] for m in moved["members"]} == {HEAD_NIK: "head", CHILD_NIK: "child"}
    assert moved["household"]["decile"] == 2


PPKS_HEADER = ["ID_PPKS", "NIK", "NAMA", "TGL_LAHIR", "UMUR", "JENIS_KELAMIN", "JENIS_PPKS", "KODE_WILAYAH", "ALAMAT",
               "TGL_PENDATAAN", "PETUGAS_TKSK"]


def ppks_row(category: str) -> list[str]:
    return ["PP1", HEAD_NIK, "SLAMET RIYADI", "12/03/1985", "40", "LAKI-LAKI", category, "3374011001", "RT 1 RW 2",
            "01/02/2025", ""]


@PROJECTIONS
async def test_a_condition_corrected_in_a_newer_export_replaces_the_old_one(
        store: GraphStore, tmp_path: Path, projections: list[str]) -> None:
    first = write_csv(tmp_path / "ppks.csv", PPKS_HEADER, [ppks_row("08 - LANJUT USIA TERLANTAR")])
    await load_file(store, mapping_for("ppks"), first, tmp_path)
    await link_by_nik(store, projections)
    corrected = write_csv(tmp_path / "ppks_2.csv", PPKS_HEADER, [ppks_row("24 - FAKIR MISKIN")])
    await load_file(store, mapping_for("ppks"), corrected, tmp_path)
    await link_by_nik(store, projections)
    conditions = await store.run(lookups.PERSON_CONDITIONS, {"person_id": f"P-{HEAD_NIK}"})
    assert [(c["code"], c["source"]) for c in conditions] == [("24", "ppks")]


async def test_every_dtks_member_keeps_its_relation_after_all_sources_are_linked(
        store: GraphStore, small_synth: Path, tmp_path: Path) -> None:
    for source in SOURCE_ORDER:
        await load_file(store, mapping_for(source), small_synth / f"{source}.csv", tmp_path)
    await run_match(store, tmp_path / "model.json")
    stated = await store.run(
        "MATCH (s:SourceRecord {source: 'dtks'})-[l:IN_HOUSEHOLD]->(h:Household) WHERE l.relation IS NOT NULL "
        "MATCH (s)-[:RESOLVES_TO]->(p:Person) RETURN p.person_id AS person_id, h.kk AS kk")
    assert len(stated) > 1000
    kks = sorted({r["kk"] for r in stated})
    shown = {(m["person_id"], row["key"]): m["relation"]
             for row in await store.run(api_queries.HOUSEHOLDS_BY_KKS, {"keys": kks}) for m in row["members"]}
    missing = [(r["person_id"], r["kk"]) for r in stated if shown.get((r["person_id"], r["kk"])) is None]
    assert missing == []


ENTITIES = "Household|Program|PpksCategory|Panti|PsksActor|Agency|ServiceEvent"


async def stated_properties(store: GraphStore) -> set[tuple[str, str, str]]:
    """(label, key, property) of every property an entity node has, whichever source gave it."""
    rows = await store.run(f"MATCH (n) WHERE any(label IN labels(n) WHERE label IN split('{ENTITIES}', '|')) "
                           "RETURN labels(n)[0] AS label, properties(n) AS props")
    keys = {"Household": "kk", "Program": "code", "PpksCategory": "code", "Panti": "panti_id", "PsksActor": "actor_id",
            "Agency": "agency_id", "ServiceEvent": "event_id"}
    return {(r["label"], r["props"][keys[r["label"]]], name) for r in rows for name, value in r["props"].items()
            if value is not None}


async def test_entities_keep_what_any_source_said_whatever_the_load_order(
        store: GraphStore, small_synth: Path, tmp_path: Path) -> None:
    """Households, programs, actors, events... are mentioned by several sources, most of which
    know only their key: loaded in the opposite order, every property is still there."""
    for source in SOURCE_ORDER:
        await load_file(store, mapping_for(source), small_synth / f"{source}.csv", tmp_path / "forward")
    forward = await stated_properties(store)
    await store.clear()
    await store.ensure_schema("2026-01-01T00:00:00+00:00")
    for source in reversed(SOURCE_ORDER):
        await load_file(store, mapping_for(source), small_synth / f"{source}.csv", tmp_path / "backward")
    backward = await stated_properties(store)
    assert {label for label, _, _ in forward} == set(ENTITIES.split("|"))
    assert backward == forward


async def test_a_row_without_a_kk_still_names_its_region_and_the_regions_above_it(
        store: GraphStore, tmp_path: Path) -> None:
    """Worklists and statistics walk regions from the Region nodes: a person placed only by a PPKS row
    (no KK, so no household to place) must be under its village, district, regency and province."""
    await load_file(store, mapping_for("ppks"), write_csv(tmp_path / "ppks.csv", PPKS_HEADER,
                                                          [ppks_row("08 - LANJUT USIA TERLANTAR")]), tmp_path)
    rows = await store.run("MATCH (r:Region) RETURN r.code AS code, r.level AS level ORDER BY code")
    assert [(r["code"], r["level"]) for r in rows] == [
        ("33", 1), ("33.74", 2), ("33.74.01", 3), ("33.74.01.1001", 4)]
    parents = await store.run("MATCH (c:Region)-[:PART_OF]->(p:Region) RETURN c.code AS c, p.code AS p ORDER BY c")
    assert [(r["c"], r["p"]) for r in parents] == [
        ("33.74", "33"), ("33.74.01", "33.74"), ("33.74.01.1001", "33.74.01")]
