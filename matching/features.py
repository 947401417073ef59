"""The columns Splink compares, derived once per record from its identity.

Dates: the record's birth date, the same date with day and month swapped (a common slip),
and a birth year that is known exactly (from a date, or a year-only cell) or estimated from
an age. Regions: village, district and regency codes from the one stored code. Encounter
records (street outreach) are flagged: their age is a guess and their region where they were met.
Further identifying fields, where a list has them: the address folded (``matching/addresses.py``),
the phone as the loader stored it (62...), and another register's id without case or separators.
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd

from matching.addresses import fold_address
from matching.names import first_token, fold_name, initials, last_token, sorted_tokens

FEATURES = ["unique_id", "source", "nik", "kk", "name_folded", "name_sorted", "name_first", "name_last", "name_initials",
            "birth_date", "birth_date_swapped", "birth_year", "year_estimated", "sex", "mother_folded",
            "village", "district", "regency", "nik_trusted", "encounter", "age_guessed", "address_folded", "phone",
            "register_id"]
_NOT_ALNUM = re.compile(r"[^0-9A-Z]+")


def _swap(date: str | None) -> str | None:
    if not isinstance(date, str) or len(date) != 10:
        return None
    year, month, day = date[:4], date[5:7], date[8:10]
    if int(day) > 12 or day == month:
        return None
    return f"{year}-{day}-{month}"


def features(records: pd.DataFrame, as_of: dt.date | None = None) -> pd.DataFrame:
    """One row per record with a name; records without one are linked through references only."""
    year_now = (as_of or dt.date.today()).year
    named = records[records["name"].notna()].copy()
    folded = [fold_name(n) for n in named["name"]]
    out = pd.DataFrame({
        "unique_id": named["record_id"].to_numpy(),
        "source": named["source"].to_numpy(),
        "nik": named["nik"].to_numpy(),
        "kk": named["kk"].to_numpy(),
        "name_folded": folded,
        "name_sorted": [sorted_tokens(f) for f in folded],
        "name_first": [first_token(f) for f in folded],
        "name_last": [last_token(f) for f in folded],
        "name_initials": [initials(f) for f in folded],
        "birth_date": named["birth_date"].to_numpy(),
        "birth_date_swapped": [_swap(d) for d in named["birth_date"]],
        "sex": named["sex"].to_numpy(),
        "mother_folded": [fold_name(n) for n in named["mother_name"]],
    }, dtype=object)
    # Lists read before these fields existed (or rows an app sends) may lack their columns.
    # An address repeats for every member of a household: each is folded once.
    addresses = _column(named, "address")
    folded_address = {a: fold_address(a) for a in set(addresses) if isinstance(a, str)}
    out["address_folded"] = [folded_address.get(a) if isinstance(a, str) else None for a in addresses]
    out["phone"] = [p if isinstance(p, str) and p else None for p in _column(named, "phone")]
    out["register_id"] = [_NOT_ALNUM.sub("", r.upper()) or None if isinstance(r, str) else None
                          for r in _column(named, "register_id")]
    year = pd.to_numeric(named["birth_year"], errors="coerce").to_numpy()
    age = pd.to_numeric(named["age"], errors="coerce").to_numpy()
    estimated = np.isnan(year) & ~np.isnan(age)
    out["birth_year"] = pd.array(np.where(estimated, year_now - 1 - age, year), dtype="Int64")
    out["year_estimated"] = estimated
    # An encounter (street outreach) says where the person was met, not where they live: only
    # its regency is evidence (they are mostly met in their own), its village and district none.
    met = named["encounter"] if "encounter" in named else pd.Series(False, index=named.index)
    encounter = met.fillna(False).astype(bool).to_numpy()
    out["encounter"] = encounter
    out["age_guessed"] = encounter & estimated
    region = named["region_code"].fillna("").astype(str).to_numpy()
    out["village"] = [r if r.count(".") == 3 and not e else None for r, e in zip(region, encounter, strict=True)]
    out["district"] = [".".join(r.split(".")[:3]) if r.count(".") >= 2 and not e else None
                       for r, e in zip(region, encounter, strict=True)]
    out["regency"] = [".".join(r.split(".")[:2]) if r.count(".") >= 1 else None for r in region]
    # A NIK is trusted when what it encodes agrees with the record: the record states a birth
    # date (or year) that the NIK repeats, and no sex that contradicts it.
    nik = named["nik"].to_numpy()
    nik_date = named["nik_birth_date"].to_numpy()
    date = named["birth_date"].to_numpy()
    nik_year = pd.to_numeric(pd.Series(nik_date).str[:4], errors="coerce").to_numpy()
    agrees_date = np.where(pd.notna(date), nik_date == date, nik_year == year)
    sex = named["sex"].to_numpy()
    agrees_sex = pd.isna(sex) | (named["nik_sex"].to_numpy() == sex)
    out["nik_trusted"] = pd.notna(nik) & agrees_date & agrees_sex
    # A NIK that contradicts its record (another birth year, or the other sex, than the record
    # states) is someone else's, typically a relative's typed into the wrong row: it is no
    # evidence for anyone, so it is neither compared nor used to block. A day/month slip within
    # the year is not a contradiction (the NIK still says who it is).
    contradicted = nik_contradicted(nik_year, year, named["nik_sex"].to_numpy(), sex) | someone_elses_nik(out)
    out["nik"] = [None if c else n for c, n in zip(contradicted, nik, strict=True)]
    return out[FEATURES]


def _column(records: pd.DataFrame, name: str) -> np.ndarray:
    return records[name].to_numpy() if name in records else np.full(len(records), None, dtype=object)


def someone_elses_nik(out: pd.DataFrame) -> np.ndarray:
    """Per record: its NIK is trusted on other records under another name (no shared first name,
    last name or initials), and not on its own: a relative's NIK typed into this row, which is
    evidence neither for that relative nor against the row's own person."""
    trusted = out.loc[out["nik_trusted"], ["nik", "name_first", "name_last", "name_initials"]]
    if trusted.empty:
        return np.zeros(len(out), dtype=bool)
    asked = out.loc[~out["nik_trusted"] & out["nik"].notna(), ["nik", "name_first", "name_last", "name_initials"]]
    pairs = asked.reset_index().merge(trusted, on="nik", suffixes=("", "_owner"))
    if pairs.empty:
        return np.zeros(len(out), dtype=bool)
    same = ((pairs["name_first"] == pairs["name_first_owner"]) | (pairs["name_last"] == pairs["name_last_owner"])
            | (pairs["name_initials"].notna() & (pairs["name_initials"] == pairs["name_initials_owner"])))
    shares_a_name = same.groupby(pairs["index"]).any()
    return np.asarray(out.index.isin(shares_a_name[~shares_a_name].index), dtype=bool)


def nik_contradicted(nik_year: np.ndarray, year: np.ndarray, nik_sex: np.ndarray, sex: np.ndarray) -> np.ndarray:
    """Per record: its NIK encodes another birth year than the record states, or the other sex."""
    other_year = ~np.isnan(nik_year) & ~np.isnan(year) & (nik_year != year)
    other_sex = pd.notna(sex) & pd.notna(nik_sex) & (nik_sex != sex)
    return np.asarray(other_year | other_sex, dtype=bool)
