"""The API as an operator runs it: keys from the command line, the audit log over a restart,
and `hub demo` followed by the printed query against `hub serve`."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx

from hub.embedded_db import EmbeddedServer
from hub.privacy.access import Principal, Role
from hub.privacy.audit import AuditLog
from hub.settings import load_settings
from hub.store import open_redis
from tests.conftest import free_port

HUB = [sys.executable, "-m", "hub.cli"]


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*HUB, *args], env=env, capture_output=True, text=True, timeout=600, check=False)


def test_keys_are_created_listed_and_revoked(hub_env: dict[str, str]) -> None:
    try:
        created = run(hub_env, "keys", "create", "--role", "steward", "--name", "Dinsos steward")
        assert created.returncode == 0, created.stderr
        key = created.stdout.strip().splitlines()[-1]
        assert key.startswith("khub_")
        listed = run(hub_env, "keys", "list")
        key_id = key.split("_")[1]
        assert key_id in listed.stdout and "Dinsos steward" in listed.stdout and key not in listed.stdout
        assert run(hub_env, "keys", "revoke", key_id).returncode == 0
        again = run(hub_env, "keys", "revoke", key_id)
        assert again.returncode == 65 and f"no key {key_id}" in again.stderr
        wrong = run(hub_env, "keys", "create", "--role", "superuser", "--name", "x")
        assert wrong.returncode != 0 and "Traceback" not in wrong.stderr
    finally:
        run(hub_env, "db", "stop")


def test_the_audit_log_survives_a_restart(tmp_path: Path) -> None:
    server = EmbeddedServer(tmp_path / "data", free_port())
    settings = load_settings({"HUB_HOME": str(tmp_path), "HUB_DATA_DIR": str(server.data_dir),
                              "HUB_DB_PORT": str(server.port), "HUB_GRAPH_NAME": "audited"})
    reader = Principal("k1", "panti app", Role.APP)

    async def write() -> None:
        redis = await open_redis(settings)
        try:
            await AuditLog(redis, "audited").record(reader, "person", ["PRS-1", "PRS-2"], ["identity.nik"])
        finally:
            await redis.aclose()

    async def read() -> list[tuple[str, str, str]]:
        redis = await open_redis(settings)
        try:
            return [(e.person_id, e.key_name, e.fields) for e in await AuditLog(redis, "audited").latest(10)]
        finally:
            await redis.aclose()

    try:
        asyncio.run(write())
        server.stop()
        assert not server.status().running
        assert asyncio.run(read()) == [("PRS-2", "panti app", "identity.nik"), ("PRS-1", "panti app", "identity.nik")]
    finally:
        server.stop()


def test_demo_then_the_printed_query_shows_a_whole_history(hub_env: dict[str, str]) -> None:
    try:
        demo = run(hub_env, "demo", "--persons", "1500", "--no-serve")
        assert demo.returncode == 0, demo.stderr[-2000:]
        (curl,) = [line for line in demo.stdout.splitlines() if line.startswith("curl ")]
        key = re.search(r"Bearer (khub_\S+)'", curl)
        body = re.search(r"-d '(.*)'$", curl)
        assert key and body
        port = free_port()
        server = subprocess.Popen([*HUB, "serve", "--port", str(port)], env=hub_env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        try:
            url = f"http://127.0.0.1:{port}/graphql"
            deadline = time.monotonic() + 60
            while True:
                try:
                    answer = httpx.post(url, content=body.group(1), timeout=30, headers={
                        "Authorization": f"Bearer {key.group(1)}", "Content-Type": "application/json"})
                    break
                except httpx.ConnectError:
                    assert time.monotonic() < deadline and server.poll() is None, "hub serve did not start"
                    time.sleep(0.3)
            person = answer.json()["data"]["person"]
            assert len({r["source"] for r in person["records"]}) >= 3
            assert person["household"]["members"] and person["enrolments"] and person["events"]
            assert "gaps" in person
            assert json.loads(body.group(1))["variables"]["nik"] == person["identity"]["nik"]["best"]
        finally:
            server.terminate()
            server.wait(timeout=30)
        # A second demo reuses the population and the key.
        second = run(hub_env, "demo", "--persons", "1500", "--no-serve")
        assert second.returncode == 0 and "reusing" in second.stdout and key.group(1) in second.stdout
    finally:
        run(hub_env, "db", "stop")
