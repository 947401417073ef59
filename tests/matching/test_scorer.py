"""The vectorised scorer gives Splink's own match weights, level for level, on real pairs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from splink import Linker

from graph_schema.port import GraphStore
from hub.synth.config import SynthConfig
from hub.synth.run import SOURCE_ORDER, synthesize
from loaders.mapping import mapping_for
from loaders.run import load_file
from matching import model
from matching.extract import load_records
from matching.features import features
from matching.one_record import SEARCH_KEYS
from matching.scorer import Scorer, term_frequencies

PROBES = 60


@pytest.fixture(scope="module")
def population(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("scorer-synth")
    synthesize(SynthConfig(persons=1200, seed=13, xlsx=False), out, workers=1)
    return out


def _candidates(frame: pd.DataFrame, probe: pd.Series, rng: np.random.Generator) -> pd.DataFrame:
    """Records sharing a blocking key with the probe (the pairs that matter), and a few random ones."""
    shared = np.zeros(len(frame), dtype=bool)
    for key in SEARCH_KEYS:
        if any(pd.isna(probe[c]) for c in key):
            continue
        shared |= np.logical_and.reduce([(frame[c] == probe[c]).fillna(False).to_numpy(dtype=bool) for c in key])
    chosen = set(np.flatnonzero(shared)[:20]) | set(rng.choice(len(frame), 4, replace=False))
    chosen.discard(int(np.flatnonzero(frame["unique_id"].to_numpy() == probe["unique_id"])[0]))
    return frame.iloc[sorted(chosen)]


@pytest.mark.slow
@pytest.mark.falkordb_only("compares the scorer with Splink on the same records; the graph only holds them, and the "
                           "backends read records back alike (tests/graph_schema/test_reply_values.py)")
async def test_scorer_equals_splink_on_real_pairs(store: GraphStore, population: Path, tmp_path: Path) -> None:
    for source in SOURCE_ORDER:
        await load_file(store, mapping_for(source), population / f"{source}.csv", tmp_path)
    frame = features(await load_records(store)).reset_index(drop=True)
    saved = model.trained_model(model.train(frame), model.encounter_share(frame))

    db = model.duckdb_api()
    linker = Linker(db.register(frame, table_name="known_records"), saved, log_level=None)
    for column in model.tf_columns(saved):
        linker.table_management.compute_tf_table(column)
    scorer = Scorer(saved)
    tf = term_frequencies(frame, scorer.tf_columns)

    rng = np.random.default_rng(7)
    encounters = np.flatnonzero(frame["encounter"].to_numpy(dtype=bool))
    met = rng.choice(encounters, min(len(encounters), PROBES // 3), replace=False)
    picks = [*met, *rng.choice(len(frame), PROBES - len(met), replace=False)]
    compared = 0
    levels_seen: set[tuple[str, int]] = set()
    lefts, rights, splinks = [], [], []
    for i, position in enumerate(picks):
        probe = frame.iloc[[int(position)]]
        candidates = _candidates(frame, probe.iloc[0], rng)
        left = db.register(candidates, table_name=f"left_{i}")
        right = db.register(probe, table_name=f"right_{i}")
        scored = linker.inference.score_pairs(left, right)
        theirs = scored.as_pandas_dataframe()  # type: ignore[no-untyped-call]
        for table in (scored, left, right):
            table.drop_table_from_database_and_remove_from_cache(force_non_splink_table=True)
        theirs = theirs.set_index("unique_id_l").loc[candidates["unique_id"]]

        ours = scorer.score(probe, candidates, tf)
        np.testing.assert_allclose(ours.match_weight, theirs["match_weight"].to_numpy(dtype=float), rtol=0, atol=1e-9)
        np.testing.assert_allclose(ours.match_probability, theirs["match_probability"].to_numpy(dtype=float),
                                   rtol=0, atol=1e-9)
        for comparison in scorer.comparisons:
            name = comparison.name
            assert (ours.gamma[name] == theirs[f"gamma_{name}"].to_numpy(dtype=int)).all(), name
            weight = theirs[f"mw_{name}"].to_numpy(dtype=float)
            if f"mw_tf_adj_{name}" in theirs:
                weight = weight + theirs[f"mw_tf_adj_{name}"].fillna(0.0).to_numpy(dtype=float)
            np.testing.assert_allclose(ours.weight[name], weight, rtol=0, atol=1e-9, err_msg=name)
            levels_seen |= {(name, int(g)) for g in ours.gamma[name]}
        compared += len(candidates)
        lefts.append(candidates)
        rights.append(probe.iloc[[0] * len(candidates)])
        splinks.append(theirs["match_weight"].to_numpy(dtype=float))
    assert compared >= 300
    # Every pair at once, a different probe on each right side: the batch form live linking uses.
    batch = scorer.score_pairs(pd.concat(lefts, ignore_index=True), pd.concat(rights, ignore_index=True), tf)
    np.testing.assert_allclose(batch.match_weight, np.concatenate(splinks), rtol=0, atol=1e-9)
    # The pairs reach the levels that matter: a term-frequency-adjusted name, a call name, a guessed age.
    assert {("name", comparison_level) for comparison_level in (8, 3)} <= levels_seen
    assert ("birth", 6) in levels_seen and ("nik", 4) in levels_seen and ("household_place", 6) in levels_seen
    # A probe's parts name each comparison's level and add up to the weight, with the prior.
    parts = ours.parts(0)
    assert [p.comparison for p in parts] == [c.name for c in scorer.comparisons]
    assert sum(p.weight for p in parts) + scorer.prior_weight == pytest.approx(float(ours.match_weight[0]), abs=1e-9)

