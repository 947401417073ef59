"""``hub pdp export`` and ``hub pdp record``: the UU PDP duties of the office that runs the hub."""

from __future__ import annotations

import getpass
import json
import socket
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from graph_schema.port import GraphStore
from hub.errors import InputError
from hub.pdp import SubjectExport, processing_record, subject_export, write_export
from hub.privacy.access import Principal, Role
from hub.privacy.audit import AuditLog
from hub.settings import load_settings
from hub.store import run_with_store
from resolvers.arguments import nik_argument

console = Console(soft_wrap=True)
pdp_app = typer.Typer(help="UU PDP 27/2022: a person's data on request, the record of processing.",
                      no_args_is_help=True)


@pdp_app.command("export")
def export(
    nik: Annotated[str | None, typer.Option(help="The NIK of the person who asked (16 digits).")] = None,
    person_id: Annotated[str | None, typer.Option(help="Or the hub's person id (a person without a NIK).")] = None,
    out: Annotated[Path | None, typer.Option(help="Folder for the files (default HUB_HOME/pdp).")] = None,
    officer: Annotated[str, typer.Option(help="Who makes the export (the audit log names them).")] = "",
    reason: Annotated[str, typer.Option(help="Why, e.g. the request's letter number (kept in the audit log).")] = "",
) -> None:
    """Write everything held about one person, and every read of it, to a JSON file and a summary (due in 3x24 h)."""
    if (nik is None) == (person_id is None):
        raise InputError("give --nik or --person-id (one of them)")
    if person_id is not None and not person_id.strip():
        raise InputError("--person-id is empty")
    settings = load_settings()
    wanted = nik_argument(nik, "--nik") if nik is not None else None
    operator = Principal("cli", f"{getpass.getuser()}@{socket.gethostname()}", Role.ADMIN,
                         officer=officer.strip())

    async def work(store: GraphStore) -> SubjectExport:
        return await subject_export(store, AuditLog.of(settings), operator, nik=wanted,
                                    person_id=None if person_id is None else person_id.strip(), reason=reason.strip())

    result = run_with_store(settings, work)
    data_file, summary_file = write_export(result, out or settings.home / "pdp")
    if result.person_id is None:
        console.print(f"no person is held under {'NIK ' + str(wanted) if wanted else 'person id ' + str(person_id)}; "
                      f"the answer saying so is in {data_file} and {summary_file}", highlight=False)
        return
    data: dict[str, Any] = result.data
    console.print(f"person {result.person_id}: {len(data['records'])} records, {len(data['events']['events'])} events, "
                  f"{len(data['audit'])} audit entries (this export included) -> {data_file} and {summary_file}",
                  highlight=False)


@pdp_app.command("record")
def record(as_json: Annotated[bool, typer.Option("--json", help="JSON instead of text.")] = False) -> None:
    """Print the record of processing: sources, purposes, legal basis, roles, retention, where data is kept."""
    settings = load_settings()
    data = processing_record(settings)
    if as_json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return
    out = [f"Controller: {data['controller']}", "", "Purposes:", *(f"  - {p}" for p in data["purposes"]),
           "", "Legal basis:", *(f"  - {b}" for b in data["legal_basis"]), "",
           "Sources (from the mappings; every field of a row is personal data once linked to a person):"]
    for s in data["sources"]:
        out.append(f"  {s['source']}: {s['description']}")
        out.append(f"      identifies by: {', '.join(s['identifying_fields']) or 'nothing'}; also records: "
                   f"{', '.join(s['other_fields']) or 'nothing'}")
    out += ["", "Roles (hub/privacy/roles.toml):"]
    for r in data["roles"]:
        out.append(f"  {r['role']}: {r['description']}")
        out.append(f"      sees in clear: {', '.join(r['sees_in_clear']) or 'nothing'}; may: {', '.join(r['may'])}"
                   + (f"; writes: {', '.join(r['writes'])}" if r["writes"] else ""))
    out += ["", "Recipients:", *(f"  - {r}" for r in data["recipients"]), "", "Retention:",
            f"  audit log: {data['retention']['audit_log']}", f"  data: {data['retention']['data']}", "",
            "Where it is kept:", *(f"  {k}: {v}" for k, v in data["where_kept"].items()), "",
            "Subjects' rights:", *(f"  - {r}" for r in data["subject_rights"]), "", f"Breach: {data['breach']}"]
    console.print("\n".join(out), highlight=False, markup=False)
