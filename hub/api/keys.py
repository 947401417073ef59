"""API keys: created by ``hub keys create``, stored only as a SHA-256 digest in Redis.

A key is 256 random bits, so a fast digest is safe to store (no password stretching is
needed, and a request costs one hash and one ``HGET``). The clear key is shown once, at
creation; a lost key is revoked and replaced, never recovered.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from dataclasses import dataclass

from redis.asyncio import Redis

from hub.privacy.access import Principal, Role

PREFIX = "khub"


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class KeyInfo:
    key_id: str
    name: str
    role: Role
    created_at: str


class ApiKeys:
    """The key register of one graph (``<graph>:api_keys``: digest -> key info)."""

    def __init__(self, redis: Redis, graph_name: str) -> None:
        self.redis = redis
        self.hash = f"{graph_name}:api_keys"

    async def create(self, role: Role, name: str) -> tuple[KeyInfo, str]:
        """A new key for ``role``: its info and the clear key (shown once)."""
        key_id = secrets.token_hex(4)
        key = f"{PREFIX}_{key_id}_{secrets.token_urlsafe(32)}"
        info = KeyInfo(key_id, name, role, dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
        await self.redis.hset(self.hash, digest(key), json.dumps(info.__dict__))
        return info, key

    async def principal(self, key: str) -> Principal | None:
        """Who ``key`` belongs to, or None for an unknown or revoked key."""
        raw = await self.redis.hget(self.hash, digest(key))
        if raw is None:
            return None
        info = json.loads(raw)
        return Principal(info["key_id"], info["name"], Role(info["role"]))

    async def list(self) -> list[KeyInfo]:
        values = await self.redis.hvals(self.hash)
        infos = [json.loads(v) for v in values]
        return sorted((KeyInfo(i["key_id"], i["name"], Role(i["role"]), i["created_at"]) for i in infos),
                      key=lambda k: (k.created_at, k.key_id))

    async def revoke(self, key_id: str) -> bool:
        for field, raw in (await self.redis.hgetall(self.hash)).items():
            if json.loads(raw)["key_id"] == key_id:
                await self.redis.hdel(self.hash, field)
                return True
        return False
