"""A property-based fuzz of the API: queries generated from the committed schema.graphql by
hypothesis-graphql (every root field, every argument, random values), sent with an admin key
over HTTP to the app serving a linked synthetic population. Whatever is asked, the answer
is never a 500, never a masked internal error (a failure the caller did not cause), and no
message names the engine, a server address or a statement."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis_graphql import queries

from hub.privacy.access import Role
from resolvers.caller_errors import MASKED
from tests.resolvers.conftest import Api, serve

SCHEMA = (Path(__file__).parents[2] / "schema.graphql").read_text()
ENGINE_TEXT = re.compile(r"127\.0\.0\.1|localhost|FalkorDB|falkordb|redis|Redis|RediSearch|errMsg|Traceback|"
                         r"\bMATCH\b|\bRETURN\b|\bUNWIND\b|\bCYPHER\b|Neo4j|neo4j|line \d+, in ")


@pytest.fixture(scope="module")
def fuzzed(api: Api) -> Iterator[tuple[httpx.Client, str]]:
    """The world's app, with rates high enough that a burst of examples is not throttled."""
    app = serve(replace(api.settings, rate_per_second=100_000, rate_burst=100_000))
    with httpx.Client(timeout=60, headers={"Authorization": f"Bearer {api.keys[Role.ADMIN]}"}) as client:
        yield client, app.url
    app.stop()


@pytest.mark.slow
# 100 generated queries a backend: the fuzz runs on FalkorDB and on Neo4j, 200 in all.
@settings(max_examples=100, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(query=queries(SCHEMA))
def test_no_generated_query_gets_a_500_or_engine_text(fuzzed: tuple[httpx.Client, str], query: str) -> None:
    client, url = fuzzed
    reply = client.post(url, json={"query": query})
    assert reply.status_code in (200, 413), (reply.status_code, query, reply.text[:500])
    body = reply.json()
    for error in body.get("errors") or []:
        message = error["message"]
        assert not message.startswith(MASKED), (query, message)
        assert not ENGINE_TEXT.search(message), (query, message)
