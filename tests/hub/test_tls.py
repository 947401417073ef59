"""``rediss://`` means TLS for both connections the hub makes: the graph store (FalkorDB client)
and Redis (keys, rates). The embedded redis-server is built without TLS, so the test puts a
real TLS endpoint in front of it: a proxy that completes a TLS handshake with a certificate of
the test's own CA and relays the bytes. A client that does not speak TLS, or does not trust
that CA, gets nowhere."""

from __future__ import annotations

import asyncio
import shutil
import ssl
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis

from hub.embedded_db import HOST, EmbeddedServer
from hub.errors import ConfigError, GraphUnreachable
from hub.settings import Settings, load_settings
from hub.store import open_redis, open_store
from tests.conftest import free_port

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command for a test CA")


@dataclass
class TlsProxy:
    port: int
    ca_file: Path
    handshakes: int = 0


@pytest.fixture(scope="module")
def proxy(falkordb_server: EmbeddedServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TlsProxy]:
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    found = TlsProxy(free_port(), cert)
    loop = asyncio.new_event_loop()

    async def relay(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while chunk := await reader.read(65536):
                writer.write(chunk)
                await writer.drain()
        except (ConnectionError, ssl.SSLError):
            pass
        finally:
            writer.close()

    async def client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        found.handshakes += 1  # the server side only calls back once the TLS handshake is done
        up_reader, up_writer = await asyncio.open_connection(HOST, falkordb_server.port)
        await asyncio.gather(relay(reader, up_writer), relay(up_reader, writer))

    server = loop.run_until_complete(asyncio.start_server(client, HOST, found.port, ssl=context))
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield found
    loop.call_soon_threadsafe(server.close)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(timeout=10)
    loop.run_until_complete(server.wait_closed())
    loop.close()


def tls_settings(proxy: TlsProxy, tmp_path: Path, ca: bool = True) -> Settings:
    return load_settings({"HUB_HOME": str(tmp_path), "HUB_GRAPH_URI": f"rediss://{HOST}:{proxy.port}",
                          "HUB_GRAPH_NAME": "tls_check", **({"HUB_TLS_CA_FILE": str(proxy.ca_file)} if ca else {})})


def test_rediss_connects_the_graph_store_and_redis_with_tls(proxy: TlsProxy, tmp_path: Path) -> None:
    settings = tls_settings(proxy, tmp_path)

    async def both() -> tuple[list[dict[str, object]], object]:
        store = await open_store(settings, autostart=False)
        client = await open_redis(settings)
        try:
            return await store.run("MERGE (n:TlsCheck {k: 1}) RETURN n.k AS one", write=True), await client.ping()
        finally:
            await store.clear()
            await client.aclose()
            await store.close()

    before = proxy.handshakes
    rows, pong = asyncio.run(both())
    assert rows == [{"one": 1}] and pong is True
    assert proxy.handshakes >= before + 2, "each client completed a TLS handshake with the proxy"


def test_a_server_the_ca_does_not_vouch_for_is_refused(proxy: TlsProxy, tmp_path: Path) -> None:
    with pytest.raises(GraphUnreachable, match="does not answer"):
        asyncio.run(open_store(tls_settings(proxy, tmp_path, ca=False), autostart=False))


def test_the_tls_port_speaks_only_tls(proxy: TlsProxy) -> None:
    plain = redis.Redis(host=HOST, port=proxy.port, socket_timeout=5)
    try:
        with pytest.raises(redis.RedisError):
            plain.ping()
    finally:
        plain.close()


def test_a_ca_file_without_a_tls_connection_is_refused(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("not used")
    with pytest.raises(ConfigError, match=r"HUB_TLS_CA_FILE=.* is set but no connection uses TLS"):
        load_settings({"HUB_GRAPH_URI": "redis://db.internal:6379", "HUB_TLS_CA_FILE": str(ca)})
    with pytest.raises(ConfigError, match="is not a readable file"):
        load_settings({"HUB_GRAPH_URI": "rediss://db.internal:6379", "HUB_TLS_CA_FILE": str(tmp_path / "none.pem")})
    assert load_settings({"HUB_GRAPH_URI": "neo4j+s://db.internal:7687", "HUB_TLS_CA_FILE": str(ca),
                          "HUB_REDIS_URL": "rediss://cache.internal:6380/0"}).tls_ca_file == str(ca)
