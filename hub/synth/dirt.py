"""Realistic dirt on identity fields, each kind at its configured rate and recorded.

``soil`` takes the true identity of the person behind each record of one source and returns
the values as that source writes them, plus a ``dirt`` label per record (``;``-joined kinds,
empty for a clean record). Rates are per record where the field exists; the NIK kinds other
than "missing" are per record that carries a NIK. Kinds that need a precondition (a day/month
swap needs a day ≤ 12, a household member's NIK needs a household of two) are drawn among the
records that meet it, scaled so the overall rate is still the one asked for.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from hub.synth.config import DirtRates
from hub.synth.name_variants import nickname, vary_name
from hub.synth.names import random_male_given
from hub.synth.regions import Regions

EXCEL_KINDS = ["apostrophe", "float_text", "scientific_full", "scientific_short", "lost_last_digit"]


@dataclass(frozen=True)
class SourceShape:
    """Which identity fields a source has, and how it writes them."""

    name: str
    date_format: str = "%d-%m-%Y"
    has_nik: bool = True
    has_birth_date: bool = True
    has_age: bool = False
    has_sex: bool = True
    has_village: bool = True
    aliases: bool = False  # street outreach: call names instead of full names


def _scaled_draw(rng: np.random.Generator, eligible: np.ndarray, rate: float, free: np.ndarray) -> np.ndarray:
    share = eligible.mean() if len(eligible) else 0.0
    p = min(1.0, rate / share) if share > 0 else 0.0
    drawn: np.ndarray = free & eligible & (rng.random(len(eligible)) < p)
    return drawn


def _typo(nik: str, rng: np.random.Generator) -> str:
    digits = list(nik)
    if rng.random() < 0.5:
        for _ in range(20):
            i = int(rng.integers(0, 15))
            if digits[i] != digits[i + 1]:
                digits[i], digits[i + 1] = digits[i + 1], digits[i]
                return "".join(digits)
    i = int(rng.integers(0, 16))
    digits[i] = str((int(digits[i]) + int(rng.integers(1, 10))) % 10)
    return "".join(digits)


def _excel(nik: str, kind: str) -> str:
    if kind == "apostrophe":
        return "'" + nik
    if kind == "float_text":
        return nik + ".0"
    if kind == "scientific_full":
        return f"{nik[0]}.{nik[1:]}E+15"
    if kind == "scientific_short":
        return f"{nik[0]}.{nik[1:6]}E+15"
    return nik[:15] + "0"


def soil(people: pd.DataFrame, shape: SourceShape, rates: DirtRates, regions: Regions,
         rng: np.random.Generator, reference_year: int) -> pd.DataFrame:
    """The identity columns of ``people`` (one row per record) as the source writes them."""
    n = len(people)
    dirt = np.full(n, "", dtype=object)
    out = pd.DataFrame(index=people.index)

    def mark(mask: np.ndarray, label: str | np.ndarray) -> None:
        chosen = label[mask] if isinstance(label, np.ndarray) else label
        dirt[mask] = dirt[mask] + ";" + chosen

    if shape.has_nik:
        nik = people["nik"].to_numpy(dtype=object).copy()
        missing = rng.random(n) < rates.missing_for(shape.name)
        nik[missing] = ""
        mark(missing, "nik_missing")
        present = ~missing
        u = rng.random(n)
        typo = present & (u < rates.nik_typo)
        excel = present & (u >= rates.nik_typo) & (u < rates.nik_typo + rates.nik_excel)
        free = present & ~typo & ~excel
        member = _scaled_draw(rng, people["other_member_nik"].to_numpy() != "", rates.nik_household_member, free)
        for i in np.flatnonzero(typo):
            nik[i] = _typo(nik[i], rng)
        mark(typo, "nik_typo")
        kinds = np.array(EXCEL_KINDS, dtype=object)[rng.integers(0, len(EXCEL_KINDS), n)]
        for i in np.flatnonzero(excel):
            nik[i] = _excel(nik[i], kinds[i])
        mark(excel, "nik_excel:" + kinds)
        nik[member] = people["other_member_nik"].to_numpy()[member]
        mark(member, "nik_household_member")
        out["nik"] = nik

    names = people["name"].to_numpy(dtype=object).copy()
    female = people["female"].to_numpy()
    if shape.aliases:
        names = np.array([nickname(v, rng) for v in names], dtype=object)
    vary = rng.random(n) < rates.name_variant
    fathers = random_male_given(rng, n)
    kinds_applied = np.full(n, "", dtype=object)
    for i in np.flatnonzero(vary):
        names[i], kinds_applied[i] = vary_name(names[i], bool(female[i]), str(fathers[i]), rng)
    mark(vary, "name_variant:" + kinds_applied)
    out["name"] = names

    birth = pd.DatetimeIndex(people["birth_date"].to_numpy())
    true_age = reference_year - 1 - birth.year.to_numpy()
    if shape.has_birth_date:
        day, month = birth.day.to_numpy(), birth.month.to_numpy()
        partial = rng.random(n) < rates.dob_year_or_age_only
        swap = _scaled_draw(rng, (day <= 12) & (day != month), rates.dob_day_month_swap, ~partial)
        shown = pd.to_datetime(pd.DataFrame({"year": birth.year, "month": np.where(swap, day, month),
                                             "day": np.where(swap, month, day)}))
        text = pd.DatetimeIndex(shown).strftime(shape.date_format).to_numpy(dtype=object).copy()
        # Where the source has an age column, "partial" is half age-only, half year-only.
        age_only = partial & (rng.random(n) < 0.5) if shape.has_age else np.zeros(n, dtype=bool)
        year_only = partial & ~age_only
        text[year_only] = birth.year.to_numpy().astype(str)[year_only]
        text[age_only] = ""
        mark(swap, "dob_day_month_swap")
        mark(year_only, "dob_year_only")
        mark(age_only, "dob_age_only")
        out["birth_date"] = text
    if shape.has_age:
        # Street outreach estimates an age by sight; registers compute it from the birth date.
        noise = rng.integers(-5, 6, n) if shape.aliases else np.zeros(n, dtype=int)
        out["age"] = np.maximum(true_age + noise, 0)

    if shape.has_sex:
        wrong = rng.random(n) < rates.wrong_sex
        shown_female = female ^ wrong
        mark(wrong, "wrong_sex")
        out["sex"] = np.where(shown_female, "PEREMPUAN", "LAKI-LAKI")

    if shape.has_village:
        village = people["village"].to_numpy().copy()
        moved = rng.random(n) < rates.moved_village
        district = regions.village_district[village[moved]]
        near = rng.random(moved.sum()) < 0.7
        offset = (rng.random(moved.sum()) * regions.district_village_count[district]).astype(int)
        nearby = regions.district_village_start[district] + offset
        anywhere = rng.integers(0, len(regions.village_codes), moved.sum())
        new_village = np.where(near, nearby, anywhere)
        actually = new_village != village[moved]
        idx = np.flatnonzero(moved)[actually]
        village[idx] = new_village[actually]
        moved_mask = np.zeros(n, dtype=bool)
        moved_mask[idx] = True
        mark(moved_mask, "moved_village")
        out["village"] = regions.village_plain[village]

    out["dirt"] = np.array([d[1:] for d in dirt], dtype=object)  # drop the leading ";"
    return out
