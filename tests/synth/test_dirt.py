"""Dirt: observed rates match the requested ones, and every label in the truth is what happened."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hub.synth.config import DEFAULT_NIK_MISSING, DirtRates
from hub.synth.name_variants import KINDS, vary_name
from tests.synth.conftest import read_source

RATES = DirtRates()
NIK_SOURCES = ["dtks", "ppks", "psks", "panti_penghuni", "program_kis_pbi_apbn", "program_sembako", "penjangkauan",
               "usulan_kis_pbi", "slrt_pengaduan"]


def labelled(truth: pd.DataFrame, kind: str) -> pd.Series:
    return truth["dirt"].str.split(";").apply(lambda labels: any(lab.split(":")[0] == kind for lab in labels))


def joined(synth_dir: Path, truth: pd.DataFrame, persons: pd.DataFrame, source: str, key: str) -> pd.DataFrame:
    frame = read_source(synth_dir, source).rename(columns={key: "source_key"})
    out = frame.merge(truth[truth["source"] == source], on="source_key", validate="one_to_one")
    return out.merge(persons, on="person_id", suffixes=("", "_true"), validate="many_to_one")


@pytest.mark.parametrize("source", ["dtks", "ppks", "panti_penghuni", "penjangkauan"])
def test_missing_nik_rate_per_source(truth: pd.DataFrame, source: str) -> None:
    rows = truth[truth["source"] == source]
    observed = labelled(rows, "nik_missing").mean()
    expected = DEFAULT_NIK_MISSING[source]
    assert abs(observed - expected) <= max(0.02, 3 * np.sqrt(expected * (1 - expected) / len(rows))), (source, observed)


@pytest.mark.parametrize(("kind", "expected"), [
    ("nik_typo", RATES.nik_typo),
    ("nik_household_member", RATES.nik_household_member),
    ("nik_excel", RATES.nik_excel),
])
def test_nik_dirt_rates_among_records_with_a_nik(truth: pd.DataFrame, kind: str, expected: float) -> None:
    rows = truth[truth["source"].isin(NIK_SOURCES) & ~labelled(truth, "nik_missing")]
    observed = labelled(rows, kind).mean()
    assert abs(observed - expected) < 0.15 * expected + 0.002, observed


@pytest.mark.parametrize(("kind", "expected", "sources"), [
    ("name_variant", RATES.name_variant, ["dtks", "ppks", "program_kis_pbi_apbn"]),
    ("wrong_sex", RATES.wrong_sex, ["dtks", "ppks", "program_kis_pbi_apbn"]),
    ("moved_village", RATES.moved_village, ["dtks", "ppks", "program_sembako"]),
    ("dob_day_month_swap", RATES.dob_day_month_swap, ["dtks", "program_kis_pbi_apbn"]),
])
def test_field_dirt_rates(truth: pd.DataFrame, kind: str, expected: float, sources: list[str]) -> None:
    rows = truth[truth["source"].isin(sources)]
    observed = labelled(rows, kind).mean()
    assert abs(observed - expected) < 0.15 * expected + 0.002, observed


def test_year_or_age_only_rate(truth: pd.DataFrame) -> None:
    rows = truth[truth["source"].isin(["dtks", "ppks", "program_kis_pbi_apbn"])]
    observed = (labelled(rows, "dob_year_only") | labelled(rows, "dob_age_only")).mean()
    assert abs(observed - RATES.dob_year_or_age_only) < 0.01


def test_dtks_labels_say_exactly_what_happened(synth_dir: Path, truth: pd.DataFrame, persons: pd.DataFrame) -> None:
    rows = joined(synth_dir, truth, persons, "dtks", "ID_DTKS")
    dirt = rows["dirt"]
    clean_nik = ~dirt.str.contains("nik_")
    assert (rows.loc[clean_nik, "NIK"] == rows.loc[clean_nik, "nik"]).all()
    assert (rows.loc[dirt.str.contains("nik_missing"), "NIK"] == "").all()
    typo = rows[dirt.str.contains("nik_typo")]
    for shown, true in zip(typo["NIK"], typo["nik"], strict=True):
        diffs = [i for i in range(16) if shown[i] != true[i]]
        assert len(diffs) == 1 or (len(diffs) == 2 and diffs[1] == diffs[0] + 1 and sorted(shown) == sorted(true))
    member = rows[dirt.str.contains("nik_household_member")]
    nik_household = dict(zip(persons["nik"], persons["kk"], strict=True))
    assert (member["NIK"] != member["nik"]).all()
    assert all(nik_household[n] == kk for n, kk in zip(member["NIK"], member["kk"], strict=True))
    excel = rows[dirt.str.contains("nik_excel")]
    assert len(excel) > 0 and (excel["NIK"] != excel["nik"]).all()
    assert excel["NIK"].str.contains(r"E\+15|^'|\.0$|0$").all()
    clean_name = ~dirt.str.contains("name_variant")
    assert (rows.loc[clean_name, "NAMA"] == rows.loc[clean_name, "name"]).all()
    varied = rows[~clean_name]
    assert (varied["NAMA"] != varied["name"]).all()
    clean_sex = ~dirt.str.contains("wrong_sex")
    shown_sex = rows["JENIS_KELAMIN"].map({"LAKI-LAKI": "L", "PEREMPUAN": "P"})
    assert (shown_sex[clean_sex] == rows.loc[clean_sex, "sex"]).all()
    assert (shown_sex[~clean_sex] != rows.loc[~clean_sex, "sex"]).all()
    clean_village = ~dirt.str.contains("moved_village")
    true_village = rows["village_code"].str.replace(".", "", regex=False)
    assert (rows.loc[clean_village, "KODE_WILAYAH"] == true_village[clean_village]).all()
    assert (rows.loc[~clean_village, "KODE_WILAYAH"] != true_village[~clean_village]).all()
    clean_dob = ~dirt.str.contains("dob_")
    true_dob = pd.to_datetime(rows["birth_date"]).dt.strftime("%d-%m-%Y")
    assert (rows.loc[clean_dob, "TGL_LAHIR"] == true_dob[clean_dob]).all()
    year_only = dirt.str.contains("dob_year_only")
    assert (rows.loc[year_only, "TGL_LAHIR"] == rows.loc[year_only, "birth_date"].str[:4]).all()


def test_street_outreach_meets_people_repeatedly_mostly_without_nik(truth: pd.DataFrame) -> None:
    rows = truth[truth["source"] == "penjangkauan"]
    met = rows.groupby("person_id").size()
    assert met.max() >= 3 and (met > 1).mean() > 0.4
    assert labelled(rows, "nik_missing").mean() > 0.8


@pytest.mark.parametrize("name", ["SOEPARMAN", "MUHAMMAD EKO", "SITI AMINAH", "DJOKO", "WAKINEM", "YUDI RAHARJO"])
def test_every_name_variant_differs_from_the_name(name: str) -> None:
    rng = np.random.default_rng(1)
    seen = set()
    for _ in range(60):
        varied, kind = vary_name(name, female=False, father="BUDI", rng=rng)
        assert varied != name and kind in KINDS
        seen.add(kind)
    assert len(seen) >= 3


def test_zero_scale_gives_clean_data(tmp_path: Path) -> None:
    from hub.synth.config import SynthConfig
    from hub.synth.run import synthesize

    synthesize(SynthConfig(persons=2000, dirt=DirtRates().scaled(0.0), xlsx=False), tmp_path, workers=1)
    truth = pd.read_csv(tmp_path / "truth.csv", dtype=str, keep_default_na=False)
    assert (truth["dirt"] == "").all()
