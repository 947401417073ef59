"""Opening the configured graph store: Neo4j, an external FalkorDB, or the embedded one."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import TypeVar
from urllib.parse import unquote, urlparse

from redis.asyncio import Redis

from graph_schema.port import GraphStore
from hub.embedded_db import HOST, EmbeddedServer
from hub.neo4j_local import LocalNeo4j
from hub.settings import Settings

T = TypeVar("T")


def say_on_stderr(line: str) -> None:
    """Start-up news goes to stderr, so that a command's own output (a benchmark's JSON) stays clean."""
    print(line, file=sys.stderr, flush=True)


def embedded_server(settings: Settings) -> EmbeddedServer:
    """The embedded server the settings name; it tells stderr when it has to start and read its data back."""
    return EmbeddedServer(settings.data_dir, settings.db_port, report=say_on_stderr)


def managed_neo4j(settings: Settings, instances: int = 1) -> LocalNeo4j:
    """The managed local Neo4j the settings name (data and password under ``HUB_HOME/neo4j``)."""
    return LocalNeo4j(settings.neo4j_home, settings.neo4j_port, instances)


def compact_embedded(settings: Settings) -> bool:
    """At the end of a command: fold a long AOF tail into a snapshot (in the background), so the
    next start reads a snapshot back instead of the writes. Whether a rewrite began."""
    return settings.embedded and embedded_server(settings).compact()


async def open_store(settings: Settings, *, autostart: bool = True, query_timeout_ms: int | None = None) -> GraphStore:
    """The store the settings name, checked to answer.

    With no ``HUB_GRAPH_URI`` this is the embedded FalkorDB, or with ``HUB_GRAPH_ENGINE=neo4j`` the
    managed local Neo4j (as user neo4j with the password it keeps), started first when ``autostart``.
    ``rediss://`` and ``bolt+s://``/``neo4j+s://`` connect with TLS, trusting ``HUB_TLS_CA_FILE``
    when set (else the system's CAs). ``query_timeout_ms``: the server stops any statement
    that runs longer (the API sets it; loads and matches run without).

    Raises:
        GraphUnreachable, GraphAuthError, EmbeddedServerError, LocalNeo4jError: with a one-line reason.
    """
    store: GraphStore
    if settings.embedded:
        if autostart:
            embedded_server(settings).start()
        from graph_schema.falkordb_store import FalkorDBStore

        store = FalkorDBStore(HOST, settings.db_port, settings.graph_name, query_timeout_ms=query_timeout_ms)
    elif settings.managed_neo4j:
        local = managed_neo4j(settings)
        if autostart:
            local.start()
        from graph_schema.neo4j_store import Neo4jStore

        store = Neo4jStore(local.uri(0), "neo4j", local.password, database=settings.neo4j_database or None,
                           query_timeout_ms=query_timeout_ms)
    elif settings.backend == "neo4j":
        from graph_schema.neo4j_store import Neo4jStore

        store = Neo4jStore(settings.graph_uri, settings.graph_user, settings.graph_password,
                           database=settings.neo4j_database or None, ca_file=settings.tls_ca_file or None,
                           query_timeout_ms=query_timeout_ms)
    else:
        from graph_schema.falkordb_store import FalkorDBStore

        uri = urlparse(settings.graph_uri)
        store = FalkorDBStore(
            uri.hostname or HOST, uri.port or 6379, settings.graph_name,
            username=unquote(uri.username) if uri.username else settings.graph_user or None,
            password=unquote(uri.password) if uri.password else settings.graph_password or None,
            tls=settings.graph_tls, ca_file=settings.tls_ca_file or None, query_timeout_ms=query_timeout_ms,
        )
    try:
        await store.ping()
    except BaseException:
        await store.close()
        raise
    return store


async def using_store(settings: Settings, work: Callable[[GraphStore], Awaitable[T]], *, autostart: bool = True) -> T:
    """Open the configured store, run ``work`` with it, close it whatever happens."""
    store = await open_store(settings, autostart=autostart)
    try:
        return await work(store)
    finally:
        await store.close()


def run_with_store(settings: Settings, work: Callable[[GraphStore], Awaitable[T]], *, autostart: bool = True) -> T:
    """``using_store`` for synchronous callers (the CLI)."""
    return asyncio.run(using_store(settings, work, autostart=autostart))


def redis_url(settings: Settings) -> str:
    """Where API keys and the audit log live: HUB_REDIS_URL, else the graph's own Redis server.

    Raises:
        ConfigError: with an external Neo4j and no HUB_REDIS_URL (Neo4j is not a Redis server).
    """
    if settings.redis_url:
        return settings.redis_url
    if settings.embedded_redis:
        return f"redis://{HOST}:{settings.db_port}/0"
    if settings.backend == "falkordb":
        uri = urlparse(settings.graph_uri)
        return uri._replace(scheme="rediss" if uri.scheme == "rediss" else "redis").geturl()
    from hub.errors import ConfigError

    raise ConfigError("HUB_REDIS_URL is not set: with Neo4j as the graph, API keys and the audit log need a Redis "
                      "server (redis://host:6379/0)")


async def open_redis(settings: Settings) -> Redis:
    """A Redis client for keys and audit, checked to answer.

    Raises:
        GraphUnreachable: naming the URL when the server does not answer.
    """
    from redis.exceptions import RedisError

    from hub.errors import GraphUnreachable

    url = redis_url(settings)
    if settings.embedded_redis:
        embedded_server(settings).start()
    ca_file = settings.tls_ca_file if url.startswith("rediss://") and settings.tls_ca_file else None
    client = Redis.from_url(url, decode_responses=True, ssl_ca_certs=ca_file) if ca_file else \
        Redis.from_url(url, decode_responses=True)
    try:
        await client.ping()
    except RedisError as exc:
        await client.aclose()
        where = urlparse(url)
        raise GraphUnreachable(f"Redis at {where.hostname}:{where.port or 6379} does not answer ({exc}); "
                               "check HUB_REDIS_URL") from None
    return client
