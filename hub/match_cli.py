"""``hub match`` and ``hub bench match``."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from hub.settings import Settings, load_settings
from hub.store import open_store, run_with_store
from matching.judgement import Judgement

# Splink and DuckDB load only when a matching command runs: every `hub` start (and every
# worker process `hub synth` spawns, which re-imports the entry point) would pay for them.
if TYPE_CHECKING:
    from matching.one_record import KnownRecords
    from matching.pipeline import MatchReport

console = Console(soft_wrap=True)


def model_path(settings: Settings) -> Path:
    return settings.home / "models" / f"{settings.graph_name}.splink.json"


def match(
    retrain: Annotated[bool, typer.Option(help="Estimate the model again instead of reusing the saved one.")] = False,
) -> None:
    """Link every loaded record to a person: NIK first, then Splink for the rest."""
    from matching.pipeline import run_match

    settings = load_settings()
    with console.status("linking records"):
        report = run_with_store(settings, lambda store: run_match(store, model_path(settings), retrain=retrain))
    console.print(f"{report.records:,} records -> {report.persons:,} persons in {report.seconds:.1f}s "
                  f"({report.records_per_s:,.0f} records/s); {report.pairs_accepted:,} of {report.pairs_scored:,} "
                  f"scored pairs accepted; {report.review_candidates:,} candidates for review (`hub review`); "
                  f"{report.relinked:,} records moved to another person; model "
                  f"{'trained and saved' if report.trained else 'reused'}: {model_path(settings)}")
    if report.trained:
        from matching import model

        saved = model.load(model_path(settings))
        untrained = model.untrained_comparisons(saved) if saved else []
        if untrained:
            console.print(f"no two records had the fields of {', '.join(untrained)}: the model gives them no "
                          "evidence until `hub match --retrain` runs on lists that have them")


def links_current() -> bool:
    """Whether every record holds a person and the saved model is this version's."""
    from matching.pipeline import links_current as current

    settings = load_settings()
    return run_with_store(settings, lambda store: current(store, model_path(settings)))


def bench_match(
    persons: Annotated[int, typer.Option(help="Population size to synthesise, load and link.")] = 20_000,
    seed: Annotated[int, typer.Option()] = 42,
    backend: Annotated[str, typer.Option(help="falkordb, neo4j (a managed local Neo4j the bench starts and "
                                         "stops) or both: the same data through each, figures side by side.")] = "falkordb",
) -> None:
    """Synth, load and match a population in a fresh graph; print precision, recall, F1 and speed as JSON."""
    from hub.bench_support import backends_of, run_on_backends

    backends_of(backend)
    print(json.dumps(run_on_backends(backend, lambda: _match_figures(persons, seed))))


def _match_figures(persons: int, seed: int) -> dict[str, Any]:
    import pandas as pd

    from hub.bench_support import bench_workspace, peak_rss_mb
    from hub.load_cli import _load_all, _source_files
    from matching.evaluate import pairwise_scores
    from matching.pipeline import run_match

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
    return {
        "benchmark": "match", "persons": persons, **scores, "records": report.records,
        "records_per_s": round(report.records_per_s), "seconds": round(report.seconds, 2),
        "persons_found": report.persons, "pairs_scored": report.pairs_scored,
        "review_candidates": report.review_candidates, "peak_rss_mb": round(peak_rss_mb(), 1),
        "accept_bits": round(report.accept_bits, 1), "stage_seconds": report.stages,
    }


def review(limit: Annotated[int, typer.Option(help="How many candidates to show, most consequential first.")] = 20) -> None:
    """The stewards' queue: match candidates the model was unsure about, both records side by side."""
    from rich.table import Table

    from graph_schema import queries

    settings = load_settings()
    table = Table("candidate", "evidence", "left", "right", "weights")
    for row in run_with_store(settings, lambda store: store.run(queries.OPEN_CANDIDATES, {"limit": limit})):
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
    """Record a steward's verdict and apply it at once (join or part the persons); later runs keep to it."""
    from hub.errors import InputError
    from matching.steward import apply_judgement

    settings = load_settings()
    verdict = run_with_store(settings, lambda store: apply_judgement(store, candidate, decision, by, reason))
    if not verdict.found:
        raise InputError(f"no match candidate {candidate}: see `hub review`")
    console.print(f"{candidate}: {decision} by {by}; persons {', '.join(verdict.persons_before) or '-'} -> "
                  f"{', '.join(verdict.persons_after) or '-'} ({verdict.records_moved} records moved)")


