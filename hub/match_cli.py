"""``hub match`` and ``hub bench match``."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console

from hub.settings import Settings, load_settings
from hub.store import open_store
from matching.evaluate import pairwise_scores
from matching.judgement import Judgement
from matching.pipeline import MatchReport, run_match

console = Console(soft_wrap=True)


def model_path(settings: Settings) -> Path:
    return settings.home / "models" / f"{settings.graph_name}.splink.json"


def match(
    retrain: Annotated[bool, typer.Option(help="Estimate the model again instead of reusing the saved one.")] = False,
) -> None:
    """Link every loaded record to a person: NIK first, then Splink for the rest."""
    settings = load_settings()

    async def run() -> MatchReport:
        store = await open_store(settings)
        try:
            return await run_match(store, model_path(settings), retrain=retrain)
        finally:
            await store.close()

    with console.status("linking records"):
        report = asyncio.run(run())
    console.print(f"{report.records:,} records -> {report.persons:,} persons in {report.seconds:.1f}s "
                  f"({report.records_per_s:,.0f} records/s); {report.pairs_accepted:,} of {report.pairs_scored:,} "
                  f"scored pairs accepted; {report.review_candidates:,} candidates for review (`hub review`); "
                  f"{report.relinked:,} records moved to another person; model "
                  f"{'trained and saved' if report.trained else 'reused'}: {model_path(settings)}")


def bench_match(
    persons: Annotated[int, typer.Option(help="Population size to synthesise, load and link.")] = 20_000,
    seed: Annotated[int, typer.Option()] = 42,
) -> None:
    """Synth, load and match a population in a fresh graph; print precision, recall, F1 and speed as JSON."""
    from hub.bench_support import bench_workspace
    from hub.load_cli import _load_all, _source_files
    from hub.synth_cli import peak_rss_mb

    with bench_workspace("match", persons, seed) as work:
        asyncio.run(_load_all(work.settings, _source_files(work.data), work.scratch / "reports", 5000, quiet=True))

        async def run() -> MatchReport:
            store = await open_store(work.settings)
            try:
                return await run_match(store, work.scratch / "model.json", retrain=True)
            finally:
                if work.settings.embedded:
                    await store.clear()
                await store.close()

        report = asyncio.run(run())
        truth = pd.read_csv(work.data / "truth.csv", dtype=str, keep_default_na=False)
        scores = pairwise_scores(report.assigned[["record_id", "cluster"]], truth)
    print(json.dumps({
        "benchmark": "match", "persons": persons, **scores, "records": report.records,
        "records_per_s": round(report.records_per_s), "seconds": round(report.seconds, 2),
        "persons_found": report.persons, "pairs_scored": report.pairs_scored,
        "review_candidates": report.review_candidates, "peak_rss_mb": round(peak_rss_mb(), 1),
    }))


def review(limit: Annotated[int, typer.Option(help="How many candidates to show, most consequential first.")] = 20) -> None:
    """The stewards' queue: match candidates the model was unsure about, both records side by side."""
    from rich.table import Table

    from graph_schema import queries

    settings = load_settings()

    async def run() -> list[dict[str, object]]:
        store = await open_store(settings)
        try:
            return await store.run(queries.OPEN_CANDIDATES, {"limit": limit})
        finally:
            await store.close()

    table = Table("candidate", "evidence", "left", "right", "weights")
    for row in asyncio.run(run()):
        candidate = row["candidate"]
        assert isinstance(candidate, dict) and isinstance(row["sides"], list)
        sides = {s["side"]: s["record"] for s in row["sides"]}

        def show(record: dict[str, object]) -> str:
            return " | ".join(str(record.get(k, "")) for k in ("record_id", "name", "birth_date", "region_code"))

        table.add_row(str(candidate["candidate_id"]), f"{candidate['match_weight']:.1f}", show(sides.get("left", {})),
                      show(sides.get("right", {})), str(candidate["match_weights"]))
    console.print(table)


def judge(
    candidate: Annotated[str, typer.Argument(help="A candidate id from `hub review`.")],
    decision: Annotated[Judgement, typer.Argument(help="SAME, DIFFERENT or UNSURE.")],
    by: Annotated[str, typer.Option(help="Who decides.")],
    reason: Annotated[str, typer.Option(help="Why: kept with the verdict.")],
) -> None:
    """Record a steward's verdict; the next `hub match` joins or keeps apart accordingly."""
    from hub.errors import InputError
    from matching.review import judge as record_judgement

    settings = load_settings()

    async def run() -> bool:
        store = await open_store(settings)
        try:
            return await record_judgement(store, candidate, decision, by, reason)
        finally:
            await store.close()

    if not asyncio.run(run()):
        raise InputError(f"no match candidate {candidate}: see `hub review`")
    console.print(f"{candidate}: {decision} by {by}; run `hub match` to apply it")
