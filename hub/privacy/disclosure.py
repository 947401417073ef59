"""What a masked role may learn of a person's quasi-identifiers: k-anonymity over (birth band, sex, village).

A role that does not see birth dates, sex and villages in full (``Principal.quasi_masked``) gets,
for each person shown, the finest rung of ``LADDER`` whose combination at least ``K`` persons
share: a 5-year band, sex and village first, then district, regency, a 10-year band, no sex, no
band. Coarsening only ever merges groups, so every rung at or above a safe one is safe too.

What the caller already knows counts too (``Known``): persons listed for a village the caller named
(a worklist, a search by region), or for the region an officer's key is scoped to, are known to live
there, and a year the caller filtered on is known exactly. A rung is then judged on the place and the
years the caller knows, whichever is narrower than the rung's own: a village asked for makes a sex or
a band shown beside a district as telling as beside the village.

The counts come from a census of the persons per (village, birth year, sex), one query per
regency (``QUASI_IDENTIFIER_COUNTS``), kept for ``CENSUS_TTL_S`` seconds and shared by every
request of the process: no request scans the persons. A census is at most that old: a load that
adds persons is counted when it expires (counts only grow with loads, so a stale census errs
toward coarsening).
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any, NamedTuple

from graph_schema import api_queries, queries
from graph_schema.port import GraphStore
from hub.privacy.access import Personal, Principal
from hub.privacy.secret import keyed_digest
from loaders.mapping import personal_columns_from_json

K = 5
CENSUS_TTL_S = 600.0
# Dotted Kemendagri codes: "33" province (level 1), "33.74" regency (2), "33.74.01" district (3),
# "33.74.01.1001" village (4); the prefix of a code at each level is its first CODE_CHARS[level].
CODE_CHARS = {1: 2, 2: 5, 3: 8, 4: 13}
VILLAGE, DISTRICT, REGENCY, PROVINCE = 4, 3, 2, 1


class Rung(NamedTuple):
    band: int | None  # years per birth band; None: no birth shown
    sex: bool
    level: int


LADDER = (Rung(5, True, VILLAGE), Rung(5, True, DISTRICT), Rung(5, True, REGENCY), Rung(10, True, REGENCY),
          Rung(10, False, REGENCY), Rung(None, False, REGENCY))
# Where only the place is shown (a household in a network): the village, or coarser.
PLACE_LADDER = (Rung(None, False, VILLAGE), Rung(None, False, DISTRICT), Rung(None, False, REGENCY))
LAST_RESORT = Rung(None, False, PROVINCE)


class Known(NamedTuple):
    """What the caller knows of every person a request shows it, before anything is shown: the region
    level they were asked for (or the key is scoped to) and, where a year was filtered on, a band of 1."""

    level: int = PROVINCE
    band: int | None = None

    def narrowed(self, other: Known) -> Known:
        """Both together: the finer level and the narrower band."""
        return Known(max(self.level, other.level), _narrower(self.band, other.band))

    def judged(self, rung: Rung) -> Rung:
        """The rung as a caller who knows this sees it: its place and band, or the known ones where narrower."""
        return Rung(_narrower(rung.band, self.band), rung.sex, max(rung.level, self.level))


NOTHING_KNOWN = Known()


def level_of(code: str | None) -> int:
    """The level of a dotted region code ("33.74" a regency: 2); PROVINCE for none."""
    code = (code or "").strip()
    return max((level for level, chars in CODE_CHARS.items() if len(code) >= chars), default=PROVINCE)


def known_by(principal: Principal) -> Known:
    """What ``principal`` knows of every person it is shown: that they live in the key's region."""
    return Known(level_of(principal.region))


def _narrower(band: int | None, other: int | None) -> int | None:
    """The narrower of two bands (None: no band, the widest)."""
    return other if band is None else band if other is None else min(band, other)


def region_at(code: str | None, level: int) -> str | None:
    """``code`` cut to ``level`` (a district's code for a village at level 3)."""
    return code[:CODE_CHARS[level]] if code else None


def _band(year: int | None, width: int | None) -> int | None:
    return None if width is None or year is None else year - year % width


@dataclass(frozen=True)
class QuasiView:
    """What is shown of one person: birth band, sex and the level their region is shown at."""

    birth: str | None
    sex: str | None
    level: int
    shared_by: int  # how many persons share the combination shown (at least K unless LAST_RESORT)
    place: str | None = None  # the person's own region, as shown

    def region(self, code: str | None) -> str | None:
        """Another region code about the person (a record's, an event's) shown beside theirs: at their level
        when it is the place shown for them, else only its regency (a second village would tell more)."""
        return shown_beside(code, self.level, self.place)


def shown_beside(code: str | None, level: int, place: str | None) -> str | None:
    """``code`` cut to ``level`` where that is ``place`` (already shown), else to its regency at most."""
    cut = region_at(code, level)
    return cut if cut == place else region_at(code, min(level, REGENCY))


