"""``hub bench live``: the live hub measured. A population is synthesised and loaded with some
records held back; a full run links it (and trains); the held-back delta is then loaded and
linked through the live path (``matching.incremental``), timed; single-row writes are timed one
by one; finally a full run with the same model links everything again, and the two clusterings
are compared on the pairs that involve a delta record, and both against the truth.

The delta is what offices send: new rows of DTKS, PPKS and street outreach (held back from the
synthesised files in proportion to their sizes), and changed rows of DTKS and PPKS: half of them
corrected to the person's true identity where the synthesiser dirtied them (name, birth date,
NIK: the record's identity changes and is linked again), half a new address.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from graph_schema import queries
from graph_schema.port import GraphStore
from hub.bench_support import peak_rss_mb, percentile
from hub.settings import Settings
from hub.store import open_store
from hub.synth.run import SOURCE_ORDER
from loaders.mapping import mapping_for
from loaders.run import load_file
from matching.extract import COLUMNS
from matching.incremental import link_records, records_of_loads
from matching.pipeline import run_match

DELTA_SOURCES = ("dtks", "ppks", "penjangkauan")
CHANGED_SOURCES = ("dtks", "ppks")
NEW_SHARE = 0.6  # of the delta: new rows; the rest changed rows
WRITES = 100  # single-row writes timed


@dataclass(frozen=True)
class HeldBack:
    base: Path  # every source file, less the held-back rows
    delta: Path  # per source, the new and changed rows only (a delta export)
    writes: list[tuple[str, Path]]  # one-row files, each a single write
    new: list[str]  # record ids
    changed: list[str]

    @property
    def records(self) -> list[str]:
        return [*self.new, *self.changed]


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _corrected(row: pd.Series, person: pd.Series) -> pd.Series:
    """The row with the person's true name, birth date and NIK, written as the row writes them."""
    out = row.copy()
    if "NAMA" in out and person["name"]:
        out["NAMA"] = person["name"]
    date = str(out.get("TGL_LAHIR", ""))
    if date and person["birth_date"]:
        year, month, day = person["birth_date"].split("-")
        sep = "/" if "/" in date else "-"
        out["TGL_LAHIR"] = f"{year}{sep}{month}{sep}{day}" if date[:4].isdigit() else f"{day}{sep}{month}{sep}{year}"
    if "NIK" in out and person["nik"]:
        out["NIK"] = person["nik"]
    return out


def hold_back(data: Path, work: Path, count: int, seed: int, writes: int = WRITES) -> HeldBack:
    """Split a ``hub synth`` output into a base and a delta of about ``count`` records (see the
    module docstring), plus ``writes`` more held-back rows, each as a one-row file."""
    rng = np.random.default_rng(seed)
    base, delta, single = work / "base", work / "delta", work / "writes"
    for folder in (base, delta, single):
        folder.mkdir(parents=True, exist_ok=True)
    frames = {source: _read(data / f"{source}.csv") for source in DELTA_SOURCES if (data / f"{source}.csv").exists()}
    total = sum(len(f) for f in frames.values())
    truth = _read(data / "truth.csv")
    dirt = dict(zip(truth["source"] + ":" + truth["source_key"], truth["dirt"], strict=True))
    person_of = dict(zip(truth["source"] + ":" + truth["source_key"], truth["person_id"], strict=True))
    persons = _read(data / "truth_persons.csv").set_index("person_id")
    new_ids: list[str] = []
    changed_ids: list[str] = []
    write_files: list[tuple[str, Path]] = []
    new_count = round(count * NEW_SHARE)
    changed_per_source = (count - new_count) // len(CHANGED_SOURCES)
    for source, frame in frames.items():
        key = mapping_for(source).key
        share = len(frame) / total if total else 0
        order = rng.permutation(len(frame))
        take_new = min(len(frame) // 3, round(new_count * share))
        take_writes = min(len(frame) // 10, round(writes * share) + 1)
        held = frame.iloc[order[:take_new]]
        written = frame.iloc[order[take_new:take_new + take_writes]]
        kept = frame.drop(index=held.index.union(written.index))
        rows = [held]
        if source in CHANGED_SOURCES:
            candidates = kept.iloc[rng.permutation(len(kept))[:changed_per_source]]
            changed = []
            for _, row in candidates.iterrows():
                record = f"{source}:{row[key]}"
                person = person_of.get(record)
                corrected = _corrected(row, persons.loc[person]) if dirt.get(record) and person in persons.index else row
                if not corrected.equals(row):
                    changed.append(corrected)
                else:
                    altered = row.copy()
                    altered["ALAMAT"] = f"{row.get('ALAMAT', '')} BLOK {rng.integers(1, 9)}".strip()
                    changed.append(altered)
            if changed:
                rows.append(pd.DataFrame(changed))
                changed_ids += [f"{source}:{k}" for k in candidates[key]]
        new_ids += [f"{source}:{k}" for k in held[key]]
        kept.to_csv(base / f"{source}.csv", index=False)
        pd.concat(rows).to_csv(delta / f"{source}.csv", index=False)
        for i, (_, row) in enumerate(written.iterrows()):
            path = single / f"{source}-{i}.csv"
            row.to_frame().T.to_csv(path, index=False)
            write_files.append((source, path))
    for path in data.glob("*.csv"):
        if path.stem not in frames:
            shutil.copy(path, base / path.name)
    if (data / "manifest.json").exists():
        shutil.copy(data / "manifest.json", base / "manifest.json")
    return HeldBack(base, delta, write_files, new_ids, changed_ids)


def pairs_with(clusters: dict[str, Any], records: set[str]) -> set[tuple[str, str]]:
    """The record pairs of one person (``clusters``: record -> person or cluster) with at least one
    side in ``records``."""
    members: dict[Any, list[str]] = {}
    for record, label in clusters.items():
        members.setdefault(label, []).append(record)
    out: set[tuple[str, str]] = set()
    for record in records:
        if record not in clusters:
            continue
        for other in members[clusters[record]]:
            if other != record:
                out.add((min(record, other), max(record, other)))
    return out


def pairwise(found: set[tuple[str, str]], expected: set[tuple[str, str]]) -> dict[str, float]:
    """Precision, recall and F1 of ``found`` pairs against ``expected`` (1.0 where both are empty)."""
    both = len(found & expected)
    precision = both / len(found) if found else 1.0
    recall = both / len(expected) if expected else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4)}


