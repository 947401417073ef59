"""``hub bench targeting``: worklists, exports and statistics on a synthetic population, as one JSON object.

A population of ``--persons`` is made, loaded and linked into a graph of its own (``bench_workspace``;
removed afterwards), or with ``--existing`` the configured graph is measured as it is (loaded and
linked before, e.g. by ``hub synth``, ``hub load-dir`` and ``hub match``). Then, through the
service functions the API and ``hub export`` call:

- ``worklist_first_page_p95_ms``: a regency's first page of 50 (the regency the rule flags most in),
  ``worklist_count_p95_ms``: its counts per district, ``worklist_count_province_p95_ms``: the
  province's per regency; the same for a household rule (``worklist_household_*``);
- ``export_rows_per_s``: a 100,000-row export (``EXPORT_ROWS``; every person of the province when it
  holds fewer): the first persons of the province in village order (a worklist page of everyone),
  read, written as XLSX in the KIS-PBI APBD layout, hashed and audited (``export_persons``), with
  ``export_rows`` and ``export_s``;
- ``export_rule_rows_per_s``: the province's worklist of ``PERSON_RULE`` exported the same way (the rule
  evaluated over the whole province first: ``build_export``), with ``export_rule_rows`` and ``export_rule_s``;
- ``statistics_cold_max_ms`` and ``statistics_cached_max_ms``: ``hub.statistics_bench.measure``.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import typer

from graph_schema.port import GraphStore
from hub import statistics_bench
from hub.bench_support import bench_workspace, peak_rss_mb, percentile
from hub.export.bulk import bulk_reading
from hub.export.export import ExportRequest, build_export, export_persons
from hub.export.layout import load_layout
from hub.privacy.access import Principal, Role
from hub.privacy.audit import AuditLog
from hub.settings import Settings, load_settings
from hub.store import embedded_server, open_store
from resolvers.gaps import GapRule
from resolvers.worklists import counts, page, region_codes, rule_named

PERSON_RULE = "dtks-poor-without-kis"
HOUSEHOLD_RULE = "dtks-poor-household-without-kis"
PROVINCE = "33"
PAGE = 50
EXPORT_ROWS = 100_000
# A rule that names no condition flags everyone: the big export's persons (every person of the province).
EVERYONE = GapRule(id="everyone", title="everyone", explanation="every person", suggest="none")


async def _timed(repeats: int, work: Callable[[], Awaitable[Any]]) -> float:
    """p95 of ``repeats`` runs of ``work``, in ms (after one unmeasured run)."""
    await work()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        await work()
        times.append((time.perf_counter() - started) * 1000)
    return round(percentile(times, 0.95), 1)


async def _worklist_figures(store: GraphStore, rule_id: str, repeats: int) -> dict[str, Any]:
    rule = rule_named(rule_id)
    province = await region_codes(store, PROVINCE)
    per_regency = await counts(store, rule, province)
    busiest = max(per_regency, key=lambda c: c.count)
    regency = await region_codes(store, busiest.code)

    async def first_page() -> None:
        await page(store, rule, await region_codes(store, busiest.code), None, PAGE)

    async def regency_count() -> None:
        await counts(store, rule, await region_codes(store, busiest.code))

    async def province_count() -> None:
        await counts(store, rule, await region_codes(store, PROVINCE))

    return {"regency": regency.code, "regency_flagged": busiest.count,
            "province_flagged": sum(c.count for c in per_regency),
            "first_page_p95_ms": await _timed(repeats, first_page),
            "count_p95_ms": await _timed(repeats, regency_count),
            "count_province_p95_ms": await _timed(max(3, repeats // 3), province_count)}


async def _measure(settings: Settings, audit: AuditLog, repeats: int) -> dict[str, Any]:
    store = await open_store(settings, autostart=False)
    try:
        person = await _worklist_figures(store, PERSON_RULE, repeats)
        household = await _worklist_figures(store, HOUSEHOLD_RULE, repeats)
        operator = Principal("bench", "hub bench targeting", Role.ADMIN)
        exported = await _export_figures(store, audit, operator)
        started = time.perf_counter()
        made = await build_export(store, audit, operator, ExportRequest(layout="kis_pbi_apbd", fmt="xlsx",
                                                                        region=PROVINCE, rule=PERSON_RULE))
        export_s = time.perf_counter() - started
    finally:
        await store.close()
    return {
        "worklist_rule": PERSON_RULE, "worklist_regency": person["regency"],
        "worklist_regency_flagged": person["regency_flagged"], "worklist_province_flagged": person["province_flagged"],
        "worklist_first_page_p95_ms": person["first_page_p95_ms"], "worklist_count_p95_ms": person["count_p95_ms"],
        "worklist_count_province_p95_ms": person["count_province_p95_ms"],
        "worklist_household_rule": HOUSEHOLD_RULE,
        "worklist_household_regency_flagged": household["regency_flagged"],
        "worklist_household_first_page_p95_ms": household["first_page_p95_ms"],
        "worklist_household_count_p95_ms": household["count_p95_ms"],
        "worklist_household_count_province_p95_ms": household["count_province_p95_ms"],
        **exported,
        "export_rule_rows": made.rows, "export_rule_s": round(export_s, 2), "export_rule_bytes": len(made.content),
        "export_rule_rows_per_s": round(made.rows / export_s) if export_s else None,
    }


async def _export_figures(store: GraphStore, audit: AuditLog, operator: Principal) -> dict[str, Any]:
    """A 100,000-row export: the first persons of the province (a worklist page of everyone), read,
    written as XLSX, hashed and audited, timed from the worklist request to the file."""
    started = time.perf_counter()
    with bulk_reading():  # as build_export finds its persons
        province = await region_codes(store, PROVINCE)
        flagged, _ = await page(store, EVERYONE, province, None, EXPORT_ROWS)
        request = ExportRequest(layout="kis_pbi_apbd", fmt="xlsx", region=PROVINCE, rule=EVERYONE.id)
        made = await export_persons(store, audit, operator, load_layout("kis_pbi_apbd"), request,
                                    [f.id for f, _ in flagged], province.code, f"the first {EXPORT_ROWS} persons")
    seconds = time.perf_counter() - started
    return {"export_rows": made.rows, "export_s": round(seconds, 2), "export_bytes": len(made.content),
            "export_rows_per_s": round(made.rows / seconds) if seconds else None}


def bench_targeting(
    persons: Annotated[int, typer.Option(help="Persons in the synthetic population.")] = 100_000,
    seed: Annotated[int, typer.Option(help="Seed of the population.")] = 7,
    repeats: Annotated[int, typer.Option(help="Timed runs of each worklist request (p95 of them).")] = 20,
    existing: Annotated[bool, typer.Option(help="Measure the configured graph as it is (loaded and linked "
                                                "before; --persons and --seed do not apply); no population is "
                                                "made, nothing is removed, its reads are in the hub's audit log.")] = False,
) -> None:
    """Worklist pages and counts, an XLSX export and every statistic, timed; prints one JSON object."""
    if existing:
        settings = load_settings()
        if settings.embedded:
            embedded_server(settings).start()
        # The hub's own audit log: the bench reads the persons of a real graph, and says so there.
        figures = asyncio.run(_measure(settings, AuditLog.of(settings), repeats))
        stats = statistics_bench.measure(settings)
        print(json.dumps(_figures(None, None, figures, stats)))
        return
    with bench_workspace("targeting", persons, seed) as ws:
        started = time.perf_counter()
        asyncio.run(statistics_bench.load_population(ws.settings, ws.data, ws.scratch))
        loaded_s = time.perf_counter() - started
        figures = asyncio.run(_measure(ws.settings, AuditLog(ws.scratch / "audit"), repeats))
        stats = statistics_bench.measure(ws.settings)
    print(json.dumps(_figures(persons, round(loaded_s, 1), figures, stats)))


def _figures(persons: int | None, loaded_s: float | None, figures: dict[str, Any],
             stats: dict[str, Any]) -> dict[str, Any]:
    return {"persons": persons, "load_and_link_s": loaded_s, **figures,
            "statistics_cold_max_ms": stats.get("statistics_cold_max_ms"),
            "statistics_cached_max_ms": stats.get("statistics_cached_max_ms"),
            "statistics": {"regency": stats.get("statistics_regency"), "cold_ms": stats.get("statistics_cold_ms"),
                           "cached_ms": stats.get("statistics_cached_ms")},
            "peak_rss_mb": round(peak_rss_mb())}
