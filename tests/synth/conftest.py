from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from hub.synth.config import SynthConfig
from hub.synth.run import synthesize
from tests.conftest import shared_dir

PERSONS = 30_000


@pytest.fixture(scope="session")
def synth_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One default-dirt population, shared by the read-only synth tests (two chunks, two workers); CSV only,
    the rates need its size, not XLSX (the XLSX checks read tests/conftest.py ``small_synth``)."""
    return shared_dir(tmp_path_factory, "synth", lambda out: synthesize(
        SynthConfig(persons=PERSONS, seed=7, chunk_persons=15_000, xlsx=False), out, workers=2))


@pytest.fixture(scope="session")
def truth(synth_dir: Path) -> pd.DataFrame:
    return pd.read_csv(synth_dir / "truth.csv", dtype=str, keep_default_na=False)


@pytest.fixture(scope="session")
def persons(synth_dir: Path) -> pd.DataFrame:
    return pd.read_csv(synth_dir / "truth_persons.csv", dtype=str, keep_default_na=False)


def read_source(synth_dir: Path, source: str) -> pd.DataFrame:
    return pd.read_csv(synth_dir / f"{source}.csv", dtype=str, keep_default_na=False)
