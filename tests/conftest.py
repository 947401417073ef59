"""Shared fixtures: every test that talks to a graph runs on each backend.

Backends: the embedded FalkorDB (always) and a real Neo4j 5.26 run by ``hub.neo4j_local.LocalNeo4j``
(wherever java, mvn and the launcher built by ``make install`` exist). A test asks for the ``backend``
fixture, directly or through ``store``, ``graph_env`` or ``api``, and gets one run per backend with
``[falkordb]``/``[neo4j]`` in its id; ``@pytest.mark.falkordb_only("why")`` keeps it on FalkorDB.
With ``CI`` set a Neo4j that cannot run is a failure; elsewhere the run says once why it was skipped.
``HUB_TEST_BACKENDS=falkordb`` (or ``neo4j``) narrows a local run to one backend.

One FalkorDB server and one Neo4j JVM serve the session. Each FalkorDB graph is a fresh name; Neo4j
Community holds one user database per DBMS, so the JVM runs a pool of instances: function-scoped
``store`` tests clear and reuse one, and each longer-lived world or ``graph_env`` holds one of its own
for its scope, emptied (nodes, constraints, indexes) when it is taken.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import random
import shutil
import signal
import socket
import tempfile
import threading
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from _pytest.nodeid import NodeId

from graph_schema.port import GraphStore
from hub.embedded_db import HOST, EmbeddedServer

if TYPE_CHECKING:
    from tests.resolvers.conftest import Api

NEO4J_USER = "neo4j"
# Instances held at once: the function-scoped store's, the shared API world's (both for the whole Neo4j
# half of the run), a module's own world (writes, search, pipeline...) and a graph_env's.
NEO4J_INSTANCES = int(os.environ.get("HUB_TEST_NEO4J_INSTANCES", "4"))


def free_port() -> int:
    """A free port below the kernel's ephemeral range (32768 up): a port the kernel hands out for port 0
    is one an outgoing connection (a client of the graph server, say) may take before the server binds it."""
    return free_port_block(1)


def _port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
        return True


def worker_index() -> int:
    """This pytest-xdist worker's number (``gw1`` is 1); 0 without xdist."""
    return int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)


# Every port this process has handed out, never handed out again: its server may not have bound it
# yet (the session's Neo4j JVM starts in a thread while the tests go on; a FalkorDB test was given a
# port of its block and bound it first, and the JVM failed: "bind(..) failed: Address already in use").
_HANDED_OUT: set[int] = set()
_HANDING_OUT = threading.Lock()


def free_port_block(count: int) -> int:
    """The first of ``count`` consecutive free ports (the launcher puts instance i on port + i), in a range
    of this xdist worker's own (1,000 ports each from 20000) so that two workers' JVMs never race for one,
    none handed out before by this process (``_HANDED_OUT``)."""
    low = 20_000 + (worker_index() % 10) * 1_000
    with _HANDING_OUT:
        for _ in range(200):
            base = random.randrange(low, low + 1_000 - count)
            ports = range(base, base + count)
            if not _HANDED_OUT.intersection(ports) and all(_port_is_free(port) for port in ports):
                _HANDED_OUT.update(ports)
                return base
    raise RuntimeError(f"no {count} consecutive free ports between {low} and {low + 1_000}")


def neo4j_unavailable() -> str:
    """Why the Neo4j leg cannot run here ('' when it can)."""
    missing = [tool for tool in ("java", "mvn") if shutil.which(tool) is None]
    if missing:
        return f"{' and '.join(missing)} not on PATH (install Java 17 and Maven 3.8)"
    try:
        from hub.neo4j_local import LocalNeo4j
    except ImportError as exc:
        return f"hub.neo4j_local cannot be imported ({exc})"
    local = LocalNeo4j(Path("/nonexistent"))
    if not local.built():
        return f"the launcher is not built, or older than its sources ({local.jar}): run `make install`"
    return ""


