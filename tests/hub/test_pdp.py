"""UU PDP duties as commands, against the real linked population served over HTTP: `hub pdp export`
writes one person's whole file with every read of it, audited itself; `hub pdp record` lists every
shipped source and role."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from hub.pdp import subject_record
from hub.privacy.access import Role, role_specs
from hub.privacy.audit import Action, AuditLog, Outcome
from hub.privacy.masking import third_party_columns
from hub.settings import Settings
from loaders.mapping import shipped_sources
from tests.resolvers.conftest import Api

HUB = [sys.executable, "-m", "hub.cli"]
HISTORY = "query($p: ID) { person(personId: $p) { personId identity { nik { best } } enrolments { program } } }"


@dataclass
class World:
    settings: Settings
    env: dict[str, str]
    showcase: dict[str, Any]


@pytest.fixture
def world(api: Api) -> World:
    """The shared served population (tests/conftest.py ``api``), after an app read the showcase person."""
    read = api.data_of(HISTORY, {"p": api.showcase["person_id"]}, role=Role.APP)
    assert read["person"]["personId"] == api.showcase["person_id"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update({**api.env, "COLUMNS": "250"})
    return World(api.settings, env, api.showcase)


def hub(world: World, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*HUB, *args], env={**world.env, **env}, capture_output=True, text=True, timeout=300,
                          check=False)


def test_export_writes_one_persons_file_with_every_read_of_them(world: World, tmp_path: Path) -> None:
    person_id, nik = world.showcase["person_id"], world.showcase["nik"]
    done = hub(world, "pdp", "export", "--nik", nik, "--out", str(tmp_path), "--officer", "Rina (PPID)",
               "--reason", "surat 12/PPID/2026")
    assert done.returncode == 0, done.stderr
    (data_file,) = tmp_path.glob("*.json")
    (summary_file,) = tmp_path.glob("*.txt")
    assert data_file.stat().st_mode & 0o777 == 0o600 and summary_file.stat().st_mode & 0o777 == 0o600
    data = json.loads(data_file.read_text())
    assert data["person"]["person_id"] == person_id and data["person"]["nik"] == nik
    assert data["export"]["asked_for"] == {"nik": nik} and data["export"]["made_by"]["officer"] == "Rina (PPID)"
    # Every source record with its raw row as the office exported it.
    assert len({r["record"]["source"] for r in data["records"]}) == world.showcase["sources"] >= 3
    assert all(isinstance(r["record"]["raw"], dict) and r["record"]["raw"] for r in data["records"])
    assert data["enrolments"] and data["events"]["events"] and data["households"]
    for record in data["records"]:  # someone else's identifiers in a row (a complaint's reporter) are masked
        assert all(record["record"]["raw"].get(c) in {"***", "", None}
                   for c in third_party_columns(record["record"]["source"]))
    # Relatives by name and relation only: no NIK, no birth date of anyone else.
    for household in data["households"]:
        assert all(set(m) == {"name", "relation"} for m in household["members"])
    # The app's read of them, then this export, in the order they happened.
    app_read, export = data["audit"][-2:]
    assert (app_read["key_name"], app_read["operation"], app_read["action"]) == ("test app", "person", "read")
    assert app_read["fields"] == ["enrolments.program", "identity.nik", "personId"] and app_read["person_ids"] == [person_id]
    assert (export["action"], export["operation"], export["officer"], export["detail"]) == (
        "export", "hub pdp export", "Rina (PPID)", "surat 12/PPID/2026")
    summary = summary_file.read_text()
    assert f"ID hub {person_id}" in summary and "test app" in summary
    newest = AuditLog.of(world.settings).latest(1)[0]
    assert (newest.action, newest.outcome, newest.person_ids) == (Action.EXPORT, Outcome.OK, (person_id,))


def test_export_of_a_nik_no_one_holds_says_so_and_is_audited(world: World, tmp_path: Path) -> None:
    done = hub(world, "pdp", "export", "--nik", "3329014101900009", "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert "no person is held under NIK 3329014101900009" in done.stdout
    (data_file,) = tmp_path.glob("pdp-tidak-ditemukan-*.json")
    assert json.loads(data_file.read_text())["person"] is None
    newest = AuditLog.of(world.settings).latest(1)[0]
    assert (newest.action, newest.outcome) == (Action.EXPORT, Outcome.NOT_FOUND)


def test_export_refuses_bad_arguments_clearly(world: World, tmp_path: Path) -> None:
    short = hub(world, "pdp", "export", "--nik", "33290141", "--out", str(tmp_path))
    assert short.returncode == 65 and short.stderr == "error: --nik: '33290141' has 8 digits, not 16\n"
    neither = hub(world, "pdp", "export", "--out", str(tmp_path))
    assert neither.returncode == 65 and "give --nik or --person-id" in neither.stderr
    assert "Traceback" not in short.stderr + neither.stderr and not list(tmp_path.iterdir())


def test_no_file_is_written_when_the_export_cannot_be_audited(world: World, tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "audit").mkdir(parents=True)
    (home / "audit" / world.settings.graph_name).write_text("a file where the audit folder should be")
    done = hub(world, "pdp", "export", "--nik", world.showcase["nik"], "--out", str(tmp_path / "out"),
               HUB_HOME=str(home))
    assert done.returncode == 74 and "the audit log in" in done.stderr and "cannot be written" in done.stderr
    assert not (tmp_path / "out").exists()


def test_the_processing_record_lists_every_shipped_source_and_role(world: World) -> None:
    listed = hub(world, "pdp", "record", "--json", HUB_AUDIT_RETENTION_DAYS="730")
    assert listed.returncode == 0, listed.stderr
    record = json.loads(listed.stdout)
    assert [s["source"] for s in record["sources"]] == shipped_sources()
    dtks = next(s for s in record["sources"] if s["source"] == "dtks")
    assert {"nik", "kk", "name", "mother_name"} <= set(dtks["identifying_fields"])
    assert [r["role"] for r in record["roles"]] == [str(r) for r in role_specs()]
    assert all(r["description"] and r["may"] for r in record["roles"])
    assert record["retention"]["audit_log"].startswith("730 days")
    assert str(world.settings.home / "audit" / world.settings.graph_name) in record["where_kept"]["audit_log"]
    assert record["purposes"] and record["legal_basis"]
    text = hub(world, "pdp", "record")
    assert all(f"  {source}: " in text.stdout for source in shipped_sources())
    assert "Retention:" in text.stdout and "Breach: docs/breach-notice.md" in text.stdout


def test_other_peoples_identifiers_in_a_subjects_rows_are_masked() -> None:
    raw = {"NO_TIKET": "T-1", "NIK_PELAPOR": "3329010101800001", "NAMA_PELAPOR": "BUDI", "NIK": "3329014101900009",
           "NAMA": "SITI", "URAIAN": "minta PKH"}
    record = subject_record({"source": "slrt_pengaduan", "raw": json.dumps(raw),
                             "previous": json.dumps({"raw": json.dumps({**raw, "NAMA_PELAPOR": "BUDI S"})})})
    assert record["raw"] == {**raw, "NIK_PELAPOR": "***", "NAMA_PELAPOR": "***"}
    assert record["previous"]["raw"]["NAMA_PELAPOR"] == "***" and record["previous"]["raw"]["NAMA"] == "SITI"
    assert third_party_columns("usulan_kis_pbi") == {"OPERATOR_DESA"} and third_party_columns("dtks") == set()
