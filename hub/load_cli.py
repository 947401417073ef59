"""``hub load``, ``hub load-dir`` and ``hub bench load``."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from graph_schema.port import GraphStore
from hub.errors import HubError, InputError
from hub.settings import Settings, load_settings
from hub.store import open_store, run_with_store
from loaders.mapping import Mapping, mapping_for, shipped_sources
from loaders.run import DEFAULT_BATCH, LoadReport, load_file

console = Console(soft_wrap=True)


def _count_rows(path: Path) -> int | None:
    if path.suffix.lower() != ".csv" or not path.is_file():
        return None
    with open(path, "rb") as handle:
        return max(sum(block.count(b"\n") for block in iter(lambda: handle.read(1 << 20), b"")) - 1, 0)


async def _load_one(store: GraphStore, mapping: Mapping, path: Path, report_dir: Path, batch_size: int,
                    quiet: bool = False) -> LoadReport:
    total = _count_rows(path)
    columns = [TextColumn(f"[bold]{mapping.source}"), BarColumn(), TextColumn("{task.completed:,} rows"),
               TextColumn("{task.fields[rate]}"), TimeElapsedColumn()]
    with Progress(*columns, console=console, disable=quiet) as progress:
        task = progress.add_task(mapping.source, total=total, rate="")
        started = time.perf_counter()

        def update(report: LoadReport) -> None:
            elapsed = time.perf_counter() - started
            progress.update(task, completed=report.rows_read,
                            rate=f"{report.rows_read / elapsed:,.0f} rows/s" if elapsed else "")

        return await load_file(store, mapping, path, report_dir, batch_size, update)


def _report_table(reports: list[LoadReport]) -> Table:
    table = Table("source", "read", "new", "updated", "unchanged", "rejected", "warnings", "rows/s")
    for r in reports:
        rate = f"{r.rows_read / r.seconds:,.0f}" if r.seconds else ""
        table.add_row(r.source, f"{r.rows_read:,}", f"{r.new:,}", f"{r.updated:,}", f"{r.unchanged:,}",
                      f"{r.rejected:,}", f"{r.warnings:,}", rate)
    return table


def _source_files(directory: Path) -> list[tuple[str, Path]]:
    if not directory.is_dir():
        raise InputError(f"{directory}: no such directory")
    manifest = directory / "manifest.json"
    order = json.loads(manifest.read_text())["sources"] if manifest.exists() else shipped_sources()
    found = []
    for source in order:
        for suffix in (".csv", ".xlsx"):
            path = directory / f"{source}{suffix}"
            if path.exists():
                found.append((source, path))
                break
    if not found:
        raise InputError(f"{directory}: no source files (expected e.g. dtks.csv); known sources: "
                         f"{', '.join(shipped_sources())}")
    return found


async def _schema_ready(store: GraphStore) -> None:
    """Constraints and indexes first (``hub db init``; quick where they exist): without them a
    load would look every record up by scanning them all, and nothing would refuse a duplicate."""
    await store.ensure_schema(dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))


def _report_dir(settings: Settings, given: Path | None) -> Path:
    return given if given is not None else settings.home / "loads"


LINK_HELP = ("Link what the load added or changed before returning (the default). --no-link: the new records "
             "hold no person (person(nik:) does not find them) until `hub match` links everything.")


async def _link(store: GraphStore, settings: Settings, reports: list[LoadReport]) -> None:
    """Link the records the loads wrote, and say what that did. A load is complete without it: when
    linking cannot be done (nothing to train a first model on), the records wait for `hub match`."""
    from hub.match_cli import model_path
    from matching.incremental import link_records, records_of_loads

    ids = await records_of_loads(store, [(r.source, r.batch_id) for r in reports if r.loaded])
    if not ids:
        console.print("linking: no record was added or changed")
        return
    try:
        with console.status(f"linking {len(ids):,} records"):
            live = await link_records(store, model_path(settings), ids)
    except HubError as err:
        console.print(f"[yellow]loaded, not linked yet:[/] {err}. The records wait for `hub match`.", highlight=False)
        return
    if live.trained:
        console.print(f"linking: no saved model yet, so every record was linked and the model trained "
                      f"({live.persons_touched:,} persons, {live.seconds:.1f}s; model {model_path(settings)})")
        return
    console.print(f"linking: {len(live.records):,} records linked in {live.seconds:.1f}s "
                  f"({live.records_per_s:,.0f} records/s): {live.joined:,} joined a known person, "
                  f"{live.persons_new:,} new persons, {live.moved:,} records moved to another person; "
                  f"{live.review_candidates:,} candidates for review (seconds: "
                  + ", ".join(f"{stage} {seconds:.1f}" for stage, seconds in live.stages.items()) + ")"
                  + (" (write_persons seconds: " + ", ".join(f"{part} {seconds:.1f}" for part, seconds in
                                                             live.write_parts.items()) + ")"
                     if len(live.write_parts) > 1 else ""),
                  highlight=False)


def load(
    source: Annotated[str, typer.Argument(help="Source type, e.g. dtks, ppks, program_pkh (see loaders/mappings).")],
    path: Annotated[Path, typer.Argument(help="The export: .csv (UTF-8 or cp1252; , ; or tab) or .xlsx.")],
    mapping: Annotated[Path | None, typer.Option(help="A mapping file for an export with other headers.")] = None,
    batch_size: Annotated[int, typer.Option(help="Rows per write transaction.")] = DEFAULT_BATCH,
    report_dir: Annotated[Path | None, typer.Option(help="Where reports and rejects go (default .hub/loads).")] = None,
    link: Annotated[bool, typer.Option(help=LINK_HELP)] = True,
) -> None:
    """Load one export into the graph: every row is loaded or in the rejects file, with its reason;
    then what it added or changed is linked to persons."""
    settings = load_settings()
    chosen = mapping_for(source, mapping)

    async def work(store: GraphStore) -> LoadReport:
        await _schema_ready(store)
        report = await _load_one(store, chosen, path, _report_dir(settings, report_dir), batch_size)
        console.print(_report_table([report]))
        console.print(f"report {report.report_file}; rejects {report.rejects_file}; warnings {report.warnings_file}")
        if link:
            await _link(store, settings, [report])
        return report

    run_with_store(settings, work)


def load_dir(
    directory: Annotated[Path, typer.Argument(help="A `hub synth` output, or any folder of <source>.csv files.")],
    batch_size: Annotated[int, typer.Option(help="Rows per write transaction.")] = DEFAULT_BATCH,
    report_dir: Annotated[Path | None, typer.Option(help="Where reports and rejects go (default .hub/loads).")] = None,
    link: Annotated[bool, typer.Option(help=LINK_HELP)] = True,
) -> list[LoadReport]:
    """Load every source file of a folder, in dependency order (actors and registers first); then
    what the files added or changed is linked to persons, once for all of them."""
    settings = load_settings()
    files = _source_files(directory)
    reports = asyncio.run(_load_all(settings, files, _report_dir(settings, report_dir), batch_size, link=link))
    return reports


async def _load_all(settings: Settings, files: list[tuple[str, Path]], report_dir: Path, batch_size: int,
                    quiet: bool = False, empty_afterwards: bool = False, link: bool = False) -> list[LoadReport]:
    store = await open_store(settings)
    try:
        await _schema_ready(store)
        reports = [await _load_one(store, mapping_for(source), path, report_dir, batch_size, quiet)
                   for source, path in files]
        if not quiet:
            console.print(_report_table(reports))
            console.print(f"reports, rejects and warnings in {report_dir}")
        if link:
            await _link(store, settings, reports)
        return reports
    finally:
        if empty_afterwards:
            await store.clear()
        await store.close()


def bench_load(
    persons: Annotated[int, typer.Option(help="Population size to synthesise and load.")] = 20_000,
    seed: Annotated[int, typer.Option()] = 42,
    batch_size: Annotated[int, typer.Option(help="Rows per write transaction.")] = DEFAULT_BATCH,
    backend: Annotated[str, typer.Option(help="falkordb, neo4j (a managed local Neo4j the bench starts and "
                                         "stops) or both: the same data through each, figures side by side.")] = "falkordb",
) -> None:
    """Synthesise a population, load every source into a fresh graph, print one JSON object."""
    from hub.bench_support import backends_of, run_on_backends

    backends_of(backend)
    print(json.dumps(run_on_backends(backend, lambda: _load_figures(persons, seed, batch_size))))


def _load_figures(persons: int, seed: int, batch_size: int) -> dict[str, Any]:
    from hub.bench_support import bench_workspace, peak_rss_mb

    with bench_workspace("load", persons, seed) as work:
        reports = asyncio.run(_load_all(work.settings, _source_files(work.data), work.scratch / "reports", batch_size,
                                        quiet=True, empty_afterwards=work.settings.embedded))
    seconds = sum(r.seconds for r in reports)
    records = sum(r.rows_read for r in reports)
    dtks = next(r for r in reports if r.source == "dtks")
    return {
        "benchmark": "load", "persons": persons, "records": records,
        "records_per_s": round(records / seconds) if seconds else 0, "seconds": round(seconds, 2),
        "dtks_records": dtks.rows_read, "dtks_records_per_s": round(dtks.rows_read / dtks.seconds) if dtks.seconds else 0,
        "loaded": sum(r.loaded for r in reports), "rejected": sum(r.rejected for r in reports),
        "warnings": sum(r.warnings for r in reports), "reconciled": all(r.reconciled for r in reports),
        "peak_rss_mb": round(peak_rss_mb(), 1), "batch_size": batch_size, "backend": work.settings.backend,
    }
