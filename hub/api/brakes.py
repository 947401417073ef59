"""The API's brakes before GraphQL: request rates per key, key guessing per address, body size.

Rates are kept in Redis (the hub's own, the one that holds the keys) with the ``limits``
library's moving window, so that several ``hub serve`` processes share them. A key may send
``HUB_RATE_BURST`` requests in any window of ``burst / rate`` seconds: a burst of 60 at
once, 20 a second sustained (the defaults). An address that sent ``HUB_FAILED_KEYS_PER_MINUTE``
unknown keys within a minute is refused before its key is even looked up, so guessing keys
goes no faster than that. Both answer 429 with ``Retry-After``.

The body limit counts bytes as they arrive and stops reading at the limit: a 100 MB body
costs the hub one megabyte, not a hundred.
"""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable, Callable

from limits import RateLimitItem, RateLimitItemPerMinute, RateLimitItemPerSecond
from limits.aio.storage import RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter
from redis.asyncio import Redis
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hub.settings import Settings


def refusal(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"errors": [{"message": message}]}, status_code=status, headers=headers)


class RateLimits:
    """Per-key request rates and per-address failed sign-ins, in the hub's Redis."""

    def __init__(self, redis: Redis, settings: Settings) -> None:
        storage = RedisStorage("async+redis://", implementation="redispy", key_prefix=f"{settings.graph_name}:limits",
                               connection_pool=redis.connection_pool)  # type: ignore[arg-type]
        self.limiter = MovingWindowRateLimiter(storage)
        window = max(1, round(settings.rate_burst / settings.rate_per_second))
        self.per_key: RateLimitItem = RateLimitItemPerSecond(settings.rate_burst, window)
        self.failed_keys: RateLimitItem = RateLimitItemPerMinute(settings.failed_keys_per_minute)

    async def _retry_after(self, item: RateLimitItem, *identifiers: str) -> str:
        stats = await self.limiter.get_window_stats(item, *identifiers)
        return str(max(1, math.ceil(stats.reset_time - time.time())))

    async def key_refused(self, key_id: str) -> JSONResponse | None:
        """A 429 when key ``key_id`` is over its rate (this request counts), else None."""
        if await self.limiter.hit(self.per_key, "key", key_id):
            return None
        wait = await self._retry_after(self.per_key, "key", key_id)
        return refusal(429, f"too many requests with this key: at most {self.per_key.amount} in "
                            f"{self.per_key.multiples} s; retry after {wait} s", {"Retry-After": wait})

    async def address_refused(self, address: str) -> JSONResponse | None:
        """A 429 when ``address`` has sent too many unknown keys lately (this request does not count)."""
        if await self.limiter.test(self.failed_keys, "signin", address):
            return None
        wait = await self._retry_after(self.failed_keys, "signin", address)
        return refusal(429, f"too many unknown API keys from this address: at most {self.failed_keys.amount} a "
                            f"minute; retry after {wait} s", {"Retry-After": wait})

    async def failed_key(self, address: str) -> None:
        await self.limiter.hit(self.failed_keys, "signin", address)


class BodyLimit:
    """413 for a request body over ``limit`` bytes, declared or streamed; the rest goes on whole."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        limit = self.limit
        too_big = refusal(413, f"the request body is over the {limit:,} bytes a request may carry")
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await too_big(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            chunk: bytes = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await too_big(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        await self.app(scope, _replay(b"".join(chunks), receive), send)


def _replay(body: bytes, receive: Receive) -> Callable[[], Awaitable[Message]]:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay
