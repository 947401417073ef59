"""Exports other offices take: a worklist or a proposal batch, as XLSX or CSV in the office's layout.

What is exported is what a worklist (``resolvers.worklists``) flags in a region (a household rule:
every member of each household), or the persons of the region with a KIS-PBI APBD proposal in a
given status. The rules of the API hold: the ``export`` permission, the officer's region
(``worklist_region``), and each personal column only for a role that sees it in clear (else the
export is refused naming the column, or the column masked where the layout says so). The file is
made in memory and audited (one ``export`` entry naming every person in it, with the row count,
the layout and the file's SHA-256) before anyone gets it; a manifest describes it.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import datetime as dt
import hashlib
import io
import itertools
from collections.abc import AsyncGenerator, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from rustpy_xlsxwriter import FastExcel, Format

from graph_schema import targeting_queries as tq
from graph_schema.port import GraphStore, Row
from hub.csv_cells import csv_cell
from hub.errors import InputError, quote
from hub.export.bulk import bulk_reading
from hub.export.layout import VALUES, Column, Layout, WithoutSight, load_layout
from hub.privacy.access import Forbidden, Permission, Principal, mask
from hub.privacy.audit import Action, AuditLog, Outcome
from resolvers.gaps import GapRule, Subject
from resolvers.worklists import (
    Flagged,
    RegionCodes,
    SubRegionCount,
    counts,
    every_flagged,
    page,
    region_codes,
    rule_named,
    worklist_region,
)

FORMATS = ("xlsx", "csv")
PROPOSAL_KIND = "kis_pbi_apbd"  # the proposals file's KIS-PBI APBD proposals (usulan_kis_pbi JENIS_USULAN)
ROWS_PER_QUERY = 8000  # ids per statement (8,000 read 100,000 persons 20% faster than 2,000: fewer round trips)
MEDIA_TYPES = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
               "csv": "text/csv; charset=utf-8"}


@dataclass(frozen=True)
class ExportRequest:
    """What to export: ``rule`` (a gap rule id) or ``proposals`` (a proposal status), in ``region``."""

    layout: str
    fmt: str
    region: str | None
    rule: str | None = None
    proposals: str | None = None


@dataclass
class Export:
    content: bytes
    filename: str
    manifest: dict[str, Any] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        return int(self.manifest["rows"])


def _check(request: ExportRequest) -> None:
    if request.fmt not in FORMATS:
        raise InputError(f"format: {quote(request.fmt)} is not an export format (xlsx or csv)")
    if (request.rule is None) == (request.proposals is None):
        raise InputError("give a rule (a worklist) or a proposal status (a proposal batch), one of them")
    if request.proposals is not None and not request.proposals.strip():
        raise InputError("proposals: give a proposal status, e.g. DIUSULKAN or 'DIVERIFIKASI DINSOS'")


def _sight(layout: Layout, principal: Principal) -> None:
    """Refuse a layout whose personal columns the role does not see, unless the layout masks them.

    Raises:
        Forbidden: naming the first such column and what the role does not see.
    """
    unseen = [(c, f) for c, f in layout.personal() if not principal.sees(f)]
    if unseen and layout.without_sight is WithoutSight.REFUSE:
        column, personal = unseen[0]
        raise Forbidden(f"layout {layout.name}: column {column.header} holds {personal.value} data, which the "
                        f"{principal.role} role does not see in clear, and this layout is not exported masked; "
                        "ask for the export with a key whose role sees it (steward or admin)")


async def _person_ids(store: GraphStore, principal: Principal, request: ExportRequest) -> tuple[list[str], str, str]:
    """The persons to export in file order, the dotted region, and what was exported (for the manifest)."""
    codes = await region_codes(store, worklist_region(principal, request.region))
    if request.rule is not None:
        rule = rule_named(request.rule)
        flagged = await every_flagged(store, rule, codes)
        if rule.subject is Subject.HOUSEHOLD:
            ids = list(dict.fromkeys(m for f in flagged for m in f.members))
        else:
            ids = [f.id for f in flagged]
        return ids, codes.code, f"worklist {rule.id}"
    status = str(request.proposals).strip()
    rows = await store.run(tq.PROPOSAL_PERSONS, {"codes": codes.codes, "kind": PROPOSAL_KIND, "status": status})
    return [r["id"] for r in rows], codes.code, f"proposals {status}"


def _best_household(person: Row, households: list[Row]) -> Row | None:
    """The household of the person's own KK, else the lowest KK (the best household, as the worklists pick it)."""
    own = next((h for h in households if person.get("kk") is not None and h["kk"] == person["kk"]), None)
    return own or min(households, key=lambda h: str(h["kk"]), default=None)


