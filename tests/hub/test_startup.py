"""Start-up as a user sees it: what the commands say while the graph reads its data back, the
address printed only once it answers, what ``hub db status`` shows, benchmarks leaving nothing."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis

from hub.bench_graphs import bench_graph_name, left_behind, remove_left_behind
from hub.embedded_db import HOST, EmbeddedServer
from tests.conftest import free_port

HUB = [sys.executable, "-m", "hub.cli"]


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*HUB, *args], env=env, capture_output=True, text=True, timeout=300, check=False)


@pytest.fixture
def env(hub_env: dict[str, str]) -> Iterator[dict[str, str]]:
    yield hub_env
    run(hub_env, "db", "stop")


def _stopped_with_a_big_graph(env: dict[str, str], nodes: int) -> EmbeddedServer:
    server = EmbeddedServer(Path(env["HUB_HOME"]) / "data", int(env["HUB_DB_PORT"]))
    server.start()
    client = redis.Redis(host=HOST, port=server.port)
    client.execute_command("GRAPH.QUERY", "kesos", f"UNWIND range(1, {nodes}) AS i CREATE (:Row {{i: i}})")  # type: ignore[no-untyped-call]
    client.close()
    server.stop()
    return server


@pytest.mark.slow
def test_serve_prints_its_address_only_once_it_answers(env: dict[str, str]) -> None:
    _stopped_with_a_big_graph(env, 400_000)  # a read back of a few seconds
    port = free_port()
    serve = subprocess.Popen([*HUB, "serve", "--port", str(port)], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        assert serve.stdout is not None and serve.stderr is not None
        line = serve.stdout.readline()
        assert line.startswith(f"serving http://127.0.0.1:{port}/graphql"), line
        assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200
    finally:
        serve.terminate()
        _, said = serve.communicate(timeout=60)
    first, *_, last = [s for s in said.splitlines() if s.strip()]
    assert re.fullmatch(r"starting the graph \(reading \d+\.\d MB back\)…", first), said
    assert last.startswith("the graph answers"), said


def test_db_status_shows_the_last_start_the_files_and_the_graphs(env: dict[str, str]) -> None:
    _stopped_with_a_big_graph(env, 20_000)
    assert run(env, "db", "start").returncode == 0
    status = run(env, "db", "status")
    assert status.returncode == 0, status.stderr
    assert re.search(r"last start \S+: \d+\.\d s to read \d+\.\d MB back", status.stdout), status.stdout
    assert re.search(r"snapshot \(RDB\) \d+\.\d MB, append-only tail \(AOF\) \d+\.\d MB", status.stdout)
    assert re.search(r"graphs held: kesos \d+ MB", status.stdout), status.stdout
    run(env, "db", "stop")
    stopped = run(env, "db", "status")
    assert stopped.returncode == 3 and "last start" in stopped.stdout


def test_a_command_folds_a_long_tail_into_a_snapshot_when_it_ends(env: dict[str, str]) -> None:
    server = EmbeddedServer(Path(env["HUB_HOME"]) / "data", int(env["HUB_DB_PORT"]))
    server.start()
    client = redis.Redis(host=HOST, port=server.port)
    client.execute_command("GRAPH.QUERY", "kesos", "UNWIND range(1, 600000) AS i CREATE (:Row {i: i})")  # type: ignore[no-untyped-call]
    client.close()
    before = int(redis.Redis(host=HOST, port=server.port).info("persistence")["aof_rewrites"])
    assert run(env, "db", "status").returncode == 0  # any command
    server.wait_for_rewrite()
    assert int(redis.Redis(host=HOST, port=server.port).info("persistence")["aof_rewrites"]) == before + 1


def test_bench_graph_names_tell_a_live_run_from_one_left_behind() -> None:
    mine = bench_graph_name("load")
    assert mine.startswith(f"bench_load_{os.getpid()}_") and not left_behind(mine)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    assert left_behind(f"bench_match_{dead.pid}_1764500000")
    now = time.time()
    assert left_behind(f"bench_api_{int(now) - 2 * 86400}", now)  # an older hub's name, two days old
    assert not left_behind(f"bench_api_{int(now) - 60}", now)  # an older hub's run, maybe still going
    assert not left_behind("kesos") and not left_behind("bench_of_names")


def test_an_interrupted_benchmark_graph_is_removed_with_its_keys(tmp_path: Path) -> None:
    server = EmbeddedServer(tmp_path / "data", free_port())
    server.start()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    gone, alive = f"bench_api_{dead.pid}_1764500000", bench_graph_name("api")
    client = redis.Redis(host=HOST, port=server.port)
    try:
        for graph in (gone, alive, "kesos"):
            client.execute_command("GRAPH.QUERY", graph, "CREATE (:Row {i: 1})")  # type: ignore[no-untyped-call]
            client.hset(f"{graph}:api_keys", "digest", "info")
        models = tmp_path / "models"
        models.mkdir()
        for graph in (gone, alive, "kesos"):
            for suffix in ("json", "tf_name_first.parquet"):
                (models / f"{graph}.splink.{suffix}").write_text("{}")
        assert remove_left_behind(server, models) == [gone]
        assert sorted(g.name for g in server.graph_sizes()) == sorted([alive, "kesos"])
        # The models trained for the graph left behind go with it; a live run's and the hub's stay.
        assert sorted(p.name for p in models.iterdir()) == sorted(
            f"{graph}.splink.{suffix}" for graph in (alive, "kesos") for suffix in ("json", "tf_name_first.parquet"))
        keys = sorted(str(k, "utf-8") if isinstance(k, bytes) else k for k in client.keys("*:api_keys"))
        assert keys == sorted([f"{alive}:api_keys", "kesos:api_keys"])
    finally:
        client.close()
        server.stop()
