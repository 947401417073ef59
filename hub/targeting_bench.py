"""``hub bench targeting``: worklists, exports and statistics on a synthetic population, as one JSON object.

A population of ``--persons`` is made, loaded and linked into a graph of its own (``bench_workspace``;
removed afterwards). Then, through the service functions the API and ``hub export`` call:

- ``worklist_first_page_p95_ms``: a regency's first page of 50 (the regency the rule flags most in),
  ``worklist_count_p95_ms``: its counts per district, ``worklist_count_province_p95_ms``: the
  province's per regency; the same for a household rule (``worklist_household_*``);
- ``export_rows_per_s``: the province's worklist written as XLSX in the KIS-PBI APBD layout (rule
  evaluated, rows gathered, file made, audited), with ``export_rows`` and ``export_s``;
- ``export_all_rows_per_s``: every person of the province read (``export_rows``) and written as XLSX
  (``write_file``), the rows of a big export without a rule to evaluate, with ``export_all_rows``;
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
from hub.export.export import ExportRequest, build_export, export_rows, write_file
from hub.export.layout import load_layout
from hub.privacy.access import Principal, Role
from hub.privacy.audit import AuditLog
from hub.settings import Settings
from hub.store import open_store
from resolvers.gaps import GapRule
from resolvers.worklists import counts, every_flagged, page, region_codes, rule_named

PERSON_RULE = "dtks-poor-without-kis"
HOUSEHOLD_RULE = "dtks-poor-household-without-kis"
PROVINCE = "33"
PAGE = 50
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
        started = time.perf_counter()
        made = await build_export(store, audit, operator, ExportRequest(layout="kis_pbi_apbd", fmt="xlsx",
                                                                        region=PROVINCE, rule=PERSON_RULE))
        export_s = time.perf_counter() - started
        written = await _write_figures(store, operator)
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
        "export_rows_per_s": round(made.rows / export_s) if export_s else None, **written,
    }


async def _write_figures(store: GraphStore, operator: Principal) -> dict[str, Any]:
    """Rows read and written as XLSX for every person of the province (a big export without the rule)."""
    ids = [f.id for f in await every_flagged(store, EVERYONE, await region_codes(store, PROVINCE))]
    started = time.perf_counter()
    rows = await export_rows(store, ids)
    read_s = time.perf_counter() - started
    content = write_file(load_layout("kis_pbi_apbd"), "xlsx", rows, operator)
    written_s = time.perf_counter() - started
    return {"export_all_rows": len(rows), "export_all_read_s": round(read_s, 2), "export_all_s": round(written_s, 2),
            "export_all_bytes": len(content), "export_all_rows_per_s": round(len(rows) / written_s) if rows else None}


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
                      "statistics": {"regency": stats.get("statistics_regency"),
                                     "cold_ms": stats.get("statistics_cold_ms"),
                                     "cached_ms": stats.get("statistics_cached_ms")},
                      "peak_rss_mb": round(peak_rss_mb())}))
