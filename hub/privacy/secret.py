"""The server secret that keys every digest of an identifier the API shows (HMAC-SHA256).

A plain SHA-256 of a KK is undone by hashing every plausible KK (a few seconds); keyed with a
secret the caller never sees, the digest reveals nothing and cannot be recomputed. The secret is
``HUB_SECRET`` when set (several hub processes must share it), else 32 random bytes generated once
and kept in ``HUB_HOME/secret`` (mode 0600), so digests stay the same across requests and restarts.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import time
from pathlib import Path

from hub.errors import ConfigError
from hub.settings import Settings

SECRET_FILE = "secret"
SECRET_BYTES = 32
MIN_SETTING_CHARS = 32


def server_secret(settings: Settings) -> bytes:
    """The secret ``settings`` name: ``HUB_SECRET``, else the one kept in ``HUB_HOME`` (made on first use).

    Raises:
        ConfigError: ``HUB_SECRET`` is too short, or the kept secret cannot be read or written.
    """
    if settings.secret:
        if len(settings.secret) < MIN_SETTING_CHARS:
            raise ConfigError(f"HUB_SECRET is {len(settings.secret)} characters; give at least {MIN_SETTING_CHARS} "
                              "(for example: python -c 'import secrets; print(secrets.token_hex(32))')")
        return settings.secret.encode()
    return _kept_secret(settings.home / SECRET_FILE)


def _kept_secret(path: Path) -> bytes:
    if not path.exists():
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # O_EXCL: of two processes starting at once, one writes and the other reads what it wrote.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        except OSError as exc:
            raise ConfigError(f"{path}: cannot create the server secret ({exc.strerror})") from None
        else:
            data = secrets.token_bytes(SECRET_BYTES)
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            return data
    for _ in range(50):  # another process may be writing it this instant
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read the server secret ({exc.strerror})") from None
        if len(data) >= SECRET_BYTES:
            return data
        time.sleep(0.01)
    raise ConfigError(f"{path}: the server secret is shorter than {SECRET_BYTES} bytes; restore it from a backup "
                      "(every household id shown so far depends on it), or delete it to have a new one made")


def keyed_digest(secret: bytes, purpose: str, value: str, chars: int = 24) -> str:
    """HMAC-SHA256 of ``value`` under ``secret``, separated by ``purpose`` ("household"), as hex."""
    return hmac.new(secret, f"{purpose}\x00{value}".encode(), hashlib.sha256).hexdigest()[:chars]
