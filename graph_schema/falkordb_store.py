"""FalkorDB adapter: the asyncio ``falkordb`` client over the Redis protocol.

Never FalkorDB's Bolt endpoint: it is experimental and crashes the server on ordinary queries.
FalkorDB runs each query atomically, so a batch is a sequence of atomic statements, each safe to
send again (upserts; the loader's CREATEs only for records found absent, see ``load_queries.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import orjson
import redis.exceptions as redis_errors
from falkordb.asyncio import FalkorDB
from falkordb.asyncio.query_result import QueryResult
from falkordb.edge import Edge
from falkordb.node import Node

from graph_schema.dialect import FALKORDB, SchemaOp
from graph_schema.errors import GraphAuthError, GraphQueryError, GraphTimeout, GraphUnreachable, SchemaError, graph_error
from graph_schema.port import GraphStore, Params, Row, Statement

ENGINE = "falkordb"

_SCALARS = frozenset({str, int, float, bool, type(None)})


def _plain(value: Any) -> Any:
    if type(value) in _SCALARS:  # nearly every value: one set lookup instead of three isinstance checks
        return value
    if isinstance(value, Node | Edge):
        return dict(value.properties)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


class _NotPlain(Exception):
    """A reply value that is not a plain one (a node, an edge, a map, a path...)."""


def _scalar(cell: Any) -> Any:
    """One value of a compact reply (``[type, value]``, the types of falkordb's ResultSetScalarTypes):
    null, string, integer, boolean, double, or an array of them."""
    kind, value = cell
    if kind == 2:  # string (the client decodes replies)
        return value if type(value) is str else value.decode()
    if kind == 3:
        return int(value)
    if kind == 1:
        return None
    if kind == 4:
        return value in ("true", b"true")
    if kind == 5:
        return float(value)
    if kind == 6:
        return [_scalar(c) for c in value]
    raise _NotPlain


def _plain_reply(reply: list[Any]) -> tuple[list[str], list[list[Any]]] | None:
    """Columns and rows of a compact reply whose values are all plain, read here at a fraction of the
    client's cost (it awaits a coroutine per value); None when a value needs the client's parse."""
    if len(reply) == 1:  # statistics alone: a statement that returns nothing
        return [], []
    try:
        # A string (the commonest value) as it came; anything else through _scalar.
        return [h[1] for h in reply[0]], [[c[1] if c[0] == 2 and type(c[1]) is str else _scalar(c) for c in row]
                                          for row in reply[1]]
    except _NotPlain:
        return None


def _verbose_reply(reply: list[Any]) -> tuple[list[str], list[list[Any]]]:
    """Columns and rows of a verbose reply (plain values only: strings, integers, null, and
    booleans and doubles as text)."""
    if len(reply) == 1:
        return [], []
    return list(reply[0]), reply[1]  # the client's lists, as they came


def _boolean(text: str) -> bool:
    """A verbose reply's boolean."""
    return text == "true"


def _rows_or_values(value: Any) -> bool:
    """Rows (lists; of plain values, as the loader builds them), or a list of plain values."""
    return isinstance(value, list) and bool(value) and (
        isinstance(value[0], list) or set(map(type, value)) <= _SCALARS)


def _positional_header(params: Params) -> bytes | None:
    """The ``CYPHER`` header of statements that send long lists (the loader's rows, lists of
    keys) and plain values, encoded by orjson; ``None`` where the client's own encoder must do it.

    orjson's JSON is a Cypher literal for lists, strings, numbers, booleans and null, with one
    exception: FalkorDB reads ``\\n \\t \\r \\b \\f`` but not ``\\u00XX``, which orjson writes for
    the other control characters, so such a value goes the slow way, unchanged.
    """
    parts = [b"CYPHER"]
    if not any(isinstance(value, list) and len(value) > 100 for value in params.values()):
        return None  # nothing long: the client's encoder does as well
    for name, value in params.items():
        if not (type(value) in _SCALARS or _rows_or_values(value)):
            return None
        try:
            encoded = orjson.dumps(value)
        except TypeError:  # an int beyond 64 bits, say
            return None
        if b"\\u00" in encoded:
            return None
        parts.append(name.encode() + b"=" + encoded)
    return b" ".join(parts) + b" "


def _failure(reply: Any) -> Exception | None:
    """The error a GRAPH.QUERY reply carries: the reply itself (a pipeline's, the query refused),
    its first part (refused before it ran) or its last (failed while it ran); None when it ran."""
    if isinstance(reply, Exception):
        return reply
    if isinstance(reply, list) and reply:
        return next((part for part in (reply[0], reply[-1]) if isinstance(part, Exception)), None)
    return None


class FalkorDBStore(GraphStore):
    """``tls``: connect with TLS (``rediss://``), trusting ``ca_file`` (else the system's CAs).
    ``query_timeout_ms``: FalkorDB's own TIMEOUT on every read, so the server stops the query."""

    def __init__(self, host: str, port: int, graph: str, username: str | None = None,
                 password: str | None = None, *, tls: bool = False, ca_file: str | None = None,
                 query_timeout_ms: int | None = None) -> None:
        self.dialect = FALKORDB
        self.round_trips = 0
        self._where = f"FalkorDB at {host}:{port}"
        self._graph_name = graph
        self._timeout = query_timeout_ms
        try:  # the client probes the server (cluster or not) as it is built
            self._db = FalkorDB(host=host, port=port, username=username or None, password=password or None,
                                socket_connect_timeout=5, ssl=tls, ssl_ca_certs=ca_file if tls else None,
                                ssl_check_hostname=tls)
        except (redis_errors.RedisError, OSError) as exc:
            raise self._translate(exc, "connecting") from None
        self._graph = self._db.select_graph(graph)

    @property
    def graph_name(self) -> str:
        return self._graph_name

    def _translate(self, exc: Exception, what: str) -> Exception:
        if isinstance(exc, redis_errors.AuthenticationError) or any(
            marker in str(exc) for marker in ("WRONGPASS", "NOAUTH", "invalid password")
        ):
            return graph_error(GraphAuthError, f"{self._where} refused the credentials", ENGINE)
        if isinstance(exc, redis_errors.ConnectionError | redis_errors.TimeoutError | OSError):
            return graph_error(GraphUnreachable, f"{self._where} does not answer ({exc})", ENGINE)
        if "timed out" in str(exc).lower():
            return graph_error(GraphTimeout, f"{what} on {self._where} ran past {self._timeout} ms and was stopped: "
                                             f"{exc}", ENGINE)
        return graph_error(GraphQueryError, f"{what} failed on {self._where}: {exc}", ENGINE)

    async def run(self, query: str, params: Params | None = None, *, write: bool = False) -> list[Row]:
        columns, rows = await self._run(query, params, write=write)
        return [dict(zip(columns, row, strict=True)) for row in rows]

    async def run_values(self, query: str, params: Params | None = None,
                         types: Sequence[type] | None = None) -> list[list[Any]]:
        if types is None:
            return (await self._run(query, params, write=False))[1]
        # Typed columns: FalkorDB's verbose reply, a value per cell where the compact one sends a
        # [type, value] pair (a third of the cost to read); it gives booleans and doubles as text.
        columns, rows = await self._run(query, params, write=False, compact=False)
        if len(columns) != len(types):
            raise graph_error(GraphQueryError, f"{_first_words(query)} returns {len(columns)} columns, not the "
                                               f"{len(types)} typed", ENGINE)
        textual = [(i, _boolean if kind is bool else float) for i, kind in enumerate(types) if kind in (bool, float)]
        for row in rows:
            for i, read in textual:
                if type(row[i]) is str:
                    row[i] = read(row[i])
        return rows

    async def _run(self, query: str, params: Params | None, *, write: bool,
                   compact: bool = True) -> tuple[list[str], list[list[Any]]]:
        text = self.dialect.render(query)
        self.round_trips += 1
        header = _positional_header(params) if params else None
        query_params: dict[str, Any] | None = dict(params or {})
        if header is not None:
            text, query_params = header.decode() + text, None
        # The client's command (GRAPH.QUERY / GRAPH.RO_QUERY, compact replies); its reply read here
        # where every value is plain, else by the client. Writes run whole: a verdict's statements
        # are not cut half way; reads carry FalkorDB's own timeout.
        command: list[Any] = ["GRAPH.QUERY" if write else "GRAPH.RO_QUERY", self._graph_name,
                              (self._graph._build_params_header(query_params) if query_params else "") + text,
                              *(["--compact"] if compact else [])]
        if not write and self._timeout is not None:
            command += ["timeout", self._timeout]
        try:
            reply = await self._graph.execute_command(*command)
            failed = _failure(reply)
            if failed is not None:
                raise failed
            plain = _plain_reply(reply) if compact else _verbose_reply(reply)
            if plain is None:
                result = QueryResult(self._graph)
                await result.parse(reply)
                plain = [h[1] for h in result.header] if result.header else [], [
                    [_plain(v) for v in row] for row in result.result_set]
        except redis_errors.ResponseError as exc:
            if not write and "empty key" in str(exc):
                return [], []  # the graph does not exist yet: a read of it finds nothing
            raise self._translate(exc, _first_words(text)) from None
        except (redis_errors.RedisError, OSError) as exc:
            raise self._translate(exc, _first_words(text)) from None
        return plain

    async def ping(self) -> None:
        self.round_trips += 1
        try:
            await self._db.connection.ping()
        except (redis_errors.RedisError, OSError) as exc:
            raise self._translate(exc, "PING") from None

    def encode(self, statements: Sequence[Statement]) -> list[Statement]:
        """Each statement's query as bytes, its parameters in its header: those with rows (the
        loader's, megabytes a batch) encoded by orjson, the rest by the client's own encoder."""
        out = []
        for statement in statements:
            header = _positional_header(statement.params) if statement.params else None
            if header is None:
                header = self._graph._build_params_header(dict(statement.params)).encode() if statement.params else b""
            out.append(replace(statement, encoded=header + self.dialect.render(statement.query).encode()))
        return out

    async def run_batch(self, statements: Sequence[Statement]) -> None:
        """The statements in order, pipelined: each is on the server's socket before the one ahead
        of it has finished, so the server never waits for the client to hear a reply and send the
        next (a live write's thirty-odd small statements, sent one by one, waited ~1 ms each for
        nothing). The server runs one connection's commands in order; those after a failing one still
        run, and the first error is raised once all have answered. Replies (counts) are not parsed."""
        await self._pipelined([given if given.encoded is not None else self.encode([given])[0] for given in statements])

    async def _pipelined(self, statements: list[Statement]) -> None:
        if not statements:
            return
        self.round_trips += 1
        pipe = self._db.connection.pipeline(transaction=False)
        for statement in statements:
            pipe.execute_command("GRAPH.QUERY", self._graph_name, statement.encoded, "--compact")
        try:
            replies = await pipe.execute(raise_on_error=False)
        except (redis_errors.RedisError, OSError) as exc:
            raise self._translate(exc, _first_words(statements[0].query)) from None
        finally:
            await pipe.reset()
        for statement, reply in zip(statements, replies, strict=True):
            failed = _failure(reply)
            if failed is not None:
                raise self._translate(failed, _first_words(statement.query)) from None

    async def _apply(self, op: SchemaOp) -> bool:
        try:
            if op.command is not None:
                self.round_trips += 1
                await self._db.connection.execute_command(*op.command)
            else:
                assert op.cypher is not None
                await self.run(op.cypher, write=True)
        except GraphQueryError as exc:
            if any(marker in str(exc) for marker in op.already_exists):
                return False
            raise graph_error(SchemaError, f"{op.description} failed on {self._where}: {exc}", ENGINE) from None
        except redis_errors.ResponseError as exc:
            if any(marker in str(exc) for marker in op.already_exists):
                return False
            raise graph_error(SchemaError, f"{op.description} failed on {self._where}: {exc}", ENGINE) from None
        except (redis_errors.RedisError, OSError) as exc:
            raise self._translate(exc, op.description) from None
        return True

    async def clear(self) -> None:
        try:
            self.round_trips += 1
            await self._graph.delete()
        except redis_errors.ResponseError as exc:
            if "empty key" not in str(exc) and "Invalid graph operation" not in str(exc):
                raise self._translate(exc, "deleting the graph") from None
        except (redis_errors.RedisError, OSError) as exc:
            raise self._translate(exc, "deleting the graph") from None

    async def close(self) -> None:
        await self._db.connection.aclose()


def _first_words(text: str) -> str:
    return "statement `" + " ".join(text.split()[:6]) + " …`"
