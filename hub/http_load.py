"""A lean HTTP/1.1 keep-alive client for ``hub bench api``: the load generator, not a product client.

httpx spends about 0.7 ms of Python per request in its models and in h11, its pure-Python
protocol parser; on a 4 ms request that is client time the benchmark would report as the
API's. Here a request is one prebuilt byte string on an open connection, and the response
is parsed by httptools (the C parser uvicorn itself uses), as load tools like wrk do.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httptools


class _Response:
    """httptools' callbacks: the body, and whether the message is complete."""

    def __init__(self) -> None:
        self.body = bytearray()
        self.complete = False

    def on_body(self, body: bytes) -> None:
        self.body += body

    def on_message_complete(self) -> None:
        self.complete = True


class KeepAliveClient:
    """One connection; requests go one after another on it."""

    def __init__(self, host: str, port: int, headers: dict[str, str]) -> None:
        self.host, self.port = host, port
        self.head = "".join(f"{k}: {v}\r\n" for k, v in {"Host": f"{host}:{port}", **headers}.items())
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def __aenter__(self) -> KeepAliveClient:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        return self

    async def __aexit__(self, *_: object) -> None:
        if self.writer is not None:
            self.writer.close()
            await self.writer.wait_closed()

    async def post_json(self, path: str, payload: Any) -> tuple[int, bytes]:
        """POST ``payload`` as JSON; the status and the body of the answer."""
        assert self.reader is not None and self.writer is not None, "use the client in `async with`"
        body = json.dumps(payload).encode()
        self.writer.write(f"POST {path} HTTP/1.1\r\n{self.head}Content-Type: application/json\r\n"
                          f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
        response = _Response()
        parser = httptools.HttpResponseParser(response)
        while not response.complete:
            chunk = await self.reader.read(65536)
            if not chunk:
                raise ConnectionError(f"the server at {self.host}:{self.port} closed the connection mid-response")
            parser.feed_data(chunk)
        return parser.get_status_code(), bytes(response.body)
