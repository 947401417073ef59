"""A caller cancelled while its statement is in flight (a GraphQL field abandoned, a client gone)
leaves the store whole: no socket left open for the garbage collector to find, the next
statement answered. The Neo4j driver leaks the socket of a connection it is opening when
cancelled; the adapter lets its work finish instead (graph_schema/neo4j_store.py)."""

from __future__ import annotations

import asyncio
import gc
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from graph_schema.port import GraphStore

SLOW = "UNWIND range(1, 20000) AS x RETURN sum(x) AS s"


@pytest.fixture
def unraisable() -> Iterator[list[str]]:
    """What the interpreter could not raise (an unclosed socket's ResourceWarning), while the test runs."""
    seen: list[str] = []
    before = sys.unraisablehook

    def hook(info: Any) -> None:
        seen.append(repr(info.exc_value))

    sys.unraisablehook = hook
    try:
        yield seen
    finally:
        sys.unraisablehook = before


async def test_cancelled_statements_leave_no_socket_open(store: GraphStore, unraisable: list[str]) -> None:
    for delay in (0, 0.0005, 0.001, 0.002, 0.005, 0.01):
        tasks = [asyncio.create_task(store.run(SLOW)) for _ in range(30)]
        await asyncio.sleep(delay)
        for task in tasks:
            task.cancel()
        outcomes = await asyncio.gather(*tasks, return_exceptions=True)
        assert all(isinstance(o, asyncio.CancelledError) or o == [{"s": 200010000}] for o in outcomes), outcomes
    assert await store.run("RETURN 1 AS one") == [{"one": 1}]
    gc.collect()
    assert unraisable == []
