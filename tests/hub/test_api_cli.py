"""The API as an operator runs it: officers' keys from the command line, and `hub demo` followed by
the printed query against `hub serve`, audited on disk over a restart."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from hub.api.keys import ApiKeys, digest
from hub.privacy.access import Principal, Role
from hub.settings import load_settings
from hub.store import open_redis
from tests.conftest import free_port, use_model

HUB = [sys.executable, "-m", "hub.cli"]


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """``hub ARGS``; tables as wide as they need (rich folds cells at the 80 columns of a pipe)."""
    return subprocess.run([*HUB, *args], env={"COLUMNS": "250", **env}, capture_output=True, text=True, timeout=600,
                          check=False)


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


@pytest.mark.slow
def test_a_key_belongs_to_an_officer_of_an_office_and_a_region(hub_env: dict[str, str]) -> None:
    settings = load_settings(hub_env)
    env = hub_env
    try:
        created = run(env, "keys", "create", "--role", "steward", "--name", "siks brebes", "--officer", "Dewi Lestari",
                      "--office", "Dinas Sosial Kab. Brebes", "--region", "3329")
        assert created.returncode == 0, created.stderr
        assert "(Dewi Lestari, Dinas Sosial Kab. Brebes) (role steward, region 33.29)" in created.stdout
        key = created.stdout.strip().splitlines()[-1]
        district = run(env, "keys", "create", "--role", "app", "--name", "desk", "--region", "33.29.01")
        assert district.returncode == 0 and "region 33.29.01" in district.stdout
        listed = run(env, "keys", "list")
        assert "Dewi Lestari" in listed.stdout and "Dinas Sosial Kab. Brebes" in listed.stdout
        assert "33.29" in listed.stdout and "33.29.01" in listed.stdout

        async def principals() -> tuple[Principal | None, Principal | None]:
            redis = await open_redis(settings)
            try:
                keys = ApiKeys(redis, settings.graph_name)
                # A key created before keys had officers: its stored info has none of their fields.
                old = "khub_0ld0ld00_" + "x" * 43
                await redis.hset(keys.hash, digest(old), json.dumps(
                    {"key_id": "0ld0ld00", "name": "panti app", "role": "app", "created_at": "2026-01-01T00:00:00+00:00"}))
                return await keys.principal(key), await keys.principal(old)
            finally:
                await redis.aclose()

        officer, old = asyncio.run(principals())
        assert officer == Principal(key.split("_")[1], "siks brebes", Role.STEWARD, office="Dinas Sosial Kab. Brebes",
                                    region="33.29", officer="Dewi Lestari")
        assert old == Principal("0ld0ld00", "panti app", Role.APP)
        assert "0ld0ld00" in run(env, "keys", "list").stdout
        for region, reason in [("9999", "is not a Kemendagri regency or district code"),
                               ("33", "is Jawa Tengah, a provinsi: a key is scoped to a regency"),
                               ("3329012001", "is Banjaran, a desa: a key is scoped to a regency")]:
            refused = run(env, "keys", "create", "--role", "app", "--name", "x", "--region", region)
            assert refused.returncode == 65 and f"--region '{region}' {reason}" in refused.stderr
            assert "Traceback" not in refused.stderr
    finally:
        run(hub_env, "db", "stop")


@pytest.mark.slow
def test_demo_then_the_printed_query_shows_a_whole_history(hub_env: dict[str, str], trained_model: Path) -> None:
    # A model in place (trained once for the session on a population of the same size): the demo's load links
    # with it instead of training one, which is not this test's subject.
    use_model(trained_model, Path(hub_env["HUB_HOME"]) / "models" / "kesos.splink.json")
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
        # The read is in the audit log on disk, naming the demo key, after the API and the graph server stopped.
        assert run(hub_env, "db", "stop").returncode == 0
        audit = run(hub_env, "audit", "--person", person["personId"], "--json")
        assert audit.returncode == 0, audit.stderr
        (entry,) = [e for e in map(json.loads, audit.stdout.splitlines()) if e["operation"] == "person"]
        assert (entry["key_name"], entry["action"], entry["outcome"]) == ("make demo", "read", "ok")
        assert "identity.nik" in entry["fields"] and entry["key_id"] == key.group(1).split("_")[1]
        assert list((Path(hub_env["HUB_HOME"]) / "audit" / "kesos").glob("*.jsonl"))
        # A second demo reuses the population and the key.
        second = run(hub_env, "demo", "--persons", "1500", "--no-serve")
        assert second.returncode == 0 and "reusing" in second.stdout and key.group(1) in second.stdout
    finally:
        run(hub_env, "db", "stop")
