"""``hub bench restart``: how long the embedded graph takes to come back, after a clean stop and
after a ``kill -9`` half way through a load, and what the persistence settings cost a load.

The benchmark runs its own embedded server (a scratch data directory, a free port), since it
stops and kills it; the configured graph is never touched. Steps, as an office runs them:

1. load throughput, old persistence settings against new, on one server: DTKS loaded into a
   fresh graph ``runs`` times each way, alternating (writes appended as queries,
   ``EFFECTS_THRESHOLD`` 300 µs, FalkorDB's default; against as effects, 0);
2. the population loaded, linked, a few steward judgements, loaded again (all unchanged), each
   step followed by what a command does when it ends (``compact``);
3. a clean stop and a start: ``restart_s``;
4. a load of the same sources into a second graph, the server killed with SIGKILL once half of
   the records are in, a start (``crash_restart_s``), the load run again to its end, and its
   graph compared with the first load's.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import shutil
import socket
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis

from graph_schema import queries
from graph_schema.port import GraphStore
from hub import embedded_db
from hub.embedded_db import HOST, EmbeddedServer
from hub.errors import HubError
from hub.persistence import persistence_files
from hub.settings import Settings, load_settings
from hub.store import say_on_stderr, using_store
from loaders.mapping import mapping_for
from loaders.run import DEFAULT_BATCH, LoadReport, load_file

OLD_EFFECTS_THRESHOLD_US = 300  # FalkorDB's default, what the hub ran with before
JUDGEMENTS = 5
Counts = dict[str, int]


@dataclass
class _Scratch:
    server: EmbeddedServer
    settings: Settings
    data: Path
    reports: Path

    def graph(self, name: str) -> Settings:
        return load_settings({"HUB_HOME": str(self.settings.home), "HUB_DATA_DIR": str(self.settings.data_dir),
                              "HUB_DB_PORT": str(self.settings.db_port), "HUB_GRAPH_NAME": name})


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def _say(line: str) -> None:
    print(f"bench restart: {line}", file=sys.stderr, flush=True)


def _sources(data: Path) -> list[tuple[str, Path]]:
    order = json.loads((data / "manifest.json").read_text())["sources"]
    return [(source, data / f"{source}.csv") for source in order if (data / f"{source}.csv").exists()]


async def _load(store: GraphStore, files: list[tuple[str, Path]], reports: Path,
                on_progress: Any = None) -> list[LoadReport]:
    await store.ensure_schema(dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
    done: list[LoadReport] = []
    for source, path in files:
        before = sum(r.rows_read for r in done)

        def progress(report: LoadReport, before: int = before) -> None:
            if on_progress is not None:
                on_progress(before + report.rows_read)

        done.append(await load_file(store, mapping_for(source), path, reports, DEFAULT_BATCH, progress))
    return done


async def _counts(store: GraphStore) -> Counts:
    return {str(r["label"]): int(str(r["count"])) for r in await store.run(queries.NODE_COUNTS)}


def _throughput(scratch: _Scratch, runs: int) -> tuple[list[float], list[float]]:
    """DTKS rows/s with the old and the new settings, alternating, each into a fresh graph."""
    dtks = [(s, p) for s, p in _sources(scratch.data) if s == "dtks"]
    before: list[float] = []
    after: list[float] = []
    for run in range(runs * 2):
        old = run % 2 == 0
        threshold = OLD_EFFECTS_THRESHOLD_US if old else embedded_db.EFFECTS_THRESHOLD_US
        scratch.server.set_effects_threshold(threshold)
        settings = scratch.graph(f"throughput_{run}")
        (report,) = asyncio.run(using_store(settings, lambda store: _load(store, dtks, scratch.reports)))
        (before if old else after).append(report.rows_read / report.seconds)
        scratch.server.drop_graph(settings.graph_name)
        if not old:
            scratch.server.compact()
        scratch.server.wait_for_rewrite()
    scratch.server.set_effects_threshold(embedded_db.EFFECTS_THRESHOLD_US)
    return before, after


def _pipeline(scratch: _Scratch, match: bool) -> tuple[Counts, int]:
    """Load, link, judge, load again (each step then compacted, as a command ends); the records."""
    from matching.judgement import Judgement
    from matching.pipeline import run_match
    from matching.steward import apply_judgement

    files = _sources(scratch.data)
    settings = scratch.graph("kesos")

    async def load_once(store: GraphStore) -> tuple[Counts, int]:
        reports = await _load(store, files, scratch.reports)
        return await _counts(store), sum(r.rows_read for r in reports)

    loaded, records = asyncio.run(using_store(settings, load_once))
    scratch.server.compact()
    if match:
        _say("linking")
        asyncio.run(using_store(settings, lambda store: run_match(store, scratch.reports / "model.json")))
        scratch.server.compact()

        async def judge(store: GraphStore) -> None:
            for row in await store.run(queries.OPEN_CANDIDATES, {"limit": JUDGEMENTS}):
                candidate = row["candidate"]
                assert isinstance(candidate, dict)
                await apply_judgement(store, str(candidate["candidate_id"]), Judgement.DIFFERENT,
                                      "hub bench restart", "benchmark")

        asyncio.run(using_store(settings, judge))
        scratch.server.compact()
    _say("loading again (every row unchanged)")
    asyncio.run(using_store(settings, lambda store: _load(store, files, scratch.reports)))
    scratch.server.compact()
    return loaded, records


def _crash(scratch: _Scratch, records: int) -> dict[str, Any]:
    """Kill the server half way through a load into a new graph, start it, finish the load."""
    settings = scratch.graph("crash")
    files = _sources(scratch.data)

    killed_at: list[int] = []

    def kill_half_way(rows: int) -> None:
        if rows >= records // 2 and not killed_at:
            killed_at.append(rows)
            scratch.server.kill()

    async def interrupted(store: GraphStore) -> None:
        await _load(store, files, scratch.reports, kill_half_way)

    with contextlib.suppress(HubError, redis.RedisError, OSError):  # what a load says when its server is gone
        asyncio.run(using_store(settings, interrupted))
    if not killed_at:
        raise RuntimeError("the load ended before it was half way: nothing was killed")
    files_at_crash = persistence_files(scratch.server.data_dir)
    started = time.perf_counter()
    scratch.server.start()
    crash_restart_s = time.perf_counter() - started

    async def rerun(store: GraphStore) -> Counts:
        await _load(store, files, scratch.reports)
        return await _counts(store)

    counts = asyncio.run(using_store(settings, rerun))
    scratch.server.drop_graph("crash")
    scratch.server.compact()
    return {"crash_restart_s": round(crash_restart_s, 2), "crash_at_records": killed_at[0],
            "crash_aof_mb": round(files_at_crash.aof_mb, 1),
            "crash_rdb_mb": round(files_at_crash.rdb_mb, 1), "crash_counts": counts}


def run_restart_bench(persons: int, seed: int, runs: int, match: bool) -> dict[str, Any]:
    """Every step of the module docstring; the figures as one dict (see ``hub bench restart``)."""
    from hub.synth.config import SynthConfig
    from hub.synth.run import synthesize

    work = Path(tempfile.mkdtemp(prefix="hub-bench-restart-"))
    server = EmbeddedServer(work / "db", _free_port(), report=say_on_stderr)
    try:
        synthesize(SynthConfig(persons=persons, seed=seed, xlsx=False), work / "data")
        settings = load_settings({"HUB_HOME": str(work / "hub"), "HUB_DATA_DIR": str(work / "db"),
                                  "HUB_DB_PORT": str(server.port)})
        scratch = _Scratch(server, settings, work / "data", work / "reports")
        server.start()
        _say(f"load throughput, old and new settings alternating, {runs} runs each")
        before, after = _throughput(scratch, runs)
        _say(f"loading {persons:,} persons")
        loaded, records = _pipeline(scratch, match)
        rewrite_started = time.perf_counter()
        server.wait_for_rewrite()
        rewrite_wait_s = time.perf_counter() - rewrite_started
        files = persistence_files(server.data_dir)
        server.stop()
        _say(f"starting again ({files.describe()})")
        started = time.perf_counter()
        server.start()
        restart_s = time.perf_counter() - started
        used_memory_mb = server.used_memory_mb()
        kept = asyncio.run(using_store(scratch.graph("kesos"), _counts))
        _say("loading into a second graph, killing the server half way")
        crash = _crash(scratch, records)
        crash_counts = crash.pop("crash_counts")
    except BaseException:
        kept_log = Path(tempfile.gettempdir()) / f"{work.name}-falkordb.log"
        shutil.copy(server.log_file, kept_log)
        _say(f"failed; the server's log is kept in {kept_log}")
        raise
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    return {
        "benchmark": "restart", "persons": persons, "records": records, "linked": match,
        "restart_s": round(restart_s, 2), **crash,
        "aof_mb": round(files.aof_mb, 1), "rdb_mb": round(files.rdb_mb, 1),
        "used_memory_mb": round(used_memory_mb, 1),
        "load_rows_per_s_before": round(statistics.median(before)),
        "load_rows_per_s_after": round(statistics.median(after)),
        "load_runs_before": [round(r) for r in before], "load_runs_after": [round(r) for r in after],
        "rewrite_wait_s": round(rewrite_wait_s, 2),
        "graph_kept": kept.get("SourceRecord") == loaded.get("SourceRecord") and kept.get("SourceRecord", 0) > 0,
        "crash_rerun_equals_load": {k: crash_counts.get(k) for k in loaded} == loaded,
        "effects_threshold_before": OLD_EFFECTS_THRESHOLD_US,
        "effects_threshold_after": embedded_db.EFFECTS_THRESHOLD_US,
    }
