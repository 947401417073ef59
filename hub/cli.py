"""The ``hub`` command line.

Every command reports a failure as one line (what failed, what to do) and a non-zero exit
code; a traceback reaches the user only when HUB_DEBUG=1.
"""

from __future__ import annotations

import contextlib
import os
import sys
from datetime import UTC, datetime

import typer
from rich.console import Console

from graph_schema.port import GraphStore
from hub import (
    api_bench,
    api_cli,
    export_cli,
    load_cli,
    match_cli,
    pdp_cli,
    stats_cli,
    synth_cli,
    targeting_bench,
    truth_cli,
)
from hub.errors import HubError, InputError, quote
from hub.pages_bench import bench_pages
from hub.settings import ENGINES, Settings, load_settings
from hub.store import compact_embedded, embedded_server, managed_neo4j, run_with_store
from loaders.run import DEFAULT_BATCH

app = typer.Typer(help="Kesos Hub: one NIK, one history.", no_args_is_help=True,
                  pretty_exceptions_enable=False, add_completion=False)
db_app = typer.Typer(help="The graph database: the embedded FalkorDB server, the managed Neo4j and the schema.",
                     no_args_is_help=True)
app.add_typer(db_app, name="db")
bench_app = typer.Typer(help="Benchmarks: each prints one JSON object of figures.", no_args_is_help=True)
app.add_typer(bench_app, name="bench")
app.command("synth")(synth_cli.synth)
bench_app.command("synth")(synth_cli.bench_synth)
app.command("load")(load_cli.load)
app.command("load-dir")(load_cli.load_dir)
bench_app.command("load")(load_cli.bench_load)
app.command("match")(match_cli.match)
bench_app.command("match")(match_cli.bench_match)
app.command("review")(match_cli.review)
app.command("judge")(match_cli.judge)
app.command("find")(match_cli.find)
app.command("explain")(match_cli.explain)
bench_app.command("find")(match_cli.bench_find)
app.command("serve")(api_cli.serve)
app.add_typer(api_cli.keys_app, name="keys")
app.add_typer(api_cli.audit_app, name="audit")
app.add_typer(pdp_cli.pdp_app, name="pdp")
bench_app.command("api")(api_bench.bench_api)
bench_app.command("audit")(api_cli.bench_audit)
bench_app.command("truth")(truth_cli.bench_truth)
app.command("worklist")(export_cli.worklist)
app.command("export")(export_cli.export)
bench_app.command("targeting")(targeting_bench.bench_targeting)
app.command("stats")(stats_cli.stats)
bench_app.command("statistics")(stats_cli.bench_statistics)
bench_app.command("pages")(bench_pages)

console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


ENGINE_OPTION = typer.Option(None, "--engine", help="falkordb or neo4j (default: HUB_GRAPH_ENGINE, else falkordb).")


def _settings_for(engine: str | None) -> Settings:
    """The settings, with ``--engine`` (when given) in place of HUB_GRAPH_ENGINE."""
    if engine is None:
        return load_settings()
    if engine not in ENGINES:
        raise InputError(f"--engine {quote(engine)}: use falkordb or neo4j")
    return load_settings({**os.environ, "HUB_GRAPH_ENGINE": engine})


def _start_managed(settings: Settings) -> None:
    """Start what the hub manages for ``settings``: the embedded FalkorDB (graph or keys) and the local Neo4j."""
    if settings.embedded_redis:
        console.print(embedded_server(settings).start().describe(), highlight=False)
    if settings.managed_neo4j:
        local = managed_neo4j(settings)
        local.start()
        console.print(local.status().describe(), highlight=False)


@db_app.command("start")
def db_start(engine: str | None = ENGINE_OPTION) -> None:
    """Start the graph the hub manages (no-op when it already runs): the embedded FalkorDB server, and with
    the neo4j engine the managed local Neo4j too (built on first use; the FalkorDB server keeps API keys)."""
    settings = _settings_for(engine)
    if settings.graph_uri:
        console.print(f"HUB_GRAPH_URI is set ({settings.backend}); nothing to start here.")
        return
    _start_managed(settings)


@db_app.command("stop")
def db_stop(engine: str | None = ENGINE_OPTION) -> None:
    """Stop what the hub manages under HUB_HOME: the managed Neo4j when it runs, and the embedded FalkorDB
    server, flushing its append-only file."""
    settings = _settings_for(engine)
    local = managed_neo4j(settings)
    if local.status().running or settings.managed_neo4j:
        console.print("managed neo4j: stopped" if local.stop() else "managed neo4j: was not running")
    stopped = embedded_server(settings).stop()
    console.print("embedded graph: stopped" if stopped else "embedded graph: was not running")


