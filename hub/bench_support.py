"""What the ``hub bench`` commands share: a synthetic population in a temporary folder and a
fresh graph that is removed afterwards (on the embedded server; see ``hub.bench_graphs``), so a
benchmark never touches the data of the configured graph and leaves nothing behind."""

from __future__ import annotations

import contextlib
import math
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx

from hub.settings import Settings, load_settings


@dataclass(frozen=True)
class BenchWorkspace:
    settings: Settings
    data: Path  # the `hub synth` output
    scratch: Path  # reports, models: anything the run writes


@contextmanager
def bench_workspace(kind: str, persons: int, seed: int) -> Iterator[BenchWorkspace]:
    from hub.synth.config import SynthConfig
    from hub.synth.run import synthesize

    settings = load_settings()
    server = None
    started_here = False
    if settings.embedded:
        from hub.bench_graphs import bench_graph_name, remove_left_behind
        from hub.store import embedded_server

        server = embedded_server(settings)
        started_here = server.status().pid is None
        server.start()
        remove_left_behind(server, settings.home / "models")
        settings = replace(settings, graph_name=bench_graph_name(kind))
    work = Path(tempfile.mkdtemp(prefix=f"hub-bench-{kind}-"))
    try:
        synthesize(SynthConfig(persons=persons, seed=seed, xlsx=False), work / "data")
        yield BenchWorkspace(settings, work / "data", work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if server is not None:  # nothing left behind: the graph, its keys, and its writes in the AOF's tail
            import redis

            # The model a bench trained for its graph (and its term-frequency tables) goes with the graph.
            for path in (settings.home / "models").glob(f"{settings.graph_name}.splink.*"):
                path.unlink(missing_ok=True)

            with contextlib.suppress(redis.RedisError):  # a server gone now: the next run removes the graph
                server.drop_graph(settings.graph_name)
                server.compact()
            # A server this bench started is stopped again: left running, it held the port that
            # `make demo` or `hub db start` then found taken. One that was running stays so.
            if started_here:
                server.stop()


def peak_rss_mb() -> float:
    """Peak resident memory of this process or any finished child, whichever is larger, in MB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0..1) of a non-empty list."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def start_api_server(settings: Settings, port: int) -> subprocess.Popen[bytes]:
    """``hub serve`` on ``port`` as its own process (as in production), once it answers /healthz.

    Its log goes to ``$HUB_HOME/serve-PORT.log``, not a pipe: a pipe nobody reads fills up with
    the log of a few internal errors, and then the server stops in mid-write.

    Raises:
        RuntimeError: the server exited, or did not answer within 60 s.
    """
    # A benchmark measures the server, not its per-key rate limit: its one key may send as fast as it can.
    env = {**os.environ, "HUB_GRAPH_NAME": settings.graph_name, "HUB_ENV": "production",
           "HUB_DB_PORT": str(settings.db_port), "HUB_HOME": str(settings.home), "HUB_DATA_DIR": str(settings.data_dir),
           "HUB_RATE_PER_SECOND": "100000", "HUB_RATE_BURST": "1000000"}
    settings.home.mkdir(parents=True, exist_ok=True)
    log = settings.home / f"serve-{port}.log"
    with open(log, "wb") as sink:
        server = subprocess.Popen([sys.executable, "-m", "hub.cli", "serve", "--port", str(port)], env=env,
                                  stdout=subprocess.DEVNULL, stderr=sink)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"hub serve exited: {log.read_text(errors='replace')[-500:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.2)
    server.terminate()
    raise RuntimeError(f"hub serve did not answer within 60 s (its log: {log})")


BACKENDS = ("falkordb", "neo4j")
# What a benchmark was asked for rather than what it measured: printed once in a side-by-side run.
SETTINGS_KEYS = frozenset({"benchmark", "persons", "delta", "seed", "batch_size", "requests", "concurrency"})


def backends_of(backend: str) -> tuple[str, ...]:
    """The backends ``--backend`` names: falkordb, neo4j or both.

    Raises:
        InputError: any other value.
    """
    from hub.errors import InputError, quote

    chosen = backend.strip().lower()
    if chosen == "both":
        return BACKENDS
    if chosen not in BACKENDS:
        raise InputError(f"--backend: {quote(backend)} is not a backend; give falkordb, neo4j or both")
    return (chosen,)


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def on_backend(backend: str) -> Iterator[None]:
    """Run the body against ``backend``: FalkorDB as configured, or a managed local Neo4j of its own
    (``hub.neo4j_local``) in a temporary HUB_HOME, with its own embedded server for Redis, built if
    needed, started here and stopped (and its folder removed) afterwards. The environment is
    restored after the body: the benches read their settings from it."""
    if backend == "falkordb":
        yield
        return
    from hub.store import embedded_server, managed_neo4j

    home = Path(tempfile.mkdtemp(prefix="hub-bench-neo4j-"))
    overrides = {"HUB_HOME": str(home), "HUB_GRAPH_ENGINE": "neo4j", "HUB_GRAPH_URI": "",
                 "HUB_NEO4J_PORT": str(_free_port()), "HUB_DB_PORT": str(_free_port()),
                 "HUB_DATA_DIR": str(home / "db")}
    saved = {name: os.environ.get(name) for name in overrides}
    os.environ.update(overrides)
    settings = load_settings()
    local = managed_neo4j(settings)
    try:
        local.build()
        local.start()
        yield
    finally:
        local.stop()
        with contextlib.suppress(Exception):  # started only if the bench used Redis
            embedded_server(settings).stop()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        shutil.rmtree(home, ignore_errors=True)


def side_by_side(figures: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """One object of several backends' figures: what was asked once, each figure per backend
    (``<key>_<backend>``) and, for numbers, ``<key>_ratio`` (neo4j / falkordb)."""
    first = figures[BACKENDS[0]]
    out: dict[str, Any] = {key: value for key, value in first.items() if key in SETTINGS_KEYS}
    out["backends"] = list(figures)
    for key in first:
        if key in SETTINGS_KEYS or key == "backend":
            continue
        for name, values in figures.items():
            out[f"{key}_{name}"] = values.get(key)
        a, b = first.get(key), figures.get("neo4j", {}).get(key)
        if isinstance(a, int | float) and isinstance(b, int | float) and not isinstance(a, bool):
            out[f"{key}_ratio"] = round(b / a, 3) if a else None
    return out


def run_on_backends(backend: str, bench: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """``bench`` (which builds its own data and graph from the settings) on each backend ``--backend``
    names, in turn; one backend's figures as they are, both side by side."""
    figures: dict[str, dict[str, Any]] = {}
    for name in backends_of(backend):
        with on_backend(name):
            figures[name] = bench()
    return figures[backend.strip().lower()] if len(figures) == 1 else side_by_side(figures)
