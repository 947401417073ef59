"""Benchmark graphs on the embedded server: named for the process that owns them, removed when
their benchmark ends, and removed by the next benchmark when theirs was interrupted.

A benchmark graph is ``bench_<kind>_<pid>_<unix time>``. One whose process is gone was left by
a run that was killed or interrupted; the name's pid tells it apart from a benchmark running now
in another process. Graphs named by older hubs (``bench_<kind>_<unix time>``) are left behind
when they are more than a day old.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

from hub.embedded_db import EmbeddedServer

OLD_NAME_MAX_AGE_S = 24 * 3600
_NAME = re.compile(r"^bench_[a-z_]+?_(?:(?P<pid>\d+)_)?(?P<at>\d{9,})$")


def bench_graph_name(kind: str) -> str:
    """A fresh graph name for a benchmark of ``kind`` run by this process."""
    return f"bench_{kind}_{os.getpid()}_{int(time.time())}"


def left_behind(name: str, now: float | None = None) -> bool:
    """Whether ``name`` is a benchmark graph whose run has ended without removing it."""
    match = _NAME.match(name)
    if match is None:
        return False
    if match["pid"] is None:
        return (now if now is not None else time.time()) - int(match["at"]) > OLD_NAME_MAX_AGE_S
    return not _alive(int(match["pid"]))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_left_behind(server: EmbeddedServer, models: Path | None = None) -> list[str]:
    """Drop every benchmark graph (and its keys) that an interrupted run left, and the models in
    ``models`` trained for such graphs; the graphs' names."""
    removed = [g.name for g in server.graph_sizes() if left_behind(g.name)]
    for name in removed:
        server.drop_graph(name)
    for path in models.glob("bench_*.splink.*") if models is not None else ():
        if left_behind(path.name.split(".splink.", 1)[0]):
            path.unlink(missing_ok=True)
    return removed
