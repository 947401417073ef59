"""``hub serve``, ``hub keys ...`` and ``hub audit ...``: running the API and administering access."""

from __future__ import annotations

import asyncio
import gc
import itertools
import json
import socket
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from redis.asyncio import Redis
from rich.console import Console
from rich.table import Table

from hub.api.keys import ApiKeys
from hub.errors import InputError
from hub.privacy.access import Role
from hub.privacy.audit import AuditLog, moment_argument, persons_touched
from hub.settings import Settings, load_settings
from hub.store import embedded_server, open_redis

console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)


def _print_table(table: Table) -> None:
    """A table at its full width when the output is a file or a pipe (a script reading a key id must get
    the whole id, never one cut to the 80 columns rich assumes without a terminal)."""
    (console if console.is_terminal else Console(soft_wrap=True, width=1_000)).print(table)
T = TypeVar("T")

keys_app = typer.Typer(help="API keys: create, list, revoke. Keys are stored hashed; a new key is shown once.",
                       no_args_is_help=True)


def with_redis(settings: Settings, work: Callable[[Redis], Awaitable[T]]) -> T:
    async def run() -> T:
        redis = await open_redis(settings)
        try:
            return await work(redis)
        finally:
            await redis.aclose()

    return asyncio.run(run())


def check_port_free(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            raise InputError(f"port {port} on {host} is in use: stop what holds it or pass --port") from None


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
) -> None:
    """Serve the GraphQL API at http://HOST:PORT/graphql (GraphiQL there too when HUB_ENV=development)."""
    import uvicorn

    from hub.api.app import create_app

    settings = load_settings()
    check_port_free(host, port)
    if settings.embedded:
        embedded_server(settings).start()  # says on stderr how far it has read its data back

    class AnnouncingServer(uvicorn.Server):
        """Prints the address once the graph is open and the socket listens, not before."""

        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets)
            if self.started:
                console.print(f"serving http://{host}:{port}/graphql ({settings.env}; {settings.backend} graph "
                              f"{settings.graph_name!r}); Ctrl-C stops")

    app = create_app(settings)
    tune_gc_for_serving()
    AnnouncingServer(uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="on")).run()


def tune_gc_for_serving() -> None:
    """Move what is loaded so far (modules, the schema) out of the collector's sight and collect less often.

    A full history allocates thousands of short-lived objects; with the default thresholds the
    collector's full passes over the whole heap landed in one request in a hundred and doubled
    the p99 latency under load (55 ms -> 24 ms at concurrency 4 with this).
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 50, 100)


@keys_app.command("create")
def keys_create(
    role: Annotated[Role, typer.Option(help="What the key may do and see (see hub/privacy/roles.toml).")],
    name: Annotated[str, typer.Option(help="Who or what holds the key (an application, a person).")],
    officer: Annotated[str, typer.Option(help="The officer's full name (the audit log names them).")] = "",
    office: Annotated[str, typer.Option(help="The officer's office, e.g. 'Dinas Sosial Kab. Brebes'.")] = "",
    region: Annotated[str | None, typer.Option(
        help="Scope the key to a regency or district: a Kemendagri code, 3329 or 33.29 (none: the province).")] = None,
) -> None:
    """Create an API key; it is printed once and stored only as a digest."""
    if not name.strip():
        raise InputError("--name must say who holds the key")
    settings = load_settings()
    info, key = with_redis(settings, lambda r: ApiKeys(r, settings.graph_name).create(
        role, name.strip(), officer=officer, office=office, region=region))
    scope = f"region {info.region}" if info.region else "the whole province"
    who = ", ".join(x for x in (info.officer, info.office) if x)
    console.print(f"key {info.key_id} for {info.name!r}{f' ({who})' if who else ''} (role {info.role}, {scope}); "
                  "keep it now, it is not shown again:", highlight=False)
    print(key)


@keys_app.command("list")
def keys_list() -> None:
    """The keys that exist (never the keys themselves)."""
    settings = load_settings()
    infos = with_redis(settings, lambda r: ApiKeys(r, settings.graph_name).list())
    table = Table("key id", "name", "role", "officer", "office", "region", "created")
    for info in infos:
        table.add_row(info.key_id, info.name, str(info.role), info.officer, info.office, info.region or "(province)",
                      info.created_at)
    _print_table(table)


@keys_app.command("revoke")
def keys_revoke(key_id: Annotated[str, typer.Argument(help="The key id `hub keys list` shows.")]) -> None:
    """Revoke a key at once: the next request with it gets 401."""
    settings = load_settings()
    if not with_redis(settings, lambda r: ApiKeys(r, settings.graph_name).revoke(key_id)):
        raise InputError(f"no key {key_id}: see `hub keys list`")
    console.print(f"key {key_id} revoked")


audit_app = typer.Typer(help="The audit log of every read, write, export and sign-in (files under HUB_HOME/audit).")


@audit_app.callback(invoke_without_command=True)
def audit(
    ctx: typer.Context,
    person: Annotated[str | None, typer.Option(help="Only entries naming this person id.")] = None,
    key: Annotated[str | None, typer.Option(help="Only entries of this key id (`hub keys list`).")] = None,
    since: Annotated[str | None, typer.Option(help="From: 2026-11-28, 2026-11-28T09:30 (UTC), or 72h / 3d ago.")] = None,
    until: Annotated[str | None, typer.Option(help="Up to: same forms as --since.")] = None,
    last: Annotated[int, typer.Option(help="How many entries, newest first (with --persons: all are read).")] = 20,
    persons: Annotated[bool, typer.Option(
        "--persons", help="List each person the entries name once (who a key read: a breach notice's list).")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="JSON Lines instead of a table.")] = False,
) -> None:
    """Show the audit log, newest first: who read, wrote or exported whose data, and failed sign-ins."""
    if ctx.invoked_subcommand is not None:
        return
    if last < 1:
        raise InputError("--last must be at least 1")
    log = AuditLog.of(load_settings())
    found = log.entries(person_ids=None if person is None else [person], key_id=key,
                        since=None if since is None else moment_argument(since, "--since"),
                        until=None if until is None else moment_argument(until, "--until"))
    if persons:
        touched = persons_touched(found)
        if as_json:
            for t in touched:
                print(json.dumps(asdict(t)))
        else:
            table = Table("person", "entries", "first", "last", "fields", "operations")
            for t in touched:
                table.add_row(t.person_id, str(t.entries), t.first, t.last, ",".join(t.fields), ",".join(t.operations))
            _print_table(table)
            console.print(f"{len(touched)} persons", highlight=False)
    else:
        entries = list(itertools.islice(found, last))
        if as_json:
            for e in entries:
                print(e.to_line().decode(), end="")
        else:
            table = Table("at", "key / officer", "role", "action", "operation", "outcome", "persons", "fields", "client")
            for e in entries:
                who = " ".join(x for x in (e.key_id, e.officer or e.key_name, e.office, e.region or "") if x)
                shown = ",".join(e.person_ids[:5]) + (f" +{len(e.person_ids) - 5}" if len(e.person_ids) > 5 else "")
                table.add_row(e.at, who, e.role, str(e.action), e.operation, str(e.outcome) + (
                    f": {e.detail}" if e.detail else ""), shown, ",".join(e.fields), e.client or "")
            _print_table(table)
    for bad in log.unreadable[:5]:
        err_console.print(f"warning: unreadable audit line skipped: {bad.path}:{bad.line}", highlight=False)


@audit_app.command("prune")
def audit_prune() -> None:
    """Delete the audit days older than HUB_AUDIT_RETENTION_DAYS (`hub serve` also does this when it starts)."""
    settings = load_settings()
    log = AuditLog.of(settings)
    removed = log.prune()
    kept = log.day_files()
    oldest = kept[0][0].isoformat() if kept else "none"
    console.print(f"audit log {log.directory}: {len(removed)} day files older than {log.retention_days} days deleted; "
                  f"{len(kept)} kept, oldest {oldest}", highlight=False)


def bench_audit(
    entries: Annotated[int, typer.Option(help="Entries to write with --concurrency in flight.")] = 20_000,
    concurrency: Annotated[int, typer.Option(help="Requests writing at once.")] = 32,
) -> None:
    """What a durable audit entry costs: record() latency alone and under concurrency, entries per fsync."""
    from hub.audit_bench import run_audit_bench

    if entries < 100 or concurrency < 1:
        raise InputError("--entries must be at least 100 and --concurrency at least 1")
    print(json.dumps(run_audit_bench(load_settings().home, entries, concurrency)))


def demo_key(settings: Settings, path: Path) -> str:
    """The demo's admin key: the one saved at ``path`` while it is still valid, else a new one."""

    async def work(redis: Redis) -> str:
        keys = ApiKeys(redis, settings.graph_name)
        if path.exists():
            saved = path.read_text().strip()
            if await keys.principal(saved) is not None:
                return saved
        _, key = await keys.create(Role.ADMIN, "make demo")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(key + "\n")
        path.chmod(0o600)
        return key

    return with_redis(settings, work)
