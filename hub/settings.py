"""Typed configuration, read once from ``HUB_*`` environment variables.

A malformed value fails with a ``ConfigError`` naming the key, never later and never silently.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from hub.errors import ConfigError

DEFAULT_PORT = 6479
DEFAULT_GRAPH = "kesos"
DEFAULT_NEO4J_PORT = 7687
ENGINES = ("falkordb", "neo4j")
NEO4J_SCHEMES = frozenset({"neo4j", "neo4j+s", "neo4j+ssc", "bolt", "bolt+s", "bolt+ssc"})
FALKORDB_SCHEMES = frozenset({"redis", "rediss", "falkordb", "falkor"})


@dataclass(frozen=True)
class Settings:
    """Everything the hub reads from its environment.

    ``graph_uri`` empty means: a graph the hub manages itself, the embedded FalkorDB
    (``graph_engine`` falkordb, the default) or the managed local Neo4j (``graph_engine`` neo4j,
    data and password under ``home/neo4j``). Either way the embedded FalkorDB server is also the
    hub's Redis unless ``redis_url`` names another.
    """

    home: Path
    data_dir: Path
    db_port: int
    graph_uri: str
    graph_user: str
    graph_password: str
    graph_name: str
    neo4j_database: str
    redis_url: str
    env: str
    # The API's brakes (README, "Configuration"): each has a default that a normal client never meets.
    rate_per_second: int = 20
    rate_burst: int = 60
    failed_keys_per_minute: int = 10
    max_body_bytes: int = 1_000_000
    max_string_chars: int = 1_000
    max_reason_chars: int = 2_000
    max_query_cost: int = 1_000
    query_timeout_ms: int = 10_000
    tls_ca_file: str = ""
    audit_retention_days: int = 1826  # HUB_AUDIT_RETENTION_DAYS: days of audit log kept (hub/privacy/audit.py)
    secret: str = field(default="", repr=False)  # HUB_SECRET: keys identifier digests (hub/privacy/secret.py)
    graph_engine: str = "falkordb"  # HUB_GRAPH_ENGINE: which graph the hub manages when HUB_GRAPH_URI is empty
    neo4j_port: int = DEFAULT_NEO4J_PORT  # HUB_NEO4J_PORT: Bolt port of the managed Neo4j
    # The pages' sign-in sessions (hub/pages/session.py): ended after this long unused, and after this long at all.
    session_idle_minutes: int = 30
    session_max_hours: int = 12

    @property
    def embedded(self) -> bool:
        """The graph is the embedded FalkorDB server."""
        return not self.graph_uri and self.graph_engine == "falkordb"

    @property
    def managed_neo4j(self) -> bool:
        """The graph is the managed local Neo4j (``hub.neo4j_local``)."""
        return not self.graph_uri and self.graph_engine == "neo4j"

    @property
    def embedded_redis(self) -> bool:
        """API keys, rate limits and the audit log live in the embedded FalkorDB server."""
        return not self.redis_url and not self.graph_uri

    @property
    def neo4j_home(self) -> Path:
        """Where the managed Neo4j keeps its databases, log, pid file and password."""
        return self.home / "neo4j"

    @property
    def backend(self) -> str:
        """``falkordb`` or ``neo4j``, from the URI scheme (or the engine the hub manages)."""
        if not self.graph_uri:
            return self.graph_engine
        scheme = urlparse(self.graph_uri).scheme
        return "neo4j" if scheme in NEO4J_SCHEMES else "falkordb"

    @property
    def development(self) -> bool:
        return self.env == "development"

    @property
    def graph_tls(self) -> bool:
        """Whether the graph URI asks for TLS (``rediss://``, ``bolt+s://``, ``neo4j+s://``...)."""
        scheme = urlparse(self.graph_uri).scheme
        return scheme == "rediss" or scheme.endswith(("+s", "+ssc"))

    @property
    def model_path(self) -> Path:
        """The saved linking model (``hub match`` writes it; live linking and the API read it)."""
        return self.home / "models" / f"{self.graph_name}.splink.json"


def _int(env: Mapping[str, str], key: str, default: int, low: int, high: int) -> int:
    raw = env.get(key)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{key}={raw!r} is not a whole number") from None
    if not low <= value <= high:
        raise ConfigError(f"{key}={value} is outside {low}..{high}")
    return value


def _graph_uri(env: Mapping[str, str]) -> str:
    uri = env.get("HUB_GRAPH_URI", "").strip()
    if not uri:
        return ""
    parsed = urlparse(uri)
    if parsed.scheme not in NEO4J_SCHEMES | FALKORDB_SCHEMES:
        raise ConfigError(
            f"HUB_GRAPH_URI={uri!r} has scheme {parsed.scheme!r}; use neo4j://, bolt:// (Neo4j) "
            "or redis:// (FalkorDB), or leave it empty for the embedded graph"
        )
    if not parsed.hostname:
        raise ConfigError(f"HUB_GRAPH_URI={uri!r} names no host")
    return uri


def _tls_ca_file(env: Mapping[str, str], graph_uri: str, redis_url: str) -> str:
    raw = env.get("HUB_TLS_CA_FILE", "").strip()
    if not raw:
        return ""
    if not Path(raw).expanduser().is_file():
        raise ConfigError(f"HUB_TLS_CA_FILE={raw!r} is not a readable file (a PEM bundle of the CAs to trust)")
    graph_scheme, redis_scheme = urlparse(graph_uri).scheme, urlparse(redis_url).scheme
    if not (graph_scheme == "rediss" or graph_scheme.endswith("+s") or redis_scheme == "rediss"):
        raise ConfigError(f"HUB_TLS_CA_FILE={raw!r} is set but no connection uses TLS: use rediss:// in "
                          "HUB_GRAPH_URI or HUB_REDIS_URL, or bolt+s:// / neo4j+s:// for Neo4j")
    return str(Path(raw).expanduser())


def _graph_engine(env: Mapping[str, str], graph_uri: str) -> str:
    engine = env.get("HUB_GRAPH_ENGINE", "").strip().lower()
    if not engine:
        return "falkordb"
    if engine not in ENGINES:
        raise ConfigError(f"HUB_GRAPH_ENGINE={engine!r} must be falkordb or neo4j")
    scheme = urlparse(graph_uri).scheme
    if graph_uri and (scheme in NEO4J_SCHEMES) != (engine == "neo4j"):
        raise ConfigError(f"HUB_GRAPH_ENGINE={engine!r} disagrees with HUB_GRAPH_URI's scheme {scheme!r}: "
                          "leave HUB_GRAPH_ENGINE empty or make them agree")
    return engine


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read the settings from ``env`` (default: the process environment)."""
    source = os.environ if env is None else env
    home = Path(source.get("HUB_HOME", ".hub")).expanduser()
    data_dir = Path(source.get("HUB_DATA_DIR", str(home / "data"))).expanduser()
    app_env = source.get("HUB_ENV", "production").strip().lower()
    if app_env not in {"development", "production", "test"}:
        raise ConfigError(f"HUB_ENV={app_env!r} must be development, production or test")
    graph_name = source.get("HUB_GRAPH_NAME", DEFAULT_GRAPH).strip()
    if not graph_name.replace("_", "").replace("-", "").isalnum():
        raise ConfigError(f"HUB_GRAPH_NAME={graph_name!r} may hold only letters, digits, '_' and '-'")
    graph_uri = _graph_uri(source)
    redis = source.get("HUB_REDIS_URL", "").strip()
    if redis and urlparse(redis).scheme not in {"redis", "rediss", "unix"}:
        raise ConfigError(f"HUB_REDIS_URL has scheme {urlparse(redis).scheme!r}; use redis://, rediss:// (TLS) or unix://")
    return Settings(
        home=home,
        data_dir=data_dir,
        db_port=_int(source, "HUB_DB_PORT", DEFAULT_PORT, 1, 65535),
        graph_uri=graph_uri,
        graph_user=source.get("HUB_GRAPH_USER", ""),
        graph_password=source.get("HUB_GRAPH_PASSWORD", ""),
        graph_name=graph_name,
        neo4j_database=source.get("HUB_NEO4J_DATABASE", "").strip(),
        redis_url=redis,
        env=app_env,
        secret=source.get("HUB_SECRET", "").strip(),
        rate_per_second=_int(source, "HUB_RATE_PER_SECOND", 20, 1, 100_000),
        rate_burst=_int(source, "HUB_RATE_BURST", 60, 1, 1_000_000),
        failed_keys_per_minute=_int(source, "HUB_FAILED_KEYS_PER_MINUTE", 10, 1, 100_000),
        max_body_bytes=_int(source, "HUB_MAX_BODY_BYTES", 1_000_000, 1_000, 100_000_000),
        max_string_chars=_int(source, "HUB_MAX_STRING_CHARS", 1_000, 16, 1_000_000),
        max_reason_chars=_int(source, "HUB_MAX_REASON_CHARS", 2_000, 16, 1_000_000),
        max_query_cost=_int(source, "HUB_MAX_QUERY_COST", 1_000, 10, 10_000_000),
        query_timeout_ms=_int(source, "HUB_QUERY_TIMEOUT_MS", 10_000, 1, 3_600_000),
        tls_ca_file=_tls_ca_file(source, graph_uri, redis),
        audit_retention_days=_int(source, "HUB_AUDIT_RETENTION_DAYS", 1826, 1, 36_500),
        graph_engine=_graph_engine(source, graph_uri),
        neo4j_port=_int(source, "HUB_NEO4J_PORT", DEFAULT_NEO4J_PORT, 1, 65535),
        session_idle_minutes=_int(source, "HUB_SESSION_IDLE_MINUTES", 30, 1, 24 * 60),
        session_max_hours=_int(source, "HUB_SESSION_MAX_HOURS", 12, 1, 24 * 7),
    )
