"""Mappings declare the personal data their columns hold; raw rows are masked by it, deny-by-default."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph_schema.port import GraphStore
from hub.errors import InputError
from hub.privacy.access import Personal, Principal, Role
from hub.privacy.disclosure import Disclosure
from hub.privacy.masking import raw_cells
from loaders.mapping import load_mapping, mapping_for
from loaders.run import load_file

ANALYST = Principal(key_id="k1", name="an analyst", role=Role.ANALYST)
STEWARD = Principal(key_id="k2", name="a steward", role=Role.STEWARD)
CUSTOM = """source = "bantuan_desa"
key = "ID"
[fields]
nik = { column = "NIK", type = "nik" }
name = { column = "NAMA", type = "name", required = true }
status = { column = "STATUS", type = "text", personal = "none" }
reporter = { column = "NAMA_PELAPOR", type = "text", personal = "name" }
# The office forgot to declare these three.
contact = { column = "NO_TELP", type = "text" }
other = { column = "NOMOR_LAIN", type = "text" }
note = { column = "CATATAN", type = "text" }
"""
ROWS = ("ID,NIK,NAMA,STATUS,NAMA_PELAPOR,NO_TELP,NOMOR_LAIN,CATATAN\n"
        "B-1,3374015505800001,SITI AMINAH,AKTIF,SUPARMAN,0812-3456-7890,3374011207750002,hubungi +62 812 3456 7890\n")


def test_a_bad_personal_kind_names_the_file_and_the_field(tmp_path: Path) -> None:
    path = tmp_path / "custom.toml"
    path.write_text(CUSTOM.replace('personal = "none"', 'personal = "phon"'), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_mapping(path)
    assert str(path) in str(caught.value) and "fields.status.personal" in str(caught.value)
    assert "'phon' is not a kind of personal data" in str(caught.value) and "'phone'" in str(caught.value)


def test_shipped_mappings_declare_other_peoples_identifiers_phones_and_coordinates() -> None:
    assert {c: mapping_for("slrt_pengaduan").personal_columns()[c] for c in ("NIK_PELAPOR", "NAMA_PELAPOR")} == {
        "NIK_PELAPOR": Personal.NIK, "NAMA_PELAPOR": Personal.NAME}
    assert mapping_for("psks").personal_columns()["NO_HP"] == Personal.PHONE
    for source in ("penjangkauan", "panti_absensi"):
        declared = mapping_for(source).personal_columns()
        assert declared["LATITUDE"] == declared["LONGITUDE"] == Personal.COORDINATES


async def test_a_custom_mappings_raw_rows_are_masked_by_what_it_declares_and_what_it_forgot(
        store: GraphStore, tmp_path: Path) -> None:
    mapping_file, export = tmp_path / "bantuan_desa.toml", tmp_path / "bantuan.csv"
    mapping_file.write_text(CUSTOM, encoding="utf-8")
    export.write_text(ROWS, encoding="utf-8")
    report = await load_file(store, load_mapping(mapping_file), export, tmp_path / "report")
    assert report.rejected == 0
    (row,) = await store.run("MATCH (s:SourceRecord {source: 'bantuan_desa'}) RETURN s {.*} AS record")
    record = row["record"]
    # Read long after, without the mapping file: its declarations were kept with the load batch.
    declared = await Disclosure(b"k" * 32).batch_columns(store, record["batch_id"])
    assert declared is not None and declared["NAMA_PELAPOR"] == Personal.NAME and declared["STATUS"] is None
    cells = dict(raw_cells(record, ANALYST, declared))
    assert cells == {"ID": "B-1", "NIK": "*" * 16, "NAMA": "***", "STATUS": "AKTIF", "NAMA_PELAPOR": "***",
                     "NO_TELP": "***", "NOMOR_LAIN": "***", "CATATAN": "hubungi ***"}
    # With no declarations at all (a batch loaded before they were kept), the identifiers still go.
    blind = dict(raw_cells(record, ANALYST, {}))
    assert blind["NIK"] == "*" * 16 and all(blind[c] == "***" for c in ("NAMA", "NO_TELP", "NOMOR_LAIN"))
    assert dict(raw_cells(record, STEWARD, declared))["NOMOR_LAIN"] == "3374011207750002"
