"""The server secret that keys identifier digests: from HUB_SECRET, else made once in HUB_HOME (0600)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.errors import ConfigError
from hub.privacy.secret import SECRET_BYTES, SECRET_FILE, keyed_digest, server_secret
from hub.settings import load_settings


def test_a_secret_is_made_once_kept_private_and_reused(tmp_path: Path) -> None:
    settings = load_settings({"HUB_HOME": str(tmp_path / "home")})
    first = server_secret(settings)
    kept = tmp_path / "home" / SECRET_FILE
    assert len(first) == SECRET_BYTES and kept.stat().st_mode & 0o777 == 0o600
    assert server_secret(load_settings({"HUB_HOME": str(tmp_path / "home")})) == first  # a restart: the same
    assert server_secret(load_settings({"HUB_HOME": str(tmp_path / "other")})) != first


def test_hub_secret_wins_and_must_be_long_enough(tmp_path: Path) -> None:
    given = "s" * 40
    settings = load_settings({"HUB_HOME": str(tmp_path), "HUB_SECRET": given})
    assert server_secret(settings) == given.encode() and not (tmp_path / SECRET_FILE).exists()
    assert given not in repr(settings)
    with pytest.raises(ConfigError, match="HUB_SECRET is 5 characters; give at least 32"):
        server_secret(load_settings({"HUB_HOME": str(tmp_path), "HUB_SECRET": "short"}))


def test_a_damaged_secret_file_is_an_error_not_a_new_secret(tmp_path: Path) -> None:
    (tmp_path / SECRET_FILE).write_bytes(b"cut")
    with pytest.raises(ConfigError, match="shorter than 32 bytes"):
        server_secret(load_settings({"HUB_HOME": str(tmp_path)}))


def test_digests_depend_on_the_secret_and_the_purpose() -> None:
    kk = "3374010101010001"
    assert keyed_digest(b"a" * 32, "household", kk) == keyed_digest(b"a" * 32, "household", kk)
    assert keyed_digest(b"a" * 32, "household", kk) != keyed_digest(b"b" * 32, "household", kk)
    assert keyed_digest(b"a" * 32, "household", kk) != keyed_digest(b"a" * 32, "person", kk)
