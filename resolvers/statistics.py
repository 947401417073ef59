"""Statistics beyond programs: counts per region (and month), never persons, cached until the data changes.

The GraphQL field ``statistic``, ``hub stats`` and the pages all call ``statistic()``. The
caller's region scope is applied before (``resolvers.scope.region_within``); counts of 1 to 4
are withheld for a role that sees quasi-identifiers masked, as programCoverage's are
(``hub.privacy.disclosure.shown_count``), and so is a rate computed from them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from graph_schema import statistics_queries as sq
from graph_schema.port import GraphStore, Row
from hub.errors import InputError
from hub.privacy.access import Permission, Principal
from hub.privacy.disclosure import shown_count
from loaders.mapping import mapping_for
from resolvers.context import Info
from resolvers.scope import region_within
from resolvers.stats_cache import StatsCache
from resolvers.types.aggregates import CHILD_WIDTH, LEVEL_OF_WIDTH, LEVEL_WIDTH
from resolvers.types.region import RegionRef
from resolvers.types.statistics import Statistic, StatisticCell, StatisticKind


@dataclass(frozen=True)
class Spec:
    statement: str
    dated: bool
    count: str
    persons: str | None = None
    extra: str | None = None
    rate: str | None = None


_SUBJECTS = "distinct persons they are about"
SPECS: dict[StatisticKind, Spec] = {
    StatisticKind.PPKS_BY_CATEGORY: Spec(sq.PPKS_BY_CATEGORY, True, "PPKS registrations (by the date recorded)",
                                         "distinct persons registered"),
    StatisticKind.PSKS_BY_KIND: Spec(sq.PSKS_BY_KIND, False, "PSKS actors, in the district they are assigned to"),
    StatisticKind.COMPLAINTS_BY_STATUS: Spec(sq.COMPLAINTS_BY_STATUS, True, "SLRT complaints (by the date opened)",
                                             _SUBJECTS),
    StatisticKind.REFERRALS_BY_STATUS: Spec(sq.REFERRALS_BY_STATUS, True, "SLRT referrals, in the region of the "
                                            "complaint they follow up (by the date referred)", _SUBJECTS),
    StatisticKind.REFERRALS_BY_AGENCY: Spec(sq.REFERRALS_BY_AGENCY, True, "SLRT referrals per agency or program "
                                            "referred to, in the region of their complaint", _SUBJECTS),
    StatisticKind.OUTREACH_ENCOUNTERS: Spec(sq.OUTREACH_ENCOUNTERS, True, "street outreach encounters",
                                            "distinct persons met", "persons met twice or more (in the cell's region "
                                            "and month)"),
    StatisticKind.PROPOSALS_BY_STATUS: Spec(sq.PROPOSALS_BY_STATUS, True, "KIS-PBI APBD proposals (by the date "
                                            "proposed)", _SUBJECTS),
    StatisticKind.PROPOSALS_BY_WELFARE: Spec(sq.PROPOSALS_BY_WELFARE, True, "KIS-PBI APBD proposals per welfare "
                                             "category", _SUBJECTS),
    StatisticKind.PANTI_RESIDENTS: Spec(sq.PANTI_RESIDENTS, True, "panti stays, in the region the resident comes "
                                        "from (by the month they began)", "distinct residents",
                                        "stays still open (current residents)"),
    StatisticKind.PANTI_ATTENDANCE: Spec(sq.PANTI_ATTENDANCE, True, "attendance checks, in the region the resident "
                                         "comes from", "distinct residents checked", "checks present",
                                         "attendance rate: checks present / checks"),
}


def welfare_key() -> str:
    """The JSON text before a proposal row's welfare category (raw rows: json.dumps(sort_keys=True))."""
    return json.dumps(mapping_for("usulan_kis_pbi").fields["welfare"].column) + ': "'


def cell_width(prefix: str, level: int | None) -> int:
    """Code width of the cells: one level below ``prefix`` (regencies for none; a village itself), or ``level``.

    Raises:
        InputError: the level is not 1 to 4, or above the region.
    """
    if level is not None and level not in LEVEL_WIDTH:
        raise InputError(f"level: {level} must be 1 (province), 2 (regency), 3 (district) or 4 (village)")
    width = LEVEL_WIDTH[level] if level is not None else CHILD_WIDTH[len(prefix)]
    if width < len(prefix):
        raise InputError(f"level: {level} is above the region {prefix}; ask for a level below it")
    return width


async def count_rows(store: GraphStore, cache: StatsCache | None, kind: StatisticKind, prefix: str, width: int,
                     month: bool) -> tuple[list[Row], bool]:
    """The exact rows of a statistic, and whether they came from ``cache``.

    The data stamp is read before counting: rows counted while a change commits are kept under the
    stamp before it, which no request reads once the change has marked its own.
    """
    spec = SPECS[kind]
    by_month = month and spec.dated
    key = None
    if cache is not None:
        key = cache.key(await sq.data_stamp(store), kind.name, prefix, width, by_month)
        cached = await cache.get(key)
        if cached is not None:
            return cached, True
    params = {**sq.region_range(prefix), "width": width, "month": by_month}
    if kind is StatisticKind.PROPOSALS_BY_WELFARE:
        params["welfare_key"] = welfare_key()
    rows = [{**r, **{k: None if r[k] is None else int(r[k]) for k in ("n", "persons", "extra")}}
            for r in await store.run(spec.statement, params)]
    if cache is not None and key is not None:
        await cache.put(key, rows)
    return rows, False


async def statistic(store: GraphStore, cache: StatsCache | None, principal: Principal, kind: StatisticKind,
                    prefix: str, level: int | None, month: bool) -> Statistic:
    """``kind`` counted within the dotted region ``prefix`` ("" for all, already within the caller's scope)."""
    spec = SPECS[kind]
    width = cell_width(prefix, level)
    rows, cached = await count_rows(store, cache, kind, prefix, width, month)
    cells = []
    for r in rows:
        count, persons = shown_count(r["n"], principal), _shown(r["persons"], principal)
        extra = _shown(r["extra"], principal)
        rate = (round(r["extra"] / r["n"], 4) if spec.rate and r["n"] and extra is not None and count is not None
                and (r["persons"] is None or persons is not None) else None)
        cells.append(StatisticCell(region=RegionRef(code=r["area"], name=r["area_name"],
                                                    level=LEVEL_OF_WIDTH.get(len(r["area"] or ""))),
                                   month=r["month"], group=r["grp"], label=r["label"], count=count, persons=persons,
                                   extra=extra, rate=rate))
    return Statistic(kind=kind, region=prefix or None, level=LEVEL_OF_WIDTH[width], by_month=month and spec.dated,
                     dated=spec.dated, count_means=spec.count, persons_means=spec.persons, extra_means=spec.extra,
                     rate_means=spec.rate, cached=cached, cells=cells)


def _shown(count: int | None, principal: Principal) -> int | None:
    return None if count is None else shown_count(count, principal)


async def statistic_field(info: Info, kind: StatisticKind, region: str | None = None, level: int | None = None,
                          month: bool = False) -> Statistic:
    """The GraphQL field: the ``aggregates`` permission, within the key's region."""
    ctx = info.context
    ctx.principal.require(Permission.AGGREGATES)
    return await statistic(ctx.store, ctx.stats_cache, ctx.principal, kind, region_within(ctx.principal, region),
                           level, month)
