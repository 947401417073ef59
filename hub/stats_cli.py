"""``hub stats``: a statistic per region as a table; ``hub bench statistics``: its figures."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from hub.errors import HubError
from hub.privacy.access import Principal, Role
from hub.settings import load_settings
from hub.store import open_redis, open_store, run_with_store
from resolvers.statistics import statistic
from resolvers.stats_cache import StatsCache
from resolvers.types.aggregates import region_prefix
from resolvers.types.statistics import Statistic, StatisticKind

console = Console()
KINDS = ", ".join(k.name for k in StatisticKind)


def _kind(value: str) -> StatisticKind:
    try:
        return StatisticKind[value.strip().upper().replace("-", "_")]
    except KeyError:
        raise typer.BadParameter(f"{value!r} is not a statistic; one of {KINDS}") from None


async def _ask(kind: StatisticKind, region: str | None, level: int | None, month: bool) -> Statistic:
    settings = load_settings()
    store = await open_store(settings)
    redis = await open_redis(settings)
    try:  # the operator at the console sees exact counts, as an admin key would
        operator = Principal(key_id="cli", name="hub stats", role=Role.ADMIN)
        return await statistic(store, StatsCache(redis, settings.graph_name), operator, kind, region_prefix(region),
                               level, month)
    finally:
        await redis.aclose()
        await store.close()


def _table(result: Statistic) -> Table:
    table = Table(title=f"{result.kind.name} in {result.region or 'every regency'} (level {result.level}"
                  f"{', per month' if result.by_month else ''}{', cached' if result.cached else ''})")
    for name in ("region", "name", *(["month"] if result.by_month else []), "group", "count"):
        table.add_column(name, justify="right" if name == "count" else "left")
    extras = [(n, m) for n, m in (("persons", result.persons_means), ("extra", result.extra_means),
                                  ("rate", result.rate_means)) if m]
    for name, _ in extras:
        table.add_column(name, justify="right")
    for c in result.cells:
        values = [c.region.code, c.region.name or "", *([c.month or ""] if result.by_month else []),
                  c.label or c.group or "", str(c.count)]
        values += [str(getattr(c, name)) for name, _ in extras]
        table.add_row(*values)
    table.caption = "count: " + result.count_means + "".join(f"; {n}: {m}" for n, m in extras)
    return table


def stats(
    kind: Annotated[str, typer.Argument(help=f"What to count: {KINDS}.")],
    region: Annotated[str | None, typer.Option(help="A region code (3316 or 33.16); none: every regency.")] = None,
    level: Annotated[int | None, typer.Option(help="2 regency, 3 district, 4 village (default: one below).")] = None,
    month: Annotated[bool, typer.Option("--month", help="Per month, where the statistic is dated.")] = False,
) -> None:
    """Counts per region (and month) of PPKS, PSKS, SLRT, outreach, proposals or panti: never persons."""
    import asyncio

    chosen = _kind(kind)
    try:
        result = asyncio.run(_ask(chosen, region, level, month))
    except HubError as exc:
        console.print(f"[red]{exc}[/]", highlight=False)
        raise typer.Exit(2) from None
    console.print(_table(result))


def bench_statistics(
    persons: Annotated[int, typer.Option(help="Population size to synthesise, load and link.")] = 20_000,
    seed: Annotated[int, typer.Option()] = 42,
) -> None:
    """Synth, load and link a population; time every statistic cold and cached; print figures as JSON."""
    import asyncio
    from dataclasses import replace

    from hub.bench_support import bench_workspace
    from hub.statistics_bench import load_population, measure

    with bench_workspace("statistics", persons, seed) as work:
        settings = replace(work.settings, home=work.scratch / "hub")
        try:
            asyncio.run(load_population(settings, work.data, work.scratch))
            figures = measure(settings)
        finally:
            if settings.embedded:
                run_with_store(settings, lambda store: store.clear())
    print(json.dumps({"benchmark": "statistics", "persons": persons, **figures}))
