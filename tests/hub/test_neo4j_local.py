"""The managed local Neo4j, short of starting a JVM (the test suite's Neo4j pool starts the real one
through the same ``LocalNeo4j.start``): what it says when Java or Maven is missing or the build
fails, its password, its URIs, stale pid files, and the settings that choose it."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from hub.errors import ConfigError, LocalNeo4jError
from hub.neo4j_local import LAUNCHER_DIR, LocalNeo4j
from hub.settings import load_settings
from hub.store import redis_url


def path_with(tmp_path: Path, *programs: str) -> str:
    """A PATH holding only links to ``programs`` (as found on the real PATH)."""
    folder = tmp_path / "bin"
    folder.mkdir(exist_ok=True)
    for program in programs:
        found = shutil.which(program)
        assert found, f"{program} is not installed here"
        (folder / program).symlink_to(found)
    return str(folder)


def test_without_java_the_error_names_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", path_with(tmp_path))
    with pytest.raises(LocalNeo4jError, match=r"`java` is not on the PATH: the managed Neo4j needs a Java 17"):
        LocalNeo4j(tmp_path / "neo4j", 7687).start()


@pytest.mark.skipif(shutil.which("java") is None, reason="needs java on the PATH to get as far as Maven")
def test_without_maven_an_unbuilt_launcher_says_to_install_maven(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    sources = tmp_path / "launcher"
    shutil.copytree(LAUNCHER_DIR, sources, ignore=shutil.ignore_patterns("target"))
    monkeypatch.setenv("PATH", path_with(tmp_path, "java"))
    local = LocalNeo4j(tmp_path / "neo4j", 7687, launcher_dir=sources)
    assert not local.built()
    with pytest.raises(LocalNeo4jError, match=r"`mvn` is not on the PATH: the managed Neo4j needs Maven 3.8"):
        local.build()


@pytest.mark.skipif(shutil.which("java") is None or shutil.which("mvn") is None, reason="needs java and mvn")
def test_a_failing_build_shows_mavens_own_words(tmp_path: Path) -> None:
    sources = tmp_path / "launcher"
    sources.mkdir()
    (sources / "pom.xml").write_text("<project><modelVersion>4.0.0</modelVersion></project>\n")
    with pytest.raises(LocalNeo4jError, match=r"building the Neo4j launcher failed") as failed:
        LocalNeo4j(tmp_path / "neo4j", 7687, launcher_dir=sources).build()
    assert "groupId" in failed.value.message or "artifactId" in failed.value.message


def test_a_jar_older_than_its_sources_is_not_built(tmp_path: Path) -> None:
    sources = tmp_path / "launcher"
    shutil.copytree(LAUNCHER_DIR, sources, ignore=shutil.ignore_patterns("target"))
    local = LocalNeo4j(tmp_path / "neo4j", 7687, launcher_dir=sources)
    (sources / "target" / "lib").mkdir(parents=True)
    local.jar.write_bytes(b"")
    assert local.built()
    java = next((sources / "src").rglob("*.java"))
    later = local.jar.stat().st_mtime + 10
    os.utime(java, (later, later))
    assert not local.built()


def test_the_password_is_made_once_private_and_kept(tmp_path: Path) -> None:
    local = LocalNeo4j(tmp_path / "neo4j", 7687)
    first = local.password
    assert len(first) >= 24
    assert stat.S_IMODE(local.password_file.stat().st_mode) == 0o600
    assert LocalNeo4j(tmp_path / "neo4j", 7687).password == first


def test_each_instance_has_its_own_port_on_localhost(tmp_path: Path) -> None:
    local = LocalNeo4j(tmp_path / "neo4j", 7700, instances=3)
    assert [local.uri(i) for i in range(3)] == ["bolt://127.0.0.1:7700", "bolt://127.0.0.1:7701",
                                                 "bolt://127.0.0.1:7702"]
    with pytest.raises(LocalNeo4jError, match="instance 3 does not exist: this Neo4j runs 3"):
        local.uri(3)


def test_a_stale_pid_file_is_not_a_running_neo4j(tmp_path: Path) -> None:
    local = LocalNeo4j(tmp_path / "neo4j", 7687)
    local.home.mkdir(parents=True)
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                          check=True)
    local.pid_file.write_text(done.stdout)  # a pid that ended, or was reused by another program
    status = local.status()
    assert not status.running and status.describe().startswith("managed neo4j: stopped")
    assert not local.pid_file.exists()
    assert local.stop() is False


def test_the_engine_setting_chooses_the_managed_neo4j(tmp_path: Path) -> None:
    settings = load_settings({"HUB_HOME": str(tmp_path), "HUB_GRAPH_ENGINE": "neo4j", "HUB_NEO4J_PORT": "7800"})
    assert settings.managed_neo4j and not settings.embedded and settings.backend == "neo4j"
    assert settings.neo4j_home == tmp_path / "neo4j" and settings.neo4j_port == 7800
    # API keys and the audit log stay in the embedded FalkorDB server the same `hub db start` starts.
    assert settings.embedded_redis and redis_url(settings) == f"redis://127.0.0.1:{settings.db_port}/0"
    plain = load_settings({"HUB_HOME": str(tmp_path)})
    assert plain.embedded and not plain.managed_neo4j and plain.backend == "falkordb"


@pytest.mark.parametrize(("env", "message"), [
    ({"HUB_GRAPH_ENGINE": "neo5"}, "HUB_GRAPH_ENGINE='neo5' must be falkordb or neo4j"),
    ({"HUB_GRAPH_ENGINE": "neo4j", "HUB_GRAPH_URI": "redis://h:6379"},
     "HUB_GRAPH_ENGINE='neo4j' disagrees with HUB_GRAPH_URI's scheme 'redis'"),
    ({"HUB_NEO4J_PORT": "0"}, "HUB_NEO4J_PORT=0 is outside 1..65535"),
])
def test_a_bad_engine_setting_is_named(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_settings(env)


def test_db_start_refuses_an_unknown_engine(hub_env: dict[str, str]) -> None:
    done = subprocess.run([sys.executable, "-m", "hub.cli", "db", "start", "--engine", "oracle"], env=hub_env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 65, done.stderr
    assert "--engine 'oracle': use falkordb or neo4j" in done.stderr
