"""What the ``hub bench`` commands share: a synthetic population in a temporary folder and a
fresh graph that is emptied afterwards (on the embedded server), so a benchmark never touches
the data of the configured graph."""

from __future__ import annotations

import math
import resource
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from hub.settings import Settings, load_settings


@dataclass(frozen=True)
class BenchWorkspace:
    settings: Settings
    data: Path  # the `hub synth` output
    scratch: Path  # reports, models: anything the run writes


@contextmanager
def bench_workspace(kind: str, persons: int, seed: int) -> Iterator[BenchWorkspace]:
    from hub.synth.config import SynthConfig
    from hub.synth.run import synthesize

    settings = load_settings()
    if settings.embedded:
        settings = replace(settings, graph_name=f"bench_{kind}_{int(time.time())}")
    work = Path(tempfile.mkdtemp(prefix=f"hub-bench-{kind}-"))
    try:
        synthesize(SynthConfig(persons=persons, seed=seed, xlsx=False), work / "data")
        yield BenchWorkspace(settings, work / "data", work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def peak_rss_mb() -> float:
    """Peak resident memory of this process or any finished child, whichever is larger, in MB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0..1) of a non-empty list."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]
