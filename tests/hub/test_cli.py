"""The ``hub`` command as a user runs it: real processes, real embedded graph, one-line errors."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator

import pytest

from hub.embedded_db import HOST

HUB = shutil.which("hub") or f"{sys.executable} -m hub.cli"


def hub(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*HUB.split(), *args], env=env, capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture
def env(hub_env: dict[str, str]) -> Iterator[dict[str, str]]:
    yield hub_env
    hub(hub_env, "db", "stop")


@pytest.mark.slow
def test_db_start_status_stop_works_twice(env: dict[str, str]) -> None:
    for _ in range(2):
        started = hub(env, "db", "start")
        assert started.returncode == 0, started.stderr
        assert "running" in started.stdout
        status = hub(env, "db", "status")
        assert status.returncode == 0 and "running" in status.stdout, status.stderr
        stopped = hub(env, "db", "stop")
        assert stopped.returncode == 0 and "stopped" in stopped.stdout
    after = hub(env, "db", "status")
    assert after.returncode == 3 and "stopped" in after.stdout


def test_db_init_autostarts_and_is_idempotent(env: dict[str, str]) -> None:
    first = hub(env, "db", "init")
    assert first.returncode == 0, first.stderr
    assert "unique Person(person_id)" in first.stdout and "full-text person_search_names" in first.stdout
    second = hub(env, "db", "init")
    assert second.returncode == 0 and "created nothing new" in second.stdout
    status = hub(env, "db", "status")
    from graph_schema.schema import SCHEMA_VERSION

    assert f"schema version {SCHEMA_VERSION}" in status.stdout


def _one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr + result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_port_taken_fails_in_one_line(env: dict[str, str]) -> None:
    with socket.socket() as blocker:
        blocker.bind((HOST, int(env["HUB_DB_PORT"])))
        blocker.listen()
        line = _one_line_error(hub(env, "db", "start"))
    assert "is taken" in line and "HUB_DB_PORT" in line


def test_unwritable_data_dir_fails_in_one_line(env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> None:
    blocker = tmp_path_factory.mktemp("x") / "file"
    blocker.write_text("")
    line = _one_line_error(hub({**env, "HUB_DATA_DIR": str(blocker / "data")}, "db", "start"))
    assert "not writable" in line and "HUB_DATA_DIR" in line


@pytest.mark.parametrize(("uri", "expected"), [
    ("redis://127.0.0.1:1", "does not answer"),
    ("bolt://127.0.0.1:1", "does not answer"),
    ("ftp://example", "has scheme 'ftp'"),
])
def test_unreachable_or_bad_graph_uri_fails_in_one_line(env: dict[str, str], uri: str, expected: str) -> None:
    line = _one_line_error(hub({**env, "HUB_GRAPH_URI": uri}, "db", "init"))
    assert expected in line


def test_wrong_credentials_fail_in_one_line(env: dict[str, str]) -> None:
    assert hub(env, "db", "start").returncode == 0
    uri = f"redis://:wrong@{HOST}:{env['HUB_DB_PORT']}"
    line = _one_line_error(hub({**env, "HUB_GRAPH_URI": uri}, "db", "init"))
    assert "refused the credentials" in line


def test_malformed_setting_names_the_key(env: dict[str, str]) -> None:
    line = _one_line_error(hub({**env, "HUB_DB_PORT": "sixty"}, "db", "start"))
    assert "HUB_DB_PORT" in line