def _known(settings: Settings) -> KnownRecords:
    from hub.errors import InputError
    from matching import model
    from matching.one_record import KnownRecords

    saved = model.load(model_path(settings))
    if saved is None:
        raise InputError(f"no trained model at {model_path(settings)}: run `hub match` first")

    return run_with_store(settings, lambda store: KnownRecords.from_graph(store, saved))


def find(
    name: Annotated[str, typer.Option(help="Name or call name, as given.")],
    birth_date: Annotated[str | None, typer.Option(help="YYYY-MM-DD, if known.")] = None,
    age: Annotated[int | None, typer.Option(help="Age, when the birth date is not known.")] = None,
    sex: Annotated[str | None, typer.Option(help="L or P.")] = None,
    nik: Annotated[str | None, typer.Option(help="NIK, if given.")] = None,
    region: Annotated[str | None, typer.Option(help="Kemendagri code where the person lives or was met.")] = None,
    street: Annotated[bool, typer.Option(help="Met on the street: the name may be a call name, the age a guess, "
                                               "the region where they were met.")] = False,
    limit: Annotated[int, typer.Option(help="How many persons to show.")] = 5,
) -> None:
    """Have we met this person before? One record against everyone known, best candidates first."""
    from rich.table import Table

    from loaders.normalise import parse_nik_cell

    settings = load_settings()
    known = _known(settings)
    record: dict[str, object] = {"name": name, "birth_date": birth_date, "age": age, "sex": sex,
                                 "region_code": region, "birth_year": int(birth_date[:4]) if birth_date else None,
                                 "encounter": street}
    if nik:
        record.update(parse_nik_cell(nik, dt.date.today())[0])
    table = Table("person", "probability", "evidence (bits)", "closest record", "name")
    for candidate in known.candidates(record, limit=limit):
        table.add_row(candidate.person_id or "-", f"{candidate.probability:.3f}", f"{candidate.evidence:.1f}",
                      candidate.record_id, candidate.name or "")
    console.print(table)


def bench_find(
    queries: Annotated[int, typer.Option(help="How many single-record searches to time.")] = 200,
    seed: Annotated[int, typer.Option()] = 42,
) -> None:
    """Time single-record matching against the configured, already matched graph; print one JSON object."""
    import random

    from hub.bench_support import percentile

    settings = load_settings()
    started = time.perf_counter()
    known = _known(settings)
    build_s = time.perf_counter() - started
    frame = known.sample(queries, seed)
    rng = random.Random(seed)
    latencies = []
    for row in frame:
        if rng.random() < 0.5:  # half of the searches as street outreach asks: a call name and a guessed age
            year = row.get("birth_year") or (int(str(row["birth_date"])[:4]) if row.get("birth_date") else None)
            age = row["age"] if row.get("age") is not None else (dt.date.today().year - 1 - int(year) if year else None)
            row = {"name": str(row["name"]).split(" ")[0], "age": age, "sex": row["sex"],
                   "region_code": row["region_code"], "encounter": True}
        t = time.perf_counter()
        known.candidates(row)
        latencies.append((time.perf_counter() - t) * 1000)
    print(json.dumps({
        "benchmark": "find", "known_records": known.size, "queries": len(latencies),
        "p50_ms": round(percentile(latencies, 0.5), 1), "p95_ms": round(percentile(latencies, 0.95), 1),
        "p99_ms": round(percentile(latencies, 0.99), 1), "build_s": round(build_s, 1),
    }))


def explain(
    pairs: Annotated[list[str] | None, typer.Argument(help="Record-id pairs as LEFT,RIGHT (e.g. dtks:A,ppks:B).")] = None,
    top: Annotated[int, typer.Option(help="Also explain the N first candidates of the review queue.")] = 0,
    out: Annotated[Path, typer.Option(help="Where the HTML charts go.")] = Path(".hub/explain"),
) -> None:
    """Write Splink's waterfall (per-comparison weights of chosen pairs) and model charts as offline HTML."""
    from graph_schema import queries
    from hub.errors import InputError
    from matching.explain import explain as write_charts

    settings = load_settings()
    chosen: list[tuple[str, str]] = []
    for pair in pairs or []:
        left, _, right = pair.partition(",")
        if not left or not right:
            raise InputError(f"{pair!r}: give a pair as LEFT,RIGHT record ids")
        chosen.append((left, right))
    if top:
        for row in run_with_store(settings, lambda store: store.run(queries.OPEN_CANDIDATES, {"limit": top})):
            sides = row["sides"]
            assert isinstance(sides, list)
            ids = {s["side"]: s["record"]["record_id"] for s in sides}
            chosen.append((ids["left"], ids["right"]))
    if not chosen:
        raise InputError("name at least one pair (LEFT,RIGHT) or --top N")
    for path in write_charts(_known(settings), chosen, out):
        console.print(f"wrote {path}")
