"""``hub synth`` and ``hub bench synth``: the command-line face of ``hub.synth``."""

from __future__ import annotations

import json
import shutil
import tempfile
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from hub.bench_support import peak_rss_mb
from hub.errors import InputError
from hub.paths import unwritable_reason
from hub.synth.config import DirtRates, SynthConfig
from hub.synth.run import SynthReport, synthesize

MAX_PERSONS = 10_000_000
XLSX_AUTO_LIMIT = 200_000  # beyond this an office would not export spreadsheets, and xlsxwriter is the bottleneck


class XlsxMode(StrEnum):
    AUTO = "auto"
    ALWAYS = "always"
    NEVER = "never"


def _config(persons: int, seed: int, xlsx: XlsxMode, dirt_scale: float) -> SynthConfig:
    if not 1 <= persons <= MAX_PERSONS:
        raise InputError(f"--persons {persons} is outside 1..{MAX_PERSONS:,}")
    if dirt_scale < 0:
        raise InputError(f"--dirt-scale {dirt_scale} must be 0 (clean) or more (1 is the default mix)")
    write_xlsx = xlsx is XlsxMode.ALWAYS or (xlsx is XlsxMode.AUTO and persons <= XLSX_AUTO_LIMIT)
    return SynthConfig(persons=persons, seed=seed, dirt=DirtRates().scaled(dirt_scale), xlsx=write_xlsx)


def _writable(out: Path) -> None:
    reason = unwritable_reason(out)
    if reason:
        raise InputError(f"cannot write to {out} ({reason}): choose another --out")


def run_with_progress(config: SynthConfig, out: Path, console: Console, workers: int | None) -> SynthReport:
    _writable(out)
    columns = [TextColumn("[bold]synth"), BarColumn(), MofNCompleteColumn(), TextColumn("persons"),
               TextColumn("{task.fields[records]:,} records"), TextColumn("{task.fields[rate]}"), TimeElapsedColumn()]
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task("synth", total=config.persons, records=0, rate="")

        def update(persons: int, records: int) -> None:
            elapsed = progress.tasks[task].elapsed or 0.0
            rate = f"{records / elapsed:,.0f} rec/s" if elapsed > 0 else ""
            progress.update(task, completed=persons, records=records, rate=rate)

        return synthesize(config, out, on_progress=update, workers=workers)


def synth(
    persons: Annotated[int, typer.Option(help="How many persons to generate (1 to 10,000,000).")] = 20_000,
    out: Annotated[Path, typer.Option(help="Directory for the source files and the truth.")] = Path(".hub/demo"),
    seed: Annotated[int, typer.Option(help="Same seed, same bytes.")] = 42,
    xlsx: Annotated[XlsxMode, typer.Option(help="Also write XLSX copies (auto: up to 200,000 persons).")] = XlsxMode.AUTO,
    dirt_scale: Annotated[float, typer.Option(help="Multiply every dirt rate (0: clean, 1: the default mix).")] = 1.0,
    workers: Annotated[int | None, typer.Option(help="Worker processes (default: one per core).")] = None,
) -> None:
    """Write every source of a synthetic Central Java population, as offices export them, with the truth."""
    console = Console(soft_wrap=True)
    report = run_with_progress(_config(persons, seed, xlsx, dirt_scale), out, console, workers)
    table = Table("source", "records", title=f"{out}: {report.persons:,} persons")
    for source, count in report.per_source.items():
        table.add_row(source, f"{count:,}")
    table.add_row("[bold]all", f"[bold]{report.records:,}")
    console.print(table)
    console.print(f"{report.records:,} records in {report.seconds:.1f}s ({report.records_per_s:,.0f}/s); "
                  f"truth in {out / 'truth.csv'}")


def bench_synth(
    persons: Annotated[int, typer.Option(help="Population size.")] = 100_000,
    seed: Annotated[int, typer.Option()] = 42,
    xlsx: Annotated[XlsxMode, typer.Option(help="Include XLSX writing in the timing.")] = XlsxMode.NEVER,
    workers: Annotated[int | None, typer.Option(help="Worker processes (default: one per core).")] = None,
) -> None:
    """Time ``hub synth`` and print one JSON object: records, records_per_s, peak_rss_mb, ..."""
    config = _config(persons, seed, xlsx, 1.0)
    out = Path(tempfile.mkdtemp(prefix="hub-bench-synth-"))
    try:
        report = synthesize(config, out, workers=workers)
        size = sum(f.stat().st_size for f in out.iterdir())
    finally:
        shutil.rmtree(out, ignore_errors=True)
    print(json.dumps({
        "benchmark": "synth", "persons": persons, "records": report.records,
        "records_per_s": round(report.records_per_s), "seconds": round(report.seconds, 2),
        "peak_rss_mb": round(peak_rss_mb(), 1), "output_mb": round(size / 1e6, 1), "xlsx": config.xlsx,
        "workers": workers, "sources": len(report.per_source),
    }))