def _backends(config: pytest.Config) -> tuple[list[str], str]:
    """The backends this run covers, and the note to print when Neo4j is left out."""
    chosen = os.environ.get("HUB_TEST_BACKENDS", "").replace(",", " ").split()
    unknown = set(chosen) - {"falkordb", "neo4j"}
    if unknown:
        raise pytest.UsageError(f"HUB_TEST_BACKENDS={os.environ['HUB_TEST_BACKENDS']!r}: "
                                f"{', '.join(sorted(unknown))} is not a backend (falkordb, neo4j)")
    wanted = chosen or ["falkordb", "neo4j"]
    if "neo4j" not in wanted:
        return wanted, "Neo4j skipped: HUB_TEST_BACKENDS leaves it out"
    why = neo4j_unavailable()
    if not why:
        return wanted, ""
    if os.environ.get("CI"):
        raise pytest.UsageError(f"CI runs every test on Neo4j too, and Neo4j cannot run here: {why}")
    if chosen == ["neo4j"]:
        raise pytest.UsageError(f"HUB_TEST_BACKENDS=neo4j, and Neo4j cannot run here: {why}")
    return [b for b in wanted if b != "neo4j"], f"Neo4j skipped: {why}"


_BACKENDS = pytest.StashKey[list[str]]()
_NOTE = pytest.StashKey[str]()


# What this process started and must stop when told to end (SIGTERM: ``timeout``, a cancelled CI job).
ON_SIGTERM: list[Callable[[], object]] = []


def _children() -> list[int]:
    """This process's child processes (Linux's /proc; none found elsewhere)."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if ppid == os.getpid():
            pids.append(int(stat.parent.name))
    return pids


def _stop_then_die(signum: int, frame: Any) -> None:
    """On SIGTERM no server is left behind: the pytest-xdist controller passes the signal on to its workers,
    and each process stops the servers it started (its Neo4j JVM, its FalkorDB server), then dies as told."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        for child in _children():
            os.kill(child, signum)
    for stop in reversed(ON_SIGTERM):
        stop()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


def pytest_configure(config: pytest.Config) -> None:
    signal.signal(signal.SIGTERM, _stop_then_die)
    backends, note = _backends(config)
    config.stash[_BACKENDS] = backends
    config.stash[_NOTE] = note


def pytest_report_header(config: pytest.Config) -> str:
    backends: list[str] = config.stash[_BACKENDS]
    note = config.stash[_NOTE]
    return f"graph backends: {', '.join(backends)}" + (f" ({note})" if note else "")


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    if config.stash[_NOTE]:
        terminalreporter.write_line(f"NOTE: {config.stash[_NOTE]}", yellow=True, bold=True)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" not in metafunc.fixturenames:
        return
    backends = metafunc.config.stash[_BACKENDS]
    if metafunc.definition.get_closest_marker("falkordb_only"):
        backends = ["falkordb"]
    metafunc.parametrize("backend", backends, indirect=True, scope="session")


def xdist_group(item: pytest.Item) -> str | None:
    """The work unit ``item`` must share with others under ``pytest -n N --dist loadgroup`` (``make test``),
    so that no world is built twice: the tests of the session's API world on one backend go together, and so
    do a module's (or package's) tests on one backend when they share a module- or package-scoped fixture.
    Every other test is a unit of its own, sent to whichever worker is free. Populations and synthetic files
    are made once for all workers (``shared_dir``), so they need no group."""
    callspec = getattr(item, "callspec", None)
    backend = callspec.params.get("backend", "none") if callspec is not None else "none"
    names = getattr(item, "fixturenames", ())
    if "api" in names:
        return f"api-{backend}"
    definitions = item._fixtureinfo.name2fixturedefs if hasattr(item, "_fixtureinfo") else {}
    scopes = {fixturedef.scope: fixturedef for name in names for fixturedef in definitions.get(name, ())}
    if "package" in scopes:  # before a module's: the package's world (the pages') is the costlier one
        return f"{scopes['package'].baseid or 'tests'}-{backend}"
    if "module" in scopes or "class" in scopes:
        return f"{item.nodeid.split('::')[0]}-{backend}"
    return None


def _join_group(item: pytest.Item, group: str) -> None:
    """Tell pytest-xdist's ``loadgroup`` scheduler that ``item`` belongs to ``group``: it reads the group from a
    ``@group`` suffix of the test id the worker reports. pytest-xdist 3.8 writes that suffix to ``item._nodeid``,
    which pytest 9 no longer reads (a node's id is ``item._id``), so every test became a unit of its own and
    each worker built every world; the suffix is written here where pytest 9 reads it."""
    if hasattr(item, "_id"):  # pytest >= 9
        item._id = NodeId.parse(f"{item.nodeid}@{group}")


