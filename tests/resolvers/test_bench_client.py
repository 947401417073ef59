"""The load generator of ``hub bench api`` reads what a real HTTP client reads, over one connection."""

from __future__ import annotations

import asyncio
import json

import httpx

from hub.http_load import KeepAliveClient
from hub.privacy.access import Role
from tests.resolvers.conftest import Api

QUERY = "query($p: ID) { person(personId: $p) { personId records { source sourceKey } } }"


def test_the_bench_client_reads_what_httpx_reads(api: Api) -> None:
    url = httpx.URL(api.url)
    variables = {"p": api.showcase["person_id"]}
    payload = {"query": QUERY, "variables": variables}

    async def lean(key: str) -> list[tuple[int, bytes]]:
        async with KeepAliveClient(url.host, url.port or 80, {"Authorization": f"Bearer {key}"}) as client:
            return [await client.post_json(url.path, payload) for _ in range(3)]  # one connection, kept alive

    answers = asyncio.run(lean(api.keys[Role.APP]))
    assert [status for status, _ in answers] == [200, 200, 200]
    assert len({body for _, body in answers}) == 1
    expected = api.post(QUERY, variables, role=Role.APP).json()
    assert json.loads(answers[0][1]) == expected and expected["data"]["person"]["records"]

    ((status, body),) = asyncio.run(lean("khub_nope_nope"))[:1]
    assert status == 401 and json.loads(body)["errors"][0]["message"] == "unknown or revoked API key"
