"""Checking a directory before writing into it, so the failure is one clear line, not a traceback later."""

from __future__ import annotations

from pathlib import Path


def unwritable_reason(directory: Path) -> str | None:
    """Create ``directory`` if needed and try a write; the OS's reason when that fails, else None."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        probe = directory / ".write-test"
        probe.write_text("ok")
        probe.unlink()
    except OSError as exc:
        return exc.strerror or type(exc).__name__
    return None