@db_app.command("status")
def db_status(engine: str | None = ENGINE_OPTION) -> None:
    """Say whether the graph answers, where, what it holds and keeps on disk, and its schema version."""
    from hub.persistence import last_start, persistence_files

    settings = _settings_for(engine)
    if settings.managed_neo4j:
        status = managed_neo4j(settings).status()
        console.print(status.describe(), highlight=False)
        if settings.embedded_redis:
            console.print(f"keys and audit: {embedded_server(settings).status().describe()}", highlight=False)
        if not status.running:
            raise typer.Exit(3)
    if settings.embedded:
        server = embedded_server(settings)
        server_status = server.status()
        console.print(server_status.describe(), highlight=False)
        record = last_start(server.data_dir)
        console.print(f"on disk: {persistence_files(server.data_dir).describe()}; "
                      f"{record.describe() if record else 'no start recorded yet'}", highlight=False)
        if not server_status.running:
            raise typer.Exit(3)
        sizes = ", ".join(f"{g.name} {g.memory_mb:,.0f} MB" for g in server.graph_sizes()) or "none"
        console.print(f"graphs held: {sizes}; server memory {server.used_memory_mb():,.0f} MB", highlight=False)

    from graph_schema import queries

    rows = run_with_store(settings, lambda store: store.run(queries.SCHEMA_VERSION), autostart=False)
    version = f"schema version {rows[0]['version']}" if rows else "schema not initialised (run `hub db init`)"
    console.print(f"graph {settings.graph_name!r} on {settings.backend}: {version}")


@db_app.command("init")
def db_init() -> None:
    """Create every constraint and index (idempotent) and record the schema version."""
    settings = load_settings()

    created = run_with_store(settings, lambda store: store.ensure_schema(now_iso()))
    from graph_schema.schema import SCHEMA_VERSION

    what = ", ".join(created) if created else "nothing new"
    console.print(f"schema version {SCHEMA_VERSION} on {settings.backend} graph {settings.graph_name!r}: created {what}")


@db_app.command("reset")
def db_reset(yes: bool = typer.Option(False, "--yes", help="Confirm: delete every node of the configured graph.")) -> None:
    """Delete everything in the configured graph (then run `hub db init`)."""
    settings = load_settings()
    if not yes:
        raise InputError(f"this deletes every node of graph {settings.graph_name!r} on {settings.backend}: add --yes")

    run_with_store(settings, lambda store: store.clear())
    console.print(f"graph {settings.graph_name!r} on {settings.backend}: emptied")


@db_app.command("counts")
def db_counts() -> None:
    """Count nodes per label and relationships per type."""
    settings = load_settings()

    from graph_schema import queries

    async def counts(store: GraphStore) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
        return await store.run(queries.NODE_COUNTS), await store.run(queries.RELATIONSHIP_COUNTS)

    nodes, rels = run_with_store(settings, counts)
    from rich.table import Table

    table = Table("kind", "name", "count")
    for row in nodes:
        table.add_row("node", str(row["label"]), str(row["count"]))
    for row in rels:
        table.add_row("relationship", str(row["type"]), str(row["count"]))
    console.print(table)


@bench_app.command("live")
def bench_live(
    persons: int = typer.Option(20_000, help="Population size to synthesise."),
    delta: int = typer.Option(1000, help="Records held back (new and changed rows), then loaded and linked live."),
    seed: int = typer.Option(42),
    backend: str = typer.Option("falkordb", help="falkordb, neo4j (a managed local Neo4j the bench starts and "
                                "stops) or both: the same data through each, figures side by side."),
) -> None:
    """The live hub: a delta loaded and linked at once (timed, and compared with a full run on the same model),
    single-row writes and "seen before?" timed. One JSON object."""
    import json

    from hub.bench_support import backends_of, run_on_backends
    from hub.live_bench import run_live_bench

    if persons < 500 or delta < 10:
        raise InputError("--persons must be at least 500 and --delta at least 10")
    backends_of(backend)
    print(json.dumps(run_on_backends(backend, lambda: run_live_bench(persons, delta, seed))))


@bench_app.command("restart")
def bench_restart(
    persons: int = typer.Option(20_000, help="Population size to synthesise, load and link."),
    seed: int = typer.Option(42),
    runs: int = typer.Option(3, help="Load runs with each persistence setting, alternating."),
    match: bool = typer.Option(True, help="Link and judge too (--no-match: loads only, for sizes where linking is slow)."),
) -> None:
    """Restart times of the embedded graph (clean stop; kill -9 mid-load) and load speed, old vs new persistence."""
    import json

    from hub.restart_bench import run_restart_bench

    if persons < 100 or runs < 1:
        raise InputError("--persons must be at least 100 and --runs at least 1")
    print(json.dumps(run_restart_bench(persons, seed, runs, match)))


