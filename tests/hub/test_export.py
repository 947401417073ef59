"""Exports over the shared API world: the KIS-PBI APBD file read back, its manifest and audit entry,
the roles and regions that may have it, the CSV, a proposal batch and the command line."""

from __future__ import annotations

import asyncio
import csv
import gc
import hashlib
import io
import json
import re
from pathlib import Path
from typing import Any

import httpx
import openpyxl  # type: ignore[import-untyped]  # no stubs
import pytest
from typer.testing import CliRunner

from graph_schema import queries
from graph_schema.port import GraphStore
from hub.cli import app
from hub.errors import ConfigError, InputError
from hub.export import export
from hub.export.bulk import bulk_reading
from hub.export.export import XLSX_MAX_CHARS, _csv, _sight, _table, _xlsx, village_of
from hub.export.layout import WithoutSight, load_layout
from hub.privacy.access import Principal, Role
from hub.privacy.audit import Action, AuditLog, Outcome
from tests.graph_schema.test_contract import write_world
from tests.graph_schema.world import KK, P1, P2
from tests.resolvers.conftest import Api

HEADERS = ["NO", "NIK", "NO_KK", "NAMA", "TEMPAT_LAHIR", "TGL_LAHIR", "JENIS_KELAMIN", "ALAMAT", "KODE_DESA",
           "KATEGORI_KESEJAHTERAAN", "STATUS_DTKS", "DESIL"]
RULE = "dtks-poor-household-without-kis"


def _regency(api: Api) -> str:
    rows = asyncio.run(api.cypher("MATCH (p:Person) WHERE p.region_code IS NOT NULL "
                                  "RETURN left(p.region_code, 5) AS regency, count(*) AS n ORDER BY n DESC LIMIT 1"))
    return str(rows[0]["regency"])


def _download(api: Api, params: dict[str, str], role: Role = Role.ADMIN, key: str | None = None) -> httpx.Response:
    return httpx.get(api.url.replace("/graphql", "/export"), params=params, timeout=120,
                     headers={"Authorization": f"Bearer {key or api.keys[role]}"})


def _members_flagged(api: Api, region: str) -> set[str]:
    query = """query($rule: String!, $r: String!, $after: String) {
      worklist(rule: $rule, region: $r, first: 100, after: $after) {
        edges { node { household { members { personId } } } } pageInfo { hasNextPage endCursor } } }"""
    members: set[str] = set()
    after = None
    while True:
        data = api.data_of(query, {"rule": RULE, "r": region, "after": after})["worklist"]
        members |= {m["personId"] for e in data["edges"] for m in e["node"]["household"]["members"]}
        if not data["pageInfo"]["hasNextPage"]:
            return members
        after = data["pageInfo"]["endCursor"]


def test_the_health_office_file_keeps_every_digit_and_is_audited(api: Api) -> None:
    region = _regency(api)
    response = _download(api, {"rule": RULE, "region": region.replace(".", ""), "format": "xlsx"})
    assert response.status_code == 200, response.text
    manifest: dict[str, Any] = json.loads(response.headers["X-Export-Manifest"])
    assert manifest["sha256"] == hashlib.sha256(response.content).hexdigest() == response.headers["X-Export-Sha256"]
    assert manifest["rule"] == RULE and manifest["region"] == region and manifest["layout"] == "kis_pbi_apbd"
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["USULAN_PBI_APBD"]
    rows = list(book["USULAN_PBI_APBD"].iter_rows(values_only=True))
    assert list(rows[0]) == HEADERS and len(rows) - 1 == manifest["rows"] == int(response.headers["X-Export-Rows"])
    assert manifest["rows"] == len(_members_flagged(api, region)) > 0
    body = [dict(zip(HEADERS, r, strict=True)) for r in rows[1:]]
    assert [r["NO"] for r in body] == list(range(1, len(body) + 1))
    with_nik = [r for r in body if r["NIK"]]
    assert with_nik and all(isinstance(r["NIK"], str) and re.fullmatch(r"\d{16}", r["NIK"]) for r in with_nik)
    assert all(isinstance(r["KODE_DESA"], str) and re.fullmatch(r"\d{10}", r["KODE_DESA"])
               and r["KODE_DESA"].startswith(region.replace(".", "")) for r in body)
    assert all(re.fullmatch(r"\d{2}-\d{2}-\d{4}", r["TGL_LAHIR"]) for r in body if r["TGL_LAHIR"])
    assert {r["JENIS_KELAMIN"] for r in body} <= {"L", "P", None}
    assert all(r["DESIL"] in (1, 2, 3, 4) and r["STATUS_DTKS"] in ("TERDAFTAR", "TIDAK TERDAFTAR") for r in body)
    assert {r["KATEGORI_KESEJAHTERAAN"] for r in body} <= {"SANGAT MISKIN", "MISKIN", "HAMPIR MISKIN", "RENTAN MISKIN"}
    # The zero a NIK may not start with is kept too: a cell written as text holds what was given.
    cell = book["USULAN_PBI_APBD"].cell(row=2, column=HEADERS.index("NO_KK") + 1)
    assert cell.data_type == "s"
    entries = [e for e in AuditLog.of(api.settings).entries(newest_first=True)
               if e.action == Action.EXPORT and e.request_id == response.headers["X-Request-Id"]]
    assert len(entries) == 1 and len(entries[0].person_ids) == manifest["rows"]
    assert set(entries[0].person_ids) == _members_flagged(api, region)
    assert f"{manifest['rows']} rows" in str(entries[0].detail) and manifest["sha256"] in str(entries[0].detail)


