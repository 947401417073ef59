"""``hub match``, ``hub review`` and ``hub judge`` as a steward runs them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

HUB = [sys.executable, "-m", "hub.cli"]


@pytest.mark.slow
def test_match_review_judge_from_the_command_line(graph_env: dict[str, str], tmp_path: Path) -> None:
    env = graph_env

    def hub(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*HUB, *args], env=env, capture_output=True, text=True, timeout=600, check=False)

    assert hub("synth", "--persons", "2000", "--out", str(tmp_path / "d"), "--xlsx", "never").returncode == 0
    assert hub("load-dir", str(tmp_path / "d"), "--no-link").returncode == 0  # hub match links (and trains) here
    matched = hub("match")
    assert matched.returncode == 0, matched.stderr
    assert "persons" in matched.stdout and "model trained and saved" in matched.stdout
    again = hub("match")
    assert "model reused" in again.stdout and "0 records moved" in again.stdout
    listed = hub("review", "--limit", "5")
    assert listed.returncode == 0 and "candidate" in listed.stdout
    missing = hub("judge", "MC-NOPE", "SAME", "--by", "steward", "--reason", "test")
    assert missing.returncode == 65 and "no match candidate MC-NOPE" in missing.stderr
    wrong = hub("judge", "MC-NOPE", "MAYBE", "--by", "steward", "--reason", "test")
    assert wrong.returncode != 0 and "Traceback" not in wrong.stderr
