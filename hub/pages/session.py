"""Sign-in sessions of the pages: an API key given once, a random session id in a cookie after.

The session lives in the hub's Redis (``<graph>:ui:session:<id>``), never in the cookie: the
cookie holds only 256 random bits, HttpOnly and SameSite=Strict (Secure under TLS). A session
ends after ``HUB_SESSION_IDLE_MINUTES`` unused or ``HUB_SESSION_MAX_HOURS`` after sign-in,
whichever comes first, and at sign-out, which deletes it. It keeps the key's digest, never the
key: every request looks the key up again, so a revoked key ends its sessions at once.

Each session carries its own CSRF token; every POST must send it back (form field ``csrf`` or
header ``X-CSRF-Token``).
"""

from __future__ import annotations

import hmac
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

from redis.asyncio import Redis

from hub.api.keys import KeyInfo, digest
from hub.privacy.access import Principal

COOKIE = "khub_sesi"
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"


@dataclass(frozen=True)
class Session:
    session_id: str
    key_digest: str
    csrf: str
    started: float  # epoch seconds
    seen: float  # epoch seconds of the last request


@dataclass(frozen=True)
class Signed:
    """A live session and who it is: the key's principal as the API would see it."""

    session: Session
    principal: Principal


def same_token(sent: str | None, expected: str) -> bool:
    return bool(sent) and hmac.compare_digest(str(sent).encode(), expected.encode())


class Sessions:
    """The sessions of one graph's hub, in Redis."""

    def __init__(self, redis: Redis, graph_name: str, idle_s: int, max_s: int,
                 clock: Callable[[], float] = time.time) -> None:
        self.redis = redis
        self.prefix = f"{graph_name}:ui:session:"
        self.keys_hash = f"{graph_name}:api_keys"  # hub/api/keys.py's register
        self.idle_s = idle_s
        self.max_s = max_s
        self.clock = clock

    async def start(self, key: str) -> Signed | None:
        """A new session for ``key``, or None when the key is unknown or revoked."""
        key_digest = digest(key)
        raw = await self.redis.hget(self.keys_hash, key_digest)
        if raw is None:
            return None
        now = self.clock()
        session = Session(secrets.token_urlsafe(32), key_digest, secrets.token_urlsafe(32), now, now)
        await self.redis.set(self.prefix + session.session_id, json.dumps(asdict(session)), ex=self.idle_s)
        return Signed(session, KeyInfo.from_json(raw).principal())

    async def resume(self, session_id: str | None) -> Signed | None:
        """The live session ``session_id`` names (its idle clock restarted), or None: unknown, idle too long,
        past its absolute lifetime, or its key revoked (each of which also deletes it)."""
        if not session_id or len(session_id) > 100:
            return None
        name = self.prefix + session_id
        raw = await self.redis.get(name)
        if raw is None:
            return None
        session = Session(**json.loads(raw))
        now = self.clock()
        key_info = await self.redis.hget(self.keys_hash, session.key_digest)
        if now - session.seen > self.idle_s or now - session.started > self.max_s or key_info is None:
            await self.redis.delete(name)
            return None
        session = Session(session.session_id, session.key_digest, session.csrf, session.started, now)
        left = int(self.max_s - (now - session.started)) + 1
        await self.redis.set(name, json.dumps(asdict(session)), ex=min(self.idle_s, left))
        return Signed(session, KeyInfo.from_json(key_info).principal())

    async def end(self, session_id: str | None) -> None:
        if session_id:
            await self.redis.delete(self.prefix + session_id)
