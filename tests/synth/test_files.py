"""Output files: headers as the offices write them, rows as the truth says, same seed same bytes."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from hub.synth.config import SynthConfig
from hub.synth.run import SOURCE_ORDER, synthesize
from tests.synth.conftest import PERSONS, read_source

HEADERS = {
    "dtks": ["ID_DTKS", "NO_KK", "NIK", "NAMA", "TEMPAT_LAHIR", "TGL_LAHIR", "JENIS_KELAMIN", "NAMA_IBU_KANDUNG",
             "HUBUNGAN_KELUARGA", "ALAMAT", "KODE_WILAYAH", "DESIL"],
    "ppks": ["ID_PPKS", "NIK", "NAMA", "TGL_LAHIR", "UMUR", "JENIS_KELAMIN", "JENIS_PPKS", "KODE_WILAYAH", "ALAMAT",
             "TGL_PENDATAAN", "PETUGAS_TKSK"],
    "penjangkauan": ["ID_PENJANGKAUAN", "TGL_PENJANGKAUAN", "NAMA_ATAU_ALIAS", "PERKIRAAN_UMUR", "JENIS_KELAMIN", "NIK",
                     "KATEGORI", "LOKASI", "KODE_WILAYAH", "LATITUDE", "LONGITUDE", "TIM"],
}


def digest(folder: Path) -> dict[str, str]:
    return {f.name: hashlib.sha256(f.read_bytes()).hexdigest() for f in sorted(folder.iterdir())}


def test_every_source_is_written_as_csv_and_xlsx(synth_dir: Path, small_synth: Path) -> None:
    for source in SOURCE_ORDER:
        assert (synth_dir / f"{source}.csv").stat().st_size > 0, source
        assert (small_synth / f"{source}.csv").stat().st_size > 0, source
        assert (small_synth / f"{source}.xlsx").stat().st_size > 0, source
    manifest = json.loads((synth_dir / "manifest.json").read_text())
    assert manifest["persons"] == PERSONS and manifest["sources"] == SOURCE_ORDER


@pytest.mark.parametrize("source", sorted(HEADERS))
def test_indonesian_headers(synth_dir: Path, source: str) -> None:
    assert list(read_source(synth_dir, source).columns) == HEADERS[source]


def test_each_file_holds_exactly_the_records_the_truth_lists(synth_dir: Path, truth: pd.DataFrame) -> None:
    assert truth.duplicated(["source", "source_key"]).sum() == 0
    assert set(truth["source"]) == set(SOURCE_ORDER)
    for source in SOURCE_ORDER:
        frame = read_source(synth_dir, source)
        keys = frame.iloc[:, 0]
        assert keys.is_unique, source
        assert set(keys) == set(truth.loc[truth["source"] == source, "source_key"]), source


def test_xlsx_holds_the_same_rows_as_csv(small_synth: Path) -> None:
    for source in ["dtks", "ppks", "panti_absensi"]:
        from_csv = read_source(small_synth, source)
        from_xlsx = pd.read_excel(small_synth / f"{source}.xlsx", dtype=str, keep_default_na=False)
        assert list(from_xlsx.columns) == list(from_csv.columns)
        assert len(from_xlsx) == len(from_csv)
        assert from_xlsx.iloc[:, 0].tolist() == from_csv.iloc[:, 0].tolist()
        assert from_xlsx["NIK" if "NIK" in from_csv else "ID_PENGHUNI"].tolist() == \
            from_csv["NIK" if "NIK" in from_csv else "ID_PENGHUNI"].tolist()


def test_references_between_files_resolve(synth_dir: Path) -> None:
    residents = set(read_source(synth_dir, "panti_penghuni")["ID_PENGHUNI"])
    assert set(read_source(synth_dir, "panti_absensi")["ID_PENGHUNI"]) <= residents
    tickets = set(read_source(synth_dir, "slrt_pengaduan")["NO_TIKET"])
    assert set(read_source(synth_dir, "slrt_rujukan")["NO_TIKET"]) <= tickets
    actors = set(read_source(synth_dir, "psks")["ID_PSKS"])
    assert set(read_source(synth_dir, "ppks")["PETUGAS_TKSK"]) <= actors


def test_a_person_can_be_followed_across_sources(truth: pd.DataFrame) -> None:
    per_person = truth.groupby("person_id")["source"].agg(set)
    followed = per_person[per_person.apply(lambda s: {"dtks", "penjangkauan"} <= s and any(x.startswith("program_")
                                                                                          for x in s))]
    assert len(followed) > 0


@pytest.mark.slow
def test_same_seed_same_bytes_whatever_the_worker_count(tmp_path: Path) -> None:
    config = SynthConfig(persons=3000, seed=11, chunk_persons=1000, xlsx=True)
    synthesize(config, tmp_path / "a", workers=1)
    synthesize(config, tmp_path / "b", workers=2)
    assert digest(tmp_path / "a") == digest(tmp_path / "b")
    synthesize(SynthConfig(persons=3000, seed=12, chunk_persons=1000, xlsx=False), tmp_path / "c", workers=1)
    assert digest(tmp_path / "a")["dtks.csv"] != digest(tmp_path / "c")["dtks.csv"]


def test_cli_synth_and_bench(tmp_path: Path, hub_env: dict[str, str]) -> None:
    hub = [sys.executable, "-m", "hub.cli"]
    done = subprocess.run([*hub, "synth", "--persons", "1500", "--out", str(tmp_path / "d")], env=hub_env,
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    assert "dtks" in done.stdout and (tmp_path / "d" / "truth.csv").exists()
    bench = subprocess.run([*hub, "bench", "synth", "--persons", "1500", "--workers", "1"], env=hub_env,
                           capture_output=True, text=True, timeout=300, check=False)
    assert bench.returncode == 0, bench.stderr
    figures = json.loads(bench.stdout)
    assert figures["records"] > 1000 and figures["records_per_s"] > 0 and figures["peak_rss_mb"] > 0
    bad = subprocess.run([*hub, "synth", "--persons", "0"], env=hub_env, capture_output=True, text=True,
                         timeout=120, check=False)
    assert bad.returncode != 0 and "--persons 0" in bad.stderr and "Traceback" not in bad.stderr


def test_a_population_too_small_to_have_street_persons_is_written(tmp_path: Path) -> None:
    """300 persons (seed 42) hold nobody living on the street: the outreach file is written with
    its header and no row, instead of the run failing."""
    synthesize(SynthConfig(persons=300, seed=42, xlsx=False), tmp_path, workers=1)
    outreach = pd.read_csv(tmp_path / "penjangkauan.csv", dtype=str)
    assert list(outreach.columns) == HEADERS["penjangkauan"] and outreach.empty
    assert (tmp_path / "dtks.csv").stat().st_size > 0
