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
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from matching.addresses import fold_address
from matching.membership import absent
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


# Up to this many records (a live link's or a "seen before?"'s few) the features are made row by
# row in Python: pandas' per-column operations cost ~40 ms a call whatever the size.
SMALL_FRAME = 2_000


def features(records: pd.DataFrame, as_of: dt.date | None = None) -> pd.DataFrame:
    """One row per record with a name; records without one are linked through references only."""
    if len(records) <= SMALL_FRAME:
        return _features_counted(records, as_of)
    return _features_vectorised(records, as_of)


def _features_vectorised(records: pd.DataFrame, as_of: dt.date | None = None) -> pd.DataFrame:
    return finish(own_features(records, as_of))


def own_features(records: pd.DataFrame, as_of: dt.date | None = None) -> pd.DataFrame:
    """``features`` of a big frame but for the one step that reads other rows: each record's NIK as
    stated, with ``nik_contradicted`` (its own values contradict it). Parts of a frame made so, put
    together (``pd.concat(..., ignore_index=True)``) and ``finish``-ed, are the frame's ``features``:
    a big delta's neighbours have theirs made as each lookup's reply comes in."""
    year_now = (as_of or dt.date.today()).year
    named = records[records["name"].notna()].copy()
    names = named["name"].tolist()
    folded = _each(names, fold_name)
    dates = named["birth_date"].tolist()
    out = pd.DataFrame({
        "unique_id": named["record_id"].to_numpy(),
        "source": named["source"].to_numpy(),
        "nik": named["nik"].to_numpy(),
        "kk": named["kk"].to_numpy(),
        "name_folded": folded,
        "name_sorted": _each(folded, sorted_tokens),
        "name_first": _each(folded, first_token),
        "name_last": _each(folded, last_token),
        "name_initials": _each(folded, initials),
        "birth_date": named["birth_date"].to_numpy(),
        "birth_date_swapped": _each(dates, _swap),
        "sex": named["sex"].to_numpy(),
        "mother_folded": _each(named["mother_name"].tolist(), fold_name),
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
    region = named["region_code"].fillna("").astype(str).tolist()
    village, district = _each(region, _village), _each(region, _district)
    out["village"] = [None if e else v for v, e in zip(village, encounter, strict=True)]
    out["district"] = [None if e else d for d, e in zip(district, encounter, strict=True)]
    out["regency"] = _each(region, _regency)
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
    out["nik_contradicted"] = nik_contradicted(nik_year, year, named["nik_sex"].to_numpy(), sex)
    return out[[*FEATURES, "nik_contradicted"]]


def finish(own: pd.DataFrame) -> pd.DataFrame:
    """``own_features`` rows (of one frame, a unique index) as ``features``: a NIK its record
    contradicts, or that is someone else's by the frame's other rows (``someone_elses_nik``), cleared."""
    out = own[FEATURES].copy()
    cleared = own["nik_contradicted"].to_numpy(dtype=bool) | someone_elses_nik(out)
    out["nik"] = [None if c else n for c, n in zip(cleared, out["nik"].tolist(), strict=True)]
    return out


def _each(values: list[Any], derive: Callable[[Any], Any]) -> list[Any]:
    """``derive`` of each value, computed once per distinct value: a big frame's names, dates and
    regions repeat (a delta's neighbours share them by construction)."""
    derived = {v: derive(v) for v in set(values)}
    return [derived[v] for v in values]


def _village(region: str) -> str | None:
    return region if region.count(".") == 3 else None


def _district(region: str) -> str | None:
    return ".".join(region.split(".")[:3]) if region.count(".") >= 2 else None


def _regency(region: str) -> str | None:
    return ".".join(region.split(".")[:2]) if region.count(".") >= 1 else None


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


def number(value: object) -> float:
    """A cell as ``pd.to_numeric(errors="coerce")`` reads it: a float, NaN when not a number."""
    if value is None or value is pd.NA or isinstance(value, bool):
        return float("nan") if not isinstance(value, bool) else float(value)
    if isinstance(value, int | float | np.integer | np.floating):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return float("nan")
    return float("nan")



def _features_counted(records: pd.DataFrame, as_of: dt.date | None = None) -> pd.DataFrame:
    """``features`` for a few records, row by row: the same frame, without pandas' per-column cost."""
    # Every column's values in one conversion (the records' columns are objects: one block, no copy
    # per column), then plain lists: a live write's frames hold 1 to 60 records.
    at = {name: i for i, name in enumerate(records.columns)}
    block = records.to_numpy(dtype=object)

    def column(name: str) -> list[object]:
        return block[:, at[name]].tolist() if name in at else [None] * len(records)

    names = column("name")
    keep = [i for i, n in enumerate(names) if not absent(n)]
    if not keep:
        return _features_vectorised(records, as_of)
    year_now = (as_of or dt.date.today()).year

    def named(name: str) -> list[Any]:
        values = column(name)
        return [values[i] for i in keep]

    folded = [fold_name(names[i]) for i in keep]
    firsts = [first_token(f) for f in folded]
    lasts = [last_token(f) for f in folded]
    initial = [initials(f) for f in folded]
    dates, sexes, niks, nik_dates, nik_sexes = (named(c) for c in ("birth_date", "sex", "nik", "nik_birth_date",
                                                                   "nik_sex"))
    years = [number(v) for v in named("birth_year")]
    ages = [number(v) for v in named("age")]
    estimated = [y != y and a == a for y, a in zip(years, ages, strict=True)]
    birth_years = [year_now - 1 - a if e else y for y, a, e in zip(years, ages, estimated, strict=True)]
    met = [False if absent(m) else bool(m) for m in named("encounter")]
    regions = ["" if absent(r) else str(r) for r in named("region_code")]
    nik_years = [number(d[:4]) if isinstance(d, str) else float("nan") for d in nik_dates]
    trusted = [not absent(n) and (nd == d if not absent(d) else ny == y) and (absent(s) or ns == s)
               for n, nd, d, ny, y, s, ns in zip(niks, nik_dates, dates, nik_years, years, sexes, nik_sexes,
                                                 strict=True)]
    contradicted = [(ny == ny and y == y and ny != y) or (not absent(s) and not absent(ns) and ns != s)
                    for ny, y, s, ns in zip(nik_years, years, sexes, nik_sexes, strict=True)]
    # A NIK trusted on other records under another name (see ``someone_elses_nik``).
    owners: dict[object, list[tuple[Any, Any, Any]]] = {}
    for n, t, f, la, ini in zip(niks, trusted, firsts, lasts, initial, strict=True):
        if t:
            owners.setdefault(n, []).append((f, la, ini))
    for i, (n, t) in enumerate(zip(niks, trusted, strict=True)):
        held = owners.get(n) if not t and not absent(n) else None
        if held and not any((firsts[i] is not None and firsts[i] == f) or (lasts[i] is not None and lasts[i] == la)
                            or (initial[i] is not None and initial[i] == ini) for f, la, ini in held):
            contradicted[i] = True
    addresses = named("address")
    folded_address = {a: fold_address(a) for a in set(addresses) if isinstance(a, str)}
    # The columns the vectorised path builds as objects, in one block (one constructor, no per-column
    # inference); the others as it assigns them: lists pandas infers, booleans, nullable years.
    objects = {
        "unique_id": named("record_id"), "source": named("source"), "kk": named("kk"),
        "name_folded": folded, "name_sorted": [sorted_tokens(f) for f in folded], "name_first": firsts,
        "name_last": lasts, "name_initials": initial, "birth_date": dates,
        "birth_date_swapped": [_swap(d) for d in dates], "sex": sexes,
        "mother_folded": [fold_name(n) for n in named("mother_name")],
    }
    cells = np.empty((len(keep), len(objects)), dtype=object)
    for i, values in enumerate(objects.values()):
        cells[:, i] = values
    out = pd.DataFrame(cells, columns=list(objects), dtype=object)
    inferred = pd.DataFrame({
        "nik": [None if c else n for c, n in zip(contradicted, niks, strict=True)],
        "birth_year": pd.array([None if y != y else int(y) for y in birth_years], dtype="Int64"),
        "year_estimated": np.array(estimated, dtype=bool),
        "village": [None if m else _village(r) for r, m in zip(regions, met, strict=True)],
        "district": [None if m else _district(r) for r, m in zip(regions, met, strict=True)],
        "regency": [_regency(r) for r in regions],
        "nik_trusted": np.array(trusted, dtype=bool), "encounter": np.array(met, dtype=bool),
        "age_guessed": np.array([m and e for m, e in zip(met, estimated, strict=True)], dtype=bool),
        "address_folded": [folded_address.get(a) if isinstance(a, str) else None for a in addresses],
        "phone": [p if isinstance(p, str) and p else None for p in named("phone")],
        "register_id": [_NOT_ALNUM.sub("", r.upper()) or None if isinstance(r, str) else None
                        for r in named("register_id")],
    })
    return pd.concat([out, inferred], axis=1)[FEATURES]
