"""The GraphQL shape of the statistics beyond programs (resolvers/statistics.py counts them)."""

from __future__ import annotations

from enum import Enum

import strawberry

from resolvers.types.aggregates import WITHHELD
from resolvers.types.region import RegionRef


@strawberry.enum(description="What a statistic counts. Each says what its count, persons and extra are.")
class StatisticKind(Enum):
    PPKS_BY_CATEGORY = "ppks_by_category"
    PSKS_BY_KIND = "psks_by_kind"
    COMPLAINTS_BY_STATUS = "complaints_by_status"
    REFERRALS_BY_STATUS = "referrals_by_status"
    REFERRALS_BY_AGENCY = "referrals_by_agency"
    OUTREACH_ENCOUNTERS = "outreach_encounters"
    PROPOSALS_BY_STATUS = "proposals_by_status"
    PROPOSALS_BY_WELFARE = "proposals_by_welfare"
    PANTI_RESIDENTS = "panti_residents"
    PANTI_ATTENDANCE = "panti_attendance"


@strawberry.type(description="One cell: a region (and month), one group. Counts are " + WITHHELD + ".")
class StatisticCell:
    region: RegionRef
    month: str | None = strawberry.field(description="YYYY-MM; null unless asked by month (and dated).")
    group: str | None = strawberry.field(description="What is counted apart (category code, status, agency or "
                                         "program code, welfare category, panti id); null where nothing is.")
    label: str | None = strawberry.field(description="The group's name where it has one beside its code.")
    count: int | None = strawberry.field(description="See Statistic.countMeans.")
    persons: int | None = strawberry.field(description="See Statistic.personsMeans; null where it has none.")
    extra: int | None = strawberry.field(description="See Statistic.extraMeans; null where it has none.")
    rate: float | None = strawberry.field(description="extra / count where Statistic.rateMeans says so, else null; "
                                          "null too where persons is withheld.")


@strawberry.type(description="Counts per region one level below `region` (or at `level`), per month where asked.")
class Statistic:
    kind: StatisticKind
    region: str | None = strawberry.field(description="The dotted code counted within; null: the whole graph.")
    level: int = strawberry.field(description="The level of the cells' regions: 2 regency, 3 district, 4 village.")
    by_month: bool = strawberry.field(description="Whether cells are per month (a kind without dates never is).")
    dated: bool = strawberry.field(description="Whether this kind can be counted per month.")
    count_means: str
    persons_means: str | None
    extra_means: str | None
    rate_means: str | None
    cached: bool = strawberry.field(description="Answered from the cache (the data has not changed since it was "
                                    "counted); the counts are exact either way.")
    cells: list[StatisticCell]
