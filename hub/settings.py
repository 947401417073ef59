"""Typed configuration, read once from ``HUB_*`` environment variables.

A malformed value fails with a ``ConfigError`` naming the key, never later and never silently.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from hub.errors import ConfigError

DEFAULT_PORT = 6479
DEFAULT_GRAPH = "kesos"
NEO4J_SCHEMES = frozenset({"neo4j", "neo4j+s", "neo4j+ssc", "bolt", "bolt+s", "bolt+ssc"})
FALKORDB_SCHEMES = frozenset({"redis", "rediss", "falkordb", "falkor"})


@dataclass(frozen=True)
class Settings:
    """Everything the hub reads from its environment.

    ``graph_uri`` empty means: use the embedded FalkorDB managed by the hub.
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

    @property
    def embedded(self) -> bool:
        return not self.graph_uri

    @property
    def backend(self) -> str:
        """``falkordb`` or ``neo4j``, from the URI scheme."""
        if self.embedded:
            return "falkordb"
        scheme = urlparse(self.graph_uri).scheme
        return "neo4j" if scheme in NEO4J_SCHEMES else "falkordb"

    @property
    def development(self) -> bool:
        return self.env == "development"

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
    return Settings(
        home=home,
        data_dir=data_dir,
        db_port=_int(source, "HUB_DB_PORT", DEFAULT_PORT, 1, 65535),
        graph_uri=_graph_uri(source),
        graph_user=source.get("HUB_GRAPH_USER", ""),
        graph_password=source.get("HUB_GRAPH_PASSWORD", ""),
        graph_name=graph_name,
        neo4j_database=source.get("HUB_NEO4J_DATABASE", "").strip(),
        redis_url=source.get("HUB_REDIS_URL", "").strip(),
        env=app_env,
    )
