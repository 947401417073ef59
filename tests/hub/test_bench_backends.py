"""``hub bench … --backend``: which backends a run covers, and how two backends' figures are printed side by side.

The benches themselves run the managed Neo4j (``hub.neo4j_local``) and are measured, not tested here:
these are the rules of the one object they print, and the error a wrong ``--backend`` gets."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from hub.bench_support import backends_of, side_by_side
from hub.cli import app
from hub.errors import InputError

LOAD = {"benchmark": "load", "persons": 2000, "batch_size": 5000, "records": 2400, "seconds": 4.0,
        "records_per_s": 600, "reconciled": True, "backend": "falkordb"}


@pytest.mark.parametrize(("given", "backends"), [("falkordb", ("falkordb",)), ("neo4j", ("neo4j",)),
                                                 ("both", ("falkordb", "neo4j")), (" Both ", ("falkordb", "neo4j"))])
def test_backend_names_the_backends_a_run_covers(given: str, backends: tuple[str, ...]) -> None:
    assert backends_of(given) == backends


def test_an_unknown_backend_is_refused_naming_the_option_and_the_choices() -> None:
    with pytest.raises(InputError, match=r"^--backend: 'neo5' is not a backend; give falkordb, neo4j or both$"):
        backends_of("neo5")


def test_each_figure_is_printed_per_backend_with_the_ratio_neo4j_over_falkordb() -> None:
    neo4j = LOAD | {"seconds": 10.0, "records_per_s": 240, "reconciled": False, "backend": "neo4j"}
    out = side_by_side({"falkordb": LOAD, "neo4j": neo4j})
    # What was asked for is printed once; what was measured twice, numbers with their ratio.
    assert out == {"benchmark": "load", "persons": 2000, "batch_size": 5000, "backends": ["falkordb", "neo4j"],
                   "records_falkordb": 2400, "records_neo4j": 2400, "records_ratio": 1.0,
                   "seconds_falkordb": 4.0, "seconds_neo4j": 10.0, "seconds_ratio": 2.5,
                   "records_per_s_falkordb": 600, "records_per_s_neo4j": 240, "records_per_s_ratio": 0.4,
                   "reconciled_falkordb": True, "reconciled_neo4j": False}


def test_a_ratio_over_a_zero_figure_is_null_not_an_error() -> None:
    out = side_by_side({"falkordb": LOAD | {"seconds": 0.0}, "neo4j": LOAD})
    assert out["seconds_ratio"] is None and out["seconds_neo4j"] == 4.0


@pytest.mark.parametrize("bench", ["load", "match", "api", "live"])
def test_every_bench_refuses_an_unknown_backend_before_doing_anything(bench: str, tmp_path: Path) -> None:
    # In process (the command's own code; `hub` prints a HubError's message in one line, test_cli shows it),
    # with a HUB_HOME where nothing may appear: no synthetic data, no graph, no server started.
    home = tmp_path / "hub"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("HUB_HOME", str(home))
        with pytest.raises(InputError, match=r"^--backend: 'mysql' is not a backend; give falkordb, neo4j or both$"):
            app(["bench", bench, "--backend", "mysql", "--persons", "500"], standalone_mode=False)
    assert not home.exists()


def _bench_load(env: dict[str, str]) -> dict[str, object]:
    done = subprocess.run([sys.executable, "-m", "hub.cli", "bench", "load", "--persons", "200"], env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    figures: dict[str, object] = json.loads(done.stdout)
    return figures


def test_a_bench_stops_the_graph_server_it_started_and_leaves_a_running_one_running(hub_env: dict[str, str]) -> None:
    hub = [sys.executable, "-m", "hub.cli", "db"]
    assert _bench_load(hub_env)["reconciled"] is True
    # Left running, the bench's own server held the port `make demo` then found taken.
    stopped = subprocess.run([*hub, "status"], env=hub_env, capture_output=True, text=True, timeout=60)
    assert stopped.stdout.startswith("embedded graph: stopped"), stopped.stdout
    subprocess.run([*hub, "start"], env=hub_env, capture_output=True, text=True, timeout=120, check=True)
    try:
        assert _bench_load(hub_env)["reconciled"] is True
        running = subprocess.run([*hub, "status"], env=hub_env, capture_output=True, text=True, timeout=60)
        assert running.stdout.startswith("embedded graph: running"), running.stdout
    finally:
        subprocess.run([*hub, "stop"], env=hub_env, capture_output=True, text=True, timeout=120)
