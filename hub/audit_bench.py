"""``hub bench audit``: what an audit entry costs a request, alone and under concurrency.

A request's ``record()`` returns once its entry is written; entries that arrive during a write
share the next one (a group commit). This times ``record()`` one at a time (what a lone request
pays) and with N in flight (throughput, entries per write), as the server writes (``fsync``
rounds a second apart) and as a one-off command does (``fsync`` each write), in fresh folders on
the disk that holds HUB_HOME.
"""

from __future__ import annotations

import asyncio
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from hub.privacy.access import Principal, Role
from hub.privacy.audit import SERVER_SYNC_INTERVAL_S, AuditLog

FIELDS = ["enrolments.program", "events.kind", "household.members", "identity.nik", "records.raw"]


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _phase(log: AuditLog, entries: int, concurrency: int) -> dict[str, Any]:
    who = Principal("a1b2c3d4", "bench", Role.APP, office="Dinas Sosial Kab. Brebes", region="33.29",
                    officer="Bench Officer")
    sequential: list[float] = []
    for i in range(min(entries, 500)):
        start = time.perf_counter()
        await log.record(who, "person", [f"PRS-{i:07d}"], FIELDS)
        sequential.append((time.perf_counter() - start) * 1000)
    commits_before = log.commits
    latencies: list[float] = []

    numbers = iter(range(entries))

    async def worker() -> None:  # one of N requests in flight, each writing its entry and waiting for it
        for i in numbers:
            start = time.perf_counter()
            await log.record(who, "person", [f"PRS-{i:07d}"], FIELDS)
            latencies.append((time.perf_counter() - start) * 1000)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    await log.aclose()
    size = sum(p.stat().st_size for _, p in log.day_files())
    return {
        "sequential_p50_ms": round(statistics.median(sequential), 3),
        "sequential_p99_ms": round(_percentile(sequential, 0.99), 3),
        "entries_per_s": round(entries / elapsed),
        "concurrent_p50_ms": round(statistics.median(latencies), 3),
        "concurrent_p99_ms": round(_percentile(latencies, 0.99), 3),
        "entries_per_write": round(entries / max(log.commits - commits_before, 1), 1),
        "fsyncs": log.syncs,
        "bytes_per_entry": round(size / (entries + len(sequential))),
    }


def run_audit_bench(home: Path, entries: int, concurrency: int) -> dict[str, Any]:
    """Figures for ``entries`` audit entries written in temporary folders under ``home``, in both modes.

    ``server``: as ``hub serve`` writes (``fsync`` rounds a second apart); ``fsync_each``: as a
    one-off command writes (``fsync`` before ``record()`` returns).
    """
    home.mkdir(parents=True, exist_ok=True)
    out: dict[str, Any] = {"entries": entries, "concurrency": concurrency}
    for mode, interval in (("server", SERVER_SYNC_INTERVAL_S), ("fsync_each", 0.0)):
        folder = Path(tempfile.mkdtemp(prefix="audit-bench-", dir=home))
        try:
            out[mode] = asyncio.run(_phase(AuditLog(folder, sync_interval_s=interval), entries, concurrency))
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    return out
