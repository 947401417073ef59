"""Statistics answered once per data change: their rows cached in the hub's Redis.

The one rule that keeps a cached answer exact: its key holds the graph's data stamp
(``graph_schema.statistics_queries.DATA_STAMP``), and every load, link and API write that
commits gives the graph a new stamp (``mark_data_changed``). A changed graph is therefore never
answered from an older key; old keys are not deleted, they expire (``TTL_S``, an hour: under
steady writes every ask makes a new key, and the hour bounds what they hold).

What is cached is the statement's rows, exact counts included: the small-count protection
is applied per caller after reading them (``hub.privacy.disclosure.shown_count``), so one
cached answer serves every role. Redis holds them server-side only, as it holds API keys.
"""

from __future__ import annotations

import contextlib

import orjson
from redis.asyncio import Redis
from redis.exceptions import RedisError

from graph_schema.port import Row

TTL_S = 3600  # a stamp that a write has replaced is never read again: its keys only wait to expire


class StatsCache:
    """Rows of statistic statements in Redis, keyed by graph, statistic, region, level, month and data stamp."""

    def __init__(self, redis: Redis, graph: str, ttl_s: int = TTL_S) -> None:
        self._redis = redis
        self._prefix = f"hub:{graph}:stats:"
        self._ttl_s = ttl_s

    def key(self, stamp: str, kind: str, region: str, level: int, month: bool) -> str:
        return f"{self._prefix}{stamp}:{kind}:{region or '-'}:{level}:{int(month)}"

    async def get(self, key: str) -> list[Row] | None:
        """The cached rows, or None (not cached, or Redis did not answer: the caller counts afresh)."""
        try:
            raw = await self._redis.get(key)
        except RedisError:
            return None
        if raw is None:
            return None
        rows: list[Row] = orjson.loads(raw)
        return rows

    async def put(self, key: str, rows: list[Row]) -> None:
        with contextlib.suppress(RedisError):  # a cache that cannot be written is only slower, never wrong
            await self._redis.set(key, orjson.dumps(rows), ex=self._ttl_s)
