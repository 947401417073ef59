"""The audit log: one entry per read of a person's data (UU PDP 27/2022).

A Redis stream per graph (``<graph>:audit``), written with ``XADD`` only: the hub has no
code path that edits or trims it, and the embedded server's append-only file keeps it over
restarts. A request that cannot write its audit entries fails instead of returning the data.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from redis.asyncio import Redis

from hub.privacy.access import Principal


@dataclass(frozen=True)
class AuditEntry:
    key_id: str
    key_name: str
    role: str
    operation: str
    person_id: str
    fields: str
    at: str


@dataclass
class AuditLog:
    redis: Redis
    graph_name: str
    stream: str = field(init=False)

    def __post_init__(self) -> None:
        self.stream = f"{self.graph_name}:audit"

    async def record(self, principal: Principal, operation: str, person_ids: list[str], fields: list[str]) -> None:
        """Append one entry per person read, in one round trip."""
        if not person_ids:
            return
        at = dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")
        async with self.redis.pipeline(transaction=False) as pipe:
            for person_id in person_ids:
                pipe.xadd(self.stream, {"key_id": principal.key_id, "key_name": principal.name,
                                        "role": str(principal.role), "operation": operation,
                                        "person_id": person_id, "fields": ",".join(fields), "at": at})
            await pipe.execute()

    async def latest(self, count: int, person_id: str | None = None) -> list[AuditEntry]:
        """The newest ``count`` entries (of one person when given), newest first."""
        out: list[AuditEntry] = []
        last = "+"
        while len(out) < count:
            batch = await self.redis.xrevrange(self.stream, max=last, min="-", count=max(count, 500))
            if not batch:
                break
            for entry_id, values in batch:
                if entry_id == last:
                    continue
                fields = {str(k): str(v) for k, v in (values or {}).items()}
                if person_id is None or fields["person_id"] == person_id:
                    out.append(AuditEntry(**fields))
            if len(batch) < max(count, 500):
                break
            last = str(batch[-1][0])
        return out[:count]
