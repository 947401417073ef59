"""The demo's sign-in keys for the pages: one per role that has pages, kept across demo runs."""

from __future__ import annotations

from pathlib import Path

from redis.asyncio import Redis

from hub.api.keys import ApiKeys
from hub.privacy.access import Role
from hub.settings import Settings
from hub.store import open_redis

# The roles a demo user signs in with, and the officer each key names.
DEMO_OFFICERS = {Role.STEWARD: "Dewi Lestari (steward)", Role.ANALYST: "Agus Prasetyo (analis)",
                 Role.APP: "Aplikasi panti (demo)"}


async def _key(keys: ApiKeys, role: Role, path: Path) -> str:
    if path.exists():
        saved = path.read_text().strip()
        if await keys.principal(saved) is not None:
            return saved
    _, key = await keys.create(role, f"make demo {role}", officer=DEMO_OFFICERS[role], office="Dinas Sosial (demo)")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(key + "\n")
    path.chmod(0o600)
    return key


async def demo_page_keys(settings: Settings, folder: Path) -> dict[Role, str]:
    """A key per role in ``DEMO_OFFICERS``: the one saved in ``folder/demo-key-<role>`` while valid, else a new one."""
    redis: Redis = await open_redis(settings)
    try:
        keys = ApiKeys(redis, settings.graph_name)
        return {role: await _key(keys, role, folder / f"demo-key-{role}") for role in DEMO_OFFICERS}
    finally:
        await redis.aclose()