def _graph_server_peak_mb(settings: Settings) -> float | None:
    """The peak resident memory (VmHWM), in MB, of the graph server the hub runs: the embedded
    FalkorDB or the managed local Neo4j (its JVM); None for a server of someone else's."""
    if settings.managed_neo4j:
        from hub.store import managed_neo4j

        pid = managed_neo4j(settings).status().pid
        if pid is None:
            return None
    elif settings.embedded:
        import redis

        client = redis.Redis(host="127.0.0.1", port=settings.db_port)
        try:
            pid = int(client.info("server")["process_id"])
        finally:
            client.close()
    else:
        return None
    return _peak_mb(pid)


def _peak_mb(pid: int) -> float | None:
    """A live process's peak resident memory (VmHWM), in MB; None once it has exited."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return None


def _hub_command(settings: Settings, work: Path, *args: str) -> tuple[float, float, str]:
    """Run ``hub ARGS`` on the benchmark's graph as a process of its own: (seconds, its peak RSS in MB, stdout)."""
    env = {**os.environ, "HUB_GRAPH_NAME": settings.graph_name, "HUB_DB_PORT": str(settings.db_port),
           "HUB_HOME": str(settings.home), "HUB_DATA_DIR": str(settings.data_dir), "COLUMNS": "200"}
    out, err = work / "command.out", work / "command.err"
    started = time.perf_counter()
    peak = 0.0
    with open(out, "wb") as stdout, open(err, "wb") as stderr:
        child = subprocess.Popen([sys.executable, "-m", "hub.cli", *args], env=env, stdout=stdout, stderr=stderr)
        # The child's own high-water mark, read while it runs: its rusage's ru_maxrss is the
        # parent's (the child starts as a copy of this process, whose peak exec keeps), which
        # reported this bench process's 6.4 GB as the load-dir's own.
        while child.poll() is None:
            peak = max(peak, _peak_mb(child.pid) or 0.0)
            time.sleep(0.05)
    seconds = time.perf_counter() - started
    if child.returncode != 0:
        raise RuntimeError(f"hub {' '.join(args)} failed: {err.read_text(errors='replace')[-800:]}")
    return seconds, peak, out.read_text(errors="replace")


async def _single_writes(store: GraphStore, model_path: Path, held: HeldBack, count: int) -> tuple[list[float], str]:
    """Milliseconds of each single-row write (validate, store, link, answer), and what was timed."""
    from hub.privacy.access import Principal, Role

    write_rows: Callable[..., Awaitable[object]] | None
    try:
        from resolvers.writes import write_rows as api_write

        write_rows = api_write
    except ImportError:  # no API writes in this hub: a one-row load and its live link
        write_rows = None
    timings: list[float] = []
    rows = [(source, [{str(k): v for k, v in r.items()} for r in _read(path).to_dict("records")], path)
            for source, path in held.writes]
    for i, (source, cells, path) in enumerate(rows[:count + 3]):
        started = time.perf_counter()
        if write_rows is not None:
            role = next(r for r in Role if Principal("bench", "bench", r).may_write(source))
            await write_rows(store, Principal("bench", "bench", role), source, cells, model_path)
        else:
            report = await load_file(store, mapping_for(source), path, path.parent / "reports")
            await link_records(store, model_path, await records_of_loads(store, [(source, report.batch_id)]))
        if i >= 3:  # the first three warm the model and the connections up
            timings.append((time.perf_counter() - started) * 1000)
    return timings, "resolvers.writes.write_rows" if write_rows is not None else "load_file + link_records"


