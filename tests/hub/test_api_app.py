"""The app's own error handler (outside GraphQL): operators' failures are masked for API callers."""

from __future__ import annotations

from pathlib import Path

import httpx

from hub.embedded_db import EmbeddedServer
from tests.conftest import free_port
from tests.resolvers.conftest import serve, settings_for


def test_an_unreachable_graph_is_not_described_to_the_caller(tmp_path: Path) -> None:
    server = EmbeddedServer(tmp_path / "data", free_port())
    server.start()
    try:
        served = serve(settings_for(server, tmp_path / "hub", "gone", "production"))
    finally:
        server.stop()  # the graph goes away under a running API
    try:
        health = httpx.get(served.url.replace("/graphql", "/healthz"), timeout=30)
    finally:
        served.stop()
    assert health.status_code == 503
    (error,) = health.json()["errors"]
    assert error["message"].startswith("internal error (id ") and error["message"].endswith(
        "service unavailable; try again later")
    assert str(server.port) not in health.text and "127.0.0.1" not in health.text
