"""Program coverage and overlap per region, for analysts (counts only: no personal data).

A count of 1 to 4 persons singles them out: a role that sees quasi-identifiers masked gets null
there (``hub.privacy.disclosure.shown_count``), and no ratio computed from it.

Both count every person of the region, so their exact rows are kept in the statistics cache
(``resolvers/stats_cache.py``) under the graph's data stamp, as the statistics are: asked again
before the data changes, they cost one Redis read; the small-count rule is applied per caller after.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from itertools import combinations

import strawberry

from graph_schema import api_queries, queries
from graph_schema import statistics_queries as sq
from graph_schema.port import GraphStore, Row
from hub.errors import InputError, quote
from hub.privacy.access import Principal
from hub.privacy.disclosure import shown_count
from resolvers.arguments import region_argument
from resolvers.stats_cache import StatsCache
from resolvers.types.region import RegionRef

# Code length of a region -> length of the codes one level below it (Kemendagri: 33, 33.74, 33.74.01, 33.74.01.1001).
# No region: the regencies (an office's province is the whole graph).
CHILD_WIDTH = {0: 5, 2: 5, 5: 8, 8: 13, 13: 13}
LEVEL_WIDTH = {1: 2, 2: 5, 3: 8, 4: 13}
LEVEL_OF_WIDTH = {width: level for level, width in LEVEL_WIDTH.items()}


WITHHELD = "null where 1 to 4 persons for a role that sees quasi-identifiers masked (they would be singled out)"


@strawberry.type(description="Coverage of one program in one region. Counts are " + WITHHELD + ".")
class RegionCoverage:
    region: RegionRef
    persons: int | None = strawberry.field(description="Persons the hub places in the region.")
    dtks_persons: int | None = strawberry.field(description="Of them, persons with a DTKS record.")
    enrolled: int | None
    enrolled_in_dtks: int | None
    coverage: float | None = strawberry.field(description="enrolledInDtks / dtksPersons; null where either is.")


@strawberry.type
class ProgramCount:
    program: str
    persons: int | None = strawberry.field(description="Persons enrolled; " + WITHHELD + ".")


@strawberry.type(description="Persons enrolled in both programs of a pair.")
class PairOverlap:
    a: str
    b: str
    persons: int | None = strawberry.field(description="Persons in both; " + WITHHELD + ".")
    jaccard: float | None = strawberry.field(description="persons / persons in either; null where persons is.")


@strawberry.type(description="Persons whose enrolments among the asked programs are exactly this set.")
class OverlapSet:
    programs: list[str]
    persons: int | None = strawberry.field(description="Persons with exactly this set; " + WITHHELD + ".")


@strawberry.type
class ProgramOverlap:
    region: str | None
    totals: list[ProgramCount]
    pairs: list[PairOverlap]
    combinations: list[OverlapSet]


def region_prefix(region: str | None) -> str:
    """The dotted code of a region argument, typed dotted or not ("33.16", "3316"); "" for none."""
    return region_argument(region) or ""


async def _check_programs(store: GraphStore, programs: list[str]) -> None:
    for program in programs:
        if not await store.run(queries.PROGRAM_BY_CODE, {"code": program}):
            raise InputError(f"program: {quote(program)} is not a known program code (SEMBAKO, PKH, KIS_PBI_APBN, ...)")


async def _rows(store: GraphStore, cache: StatsCache | None, name: str, prefix: str, width: int,
                count: Callable[[], Awaitable[list[Row]]]) -> list[Row]:
    """``count()``'s rows, from ``cache`` when this data stamp already has them (the stamp is read first:
    rows counted while a change commits are kept under the stamp before it)."""
    if cache is None:
        return await count()
    key = cache.key(await sq.data_stamp(store), name, prefix, width, False)
    cached = await cache.get(key)
    if cached is not None:
        return cached
    rows = await count()
    await cache.put(key, rows)
    return rows


async def coverage(store: GraphStore, principal: Principal, program: str, region: str | None,
                   level: int | None, cache: StatsCache | None = None) -> list[RegionCoverage]:
    """Per sub-region counts, those below K withheld for ``principal`` where it must (``shown_count``)."""
    prefix = region_prefix(region)
    if level is not None and level not in LEVEL_WIDTH:
        raise InputError(f"level: {level} must be 1 (province), 2 (regency), 3 (district) or 4 (village)")
    width = LEVEL_WIDTH[level] if level is not None else CHILD_WIDTH[len(prefix)]
    if width < len(prefix):
        raise InputError(f"level: {level} is above the region {region}; ask for a level below it")
    await _check_programs(store, [program])
    rows = await _rows(store, cache, f"COVERAGE:{program}", prefix, width, lambda: store.run(
        api_queries.PROGRAM_COVERAGE, {"program": program, "region": prefix, "width": width}))
    out = []
    for r in rows:
        dtks, enrolled_in_dtks = shown_count(r["dtks_persons"], principal), shown_count(r["enrolled_in_dtks"], principal)
        out.append(RegionCoverage(
            region=RegionRef(code=r["area"], name=r["name"], level=LEVEL_OF_WIDTH.get(len(r["area"]))),
            persons=shown_count(r["persons"], principal), dtks_persons=dtks,
            enrolled=shown_count(r["enrolled"], principal), enrolled_in_dtks=enrolled_in_dtks,
            coverage=round(r["enrolled_in_dtks"] / r["dtks_persons"], 4)
            if r["dtks_persons"] and dtks is not None and enrolled_in_dtks is not None else None))
    return out


async def overlap(store: GraphStore, principal: Principal, programs: list[str], region: str | None,
                  cache: StatsCache | None = None) -> ProgramOverlap:
    """Totals, pairs and exact sets, counts below K withheld for ``principal`` where it must (``shown_count``)."""
    prefix = region_prefix(region)
    wanted = sorted(set(programs))
    if not 2 <= len(wanted) <= 8:
        raise InputError("programs: give between 2 and 8 distinct program codes")
    await _check_programs(store, wanted)
    sets: Counter[frozenset[str]] = Counter()
    for row in await _rows(store, cache, "OVERLAP:" + ",".join(wanted), prefix, 0, lambda: store.run(
            api_queries.PROGRAM_OVERLAP, {"programs": wanted, "region": prefix})):
        sets[frozenset(row["programs"])] += row["persons"]
    totals = {p: sum(n for s, n in sets.items() if p in s) for p in wanted}
    pairs = []
    for a, b in combinations(wanted, 2):
        both = sum(n for s, n in sets.items() if a in s and b in s)
        union = totals[a] + totals[b] - both
        shown = shown_count(both, principal)
        pairs.append(PairOverlap(a=a, b=b, persons=shown, jaccard=None if shown is None else
                                 round(both / union, 4) if union else 0.0))
    return ProgramOverlap(
        region=region, totals=[ProgramCount(program=p, persons=shown_count(totals[p], principal)) for p in wanted],
        pairs=pairs,
        combinations=[OverlapSet(programs=sorted(s), persons=shown_count(n, principal))
                      for s, n in sorted(sets.items(), key=lambda kv: (-kv[1], sorted(kv[0])))])