async def _read_batch(store: GraphStore, keys: list[str]) -> tuple[list[list[Any]], list[list[Any]]]:
    """The persons of ``keys`` with their households, and their records, as rows of values
    (``tq.EXPORT_PERSON_COLUMNS``, ``tq.EXPORT_RECORD_COLUMNS``)."""
    persons, records = await asyncio.gather(store.run_values(tq.EXPORT_PERSONS_BY_IDS, {"keys": keys}),
                                            store.run_values(tq.EXPORT_RECORDS_BY_IDS, {"keys": keys}))
    return persons, records


async def _read_ahead(store: GraphStore, batches: list[list[str]]
                      ) -> AsyncGenerator[tuple[list[str], tuple[list[list[Any]], list[list[Any]]]], None]:
    """Each batch with its reads; the next batch is asked for before one is given, so the graph
    reads it while the caller puts this one together."""
    if not batches:
        return
    ahead = asyncio.ensure_future(_read_batch(store, batches[0]))
    try:
        for keys, following in zip(batches, [*batches[1:], None], strict=True):
            current = ahead
            if following is not None:
                ahead = asyncio.ensure_future(_read_batch(store, following))
            yield keys, await current
    finally:
        ahead.cancel()  # a caller that stopped early leaves no read running


async def export_batches(store: GraphStore, ids: Sequence[str]) -> AsyncGenerator[list[Row], None]:
    """What each person of ``ids`` exports (those found, in ``ids`` order), a batch of ``ROWS_PER_QUERY``
    ids at a time: ``key``, ``person``, their best ``household`` and their ``records``."""
    batches = [list(ids[start:start + ROWS_PER_QUERY]) for start in range(0, len(ids), ROWS_PER_QUERY)]
    async with contextlib.aclosing(_read_ahead(store, batches)) as reads:
        async for keys, (persons, records) in reads:
            yield _assembled(keys, persons, records)


def _assembled(keys: list[str], persons: list[list[Any]], records: list[list[Any]]) -> list[Row]:
    """A batch's export rows from its reads (``tq.EXPORT_PERSON_COLUMNS``, ``tq.EXPORT_RECORD_COLUMNS``)."""
    found: dict[str, Row] = {}
    homes: dict[str, list[Row]] = {}
    for key, nik, kk, name, birth_date, sex, region, home_kk, decile, address, home_region in persons:
        if key not in found:  # a row per household the person belongs to
            found[key] = {"person_id": key, "nik": nik, "kk": kk, "name": name, "birth_date": birth_date,
                          "sex": sex, "region_code": region}
        if home_kk is not None:
            homes.setdefault(key, []).append({"kk": home_kk, "decile": decile, "address": address,
                                              "region_code": home_region})
    given: dict[str, list[Row]] = {}
    for key, source, birth_place, address in records:
        given.setdefault(key, []).append({"source": source, "birth_place": birth_place, "address": address})
    return [{"key": key, "person": person, "records": given.get(key, []),
            "household": _best_household(person, homes.get(key, []))}
           for key in keys if (person := found.get(key)) is not None]


async def export_rows(store: GraphStore, ids: Sequence[str]) -> list[Row]:
    """``export_batches``, all of them."""
    async with contextlib.aclosing(export_batches(store, ids)) as batches:
        return [row async for rows in batches for row in rows]


def _dtks_first(records: Sequence[Row]) -> Sequence[Row]:
    """The records in the order their values are taken: DTKS first (the backbone), then by source."""
    if len(records) < 2:
        return records
    return sorted(records, key=lambda r: (r.get("source") != "dtks", str(r.get("source"))))


def _best(records: Sequence[Row], key: str) -> str | None:
    """The first value of ``key`` among ``records`` (in ``_dtks_first`` order) that says something."""
    return next((str(r[key]) for r in records if r.get(key)), None)


def village_of(person_region: str | None, household_region: str | None) -> str | None:
    """The village a row names: the person's, else their household's within the person's region
    (a person placed by their KK's district alone has no village of their own); None when unknown,
    never a district's code in a column of village codes."""
    for code in (person_region, household_region):
        if code and code.count(".") == 3 and (not person_region or code.startswith(person_region)):
            return code
    return None