class Census:
    """Persons of one regency per (rung, place, band, sex): each rung's group sizes, counted once, the
    ladders' when the census is made and a rung judged on what a caller knows (``Known``) when first asked."""

    def __init__(self, rows: list[tuple[str, int | None, str | None, int]]) -> None:
        self.rows = rows
        self.groups: dict[Rung, Counter[tuple[str | None, int | None, str | None, bool]]] = {}
        for rung in (*LADDER, *PLACE_LADDER):
            self._count(rung)
        self.made = time.monotonic()

    def _count(self, rung: Rung) -> Counter[tuple[str | None, int | None, str | None, bool]]:
        groups: Counter[tuple[str | None, int | None, str | None, bool]] = Counter()
        for village, year, sex, persons in self.rows:
            # Unknown year and unknown sex are groups of their own (null is shown, and tells).
            groups[(region_at(village, rung.level), _band(year, rung.band), sex if rung.sex else None,
                    rung.band is not None and year is None)] += persons
        self.groups[rung] = groups
        return groups

    def shared_by(self, rung: Rung, village: str | None, year: int | None, sex: str | None) -> int:
        groups = self.groups.get(rung)
        if groups is None:
            groups = self._count(rung)
        return groups[(region_at(village, rung.level), _band(year, rung.band), sex if rung.sex else None,
                       rung.band is not None and year is None)]


class Disclosure:
    """The server secret and the census cache: one per API process, shared by its requests."""

    def __init__(self, secret: bytes, ttl_s: float = CENSUS_TTL_S) -> None:
        self._secret = secret
        self._ttl_s = ttl_s
        self._census: dict[str, Census] = {}
        self._batch_columns: dict[str, dict[str, Personal | None] | None] = {}
        self._pending: dict[str, asyncio.Future[Census]] = {}

    def household_id(self, kk: str) -> str:
        """The id a household is shown by: a keyed digest of its KK (stable, not recomputable without the secret)."""
        return keyed_digest(self._secret, "household", kk)

    async def view(self, store: GraphStore, birth_date: str | None, sex: str | None, village: str | None,
                   known: Known = NOTHING_KNOWN) -> QuasiView:
        """The coarsest-needed rung for a person with these values, to a caller who knows ``known`` of
        them (see the module docstring)."""
        year = _year(birth_date)
        if not village:
            return QuasiView(birth=None, sex=None, level=PROVINCE, shared_by=0)
        census = await self.census(store, village)
        for rung in LADDER:
            shared = census.shared_by(known.judged(rung), village, year, sex)
            if shared >= K:
                band = _band(year, rung.band)
                return QuasiView(birth=None if band is None or rung.band is None else f"{band}-{band + rung.band - 1}",
                                 sex=sex if rung.sex else None, level=rung.level, shared_by=shared,
                                 place=region_at(village, rung.level))
        return QuasiView(birth=None, sex=None, level=LAST_RESORT.level, shared_by=0,
                         place=region_at(village, LAST_RESORT.level))

    async def place_level(self, store: GraphStore, village: str | None) -> int:
        """The finest level a place alone may be shown at: at least K persons live there."""
        if not village:
            return PROVINCE
        census = await self.census(store, village)
        for rung in PLACE_LADDER:
            if census.shared_by(rung, village, None, None) >= K:
                return rung.level
        return PROVINCE

    async def batch_columns(self, store: GraphStore, batch_id: str | None) -> dict[str, Personal | None] | None:
        """What the mapping of a load batch declared of its columns (None: a batch loaded before it was kept).

        Kept for the process's life: a batch's mapping does not change once it is loaded.
        """
        if not batch_id:
            return None
        if batch_id not in self._batch_columns:
            rows = await store.run(queries.LOAD_BATCH_BY_ID, {"batch_id": batch_id})
            text = rows[0]["batch"].get("personal_columns") if rows and rows[0].get("batch") else None
            self._batch_columns[batch_id] = personal_columns_from_json(text) if text else None
        return self._batch_columns[batch_id]

    async def census(self, store: GraphStore, code: str) -> Census:
        """The census of the regency ``code`` lies in: cached, fetched once however many ask at the same time."""
        regency = code[:CODE_CHARS[REGENCY]]
        known = self._census.get(regency)
        if known is not None and time.monotonic() - known.made < self._ttl_s:
            return known
        pending = self._pending.get(regency)
        if pending is None:
            pending = asyncio.ensure_future(self._fetch(store, regency))
            self._pending[regency] = pending
        return await asyncio.shield(pending)

    async def _fetch(self, store: GraphStore, regency: str) -> Census:
        try:
            rows = await store.run(api_queries.QUASI_IDENTIFIER_COUNTS, {"regions": [regency]})
            census = Census([(r["village"], _year(r["year"]), r["sex"], int(r["persons"])) for r in rows])
            self._census[regency] = census
            return census
        finally:
            self._pending.pop(regency, None)


async def singles_out(store: GraphStore, filters: dict[str, Any],
                      statement: str = api_queries.PERSON_SEARCH_BY_FILTERS) -> bool:
    """Whether a filter-only person search (``statement``, with its parameters) matches fewer than K persons.

    Asked from the first row whatever page is wanted: a cursor must not narrow what is counted; and
    with the statement the search runs (a key scoped to a region: its scoped twin), since the persons
    it would give are what must number K.
    """
    rows = await store.run(statement, {**filters, "after": None, "limit": K})
    return len(rows) < K


def _year(value: str | None) -> int | None:
    head = (value or "").strip()[:4]
    return int(head) if len(head) == 4 and head.isdigit() else None


def shown_count(count: int, principal: Principal) -> int | None:
    """A count of persons as ``principal`` may see it: None (withheld) where it is 1 to K-1 for a role
    that sees quasi-identifiers masked, since so few persons in a region or program set single them
    out (primary cell suppression, as statistical offices publish tables); 0 and K or more as they are."""
    return None if principal.quasi_masked and 0 < count < K else count
