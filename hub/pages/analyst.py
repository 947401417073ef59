"""The analyst's pages: program coverage per region with drill-down, and overlaps between programs.

Every number comes from the API's own answer (``programCoverage``, ``programOverlap`` through
``hub.pages.gql``), so a count the API withholds for the role (1 to 4 persons) is withheld here
too, shown as ``<5`` in the table and the CSV and left out of the chart. The worklists, the
statistics and the household network live in ``analyst_worklist``, ``analyst_statistics`` and
``analyst_network``; this module gathers their routes.
"""

from __future__ import annotations

from functools import cache
from typing import Any
from urllib.parse import quote, urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from hub.pages import analyst_network, analyst_statistics, analyst_worklist
from hub.pages.charts import bar_chart, embed
from hub.pages.gql import PageError, query
from hub.pages.guard import may, page
from hub.pages.regions import LEVELS, WITHHELD, breadcrumbs, region_param
from hub.pages.render import Table, csv_or_page, render
from hub.privacy.access import Permission
from loaders.mapping import FactType, mapping_for, shipped_sources
from resolvers.scope import scope_param

MAX_OVERLAP_PROGRAMS = 4

COVERAGE = """query Coverage($program: String!, $region: String, $level: Int) {
  programCoverage(program: $program, region: $region, level: $level) {
    region { code name level } persons dtksPersons enrolled enrolledInDtks coverage
  }
}"""

OVERLAP = """query Overlap($programs: [String!]!, $region: String) {
  programOverlap(programs: $programs, region: $region) {
    totals { program persons } pairs { a b persons jaccard } combinations { programs persons }
  }
}"""


@cache
def programs() -> dict[str, str]:
    """Program code -> name, as the shipped roster mappings declare them (the programs the hub loads)."""
    found: dict[str, str] = {}
    for source in shipped_sources():
        for fact in mapping_for(source).facts:
            values = fact.values()
            code = values.get("program") if fact.type == FactType.ENROLMENT else None
            if isinstance(code, str) and not code.startswith("$") and code not in found:
                found[code] = str(values.get("program_name") or code)
    return found


def shown(value: int | None) -> int | str:
    return WITHHELD if value is None else value


def percent(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.1f}"


def program_param(request: Request, name: str = "program") -> list[str]:
    """The program codes asked for, each checked against the known programs.

    Raises:
        PageError: a code that is not a known program.
    """
    known = programs()
    asked = [p.strip().upper() for p in request.query_params.getlist(name) if p.strip()]
    for code in asked:
        if code not in known:
            raise PageError(f"Program {code[:30]!r} tidak dikenal. Pilih salah satu: {', '.join(known)}.")
    return list(dict.fromkeys(asked))


@page(permission=Permission.AGGREGATES)
async def index(request: Request) -> Response:
    principal = request.state.signed.principal
    return render(request, "analyst/index.html", title="Analisis", withheld=WITHHELD,
                  sees_network=may(principal, Permission.HOUSEHOLD))


@page(permission=Permission.AGGREGATES)
async def coverage(request: Request) -> Response:
    """Coverage of one program per region, one level below the region asked (provinces without one)."""
    asked = program_param(request)
    program = asked[0] if asked else next(iter(programs()))
    region = region_param(request)
    scoped = scope_param(request.state.signed.principal) is not None
    variables: dict[str, Any] = {"program": program, "region": region}
    if region is None and not scoped:
        variables["level"] = 1  # the provinces; a scoped key starts one level below its own region
    data = await query(request, COVERAGE, variables)
    rows = data["programCoverage"]
    drillable = region is None or len(region.split(".")) < 4
    table = Table(
        name="cakupan",
        caption=f"Cakupan {programs()[program]} per wilayah",
        columns=["Kode wilayah", "Wilayah", "Jumlah orang", "Orang di DTKS", "Penerima program",
                 "Penerima yang ada di DTKS", "Cakupan DTKS (%)"],
        rows=[[r["region"]["code"], r["region"]["name"] or "", shown(r["persons"]), shown(r["dtksPersons"]),
               shown(r["enrolled"]), shown(r["enrolledInDtks"]), percent(r["coverage"])] for r in rows],
        links={0: f"{request.url.path}?program={quote(program)}&wilayah={{value}}"} if drillable else {},
    )
    chart = bar_chart([(f"{r['region']['name'] or r['region']['code']}", r["coverage"]) for r in rows],
                      category="Wilayah", value="Cakupan DTKS", percent=True)
    level = rows[0]["region"]["level"] if rows else None
    return csv_or_page(request, "analyst/coverage.html", [table], title="Cakupan program", program=program,
                       programs=programs(), region=region, crumbs=breadcrumbs(region),
                       level_name=LEVELS.get(level or 0, "Wilayah"), chart=embed(chart, "grafik-cakupan"),
                       withheld=WITHHELD, crumb_href=lambda code: f"{request.url.path}?" + urlencode(
                           [("program", program), *([("wilayah", code)] if code else [])]))


@page(permission=Permission.AGGREGATES)
async def overlap(request: Request) -> Response:
    """How 2 to 4 programs overlap in a region: totals, pairs and exact combinations."""
    asked = program_param(request)
    region = region_param(request)
    tables: list[Table] = []
    chart = None
    if asked:
        if not 2 <= len(asked) <= MAX_OVERLAP_PROGRAMS:
            raise PageError(f"Pilih 2 sampai {MAX_OVERLAP_PROGRAMS} program untuk dibandingkan "
                            f"(terpilih {len(asked)}).")
        data = (await query(request, OVERLAP, {"programs": asked, "region": region}))["programOverlap"]
        tables = [
            Table("penerima", ["Program", "Penerima"],
                  [[t["program"], shown(t["persons"])] for t in data["totals"]], "Penerima tiap program"),
            Table("pasangan", ["Program A", "Program B", "Penerima keduanya", "Indeks Jaccard"],
                  [[p["a"], p["b"], shown(p["persons"]), "" if p["jaccard"] is None else p["jaccard"]]
                   for p in data["pairs"]], "Irisan tiap pasangan program"),
            Table("kombinasi", ["Kombinasi program", "Orang"],
                  [[" + ".join(c["programs"]), shown(c["persons"])] for c in data["combinations"]],
                  "Orang menurut kombinasi program yang persis diterima"),
        ]
        chart = embed(bar_chart([(" + ".join(c["programs"]), c["persons"]) for c in data["combinations"]],
                                category="Kombinasi program", value="Orang"), "grafik-irisan")
    return csv_or_page(request, "analyst/overlap.html", tables, title="Irisan program", asked=asked,
                       programs=programs(), region=region or "", crumbs=breadcrumbs(region), chart=chart,
                       withheld=WITHHELD, max_programs=MAX_OVERLAP_PROGRAMS,
                       crumb_href=lambda code: f"{request.url.path}?" + urlencode(
                           [*[("program", p) for p in asked], *([("wilayah", code)] if code else [])]))


routes: list[BaseRoute] = [
    Route("/analisis", index, methods=["GET"]),
    Route("/analisis/cakupan", coverage, methods=["GET"]),
    Route("/analisis/irisan", overlap, methods=["GET"]),
    *analyst_worklist.routes,
    *analyst_statistics.routes,
    *analyst_network.routes,
]
