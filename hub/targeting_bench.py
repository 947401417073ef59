"""``hub bench targeting``: worklists, exports and statistics on a synthetic population, as one JSON object.

A population of ``--persons`` is made, loaded and linked into a graph of its own (``bench_workspace``;
removed afterwards). Then, through the service functions the API and ``hub export`` call:

- ``worklist_first_page_p95_ms``: a regency's first page of 50 (the regency the rule flags most in),
  ``worklist_count_p95_ms``: its counts per district, ``worklist_count_province_p95_ms``: the
  province's per regency; the same for a household rule (``worklist_household_*``);
- ``export_rows_per_s``: the province's worklist written as XLSX in the KIS-PBI APBD layout (rows
  gathered, file made, audited), with ``export_rows`` and ``export_s``;
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
from hub.export.export import ExportRequest, build_export
from hub.privacy.access import Principal, Role
from hub.privacy.audit import AuditLog
from hub.settings import Settings
from hub.store import open_store
from resolvers.worklists import counts, page, region_codes, rule_named

PERSON_RULE = "dtks-poor-without-kis"
HOUSEHOLD_RULE = "dtks-poor-household-without-kis"
PROVINCE = "33"
PAGE = 50


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
        "export_rows": made.rows, "export_s": round(export_s, 2), "export_bytes": len(made.content),
        "export_rows_per_s": round(made.rows / export_s) if export_s else None,
    }


def bench_targeting(
    persons: Annotated[int, typer.Option(help="Persons in the synthetic population.")] = 100_000,
    seed: Annotated[int, typer.Option(help="Seed of the population.")] = 7,
    repeats: Annotated[int, typer.Option(help="Timed runs of each worklist request (p95 of them).")] = 20,
) -> None:
    """Worklist pages and counts, an XLSX export and every statistic, timed; prints one JSON object."""
    with bench_workspace("targeting", persons, seed) as ws:
        started = time.perf_counter()
        asyncio.run(statistics_bench.load_population(ws.settings, ws.data, ws.scratch))
        loaded_s = time.perf_counter() - started
        figures = asyncio.run(_measure(ws.settings, AuditLog(ws.scratch / "audit"), repeats))
        stats = statistics_bench.measure(ws.settings)
    print(json.dumps({"persons": persons, "load_and_link_s": round(loaded_s, 1), **figures,
                      "statistics_cold_max_ms": stats.get("statistics_cold_max_ms"),
                      "statistics_cached_max_ms": stats.get("statistics_cached_max_ms"),
                      "statistics": {k: v for k, v in stats.items() if not k.startswith("statistics_")},
                      "peak_rss_mb": round(peak_rss_mb())}))