def _values(row: Row, number: int, layout: Layout) -> dict[str, Any]:
    person, home, records = row["person"], row["household"] or {}, _dtks_first(row["records"] or [])
    decile = home.get("decile")
    region = person.get("region_code") or home.get("region_code")
    village = village_of(person.get("region_code"), home.get("region_code"))
    welfare = layout.welfare_category
    return {
        "row_number": number, "nik": person.get("nik"), "kk": person.get("kk") or home.get("kk"),
        "name": person.get("name"), "birth_place": _best(records, "birth_place"),
        "birth_date": person.get("birth_date"), "sex": person.get("sex"),
        "address": home.get("address") or _best(records, "address"),
        "village_code": village.replace(".", "") if village else None,
        "welfare_category": welfare.get(str(decile), welfare.get("other")) if welfare else None,
        "dtks_status": layout.dtks_status.get("registered" if any(r.get("source") == "dtks" for r in records)
                                              else "not_registered"),
        "decile": decile, "person_id": person.get("person_id"), "region_code": region,
    }


def _date(value: str, date_format: str) -> str:
    """An ISO date as ``date_format`` writes it; a partial date (a year alone) as the source gave it."""
    try:
        return dt.date.fromisoformat(value[:10]).strftime(date_format)
    except ValueError:
        return value


def _cell_maker(column: Column, principal: Principal) -> Callable[[dict[str, Any]], Any]:
    """What ``column`` holds for a row's values, as ``principal`` sees it (None where it is missing)."""
    key, personal = column.value, VALUES[column.value]
    if personal is not None and not principal.sees(personal):
        return lambda values: None if values[key] is None else mask(str(values[key]), personal, principal)
    date_format, sex, text = column.date_format, column.sex, column.text
    dates: dict[str, str] = {}  # each date formatted once for this file, and forgotten with it

    def cell(values: dict[str, Any]) -> Any:
        value = values[key]
        if value is None:
            return None
        if date_format and isinstance(value, str):
            value = dates.get(value) or dates.setdefault(value, _date(value, date_format))
        if sex:
            value = sex.get(str(value), value)
        return str(value) if text else value

    return cell


def _table(layout: Layout, rows: Iterable[Row], principal: Principal) -> Iterator[list[Any]]:
    """The file's cells, row by row (made as the writer asks for them, not held as a whole)."""
    cells = [_cell_maker(c, principal) for c in layout.columns]
    for n, row in enumerate(rows, start=1):
        values = _values(row, n, layout)
        yield [cell(values) for cell in cells]


def write_file(layout: Layout, fmt: str, rows: Iterable[Row], principal: Principal) -> bytes:
    """The export rows (``export_rows``) as a file of ``fmt`` in ``layout``, each cell as ``principal`` sees it."""
    table = _table(layout, rows, principal)
    return _xlsx(layout, table) if fmt == "xlsx" else _csv(layout, table)


XLSX_MAX_ROWS = 1_048_575  # an XLSX sheet's rows below its header
XLSX_MAX_CHARS = 32_767  # characters an XLSX cell holds


def _within_a_cell(value: Any) -> Any:
    """A value as a cell holds it: a longer text cut at Excel's limit (as xlsxwriter cut it)."""
    return value[:XLSX_MAX_CHARS] if type(value) is str and len(value) > XLSX_MAX_CHARS else value


def _sheet_rows(table: Iterable[list[Any]]) -> Iterator[list[Any]]:
    """The table's rows, refused past what one sheet holds.

    Raises:
        InputError: more rows than an XLSX sheet holds (a CSV, or a smaller region, has room).
    """
    for n, cells in enumerate(table, start=1):
        if n > XLSX_MAX_ROWS:
            raise InputError(f"an XLSX sheet holds {XLSX_MAX_ROWS:,} rows and this export has more; export it as "
                             "CSV (format=csv) or a smaller region")
        yield cells


def _xlsx(layout: Layout, table: Iterable[list[Any]]) -> bytes:
    """The table as one sheet: a bold header, text columns as text cells (Excel keeps every digit of
    a NIK), numbers as numbers. rust_xlsxwriter (``rustpy_xlsxwriter``) writes it in constant memory,
    about five times faster than xlsxwriter here (a 100,000-row export within seconds)."""
    headers = [c.header for c in layout.columns]
    text = Format().set_num_format("@")
    rows = (dict(zip(headers, [_within_a_cell(v) for v in cells], strict=True)) for cells in _sheet_rows(table))
    first = next(rows, None)  # no rows: the header alone, which the writer takes from a frame's columns
    data = pd.DataFrame(columns=headers) if first is None else itertools.chain([first], rows)
    buffer = io.BytesIO()
    FastExcel(buffer).format(bold_headers=True).sheet(
        layout.sheet, data,
        column_widths=[max(len(c.header), 18 if c.text else 10) + 2 for c in layout.columns],
        column_formats={c.header: text for c in layout.columns if c.text}).save()
    return buffer.getvalue()


