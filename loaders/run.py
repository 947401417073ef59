"""Loading one file: read, check, compare with what is stored, write in bounded batches, report.

Counts always reconcile: rows read = loaded (new + updated) + rejected + unchanged. The batch id
is derived from the file's content, so loading the same file again, or again after a crash,
resumes the same batch (same load time) and converges on the graph an uninterrupted load leaves:
a resumed batch rewrites every record it had already written (a crash may have cut its links
short), and a record's history is only extended when its content changes.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import datetime as dt
import gc
import itertools
import json
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from graph_schema import queries
from graph_schema.port import GraphStore, Statement
from graph_schema.statistics_queries import mark_data_changed
from hub.errors import InputError
from loaders.facts import BatchGraph, add_records, event_id, missing_references
from loaders.mapping import FactType, Mapping
from loaders.reading import RawRow, file_hash, read_rows
from loaders.records import Prepared, Problem, RowPreparer, record_id

DEFAULT_BATCH = 5_000
FIRST_BATCH = 1_000
PROBLEM_COLUMNS = ["row", "field", "column", "value", "reason"]


@dataclass
class LoadReport:
    batch_id: str
    source: str
    file: str
    file_hash: str
    rows_read: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    warnings: int = 0
    seconds: float = 0.0
    resumed: bool = False
    rejects_file: str = ""
    warnings_file: str = ""
    report_file: str = ""

    @property
    def loaded(self) -> int:
        return self.new + self.updated

    @property
    def reconciled(self) -> bool:
        return self.rows_read == self.loaded + self.rejected + self.unchanged

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "loaded": self.loaded, "reconciled": self.reconciled,
                "records_per_s": round(self.rows_read / self.seconds) if self.seconds else 0}


@dataclass
class Problems:
    rejects: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


class RowChecker:
    """Raw rows to records ready to write, for one load: a row that cannot be loaded, or whose key
    repeats an earlier row of the same load, goes to ``problems.rejects`` (its warnings to
    ``problems.warnings``). A file load and an API write check their rows through it alike."""

    def __init__(self, mapping: Mapping, reference: dt.date, problems: Problems) -> None:
        self.mapping, self.problems = mapping, problems
        self.seen: dict[str, int] = {}
        self._prepare = RowPreparer(mapping, reference)

    def __call__(self, raw_rows: list[RawRow]) -> list[Prepared]:
        ready: list[Prepared] = []
        for result in self._prepare.batch(raw_rows):
            if isinstance(result, Problem):
                self.problems.rejects.append(result)
                continue
            if result.key in self.seen:
                self.problems.rejects.append(Problem(result.row, "key", self.mapping.key, result.key,
                                                     f"{self.mapping.key} {result.key} repeats row {self.seen[result.key]}"))
                continue
            self.seen[result.key] = result.row
            self.problems.warnings.extend(result.warnings)
            ready.append(result)
        return ready


def _write_problems(path: Path, problems: list[Problem]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(PROBLEM_COLUMNS)
        writer.writerows([p.row, p.field, p.column, p.value, p.reason] for p in problems)


@contextlib.contextmanager
def _tuned_for_loading() -> Iterator[None]:
    """Two interpreter settings for the length of a load, restored after it.

    * The writer needs the GIL for a moment after each statement to send the next one; behind
      the checking thread it would wait the default 5 ms each time, with the graph server idle.
    * A batch allocates some 200,000 short-lived objects; at the default thresholds the
      collector ran full passes over every batch still alive, a sixth of the client's time.
    """
    interval, thresholds = sys.getswitchinterval(), gc.get_threshold()
    sys.setswitchinterval(0.002)
    gc.set_threshold(100_000, 50, 100)
    try:
        yield
    finally:
        sys.setswitchinterval(interval)
        gc.set_threshold(*thresholds)


async def stored_versions(store: GraphStore, ids: list[str]) -> dict[str, dict[str, Any]]:
    rows = await store.run(queries.SOURCE_RECORD_VERSIONS, {"ids": ids})
    return {str(r["id"]): r for r in rows}


async def _check_references(store: GraphStore, mapping: Mapping, records: list[Prepared], problems: Problems) -> None:
    wanted = missing_references(records, mapping)
    if not wanted:
        return
    ids = sorted({record_id(s, k) for _, s, k in wanted})
    found = {r["id"] for r in await store.run(queries.SOURCE_RECORDS_PRESENT, {"ids": ids})}
    for record, source, key in wanted:
        if record_id(source, key) not in found:
            problems.warnings.append(Problem(record.row, "refers_to", "", key,
                                             f"refers to {source} {key}, which is not loaded: load {source} first"))


def _previous(stored: dict[str, Any]) -> str:
    history = json.loads(stored["previous"]) if stored.get("previous") else []
    history.append({"batch_id": stored.get("batch_id"), "loaded_at": stored.get("loaded_at"),
                    "content_hash": stored.get("content_hash"), "raw": json.loads(stored["raw"] or "{}")})
    return json.dumps(history, ensure_ascii=False)


async def load_file(store: GraphStore, mapping: Mapping, path: Path, report_dir: Path,
                    batch_size: int = DEFAULT_BATCH, on_progress: Callable[[LoadReport], None] | None = None,
                    today: dt.date | None = None) -> LoadReport:
    """Load one export into the graph. See the module docstring for the guarantees."""
    started = time.perf_counter()
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    digest = file_hash(path)
    batch_id = f"{mapping.source}-{digest[:16]}"
    report = LoadReport(batch_id, mapping.source, str(path), digest)
    existing = await store.run(queries.LOAD_BATCH_BY_ID, {"batch_id": batch_id})
    batch = existing[0]["batch"] if existing else None
    report.resumed = batch is not None and batch.get("status") != "complete"
    started_at = batch["started_at"] if batch else dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    if batch is None or report.resumed:
        await store.run(queries.UPSERT_LOAD_BATCHES, {"rows": [{"batch_id": batch_id, "props": {
            "source": mapping.source, "file_name": path.name, "file_hash": digest, "started_at": started_at,
            "status": "loading", "personal_columns": mapping.personal_columns_json()}}]}, write=True)
    batch_props = {"batch_id": batch_id, "file_hash": digest, "loaded_at": started_at}
    reference = today or dt.date.today()
    problems = Problems()
    check = RowChecker(mapping, reference, problems)  # CPU work of a batch: in a thread while the one before is written

    rows = read_rows(path, mapping)

    next_size = FIRST_BATCH

    def read_batch() -> list[RawRow]:
        """The next rows. The first batches are smaller, each twice the one before: the graph
        server waits idle while the first is checked, and each later one is checked while the one
        before it is written, so a batch much larger than the last would keep the server waiting."""
        nonlocal next_size
        raw_rows = list(itertools.islice(rows, min(batch_size, next_size)))
        next_size *= 2
        return raw_rows

    # A mapping whose rows refer to its own source must see the batch before written first.
    refers_to_itself = any(fact.type is FactType.REFERS_TO and fact.values().get("source") == mapping.source
                           for fact in mapping.facts)
    known_regions = {str(r["code"]) for r in await store.run(queries.REGION_CODES)}
    # A source with no record yet (its first load) has nothing to compare with: its batches
    # skip the lookup. Keys repeat in no two batches of one file, so this holds to the end.
    first_load = not await store.run(queries.SOURCE_HAS_RECORDS, {"after": f"{mapping.source}:",
                                                                  "before": f"{mapping.source};"})
    writing: asyncio.Task[None] | None = None
    with _tuned_for_loading():
        try:
            while raw_rows := await asyncio.to_thread(read_batch):
                if refers_to_itself and writing is not None:
                    await writing
                # What is stored under these keys is asked while the rows are checked. The batch
                # being written holds other keys, so the answer does not depend on it.
                if first_load:
                    ready, stored = await asyncio.to_thread(check, raw_rows), {}
                else:
                    ids = [record_id(mapping.source, r.cells.get(mapping.key, "").strip()) for r in raw_rows]
                    versions = asyncio.create_task(stored_versions(store, ids))
                    try:
                        ready = await asyncio.to_thread(check, raw_rows)
                    finally:
                        stored = await versions
                report.rows_read += len(raw_rows)
                statements = await plan_batch(store, mapping, ready, stored, batch_props, batch_size, report,
                                               problems, known_regions)
                if writing is not None:
                    await writing
                writing = asyncio.create_task(store.run_batch(statements)) if statements else None
                if on_progress:
                    on_progress(report)
            if writing is not None:
                await writing
        finally:
            if writing is not None and not writing.done():
                writing.cancel()

    report.rejected = len(problems.rejects)
    report.warnings = len(problems.warnings)
    report_dir.mkdir(parents=True, exist_ok=True)
    rejects, warnings = report_dir / f"{batch_id}.rejects.csv", report_dir / f"{batch_id}.warnings.csv"
    _write_problems(rejects, problems.rejects)
    _write_problems(warnings, problems.warnings)
    report.rejects_file, report.warnings_file = str(rejects), str(warnings)
    if not report.reconciled:  # a bug, never a data problem: refuse to call the load complete
        raise AssertionError(f"load of {path.name} does not reconcile: {report.as_dict()}")
    if batch is None or report.resumed:
        await store.run(queries.UPSERT_LOAD_BATCHES, {"rows": [{"batch_id": batch_id, "props": {
            "status": "complete", "finished_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            # What the file holds, not what this run did: a resumed load must end identical.
            "rows_read": report.rows_read, "records": report.rows_read - report.rejected,
            "rejected": report.rejected}}]}, write=True)
    if report.loaded:  # committed: cached statistics lapse (resolvers/stats_cache.py)
        await mark_data_changed(store)
    report.seconds = time.perf_counter() - started
    report_path = report_dir / f"{batch_id}.report.json"
    report.report_file = str(report_path)
    report_path.write_text(json.dumps(report.as_dict(), indent=2) + "\n")
    return report


async def plan_batch(store: GraphStore, mapping: Mapping, ready: list[Prepared], stored: dict[str, dict[str, Any]],
                     batch_props: dict[str, Any], batch_size: int, report: LoadReport, problems: Problems,
                     known_regions: set[str], outcomes: dict[str, str] | None = None) -> list[Statement]:
    """Compare with what is stored and return the statements that write the new and changed rows.

    ``outcomes``, where given, gets each record's outcome by record id: new, updated or unchanged.
    """
    if not ready:
        return []
    to_write: list[Prepared] = []
    changed: list[Prepared] = []
    fresh: set[str] = set()
    for record in ready:
        before = stored.get(record.record_id)
        if outcomes is not None:
            outcomes[record.record_id] = ("new" if before is None else "unchanged"
                                          if before["content_hash"] == record.content_hash else "updated")
        if before is None:
            report.new += 1
            fresh.add(record.record_id)
            to_write.append(record)
        elif before["content_hash"] == record.content_hash:
            report.unchanged += 1
            if report.resumed and before["batch_id"] == batch_props["batch_id"]:
                # Written by this batch before a crash, perhaps without all its links: write it
                # again (idempotent), keeping the history it already has.
                record.keep_previous(before.get("previous"))
                to_write.append(record)
        else:
            report.updated += 1
            record.keep_previous(_previous(before))
            changed.append(record)
            to_write.append(record)
    if not to_write:
        return []
    await _check_references(store, mapping, to_write, problems)

    def build() -> list[Statement]:
        # In a thread: the event loop must stay free to send the batch being written.
        graph = BatchGraph(fresh, batch_props)
        add_records(graph, mapping, to_write)
        statements: list[Statement] = []
        if changed:  # restate the facts of changed rows from scratch
            keys = [{"record_id": r.record_id} for r in changed]
            statements.append(Statement(queries.DELETE_RECORD_FACTS, {"rows": keys}))
            if any(f.type is FactType.EVENT for f in mapping.facts):
                events = [{"event_id": event_id(mapping.source, r.key)} for r in changed]
                statements += [Statement(queries.DELETE_EVENT_LINKS, {"rows": events}),
                               Statement(queries.DELETE_EVENT_HANDLERS, {"rows": events})]
        statements += graph.statements(batch_size, known_regions)
        emptied = sorted({kk for r in changed if (kk := stored[r.record_id].get("kk"))})
        if emptied:  # last: the households the changed rows left, if no row names them now
            statements.append(Statement(queries.DELETE_EMPTIED_HOUSEHOLDS, {"kks": emptied}))
        return store.encode(statements)

    return await asyncio.to_thread(build)
