"""Shared fixtures: one real embedded FalkorDB for the session, a fresh graph per test.

The ``store`` fixture is parametrised over backends: always the embedded FalkorDB, and Neo4j
too when NEO4J_URI is set (NEO4J_USER / NEO4J_PASSWORD, default neo4j/neo4j).
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from graph_schema.port import GraphStore
from hub.embedded_db import HOST, EmbeddedServer

BACKENDS = ["falkordb"] + (["neo4j"] if os.environ.get("NEO4J_URI") else [])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def falkordb_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedServer]:
    server = EmbeddedServer(tmp_path_factory.mktemp("falkordb"), free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture(params=BACKENDS)
async def store(request: pytest.FixtureRequest, falkordb_server: EmbeddedServer) -> AsyncIterator[GraphStore]:
    """An empty graph with the hub schema, on each backend; deleted after the test."""
    graph: GraphStore
    if request.param == "falkordb":
        from graph_schema.falkordb_store import FalkorDBStore

        graph = FalkorDBStore(HOST, falkordb_server.port, f"test_{uuid.uuid4().hex[:12]}")
    else:
        from graph_schema.neo4j_store import Neo4jStore

        graph = Neo4jStore(os.environ["NEO4J_URI"], os.environ.get("NEO4J_USER", "neo4j"),
                           os.environ.get("NEO4J_PASSWORD", "neo4j"))
        await graph.clear()
    await graph.ensure_schema("2026-01-01T00:00:00+00:00")
    yield graph
    await graph.clear()
    await graph.close()


@pytest.fixture
def hub_env(tmp_path: Path) -> dict[str, str]:
    """Environment for running the ``hub`` command against a private embedded graph."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update({"HUB_HOME": str(tmp_path / "hub"), "HUB_DB_PORT": str(free_port())})
    return env