@app.command("demo")
def demo(
    persons: int = typer.Option(20_000, help="Size of the demo population."),
    seed: int = typer.Option(42, help="Seed of the demo population."),
    port: int = typer.Option(8000, help="Where the API listens."),
    serve: bool = typer.Option(True, help="Serve the API at the end (--no-serve: prepare and exit)."),
) -> None:
    """The demo end to end: graph up, a synthetic population loaded and linked, a key, the API served."""
    import json

    from graph_schema import api_queries
    from hub.api.example import FULL_HISTORY

    settings = load_settings()
    if serve:
        api_cli.check_port_free("127.0.0.1", port)
    _start_managed(settings)
    db_init()
    out = settings.home / "demo"
    manifest = out / "manifest.json"
    existing = json.loads(manifest.read_text()) if manifest.exists() else {}
    if existing.get("persons") == persons and existing.get("seed") == seed:
        console.print(f"demo population: reusing {out} ({existing['records']:,} records)")
    else:
        synth_cli.synth(persons=persons, out=out, seed=seed, xlsx=synth_cli.XlsxMode.AUTO, dirt_scale=1.0, workers=None)
    # Loading again is cheap: unchanged rows are recognised and skipped.
    load_cli.load_dir(out, batch_size=DEFAULT_BATCH, report_dir=None)
    # The load linked what it added or changed (the first one trained the model): the full run is
    # needed only where records were left without a person or keys (loaded with --no-link, an older hub).
    if not match_cli.links_current():
        match_cli.match(retrain=False)
    else:
        console.print("links are current: no row changed since every record was linked")
    key = api_cli.demo_key(settings, settings.home / "demo-api-key")
    showcase = run_with_store(settings, lambda store: store.run(api_queries.SHOWCASE_PERSON))
    nik = showcase[0]["nik"] if showcase else "3374010101800001"
    body = json.dumps({"query": FULL_HISTORY, "variables": {"nik": nik}})
    console.print(f"[bold]demo:[/] every source of {out} is loaded and linked ({settings.backend} graph "
                  f"{settings.graph_name!r}).")
    console.print(f"API key (role admin, saved in {settings.home / 'demo-api-key'}):", highlight=False)
    print(key)
    console.print(f"One person's whole history ({showcase[0]['name'] if showcase else 'example'}, records from "
                  f"{showcase[0]['sources'] if showcase else '?'} sources) in one call:", highlight=False)
    print(f"curl -s http://127.0.0.1:{port}/graphql -H 'Authorization: Bearer {key}' "
          f"-H 'Content-Type: application/json' -d '{body}'")
    street = run_with_store(settings, lambda store: store.run(api_queries.STREET_SHOWCASE_PERSON, {
        "registry": "dtks", "roster_prefix": "program_", "min_met": 2}))
    if street:
        met = street[0]
        console.print(f"Met on the street without a NIK and recognised: {met['name']} ({met['person_id']}) is one person "
                      f"with records from {', '.join(sorted(met['sources']))}, {int(met['met_without_nik'])} of them "
                      f"outreach encounters without a NIK; ask for it with "
                      f"\"variables\": {{\"personId\": \"{met['person_id']}\"}}.", highlight=False)
    import asyncio

    from hub.pages.demo import demo_page_keys

    page_keys = asyncio.run(demo_page_keys(settings, settings.home))
    console.print(f"[bold]Pages[/] (Bahasa Indonesia) at http://127.0.0.1:{port}/ui/ : sign in with the admin key "
                  f"above or one of these (saved in {settings.home}/demo-key-<role>):", highlight=False)
    for role, page_key in page_keys.items():
        print(f"  {role:8} {page_key}")
    compact_embedded(settings)  # the load and the links in a snapshot: the next start reads them back in seconds
    if serve:
        api_cli.serve(host="127.0.0.1", port=port)


def main() -> None:
    """Entry point of the ``hub`` console script."""
    try:
        app()
    except HubError as exc:
        if os.environ.get("HUB_DEBUG") == "1":
            raise
        err_console.print(f"[bold red]error:[/] {exc.message}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(130)
    except Exception as exc:  # a bug: say so in one line, keep the traceback for HUB_DEBUG=1
        if os.environ.get("HUB_DEBUG") == "1":
            raise
        err_console.print(f"[bold red]internal error:[/] {type(exc).__name__}: {exc} "
                          "(this is a bug; run again with HUB_DEBUG=1 for the details)", highlight=False, soft_wrap=True)
        sys.exit(70)
    finally:
        _fold_persistence_tail()


def _fold_persistence_tail() -> None:
    """Whatever the command was, leave the embedded server's writes in a snapshot, not a tail to replay."""
    with contextlib.suppress(HubError):
        compact_embedded(load_settings())


if __name__ == "__main__":
    main()