# First: pytest-xdist's worker reads the xdist_group markers in its own pytest_collection_modifyitems.
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    grouping = bool(getattr(config.option, "loadgroup", False))  # set on an xdist worker under --dist loadgroup
    for item in items:
        marker = item.get_closest_marker("falkordb_only")
        if marker is not None and not (marker.args and isinstance(marker.args[0], str) and marker.args[0]):
            raise pytest.UsageError(f"{item.nodeid}: @pytest.mark.falkordb_only needs the reason as its argument")
        group = xdist_group(item)
        if group is not None:
            item.add_marker(pytest.mark.xdist_group(group))
            if grouping:
                _join_group(item, group)


@pytest.fixture(scope="session")
def backend(request: pytest.FixtureRequest) -> str:
    """``falkordb`` or ``neo4j``: the graph backend of this run of the test."""
    name: str = request.param
    return name


@pytest.fixture(scope="session")
def falkordb_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedServer]:
    server = EmbeddedServer(tmp_path_factory.mktemp("falkordb"), free_port())
    ON_SIGTERM.append(server.stop)
    server.start()
    yield server
    ON_SIGTERM.remove(server.stop)
    server.stop()


def reset_neo4j(uri: str, password: str) -> None:
    """Empty one Neo4j instance: every node, constraint and index (not the built-in lookup indexes)."""
    import neo4j

    with neo4j.GraphDatabase.driver(uri, auth=(NEO4J_USER, password)) as driver, driver.session() as session:
        session.run("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS").consume()
        for record in list(session.run("SHOW CONSTRAINTS YIELD name")):
            session.run(f"DROP CONSTRAINT `{record['name']}` IF EXISTS").consume()
        for record in list(session.run("SHOW INDEXES YIELD name, type WHERE type <> 'LOOKUP' RETURN name")):
            session.run(f"DROP INDEX `{record['name']}` IF EXISTS").consume()


@dataclass
class Neo4jPool:
    """The launcher's instances, each lent to one holder at a time."""

    uris: list[str]
    password: str
    free: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.free = list(self.uris)

    @contextmanager
    def hold(self) -> Iterator[str]:
        """An emptied instance's bolt URI, for as long as the ``with`` lasts."""
        if not self.free:
            pytest.fail(f"all {len(self.uris)} Neo4j test instances are held at once: raise "
                        "HUB_TEST_NEO4J_INSTANCES or give a fixture a narrower scope")
        uri = self.free.pop(0)
        try:
            reset_neo4j(uri, self.password)
            yield uri
        finally:
            self.free.append(uri)


class Neo4jStarter:
    """The session's Neo4j JVM, started in a thread as soon as the run is known to hold Neo4j tests: the
    FalkorDB half runs first (the ``backend`` parameter orders the run), so the JVM is up by the time the
    first Neo4j test asks for it, and its start never counts against a test's timeout. Stopped when the
    session ends, and on SIGTERM (``timeout``, a cancelled CI job): no JVM is left behind."""

    def __init__(self, home: Path) -> None:
        from hub.neo4j_local import LocalNeo4j

        self.local = LocalNeo4j(home, free_port_block(NEO4J_INSTANCES), instances=NEO4J_INSTANCES)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._start, name="neo4j-start", daemon=True)
        ON_SIGTERM.append(self.stop)
        self.thread.start()

    def _start(self) -> None:
        try:
            self.local.build()  # a no-op: `make install` built the jar (a test never downloads)
            self.local.start()
        except BaseException as exc:  # told to the first test that needs Neo4j
            self.error = exc

    def ready(self) -> Neo4jPool:
        # The JVM's start is the session's work, not the waiting test's: pytest-timeout's alarm is held while it
        # finishes (LocalNeo4j.start gives up by itself after its START_TIMEOUT_S).
        left, _ = signal.setitimer(signal.ITIMER_REAL, 0)
        try:
            self.thread.join()
        finally:
            if left:
                signal.setitimer(signal.ITIMER_REAL, left)
        if self.error is not None:
            pytest.fail(f"the managed Neo4j did not start: {self.error}")
        return Neo4jPool([self.local.uri(i) for i in range(NEO4J_INSTANCES)], self.local.password)

    def stop(self) -> None:
        if self.stop in ON_SIGTERM:
            ON_SIGTERM.remove(self.stop)
        self.thread.join(timeout=600)
        self.local.stop()


_STARTER = pytest.StashKey[Neo4jStarter]()


