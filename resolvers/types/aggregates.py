"""Program coverage and overlap per region, for analysts (counts only: no personal data)."""

from __future__ import annotations

from collections import Counter
from itertools import combinations

import strawberry

from graph_schema import api_queries, queries
from graph_schema.port import GraphStore
from hub.errors import InputError, quote
from resolvers.arguments import region_argument
from resolvers.types.region import RegionRef

# Code length of a region -> length of the codes one level below it (Kemendagri: 33, 33.74, 33.74.01, 33.74.01.1001).
# No region: the regencies (an office's province is the whole graph).
CHILD_WIDTH = {0: 5, 2: 5, 5: 8, 8: 13, 13: 13}
LEVEL_WIDTH = {1: 2, 2: 5, 3: 8, 4: 13}
LEVEL_OF_WIDTH = {width: level for level, width in LEVEL_WIDTH.items()}


@strawberry.type(description="Coverage of one program in one region.")
class RegionCoverage:
    region: RegionRef
    persons: int = strawberry.field(description="Persons the hub places in the region.")
    dtks_persons: int = strawberry.field(description="Of them, persons with a DTKS record.")
    enrolled: int
    enrolled_in_dtks: int
    coverage: float | None = strawberry.field(description="enrolledInDtks / dtksPersons.")


@strawberry.type
class ProgramCount:
    program: str
    persons: int


@strawberry.type(description="Persons enrolled in both programs of a pair.")
class PairOverlap:
    a: str
    b: str
    persons: int
    jaccard: float


@strawberry.type(description="Persons whose enrolments among the asked programs are exactly this set.")
class OverlapSet:
    programs: list[str]
    persons: int


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


async def coverage(store: GraphStore, program: str, region: str | None, level: int | None) -> list[RegionCoverage]:
    prefix = region_prefix(region)
    if level is not None and level not in LEVEL_WIDTH:
        raise InputError(f"level: {level} must be 1 (province), 2 (regency), 3 (district) or 4 (village)")
    width = LEVEL_WIDTH[level] if level is not None else CHILD_WIDTH[len(prefix)]
    if width < len(prefix):
        raise InputError(f"level: {level} is above the region {region}; ask for a level below it")
    await _check_programs(store, [program])
    rows = await store.run(api_queries.PROGRAM_COVERAGE, {"program": program, "region": prefix, "width": width})
    return [RegionCoverage(region=RegionRef(code=r["area"], name=r["name"], level=LEVEL_OF_WIDTH.get(len(r["area"]))),
                           persons=r["persons"],
        dtks_persons=r["dtks_persons"], enrolled=r["enrolled"], enrolled_in_dtks=r["enrolled_in_dtks"],
        coverage=round(r["enrolled_in_dtks"] / r["dtks_persons"], 4) if r["dtks_persons"] else None)
        for r in rows]


async def overlap(store: GraphStore, programs: list[str], region: str | None) -> ProgramOverlap:
    prefix = region_prefix(region)
    wanted = sorted(set(programs))
    if not 2 <= len(wanted) <= 8:
        raise InputError("programs: give between 2 and 8 distinct program codes")
    await _check_programs(store, wanted)
    sets: Counter[frozenset[str]] = Counter()
    for row in await store.run(api_queries.PROGRAM_OVERLAP, {"programs": wanted, "region": prefix}):
        sets[frozenset(row["programs"])] += row["persons"]
    totals = {p: sum(n for s, n in sets.items() if p in s) for p in wanted}
    pairs = []
    for a, b in combinations(wanted, 2):
        both = sum(n for s, n in sets.items() if a in s and b in s)
        union = totals[a] + totals[b] - both
        pairs.append(PairOverlap(a=a, b=b, persons=both, jaccard=round(both / union, 4) if union else 0.0))
    return ProgramOverlap(
        region=region, totals=[ProgramCount(program=p, persons=totals[p]) for p in wanted], pairs=pairs,
        combinations=[OverlapSet(programs=sorted(s), persons=n)
                      for s, n in sorted(sets.items(), key=lambda kv: (-kv[1], sorted(kv[0])))])
