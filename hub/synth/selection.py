"""Who appears in which source: DTKS by decile, PPKS by category prevalence, programs drawn
from DTKS with inclusion and exclusion errors, and the smaller registers."""

from __future__ import annotations

import numpy as np
import pandas as pd

from hub.synth.catalog import PROGRAMS


def _household_any(people: pd.DataFrame, mask: np.ndarray) -> np.ndarray:
    return pd.Series(mask).groupby(people["household"].to_numpy()).transform("any").to_numpy()


def select(people: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Adds the membership columns the source generators read."""
    n = len(people)
    decile = people["decile"].to_numpy()
    age = people["age"].to_numpy()
    female = people["female"].to_numpy()
    role = people["role"].to_numpy()
    head = role == "head"

    # DTKS: roughly the poorest 40% of households, with inclusion and exclusion errors.
    first_of_household = ~people["household"].duplicated().to_numpy()
    p_dtks = np.where(decile <= 4, 0.92, np.where(decile <= 6, 0.06, 0.005))
    draw = np.where(first_of_household, rng.random(n) < p_dtks, False)
    in_dtks = _household_any(people, draw)

    disabled = rng.random(n) < np.where(age >= 60, 0.06, 0.015)
    street = (decile <= 3) & (age >= 8) & (age <= 70) & (rng.random(n) < 0.008)

    # PPKS categories (Permensos 8/2012 codes) by who is likely to be registered for what.
    rules: list[tuple[str, np.ndarray]] = [
        ("24", (decile <= 2) & (age >= 18) & (rng.random(n) < 0.10)),
        ("08", (age >= 60) & (decile <= 3) & (rng.random(n) < 0.15)),
        ("09", disabled & (age >= 18) & (rng.random(n) < 0.7)),
        ("05", disabled & (age < 18) & (rng.random(n) < 0.7)),
        ("02", (age < 18) & (age >= 6) & (decile <= 2) & (rng.random(n) < 0.03)),
        ("01", (age < 6) & (decile == 1) & (rng.random(n) < 0.02)),
        ("23", head & female & (decile <= 3) & (rng.random(n) < 0.2)),
        ("11", street & (age >= 18) & (rng.random(n) < 0.5)),
        ("12", street & (age >= 18) & (rng.random(n) < 0.3)),
        ("04", street & (age < 18)),
    ]
    for code in ("03", "06", "07"):  # the rarer categories of children
        rules.append((code, (age < 18) & (decile <= 5) & (rng.random(n) < 0.0015)))
    for code in ("10", "13", "14", "15", "16", "17", "18", "19", "20", "21", "22", "25", "26"):
        rules.append((code, (age >= 18) & (decile <= 5) & (rng.random(n) < 0.0015)))
    ppks: list[list[str]] = [[] for _ in range(n)]
    for code, mask in rules:
        for i in np.flatnonzero(mask):
            ppks[i].append(code)
    people = people.assign(in_dtks=in_dtks, disabled=disabled, street=street,
                           ppks=pd.Series(ppks, index=people.index, dtype=object))

    # PSKS: about 0.3% of better-off adults act as TKSK, social workers, Tagana, ...
    people["psks"] = (age >= 22) & (age <= 60) & (decile >= 4) & (rng.random(n) < 0.003)

    # Programs: drawn from DTKS, with exclusion errors (eligible, left out) and inclusion errors.
    has_children = _household_any(people, age < 18)
    has_elder = _household_any(people, age >= 60)
    hh_draw = pd.Series(rng.random(n)).groupby(people["household"].to_numpy()).transform("first").to_numpy()
    outsider = ~in_dtks & (decile <= 6)
    member_draw = rng.random(n)
    p3ke = in_dtks & (decile == 1) & (hh_draw < 0.5)
    chosen = {
        "SEMBAKO": (in_dtks & (decile <= 3) & (hh_draw < 0.80)) | (outsider & (hh_draw < 0.03)),
        "PKH": (in_dtks & (decile <= 2) & (has_children | has_elder) & (hh_draw < 0.70)) | (outsider & (hh_draw < 0.01)),
        "KIS_PBI_APBN": (in_dtks & (member_draw < 0.85)) | (outsider & (member_draw < 0.04)),
        "BLT": in_dtks & (decile <= 2) & (hh_draw > 0.5),
        "KUBE": in_dtks & (age >= 20) & (age <= 60) & (member_draw > 0.98),
        "RUTILAHU": in_dtks & (hh_draw > 0.99),
        "P3KE": p3ke,
    }
    apbn = chosen["KIS_PBI_APBN"]
    # The regency tops up with APBD where the national quota left eligible people out.
    chosen["KIS_PBI_APBD"] = ~apbn & ((in_dtks & (rng.random(n) < 0.5)) | ((decile <= 5) & (rng.random(n) < 0.05)))
    for code, _name, _unit, _funding in PROGRAMS:
        people[f"prog_{code}"] = chosen[code]
    # The household's representative on a household roster: the wife, else the head.
    people["rep_rank"] = np.select([role == "spouse", head], [0, 1], 2)

    people["proposal"] = ~apbn & (decile <= 5) & (rng.random(n) < 0.04) | (disabled & (rng.random(n) < 0.3))
    people["panti"] = np.select(
        [(age >= 60) & (decile <= 3), disabled, (age < 18) & (decile <= 2)], [0.02, 0.04, 0.005], 0.0,
    ) > rng.random(n)
    people["complaint"] = (decile <= 6) & (age >= 17) & (rng.random(n) < 0.012)
    return people
