"""Loading rows that an application sends (through the API) instead of a file.

The rows go the file's way (``loaders/run.py``): the same checks (``RowChecker``), the same
comparison with what is stored and the same statements (``plan_batch``), so a row sent twice is
unchanged the second time and a newer version of a row keeps what it was before in the record's
history (``previous``), as a newer export does. The batch id comes from the rows' content, so
sending the same rows again resumes or repeats the same batch.

Each row gets its own outcome (``RowResult``): new, updated, unchanged, or rejected with the
field, column and reason; nothing is dropped.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import weakref
from collections.abc import Callable, Sequence
from collections.abc import Mapping as AnyMapping
from dataclasses import dataclass, field
from typing import Any

from graph_schema import queries
from graph_schema.port import GraphStore, Statement
from graph_schema.statistics_queries import data_changed
from hub.errors import InputError
from loaders.mapping import Mapping
from loaders.reading import RawRow
from loaders.records import Prepared, Problem
from loaders.run import LoadReport, Problems, RowChecker, plan_batch, stored_versions

MAX_ROWS = 500  # per call: a call is one batch, written at once


@dataclass
class RowResult:
    index: int  # the row's position in what was sent, from 0
    status: str  # new, updated, unchanged or rejected
    key: str | None = None
    record_id: str | None = None
    rejected: Problem | None = None
    warnings: list[Problem] = field(default_factory=list)


@dataclass
class RowsReport:
    batch_id: str
    source: str
    results: list[RowResult]

    def record_ids(self) -> list[str]:
        """The records the rows hold now (every row not rejected)."""
        return [r.record_id for r in self.results if r.record_id is not None]


def _cell(index: int, column: str, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        raise InputError(f"rows[{index}].{column}: {value} is a boolean; send the text the export has")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str | int | float):
        return str(value)
    raise InputError(f"rows[{index}].{column}: a {type(value).__name__} is not a cell; send text or a number")


def raw_rows(mapping: Mapping, rows: Sequence[AnyMapping[str, Any]]) -> list[RawRow]:
    """The rows as the file reader gives them: numbered from 1, every cell text, every column the
    mapping reads present (empty where the row does not have it).

    Raises:
        InputError: too many rows, a row that is not an object, or a cell that is not text or a number.
    """
    if len(rows) > MAX_ROWS:
        raise InputError(f"rows: {len(rows)} rows in one call; send at most {MAX_ROWS} at a time")
    out = []
    for index, row in enumerate(rows):
        if not isinstance(row, AnyMapping):
            raise InputError(f"rows[{index}]: a row is an object of column: value, not {type(row).__name__}")
        cells = {str(column).strip(): _cell(index, str(column), value) for column, value in row.items()}
        for column in mapping.columns:
            cells.setdefault(column, "")
        out.append(RawRow(index + 1, cells))
    return out


# The region codes in each graph, read once per process: a write of one row would otherwise read
# all 8,563 villages' codes (~50 ms) to learn which regions it need not write again. A code
# missing here is only written again (MERGE); a copy is updated once the batch is written.
_REGIONS: weakref.WeakKeyDictionary[GraphStore, set[str]] = weakref.WeakKeyDictionary()


async def _region_codes(store: GraphStore) -> set[str]:
    known = _REGIONS.get(store)
    if known is None:
        known = _REGIONS[store] = {str(r["code"]) for r in await store.run(queries.REGION_CODES)}
    return known


def _batch_id(source: str, rows: list[RawRow]) -> str:
    digest = hashlib.sha256(json.dumps([r.cells for r in rows], sort_keys=True, ensure_ascii=False).encode())
    return f"{source}-api-{digest.hexdigest()[:16]}"


@dataclass(frozen=True)
class RegionScope:
    """The region a caller may write (a dotted code) and whether a record's dotted code lies inside it."""

    code: str
    covers: Callable[[str], bool]


