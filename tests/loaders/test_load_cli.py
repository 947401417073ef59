"""``hub load-dir`` and ``hub load`` as an office runs them, including a SIGKILL in the middle of a load."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
import redis

from graph_schema.falkordb_store import FalkorDBStore
from hub.embedded_db import HOST, EmbeddedServer
from tests.conftest import use_model

HUB = [sys.executable, "-m", "hub.cli"]
TIMESTAMPS = {"loaded_at", "started_at", "finished_at", "applied_at"}


@pytest.fixture
def env(graph_env: dict[str, str]) -> dict[str, str]:
    """A graph of this test's own on the session's servers, on each backend."""
    return graph_env


def hub(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*HUB, *args], env=env, capture_output=True, text=True, timeout=600, check=False)


async def dump(port: int, graph: str) -> Counter[str]:
    """Every node and relationship with its properties (timestamps aside), as comparable strings."""
    store = FalkorDBStore(HOST, port, graph)
    try:
        nodes = await store.run("MATCH (n) RETURN labels(n) AS labels, n {.*} AS props")
        rels = await store.run("MATCH (a)-[r]->(b) RETURN type(r) AS type, a {.*} AS a, b {.*} AS b, r {.*} AS props")
    finally:
        await store.close()

    def clean(props: dict[str, object]) -> str:
        return json.dumps({k: v for k, v in props.items() if k not in TIMESTAMPS}, sort_keys=True, default=str)

    out: Counter[str] = Counter()
    out.update(f"{n['labels']}{clean(n['props'])}" for n in nodes)
    out.update(f"{r['type']}{clean(r['a'])}->{clean(r['b'])}{clean(r['props'])}" for r in rels)
    return out


@pytest.mark.slow
def test_load_dir_twice_loads_everything_once(env: dict[str, str], small_synth: Path, trained_model: Path) -> None:
    # The load links what it loads: with a model in place (not this test's subject), it trains none.
    use_model(trained_model, Path(env["HUB_HOME"]) / "models" / f"{env['HUB_GRAPH_NAME']}.splink.json")
    first = hub(env, "load-dir", str(small_synth), "--report-dir", str(Path(env["HUB_HOME"]) / "r1"))
    assert first.returncode == 0, first.stderr
    reports = [json.loads(p.read_text()) for p in (Path(env["HUB_HOME"]) / "r1").glob("*.report.json")]
    assert len(reports) == 18 and all(r["reconciled"] for r in reports)
    truth = small_synth / "truth.csv"
    assert sum(r["rows_read"] for r in reports) == len(truth.read_text().splitlines()) - 1
    counts_before = hub(env, "db", "counts").stdout
    second = hub(env, "load-dir", str(small_synth), "--report-dir", str(Path(env["HUB_HOME"]) / "r2"))
    assert second.returncode == 0, second.stderr
    again = [json.loads(p.read_text()) for p in (Path(env["HUB_HOME"]) / "r2").glob("*.report.json")]
    assert all(r["loaded"] == 0 and r["unchanged"] == r["rows_read"] - r["rejected"] for r in again)
    assert hub(env, "db", "counts").stdout == counts_before


def test_load_errors_are_one_line(env: dict[str, str], tmp_path: Path) -> None:
    missing = hub(env, "load", "dtks", str(tmp_path / "nope.csv"))
    assert missing.returncode == 65 and "nope.csv: no such file" in missing.stderr
    assert "Traceback" not in missing.stderr
    unknown = hub(env, "load", "bansos", str(tmp_path / "nope.csv"))
    assert unknown.returncode == 65 and "no mapping for source 'bansos'" in unknown.stderr


@pytest.mark.falkordb_only("watches the load's progress with FalkorDB's GRAPH.RO_QUERY while it runs")
async def test_sigkill_mid_load_then_rerun_equals_an_uninterrupted_load(
        env: dict[str, str], falkordb_server: EmbeddedServer, small_synth: Path) -> None:
    # 3,000 persons' DTKS rows in batches of 25: the kill after 300 records lands well before the end.
    dtks = small_synth / "dtks.csv"
    total = len(dtks.read_text().splitlines()) - 1
    args = ["load", "dtks", str(dtks), "--batch-size", "25", "--no-link"]  # the load alone: linking has run ids
    client = redis.Redis(host=HOST, port=falkordb_server.port)

    def loaded() -> int:
        try:
            reply = client.execute_command(  # type: ignore[no-untyped-call]
                "GRAPH.RO_QUERY", env["HUB_GRAPH_NAME"], "MATCH (s:SourceRecord) RETURN count(s)")
        except redis.ResponseError:
            return 0  # the graph does not exist yet
        return int(reply[1][0][0])

    victim = subprocess.Popen([*HUB, *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while loaded() < 300 and victim.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait()
    cut = loaded()
    assert 0 < cut < total, f"the kill came at {cut} of {total} records: not mid-load"

    rerun = hub(env, *args)
    assert rerun.returncode == 0, rerun.stderr
    clean_env = {**env, "HUB_GRAPH_NAME": env["HUB_GRAPH_NAME"] + "_clean"}
    uninterrupted = hub(clean_env, *args)
    assert uninterrupted.returncode == 0, uninterrupted.stderr
    client.close()
    resumed, clean = await dump(falkordb_server.port, env["HUB_GRAPH_NAME"]), \
        await dump(falkordb_server.port, clean_env["HUB_GRAPH_NAME"])
    assert sum(resumed.values()) > total
    assert resumed == clean


@pytest.mark.falkordb_only("reads FalkorDB's index listing (CALL db.indexes())")
async def test_load_into_a_new_graph_makes_its_schema_first(
        env: dict[str, str], falkordb_server: EmbeddedServer, small_synth: Path) -> None:
    # Without the record_id index every record of a load was found by scanning all the others.
    loaded = hub(env, "load", "psks", str(small_synth / "psks.csv"), "--report-dir", str(Path(env["HUB_HOME"]) / "r"))
    assert loaded.returncode == 0, loaded.stderr
    store = FalkorDBStore(HOST, falkordb_server.port, env["HUB_GRAPH_NAME"])
    try:
        assert await store.ensure_schema("2026-03-03T00:00:00+00:00") == []  # nothing left to create
        indexed = await store.run("CALL db.indexes() YIELD label, properties RETURN label, properties")
    finally:
        await store.close()
    assert any(r["label"] == "SourceRecord" and "record_id" in r["properties"] for r in indexed)
