"""How long a statistic takes, cold (no cached answer) and cached: what ``hub bench statistics`` and
``hub bench targeting`` print.

``measure`` times every kind through ``resolvers.statistics.statistic`` (the function the API and
the pages call: data stamp, Redis, the graph), as an admin, for the province (per regency), the
regency with most persons (per district) and that regency per month. A cold answer is asked of
a cache namespace no request has used, so nothing is cached for it; the cached answer is then
asked again ``cached_repeats`` times.
"""

from __future__ import annotations

import asyncio
import statistics as stats
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from graph_schema import statistics_queries
from graph_schema.port import GraphStore
from hub.privacy.access import Principal, Role
from hub.settings import Settings
from hub.store import open_redis, open_store
from hub.synth.run import SOURCE_ORDER
from resolvers.statistics import statistic
from resolvers.stats_cache import StatsCache
from resolvers.types.statistics import StatisticKind


async def load_population(settings: Settings, data: Path, work: Path) -> None:
    """Load every source file of a ``hub synth`` folder into the graph ``settings`` name and link it."""
    from loaders.mapping import mapping_for
    from loaders.run import load_file
    from matching.pipeline import run_match

    store = await open_store(settings)
    try:
        await store.ensure_schema(datetime.now(UTC).isoformat(timespec="seconds"))
        for source in SOURCE_ORDER:
            await load_file(store, mapping_for(source), data / f"{source}.csv", work / "reports")
        await run_match(store, work / "model.json")
    finally:
        await store.close()


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


async def _measure(store: GraphStore, settings: Settings, regency: str | None, cold_repeats: int,
                   cached_repeats: int) -> dict[str, Any]:
    admin = Principal(key_id="bench", name="hub bench statistics", role=Role.ADMIN)
    if regency is None:
        rows = await store.run(statistics_queries.BIGGEST_REGENCY)
        regency = rows[0]["regency"] if rows else ""
    asks = [("", None, False), (regency, None, False), (regency, None, True)]
    redis = await open_redis(settings)
    cold: dict[str, float] = {}
    cached: dict[str, float] = {}
    try:
        for kind in StatisticKind:
            colds, warms = [], []
            for region, level, month in asks:
                runs = []
                for _ in range(cold_repeats):
                    cache = StatsCache(redis, f"{settings.graph_name}:bench-{uuid.uuid4().hex[:8]}", ttl_s=600)
                    started = time.perf_counter()
                    first = await statistic(store, cache, admin, kind, region, level, month)
                    runs.append(_ms(started))
                    assert not first.cached
                colds.append(stats.median(runs))
                for _ in range(cached_repeats):
                    started = time.perf_counter()
                    again = await statistic(store, cache, admin, kind, region, level, month)
                    warms.append(_ms(started))
                    assert again.cached
            cold[kind.name] = round(max(colds), 2)
            cached[kind.name] = round(stats.median(warms), 2)
    finally:
        await redis.aclose()
    return {"statistics_cold_max_ms": max(cold.values()), "statistics_cached_max_ms": max(cached.values()),
            "statistics_regency": regency, "statistics_cold_ms": cold, "statistics_cached_ms": cached}


def measure(settings: Settings, regency: str | None = None, cold_repeats: int = 3,
            cached_repeats: int = 20) -> dict[str, Any]:
    """Figures of every statistic on the graph ``settings`` name (already loaded and linked).

    Returns ``statistics_cold_max_ms`` and ``statistics_cached_max_ms`` (the slowest kind: the
    median of its cold runs on its slowest ask, the median of its cached runs), with each kind's.
    """
    async def run() -> dict[str, Any]:
        store = await open_store(settings, autostart=False)
        try:
            return await _measure(store, settings, regency, cold_repeats, cached_repeats)
        finally:
            await store.close()

    return asyncio.run(run())