async def _seen_before(store: GraphStore, model_path: Path, ids: list[str], count: int) -> list[float] | None:
    """Milliseconds of each "seen before?" for known records asked as an officer would (no id)."""
    try:
        from matching.seen import live_model, seen_before
    except ImportError:
        return None
    rows = await store.run(queries.RECORDS_BY_IDS, {"ids": ids[:count + 3]})
    live = live_model(model_path)
    timings = []
    for i, row in enumerate(rows):
        probe = {k: v for k, v in row.items() if k in COLUMNS and k not in ("record_id", "source")}
        started = time.perf_counter()
        await seen_before(store, live, probe)
        if i >= 3:
            timings.append((time.perf_counter() - started) * 1000)
    return timings


async def _resolutions(store: GraphStore) -> dict[str, str]:
    return {str(r["record_id"]): str(r["person_id"]) for r in await store.run(queries.CURRENT_RESOLUTIONS)}


async def measure_live(settings: Settings, data: Path, work: Path, delta: int, seed: int) -> dict[str, Any]:
    """Every figure of ``hub bench live`` (module docstring) for a synthesised population in ``data``."""
    from hub.match_cli import model_path as model_path_of

    held = hold_back(data, work / "split", delta, seed)
    model_path = model_path_of(settings)
    store = await open_store(settings)
    try:
        await store.ensure_schema(dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
        for source in SOURCE_ORDER:
            if (held.base / f"{source}.csv").exists():
                await load_file(store, mapping_for(source), held.base / f"{source}.csv", work / "reports")
        base = await run_match(store, model_path, retrain=True)
        # The delta as an office sends it: `hub load-dir` of the delta files, its own process.
        seconds, child_peak_mb, out = _hub_command(settings, work, "load-dir", str(held.delta), "--report-dir",
                                                   str(work / "reports"))
        incremental = await _resolutions(store)
        delta_ids = {r for r in held.records if r in incremental}
        full = await run_match(store, model_path)
        batch = dict(zip(full.assigned["record_id"].astype(str), full.assigned["cluster"], strict=True))
        found, again = pairs_with(incremental, delta_ids), pairs_with(batch, delta_ids)
        truth = _read(data / "truth.csv")
        true_person = dict(zip(truth["source"] + ":" + truth["source_key"], truth["person_id"], strict=True))
        expected = pairs_with({r: true_person[r] for r in incremental if r in true_person}, delta_ids)
        live_scores, full_scores = pairwise(found, expected), pairwise(again, expected)
        writes, written_by = await _single_writes(store, model_path, held, WRITES)
        seen = await _seen_before(store, model_path, sorted(delta_ids), WRITES)
    finally:
        if settings.embedded:
            await store.clear()
        await store.close()
    linking = re.search(r"(\d[\d,]*) records linked in ([\d.]+)s", out)
    stages = re.search(r"\(seconds: ([^)]*)\)", out)
    parts = re.search(r"\(write_persons seconds: ([^)]*)\)", out)
    figures: dict[str, Any] = {
        "benchmark": "live", "persons": None, "records": base.records, "delta_records": len(delta_ids),
        "delta_new": len(held.new), "delta_changed": len(held.changed),
        "seconds": round(seconds, 2), "records_per_s": round(len(delta_ids) / seconds) if seconds else 0,
        "link_seconds": float(linking.group(2)) if linking else None,
        "link_stage_seconds": {k: float(v) for k, v in re.findall(r"(\w+) ([\d.]+)", stages.group(1))} if stages else None,
        "write_persons_seconds": {k: float(v) for k, v in re.findall(r"(\w+) ([\d.]+)", parts.group(1))} if parts else None,
        "write_p50_ms": round(percentile(writes, 0.5), 1), "write_p95_ms": round(percentile(writes, 0.95), 1),
        "writes": len(writes), "write_path": written_by,
    }
    if seen:
        figures |= {"seen_before_p50_ms": round(percentile(seen, 0.5), 1),
                    "seen_before_p95_ms": round(percentile(seen, 0.95), 1), "seen_before_asked": len(seen)}
    figures |= {
        "agreement_f1": pairwise(found, again)["f1"], "delta_pairs_live": len(found), "delta_pairs_full": len(again),
        **live_scores, "full_run_on_delta_pairs": full_scores, "full_run_seconds": round(full.seconds, 2),
        "peak_rss_mb": {"load_dir_process": round(child_peak_mb, 1), "bench_process": round(peak_rss_mb(), 1),
                        "graph_server": _graph_server_peak(settings)},
    }
    return figures


def _graph_server_peak(settings: Settings) -> float | None:
    peak = _graph_server_peak_mb(settings)
    return round(peak, 1) if peak is not None else None


def run_live_bench(persons: int, delta: int, seed: int) -> dict[str, Any]:
    """``hub bench live``: synthesise, measure (``measure_live``) in a graph of its own, remove it."""
    from hub.bench_support import bench_workspace

    with bench_workspace("live", persons, seed) as work:
        figures = asyncio.run(measure_live(work.settings, work.data, work.scratch, delta, seed))
    return {**figures, "persons": persons}
