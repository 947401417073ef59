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
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

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
    if settings.embedded:
        from hub.bench_graphs import bench_graph_name, remove_left_behind
        from hub.store import embedded_server

        server = embedded_server(settings)
        server.start()
        remove_left_behind(server)
        settings = replace(settings, graph_name=bench_graph_name(kind))
    work = Path(tempfile.mkdtemp(prefix=f"hub-bench-{kind}-"))
    try:
        synthesize(SynthConfig(persons=persons, seed=seed, xlsx=False), work / "data")
        yield BenchWorkspace(settings, work / "data", work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if server is not None:  # nothing left behind: the graph, its keys, and its writes in the AOF's tail
            import redis

            with contextlib.suppress(redis.RedisError):  # a server gone now: the next run removes the graph
                server.drop_graph(settings.graph_name)
                server.compact()


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