def test_a_role_that_does_not_see_niks_is_refused_and_the_refusal_audited(api: Api) -> None:
    response = _download(api, {"rule": RULE, "region": _regency(api)}, role=Role.ANALYST)
    assert response.status_code == 403
    assert "column NIK holds nik data, which the analyst role does not see" in response.json()["errors"][0]["message"]
    refused = [e for e in AuditLog.of(api.settings).entries(newest_first=True)
               if e.request_id == response.headers["X-Request-Id"]]
    assert [(e.action, e.outcome) for e in refused] == [(Action.EXPORT, Outcome.REFUSED)]
    assert _download(api, {"rule": RULE, "region": _regency(api)}, role=Role.APP).status_code == 403
    assert httpx.get(api.url.replace("/graphql", "/export"), params={"rule": RULE, "region": "33"}).status_code == 401


def test_an_officer_exports_only_inside_their_region(api: Api) -> None:
    region = _regency(api)
    _, key = api.officer_key(Role.STEWARD, region)
    other = "33.01" if region != "33.01" else "33.02"
    outside = _download(api, {"rule": RULE, "region": other}, key=key)
    assert outside.status_code == 403 and f"outside your region {region}" in outside.json()["errors"][0]["message"]
    province = _download(api, {"rule": RULE, "region": "33"}, key=key)
    assert province.status_code == 403
    inside = _download(api, {"rule": RULE, "region": region, "format": "csv"}, key=key)
    assert inside.status_code == 200 and inside.headers["content-type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(inside.content.decode("utf-8"))))
    assert table[0] == HEADERS and len(table) - 1 == int(inside.headers["X-Export-Rows"]) > 0
    assert all(row[HEADERS.index("KODE_DESA")].startswith(region.replace(".", "")) for row in table[1:])


def test_bad_requests_are_named(api: Api) -> None:
    assert "region: give the region" in _download(api, {"rule": RULE}).json()["errors"][0]["message"]
    unknown = _download(api, {"rule": RULE, "region": "33", "layout": "bpjs_x"}).json()["errors"][0]["message"]
    assert "layout: 'bpjs_x' is not an export layout (known: kis_pbi_apbd" in unknown
    assert "format: 'pdf'" in _download(api, {"rule": RULE, "region": "33", "format": "pdf"}).json()["errors"][0]["message"]
    both = _download(api, {"rule": RULE, "proposals": "DIUSULKAN", "region": "33"}).json()["errors"][0]["message"]
    assert "one of them" in both


def test_a_proposal_batch_lists_the_persons_with_such_a_proposal(api: Api) -> None:
    region = _regency(api)
    expected = asyncio.run(api.cypher(
        "MATCH (e:ServiceEvent {kind: 'proposal'})-[:ABOUT]->(p:Person) WHERE e.summary = 'kis_pbi_apbd' "
        "AND e.status = 'DIUSULKAN' AND p.region_code STARTS WITH $r RETURN count(DISTINCT p) AS n", {"r": region}))
    response = _download(api, {"proposals": "DIUSULKAN", "region": region, "format": "csv"})
    assert response.status_code == 200, response.text
    assert int(response.headers["X-Export-Rows"]) == expected[0]["n"]


def test_the_command_line_lists_and_exports_with_a_manifest(api: Api, tmp_path: Path) -> None:
    s = api.settings
    env = {**api.env, "HUB_ENV": "production"}  # the world's graph on either backend
    runner = CliRunner()
    region = _regency(api)
    listed = runner.invoke(app, ["worklist", "--rule", RULE, "--region", region.replace(".", ""), "--first", "3"],
                           env=env)
    assert listed.exit_code == 0, listed.output
    assert "per sub-region" in listed.output and "households" in listed.output
    out = tmp_path / "usulan.xlsx"
    made = runner.invoke(app, ["export", "--rule", RULE, "--region", region, "--layout", "kis_pbi_apbd",
                               "--format", "xlsx", "--out", str(out), "--officer", "Sri Wahyuni"], env=env)
    assert made.exit_code == 0, made.output
    manifest = json.loads((tmp_path / "usulan.xlsx.manifest.json").read_text())
    assert manifest["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest() and manifest["file"] == "usulan.xlsx"
    assert manifest["rows"] == len(_members_flagged(api, region)) and manifest["by"]["officer"] == "Sri Wahyuni"
    assert made.output.startswith(f"{manifest['rows']} {'row' if manifest['rows'] == 1 else 'rows'} (")
    exported = [e for e in AuditLog.of(s).entries(newest_first=True) if e.operation == "export kis_pbi_apbd"]
    assert exported[0].officer == "Sri Wahyuni" and len(exported[0].person_ids) == manifest["rows"]
    bad = runner.invoke(app, ["export", "--rule", "nope", "--region", region, "--out", str(out)], env=env)
    assert isinstance(bad.exception, InputError) and "rule: 'nope' is not a gap rule" in str(bad.exception)


_ROW = {"key": "P1", "person": {"person_id": "P1", "nik": "3329014506880003", "kk": "3329010101100001",
                                "name": "SITI AMINAH", "birth_date": "1988-06-05", "sex": "P",
                                "region_code": "33.29.01.2001"},
        "household": {"kk": "3329010101100001", "decile": 2, "address": "DUSUN KRAJAN RT 1", "region_code": None},
        "records": [{"source": "ppks", "birth_place": "TEGAL"}, {"source": "dtks", "birth_place": "BREBES"}]}


def test_a_layout_that_masks_gives_an_analyst_no_identifier() -> None:
    layout = load_layout("kis_pbi_apbd")
    clear = dict(zip(HEADERS, next(_table(layout, [_ROW], Principal("k", "admin", Role.ADMIN))), strict=True))
    assert clear["NIK"] == "3329014506880003" and clear["TGL_LAHIR"] == "05-06-1988" and clear["TEMPAT_LAHIR"] == "BREBES"
    assert clear["KODE_DESA"] == "3329012001" and clear["KATEGORI_KESEJAHTERAAN"] == "MISKIN" and clear["DESIL"] == 2
    masking = layout.model_copy(update={"without_sight": WithoutSight.MASK})
    analyst = Principal("k", "analyst", Role.ANALYST)
    _sight(masking, analyst)  # allowed: masked
    shown = dict(zip(HEADERS, next(_table(masking, [_ROW], analyst)), strict=True))
    for column in ("NIK", "NO_KK", "NAMA", "TEMPAT_LAHIR", "ALAMAT", "KODE_DESA", "JENIS_KELAMIN"):
        assert not any(ch.isalnum() for ch in str(shown[column])), (column, shown[column])
    assert shown["TGL_LAHIR"] == "1985-1989" and shown["DESIL"] == 2


def test_a_broken_layout_names_its_file_and_the_problem(tmp_path: Path) -> None:
    (tmp_path / "dinkes.toml").write_text('sheet = "X"\n[[columns]]\nheader = "NIK"\nvalue = "nik_number"\n')
    with pytest.raises(ConfigError, match=r"dinkes.toml: columns.0: Value error, value 'nik_number' is not one of"):
        load_layout("dinkes", tmp_path)


def test_a_layout_whose_two_columns_share_a_header_is_named(tmp_path: Path) -> None:
    (tmp_path / "dinkes.toml").write_text('sheet = "X"\n[[columns]]\nheader = "NIK"\nvalue = "nik"\n'
                                          '[[columns]]\nheader = "NIK"\nvalue = "kk"\n')
    with pytest.raises(ConfigError, match=r"dinkes.toml: .*header 'NIK' names two columns"):
        load_layout("dinkes", tmp_path)


def test_an_xlsx_export_holds_text_as_text_and_a_header_even_when_empty() -> None:
    layout = load_layout("kis_pbi_apbd")
    row = next(_table(layout, [_ROW], Principal("k", "admin", Role.ADMIN)))
    row[3] = '=HYPERLINK("http://x","klik")'
    sheet = openpyxl.load_workbook(io.BytesIO(_xlsx(layout, [row])))[layout.sheet]
    header, cells = list(sheet.iter_rows())
    assert [c.value for c in header] == HEADERS and all(c.font.b for c in header)
    by = dict(zip(HEADERS, cells, strict=True))
    assert by["NIK"].value == "3329014506880003" and by["NIK"].data_type == "s" and by["NIK"].number_format == "@"
    assert by["NAMA"].value == '=HYPERLINK("http://x","klik")' and by["NAMA"].data_type == "s"  # never a formula
    assert by["NO"].value == 1 and by["DESIL"].value == 2 and by["TGL_LAHIR"].value == "05-06-1988"
    empty = openpyxl.load_workbook(io.BytesIO(_xlsx(layout, [])))[layout.sheet]
    assert [tuple(c.value for c in r) for r in empty.iter_rows()] == [tuple(HEADERS)]


def test_a_csv_export_never_hands_the_receiving_office_a_formula() -> None:
    """A name written through the API as "=HYPERLINK(...)" reaches the health office's spreadsheet as text."""
    layout = load_layout("kis_pbi_apbd")
    row: list[Any] = [None] * len(layout.columns)
    row[0], row[3] = 1, '=HYPERLINK("http://x","klik")'
    read = list(csv.reader(io.StringIO(_csv(layout, [row]).decode("utf-8"))))
    assert read[1][0] == "1" and read[1][3] == "'=HYPERLINK(\"http://x\",\"klik\")"


@pytest.mark.parametrize(("person", "household", "village"), [
    ("33.26.08.2018", "33.01.01.2001", "33.26.08.2018"),  # the person's own village
    ("33.26.08", "33.26.08.2018", "33.26.08.2018"),  # placed by their KK's district: the household's village there
    ("33.26.08", "33.01.01.2001", None),  # ... and none there: no village, never the district's six digits
    (None, "33.01.01.2001", "33.01.01.2001"),
    (None, None, None),
])
def test_kode_desa_is_a_village_or_empty(person: str | None, household: str | None, village: str | None) -> None:
    assert village_of(person, household) == village


def test_the_cycle_collector_runs_again_when_the_last_export_ends() -> None:
    assert gc.isenabled()
    with bulk_reading():
        assert not gc.isenabled()
        with pytest.raises(RuntimeError), bulk_reading():  # a second export at work, which fails
            raise RuntimeError
        assert not gc.isenabled()  # the first is still at work
    assert gc.isenabled()
    gc.disable()  # turned off by something else: it stays off
    try:
        with bulk_reading():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_text_longer_than_a_cell_holds_is_cut_as_excel_would() -> None:
    layout = load_layout("kis_pbi_apbd")
    row = next(_table(layout, [_ROW], Principal("k", "admin", Role.ADMIN)))
    row[7] = "JL. " + "MAWAR " * 8000  # an address of 48,004 characters sent through writeRecords
    sheet = openpyxl.load_workbook(io.BytesIO(_xlsx(layout, [row])))[layout.sheet]
    assert sheet.cell(row=2, column=8).value == row[7][:XLSX_MAX_CHARS]


async def test_export_rows_keep_the_order_asked_across_batches_with_each_persons_own_household(
        store: GraphStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """A person in two households exports the one of their own KK, one in none exports no household,
    an unknown id nothing; the order asked holds across batches read ahead of each other."""
    await write_world(store)
    lower = "3374010101000001"  # a household P1 also belongs to, with a lower KK than their own
    await store.run(queries.UPSERT_PERSONS, {"rows": [{"person_id": P1, "props": {"kk": KK}},
                                                      {"person_id": "P-0003", "props": {"name": "SITI"}}]}, write=True)
    await store.run("MATCH (p:Person {person_id: $p}) CREATE (p)-[:MEMBER_OF]->(:Household {kk: $kk, decile: 9})",
                    {"p": P1, "kk": lower}, write=True)
    monkeypatch.setattr(export, "ROWS_PER_QUERY", 2)
    rows = await export.export_rows(store, ["P-0003", P1, "nobody", P2])
    assert [r["key"] for r in rows] == ["P-0003", P1, P2]
    by = {r["key"]: r for r in rows}
    assert by["P-0003"]["household"] is None and by["P-0003"]["records"] == []
    assert by[P1]["household"]["kk"] == KK and by[P1]["household"]["decile"] == 2
    assert {r["source"] for r in by[P1]["records"]} == {"dtks", "ppks", "outreach"}
    assert by[P2]["household"]["kk"] == KK