def _csv(layout: Layout, table: Iterable[list[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([c.header for c in layout.columns])
    writer.writerows([csv_cell(v) for v in cells] for cells in table)
    return buffer.getvalue().encode("utf-8")


async def build_export(store: GraphStore, audit: AuditLog, principal: Principal, request: ExportRequest, *,
                       request_id: str | None = None, client: str | None = None) -> Export:
    """The file (in memory) and its manifest; audited before it is returned.

    Raises:
        Forbidden: the role may not export, or may not see a personal column of the layout.
        OutsideRegion: the region lies outside the key's region.
        InputError: an unknown rule, layout, format or region.
        AuditWriteError: the export could not be audited (no file is given).
    """
    principal.require(Permission.EXPORT)
    _check(request)
    layout = load_layout(request.layout)
    operation = f"export {layout.name}"
    try:
        _sight(layout, principal)
    except Forbidden as refused:
        await audit.failure(principal, operation, Outcome.REFUSED, str(refused), action=Action.EXPORT,
                            request_id=request_id, client=client)
        raise
    with bulk_reading():  # the rule's rows too: a province's are hundreds of thousands
        ids, region, what = await _person_ids(store, principal, request)
        return await export_persons(store, audit, principal, layout, request, ids, region, what,
                                    request_id=request_id, client=client)


async def export_persons(store: GraphStore, audit: AuditLog, principal: Principal, layout: Layout,
                         request: ExportRequest, ids: Sequence[str], region: str, what: str, *,
                         request_id: str | None = None, client: str | None = None) -> Export:
    """The file of ``ids`` (in this order; ``what`` and ``region`` say what they are) and its manifest,
    audited. ``build_export`` finds the persons (in the caller's region) and audits a refusal first.

    Raises:
        Forbidden: the role may not export, or may not see a personal column of the layout.
        InputError: more rows than an XLSX sheet holds.
        AuditWriteError: the export could not be audited (no file is given).
    """
    principal.require(Permission.EXPORT)
    _sight(layout, principal)
    with bulk_reading():
        rows = await export_rows(store, ids)
        content = write_file(layout, request.fmt, rows, principal)
    keys = [str(r["key"]) for r in rows]
    del rows
    digest = hashlib.sha256(content).hexdigest()
    made = dt.datetime.now(dt.UTC)
    filename = f"{layout.name}_{region.replace('.', '')}_{made.strftime('%Y%m%d%H%M%S')}.{request.fmt}"
    manifest = {
        "file": filename, "layout": layout.name, "format": request.fmt, "exported": what,
        "rule": request.rule, "proposals": request.proposals, "region": region, "time": made.isoformat(timespec="seconds"),
        "rows": len(keys), "sha256": digest,
        "columns": [c.header for c in layout.columns],
        "masked": [c.header for c, f in layout.personal() if not principal.sees(f)],
        "by": {"key_id": principal.key_id, "name": principal.name, "role": str(principal.role),
               "officer": principal.officer, "office": principal.office, "region": principal.region},
    }
    await audit.record(principal, f"export {layout.name}", keys,
                       [c.header for c in layout.columns], action=Action.EXPORT, request_id=request_id, client=client,
                       detail=f"{len(keys)} rows; {what}; region {region}; {request.fmt}; sha256 {digest}")
    return Export(content=content, filename=filename, manifest=manifest)


@dataclass(frozen=True)
class Listing:
    """A worklist as the command line shows it: the counts, and the first persons or households."""

    rule: GapRule
    region: RegionCodes
    counts: list[SubRegionCount]
    flagged: list[Flagged]
    persons: dict[str, Row]  # export rows of the persons shown, by person id
    more: bool


async def worklist_listing(store: GraphStore, audit: AuditLog, principal: Principal, rule_id: str, region: str,
                           first: int) -> Listing:
    """What ``rule_id`` flags in ``region``: counts per sub-region and the first ``first``; the read is audited.

    Raises:
        Forbidden, OutsideRegion, InputError: as ``worklist`` in the API.
    """
    principal.require(Permission.WORKLIST)
    rule = rule_named(rule_id)
    codes = await region_codes(store, worklist_region(principal, region))
    found, (flagged, more) = await asyncio.gather(counts(store, rule, codes), page(store, rule, codes, None, first))
    shown = [f for f, _ in flagged]
    ids = [m for f in shown for m in f.members] if rule.subject is Subject.HOUSEHOLD else [f.id for f in shown]
    rows = {r["key"]: r for r in await export_rows(store, ids)}
    await audit.record(principal, "hub worklist", ids, ["nik", "name", "birth_date", "region"])
    return Listing(rule=rule, region=codes, counts=found, flagged=shown, persons=rows, more=more)