def _outside(record: Prepared, mapping: Mapping, scope: RegionScope) -> Problem | None:
    """Why a record may not be written by a caller scoped to a region, or None."""
    code = record.get("region_code")
    column = mapping.fields["region"].column if "region" in mapping.fields else ""
    if not code:
        return Problem(record.row, "region", column, "", f"states no region; this key may write only rows of "
                       f"{scope.code}")
    if not scope.covers(str(code)):
        return Problem(record.row, "region", column, str(code), f"{code} is outside {scope.code}, the region this key "
                       "may write")
    return None


async def load_rows(store: GraphStore, mapping: Mapping, rows: Sequence[AnyMapping[str, Any]], sent_by: str,
                    today: dt.date | None = None, region_scope: RegionScope | None = None) -> RowsReport:
    """Check and write ``rows`` of ``mapping``'s source (cells keyed by its export's column names).

    With ``region_scope`` (an officer's key: its region and the caller's test of a code against
    it, ``resolvers.scope.covers``), a row whose region is not in it is rejected.

    Raises:
        InputError: the rows as a whole cannot be taken (see ``raw_rows``); a bad row is a result.
    """
    raws = raw_rows(mapping, rows)
    batch_id = _batch_id(mapping.source, raws)
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    existing = await store.run(queries.LOAD_BATCH_BY_ID, {"batch_id": batch_id})
    batch = existing[0]["batch"] if existing else None
    started_at = batch["started_at"] if batch else now
    report = LoadReport(batch_id, mapping.source, sent_by, batch_id)
    report.resumed = batch is not None and batch.get("status") != "complete"
    # The batch is marked loading, its records written and the data's stamp renewed (cached statistics
    # lapse) in one pipelined batch of statements, in that order; the batch is marked complete after it
    # succeeded (a FalkorDB pipeline runs the statements after one that failed: not that mark).
    started = [] if batch is not None else [Statement(queries.UPSERT_LOAD_BATCHES, {"rows": [{
        "batch_id": batch_id, "props": {"source": mapping.source, "file_name": sent_by, "file_hash": batch_id,
                                        "started_at": started_at, "status": "loading"}}]})]
    problems = Problems()
    check = RowChecker(mapping, today or dt.date.today(), problems)
    ready = check(raws)
    if region_scope:
        outside = {r.row: p for r in ready if (p := _outside(r, mapping, region_scope)) is not None}
        problems.rejects += outside.values()
        ready = [r for r in ready if r.row not in outside]
    ids = [r.record_id for r in ready]
    stored = await stored_versions(store, ids) if ids else {}
    known_regions = set(await _region_codes(store))
    outcomes: dict[str, str] = {}
    batch_props = {"batch_id": batch_id, "file_hash": batch_id, "loaded_at": started_at}
    report.rows_read = len(raws)
    statements = await plan_batch(store, mapping, ready, stored, batch_props, max(len(ready), 1), report, problems,
                                  known_regions, outcomes)
    if started or statements:
        await store.run_batch([*started, *statements, *([data_changed()] if statements else [])])
    if statements:
        _REGIONS[store] = known_regions  # with the regions this batch wrote, now that they are written
    if batch is None or report.resumed:
        await store.run(queries.UPSERT_LOAD_BATCHES, {"rows": [{"batch_id": batch_id, "props": {
            "status": "complete", "finished_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "rows_read": len(raws), "records": len(ready), "rejected": len(problems.rejects)}}]}, write=True)

    results = {r.row: RowResult(r.row - 1, outcomes[r.record_id], r.key, r.record_id) for r in ready}
    for problem in problems.rejects:
        key = raws[problem.row - 1].cells.get(mapping.key, "").strip() or None
        results[problem.row] = RowResult(problem.row - 1, "rejected", key, rejected=problem)
    for problem in problems.warnings:
        results[problem.row].warnings.append(problem)
    return RowsReport(batch_id, mapping.source, [results[r.number] for r in raws])

