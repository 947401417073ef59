"""Households and the persons in them, generated a chunk at a time.

Each chunk has its own random stream (seeded by ``(seed, chunk_no)``) and its own slice of
every number space (person ids, household ids, NIK and KK serials), so a chunk's content
depends only on the seed, its number and the chunk count: chunks can run in parallel.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hub.synth.names import generate_names, random_female_names
from hub.synth.regions import Regions

HOUSEHOLDS_PER_CHUNK = 10_000_000


def interleaved_serials(district: np.ndarray, year: np.ndarray, chunk_no: int, chunks: int) -> np.ndarray:
    """Serial numbers unique per (district, year) across all chunks without shared state.

    Chunk ``c`` of ``C`` hands out ``c+1, c+1+C, c+1+2C, ...`` within each (district, year), so
    chunks can be generated in any order, or in parallel, and never collide.

    Raises:
        OverflowError: when a (district, year) would need a serial above 9999.
    """
    within = pd.DataFrame({"d": district, "y": year}).groupby(["d", "y"], sort=False).cumcount().to_numpy()
    serial = 1 + chunk_no + chunks * within
    if serial.max(initial=0) > 9999:
        raise OverflowError("more than 9,999 NIK or KK numbers in one district and year: lower the chunk count")
    return serial


def _ddmmyy(dates: np.ndarray, female: np.ndarray) -> np.ndarray:
    days = pd.DatetimeIndex(dates)
    day = days.day.to_numpy() + np.where(female, 40, 0)
    return np.char.add(np.char.add(np.char.zfill(day.astype(str), 2), np.char.zfill(days.month.to_numpy().astype(str), 2)),
                       np.char.zfill((days.year.to_numpy() % 100).astype(str), 2))


def generate_chunk(rng: np.random.Generator, regions: Regions, persons: int, first_person: int,
                   chunk_no: int, chunks: int, reference_year: int) -> pd.DataFrame:
    """About ``persons`` persons in whole households (exactly ``persons``; the last household is cut)."""
    households = int(persons / 3.2) + 16
    kind = rng.choice(5, households, p=[0.08, 0.10, 0.62, 0.15, 0.05])  # single elder, couple, nuclear, +elder, lone parent
    has_spouse = np.isin(kind, [1, 2, 3])
    n_kids = np.where(np.isin(kind, [2, 3, 4]), np.minimum(rng.poisson(1.9, households), 5), 0)
    n_kids = np.where(kind == 4, np.maximum(n_kids, 1), n_kids)
    has_elder = kind == 3
    head_age = np.where(kind == 0, rng.integers(60, 91, households), rng.integers(24, 71, households))
    head_female = np.where(kind == 0, rng.random(households) < 0.6,
                           np.where(kind == 4, rng.random(households) < 0.8, rng.random(households) < 0.08))
    christian = rng.random(households) < 0.045
    size = 1 + has_spouse + n_kids + has_elder
    cut = int(np.searchsorted(np.cumsum(size), persons)) + 1
    households = min(cut, households)
    kind, n_kids, head_age, size = kind[:households], n_kids[:households], head_age[:households], size[:households]
    has_spouse, has_elder = has_spouse[:households], has_elder[:households]
    head_female, christian = head_female[:households], christian[:households]

    village = rng.integers(0, len(regions.village_codes), households)
    district = regions.village_district[village]
    decile = rng.integers(1, 11, households)

    hh = np.repeat(np.arange(households), size)
    pos = np.arange(len(hh)) - np.repeat(np.cumsum(size) - size, size)
    role = np.full(len(hh), "child", dtype=object)
    role[pos == 0] = "head"
    role[(pos == 1) & has_spouse[hh]] = "spouse"
    role[(pos == size[hh] - 1) & has_elder[hh]] = "parent"
    n = len(hh)

    h_age = head_age[hh]
    age = h_age.copy()
    is_spouse, is_child, is_parent = role == "spouse", role == "child", role == "parent"
    age[is_spouse] = np.clip(h_age[is_spouse] + rng.integers(-8, 4, is_spouse.sum()), 18, 95)
    age[is_child] = (rng.random(is_child.sum()) * np.maximum(h_age[is_child] - 19, 1)).astype(int)
    age[is_parent] = np.minimum(h_age[is_parent] + rng.integers(20, 36, is_parent.sum()), 98)

    female = rng.random(n) < 0.5
    female[pos == 0] = head_female[hh[pos == 0]]
    female[is_spouse] = ~head_female[hh[is_spouse]]
    female[is_parent] = rng.random(is_parent.sum()) < 0.65

    birth_year = reference_year - 1 - age
    birth = (np.array(birth_year - 1970, dtype="datetime64[Y]").astype("datetime64[D]")
             + rng.integers(0, 365, n).astype("timedelta64[D]"))
    birth_year = pd.DatetimeIndex(birth).year.to_numpy()
    names = generate_names(rng, female, birth_year, christian[hh])

    # Mother's maiden name: the household's wife or female head for her children, else a stranger.
    mother_of_household = np.where(head_female, names[np.cumsum(size) - size],
                                   np.where(has_spouse, names[np.minimum(np.cumsum(size) - size + 1, n - 1)], ""))
    mother = random_female_names(rng, birth_year - 25)
    kids_mother = mother_of_household[hh]
    use_household_mother = is_child & (kids_mother != "")
    mother[use_household_mother] = kids_mother[use_household_mother]

    # NIK: registered in the household's district, or (1 in 20) in another one of Jawa Tengah.
    reg_district = district[hh].copy()
    elsewhere = rng.random(n) < 0.05
    reg_district[elsewhere] = rng.integers(0, len(regions.district_codes), elsewhere.sum())
    d6 = regions.district_plain[reg_district].astype(str)
    serial = interleaved_serials(d6, birth_year, chunk_no, chunks)
    nik = np.char.add(np.char.add(d6, _ddmmyy(birth, female)), np.char.zfill(serial.astype(str), 4))

    hh_d6 = regions.district_plain[district].astype(str)
    kk_issued = (np.datetime64("2005-01-01") + rng.integers(0, 365 * 20, households).astype("timedelta64[D]"))
    kk_year = pd.DatetimeIndex(kk_issued).year.to_numpy()
    kk_serial = interleaved_serials(hh_d6, kk_year, chunk_no, chunks)
    kk = np.char.add(np.char.add(hh_d6, _ddmmyy(kk_issued, np.zeros(households, dtype=bool))),
                     np.char.zfill(kk_serial.astype(str), 4))

    # Another member of the same household, for "a household member's NIK was used".
    other_pos = (pos + 1 + (rng.random(n) * np.maximum(size[hh] - 1, 1)).astype(int)) % size[hh]
    other = (np.cumsum(size) - size)[hh] + other_pos

    rt, rw = rng.integers(1, 16, households), rng.integers(1, 9, households)
    dusun = rng.integers(1, 6, households)
    address = [f"DUSUN {d} RT {a:03d} RW {b:03d}" for d, a, b in zip(dusun, rt, rw, strict=True)]

    def text(values: object) -> pd.Series:  # plain object columns: no Arrow conversion per chunk
        return pd.Series(values, dtype=object)

    frame = pd.DataFrame({
        "person_id": text([f"P{first_person + i:09d}" for i in range(n)]),
        "household": chunk_no * HOUSEHOLDS_PER_CHUNK + hh,
        "kk": text(kk[hh]),
        "nik": text(nik),
        "other_member_nik": text(np.where(size[hh] > 1, nik[other], "")),
        "name": text(names),
        "female": female,
        "birth_date": birth,
        "age": reference_year - 1 - birth_year,
        "birth_place": text(regions.birth_places[regions.district_regency[reg_district]]),
        "mother_name": text(mother),
        "role": text(role),
        "household_size": size[hh],
        "village": village[hh],
        "district": district[hh],
        "regency": regions.district_regency[district[hh]],
        "address": text(np.array(address, dtype=object)[hh]),
        "decile": decile[hh],
    })
    return frame.iloc[:persons].reset_index(drop=True)
