"""What every source generator of one chunk shares: the people, the random stream, the rates,
the running key counters, and how a record's identity columns are soiled and recorded."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from hub.synth.config import SynthConfig
from hub.synth.dirt import SourceShape, soil
from hub.synth.regions import Regions

REFERENCE_DAY = np.datetime64("2025-12-31")


@dataclass
class SourceChunk:
    """Rows of one source file, with the truth for each row."""

    source: str
    frame: pd.DataFrame
    truth: pd.DataFrame  # source_key, person_id, dirt


@dataclass
class ChunkContext:
    people: pd.DataFrame
    rng: np.random.Generator
    config: SynthConfig
    regions: Regions
    chunk_no: int
    actors: pd.DataFrame = field(default_factory=pd.DataFrame)  # PSKS actors of this chunk

    def make_keys(self, prefix: str, count: int) -> np.ndarray:
        """Record keys, unique across chunks: prefix, chunk number, running number."""
        return np.array([f"{prefix}{self.chunk_no:04d}{k:06d}" for k in range(1, count + 1)], dtype=object)

    def identity(self, rows: pd.DataFrame, shape: SourceShape) -> pd.DataFrame:
        return soil(rows, shape, self.config.dirt, self.regions, self.rng, self.config.reference_year)

    def dates_between(self, start: str, end: str, count: int) -> np.ndarray:
        first, last = np.datetime64(start), np.datetime64(end)
        span = int((last - first).astype(int))
        return first + self.rng.integers(0, span + 1, count).astype("timedelta64[D]")

    def handlers(self, regency: np.ndarray) -> np.ndarray:
        """A PSKS actor for each event: one working in the same regency where there is one."""
        actors = self.actors
        if actors.empty:
            return np.full(len(regency), "", dtype=object)
        by_regency: dict[int, np.ndarray] = {
            int(str(r)): g["ID_PSKS"].to_numpy() for r, g in actors.groupby("_regency")
        }
        everyone = actors["ID_PSKS"].to_numpy()
        out = np.empty(len(regency), dtype=object)
        for i, r in enumerate(regency):
            pool = by_regency.get(int(r), everyone)
            out[i] = pool[int(self.rng.integers(0, len(pool)))]
        return out


def truth(source: str, keys: np.ndarray, person_ids: np.ndarray, dirt: np.ndarray | None = None) -> pd.DataFrame:
    return pd.DataFrame({"source": source, "source_key": keys, "person_id": person_ids,
                         "dirt": dirt if dirt is not None else ""}, dtype=object)


def fmt_dates(dates: np.ndarray, date_format: str) -> np.ndarray:
    text = pd.DatetimeIndex(dates).strftime(date_format).to_numpy(dtype=object).copy()
    text[pd.isna(dates)] = ""
    return text


def status_history(rng: np.random.Generator, start: np.ndarray, flow: list[str], steps: np.ndarray) -> list[str]:
    """"2025-01-02 DITERIMA; 2025-01-05 DIVERIFIKASI; ..." with ``steps`` statuses each."""
    out = []
    for begin, k in zip(start, steps, strict=True):
        day = begin
        parts = []
        for status in flow[:k]:
            parts.append(f"{pd.Timestamp(day).strftime('%Y-%m-%d')} {status}")
            day = day + np.timedelta64(int(rng.integers(1, 15)), "D")
        out.append("; ".join(parts))
    return out
