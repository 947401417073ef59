"""The managed local Neo4j: Neo4j Community 5.26 LTS, embedded in a small Java launcher.

The launcher (``neo4j/launcher/``, a Maven project) runs ``instances`` databases in one JVM,
instance ``i`` under ``home/i`` with Bolt on ``127.0.0.1:port+i`` only and authentication on.
The ``neo4j`` user's password is generated here once, kept in ``home/password`` (0600), and set
by the launcher at every start. The hub owns the process through a pid file, trusted only while
its process is alive and is the launcher, so a crash or a reboot never blocks the next start.
Maven may download at build time only (``make install``, or the first ``start``); running the
built jar needs no network.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from hub.errors import LocalNeo4jError

LAUNCHER_DIR = Path(__file__).resolve().parent.parent / "neo4j" / "launcher"
JAR_NAME = "kesos-neo4j-launcher.jar"
MAIN_CLASS = "org.kesos.launcher.Launcher"
PID_FILE = "neo4j.pid"
LOG_FILE = "neo4j.log"
PASSWORD_FILE = "password"
HOST = "127.0.0.1"
DEFAULT_PORT = 7687
# Creating each instance's stores the first time takes most of a minute on an idle machine and several
# on a loaded 2-core one (seen: over 300 s for 4 instances at load average 20).
START_TIMEOUT_S = 600.0
STOP_TIMEOUT_S = 60.0
BUILD_TIMEOUT_S = 900.0
LOG_TAIL_LINES = 15
# Java 17 closes the JDK internals Neo4j uses for its page cache and Netty; the server's own
# start script opens the same ones.
JVM_FLAGS = (
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/java.lang=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED",
    "-Dio.netty.tryReflectionSetAccessible=true",
    "-Djdk.nio.maxCachedBufferSize=1024",
    "-XX:+UseG1GC",
    "-XX:+ExitOnOutOfMemoryError",
)


@dataclass(frozen=True)
class LocalNeo4jStatus:
    running: bool
    pid: int | None
    ports: tuple[int, ...]
    home: Path

    def describe(self) -> str:
        if not self.running:
            return f"managed neo4j: stopped (data {self.home})"
        where = ", ".join(f"bolt://{HOST}:{p}" for p in self.ports)
        return f"managed neo4j: running, pid {self.pid}, {where}, data {self.home}"


def _sources_mtime(launcher: Path) -> float:
    files = [launcher / "pom.xml", *(launcher / "src").rglob("*.java")]
    return max(f.stat().st_mtime for f in files if f.exists())


def _is_launcher_process(pid: int) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        try:
            os.kill(pid, 0)
        except OSError:
            return False
        return True  # no /proc (macOS): alive is the best we can tell
    return JAR_NAME.encode() in cmdline


def _port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            return True
    return False


def _exit_status(pid: int) -> int | None:
    """The exit status of our child ``pid`` once it has ended (reaping it), else None; None too for a
    process that is not our child (started by another command)."""
    try:
        waited, status = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return None
    return os.waitstatus_to_exitcode(status) if waited == pid else None


class LocalNeo4j:
    """Build, start, stop and inspect the managed local Neo4j (``instances`` databases, one JVM)."""

    def __init__(self, home: Path, port: int = DEFAULT_PORT, instances: int = 1, *,
                 page_cache: str = "64m", launcher_dir: Path = LAUNCHER_DIR,
                 start_timeout_s: float = START_TIMEOUT_S) -> None:
        if instances < 1:
            raise LocalNeo4jError(f"instances={instances}: at least one Neo4j instance is needed")
        self.home = home.resolve()
        self.port = port
        self.instances = instances
        self.page_cache = page_cache
        self.launcher_dir = launcher_dir
        self.jar = launcher_dir / "target" / JAR_NAME
        self.start_timeout_s = start_timeout_s

    # -- where things are ------------------------------------------------------------------
    @property
    def pid_file(self) -> Path:
        return self.home / PID_FILE

    @property
    def log_file(self) -> Path:
        return self.home / LOG_FILE

    @property
    def password_file(self) -> Path:
        return self.home / PASSWORD_FILE

    def uri(self, i: int = 0) -> str:
        """The Bolt URI of instance ``i``."""
        if not 0 <= i < self.instances:
            raise LocalNeo4jError(f"instance {i} does not exist: this Neo4j runs {self.instances}")
        return f"bolt://{HOST}:{self.port + i}"

    @property
    def password(self) -> str:
        """The ``neo4j`` user's password, generated (0600) the first time it is asked for."""
        if not self.password_file.exists():
            self.home.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.password_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_urlsafe(24))
        return self.password_file.read_text().strip()

    # -- build -----------------------------------------------------------------------------
    def built(self) -> bool:
        """Whether the jar exists and is newer than the launcher's sources."""
        return self.jar.exists() and (self.jar.parent / "lib").is_dir() \
            and self.jar.stat().st_mtime >= _sources_mtime(self.launcher_dir)

    def build(self) -> Path:
        """Build the launcher with Maven when the jar is missing or older than its sources.

        Raises:
            LocalNeo4jError: when ``java`` or ``mvn`` is missing or the build fails.
        """
        self._require("java", "a Java 17 (or newer) runtime, e.g. `apt-get install openjdk-17-jre-headless`")
        if self.built():
            return self.jar
        if not (self.launcher_dir / "pom.xml").exists():
            raise LocalNeo4jError(f"{self.launcher_dir / 'pom.xml'} is missing: the Neo4j launcher's sources "
                                  "are not in this checkout")
        mvn = self._require("mvn", "Maven 3.8 or newer, e.g. `apt-get install maven` (it builds the Neo4j "
                                   "launcher once; running it needs no network)")
        try:
            done = subprocess.run([mvn, "-q", "-B", "-f", str(self.launcher_dir / "pom.xml"), "package"],
                                  capture_output=True, text=True, timeout=BUILD_TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired:
            raise LocalNeo4jError(f"building the Neo4j launcher ran past {BUILD_TIMEOUT_S:.0f} s "
                                  "(Maven downloads Neo4j from Maven Central the first time)") from None
        if done.returncode != 0 or not self.jar.exists():
            tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-LOG_TAIL_LINES:])
            raise LocalNeo4jError(f"building the Neo4j launcher failed (mvn package in {self.launcher_dir}; "
                                  f"Maven needs Maven Central the first time):\n{tail}")
        return self.jar

    @staticmethod
    def _require(program: str, what: str) -> str:
        found = shutil.which(program)
        if found is None:
            raise LocalNeo4jError(f"`{program}` is not on the PATH: the managed Neo4j needs {what}")
        return found

    # -- lifecycle -------------------------------------------------------------------------
    def _live_pid(self) -> int | None:
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None
        if _is_launcher_process(pid):
            return pid
        self.pid_file.unlink(missing_ok=True)  # stale: a crash or a reboot
        return None

    def status(self) -> LocalNeo4jStatus:
        pid = self._live_pid()
        ports = tuple(range(self.port, self.port + self.instances)) if pid else ()
        return LocalNeo4jStatus(running=pid is not None, pid=pid, ports=ports, home=self.home)

    def start(self) -> None:
        """Start the launcher unless it runs; return when every instance accepts Bolt connections.

        Raises:
            LocalNeo4jError: Java or Maven missing, a port taken, or no "ready" in time (with the
                log's last lines).
        """
        if self._live_pid() is not None:
            return
        jar = self.build()
        java = self._require("java", "a Java 17 (or newer) runtime")
        for port in range(self.port, self.port + self.instances):
            if _port_in_use(port):
                raise LocalNeo4jError(f"port {HOST}:{port} is taken by another program: choose another with "
                                      "HUB_NEO4J_PORT")
        self.home.mkdir(parents=True, exist_ok=True)
        password = self.password  # made before the launcher reads it
        assert password
        heap = f"{256 + 192 * self.instances}m"
        command = [java, f"-Xms{heap}", f"-Xmx{heap}", *JVM_FLAGS, "-jar", str(jar),
                   "--home", str(self.home), "--port", str(self.port), "--password-file", str(self.password_file),
                   "--instances", str(self.instances), "--page-cache", self.page_cache]
        # Spawned, not a Popen: the launcher outlives the command that started it (a Popen would warn
        # that its child still runs), in a session of its own so that a Ctrl-C of that command spares it.
        log = os.open(self.log_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            pid = os.posix_spawn(java, command, os.environ, setsid=True, file_actions=[
                (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                (os.POSIX_SPAWN_DUP2, log, 1), (os.POSIX_SPAWN_DUP2, log, 2)])
        finally:
            os.close(log)
        self.pid_file.write_text(f"{pid}\n")
        deadline = time.monotonic() + self.start_timeout_s
        while time.monotonic() < deadline:
            if self._ready():
                return
            exited = _exit_status(pid)
            if exited is not None:
                self.pid_file.unlink(missing_ok=True)
                raise LocalNeo4jError(f"Neo4j exited with status {exited} while starting; "
                                      f"the end of {self.log_file}:\n{self.log_tail()}")
            time.sleep(0.2)
        self._terminate(pid)
        raise LocalNeo4jError(f"Neo4j did not answer within {self.start_timeout_s:.0f} s; "
                              f"the end of {self.log_file}:\n{self.log_tail()}")

    def _ready(self) -> bool:
        try:
            text = self.log_file.read_text(errors="replace")
        except OSError:
            return False
        return any(line.startswith("ready") for line in text.splitlines())

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self) -> bool:
        """Stop the launcher (SIGTERM: each database shuts down cleanly). Whether one was running.

        Raises:
            LocalNeo4jError: when it does not stop in time (it is then killed).
        """
        pid = self._live_pid()
        if pid is None:
            return False
        self._terminate(pid)
        return True

    def _terminate(self, pid: int) -> None:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            self.pid_file.unlink(missing_ok=True)
            return
        deadline = time.monotonic() + STOP_TIMEOUT_S
        while time.monotonic() < deadline:
            if not self._alive(pid):
                self.pid_file.unlink(missing_ok=True)
                return
            time.sleep(0.1)
        os.kill(pid, signal.SIGKILL)
        self.pid_file.unlink(missing_ok=True)
        raise LocalNeo4jError(f"Neo4j (pid {pid}) did not stop within {STOP_TIMEOUT_S:.0f} s and was killed")

    @staticmethod
    def _alive(pid: int) -> bool:
        return _exit_status(pid) is None and _is_launcher_process(pid)
