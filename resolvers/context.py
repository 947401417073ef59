"""What every resolver gets: the store, the caller, the audit log and this request's loaders."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from strawberry.types import Info as StrawberryInfo

from graph_schema.port import GraphStore
from hub.privacy.access import Principal
from hub.privacy.audit import AuditEntry, AuditLog, Outcome
from hub.privacy.disclosure import Disclosure
from resolvers.dataloaders import DataLoaders
from resolvers.stats_cache import StatsCache


@dataclass
class Context:
    store: GraphStore
    principal: Principal
    audit: AuditLog
    loaders: DataLoaders
    disclosure: Disclosure  # the server secret and the k-anonymity census (hub/privacy/disclosure.py)
    request_id: str | None = None  # the HTTP request's id (X-Request-Id): every audit entry it writes names it
    client: str | None = None  # the caller's address
    audit_writes: list[asyncio.Task[None]] = field(default_factory=list)
    model_path: Path | None = None  # the saved linking model, for writes and "seen before?"
    stats_cache: StatsCache | None = None  # cached statistics (resolvers/stats_cache.py); None: counted each time

    def audit_read(self, operation: str, person_ids: list[str], fields: list[str]) -> None:
        """Start writing the audit entries of a read; ``AuditBarrier`` holds the response until they are written.

        Started, not awaited, so that the write overlaps the rest of the request's queries.
        """
        self.audit_writes.append(asyncio.ensure_future(self.audit.record(
            self.principal, operation, person_ids, fields, request_id=self.request_id, client=self.client)))

    def audit_entries(self, entries: list[AuditEntry]) -> None:
        """Start writing ``entries`` (made by ``AuditLog.entry``: a write's rows) in one group commit."""
        if entries:
            self.audit_writes.append(asyncio.ensure_future(self.audit.write(entries)))

    def audit_failed(self, operation: str, outcome: Outcome, detail: str, person_ids: Sequence[str] = ()) -> None:
        """Start writing the entry of a lookup that returned no one: a miss, or a person outside the key's region
        (``person_ids`` then names whom the caller asked for, which the caller is not told)."""
        self.audit_writes.append(asyncio.ensure_future(
            self.audit.failure(self.principal, operation, outcome, detail, person_ids=person_ids,
                               request_id=self.request_id, client=self.client)))


Info = StrawberryInfo[Context, None]
