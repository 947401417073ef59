"""FalkorDB's plan of a statement on a small graph of its own: what the index tests read."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from falkordb import FalkorDB

from graph_schema.dialect import FALKORDB
from graph_schema.falkordb_store import FalkorDBStore
from graph_schema.port import GraphStore
from hub.embedded_db import HOST, EmbeddedServer


async def falkordb_plan(server: EmbeddedServer, fill: Callable[[GraphStore], Awaitable[Any]], query: str,
                        params: dict[str, Any]) -> str:
    """The plan FalkorDB makes for ``query`` (rendered in its dialect) on a fresh graph with the hub's
    schema, filled by ``fill``; the graph is deleted afterwards."""
    store = FalkorDBStore(HOST, server.port, f"test_{uuid.uuid4().hex[:12]}")
    try:
        await store.ensure_schema("2026-01-01T00:00:00+00:00")
        await fill(store)
        graph = FalkorDB(host=HOST, port=server.port).select_graph(store.graph_name)
        return str(graph.explain(FALKORDB.render(query), params))
    finally:
        await store.clear()
        await store.close()