def pytest_collection_finish(session: pytest.Session) -> None:
    wants = any(getattr(getattr(item, "callspec", None), "params", {}).get("backend") == "neo4j"
                for item in session.items)
    if wants and not session.config.option.collectonly:
        home = Path(tempfile.mkdtemp(prefix="hub-test-neo4j-"))
        session.config.stash[_STARTER] = Neo4jStarter(home)


def pytest_sessionfinish(session: pytest.Session) -> None:
    starter = session.config.stash.get(_STARTER, None)
    if starter is not None:
        starter.stop()
        shutil.rmtree(starter.local.home, ignore_errors=True)


@pytest.fixture(scope="session")
def neo4j_pool(request: pytest.FixtureRequest) -> Neo4jPool:
    """The session's Neo4j instances (the JVM ``Neo4jStarter`` started when collection ended)."""
    starter = request.config.stash.get(_STARTER, None)
    if starter is None:
        pytest.fail("no Neo4j was started for this run (a Neo4j test should have made pytest_collection_finish "
                    "start it)")
    return starter.ready()


@dataclass(frozen=True)
class GraphTarget:
    """Where a hub points for one graph of its own: the HUB_* settings naming it (not HUB_HOME)."""

    backend: str
    env: dict[str, str]

    @property
    def graph_name(self) -> str:
        return self.env["HUB_GRAPH_NAME"]


@contextmanager
def hold_graph(request: pytest.FixtureRequest, backend: str, prefix: str) -> Iterator[GraphTarget]:
    """A graph of its own on ``backend``: a fresh name on the session FalkorDB, or a pooled Neo4j
    instance whose API keys and audit live in the session FalkorDB server (as Redis) under the name."""
    server: EmbeddedServer = request.getfixturevalue("falkordb_server")
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    env = {"HUB_DB_PORT": str(server.port), "HUB_DATA_DIR": str(server.data_dir), "HUB_GRAPH_NAME": name}
    if backend == "falkordb":
        yield GraphTarget(backend, env)
        return
    pool: Neo4jPool = request.getfixturevalue("neo4j_pool")
    with pool.hold() as uri:
        yield GraphTarget(backend, {**env, "HUB_GRAPH_URI": uri, "HUB_GRAPH_USER": NEO4J_USER,
                                    "HUB_GRAPH_PASSWORD": pool.password,
                                    "HUB_REDIS_URL": f"redis://{HOST}:{server.port}/0"})


@pytest.fixture(scope="session")
def neo4j_store_uri(request: pytest.FixtureRequest) -> Iterator[str]:
    """The instance that function-scoped ``store`` tests on Neo4j share, one after another."""
    pool: Neo4jPool = request.getfixturevalue("neo4j_pool")
    with pool.hold() as uri:
        yield uri


@pytest.fixture
async def store(request: pytest.FixtureRequest, backend: str) -> AsyncIterator[GraphStore]:
    """An empty graph with the hub schema, on each backend; emptied after the test."""
    graph: GraphStore
    if backend == "falkordb":
        from graph_schema.falkordb_store import FalkorDBStore

        server: EmbeddedServer = request.getfixturevalue("falkordb_server")
        graph = FalkorDBStore(HOST, server.port, f"test_{uuid.uuid4().hex[:12]}")
    else:
        from graph_schema.neo4j_store import Neo4jStore

        uri: str = request.getfixturevalue("neo4j_store_uri")
        pool: Neo4jPool = request.getfixturevalue("neo4j_pool")
        graph = Neo4jStore(uri, NEO4J_USER, pool.password)
        await graph.clear()
    await graph.ensure_schema("2026-01-01T00:00:00+00:00")
    yield graph
    await graph.clear()
    await graph.close()


