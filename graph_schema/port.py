"""The store port: the one narrow interface every backend adapter implements.

Everything above the graph (loaders, matching, the API) talks to a ``GraphStore`` and to the
query constants of ``queries.py``; nothing above it knows which engine answers.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from graph_schema import queries
from graph_schema.dialect import Dialect, SchemaOp
from graph_schema.schema import SCHEMA_VERSION

Row = dict[str, Any]
Params = Mapping[str, Any]


@dataclass(frozen=True)
class Statement:
    query: str
    params: Params
    # What the adapter sends, made ahead by ``GraphStore.encode`` (the FalkorDB adapter: the
    # query with its parameter header, as bytes); ``None``: made when the statement runs.
    encoded: bytes | None = None


class GraphStore(ABC):
    """A graph database behind one method that runs Cypher.

    ``round_trips`` counts requests sent to the server, so tests and benchmarks can prove a
    query plan costs a fixed number of them.
    """

    dialect: Dialect
    round_trips: int = 0

    @abstractmethod
    async def run(self, query: str, params: Params | None = None, *, write: bool = False) -> list[Row]:
        """Run one statement; return its rows as dicts keyed by column name."""

    async def run_values(self, query: str, params: Params | None = None,
                         types: Sequence[type] | None = None) -> list[list[Any]]:
        """Run one read statement; return its rows as lists of values in column order (a big read,
        such as an export's, where a dict per row costs more than it gives).

        ``types``: each column's type (str, int, float or bool; null in any), for a statement whose
        columns are all such values: an adapter may then read the reply in a cheaper form.
        """
        return [list(row.values()) for row in await self.run(query, params)]

    @abstractmethod
    async def run_batch(self, statements: Sequence[Statement]) -> None:
        """Run several write statements in order, as one unit where the engine has transactions (Neo4j:
        one, rolled back on an error). FalkorDB has none: its statements go pipelined, and those after
        a failing one still run before the error is raised; callers order a batch so that any prefix
        of it, or a statement missing from it, leaves the graph consistent (``resolve.write_persons``)."""

    def encode(self, statements: Sequence[Statement]) -> list[Statement]:
        """The statements with what will be sent made now, so that the work can be done while
        the server is busy with something else (the loader encodes a batch while the one
        before it is written). Adapters without such work return them unchanged."""
        return list(statements)

    @abstractmethod
    async def _apply(self, op: SchemaOp) -> bool:
        """Apply one schema operation; True if it created something."""

    @abstractmethod
    async def clear(self) -> None:
        """Delete every node and relationship of this graph (tests, ``hub db reset``)."""

    @abstractmethod
    async def close(self) -> None:
        """Release connections."""

    @property
    @abstractmethod
    def graph_name(self) -> str:
        """The graph (FalkorDB) or database (Neo4j) this store talks to."""

    async def ping(self) -> None:
        """Raise ``GraphUnreachable``/``GraphAuthError`` unless the server answers."""
        await self.run(queries.PING)

    async def ensure_schema(self, applied_at: str) -> list[str]:
        """Create every constraint and index (idempotent) and record the schema version.

        Returns the descriptions of what was newly created.
        """
        created = [op.description for op in self.dialect.schema_ops(self.graph_name) if await self._apply(op)]
        await self.run(queries.RECORD_SCHEMA_VERSION, {"version": SCHEMA_VERSION, "applied_at": applied_at},
                       write=True)
        return created
