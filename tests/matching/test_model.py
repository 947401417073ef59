"""The model's priors for street-encounter levels (``matching/encounters.toml``)."""

from __future__ import annotations

from pathlib import Path

import pytest


def test_encounter_priors_are_checked_when_read(tmp_path: Path) -> None:
    from hub.errors import ConfigError
    from matching.model import CALL_FIRST_NAME, encounter_priors

    assert 0 < encounter_priors()[CALL_FIRST_NAME] <= 1  # the shipped file
    wrong = tmp_path / "encounters.toml"
    wrong.write_text('[levels]\n"a call name: the other\'s first name" = 1.5\n')
    with pytest.raises(ConfigError, match="shares in"):
        encounter_priors(wrong)
    wrong.write_text('[levels]\n"no such level" = 0.5\n')
    with pytest.raises(ConfigError, match="no such level"):
        encounter_priors(wrong)
    wrong.write_text("levels = [")
    with pytest.raises(ConfigError, match="a \\[levels\\] table"):
        encounter_priors(wrong)
