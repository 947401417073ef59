"""``hub bench truth``: the truth check of what the API tells about people (see ``hub.truth_bench``)."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from hub.api_cli import check_port_free
from hub.errors import InputError


def bench_truth(
    persons: Annotated[int, typer.Option(help="Population size to synthesise, load and link.")] = 20_000,
    seed: Annotated[int, typer.Option(help="Seed of the population and of every sample.")] = 42,
    lookups: Annotated[int, typer.Option(help="True persons looked up by NIK.")] = 1000,
    searches: Annotated[int, typer.Option(help="True persons searched for by a name variant.")] = 500,
    relations: Annotated[int, typer.Option(help="DTKS rows whose household relation is checked.")] = 1000,
    port: Annotated[int, typer.Option(help="Where the benchmark's API listens.")] = 8766,
) -> None:
    """Synth, load and link a population, serve it, and measure what the API tells against the truth (JSON)."""
    for name, value in {"persons": persons, "lookups": lookups, "searches": searches, "relations": relations}.items():
        if value < 1:
            raise InputError(f"--{name} must be at least 1 (got {value})")
    check_port_free("127.0.0.1", port)
    from hub.truth_bench import run_truth_bench  # numpy and the loaders: only when it runs
    from hub.truth_measures import Samples

    print(json.dumps(run_truth_bench(persons, Samples(lookups, relations, searches, seed), port)))
