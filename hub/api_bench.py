"""``hub bench api``: the full-history query over HTTP against the bare Cypher floor.

The API runs as its own process (``hub serve``), as in production, so the load generator
does not share its interpreter. The floor is the same three batched queries the API sends
(``PERSON_CORE_BY_IDS``, ``EVENTS_BY_PERSONS``, ``HOUSEHOLDS_BY_KKS``), run bare from here.
Requests go out through a lean keep-alive client (``hub.http_load``) so that the figures are
the server's; the sequential p50 through httpx is printed beside them.
"""

from __future__ import annotations

import asyncio
import gc
import json
import random
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import replace
from typing import Annotated, Any, TypeVar

import httpx
import typer

from graph_schema import api_queries
from graph_schema.port import GraphStore
from hub.api.example import FULL_HISTORY
from hub.api.keys import ApiKeys
from hub.api_cli import check_port_free, tune_gc_for_serving, with_redis
from hub.http_load import KeepAliveClient
from hub.privacy.access import Role
from hub.store import run_with_store, using_store

T = TypeVar("T")


def same_loop_as_server(work: Coroutine[Any, Any, T]) -> T:
    """Run on the event loop ``hub serve`` runs on (uvicorn takes uvloop when it is installed),
    so that the floor and the load generator are timed as the server is."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(work)
    return uvloop.run(work)


async def _raw(store: GraphStore, people: list[str]) -> list[float]:
    latencies = []
    for person_id in people:
        t = time.perf_counter()
        (core,) = await store.run(api_queries.PERSON_CORE_BY_IDS, {"keys": [person_id]})
        kks = [h["kk"] for h in core["households"] or []][:1]
        await asyncio.gather(store.run(api_queries.EVENTS_BY_PERSONS, {"keys": [person_id]}),
                             store.run(api_queries.HOUSEHOLDS_BY_KKS, {"keys": kks}))
        latencies.append((time.perf_counter() - t) * 1000)
    return latencies


async def _drive(port: int, key: str, people: list[str], concurrency: int,
                 client: str = "lean") -> tuple[list[float], float]:
    """Full histories of ``people`` from ``concurrency`` workers; each request's latency (ms) and the wall time.

    ``client``: "lean" (``hub.http_load``, the figures) or "httpx" (what a Python app would see).
    """
    queue = list(people)
    latencies: list[float] = []
    headers = {"Authorization": f"Bearer {key}"}

    async def post(send: Callable[[dict[str, Any]], Awaitable[tuple[int, bytes]]]) -> None:
        while queue:
            person_id = queue.pop()
            t = time.perf_counter()
            status, body = await send({"query": FULL_HISTORY, "variables": {"personId": person_id}})
            latencies.append((time.perf_counter() - t) * 1000)
            if status != 200 or "errors" in json.loads(body):
                raise RuntimeError(f"the API answered {status}: {body[:300]!r}")

    async def lean_worker() -> None:
        async with KeepAliveClient("127.0.0.1", port, headers) as lean:
            await post(lambda payload: lean.post_json("/graphql", payload))

    async def httpx_worker(session: httpx.AsyncClient) -> None:
        async def send(payload: dict[str, Any]) -> tuple[int, bytes]:
            response = await session.post(f"http://127.0.0.1:{port}/graphql", json=payload, headers=headers)
            return response.status_code, response.content

        await post(send)

    started = time.perf_counter()
    if client == "lean":
        await asyncio.gather(*(lean_worker() for _ in range(concurrency)))
    else:
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        async with httpx.AsyncClient(timeout=60, limits=limits) as session:
            await asyncio.gather(*(httpx_worker(session) for _ in range(concurrency)))
    return latencies, time.perf_counter() - started


def bench_api(
    persons: Annotated[int, typer.Option(help="Population size to synthesise, load and link.")] = 20_000,
    requests: Annotated[int, typer.Option(help="Full-history requests to time.")] = 2000,
    concurrency: Annotated[int, typer.Option(help="Requests in flight at once.")] = 4,
    port: Annotated[int, typer.Option(help="Where the benchmark's API listens.")] = 8765,
    seed: Annotated[int, typer.Option()] = 42,
    backend: Annotated[str, typer.Option(help="falkordb, neo4j (a managed local Neo4j the bench starts and "
                                         "stops) or both: the same data through each, figures side by side.")] = "falkordb",
) -> None:
    """Synth, load and link a population, serve it, drive the full-history query; print figures as JSON."""
    from hub.bench_support import backends_of, run_on_backends

    backends_of(backend)
    check_port_free("127.0.0.1", port)
    print(json.dumps(run_on_backends(backend, lambda: _api_figures(persons, requests, concurrency, port, seed))))


def _api_figures(persons: int, requests: int, concurrency: int, port: int, seed: int) -> dict[str, Any]:
    from hub.bench_support import bench_workspace, peak_rss_mb, percentile, start_api_server
    from hub.load_cli import _load_all, _source_files
    from matching.pipeline import run_match

    with bench_workspace("api", persons, seed) as work:
        # A managed Neo4j keeps its password under HUB_HOME: its home stays where the bench started it.
        settings = replace(work.settings, home=work.scratch / "hub") if work.settings.embedded else work.settings
        asyncio.run(_load_all(settings, _source_files(work.data), work.scratch / "reports", 5000, quiet=True))

        records = run_with_store(settings, lambda store: run_match(store, work.scratch / "model.json")).records
        rows = run_with_store(settings, lambda store: store.run(api_queries.PERSON_KEYS))
        people = [r["person_id"] for r in random.Random(seed).sample(rows, min(requests, len(rows)))]
        _, key = with_redis(settings, lambda r: ApiKeys(r, settings.graph_name).create(Role.APP, "hub bench api"))
        raw = same_loop_as_server(using_store(settings, lambda store: _raw(store, people[:500])))
        server = start_api_server(settings, port)
        # The load generator's own collector passes over what synth, load and match left in this
        # process would be timed as server latency.
        tune_gc_for_serving()
        try:
            same_loop_as_server(_drive(port, key, people[:50], 1))  # warm-up: parser and validation caches, connections
            sequential, _ = same_loop_as_server(_drive(port, key, people[:500], 1))
            with_httpx, _ = same_loop_as_server(_drive(port, key, people[:500], 1, client="httpx"))
            latencies, seconds = same_loop_as_server(_drive(port, key, people, concurrency))
        finally:
            gc.unfreeze()  # so that what it holds is finalised at exit (duckdb complains of leaks otherwise)
            server.terminate()
            server.wait(timeout=30)
            if settings.embedded:
                run_with_store(settings, lambda store: store.clear())
    raw_p50 = percentile(raw, 0.5)
    return {
        "benchmark": "api", "persons": persons, "records": records, "requests": len(latencies),
        "concurrency": concurrency, "p50_ms": round(percentile(latencies, 0.5), 2),
        "p95_ms": round(percentile(latencies, 0.95), 2), "p99_ms": round(percentile(latencies, 0.99), 2),
        "requests_per_s": round(len(latencies) / seconds, 1),
        "sequential_p50_ms": round(percentile(sequential, 0.5), 2),
        "sequential_p99_ms": round(percentile(sequential, 0.99), 2),
        "sequential_p50_ms_httpx_client": round(percentile(with_httpx, 0.5), 2),
        "raw_p50_ms": round(raw_p50, 2), "raw_p99_ms": round(percentile(raw, 0.99), 2),
        "overhead_x_sequential_p50": round(percentile(sequential, 0.5) / raw_p50, 2) if raw_p50 else None,
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }
