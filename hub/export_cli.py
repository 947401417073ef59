"""``hub worklist`` and ``hub export``: targeting lists and the files other offices take, from the command line.

The operator at the hub's machine acts as an admin (as ``hub pdp export`` does); every list and
every export is audited under their name.
"""

from __future__ import annotations

import getpass
import json
import socket
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from graph_schema.port import GraphStore
from hub.errors import InputError
from hub.export.export import Export, ExportRequest, Listing, build_export, worklist_listing
from hub.privacy.access import Principal, Role
from hub.privacy.audit import AuditLog
from hub.settings import load_settings
from hub.store import run_with_store
from resolvers.gaps import Subject

console = Console(soft_wrap=True)


def _operator(officer: str) -> Principal:
    return Principal("cli", f"{getpass.getuser()}@{socket.gethostname()}", Role.ADMIN, officer=officer.strip())


def worklist(
    rule: Annotated[str, typer.Option(help="A gap rule id of resolvers/gaps.toml, e.g. dtks-poor-household-without-kis.")],
    region: Annotated[str, typer.Option(help="A regency (3316 or 33.16), a district, a village or the province 33.")],
    first: Annotated[int, typer.Option(help="How many to list (1-100); the counts cover them all.")] = 20,
    officer: Annotated[str, typer.Option(help="Who asks (the audit log names them).")] = "",
) -> None:
    """List what a gap rule flags in a region, with the count per sub-region."""
    settings = load_settings()

    async def work(store: GraphStore) -> Listing:
        return await worklist_listing(store, AuditLog.of(settings), _operator(officer), rule, region, first)

    if not 1 <= first <= 100:
        raise InputError(f"--first: {first} must be between 1 and 100")
    listing = run_with_store(settings, work)
    total = sum(c.count for c in listing.counts)
    what = "households" if listing.rule.subject is Subject.HOUSEHOLD else "persons"
    console.print(f"[bold]{listing.rule.title}[/bold] ({listing.rule.id}) in {listing.region.name} "
                  f"({listing.region.code}): {total} {what}", highlight=False)
    counts = Table("code", "sub-region", what, title="per sub-region")
    for c in listing.counts:
        counts.add_row(c.code, c.name or "", str(c.count))
    console.print(counts)
    table = Table("#", "person id", "NIK", "name", "KK", "village", "reasons",
                  title=f"first {len(listing.flagged)}" + (" (more follow)" if listing.more else ""))
    for n, flagged in enumerate(listing.flagged, start=1):
        ids = flagged.members if listing.rule.subject is Subject.HOUSEHOLD else [flagged.id]
        for pid in ids:
            person = (listing.persons.get(pid) or {}).get("person") or {}
            table.add_row(str(n), pid, person.get("nik") or "", person.get("name") or "",
                          person.get("kk") or (flagged.id if listing.rule.subject is Subject.HOUSEHOLD else ""),
                          flagged.code, "; ".join(flagged.reasons))
    console.print(table)


def export(
    region: Annotated[str, typer.Option(help="A regency (3316 or 33.16), a district, a village or the province 33.")],
    out: Annotated[Path, typer.Option(help="The file to write (its manifest goes beside it: FILE.manifest.json).")],
    rule: Annotated[str | None, typer.Option(help="Export a worklist: a gap rule id (households: every member).")]
    = None,
    proposals: Annotated[str | None, typer.Option(help="Or a proposal batch: the KIS-PBI APBD proposals in this "
                                                  "status (e.g. DIUSULKAN).")] = None,
    layout: Annotated[str, typer.Option(help="The layout (hub/export/layouts/<name>.toml).")] = "kis_pbi_apbd",
    fmt: Annotated[str, typer.Option("--format", help="xlsx or csv.")] = "xlsx",
    officer: Annotated[str, typer.Option(help="Who exports (the audit log and the manifest name them).")] = "",
) -> None:
    """Write a worklist or a proposal batch in a receiving office's layout, with a manifest; audited."""
    settings = load_settings()
    request = ExportRequest(layout=layout, fmt=fmt.lower(), region=region, rule=rule, proposals=proposals)

    async def work(store: GraphStore) -> Export:
        return await build_export(store, AuditLog.of(settings), _operator(officer), request)

    if out.exists() and out.is_dir():
        raise InputError(f"--out: {out} is a folder; give the file to write")
    if not out.parent.is_dir():
        raise InputError(f"--out: the folder {out.parent} does not exist")
    made = run_with_store(settings, work)
    out.write_bytes(made.content)
    manifest = out.with_name(out.name + ".manifest.json")
    manifest.write_text(json.dumps({**made.manifest, "file": out.name}, indent=2, ensure_ascii=False) + "\n",
                        encoding="utf-8")
    counted = f"{made.rows} {'row' if made.rows == 1 else 'rows'}"
    console.print(f"{counted} ({made.manifest['exported']}, region {made.manifest['region']}, layout "
                  f"{made.manifest['layout']}) -> {out}; manifest {manifest}; sha256 {made.manifest['sha256']}",
                  highlight=False)
