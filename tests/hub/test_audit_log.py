"""The audit log on disk: durable before ``record()`` returns, safe for several writers, pruned by day,
read back by ``hub audit`` (whose key read whom, for a breach notice)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from hub.errors import InputError
from hub.privacy.access import Principal, Role
from hub.privacy.audit import (
    SERVER_SYNC_INTERVAL_S,
    Action,
    AuditEntry,
    AuditLog,
    AuditWriteError,
    Outcome,
    moment_argument,
)
from hub.settings import load_settings

HUB = [sys.executable, "-m", "hub.cli"]
OFFICER = Principal("a1b2c3d4", "siks brebes", Role.STEWARD, office="Dinas Sosial Kab. Brebes", region="33.29",
                    officer="Dewi Lestari")
APP = Principal("0f0f0f0f", "panti app", Role.APP)


def hub(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*HUB, *args], env=env, capture_output=True, text=True, timeout=120, check=False)


def env_for(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update({"HUB_HOME": str(home), "HUB_GRAPH_NAME": "audited", "COLUMNS": "250", **extra})
    return env


def log_in(home: Path) -> AuditLog:
    return AuditLog.of(load_settings({"HUB_HOME": str(home), "HUB_GRAPH_NAME": "audited"}))


def test_an_entry_names_the_officer_and_is_on_disk_private_to_the_hub(tmp_path: Path) -> None:
    log = log_in(tmp_path)
    asyncio.run(log.record(OFFICER, "person", ["PRS-1"], ["identity.nik", "records.raw"], request_id="r-1",
                           client="10.0.0.7"))
    (day, path), = log.day_files()
    assert path.parent == tmp_path / "audit" / "audited" and path.name == f"{day.isoformat()}.jsonl"
    assert path.stat().st_mode & 0o777 == 0o600 and path.parent.stat().st_mode & 0o777 == 0o700
    stored = json.loads(path.read_text())
    assert {k: stored[k] for k in ("key_id", "officer", "office", "region", "role", "action", "operation",
                                   "person_ids", "fields", "outcome", "request_id", "client")} == {
        "key_id": "a1b2c3d4", "officer": "Dewi Lestari", "office": "Dinas Sosial Kab. Brebes", "region": "33.29",
        "role": "steward", "action": "read", "operation": "person", "person_ids": ["PRS-1"],
        "fields": ["identity.nik", "records.raw"], "outcome": "ok", "request_id": "r-1", "client": "10.0.0.7"}
    assert log.latest(5) == [AuditEntry.from_line(path.read_bytes())]


@pytest.mark.parametrize("sync_interval_s", [0.0, SERVER_SYNC_INTERVAL_S], ids=["fsync-each", "server"])
def test_entries_are_on_disk_when_record_returns_even_if_the_process_dies_at_once(tmp_path: Path,
                                                                                 sync_interval_s: float) -> None:
    script = (
        "import asyncio, pathlib, sys, time\n"
        "from hub.privacy.access import Principal, Role\n"
        "from hub.privacy.audit import AuditLog\n"
        "log = AuditLog(pathlib.Path(sys.argv[1]), sync_interval_s=float(sys.argv[2]))\n"
        "p = Principal('0f0f0f0f', 'panti app', Role.APP)\n"
        "async def main():\n"
        "    await asyncio.gather(*(log.record(p, 'person', [f'PRS-{i}'], ['identity.nik']) for i in range(50)))\n"
        "asyncio.run(main())\n"
        "print('written', flush=True)\n"
        "time.sleep(60)\n"
    )
    with subprocess.Popen([sys.executable, "-c", script, str(tmp_path / "audit" / "audited"), str(sync_interval_s)],
                          stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(Path.cwd())}) as writer:
        try:
            assert writer.stdout is not None and writer.stdout.readline().strip() == "written"
            writer.send_signal(signal.SIGKILL)  # no clean shutdown, no flush at exit
        finally:
            writer.kill()
            writer.wait(timeout=30)
    shown = hub(env_for(tmp_path), "audit", "--person", "PRS-7", "--json")
    assert shown.returncode == 0, shown.stderr
    (line,) = shown.stdout.splitlines()
    assert json.loads(line)["person_ids"] == ["PRS-7"] and json.loads(line)["key_name"] == "panti app"
    assert len(log_in(tmp_path).latest(100)) == 50


def test_the_servers_writes_are_synced_in_rounds_and_at_close(tmp_path: Path) -> None:
    log = AuditLog.open(load_settings({"HUB_HOME": str(tmp_path), "HUB_GRAPH_NAME": "audited"}))
    assert log.sync_interval_s == SERVER_SYNC_INTERVAL_S

    async def requests() -> tuple[int, int]:
        await asyncio.gather(*(log.record(APP, "person", [f"PRS-{i}"], ["name"]) for i in range(20)))
        written_unsynced = log.syncs
        await asyncio.sleep(SERVER_SYNC_INTERVAL_S + 0.5)
        return written_unsynced, log.syncs

    assert asyncio.run(requests()) == (0, 1)
    asyncio.run(log.record(APP, "person", ["PRS-LAST"], ["name"]))
    asyncio.run(log.aclose())
    assert log.syncs == 2 and len(log.latest(100)) == 21


def test_several_processes_append_at_once_without_tearing_a_line(tmp_path: Path) -> None:
    script = (
        "import asyncio, sys, pathlib\n"
        "from hub.privacy.access import Principal, Role\n"
        "from hub.privacy.audit import AuditLog\n"
        "log = AuditLog(pathlib.Path(sys.argv[1]))\n"
        "p = Principal(sys.argv[2], 'writer ' + sys.argv[2], Role.APP)\n"
        "async def main():\n"
        "    for i in range(150):\n"
        "        await log.record(p, 'person', [f'{sys.argv[2]}-{i}'], ['x' * (i * 37 % 3000)])\n"
        "asyncio.run(main())\n"
    )
    folder = tmp_path / "audit" / "audited"
    writers = [subprocess.Popen([sys.executable, "-c", script, str(folder), f"w{n}"],
                                env={**os.environ, "PYTHONPATH": str(Path.cwd())}) for n in range(4)]
    assert [w.wait(timeout=120) for w in writers] == [0, 0, 0, 0]
    log = log_in(tmp_path)
    entries = list(log.entries())
    assert log.unreadable == [] and len(entries) == 600
    assert {e.person_ids[0] for e in entries} == {f"w{n}-{i}" for n in range(4) for i in range(150)}


def test_a_line_torn_by_a_crash_is_skipped_and_does_not_swallow_the_next(tmp_path: Path) -> None:
    log = log_in(tmp_path)
    asyncio.run(log.record(APP, "person", ["PRS-1"], ["name"]))
    (_, path), = log.day_files()
    with path.open("ab") as torn:
        torn.write(b'{"at":"2026-')  # the process died mid-write
    asyncio.run(log.record(APP, "person", ["PRS-2"], ["name"]))
    assert [e.person_ids for e in log.latest(10)] == [("PRS-2",), ("PRS-1",)]
    assert [(u.path, u.line) for u in log.unreadable] == [(path, 2)]


def test_a_log_that_cannot_be_written_raises_instead_of_returning(tmp_path: Path) -> None:
    (tmp_path / "audit").mkdir()
    (tmp_path / "audit" / "audited").write_text("a file where the folder should be")
    with pytest.raises(AuditWriteError, match="cannot be written"):
        asyncio.run(log_in(tmp_path).record(APP, "person", ["PRS-1"], ["name"]))
    with pytest.raises(AuditWriteError, match="fix its permissions or HUB_HOME"):
        AuditLog.open(load_settings({"HUB_HOME": str(tmp_path), "HUB_GRAPH_NAME": "audited"}))


def test_failed_sign_ins_and_lookups_are_logged_without_the_clear_key(tmp_path: Path) -> None:
    log = log_in(tmp_path)
    secret = "khub_1a2b3c4d_Zx9-very-secret-part_of_the_key"
    asyncio.run(log.failure(None, "sign-in", Outcome.REFUSED, f"unknown or revoked key {secret}",
                            key_id=secret, client="203.0.113.9"))
    asyncio.run(log.failure(None, "sign-in", Outcome.REFUSED, "unknown or revoked API key", key_id="hunter2-pass"))
    asyncio.run(log.failure(OFFICER, "person", Outcome.NOT_FOUND, "no person with NIK 3329******", request_id="r-9"))
    lookup, guess, sign_in = log.latest(10)
    assert guess.key_id == "(not a hub key, 12 characters)"
    assert (sign_in.action, sign_in.outcome, sign_in.role, sign_in.client) == (
        Action.SIGN_IN, Outcome.REFUSED, "", "203.0.113.9")
    assert sign_in.key_id == "khub_1a2b3c4d" and sign_in.detail == "unknown or revoked key khub_1a2b3c4d_…"
    on_disk = "".join(p.read_text() for _, p in log.day_files())
    assert "very-secret" not in on_disk and "hunter2" not in on_disk
    assert (lookup.action, lookup.outcome, lookup.officer, lookup.person_ids) == (
        Action.READ, Outcome.NOT_FOUND, "Dewi Lestari", ())
    # A read that returned no one writes nothing; any other action is always written.
    asyncio.run(log.record(APP, "searchPersons", [], ["name"]))
    asyncio.run(log.record(APP, "hub pdp export", [], [], action=Action.EXPORT))
    assert [e.operation for e in log.latest(10)][:1] == ["hub pdp export"] and len(log.latest(10)) == 4


def write_day(log: AuditLog, day: dt.date, principal: Principal, person: str) -> None:
    at = dt.datetime.combine(day, dt.time(10, 30), dt.UTC).isoformat(timespec="milliseconds")
    entry = AuditLog.entry(principal, "person", [person], ["name"], action=Action.READ, outcome=Outcome.OK)
    log.append([AuditEntry(**{**entry.__dict__, "at": at})])


def test_retention_removes_only_days_older_than_the_setting(tmp_path: Path) -> None:
    log = log_in(tmp_path)
    today = dt.datetime.now(dt.UTC).date()
    for age in (0, 29, 30, 31, 400):
        write_day(log, today - dt.timedelta(days=age), APP, f"PRS-{age}")
    (log.directory / "notes.txt").write_text("not the log's: never deleted")
    pruned = hub(env_for(tmp_path, HUB_AUDIT_RETENTION_DAYS="30"), "audit", "prune")
    assert pruned.returncode == 0, pruned.stderr
    assert "2 day files older than 30 days deleted; 3 kept" in pruned.stdout
    assert sorted(e.person_ids[0] for e in log.entries()) == ["PRS-0", "PRS-29", "PRS-30"]
    assert (log.directory / "notes.txt").exists()
    # The default keeps five years.
    assert load_settings({}).audit_retention_days == 1826
    bad = hub(env_for(tmp_path, HUB_AUDIT_RETENTION_DAYS="forever"), "audit", "prune")
    assert bad.returncode == 78 and "HUB_AUDIT_RETENTION_DAYS='forever' is not a whole number" in bad.stderr


def test_whom_a_key_read_since_a_moment_for_a_breach_notice(tmp_path: Path) -> None:
    log = log_in(tmp_path)
    today = dt.datetime.now(dt.UTC).date()
    write_day(log, today - dt.timedelta(days=10), OFFICER, "PRS-OLD")
    write_day(log, today - dt.timedelta(days=2), OFFICER, "PRS-A")
    write_day(log, today - dt.timedelta(days=1), OFFICER, "PRS-B")
    write_day(log, today - dt.timedelta(days=1), OFFICER, "PRS-A")
    write_day(log, today - dt.timedelta(days=1), APP, "PRS-C")
    since = (today - dt.timedelta(days=3)).isoformat()
    listed = hub(env_for(tmp_path), "audit", "--key", OFFICER.key_id, "--since", since, "--persons", "--json")
    assert listed.returncode == 0, listed.stderr
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [(r["person_id"], r["entries"]) for r in rows] == [("PRS-A", 2), ("PRS-B", 1)]
    table = hub(env_for(tmp_path), "audit", "--key", OFFICER.key_id, "--since", "72h")
    assert "Dewi Lestari" in table.stdout and "PRS-OLD" not in table.stdout and "PRS-C" not in table.stdout
    wrong = hub(env_for(tmp_path), "audit", "--since", "last tuesday")
    assert wrong.returncode == 65 and "--since 'last tuesday' is not a moment" in wrong.stderr
    assert "Traceback" not in wrong.stderr


def test_moments_as_operators_type_them() -> None:
    assert moment_argument("2026-11-28") == dt.datetime(2026, 11, 28, tzinfo=dt.UTC)
    assert moment_argument("2026-11-28T09:30+07:00") == dt.datetime(2026, 11, 28, 2, 30, tzinfo=dt.UTC)
    ago = dt.datetime.now(dt.UTC) - moment_argument("72h")
    assert dt.timedelta(hours=71, minutes=59) < ago < dt.timedelta(hours=72, minutes=1)
    with pytest.raises(InputError):
        moment_argument("yesterday")


def test_a_failed_fsync_refuses_requests_until_the_folder_is_writable_again(tmp_path: Path,
                                                                            caplog: pytest.LogCaptureFixture) -> None:
    log = AuditLog.open(load_settings({"HUB_HOME": str(tmp_path), "HUB_GRAPH_NAME": "audited"}))
    aside = log.directory.with_name("audited.aside")

    async def server() -> None:
        await log.record(APP, "person", ["PRS-1"], ["name"])  # written, its fsync due within a second
        log.directory.rename(aside)
        log.directory.write_text("a file where the folder was: the round's fsync fails")
        await asyncio.sleep(SERVER_SYNC_INTERVAL_S + 0.5)
        with pytest.raises(AuditWriteError, match="cannot be written"):  # broken: fail closed
            await log.record(APP, "person", ["PRS-2"], ["name"])
        log.directory.unlink()
        aside.rename(log.directory)
        syncs = log.syncs
        await log.record(APP, "person", ["PRS-3"], ["name"])  # writable again: no restart needed
        assert log.syncs == syncs + 1  # the entry that reopened the log was fsync'd before it returned
        await log.record(APP, "person", ["PRS-4"], ["name"])
        await log.aclose()

    with caplog.at_level("ERROR", logger="hub.audit"):
        asyncio.run(server())
    assert [e.person_ids for e in log.latest(10)] == [("PRS-4",), ("PRS-3",), ("PRS-1",)]
    failed, recovered = [r.getMessage() for r in caplog.records]
    assert "fsync failed" in failed and "refused until" in failed
    assert "writable again" in recovered and "may be lost" in recovered
