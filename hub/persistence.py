"""What the embedded server keeps on disk, and what its last start cost.

The server appends every write to its AOF as the write's *effects* (FalkorDB's
``EFFECTS_THRESHOLD 0``), never as the query to run again: a query replayed at start-up runs
before the graph's indexes are built, so a 20 MB tail of loader queries took 200 to 800 s to
read back, while the same writes as effects take about 2 s. A rewrite (``BGREWRITEAOF``) folds
the tail into an RDB snapshot, which reads back faster still; the hub asks for one at the end
of each command whose tail is worth it (see ``EmbeddedServer.compact``).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

AOF_DIR = "appendonlydir"
START_RECORD = "falkordb.start.json"
MB = 1024 * 1024


@dataclass(frozen=True)
class PersistenceFiles:
    """Sizes in bytes of what the server reads back when it starts."""

    rdb_bytes: int  # the snapshot: the AOF's RDB base, plus a dump.rdb if one exists
    aof_bytes: int  # the tail: writes appended since the last rewrite

    @property
    def total_mb(self) -> float:
        return (self.rdb_bytes + self.aof_bytes) / MB

    @property
    def rdb_mb(self) -> float:
        return self.rdb_bytes / MB

    @property
    def aof_mb(self) -> float:
        return self.aof_bytes / MB

    def describe(self) -> str:
        return f"snapshot (RDB) {self.rdb_mb:.1f} MB, append-only tail (AOF) {self.aof_mb:.1f} MB"


def persistence_files(data_dir: Path) -> PersistenceFiles:
    """The sizes of the files in ``data_dir`` that a start reads back (0 where there are none)."""
    rdb = aof = 0
    aof_dir = data_dir / AOF_DIR
    entries = list(aof_dir.iterdir()) if aof_dir.is_dir() else []
    for entry in entries:
        size = _size(entry)
        if entry.name.endswith(".rdb"):
            rdb += size
        elif ".aof" in entry.name and not entry.name.endswith(".manifest"):
            aof += size
    rdb += _size(data_dir / "dump.rdb")
    return PersistenceFiles(rdb, aof)


def _size(path: Path) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


@dataclass(frozen=True)
class StartRecord:
    """How long the last start the hub made took, from launch until the server answered."""

    at: str
    seconds: float
    read_mb: float

    def describe(self) -> str:
        return f"last start {self.at}: {self.seconds:.1f} s to read {self.read_mb:.1f} MB back"


def record_start(data_dir: Path, seconds: float, read_mb: float) -> StartRecord:
    record = StartRecord(datetime.now(UTC).isoformat(timespec="seconds"), round(seconds, 2), round(read_mb, 1))
    (data_dir / START_RECORD).write_text(json.dumps(record.__dict__) + "\n")
    return record


def last_start(data_dir: Path) -> StartRecord | None:
    """The last recorded start, or None when there is none (or it cannot be read)."""
    try:
        raw = json.loads((data_dir / START_RECORD).read_text())
        return StartRecord(str(raw["at"]), float(raw["seconds"]), float(raw["read_mb"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
