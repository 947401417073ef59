from __future__ import annotations

from pathlib import Path

import pytest

from hub.synth.config import SynthConfig
from hub.synth.run import synthesize


@pytest.fixture(scope="session")
def small_synth(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 3,000-person population with the default dirt, as CSV and XLSX."""
    out = tmp_path_factory.mktemp("load-synth")
    synthesize(SynthConfig(persons=3000, seed=5, xlsx=True), out, workers=1)
    return out
