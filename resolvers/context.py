"""What every resolver gets: the store, the caller, the audit log and this request's loaders."""

from __future__ import annotations

from dataclasses import dataclass

from strawberry.types import Info as StrawberryInfo

from graph_schema.port import GraphStore
from hub.api.access import Principal
from hub.api.audit import AuditLog
from resolvers.dataloaders import DataLoaders


@dataclass
class Context:
    store: GraphStore
    principal: Principal
    audit: AuditLog
    loaders: DataLoaders


Info = StrawberryInfo[Context, None]
