"""Loading into a real embedded FalkorDB: reconciliation, provenance, idempotency, history, rejects."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from graph_schema import queries
from graph_schema.port import GraphStore
from hub.errors import InputError
from loaders.mapping import load_mapping, mapping_for
from loaders.run import load_file
from tests.graph_schema import lookups


async def counts(store: GraphStore) -> tuple[dict[str, int], dict[str, int]]:
    nodes = {r["label"]: r["count"] for r in await store.run(queries.NODE_COUNTS)}
    rels = {r["type"]: r["count"] for r in await store.run(queries.RELATIONSHIP_COUNTS)}
    return nodes, rels


def rows_of(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


async def test_dtks_load_reconciles_and_keeps_provenance(store: GraphStore, small_synth: Path, tmp_path: Path) -> None:
    path = small_synth / "dtks.csv"
    report = await load_file(store, mapping_for("dtks"), path, tmp_path)
    source_rows = rows_of(path)
    assert report.reconciled and report.rows_read == len(source_rows)
    assert report.new == len(source_rows) - report.rejected and report.unchanged == 0
    nodes, rels = await counts(store)
    assert nodes["SourceRecord"] == report.loaded
    assert nodes["Household"] == len({r["NO_KK"] for r in source_rows})
    assert rels["IN_HOUSEHOLD"] == report.loaded
    first = source_rows[0]
    (row,) = await store.run(lookups.SOURCE_RECORD_BY_KEY, {"source": "dtks", "source_key": first["ID_DTKS"]})
    record = row["record"]
    assert json.loads(record["raw"]) == first  # the cells, untouched
    assert record["batch_id"] == report.batch_id and record["file_hash"] == report.file_hash
    assert record["row_number"] == 2 and record["loaded_at"]
    assert record["name"] == " ".join(first["NAMA"].split()).upper()
    on_disk = json.loads(Path(report.report_file).read_text())
    assert on_disk["reconciled"] and on_disk["rows_read"] == report.rows_read


async def test_loading_the_same_file_again_changes_nothing(store: GraphStore, small_synth: Path, tmp_path: Path) -> None:
    path = small_synth / "ppks.csv"
    first = await load_file(store, mapping_for("ppks"), path, tmp_path)
    before = await counts(store)
    again = await load_file(store, mapping_for("ppks"), path, tmp_path)
    assert await counts(store) == before
    assert (again.new, again.updated, again.unchanged, again.rejected) == (0, 0, first.loaded, first.rejected)
    assert again.batch_id == first.batch_id and not again.resumed


async def test_a_newer_export_updates_changed_rows_and_keeps_their_history(
        store: GraphStore, small_synth: Path, tmp_path: Path) -> None:
    original = small_synth / "slrt_pengaduan.csv"
    first = await load_file(store, mapping_for("slrt_pengaduan"), original, tmp_path)
    before = await counts(store)
    rows = rows_of(original)
    changed_key = rows[0]["NO_TIKET"]
    rows[0]["STATUS"] = "DITUTUP"
    rows[0]["RIWAYAT_STATUS"] += "; 2026-01-01 DITUTUP"
    newer = tmp_path / "slrt_pengaduan_newer.csv"
    with open(newer, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    second = await load_file(store, mapping_for("slrt_pengaduan"), newer, tmp_path)
    assert (second.updated, second.new, second.unchanged) == (1, 0, first.loaded - 1)
    nodes, rels = await counts(store)
    assert nodes == {**before[0], "LoadBatch": 2} and rels == before[1]  # updated in place; one more batch
    (row,) = await store.run(lookups.SOURCE_RECORD_BY_KEY, {"source": "slrt_pengaduan", "source_key": changed_key})
    record = row["record"]
    assert record["batch_id"] == second.batch_id
    history = json.loads(record["previous"])
    assert [h["batch_id"] for h in history] == [first.batch_id]
    assert history[0]["raw"]["STATUS"] != "DITUTUP"
    (event,) = await store.run(lookups.SERVICE_EVENT_BY_ID, {"event_id": f"slrt_pengaduan:{changed_key}"})
    assert event["event"]["status"] == "DITUTUP"


async def test_xlsx_reads_the_same_cells_as_csv(store: GraphStore, small_synth: Path, tmp_path: Path) -> None:
    from_csv = await load_file(store, mapping_for("dtks"), small_synth / "dtks.csv", tmp_path)
    from_xlsx = await load_file(store, mapping_for("dtks"), small_synth / "dtks.xlsx", tmp_path)
    assert from_xlsx.batch_id != from_csv.batch_id
    assert (from_xlsx.unchanged, from_xlsx.new, from_xlsx.updated) == (from_csv.loaded, 0, 0)


BROKEN_HEADER = ["ID_DTKS", "NO_KK", "NIK", "NAMA", "TEMPAT_LAHIR", "TGL_LAHIR", "JENIS_KELAMIN", "NAMA_IBU_KANDUNG",
                 "HUBUNGAN_KELUARGA", "ALAMAT", "KODE_WILAYAH", "DESIL"]
GOOD = ["D1", "3374010101100001", "3374014506880003", "Siti Aminah", "SEMARANG", "05-06-1988", "PEREMPUAN",
        "SUPARMI", "ISTRI", "RT 1", "3374011001", "2"]


def broken_rows() -> list[list[str]]:
    def variant(key: str, **changes: str) -> list[str]:
        row = dict(zip(BROKEN_HEADER, GOOD, strict=True))
        row.update({"ID_DTKS": key, **changes})
        return list(row.values())

    return [
        GOOD,
        variant("D2", NIK="12345"),  # too short: loaded without a NIK, with a warning
        variant("D3", NIK="3.37401E+15"),  # Excel cut it: cannot be repaired
        variant("D4", TGL_LAHIR="31-02-1980"),  # no such day
        variant("D5", NAMA="   "),  # no name: rejected
        variant("", NAMA="TANPA KUNCI"),  # no key: rejected
        variant("D1", NAMA="DUPLIKAT"),  # the key again: rejected
        variant("D6", NAMA="JOSÉ MARÍA"),  # cp1252 accents
        variant("D7", DESIL="sebelas", KODE_WILAYAH="9999999999"),
        variant("D8", JENIS_KELAMIN="PRIA"),
    ]


def write_broken(path: Path) -> None:
    lines = [";".join(BROKEN_HEADER)] + [";".join(r) for r in broken_rows()]
    lines.append("D9;3374010101100001;3374014506880003;TERPOTONG")  # a truncated last line
    path.write_bytes("\r\n".join(lines).encode("cp1252"))


def read_problems(path: str) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


async def test_broken_rows_become_clear_rejects_and_warnings(store: GraphStore, tmp_path: Path) -> None:
    path = tmp_path / "dtks_rusak.csv"
    write_broken(path)
    report = await load_file(store, mapping_for("dtks"), path, tmp_path)
    assert report.reconciled and report.rows_read == 11
    rejects = {(r["row"], r["field"]): r for r in read_problems(report.rejects_file)}
    assert set(rejects) == {("6", "name"), ("7", "key"), ("8", "key"), ("12", "(row)")}
    assert rejects[("6", "name")]["reason"] == "NAMA is empty but required"
    assert "repeats row 2" in rejects[("8", "key")]["reason"]
    assert "4 of 12 columns" in rejects[("12", "(row)")]["reason"]
    warnings = {(w["row"], w["field"]): w["reason"] for w in read_problems(report.warnings_file)}
    assert warnings[("3", "nik")] == "NIK has 5 digits, not 16"
    assert "Excel shortened it" in warnings[("4", "nik")]
    assert warnings[("5", "birth_date")] == "31-02-1980 is not a date that exists"
    assert warnings[("10", "decile")] == "sebelas is not a number"
    assert warnings[("10", "region")] == "9999999999 is not a known Kemendagri region"
    assert "PRIA is not one of" in warnings[("11", "sex")]
    (row,) = await store.run(lookups.SOURCE_RECORD_BY_KEY, {"source": "dtks", "source_key": "D6"})
    assert row["record"]["name"] == "JOSÉ MARÍA"
    (row,) = await store.run(lookups.SOURCE_RECORD_BY_KEY, {"source": "dtks", "source_key": "D2"})
    assert row["record"]["nik_raw"] == "12345" and "nik" not in row["record"]
    assert row["record"]["nik_status"] == "invalid: has 5 digits, not 16"


async def test_file_level_problems_are_one_clear_error(store: GraphStore, tmp_path: Path) -> None:
    missing_column = tmp_path / "dtks.csv"
    missing_column.write_text("ID_DTKS,NIK\nD1,3374014506880003\n")
    with pytest.raises(InputError, match=r"column\(s\) NO_KK, NAMA.* missing"):
        await load_file(store, mapping_for("dtks"), missing_column, tmp_path)
    with pytest.raises(InputError, match=r"unknown file type '\.pdf'"):
        bad = tmp_path / "dtks.pdf"
        bad.write_text("x")
        await load_file(store, mapping_for("dtks"), bad, tmp_path)
    with pytest.raises(InputError, match="no mapping for source 'nope'"):
        mapping_for("nope")
    broken_mapping = tmp_path / "m.toml"
    broken_mapping.write_text('source = "x"\nkey = "K"\n[fields]\nname = { column = "N", type = "nama" }\n')
    with pytest.raises(InputError, match=r"m.toml: fields.name.type"):
        load_mapping(broken_mapping)


async def test_an_unseen_export_needs_only_a_mapping_file(store: GraphStore, tmp_path: Path) -> None:
    mapping_text = (Path(__file__).parents[2] / "loaders" / "mappings" / "generic.toml").read_text()
    mapping_text = mapping_text.replace('source = "generic"', 'source = "bansos_desa"').replace('"ID"', '"No"')
    for old, new in [('"NIK"', '"Nomor Induk Kependudukan"'), ('"NAMA"', '"Nama Lengkap"'),
                     ('"TGL_LAHIR"', '"Tanggal Lahir"'), ('"NO_KK"', '"Nomor KK"'), ('"JENIS_KELAMIN"', '"L/P"'),
                     ('"KODE_WILAYAH"', '"Kode Desa"')]:
        mapping_text = mapping_text.replace(f"column = {old}", f"column = {new}")
    mapping_path = tmp_path / "bansos_desa.toml"
    mapping_path.write_text(mapping_text)
    export = tmp_path / "bansos.csv"
    export.write_text("No\tNomor Induk Kependudukan\tNama Lengkap\tTanggal Lahir\tNomor KK\tL/P\tKode Desa\n"
                      "1\t3374014506880003\tSiti Aminah\t1988-06-05\t3374010101100001\tP\t3374011001\n")
    report = await load_file(store, mapping_for("bansos_desa", mapping_path), export, tmp_path)
    assert report.new == 1 and report.rejected == 0 and report.warnings == 0
    (row,) = await store.run(lookups.SOURCE_RECORD_BY_KEY, {"source": "bansos_desa", "source_key": "1"})
    assert (row["record"]["nik"], row["record"]["birth_date"], row["record"]["sex"]) == (
        "3374014506880003", "1988-06-05", "P")


async def test_references_to_unloaded_records_are_warned(store: GraphStore, small_synth: Path, tmp_path: Path) -> None:
    report = await load_file(store, mapping_for("panti_absensi"), small_synth / "panti_absensi.csv", tmp_path)
    assert report.warnings == report.loaded > 0
    assert all("load panti_penghuni first" in w["reason"] for w in read_problems(report.warnings_file))


async def test_a_named_sheet_is_read_and_a_wrong_one_named(store: GraphStore, small_synth: Path, tmp_path: Path) -> None:
    mapping = mapping_for("psks").model_copy(deep=True)
    mapping.read.sheet = "PSKS"
    report = await load_file(store, mapping, small_synth / "psks.xlsx", tmp_path)
    assert report.new > 0 and report.reconciled
    mapping.read.sheet = "Lembar2"
    with pytest.raises(InputError, match="sheet 'Lembar2' not found"):
        await load_file(store, mapping, small_synth / "psks.xlsx", tmp_path)
