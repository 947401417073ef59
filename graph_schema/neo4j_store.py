"""Neo4j 5 adapter: the official async ``neo4j`` driver.

Every call names its database (``neo4j`` unless configured) rather than leaving the driver to
resolve the user's home database. A single statement runs in an auto-commit transaction (RUN and
PULL sent together, committed by the server: one round trip, where a managed transaction takes a
second for its COMMIT); a batch runs in one managed transaction whose statements are each sent
before the one before it has been read to its end. Both are retried on a transient failure (a
deadlock, a lost connection) for up to ``RETRY_S``: every write statement is idempotent (MERGE),
so a retry is harmless.

A caller that is cancelled (a GraphQL field abandoned, a client gone) does not cancel the driver's
work: that goes on to its end in a task of its own, which ``close`` waits for. The driver leaks
the socket of a connection it was opening when cancelled, and may leave a half-read connection.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import neo4j
from neo4j import exceptions as neo4j_errors
from neo4j.graph import Node, Relationship

from graph_schema import queries
from graph_schema.dialect import NEO4J, SchemaOp
from graph_schema.errors import GraphAuthError, GraphQueryError, GraphTimeout, GraphUnreachable, SchemaError, graph_error
from graph_schema.port import GraphStore, Params, Row, Statement

ENGINE = "neo4j"
DEFAULT_DATABASE = "neo4j"
RETRY_S = 5.0
T = TypeVar("T")


def _plain(value: Any) -> Any:
    if isinstance(value, Node | Relationship):
        return dict(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _tls_config(uri: str, ca_file: str | None) -> tuple[str, dict[str, Any]]:
    """``bolt+s://``/``neo4j+s://`` encrypt and trust the system's CAs; with ``ca_file`` the driver
    wants the plain scheme with ``encrypted`` and the CAs named instead (it refuses both at once)."""
    scheme, sep, rest = uri.partition("://")
    if ca_file is None or not scheme.endswith("+s"):
        return uri, {}
    return scheme.removesuffix("+s") + sep + rest, {
        "encrypted": True, "trusted_certificates": neo4j.TrustCustomCAs(ca_file)}


class Neo4jStore(GraphStore):
    """``query_timeout_ms``: a transaction timeout on every read, so that the server stops it."""

    def __init__(self, uri: str, user: str, password: str, database: str | None = None, *,
                 ca_file: str | None = None, query_timeout_ms: int | None = None) -> None:
        self.dialect = NEO4J
        self.round_trips = 0
        self._where = f"Neo4j at {uri}"
        self._database = database or DEFAULT_DATABASE
        self._timeout = query_timeout_ms
        self._working: set[asyncio.Task[Any]] = set()
        # Fail in seconds, not the driver's default 30 s of silent retries, when the server is down.
        logging.getLogger("neo4j").setLevel(logging.ERROR)
        target, tls = _tls_config(uri, ca_file)
        self._driver = neo4j.AsyncGraphDatabase.driver(
            target, auth=(user, password) if user else None,
            connection_timeout=5.0, max_transaction_retry_time=RETRY_S, **tls,
        )

    @property
    def graph_name(self) -> str:
        return self._database

    def _translate(self, exc: Exception, what: str) -> Exception:
        if isinstance(exc, neo4j_errors.AuthError):
            return graph_error(GraphAuthError, f"{self._where} refused the credentials", ENGINE)
        if isinstance(exc, neo4j_errors.ServiceUnavailable | neo4j_errors.SessionExpired | OSError):
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            return graph_error(GraphUnreachable, f"{self._where} does not answer ({reason})", ENGINE)
        if isinstance(exc, neo4j_errors.Neo4jError) and "TransactionTimedOut" in (exc.code or ""):
            return graph_error(GraphTimeout, f"{what} on {self._where} ran past {self._timeout} ms and was stopped: "
                                             f"timed out ({exc.code})", ENGINE)
        return graph_error(GraphQueryError, f"{what} failed on {self._where}: {exc}", ENGINE)

    async def _uncancelled(self, work: Awaitable[T]) -> T:
        """``work`` in a task that a cancelled caller leaves to finish (its outcome then goes unread)."""
        task: asyncio.Task[T] = asyncio.ensure_future(work)
        self._working.add(task)
        task.add_done_callback(self._working.discard)
        task.add_done_callback(lambda done: done.cancelled() or done.exception())
        return await asyncio.shield(task)

    async def _retried(self, work: Callable[[], Awaitable[T]]) -> T:
        """``work`` again after a transient failure (the driver's own retry covers managed
        transactions only, not the auto-commit ones), until ``RETRY_S`` have passed."""
        deadline, pause = time.monotonic() + RETRY_S, 0.05
        while True:
            try:
                return await work()
            except (neo4j_errors.Neo4jError, neo4j_errors.DriverError) as exc:
                if not exc.is_retryable() or time.monotonic() + pause > deadline:
                    raise
            await asyncio.sleep(pause)
            pause *= 2

    async def run(self, query: str, params: Params | None = None, *, write: bool = False) -> list[Row]:
        return await self._run(query, params, write=write, deadline=not write and bool(self._timeout))

    async def ping(self) -> None:
        # Whether the server answers, not a query to stop: no deadline (a round trip alone may take
        # longer than a tight HUB_QUERY_TIMEOUT_MS).
        await self._run(queries.PING, None, write=False, deadline=False)

    async def _run(self, query: str, params: Params | None, *, write: bool, deadline: bool) -> list[Row]:
        text = self.dialect.render(query)
        statement = neo4j.Query(text, timeout=self._timeout / 1000) if self._timeout and not write else text
        mode = neo4j.WRITE_ACCESS if write else neo4j.READ_ACCESS

        async def once() -> tuple[list[neo4j.Record], list[str]]:
            async with self._driver.session(database=self._database, default_access_mode=mode) as session:
                result = await session.run(statement, dict(params or {}))
                return [record async for record in result], list(result.keys())

        self.round_trips += 1
        what = " ".join(text.split()[:6])
        try:
            if deadline and self._timeout:
                # The server stops a transaction past its timeout only when its monitor next looks
                # (every 2 s by default), so a read's deadline is kept here too; the read left running
                # ends at the server's stop or its own end (_uncancelled).
                records, keys = await asyncio.wait_for(self._uncancelled(self._retried(once)), self._timeout / 1000)
            else:
                records, keys = await self._uncancelled(self._retried(once))
        except TimeoutError:
            raise graph_error(GraphTimeout, f"{what} on {self._where} ran past {self._timeout} ms and was stopped: "
                                            "timed out (the hub's deadline)", ENGINE) from None
        except (neo4j_errors.Neo4jError, neo4j_errors.DriverError, OSError) as exc:
            raise self._translate(exc, what) from None
        return [{k: _plain(record[k]) for k in keys} for record in records]

    async def run_batch(self, statements: Sequence[Statement]) -> None:
        texts = [self.dialect.render(statement.query) for statement in statements]

        async def work(tx: neo4j.AsyncManagedTransaction) -> None:
            # Each statement is sent before the one before it is read to its end (the server runs
            # them in order); the results are read once all are sent.
            results = [await tx.run(text, dict(statement.params)) for text, statement in zip(texts, statements,
                                                                                              strict=True)]
            for result in results:
                await result.consume()

        self.round_trips += 1
        try:
            await self._uncancelled(self._write(work))
        except (neo4j_errors.Neo4jError, neo4j_errors.DriverError, OSError) as exc:
            raise self._translate(exc, "batch write") from None

    async def _write(self, work: Callable[[neo4j.AsyncManagedTransaction], Awaitable[None]]) -> None:
        async with self._driver.session(database=self._database) as session:
            await session.execute_write(work)

    async def _apply(self, op: SchemaOp) -> bool:
        assert op.cypher is not None
        self.round_trips += 1
        try:
            _, summary, _ = await self._driver.execute_query(op.cypher, database_=self._database)
        except neo4j_errors.ClientError as exc:
            raise graph_error(SchemaError, f"{op.description} failed on {self._where}: {exc.message}", ENGINE) from None
        except (neo4j_errors.Neo4jError, neo4j_errors.DriverError, OSError) as exc:
            raise self._translate(exc, op.description) from None
        counters = summary.counters
        return bool(counters.constraints_added or counters.indexes_added or counters.constraints_removed
                    or counters.indexes_removed)

    async def clear(self) -> None:
        # CALL ... IN TRANSACTIONS only runs in an auto-commit transaction, hence session.run.
        self.round_trips += 1
        try:
            async with self._driver.session(database=self._database) as session:
                result = await session.run(queries.DELETE_ALL_IN_BATCHES)
                await result.consume()
        except (neo4j_errors.Neo4jError, neo4j_errors.DriverError, OSError) as exc:
            raise self._translate(exc, "deleting every node") from None

    async def close(self) -> None:
        await asyncio.gather(*self._working, return_exceptions=True)
        await self._driver.close()
