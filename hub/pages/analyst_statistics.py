"""The analyst's statistics: one chosen statistic per region (drillable) and, where it is dated, per month.

The numbers are the API's ``statistic`` answer for the signed-in officer (``hub.pages.gql``):
withheld counts (1 to 4 persons, for a role that sees quasi-identifiers masked) read ``<5`` in the
table and the CSV and stay out of the chart.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from hub.pages.charts import bar_chart, embed, line_chart
from hub.pages.gql import PageError, query
from hub.pages.guard import page
from hub.pages.regions import LEVELS, WITHHELD, breadcrumbs, region_param
from hub.pages.render import Table, csv_or_page
from hub.privacy.access import Permission

# StatisticKind -> what the office calls it.
KINDS = {
    "PPKS_BY_CATEGORY": "PPKS menurut jenis",
    "PSKS_BY_KIND": "PSKS menurut jenis",
    "COMPLAINTS_BY_STATUS": "Pengaduan menurut status",
    "REFERRALS_BY_STATUS": "Rujukan menurut status",
    "REFERRALS_BY_AGENCY": "Rujukan menurut lembaga tujuan",
    "OUTREACH_ENCOUNTERS": "Penjangkauan di jalan",
    "PROPOSALS_BY_STATUS": "Usulan KIS-PBI menurut status",
    "PROPOSALS_BY_WELFARE": "Usulan KIS-PBI menurut kategori kesejahteraan",
    "PANTI_RESIDENTS": "Penghuni panti",
    "PANTI_ATTENDANCE": "Kehadiran penghuni panti",
}
# Statistic column -> (its header here, the field that says what it means for the kind).
MEASURES = [("count", "Jumlah", "countMeans"), ("persons", "Orang", "personsMeans"),
            ("extra", "Tambahan", "extraMeans"), ("rate", "Rasio", "rateMeans")]

STATISTIC = """query Statistic($kind: StatisticKind!, $region: String, $month: Boolean!) {
  statistic(kind: $kind, region: $region, month: $month) {
    region byMonth dated countMeans personsMeans extraMeans rateMeans
    cells { region { code name level } month group label count persons extra rate }
  }
}"""


def _cell(value: Any, withheld: bool) -> Any:
    return WITHHELD if value is None and withheld else "" if value is None else value


@page(permission=Permission.AGGREGATES)
async def statistics(request: Request) -> Response:
    """The chosen statistic one level below the region asked, by month when asked and the kind is dated."""
    kind = request.query_params.get("jenis") or next(iter(KINDS))
    if kind not in KINDS:
        raise PageError(f"Jenis statistik {kind[:40]!r} tidak dikenal. Pilih salah satu dari daftar.")
    region = region_param(request)
    by_month = request.query_params.get("bulanan") == "1"
    stat = (await query(request, STATISTIC, {"kind": kind, "region": region, "month": by_month}))["statistic"]
    measures = [(field, header, stat[means]) for field, header, means in MEASURES if stat[means]]
    months = by_month and stat["dated"]
    cells = stat["cells"]
    columns = ["Kode wilayah", "Wilayah", *(["Bulan"] if months else []), "Kelompok",
               *[header for _, header, _ in measures]]
    rows = [[c["region"]["code"], c["region"]["name"] or "", *([c["month"] or ""] if months else []),
             c["label"] or c["group"] or "",
             *[_cell(c[field], field != "rate") for field, _, _ in measures]] for c in cells]
    deepest = max((c["region"]["level"] or 0 for c in cells), default=0)

    def href(code: str) -> str:
        return "/ui/analisis/statistik?" + urlencode(
            [("jenis", kind), *([("wilayah", code)] if code else []), *([("bulanan", "1")] if by_month else [])])

    table = Table(name="statistik", columns=columns, rows=rows, caption=KINDS[kind],
                  links={0: href("{value}").replace("%7Bvalue%7D", "{value}")} if deepest < 4 else {})
    first = measures[0][0] if measures else "count"
    if months:
        series = [(c["month"] or "", f"{c['region']['name'] or c['region']['code']} · {c['label'] or c['group'] or ''}",
                   c[first]) for c in cells]
        chart = line_chart(sorted(series), x_title="Bulan", y_title=measures[0][1] if measures else "Jumlah",
                           series_title="Wilayah · kelompok")
    else:
        chart = bar_chart([(f"{c['region']['name'] or c['region']['code']} · {c['label'] or c['group'] or ''}",
                            c[first]) for c in cells], category="Wilayah · kelompok",
                          value=measures[0][1] if measures else "Jumlah")
    return csv_or_page(request, "analyst/statistics.html", [table], title="Statistik", kind=kind, kinds=KINDS,
                       region=region, by_month=by_month, dated=stat["dated"], crumbs=breadcrumbs(region),
                       crumb_href=href, measures=measures, chart=embed(chart, "grafik-statistik"),
                       level_name=LEVELS.get(deepest, "Wilayah"), withheld=WITHHELD)


routes: list[BaseRoute] = [Route("/analisis/statistik", statistics, methods=["GET"])]