@pytest.fixture
def hub_env(tmp_path: Path) -> dict[str, str]:
    """Environment for running the ``hub`` command against a private embedded hub (its own server)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update({"HUB_HOME": str(tmp_path / "hub"), "HUB_DB_PORT": str(free_port())})
    return env


@pytest.fixture
def graph_env(request: pytest.FixtureRequest, backend: str, tmp_path: Path) -> Iterator[dict[str, str]]:
    """Environment for running ``hub`` commands against a graph of their own on each backend (a private
    HUB_HOME; the session's servers, so no hub command starts or stops one)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    with hold_graph(request, backend, "cli") as target:
        yield {**env, "HUB_HOME": str(tmp_path / "hub"), **target.env}


def train_on(server: EmbeddedServer, data: Path, work: Path) -> Path:
    """A linking model trained on the synthetic exports in ``data``, loaded into a scratch graph on
    ``server`` (dropped after): worlds whose tests are not about training copy it (``use_model``)
    instead of training their own, the suite's costliest step."""
    from graph_schema.falkordb_store import FalkorDBStore
    from hub.synth.run import SOURCE_ORDER
    from loaders.mapping import mapping_for
    from loaders.run import load_file
    from matching.pipeline import run_match

    async def train() -> Path:
        store = FalkorDBStore(HOST, server.port, f"model_{uuid.uuid4().hex[:10]}")
        try:
            await store.ensure_schema("2026-01-01T00:00:00+00:00")
            for source in SOURCE_ORDER:
                await load_file(store, mapping_for(source), data / f"{source}.csv", work)
            report = await run_match(store, work / "model.json")
            assert report.trained
        finally:
            await store.clear()
            await store.close()
        return work / "model.json"

    return asyncio.run(train())


def use_model(trained: Path, model_path: Path) -> Path:
    """``trained`` copied where a hub of its own reads its model (``hub match`` then reuses it)."""
    model_path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(trained, model_path)
    return model_path


def shared_dir(factory: pytest.TempPathFactory, name: str, make: Callable[[Path], object]) -> Path:
    """A folder that ``make`` fills once for the whole run: under pytest-xdist the first worker to ask makes
    it in the run's common temporary folder while the others wait on a lock, then every worker reads it."""
    root = factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # pytest-N/, above this worker's popen-gwK/
    out, made = root / f"shared-{name}", root / f"shared-{name}.made"  # beside, not in it: tests list it
    with open(root / f"shared-{name}.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not made.exists():
                shutil.rmtree(out, ignore_errors=True)
                out.mkdir()
                make(out)
                made.touch()
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return out


@dataclass
class Populations:
    """Synthetic populations and their trained models, each made once for the session and shared
    read-only by every world (on either backend) that asks for the same size and seed."""

    server: EmbeddedServer
    factory: pytest.TempPathFactory
    made: dict[tuple[int, int], tuple[Path, Path]] = field(default_factory=dict)

    def get(self, persons: int, seed: int) -> tuple[Path, Path]:
        """The exports (CSV) of ``persons`` persons made with ``seed``, and the model trained on them."""
        if (persons, seed) not in self.made:
            from hub.synth.config import SynthConfig
            from hub.synth.run import synthesize

            def make(out: Path) -> None:
                synthesize(SynthConfig(persons=persons, seed=seed, xlsx=False), out / "data", workers=1)
                train_on(self.server, out / "data", out)

            out = shared_dir(self.factory, f"population-{persons}-{seed}", make)
            self.made[persons, seed] = out / "data", out / "model.json"
        return self.made[persons, seed]


@pytest.fixture(scope="session")
def populations(falkordb_server: EmbeddedServer, tmp_path_factory: pytest.TempPathFactory) -> Populations:
    return Populations(falkordb_server, tmp_path_factory)


@pytest.fixture(scope="session")
def population(populations: Populations) -> Path:
    """The shared synthetic population (1,500 persons, CSV) behind the API world, made once."""
    return populations.get(1500, 5)[0]


@pytest.fixture(scope="session")
def trained_model(populations: Populations) -> Path:
    """The linking model of ``population``, trained once for the session (the same data gives the same model
    on either backend, so both backends' worlds link alike)."""
    return populations.get(1500, 5)[1]


@pytest.fixture(scope="session")
def small_synth(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 3,000-person population with the default dirt, as CSV and XLSX (loaders, and the synth tests' XLSX)."""
    from hub.synth.config import SynthConfig
    from hub.synth.run import synthesize

    return shared_dir(tmp_path_factory, "load-synth",
                      lambda out: synthesize(SynthConfig(persons=3000, seed=5, xlsx=True), out, workers=1))


async def open_graph(env: dict[str, str]) -> GraphStore:
    """The graph a ``hub`` command run with ``env`` (``graph_env``) talks to, on either backend."""
    from hub.settings import load_settings
    from hub.store import open_store

    return await open_store(load_settings(env), autostart=False)


@pytest.fixture(scope="session")
def api(request: pytest.FixtureRequest, backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """One linked population served over HTTP per backend, shared read-only by every package."""
    from tests.resolvers.conftest import served_world

    yield from served_world(request, backend, tmp_path_factory, "api")
